"""The verification line: one sentence of the presentation model, the same on every face (issue 18)."""

from __future__ import annotations

from dataclasses import fields

from counts import count_of, header, pile
from tally.present import (DIFFERS, ONE_COUNTER, OURS_COUNTER, UNVERIFIED, VERIFIED, Presentation,
                           checkpoint_differences, present, verification_line, verification_role)
from tally.schema import parse_event
from tally.verify import CheckResult, compare


def counted(*later):
    return count_of(header(ballots=900), pile("yes", 201), pile("no", 310), *later)


def test_one_counter_and_no_board_figures_is_unverified():
    snap = counted().snapshot()
    assert verification_line(snap) == ONE_COUNTER == "unverified: one counter"
    assert verification_role(snap) == UNVERIFIED


def test_counters_that_agree_and_a_board_subtotal_that_matches():
    snap = counted({"type": "checkpoint", "votes": {"yes": 201, "no": 310}}).snapshot()
    line = verification_line(snap, [CheckResult("b", True, 812)])
    assert line == "✓ 2 counters agree at ballot 812 · matches the Board's subtotal at ballot 511"
    assert verification_role(snap, [CheckResult("b", True, 812)]) == VERIFIED


def test_counters_that_differ_name_the_ballot_and_both_totals():
    main = count_of(header(), pile("yes", 200), pile("no", 212), pile("no", 1), pile("no", 300))
    check = count_of(header(), pile("yes", 200), pile("no", 212), pile("yes", 1), pile("no", 300))
    result = CheckResult.of("b", compare(main, check))
    assert result.as_json() == {"counter": "b", "agree": False, "at": 713, "since": 413}
    snap = main.snapshot()
    assert verification_line(snap, [CheckResult("c", True, 713), result]) == (
        "✗ counters differ since ballot 413 (main YES 200 NO 213 · check b YES 201 NO 212)")
    assert verification_role(snap, [result]) == DIFFERS


def test_a_board_subtotal_that_disagrees_names_each_difference_until_resolved():
    c = counted({"type": "checkpoint", "votes": {"yes": 200, "no": 310}})
    snap = c.snapshot()
    assert checkpoint_differences(snap, snap.checkpoints[0]) == "Board: YES 200 · you 201"
    assert verification_line(snap, (), OURS_COUNTER) == (
        "one counter · ✗ differs from the Board's subtotal at ballot 511 "
        "(Board: YES 200 · you 201)")
    assert "(Board: YES 200 · count 201)" in verification_line(snap)  # on every other face
    assert verification_role(snap) == DIFFERS
    c.apply(parse_event('{"seq":5,"type":"adjust","checkpoint":4}'))
    snap = c.snapshot()
    assert verification_line(snap) == (
        "one counter · accepted the Board's subtotal at ballot 511 (entry 5)")
    assert verification_role(snap) == VERIFIED


def test_the_official_tally_of_a_closed_count():
    snap = counted({"type": "close"}, {"type": "checkpoint", "votes": {"yes": 201, "no": 310}}).snapshot()
    assert verification_line(snap).endswith("matches the Board's tally at ballot 511")


def test_the_model_carries_the_line_in_new_fields_at_its_end():
    names = [f.name for f in fields(Presentation)]
    assert {"verification", "verification_role"} <= set(names)
    snap = counted({"type": "checkpoint", "votes": {"yes": 200, "no": 310}}).snapshot()
    model = present(snap, None, checks=[CheckResult("b", True, 511)])
    assert model.verification == verification_line(snap, [CheckResult("b", True, 511)])
    assert model.as_json()["verification_role"] == DIFFERS
    assert "you 201" in present(snap, None, ours=OURS_COUNTER).verification
