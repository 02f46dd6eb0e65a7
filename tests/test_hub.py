"""The hub against real clients on loopback: publish, watch, refuse, list, reload."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from feeds.files import load
from feeds.hub import HttpError, route
from feeds.journal import Journal
from feeds.publisher import Publisher
from tally.report import json_report

from hubkit import (FAST, TOKEN, Follower, ask, ballot, header, publishing, replay,
                    running_hub, until)


async def test_published_events_reach_every_watcher_in_order(tmp_path):
    events = replay("ldj5")
    async with running_hub(tmp_path) as (hub, url):
        publisher = Publisher(events[:10], url, TOKEN, wait=FAST)
        running = asyncio.create_task(publisher.run())
        assert await publisher.flushed()
        watchers = [Follower(f"{url}/elections/ldj5") for _ in range(3)]
        publisher.events.extend(events[10:])
        publisher.notify()
        assert await publisher.flushed()
        for w in watchers:
            await w.reaches(len(events))
            assert w.seqs == list(range(1, len(events) + 1))
        on_disk = json_report(load(tmp_path / "ldj5.jsonl").count.snapshot())
        for w in watchers:
            assert json_report(w.count.snapshot()) == on_disk
            await w.stop()
        publisher.close()
        await running
    assert on_disk["votes"] == {"yes": 380, "no": 618}


async def test_a_watcher_gets_only_what_comes_after_since(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            for frame in [header(), ballot(2), ballot(3, "no"), ballot(4)]:
                assert "ack" in await ask(pub, frame)
            async with connect(f"{url}/elections/test?since=2") as ws:
                assert [json.loads(await ws.recv())["seq"] for _ in range(2)] == [3, 4]
                assert "ack" in await ask(pub, ballot(5, "no"))
                assert json.loads(await ws.recv()) == {"seq": 5, "type": "ballot",
                                                       "choice": "no", "count": 1}


async def test_the_event_is_on_disk_before_it_is_acknowledged(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            assert pub.greeting == {"last": 0}
            assert await ask(pub, header()) == {"ack": 1}
            assert await ask(pub, ballot(2)) == {"ack": 2}
            # Read by another opener, as a restarted hub would: both are there.
            lines = (tmp_path / "test.jsonl").read_text().splitlines()
            assert [json.loads(line)["seq"] for line in lines] == [1, 2]


@pytest.mark.parametrize("headers, why", [
    ({}, "publishing needs Authorization: Bearer <token>"),
    ({"Authorization": "Bearer not-the-token"}, "wrong token"),
    ({"Authorization": f"Basic {TOKEN}"}, "publishing needs Authorization: Bearer <token>"),
])
async def test_publishing_without_the_right_token_is_401_before_the_upgrade(tmp_path, headers, why):
    async with running_hub(tmp_path) as (hub, url):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/elections/test/publish", additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401
        assert refused.value.response.body.decode().strip() == why
        assert refused.value.response.headers["WWW-Authenticate"].startswith("Bearer")
        assert hub.elections == {} and not (tmp_path / "test.jsonl").exists()


@pytest.mark.parametrize("stored, frame, seq, error", [
    (0, "not json", None, "not JSON"),
    (0, '{"seq": 1, "type": "election", "id": "test"}', 1, "missing field 'title'"),
    (0, ballot(1), 1, "the first event must be the election header"),
    (0, header("other"), 1, "the header's id 'other' is not the election 'test' of the URL"),
    (1, ballot(3), 3, "seq 3 out of order: expected 2"),
    (1, ballot(2, "maybe"), 2, "unknown choice 'maybe'"),
    (1, '{"seq": 2, "type": "retract", "target": 1}', 2, "seq 1 is not a ballot or challenged event"),
])
async def test_bad_events_get_an_error_answer_and_nothing_is_stored(tmp_path, stored, frame, seq, error):
    path = tmp_path / "test.jsonl"
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            if stored:
                assert await ask(pub, header()) == {"ack": 1}
            before = path.read_bytes() if stored else None
            answer = await ask(pub, frame)
            assert error in answer["error"] and answer["seq"] == seq
            assert (path.read_bytes() if stored else None) == before
            assert "test" not in hub.elections or hub.elections["test"].last == stored
            # The connection stays usable: the right next event is taken.
            right = ballot(2) if stored else header()
            assert await ask(pub, right) == {"ack": stored + 1}


async def test_an_identical_resend_is_acked_again_and_not_applied_twice(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            for frame in [header(), ballot(2), ballot(3, "no")]:
                await ask(pub, frame)
            # Same event, written differently (spacing, key order, default count).
            resent = '{"choice": "yes",   "type": "ballot", "seq": 2, "count": 1}'
            assert await ask(pub, resent) == {"ack": 2}
            assert await ask(pub, header()) == {"ack": 1}
            different = await ask(pub, ballot(2, "no"))
            assert different == {"error": "seq 2 is already stored, as a different event", "seq": 2}
        count = hub.elections["test"].count
        assert (count.votes, count.last_seq) == ([1, 1], 3)
        assert len((tmp_path / "test.jsonl").read_text().splitlines()) == 3


async def test_a_watcher_that_sends_a_frame_is_closed_with_1008(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
        async with connect(f"{url}/elections/test") as ws:
            assert json.loads(await ws.recv())["seq"] == 1
            await ws.send("hello")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason == "watchers do not send"
        await until(lambda: not hub.elections["test"].watchers, "the watcher to be let go")


async def test_an_oversize_frame_closes_the_publisher_with_1009_and_stores_nothing(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
            await pub.send(json.dumps({"seq": 2, "type": "note", "text": "x" * 70_000}))
            with pytest.raises(ConnectionClosed) as closed:
                await pub.recv()
        assert closed.value.rcvd.code == 1009
        assert hub.elections["test"].last == 1


async def test_two_elections_at_once_keep_to_themselves(tmp_path):
    a, b = replay("ldj5", 200), replay("jfk8", 200)
    async with running_hub(tmp_path) as (hub, url):
        publishers = [Publisher([a[0]], url, TOKEN, wait=FAST), Publisher([b[0]], url, TOKEN, wait=FAST)]
        tasks = [asyncio.create_task(p.run()) for p in publishers]
        for p in publishers:
            assert await p.flushed()
        fa, fb = Follower(f"{url}/elections/ldj5"), Follower(f"{url}/elections/jfk8")
        for p, events in zip(publishers, (a, b)):
            p.events.extend(events[1:])
            p.notify()
        await fa.reaches(200)
        await fb.reaches(200)
        assert fa.count.election.id == "ldj5" and fb.count.election.id == "jfk8"
        assert sorted(hub.elections) == ["jfk8", "ldj5"]
        assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == ["jfk8.jsonl", "ldj5.jsonl"]
        for f in (fa, fb):
            await f.stop()
        for p in publishers:
            p.close()
        await asyncio.gather(*tasks)


@pytest.mark.parametrize("path, status", [
    ("/elections/nope", 404),
    ("/elsewhere", 404),
    ("/elections/test?since=9", 400),
    ("/elections/test?since=-1", 400),
])
async def test_unknown_elections_and_paths_are_refused_before_the_upgrade(tmp_path, path, status):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url + path):
                pass
        assert refused.value.response.status_code == status


def test_routes():
    assert route("/elections").kind == "list"
    assert route("/elections/jfk8?since=12") == route("/elections/jfk8?since=12")
    assert route("/elections/jfk8?since=12").since == 12
    assert route("/elections/jfk8/publish").kind == "publish"
    with pytest.raises(HttpError):
        route("/elections/JFK8")  # ids are lowercase slugs, as in the header


async def test_get_elections_lists_every_election_with_its_totals(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url, "b-count") as pub:
            for frame in [header("b-count", ballots=3), ballot(2), ballot(3, "no"), ballot(4, "void")]:
                await ask(pub, frame)
        async with publishing(url, "a-count") as pub:
            await ask(pub, header("a-count"))

        def get():
            with urllib.request.urlopen(url.replace("ws:", "http:") + "/elections") as r:
                return r.headers["Content-Type"], json.load(r)

        kind, listed = await asyncio.to_thread(get)
    assert kind == "application/json"
    assert [e["id"] for e in listed] == ["a-count", "b-count"]
    b = listed[1]
    assert (b["title"], b["last"], b["remaining"]) == ("Count b-count", 4, 0)
    assert b["totals"] == {"yes": 1, "no": 1, "void": 1, "challenged": 0}
    assert b["outcome"] == "no_majority"  # a tie is not a majority


async def test_a_restarted_hub_has_every_election_and_takes_up_where_it_was(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            for frame in [header(), ballot(2), ballot(3)]:
                await ask(pub, frame)
    # A torn last line, as a crash mid-write leaves it, is cut off on load.
    with (tmp_path / "test.jsonl").open("a") as f:
        f.write('{"seq": 4, "type": "bal')
    async with running_hub(tmp_path) as (hub, url):
        assert hub.repaired and "incomplete last line" in hub.repaired[0]
        async with publishing(url) as pub:
            assert pub.greeting == {"last": 3}
            assert await ask(pub, ballot(4, "no")) == {"ack": 4}
        watcher = Follower(f"{url}/elections/test")
        await watcher.reaches(4)
        assert watcher.count.votes == [2, 1]
        await watcher.stop()
    assert Journal.open(tmp_path / "test.jsonl").count.last_seq == 4


async def test_a_watcher_that_stops_reading_is_dropped_and_the_others_keep_up(tmp_path):
    async with running_hub(tmp_path, slow_watcher_bytes=16 * 1024) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
            good = Follower(f"{url}/elections/test")
            await good.reaches(1)
            stalled, slow = await _stalled_watcher(url, hub.elections["test"])
            election = hub.elections["test"]
            seq = 1
            while slow in election.watchers:
                seq += 1
                assert seq < 2000, "the stalled watcher was never dropped"
                assert await ask(pub, json.dumps({"seq": seq, "type": "note", "text": "n" * 400})) == {"ack": seq}
            await good.reaches(seq)
            assert len(election.watchers) == 1
            # When it comes back, it resumes where it was and misses nothing.
            back = Follower(f"{url}/elections/test")
            await back.reaches(seq)
            assert back.seqs == list(range(1, seq + 1))
            for f in (good, back):
                await f.stop()
            stalled.transport.abort()


async def _stalled_watcher(url: str, election) -> tuple:
    """A watcher that never reads (its side, the hub's side), socket buffers shrunk.

    Shrinking the buffers only makes the test quick: with the kernel's
    defaults the same happens after some megabytes instead of some KiB.
    """
    port = int(url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    before = set(election.watchers)
    ws = await connect(f"{url}/elections/test", sock=sock, max_queue=1, compression=None)
    await until(lambda: len(election.watchers) > len(before), "the stalled watcher to join")
    (theirs,) = election.watchers - before
    theirs.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    return ws, theirs
