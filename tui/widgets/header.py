"""The top of the screen: what is being counted, and what the feed is doing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from tui.widgets.readout import Readout
from feeds.live import FeedState, View

STATE_MARKS = {
    "loading": "… LOADING",
    "counting": "▶ COUNTING",
    "paused": "❚❚ PAUSED",
    "break": "◷ BREAK",
    "complete": "■ COMPLETE",
    "ended": "■ END OF RECORDING",
    "live": "● LIVE",
    "reconnecting": "↻ RECONNECTING",
    "waiting": "◌ WAITING",
    "offline": "○ OFFLINE",
    "conflict": "✖ HUB CONFLICT",
}


def speed_words(speed: float) -> str:
    """2,000× rather than 2e+03×; 0.25× and 1.5× keep their decimals."""
    return f"{speed:,.0f}×" if speed >= 10 else f"{speed:.3g}×"


def feed_words(feed: FeedState) -> str:
    mark = STATE_MARKS.get(feed.state, feed.state.upper())
    speed = f" {speed_words(feed.speed)}" if feed.speed and feed.state in ("counting", "break", "paused") else ""
    detail = f" · {feed.detail}" if feed.detail else ""
    return f"{mark}{speed}{detail}"


class CountTitle(Readout):
    """The election's title."""

    def show_view(self, view: View) -> None:
        snap = view.snapshot
        self.say(snap.election.title if snap else "waiting for the election header …")


class CountPlace(Readout):
    """Union, location and office of the count."""

    def show_view(self, view: View) -> None:
        if view.snapshot is None:
            return
        e = view.snapshot.election
        union = e.union if e.yes_no and e.union else " / ".join(e.choices)
        self.say(" · ".join(p for p in (union, e.location, e.office) if p))


class FeedStatus(Readout):
    """Counting, paused, on a break, complete, live or reconnecting."""

    def show_view(self, view: View) -> None:
        self.say(feed_words(view.feed))
        for state in STATE_MARKS:
            self.set_class(view.feed.state == state, f"-{state}")


class CountHeader(Horizontal):
    """Title and place on the left, the feed's state on the right."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="titles"):
            yield CountTitle(id="title")
            yield CountPlace(id="place")
        yield FeedStatus(id="feed-status")
