"""The count through time: the running margin as a chart, and the ticker of calls."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Sparkline

from tui.widgets.readout import Readout
from feeds.live import View
from tally.timeline import TickerLine


class MarginChart(Vertical):
    """The running margin (yes − no, or the leader's lead) as a sparkline, with its range."""

    def compose(self) -> ComposeResult:
        yield Readout(classes="chart-label")
        yield Sparkline([], summary_function=max)

    def show_view(self, view: View) -> None:
        if not view.margins:
            return
        snap = view.snapshot
        what = "yes − no" if snap is not None and snap.election.yes_no else "lead of the leader"
        label = f"Margin through the count ({what}): {min(view.margins):+,} to {max(view.margins):+,}"
        self.query_one(".chart-label", Readout).say(label)
        self.query_one(Sparkline).data = list(view.margins)


KIND_STYLE = {"retract": "bold $warning", "note": "italic $text-muted", "error": "bold $error",
              "challenged": "$warning", "close": "bold", "election": "$text-muted"}


def ticker_text(lines: tuple[TickerLine, ...], rows: int) -> Content:
    """The newest `rows` lines, newest first."""
    parts: list[tuple[str, str]] = []
    for line in reversed(lines[-rows:] if rows > 0 else ()):
        parts += [(f"#{line.seq:<7}", "dim"), (line.text + "\n", KIND_STYLE.get(line.kind, ""))]
    return Content.assemble(*parts).rstrip()


class Ticker(Readout):
    """The last ballots called, with retractions, notes and errors, newest first."""

    def show_view(self, view: View) -> None:
        self.say(ticker_text(view.ticker, max(self.size.height, 1)))
