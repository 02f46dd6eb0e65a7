"""The numbers a watcher does in their head: margin, remaining, needed, piles, turnout.

Each line lays out one field of the count's presentation (`tally.present`):
the words are decided there, once, for every face.
"""

from __future__ import annotations

from feeds.live import View
from tally.present import Presentation, face_words
from tui.widgets.readout import Readout


class ModelLine(Readout):
    """A one-line figure of the count's presentation (nothing before the header)."""

    def show_view(self, view: View) -> None:
        if view.presentation is not None:
            self.say(self.words(view.presentation))

    def words(self, model: Presentation) -> str | tuple[str, ...]:
        raise NotImplementedError


class Margin(ModelLine):
    """Who leads, and by how much."""

    def words(self, model: Presentation) -> str:
        return face_words("margin", value=model.margin)


class Remaining(ModelLine):
    """Ballots still unopened, or unknown."""

    def words(self, model: Presentation) -> str:
        return face_words("remaining", value=model.remaining)


class Piles(ModelLine):
    """The void and challenged piles."""

    def words(self, model: Presentation) -> str:
        return model.piles


class Turnout(ModelLine):
    """Ballots cast against eligible voters."""

    def words(self, model: Presentation) -> str:
        return face_words("turnout", value=model.turnout)


class Needed(ModelLine):
    """Votes each choice still needs for a certain result."""

    def words(self, model: Presentation) -> tuple[str, ...]:
        return tuple(f"{c.name}: {c.needs}" for c in model.choices)
