"""The count through time: the running margin as a chart, and the ticker of calls."""

from __future__ import annotations

from itertools import groupby
from typing import Sequence, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from tally.text import literal
from tui.widgets.readout import Readout
from feeds.live import View
from tally.timeline import Point, TickerLine, ballot_label

T = TypeVar("T")


def lead(margin: int) -> str:
    """A yes − no margin as the headline says it: 'NO +241', 'YES +1', 'tied'."""
    if margin == 0:
        return "tied"
    return f"YES +{margin:,}" if margin > 0 else f"NO +{-margin:,}"


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


CHOICE_STYLES = ("c0", "c1", "c2", "c3")


class MarginChart(Vertical):
    """The count through time: the running margin on a yes/no ballot, each choice's share otherwise."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.label = Readout(classes="chart-label")
        self.bars = MarginBars()

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.bars

    def show_view(self, view: View) -> None:
        if not view.points or view.snapshot is None:
            return
        snap = view.snapshot
        label = self.label
        if snap.election.yes_no:
            low, high = view.margin_range
            span = f"{lead(low)} to {lead(high)}" if low != high else lead(low)
            label.say(f"Margin through the count: {span} (up: YES leads)" if self.size.width >= 45
                      else f"Margin {span}")
        else:
            parts: list[tuple[str, str] | str] = ["Share of valid votes through the count: "]
            for i, choice in enumerate(snap.choices):
                parts += [("■ ", f"$text-{CHOICE_COLOURS[i % 4]}"), (literal(choice), "bold"), "  "]
            label.say(Content.assemble(*parts).rstrip())
        bars = self.bars
        bars.shares = 0 if snap.election.yes_no else len(snap.choices)
        bars.points = view.points
        self.set_class(not snap.election.yes_no, "-multi")


CHOICE_COLOURS = ("primary", "accent", "secondary", "warning")


class MarginBars(Widget):
    """The bars themselves: one column per stretch of the count, newest on the right.

    A yes/no count rises above a zero line while YES leads and hangs below it
    while NO leads; a multi-choice count gets one band per choice, each
    showing that choice's share of the valid votes, all on one scale.
    """

    COMPONENT_CLASSES = {"marginbars--up", "marginbars--down", "marginbars--axis",
                         *(f"marginbars--{c}" for c in CHOICE_STYLES)}
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


def share_rows(cols: list[Point], choices: int, height: int) -> list[tuple[str, str]]:
    """One band per choice, top to bottom: its share of valid votes in each column, as bars."""
    band = max(1, height // max(choices, 1))
    shares = [[p.votes[i] / p.valid if p.valid else 0.0 for p in cols] for i in range(choices)]
    top = max((max(s, default=0.0) for s in shares), default=0.0) or 1.0
    rows: list[tuple[str, str]] = []
    for i in range(choices):
        heights = [round(s * band * 2 / top) for s in shares[i]]
        for level in range(band, 0, -1):
            rows.append(("".join(_cell(h, level) for h in heights), f"marginbars--{CHOICE_STYLES[i % 4]}"))
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
              "challenged": "$warning", "close": "bold", "election": "$text-muted"}


def ticker_text(lines: tuple[TickerLine, ...], rows: int) -> Content:
    """The newest `rows` lines, newest first, each numbered by its ballots.

    The widget wraps a line too long for its width (a note is read whole, not
    cut off); what no longer fits at the bottom is the oldest.
    """
    shown = list(reversed(lines))[:max(rows, 0)]
    width = min(max((len(ballot_label(line)) for line in shown), default=0), 13) + 1
    parts: list[tuple[str, str]] = []
    for line in shown:
        parts += [(f"{ballot_label(line):<{width}}", "dim"), (literal(line.text) + "\n", KIND_STYLE.get(line.kind, ""))]
    return Content.assemble(*parts).rstrip()


class Ticker(Readout):
    """The last ballots called, with retractions, notes and errors, newest first."""

    def show_view(self, view: View) -> None:
        self.say(ticker_text(view.ticker, max(self.size.height, 1)))
