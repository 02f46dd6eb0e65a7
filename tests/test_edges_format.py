"""The format's edges (issue 16, items 1 and 11): `at` has a range, and a key may appear once.

A time beyond the range, or an offset beyond ±14:00, and a line that repeats a
key in any object are refused like any bad event: FILE:LINE and exit 2 for a
file, on the line-by-line path and the fast path alike, `{"error"}` from a
hub, and a journal that holds one is not opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from counts import header
from feeds.files import FeedError, load_bytes, stream
from feeds.journal import Journal
from hubkit import publishing, ask, running_hub
from tally.schema import EVENT, EventError, json_schema, parse_event, validate_events_fast, validate_json
from tui.cli import main
from tally.present import clock_time

HEAD = json.dumps({"seq": 1, **header()})
BALLOT = '{"seq":2,"type":"ballot","choice":"yes","at":"%s"}'

IN_RANGE = ["1970-01-01T00:00:00Z", "1970-01-01T14:00:00+14:00", "1969-12-31T10:00:00-14:00",
            "9000-12-31T23:59:59Z", "9001-01-01T13:59:59+14:00", "9000-12-31T09:59:59-14:00",
            "2022-05-02T13:00:05-04:00", "2022-05-02t13:00:05z", "2022-05-02 13:00:05.5+05:45",
            "2022-05-02T13:00:05+13:59", "2022-05-02T13:00:05-00:00"]
BEYOND = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
          "1970-01-01T13:59:59+14:00", "9001-01-01T00:00:00Z", "9000-12-31T23:59:59.000001Z",
          "9000-12-31T23:59:59-00:01", "2022-05-02T13:00:05+14:01", "2022-05-02T13:00:05-14:30",
          "2022-05-02T13:00:05+23:59", "2022-05-02T13:00:05+0400", "2022-05-02T13:00Z",
          "2022-05-02_13:00:05Z", "1651510805", "+0000", "2022-05-02T13:00:05"]


def report(path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", str(path)])
    return code, out.getvalue(), err.getvalue()


def refused_everywhere(line: str, tmp_path, why: str) -> None:
    """Refused by the models, the fast path, a file (both readers) and `tally report`, saying why."""
    with pytest.raises(EventError, match=why):
        parse_event(line)
    with pytest.raises(ValidationError):
        validate_events_fast(f"[{line}]".encode())
    path = tmp_path / "c.jsonl"
    path.write_text(f"{HEAD}\n{line}\n")
    problems = load_bytes(str(path), path.read_bytes()).problems
    assert [(p.line, why in p.why) for p in problems] == [(2, True)]
    assert [str(item) for n, item in stream(path) if n == 2] == [str(problems[0])]
    code, out, err = report(path)
    assert code == 2 and out == "" and err.startswith(f"tally: {path}:2: ") and why in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("at", IN_RANGE)
def test_times_within_the_range_are_events(at):
    event = parse_event(BALLOT % at)
    assert event.at.year in (1969, 1970, 2022, 9000, 9001)
    assert abs(event.at.utcoffset().total_seconds()) <= 14 * 3600


@pytest.mark.parametrize("at", BEYOND)
def test_times_beyond_the_range_are_refused_with_file_and_line(at, tmp_path):
    refused_everywhere(BALLOT % at, tmp_path, "at: an RFC 3339 time")


def test_the_range_is_in_the_schema():
    at = json.loads(json_schema())["$defs"]["Ballot"]["properties"]["at"]["anyOf"][0]
    assert at["formatMinimum"] == "1970-01-01T00:00:00Z"
    assert at["formatMaximum"] == "9000-12-31T23:59:59Z"
    assert "±14:00" in at["description"] and at["format"] == "date-time"
    assert "14:00" in at["pattern"]


@contextlib.contextmanager
def viewer_at(zone: str):
    """The process's local time zone set to `zone` (a POSIX TZ string), as a viewer's would be."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize("zone", ["UTC-14", "UTC+12", "UTC"])
