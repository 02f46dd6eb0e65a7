"""The outcome banner: too early to call, decided, or challenges determinative."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from tui.widgets.readout import Readout
from feeds.live import View
from tally.reducer import Snapshot
from tui.widgets.words import choice_name, number, outcome_words

EARLY, DECIDED, PENDING = "TOO EARLY TO CALL", "OUTCOME DECIDED", "CHALLENGES DETERMINATIVE"


def banner_state(snap: Snapshot | None) -> str:
    if snap is None or not (snap.outcome.decided or snap.outcome.outcome == "pending"):
        return EARLY
    return DECIDED if snap.outcome.decided else PENDING


def banner_lines(snap: Snapshot | None) -> tuple[str, str]:
    """The headline and the line under it."""
    state = banner_state(snap)
    if snap is None:
        return state, "no ballots yet"
    if state == DECIDED:
        at = f" · decided at ballot {number(snap.decided_at)}" if snap.decided_at else ""
        return f"{state} — {outcome_words(snap)}", f"the remaining ballots cannot change it{at}"
    if state == PENDING:
        return (f"{state} — outcome pending",
                f"{number(snap.challenged)} challenged ballots can change the result")
    return state, early_words(snap)


def early_words(snap: Snapshot) -> str:
    """Before a call: what the leader still needs to make it certain."""
    if snap.leader is None or snap.remaining is None or snap.remaining == 0:
        return snap.outcome.reason
    i = snap.leader
    needed, leads = snap.needed(i), f"{choice_name(snap, i)} leads by {number(snap.margin)}"
    if needed > snap.remaining:
        return (f"{leads}; the {number(snap.remaining)} unopened ballots cannot settle it alone: "
                f"the {number(snap.challenged)} challenged ballots may decide")
    return (f"{leads} and needs {number(needed)} of the {number(snap.remaining)} "
            f"unopened ballots to make it certain")


class OutcomeBanner(Vertical):
    """Exactly one of the three states, in words readable from across a room."""

    def compose(self) -> ComposeResult:
        yield Readout(id="headline")
        yield Readout(id="subline")

    def show_view(self, view: View) -> None:
        state = banner_state(view.snapshot)
        headline, subline = banner_lines(view.snapshot)
        self.query_one("#headline", Readout).say(headline)
        self.query_one("#subline", Readout).say(subline)
        self.set_class(state == EARLY, "-early")
        self.set_class(state == DECIDED, "-decided")
        self.set_class(state == PENDING, "-pending")
