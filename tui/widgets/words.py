"""How the dashboard says things: names, numbers and outcomes in plain words."""

from __future__ import annotations

from tally.reducer import Snapshot
from tally.report import is_against
from tally.rules import DEAUTHORIZATION


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
    """The decided outcome, as a person would say it.

    The yes/no ballot keeps its own words (the union wins / no union); a poll
    to withdraw a union's authority says so; other ballots name the choices.
    """
    out, election = snap.outcome, snap.election
    union = election.union or "the union"
    if election.rule == DEAUTHORIZATION:
        if out.outcome == "majority":
            return (f"deauthorized: a majority of the {number(election.eligible)} eligible "
                    f"voters withdrew {union}'s authority")
        return f"not deauthorized: {union} keeps its authority"
    if election.yes_no:
        if out.outcome == "majority":
            return f"the union wins: majority for {union}"
        return "no union: no majority for " + union
    if out.outcome == "majority":
        return f"{out.winner} wins a majority" + (": no union" if is_against(out.winner) else "")
    if out.outcome == "runoff":
        return f"runoff between {out.runoff[0]} and {out.runoff[1]}"
    if out.outcome == "rerun":
        return f"rerun: no runoff pair, the election is run again with all {len(snap.choices)} choices"
    if out.outcome == "no_majority" and len(snap.choices) == 2:
        return "no majority: a tie, nobody is certified"
    if out.outcome == "no_majority":
        return "no runoff: certification of results (a 102.70(d) tie)"
    return out.reason
