"""The NLRB counting rules, one function each (29 CFR 102.69, 102.70).

Names used throughout: V_c votes for choice c, C challenged ballots (sealed,
unopened), R ballots still unopened (None when the total cast is not known).
Every function here is pure and takes plain numbers, so each rule can be read,
tested and reused on its own; `decide` composes them into one `Outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

OutcomeKind = Literal["majority", "no_majority", "runoff", "pending", "undecided"]


@dataclass(frozen=True, slots=True)
class Outcome:
    decided: bool
    outcome: OutcomeKind
    winner: str | None
    runoff: tuple[str, str] | None
    challenges_determinative: bool
    reason: str


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


def no_majority_possible(votes: Sequence[int], challenged: int, remaining: int) -> bool:
    """On a multi-choice ballot no choice can reach a majority any more.

    Even with every challenged and unopened ballot, each choice would have at
    most half: V_c + C + R ≤ others, for every c. The outcome is then a runoff.
    """
    total = sum(votes)
    return all(2 * v + challenged + remaining <= total for v in votes)


def settled_runoff_pair(
    choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int
) -> tuple[str, str] | None:
    """The two choices with the most votes, once no ballot can change which two.

    29 CFR 102.70: with no majority, the runoff is between the two choices that
    received the most votes. The pair is settled when the second place is out of
    reach of every choice below it, even with every challenged and unopened
    ballot: V_second > V_t + C + R. A choice that could tie the second place is
    a 102.70(d) special case, so the pair is not settled then either.
    """
    order = sorted(range(len(votes)), key=lambda i: -votes[i])
    second = votes[order[1]]
    if all(second > votes[t] + challenged + remaining for t in order[2:]):
        return (choices[order[0]], choices[order[1]])
    return None


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


def _is_yes_no(choices: Sequence[str]) -> bool:
    return tuple(choices) == ("yes", "no")


def is_decided(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None) -> bool:
    """Whether the outcome can no longer change, whatever is still unopened.

    A cheap form of `decide(...).decided` for the reducer's hot path.
    """
    if remaining is None:
        return False
    if _is_yes_no(choices):
        return has_clinched(votes, 0, challenged, remaining) or union_defeated(
            votes[0], votes[1], challenged, remaining
        )
    if any(has_clinched(votes, i, challenged, remaining) for i in range(len(votes))):
        return True
    return no_majority_possible(votes, challenged, remaining) and (
        settled_runoff_pair(choices, votes, challenged, remaining) is not None
    )


def ballots_before_decided(
    choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None
) -> int:
    """A lower bound on how many more ballots must be handled before a decision.

    Each ballot handled (opened or set aside) moves any of the decision tests
    above by at most 2: a vote for c raises V_c by one and lowers R by one. So
    a test short by s votes cannot pass within ceil(s / 2) ballots. The reducer
    uses this to skip checking while nothing can change; 0 means "check now".
    With R unknown nothing is decided before close, however many ballots come.
    """
    if remaining is None:
        return 1 << 62
    clinch = [sum(votes) - 2 * v + challenged + remaining + 1 for v in votes]
    if _is_yes_no(choices):
        defeat = votes[0] + challenged + remaining - votes[1]
        return max(0, (min(min(clinch), defeat) + 1) // 2)
    total = sum(votes)
    runoff = max(2 * v + challenged + remaining - total for v in votes)
    return max(0, (min(min(clinch), runoff) + 1) // 2)


def decide(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int | None) -> Outcome:
    """The outcome as it stands: decided, pending on challenges, or not yet.

    - R unknown: nothing is decided before the count is closed.
    - A decided outcome (see `has_clinched`, `union_defeated`,
      `no_majority_possible`, `settled_runoff_pair`) is reported with its winner.
    - R = 0 and not decided: the challenged ballots are sufficient in number to
      affect the results (determinative), and the outcome is pending.
    - A tie for a runoff place with nothing left to open is 29 CFR 102.70(d);
      tally reports it as undecided rather than guess.
    """
    if remaining is None:
        return Outcome(False, "undecided", None, None, False,
                       "total ballots not known: nothing is decided before the count is closed")
    if _is_yes_no(choices):
        return _decide_yes_no(votes[0], votes[1], challenged, remaining)
    return _decide_multi(choices, votes, challenged, remaining)


def _pending(challenged: int) -> Outcome:
    return Outcome(False, "pending", None, None, True,
                   f"the {challenged} challenged ballots can change the result: outcome pending")


def _decide_yes_no(yes: int, no: int, challenged: int, remaining: int) -> Outcome:
    if has_clinched((yes, no), 0, challenged, remaining):
        return Outcome(True, "majority", "yes", None, False, "the union wins")
    if union_defeated(yes, no, challenged, remaining):
        return Outcome(True, "no_majority", "no", None, False, "no union")
    if remaining == 0:
        return _pending(challenged)
    return Outcome(False, "undecided", None, None, False, "too early to call")


def _decide_multi(choices: Sequence[str], votes: Sequence[int], challenged: int, remaining: int) -> Outcome:
    for i, choice in enumerate(choices):
        if has_clinched(votes, i, challenged, remaining):
            return Outcome(True, "majority", choice, None, False, f"{choice} wins a majority")
    if no_majority_possible(votes, challenged, remaining):
        pair = settled_runoff_pair(choices, votes, challenged, remaining)
        if pair is not None:
            return Outcome(True, "runoff", None, pair, False,
                           f"runoff between {pair[0]} and {pair[1]}")
        if remaining == 0 and challenged == 0:
            return Outcome(False, "undecided", None, None, False,
                           "tie for a runoff place: a 29 CFR 102.70(d) special case, not guessed")
    if remaining == 0:
        return _pending(challenged)
    return Outcome(False, "undecided", None, None, False, "too early to call")
