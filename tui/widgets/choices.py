"""One row per choice: its name, its count in large digits, a live bar, plain digits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits

from feeds.live import View
from tally.present import ChoiceLine
from tui.widgets.readout import Readout

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

    def __init__(self, role: str) -> None:
        super().__init__(classes=f"choice-row -{role}")
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

    def show_choice(self, choice: ChoiceLine, scale: int) -> None:
        self.name_line.say(("▶ " if choice.leading else "  ") + choice.name)
        self.digits.update(str(choice.votes))
        self.bar.votes = choice.votes
        self.bar.scale = scale
        self.plain.say(f"{choice.votes_text} · {choice.share_text}")
        self.set_class(choice.leading, "-leading")


class ChoiceRows(Vertical):
    """The rows, made when the election header arrives; each takes its colour from its choice's role."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is None:
            return
        rows = list(self.query(ChoiceRow))
        if len(rows) != len(model.choices):
            self.remove_children()
            rows = [ChoiceRow(c.role) for c in model.choices]
            self.mount_all(rows)
            self.set_class(len(rows) > 2, "-many")
        for row, choice in zip(rows, model.choices):
            row.show_choice(choice, model.scale)
