"""The NLRB counting rules, one function each (29 CFR 102.69, 102.70; NLRA 9(e)(1)).

Names used throughout: V_c votes for choice c, C challenged ballots (sealed,
unopened), R ballots still unopened (None when the total cast is not known),
E the eligible voters, S = C + R the ballots whose vote is not yet known.
Every function here is pure and takes plain numbers, so each rule can be read,
tested and reused on its own; `decide` composes them into one `Outcome`.

The principle behind every test: a count is **decided** when every way the
rest could fall gives the same result — each unopened ballot for any choice
or void, each challenged ballot for any choice or not counted at all (its
challenge sustained). Both kinds of ballot have the same options, so what is
still possible depends on S alone; C and R differ only in that challenges are
**determinative** when R = 0 and the outcome is still open. The final result
of a ballot is `final_result`; the functions between it and `decide` say, in
closed form, which final results the S ballots can still reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from tally.lang import N_, Words

OutcomeKind = Literal["majority", "no_majority", "runoff", "rerun", "pending", "undecided"]
Rule = Literal["representation", "deauthorization"]
REPRESENTATION: Rule = "representation"
DEAUTHORIZATION: Rule = "deauthorization"
YES_NO = ("yes", "no")
NULLITY = "29 CFR 102.70(d)"


@dataclass(frozen=True, slots=True)
class Outcome:
    decided: bool
    outcome: OutcomeKind
    winner: str | None
    runoff: tuple[str, str] | None
    challenges_determinative: bool
    reason: str
    majority_possible: bool = True
    """Some way the rest could fall still gives a choice a majority."""
    possible: tuple[str, ...] = ()
    """When no majority is possible: which of runoff, rerun, no_majority the rest can still give."""


@dataclass(frozen=True, slots=True)
class Result:
    """A final result: what the Board certifies or orders once every ballot is resolved."""

    outcome: Literal["majority", "no_majority", "runoff", "rerun"]
    winner: str | None = None
    runoff: tuple[str, str] | None = None


def remaining_unopened(
    ballots: int | None, opened: int, challenged: int, closed: bool
) -> int | None:
    """R: ballots cast that are neither opened nor set aside as challenged.

    After `close` nothing remains. Before it, R is known only when the header
    gives the total ballots cast; otherwise it is unknown (None) and no outcome
    can be called, because any number of ballots might still be in the box.
    """
    if closed:
        return 0
    if ballots is None:
        return None
    return ballots - opened - challenged


def majority_line(valid: int, challenged: int) -> int:
    """Votes that make a majority of valid votes plus challenged ballots.

    Challenged ballots count in the denominator because they may yet be opened
    and become valid. "Majority" is more than half, so a tie is not one.
    """
    return (valid + challenged) // 2 + 1


def deauthorization_line(eligible: int) -> int:
    """Yes votes that withdraw a union's authority in a deauthorization poll.

    NLRA Section 9(e)(1): the authority is rescinded only by "a majority of the
    employees eligible to vote", not of the votes cast — a voter who stays home
    counts as keeping the union's authority. More than half of E.
    """
    return eligible // 2 + 1


def has_clinched(votes: Sequence[int], i: int, challenged: int, remaining: int) -> bool:
    """Choice i has a majority that nothing unopened can take away.

    Even if every challenged and every unopened ballot went to the other
    choices, V_i would still be more than all of them: V_i > others + C + R.
    On a yes/no ballot this is the union's decided win (yes > no + C + R).
    """
    others = sum(votes) - votes[i]
    return votes[i] > others + challenged + remaining


def union_defeated(yes: int, no: int, challenged: int, remaining: int) -> bool:
    """On a yes/no ballot the union can no longer get a majority.

    Even if every challenged and unopened ballot were a yes, yes would at best
    tie no, and a tie is not a majority: no ≥ yes + C + R.
    """
    return no >= yes + challenged + remaining


def deauthorized(yes: int, eligible: int) -> bool:
    """A deauthorization poll has withdrawn the union's authority (NLRA 9(e)(1)).

    Yes already has a majority of all eligible voters: V_yes > E / 2. No later
    ballot can take a yes vote away, so this is decided for good.
    """
    return yes >= deauthorization_line(eligible)


def deauthorization_defeated(yes: int, challenged: int, remaining: int, eligible: int) -> bool:
    """A deauthorization poll can no longer withdraw the union's authority.

    Even if every challenged and unopened ballot were a yes, yes would not be
    a majority of the eligible voters: V_yes + C + R ≤ E / 2.
    """
    return yes + challenged + remaining < deauthorization_line(eligible)


def no_majority_possible(votes: Sequence[int], challenged: int, remaining: int) -> bool:
    """No choice can reach a majority any more.

    Even with every challenged and unopened ballot, each choice would have at
    most half: V_c + C + R ≤ others, for every c. On a ballot of three or more
    choices the result is then a runoff, a rerun or a certification of results
    (29 CFR 102.70); on a two-choice ballot, a tie.
    """
    total = sum(votes)
    return all(2 * v + challenged + remaining <= total for v in votes)


def _ranked(votes: Sequence[int]) -> list[int]:
    """Indices of the choices, most votes first (ballot order among equals)."""
    return sorted(range(len(votes)), key=lambda i: -votes[i])


def settled_runoff_pair(
    choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int
) -> tuple[str, str] | None:
    """The two choices with the most votes, once no ballot can change which two.

    29 CFR 102.70(c): with no majority, the runoff is between the choices with
    the largest and second largest number of votes. The pair is settled when
    the second place is out of reach of every choice below it, even with every
    challenged and unopened ballot: V_second > V_t + C + R. A choice that could
    tie the second place makes a 102.70(d) rerun possible, so not then.
    The pair is named in ballot order, so it reads the same however the votes move.
    """
    order = _ranked(votes)
    second = votes[order[1]]
    if all(second > votes[t] + challenged + remaining for t in order[2:]):
        first, second = sorted(order[:2])
        return choices[first], choices[second]
    return None


def rerun_tie(votes: Sequence[int]) -> bool:
    """A final count of three or more choices with no majority is a nullity.

    29 CFR 102.70(d): when the votes are equally divided among the choices, or
    one choice ties another below the first, no runoff pair can be named; the
    first election is void and is run again with all the original choices.
    Both are "the second and third places are tied". A tie for first place
    above a lower third is not one of them: the runoff pair is those two.
    """
    ranked = sorted(votes, reverse=True)
    return len(ranked) >= 3 and ranked[1] == ranked[2]


def certification_tie(votes: Sequence[int], eligible: int | None) -> bool:
    """The one exception of 102.70(d): a tie that ends in a certification of results.

    29 CFR 102.70(d): "in the event two or more choices receive the same number
    of ballots and another choice receives no ballots and there are no
    challenged ballots that would affect the results of the election, and if
    all eligible voters have cast valid ballots, there shall be no runoff
    election and a certification of results of election shall be issued".
    Read here on the final votes (no challenges left to matter): two choices
    with the same number of votes, more than none; a choice with none; and at
    least E valid votes (E is approximate: more valid votes than it still means
    every eligible voter cast one). Without E it is never applied.
    """
    if eligible is None or len(votes) < 3 or sum(votes) < eligible or 0 not in votes:
        return False
    positive = [v for v in votes if v > 0]
    return len(set(positive)) < len(positive)


def final_result(
    choices: Sequence[str], votes: Sequence[int], *, eligible: int | None = None,
    rule: Rule = REPRESENTATION,
) -> Result:
    """The result once every ballot is resolved (nothing unopened, no challenges).

    - Deauthorization poll (NLRA 9(e)(1)): yes wins with a majority of E.
    - Yes/no: the union wins with more than half the valid votes (29 CFR
      102.69), else no union ("no"): a tie is not a majority.
    - Any other ballot: a choice with more than half the valid votes wins. Two
      choices — a runoff ballot, 102.70(c) — otherwise tie: nobody is certified.
    - Three or more choices, no majority: the 102.70(d) exception
      (`certification_tie`), else a rerun (`rerun_tie`), else a runoff between
      the top two.
    """
    if rule == DEAUTHORIZATION:
        return Result("majority", "yes") if deauthorized(votes[0], eligible) else (
            Result("no_majority", "no"))
    total = sum(votes)
    if _is_yes_no(choices):
        return Result("majority", "yes") if 2 * votes[0] > total else Result("no_majority", "no")
    for choice, v in zip(choices, votes):
        if 2 * v > total:
            return Result("majority", choice)
    if len(votes) == 2 or certification_tie(votes, eligible):
        return Result("no_majority")
    if rerun_tie(votes):
        return Result("rerun")
    return Result("runoff", runoff=settled_runoff_pair(choices, votes, 0, 0))


def distinct_cost(values: Sequence[int]) -> int:
    """Fewest votes that, added to some of the values above 0, leave no two equal.

    Greedy from the smallest: each value is raised just above the one before
    it when it is not already; adding anywhere else cannot do it with fewer.
    """
    cost, floor = 0, 0
    for v in sorted(v for v in values if v > 0):
        target = max(v, floor + 1)
        cost += target - v
        floor = target
    return cost


def runoff_possible(votes: Sequence[int], spare: int, eligible: int | None) -> bool:
    """With no majority possible, some way the S ballots fall gives a 102.70(c) runoff.

    A runoff needs the top two strictly above the third: already so (0 votes),
    or one of those tied for second gets one more (1), or two of three or more
    tied for first get one each (2). The result must not also be a
    `certification_tie`, which needs at least E valid votes, a choice at 0 and
    a tie above 0: so the cheapest runoff with fewer than E valid votes, or
    one that also gives every choice at 0 a vote, or one where every choice
    above 0 differs (`distinct_cost`) will do. (A choice at 0 is never in the
    top three here: no majority possible with S ≥ 1 keeps them above 0.)
    """
    first, second, third = sorted(votes, reverse=True)[:3]
    cost = 0 if second > third else 1 if first > second else 2
    if cost > spare:
        return False
    if eligible is None:
        return True
    return (sum(votes) + cost < eligible or cost + votes.count(0) <= spare
            or distinct_cost(votes) <= spare)


def rerun_possible(votes: Sequence[int], spare: int, eligible: int | None) -> bool:
    """With no majority possible, some way the S ballots fall gives a 102.70(d) rerun.

    A rerun needs the second and third places tied: the cheapest way is to
    raise the third to the second. It must not also be a `certification_tie`;
    its tie is above 0, so it needs fewer than E valid votes, or a vote for
    every choice still at 0 as well.
    """
    second, third = sorted(votes, reverse=True)[1:3]
    cost = second - third
    if cost > spare:
        return False
    return (eligible is None or sum(votes) + cost < eligible
            or cost + votes.count(0) <= spare)


def certification_possible(votes: Sequence[int], spare: int, eligible: int | None) -> bool:
    """With no majority possible, some way the S ballots fall meets the 102.70(d) exception.

    A choice at 0 stays at 0, two other choices are brought level above 0
    (|V_i − V_j| votes, or 2 to make two zeros 1 each), and the valid votes
    reach E: on four or more choices the rest can go to a fourth choice, so
    up to every spare ballot counts; on three, only pairs of votes to the two
    tied keep them tied.
    """
    if eligible is None or 0 not in votes:
        return False
    rest = list(votes)
    rest.remove(0)  # the choice that stays at 0
    total = sum(votes)
    for a in range(len(rest)):
        for b in range(a + 1, len(rest)):
            level = abs(rest[a] - rest[b]) if max(rest[a], rest[b]) else 2
            if level > spare:
                continue
            most = spare if len(votes) >= 4 else level + (spare - level) // 2 * 2
            if total + most >= eligible:
                return True
    return False


def votes_needed(votes: Sequence[int], i: int, challenged: int, remaining: int, ties_win: bool) -> int:
    """Further votes choice i needs to make its result certain.

    Certain means: even if every challenged ballot and every other unopened
    ballot went against it. Each vote it gets is also one ballot fewer for the
    others, so x votes close the gap by 2x. `ties_win` is for "no" on a yes/no
    ballot: a tie already defeats the union, so no needs only to reach yes + C + R.
    """
    others = sum(votes) - votes[i]
    gap = others + challenged + remaining - votes[i]
    if ties_win:
        return max(0, (gap + 1) // 2)
    return max(0, gap // 2 + 1)


def deauthorization_votes_needed(yes: int, i: int, challenged: int, remaining: int, eligible: int) -> int:
    """Further votes yes (i = 0) or no (i = 1) needs to settle a deauthorization poll.

    Yes needs to reach a majority of E, whatever the rest do. No needs enough
    of the still-open ballots to leave yes short of it even if every other one
    were a yes: V_yes + C + R − x < E / 2 + 1 (a void ballot would do as well).
    """
    line = deauthorization_line(eligible)
    if i == 0:
        return max(0, line - yes)
    return max(0, yes + challenged + remaining - line + 1)


def _is_yes_no(choices: Sequence[str]) -> bool:
    return tuple(choices) == YES_NO


def _no_majority_results(votes: Sequence[int], spare: int, eligible: int | None) -> tuple[str, ...]:
    """Which results the S ballots can still give, once no choice can reach a majority."""
    if len(votes) == 2:
        return ("no_majority",)  # no majority possible on two choices: a certain tie
    checks = (("runoff", runoff_possible), ("rerun", rerun_possible),
              ("no_majority", certification_possible))
    return tuple(kind for kind, possible in checks if possible(votes, spare, eligible))


def _settle(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int,
            eligible: int | None, rule: Rule) -> Result | None:
    """The final result if every way the rest can fall gives it, else None.

    With R unknown any number of ballots may follow, so only a result that no
    ballot can undo is settled: a poll's yes majority of the eligible voters.
    """
    if rule == DEAUTHORIZATION:
        if deauthorized(votes[0], eligible):
            return Result("majority", "yes")
        if remaining is not None and deauthorization_defeated(votes[0], challenged, remaining, eligible):
            return Result("no_majority", "no")
        return None
    if remaining is None:
        return None
    if challenged + remaining == 0:
        return final_result(choices, votes, eligible=eligible, rule=rule)
    if _is_yes_no(choices):
        if has_clinched(votes, 0, challenged, remaining):
            return Result("majority", "yes")
        if union_defeated(votes[0], votes[1], challenged, remaining):
            return Result("no_majority", "no")
        return None
    for i, choice in enumerate(choices):
        if has_clinched(votes, i, challenged, remaining):
            return Result("majority", choice)
    if not no_majority_possible(votes, challenged, remaining):
        return None
    spare = challenged + remaining
    results = _no_majority_results(votes, spare, eligible)
    if results == ("runoff",):  # one kind of result, but one result only if the pair is settled
        pair = settled_runoff_pair(choices, votes, challenged, remaining)
        return None if pair is None else Result("runoff", runoff=pair)
    return Result(results[0]) if len(results) == 1 else None


def is_decided(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None,
               *, eligible: int | None = None, rule: Rule = REPRESENTATION) -> bool:
    """Whether the outcome can no longer change, whatever is still unopened.

    `decide(...).decided` without its words, for the reducer's hot path.
    """
    return _settle(choices, votes, challenged, remaining, eligible, rule) is not None


def ballots_before_decided(
    choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None,
    *, eligible: int | None = None, rule: Rule = REPRESENTATION,
) -> int:
    """A lower bound on how many more ballots must be handled before a decision.

    The reducer uses this to skip checking while nothing can change; 0 means
    "check now". Every decision needs one of these tests to pass, and each
    ballot handled (opened or set aside) moves a test by at most so much:
    - clinch, union defeated, no majority possible: by 2 at most (a vote for c
      raises V_c by one and lowers R by one), so a test short by s votes
      cannot pass within ceil(s / 2) ballots. Runoffs, reruns and the 102.70(d)
      certification all need no majority possible first.
    - deauthorization: yes rises by at most 1 a ballot, and yes + C + R falls
      by at most 1 (a no or a void), so each test is short by whole ballots.
    With R unknown nothing is decided before close, however many ballots come
    — except a poll's yes majority, which no later ballot can undo.
    """
    if rule == DEAUTHORIZATION:
        line = deauthorization_line(eligible)
        if remaining is None:
            return max(0, line - votes[0])
        return max(0, min(line - votes[0], votes[0] + challenged + remaining - line + 1))
    if remaining is None:
        return 1 << 62
    spare = challenged + remaining
    clinch = [sum(votes) - 2 * v + spare + 1 for v in votes]
    if _is_yes_no(choices):
        other = votes[0] + spare - votes[1]  # union defeated
    else:
        other = max(2 * v + spare - sum(votes) for v in votes)  # no majority possible
    return max(0, (min(min(clinch), other) + 1) // 2)


def decide(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None,
           *, eligible: int | None = None, rule: Rule = REPRESENTATION) -> Outcome:
    """The outcome as it stands: decided, pending on challenges, or not yet.

    - R unknown: nothing is decided before the count is closed (but a poll's
      yes majority of the eligible voters, which no ballot can undo).
    - Decided (`_settle`: every way the rest can fall gives one result): that
      result, with its winner or runoff pair.
    - R = 0 and not decided: the challenged ballots are sufficient in number to
      affect the results (determinative), and the outcome is pending.
    - Otherwise too early to call — or, when no choice can reach a majority any
      more, a runoff (or rerun) is certain but not yet which.
    A deauthorization poll (`rule`) needs `eligible`.
    """
    if rule == DEAUTHORIZATION and eligible is None:
        raise ValueError("a deauthorization poll needs the number of eligible voters")
    settled = _settle(choices, votes, challenged, remaining, eligible, rule)
    if settled is not None:
        majority = settled.outcome == "majority"
        return Outcome(True, settled.outcome, settled.winner, settled.runoff, False,
                       _decided_reason(settled, choices, votes, challenged + (remaining or 0),
                                       eligible, rule),
                       majority, () if majority else (settled.outcome,))
    if remaining is None:
        return Outcome(False, "undecided", None, None, False,
                       Words("total ballots not known: nothing is decided before the count is closed"))
    if rule == DEAUTHORIZATION or _is_yes_no(choices) or not no_majority_possible(
            votes, challenged, remaining):
        possible, majority = (), True
    else:
        possible, majority = _no_majority_results(votes, challenged + remaining, eligible), False
    if remaining == 0:
        return Outcome(False, "pending", None, None, True,
                       Words("the {n} challenged ballots can change the result: outcome pending", n=challenged),
                       majority, possible)
    if not majority:
        return Outcome(False, "undecided", None, None, False,
                       Words("no majority possible: {certain}, not yet which", certain=certain_words(possible)),
                       majority, possible)
    return Outcome(False, "undecided", None, None, False, Words("too early to call"))


POSSIBLE_NAMES = {"runoff": N_("runoff"), "rerun": N_("rerun"), "no_majority": N_("certification of results")}
CERTAIN = (N_("a {a} is certain"), N_("a {a} or {b} is certain"), N_("a {a}, {b} or {c} is certain"))


def certain_words(possible: Sequence[str]) -> Words:
    """"a runoff or rerun is certain", for the results still possible without a majority (one to three)."""
    names = dict(zip("abc", (Words(POSSIBLE_NAMES[k]) for k in possible)))
    return Words(CERTAIN[len(names) - 1], **names)


def _decided_reason(result: Result, choices: Sequence[str], votes: Sequence[int], spare: int,
                    eligible: int | None, rule: Rule) -> str:
    if rule == DEAUTHORIZATION:
        if result.outcome == "majority":
            return Words("deauthorized: yes has a majority of the {n:,} eligible voters", n=eligible)
        return Words("not deauthorized: yes cannot reach a majority of the {n:,} eligible voters", n=eligible)
    if result.outcome == "majority":
        return Words("the union wins") if _is_yes_no(choices) else Words("{winner} wins a majority",
                                                                           winner=result.winner)
    if result.outcome == "runoff":
        return Words("runoff between {a} and {b}", a=result.runoff[0], b=result.runoff[1])
    if result.outcome == "rerun":
        if spare:
            tie = Words("every way the rest can fall leaves a tie for a runoff place")
        elif len(set(votes)) == 1:
            tie = Words("the votes are equally divided among the choices")
        else:
            tie = Words("a tie for second place leaves no runoff pair")
        return Words("{tie}; the election is a nullity, run again with all the choices ({rule})",
                     tie=tie, rule=NULLITY)
    if _is_yes_no(choices):
        return Words("no union")
    if len(votes) == 2:
        return Words("the vote is tied, and a tie is not a majority: nobody is certified")
    return Words("a tie, a choice with no votes and every eligible voter voting: no runoff, "
                 "a certification of results ({rule})", rule=NULLITY)
