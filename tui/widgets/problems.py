"""Bad events met in the feed: shown, never applied, never a traceback."""

from __future__ import annotations


from tui.widgets.readout import Readout
from feeds.live import View


class ProblemLine(Readout):
    """The latest event that was refused, and how many were."""

    def show_view(self, view: View) -> None:
        self.display = bool(view.errors)
        if view.errors:
            more = f"  ({view.refused} refused in all)" if view.refused > 1 else ""
            self.say(f"⚠ not applied: {view.errors[-1]}{more}")
