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


def test_tie_for_second_place_is_a_decided_rerun():
    # 102.70(d): no unique runoff pair. Until issue 9 this was "undecided", never guessed.
    out = decide(ABN, (10, 5, 5), 0, 0)
    assert (out.outcome, out.decided, out.winner, out.runoff) == ("rerun", True, None, None)
    assert "102.70(d)" in out.reason and "second place" in out.reason


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


# -- runoff ballots: any two choices (29 CFR 102.70(c)) ---------------------------------------

TU = ("Teamsters Local 727", "UFCW Local 881")
UN = ("UFCW Local 881", "Neither")


@pytest.mark.parametrize(
    "votes,c,r,outcome,winner",
    [
        ((6, 3), 0, 2, "majority", "Teamsters Local 727"),  # 6 > 3 + 2
        ((5, 3), 0, 2, "undecided", None),  # 5 = 3 + 2: a tie still possible
        ((3, 5), 0, 2, "undecided", None),  # unlike yes/no, a tie does not decide it for either
        ((3, 6), 0, 2, "majority", "UFCW Local 881"),
        ((5, 5), 0, 0, "no_majority", None),  # a tie is no majority: nobody is certified
        ((5, 5), 1, 0, "pending", None),  # one challenged ballot breaks the tie either way
        ((5, 5), 0, 1, "undecided", None),
        ((6, 5), 1, 0, "pending", None),  # sustained: 6-5; opened for UFCW: a tie
        ((7, 5), 1, 0, "majority", "Teamsters Local 727"),
    ],
)
def test_runoff_between_two_unions(votes, c, r, outcome, winner):
    out = decide(TU, votes, c, r)
    assert (out.outcome, out.winner) == (outcome, winner)
    assert out.decided is (outcome in ("majority", "no_majority"))
    assert out.challenges_determinative is (outcome == "pending")


def test_runoff_between_a_union_and_neither():
    assert decide(UN, (4, 4), 0, 0).winner is None
    assert decide(UN, (4, 5), 0, 0).winner == "Neither"
    assert decide(UN, (5, 4), 0, 0).winner == "UFCW Local 881"


# -- 102.70(d): reruns, and the one exception --------------------------------------------------

ABCN = ("Union A", "Union B", "Union C", "Neither")


@pytest.mark.parametrize(
    "choices,votes,outcome,runoff",
    [
        (ABN, (5, 5, 5), "rerun", None),  # equally divided among all the choices
        (ABN, (7, 5, 5), "rerun", None),  # second place tied below the first
        (ABN, (6, 6, 3), "runoff", ("Union A", "Union B")),  # first place tied: the pair is unique
        (ABN, (6, 5, 4), "runoff", ("Union A", "Union B")),
        (ABN, (3, 6, 6), "runoff", ("Union B", "Neither")),  # named in ballot order
        (ABCN, (5, 5, 5, 2), "rerun", None),  # three tied for first: no unique pair
        (ABCN, (4, 4, 4, 4), "rerun", None),
        (ABCN, (6, 4, 4, 4), "rerun", None),
        (ABCN, (4, 4, 3, 3), "runoff", ("Union A", "Union B")),
    ],
)
def test_final_counts_without_a_majority(choices, votes, outcome, runoff):
    out = decide(choices, votes, 0, 0)
    assert (out.outcome, out.runoff, out.decided) == (outcome, runoff, True)


def test_a_rerun_every_way_the_rest_can_fall_is_decided_not_pending():
    # 1 / 1 / 1 with one challenged ballot: 2/1/1 or 1/1/1, every resolution is a nullity.
    out = decide(ABN, (1, 1, 1), 1, 0)
    assert (out.outcome, out.decided, out.challenges_determinative) == ("rerun", True, False)
    assert "every way the rest can fall" in out.reason
    assert decide(ABN, (1, 1, 1), 0, 1).outcome == "rerun"  # one unopened: the same
    # Two challenged: 2/2/1 is a runoff, 1/1/1 a rerun: determinative.
    out = decide(ABN, (1, 1, 1), 2, 0)
    assert out.outcome == "pending" and out.challenges_determinative


@pytest.mark.parametrize(
    "choices,votes,c,eligible,outcome",
    [
        (ABN, (5, 5, 0), 0, 10, "no_majority"),  # every eligible voter voted: no runoff
        (ABN, (5, 5, 0), 0, 11, "runoff"),  # one did not: the usual runoff between the two
        (ABN, (5, 5, 0), 0, None, "runoff"),  # not known: never applied
        (ABN, (5, 5, 1), 0, 11, "runoff"),  # no choice without votes
        (ABCN, (4, 3, 3, 0), 0, 10, "no_majority"),  # would be a rerun
        (ABCN, (4, 3, 3, 0), 0, 11, "rerun"),
        (ABCN, (4, 4, 2, 0), 0, 10, "no_majority"),
        (ABCN, (4, 3, 2, 0), 0, 9, "runoff"),  # no tie
        (ABN, (5, 5, 0), 1, 10, "pending"),  # a challenged ballot could make 6-5 or 5-5-1
    ],
)
def test_the_one_exception_of_102_70_d(choices, votes, c, eligible, outcome):
    out = decide(choices, votes, c, 0, eligible=eligible)
    assert out.outcome == outcome
    if outcome == "no_majority":
        assert out.decided and out.winner is None and "certification of results" in out.reason


