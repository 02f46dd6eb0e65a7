"""The broadcast view (key b): the outcome, the counts in digits that fill the screen, the needle.

For a projector or a television across the room: nothing but what a room
asks ("who is ahead, by how much, can it still change, how likely"). It is a
screen pushed over the dashboard and fed the same View every frame by the
app's frame timer, so it costs nothing while it is not shown.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from feeds.live import View
from tally.reducer import Snapshot
from tui.widgets.banner import OutcomeBanner
from tui.widgets.big_number import BigNumber
from tui.widgets.choices import colours
from tui.widgets.freshness import Freshness
from tui.widgets.needle import NeedleDial
from tui.widgets.readout import Readout
from tui.widgets.stats import Margin, Needed
from tui.widgets.words import choice_name, percent


class BigCount(Vertical):
    """One choice: its name, its count as large as fits, its share."""

    def __init__(self, index: int, colour: str) -> None:
        super().__init__(classes=f"big-count -{colour}")
        self.index = index
        self.name_line = Readout(classes="big-name")
        self.number = BigNumber(classes="big-digits")
        self.share = Readout(classes="big-share")

    def compose(self) -> ComposeResult:
        yield self.name_line
        yield self.number
        yield self.share

    def show_choice(self, snap: Snapshot) -> None:
        i = self.index
        leading = snap.leader == i
        self.name_line.say(("▶ " if leading else "") + choice_name(snap, i))
        self.number.fit = f"{max(snap.votes):,}"  # every count at the scale of the longest
        self.number.value = f"{snap.votes[i]:,}"
        self.share.say(f"{percent(snap.votes[i], snap.valid)} of valid votes")
        self.set_class(leading, "-leading")


class BigCounts(Horizontal):
    """The choices side by side, made when the election header arrives."""

    def show_view(self, view: View) -> None:
        snap = view.snapshot
        if snap is None:
            return
        counts = list(self.query(BigCount))
        if len(counts) != len(snap.choices):
            self.remove_children()
            counts = [BigCount(i, c) for i, c in enumerate(colours(snap))]
            self.mount_all(counts)
        for count in counts:
            count.show_choice(snap)


class BroadcastScreen(Screen):
    """The dashboard for a room: b (or escape) goes back."""

    BINDINGS = [Binding("escape", "app.broadcast", "Back", show=False)]

    def compose(self) -> ComposeResult:
        yield OutcomeBanner(id="banner")
        yield BigCounts(id="big-counts")
        with Vertical(id="big-stats"):
            yield Margin(id="margin")
            yield Needed(id="needed")
            yield Freshness(id="freshness", classes="-stale-only")
        yield NeedleDial(id="needle")
