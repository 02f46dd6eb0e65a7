"""The count dashboard: a Textual app that draws a LiveCount at most once a frame.

Feeds (replay, keyboard, network) change the LiveCount as fast as they like; a
timer here looks at its version each frame and, if it moved, redraws every
widget from one frozen View inside `batch_update()`. The screen never hears
about single ballots, so a million of them cannot starve it.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from feeds.files import Cursor, FeedError
from feeds.live import LiveCount, View, presented
from tally.lang import N_
from tally.timeline import Point
from feeds.needle import HISTORY_BUDGET, Needle, NeedleMaker, has_history, state_key
from tally.report import summary_line
from feeds.replay import Replay
from tui import startup
from tui.widgets.banner import OutcomeBanner
from tui.widgets.choices import ChoiceRows
from tui.widgets.freshness import Freshness
from tui.widgets.header import CountHeader
from tui.widgets.keys import KeyFooter
from tui.widgets.history import MarginChart, Ticker, columns
from tui.widgets.needle import ChanceBars, ChanceChart, NeedleDial
from tui.widgets.problems import ProblemLine
from tui.widgets.verification import VerificationLine
from tui.widgets.stats import Margin, Needed, Piles, Remaining, Turnout

FRAME = 1 / 10  # seconds between looks at the count: at most 10 redraws a second
DRAW_SHARE = 0.05  # under a flood of events, drawing may take at most this share of the time
MAX_FRAME_GAP = 0.5  # ... but the screen is never left stale for longer than this
NEEDLE_SHARE = 0.1  # the needle's thread may work at most this share of the time while the count moves
STILL_SHARE = 0.5  # ... and this share while it is still (filling in the chart of the chance)
STILL_BUDGET = 0.2  # seconds a job may spend on chart points while the count is still
SLOW_NEEDLE = 0.25  # seconds: a needle (or chart point) expected to take longer waits for a still count
WIDE_FOOTER = 100  # columns from which the Footer also shows ^p palette
STILL = 1.0  # seconds without a change: the count is still (not a flood, not mid-catch-up)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


ROLES_CSS = Path(__file__).with_name("roles.tcss")
"""The twelve choices' colours (c0…c11), which only a ballot that is not yes/no shows."""


def yes_no_file(path: Path) -> bool:
    """Whether the event file at `path` counts a yes/no ballot, as its header says; False when
    it cannot tell (not a file, no header), so a dashboard reads every colour as before."""
    cursor = Cursor(path)
    try:
        for _, item in cursor:
            return getattr(item, "type", None) == "election" and item.yes_no
    except FeedError:
        pass
    finally:
        cursor.close()
    return False


def breakpoint_classes(size: int, breakpoints: list[tuple[int, str]]) -> list[str]:
    """The class of the widest breakpoint `size` reaches, as Textual picks it on a resize."""
    reached = [(at, name) for at, name in breakpoints if size >= at]
    return [max(reached)[1]] if reached else []


def shot_name(view: View | None) -> str:
    """'ldj5-ballot-0700.svg': the election and how far its count had got."""
    snap = view.snapshot if view is not None else None
    if snap is None:
        return "tally-no-count.svg"
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", snap.election.id).strip("-.") or "count"
    return f"{slug}-ballot-{snap.handled:04d}.svg"


