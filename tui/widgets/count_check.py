"""The counter's own verification line: how the count stands against the Board's figures.

The model's `verification` (tally/present.py `verification_line`, worded for
the counter: "Board: YES 200 · you 201"), shown from the frame that first has
a disagreement until it is resolved, in the error colour while it stands.
"""

from __future__ import annotations

from feeds.live import View
from tally.present import DIFFERS, UNVERIFIED, VERIFIED
from tui.widgets.readout import Readout

ROLES = (VERIFIED, DIFFERS, UNVERIFIED)


class CheckLine(Readout):
    """One line: the verification words, coloured by their role (verified, differs, unverified)."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is None:
            return
        self.say(model.verification)
        for role in ROLES:
            self.set_class(model.verification_role == role, f"-{role}")
