"""How fresh the numbers are: the last call, the pace, the time left at it, the recent trend.

A watcher whose link dropped sees "last update 40 s ago" counting up, so stale
numbers never pass for current ones. The words are the presentation's
(`tally.present.freshness_words`), made with the app's clock (`app.now`),
never read here: screenshots freeze it.
"""

from __future__ import annotations

from feeds.live import View
from tally.present import NO_CALLS
from tui.widgets.readout import Readout


class Freshness(Readout):
    """The last call's time, the pace, the time left, the recent trend; or how stale the numbers are."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        self.say((model.freshness, model.trend) if model is not None else (NO_CALLS, ""))
        self.set_class(view.feed.since is not None, "-stale")
