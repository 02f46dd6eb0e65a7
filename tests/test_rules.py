"""Each NLRB rule on its own, at and around its edges."""

import pytest

from tally import rules
from tally.rules import decide

YN = ("yes", "no")
ABN = ("Union A", "Union B", "Neither")


def test_majority_line_is_more_than_half_so_a_tie_is_not_a_majority():
    assert rules.majority_line(10, 0) == 6
    assert rules.majority_line(9, 2) == 6
    assert rules.majority_line(0, 0) == 1


def test_remaining_is_unknown_without_the_total_and_zero_after_close():
    assert rules.remaining_unopened(None, 10, 2, closed=False) is None
    assert rules.remaining_unopened(None, 10, 2, closed=True) == 0
    assert rules.remaining_unopened(20, 10, 2, closed=False) == 8


@pytest.mark.parametrize(
    "yes,no,c,r,outcome,winner",
    [
        (6, 3, 0, 2, "majority", "yes"),  # 6 > 3 + 0 + 2
        (5, 3, 0, 2, "undecided", None),  # 5 = 3 + 2: a tie is still possible
        (3, 5, 0, 2, "no_majority", "no"),  # 5 ≥ 3 + 2: at best a tie, and a tie loses
        (3, 4, 0, 2, "undecided", None),
        (5, 5, 0, 0, "no_majority", "no"),  # a tie is not a majority
        (6, 5, 0, 0, "majority", "yes"),
    ],
)
def test_yes_no_clinch(yes, no, c, r, outcome, winner):
    out = decide(YN, (yes, no), c, r)
    assert (out.outcome, out.winner, out.decided) == (outcome, winner, outcome != "undecided")


def test_challenges_exactly_determinative_and_one_short_of_it():
    # yes 10, no 7, C 3: 10 > 7 + 3 fails, so 3 challenges could make a tie.
    exact = decide(YN, (10, 7), 3, 0)
    assert exact.outcome == "pending" and exact.challenges_determinative and not exact.decided
    # One challenge fewer: 10 > 7 + 2, the union's majority is certain.
    short = decide(YN, (10, 7), 2, 0)
    assert short.outcome == "majority" and short.winner == "yes"
    assert not short.challenges_determinative
    # Against the union: no 10, yes 7, C 3 -> 10 >= 7 + 3, decided; C 4 -> pending.
    assert decide(YN, (7, 10), 3, 0).outcome == "no_majority"
    assert decide(YN, (7, 10), 4, 0).outcome == "pending"


def test_bhm1_totals_are_determinative():
    out = decide(YN, (875, 993), 416, 0)
    assert out.outcome == "pending" and out.challenges_determinative and out.winner is None


def test_nothing_is_decided_while_the_total_is_unknown():
    out = decide(YN, (900, 1), 0, None)
    assert out.outcome == "undecided" and not out.decided
    assert "not known" in out.reason


def test_multi_choice_outright_win():
    out = decide(ABN, (11, 5, 4), 1, 0)  # 11 > 5 + 4 + 1
    assert (out.outcome, out.winner, out.decided) == ("majority", "Union A", True)
    assert decide(ABN, (10, 5, 4), 1, 0).outcome == "pending"  # 10 = 9 + 1: challenges matter


def test_multi_choice_neither_can_win_a_majority():
    out = decide(ABN, (3, 2, 9), 0, 0)
    assert (out.outcome, out.winner) == ("majority", "Neither")


def test_multi_choice_runoff_between_the_top_two():
    out = decide(ABN, (8, 7, 3), 0, 0)
    assert out.outcome == "runoff" and out.decided and set(out.runoff) == {"Union A", "Union B"}
    assert out.winner is None


def test_runoff_is_called_before_the_end_once_the_pair_cannot_change():
    # 38/36/10 with 2 unopened: nobody can reach a majority, and 10 + 2 < 36.
    out = decide(ABN, (38, 36, 10), 0, 2)
    assert out.outcome == "runoff" and out.runoff == ("Union A", "Union B")


def test_runoff_pair_not_settled_while_third_can_catch_second():
    # Nobody can reach a majority, but Neither (13) + 2 unopened can tie Union B (15).
    assert rules.no_majority_possible((20, 15, 13), 0, 2)
    out = decide(ABN, (20, 15, 13), 0, 2)
    assert out.outcome == "undecided" and not out.decided
    assert decide(ABN, (20, 15, 13), 0, 1).outcome == "runoff"


def test_tie_for_a_runoff_place_is_reported_not_guessed():
    out = decide(ABN, (10, 5, 5), 0, 0)
    assert out.outcome == "undecided" and not out.decided and "102.70(d)" in out.reason


def test_runoff_place_decided_by_challenges_is_pending():
    out = decide(ABN, (10, 6, 5), 2, 0)
    assert out.outcome == "pending" and out.challenges_determinative


@pytest.mark.parametrize(
    "votes,i,c,r,ties_win,needed",
    [
        ((10, 8), 0, 0, 10, False, 5),  # 15 > 13 + 5: needs 5 of the 10
        ((10, 8), 1, 0, 10, True, 6),  # 14 >= 10 + 0 + 4
        ((10, 8), 0, 0, 0, False, 0),
        ((3, 5), 0, 0, 2, False, 3),  # more than remain: out of reach
    ],
)
def test_votes_needed(votes, i, c, r, ties_win, needed):
    assert rules.votes_needed(votes, i, c, r, ties_win) == needed


def test_votes_needed_really_decides():
    votes, r = (10, 8), 10
    x = rules.votes_needed(votes, 0, 0, r, False)
    assert decide(YN, (10 + x, 8), 0, r - x).winner == "yes"
    assert decide(YN, (10 + x - 1, 8), 0, r - x + 1).decided is False


def test_ballots_before_decided_is_a_lower_bound():
    choices, votes, c, r = YN, [10, 8], 0, 10
    bound = rules.ballots_before_decided(choices, votes, c, r)
    assert bound >= 1
    # The fastest way to decide: every ballot a yes. It takes at least `bound`.
    for k in range(bound):
        assert not rules.is_decided(choices, (10 + k, 8), c, r - k)
    assert rules.ballots_before_decided(choices, votes, c, None) > 10**9
