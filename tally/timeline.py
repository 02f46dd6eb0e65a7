"""What a count looked like over time, in bounded memory: chart points, samples and the ticker.

A dashboard shows the count through time (the margin, each choice's share, the
union's chance), how fresh and how fast it is (the last call, the pace, the
recent trend) and the last ballots called. All of it must stay the same size
whether the count has 1,000 ballots or 1,000,000:

- the chart keeps a `Point` (the whole count at that moment, so the needle can
  be worked out for it later) every `stride` ballots; when the chart is full
  every other point is dropped and the stride doubles;
- the samples for the pace are the last SAMPLES points at which the timeline
  was told anything (each event at human pace, each run of events in a flood);
- the ticker keeps only its last lines, as events, worded when drawn.

A retraction corrects history: every point and sample taken after the
retracted entry loses what that entry had added (`Count.undone`), so the chart
and its range show the corrected count, as if the entry had never been made.
A correction in place does the same (`Count.corrections`): every point taken
between the corrected call and its correction moves the call's ballots from
the choice it was typed as to the one it was, as if it had been called right.

Ballot numbers are the ticker's: a call's number is the ballots handled just
after it was entered (a pile covers a range). `ballot_call` finds the call a
counter names by such a number, and `target_label` the number of a corrected
call, by the same rule (`numbers_back`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import accumulate, repeat
from operator import add, mul
from typing import Iterable, Iterator, Sequence

from tally.lang import N_, Words, joined, number
from tally.reducer import _CHALLENGED, Count, Undone
from tally.reducer import _CHECKPOINT as _LOWEST_DID  # the lowest code `Count.entries` holds
from tally.schema import (Adjust, Ballot, Challenged, Checkpoint, Close, Correct, Election, Event, Note,
                          Retract, as_event)

CHART_POINTS = 256
TICKER_LINES = 50
SAMPLES = 512
PACE_WINDOW = 5 * 60.0  # seconds of count time the pace is measured over
PACE_LEAST = 30.0  # ... and at least this many, or there is no pace yet
TREND_BALLOTS = 100  # the recent trend: the last this many ballots


@dataclass(frozen=True, slots=True)
class Point:
    """The count at one moment: what the charts and the needle need of it, nothing more.

    `low` and `high` are the lowest and highest margin seen in the stretch of
    the count this point ends (looked at as often as the timeline is told):
    the chart's range keeps them when the point itself is thinned out.
    """

    seq: int
    handled: int
    votes: tuple[int, ...]
    void: int
    challenged: int
    remaining: int | None
    at: datetime | None
    low: int
    high: int

    @property
    def margin(self) -> int:
        return margin_of(self.votes)

    @property
    def valid(self) -> int:
        return sum(self.votes)


@dataclass(frozen=True, slots=True)
class TickerLine:
    seq: int
    kind: str  # ballot, challenged, retract, note, close, election, error, checkpoint, correct, adjust
    text: str
    first: int | None = None  # the ballot numbers of a call: ballots handled before it + 1 …
    last: int | None = None  # … ballots handled after it (None: not a call)


@dataclass(frozen=True, slots=True)
class Pace:
    """How fresh and how fast the count is: the last call, ballots a minute, the recent trend."""

    last_at: datetime | None
    per_minute: float | None  # over the last PACE_WINDOW of count time (None: too little of it)
    recent: int  # ballots the trend covers (0: no trend yet)
    recent_votes: tuple[int, ...]  # each choice's votes among them

    def minutes_left(self, remaining: int | None) -> float | None:
        if not remaining or not self.per_minute:
            return None
        return remaining / self.per_minute


def margin_of(votes: Sequence[int] | Count) -> int:
    """The margin the chart follows: yes − no, or the leader's lead on a multi-choice ballot."""
    if isinstance(votes, Count):
        votes = votes.votes
    if len(votes) == 2:
        return votes[0] - votes[1]
    first, second = sorted(votes, reverse=True)[:2]
    return first - second


_SIGN_OF_DID = (0,) * -_LOWEST_DID + (1, -1)
"""A yes/no entry's effect on the margin per ballot, by what it did − `_LOWEST_DID` (`Count.entries`:
the negative codes are no vote for either side, 0 is yes, 1 is no)."""


