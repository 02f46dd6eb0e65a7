"""One row per choice: its name, its count in large digits, a live bar, plain digits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits

from tui.widgets.readout import Readout
from feeds.live import View
from tally.reducer import Snapshot
from tui.widgets.words import choice_name, percent

EIGHTHS = " ▏▎▍▌▋▊▉"


def bar_cells(votes: int, scale: int, width: int) -> tuple[int, int]:
    """Full cells and the eighths of the next one, for `votes` out of `scale` in `width` cells."""
    if scale <= 0 or width <= 0:
        return 0, 0
    eighths = min(width * 8, votes * width * 8 // scale)
    return divmod(eighths, 8)


class VoteBar(Widget):
    """A horizontal bar of one choice's votes, with a marker at the majority line.

    The bar's full width is every vote still possible (valid + challenged +
    unopened), and the marker sits at half of it: a bar past the marker has
    clinched (V > others + C + R is the same as 2V > valid + C + R).
    """

    COMPONENT_CLASSES = {"votebar--fill", "votebar--empty", "votebar--marker"}
    votes: reactive[int] = reactive(0)
    scale: reactive[int] = reactive(0)

    def render(self) -> Text:
        width = self.size.width
        full, part = bar_cells(self.votes, self.scale, width)
        cells = "█" * full + (EIGHTHS[part] if part else "")
        filled = len(cells)
        cells += "─" * max(0, width - filled)
        styles = {name: self.get_component_rich_style(f"votebar--{name}")
                  for name in ("fill", "empty", "marker")}
        line = width // 2 if self.scale else -1
        text = Text(no_wrap=True, overflow="crop")
        for i, cell in enumerate(cells[:width]):
            if i == line:
                text.append("┃", styles["marker"])
            else:
                text.append(cell, styles["fill" if i < filled else "empty"])
        return text


class ChoiceCount(Readout):
    """The count as plain digits and its share of valid votes (for copying and screen readers)."""


class ChoiceRow(Horizontal):
    """Everything about one choice, on one row.

    Its parts are made with the row, so the row can be shown a count before
    Textual has finished mounting it (a replay does not wait for the screen).
    """

    def __init__(self, index: int, colour: str) -> None:
        super().__init__(classes=f"choice-row -{colour}")
        self.index = index
        self.name_line = Readout(classes="choice-name")
        self.digits = Digits("0", classes="choice-digits")
        self.bar = VoteBar(classes="choice-bar")
        self.plain = ChoiceCount(classes="choice-count")

    def compose(self) -> ComposeResult:
        yield self.name_line
        yield self.digits
        with Vertical(classes="bar-box"):
            yield self.bar
        yield self.plain

    def show_choice(self, snap: Snapshot) -> None:
        i = self.index
        votes = snap.votes[i]
        leading = snap.leader == i
        self.name_line.say(("▶ " if leading else "  ") + choice_name(snap, i))
        self.digits.update(str(votes))
        self.bar.votes = votes
        self.bar.scale = snap.at_stake if snap.at_stake is not None else snap.valid_plus_challenged
        self.plain.say(f"{votes:,} · {percent(votes, snap.valid)}")
        self.set_class(leading, "-leading")


def colours(snap: Snapshot) -> list[str]:
    """yes is green and no is red; other ballots take the theme's accents in turn."""
    if snap.election.yes_no:
        return ["yes", "no"]
    return [f"c{i % 4}" for i in range(len(snap.choices))]


class ChoiceRows(Vertical):
    """The rows, made when the election header arrives."""

    def show_view(self, view: View) -> None:
        snap = view.snapshot
        if snap is None:
            return
        rows = list(self.query(ChoiceRow))
        if len(rows) != len(snap.choices):
            self.remove_children()
            rows = [ChoiceRow(i, c) for i, c in enumerate(colours(snap))]
            self.mount_all(rows)
            self.set_class(len(rows) > 2, "-many")
        for row in rows:
            row.show_choice(snap)
