"""A check on a real hub on loopback, in this process: how often it is told, and a check with no election.

``{"checks": …}`` frames are throttled: one per CHECKS_EVERY at most, the
newest comparison last. While two counters agree, every event of either
changes the comparison ("agree at 811", "at 812"); a frame for each doubled
what a check cost the hub.

(Playwright's sync API, used by tests/test_checks.py, runs a loop of its own:
these asyncio tests live apart from it.)
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

import pytest

from counts import header as count_header, pile
from feeds.hub import server
from feeds.link import HubError
from hubkit import FAST, TOKEN, ask, ballot, header, publishing, running_hub, until
from tally.schema import parse_event
from tui.net_cli import GIVE_UP_AFTER, publish_file

BALLOTS = 300


async def test_checks_frames_come_at_most_once_an_interval_and_the_last_is_the_newest(tmp_path):
    heard: list[dict] = []

    async def hear(url: str) -> None:
        async with connect(f"{url}/elections/test?checks=1") as ws:
            async for frame in ws:
                if frame.startswith('{"checks"'):
                    heard.append(json.loads(frame))

    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as main:
            assert await ask(main, header(ballots=BALLOTS)) == {"ack": 1}  # a check needs its election
            check = await connect(f"{url}/elections/test/checks/b/publish", compression=None,
                                  additional_headers={"Authorization": f"Bearer {TOKEN}"})
            assert json.loads(await check.recv()) == {"last": 0}
            assert await ask(check, header(ballots=BALLOTS)) == {"ack": 1}
            listener = asyncio.create_task(hear(url))
            await until(lambda: hub.elections["test"].hearing, "the watcher to hear the checks")
            loop = asyncio.get_running_loop()
            started = loop.time()
            for seq in range(2, BALLOTS + 2):
                for ws in (main, check):
                    assert await ask(ws, ballot(seq, "yes" if seq % 3 else "no")) == {"ack": seq}
            elapsed = loop.time() - started
            await until(lambda: heard and heard[-1]["checks"][0]["at"] == BALLOTS, "the newest comparison")
            listener.cancel()
            await check.close()
    assert heard[-1]["checks"][0] == {"counter": "b", "agree": True, "at": BALLOTS,
                                      "main": heard[-1]["checks"][0]["main"],
                                      "check": heard[-1]["checks"][0]["main"]}
    # 600 changes of the comparison; the frames, at most one per interval (+ the first, + the last)
    assert len(heard) <= elapsed / server.CHECKS_EVERY + 3 < 2 * BALLOTS


async def test_a_check_of_an_election_that_never_comes_gives_up_in_one_line(tmp_path, capsys):
    events = [parse_event(json.dumps({"seq": n, **e})) for n, e in enumerate([count_header(ballots=900), pile("yes", 3)], 1)]
    async with running_hub(tmp_path / "hub") as (hub, url):
        with pytest.raises(HubError) as gave_up:
            await publish_file(events, url, TOKEN, None, wait=FAST, check="b")
        assert not (tmp_path / "hub" / "checks" / "test.b.jsonl").exists()
    assert str(gave_up.value) == (f"{url}: the hub: no election 'test' on this hub yet: a check is "
                                  f"published beside its main count, waiting for it; gave up after "
                                  f"{GIVE_UP_AFTER} attempts")
    assert len(capsys.readouterr().out.splitlines()) == GIVE_UP_AFTER


async def test_a_check_counter_started_first_says_it_waits_for_the_main_count(tmp_path):
    """`tally count --check` before the main count: its header says what it waits for, not "hub offline"."""
    from feeds.publishing import CountPublisher

    events = [parse_event(json.dumps({"seq": 1, **count_header(ballots=900)}))]
    async with running_hub(tmp_path / "hub") as (hub, url):
        counting = CountPublisher(events, url, TOKEN, wait=FAST, check="b")
        running = asyncio.create_task(counting.run())
        await until(lambda: counting.link.state == "waiting" and counting.link.attempt >= 2,
                    "the hub to say: later")
        state, words = counting.words()
        counting.close()
        await running
    assert state == "offline"
    assert words.startswith("the main count is not on the hub yet (attempt ")
    assert words.endswith("): counting locally, 1 to send")  # its header, kept here