class NeedleWork:
    """Works out the needle of the count a screen shows, off its thread: the dashboard's, and a
    count's opened from the board (tui/board_app.py), one way.

    The host keeps `_view` (the View drawn last) and `_moved_at` (when the count last moved),
    calls `_start_needle` after each look at the count, and has `redraw()`, which draws
    `_view` again with the needle it now has.
    """

    _view: View | None

    def _needle_init(self) -> None:
        self.needle: Needle | None = None
        self.needle_maker = NeedleMaker()
        self._needle_busy = False
        self._needle_next = 0.0  # monotonic: no needle job starts before it
        self._moved_at = time.monotonic()

    def redraw(self) -> None:
        raise NotImplementedError

    def _start_needle(self) -> None:
        """Work out the needle for the count drawn last, in a thread, when it is worth it.

        One job at a time, for the newest state (latest wins); jobs take at most
        NEEDLE_SHARE of the time, and one expected to be slow (a huge count, a
        simulation) waits until the count has been still for STILL seconds, so
        a flood of ballots is not slowed by needles nobody could read.
        """
        view = self._view
        if view is None or view.snapshot is None or self._needle_busy:
            return
        snap, have = view.snapshot, self.needle
        maker = self.needle_maker
        points = self.needle_points(view)
        if self.needle_done(view, points):
            return
        t = time.monotonic()
        if t < self._needle_next:
            return
        still = t - self._moved_at >= STILL
        if (have is None or have.key != state_key(snap)) and maker.cost(snap) > SLOW_NEEDLE and not still:
            return
        if have is not None and have.key == state_key(snap) and not still:
            return  # only chart points are missing: they wait for a still count
        self._needle_busy = True
        self._needle_started = t
        self._needle_still = still
        budget = STILL_BUDGET if still else HISTORY_BUDGET
        job = partial(maker.make, snap, points, budget=budget, slow=SLOW_NEEDLE, known=have)
        self.run_worker(job, name="needle", group="needle", thread=True, exit_on_error=False)

    def needle_points(self, view: View) -> list[Point]:
        """The points the chart of the chance draws: one a column; none for a count that has
        no such chart (a deauthorization poll, a multi-choice ballot), or the needle would
        be worked out again and again for points nobody draws."""
        if view.snapshot is None or not has_history(view.snapshot):
            return []
        width = max((bars.size.width for bars in self.query(ChanceBars)), default=0) or 100
        return columns(view.points, width)

    def needle_done(self, view: View, points: list[Point] | None = None) -> bool:
        """The needle shown is for this view's count, with every chart point it can have."""
        have = self.needle
        if view.snapshot is None or have is None or have.key != state_key(view.snapshot):
            return False
        points = self.needle_points(view) if points is None else points
        return not self._needle_busy and not self.needle_maker.missing(points, SLOW_NEEDLE)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "needle" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        self._needle_busy = False
        took = time.monotonic() - self._needle_started
        share = STILL_SHARE if self._needle_still else NEEDLE_SHARE
        self._needle_next = time.monotonic() + min(took * (1 / share - 1), 5.0)
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self.needle = event.worker.result
            self.redraw()


def replay_bindings(priority: bool = False) -> list[Binding]:
    """A replay's keys, the one definition (the dashboard's replay and the board's).

    ``priority``: before the focused widget's own (the board's list takes end and home).
    """
    keys = [("space", "pause", N_("Pause"), None), ("plus,equals_sign", "faster", N_("Faster"), "+"),
            ("minus", "slower", N_("Slower"), "−"), ("right", "step", N_("Step"), "→"),
            ("end", "to_end", N_("End"), None), ("home", "restart", N_("Restart"), None),
            ("q", "quit", N_("Quit"), None)]
    return [Binding(key, action, words, key_display=shown, priority=priority)
            for key, action, words, shown in keys]


class ReplayKeys:
    """The actions of `replay_bindings`, for an app with a `replay` (feeds.replay.Replay)."""

    replay: Replay

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


