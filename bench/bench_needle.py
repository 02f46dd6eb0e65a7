"""How long the needle takes, in-process, against baselines timed in the same run.

Run: python bench/bench_needle.py [--rounds K]. Each measure alternates ours and
its baseline K times and prints medians, min–max and the ratio of medians.

- The exact yes/no needle (`yes_no_chances`, remembered results cleared each
  time) and the whole `odds()` (chances and both 80 % ranges) for R = 100,
  1,000, 10,000, at the start of a count (the widest spread: every s from 0 to
  R matters) and mid-count with challenged ballots (two tail walks). Target:
  ≤ 20 ms at R = 10,000. Baselines: one `Count.snapshot()` of the same state
  (what every frame already pays), and for R ≤ 1,000 the naive O(R²) double
  sum over every (k yes, j no) split.
- The format's largest count (`ballots` 10,000,000, 1,000 opened, as in
  bench_board_load.py): the whole `odds()` of a yes/no count and of a
  deauthorization poll, whose windows are numpy arrays from `odds.LARGE`
  ballots on, against the same sums over lists (LARGE raised, the code before
  issue 16's last change), alternated in the same run.
- The multi-choice simulation (20,000 draws) for R = 100, 1,000, 10,000:
  against one `rules.decide` per distinct final vector (the plain memo).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import Counter
from typing import Callable

import numpy as np

from tally import odds as O
from tally import rules
from tally.reducer import Count
from tally.schema import parse_event


def count_of(votes: tuple[int, ...], void: int, challenged: int, remaining: int,
             choices: tuple[str, ...] = ("yes", "no"), fields: dict | None = None) -> Count:
    """A live count with these totals and `remaining` ballots unopened (`fields`: more of the header)."""
    ballots = sum(votes) + void + challenged + remaining
    header = json.dumps({"seq": 1, "type": "election", "id": "b", "title": "b", "ballots": ballots,
                         "choices": list(choices), **(fields or {})})
    count = Count()
    count.apply(parse_event(header))
    piles = [(c, n) for c, n in zip(choices, votes)] + [("void", void)]
    for choice, n in piles:
        if n:
            count.apply(parse_event(f'{{"seq":{count.last_seq + 1},"type":"ballot",'
                                    f'"choice":"{choice}","count":{n}}}'))
    if challenged:
        count.apply(parse_event(f'{{"seq":{count.last_seq + 1},"type":"challenged","count":{challenged}}}'))
    return count


def naive_chances(y: int, m: int, v: int, c: int, r: int) -> float:
    """P(union wins) by the double sum over every split, each by lgamma: O(R²)."""
    a, b, cv, lg = 1 + y, 1 + m, 1 + v, math.lgamma
    const = lg(r + 1) + lg(a + b + cv) - lg(a + b + cv + r) - lg(a) - lg(b) - lg(cv)
    win = 0.0
    for k in range(r + 1):
        for j in range(r + 1 - k):
            if y + k > m + j + c:
                win += math.exp(const + lg(a + k) + lg(b + j) + lg(cv + r - k - j)
                                - lg(k + 1) - lg(j + 1) - lg(r - k - j + 1))
    return win


def per_vector(snap, finals) -> Counter:
    """The plain memo: one `rules.decide` per distinct final vector."""
    distinct, counts = np.unique(finals, axis=0, return_counts=True)
    tally: Counter = Counter()
    for votes, n in zip(distinct.tolist(), counts.tolist()):
        tally[O._multi_key(rules.decide(snap.choices, tuple(votes), snap.challenged, 0))] += n
    return tally


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(name: str, ours: Callable, baseline: Callable, rounds: int, base_name: str) -> None:
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(ours))
        b.append(timed(baseline))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name}: ours {ma * 1e3:.2f} ms ({min(a) * 1e3:.2f}–{max(a) * 1e3:.2f}); "
          f"{base_name} {mb * 1e3:.3f} ms ({min(b) * 1e3:.3f}–{max(b) * 1e3:.3f}); ratio {ma / mb:.3g}")


def exact(rounds: int) -> None:
    for r in (100, 1_000, 10_000):
        for label, state in (("start", (0, 0, 0, 0, r)), ("start, challenged", (0, 0, 0, 9, r)),
                             ("mid, challenged", (r // 3, r // 3 - 4, 2, 7, r))):
            y, m, v, c, _ = state
            count = count_of((y, m), v, c, r)
            snap = count.snapshot()

            def chances(state=state):
                O.yes_no_chances.cache_clear()
                O.yes_no_chances(*state)

            def whole(snap=snap):
                O.yes_no_chances.cache_clear()
                O.odds(snap)

            tag = f"R={r:,} {label}"
            compare(f"yes_no_chances {tag}", chances, count.snapshot, rounds, "Count.snapshot()")
            compare(f"odds() {tag}", whole, count.snapshot, rounds, "Count.snapshot()")
            if r <= 1_000:
                compare(f"yes_no_chances {tag}", chances, lambda: naive_chances(*state),
                        max(1, rounds // 3), "naive O(R²)")


def largest(rounds: int) -> None:
    """The largest legal count's exact needle: arrays (LARGE) against lists, alternated."""
    sides = {"yes/no": ({}, (480, 520)), "deauthorization": ({"rule": "deauthorization", "eligible": 10_000_000}, (500, 500))}
    for name, (fields, votes) in sides.items():
        count = count_of(votes, 0, 0, 10_000_000 - sum(votes), fields=fields)
        snap = count.snapshot()

        def whole(large: int, snap=snap):
            O.yes_no_chances.cache_clear()
            before, O.LARGE = O.LARGE, large
            try:
                O.odds(snap)
            finally:
                O.LARGE = before

        compare(f"odds() at the largest count, {name}", lambda: whole(O.LARGE), lambda: whole(10**9),
                max(2, rounds // 3), "the same sums over lists")


def simulation(rounds: int) -> None:
    abn = ("A", "B", "N")
    for r in (100, 1_000, 10_000):
        for label, votes, void, c in (("start", (0, 0, 0), 0, 0), ("close three-way", (r // 3, r // 3 - 2, r // 3 - 5), 3, 4),
                                      ("lopsided", (r // 2, r // 4, r // 8), 5, 5)):
            snap = count_of(votes, void, c, r, abn).snapshot()
            if snap.outcome.decided:
                continue
            rng = np.random.default_rng(1)
            shares = rng.dirichlet(np.add((1, 1, 1, 1), [*votes, void]), size=O.DRAWS)
            finals = rng.multinomial(r, shares)[:, :-1] + np.asarray(votes)
            tag = f"R={r:,} {label}"
            compare(f"odds() simulation {tag}", lambda: O.odds(snap), lambda: per_vector(snap, finals),
                    rounds, "one decide per distinct vector (classification only)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--largest-only", action="store_true", help="only the largest legal count's needle")
    args = parser.parse_args()
    O.odds(count_of((1, 1, 1), 0, 0, 5, ("A", "B", "N")).snapshot())  # numpy imported, caches warm
    if not args.largest_only:
        exact(args.rounds)
    largest(args.rounds)
    if args.largest_only:
        return
    simulation(max(3, args.rounds // 2))


if __name__ == "__main__":
    main()
