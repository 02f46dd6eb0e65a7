"""Helpers for dashboard tests: build a replay app, wait for conditions, read the screen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Static

from feeds.live import LiveCount
from feeds.replay import Replay
from tui.app import ReplayDashboard

ROOT = Path(__file__).resolve().parent.parent


def replay_app(path: str | Path, **kw) -> ReplayDashboard:
    kw.setdefault("paused", True)
    kw.setdefault("speed", 1.0)
    path = Path(path)
    if not path.exists():
        path = ROOT / "replays" / f"{path}.jsonl"
    return ReplayDashboard(Replay(path, LiveCount(), **kw))


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until condition() holds (and one more frame is drawn)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.02)
    while pilot.app._drawn != pilot.app.live.version and loop.time() < deadline:
        await pilot.pause(0.02)  # the next frame shows it
    await pilot.pause()


async def to_end(pilot) -> None:
    await until(pilot, lambda: pilot.app.live.count.election is not None)
    await pilot.press("end")
    await until(pilot, lambda: pilot.app.replay.done)


def text(app, selector: str) -> str:
    """The text a Static (or every Static inside a container) shows."""
    node = app.screen.query_one(selector)
    statics = [node] if isinstance(node, Static) else list(node.query(Static))
    return "\n".join(str(s.visual) for s in statics)


async def needle_ready(pilot, timeout: float = 20.0) -> None:
    """Let the app work out the needle (and its chart) for the count it shows, and draw it."""
    app = pilot.app

    def ready() -> bool:
        return app._view is not None and app.needle_done(app._view)

    await until(pilot, ready, timeout)
    app.redraw()
    await pilot.pause()


class FakeWatcher:
    """A Watcher that delivers some events, then loses its link (for a screen that must say so)."""

    def __init__(self, events, drop: bool = True) -> None:
        from feeds.link import Link

        self.events_list = list(events)
        self.drop = drop
        self.link = Link("connecting", attempt=1, seq=0)
        self.on_link = None
        self.delivered = asyncio.Event()

    async def events(self):
        from feeds.link import Link

        self._report(Link("live", 0, 0))
        for event in self.events_list:
            yield event
        self.delivered.set()
        if self.drop:
            self._report(Link("reconnecting", 3, self.events_list[-1].seq, "connection refused"))
        await asyncio.Event().wait()

    def _report(self, link) -> None:
        self.link = link
        if self.on_link is not None:
            self.on_link(link)

    def close(self) -> None:
        pass


def frozen_count_clock(monkeypatch, here, now) -> None:
    """A count screen that reads no wall clock: run in ``here`` (the entry line shows the journal's
    path), times in UTC, entries stamped ``now``. The caller restores TZ with time.tzset() after."""
    import time

    monkeypatch.chdir(here)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("tui.count_app.now", lambda: now)