class Screenshots:
    """`s` and the palette's Screenshot, for any app (the dashboard, the board, a watcher):
    an SVG of the screen shown, in `shots`, named by `shot_name()`; never a toast in it, and a
    toast with the reason when it cannot be saved."""

    shots: Path

    def shot_name(self) -> str:
        raise NotImplementedError

    def action_save_shot(self) -> None:
        """s: an SVG of the screen as it is, named by election and ballot, where --shots says.

        The picture is of the count, never of a toast: the toasts on screen (the
        last shot's "Saved" among them) are cleared first, and the picture taken
        once the screen has been repainted without them.
        """
        self.clear_notifications()
        self.call_after_refresh(self._save_shot)

    def _save_shot(self) -> None:
        name = self.shot_name()
        try:
            self.shots.mkdir(parents=True, exist_ok=True)
            path = self.shots / name
            n = 2
            while path.exists():  # never overwrite an earlier picture
                path = self.shots / f"{Path(name).stem}-{n}.svg"
                n += 1
            saved = self.save_screenshot(path.name, str(self.shots))
        except OSError as exc:
            self.notify(f"Screenshot not saved: {exc.strerror or exc} ({self.shots})", title="Screenshot",
                        severity="error", markup=False)
            return
        self.notify(f"Saved {saved}", title="Screenshot", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's screenshot saves where `s` does (Textual's own wants ~/Downloads)."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                yield SystemCommand("Screenshot", f"Save an SVG of the screen in {self.shots}",
                                    self.action_save_shot)
            else:
                yield command


