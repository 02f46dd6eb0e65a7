"""Redis entries a hub did not write, and a Redis that stops being durable (issue 16, item 9).

Anyone with access to the Redis can write into it. What no hub writes is
refused for its election alone, in one log line, at start and while the hub
runs, read again only after a wait (no busy loop), with memory and the
listing bounded; the other elections go on. All against a real redis-server:
entries are written into it with redis-py, as `redis-cli XADD` would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import time

import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.hub import redisstore
from feeds.hub.redisstore import INDEX, PREFIX, RedisStore
from tally.schema import dump_event, parse_event

from hubkit import Follower, ask, ballot, header, http, publishing, until
from redkit import RedisServer, redis_hub, redis_server, redis_url  # noqa: F401
from test_hub_process import start_hub
from test_redis_process import stop


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of this test's own: its command counts (INFO commandstats) are this test's alone."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


async def raw(url: str) -> redis.Redis:
    return redis.from_url(url)  # bytes in, bytes out: anything at all can be written


async def a_good_election(url: str, election_id: str = "good", ballots: int = 2) -> None:
    """An election as hubs write it, through a hub of its own."""
    async with redis_hub(url, follow=False) as (_, hub_url):
        async with publishing(hub_url, election_id) as ws:
            assert await ask(ws, header(election_id)) == {"ack": 1}
            for seq in range(2, ballots + 2):
                assert await ask(ws, ballot(seq)) == {"ack": seq}


def store_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tally.hub" and r.levelno >= logging.ERROR]


async def xread_calls(client: redis.Redis) -> int:
    stats = await client.info("commandstats")
    return stats.get("cmdstat_xread", {}).get("calls", 0)


async def listed(url: str) -> list[str]:
    status, _, body = await http(url, "/elections")
    assert status == 200
    return [entry["id"] for entry in json.loads(body)]


# -- at start, as a real `tally serve` ----------------------------------------------
async def test_an_entry_a_hub_did_not_write_is_one_line_at_start_and_the_rest_is_served(redis_url, tmp_path):
    await a_good_election(redis_url)
    client = await raw(redis_url)
    await client.xadd(PREFIX + "a", {"x": '{"seq":1}'}, id="1-0")  # the XADD
    await client.xadd(INDEX, {"id": "a"})
    await client.aclose()
    hub, port = await start_hub(tmp_path / "hub", args=["--store", redis_url])
    try:
        url = f"ws://127.0.0.1:{port}"
        assert await listed(url) == ["good"]
        async with publishing(url, "good") as ws:
            assert await ask(ws, ballot(4, "no")) == {"ack": 4}
        async with publishing(url, "a") as ws:
            refused = await ask(ws, header("a"))
        assert refused["error"].startswith(f"not saved: {PREFIX}a entry 1-0: fields x")
    finally:
        hub.terminate()
        _, err = await hub.communicate()
    said = [line for line in err.decode().splitlines() if f"{PREFIX}a " in line]
    assert len(said) == 1 and "fields x: a hub writes one, e" in said[0], err.decode()
    assert hub.returncode in (0, -15) and "Traceback" not in err.decode()


# -- while it runs -------------------------------------------------------------------
async def test_a_gap_added_while_the_hub_runs_is_one_line_and_no_busy_loop(own_redis, caplog):
    url = own_redis.url(1)
    await a_good_election(url, "gap")
    await a_good_election(url, "good")
    client = await raw(url)
    async with redis_hub(url) as (hub, hub_url):
        await client.xadd(PREFIX + "gap", {"e": dump_event(parse_event(ballot(5)))}, id="5-0")  # seq 4 never written
        await until(lambda: store_lines(caplog), "the gap to be said")
        before = await xread_calls(client)
        await asyncio.sleep(1.0)
        calls = await xread_calls(client) - before
        assert calls <= 3, f"{calls} XREADs in a second: the reader loops"  # it blocks 2 s a turn
        async with publishing(hub_url, "good") as ws:  # the other election goes on
            assert await ask(ws, ballot(4, "no")) == {"ack": 4}
        async with publishing(hub_url, "gap") as ws:
            assert (await ask(ws, ballot(4)))["error"].startswith(
                f"not saved: {PREFIX}gap entry 5-0: the entry after seq 3 must be 4-0")
        assert hub.elections["gap"].last == 3
    await client.aclose()
    [line] = store_lines(caplog)
    assert f"{PREFIX}gap entry 5-0" in line


async def test_a_mended_election_is_taken_back_after_its_wait(own_redis, caplog, monkeypatch):
    monkeypatch.setattr(redisstore, "RECHECK_FIRST", 0.2)
    url = own_redis.url(1)
    await a_good_election(url, "gap")
    client = await raw(url)
    async with redis_hub(url) as (hub, hub_url):
        await client.xadd(PREFIX + "gap", {"e": dump_event(parse_event(ballot(5)))}, id="5-0")
        await until(lambda: PREFIX + "gap" in hub.store.refused, "the gap to be refused")
        await asyncio.sleep(1.0)  # looked at again, still the same: not said again
        assert len(store_lines(caplog)) == 1
        await client.xdel(PREFIX + "gap", "5-0")  # mended by hand: the entry, and the stream's last ID
        await client.execute_command("XSETID", PREFIX + "gap", "3-0")
        await until(lambda: not hub.store.refused, "the election to be taken back", timeout=10)
        async with publishing(hub_url, "gap") as ws:
            assert await ask(ws, ballot(4)) == {"ack": 4}
    await client.aclose()


async def test_a_header_naming_another_election_is_listed_once(redis_url, caplog):
    await a_good_election(redis_url, "a")
    client = await raw(redis_url)
    copied = await client.xrange(PREFIX + "a")
    for entry_id, fields in copied:  # b's stream holds a's events, header and all
        await client.xadd(PREFIX + "b", fields, id=entry_id)
    await client.xadd(INDEX, {"id": "b"})
    async with redis_hub(redis_url) as (hub, hub_url):
        await asyncio.sleep(0.5)
        await client.xadd(INDEX, {"id": "b"})  # said again while it runs
        await client.xadd(PREFIX + "c", {"e": dump_event(parse_event(header("a")))}, id="1-0")
        await client.xadd(INDEX, {"id": "c"})
        await until(lambda: len(hub.store.refused) == 2, "c to be refused too")
        await asyncio.sleep(0.5)
        assert await listed(hub_url) == ["a"] and list(hub.elections) == ["a"]
        follower = Follower(f"{hub_url}/elections/b")  # asked for, b is not made from a's header
        await asyncio.sleep(0.3)
        assert list(hub.elections) == ["a"]
        await follower.stop()
    await client.aclose()
    lines = store_lines(caplog)
    assert len(lines) == 2 and all("the header of election 'a', in the stream of" in x for x in lines)


async def test_a_key_that_is_not_a_stream_is_refused_alone(redis_url, caplog):
    await a_good_election(redis_url, "good")
    client = await raw(redis_url)
    async with redis_hub(redis_url) as (hub, hub_url):
        await client.set(PREFIX + "s", "not a stream")
        await client.xadd(INDEX, {"id": "s"})
        await until(lambda: PREFIX + "s" in hub.store.refused, "s to be refused")
        async with publishing(hub_url, "good") as ws:
            assert await ask(ws, ballot(4)) == {"ack": 4}
    await client.aclose()
    assert [x for x in store_lines(caplog) if "not a stream" in x] == [
        f"{redis_url}: {PREFIX}s not a stream; nothing more is read or stored there until it is "
        "mended (checked again after a wait that doubles up to a minute)"]


# -- durability, checked again while the hub runs --------------------------------------
async def test_publishing_is_refused_while_redis_is_not_durable_and_taken_again_after(own_redis, caplog,
                                                                                     monkeypatch):
    monkeypatch.setattr(redisstore, "DURABLE_FOR", 0.2)
    url = own_redis.url(1)
    client = await raw(url)
    async with redis_hub(url) as (hub, hub_url):
        async with publishing(hub_url, "d") as ws:
            assert await ask(ws, header("d")) == {"ack": 1}
            await client.config_set("appendfsync", "everysec")
            await asyncio.sleep(0.3)
            refused = await ask(ws, ballot(2))
            assert refused == {"seq": 2, "error": "not saved: Redis is not durable (appendonly yes, "
                               "appendfsync everysec); it must run with appendonly yes, appendfsync always"}
            await client.config_set("appendfsync", "always")
            await asyncio.sleep(0.3)
            assert await ask(ws, ballot(2)) == {"ack": 2}
    await client.aclose()
    lines = [r.getMessage() for r in caplog.records if "durable" in r.getMessage()]
    assert lines[0] == (f"{url}: Redis is no longer durable (appendonly yes, appendfsync everysec): "
                        "no event is acknowledged until it runs with appendfsync always again")
    assert f"{url}: Redis is durable again: events are stored and acknowledged" in lines


async def test_the_reader_notices_lost_durability_with_no_publisher(own_redis, caplog, monkeypatch):
    monkeypatch.setattr(redisstore, "DURABLE_FOR", 0.2)
    monkeypatch.setattr(redisstore, "BLOCK_MS", 200)
    url = own_redis.url(1)
    client = await raw(url)
    async with redis_hub(url):
        await client.config_set("appendfsync", "everysec")
        await until(lambda: any("no longer durable" in r.getMessage() for r in caplog.records),
                    "the hub to notice by itself")
        await client.config_set("appendfsync", "always")
    await client.aclose()


# -- generated garbage ---------------------------------------------------------------
IDS = ["a", "b", "x-1"]
"""Elections garbage is written into; beside them, "good" is only ever written by hubs."""
ENTRY_IDS = ["1-0", "2-0", "3-0", "1-1", "4-0", "9-0", "0-1", "18446744073709551615-0", "*"]
FIELDS = [b"e", b"x", b"id", b"", b"E", "é".encode()]
VALUES = [header("a").encode(), header("b").encode(), header("good").encode(), ballot(2).encode(),
          ballot(3).encode(), b'{"seq":1}', b"", b"\xff\xfe", b"null", b"[]", b'{"seq": 2, "type": '
          b'"ballot", "choice": "yes"}', json.dumps({"seq": 2, "type": "ballot", "choice": "yes",
                                                     "count": 10**7}).encode(), b"x" * 70_000]


@st.composite
def garbage(draw) -> list[tuple]:
    """Writes into Redis that no hub makes: stream entries, index entries, keys of another type."""
    entry = st.tuples(st.just("xadd"), st.sampled_from(IDS + ["A", "a b", "é", "good-"]), st.sampled_from(ENTRY_IDS),
                      st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(VALUES) | st.binary(max_size=20),
                                      min_size=1, max_size=3))
    index = st.tuples(st.just("index"), st.dictionaries(
        st.sampled_from([b"id", b"x", b"e"]),
        st.sampled_from([i.encode() for i in IDS] + [b"good", b"A", b"", b"\xff", b"../x", b"a" * 70]),
        min_size=1, max_size=2))
    other = st.tuples(st.just("set"), st.sampled_from(IDS))
    return draw(st.lists(st.one_of(entry, index, other), min_size=1, max_size=8))


async def write(client: redis.Redis, op: tuple) -> None:
    try:
        if op[0] == "xadd":
            await client.xadd(PREFIX + op[1], op[3], id=op[2])
        elif op[0] == "index":
            await client.xadd(INDEX, op[1])
        else:
            await client.set(PREFIX + op[1], b"garbage")
    except redis.ResponseError:
        pass  # an ID below the stream's top, a key of another type: Redis itself says no


@settings(derandomize=True, max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(before=garbage(), after=garbage())
def test_generated_garbage_in_redis_leaves_the_good_election_served(redis_server, before, after, caplog):
    caplog.clear()
    asyncio.run(garbage_beside_a_good_election(redis_server.url(), before, after, caplog))


async def garbage_beside_a_good_election(url: str, before: list, after: list, caplog) -> None:
    await a_good_election(url, "good")
    client = await raw(url)
    for op in before:
        await write(client, op)
    async with redis_hub(url) as (hub, hub_url):  # it starts: nothing it reads stops it
        for op in after:
            await write(client, op)
        await asyncio.sleep(0.2)
        store: RedisStore = hub.store
        assert hub._following is not None and not hub._following.done()  # the reader is alive
        async with publishing(hub_url, "good") as ws:
            assert await ask(ws, ballot(4, "no")) == {"ack": 4}
        follower = Follower(f"{hub_url}/elections/good")
        await follower.reaches(4)
        await follower.stop()
        ids = await listed(hub_url)
        assert len(ids) == len(set(ids)) and set(ids) <= {"good", *IDS}  # each once, only valid ids
        for election_id, election in hub.elections.items():
            assert election.id == election_id
        bad_keys = len(store.refused)
        assert store._ids <= {"good", *IDS} and len(store._read) <= 1 + len(IDS)  # bounded: valid ids
        started = time.monotonic()
        before_calls = await xread_calls(client)
        await asyncio.sleep(0.5)
        assert await xread_calls(client) - before_calls <= 3, "the reader loops"
        assert time.monotonic() - started < 2
    await client.aclose()
    lines = store_lines(caplog)
    bad_index = sum(op[0] == "index" for op in before + after)
    assert len(lines) <= bad_keys + bad_index + len(IDS), lines  # once each; a key may be mended and broken again
    assert all("\n" not in line for line in lines)