def run_extremes(count: Count, start: int, before: Sequence[int]) -> tuple[int, int] | None:
    """The lowest and highest margin after each entry from seq `start` on, the votes having been
    `before` just ahead of it; None when the entries alone do not lead to the count's votes.

    The flood path tells the timeline once per run of events, not per event:
    without this, a margin reached and left inside one run (LDJ5 and JFK8's
    highest) was missing from the range, and the range shown depended on
    where the runs happened to end, that is on the machine's speed. A yes/no
    count is walked by C-level passes over the entry tables; a multi-choice
    count, whose margin is the leader's lead, one entry at a time. Anything
    that moves votes without an entry of its own (accepting the Board's
    figures) makes the walk disagree with the count: then None, and the
    caller keeps the margin as it now stands.
    """
    dids, amounts = count.entries
    if len(before) == 2:
        steps = map(mul, map(_SIGN_OF_DID.__getitem__, map(add, dids[start:], repeat(-_LOWEST_DID))), amounts[start:])
        margins = list(accumulate(steps, initial=before[0] - before[1]))[1:]
        if not margins or margins[-1] != margin_of(count.votes):
            return None
        return min(margins), max(margins)
    votes, margins = list(before), []
    for did, amount in zip(dids[start:], amounts[start:]):
        if did >= 0:
            votes[did] += amount
        margins.append(margin_of(votes))
    if not margins or votes != list(count.votes):
        return None
    return min(margins), max(margins)


def recent_calls(count: Count) -> tuple[int, tuple[int, ...]]:
    """The recent trend: the ballots of the latest calls as they stand, at least TREND_BALLOTS of
    them, and each choice's votes among them; (0, ()) until ballots were handled before those.

    Read from the count's own tables (`Count.entries`), newest first: a retracted call is not
    in them, a corrected one is as corrected. (It was read from the timeline's samples, which
    the flood path takes once per run of events: the window started wherever a run had ended,
    "#2,239–2,343: YES 43 %" on one machine, "#2,244–2,343: YES 45 %" on a faster one.)
    """
    dids, amounts = count.entries
    votes = [0] * len(count.votes)
    recent, seq = 0, len(dids) - 1
    while seq > 0 and recent < TREND_BALLOTS:
        did = dids[seq]
        if did >= _CHALLENGED:  # a call (a choice, void, challenged); not a retracted one, nor another entry
            recent += amounts[seq]
            if did >= 0:
                votes[did] += amounts[seq]
        seq -= 1
    if recent < TREND_BALLOTS or count.opened + count.challenged <= recent:
        return 0, ()
    return recent, tuple(votes)


def point_of(count: Count, at: datetime | None, low: int | None = None, high: int | None = None) -> Point:
    margin = margin_of(count.votes)
    return Point(count.last_seq, count.opened + count.challenged, tuple(count.votes), count.void,
                 count.challenged, count.remaining, at,
                 margin if low is None else min(low, margin), margin if high is None else max(high, margin))


def describe(event: Event, yes_no: bool) -> TickerLine:
    """One ticker line for an event of a count whose ballot is (or is not) yes/no."""
    if isinstance(event, Ballot):
        name = _choice_name(event.choice, yes_no)
        text = name if event.count == 1 else Words("{n} × {name} (pile)", n=event.count, name=name)
        return TickerLine(event.seq, "ballot", text)
    if isinstance(event, Challenged):
        if event.count == 1:
            return TickerLine(event.seq, "challenged", Words("CHALLENGED, set aside"))
        return TickerLine(event.seq, "challenged", Words("{n} CHALLENGED, set aside", n=event.count))
    if isinstance(event, Retract):
        return TickerLine(event.seq, "retract", Words("RETRACTED entry {entry}", entry=event.target))
    if isinstance(event, Note):
        return TickerLine(event.seq, "note", Words("note: {text}", text=event.text))
    if isinstance(event, Close):
        return TickerLine(event.seq, "close", Words("COUNT CLOSED"))
    if isinstance(event, (Checkpoint, Correct, Adjust)):
        return _amendment_line(event, yes_no)
    assert isinstance(event, Election)
    return TickerLine(event.seq, "election", Words("count opened: {title}", title=event.title))


