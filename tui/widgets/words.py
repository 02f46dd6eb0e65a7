"""How the dashboard says things: names, numbers and outcomes in plain words."""

from __future__ import annotations

from tally.reducer import Snapshot


def choice_name(snap: Snapshot, i: int) -> str:
    """YES / NO on a yes/no ballot, the choice's own name otherwise."""
    choice = snap.choices[i]
    return choice.upper() if snap.election.yes_no else choice


def number(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def percent(part: int, whole: int | None) -> str:
    if not whole:
        return "–"
    return f"{100 * part / whole:.1f}%"


def outcome_words(snap: Snapshot) -> str:
    """The decided outcome, as a person would say it."""
    out = snap.outcome
    if out.outcome == "majority" and snap.election.yes_no:
        return f"the union wins: majority for {snap.election.union or 'the union'}"
    if out.outcome == "no_majority":
        return "no union: no majority for " + (snap.election.union or "the union")
    if out.outcome == "majority":
        return f"{out.winner} wins a majority"
    if out.outcome == "runoff":
        return f"runoff between {out.runoff[0]} and {out.runoff[1]}"
    return out.reason
