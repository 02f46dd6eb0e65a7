"""The top of the screen: what is being counted, and what the feed is doing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content

from feeds.live import FeedState, View
from tally.text import literal
from tui.widgets.readout import Readout

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
    "final": "■ FINAL",
}
RECONSTRUCTED = "(ballot order reconstructed)"
"""The bundled replays say so in their titles; the header shows it as its own mark, never cut off."""


def split_title(title: str) -> tuple[str, str]:
    """The title without the reconstruction disclaimer, and the disclaimer's mark ('' if none)."""
    if title.rstrip().endswith(RECONSTRUCTED):
        return title.rstrip()[: -len(RECONSTRUCTED)].rstrip(" ,–—-"), "⚠ ballot order reconstructed"
    return title, ""


def speed_words(speed: float) -> str:
    """2,000× rather than 2e+03×; 0.25× and 1.5× keep their decimals."""
    return f"{speed:,.0f}×" if speed >= 10 else f"{speed:.3g}×"


def feed_lines(feed: FeedState) -> tuple[str, str]:
    """The state's mark (with the speed), and its detail on a line of its own."""
    mark = STATE_MARKS.get(feed.state, feed.state.upper())
    speed = f" {speed_words(feed.speed)}" if feed.speed and feed.state in ("counting", "break", "paused") else ""
    return f"{mark}{speed}", feed.detail


class CountTitle(Readout):
    """The election's title."""

    def show_view(self, view: View) -> None:
        snap = view.snapshot
        self.say(split_title(snap.election.title)[0] if snap else "waiting for the election header …")


class CountPlace(Readout):
    """The reconstruction mark first (it must never be cut), then union, location and office."""

    def show_view(self, view: View) -> None:
        if view.snapshot is None:
            return
        e = view.snapshot.election
        union = e.union if e.yes_no and e.union else " / ".join(e.choices)
        place = " · ".join(p for p in (union, e.location, e.office) if p)
        mark = split_title(e.title)[1]
        if mark:
            self.say(Content.assemble((mark, "bold $text-warning"), " · ", literal(place)))
        else:
            self.say(place)


class FeedStatus(Vertical):
    """Counting, paused, on a break, complete, live or reconnecting: the mark, then the detail.

    Two lines that never wrap: the mark is short, the detail is cut with an
    ellipsis when the terminal is narrow.
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        # Made with the widget: a feed may report before Textual has mounted the lines.
        self.mark = Readout(classes="feed-mark")
        self.detail = Readout(classes="feed-detail")

    def compose(self) -> ComposeResult:
        yield self.mark
        yield self.detail

    def show_view(self, view: View) -> None:
        mark, detail = feed_lines(view.feed)
        self.mark.say(mark)
        self.detail.say(detail)
        for state in STATE_MARKS:
            self.set_class(view.feed.state == state, f"-{state}")


class CountHeader(Horizontal):
    """Title and place on the left, the feed's state on the right."""

    def compose(self) -> ComposeResult:
        with Vertical(id="titles"):
            yield CountTitle(id="title")
            yield CountPlace(id="place")
        yield FeedStatus(id="feed-status")
