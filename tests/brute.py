"""The counting rules by definition, for checking tally.rules: slow, plain, independent.

`result` is the final result of a ballot once every vote is known, read
straight from 29 CFR 102.69/102.70 and NLRA 9(e)(1) without any of the
shortcuts in tally/rules.py. `outcomes` enumerates every way the rest could
fall — each unopened ballot for any choice or void, each challenged ballot for
any choice or not counted — and collects the results. A count is decided when
they are all the same; challenges are determinative when nothing is unopened
and they are not.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations_with_replacement


@lru_cache(maxsize=None)
def result(choices: tuple[str, ...], votes: tuple[int, ...], eligible: int | None,
           rule: str) -> tuple:
    """(outcome, winner, runoff pair as a frozenset) of a finished count."""
    total = sum(votes)
    if rule == "deauthorization":  # a majority of the eligible voters, not of the votes cast
        return ("majority", "yes", None) if 2 * votes[0] > eligible else ("no_majority", "no", None)
    if choices == ("yes", "no"):  # the union's majority, or no union (a tie is not a majority)
        return ("majority", "yes", None) if 2 * votes[0] > total else ("no_majority", "no", None)
    for choice, v in zip(choices, votes):
        if 2 * v > total:  # 102.69: a majority of the valid votes
            return ("majority", choice, None)
    if len(choices) == 2:  # a runoff ballot that ties: nobody certified
        return ("no_majority", None, None)
    # 102.70(d), the exception: two choices tie (with votes), another has none, every
    # eligible voter cast a valid ballot (no challenges are left to matter here).
    tied = any(votes.count(v) >= 2 for v in votes if v > 0)
    if eligible is not None and total >= eligible and tied and 0 in votes:
        return ("no_majority", None, None)
    ranked = sorted(votes, reverse=True)
    # 102.70(d): equally divided, or second place tied: a nullity, run again.
    if ranked[1] == ranked[2]:
        return ("rerun", None, None)
    # 102.70(c): a runoff between the largest and second largest.
    top = sorted(range(len(votes)), key=lambda i: -votes[i])[:2]
    return ("runoff", None, frozenset(choices[i] for i in top))


def finals(votes: tuple[int, ...], open_ballots: int) -> set[tuple[int, ...]]:
    """Every final vote vector: each open ballot for a choice, or for none (void / not counted).

    Unopened and challenged ballots have the same options, and ballots are
    interchangeable, so each multiset of options is one way the rest can fall.
    """
    options = range(len(votes) + 1)  # the last one: void, or a challenge sustained
    out = set()
    for picks in combinations_with_replacement(options, open_ballots):
        final = list(votes)
        for p in picks:
            if p < len(votes):
                final[p] += 1
        out.add(tuple(final))
    return out


@lru_cache(maxsize=None)
def _finals(votes: tuple[int, ...], open_ballots: int) -> frozenset:
    return frozenset(finals(votes, open_ballots))


def outcomes(choices: tuple[str, ...], votes: tuple[int, ...], challenged: int, remaining: int,
             eligible: int | None = None, rule: str = "representation") -> set[tuple]:
    """The results every way the rest could fall can give."""
    return {result(choices, final, eligible, rule)
            for final in _finals(tuple(votes), challenged + remaining)}
