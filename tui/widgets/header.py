"""The top of the screen: what is being counted, and what the feed is doing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content

from feeds.live import FeedState, View
from tally.present import LINK_MARKS, NO_HEADER, Presentation, feed_mark
from tally.text import literal
from tui.widgets.readout import Readout


def feed_lines(feed: FeedState, model: Presentation | None = None) -> tuple[str, str]:
    """The state's mark (with the speed, and the entries still to send), and its detail.

    With a count's presentation the mark is the model's (a closed count
    followed live says FINAL); before the header, the feed's own state.
    """
    mark = model.link_mark if model is not None else feed_mark(feed.state, feed.speed, feed.waiting)
    return mark, feed.detail


class CountTitle(Readout):
    """The election's title."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        self.say(model.heading if model else NO_HEADER)


class CountPlace(Readout):
    """The reconstruction mark first (it must never be cut), then union, location and office."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is None:
            return
        if model.reconstructed:
            self.say(Content.assemble((model.reconstructed, "bold $text-warning"), " · ", literal(model.place)))
        else:
            self.say(model.place)


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
        model = view.presentation
        mark, detail = feed_lines(view.feed, model)
        self.mark.say(mark)
        self.detail.say(detail)
        shown = model.link if model is not None else view.feed.state
        # One change of classes, one restyle (a class at a time restyled the lines twice a change).
        self.update_classes({f"-{state}": shown == state for state in LINK_MARKS})


class CountHeader(Horizontal):
    """Title and place on the left, the feed's state on the right."""

    def compose(self) -> ComposeResult:
        with Vertical(id="titles"):
            yield CountTitle(id="title")
            yield CountPlace(id="place")
        yield FeedStatus(id="feed-status")
