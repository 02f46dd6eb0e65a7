"""One election as a row: what `tally board`, the hub's ``/board`` stream and the web page show.

Built on `json_report` (the same rules, the same keys), minus what a row does
not need, plus the needle's chances and the words a reader sees: the call
(TOO EARLY TO CALL, OUTCOME DECIDED …), the row's state, who leads, what each
choice still needs. Every judgement is made here, in Python; a screen or a
browser only lays these out, it never decides anything itself.

The needle costs 1–15 ms for a yes/no count, seconds for the largest (10
million ballots), a simulation 0.1–0.3 s; so a summary is made once per change
of the count and shared by every reader, and the hub makes it in two parts:
`rules_row` at once, the needle off its event loop, then `with_needle` (a row
without its needle says WORKING).
"""

from __future__ import annotations

from typing import Any

from tally.odds import _outcome_words, no_odds_reason, odds_json, percent
from tally.reducer import Snapshot
from tally.report import json_report
from tally.rules import DEAUTHORIZATION, certain_words

EARLY, DECIDED, PENDING = "TOO EARLY TO CALL", "OUTCOME DECIDED", "CHALLENGES DETERMINATIVE"
NO_MAJORITY = "NO MAJORITY POSSIBLE"
COUNTING, STATE_DECIDED, STATE_PENDING, FINAL = "counting", "decided", "challenges determinative", "final"
STATES = (COUNTING, STATE_DECIDED, STATE_PENDING, FINAL)
"""A row's state: counting (open), decided (the rest cannot change it, still counting),
challenges determinative (only the challenged ballots can decide), final (closed and decided)."""

WORKING = "working it out …"
"""What a face says of the chances while the needle is being worked out: the one source of those words."""
WORKING_SHORT = "working…"
"""The same, in a board's narrow chance column."""

DROPPED = ("valid_plus_challenged", "odds")
"""Keys of `json_report` a row does not need (`odds` becomes `chances`)."""


def call(snap: Snapshot) -> str:
    """The banner's words: too early to call, no majority possible, decided, or pending."""
    out = snap.outcome
    if out.decided:
        return DECIDED
    if out.outcome == "pending":
        return PENDING
    return EARLY if out.majority_possible else NO_MAJORITY


def state(snap: Snapshot) -> str:
    """The row's state, one of STATES."""
    if snap.outcome.outcome == "pending":
        return STATE_PENDING
    if snap.outcome.decided:
        return FINAL if snap.closed else STATE_DECIDED
    return COUNTING


def choice_name(snap: Snapshot, i: int) -> str:
    """YES / NO on a yes/no ballot, the choice's own name otherwise."""
    choice = snap.choices[i]
    return choice.upper() if snap.election.yes_no else choice


