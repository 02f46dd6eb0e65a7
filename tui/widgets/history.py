"""The count through time: the running margin as a chart, and the ticker of calls."""

from __future__ import annotations

from itertools import groupby
from typing import Sequence, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from feeds.live import View
from tally.present import CallLine
from tally.text import literal
from tally.timeline import Point
from tui.widgets.readout import Readout

T = TypeVar("T")


def columns(values: Sequence[T], width: int) -> list[T]:
    """Resample points to `width` columns, each the value at the end of its stretch."""
    if not values or width <= 0:
        return []
    if len(values) <= width:
        return list(values)
    return [values[min(len(values) - 1, (i + 1) * len(values) // width - 1)] for i in range(width)]


def chart_rows(values: list[int], height: int) -> list[tuple[str, int]]:
    """Rows of a bar chart around a zero line: (text, sign) from top to bottom.

    Positive values rise above the line, negative ones hang below it, in half
    cells (▄ and ▀ for the tips), all on one scale. Each side gets rows in
    proportion to how far the margin went that way, so a one-sided count
    uses the whole height.
    """
    high, low = max(values, default=0), min(values, default=0)
    room = max(1, height - 1)
    # Each side gets rows in proportion to how far the margin went that way.
    above = round(room * max(high, 0) / ((max(high, 0) - min(low, 0)) or 1))
    above = max(above, 1) if high > 0 else 0
    below = room - above if low < 0 else 0
    rows: list[tuple[str, int]] = []
    for level in range(above, 0, -1):  # above the line, top first
        heights = [round(v * above * 2 / high) for v in values]
        rows.append(("".join(_cell(h, level) for h in heights), 1))
    rows.append(("─" * len(values), 0))
    for level in range(1, below + 1):  # below the line, nearest first
        heights = [round(v * below * 2 / low) for v in values]
        rows.append(("".join(_cell(h, level, down=True) for h in heights), -1))
    return rows


def _cell(height: int, level: int, down: bool = False) -> str:
    """The cell at `level` (1 = next to the line) of a bar `height` half-cells tall."""
    if height >= 2 * level:
        return "█"
    if height == 2 * level - 1:
        return "▀" if down else "▄"
    return " "


CHOICE_STYLES = tuple(f"c{i}" for i in range(12))  # the model's choice roles


class MarginChart(Vertical):
    """The count through time: the running margin on a yes/no ballot, each choice's share otherwise."""

    def __init__(self, choice_roles: bool = True, **kw) -> None:
        """`choice_roles`: False where only a yes/no ballot is ever shown (`MarginBars`)."""
        super().__init__(**kw)
        self.label = Readout(classes="chart-label")
        self.legend = Horizontal(classes="chart-legend")
        self.bars = ChoicesMarginBars() if choice_roles else MarginBars()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="chart-heading"):
            yield self.label
            yield self.legend
        yield self.bars

    def show_view(self, view: View) -> None:
        model = view.presentation
        if not view.points or model is None:
            return
        wide, narrow = model.margin_chart
        caption = wide if self.size.width >= 45 else narrow
        yes_no = model.choices[0].role == "yes"
        self.label.say(caption)
        if not yes_no and len(self.legend.children) != len(model.choices):
            self.legend.remove_children()  # each choice's name in its band's colour, abbreviated to fit
            items = [Readout(classes=f"legend-item -{c.role}") for c in model.choices]
            self.legend.mount_all(items)
            for item, c in zip(items, model.choices):
                item.say(f"■ {c.name}")  # literally: a choice's name is somebody's text
        bars = self.bars
        bars.shares = 0 if yes_no else len(model.choices)
        bars.points = view.points
        self.set_class(not yes_no, "-multi")


class MarginBars(Widget):
    """The bars themselves: one column per stretch of the count, newest on the right.

    A yes/no count rises above a zero line while YES leads and hangs below it
    while NO leads; a multi-choice count gets one band per choice, each
    showing that choice's share of the valid votes, all on one scale.

    These bars draw the margin (a yes/no ballot); `ChoicesMarginBars` also the bands. Textual
    styles each declared component as a node of its own when the bars mount, before the first
    frame (docs/PERFORMANCE.md, "Launch"): a dashboard that only ever shows a yes/no ballot
    uses these.
    """

    COMPONENT_CLASSES = {"marginbars--up", "marginbars--down", "marginbars--axis"}
    points: reactive[tuple[Point, ...]] = reactive(tuple)
    shares: reactive[int] = reactive(0)  # choices drawn as shares (0: yes/no, drawn as the margin)

    def render(self) -> Text:
        width, height = self.size
        cols = columns(self.points, width)
        if not self.shares:
            rows = chart_rows([p.margin for p in cols], height)
            styles = {1: "marginbars--up", 0: "marginbars--axis", -1: "marginbars--down"}
            return _styled([(line, styles[sign]) for line, sign in rows[:height]], self)
        return _styled(share_rows(cols, self.shares, height), self)


class ChoicesMarginBars(MarginBars):
    """The bars for any ballot: also a band per choice, in the twelve choices' roles (c0…c11).
    MarginBars' rules (tally.tcss, roles.tcss) are its own."""

    COMPONENT_CLASSES = {f"marginbars--{c}" for c in CHOICE_STYLES}


def share_rows(cols: list[Point], choices: int, height: int) -> list[tuple[str, str]]:
    """One band per choice, top to bottom: its share of valid votes in each column, as bars."""
    band = max(1, height // max(choices, 1))
    shares = [[p.votes[i] / p.valid if p.valid else 0.0 for p in cols] for i in range(choices)]
    top = max((max(s, default=0.0) for s in shares), default=0.0) or 1.0
    rows: list[tuple[str, str]] = []
    for i in range(choices):
        heights = [round(s * band * 2 / top) for s in shares[i]]
        for level in range(band, 0, -1):
            rows.append(("".join(_cell(h, level) for h in heights), f"marginbars--{CHOICE_STYLES[i % len(CHOICE_STYLES)]}"))
    return rows[:height]


def _styled(rows: list[tuple[str, str]], widget: Widget) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    for i, (line, component) in enumerate(rows):
        if i:
            text.append("\n")
        style = widget.get_component_rich_style(component)
        # Blank runs stay unstyled, so every run of bars starts where it is drawn
        # (an SVG screenshot collapses leading spaces inside a styled run).
        for blank, run in groupby(line, key=lambda c: c == " "):
            text.append("".join(run), None if blank else style)
    return text


KIND_STYLE = {"retract": "bold $warning", "note": "italic $text-muted", "error": "bold $error",
              "challenged": "$warning", "close": "bold", "election": "$text-muted",
              # Issue 18: the Board speaking, a call changed in place, the Board's figures taken.
              # Underlined where the count was changed after the fact, so they stand apart from
              # a retraction (bold warning) and from the calls.
              "checkpoint": "bold $text-primary", "correct": "bold underline $text-warning",
              "adjust": "bold underline $text-primary"}


def ticker_text(calls: tuple[CallLine, ...], rows: int) -> Content:
    """The newest `rows` calls (the model's, newest first), each after its ballot number.

    The widget wraps a line too long for its width (a note is read whole, not
    cut off); what no longer fits at the bottom is the oldest.
    """
    shown = calls[:max(rows, 0)]
    width = min(max((len(c.label) for c in shown), default=0), 13) + 1
    parts: list[tuple[str, str]] = []
    for c in shown:
        parts += [(f"{c.label:<{width}}", "dim"), (literal(c.text) + "\n", KIND_STYLE.get(c.kind, ""))]
    return Content.assemble(*parts).rstrip()


class Ticker(Readout):
    """The last ballots called, with retractions, notes and errors, newest first.

    How many it shows follows its height: drawn again when the height changes
    (a count opened from the board gets its last view before its first layout,
    and shows no new one once the count has ended).
    """

    _view: View | None = None

    def show_view(self, view: View) -> None:
        self._view = view
        calls = view.presentation.calls if view.presentation is not None else ()
        self.say(ticker_text(calls, max(self.size.height, 1)))

    def on_resize(self) -> None:
        if self._view is not None:
            self.show_view(self._view)
