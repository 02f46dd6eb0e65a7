"""A stand-in for tally/odds.py (being written on the `odds` branch), with its API and rough numbers.

conftest.py installs it as `tally.odds` only when the real module is missing,
so the dashboard's needle can be tested before the two branches meet. A normal
approximation of the unopened ballots' lead: good enough to draw, not to trust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NO_TOTAL = "the total ballots cast is not known, so the unopened ballots cannot be modelled"


@dataclass(frozen=True, slots=True)
class Odds:
    method: str
    prior: tuple[float, ...]
    outcomes: dict[str, float]
    ranges: dict[str, tuple[int, int]]


def no_odds_reason(snap) -> str | None:
    return NO_TOTAL if snap.remaining is None else None


def _above(t: float, mean: float, sd: float) -> float:
    if sd == 0:
        return float(mean > t)
    return 0.5 * math.erfc((t - mean) / (sd * math.sqrt(2)))


def union_chance(y: int, m: int, v: int, challenged: int, remaining: int) -> float:
    return _chances(y, m, v, challenged, remaining)[0]


def _chances(y, m, v, c, r):
    p_yes = (y + 1) / (y + m + 2)
    mean = r * (2 * p_yes - 1)
    sd = math.sqrt(r * 4 * p_yes * (1 - p_yes) * (1 + r / (y + m + 2)))
    win = _above(m - y + c + 0.5, mean, sd)
    lose = 1 - _above(m - y - c - 0.5, mean, sd)
    return win, lose, max(0.0, 1 - win - lose)


def odds(snap, prior=None) -> Odds | None:
    if no_odds_reason(snap):
        return None
    r = snap.remaining
    share = [(v + 1) / (snap.valid + len(snap.votes)) for v in snap.votes]
    ranges = {c: (v + round(r * s * 0.9), v + round(r * s * 1.1)) for c, v, s in zip(snap.choices, snap.votes, share)}
    if snap.election.yes_no:
        y, m = snap.votes
        win, lose, pending = _chances(y, m, snap.void, snap.challenged, r)
        return Odds("exact", (1.0, 1.0, 1.0), {"yes": win, "no": lose, "pending": pending}, ranges)
    top = max(range(len(share)), key=share.__getitem__)
    outcomes = {c: 0.0 for c in snap.choices} | {"runoff": 0.4, "rerun": 0.0, "no_majority": 0.0, "pending": 0.0}
    outcomes[snap.choices[top]] = 0.6
    return Odds("simulation", (1.0,) * (len(share) + 1), outcomes, ranges)