@pytest.mark.parametrize(
    "votes,c,r,possible",
    [
        ((20, 15, 13), 0, 2, ("runoff", "rerun")),  # Neither + 2 can tie Union B for second
        ((20, 15, 13), 0, 1, None),  # 15 > 13 + 1: the runoff pair is settled
        ((20, 15, 12), 1, 1, None),
        ((20, 15, 13), 2, 0, ("runoff", "rerun")),  # the same, pending on the challenges
        ((10, 10, 9), 0, 1, ("runoff", "rerun")),
        ((16, 10, 4), 0, 2, None),  # 16 + 2 of 32: a majority is still possible
    ],
)
def test_no_majority_possible_while_the_pair_is_open(votes, c, r, possible):
    out = decide(ABN, votes, c, r)
    if possible is None:
        assert out.decided or out.majority_possible
        return
    assert not out.decided and not out.majority_possible and out.possible == possible
    assert rules.certain_words(out.possible) == "a runoff or rerun is certain"
    assert out.outcome == ("pending" if r == 0 else "undecided")


def test_certain_words_name_every_result_still_possible():
    assert rules.certain_words(("runoff",)) == "a runoff is certain"
    assert rules.certain_words(("runoff", "rerun", "no_majority")) == (
        "a runoff, rerun or certification of results is certain")


# -- deauthorization polls (NLRA Section 9(e)(1)) ----------------------------------------------

@pytest.mark.parametrize(
    "yes,no,c,r,outcome",
    [
        (16, 0, 0, 14, "majority"),  # 16 > 30 / 2, whatever the rest do
        (15, 0, 0, 15, "undecided"),
        (15, 9, 0, 0, "no_majority"),  # 15 is half, not a majority of the 30 eligible
        (15, 14, 1, 0, "pending"),  # the challenged ballot decides it
        (10, 1, 2, 3, "no_majority"),  # 10 + 2 + 3 = 15: yes cannot get there
        (10, 1, 2, 4, "undecided"),
        (12, 2, 0, 0, "no_majority"),  # more yes than no, but far from most of the eligible
    ],
)
def test_deauthorization_needs_a_majority_of_the_eligible_voters(yes, no, c, r, outcome):
    out = decide(YN, (yes, no), c, r, eligible=30, rule="deauthorization")
    assert out.outcome == outcome
    assert out.winner == {"majority": "yes", "no_majority": "no"}.get(outcome)
    assert ("eligible voters" in out.reason) is out.decided


def test_deauthorization_without_eligible_is_refused():
    with pytest.raises(ValueError, match="eligible"):
        decide(YN, (1, 0), 0, 0, rule="deauthorization")


@pytest.mark.parametrize("yes,i,c,r,needed", [(10, 0, 0, 10, 6), (16, 0, 0, 0, 0),
                                              (10, 1, 2, 10, 7), (10, 1, 0, 6, 1), (10, 1, 0, 5, 0)])
def test_deauthorization_votes_needed(yes, i, c, r, needed):
    assert rules.deauthorization_votes_needed(yes, i, c, r, 30) == needed


def test_ballots_before_decided_in_a_poll_counts_whole_ballots():
    # Yes rises by one a ballot at most: 10 yes of a line of 16 is 6 ballots away.
    assert rules.ballots_before_decided(YN, (10, 0), 0, 20, eligible=30, rule="deauthorization") == 6
    # The other way, every no or void lowers yes + C + R by one: 10 + 10 - 15 = 5 ballots.
    assert rules.ballots_before_decided(YN, (10, 0), 0, 10, eligible=30, rule="deauthorization") == 5


def test_a_polls_yes_majority_is_decided_even_with_the_total_unknown():
    # No later ballot can take a yes away, however many come; anything else must wait.
    out = decide(YN, (16, 0), 0, None, eligible=30, rule="deauthorization")
    assert (out.outcome, out.decided) == ("majority", True)
    assert not decide(YN, (15, 0), 0, None, eligible=30, rule="deauthorization").decided
    assert not decide(YN, (0, 15), 0, None, eligible=30, rule="deauthorization").decided
    assert rules.ballots_before_decided(YN, (10, 0), 0, None, eligible=30, rule="deauthorization") == 6
