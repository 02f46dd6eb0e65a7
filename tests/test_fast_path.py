"""The fast path (plain dicts validated by the models' own core schema, blocks of whole lines,
the reducer's run loop) against the models and the line-by-line reader: the same
events, the same refusals, the same problem lines, the same count."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from counts import header, numbered
from feeds import files
from feeds.files import (BLOCK, MAX_LINE, Problem, _one_by_one, bounded_lines, load, load_bytes,
                         runs, stream)
from tally.reducer import Count, RuleError
from tally.schema import (BALLOT_COUNT, EVENT, Ballot, Challenged, Close, Election, Note, Retract,
                          as_event, dump_event, explain, validate_events_fast, validate_json)
from test_hostile_input import event_like, json_values

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HOSTILE = [
    b'{"seq":2,"type":"ballot","choice":"yes","count":"5"}',
    b'{"seq":2,"type":"ballot","choice":"yes","count":true}',
    b'{"seq":2,"type":"ballot","choice":"yes","count":1.0}',
    b'{"seq":2.0,"type":"ballot","choice":"yes"}',
    b'{"seq":2,"type":"ballot","choice":"yes","count":0}',
    b'{"seq":2,"type":"ballot","choice":"yes","count":10000001}',
    b'{"seq":2,"type":"ballot","choice":"yes","count":10000000}',
    b'{"seq":1000000001,"type":"ballot","choice":"yes"}',
    b'{"seq":2,"type":"ballot","choice":""}',
    b'{"seq":2,"type":"ballot","choice":"' + b"x" * 101 + b'"}',
    b'{"seq":2,"type":"ballot","choice":"yes","colour":"red"}',
    b'{"seq":2,"type":"ballot","choice":"yes","at":"2022-05-02T13:00:05"}',
    b'{"seq":2,"type":"ballot","choice":"yes","at":"2022-05-02T13:00:05-04:00"}',
    b'{"seq":2,"type":"ballot","choice":"yes","at":"2022-05-02T13:00:05.123456789Z"}',
    b'{"seq":2,"type":"ballot","choice":"yes","at":1651510805}',
    b'{"seq":2,"type":"ballot","choice":"yes","at":null}',
    b'{"seq":2,"type":"ballot","choice":null}',
    b'{"seq":2,"type":"ballot"}',
    b'{"seq":2,"type":"challenged","count":3}',
    b'{"seq":2,"type":"challenged","choice":"yes"}',
    b'{"seq":2,"type":"retract","target":1}',
    b'{"seq":2,"type":"retract","target":0}',
    b'{"seq":2,"type":"note","text":""}',
    b'{"seq":2,"type":"note","text":"{braces} in a note"}',
    b'{"seq":2,"type":"note","text":[{}],"text":"ok"}',
    b'{"seq":2,"type":"close"}',
    b'{"seq":2,"type":"close","count":1}',
    b'{"seq":2,"type":"vote","choice":"yes"}',
    b'{"seq":2,"choice":"yes"}',
    b'{"seq":2,"type":1}',
    b'{"seq":1,"type":"election","id":"x","title":"t"}',
    b'{"seq":2,"type":"election","id":"x","title":"t"}',
    b'{"seq":1,"type":"election","id":"x","title":"t","choices":["no","yes"]}',
    b'[1,2]', b'"ballot"', b'null', b'{not json', b'{}', b'', b'\xff\xfe{}',
]


def fast_one(line: bytes):
    """The fast validator on one line, as the models would see it: the model, or None if refused."""
    try:
        items = validate_events_fast(b"[" + line + b"]")
    except ValidationError:
        return None
    return items[0] if len(items) == 1 else None  # "" or "1,2" is no event


def model_one(line: bytes):
    try:
        return validate_json(EVENT, line)
    except ValidationError:
        return None


def same_event(line: bytes) -> None:
    fast, model = fast_one(line), model_one(line)
    assert (fast is None) == (model is None), line
    if model is not None:
        event = as_event(fast)
        assert event == model and type(event) is type(model)
        assert event.model_fields_set == model.model_fields_set
        assert dump_event(event) == dump_event(model)
        if type(model) is not Election:
            assert fast.__class__ is dict  # the point of the fast path


@pytest.mark.parametrize("line", HOSTILE)
def test_the_fast_validator_accepts_exactly_what_the_models_accept(line):
    same_event(line)


# Times at the ends of the format's range and one step beside them, at offsets at and
# beside ±14:00, in every form RFC 3339 allows and some it does not.
BOUNDS = ["1970-01-01T00:00:00", "1969-12-31T23:59:59", "1970-01-01T14:00:00", "1970-01-01T13:59:59",
          "1969-12-31T10:00:00", "1969-12-31T09:59:59", "9000-12-31T23:59:59", "9001-01-01T00:00:00",
          "9001-01-01T13:59:59", "9001-01-01T14:00:00", "9000-12-31T09:59:59", "9000-12-31T10:00:00",
          "9999-12-31T23:59:59", "0001-01-01T00:00:00", "2022-05-02T13:00:05"]
ZONES = ["Z", "z", "+00:00", "-00:00", "+14:00", "-14:00", "+13:59", "-13:59", "+14:01", "-14:01",
         "+23:59", "+1400", "", "+14", "-12:00"]
FRACTIONS = ["", ".0", ".000001", ".999999", ".9999999"]
times_near_bounds = st.builds(lambda t, f, z, sep: t.replace("T", sep) + f + z, st.sampled_from(BOUNDS),
                              st.sampled_from(FRACTIONS), st.sampled_from(ZONES),
                              st.sampled_from(["T", "t", " ", "_"]))


@SETTINGS
@given(at=times_near_bounds, kind=st.sampled_from(["ballot", "note", "election"]))
def test_the_fast_validator_is_the_models_at_the_ends_of_time(at, kind):
    fields = {"ballot": {"choice": "yes"}, "note": {"text": "x"},
              "election": {"id": "x", "title": "t", "seq": 1}}[kind]
    same_event(json.dumps({"seq": 2, "type": kind, **fields, "at": at}).encode())


@SETTINGS
@given(key=st.sampled_from(["seq", "type", "choice", "count", "at"]), same=st.booleans(),
       spaced=st.booleans())
def test_the_fast_validator_refuses_a_repeated_key_as_the_models_do(key, same, spaced):
    fields = {"seq": 2, "type": "ballot", "choice": "yes", "count": 3, "at": "2022-05-02T13:00:05Z"}
    again = fields[key] if same else {"seq": 3, "type": "challenged", "choice": "no", "count": 4,
                                      "at": None}[key]
    sep = ", " if spaced else ","
    line = "{" + sep.join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in fields.items())
    line += f'{sep}"{key}":{json.dumps(again)}}}'
    assert fast_one(line.encode()) is None and model_one(line.encode()) is None


@SETTINGS
@given(obj=event_like())
def test_the_fast_validator_is_the_models_on_any_object(obj):
    same_event(json.dumps(obj).encode())


@SETTINGS
@given(value=json_values)
def test_the_fast_validator_is_the_models_on_any_json(value):
    same_event(json.dumps(value).encode())


def test_what_the_fast_loops_assume_of_the_models():
    assert BALLOT_COUNT == Ballot.model_fields["count"].default == 1
    models = (Election, Ballot, Challenged, Retract, Note, Close)
    assert [m for m in models if "choice" in m.model_fields] == [Ballot]


# -- reading: blocks of lines against line by line -------------------------------

def reference(path: str, data: bytes) -> list[tuple[int, str]]:
    """What each line is, read the plainest way: bounded lines, each validated alone."""
    out = []
    for n, line in enumerate(bounded_lines(io.BytesIO(data)), 1):
        if len(line) > MAX_LINE and len(line.rstrip(b"\r\n")) > MAX_LINE:
            out.append((n, f"{path}:{n}: line longer than {MAX_LINE // 1024} KiB: not read"))
        elif line.strip():
            [(_, item)] = _one_by_one(path, [(n, line)])
            out.append((n, str(item) if isinstance(item, Problem) else dump_event(item)))
    return out


def read_fast(path: str, data: bytes) -> list[tuple[int, str]]:
    out = []
    for first, items in runs(path, io.BytesIO(data)):
        for n, item in enumerate(items, first):
            out.append((n, str(item) if isinstance(item, Problem) else dump_event(as_event(item))))
    return out


GOOD = [json.dumps(e).encode() for e in numbered(
    header(ballots=50), {"type": "ballot", "choice": "yes"},
    {"type": "ballot", "choice": "no", "count": 2}, {"type": "note", "text": "a {brace}"},
    {"type": "challenged"}, {"type": "retract", "target": 3})]

odd_lines = st.one_of(
    st.sampled_from(GOOD), st.sampled_from(GOOD), st.sampled_from(HOSTILE),
    st.sampled_from([b"", b"   ", b"\r", b" " + GOOD[1], GOOD[1] + b"  ", GOOD[1] + b"\r",
                     b'{"seq":2,"type":"note","text":"x"', b'"at":null}',
                     b'{"seq":3,"type":"close"},{"seq":4,"type":"close"}',
                     b'{"seq":2,"type":"note","text":[{}', b'{}],"text":"ok"}']),
    st.binary(max_size=30).map(lambda b: b.replace(b"\n", b" ")),
)


@SETTINGS
@given(lines=st.lists(odd_lines, max_size=12), last_newline=st.booleans())
def test_blocks_of_lines_read_as_each_line_alone(lines, last_newline):
    data = b"\n".join(lines) + (b"\n" if last_newline else b"")
    assert read_fast("f", data) == reference("f", data)



@SETTINGS
@given(lines=st.lists(odd_lines, max_size=12), first=st.integers(1, 200), last_newline=st.booleans())
def test_a_small_first_block_reads_the_same_lines(monkeypatch, lines, first, last_newline):
    # A file's first read is FIRST_BLOCK bytes (a launch validates its first lines only, not a whole
    # block): wherever that read ends, inside a line or between two, each line reads as alone.
    monkeypatch.setattr(files, "FIRST_BLOCK", first)
    data = b"\n".join(lines) + (b"\n" if last_newline else b"")
    assert read_fast("f", data) == reference("f", data)

def test_lines_that_make_events_only_when_joined_are_each_refused(tmp_path, capsys):
    # Joined with commas, line 2 and 3 make one note and line 4 two closes: as many events
    # as lines. Each of those lines alone is not JSON, and is refused as such.
    path = tmp_path / "joined.jsonl"
    path.write_bytes(b'{"seq":1,"type":"election","id":"x","title":"X"}\n'
                     b'{"seq":2,"type":"note","text":"x"\n"at":null}\n'
                     b'{"seq":3,"type":"close"},{"seq":4,"type":"note","text":"y"}\n')
    from tui.cli import main

    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": not JSON")[0] for line in err] == [f"tally: {path}:{n}" for n in (2, 3, 4)]


@pytest.mark.parametrize("size", [MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, MAX_LINE + 2, 3 * BLOCK])
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b""])
@pytest.mark.parametrize("before", [0, 1, 500])
def test_long_lines_at_every_edge_read_as_before(size, end, before):
    note = b'{"seq":2,"type":"note","text":"'
    long = note + b"x" * max(0, size - len(note) - 2) + b'"}'
    lines = GOOD[:1] + [GOOD[1]] * before
    data = b"\n".join(lines) + b"\n" + long + end + (GOOD[2] + b"\n" if end else b"")
    assert read_fast("f", data) == reference("f", data)


def test_a_big_file_reads_in_blocks_of_many_events(tmp_path):
    events = numbered(header(ballots=100_000), *[{"type": "ballot", "choice": "yes"}] * 5000)
    data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    sizes = [len(items) for _, items in runs("f", io.BytesIO(data))]
    assert sum(sizes) == len(events) and max(sizes) > 500
    assert read_fast("f", data) == reference("f", data)
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    assert [n for n, _ in stream(path)] == list(range(1, len(events) + 1))
    assert load(path).count.snapshot() == load_bytes(str(path), data).count.snapshot()


# -- the reducer: runs against one event at a time -------------------------------

def state(count: Count) -> tuple:
    snap = count.snapshot() if count.election else None
    return (snap, count.opened, count.void, count.challenged, count.closed, count.last_seq,
            count.decided_at, count._did.tobytes(), count._amount.tobytes(),
            count._quiet if count.decided_at is None else None)


counting = st.one_of(
    st.builds(lambda c, n: {"type": "ballot", "choice": c, **({"count": n} if n else {})},
              st.sampled_from(["yes", "no", "void", "A", "maybe"]), st.sampled_from([0, 0, 0, 1, 2, 7])),
    st.builds(lambda n: {"type": "challenged", "count": n}, st.integers(1, 3)),
    st.builds(lambda t: {"type": "retract", "target": t}, st.integers(1, 30)),
    st.just({"type": "note", "text": "n"}), st.just({"type": "close"}),
)


@st.composite
def event_runs(draw):
    choices = draw(st.sampled_from([["yes", "no"], ["A", "B", "Neither"], ["A", "B"]]))
    extra = draw(st.sampled_from([{}, {"ballots": 12}, {"ballots": 40}, {"ballots": 200}]))
    body = draw(st.lists(st.one_of(counting, st.just({"type": "ballot", "choice": choices[0]})),
                         max_size=60))
    events = numbered(header(choices=choices, **extra), *body)
    for e in events[1:]:  # now and then a seq out of order
        if draw(st.integers(0, 30)) == 0:
            e["seq"] = max(1, e["seq"] + draw(st.sampled_from([-1, 1, 5])))
    return events


def validated(events: list[dict]) -> list:
    return validate_events_fast(json.dumps(events).encode())


@SETTINGS
@given(events=event_runs(), cut=st.integers(0, 60), until=st.one_of(st.none(), st.integers(0, 80)))
def test_apply_run_is_apply_one_by_one(events, cut, until):
    one, run = Count(), Count()
    refused = None
    for i, event in enumerate(validated(events)):
        try:
            one.apply(as_event(event))
        except RuleError as exc:
            refused = (i, str(exc))
            break
    items = validated(events)
    i, got = 0, None
    try:
        # in two runs, and with a stop at a number of ballots handled, as a replay does it
        for part in (items[:cut], items[cut:]):
            j = 0
            while j < len(part):
                start = j
                j = run.apply_run(part, j, until)
                assert j > start
                if until is not None and j < len(part):
                    assert run.handled >= until
            i += len(part)
    except RuleError as exc:
        got = (i + exc.index, str(exc))
    if refused is None:
        assert got is None
    else:
        assert got == refused
    assert state(run) == state(one)


def test_a_decision_inside_a_run_is_found_at_the_same_ballot():
    events = numbered(header(ballots=101), *[{"type": "ballot", "choice": "yes"}] * 101)
    one, run = Count(), Count()
    for e in validated(events):
        one.apply(as_event(e))
    run.apply_run(validated(events))
    assert one.decided_at == run.decided_at == 51 and state(one) == state(run)