def _n(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def need_words(snap: Snapshot, i: int) -> str:
    """What choice i still needs for a certain result, and from which ballots."""
    needed = snap.needed(i)
    if needed is None:
        return "needs unknown (total cast not given)"
    if needed == 0:
        return "has it"
    remaining, challenged = snap.remaining or 0, snap.challenged
    if needed <= remaining:
        return f"needs {_n(needed)} of {_n(remaining)} unopened ({_share(needed, remaining)})"
    if needed <= remaining + challenged:
        source = f"the {_n(remaining)} unopened and " if remaining else "the "
        return f"needs {_n(needed)} of {source}{_n(challenged)} challenged, if opened"
    return f"needs {_n(needed)}, more than are left: out of reach"


def lead_words(snap: Snapshot) -> str:
    """Who leads and by how much, in the words of the dashboard's margin line."""
    if snap.valid == 0:
        return "no votes yet"
    if snap.leader is None:
        return f"tied at {_n(max(snap.votes))}"
    return f"{choice_name(snap, snap.leader)} leads by {_n(snap.margin)}"


def detail_words(snap: Snapshot) -> str:
    """The line under the call: why it stands where it stands."""
    kind = call(snap)
    if kind == DECIDED:
        at = f" · decided at ballot {_n(snap.decided_at)}" if snap.decided_at else ""
        return f"the remaining ballots cannot change it{at}"
    if kind == PENDING:
        return f"{_n(snap.challenged)} challenged ballots can change the result"
    if kind == NO_MAJORITY:
        return f"no choice can reach a majority: {certain_words(snap.outcome.possible)}"
    if snap.remaining is None or snap.leader is None:
        return snap.outcome.reason
    return f"{lead_words(snap)}; {choice_name(snap, snap.leader)} {need_words(snap, snap.leader)}"


def scale(snap: Snapshot) -> tuple[int, float]:
    """The bars' full width and the majority line on it, in votes.

    The full width is every vote still possible (valid + challenged +
    unopened) and the line half of it: a bar past it has clinched. In a
    deauthorization poll the line is a majority of the eligible voters.
    """
    width = snap.at_stake if snap.at_stake is not None else snap.valid_plus_challenged
    if snap.election.rule == DEAUTHORIZATION:
        line = snap.majority_line
        return max(width, 2 * line), line
    half = width / 2
    return width, int(half) if half.is_integer() else half


def chances(snap: Snapshot, outcomes: dict[str, float] | None) -> list[dict[str, Any]] | None:
    """The needle's outcomes in words, likeliest first (None without a needle)."""
    if outcomes is None:
        return None
    rows = [{"key": key, "words": _outcome_words(snap, key), "p": p, "percent": percent(p)}
            for key, p in outcomes.items() if p > 0 or key in snap.choices]
    return sorted(rows, key=lambda row: -row["p"])


def summary(snap: Snapshot) -> dict[str, Any]:
    """One election's row: `json_report` minus `DROPPED`, plus chances and words (docs/PROTOCOL.md)."""
    return with_needle(rules_row(snap), snap, odds_json(snap))


def rules_row(snap: Snapshot) -> dict[str, Any]:
    """The row without its needle (microseconds): `chances` null, and `no_chances` says why.

    Why is `no_odds_reason` when the count cannot have a needle, else WORKING,
    with `working` true: the needle is being worked out.
    """
    row = json_report(snap, needle=False)
    for key in DROPPED:
        row.pop(key, None)
    width, line = scale(snap)
    e = snap.election
    reason = no_odds_reason(snap)
    row.update(
        place=", ".join(p for p in (e.case and f"Case {e.case}", e.location, e.office) if p),
        state=state(snap),
        call=call(snap),
        detail=detail_words(snap),
        lead=lead_words(snap),
        leader=None if snap.leader is None else snap.choices[snap.leader],
        margin=snap.margin,
        handled=snap.handled,
        names=[choice_name(snap, i) for i in range(len(snap.choices))],
        needs={c: need_words(snap, i) for i, c in enumerate(snap.choices)},
        scale=width,
        line=line,
        chances=None,
        no_chances=reason or WORKING,
        working=reason is None,
        chances_seq=None,
    )
    return row


def with_needle(row: dict[str, Any], snap: Snapshot, needle: dict[str, Any] | None,
                why_not: str | None = None, seq: int | None = None) -> dict[str, Any]:
    """`row` (a `rules_row` of `snap`) with the needle `odds_json(snap)` put in: its chances in words.

    ``why_not``: the needle could not be had (it took too long, say), in a
    few words that follow "not given: ". ``seq``: the seq of the state the
    needle was worked out for, when it is not `snap`'s (an event that changed
    no count came since: a note); `chances_seq` says it.
    """
    return {**row,
            "chances": chances(snap, needle and needle["outcomes"]),
            "no_chances": why_not or no_odds_reason(snap),
            "working": False,
            "chances_seq": None if needle is None else snap.last_seq if seq is None else seq}


def order_key(row: dict[str, Any]) -> tuple[bool, str, str]:
    """Rows in a stable order: counting first, then the rest, each by title."""
    return (row.get("state") != COUNTING, str(row.get("title", "")).casefold(), str(row.get("id", "")))
