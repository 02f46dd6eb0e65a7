"""What a count looked like over time, in bounded memory: the margin and the ticker.

A dashboard shows the running margin as a chart and the last ballots called as
a ticker. Both must stay the same size whether the count has 1,000 ballots or
1,000,000, so the margin is kept at a stride that doubles whenever the chart is
full (every other point is dropped), and the ticker keeps only its last lines.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable
from dataclasses import dataclass

from tally.reducer import Count
from tally.schema import Ballot, Challenged, Close, Election, Event, Note, Retract, as_event

CHART_POINTS = 256
TICKER_LINES = 50


@dataclass(frozen=True, slots=True)
class TickerLine:
    seq: int
    kind: str  # ballot, challenged, retract, note, close, election, error
    text: str


def margin_of(count: Count) -> int:
    """The margin the chart follows: yes − no, or the leader's lead on a multi-choice ballot."""
    votes = count.votes
    if len(votes) == 2:
        return votes[0] - votes[1]
    first, second = sorted(votes, reverse=True)[:2]
    return first - second


def describe(event: Event, yes_no: bool) -> TickerLine:
    """One ticker line for an event of a count whose ballot is (or is not) yes/no."""
    if isinstance(event, Ballot):
        name = event.choice.upper() if yes_no or event.choice == "void" else event.choice
        text = name if event.count == 1 else f"{event.count} × {name} (pile)"
        return TickerLine(event.seq, "ballot", text)
    if isinstance(event, Challenged):
        many = "" if event.count == 1 else f"{event.count} "
        return TickerLine(event.seq, "challenged", f"{many}CHALLENGED, set aside")
    if isinstance(event, Retract):
        return TickerLine(event.seq, "retract", f"RETRACTED #{event.target}")
    if isinstance(event, Note):
        return TickerLine(event.seq, "note", f"note: {event.text}")
    if isinstance(event, Close):
        return TickerLine(event.seq, "close", "COUNT CLOSED")
    assert isinstance(event, Election)
    return TickerLine(event.seq, "election", f"count opened: {event.title}")


class Timeline:
    """A bounded record of the margin through the count, and of the latest events.

    The ticker keeps the events themselves and words them only when drawn: a
    replay at full speed records far more lines than anyone reads.
    """

    def __init__(self, points: int = CHART_POINTS, lines: int = TICKER_LINES) -> None:
        self._points = points
        self.margins: list[int] = []
        self.low = self.high = 0  # over every kept point, also those thinned out since
        self.stride = 1  # ballots handled between two kept points
        self.next_at = 0  # ballots handled at which the chart keeps its next point
        self._recent: deque[Event | TickerLine] = deque(maxlen=lines)

    def record(self, event: Event, count: Count) -> None:
        self._recent.append(event)
        if event.__class__ is Retract:
            self._replace_last(count)
        elif count.opened + count.challenged >= self.next_at:
            self._keep(count)

    def record_run(self, events: Iterable[Event], count: Count) -> None:
        """Events applied back to back since the last record: the same as `record`
        for each, when the run ends no later than `next_at` ballots handled (so the
        chart misses no point) — the caller's loop then needs no call per event."""
        self._recent.extend(events)
        if count.handled >= self.next_at:
            self._keep(count)
        elif any(event.__class__ is Retract for event in events):
            self._replace_last(count)

    def error(self, seq: int, text: str) -> None:
        self._recent.append(TickerLine(seq, "error", text))

    def ticker(self, yes_no: bool) -> tuple[TickerLine, ...]:
        """The latest lines, oldest first, worded for a ballot that is (or is not) yes/no.

        A retraction says what it took back when that entry is still in view.
        """
        recent = [as_event(item) for item in self._recent]  # a replay's flood keeps plain events
        events = {item.seq: item for item in recent if not isinstance(item, TickerLine)}
        lines = []
        for item in recent:
            if isinstance(item, TickerLine):
                lines.append(item)
                continue
            line = describe(item, yes_no)
            target = events.get(item.target) if isinstance(item, Retract) else None
            if target is not None:
                line = TickerLine(line.seq, line.kind, f"{line.text}: {describe(target, yes_no).text}")
            lines.append(line)
        return tuple(lines)

    def _keep(self, count: Count) -> None:
        margin = margin_of(count)
        self.low, self.high = min(self.low, margin), max(self.high, margin)
        self.margins.append(margin)
        if len(self.margins) >= self._points:
            self.margins = self.margins[::2]
            self.stride *= 2
        self.next_at = count.handled + self.stride

    def _replace_last(self, count: Count) -> None:
        """A retraction corrects the count now, so the latest point shows the correction."""
        if self.margins:
            self.margins[-1] = margin_of(count)
