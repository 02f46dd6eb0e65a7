"""The count through time: the running margin as a chart, and the ticker of calls."""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from tally.text import literal
from tui.widgets.readout import Readout
from feeds.live import View
from tally.timeline import TickerLine


def signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def columns(values: tuple[int, ...], width: int) -> list[int]:
    """Resample the margin to `width` columns, each the value at the end of its stretch."""
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


class MarginChart(Vertical):
    """The running margin through the count, above and below a zero line, with its range."""

    def compose(self) -> ComposeResult:
        yield Readout(classes="chart-label")
        yield MarginBars()

    def show_view(self, view: View) -> None:
        if not view.margins:
            return
        snap = view.snapshot
        yes_no = snap is None or snap.election.yes_no
        what = "above the line YES leads" if yes_no else "the leader's lead"
        low, high = view.margin_range
        self.query_one(".chart-label", Readout).say(
            f"Running margin {signed(low)} to {signed(high)} ({what})")
        self.query_one(MarginBars).margins = view.margins
        self.set_class(not yes_no, "-multi")


class MarginBars(Widget):
    """The bars themselves: one column per stretch of the count, newest on the right."""

    COMPONENT_CLASSES = {"marginbars--up", "marginbars--down", "marginbars--axis"}
    margins: reactive[tuple[int, ...]] = reactive(tuple)

    def render(self) -> Text:
        width, height = self.size
        rows = chart_rows(columns(self.margins, width), height)
        styles = {1: "marginbars--up", 0: "marginbars--axis", -1: "marginbars--down"}
        text = Text(no_wrap=True, overflow="crop")
        for i, (line, sign) in enumerate(rows[:height]):
            if i:
                text.append("\n")
            style = self.get_component_rich_style(styles[sign])
            # Blank runs stay unstyled, so every run of bars starts where it is drawn
            # (an SVG screenshot collapses leading spaces inside a styled run).
            for blank, run in groupby(line, key=lambda c: c == " "):
                text.append("".join(run), None if blank else style)
        return text


KIND_STYLE = {"retract": "bold $warning", "note": "italic $text-muted", "error": "bold $error",
              "challenged": "$warning", "close": "bold", "election": "$text-muted"}


def ticker_text(lines: tuple[TickerLine, ...], rows: int) -> Content:
    """The newest `rows` lines, newest first."""
    parts: list[tuple[str, str]] = []
    for line in reversed(lines[-rows:] if rows > 0 else ()):
        parts += [(f"#{line.seq:<7}", "dim"), (literal(line.text) + "\n", KIND_STYLE.get(line.kind, ""))]
    return Content.assemble(*parts).rstrip()


class Ticker(Readout):
    """The last ballots called, with retractions, notes and errors, newest first."""

    def show_view(self, view: View) -> None:
        self.say(ticker_text(view.ticker, max(self.size.height, 1)))
