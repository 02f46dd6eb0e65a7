"""`tally verify A B`: two count files of one election, compared ballot by ballot, offline.

Reading is `feeds.files.load` (every problem as FILE:LINE); the comparison is
`tally.verify.compare`; the words are the presentation model's. The result is
one line and an exit code a script can act on: 0 agree, 1 differ, 2 unusable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feeds.files import FeedError, load
from tally.present import compared_slots, figures_words, number
from tally.reducer import Count
from tally.verify import Agreement, compare, different_elections

AGREE, DIFFER, UNUSABLE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `tally verify` says: its exit code and its lines (one, or one per problem)."""

    code: int
    lines: tuple[str, ...]


def verify_files(a: str | Path, b: str | Path) -> Verdict:
    """Compare two event files: agree (0), differ (1), or why they cannot be compared (2)."""
    counts = []
    for path in (a, b):
        try:
            loaded = load(path, growing=True)  # a journal may be mid-write: its torn line is not yet an entry
        except FeedError as exc:
            return Verdict(UNUSABLE, (str(exc),))
        if not loaded.ok:
            return Verdict(UNUSABLE, tuple(loaded.problem_lines()))
        counts.append(loaded.count)
    why = different_elections(counts[0].election, counts[1].election)
    if why:
        return Verdict(UNUSABLE, (f"{a} and {b}: {why}",))
    agreement = compare(*counts)
    names = (Path(a).name, Path(b).name)
    if names[0] == names[1]:  # two journals of the same name: their paths tell them apart
        names = (str(a), str(b))
    return Verdict(AGREE if agreement.agree else DIFFER, (verdict_line(counts[0], agreement, *names),))


def verdict_line(main: Count, agreement: Agreement, a: str, b: str) -> str:
    """"agree at ballot 812", or "differ since ballot 413: A YES 200 NO 213 · B YES 199 NO 214"."""
    if agreement.agree:
        return f"agree at ballot {number(agreement.at)}"
    snap = main.snapshot()
    slots = compared_slots(snap, agreement.main, agreement.check)
    return (f"differ since ballot {number(agreement.since)}: "
            f"{a} {figures_words(snap, agreement.main, slots)} · {b} {figures_words(snap, agreement.check, slots)}")
