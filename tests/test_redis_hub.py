"""Hubs sharing one Redis: one log, every watcher of every hub gets every event once, in order."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from feeds.publisher import Publisher

from hubkit import FAST, TOKEN, Follower, ask, ballot, header, http, publishing, replay, until
from redkit import (Recorder, RedisServer, all_end_as_the_stream, redis_hub, redis_server,  # noqa: F401
                    redis_url, stream_lines)
from test_hub_storage import listed_once

DIFFERENT = "seq {} is already stored, as a different event"


async def test_an_event_published_on_one_hub_reaches_the_watchers_of_every_hub(redis_url, tmp_path):
    events = replay("ldj5")
    async with redis_hub(redis_url) as (a, url_a), redis_hub(redis_url) as (b, url_b):
        publisher = Publisher(events[:10], url_a, TOKEN, wait=FAST)
        running = asyncio.create_task(publisher.run())
        assert await publisher.flushed()
        followers = [Follower(f"{url}/elections/ldj5") for url in (url_a, url_b, url_b)]
        recorders = [Recorder([url], "ldj5") for url in (url_a, url_b)]
        publisher.events.extend(events[10:])
        publisher.notify()
        assert await publisher.flushed()
        expected = await all_end_as_the_stream(redis_url, tmp_path, recorders, followers, len(events))
        assert expected["votes"] == {"yes": 380, "no": 618}
        lines = await stream_lines(redis_url, "ldj5")
        assert a.elections["ldj5"].frames == b.elections["ldj5"].frames == lines
        # B lists what it learned from Redis, as A does what it stored (each at most 0.25 s old).
        for url in (url_a, url_b):
            entry = (await listed_once(url, lambda e: e["ldj5"]["last"] == len(events)))["ldj5"]
            assert entry["totals"] == {"yes": 380, "no": 618, "void": 2, "challenged": 0}
        publisher.close()
        await running


async def test_two_publishers_on_two_hubs_race_for_each_seq_and_exactly_one_wins(redis_url):
    async with redis_hub(redis_url) as (a, url_a), redis_hub(redis_url) as (b, url_b):
        async with publishing(url_a) as pa, publishing(url_b) as pb:
            assert await ask(pa, header()) == {"ack": 1}
            wins = {"a": 0, "b": 0}
            for seq in range(2, 60):
                ra, rb = await asyncio.gather(ask(pa, ballot(seq, "yes")), ask(pb, ballot(seq, "no")))
                acked = [name for name, r in (("a", ra), ("b", rb)) if r == {"ack": seq}]
                assert len(acked) == 1, (seq, ra, rb)
                loser = rb if acked == ["a"] else ra
                assert loser == {"error": DIFFERENT.format(seq), "seq": seq}
                wins[acked[0]] += 1
        lines = await stream_lines(redis_url, "test")
        assert len(lines) == 59
        await until(lambda: a.elections["test"].last == b.elections["test"].last == 59, "both hubs at 59")
        assert a.elections["test"].frames == b.elections["test"].frames == lines
        votes = a.elections["test"].count.votes
        assert votes == [wins["a"], wins["b"]] == b.elections["test"].count.votes


async def test_a_resend_to_another_hub_is_acked_again_and_stored_once(redis_url):
    async with redis_hub(redis_url) as (a, url_a), redis_hub(redis_url) as (b, url_b):
        async with publishing(url_a) as pa:
            for frame in [header(), ballot(2), ballot(3, "no")]:
                await ask(pa, frame)
        async with publishing(url_b) as pb:
            assert pb.greeting == {"last": 3}
            assert await ask(pb, '{"choice": "no", "type": "ballot", "seq": 3}') == {"ack": 3}
            assert await ask(pb, ballot(3, "yes")) == {"error": DIFFERENT.format(3), "seq": 3}
            # The rules are checked against the whole count, wherever it was published.
            refused = await ask(pb, json.dumps({"seq": 4, "type": "retract", "retracts": 9}))
            assert refused["seq"] == 4 and "ack" not in refused
        assert len(await stream_lines(redis_url, "test")) == 3
        assert b.elections["test"].count.votes == [1, 1]


async def test_a_hub_that_lags_catches_up_before_it_answers(redis_url):
    """A watcher or publisher that moves to a hub behind the store gets what it asks for."""
    async with redis_hub(redis_url) as (a, url_a), redis_hub(redis_url, follow=False) as (b, url_b):
        async with publishing(url_a) as pa:
            for frame in [header(), ballot(2), ballot(3, "no"), ballot(4)]:
                await ask(pa, frame)
        assert "test" not in b.elections  # B reads nothing by itself
        recorder = Recorder([url_b], "test")  # since=0 on an election B has not seen
        await recorder.reaches(4)
        async with publishing(url_a) as pa:
            await ask(pa, ballot(5))
        assert b.elections["test"].last == 4
        # since=5 is past B's last: B reads Redis before it answers, instead of a 400.
        async with connect(f"{url_b}/elections/test?since=5") as watcher:
            async with publishing(url_b) as pb:
                assert pb.greeting == {"last": 5}
                assert await ask(pb, ballot(6, "no")) == {"ack": 6}
            assert json.loads(await watcher.recv())["seq"] == 6
        await recorder.stop()


async def test_a_new_hub_loads_every_election_from_redis(redis_url):
    async with redis_hub(redis_url) as (a, url_a):
        for election_id in ("one", "two"):
            async with publishing(url_a, election_id) as pa:
                await ask(pa, header(election_id))
                await ask(pa, ballot(2, "no"))
    async with redis_hub(redis_url) as (b, url_b):
        assert sorted(b.elections) == ["one", "two"]
        assert b.elections["two"].count.votes == [0, 1]
        status, _, body = await http(url_b, "/elections")
        assert status == 200 and [e["id"] for e in json.loads(body)] == ["one", "two"]


async def test_redis_killed_and_restarted_from_its_aof_loses_nothing(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    store = server.url(1)
    events = replay("ldj5")
    try:
        async with redis_hub(store) as (a, url_a), redis_hub(store) as (b, url_b):
            publisher = Publisher(events[:300], f"{url_a},{url_b}", TOKEN, wait=FAST)
            links = []
            publisher.on_link = links.append
            running = asyncio.create_task(publisher.run())
            recorders = [Recorder([url_a, url_b], "ldj5"), Recorder([url_b, url_a], "ldj5")]
            followers = [Follower(f"{url_b},{url_a}/elections/ldj5")]
            await until(lambda: publisher.acked >= 150, "150 events accepted")
            server.kill()  # mid-stream: some events are in flight
            publisher.events.extend(events[300:600])
            publisher.notify()
            await until(lambda: publisher.link.state == "offline", "the publisher to hear 'not saved'")
            server.start()  # same port, same directory: it replays its AOF
            publisher.events.extend(events[600:])
            publisher.notify()
            assert await publisher.flushed()
            await all_end_as_the_stream(store, tmp_path, recorders, followers, len(events))
            assert any("not saved: Redis unreachable" in link.detail for link in links)
            publisher.close()
            await running
    finally:
        server.kill()


async def test_a_hub_that_cannot_read_redis_for_long_sends_its_watchers_away(tmp_path, monkeypatch):
    """Past STORE_GRACE without Redis a hub closes its watchers (1013) and refuses new ones (503):
    they show that the count is not live, instead of a count frozen without a word."""
    from feeds.hub import server as hub_server

    monkeypatch.setattr(hub_server, "STORE_GRACE", 0.3)
    server = RedisServer(tmp_path / "redis").start()
    store = server.url(1)
    try:
        async with redis_hub(store) as (a, url_a):
            async with publishing(url_a) as pa:
                for frame in [header(), ballot(2)]:
                    await ask(pa, frame)
            watcher = Follower(f"{url_a}/elections/test")
            await watcher.reaches(2)
            server.kill()
            await until(lambda: any("HTTP 503" in link.detail for link in watcher.links),
                        "the watcher to be sent away and refused")
            assert "closed (1013: the hub cannot read its store)" in [l.detail for l in watcher.links]
            server.start()  # from its AOF: both events are there
            await until(lambda: a.store_lost is None and watcher.links[-1].state == "live",
                        "the hub to read Redis again and take the watcher back")
            async with publishing(url_a) as pa:
                assert pa.greeting == {"last": 2}
                assert await ask(pa, ballot(3, "no")) == {"ack": 3}
            await watcher.reaches(3)
            assert watcher.seqs == [1, 2, 3]
            await watcher.stop()
    finally:
        server.kill()
