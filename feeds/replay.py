"""Replaying a recorded count at the pace it happened, faster, or as fast as it reads.

The pace follows the events' `at` stamps divided by the speed. A gap that would
still be long on screen (a lunch break, JFK8's night) is shortened to a short
pause and shown as a pause with its real length, so nobody sits through a
night. `Replay.run` is the asynchronous worker; the dashboard's keys call its
controls (pause, speed, step, end, restart) from the same event loop.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from itertools import pairwise
from typing import Any, Iterator

import os

from feeds.files import Cursor, Problem
from feeds.live import LiveCount
from tally.lang import t
from tally.present import face_words
from tally.schema import Event

FIT_SECONDS = 60.0  # the auto speed plays a whole count in about a minute
LONG_WAIT = 2.0  # a long gap that would wait longer than this on screen is cut to it
LONG_GAP = 60.0  # count-time seconds: a gap this long is a pause in the count, not a call
NO_STAMP = 5.0  # count-time seconds between events that have no `at`
SPEEDS = (0.25, 100_000.0)
SLICE = 0.001  # at full speed, give the screen the loop back this often (seconds)
SMALL_FILE = 1 << 20  # bytes: read for its pace in a few ms, in the loop itself


@dataclass(frozen=True, slots=True)
class Wait:
    seconds: float
    pause: str = ""  # the real length, when the wait was shortened


def count_seconds(before: datetime | None, after: datetime | None) -> float:
    """Count time between two events; a fixed call pace when either has no stamp."""
    if before is None or after is None:
        return NO_STAMP
    return max(0.0, (after - before).total_seconds())


def wait_for(gap: float, speed: float) -> Wait:
    """How long the screen waits for a gap of `gap` count-seconds at `speed`.

    A pause in the count (a gap of LONG_GAP or more) that would wait longer
    than LONG_WAIT is cut to it, and said: 17 hours of night are worth knowing
    about, not worth watching. Ordinary gaps between calls always take their
    time divided by the speed, however slow the speed.
    """
    seconds = gap / speed
    if seconds <= LONG_WAIT or gap < LONG_GAP:
        return Wait(seconds)
    return Wait(LONG_WAIT, pause=human_duration(gap))


def human_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def gaps_of(path: Path) -> list[float]:
    """The count-time gaps between a file's events, in order."""
    stamps = [item.get("at") if item.__class__ is dict else item.at
              for _, items in _runs_of(path) for item in items if item.__class__ is not Problem]
    return [count_seconds(a, b) for a, b in pairwise(stamps)]


def _runs_of(path: Path):
    cursor = Cursor(path)
    while cursor.advance():
        yield cursor.first, cursor.items


