"""The verification line: how well the count on screen is checked (issue 18).

Other counters' counts of the same election (a hub's checks) and the Board's
own subtotals (checkpoints), in the one line the presentation model words
(`tally.present.verification_line`): "✓ 2 counters agree at ballot 812",
"✗ counters differ since ballot 413 (…)", "unverified: one counter". Its
colour follows `verification_role`, so a disagreement stands out on every
screen that shows the count, the counter's own included.
"""

from __future__ import annotations

from feeds.live import View
from tally.present import DIFFERS, UNVERIFIED, VERIFIED
from tui.widgets.readout import Readout

ROLES = (VERIFIED, DIFFERS, UNVERIFIED)


class VerificationLine(Readout):
    """The model's verification line, its colour class ``-verified``, ``-differs`` or ``-unverified``."""

    def show_view(self, view: View) -> None:
        model = view.presentation
        if model is None:
            return
        self.say(model.verification)
        for role in ROLES:
            self.set_class(model.verification_role == role, f"-{role}")
