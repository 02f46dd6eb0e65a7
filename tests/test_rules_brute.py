"""tally.rules against the definition (tests/brute.py) on every small count.

Every state with up to 4 choices, up to 6 votes each, up to 3 challenged and
up to 3 unopened (and the eligible voters where they matter): `decide` must
say decided exactly when every way the rest could fall gives one result, and
that result; pending exactly when nothing is unopened and it is not decided;
whether a majority is still possible and, when not, which results are. The
reducer's fast path (`is_decided`, `ballots_before_decided`) must agree.

Ballots of three or more choices are read by name, so the rules cannot depend
on a choice's place on the ballot: each count is enumerated once with its
votes in descending order, and `decide` is also asked with the choices
reversed and rotated. Each ballot kind is its own test, so xdist spreads them.
"""

from __future__ import annotations

from itertools import combinations_with_replacement, product

import pytest

from brute import outcomes
from tally import rules

MAX_VOTES, MAX_CHALLENGED, MAX_UNOPENED = 6, 3, 3
KINDS = {
    "yes-no": (("yes", "no"), "representation"),
    "deauthorization": (("yes", "no"), "deauthorization"),
    "two-unions": (("Teamsters Local 727", "UFCW Local 881"), "representation"),
    "union-neither": (("UFCW Local 881", "Neither"), "representation"),
    "three": (("Union A", "Union B", "Neither"), "representation"),
    "four": (("Union A", "Union B", "Union C", "Neither"), "representation"),
    # Beyond the brief's four: with two choices at 0, the 102.70(d) exception can be
    # decided before the end ((3, 3, 3, 0, 0) with one ballot open). Fewer votes, same speed.
    "five": (("Union A", "Union B", "Union C", "Union D", "Neither"), "representation"),
}
MAX_VOTES_OF = {"five": 4}


def vote_vectors(k: int, most: int = MAX_VOTES):
    if k == 2:  # every order: the two choices are not alike (yes/no), or cheap enough
        return product(range(most + 1), repeat=2)
    return combinations_with_replacement(range(most, -1, -1), k)


def eligible_values(votes, spare, rule):
    """The eligible voters worth trying: around every total the count can still reach."""
    total = sum(votes)
    if rule == "deauthorization":
        return range(1, 2 * (total + spare) + 3)
    if 0 in votes and len(votes) >= 3:  # only then can the 102.70(d) exception apply
        return [None, *range(max(1, total - 1), total + spare + 2)]
    return [None, max(1, total)]


def orders(k: int):
    """Each ballot order decide is asked in: as listed, reversed, rotated."""
    if k == 2:
        return [tuple(range(k))]
    return [tuple(range(k)), tuple(reversed(range(k))), tuple(range(1, k)) + (0,)]


def key(out: rules.Outcome):
    return (out.outcome, out.winner, frozenset(out.runoff) if out.runoff else None)


def expected(results, remaining):
    """What decide must say, from the results every resolution gives."""
    if len(results) == 1:
        return next(iter(results))
    return ("pending" if remaining == 0 else "undecided", None, None)


def successors(votes, challenged, remaining):
    """The counts one ballot handled later: a vote for each choice, a void, a challenge."""
    if remaining == 0:
        return
    for i in range(len(votes)):
        yield tuple(v + (j == i) for j, v in enumerate(votes)), challenged, remaining - 1
    yield votes, challenged, remaining - 1
    yield votes, challenged + 1, remaining - 1


def check_state(choices, rule, votes, c, r, eligible, problems):
    results = outcomes(choices, votes, c, r, eligible, rule)
    want = expected(results, r)
    majority = any(res[0] == "majority" for res in results)
    possible = () if majority else tuple(
        kind for kind in ("runoff", "rerun", "no_majority") if any(res[0] == kind for res in results))
    kind = {"eligible": eligible, "rule": rule}
    for order in orders(len(choices)):
        named = tuple(choices[i] for i in order)
        counted = tuple(votes[i] for i in order)
        out = rules.decide(named, counted, c, r, **kind)
        got = (key(out), out.decided, out.challenges_determinative, out.majority_possible,
               out.possible if not out.majority_possible else (),
               rules.is_decided(named, counted, c, r, **kind))
        should = (want, len(results) == 1, len(results) > 1 and r == 0, majority, possible,
                  len(results) == 1)
        if got != should:
            problems.append(f"{named} {counted} C={c} R={r} E={eligible}: got {got}, want {should}")
        bound = rules.ballots_before_decided(named, counted, c, r, **kind)
        if bound > 0 and len(results) == 1:
            problems.append(f"{counted} C={c} R={r} E={eligible}: decided, but {bound} ballots away")
        for after in successors(counted, c, r):
            if rules.ballots_before_decided(named, *after, **kind) < bound - 1:
                problems.append(f"{counted} C={c} R={r} E={eligible}: the bound {bound} "
                                f"fell by more than one ballot at {after}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_rules_match_every_way_the_rest_can_fall(kind):
    choices, rule = KINDS[kind]
    problems: list[str] = []
    states = 0
    for votes in vote_vectors(len(choices), MAX_VOTES_OF.get(kind, MAX_VOTES)):
        for c in range(MAX_CHALLENGED + 1):
            for r in range(MAX_UNOPENED + 1):
                for eligible in eligible_values(votes, c + r, rule):
                    check_state(choices, rule, tuple(votes), c, r, eligible, problems)
                    states += 1
    assert not problems, f"{len(problems)} of {states} states disagree:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("kind", ["two-unions", "yes-no", "deauthorization", "three"])
def test_votes_needed_is_exactly_what_makes_it_certain(kind):
    """x = needed(i) votes for i, the rest still open, decide it for i; x − 1 do not."""
    choices, rule = KINDS[kind]
    problems = []
    for votes in vote_vectors(len(choices)):
        for c, r in product(range(MAX_CHALLENGED + 1), range(1, MAX_UNOPENED + 4)):
            for eligible in (eligible_values(votes, c + r, rule) if rule == "deauthorization" else [None]):
                for i in range(len(choices)):
                    need = needed(choices, rule, votes, i, c, r, eligible)
                    if need > r:
                        continue
                    wins = [decided_for(choices, rule, votes, i, x, c, r, eligible) for x in (need - 1, need)]
                    if wins != [False, True]:
                        problems.append(f"{votes} C={c} R={r} E={eligible} {choices[i]} needs {need}")
    assert not problems, "\n".join(problems[:20])


def needed(choices, rule, votes, i, c, r, eligible):
    if rule == "deauthorization":
        return rules.deauthorization_votes_needed(votes[0], i, c, r, eligible)
    return rules.votes_needed(votes, i, c, r, ties_win=choices == ("yes", "no") and i == 1)


def decided_for(choices, rule, votes, i, x, c, r, eligible) -> bool:
    """After x more votes for choice i, is the count decided in i's favour?"""
    if x < 0:
        return False
    more = tuple(v + x * (j == i) for j, v in enumerate(votes))
    out = rules.decide(choices, more, c, r - x, eligible=eligible, rule=rule)
    side = "yes" if i == 0 else "no"
    favour = (out.winner == side) if len(choices) == 2 and choices[0] == "yes" else (
        out.outcome == "majority" and out.winner == choices[i])
    return out.decided and favour
