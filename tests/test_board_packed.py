"""Rows going to a /board client at once go out as few frames (issue 16, item 8).

With 25 elections changing in an interval and 100 board clients, one frame per
row per client was 2,500 socket writes and websockets framings on the hub's
loop every quarter second. Rows that go to a client together are now packed
into ``{"rows": [...]}`` frames (`feeds.hub.board.packed`, at most BATCH_BYTES
each); every client unpacks them (`tally.summary.board_rows`: `tally board`,
the page). What must hold: nothing is lost, doubled or reordered by packing,
whatever the rows; a frame stays under what `tally board` accepts; and a real
hub does pack rows that change together.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from counts import header, pile, write
from feeds.board import BoardFollower
from feeds.hub import board as board_module
from feeds.hub.board import BATCH_BYTES, packed
from feeds.link import MAX_FRAME
from hubkit import ask, ballot, next_row, publishing, running_hub
from tally.summary import board_rows

ROW = st.builds(
    lambda i, seq, text: json.dumps({"id": f"e{i}", "last_seq": seq, "title": text}, separators=(",", ":")),
    st.integers(0, 30), st.integers(1, 10**6), st.text(max_size=BATCH_BYTES // 4).map(lambda t: t * 3))
"""A row's JSON text (ASCII, as the hub makes it: ``ensure_ascii``), from a few bytes to ~BATCH_BYTES."""


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=40))
def test_packed_rows_unpack_to_the_same_rows_in_order(rows):
    frames = packed(rows)
    unpacked = [json.dumps(r, separators=(",", ":")) for f in frames for r in board_rows(json.loads(f))]
    assert unpacked == rows
    for frame in frames:
        assert len(frame) <= BATCH_BYTES or frame in rows  # only a row longer than a batch goes alone
        assert not frame.startswith('{"rows"') or len(board_rows(json.loads(frame))) >= 2
    if len(rows) > 1 and sum(len(r) + 1 for r in rows) <= BATCH_BYTES:
        assert len(frames) == 1  # everything in one frame when it fits


def test_a_batch_fits_in_what_tally_board_accepts():
    assert BATCH_BYTES + len('{"rows":[]}') <= MAX_FRAME


@settings(max_examples=100, deadline=None)
@given(st.lists(ROW, max_size=20))
def test_tally_board_takes_a_packed_frame_as_its_rows_one_by_one(rows):
    one_by_one, packed_up = BoardFollower("ws://127.0.0.1:1"), BoardFollower("ws://127.0.0.1:1")
    for row in rows:
        one_by_one.take(row)
    for frame in packed(rows):
        packed_up.take(frame)
    packed_up.take('{"ready":3}')
    one_by_one.take('{"ready":3}')
    assert packed_up.summaries == one_by_one.summaries and packed_up.ready
    assert board_rows({"rows": "not a list"}) == [{"rows": "not a list"}]  # anything else: ignored as before


@asynccontextmanager
async def slow_board(tmp_path, monkeypatch, names: str):
    """A hub of elections `names` (3 yes each) whose board sends at most once a second."""
    monkeypatch.setattr(board_module, "INTERVAL", 1.0)
    for name in names:
        write(tmp_path / f"{name}.jsonl", header(id=name, ballots=40), pile("yes", 3))
    async with running_hub(tmp_path) as (hub, url):
        hub.board.interval = 1.0
        yield hub, url


async def test_rows_that_change_together_reach_a_client_in_one_frame_in_order(tmp_path, monkeypatch):
    async with slow_board(tmp_path, monkeypatch, "abcd") as (hub, url):
        async with connect(f"{url}/board") as ws:
            while "ready" not in await next_row(ws):
                pass
            await asyncio.sleep(1.5)  # the snapshot's needles are in and sent: a quiet spell
            for name in "abcd":
                async with publishing(url, name) as pub:
                    for seq in (3, 4):
                        assert await ask(pub, ballot(seq)) == {"ack": seq}
            frames, newest = [], {}
            while set(newest) != set("abcd") or any(seq < 4 for seq in newest.values()):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                frames.append(frame)
                for row in board_rows(frame):
                    assert row["last_seq"] >= newest.get(row["id"], 0)  # never an older state
                    newest[row["id"]] = row["last_seq"]
    assert any(len(board_rows(f)) >= 2 for f in frames), frames


async def test_a_follower_of_one_election_gets_only_its_rows_while_others_are_packed(tmp_path, monkeypatch):
    async with slow_board(tmp_path, monkeypatch, "abc") as (hub, url):
        async with connect(f"{url}/board") as everyone, connect(f"{url}/board?id=b") as follower:
            for ws in (everyone, follower):
                while "ready" not in await next_row(ws):
                    pass
            await asyncio.sleep(1.5)  # the snapshots' needles are in and sent
            for name in "abc":
                async with publishing(url, name) as pub:
                    for seq in (3, 4):
                        assert await ask(pub, ballot(seq)) == {"ack": seq}
            newest: dict[str, dict[str, int]] = {"everyone": {}, "follower": {}}
            for who, ws, wanted in (("everyone", everyone, set("abc")), ("follower", follower, {"b"})):
                seen = newest[who]
                while set(seen) != wanted or any(seq < 4 for seq in seen.values()):
                    row = await next_row(ws)
                    assert row["last_seq"] >= seen.get(row["id"], 0)  # never an older state
                    seen[row["id"]] = row["last_seq"]
            assert set(newest["follower"]) == {"b"}