def _amendment_line(event: Checkpoint | Correct | Adjust, yes_no: bool) -> TickerLine:
    """The ticker's line for the Board's figures, a correction in place, an adjustment (issue 18)."""
    def name(choice: str) -> str:
        return _choice_name(choice, yes_no)

    if isinstance(event, Checkpoint):  # the agent's words when given (the figures are compared elsewhere)
        if event.text:
            return TickerLine(event.seq, "checkpoint", Words("BOARD: {text}", text=event.text))
        figures = [Words("{name} {n:,}", name=name(c), n=n) for c, n in event.votes.items()]
        figures += [Words("{name} {n:,}", name=Words(k), n=n)
                    for k, n in ((N_("void"), event.void), (N_("challenged"), event.challenged)) if n is not None]
        return TickerLine(event.seq, "checkpoint", Words("BOARD: {figures}", figures=joined(figures)))
    if isinstance(event, Correct):
        return TickerLine(event.seq, "correct", Words("CORRECTED entry {entry}: {name}", entry=event.target,
                                                      name=name(event.choice)))
    return TickerLine(event.seq, "adjust", Words("ADJUSTED to the Board's figures of entry {entry}",
                                                 entry=event.checkpoint))


def ballot_label(line: TickerLine) -> str:
    """'#21', or '#21–45' for a pile; '' for what is not a call."""
    if line.last is None or line.first is None:
        return ""
    if line.first >= line.last:
        return "#" + number(line.last)
    return f"#{number(line.first)}–{number(line.last)}"


def ballot_words(line: TickerLine) -> Words | None:
    """`ballot_label` as `Words`, to be said again in a reader's language (1,000 or 1.000)."""
    if line.last is None or line.first is None:
        return None
    if line.first >= line.last:
        return Words("#{n:,}", n=line.last)
    return Words("#{first:,}–{last:,}", first=line.first, last=line.last)


