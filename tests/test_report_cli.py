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
    assert "Result: no majority for Amazon Labor Union: no union" in out
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


def test_torn_last_line(capsys, tmp_path):
    f = write(tmp_path / "torn.jsonl", header(), *ballots("yes"))
    f.write_bytes(f.read_bytes() + b'{"seq":3,"type":"bal')
    code, _, err = run(capsys, "report", str(f))
    assert code == 2 and f"{f}:3: incomplete last line" in err


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
