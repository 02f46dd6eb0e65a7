"""The outcome banner: too early to call, no majority possible, decided, or challenges determinative."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from feeds.live import View
from tally import present
from tui.widgets.readout import Readout


class OutcomeBanner(Vertical):
    """Exactly one of the four states, in words readable from across a room."""

    def compose(self) -> ComposeResult:
        yield Readout(id="headline")
        yield Readout(id="subline")

    def show_view(self, view: View) -> None:
        model = view.presentation
        headline, subline = (model.headline, model.subline) if model else present.banner(None)
        call = model.call if model else present.EARLY
        self.query_one("#headline", Readout).say(headline)
        self.query_one("#subline", Readout).say(subline)
        self.update_classes({"-early": call in (present.EARLY, present.NO_MAJORITY),  # still open: the same frame
                             "-no-majority": call == present.NO_MAJORITY,
                             "-decided": call == present.DECIDED, "-pending": call == present.PENDING})