class Timeline:
    """A bounded record of the count through time, and of the latest events.

    Told of every event (`record`) or of each run of events (`record_run`, the
    flood path: one call per chart point or per slice of time, not per ballot).
    """

    def __init__(self, points: int = CHART_POINTS, lines: int = TICKER_LINES) -> None:
        self._points = points
        self.points: list[Point] = []
        self.stride = 1  # ballots handled between two kept points
        self.next_at = 0  # ballots handled at which the chart keeps its next point
        self.samples: deque[Point] = deque(maxlen=SAMPLES)
        self.last_at: datetime | None = None  # the stamp of the latest event that had one
        self._low: int | None = None  # the margin's extremes since the last kept point
        self._high: int | None = None
        self._looked = (0, ())  # entries (seqs) taken into the extremes, and the votes after them
        self._undone = 0  # retractions already corrected for
        self._corrected = 0  # corrections (and corrections taken back) already corrected for
        self._correction_seqs: set[int] = set()  # the seqs of corrections seen: a second is a take-back
        self._labels: dict[int, str] = {}  # a corrected call's ballot numbers, by its seq (they never change)
        # (event or error line, ballots handled after it, or None when only a later one is known)
        self._recent: deque[tuple[Event | TickerLine, int | None]] = deque(maxlen=lines)

    # -- being told ----------------------------------------------------------
    def record(self, event: Event, count: Count, at: datetime | None = None) -> None:
        """One event, just applied to `count`; `at` stands in for an event without a stamp."""
        handled = count.opened + count.challenged
        self._recent.append((event, handled))
        self._look(count, event.at or at)

    def record_run(self, events: Sequence[Event], count: Count) -> None:
        """Events applied back to back since the last record: the same as `record`
        for each, when the run ends no later than `next_at` ballots handled (so the
        chart misses no point) — the caller's loop then needs no call per event."""
        if not events:
            return
        self.recall(events, count.opened + count.challenged)
        self._look(count, as_event(events[-1]).at)

    def recall(self, events: Sequence[Event], handled: int) -> None:
        """Events already counted, newest last, `handled` ballots after the last: for the ticker only.

        The hub numbers a row's last calls this way from the events it keeps,
        when the row is made, rather than keep a timeline per election.
        """
        if not events:
            return
        recent = self._recent
        recent.extend(zip(events, repeat(None)))  # a replay's flood keeps plain events (dicts)
        recent[-1] = (as_event(events[-1]), handled)

    def error(self, seq: int, text: str) -> None:
        self._recent.append((TickerLine(seq, "error", text), None))

    def _look(self, count: Count, at: datetime | None) -> None:
        corrected = len(count.undone) > self._undone or len(count.corrections) > self._corrected
        if corrected:
            self._correct(count)
        if at is not None:
            self.last_at = at
        margin = margin_of(count.votes)
        seen, before = self._looked
        run = None if corrected or not before else run_extremes(count, seen, before)
        low, high = run or (margin, margin)  # the margins inside a run of events, not only its last
        self._looked = (len(count.entries[0]), tuple(count.votes))
        self._low = low if self._low is None else min(self._low, low)
        self._high = high if self._high is None else max(self._high, high)
        samples = self.samples
        if not samples or samples[-1].seq != count.last_seq:
            samples.append(point_of(count, self.last_at))
        if count.opened + count.challenged >= self.next_at:
            self._keep(count)

    def _keep(self, count: Count) -> None:
        points = self.points
        points.append(point_of(count, self.last_at, self._low, self._high))
        self._low = self._high = None
        if len(points) >= self._points:
            self.points = _thin(points)
            self.stride *= 2
        self.next_at = count.opened + count.challenged + self.stride

    def _correct(self, count: Count) -> None:
        """Take every new retraction out of the history recorded since its entry, and move every
        newly corrected call's ballots to the choice it was, in the order they were entered."""
        # A retraction changes the ballots handled (points at the same count collapse into one);
        # a correction never does, so a point kept at a note or a checkpoint stays.
        changes = [(u.seq, partial(_without, undone=u), _collapse) for u in count.undone[self._undone:]]
        amounts = count.entries[1]
        for seq, target, before, after in count.corrections[self._corrected:]:
            # A correction taken back (only while it is the latest entry, so by the entry right
            # after it) is listed again under its own seq: the points until then move back.
            end = seq + 1 if seq in self._correction_seqs else seq
            self._correction_seqs.add(seq)
            move = Moved(target, end, before, after, amounts[target], len(count.votes))
            changes.append((end, partial(_moved, move=move), list))
        for _, change, tidy in sorted(changes, key=lambda c: c[0]):
            self.points = tidy([change(p) for p in self.points])
            self.samples = deque(tidy([change(p) for p in self.samples]), maxlen=SAMPLES)
        self._undone = len(count.undone)
        self._corrected = len(count.corrections)
        self._low = self._high = None  # the stretch since the last point: from the corrected count on
        self.next_at = self.points[-1].handled + self.stride if self.points else 0

    # -- reading -------------------------------------------------------------
    def chart(self, count: Count) -> tuple[Point, ...]:
        """The kept points and the count as it stands now (the chart's newest column)."""
        now = point_of(count, self.last_at, self._low, self._high)
        points = self.points
        if points and points[-1].handled >= now.handled:  # nothing handled since (a note, a retraction)
            return (*points[:-1], *_collapse([points[-1], now]))
        return (*points, now)

    def pace(self, count: Count) -> Pace:
        """The last call's time, ballots a minute lately, and the last TREND_BALLOTS ballots' votes."""
        samples = self.samples
        per_minute = None
        stamped = [p for p in samples if p.at is not None]
        if stamped:
            newest = stamped[-1]
            since = newest.at.timestamp() - PACE_WINDOW
            oldest = next(p for p in stamped if p.at.timestamp() >= since)
            seconds = (newest.at - oldest.at).total_seconds()
            if seconds >= PACE_LEAST and newest.handled > oldest.handled:
                per_minute = (newest.handled - oldest.handled) * 60 / seconds
        recent, votes = recent_calls(count)
        return Pace(self.last_at, per_minute, recent, votes)

    def ticker(self, yes_no: bool, count: Count | None = None) -> tuple[TickerLine, ...]:
        """The latest lines, oldest first, worded for a ballot that is (or is not) yes/no.

        Calls carry their ballot numbers: the ballots handled after a call is
        its number (a pile, the range it covers). A retraction names what it
        took back when that entry is still in view.
        """
        undone = {u.seq: u.amount for u in count.undone} if count is not None else {}
        adjusted = _Adjusted(count)
        numbered: list[tuple[Event | TickerLine, int | None]] = []
        after: int | None = None
        for item, handled in reversed(self._recent):
            if isinstance(item, TickerLine):
                numbered.append((item, None))
                continue
            item = as_event(item)
            if handled is not None:
                after = handled
            numbered.append((item, after))
            if after is not None:
                after -= _adds(item, undone, adjusted)
        numbered.reverse()
        lines: list[TickerLine] = []
        said: dict[int, TickerLine] = {}
        for item, after in numbered:
            if isinstance(item, TickerLine):
                lines.append(item)
                continue
            line = describe(item, yes_no)
            if line.kind in ("ballot", "challenged") and after is not None:
                line = TickerLine(line.seq, line.kind, line.text, after - item.count + 1, after)
            elif isinstance(item, Retract):
                target = said.get(item.target)
                if target is not None:
                    what = ballot_words(target) or Words("entry {entry}", entry=item.target)
                    line = replace(line, text=Words("RETRACTED {what}: {call}", what=what, call=target.text))
            elif isinstance(item, Correct) and count is not None:
                line = replace(line, text=self._correction_text(item, count, yes_no))
            said[item.seq] = line
            lines.append(line)
        return tuple(lines)


    def _correction_text(self, event: Correct, count: Count, yes_no: bool) -> str:
        """'CORRECTED #413: NO (was YES)': the call by its ballot numbers, as the ticker showed it."""
        label = self._labels.get(event.target)
        if label is None:
            label = self._labels[event.target] = target_label(count, event.target, LABEL_WALK)
        was = next((_slot_name(count, before, yes_no) for seq, _, before, _ in count.corrections
                    if seq == event.seq), None)
        if was is None:
            return Words("CORRECTED {label}: {name}", label=label, name=_choice_name(event.choice, yes_no))
        return Words("CORRECTED {label}: {name} (was {was})", label=label, name=_choice_name(event.choice, yes_no),
                     was=was)


