"""The publisher: offline and back, refusals reported once, never another's count."""

from __future__ import annotations

import asyncio
import json

from feeds.files import load
from feeds.publisher import Publisher
from tally.schema import parse_event

from hubkit import FAST, TOKEN, ask, ballot, header, publishing, replay, running_hub, until


def _start(events, url, token=TOKEN):
    links = []
    publisher = Publisher(events, url, token, on_link=links.append, wait=FAST)
    return publisher, links, asyncio.create_task(publisher.run())


async def test_a_publisher_offline_catches_up_when_the_hub_comes_up(tmp_path, unused_tcp_port):
    events = replay("ldj5", 300)
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    publisher, links, running = _start(events[:100], url)
    await until(lambda: publisher.link.attempt >= 3, "a few failed attempts")
    assert publisher.link.state == "offline" and publisher.link.detail == "connection refused"
    publisher.events.extend(events[100:])  # the count goes on while the hub is down
    publisher.notify()
    async with running_hub(tmp_path, port=unused_tcp_port):
        assert await publisher.flushed()
        assert publisher.link == publisher.link.__class__("live", 0, 300, "")
    publisher.close()
    assert (await running).state == "closed"
    assert load(tmp_path / "ldj5.jsonl").count.last_seq == 300
    states = [link.state for link in links]
    assert states[0] == "connecting" and "offline" in states and states[-1] == "closed"
    attempts = [link.attempt for link in links if link.state == "offline"]
    assert attempts[:2] == [2, 3]  # then 1 again when the hub shuts down, below


async def test_a_publisher_waits_for_the_header(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        events = []
        publisher, links, running = _start(events, url)
        await asyncio.sleep(0)  # nothing to send yet: it must not fail
        assert not running.done()
        events.extend(replay("ldj5", 5))
        publisher.notify()
        assert await publisher.flushed()
        assert hub.elections["ldj5"].last == 5
        publisher.close()
        await running


async def test_a_wrong_token_is_refused_once_and_run_returns(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        publisher, links, running = _start(replay("ldj5", 5), url, token="nope")
        final = await asyncio.wait_for(running, 10)
        assert final.state == "refused" and final.detail == "HTTP 401: wrong token"
        assert not await publisher.flushed()
        assert [link.state for link in links] == ["connecting", "refused"]
        assert hub.elections == {}


async def test_an_error_answer_is_reported_not_retried(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        publisher, links, running = _start(
            [parse_event(header()), parse_event(ballot(2, "maybe"))], url)
        final = await asyncio.wait_for(running, 10)
    assert final.state == "refused"
    assert final.detail.startswith("the hub refused seq 2: unknown choice 'maybe'")
    assert final.seq == 1
    assert [link.state for link in links].count("connecting") == 1


async def test_a_publisher_never_extends_another_count_of_the_same_id(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            for frame in [header(), ballot(2), ballot(3, "no")]:
                await ask(pub, frame)
        ours = [parse_event(f) for f in (header(), ballot(2), ballot(3, "yes"), ballot(4))]
        publisher, links, running = _start(ours, url)  # differs at seq 3
        final = await asyncio.wait_for(running, 10)
        assert publisher.hub_last == 3
        assert final.state == "conflict"
        assert final.detail.endswith("its test differs from this count from seq 3 on")
        assert hub.elections["test"].last == 3


async def test_a_publisher_resends_nothing_the_hub_has(tmp_path):
    events = replay("ldj5", 50)
    async with running_hub(tmp_path) as (hub, url):
        first, _, running = _start(events[:30], url)
        assert await first.flushed()
        first.close()
        await running
        second, links, running = _start(events, url)
        assert await second.flushed()
        assert second.hub_last == 30 and second.acked == 50
        second.close()
        await running
    lines = (tmp_path / "ldj5.jsonl").read_text().splitlines()
    assert len(lines) == 50


async def test_a_hub_that_could_not_store_an_event_gets_it_again(tmp_path, monkeypatch):
    """`not saved: …` (the hub's disk said no, its file is whole) is retried, not final."""
    import errno
    import os
    import stat

    real_write = os.write
    failures = []

    def full_once(fd, data):
        if stat.S_ISREG(os.fstat(fd).st_mode) and not failures:
            failures.append(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    events = replay("ldj5", 40)
    async with running_hub(tmp_path) as (hub, url):
        monkeypatch.setattr(os, "write", full_once)
        publisher, links, running = _start(events, url)
        assert await asyncio.wait_for(publisher.flushed(), 20)
        publisher.close()
        final = await running
    assert failures and final.state == "closed"
    assert any(l.state == "offline" and "not saved: No space left on device" in l.detail
               for l in links)
    assert [json.loads(line)["seq"] for line in (tmp_path / "ldj5.jsonl").read_text().splitlines()] \
        == list(range(1, 41))
