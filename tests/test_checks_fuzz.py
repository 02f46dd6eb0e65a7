"""Anything published as a check, and any path that looks like a check's: one refusal line, or stored.

A real hub on a loopback port (in a thread, as tests/test_hub_fuzz.py) holds
election "fuzz"; hypothesis publishes almost-events, any JSON and any line
as check "f" of it, through a real WebSocket connection. Each frame is
answered ``{"ack": N}`` or ``{"error": "<one line>", "seq": …}``; after a
refusal the check's file, the hub's check count and ``GET /elections`` are
what they were, and the main count never changes whatever the check does.
Paths: ``/elections/ID/checks/NAME/publish`` is a check's exactly when NAME
is a check name; anything else is a 404, never an exception.
"""

from __future__ import annotations

import json
import urllib.request
from contextlib import ExitStack
from http import HTTPStatus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from websockets.sync.client import connect

import feeds.hub.server
from feeds.hub.headers import HttpError
from feeds.hub.server import CHECK_PATH, Route, route
from hubkit import TOKEN, ballot, header
from test_hub_abuse import captured
from test_hub_fuzz import JSON, SETTINGS, HubThread, almost_events

NAME = "f"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feeds.hub.server, "LIST_REFRESH", 0.0)
        with captured("tally.hub", "websockets", "asyncio") as records, ExitStack() as stack:
            hub = HubThread(tmp_path_factory.mktemp("hub"))
            stack.callback(hub.close)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            main = stack.enter_context(connect(f"{hub.url}/elections/fuzz/publish", additional_headers=auth))
            main.recv(timeout=20)
            for frame in [header("fuzz", ballots=400), ballot(2), ballot(3, "no")]:
                main.send(frame)
                assert "ack" in json.loads(main.recv(timeout=20))
            ws = stack.enter_context(connect(f"{hub.url}/elections/fuzz/checks/{NAME}/publish",
                                             additional_headers=auth))
            assert json.loads(ws.recv(timeout=20)) == {"last": 0}
            yield hub, ws, records


def state(hub):
    path = hub.data / "checks" / f"fuzz.{NAME}.jsonl"
    stored = path.read_bytes() if path.exists() else None

    def held():
        election = hub.hub.elections["fuzz"]
        check = election.checks.get(NAME)
        main = (election.last, list(election.count.votes))
        if check is None:
            return main, None
        c = check.count
        return main, (check.last, c.last_seq, list(c.votes), c.void, c.challenged, c.closed, check.result)

    with urllib.request.urlopen(hub.url.replace("ws:", "http:") + "/elections", timeout=20) as r:
        listed = [e["checks"] for e in json.load(r) if e["id"] == "fuzz"]
    return stored, hub.call(held), listed


def answered(live, frame: str) -> None:
    hub, ws, records = live
    before = state(hub)
    ws.send(frame)
    answer = json.loads(ws.recv(timeout=20))
    assert set(answer) in ({"ack"}, {"error", "seq"}), answer
    after = state(hub)
    assert after[1][0] == before[1][0]  # the main count: never touched by a check
    if "error" in answer:
        assert isinstance(answer["error"], str) and answer["error"] and "\n" not in answer["error"]
        assert after == before
    assert [r for r in records if r.exc_info] == []


def next_seq(live, offset: int) -> int:
    hub = live[0]
    check = hub.call(lambda: hub.hub.elections["fuzz"].checks.get(NAME))
    return (check.last if check else 0) + 1 + offset


@SETTINGS
@given(shaped=almost_events())
@example(shaped=({"type": "election", "id": "fuzz", "title": "t", "ballots": 400}, ("near", 0)))
@example(shaped=({"type": "election", "id": "fuzz", "title": "t", "ballots": 401}, ("near", 0)))
@example(shaped=({"type": "election", "id": "other", "title": "t"}, ("near", 0)))
@example(shaped=({"type": "correct", "target": 2, "choice": "no"}, ("near", 0)))
def test_almost_events_as_a_check_are_refused_in_one_line_or_stored(live, shaped):
    fields, (kind, value) = shaped
    seq = next_seq(live, value) if kind == "near" else value
    fields = {**fields, "id": "fuzz"} if fields.get("type") == "election" and "id" not in fields else fields
    answered(live, json.dumps({"seq": seq, **fields}))


@SETTINGS
@given(value=JSON)
def test_any_json_as_a_check_is_refused_in_one_line(live, value):
    answered(live, json.dumps(value))


@SETTINGS
@given(line=st.text(max_size=200))
@example(line='{"checks": []}')  # a checks frame is the hub's, never a publisher's
def test_any_line_as_a_check_is_refused_in_one_line(live, line):
    answered(live, line)


@SETTINGS
@given(name=st.text(max_size=40), tail=st.sampled_from(["/publish", "/publish/", "", "/x"]))
@example(name="b", tail="/publish")
@example(name="a.b", tail="/publish")
@example(name="-b", tail="/publish")
@example(name="b" * 33, tail="/publish")
@example(name="b/../../x", tail="/publish")
def test_a_check_path_is_a_checks_exactly_when_the_name_is_a_name(name, tail):
    path = f"/elections/fuzz/checks/{name}{tail}"
    good = CHECK_PATH.fullmatch(path) is not None
    try:
        got = route(path + "?checks=1")
    except HttpError as exc:
        assert not good and exc.status == HTTPStatus.NOT_FOUND
    else:
        assert good and got == Route("check", "fuzz", check=name, checks=True)


ITEM = st.fixed_dictionaries(
    {"counter": st.text(max_size=8) | JSON, "agree": st.booleans() | JSON,
     "at": st.integers(-5, 10**6) | JSON},
    optional={"since": st.none() | st.integers(-5, 10**6) | JSON,
              "main": st.lists(st.integers(-3, 10**7), max_size=6) | JSON,
              "check": st.lists(st.integers(-3, 10**7), max_size=6) | JSON})


@SETTINGS
@given(items=st.lists(ITEM | JSON, max_size=4), choices=st.integers(2, 4))
@example(items=[{"counter": "b", "agree": False, "at": 3, "since": 2, "main": [1], "check": [1]}], choices=2)
@example(items=[{"counter": "b", "agree": False, "at": 3}], choices=2)
@example(items=[{"counter": "", "agree": True, "at": 0, "since": 0}], choices=2)  # since on an agreement
def test_any_checks_frame_a_hub_sends_is_shown_or_left_out(items, choices):
    """What a watcher or a counter is sent as checks never breaks its screen: shown, or left out."""
    from datetime import datetime, timezone

    from feeds.live import LiveCount, presented, readable_check
    from tally.schema import parse_event

    live = LiveCount()
    names = ["yes", "no"] if choices == 2 else [f"c{i}" for i in range(choices)]
    live.apply(parse_event(json.dumps({"seq": 1, "type": "election", "id": "fuzz", "title": "t",
                                       "choices": names})))
    live.apply(parse_event(json.dumps({"seq": 2, "type": "ballot", "choice": names[0], "count": 3})))
    live.set_checks(items)
    model = presented(live.view(), None, datetime.now(timezone.utc)).presentation
    assert isinstance(model.verification, str) and "\n" not in model.verification
    shown = live.view().checks
    assert all(readable_check(c.as_json(totals=True)) == c for c in shown)