class _Adjusted:
    """What each standing adjustment added to the ballots handled, looked up only when asked
    (it takes a snapshot; almost no count has an adjustment)."""

    def __init__(self, count: Count | None) -> None:
        self.count = count
        self._by_seq: dict[int, int] | None = None

    def get(self, seq: int) -> int:
        if self._by_seq is None:
            count = self.count
            adjustments = count.snapshot().adjustments if count is not None and count.election else ()
            self._by_seq = {a.seq: sum(a.change) for a in adjustments}
        return self._by_seq.get(seq, 0)


def _adds(event: Event, undone: dict[int, int], adjusted: _Adjusted | None = None) -> int:
    """Ballots an event added to those handled (a retraction: minus what it took back; an
    adjustment that stands: what it added, void and challenged included, or took off)."""
    cls = event.__class__
    if cls is Ballot or cls is Challenged:
        return event.count
    if cls is Retract:
        return -undone.get(event.seq, 0)
    if cls is Adjust and adjusted is not None:
        return adjusted.get(event.seq)
    return 0


# -- ballot numbers ---------------------------------------------------------------------

CALL_LEAST = -2
"""`Count.entries`: an entry whose did is at least this is a call standing (-1 void, -2 challenged)."""


class NoSuchCall(ValueError):
    """A ballot number that names no call standing: said on the entry line, nothing journaled."""


def numbers_back(count: Count) -> Iterator[tuple[int, int, int, bool | None]]:
    """Every entry, newest first: (seq, ballots handled just after it was entered, what it added,
    True for a call standing, False for a call since retracted, None for what is not a call).

    The ticker's rule (`Timeline.ticker`, `_adds`), read from the count's tables
    rather than its last events: walking back from the ballots handled now, a
    call added its ballots, a retraction took some away, a standing adjustment
    added (or took off) the difference it made. A retracted adjustment and its
    retraction are next to each other and cancel out.
    """
    dids, amounts = count.entries
    taken_back = {u.seq: u.amount for u in count.undone}
    retracted_calls = {u.target for u in count.undone}
    adjusted = _Adjusted(count)
    after = count.handled
    for seq in range(count.last_seq, 0, -1):
        did = dids[seq]
        if did >= CALL_LEAST:
            adds, call = amounts[seq], True
        elif seq in retracted_calls:
            adds, call = amounts[seq], False
        elif seq in taken_back:
            adds, call = -taken_back[seq], None
        else:
            adds, call = adjusted.get(seq), None
        yield seq, after, adds, call
        after -= adds



def ballot_call(count: Count, ballot: int) -> int:
    """The seq of the call standing that ballot number `ballot` names, as the ticker numbers calls.

    A pile's whole range names it ("#400–424": any of 400 … 424). Numbers can
    repeat: a call retracted with `u` leaves its number to the next call, and
    an adjustment that took ballots off leaves them to later ones; the latest
    call standing with that number is meant, since that is the one the ticker
    shows. Raises NoSuchCall, in words for the entry line: no such ballot yet,
    a call since retracted, or a number an adjustment added (not a call).
    """
    if ballot < 1:
        raise NoSuchCall("ballot numbers start at #1")
    retracted = None
    for seq, after, adds, call in numbers_back(count):
        if call is not None and after - adds < ballot <= after:
            if call:
                return seq
            retracted = seq if retracted is None else retracted
    if retracted is not None:
        raise NoSuchCall(f"ballot #{ballot:,} was retracted (entry {retracted}): nothing to correct")
    if ballot > count.handled:
        raise NoSuchCall(f"no ballot #{ballot:,} yet: {count.handled:,} handled so far")
    raise NoSuchCall(f"ballot #{ballot:,} is not a call (an adjustment to the Board's figures added it)")


