"""Bad events met in the feed: shown, never applied, never a traceback."""

from __future__ import annotations

from textual.widgets import Static

from feeds.live import View


class ProblemLine(Static):
    """The latest event that was refused, and how many were."""

    def show(self, view: View) -> None:
        self.display = bool(view.errors)
        if view.errors:
            more = f"  ({view.refused} refused in all)" if view.refused > 1 else ""
            self.update(f"⚠ not applied: {view.errors[-1]}{more}")
