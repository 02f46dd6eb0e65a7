"""Two counts compared ballot by ballot (tally/verify.py): the incremental walk against the definition."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from counts import count_of, header
from tally.reducer import Count, RuleError
from tally.schema import parse_event
from tally.verify import Agreement, Comparison, compare, compare_ballot_by_ballot

YN = ["yes", "no"]


def apply(count: Count, fields: dict) -> bool:
    try:
        count.apply(parse_event(json.dumps({"seq": count.last_seq + 1, **fields})))
    except RuleError:
        return False
    return True


def calls(*piles):
    return [{"type": "ballot", "choice": c, "count": n} for c, n in piles]


def test_piles_are_compared_ballot_by_ballot():
    a = count_of(header(), *calls(("yes", 25), ("no", 5)))
    b = count_of(header(), *calls(*[("yes", 1)] * 25, ("no", 2)))
    assert compare(a, b) == Agreement(True, 27, None, (25, 2, 0, 0), (25, 2, 0, 0))
    assert compare(a, b).as_json() == {"agree": True, "at": 27}


def test_a_slip_is_found_where_it_happened_and_a_correction_in_place_mends_it():
    a = count_of(header(), *calls(("yes", 200), ("no", 212), ("yes", 1), ("no", 400)))
    b = count_of(header(), *calls(("yes", 200), ("no", 212), ("no", 1), ("no", 399)))
    live = Comparison(a, b)
    differ = live.update()
    assert differ.as_json() == {"agree": False, "at": 812, "since": 413}
    assert (differ.main[:2], differ.check[:2]) == ((201, 212), (200, 213))
    apply(b, {"type": "correct", "target": 4, "choice": "yes"})
    assert live.update().as_json() == {"agree": True, "at": 812}


def test_a_counter_who_is_behind_is_not_in_disagreement():
    a = count_of(header(), *calls(("yes", 10), ("no", 3)))
    b = count_of(header(), *calls(("yes", 4)))
    assert compare(a, b).as_json() == {"agree": True, "at": 4}


def test_counts_that_agree_again_say_since_the_last_disagreement():
    a = count_of(header(), *calls(("yes", 1), ("no", 1), ("yes", 1), ("void", 1)))
    b = count_of(header(), *calls(("no", 1), ("yes", 1), ("yes", 1), ("no", 1)))
    assert compare(a, b).as_json() == {"agree": False, "at": 4, "since": 4}


def steps():
    call = st.sampled_from(["yes", "no", "void", "challenged"])
    return st.lists(st.tuples(
        st.integers(0, 1),  # which count
        st.one_of(st.tuples(st.just("call"), call, st.integers(1, 5)),
                  st.tuples(st.just("call"), call, st.just(1)),
                  st.tuples(st.just("retract"), st.integers(0, 100), st.just(0)),
                  st.tuples(st.just("correct"), st.integers(0, 100), call))), max_size=80)


def event(count: Count, step) -> dict:
    kind, a, b = step
    if kind == "call":
        return ({"type": "challenged", "count": b} if a == "challenged"
                else {"type": "ballot", "choice": a, "count": b})
    target = a % count.last_seq + 1
    return ({"type": "retract", "target": target} if kind == "retract"
            else {"type": "correct", "target": target, "choice": b})


@settings(max_examples=300)
@given(steps(), st.integers(0, 3))
def test_the_walk_is_the_definition_after_every_event(script, shared):
    """Both counts start alike (they mostly agree, as real ones do), then each event of either is
    followed; corrections and retractions far back rewind the walk."""
    opening = calls(*[("yes", 2), ("no", 1), ("void", 1)][:shared])
    a, b = count_of(header(), *opening), count_of(header(), *opening)
    live = Comparison(a, b)
    for side, step in script:
        count = (a, b)[side]
        apply(count, event(count, step))
        assert live.update() == compare_ballot_by_ballot(a, b)
    assert compare(a, b) == compare_ballot_by_ballot(a, b)


@settings(max_examples=100)
@given(st.lists(st.sampled_from(["yes", "no"]), min_size=1, max_size=300), st.data())
def test_the_same_calls_typed_apart_agree_until_one_is_changed_far_back(choices, data):
    a = count_of(header(), *calls(*[(c, 1) for c in choices]))
    b = count_of(header(), *calls(*[(c, 1) for c in choices]))
    live = Comparison(a, b)
    assert live.update().as_json() == {"agree": True, "at": len(choices)}
    target = data.draw(st.integers(2, len(choices) + 1))
    other = "no" if choices[target - 2] == "yes" else "yes"
    apply(b, {"type": "correct", "target": target, "choice": other})
    assert live.update() == compare_ballot_by_ballot(a, b)
    assert live.update().as_json() == {"agree": False, "at": len(choices), "since": target - 1}


@settings(max_examples=200)
@given(steps(), st.integers(0, 3))
def test_the_walk_is_the_definition_when_it_saves_at_every_run(script, shared):
    """Saved points everywhere: each rewind lands on one in the middle of the walk, not at its start."""
    import tally.verify as verify

    every = verify.SAVE_EVERY
    verify.SAVE_EVERY = 1
    try:
        test_the_walk_is_the_definition_after_every_event.hypothesis.inner_test(script, shared)
    finally:
        verify.SAVE_EVERY = every