LABEL_WALK = 100_000
"""Entries a ticker walks back, at most, to number a corrected call (about 30 ms): the hub makes a
fresh timeline for each row it sends, and a correction far back in a huge count is named by entry."""


def target_label(count: Count, target: int, most: int | None = None) -> str:
    """'#413', '#400–424' for a pile: entry `target`'s ballot numbers, as the ticker showed them
    ('entry N' when it is more than `most` entries back)."""
    if most is not None and count.last_seq - target > most:
        return Words("entry {entry}", entry=target)
    for seq, after, adds, _ in numbers_back(count):
        if seq == target:
            return ballot_words(TickerLine(seq, "ballot", "", after - adds + 1, after)) or ""
    return Words("entry {entry}", entry=target)


TICKER_NAMES = {"yes": N_("YES"), "no": N_("NO"), "void": N_("VOID"), "challenged": N_("CHALLENGED")}
"""A yes/no ballot's choices, void and challenged as the ticker says them (a union's name is its own)."""


def _choice_name(choice: str, yes_no: bool) -> str:
    if (yes_no or choice in ("void", "challenged")) and choice in TICKER_NAMES:
        return Words(TICKER_NAMES[choice])
    return choice.upper() if yes_no or choice == "void" else choice


def _slot_name(count: Count, slot: int, yes_no: bool) -> str:
    """A slot's name in the ticker (`Count.slot`): a choice, then void, then challenged."""
    choices = count.election.choices
    return _choice_name(choices[slot] if slot < len(choices) else ("void", "challenged")[slot - len(choices)],
                        yes_no)


@dataclass(frozen=True, slots=True)
class Moved:
    """A correction as the chart applies it: entry `target`'s `amount` ballots were called `before`
    and are `after` (slots, `Count.slot`), in every point from the target to `end`."""

    target: int
    end: int
    before: int
    after: int
    amount: int
    choices: int


def _moved(p: Point, move: Moved) -> Point:
    """A point as it would have been had the call been right (unchanged outside the stretch)."""
    if not move.target <= p.seq < move.end:
        return p
    figures = [*p.votes, p.void, p.challenged]
    figures[move.before] -= move.amount
    figures[move.after] += move.amount
    k = move.choices
    votes = tuple(figures[:k])
    shift = margin_of(votes) - p.margin
    return replace(p, votes=votes, void=figures[k], challenged=figures[k + 1],
                   low=p.low + shift, high=p.high + shift)


def _without(p: Point, undone: Undone) -> Point:
    """A point as it would have been without the retracted entry (unchanged if taken before it)."""
    if not undone.target <= p.seq < undone.seq:  # taken before the entry, or from the corrected count
        return p
    votes = list(p.votes)
    if undone.choice is not None:
        votes[undone.choice] -= undone.amount
    shift = margin_of(votes) - p.margin
    challenged = undone.challenged
    remaining = None if p.remaining is None else p.remaining + undone.amount
    return Point(p.seq, p.handled - undone.amount, tuple(votes), p.void - undone.void,
                 p.challenged - challenged, remaining, p.at, p.low + shift, p.high + shift)


def _collapse(points: Iterable[Point]) -> list[Point]:
    """Points in order with the ballots handled rising: of two at the same count, the later."""
    kept: list[Point] = []
    for p in points:
        if kept and p.handled <= kept[-1].handled:
            gone = kept.pop()
            p = replace(p, low=min(p.low, gone.low), high=max(p.high, gone.high))
        kept.append(p)
    return kept


def _thin(points: list[Point]) -> list[Point]:
    """Every other point, keeping the newest; a dropped point's extremes go to the next one kept."""
    kept: list[Point] = []
    low = high = None
    for i, p in enumerate(points):
        if (len(points) - 1 - i) % 2:
            low = p.low if low is None else min(low, p.low)
            high = p.high if high is None else max(high, p.high)
            continue
        if low is not None:
            p = replace(p, low=min(p.low, low), high=max(p.high, high))
            low = high = None
        kept.append(p)
    return kept
