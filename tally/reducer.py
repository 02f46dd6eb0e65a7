"""The reducer: running totals of a count, one event at a time.

`Count.apply` either applies an event whole or raises `RuleError` and changes
nothing, so a bad event never leaves a half-counted state behind. The state is
small and flat (a list of votes, a few integers, and one small entry per event
so that any earlier entry can be retracted); `snapshot()` freezes it for
readers such as the report and the dashboard.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import repeat
from operator import contains, itemgetter, methodcaller

from tally import rules
from tally.schema import (BALLOT_COUNT, CHALLENGED, VOID, Adjust, Ballot, Challenged, Checkpoint,
                          Close, Correct, Election, Event, Note, Retract, as_event)

# What each seq did, so that a retract can undo it: a choice index (≥ 0), or one
# of these markers.
_VOID = -1
_CHALLENGED = -2
_RETRACTED = -3
_NOT_A_COUNT = -4
_CORRECTION = -5  # its amount: the corrected entry's seq
_ADJUSTMENT = -6  # its amount: the checkpoint's seq
_CHECKPOINT = -7
_AMENDS = (_CORRECTION, _ADJUSTMENT, _CHECKPOINT)  # retractable only while the latest entry
_MOST = 2**31 - 1  # the largest amount array("i") holds
_NO_LIMIT = 1 << 62  # more ballots than any count can hold (the format's limits are far below)
_SEQ, _CHOICE = itemgetter("seq"), itemgetter("choice")
_COUNT = methodcaller("get", "count", BALLOT_COUNT)
_ONES = array("i", [BALLOT_COUNT])


class RuleError(ValueError):
    """An event that keeps the format but breaks the rules of the count."""

    index = 0
    """In `Count.apply_run`: the refused event's place in the run."""


@dataclass(frozen=True, slots=True)
class Undone:
    """What a retraction took back: the retracted entry's seq, the retraction's, and what the entry had added."""

    target: int
    seq: int
    choice: int | None  # index of the choice it voted for; None for a void or challenged entry
    void: int
    challenged: int
    amount: int  # ballots it had added (to the choice, void or challenged)


@dataclass(frozen=True, slots=True)
class Compared:
    """A checkpoint against the count: the Board's figures beside the count's at that point.

    Figures are in slot order: each choice's votes, then void, then
    challenged (`Count.slot`). `board` has None where the agent announced
    nothing (void or challenged left out): such a figure is not compared.
    `counted` follows later corrections and retractions of earlier entries,
    so a checkpoint that disagreed agrees once the miscalled ballot is
    corrected. `ballot`: ballots the count had handled at that point.
    """

    seq: int
    ballot: int
    board: tuple[int | None, ...]
    counted: tuple[int, ...]
    text: str | None = None
    adjusted_by: int | None = None
    """The seq of the adjust that accepted the Board's figures, while it stands."""

    @property
    def differs(self) -> tuple[int, ...]:
        """The slots whose figures differ, in slot order."""
        return tuple(i for i, (b, c) in enumerate(zip(self.board, self.counted)) if b is not None and b != c)

    @property
    def agrees(self) -> bool:
        return not self.differs

    @property
    def resolved(self) -> bool:
        """Agrees, or its figures were accepted by an adjustment."""
        return self.adjusted_by is not None or self.agrees


@dataclass(frozen=True, slots=True)
class Adjusted:
    """An adjustment: what accepting a checkpoint's figures added to each slot (negative: took away)."""

    seq: int
    checkpoint: int
    change: tuple[int, ...]


