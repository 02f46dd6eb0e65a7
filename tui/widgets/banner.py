"""The outcome banner: too early to call, no majority possible, decided, or challenges determinative."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from tui.widgets.readout import Readout
from feeds.live import View
from tally.reducer import Snapshot
from tally.rules import DEAUTHORIZATION, certain_words
from tui.widgets.words import choice_name, number, outcome_words

EARLY, DECIDED, PENDING = "TOO EARLY TO CALL", "OUTCOME DECIDED", "CHALLENGES DETERMINATIVE"
NO_MAJORITY = "NO MAJORITY POSSIBLE"


def banner_state(snap: Snapshot | None) -> str:
    if snap is None:
        return EARLY
    if snap.outcome.decided:
        return DECIDED
    if snap.outcome.outcome == "pending":
        return PENDING
    # Nobody can win outright, but which two go to the runoff (or whether it is a
    # rerun) is still open: more than "too early", less than decided.
    return EARLY if snap.outcome.majority_possible else NO_MAJORITY


def banner_lines(snap: Snapshot | None) -> tuple[str, str]:
    """The headline and the line under it."""
    state = banner_state(snap)
    if snap is None:
        return state, "no ballots yet"
    if state == DECIDED:
        at = f" · decided at ballot {number(snap.decided_at)}" if snap.decided_at else ""
        return f"{state} — {outcome_words(snap)}", f"the remaining ballots cannot change it{at}"
    if state == PENDING:
        certain = "" if snap.outcome.majority_possible else f": {certain_words(snap.outcome.possible)}"
        return (f"{state} — outcome pending",
                f"{number(snap.challenged)} challenged ballots can change the result{certain}")
    if state == NO_MAJORITY:
        challenged = f" and {number(snap.challenged)} challenged" if snap.challenged else ""
        return (f"{state} — {certain_words(snap.outcome.possible)}",
                f"no choice can reach a majority; the {number(snap.remaining)} unopened"
                f"{challenged} ballots decide which")
    return state, early_words(snap)


def early_words(snap: Snapshot) -> str:
    """Before a call: what the leader still needs to make it certain."""
    if snap.remaining is None or snap.remaining == 0:
        return snap.outcome.reason
    if snap.election.rule == DEAUTHORIZATION:
        return deauthorization_words(snap)
    if snap.leader is None:
        return snap.outcome.reason
    i = snap.leader
    needed, leads = snap.needed(i), f"{choice_name(snap, i)} leads by {number(snap.margin)}"
    if needed > snap.remaining:
        return (f"{leads}; the {number(snap.remaining)} unopened ballots cannot settle it alone: "
                f"the {number(snap.challenged)} challenged ballots may decide")
    return (f"{leads} and needs {number(needed)} of the {number(snap.remaining)} "
            f"unopened ballots to make it certain")


def deauthorization_words(snap: Snapshot) -> str:
    """A poll is won against the eligible voters, not the other side: say how far yes is."""
    yes, line = snap.votes[0], snap.majority_line
    return (f"YES has {number(yes)} of the {number(line)} it needs (a majority of the "
            f"{number(snap.election.eligible)} eligible voters); {number(snap.remaining)} unopened")


class OutcomeBanner(Vertical):
    """Exactly one of the four states, in words readable from across a room."""

    def compose(self) -> ComposeResult:
        yield Readout(id="headline")
        yield Readout(id="subline")

    def show_view(self, view: View) -> None:
        state = banner_state(view.snapshot)
        headline, subline = banner_lines(view.snapshot)
        self.query_one("#headline", Readout).say(headline)
        self.query_one("#subline", Readout).say(subline)
        self.set_class(state in (EARLY, NO_MAJORITY), "-early")  # still open: the same frame
        self.set_class(state == NO_MAJORITY, "-no-majority")
        self.set_class(state == DECIDED, "-decided")
        self.set_class(state == PENDING, "-pending")
