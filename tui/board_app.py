"""`tally board`: many counts at once, one line each; Enter opens one on the full dashboard.

Two sources, one screen (feeds/board.py): a hub's ``/board`` stream (one
WebSocket for every election), or recorded files replayed in step with the
replay keys. The board reads the summaries a few times a second, never per
event. Enter pushes a `CountScreen` — the dashboard's own widgets, drawn from
that count's LiveCount (a file's, or a Watcher's on the hub) — and Escape
comes back: the board's feed goes on underneath.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from feeds.board import BoardFollower, BoardReplay, LiveBoard
from feeds.link import Link
from feeds.live import FeedState, LiveCount, View, presented
from feeds.watcher import Watcher
from tally.lang import N_
from tally.present import face_words
from tally.schema import Close
from tally.text import literal
from tui.app import FRAME, Dashboard, NeedleWork, ReplayKeys, Screenshots, replay_bindings, shot_name, utc_now
from tui.watch_app import link_words
from tui.widgets.board import BoardHeading, BoardRows, board_words, columns, heading_line
from tui.widgets.header import feed_lines
from tui.widgets.keys import KeyFooter

BOARD_FRAME = 0.25
"""Seconds between looks at the summaries: a row is redrawn at most 4 times a second."""


class CountScreen(NeedleWork, Screen[None]):
    """One count on the full dashboard, over the board; Escape goes back.

    It is composed of the dashboard's own widgets (`Dashboard.compose`, which
    uses nothing of the app it is written for), draws them from ``live``
    once a frame, and works out their needle, as the dashboard does (the
    same `NeedleWork`). On a hub, ``watcher`` feeds ``live`` and is closed
    when the screen is.
    """

    BINDINGS = [Binding("escape", "back", N_("Back to the board"))]

    def __init__(self, live: LiveCount, watcher: Watcher | None = None) -> None:
        super().__init__()
        self.live = live
        self.watcher = watcher
        self._drawn = -1
        self._view: View | None = None
        self._needle_init()

    def compose(self) -> ComposeResult:
        yield from Dashboard.compose(self)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self._readers = [w for w in self.walk_children() if hasattr(w, "show_view")]
        self.set_interval(FRAME, self.draw)
        if self.watcher is not None:
            self.watcher.on_link = self.linked
            self.linked(self.watcher.link)
            self.run_worker(self._follow(), name="watch", exclusive=True)
        self.call_after_refresh(self.draw)  # once the widgets' own parts are mounted

    def linked(self, link: Link) -> None:
        self.live.set_feed(*link_words(link, self.live.count.closed))

    async def _follow(self) -> None:
        async for event in self.watcher.events():
            self.live.apply(event)
            if isinstance(event, Close):
                self.linked(self.watcher.link)  # LIVE becomes FINAL

    def draw(self) -> None:
        if self.live.version != self._drawn:
            self._view = self.live.view()
            self._drawn = self._view.version
            self._moved_at = time.monotonic()
            self.redraw()
        self._start_needle()

    def redraw(self) -> None:
        """The widgets lay out the model of the view drawn last, with the needle at hand."""
        if self._view is None:
            return
        # A count followed on a hub is live: the viewer's clock, as `tally watch` shows it; a
        # replayed board's count is a recording: its own clock, as `tally replay` shows it.
        view = presented(self._view, self.needle, self.app.now(), local_times=self.watcher is not None)
        with self.app.batch_update():
            for widget in self._readers:
                widget.show_view(view)

    def on_resize(self) -> None:
        self._drawn = -1  # the ticker shows as many lines as fit

    def action_back(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        self.dismiss()


class Board(Screenshots, App[None]):
    """Every election of a source, one line each, in a stable order."""

    CSS_PATH = Dashboard.CSS_PATH  # the dashboard's, for CountScreen
    CSS = """
    #board-status { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    #board-heading { height: 1; }
    #board-rows { height: 1fr; border: none; padding: 0; }
    #board-rows:focus { border: none; }
    /* The cursor's row: never a colour a row draws with (the default blue cursor hid $primary,
       a choice's bar and COUNTING's word), and a shade further from the row's colours than the
       other rows': darker on a dark theme, lighter on a light one. */
    #board-rows > .option-list--option-highlighted,
    #board-rows:focus > .option-list--option-highlighted {
        color: $foreground; background: $background; text-style: bold;
    }
    #board-rows:light > .option-list--option-highlighted,
    #board-rows:light:focus > .option-list--option-highlighted { background: $background-lighten-2; }
    """
    TITLE = "tally board"
    HORIZONTAL_BREAKPOINTS = Dashboard.HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS = Dashboard.VERTICAL_BREAKPOINTS
    BINDINGS = [Binding("s", "save_shot", "SVG"), Binding("q", "quit", "Quit")]

    def __init__(self, source: LiveBoard | BoardFollower, where: str, shots: Path | str | None = None) -> None:
        super().__init__()
        self.shots = Path(shots) if shots is not None else Path.cwd()
        self.source = source
        self.where = where
        self._drawn = -1
        self.now = utc_now  # the clock a count's freshness line reads (CountScreen's widgets)

    def compose(self) -> ComposeResult:
        # Kept, not queried: App.query_one looks at the screen on top, which may be a count.
        self.status = Static(id="board-status")
        self.heading = BoardHeading(id="board-heading")
        self.board_rows = BoardRows(id="board-rows")
        yield self.status
        yield self.heading
        yield self.board_rows
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_interval(BOARD_FRAME, self.draw)
        self.board_rows.focus()
        self.draw()

    def feed(self) -> FeedState:
        raise NotImplementedError

    def draw(self) -> None:
        if self.source.version == self._drawn:
            return
        self._drawn = self.source.version
        rows = self.source.rows()
        board = self.board_rows
        total = board.scrollable_content_region.width or board.size.width or 80
        with self.batch_update():
            self.status.update(Content(literal(board_words(rows, self.where, ' · '.join(filter(None, feed_lines(self.feed())))))))
            cols = columns(rows, total)
            self.heading.update(heading_line(cols))
            board.show(rows, cols)

    def on_resize(self) -> None:
        self._drawn = -1

    def shot_name(self) -> str:
        """A count's picture is named as the dashboard names it; the board's 'tally-board.svg'."""
        if isinstance(self.screen, CountScreen):
            return shot_name(self.screen._view)
        return "tally-board.svg"

    def on_option_list_option_selected(self, selected: BoardRows.OptionSelected) -> None:
        if selected.option.id is not None:
            self.open(selected.option.id)

    def open(self, election_id: str) -> None:
        raise NotImplementedError

    def action_open_highlighted(self) -> None:
        if self.screen is self.board_rows.screen:
            self.board_rows.action_select()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Open is for the board, not for a count open over it."""
        if action == "open_highlighted" and self.screen is not self.board_rows.screen:
            return False
        return True