def test_the_last_call_is_shown_at_any_viewers_offset(zone):
    """9000-12-31T23:59:59Z is 9001 at UTC+14: still a time of day. A stamp no zone can hold
    (datetime's last instant, seen east of UTC) is shown on the count's own clock, not a crash."""
    with viewer_at(zone):
        for at in ("9000-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "9000-12-31T09:59:59-14:00"):
            assert len(clock_time(parse_event(BALLOT % at).at, local=True)) == 8
        for edge in (datetime.max, datetime.min):
            assert len(clock_time(edge.replace(tzinfo=timezone.utc), local=True)) == 8


# -- duplicate keys ------------------------------------------------------------------

DUPLICATES = [
    '{"seq":2,"type":"ballot","choice":"yes","choice":"no"}',
    '{"seq":2,"type":"ballot","choice":"yes","choice":"yes"}',
    '{"seq":2,"seq":2,"type":"ballot","choice":"yes"}',
    '{"seq":2,"type":"ballot","type":"ballot","choice":"yes"}',
    '{"seq":2,"type":"ballot","choice":"yes","count":1,"count":1}',
    '{"seq":2,"type":"ballot","choice":"yes","\\u0063hoice":"no"}',
    '{"seq":2,"type":"note","text":"a, b: c","text":"d"}',
    '{"seq":2,"type":"note","text":[{}],"text":"ok"}',
    '{"seq":2,"type":"ballot","choice":"yes","at":null,"at":"2022-05-02T13:00:05Z"}',
    '{"seq" : 2 , "type" : "ballot" , "choice" : "yes" , "choice" : "no"}',
]


@pytest.mark.parametrize("line", DUPLICATES)
def test_a_repeated_key_is_refused_with_file_and_line(line, tmp_path):
    refused_everywhere(line, tmp_path, "duplicate key")


def test_a_repeated_key_in_the_header_is_refused(tmp_path):
    head = HEAD[:-1] + ', "title": "Another count"}'
    with pytest.raises(EventError, match='duplicate key "title"'):
        parse_event(head)
    path = tmp_path / "c.jsonl"
    path.write_text(f"{head}\n")
    code, _, err = report(path)
    assert code == 2 and f"{path}:1: duplicate key" in err


def test_a_journal_holding_a_repeated_key_is_not_opened(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text(f"{HEAD}\n{DUPLICATES[0]}\n")
    with pytest.raises(FeedError, match=f"{path}:2: duplicate key"):
        Journal.open(path)
    assert path.read_text() == f"{HEAD}\n{DUPLICATES[0]}\n"


async def test_the_hub_refuses_a_repeated_key_and_stores_nothing(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as ws:
            assert await ask(ws, HEAD) == {"ack": 1}
            for line in DUPLICATES:
                answer = await ask(ws, line)
                assert answer["seq"] == 2 and "duplicate key" in answer["error"], line
            assert await ask(ws, '{"seq":2,"type":"ballot","choice":"no"}') == {"ack": 2}
        assert hub.elections["test"].count.votes == [0, 1]
    assert (tmp_path / "test.jsonl").read_text().count("\n") == 2


# A JSON text with a key repeated somewhere, written every way JSON allows: any spacing,
# escaped keys, the same or another value, in the event or in an object nested in it.

def key_text(key: str, escape: bool) -> str:
    return '"' + "".join(f"\\u{ord(c):04x}" for c in key) + '"' if escape else json.dumps(key)


@st.composite
def repeated_key_lines(draw) -> str:
    valid = draw(st.sampled_from([
        [("seq", 2), ("type", "ballot"), ("choice", "yes"), ("count", 3),
         ("at", "2022-05-02T13:00:05-04:00")],
        [("seq", 2), ("type", "note"), ("text", "lunch, then: more")],
        [("seq", 2), ("type", "challenged")], [("seq", 2), ("type", "retract"), ("target", 1)],
        [("seq", 2), ("type", "close")],
        [("seq", 1), ("type", "election"), ("id", "x"), ("title", "T, t"), ("choices", ["A", "B"]),
         ("ballots", 10)]]))
    pairs: list = list(valid)
    if draw(st.booleans()):  # a key given again, at the top
        key, value = draw(st.sampled_from(pairs))
        again = draw(st.sampled_from([value, "no", 5, None, [1, 2], {"a": 1}, "x,y"]))
        pairs.insert(draw(st.integers(0, len(pairs))), (key, again))
    else:  # an object with a repeated key, in place of a value or inside an array
        inner = [("k", 1), ("k", draw(st.sampled_from([1, "v", None])))]
        i = draw(st.integers(0, len(pairs) - 1))
        key, value = pairs[i]
        pairs[i] = (key, [inner] if draw(st.booleans()) else inner)
    space = draw(st.sampled_from(["", " ", "\t", "  "]))
    escape = draw(st.booleans())

    def dump(value) -> str:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            return "{" + f",{space}".join(f"{key_text(k, escape)}{space}:{space}{dump(v)}"
                                          for k, v in value) + "}"
        if isinstance(value, list):
            return "[" + f",{space}".join(dump(v) for v in value) + "]"
        return json.dumps(value)

    return dump(pairs)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(line=repeated_key_lines())
def test_a_repeated_key_anywhere_is_refused_on_every_path(line):
    with pytest.raises(EventError):
        parse_event(line)  # what the hub, the watcher and the Redis store call
    with pytest.raises(ValidationError):
        validate_json(EVENT, line.encode())
    with pytest.raises(ValidationError):
        validate_events_fast(f"[{HEAD},{line}]".encode())
    loaded = load_bytes("c.jsonl", f"{HEAD}\n{line}\n".encode())
    assert [p.line for p in loaded.problems] == [2]


def test_a_repeated_key_costs_nothing_when_commas_clear_it():
    """The cheap proof clears ordinary lines (json.loads is never called for them)."""
    from tally import schema

    calls = []
    real = schema._refuse_repeated_keys
    schema._refuse_repeated_keys = lambda raw: calls.append(raw) or real(raw)
    try:
        lines = [HEAD, '{"seq":2,"type":"ballot","choice":"yes","count":3}',
                 '{"seq": 3, "type": "note", "text": "no commas"}']
        validate_events_fast(("[" + ",".join(lines) + "]").encode())
        for line in lines:
            parse_event(line)
        assert calls == []
        parse_event('{"seq":2,"type":"note","text":"a, b"}')  # a comma in a string: proved too
        assert calls == []
        parse_event('{"seq":2,"type":"note","text":"a\\u002c b"}')  # an escape, no comma: proved
        assert calls == []
        parse_event('{"seq":2,"type":"note","text":"a\\u002c b, c"}')  # an escape and a comma
        assert len(calls) == 1
    finally:
        schema._refuse_repeated_keys = real
