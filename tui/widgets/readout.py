"""The base of every line of text on the dashboard."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tally.text import literal


class Readout(Static):
    """A line of text shown literally, repainted only when it changed, laid out only when its shape did.

    A str is never read as markup: every line on the dashboard carries user
    text (titles, choices, notes), and "Local 1 [/b]" is a title, not a tag.

    The dashboard redraws up to 20 times a second while ballots pour in; most
    lines do not change between two frames, and those that do keep their
    number of lines (and width, where the width follows the text), so a repaint
    is enough and the screen's layout is left alone.
    """

    _said: str | tuple[str, ...] | Content | None = None

    def say(self, content: str | tuple[str, ...] | Content) -> None:
        """Show one line (a str), several lines (a tuple of them), or styled Content.

        Control characters in a str, a newline included, are shown as symbols
        (`tally.text.literal`): user text can never break a line or the screen.
        """
        if content == self._said:
            return
        relayout = self._said is None or self._shape(content) != self._shape(self._said)
        self._said = content
        self.update(_literal(content), layout=relayout)

    def _shape(self, content: str | Content) -> tuple[int, int]:
        """What the layout depends on: the lines, and their width when the width is auto."""
        lines = content if isinstance(content, tuple) else str(content).split("\n")
        width = max(map(len, lines)) if self.styles.width and self.styles.width.is_auto else 0
        return len(lines), width


def _literal(content: str | tuple[str, ...] | Content) -> Content:
    if isinstance(content, str):
        return Content(literal(content))
    if isinstance(content, tuple):
        return Content("\n".join(literal(line) for line in content))
    return content
