"""The reducer: totals, piles, retractions, refusals that change nothing."""

import json

import pytest

from counts import ballots, count_of, header, numbered, pile
from tally.reducer import Count, RuleError
from tally.schema import parse_event


def apply(count: Count, event: dict) -> None:
    count.apply(parse_event(json.dumps({"seq": count.last_seq + 1, **event})))


def test_totals_and_piles():
    c = count_of(header(ballots=40), *ballots("yes", "no", "void"), pile("yes", 25),
                 {"type": "challenged", "count": 3})
    snap = c.snapshot()
    assert snap.votes == (26, 1) and snap.void == 1 and snap.challenged == 3
    assert snap.valid == 27 and snap.valid_plus_challenged == 30
    assert snap.remaining == 40 - 28 - 3 and snap.handled == 31


def test_retract_undoes_a_pile_and_a_challenge():
    c = count_of(header(), pile("yes", 25), {"type": "challenged", "count": 2},
                 {"type": "retract", "target": 2}, {"type": "retract", "target": 3})
    snap = c.snapshot()
    assert snap.votes == (0, 0) and snap.challenged == 0 and snap.last_seq == 5


def test_retract_a_void_ballot():
    c = count_of(header(), *ballots("void"), {"type": "retract", "target": 2})
    assert c.snapshot().void == 0


@pytest.mark.parametrize(
    "bad,why",
    [
        ({"type": "retract", "target": 9}, "has not happened"),
        ({"type": "retract", "target": 1}, "not a ballot"),
        ({"type": "retract", "target": 3}, "not a ballot"),  # a note
        ({"type": "retract", "target": 2}, "already retracted"),
        ({"type": "ballot", "choice": "maybe"}, "unknown choice 'maybe'"),
        ({"type": "ballot", "choice": "yes", "count": 5}, "more ballots would exceed the 5 cast"),
        ({"type": "challenged", "count": 5}, "more ballots would exceed the 5 cast"),
    ],
)
def test_a_refused_event_changes_nothing(bad, why):
    c = count_of(header(ballots=5), *ballots("yes"), {"type": "note", "text": "hi"},
                 {"type": "retract", "target": 2}, *ballots("no"))
    before = c.snapshot()
    with pytest.raises(RuleError, match=why):
        apply(c, bad)
    assert c.snapshot() == before
    apply(c, {"type": "ballot", "choice": "yes"})  # and the count goes on
    assert c.snapshot().votes == (1, 1)


def test_seq_must_be_contiguous_and_start_with_the_header():
    c = Count()
    with pytest.raises(RuleError, match="expected 1"):
        c.apply(parse_event('{"seq":2,"type":"note","text":"hi"}'))
    with pytest.raises(RuleError, match="first event must be the election header"):
        c.apply(parse_event('{"seq":1,"type":"note","text":"hi"}'))
    c.apply(parse_event('{"seq":1,"type":"election","id":"x","title":"t"}'))
    with pytest.raises(RuleError, match="expected 2"):
        c.apply(parse_event('{"seq":3,"type":"ballot","choice":"yes"}'))


def test_nothing_counts_after_close_but_notes():
    c = count_of(header(), *ballots("yes"), {"type": "close"})
    for bad in ({"type": "ballot", "choice": "no"}, {"type": "challenged"},
                {"type": "retract", "target": 2}, {"type": "close"}):
        with pytest.raises(RuleError, match="closed"):
            apply(c, bad)
    apply(c, {"type": "note", "text": "official tally signed"})
    assert c.snapshot().closed and c.snapshot().remaining == 0


def test_unknown_ballots_decide_only_at_close():
    c = count_of(header(), pile("no", 100), *ballots("yes"))
    assert not c.snapshot().outcome.decided and c.snapshot().remaining is None
    apply(c, {"type": "close"})
    snap = c.snapshot()
    assert snap.outcome.outcome == "no_majority" and snap.decided_at == 101


def test_decided_at_is_the_ballot_that_decided_it_and_a_retract_can_undo_it():
    c = count_of(header(ballots=10), *ballots("yes", "yes", "yes", "yes", "yes"))
    assert c.decided_at is None  # 5 yes, 5 unopened: a tie still possible
    apply(c, {"type": "ballot", "choice": "yes"})
    assert c.decided_at == 6 and c.snapshot().outcome.winner == "yes"
    apply(c, {"type": "ballot", "choice": "no"})
    assert c.decided_at == 6  # more ballots never move it
    apply(c, {"type": "retract", "target": 7})  # the sixth yes was a mistake
    assert c.decided_at is None and not c.snapshot().outcome.decided
    apply(c, {"type": "ballot", "choice": "yes"})
    assert c.decided_at == 7


def test_multi_union_count_runoff():
    c = count_of(header(choices=["Union A", "Union B", "Neither"], ballots=20),
                 pile("Union A", 8), pile("Union B", 7), pile("Neither", 4), pile("void", 1))
    snap = c.snapshot()
    assert snap.outcome.outcome == "runoff" and snap.outcome.runoff == ("Union A", "Union B")


def test_leader_and_margin():
    snap = count_of(header(), pile("yes", 5), pile("no", 3)).snapshot()
    assert snap.leader == 0 and snap.margin == 2
    tied = count_of(header(), pile("yes", 3), pile("no", 3)).snapshot()
    assert tied.leader is None and tied.margin == 0


def test_needed_uses_ties_for_no():
    snap = count_of(header(ballots=20), pile("yes", 5), pile("no", 5)).snapshot()
    assert snap.needed(0) == 6 and snap.needed(1) == 5
    assert count_of(header(), pile("yes", 1)).snapshot().needed(0) is None


def test_numbered_keeps_events_in_order():
    assert [e["seq"] for e in numbered({}, {}, {})] == [1, 2, 3]


def test_a_poll_is_decided_at_the_yes_that_makes_a_majority_of_the_eligible_total_unknown():
    c = count_of(header(rule="deauthorization", eligible=9), pile("yes", 4), pile("no", 3))
    assert c.decided_at is None
    apply(c, {"type": "ballot", "choice": "yes"})
    assert c.decided_at == 8 and c.snapshot().outcome.winner == "yes"
