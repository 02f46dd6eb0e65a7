"""The broadcast view (key b): the outcome, the counts in digits that fill the screen, the needle.

For a projector or a television across the room: nothing but what a room
asks ("who is ahead, by how much, can it still change, how likely", whose
count it is, what was called last). It is a screen pushed over the dashboard
and fed the same View every frame by the app's frame timer, so it costs
nothing while it is not shown. It lays out the count's presentation
(`tally.present`) and decides nothing.

Read at a glance: each side's name sits right above its digits (the digits
are only as tall as they are drawn, and the name, digits and share are
centred together), and a rule stands between the sides, so "15 17" never
reads "1517".
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from feeds.live import View
from tally.present import ChoiceLine
from tui.widgets.banner import OutcomeBanner
from tui.widgets.big_number import BigNumber
from tui.widgets.freshness import Freshness
from tui.widgets.needle import NeedleDial
from tui.widgets.readout import Readout
from tui.widgets.stats import Margin, Needed
from tui.widgets.verification import VerificationLine


class BigCount(Vertical):
    """One choice: its name, right above its count as large as fits, and its share right below."""

    def __init__(self, role: str) -> None:
        super().__init__(classes=f"big-count -{role}")
        self.name_line = Readout(classes="big-name")
        self.number = BigNumber(beside=2, classes="big-digits")  # the name and the share
        self.share = Readout(classes="big-share")

    def compose(self) -> ComposeResult:
        yield self.name_line
        yield self.number
        yield self.share

    def show_choice(self, choice: ChoiceLine, fit: str) -> None:
        self.name_line.say(("▶ " if choice.leading else "") + choice.name)
        self.number.fit = fit  # every count at the scale of the longest
        self.number.value = choice.votes_text
        self.share.say(choice.share_words)
        self.set_class(choice.leading, "-leading")


class BigCounts(Horizontal):
    """The choices side by side, a rule between them, made when the election header arrives."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is None:
            return
        counts = list(self.query(BigCount))
        if len(counts) != len(model.choices):
            self.remove_children()
            counts = [BigCount(c.role) for c in model.choices]
            self.mount_all(counts)
        fit = max((c.votes_text for c in model.choices), key=len)
        for count, choice in zip(counts, model.choices):
            count.show_choice(choice, fit)


class BigTitle(Readout):
    """Where the count stands (● LIVE, ■ FINAL, ❚❚ PAUSED …: first, so a long title never cuts it),
    whose count it is: the union (or the choices), and the election."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is not None:
            self.say(f"{model.link_mark} · {model.union_words} · {model.heading}")


class LastCall(Readout):
    """The last ballot called, with its number."""

    def show_view(self, view: View) -> None:
        if view.presentation is not None:
            self.say(view.presentation.last_call)


class BroadcastScreen(Screen):
    """The dashboard for a room: b (or escape) goes back."""

    # Its own rules, read when it is first shown (`broadcast_screen`): a dashboard's first frame
    # does not parse them.
    CSS_PATH = Path(__file__).with_name("broadcast.tcss")
    BINDINGS = [Binding("escape", "app.broadcast", "Back", show=False)]

    def compose(self) -> ComposeResult:
        yield BigTitle(id="big-title")
        yield OutcomeBanner(id="banner")
        yield BigCounts(id="big-counts")
        with Vertical(id="big-stats"):
            yield Margin(id="margin")
            yield Needed(id="needed")
            yield Freshness(id="freshness", classes="-stale-only")
        yield NeedleDial(id="needle")
        yield LastCall(id="big-last-call")
        yield VerificationLine(id="big-verification")


def broadcast_screen(app: App) -> BroadcastScreen:
    """A broadcast view to push on `app`, its stylesheet (CSS_PATH) added to the app's first.

    Textual reads a screen's CSS_PATH when the screen is pushed, and then parses every
    source of the app again and restyles every node (`App._load_screen_css`): ~50 ms on
    the first b. Added here, only the new file is parsed (the others' rules are cached by
    their text), and nothing on screen needs restyling: its rules match only the
    broadcast view's own nodes, which are styled as they mount. Textual then finds the
    source already read and does nothing more.
    """
    path = os.path.abspath(BroadcastScreen.CSS_PATH)  # as Textual names a source it read
    if not app.stylesheet.has_source(path):
        app.stylesheet.read(path)
        app.stylesheet.parse()
    return BroadcastScreen()
