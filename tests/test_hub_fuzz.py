"""Anything at all published to a live hub: one refusal line, or the event stored; nothing else.

A real hub runs on a loopback port in a thread of its own; hypothesis sends it
arbitrary bytes, lines and JSON objects (most of them almost events) through
real WebSocket connections. For every frame: the answer is exactly
``{"ack": N}`` or ``{"error": "<one line>", "seq": N | null}``; after a
refusal, ``GET /elections``, the hub's count and the file on disk are what
they were; the log never shows a traceback. At the end a watcher that saw it
all holds exactly the stored events, in order, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

import feeds.hub.server
from feeds.files import bounded_lines, opened
from hubkit import TOKEN, ballot, header, running_hub
from test_hub_abuse import captured

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
ELECTIONS = ("fuzz", "blank")  # one with a count, one the hub has not heard of


class HubThread:
    """A hub serving ``data`` on 127.0.0.1 in its own thread and event loop."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(),))
        self._thread.start()
        assert self._ready.wait(20), "the hub did not start"

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running_hub(self.data) as (self.hub, self.url):
            self._ready.set()
            await self._stop.wait()

    def call(self, fn):
        """fn() run on the hub's loop, between two of its steps: a consistent view."""
        async def run():
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(20)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
        self.loop.close()


class Publishers:
    """One publish connection per election, kept open in ``stack``."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        self.url = url
        self.stack = stack
        self.open: dict = {}

    def ask(self, election_id: str, frame: str | bytes) -> dict:
        ws = self.open.get(election_id)
        if ws is None:
            ws = self.open[election_id] = self.stack.enter_context(connect(
                f"{self.url}/elections/{election_id}/publish", compression=None,
                additional_headers={"Authorization": f"Bearer {TOKEN}"}))
            json.loads(ws.recv(timeout=20))  # {"last": N}
        ws.send(frame)
        return json.loads(ws.recv(timeout=20))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feeds.hub.server, "LIST_REFRESH", 0.0)  # every GET /elections is current
        with captured("tally.hub", "websockets", "asyncio") as records, ExitStack() as stack:
            hub = HubThread(tmp_path_factory.mktemp("hub"))
            stack.callback(hub.close)
            pubs = Publishers(hub.url, stack)
            for frame in [header("fuzz", ballots=400), ballot(2), ballot(3, "no")]:
                assert "ack" in pubs.ask("fuzz", frame)
            watcher = stack.enter_context(
                connect(f"{hub.url}/elections/fuzz", compression=None, max_queue=None))
            yield Live(hub, pubs, watcher, records)


class Live(tuple):
    """(hub, publishers, watcher, log records), named briefly in hypothesis's reports."""

    def __new__(cls, *parts):
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return "<the live hub>"


def state(hub: HubThread, election_id: str):
    """What a refusal must leave as it was: the file, the hub's count, the listing."""
    path = hub.data / f"{election_id}.jsonl"
    stored = path.read_bytes() if path.exists() else None
    held = hub.call(lambda: _held(hub.hub, election_id))
    with urllib.request.urlopen(hub.url.replace("ws:", "http:") + "/elections", timeout=20) as r:
        listed = [e for e in json.load(r) if e["id"] == election_id]
    return stored, held, listed


def _held(hub, election_id: str):
    election = hub.elections.get(election_id)
    if election is None:
        return None
    count = election.count
    return election.last, count.last_seq, list(count.votes), count.void, count.challenged, count.closed


def check(live, election_id: str, frame: str | bytes) -> None:
    hub, pubs, _, records = live
    before = state(hub, election_id)
    answer = pubs.ask(election_id, frame)
    assert set(answer) in ({"ack"}, {"error", "seq"}), answer
    event("stored" if "ack" in answer else " ".join(answer["error"].split(" ")[:2]))  # for --hypothesis-show-statistics
    if "error" in answer:
        assert isinstance(answer["error"], str) and answer["error"]
        assert "\n" not in answer["error"] and "Traceback" not in answer["error"]
        assert answer["seq"] is None or type(answer["seq"]) is int
        assert state(hub, election_id) == before
    else:
        last = hub.call(lambda: hub.hub.elections[election_id].last)
        assert type(answer["ack"]) is int and 1 <= answer["ack"] <= last
    bad = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert bad == [], [r.getMessage() for r in bad]


# -- what is thrown at it -----------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
SEQ = st.tuples(st.just("near"), st.integers(-3, 2)) | st.tuples(st.just("any"), JSON)


def mostly(good, bad=JSON):
    """Right seven times in eight: enough events get past the format to meet the rules."""
    return st.integers(0, 7).flatmap(lambda i: good if i else bad)


