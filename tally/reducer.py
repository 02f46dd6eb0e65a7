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

from tally import rules
from tally.schema import VOID, Ballot, Challenged, Close, Election, Event, Note, Retract

# What each seq did, so that a retract can undo it: a choice index (≥ 0), or one
# of these markers.
_VOID = -1
_CHALLENGED = -2
_RETRACTED = -3
_NOT_A_COUNT = -4


class RuleError(ValueError):
    """An event that keeps the format but breaks the rules of the count."""


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
        self._ballots: int | None = None
        self._did_by_choice: dict[str, int] = {}
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
        )

    def skip(self, seq: int) -> None:
        """Let seq pass as a no-op: a replay shows a bad event and goes on past it."""
        if seq == self.last_seq + 1 and self.election is not None:
            self._record(_NOT_A_COUNT, 0)
            self.last_seq = seq

    def retractable(self, seq: int) -> bool:
        return 0 < seq < len(self._did) and self._did[seq] >= _CHALLENGED

    # -- applying ----------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply one event, or raise RuleError and leave the count unchanged."""
        if event.seq != self.last_seq + 1:
            raise RuleError(f"seq {event.seq} out of order: expected {self.last_seq + 1}")
        if self.election is None:
            if not isinstance(event, Election):
                raise RuleError("the first event must be the election header")
            self._start(event)
        else:
            handler = self._handlers.get(type(event))
            if handler is None:  # an Election after seq 1 cannot pass the schema
                raise RuleError("only seq 1 can be an election header")
            handler(event)
        self.last_seq = event.seq

    def _start(self, header: Election) -> None:
        self.election = header
        self._ballots = header.ballots
        self.votes = [0] * len(header.choices)
        self._ballot_kind = {"eligible": header.eligible, "rule": header.rule}
        self._did_by_choice = {c: i for i, c in enumerate(header.choices)}
        self._did_by_choice[VOID] = _VOID
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

    def _check_open(self, what: str) -> None:
        if self.closed:
            raise RuleError(f"the count is closed: no {what} after close")

    def _check_room(self, count: int) -> None:
        """More ballots than were cast means a miscount: refuse it."""
        if self._ballots is None or self.closed:
            return
        remaining = self._ballots - self.opened - self.challenged
        if count > remaining:
            raise RuleError(
                f"{count} more ballots would exceed the {self.election.ballots} cast "
                f"(only {remaining} left unopened)"
            )

    def _ballot(self, event: Ballot) -> None:
        # The hot path of every report and replay: kept flat on purpose.
        if self.closed:
            self._check_open("ballots")
        did = self._did_by_choice.get(event.choice)
        if did is None:
            raise RuleError(
                f"unknown choice {event.choice!r}: the ballot offers "
                + ", ".join(self.election.choices) + " (or void)"
            )
        count = event.count
        self._check_room(count)
        self._add(did, count)
        self._did.append(did)
        self._amount.append(count)
        if self.decided_at is None:
            self._handled_more(count)

    def _challenged(self, event: Challenged) -> None:
        self._check_open("challenged ballots")
        self._check_room(event.count)
        self._add(_CHALLENGED, event.count)
        self._record(_CHALLENGED, event.count)
        if self.decided_at is None:
            self._handled_more(event.count)

    def _retract(self, event: Retract) -> None:
        self._check_open("retractions")
        target = event.target
        if target >= len(self._did):
            raise RuleError(f"retract of seq {target}, which has not happened")
        did = self._did[target]
        if did == _RETRACTED:
            raise RuleError(f"seq {target} is already retracted")
        if did == _NOT_A_COUNT:
            raise RuleError(f"seq {target} is not a ballot or challenged event")
        amount = self._amount[target]
        self._add(did, -amount)
        self._did[target] = _RETRACTED
        self.undone.append(Undone(target, event.seq, did if did >= 0 else None,
                                  amount if did == _VOID else 0, amount if did == _CHALLENGED else 0, amount))
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

    def _note(self, event: Note) -> None:
        self._record(_NOT_A_COUNT, 0)

    def _close(self, event: Close) -> None:
        self._check_open("close")
        self.closed = True
        self._record(_NOT_A_COUNT, 0)
        self._recheck_decision()

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


def replay(events) -> Count:
    """A Count with every event applied (RuleError on the first bad one)."""
    count = Count()
    for event in events:
        count.apply(event)
    return count
