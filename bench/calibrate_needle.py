"""Is the needle calibrated? Replays of the real Starbucks tallies in random order.

Run: python bench/calibrate_needle.py [--seeds K] [--csv PATH]. For every row of
shared/data/starbucks-tallies.csv (341 real NLRB tallies; a blank void or
challenged is 0) the box is rebuilt from its yes / no / void ballots, the
challenged ones are set aside first (as the Board does) and the rest shuffled
with K seeds. At 10 %, 20 %, … 90 % of the ballots opened the needle's
union-win probability is recorded, with the final result under the rules
(`rules.decide` at the end). A final in which the challenges are determinative
("pending") is not a union win — the needle's "union wins" is a win without
them — and the figures are also given with those rows left out.

Baseline: "whoever leads now wins" (1 or 0; 0.5 on a tie). Scores: Brier (the
mean squared error of the probability; lower is better) and a 10-bin
reliability table (in each bin of predicted probability, how often the union
won). Then a prior fitted to the tallies (a Dirichlet over yes/no/void by
maximum likelihood) is fitted on half the rows and scored on the other half,
both ways round, against the uniform prior on the same halves.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import zlib
from dataclasses import dataclass
from pathlib import Path

from tally import rules
from tally.odds import union_chance

CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "starbucks-tallies.csv"
CHECKPOINTS = tuple(i / 10 for i in range(1, 10))
UNIFORM = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Tally:
    case: str
    yes: int
    no: int
    void: int
    challenged: int

    @property
    def final(self) -> str:
        """majority, no_majority or pending, as the rules call the full count."""
        return rules.decide(("yes", "no"), (self.yes, self.no), self.challenged, 0).outcome


@dataclass(frozen=True)
class Call:
    """One checkpoint of one replay: what each forecaster said, and what happened."""

    needle: float
    leader: float
    won: bool
    pending: bool
    at: float


def read_tallies(path: Path) -> list[Tally]:
    """Every row with yes and no given (all 341 are); blank void or challenged is 0."""
    rows = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["yes"].strip().isdigit() and row["no"].strip().isdigit():
                rows.append(Tally(row["case"], int(row["yes"]), int(row["no"]),
                                  int(row["void"] or 0), int(row["challenged"] or 0)))
    return rows


def replay(tally: Tally, seed: int, prior: tuple[float, float, float]) -> list[Call]:
    """One random-order count of this tally, read at each checkpoint."""
    box = ["y"] * tally.yes + ["n"] * tally.no + ["v"] * tally.void
    random.Random(zlib.crc32(f"{tally.case}:{seed}".encode())).shuffle(box)
    won, pending = tally.final == "majority", tally.final == "pending"
    calls = []
    for at in CHECKPOINTS:
        opened = box[: round(at * len(box))]
        y, m, v = opened.count("y"), opened.count("n"), opened.count("v")
        needle = union_chance(y, m, v, tally.challenged, len(box) - len(opened), prior)
        leader = 1.0 if y > m else 0.0 if y < m else 0.5
        calls.append(Call(needle, leader, won, pending, at))
    return calls


def brier(calls: list[Call], who: str) -> float:
    return sum((getattr(c, who) - c.won) ** 2 for c in calls) / len(calls)


def reliability(calls: list[Call], who: str) -> list[tuple[str, int, float, float]]:
    """Per bin of predicted probability: its range, how many calls, mean prediction, union-win share."""
    bins: list[list[Call]] = [[] for _ in range(10)]
    for c in calls:
        bins[min(9, int(getattr(c, who) * 10))].append(c)
    return [(f"{i / 10:.1f}–{(i + 1) / 10:.1f}", len(b),
             sum(getattr(c, who) for c in b) / len(b) if b else math.nan,
             sum(c.won for c in b) / len(b) if b else math.nan) for i, b in enumerate(bins)]


def log_likelihood(tallies: list[Tally], alpha: tuple[float, float, float]) -> float:
    """Σ log DirMult(yes, no, void; alpha) over the boxes (less the constant multinomial term)."""
    lg, total = math.lgamma, 0.0
    a0 = sum(alpha)
    for t in tallies:
        counts = (t.yes, t.no, t.void)
        total += lg(a0) - lg(a0 + sum(counts)) + sum(lg(a + n) - lg(a) for a, n in zip(alpha, counts))
    return total


def fit_prior(tallies: list[Tally], symmetric: bool = False) -> tuple[float, float, float]:
    """The Dirichlet over yes/no/void that makes these boxes likeliest: coordinate
    ascent on log α, a golden-section search per weight, until it stops moving.
    `symmetric` ties the yes and no weights (neutral between the sides: only the
    concentration and the void rate are learnt)."""
    def alpha(logs: list[float]) -> tuple[float, float, float]:
        weights = [math.exp(v) for v in logs]
        return (weights[0], weights[0], weights[1]) if symmetric else tuple(weights)

    logs = [0.0, 0.0] if symmetric else [0.0, 0.0, 0.0]
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(30):
        before = list(logs)
        for i in range(len(logs)):
            def f(x: float) -> float:
                return log_likelihood(tallies, alpha(logs[:i] + [x] + logs[i + 1:]))
            lo, hi = -7.0, 7.0
            while hi - lo > 1e-6:
                a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
                lo, hi = (a, hi) if f(a) < f(b) else (lo, b)
            logs[i] = (lo + hi) / 2
        if max(abs(x - y) for x, y in zip(logs, before)) < 1e-5:
            break
    return alpha(logs)


def calls_of(tallies: list[Tally], seeds: int, prior: tuple[float, float, float]) -> list[Call]:
    return [c for t in tallies for s in range(seeds) for c in replay(t, s, prior)]


def print_table(calls: list[Call]) -> None:
    print("| predicted | needle: calls | mean predicted | union won | leader: calls | union won |")
    print("|---|---|---|---|---|---|")
    for (span, n, mean, won), (_, ln, _, lwon) in zip(reliability(calls, "needle"), reliability(calls, "leader")):
        lead = f"{ln} | {lwon:.3f}" if ln else "0 | –"
        body = f"{n} | {mean:.3f} | {won:.3f}" if n else "0 | – | –"
        print(f"| {span} | {body} | {lead} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--csv", type=Path, default=CSV)
    args = parser.parse_args()
    tallies = read_tallies(args.csv)
    finals = [t.final for t in tallies]
    print(f"{len(tallies)} tallies ({finals.count('majority')} union wins, {finals.count('no_majority')} losses, "
          f"{finals.count('pending')} pending), {args.seeds} random orders each, checkpoints at "
          f"10 %–90 % of the ballots opened")
    calls = calls_of(tallies, args.seeds, UNIFORM)
    settled = [c for c in calls if not c.pending]
    print(f"Brier, all {len(calls)} calls (pending = not a union win): needle {brier(calls, 'needle'):.4f}, "
          f"leader {brier(calls, 'leader'):.4f}")
    print(f"Brier, without the pending finals ({len(settled)} calls): needle {brier(settled, 'needle'):.4f}, "
          f"leader {brier(settled, 'leader'):.4f}")
    print("Brier by checkpoint (needle / leader): " + ", ".join(
        f"{at:.0%} {brier(part, 'needle'):.3f}/{brier(part, 'leader'):.3f}"
        for at in CHECKPOINTS for part in [[c for c in calls if c.at == at]]))
    print_table(calls)
    order = sorted(tallies, key=lambda t: zlib.crc32(t.case.encode()))
    halves = (order[::2], order[1::2])
    for fit_on, score_on in (halves, halves[::-1]):
        uniform = brier(calls_of(score_on, args.seeds, UNIFORM), "needle")
        line = [f"fitted on {len(fit_on)} rows, scored on the other {len(score_on)}: uniform {uniform:.4f}"]
        for name, symmetric in (("free", False), ("yes = no", True)):
            prior = fit_prior(fit_on, symmetric)
            score = brier(calls_of(score_on, args.seeds, prior), "needle")
            line.append(f"{name} ({', '.join(f'{w:.3f}' for w in prior)}) {score:.4f}")
        print("; ".join(line))
    for name, symmetric in (("free", False), ("yes = no", True)):
        prior = fit_prior(tallies, symmetric)
        calls = calls_of(tallies, args.seeds, prior)
        print(f"prior fitted on all rows, {name}: ({', '.join(f'{w:.3f}' for w in prior)}); Brier {brier(calls, 'needle'):.4f} "
              f"(without pending {brier([c for c in calls if not c.pending], 'needle'):.4f})")
        print_table(calls)


if __name__ == "__main__":
    main()
