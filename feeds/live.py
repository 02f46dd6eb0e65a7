"""A count being fed live: the reducer, its timeline, and what went wrong, for readers.

Feeds (a replay, the keyboard, the network) apply events here as they come;
readers (the dashboard) take a frozen `View` when they are ready to draw, and
use `version` to know whether anything changed since the last one. Nothing is
pushed per event: that is how a screen keeps up with a million ballots.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from dataclasses import dataclass, replace
from typing import Callable

from feeds.files import Cursor, Problem
from feeds.needle import Needle, state_key
from tally.odds import odds as exact_odds
from tally.present import WORKING, Presentation, present
from tally.reducer import Count, RuleError, Snapshot
from tally.schema import Event, as_event
from tally.verify import CheckResult
from tally.timeline import TICKER_LINES, Pace, Point, TickerLine, Timeline

ERRORS_KEPT = 20


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the feed is doing, in words for the header: counting, paused, complete …"""

    state: str = "loading"
    detail: str = ""
    speed: float | None = None
    since: datetime | None = None  # a watcher out of touch: when its numbers were last known current
    waiting: int = 0  # a publishing counter: entries the hub does not have yet


@dataclass(frozen=True, slots=True)
class View:
    """Everything the dashboard draws, frozen at one moment."""

    snapshot: Snapshot | None
    points: tuple[Point, ...]  # the count through time, bounded: the charts' columns
    margin_range: tuple[int, int]  # over the whole count so far, the current margin included
    pace: Pace
    ticker: tuple[TickerLine, ...]
    errors: tuple[str, ...]
    refused: int
    feed: FeedState
    version: int
    needle: Needle | None = None  # worked out by the screen, off its thread (feeds/needle.py)
    presentation: Presentation | None = None  # what a face shows of it, in words (`presented`)
    checks: tuple[CheckResult, ...] = ()  # the hub's check counters against this count (issue 18)
    ours: str | None = None  # how the Board's figures name this count's: OURS_COUNTER on a counter's screen


CHEAP_REMAINING = 5_000
"""Unopened ballots up to which an exact needle (yes/no, deauthorization) is worked out
in the frame itself: O(R), about a millisecond at this size, and remembered per state."""


def cheap_needle(snap: Snapshot) -> bool:
    """Whether the needle for exactly `snap` costs less than a frame can spare.

    A replay at speed changes the numbers every frame, so a needle worked out
    on another thread is always one state behind: without this, the bundled
    LDJ5 replay said "working it out …" from start to end. The exact needle of a
    small yes/no count or poll is cheaper than waiting for it; a simulated one
    (three or more choices) or a large count still goes to the needle's thread.
    """
    return (snap.election.yes_no and snap.remaining is not None
            and snap.remaining <= CHEAP_REMAINING)


def presented(view: View, needle: Needle | None, now: datetime, local_times: bool = False) -> View:
    """The view with its needle and its presentation: what every face lays out, deciding nothing.

    The needle's chances are shown only beside the numbers they were worked
    out for (`Needle.key` is the snapshot's `state_key`): a replay at speed
    moves on while the needle's thread works, and 40.5 % beside numbers whose
    chance is 54.9 % would be a lie. Until the needle catches up the model
    says WORKING ("working it out …"); the chart of the chance through the
    count keeps its points, which never change once worked out.
    """
    snap, feed = view.snapshot, view.feed
    if snap is None:
        return replace(view, needle=needle, presentation=None)
    if needle is not None and needle.key == state_key(snap):
        odds = needle.odds
    elif cheap_needle(snap):
        odds = exact_odds(snap)
    else:
        odds = WORKING
    stale = None if feed.since is None else (now - feed.since).total_seconds()
    model = present(snap, odds, link=feed.state, stale_seconds=stale, calls=view.ticker,
                    most_calls=len(view.ticker), speed=feed.speed, waiting=feed.waiting, pace=view.pace,
                    local_times=local_times, margin_range=view.margin_range, checks=view.checks,
                    ours=view.ours)
    return replace(view, needle=needle, presentation=model)


def readable_check(item: object) -> CheckResult | None:
    """One item of a hub's checks frame as a CheckResult, or None if it is not one (wrong types, a
    disagreement without its ``since``, figures that are not whole numbers ≥ 0, a ``main_heard`` or
    ``check_heard`` that is not true or false)."""
    if not isinstance(item, dict):
        return None
    counter, agree, at, since = (item.get(k) for k in ("counter", "agree", "at", "since"))
    figures = [item.get("main", []), item.get("check", [])]
    if (type(counter) is not str or type(agree) is not bool or type(at) is not int or at < 0
            or not (since is None or type(since) is int) or (not agree and since is None)
            or not all(isinstance(f, list) and all(type(x) is int and x >= 0 for x in f) for f in figures)
            or not all(type(item.get(k, False)) is bool for k in ("main_heard", "check_heard"))):
        return None
    return CheckResult.from_json(item)