SHAPES = {  # each kind of event, with its fields
    "ballot": {"choice": mostly(st.sampled_from(["yes", "no", "void"]),
                                st.sampled_from(["maybe", "YES", ""]) | JSON),
               "count": mostly(st.integers(1, 40), st.integers() | JSON)},
    "challenged": {"count": mostly(st.integers(1, 5), st.integers() | JSON)},
    "retract": {"target": mostly(st.integers(1, 40), st.integers() | JSON)},
    "note": {"text": mostly(st.text(min_size=1, max_size=40), st.text(max_size=600) | JSON)},
    "close": {},
    "election": {"id": mostly(st.sampled_from(ELECTIONS), st.text(max_size=70) | JSON),
                 "title": mostly(st.text(min_size=1, max_size=40), st.text(max_size=300) | JSON),
                 "choices": st.lists(st.text(max_size=10), max_size=14) | JSON,
                 "ballots": mostly(st.integers(0, 100), st.integers() | JSON),
                 "eligible": st.integers() | JSON,
                 "union": st.text(max_size=20) | JSON},
}
KINDS = (["ballot"] * 8 + ["challenged"] * 2 + ["retract"] * 3 + ["note"] * 2 + ["election"] * 4
         + ["close"])  # rare: after it only notes are taken
ANY_FIELD = st.sampled_from(["type", "seq", "choice", "count", "target", "text", "at", "id",
                             "title", "choices", "ballots"]) | st.text(min_size=1, max_size=8)
AT = mostly(st.just("2022-05-02T13:00:00Z"),
            st.sampled_from(["2022-05-02T13:00:00", "yesterday", "2022-13-45T99:00:00+00:00"]) | JSON)


@st.composite
def almost_events(draw):
    """An object shaped like an event: its fields mostly right, now and then one wrong or extra."""
    kind = draw(st.sampled_from(KINDS))
    event = {"type": draw(mostly(st.just(kind), st.sampled_from(["vote", "Ballot", ""]) | JSON))}
    for name, values in SHAPES[kind].items():
        if draw(st.integers(0, 9)):  # a field left out one time in ten
            event[name] = draw(values)
    if draw(st.booleans()):
        event["at"] = draw(AT)
    if not draw(st.integers(0, 4)):
        event[draw(ANY_FIELD)] = draw(JSON)
    return event, draw(mostly(st.tuples(st.just("near"), mostly(st.just(0), st.integers(-3, 1))), SEQ))


def seq_for(live, election_id: str, seq) -> object:
    kind, value = seq
    if kind == "any":
        return value
    hub = live[0]
    last = hub.call(lambda: _held(hub.hub, election_id))
    return (last[0] if last else 0) + 1 + value


@SETTINGS
@given(election_id=st.sampled_from(ELECTIONS), shaped=almost_events())
@example(election_id="fuzz", shaped=({"type": "ballot", "choice": "yes", "count": 2**31}, ("near", 0)))
@example(election_id="fuzz", shaped=({"type": "ballot", "choice": "yes", "count": 10**30}, ("near", 0)))
@example(election_id="fuzz", shaped=({"type": "retract", "target": 10**20}, ("near", 0)))
@example(election_id="fuzz", shaped=({"type": "ballot", "choice": "no"}, ("any", 10**30)))
@example(election_id="blank", shaped=({"type": "election", "id": "blank", "title": "t",
                                       "choices": ["a"] * 13}, ("near", 0)))
@example(election_id="fuzz", shaped=({"type": "note", "text": "a\x1cb\x85c\u2028d\u2029e"}, ("near", 0)))
def test_almost_events_are_refused_in_one_line_or_stored(live, election_id, shaped):
    fields, seq = shaped
    event = {"seq": seq_for(live, election_id, seq), **fields}
    check(live, election_id, json.dumps(event))


@SETTINGS
@given(election_id=st.sampled_from(ELECTIONS), value=JSON)
def test_any_json_is_refused_in_one_line(live, election_id, value):
    check(live, election_id, json.dumps(value))


@SETTINGS
@given(election_id=st.sampled_from(ELECTIONS), line=st.text(max_size=400))
@example(election_id="fuzz", line="[" * 30000)  # deeper than json.loads can go
@example(election_id="fuzz", line='{"seq": ' + "[" * 30000)
@example(election_id="fuzz", line="9" * 5000)
@example(election_id="fuzz", line='{"seq": 4, "type": "note", "text": "a"}\n{"seq": 5}')
def test_any_line_is_refused_in_one_line(live, election_id, line):
    check(live, election_id, line)


@SETTINGS
@given(election_id=st.sampled_from(ELECTIONS), data=st.binary(max_size=400))
@example(election_id="fuzz", data=b"\xff\xfe{}")
@example(election_id="fuzz", data=b'{"seq": 4, "type": "note", "text": "\xff"}')
def test_any_bytes_are_refused_in_one_line(live, election_id, data):
    check(live, election_id, data)  # a binary frame


def test_the_watcher_saw_exactly_what_is_stored(live):
    """Runs last: every frame a watcher got since the start is a stored event, in order."""
    hub, pubs, watcher, records = live
    last = hub.call(lambda: hub.hub.elections["fuzz"].last)
    end = json.dumps({"seq": last + 1, "type": "note", "text": "end of the fuzz"})
    assert pubs.ask("fuzz", end) == {"ack": last + 1}
    seen = []
    while not seen or json.loads(seen[-1]) != json.loads(end):
        seen.append(watcher.recv(timeout=20))
    with opened(hub.data / "fuzz.jsonl") as f:  # lines as the format has them: ended by b"\n" only
        stored = list(bounded_lines(f))
    assert [json.loads(f) for f in seen] == [json.loads(line) for line in stored]
    assert not [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
