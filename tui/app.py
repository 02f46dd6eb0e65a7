"""The count dashboard: a Textual app that draws a LiveCount at most once a frame.

Feeds (replay, keyboard, network) change the LiveCount as fast as they like; a
timer here looks at its version each frame and, if it moved, redraws every
widget from one frozen View inside `batch_update()`. The screen never hears
about single ballots, so a million of them cannot starve it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from feeds.live import LiveCount
from tally.report import summary_line
from feeds.replay import Replay
from tui.widgets.banner import OutcomeBanner
from tui.widgets.choices import ChoiceRows
from tui.widgets.header import CountHeader
from tui.widgets.history import MarginChart, Ticker
from tui.widgets.problems import ProblemLine
from tui.widgets.stats import Margin, Needed, Piles, Remaining, Turnout

FRAME = 1 / 10  # seconds between looks at the count: at most 10 redraws a second
DRAW_SHARE = 0.05  # under a flood of events, drawing may take at most this share of the time
MAX_FRAME_GAP = 0.5  # ... but the screen is never left stale for longer than this


class Dashboard(App[str]):
    """The broadcast view of one count, fed by whatever feeds `live`."""

    CSS_PATH = Path(__file__).with_name("tally.tcss")
    TITLE = "tally"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, live: LiveCount) -> None:
        super().__init__()
        self.live = live
        self._drawn = -1
        self._next_frame = 0.0
        self._measure = False  # the first frame lays out the whole screen: not a fair cost

    def compose(self) -> ComposeResult:
        yield CountHeader(id="header")
        yield OutcomeBanner(id="banner")
        yield ChoiceRows(id="choices")
        yield ProblemLine(id="problem")
        with Horizontal(id="lower"):
            with Vertical(id="stats"):
                yield Margin(id="margin")
                yield Remaining(id="remaining")
                yield Needed(id="needed")
                yield Piles(id="piles")
                yield Turnout(id="turnout")
                yield MarginChart(id="chart")
            yield Ticker(id="ticker")
        yield Footer()

    def on_mount(self) -> None:
        # Every widget that draws part of the count says so with a show_view method.
        self._readers = [w for w in self.screen.walk_children() if hasattr(w, "show_view")]
        self.live.on_feed = self._feed_changed
        self.set_interval(FRAME, self.draw)
        self.draw()

    def _feed_changed(self) -> None:
        """The feed changed state (ready, paused, at its end …): drawn at once, not at the
        next tick or after the frame budget; queued, so that whatever the feed is doing
        (applying the header, sending an entry to a hub) finishes first."""
        asyncio.get_running_loop().call_soon(self._draw_now)

    def _draw_now(self) -> None:
        if self.is_running:
            self.draw(now=True)

    def draw(self, now: bool = False) -> None:
        """Redraw from the latest View, if the count moved since the last frame.

        A frame's cost (our updates plus Textual's repaint) is measured, and
        the next frame waits long enough that drawing takes at most DRAW_SHARE
        of the time: a flood of a million ballots then gets most of the CPU,
        while a count at human pace is drawn 10 times a second. `now` skips
        the wait, for an entry typed by a person who is looking at the screen.
        """
        if self.live.version == self._drawn:
            return
        if not now and time.monotonic() < self._next_frame:
            return
        started = time.monotonic()
        view = self.live.view()
        self._drawn = view.version
        with self.batch_update():
            for widget in self._readers:
                widget.show_view(view)
        if self._measure:
            self.call_after_refresh(self._frame_drawn, started)
        self._measure = True

    def _frame_drawn(self, started: float) -> None:
        cost = time.monotonic() - started
        self._next_frame = time.monotonic() + min(cost * (1 / DRAW_SHARE - 1), MAX_FRAME_GAP)

    def on_resize(self) -> None:
        self._drawn = -1  # the ticker shows as many lines as fit
        self._measure = False  # a frame after a resize lays out everything: not a fair cost

    def action_quit(self) -> None:
        """Quit, handing the count's summary line to the command line to print.

        The feed is stopped first: a flood of events would otherwise take its
        share of every turn of the event loop while the app shuts down.
        """
        self.workers.cancel_all()
        count = self.live.count
        self.exit(summary_line(count.snapshot()) if count.election is not None else None)


class ReplayDashboard(Dashboard):
    """The dashboard with a replay's keys: pause, speed, step, end, restart."""

    BINDINGS = [
        Binding("space", "pause", "Pause/Resume"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+"),
        Binding("minus", "slower", "Slower", key_display="−"),
        Binding("right", "step", "Step", key_display="→"),
        Binding("end", "to_end", "End"),
        Binding("home", "restart", "Restart"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, replay: Replay) -> None:
        super().__init__(replay.live)
        self.replay = replay

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here,
        # or the base's frame timer would run twice.
        self.run_worker(self.replay.run(), name="replay", exclusive=True)

    def action_pause(self) -> None:
        self.replay.toggle_pause()

    def action_faster(self) -> None:
        self.replay.faster()

    def action_slower(self) -> None:
        self.replay.slower()

    def action_step(self) -> None:
        self.replay.step()

    def action_to_end(self) -> None:
        self.replay.to_end()

    def action_restart(self) -> None:
        self.replay.restart()