def fit_speed(gaps: list[float], seconds: float = FIT_SECONDS) -> float:
    """The speed at which the whole count takes about `seconds` on screen.

    Screen time falls as speed rises (long gaps count as a LONG_WAIT pause
    whatever the speed), so the speed is found by bisection on a log scale.
    A huge file is sampled: the fit only needs to be about right.
    """
    step = max(1, len(gaps) // 20_000)
    sample = gaps[::step]
    # wait_for(g, speed).seconds is g / speed, or at most LONG_WAIT for a gap of
    # LONG_GAP or more: the short gaps' share is one division.
    short = sum(g for g in sample if g < LONG_GAP)
    long = [g for g in sample if g >= LONG_GAP]

    def screen_time(speed: float) -> float:
        return step * (short / speed + sum(min(g / speed, LONG_WAIT) for g in long))

    low, high = SPEEDS
    for _ in range(40):
        mid = (low * high) ** 0.5
        if screen_time(mid) > seconds:
            low = mid
        else:
            high = mid
    return high


def clamp(speed: float) -> float:
    return min(max(speed, SPEEDS[0]), SPEEDS[1])


class Replay:
    """Plays an event file into a LiveCount; the dashboard drives it with its keys.

    What it plays and into what are three methods (`_events`, `_gaps`,
    `_reset`, `_closed`): `feeds.board.BoardReplay` plays several files in
    step into several counts with the same pacing and controls.
    """

    def __init__(self, path: Path, live: LiveCount, speed: float | None = None,
                 fast: bool = False, paused: bool = False) -> None:
        self.path = Path(path)
        self.live = live
        self.speed = clamp(speed) if speed else None  # None: fit to a minute, found on start
        self.fast = fast
        self.paused = paused
        self._wake = asyncio.Event()
        self._steps = 0
        self._to_end = False
        self._restart = False
        self.done = False

    # -- controls ------------------------------------------------------------
    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self._poke()

    def faster(self) -> None:
        self._set_speed((self.speed or 1.0) * 2)

    def slower(self) -> None:
        self._set_speed((self.speed or 1.0) / 2)

    def step(self) -> None:
        """One event, while paused."""
        if self.paused:
            self._steps += 1
            self._poke()

    def to_end(self) -> None:
        self._to_end = True
        self._poke()

    def restart(self) -> None:
        self._restart = True
        self._poke()

    def _set_speed(self, speed: float) -> None:
        self.fast = False
        self.speed = clamp(speed)
        self._show()
        self._poke()

    def _poke(self) -> None:
        self._show()
        self._wake.set()

    # -- the worker ----------------------------------------------------------
    async def run(self) -> None:
        """Play the file; after its end, wait for a restart. Runs until cancelled."""
        if self.speed is None and not self.fast:
            self.live.set_feed("loading", "measuring the count's pace")
            if os.path.getsize(self.path) <= SMALL_FILE:  # at once: a thread would only wait
                gaps = self._gaps()                        # for the screen's first frame
            else:
                gaps = await asyncio.to_thread(self._gaps)
            self.speed = fit_speed(gaps)
        while True:
            if self._restart:  # keys pressed before a restart do not carry over
                self._to_end, self._steps = False, 0
            self._restart = self.done = False
            self._reset()
            self._show()
            await self._play()
            if not self._restart:
                self.done = True
                self._show()
                while not self._restart:
                    await self._sleep(None)

    # -- what is played, into what --------------------------------------------
    def _events(self) -> Iterator[tuple[Any, Event | Problem]]:
        """The items to play, each with where it comes from (what `LiveCount.apply` takes as line).

        For one file, a `Cursor`: `LiveCount.apply_until` takes its runs whole.
        """
        return Cursor(self.path)

    def _gaps(self) -> list[float]:
        return gaps_of(self.path)

    def _reset(self) -> None:
        self.live.reset()
        self.live.source = str(self.path)

    def _closed(self) -> bool:
        return self.live.count.closed

    async def _play(self) -> None:
        before: datetime | None = None
        events = self._events()
        for n, item in events:
            if isinstance(item, Problem):
                self.live.problem(item)
                continue
            if before is not None and not (self._to_end or self.fast):
                await self._pace(count_seconds(before, item.at))
            if self._restart:
                return
            before = item.at
            self.live.apply(item, n)
            if self._to_end or self.fast:
                if not await self._flood(events):
                    return

    async def _flood(self, events: Iterator[tuple[Any, Event | Problem]]) -> bool:
        """Apply events as fast as they read, handing the loop back every SLICE seconds.

        The screen draws and keys are read in those gaps, so q works at once
        while a million ballots pour in. False when a restart cut it short.

        Everything alive when the flood starts (the modules, the screen) stays
        alive: it is frozen out of the cycle collector's way first, so that the
        full collections the flood's million short-lived objects set off do not
        walk it again each time (measured: half a second of a million-ballot flood).
        """
        gc.freeze()
        while not self.live.apply_until(events, time.perf_counter() + SLICE):
            await asyncio.sleep(0)
            if self._restart:
                return False
        return True

    async def _pace(self, gap: float) -> None:
        """Wait out one gap, obeying pause, step, speed changes, end and restart."""
        left = gap
        while True:
            if self._restart or self._to_end or self.fast:
                return
            if self.paused:
                if self._steps:
                    self._steps -= 1
                    return
                await self._sleep(None)
                continue
            wait = wait_for(left, self.speed)
            self._show(pause=wait.pause)
            started = time.perf_counter()
            if not await self._sleep(wait.seconds):
                self._show()
                return
            # Woken by a key: keep what is left of the gap, to wait at the new speed.
            spent = (time.perf_counter() - started) / max(wait.seconds, 1e-9)
            left *= max(0.0, 1.0 - spent)

    async def _sleep(self, seconds: float | None) -> bool:
        """Sleep, or return True early when a control wakes the replay."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
            return True
        except TimeoutError:
            return False

    def _show(self, pause: str = "") -> None:
        live = self.live
        closed = self._closed()
        if self.done:
            state = "final" if closed else "ended"
            detail = face_words("closed") if closed else t("the recording stops before close")
        elif self.paused:
            state, detail = "paused", ""
        elif pause:
            state, detail = "break", t("pause in the count: {pause}", pause=pause)
        else:
            state, detail = "counting", t("full speed") if (self.fast or self._to_end) else ""
        live.set_feed(state, detail, None if self.fast else self.speed)
