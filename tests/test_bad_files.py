"""Files that are not event files, lines past the limit, numbers past the format's limits:
each refused in one line (FILE:LINE: why, or FILE: why), exit code 2, nothing read or changed."""

from __future__ import annotations

import json
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counts import header, pile, write
from tui.cli import main


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def in_time(fn, seconds: float = 10.0):
    """Run fn in a thread; fail (instead of hanging the suite) if it does not return."""
    result: list = []

    def call():
        try:
            result.append((True, fn()))
        except Exception as exc:
            result.append((False, exc))

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, "hung: it tried to read what is not a regular file"
    ok, value = result[0]
    if not ok:
        raise value
    return value


@pytest.mark.parametrize("command", ["report", "replay", "publish"])
def test_a_fifo_is_refused_without_reading_it(capsys, fifo, command):
    argv = [command, str(fifo)] + (["ws://127.0.0.1:9"] if command == "publish" else [])
    if command == "publish":  # the token is checked before the file
        token = fifo.parent / "token"
        token.write_text("t\n")
        token.chmod(0o600)  # a token file others can read is refused
        argv += ["--token-file", str(token)]
    code, err = in_time(lambda: run(capsys, *argv))
    assert code == 2
    assert err.strip() == f"tally: {fifo}: is a FIFO (named pipe), not an event file"


def test_a_fifo_is_refused_as_a_journal(capsys, fifo):
    code, err = in_time(lambda: run(capsys, "count", str(fifo)))
    assert code == 2
    assert err.strip() == f"tally: {fifo}: is a FIFO (named pipe), not an event file"
    assert fifo.exists()  # and left alone


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused(capsys, device):
    code, err = in_time(lambda: run(capsys, "report", device))
    assert code == 2
    assert err.strip() == f"tally: {device}: is a character device, not an event file"


def test_a_directory_is_refused(capsys, tmp_path):
    code, err = run(capsys, "report", str(tmp_path))
    assert code == 2 and err.strip() == f"tally: {tmp_path}: is a directory, not an event file"


def test_a_line_longer_than_64_kib_is_refused_without_parsing(capsys, tmp_path):
    path = tmp_path / "huge.jsonl"
    big = {"seq": 1, "type": "election", "id": "x", "title": "T",
           "choices": [f"c{i}" for i in range(20_000)]}
    path.write_text(json.dumps(big) + "\n")
    code, err = run(capsys, "report", str(path))
    assert code == 2
    assert err.strip() == f"tally: {path}:1: line longer than 64 KiB: not read"


def test_a_long_line_is_reported_and_the_next_lines_still_checked(capsys, tmp_path):
    path = tmp_path / "long.jsonl"
    write(path, header(), pile("yes", 1), pile("no", 1),
          raw_lines={2: json.dumps({"seq": 2, "type": "note", "text": "x" * 70_000})})
    path.write_text(path.read_text() + "not json\n")
    code, err = run(capsys, "report", str(path))
    assert code == 2
    assert err.splitlines() == [f"tally: {path}:2: line longer than 64 KiB: not read",
                                f"tally: {path}:4: not JSON (expected ident at column 2)"]


@pytest.mark.parametrize("line, why", [
    ('{"seq":2,"type":"ballot"', "EOF while parsing an object at the end of the line"),
    ('{"seq":2,"type":"ballot","choice":"yes"} x', "trailing characters at column 42"),
    ('{"seq":2,"type":"ballot","choice":yes}', "expected value at column 35")])
def test_a_line_that_is_not_json_says_where_in_that_line(capsys, tmp_path, line, why):
    """The parser sees one line with its newline: its "line 2 column 0" is that line's end, not line 2."""
    path = tmp_path / "torn.jsonl"
    path.write_text(json.dumps({"seq": 1, "type": "election", "id": "x", "title": "T"}) + "\n" + line + "\n")
    code, err = run(capsys, "report", str(path))
    assert (code, err.splitlines()) == (2, [f"tally: {path}:2: not JSON ({why})"])