@dataclass(slots=True)
class _Mark:
    """A checkpoint as the count keeps it: `counted` is kept up to date as earlier calls change."""

    seq: int
    board: tuple[int | None, ...]
    counted: list[int]
    text: str | None
    adjusted_by: int | None = None

    def frozen(self) -> Compared:
        return Compared(self.seq, sum(self.counted), self.board, tuple(self.counted), self.text,
                        self.adjusted_by)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The count as it stands, frozen: everything a reader needs, nothing live."""

    election: Election
    votes: tuple[int, ...]
    void: int
    challenged: int
    remaining: int | None
    closed: bool
    last_seq: int
    outcome: rules.Outcome
    decided_at: int | None
    """Ballots handled (opened + challenged) when the outcome became decided."""
    checkpoints: tuple[Compared, ...] = ()
    """The Board's announced figures, each against the count's, in order (retracted ones left out)."""
    adjustments: tuple[Adjusted, ...] = ()
    """Checkpoints whose figures were accepted, in order (retracted ones left out)."""

    @property
    def choices(self) -> tuple[str, ...]:
        return self.election.choices

    @property
    def valid(self) -> int:
        return sum(self.votes)

    @property
    def handled(self) -> int:
        """Ballots opened or set aside so far."""
        return self.valid + self.void + self.challenged

    @property
    def valid_plus_challenged(self) -> int:
        return self.valid + self.challenged

    @property
    def at_stake(self) -> int | None:
        """Every vote still possible: valid + challenged + unopened (None: R unknown).

        Half of it is the clinch line: V_c > others + C + R ⇔ 2·V_c > valid + C + R.
        """
        return None if self.remaining is None else self.valid_plus_challenged + self.remaining

    @property
    def majority_line(self) -> int:
        """Votes that make a majority: of valid + challenged, or of the eligible voters in a poll."""
        if self.election.rule == rules.DEAUTHORIZATION:
            return rules.deauthorization_line(self.election.eligible)
        return rules.majority_line(self.valid, self.challenged)

    def needed(self, i: int) -> int | None:
        """Votes choice i still needs for a certain result (None: R unknown)."""
        if self.remaining is None:
            return None
        if self.election.rule == rules.DEAUTHORIZATION:
            return rules.deauthorization_votes_needed(
                self.votes[0], i, self.challenged, self.remaining, self.election.eligible)
        ties_win = self.election.yes_no and i == 1
        return rules.votes_needed(self.votes, i, self.challenged, self.remaining, ties_win)

    @property
    def leader(self) -> int | None:
        """Index of the choice with the most votes, None on a tie for first."""
        top = max(self.votes)
        leaders = [i for i, v in enumerate(self.votes) if v == top]
        return leaders[0] if len(leaders) == 1 else None

    @property
    def margin(self) -> int:
        """How far the leader is ahead of the next choice (0 on a tie)."""
        ordered = sorted(self.votes, reverse=True)
        return ordered[0] - ordered[1]


class Count:
    """Running totals of one election, built by applying its events in order."""

    def __init__(self) -> None:
        self.election: Election | None = None
        self.votes: list[int] = []
        self.void = 0
        self.challenged = 0
        self.opened = 0
        self.closed = False
        self.last_seq = 0
        self.decided_at: int | None = None
        self.undone: list[Undone] = []  # every retraction, in order: readers correct their history with it
        self.revised: list[int] = []
        """The seq of each call changed after it was entered (retracted, corrected, a correction
        taken back), in order: a reader that follows the calls (`tally.verify`) looks again there."""
        self.corrections: list[tuple[int, int, int, int]] = []
        """Each correction and each taken back, in order: (seq, target, slot before, slot after)."""
        self._marks: dict[int, _Mark] = {}  # live checkpoints by seq
        self._adjusted: dict[int, Adjusted] = {}  # live adjustments by seq
        self._corrected_from: dict[int, int] = {}  # a correction's seq: the target's did before it
        self._verified: tuple[tuple[Compared, ...], tuple[Adjusted, ...]] | None = ((), ())
        self._ballots: int | None = None
        self._did_by_choice: dict[str, int] = {}
        self._did_byte: dict[str, int] = {}
        self._ballot_kind: dict = {}  # eligible and rule: what the rules need besides the votes
        # By seq (seq 0 unused), in compact arrays: a count's memory grows by
        # five bytes an event, not by a Python object.
        self._did = array("b", [_NOT_A_COUNT])
        self._amount = array("i", [0])
        self._quiet = 0  # ballots that can pass before a decision is possible
        self._handlers = {
            Ballot: self._ballot,
            Challenged: self._challenged,
            Retract: self._retract,
            Note: self._note,
            Close: self._close,
            Checkpoint: self._checkpoint,
            Correct: self._correct,
            Adjust: self._adjust,
        }
        self._checks = {
            Ballot: self._ballot_did,
            Challenged: self._check_challenged,
            Retract: self._retracted_did,
            Note: _no_check,
            Close: self._check_close,
            Checkpoint: self._check_checkpoint,
            Correct: self._corrected_did,
            Adjust: self._adjustment,
        }

    # -- reading -----------------------------------------------------------
    @property
    def remaining(self) -> int | None:
        ballots = self.election.ballots if self.election else None
        return rules.remaining_unopened(ballots, self.opened, self.challenged, self.closed)

    @property
    def handled(self) -> int:
        return self.opened + self.challenged

    def snapshot(self) -> Snapshot:
        if self.election is None:
            raise RuleError("no election header yet")
        remaining = self.remaining
        votes = tuple(self.votes)
        return Snapshot(
            election=self.election,
            votes=votes,
            void=self.void,
            challenged=self.challenged,
            remaining=remaining,
            closed=self.closed,
            last_seq=self.last_seq,
            outcome=rules.decide(self.election.choices, votes, self.challenged, remaining,
                                 **self._ballot_kind),
            decided_at=self.decided_at,
            **self._verification(),
        )

    def _verification(self) -> dict:
        """The checkpoints and adjustments as the snapshot carries them, frozen once per change."""
        if self._verified is None:
            self._verified = (tuple(m.frozen() for m in self._marks.values()),
                              tuple(self._adjusted.values()))
        marks, adjusted = self._verified
        return {"checkpoints": marks, "adjustments": adjusted} if marks else {}

    def skip(self, seq: int) -> None:
        """Let seq pass as a no-op: a replay shows a bad event and goes on past it."""
        if seq == self.last_seq + 1 and self.election is not None:
            self._record(_NOT_A_COUNT, 0)
            self.last_seq = seq

    def retractable(self, seq: int) -> bool:
        """A call not yet retracted; or a checkpoint, correction or adjustment that is the latest entry."""
        if not 0 < seq < len(self._did):
            return False
        did = self._did[seq]
        return did >= _CHALLENGED or (did in _AMENDS and seq == self.last_seq)

    @property
    def slots(self) -> int:
        """Figures a call can add to: each choice, void, challenged (`slot`)."""
        return len(self.votes) + 2

    def slot(self, did: int) -> int:
        """Where a call's figure is kept: a choice's index, then void, then challenged."""
        return did if did >= 0 else len(self.votes) - 1 - did  # _VOID -> k, _CHALLENGED -> k + 1

    def call_at(self, seq: int) -> tuple[int, int] | None:
        """Entry seq's call as it stands, (slot, ballots), or None: not a call, or retracted."""
        if not 0 < seq < len(self._did):
            return None
        did = self._did[seq]
        return (self.slot(did), self._amount[seq]) if did >= _CHALLENGED else None

    @property
    def entries(self) -> tuple[array, array]:
        """The per-seq tables, for a follower that reads many calls (`tally.verify`): read, never write.

        By seq: what the entry did (a choice's index ≥ 0; -1 void, -2
        challenged: a call; anything lower: no call, or retracted) and its
        ballots. `call_at` reads one entry of them.
        """
        return self._did, self._amount

    def totals(self) -> tuple[int, ...]:
        """The count's figures in slot order: each choice's votes, void, challenged."""
        return (*self.votes, self.void, self.challenged)

    # -- applying ----------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply one event, or raise RuleError and leave the count unchanged."""
        if event.seq != self.last_seq + 1 or self.election is None:
            self._check_order(event)
            self._start(event)
        else:
            handler = self._handlers.get(type(event))
            if handler is None:  # an Election after seq 1 cannot pass the schema
                _not_a_first_header(event)
            handler(event)
        self.last_seq = event.seq

    def check(self, event: Event) -> None:
        """Raise the RuleError that `apply(event)` would raise; change nothing.

        A journal asks this before it writes, so that an event is stored only
        if it will count, and counted only once it is stored. Each handler
        runs the same checks before it changes anything.
        """
        if event.seq != self.last_seq + 1 or self.election is None:
            self._check_order(event)
        else:
            self._checks.get(type(event), _not_a_first_header)(event)

    def _check_order(self, event: Event) -> None:
        if event.seq != self.last_seq + 1:
            raise RuleError(f"seq {event.seq} out of order: expected {self.last_seq + 1}")
        if self.election is None and not isinstance(event, Election):
            raise RuleError("the first event must be the election header")

    def apply_run(self, events: list, start: int = 0, until_handled: int | None = None) -> int:
        """Apply events[start:] in order, as `apply` would one by one; the index after the last.

        `events` may hold plain events (dicts from `tally.schema`'s fast path)
        as well as models. It stops early, after the event that brings the
        ballots handled to `until_handled` or more (a chart's next point). On
        an event that breaks the rules it raises RuleError with its `index`
        in `events`; the events before it stay applied. Plain ballots are
        applied by a flat loop; anything else, and any ballot that the loop
        would not apply as it stands, goes through `apply`, which applies it
        or words the refusal exactly as it always has.
        """
        i, n = start, len(events)
        while i < n:
            if self.election is not None and not self.closed:
                j = i + self._bulk(events, i, n, until_handled)
                if j == i:
                    j = self._ballot_run(events, i, n, until_handled)
                if j >= n or (j > i and until_handled is not None and self.handled >= until_handled):
                    return j
                if j > i:
                    i = j
                    continue
            item = events[i]
            if item.__class__ is dict:
                item = events[i] = as_event(item)  # kept: readers of the run see the model
            try:
                self.apply(item)
            except RuleError as exc:
                exc.index = i
                raise
            i += 1
            if until_handled is not None and self.handled >= until_handled:
                break
        return i

    def _ballot_run(self, events: list, i: int, n: int, until_handled: int | None) -> int:
        """The hot path: plain ballots from events[i] on, flat; the index of the first not applied.

        It stops at anything it does not apply exactly as `_ballot` would
        (another type, a seq out of order, an unknown choice, no room left),
        and leaves that event to `apply`.
        """
        by_choice = self._did_by_choice
        votes = self.votes
        dids: list[int] = []
        amounts: list[int] = []
        did_append, amount_append = dids.append, amounts.append
        first = last = self.last_seq
        opened, void = self.opened, self.void
        room = _NO_LIMIT if self._ballots is None else self._ballots - opened - self.challenged
        deciding = self.decided_at is None
        quiet = self._quiet if deciding else _NO_LIMIT
        stop = _NO_LIMIT if until_handled is None else until_handled - self.challenged  # in opened
        try:
            for event in events[i:n] if i or n < len(events) else events:
                if event.__class__ is not dict or event["type"] != "ballot" or event["seq"] != last + 1:
                    break
                did = by_choice.get(event["choice"])
                if did is None:
                    break
                count = event.get("count", BALLOT_COUNT)
                if count > room:
                    break
                room -= count
                if did >= 0:
                    votes[did] += count
                else:
                    void += count
                opened += count
                did_append(did)
                amount_append(count)
                last += 1
                quiet -= count
                if quiet <= 0:
                    self.last_seq, self.opened, self.void = last, opened, void
                    self._quiet = quiet
                    self._recheck_decision()
                    deciding = self.decided_at is None
                    quiet = self._quiet if deciding else _NO_LIMIT
                if opened >= stop:
                    break
        finally:
            self.last_seq, self.opened, self.void = last, opened, void
            self._did.extend(dids)
            self._amount.extend(amounts)
            if deciding:
                self._quiet = quiet
        return i + last - first

    def _bulk(self, events: list, i: int, n: int, until_handled: int | None) -> int:
        """Apply plain ballots events[i:i+m] at once, each as `_ballot` would; m (0: none).

        When events[i:n] are all ballot dicts with seqs last+1, last+2, …,
        known choices and no piles, the first m of them go in by C-level passes
        (counts of each choice's index, one extend each of the retract table),
        m being as many as pass before anything the one-by-one loop would stop
        or look at: no room left, the next decision check falling due (it is
        done here, after the m-th, as the loop does it), a chart point. Any
        other run is left, untouched, to that loop.
        """
        part = events[i:n] if i or n < len(events) else events
        try:  # a "choice": a ballot, or a correction (which alone has a "target" too)
            dids = bytes(map(self._did_byte.__getitem__, map(_CHOICE, part)))
        except (TypeError, KeyError):  # a model (the header), not a ballot, an unknown choice
            return 0
        m, last = len(part), self.last_seq
        if (list(map(_SEQ, part)) != list(range(last + 1, last + 1 + m))
                or any(map(contains, part, repeat("count")))
                or any(map(contains, part, repeat("target")))):
            return 0
        if self._ballots is not None:
            m = min(m, self._ballots - self.opened - self.challenged)
        deciding = self.decided_at is None
        if deciding:
            m = min(m, max(self._quiet, 1))  # the ballot at which the check falls due, at most
        if until_handled is not None:
            m = min(m, max(until_handled - self.handled, 1))
        if m < 1:
            return 0
        if m < len(dids):
            dids = dids[:m]
        votes = self.votes
        for did in range(len(votes)):
            votes[did] += dids.count(did)
        self.void += dids.count(_VOID & 0xFF)
        self.opened += m
        self._did.frombytes(dids)  # the same signed bytes as appending each did
        self._amount += _ONES * m
        self.last_seq = last + m
        if deciding:
            self._quiet -= m
            if self._quiet <= 0:
                self._recheck_decision()
        return m

    def _start(self, header: Election) -> None:
        self.election = header
        self._ballots = header.ballots
        self.votes = [0] * len(header.choices)
        self._ballot_kind = {"eligible": header.eligible, "rule": header.rule}
        self._did_by_choice = {c: i for i, c in enumerate(header.choices)}
        self._did_by_choice[VOID] = _VOID
        self._did_byte = {c: did & 0xFF for c, did in self._did_by_choice.items()}  # as in _did
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

    def _check_open(self, what: str) -> None:
        if self.closed:
            raise RuleError(f"the count is closed: no {what} after close")

    def _check_room(self, count: int) -> None:
        """More ballots than were cast means a miscount: refuse it."""
        if count > _MOST:  # no count is that big; refused before anything changes
            raise RuleError(f"a pile of {count} ballots is more than tally can count")
        if self._ballots is None or self.closed:
            return
        remaining = self._ballots - self.opened - self.challenged
        if count > remaining:
            raise RuleError(
                f"{count} more ballots would exceed the {self.election.ballots} cast "
                f"(only {remaining} left unopened)"
            )

    def _ballot_did(self, event: Ballot) -> int:
        """What a ballot would do (its choice's index, or void), or RuleError."""
        if self.closed:
            self._check_open("ballots")
        did = self._did_by_choice.get(event.choice)
        if did is None:
            raise RuleError(
                f"unknown choice {event.choice!r}: the ballot offers "
                + ", ".join(self.election.choices) + " (or void)"
            )
        self._check_room(event.count)
        return did

    def _ballot(self, event: Ballot) -> None:
        # The hot path of every report and replay: kept flat on purpose
        # (`_ballot_did` only to say why a ballot is refused).
        did = self._did_by_choice.get(event.choice)
        if did is None or self.closed:
            did = self._ballot_did(event)
        count = event.count
        self._check_room(count)
        self._add(did, count)
        self._did.append(did)
        self._amount.append(count)
        if self.decided_at is None:
            self._handled_more(count)

    def _check_challenged(self, event: Challenged) -> None:
        self._check_open("challenged ballots")
        self._check_room(event.count)

    def _challenged(self, event: Challenged) -> None:
        self._check_challenged(event)
        self._add(_CHALLENGED, event.count)
        self._record(_CHALLENGED, event.count)
        if self.decided_at is None:
            self._handled_more(event.count)

    def _retracted_did(self, event: Retract) -> int:
        """What the retracted event did, or RuleError if it cannot be retracted."""
        target = event.target
        if target < len(self._did) and self._did[target] in _AMENDS:
            return self._check_amend_retract(target)
        self._check_open("retractions")
        if target >= len(self._did):
            raise RuleError(f"retract of seq {target}, which has not happened")
        did = self._did[target]
        if did == _RETRACTED:
            raise RuleError(f"seq {target} is already retracted")
        if did == _NOT_A_COUNT:
            raise RuleError(f"seq {target} is not a ballot or challenged event")
        self._check_not_below_zero(did, self._amount[target])
        return did

    def _check_amend_retract(self, target: int) -> int:
        """A checkpoint, correction or adjustment may be taken back while it is the latest entry.

        Later entries were typed against what it said (a correction's call, an
        adjustment's figures), and taking back only the latest keeps the
        undoing exact; an earlier call is corrected again instead (the latest
        correction wins).
        """
        did = self._did[target]
        if target != self.last_seq:
            raise RuleError(f"seq {target} can only be retracted while it is the latest entry "
                            "(correct the call again instead)")
        if did == _CORRECTION:
            entry = self._amount[target]
            if self._did[entry] == _RETRACTED:
                raise RuleError(f"seq {entry} is already retracted")
            self._check_not_below_zero(self._did[entry], self._amount[entry])
        if did == _ADJUSTMENT:
            change = self._adjusted[target].change
            self._check_change(tuple(-c for c in change))
        return did

    def _retract(self, event: Retract) -> None:
        did = self._retracted_did(event)
        target = event.target
        if did in _AMENDS:
            self._take_back(did, target)
            self._record(_NOT_A_COUNT, 0)
            self._recheck_decision()
            return
        amount = self._amount[target]
        self._add(did, -amount)
        self._did[target] = _RETRACTED
        self._revise(target, did, None, amount)
        self.undone.append(Undone(target, event.seq, did if did >= 0 else None,
                                  amount if did == _VOID else 0, amount if did == _CHALLENGED else 0, amount))
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

    def _note(self, event: Note) -> None:
        self._record(_NOT_A_COUNT, 0)

    def _check_close(self, event: Close) -> None:
        self._check_open("close")

    def _close(self, event: Close) -> None:
        self._check_close(event)
        self.closed = True
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

    # -- checkpoints, corrections, adjustments ----------------------------
    def _check_checkpoint(self, event: Checkpoint) -> tuple[int | None, ...]:
        """The Board's figures in slot order, or RuleError when they cannot be a count of this ballot."""
        choices = self.election.choices
        for name in event.votes:
            if name not in self._did_by_choice or name == VOID:
                raise RuleError(f"checkpoint: {name!r} is not a choice on the ballot (it offers "
                                + ", ".join(choices) + '; void ballots are "void" beside "votes")')
        missing = [c for c in choices if c not in event.votes]
        if missing:
            raise RuleError(f"checkpoint: no votes for {missing[0]!r}: a checkpoint gives every "
                            "choice's votes")
        board = (*(event.votes[c] for c in choices), event.void, event.challenged)
        total = sum(b for b in board if b is not None)
        if self._ballots is not None and total > self._ballots:
            raise RuleError(f"checkpoint: {total:,} ballots is more than the {self._ballots:,} cast")
        return board

    def _checkpoint(self, event: Checkpoint) -> None:
        board = self._check_checkpoint(event)
        self._marks[event.seq] = _Mark(event.seq, board, list(self.totals()), event.text)
        self._verified = None
        self._record(_CHECKPOINT, 0)

    def _corrected_did(self, event: Correct) -> int:
        """The did the corrected entry takes, or RuleError if it cannot be corrected.

        Allowed after close too: a correction never changes how many ballots
        were handled, only what one entry was called.
        """
        target = event.target
        if target >= len(self._did):
            raise RuleError(f"correction of seq {target}, which has not happened")
        did = self._did[target]
        if did == _RETRACTED:
            raise RuleError(f"seq {target} was retracted: there is no call to correct")
        if did < _CHALLENGED:
            raise RuleError(f"seq {target} is not a call: only a ballot or challenged entry "
                            "can be corrected")
        new = self._did_by_choice.get(event.choice)
        if new is None and event.choice == CHALLENGED:
            new = _CHALLENGED
        if new is None:
            raise RuleError(f"unknown choice {event.choice!r}: the ballot offers "
                            + ", ".join(self.election.choices) + " (or void, or challenged)")
        if new == did:
            raise RuleError(f"seq {target} is already {self._did_name(did)}: nothing to correct")
        self._check_not_below_zero(did, self._amount[target])
        return new

    def _correct(self, event: Correct) -> None:
        new = self._corrected_did(event)
        target = event.target
        old = self._did[target]
        self._corrected_from[event.seq] = old
        self._move(target, old, new)
        self.corrections.append((event.seq, target, self.slot(old), self.slot(new)))
        self._did.append(_CORRECTION)
        self._amount.append(target)
        self._recheck_decision()

    def _move(self, target: int, old: int, new: int) -> None:
        """Entry target's call becomes `new`: its ballots move from one figure to the other."""
        amount = self._amount[target]
        self._add(old, -amount)
        self._add(new, amount)
        self._did[target] = new
        self._revise(target, old, new, amount)

    def _revise(self, target: int, old: int, new: int | None, amount: int) -> None:
        """Entry target no longer adds to `old` (but to `new`, if any): later checkpoints follow."""
        self.revised.append(target)
        if not self._marks:
            return
        a, b = self.slot(old), None if new is None else self.slot(new)
        for mark in self._marks.values():
            if mark.seq > target:
                mark.counted[a] -= amount
                if b is not None:
                    mark.counted[b] += amount
        self._verified = None

    def _adjustment(self, event: Adjust) -> tuple[int, ...]:
        """What accepting checkpoint K's figures adds to each slot, or RuleError."""
        mark = self._marks.get(event.checkpoint)
        if mark is None:
            raise RuleError(f"adjust to seq {event.checkpoint}, which is not a checkpoint")
        if mark.adjusted_by is not None:
            raise RuleError(f"checkpoint seq {event.checkpoint} was already accepted "
                            f"(seq {mark.adjusted_by})")
        change = tuple(0 if b is None else b - c for b, c in zip(mark.board, mark.counted))
        if not any(change):
            raise RuleError(f"checkpoint seq {event.checkpoint} agrees with the count: "
                            "nothing to adjust")
        self._check_change(change)
        return change

    def _check_change(self, change: tuple[int, ...]) -> None:
        """An adjustment (or its undoing) may not leave a figure below zero or the ballots overfull."""
        after = [t + c for t, c in zip(self.totals(), change)]
        if min(after) < 0:
            raise RuleError("the adjustment would leave a figure below zero: correct the calls instead")
        self._check_room(max(sum(change), 0))

    def _adjust(self, event: Adjust) -> None:
        change = self._adjustment(event)
        self._shift(change)
        self._marks[event.checkpoint].adjusted_by = event.seq
        self._adjusted[event.seq] = Adjusted(event.seq, event.checkpoint, change)
        self._verified = None
        self._did.append(_ADJUSTMENT)
        self._amount.append(event.checkpoint)
        self._recheck_decision()

    def _shift(self, change: tuple[int, ...]) -> None:
        k = len(self.votes)
        for i in range(k):
            self.votes[i] += change[i]
        self.void += change[k]
        self.challenged += change[k + 1]
        self.opened += sum(change[:k + 1])

    def _take_back(self, did: int, target: int) -> None:
        """Retract the latest entry, a checkpoint, correction or adjustment: as if never entered."""
        if did == _CHECKPOINT:
            del self._marks[target]
        elif did == _CORRECTION:
            entry, old = self._amount[target], self._corrected_from.pop(target)
            new = self._did[entry]
            self._move(entry, new, old)
            self.corrections.append((target, entry, self.slot(new), self.slot(old)))
        else:
            adjusted = self._adjusted.pop(target)
            self._shift(tuple(-c for c in adjusted.change))
            self._marks[adjusted.checkpoint].adjusted_by = None
        self._verified = None
        self._did[target] = _RETRACTED

    def _check_not_below_zero(self, did: int, amount: int) -> None:
        """Taking an entry's ballots off a figure an adjustment lowered could go below zero: refuse."""
        if self._adjusted and self.totals()[self.slot(did)] < amount:
            raise RuleError("that would leave a figure below zero after the adjustment: "
                            "correct another call instead")

    def _did_name(self, did: int) -> str:
        return self.election.choices[did] if did >= 0 else VOID if did == _VOID else CHALLENGED

    def _add(self, did: int, count: int) -> None:
        if did >= 0:
            self.votes[did] += count
            self.opened += count
        elif did == _VOID:
            self.void += count
            self.opened += count
        else:
            self.challenged += count

    def _record(self, did: int, amount: int) -> None:
        self._did.append(did)
        self._amount.append(amount)

    def _handled_more(self, count: int) -> None:
        """Ballots were added: adding never undecides, so only look when it could decide.

        Each ballot lowers R by as much as it can raise anything else, so a
        decided outcome stays decided; and `rules.ballots_before_decided` says
        how many ballots may pass before it is even worth looking.
        """
        self._quiet -= count
        if self._quiet <= 0:
            self._recheck_decision()

    def _recheck_decision(self) -> None:
        """Remember the ballot at which the outcome became decided.

        A retraction can undecide an outcome: then it is forgotten, and found
        again when the count decides it anew.
        """
        choices, remaining, kind = self.election.choices, self.remaining, self._ballot_kind
        if rules.is_decided(choices, self.votes, self.challenged, remaining, **kind):
            if self.decided_at is None:
                self.decided_at = self.handled
        else:
            self.decided_at = None
            self._quiet = rules.ballots_before_decided(
                choices, self.votes, self.challenged, remaining, **kind
            )


def _no_check(event: Event) -> None:
    """A note keeps every rule."""


def _not_a_first_header(event: Event) -> None:
    raise RuleError("only seq 1 can be an election header")


def replay(events) -> Count:
    """A Count with every event applied (RuleError on the first bad one)."""
    count = Count()
    for event in events:
        count.apply(event)
    return count
