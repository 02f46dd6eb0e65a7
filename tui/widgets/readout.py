"""The base of every line of text on the dashboard."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class Readout(Static):
    """A Static that repaints only when its text changed, and lays out only when its height did.

    The dashboard redraws up to 20 times a second while ballots pour in; most
    lines do not change between two frames, and those that do keep their
    number of lines (and width, where the width follows the text), so a repaint
    is enough and the screen's layout is left alone.
    """

    _said: str | Content | None = None

    def say(self, content: str | Content) -> None:
        if content == self._said:
            return
        relayout = self._said is None or self._shape(content) != self._shape(self._said)
        self._said = content
        self.update(content, layout=relayout)


    def _shape(self, content: str | Content) -> tuple[int, int]:
        """What the layout depends on: the lines, and their width when the width is auto."""
        lines = str(content).split("\n")
        width = max(map(len, lines)) if self.styles.width and self.styles.width.is_auto else 0
        return len(lines), width
