"""The watcher: every event once, in order, through drops, duplicates and gaps."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.server import serve

from feeds.hub import bound_port
from feeds.link import HubError
from feeds.watcher import Watcher, list_elections

from hubkit import FAST, Follower, ask, ballot, header, publishing, replay, running_hub, until
from tally.schema import dump_event


async def test_a_watcher_cut_off_mid_count_resumes_from_its_last_event(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
            follower = Follower(f"{url}/elections/test")
            for seq in range(2, 40):
                assert await ask(pub, ballot(seq, "yes" if seq % 3 else "no")) == {"ack": seq}
                if seq in (10, 25):  # the network drops the watcher, twice
                    await follower.reaches(seq)
                    drops = follower.states.count("reconnecting") + 1
                    for ws in list(hub.elections["test"].watchers):
                        ws.transport.abort()
                    await until(lambda: follower.states.count("reconnecting") == drops, "the drop")
            await follower.reaches(39)
        assert follower.seqs == list(range(1, 40))
        assert follower.states.count("reconnecting") == 2
        assert follower.states[-1] == "live"
        assert follower.links[-1].attempt == 0
        reconnect = follower.links[follower.states.index("reconnecting")]
        assert reconnect.attempt == 1 and reconnect.detail
        await follower.stop()
        assert follower.states[-1] == "closed"


async def test_a_watcher_drops_repeats_and_reconnects_from_its_last_on_a_gap():
    """A hub that repeats seq 2 and skips 3 on the first connection."""
    frames = {0: [1, 2, 2, 4], 2: [3, 4, 5]}
    asked: list[str] = []

    async def flaky_hub(ws):
        asked.append(ws.request.path)
        since = int(ws.request.path.rsplit("=", 1)[1])
        for seq in frames[since]:
            await ws.send(header() if seq == 1 else ballot(seq))
        await ws.wait_closed()

    async with serve(flaky_hub, "127.0.0.1", 0) as server:
        follower = Follower(f"ws://127.0.0.1:{bound_port(server)}/elections/test")
        await follower.reaches(5)
        assert follower.seqs == [1, 2, 3, 4, 5]
        assert asked == ["/elections/test?since=0", "/elections/test?since=2"]
        gap = follower.links[follower.states.index("reconnecting")]
        assert "seq 4 after 2" in gap.detail
        await follower.stop()


async def test_a_watcher_opened_before_the_count_waits_for_it_then_follows(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        follower = Follower(f"{url}/elections/ldj5")
        await until(lambda: follower.watcher.link.attempt >= 3, "a few attempts")
        assert follower.watcher.link.state == "waiting"
        assert follower.links[-1].detail.startswith('no election "ldj5" on this hub yet')
        assert follower.seqs == [] and not follower.task.done()
        async with publishing(url, "ldj5") as ws:
            for event in replay("ldj5", 5):
                await ask(ws, dump_event(event))
        await follower.reaches(5)
        assert follower.states[0] == "connecting" and "waiting" in follower.states
        assert follower.states[-1] == "live"
        await follower.stop()


async def test_a_watcher_keeps_trying_until_the_hub_is_there(tmp_path, unused_tcp_port):
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    follower = Follower(f"{url}/elections/test")
    await until(lambda: follower.watcher.link.attempt >= 3, "a few failed attempts")
    assert follower.links[-1].state == "reconnecting"
    assert follower.links[-1].detail == "connection refused"
    async with running_hub(tmp_path, port=unused_tcp_port) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
            await ask(pub, ballot(2))
        await follower.reaches(2)
        await follower.stop()


async def test_close_ends_events_while_it_waits(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
        watcher = Watcher(f"{url}/elections/test", wait=FAST)
        seen = []

        async def follow():
            async for event in watcher.events():
                seen.append(event.seq)

        task = asyncio.create_task(follow())
        await until(lambda: seen == [1], "the header")
        watcher.close()
        await asyncio.wait_for(task, 10)
        assert watcher.link.state == "closed" and watcher.last == 1


async def test_list_elections(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header())
            await ask(pub, ballot(2, "no"))
        listed = await list_elections(url + "/")
    assert [(e["id"], e["last"], e["totals"]["no"]) for e in listed] == [("test", 2, 1)]


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:1", "not a hub address"),
    ("ws://127.0.0.1:1/elections/x", "give the hub's address alone"),
])
async def test_list_elections_wants_a_hub_address(url, why):
    with pytest.raises(HubError, match=why):
        await list_elections(url)


async def test_list_elections_of_an_unreachable_hub_is_one_line(unused_tcp_port):
    with pytest.raises(HubError) as failed:
        await list_elections(f"ws://127.0.0.1:{unused_tcp_port}")
    assert str(failed.value) == f"http://127.0.0.1:{unused_tcp_port}/elections: connection refused"


def test_a_watch_url_carries_since_of_the_last_event():
    watcher = Watcher("ws://h:1/elections/x?since=3", since=7)
    assert watcher._resume_url() == "ws://h:1/elections/x?since=7"
