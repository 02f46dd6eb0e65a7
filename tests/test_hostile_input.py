"""Arbitrary lines and arbitrary JSON, fed to the file reader, the reducer and `tally report`:
never a traceback; every refusal is FILE:LINE: why with exit code 2; a refused event
changes nothing in the count."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counts import header, numbered
from tally.reducer import Count, RuleError
from tally.schema import EventError, parse_event
from tui.cli import main

PREFIX = numbered(header(ballots=50), {"type": "ballot", "choice": "yes"},
                  {"type": "ballot", "choice": "no", "count": 2})
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10)

FIELDS = ["seq", "type", "choice", "count", "target", "text", "at", "id", "title", "choices",
          "ballots", "eligible", "union"]
TYPES = ["election", "ballot", "challenged", "retract", "note", "close", "vote", ""]


@st.composite
def event_like(draw) -> dict:
    """Objects near the format: right field names, any values, sometimes the right ones."""
    obj = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5))
    if draw(st.booleans()):
        obj["type"] = draw(st.sampled_from(TYPES))
    if draw(st.booleans()):
        obj["seq"] = draw(st.sampled_from([4, 3, 5, 1, 0, -1, 2**31, 2**63, "4"]))
    if obj.get("type") == "ballot" and draw(st.booleans()):
        obj["choice"] = draw(st.sampled_from(["yes", "no", "void", "YES", ""]))
    if draw(st.booleans()):
        obj["count"] = draw(st.sampled_from([1, 0, -5, 47, 2**31, 10**7, 10**7 + 1, 1.0, True]))
    return obj


lines = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(str.encode),
    event_like().map(lambda o: json.dumps(o).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)

PROBLEM = re.compile(r"^tally: (?P<path>.+?):(?P<line>\d+): \S.*$")


def state_of(count: Count) -> tuple:
    snap = count.snapshot()
    return (snap, count.opened, count.decided_at, len(count._did), len(count._amount))


@SETTINGS
@given(tail=st.lists(lines, max_size=6), last_newline=st.booleans())
def test_tally_report_of_any_lines_is_a_report_or_file_line_problems(tmp_path_factory, capsys,
                                                                        tail, last_newline):
    path = Path(tmp_path_factory.mktemp("h")) / "count.jsonl"
    body = b"".join(json.dumps(e).encode() + b"\n" for e in PREFIX)
    body += b"\n".join(line.replace(b"\n", b" ") for line in tail) + (b"\n" if last_newline else b"")
    path.write_bytes(body)
    code = main(["report", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        assert json.loads(out)["id"] == "test" and err == ""
    else:
        assert out == "" and err
        for line in err.splitlines():
            match = PROBLEM.match(line) or re.match(r"^tally: … and \d+ more problems$", line)
            assert match, line
            if match.groupdict().get("path"):
                assert match["path"] == str(path)
                assert int(match["line"]) > len(PREFIX)  # the good lines were never blamed


@SETTINGS
@given(objs=st.lists(event_like(), min_size=1, max_size=8))
def test_any_object_is_applied_whole_or_refused_changing_nothing(objs):
    count = Count()
    for event in numbered(header(ballots=50)):
        count.apply(parse_event(json.dumps(event)))
    for obj in objs:
        before = state_of(count)
        try:
            event = parse_event(json.dumps(obj))
        except EventError as exc:
            assert "\n" not in str(exc) and str(exc)
            continue
        try:
            count.apply(event)
        except RuleError as exc:
            assert "\n" not in str(exc) and str(exc)
            assert state_of(count) == before
        else:
            assert count.last_seq == before[0].last_seq + 1
