"""`tally verify A B` as a user runs it (a real process): one line, exit 0 agree, 1 differ, 2 unusable."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from counts import header, pile, write

TALLY = [sys.executable, "-m", "tui.cli"]


def tally(*argv, cwd=None) -> tuple[int, str, str]:
    done = subprocess.run([*TALLY, *map(str, argv)], capture_output=True, text=True, timeout=60, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def slip(path, call="yes", *later):
    """812 ballots, ballot 413 called `call` (the other counter's 413 is NO), then `later` entries."""
    return write(path, header(ballots=900), pile("yes", 200), pile("no", 212), pile(call, 1),
                 pile("no", 399), *later)


def test_two_counts_that_agree(tmp_path):
    a = slip(tmp_path / "a.jsonl", "no")
    b = write(tmp_path / "b.jsonl", header(ballots=900), *[pile("yes", 1)] * 200, pile("no", 612))
    assert tally("verify", a, b) == (0, "agree at ballot 812\n", "")


def test_a_slip_names_the_ballot_and_both_counts_totals_there(tmp_path):
    a, b = slip(tmp_path / "a.jsonl", "yes"), slip(tmp_path / "b.jsonl", "no")
    assert tally("verify", a, b) == (
        1, "differ since ballot 413: a.jsonl YES 201 NO 212 · b.jsonl YES 200 NO 213\n", "")


def test_the_slip_corrected_in_place_agrees_again(tmp_path):
    a = slip(tmp_path / "a.jsonl", "yes", {"type": "correct", "target": 4, "choice": "no"})
    b = slip(tmp_path / "b.jsonl", "no")
    assert tally("verify", a, b) == (0, "agree at ballot 812\n", "")


def test_a_counter_who_is_behind_agrees_at_the_last_ballot_both_reached(tmp_path):
    a = slip(tmp_path / "a.jsonl", "no")
    b = write(tmp_path / "b.jsonl", header(ballots=900), pile("yes", 200), pile("no", 100))
    assert tally("verify", a, b)[:2] == (0, "agree at ballot 300\n")


def test_an_adjustment_is_not_a_ballot(tmp_path):
    """The Board's figures accepted by one counter do not make the counters' calls differ."""
    a = slip(tmp_path / "a.jsonl", "yes", {"type": "checkpoint", "votes": {"yes": 200, "no": 612}},
             {"type": "adjust", "checkpoint": 6})
    b = slip(tmp_path / "b.jsonl", "yes")
    assert tally("verify", a, b)[:2] == (0, "agree at ballot 812\n")


def test_two_journals_of_one_name_are_told_apart_by_their_paths(tmp_path):
    (tmp_path / "x").mkdir(), (tmp_path / "y").mkdir()
    a, b = slip(tmp_path / "x" / "c.jsonl", "yes"), slip(tmp_path / "y" / "c.jsonl", "no")
    code, out, _ = tally("verify", a, b)
    assert code == 1 and f"{a} YES 201 NO 212 · {b} YES 200 NO 213" in out


@pytest.mark.parametrize("b_header, why", [
    ({"id": "other"}, "different elections: id test and other"),
    ({"choices": ["A", "B"]}, "different elections: choices yes,no and A,B"),
    ({"ballots": 901}, "the headers contradict each other: ballots 900 and 901"),
])
def test_two_different_elections_exit_2(tmp_path, b_header, why):
    a = slip(tmp_path / "a.jsonl")
    b = write(tmp_path / "b.jsonl", header(**{"ballots": 900, **b_header}))
    code, out, err = tally("verify", a, b)
    assert (code, out) == (2, "") and err == f"tally: {a} and {b}: {why}\n"


def test_a_bad_file_is_file_line_and_exit_2(tmp_path):
    a = slip(tmp_path / "a.jsonl")
    b = write(tmp_path / "b.jsonl", header(ballots=900), pile("yes", 2),
              {"type": "checkpoint", "votes": {"yes": 2, "maybe": 1}})
    code, out, err = tally("verify", a, b)
    assert (code, out) == (2, "") and err.startswith(f"tally: {b}:3: checkpoint: 'maybe' is not a choice")
    assert err.count("\n") == 1 and "Traceback" not in err
    code, _, err = tally("verify", a, tmp_path / "missing.jsonl")
    assert code == 2 and "no such file" in err and err.count("\n") == 1


def test_a_correction_of_a_call_that_does_not_exist_is_file_line(tmp_path):
    a = slip(tmp_path / "a.jsonl")
    b = slip(tmp_path / "b.jsonl", "no", {"type": "correct", "target": 40, "choice": "no"})
    code, _, err = tally("verify", a, b)
    assert code == 2 and err == f"tally: {b}:6: correction of seq 40, which has not happened\n"


def test_the_bundled_replay_agrees_with_itself():
    code, out, _ = tally("verify", "ldj5", "ldj5")
    assert code == 0 and out.startswith("agree at ballot ")


def test_report_json_lists_checkpoints_and_adjustments(tmp_path):
    a = slip(tmp_path / "a.jsonl", "yes", {"type": "checkpoint", "votes": {"yes": 200, "no": 612}, "void": 0},
             {"type": "adjust", "checkpoint": 6}, {"type": "checkpoint", "votes": {"yes": 200, "no": 612}})
    code, out, _ = tally("report", a, "--json")
    report = json.loads(out)
    assert code == 0
    assert [(c["seq"], c["ballot"], c["agrees"], c["adjusted_by"]) for c in report["checkpoints"]] == [
        (6, 812, False, 7), (8, 812, True, None)]
    assert report["checkpoints"][0]["counted"]["votes"] == {"yes": 201, "no": 611}
    assert report["adjustments"] == [{"seq": 7, "checkpoint": 6, "change": {
        "votes": {"yes": -1, "no": 1}, "void": 0, "challenged": 0}}]
    code, out, _ = tally("report", a)
    assert "Checkpoint, entry 6: accepted the Board's subtotal at ballot 812 (entry 7)." in out
    assert "Adjustment, entry 7: the Board's figures at entry 6 accepted (YES -1, NO +1)." in out
    assert "Checkpoint, entry 8: matches the Board's subtotal at ballot 812." in out