@pytest.mark.parametrize("field, value, why", [
    ("count", 2**31, "count: at most 10,000,000 (a limit of the format)"),
    ("count", 10_000_001, "count: at most 10,000,000 (a limit of the format)"),
])
def test_a_pile_past_the_limit_is_refused(capsys, tmp_path, field, value, why):
    path = write(tmp_path / "c.jsonl", header(), {"type": "ballot", "choice": "yes", field: value})
    code, err = run(capsys, "report", str(path))
    assert code == 2 and err.strip() == f"tally: {path}:2: {why}"


def test_a_pile_at_the_limit_is_counted(capsys, tmp_path):
    path = write(tmp_path / "c.jsonl", header(ballots=10_000_000), pile("yes", 10_000_000))
    code = main(["report", str(path), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["votes"]["yes"] == 10_000_000


@pytest.mark.parametrize("fields, why", [
    ({"ballots": 10_000_001}, "ballots: at most 10,000,000 (a limit of the format)"),
    ({"eligible": 10_000_001}, "eligible: at most 10,000,000 (a limit of the format)"),
    ({"choices": [f"Union {i}" for i in range(13)]}, "choices: at most 12 items (a limit of the format)"),
    ({"title": "T" * 201}, "title: at most 200 characters (a limit of the format)"),
    ({"union": "U" * 201}, "union: at most 200 characters (a limit of the format)"),
    ({"choices": ["C" * 101, "B", "A"]}, "choices.0: at most 100 characters (a limit of the format)"),
])
def test_a_header_past_the_limits_is_refused(capsys, tmp_path, fields, why):
    path = write(tmp_path / "c.jsonl", header(**fields))
    code, err = run(capsys, "report", str(path))
    assert code == 2 and err.strip() == f"tally: {path}:1: {why}"


def test_twelve_choices_each_get_a_key_on_the_count_screen():
    from tally.entry import choice_keys
    from tally.schema import parse_event

    twelve = [f"Union Local {n}" for n in range(11)] + ["Neither"]
    election = parse_event(json.dumps({"seq": 1, **header(choices=twelve)}))
    keys = choice_keys(election)
    assert sorted(keys.values()) == sorted(twelve)
    assert len(set(keys)) == 12 and not set(keys) & set("vcuxq0123456789")


def test_the_limits_are_in_the_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "64 KiB" in schema["description"] and "10,000,000" in schema["description"]
    election = schema["$defs"]["Election"]["properties"]
    assert election["choices"]["maxItems"] == 12
    assert election["title"]["maxLength"] == 200


def test_the_text_report_shows_control_characters_as_symbols(capsys, tmp_path):
    path = write(tmp_path / "c.jsonl", header(title="Local 1\x1b[2J [/b]\nwiped", union="U\rX"))
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out
    assert out.splitlines()[0] == "TALLY OF BALLOTS: Local 1␛[2J [/b]␤wiped"
    assert main(["report", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Local 1\x1b[2J [/b]\nwiped"  # JSON keeps the data


def test_a_fifo_in_a_hubs_data_directory_stops_the_hub_in_one_line(tmp_path):
    from feeds.files import FeedError
    from feeds.hub import Hub

    os.mkfifo(tmp_path / "ldj5.jsonl")
    with pytest.raises(FeedError) as refused:
        in_time(lambda: Hub.open(tmp_path, "token"))
    assert str(refused.value) == f"{tmp_path / 'ldj5.jsonl'}: is a FIFO (named pipe), not an event file"


@given(line=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                    min_size=1, max_size=80))
@settings(max_examples=200, deadline=None)
def test_any_line_that_is_not_json_is_one_line_naming_a_place_in_that_line(tmp_path_factory, line):
    """Whatever the line, the reason names its own line (FILE:2) and a place in it, never another line."""
    try:
        json.loads(line)
        return  # JSON of some kind: refused for other reasons, tested elsewhere
    except ValueError:
        pass
    path = tmp_path_factory.mktemp("any") / "x.jsonl"
    path.write_text(json.dumps({"seq": 1, "type": "election", "id": "x", "title": "T"}) + "\n" + line + "\n",
                    encoding="utf-8")
    code, err = run_quiet("report", str(path))
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"tally: {path}:2: ") and " at line " not in err, err


def run_quiet(*argv) -> tuple[int, str]:
    """`tally ARGV` in this process: (exit code, what it printed on stderr); `run` without capsys,
    which a hypothesis test cannot take (one fixture for every example)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    return code, err.getvalue()
