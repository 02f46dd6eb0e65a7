"""`tally watch`: the dashboard, read-only, fed live from a hub; and the election picker.

The Watcher (feeds/watcher.py) delivers every event once, in order, through
any outage; this screen applies them to its LiveCount and shows the link's
state in the header. Drawing stays coalesced: a catch-up of thousands of events
after a reconnect is one or two frames, not thousands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from feeds.link import HubError, Link
from feeds.live import LiveCount
from feeds.watcher import Watcher, list_elections
from tally.present import face_words, stale_shown
from tally.schema import Close
from tally.text import literal
from tui.app import Dashboard

def link_words(link: Link, closed: bool = False) -> tuple[str, str]:
    """The header's state and detail for a watcher's link (LIVE only while the count is open)."""
    if link.state == "live":
        return ("final", face_words("closed")) if closed else ("live", face_words("following"))
    if link.state == "connecting":
        return "reconnecting", face_words("connecting")
    if link.state == "waiting":
        return "waiting", f"{link.detail or face_words('not_yet_on_hub')} · {face_words('attempt', n=link.attempt)}"
    if link.state == "reconnecting":
        why = f": {link.detail}" if link.detail else ""
        return "reconnecting", f"{face_words('attempt', n=link.attempt)}{why} · {face_words('showing_seq', seq=link.seq)}"
    return "offline", f"{link.state}: {link.detail}" if link.detail else link.state


class WatchDashboard(Dashboard):
    """A count on a hub, read-only. Nothing here can change the count.

    While the link is down the numbers are dimmed and "last update 40 s ago"
    counts up (a 1 s timer, only while disconnected): stale numbers must never
    pass for current ones.
    """

    BINDINGS = [Binding("q", "quit", "Quit")]
    LOCAL_TIMES = True
    STALE_TICK = 1.0

    def __init__(self, url: str, watcher: Watcher | None = None, shots=None) -> None:
        super().__init__(LiveCount(source=url, clock=lambda: self.now()), shots)
        self.watcher = watcher or Watcher(url)
        self.watcher.on_link = self.linked
        self.watcher.on_checks = self.live.set_checks  # the verification line (issue 18)
        self.since: datetime | None = None  # out of touch: the numbers were current until then
        self._stale_timer: Timer | None = None

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here,
        # or the base's frame timer would run twice.
        self.linked(self.watcher.link)
        self.run_worker(self.follow(), name="watch", exclusive=True)

    async def follow(self) -> None:
        async for event in self.watcher.events():
            self.live.apply(event)
            if isinstance(event, Close):
                self.linked(self.watcher.link)  # LIVE becomes FINAL

    def linked(self, link: Link) -> None:
        connected = link.state == "live"
        if connected:
            self.since = None
        elif self.since is None and self.live.count.election is not None and stale_shown(self.live.count.closed):
            self.since = self.now()  # what is on screen was current until now
        self.live.set_feed(*link_words(link, self.live.count.closed), since=self.since)
        if self.since is not None and self._stale_timer is None:
            self._stale_timer = self.set_interval(self.STALE_TICK, self.redraw)
        elif self.since is None and self._stale_timer is not None:
            self._stale_timer.stop()
            self._stale_timer = None

    def action_quit(self) -> None:
        self.watcher.close()
        super().action_quit()


def election_label(election: dict[str, Any]) -> Content:
    """One election of the hub's list, literally (its title is somebody's text).

    Its state is the hub's words for it (``result``, tally's result line), never
    the rules' key (``outcome``: "no_majority" is a name in the code, not words).
    """
    votes = " · ".join(f"{v:,} {c}" for c, v in (election.get("totals") or {}).items())
    result = str(election.get("result") or "")
    return Content(literal(
        f"{election.get('id')}  {election.get('title', '')}  —  seq {election.get('last', 0)}"
        f"{'  ·  ' + votes if votes else ''}{'  ·  ' + result if result else ''}"))


def picker_heading(hub: str, trouble: str = "") -> Content:
    if trouble:
        return Content(literal(face_words("pick_trouble", hub=hub, trouble=trouble)))
    return Content(literal(face_words("pick", hub=hub)))


class PickElection(App[str]):
    """The hub's elections, to choose the one to watch (Enter); the list keeps itself current."""

    CSS = "OptionList { height: 1fr; } Label { padding: 1 2; }"
    BINDINGS = [Binding("q,escape", "quit", "Quit")]
    REFRESH = 2.0  # seconds between asking the hub for its list again

    def __init__(self, hub: str, elections: list[dict[str, Any]]) -> None:
        super().__init__()
        self.hub = hub
        self.elections = elections

    def compose(self) -> ComposeResult:
        yield Label(picker_heading(self.hub))
        yield OptionList(*[Option(election_label(e), id=e["id"]) for e in self.elections])
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(self.REFRESH, self.refresh_list)

    @work(exclusive=True)
    async def refresh_list(self) -> None:
        """Ask the hub again; keep the highlighted election highlighted."""
        try:
            elections = await list_elections(self.hub)
        except HubError as exc:
            self.query_one(Label).update(picker_heading(self.hub, str(exc)))
            return
        self.query_one(Label).update(picker_heading(self.hub))
        options = self.query_one(OptionList)
        current = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        options.add_options([Option(election_label(e), id=e["id"]) for e in elections])
        ids = [e["id"] for e in elections]
        options.highlighted = ids.index(current) if current in ids else (0 if ids else None)

    def on_option_list_option_selected(self, selected: OptionList.OptionSelected) -> None:
        self.exit(selected.option.id)