class FirstFrameScreen(Screen):
    """Textual's default screen, but its first resume does not style it all again.

    Textual restyles every node of a screen when it resumes, for what changed while
    it was covered. The first resume comes just after the app's widgets were mounted,
    and each was styled as it mounted, with the same classes (the breakpoints are on
    before, `Dashboard.get_default_screen`) and the same stylesheet: nothing had been
    covered, so that restyle only repeated the mount's (~20 ms of the first frame,
    docs/PERFORMANCE.md). Later resumes are Textual's, as before.
    """

    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (Textual calls each class's, subclass first).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False


class Dashboard(Screenshots, NeedleWork, App[str]):
    """The dashboard of one count, fed by whatever feeds `live`; b shows its broadcast view."""

    CSS_PATH = [Path(__file__).with_name("tally.tcss"), ROLES_CSS]
    TITLE = "tally"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        Binding("b", "broadcast", N_("Big")),
        Binding("s", "save_shot", "SVG"),
        Binding("q", "quit", N_("Quit")),
    ]
    LOCAL_TIMES = False  # a recording shows the count's own clock; a live count the viewer's

    def __init__(self, live: LiveCount, shots: Path | str | None = None,
                 now: Callable[[], datetime] = utc_now) -> None:
        super().__init__()
        self.live = live
        self.shots = Path(shots) if shots is not None else Path.cwd()
        self.now = now  # the only clock the screen reads: screenshots freeze it
        self._drawn = -1
        self._drawn_size: tuple[int, int] | None = None  # the app's size when the count was last drawn
        self._count_shown = False  # the count's first frame is on the screen
        self._next_frame = 0.0
        self._measure = False  # the first frame lays out the whole screen: not a fair cost
        self._view: View | None = None
        self._readers: dict[Screen, list[Widget]] = {}
        self.choice_roles = True
        """Whether a ballot that is not yes/no may be shown: its bars declare the twelve choices' roles."""
        self._needle_init()
        # The Footer shows keys in binding order: each dashboard's own keys first, these last.
        keys = self._bindings.key_to_bindings
        for key in ("b", "s", "q"):
            if key in keys:
                keys[key] = keys.pop(key)

    def get_default_screen(self) -> Screen:
        """Textual's default screen, with its breakpoint classes (-wide, -tall …) for the
        terminal's size already on: the widgets mounted on it are styled for that size once.

        Textual adds them at the screen's first Resize, after everything was styled and
        laid out without them: the whole screen was styled again before its first full
        frame (docs/PERFORMANCE.md, "Launch to the first full frame"). Later sizes are
        Textual's, as before. Its first resume does not restyle it (`FirstFrameScreen`).
        """
        screen = FirstFrameScreen(id="_default")
        screen.add_class(*breakpoint_classes(self.size.width, self.HORIZONTAL_BREAKPOINTS),
                         *breakpoint_classes(self.size.height, self.VERTICAL_BREAKPOINTS), update=False)
        return screen

    def compose(self) -> ComposeResult:
        yield CountHeader(id="header")
        yield OutcomeBanner(id="banner")
        yield ChoiceRows(id="choices")
        yield ProblemLine(id="problem")
        yield VerificationLine(id="verification")
        roles = getattr(self, "choice_roles", True)  # a count opened from the board: any ballot
        yield NeedleDial(id="needle", choice_roles=roles)
        with Horizontal(id="lower"):
            with Vertical(id="stats"):
                yield Margin(id="margin")
                yield Remaining(id="remaining")
                yield Needed(id="needed")
                yield Piles(id="piles")
                yield Turnout(id="turnout")
                yield Freshness(id="freshness")
                with Vertical(id="charts"):
                    yield MarginChart(id="chart", choice_roles=roles)
                    yield ChanceChart(id="chance")
            yield Ticker(id="ticker")
        # The palette's key from the first frame at a wide size, as on_resize keeps it; never on a
        # count opened from the board (tui/board_app.py composes this on its screen), as before.
        wide = isinstance(self, App) and self.size.width >= WIDE_FOOTER
        yield KeyFooter(compact=True, show_command_palette=wide)

    def on_mount(self) -> None:
        self.live.on_feed = self._feed_changed
        self.set_interval(FRAME, self.draw)
        self.set_timer(startup.STARTED, startup.release)
        # The first draw waits for the feed's first step, queued behind it: a feed started in the
        # same mount (a replay's worker) has applied its header by then, so the first view drawn
        # is the count's, not an empty "loading" one that is drawn and replaced at once
        # (docs/PERFORMANCE.md, "Launch"). A feed with nothing yet is drawn as loading, as before.
        self.queued(self._draw_now)

    def _feed_changed(self) -> None:
        """The feed changed state (ready, paused, at its end …): drawn at once, not at the
        next tick or after the frame budget; queued, so that whatever the feed is doing
        (applying the header, sending an entry to a hub) finishes first."""
        self.queued(self._draw_now)

    def queued(self, callback: Callable[..., object], *args: object) -> None:
        """`callback(*args)` behind whatever the event loop has queued already (`call_soon` keeps
        that order), run as Textual runs its own callbacks (`call_next`).

        A bare loop callback's error is only logged by asyncio: a bug in the first
        draw left the dashboard on screen, frozen, instead of stopping it with the
        crash line and exit 70 (a flaky crash test in CI, whenever the first frame
        was drawn by this path rather than by the frame timer). Through Textual,
        the error stops the app as any other does.
        """
        asyncio.get_running_loop().call_soon(self.call_next, callback, *args)

    def _draw_now(self) -> None:
        if self.is_running:
            self.draw(now=True)

    def readers(self) -> list[Widget]:
        """Every widget of the screen shown that draws part of the count (it has show_view)."""
        screen = self.screen
        if screen not in self._readers:
            readers = [w for w in screen.walk_children() if hasattr(w, "show_view")]
            if not readers:  # not composed yet: look again next frame
                return readers
            self._readers = {s: r for s, r in self._readers.items() if s in self.screen_stack}
            self._readers[screen] = readers
        return self._readers[screen]

    def draw(self, now: bool = False) -> None:
        """Redraw from the latest View, if the count moved since the last frame.

        A frame's cost (our updates plus Textual's repaint) is measured, and
        the next frame waits long enough that drawing takes at most DRAW_SHARE
        of the time: a flood of a million ballots then gets most of the CPU,
        while a count at human pace is drawn 10 times a second. `now` skips
        the wait, for an entry typed by a person who is looking at the screen.
        """
        if self.live.version == self._drawn:
            self._start_needle()
            return
        if not now and time.monotonic() < self._next_frame:
            return
        started = time.monotonic()
        self._moved_at = started
        view = self.live.view()
        self._view = view
        self._drawn = view.version
        self._drawn_size = tuple(self.size)
        self.show(self.framed(view))
        if view.snapshot is not None and not self._count_shown:  # the count's first frame
            self.call_after_refresh(self._first_frame_shown)
        if self._measure:
            self.call_after_refresh(self._frame_drawn, started)
        self._measure = True
        self._start_needle()

    def _first_frame_shown(self) -> None:
        self._count_shown = True
        startup.release()
        self._start_needle()

    def _start_needle(self) -> None:
        """The needle's jobs start once the count's first frame is on the screen: a job's thread
        takes turns at the interpreter with the frame's layout and rendering, which waited for
        it (docs/PERFORMANCE.md, "Launch"). Until then, a small count's frame has its exact
        chance anyway (`feeds.live.cheap_needle`); a large one says it is working it out."""
        if self._count_shown:
            super()._start_needle()

    def framed(self, view: View) -> View:
        """The view with the needle and the one presentation every widget lays out."""
        return presented(view, self.needle, self.now(), self.LOCAL_TIMES)

    def show(self, view: View) -> None:
        """Every reader of the screen shown draws from the one View."""
        if self._exit or not self.screen_stack:  # starting or shutting down: no screen to draw on
            return
        with self.batch_update():
            self.screen.set_class(view.feed.since is not None, "-stale")
            for widget in self.readers():
                try:
                    widget.show_view(view)
                except NoMatches:  # its parts are not mounted yet (a busy start): the next frame draws it
                    self._drawn = -1

    def shot_name(self) -> str:
        return shot_name(self._view)

    def redraw(self) -> None:
        """Draw the latest view again now (a new screen, a needle, the clock of a stale watcher)."""
        if self._view is not None:
            self.show(self.framed(self._view))

    def _frame_drawn(self, started: float) -> None:
        cost = time.monotonic() - started
        self._next_frame = time.monotonic() + min(cost * (1 / DRAW_SHARE - 1), MAX_FRAME_GAP)

    def on_resize(self, event: events.Resize) -> None:
        # Textual sends the size it starts at twice, the second after the first draw: a count
        # drawn at this size is not worked out and drawn again for it (docs/PERFORMANCE.md).
        if tuple(event.size) != self._drawn_size:
            self._drawn = -1  # the ticker shows as many lines as fit
            self._measure = False  # a frame after a resize lays out everything: not a fair cost
        wide = event.size.width >= WIDE_FOOTER
        for footer in self.query(Footer):  # a narrow Footer keeps its room for the dashboard's keys
            if footer.show_command_palette != wide:
                footer.show_command_palette = wide
                footer.refresh(recompose=True)  # the Footer composes its keys once: not on its own

    # -- keys --------------------------------------------------------------------
    def action_broadcast(self) -> None:
        """b: the broadcast view over the dashboard, or back."""
        from tui.broadcast import BroadcastScreen, broadcast_screen  # not needed before b: a shorter start

        if isinstance(self.screen, BroadcastScreen):
            self.pop_screen()
        else:
            self.push_screen(broadcast_screen(self))
        self.call_after_refresh(self.redraw)

    def action_quit(self) -> None:
        """Quit, handing the count's summary line to the command line to print.

        The feed is stopped first: a flood of events would otherwise take its
        share of every turn of the event loop while the app shuts down.
        """
        self.workers.cancel_all()
        count = self.live.count
        self.exit(summary_line(count.snapshot()) if count.election is not None else None)


class ReplayDashboard(ReplayKeys, Dashboard):
    """The dashboard with a replay's keys: pause, speed, step, end, restart."""

    BINDINGS = replay_bindings()

    def __init__(self, replay: Replay, shots: Path | str | None = None) -> None:
        super().__init__(replay.live, shots)
        self.replay = replay
        if yes_no_file(replay.path):  # never shows c0…c11: its first frame parses a third less CSS
            self.css_path = [path for path in self.css_path if path != ROLES_CSS]
            self.choice_roles = False  # ... and styles none of their components

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here,
        # or the base's frame timer would run twice.
        self.run_worker(self.replay.run(), name="replay", exclusive=True)