class LiveCount:
    """The reducer plus its bounded timeline, fed one event at a time."""

    def __init__(self, source: str = "", clock: Callable[[], datetime] | None = None) -> None:
        self.source = source  # names the feed in error lines: a file's path, a hub's URL
        self.on_feed: Callable[[], None] | None = None
        """Called when the feed's state changes (loaded, paused, ended …): a reader's cue
        to draw at once rather than at its next look."""
        self.clock = clock  # live feeds: stamps an event that came without one (a replay has none)
        self.checks: tuple[CheckResult, ...] = ()
        self.ours: str | None = None
        self.reset()

    def set_checks(self, items: list, ours: str | None = None) -> None:
        """The hub's ``{"checks": [...]}`` items: how each check counter compares with this count.

        An item this version cannot read is left out rather than shown wrong
        (`readable_check`): what a hub sends is input like any other.
        """
        self.checks = tuple(c for c in map(readable_check, items) if c is not None)
        self.ours = ours
        self.version += 1

    def _checks_of(self, count: Count) -> tuple[CheckResult, ...]:
        """The checks whose figures are of this count's slots (each choice, void, challenged), or none given."""
        if count.election is None:
            return ()
        slots = len(count.election.choices) + 2
        return tuple(c for c in self.checks if len(c.main) in (0, slots) and len(c.check) in (0, slots))

    def reset(self) -> None:
        self.count = Count()
        self.timeline = Timeline()
        self.errors: deque[str] = deque(maxlen=ERRORS_KEPT)
        self.refused = 0
        self.feed = FeedState()
        self.version = getattr(self, "version", 0) + 1

    def apply(self, event: Event, line: int = 0) -> bool:
        """Apply an event; a refused one is recorded as an error line, not raised."""
        try:
            self.count.apply(event)
        except RuleError as exc:
            where = f"{self.source}:{line}: " if line else (f"{self.source}: " if self.source else "")
            self.refuse(event.seq, f"{where}{exc}")
            return False
        self.record(event)
        return True

    def record(self, event: Event) -> None:
        """An event already applied to `count` (by a journal that checked it): show it."""
        at = self.clock() if self.clock is not None and event.at is None else None
        self.timeline.record(event, self.count, at)
        self.version += 1

    def apply_until(self, events: Cursor, deadline: float) -> bool:
        """Apply a file's events from `events` on until the clock passes `deadline`; True when
        none are left.

        The flood path of a replay: the same as `apply` and `problem` per item,
        but a run of the file's events at a time (`Count.apply_run`, which
        takes the fast path's plain events), up to the chart's next point, and
        the timeline told once per run (`Timeline.record_run`).
        """
        count, timeline = self.count, self.timeline
        apply_run, clock = count.apply_run, time.perf_counter
        run: deque = deque(maxlen=TICKER_LINES)  # the ticker's latest, plain or models
        try:
            while True:
                items, i = events.items, events.index
                if i >= len(items):
                    if not events.advance():
                        return True
                    continue
                if items[i].__class__ is Problem:
                    timeline.record_run(run, count)  # what came before the bad one, in order
                    run.clear()
                    self.problem(items[i])
                    events.index = i + 1
                    continue
                try:
                    j = apply_run(items, i, timeline.next_at)  # stops at the chart's next point
                except RuleError as exc:
                    j = exc.index
                    run.extend(items[max(i, j - TICKER_LINES):j])
                    timeline.record_run(run, count)
                    run.clear()
                    events.index = j + 1
                    self.apply(as_event(items[j]), events.first + j)  # refused again, and said
                    continue
                run.extend(items[max(i, j - TICKER_LINES):j])
                events.index = j
                if count.handled >= timeline.next_at:
                    timeline.record_run(run, count)
                    run.clear()
                if clock() > deadline:
                    return False
        finally:
            timeline.record_run(run, count)
            self.version += 1

    def problem(self, problem: Problem) -> None:
        """A line that is not an event at all: shown, and its place in the count skipped."""
        self.refuse(self.count.last_seq + 1, str(problem))

    def refuse(self, seq: int, why: str) -> None:
        """Show why an event was not applied; a replay then goes on past its seq."""
        self.warn(seq, why)
        self.count.skip(seq)

    def warn(self, seq: int, why: str) -> None:
        """Show a problem on the error line and in the ticker, changing nothing in the count."""
        self.errors.append(why)
        self.refused += 1
        self.timeline.error(seq, why)
        self.version += 1

    def set_feed(self, state: str, detail: str = "", speed: float | None = None,
                 since: datetime | None = None, waiting: int = 0) -> None:
        feed = FeedState(state, detail, speed, since, waiting)
        changed, self.feed = feed != self.feed, feed
        self.version += 1
        if changed and self.on_feed is not None:
            self.on_feed()

    def view(self) -> View:
        count, timeline = self.count, self.timeline
        started = count.election is not None
        points = timeline.chart(count) if started else ()
        return View(
            snapshot=count.snapshot() if started else None,
            points=points,
            margin_range=(min(p.low for p in points), max(p.high for p in points)) if points else (0, 0),
            pace=timeline.pace(count),
            ticker=timeline.ticker(not started or count.election.yes_no, count),
            errors=tuple(self.errors),
            refused=self.refused,
            feed=self.feed,
            version=self.version,
            checks=self._checks_of(count),
            ours=self.ours,
        )