class ReplayBoard(ReplayKeys, Board):
    """Recorded counts replayed together, in step by their `at` stamps, with the replay keys."""

    # The list would take enter, end and home (select, last row, first row): these come first.
    BINDINGS = [Binding("enter", "open_highlighted", N_("Open"), priority=True), *replay_bindings(priority=True)]

    def __init__(self, replay: BoardReplay, where: str = "", shots: Path | str | None = None) -> None:
        super().__init__(replay.board, where or f"{len(replay.board.paths)} recorded counts", shots)
        self.replay = replay

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here.
        self.run_worker(self.replay.run(), name="replay", exclusive=True)

    def feed(self) -> FeedState:
        return self.replay.board.feed

    def open(self, election_id: str) -> None:
        live = self.replay.board.live_of(election_id)
        if live is not None:
            self.push_screen(CountScreen(live))

    def action_quit(self) -> None:
        self.workers.cancel_all()
        self.exit(None)


class HubBoard(Board):
    """Every election on a hub, from its ``/board`` stream (one WebSocket for all)."""

    BINDINGS = [Binding("enter", "open_highlighted", N_("Open"), priority=True),
                Binding("q", "quit", "Quit", priority=True)]

    def __init__(self, follower: BoardFollower, watcher_options: dict[str, Any] | None = None) -> None:
        super().__init__(follower, follower.hub)
        self.follower = follower
        self.watcher_options = watcher_options or {}

    def on_mount(self) -> None:
        self.run_worker(self.follower.run(), name="board", exclusive=True)

    def feed(self) -> FeedState:
        link: Link = self.follower.link
        if link.state == "live" and not self.follower.ready:
            return FeedState("loading", face_words("hub_sending"))
        state, detail = link_words(link)
        if link.state == "reconnecting":
            detail = face_words("attempt", n=link.attempt) + (f": {link.detail}" if link.detail else "")
        return FeedState(state, detail)

    def open(self, election_id: str) -> None:
        url = f"{self.follower.hub}/elections/{election_id}"
        self.push_screen(CountScreen(LiveCount(source=url), Watcher(url, **self.watcher_options)))

    def action_quit(self) -> None:
        self.workers.cancel_all()
        self.exit(None)
