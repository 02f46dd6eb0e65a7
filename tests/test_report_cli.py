"""`tally report` and `tally schema` as a user runs them: output, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

from counts import ballots, header, pile, write
from tui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ldj5_report(capsys):
    code, out, err = run(capsys, "report", "replays/ldj5.jsonl")
    assert code == 0 and err == ""
    assert "Number of votes cast for Amazon Labor Union" in out
    for label, value in [("void ballots", "2"), ("Amazon Labor Union", "380"),
                         ("against participating labor organization", "618"),
                         ("challenged ballots", "0"), ("valid votes counted ", "998")]:
        line = next(line for line in out.splitlines() if label in line)
        assert line.split()[-1] == value, line
    assert "Result: no union: no majority for Amazon Labor Union" in out
    assert "reconstructed" in out


@pytest.mark.parametrize(
    "name,outcome,winner,votes,challenged,determinative",
    [
        ("ldj5", "no_majority", "no", {"yes": 380, "no": 618}, 0, False),
        ("jfk8", "majority", "yes", {"yes": 2654, "no": 2131}, 67, False),
        ("bhm1-2022", "pending", None, {"yes": 875, "no": 993}, 416, True),
    ],
)
def test_bundled_replays_json(capsys, name, outcome, winner, votes, challenged, determinative):
    code, out, _ = run(capsys, "report", name, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["outcome"] == outcome and report["winner"] == winner
    assert report["votes"] == votes and report["challenged"] == challenged
    assert report["challenges_determinative"] is determinative
    assert report["remaining"] == 0 and report["decided"] is (outcome != "pending")


def test_a_count_in_progress_is_reported_as_it_stands(capsys, tmp_path):
    f = write(tmp_path / "live.jsonl", header(ballots=100), pile("yes", 10), pile("no", 4))
    code, out, _ = run(capsys, "report", str(f), "--json")
    report = json.loads(out)
    assert report["remaining"] == 86 and report["outcome"] == "undecided"
    assert report["decided"] is False and report["winner"] is None
    code, out, _ = run(capsys, "report", str(f))
    assert "86 ballots still unopened" in out


def test_unknown_total_is_null(capsys, tmp_path):
    f = write(tmp_path / "c.jsonl", header(), *ballots("yes"))
    report = json.loads(run(capsys, "report", str(f), "--json")[1])
    assert report["remaining"] is None and report["needed"] == {"yes": None, "no": None}


def test_runoff_json_names_the_pair(capsys, tmp_path):
    f = write(tmp_path / "m.jsonl", header(choices=["A", "B", "Neither"]),
              pile("A", 8), pile("B", 7), pile("Neither", 3), {"type": "close"})
    report = json.loads(run(capsys, "report", str(f), "--json")[1])
    assert report["outcome"] == "runoff" and report["runoff"] == ["A", "B"]
    text = run(capsys, "report", str(f))[1]
    assert "runoff election between A and B" in text


@pytest.mark.parametrize(
    "events,raw,line,why",
    [
        ([header(), *ballots("yes", "no")], {2: "{oops"}, 2, "not JSON"),
        ([header(), *ballots("yes", "no")], {3: '{"seq":3,"type":"tally"}'}, 3, "unknown type"),
        ([header(), *ballots("yes", "maybe")], None, 3, "unknown choice 'maybe'"),
        ([header(), *ballots("yes"), {"type": "ballot", "choice": "no", "count": 0}], None, 3, "count"),
        ([header(), *ballots("yes", "no")], {3: '{"seq":4,"type":"ballot","choice":"no"}'}, 3, "expected 3"),
        ([*ballots("yes")], None, 1, "election header"),
        ([header(), {"type": "retract", "target": 7}], None, 2, "has not happened"),
        ([header(), *ballots("yes"), {"type": "retract", "target": 2},
          {"type": "retract", "target": 2}], None, 4, "already retracted"),
        ([header(ballots=1), *ballots("yes", "no")], None, 3, "more ballots would exceed the 1 cast"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(capsys, tmp_path, events, raw, line, why):
    f = write(tmp_path / "bad.jsonl", *events, raw_lines=raw)
    code, out, err = run(capsys, "report", str(f))
    assert code == 2 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"tally: {f}:{line}: ") and why in first
    assert "Traceback" not in err


def test_every_broken_line_is_listed_once(capsys, tmp_path):
    f = write(tmp_path / "bad.jsonl", header(), *ballots("yes", "no", "yes"),
              raw_lines={2: "nope", 4: '{"seq":4}'})
    code, _, err = run(capsys, "report", str(f))
    assert code == 2 and [l.split(":")[2] for l in err.splitlines()] == ["2", "4"]


def test_a_torn_last_line_is_not_yet_written_for_a_reader(capsys, tmp_path):
    """A journal being written (or cut short by a crash) ends in a partial line: a reader
    reports the count as of the last whole line and never counts the partial one."""
    f = write(tmp_path / "torn.jsonl", header(), *ballots("yes"))
    f.write_bytes(f.read_bytes() + b'{"seq":3,"type":"bal')
    code, out, err = run(capsys, "report", str(f), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["last_seq"] == 2 and json.loads(out)["votes"]["yes"] == 1


def test_a_last_line_without_newline_that_parses_is_counted(capsys, tmp_path):
    f = write(tmp_path / "hand-made.jsonl", header(), *ballots("yes", "no"))
    f.write_bytes(f.read_bytes().rstrip(b"\n"))
    code, out, _ = run(capsys, "report", str(f), "--json")
    assert code == 0 and json.loads(out)["votes"] == {"yes": 1, "no": 1}


def test_empty_file_has_no_header(capsys, tmp_path):
    f = tmp_path / "empty.jsonl"
    f.write_text("\n")
    code, _, err = run(capsys, "report", str(f))
    assert code == 2 and "no election header" in err


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_files_get_one_line(capsys, tmp_path, kind):
    target = tmp_path / "x.jsonl"
    if kind == "directory":
        target.mkdir()
    code, out, err = run(capsys, "report", str(target))
    assert code == 2 and len(err.splitlines()) == 1
    assert ("no such file" if kind == "missing" else "is a directory") in err


def test_blank_lines_are_skipped(capsys, tmp_path):
    f = write(tmp_path / "b.jsonl", header(), *ballots("yes"))
    f.write_text(f.read_text().replace("\n", "\n\n", 1))
    assert run(capsys, "report", str(f), "--json")[0] == 0


def test_schema_command(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0 and "tally event, format v1" in json.loads(out)["title"]


def test_report_never_imports_textual_or_websockets():
    code = ("import sys, tui.cli; tui.cli.main(['report', 'ldj5']);"
            "assert 'textual' not in sys.modules and 'websockets' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "content,why",
    [("# not events\n", "1: not JSON"), ('{"seq":1,"type":"note","text":"x"}\n', "1: the first event must be"),
     ("", "no events")],
)
def test_replay_refuses_a_file_that_is_no_count_before_the_screen_starts(capsys, tmp_path, content, why):
    f = tmp_path / "x.jsonl"
    f.write_text(content)
    code, _, err = run(capsys, "replay", str(f))
    assert code == 2 and why in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv,why", [(["replay", "ldj5", "--speed", "0"], "--speed must be a number more than 0"),
                                      (["replay", "nope.jsonl"], "no such file"),
                                      (["watch", "not-a-url"], "watch ws://HOST:PORT/elections/ID"),
                                      (["count", "x.jsonl", "--publish", "http://x"], "not a hub address")])
def test_screen_commands_refuse_bad_arguments_in_one_line(capsys, tmp_path, monkeypatch, argv, why):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2 and why in err and len(err.splitlines()) == 1


def test_tally_alone_replays_ldj5_fitted_to_about_a_minute(capsys, monkeypatch):
    from tui.app import ReplayDashboard

    seen = {}

    def run(self):
        seen.update(path=self.replay.path, speed=self.replay.speed, fast=self.replay.fast)
        return "the summary line"

    monkeypatch.setattr(ReplayDashboard, "run", run)
    assert main([]) == 0
    assert seen["path"].name == "ldj5.jsonl" and seen["speed"] is None and not seen["fast"]
    assert capsys.readouterr().out == "the summary line\n"


# -- every kind of ballot (issue 9) -------------------------------------------------------------

TEAMSTERS, UFCW = "Teamsters Local 727", "UFCW Local 881"


def report_json(capsys, tmp_path, *events) -> dict:
    f = write(tmp_path / "k.jsonl", *events)
    code, out, err = run(capsys, "report", str(f), "--json")
    assert code == 0, err
    return json.loads(out)


def report_text(capsys, tmp_path, *events) -> str:
    f = write(tmp_path / "k.jsonl", *events)
    return run(capsys, "report", str(f))[1]


def line_of(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if label in line)


def test_a_runoff_between_two_unions_names_both(capsys, tmp_path):
    events = (header(choices=[TEAMSTERS, UFCW], ballots=20), pile(TEAMSTERS, 11), pile(UFCW, 8),
              pile("void", 1))
    report = report_json(capsys, tmp_path, *events)
    assert (report["outcome"], report["winner"], report["decided"]) == ("majority", TEAMSTERS, True)
    assert report["decided_at"] == 11 and report["majority_possible"] is True
    text = report_text(capsys, tmp_path, *events)
    assert line_of(text, f"votes cast for {TEAMSTERS}").split()[-1] == "11"
    assert line_of(text, f"votes cast for {UFCW}").split()[-1] == "8"
    assert "against" not in text and "Result: Teamsters Local 727 wins a majority" in text


def test_a_tied_runoff_is_no_majority_and_nobody_wins(capsys, tmp_path):
    events = (header(choices=[UFCW, "Neither"]), pile(UFCW, 8), pile("Neither", 8), {"type": "close"})
    report = report_json(capsys, tmp_path, *events)
    assert (report["outcome"], report["winner"], report["majority_possible"]) == ("no_majority", None, False)
    text = report_text(capsys, tmp_path, *events)
    # One union on the ballot: the Board's singular wording.
    assert line_of(text, "against participating labor organization ").split()[-1] == "8"
    assert "Result: no majority: a tie" in text and "nobody is certified" in text


def test_multi_union_wording_follows_the_boards_tally_form(capsys, tmp_path):
    events = (header(choices=["Union A", "Union B", "neither"]), pile("Union A", 2), pile("Union B", 3),
              pile("neither", 9), {"type": "close"})
    text = report_text(capsys, tmp_path, *events)
    assert line_of(text, "votes cast against participating labor organizations").split()[-1] == "9"
    assert "has been cast against participating labor organizations." in text
    assert "Result: neither wins a majority: no union" in text


@pytest.mark.parametrize("name,union", [("Neither", False), ("NONE", False), ("No  union", False),
                                        ("None of the above", False), ("Union None", True),
                                        ("No", True)])
def test_which_choice_is_the_vote_against_every_union(name, union):
    from tally.report import is_against

    assert is_against(name) is not union


def test_a_rerun_when_second_place_ties(capsys, tmp_path):
    events = (header(choices=["Union A", "Union B", "Neither"], eligible=30), pile("Union A", 10),
              pile("Union B", 5), pile("Neither", 5), {"type": "close"})
    report = report_json(capsys, tmp_path, *events)
    assert (report["outcome"], report["winner"], report["decided"]) == ("rerun", None, True)
    assert "runoff" not in report and report["majority_possible"] is False
    text = report_text(capsys, tmp_path, *events)
    assert "Result: rerun: no runoff pair, the election is run again with all 3 choices" in text
    assert "a tie for second place leaves no runoff pair" in text


def test_the_102_70_d_exception_is_a_certification_of_results(capsys, tmp_path):
    events = (header(choices=["Union A", "Union B", "Neither"], eligible=20), pile("Union A", 10),
              pile("Union B", 10), {"type": "close"})
    report = report_json(capsys, tmp_path, *events)
    assert (report["outcome"], report["winner"]) == ("no_majority", None)
    assert "certification of results" in report["result"]


def test_no_majority_possible_while_the_runoff_pair_is_open(capsys, tmp_path):
    report = report_json(capsys, tmp_path, header(choices=["Union A", "Union B", "Neither"], ballots=50),
                         pile("Union A", 20), pile("Union B", 15), pile("Neither", 13))
    assert (report["outcome"], report["decided"], report["majority_possible"]) == ("undecided", False, False)
    assert "a runoff or rerun is certain" in report["result"]


def test_a_deauthorization_poll_needs_a_majority_of_the_eligible_voters(capsys, tmp_path):
    head = header(rule="deauthorization", eligible=30, union="Local 1", ballots=25)
    report = report_json(capsys, tmp_path, head, pile("yes", 15), pile("no", 8), {"type": "close"})
    # 15 of 23 votes cast, but not more than half of the 30 eligible voters.
    assert (report["rule"], report["outcome"], report["winner"]) == ("deauthorization", "no_majority", "no")
    assert report["majority_line"] == 16 and report["decided_at"] == 23  # at close
    text = report_text(capsys, tmp_path, head, pile("yes", 15), pile("no", 8), {"type": "close"})
    assert "Deauthorization poll (NLRA Section 9(e)(1))" in text
    assert "A majority of the eligible voters (16 of 30) has not voted" in text
    assert line_of(text, "votes cast for deauthorization").split()[-1] == "15"
    assert "Result: not deauthorized: Local 1 keeps its authority" in text
    report = report_json(capsys, tmp_path, head, pile("yes", 16))
    assert (report["outcome"], report["decided"], report["decided_at"]) == ("majority", True, 16)
    assert report["needed"] == {"yes": 0, "no": 10}  # no cannot undo 16 yes: 9 left are too few


@pytest.mark.parametrize("fields,why", [
    ({"rule": "deauthorization"}, 'a deauthorization poll needs "eligible"'),
    ({"rule": "deauthorization", "eligible": 9, "choices": ["A", "B"]}, "is a yes/no ballot"),
    ({"rule": "decertification"}, "rule: Input should be 'representation' or 'deauthorization'"),
    ({"choices": ["no", "yes"]}, 'a yes/no ballot is ["yes","no"], in that order'),
])
def test_bad_headers_for_the_new_kinds_get_one_line(capsys, tmp_path, fields, why):
    f = write(tmp_path / "bad.jsonl", header(**fields))
    code, out, err = run(capsys, "report", str(f))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"tally: {f}:1: ") and why in err


def test_the_report_words_chances_by_the_one_rounding_rule(capsys, tmp_path):
    """LDJ5 cut at 802 events (306–492, 201 unopened, decided only at ballot 809): '> 99.9 %', not '100.0 %'.

    Likeliest first, in the words every face uses (tally.present.chances),
    in the text report and in --json's `chances`.
    """
    cut = tmp_path / "ldj5-802.jsonl"
    cut.write_text("\n".join(open("replays/ldj5.jsonl").read().splitlines()[:802]) + "\n")
    code, out, _ = run(capsys, "report", str(cut))
    assert code == 0
    assert "no union > 99.9 %, union wins < 0.1 %, challenges decide < 0.1 %" in out
    assert "100.0 %" not in out and "0.0 %" not in out
    code, out, _ = run(capsys, "report", "--json", str(cut))
    chances = json.loads(out)["chances"]
    assert [(c["label"], c["text"], c["role"]) for c in chances] == [
        ("no union", "> 99.9 %", "no"), ("union wins", "< 0.1 %", "yes"), ("challenges decide", "< 0.1 %", "pending")]
    code, out, _ = run(capsys, "report", "replays/ldj5.jsonl")  # closed and decided: certain
    assert "no union 100 %, union wins 0 %, challenges decide 0 %" in out
