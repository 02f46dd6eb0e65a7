"""The numbers a watcher does in their head: margin, remaining, needed, piles, turnout."""

from __future__ import annotations


from tui.widgets.readout import Readout
from feeds.live import View
from tally.reducer import Snapshot
from tui.widgets.words import choice_name, number, percent


class SnapshotLine(Readout):
    """A one-line figure drawn from the count's snapshot (nothing before the header)."""

    def show_view(self, view: View) -> None:
        if view.snapshot is not None:
            self.say(self.words(view.snapshot))

    def words(self, snap: Snapshot) -> str:
        raise NotImplementedError


class Margin(SnapshotLine):
    """Who leads, and by how much."""

    def words(self, snap: Snapshot) -> str:
        if snap.valid == 0:
            return "Margin: no votes yet"
        if snap.leader is None:
            return f"Margin: tied at {number(max(snap.votes))}"
        return (f"Margin: {choice_name(snap, snap.leader)} leads by {number(snap.margin)}"
                f" ({percent(snap.margin, snap.valid)} of valid votes)")


class Remaining(SnapshotLine):
    """Ballots still unopened, or unknown."""

    def words(self, snap: Snapshot) -> str:
        if snap.remaining is None:
            return (f"Remaining: unknown (total cast not given) · "
                    f"{number(snap.handled)} handled")
        total = snap.election.ballots
        of = f" of {number(total)}" if total is not None and not snap.closed else ""
        return f"Remaining: {number(snap.remaining)} unopened{of} · {number(snap.handled)} handled"


class Piles(SnapshotLine):
    """The void and challenged piles."""

    def words(self, snap: Snapshot) -> str:
        return f"Void: {number(snap.void)} · Challenged: {number(snap.challenged)} (set aside, unopened)"


class Turnout(SnapshotLine):
    """Ballots cast against eligible voters."""

    def words(self, snap: Snapshot) -> str:
        cast = snap.election.ballots if snap.election.ballots is not None else snap.handled
        eligible = snap.election.eligible
        if eligible is None:
            return f"Turnout: {number(cast)} ballots (eligible voters not given)"
        return f"Turnout: {number(cast)} of ≈{number(eligible)} eligible ({percent(cast, eligible)})"


def needed_words(snap: Snapshot, i: int) -> str:
    """What choice i still needs for a certain result, and from which ballots.

    `Snapshot.needed` counts every challenged ballot against the choice, so a
    need beyond the unopened ballots can still be met by challenged ballots
    that are opened for it; beyond both, it is out of reach.
    """
    name = choice_name(snap, i)
    needed = snap.needed(i)
    if needed is None:
        return f"{name}: needs unknown (total cast not given)"
    if needed == 0:
        return f"{name}: has it, needs 0"
    remaining, challenged = snap.remaining or 0, snap.challenged
    if needed <= remaining:
        return f"{name}: needs {number(needed)} of {number(remaining)} unopened ({percent(needed, remaining)})"
    if needed <= remaining + challenged:
        source = f"the {number(remaining)} unopened and " if remaining else "the "
        return f"{name}: needs {number(needed)} of {source}{number(challenged)} challenged, if opened"
    return f"{name}: needs {number(needed)}, more than are left: out of reach"


class Needed(SnapshotLine):
    """Votes each choice still needs for a certain result."""

    def words(self, snap: Snapshot) -> tuple[str, ...]:
        return tuple(needed_words(snap, i) for i in range(len(snap.choices)))
