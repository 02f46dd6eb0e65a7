"""The hub's /board stream and its web page's files, against a real hub on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from feeds.files import load
from feeds.hub import board as board_module
from feeds.needle import state_key
from facekit import expected_row
from hubkit import ask, header, next_row, publishing, raw_http, replay, running_hub, until
from tally.reducer import Count
from tally.summary import WORKING, summary


async def publish_events(url: str, election_id: str, events) -> None:
    async with publishing(url, election_id) as ws:
        for event in events:
            answer = await ask(ws, event.model_dump_json(exclude_none=True))
            assert "ack" in answer, answer


async def frames_until_ready(ws) -> list[dict]:
    out = []
    while True:
        frame = await next_row(ws)
        if "ready" in frame:
            assert frame["ready"] == len(out)
            return out
        out.append(frame)


async def latest(ws, election_id: str, last_seq: int) -> dict:
    """Read summaries until the one of election_id at last_seq, with its needle worked out."""
    while True:
        frame = await next_row(ws)
        if frame.get("id") == election_id and frame.get("last_seq") == last_seq and not frame["working"]:
            return frame


async def settled(ws, rows: list[dict]) -> dict[str, dict]:
    """The rows of a snapshot, each once its needle is in (the hub sends it again then)."""
    last = {row["id"]: row for row in rows}
    while any(row["working"] for row in last.values()):
        row = await next_row(ws)
        last[row["id"]] = row
    return last


async def test_board_sends_a_snapshot_then_each_change_as_tally_report_says(tmp_path):
    ldj5, jfk8 = replay("ldj5"), replay("jfk8", 200)
    async with running_hub(tmp_path) as (hub, url):
        await publish_events(url, "ldj5", ldj5[:300])
        await publish_events(url, "jfk8", jfk8)
        async with connect(f"{url}/board") as ws:
            snapshot = await frames_until_ready(ws)
            assert [s["id"] for s in snapshot] == ["jfk8", "ldj5"]
            assert snapshot[1]["working"] and snapshot[1]["no_chances"] == WORKING  # not worked out yet
            rows = await settled(ws, snapshot)
            assert rows["ldj5"] == expected_row(tmp_path / "ldj5.jsonl")
            await publish_events(url, "ldj5", ldj5[300:])
            final = await latest(ws, "ldj5", len(ldj5))
        expected = expected_row(tmp_path / "ldj5.jsonl")
        # A needle is kept for as long as the numbers it was worked out for stand: the last
        # events (notes, the Board's checkpoint) do not change them, so the needle may be the
        # one of any seq since the last ballot, depending on when it came back.
        assert final["chances_seq"] in seqs_of_the_final_numbers(ldj5)
        assert {**final, "chances_seq": None} == {**json.loads(json.dumps(expected)), "chances_seq": None}
        assert final["state"] == "final" and final["votes"] == {"yes": 380, "no": 618}


def seqs_of_the_final_numbers(events) -> set[int]:
    """The seqs at which the count already had the numbers it ends with (`state_key`)."""
    count, keys = Count(), []
    for event in events:
        count.apply(event)
        keys.append((event.seq, state_key(count.snapshot())))
    return {seq for seq, key in keys if key == keys[-1][1]}


async def test_changes_are_coalesced_and_summarized_once_for_every_client(tmp_path, monkeypatch):
    monkeypatch.setattr(board_module, "INTERVAL", 0.3)
    events = replay("ldj5")
    async with running_hub(tmp_path) as (hub, url):
        hub.board.interval = 0.3
        await publish_events(url, "ldj5", events[:2])
        clients = [await connect(f"{url}/board").__aenter__() for _ in range(5)]
        try:
            for ws in clients:
                await settled(ws, await frames_until_ready(ws))
            made = hub.board.made
            loop = asyncio.get_running_loop()
            started = loop.time()
            await publish_events(url, "ldj5", events[2:])  # a thousand events as fast as they go
            finals = [await latest(ws, "ldj5", len(events)) for ws in clients]
            elapsed = loop.time() - started
            assert all(f == finals[0] for f in finals)
            # at most one summary per interval (plus the first at once), shared by all five
            assert hub.board.made - made <= elapsed / 0.3 + 2
        finally:
            for ws in clients:
                await ws.close()


async def test_watchers_coming_and_going_make_no_new_summary(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        await publish_events(url, "ldj5", replay("ldj5", 20))
        async with connect(f"{url}/board") as ws:
            await settled(ws, await frames_until_ready(ws))
            made = hub.board.made
            for _ in range(5):
                async with connect(f"{url}/elections/ldj5?since=20"):
                    await until(lambda: len(hub.elections["ldj5"].watchers) == 1, "a watcher")
            await asyncio.sleep(0.3)
            assert hub.board.made == made


async def test_board_of_one_election_waits_for_it_and_follows_only_it(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        await publish_events(url, "ldj5", replay("ldj5", 5))
        async with connect(f"{url}/board?id=later") as ws:
            assert await frames_until_ready(ws) == []
            await publish_events(url, "ldj5", replay("ldj5")[5:10])
            async with publishing(url, "later") as pub:
                assert "ack" in await ask(pub, header("later", ballots=3))
            frame = await next_row(ws)
            assert frame["id"] == "later" and frame["state"] == "counting"


async def test_a_board_client_that_sends_is_closed_and_bad_ids_are_refused(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        async with connect(f"{url}/board") as ws:
            await frames_until_ready(ws)
            await ws.send("hello")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 1008
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/board?id=Not_An_Id"):
                pass
        assert refused.value.response.status_code == 400
        assert hub.board.audience == 0 and not hub.board.everyone


def head_of(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"{name} sent twice"
        headers[name.lower()] = value.strip()
    return lines[0], headers, body


@pytest.mark.parametrize("path, kind", [("/", "text/html"), ("/e/ldj5", "text/html"),
                                        ("/static/tally.js", "text/javascript"),
                                        ("/static/tally.css", "text/css"),
                                        ("/static/icon.svg", "image/svg+xml")])
async def test_the_page_is_served_with_its_type_and_a_policy(tmp_path, path, kind):
    async with running_hub(tmp_path) as (hub, url):
        port = url.rsplit(":", 1)[1]
        status, headers, body = head_of(await raw_http(
            url, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()))
        assert status.startswith("HTTP/1.1 200")
        assert headers["content-type"].startswith(kind)
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-length"] == str(len(body)) and body
        csp = headers["content-security-policy"]
        assert csp.startswith("default-src 'none'; script-src 'self'; style-src 'self'; ")
        assert f"connect-src 'self' ws://127.0.0.1:{port} wss://127.0.0.1:{port};" in csp
        assert "img-src 'self'" in csp
        status, headers, body = head_of(await raw_http(
            url, f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))
        assert status.startswith("HTTP/1.1 200") and body == b"" and int(headers["content-length"]) > 0


@pytest.mark.parametrize("request_line, status", [
    ("POST / HTTP/1.1", "405"), ("PUT /static/tally.js HTTP/1.1", "405"),
    ("GET /static/../server.py HTTP/1.1", "404"), ("GET /static/board.html HTTP/1.1", "404"),
    ("GET /static/ HTTP/1.1", "404"), ("GET /e/Bad_Id HTTP/1.1", "404"),
    ("GET /%2e%2e/pyproject.toml HTTP/1.1", "404"), ("GET /e/ldj5/../../x HTTP/1.1", "404"),
])
async def test_only_the_pages_files_and_only_get_or_head(tmp_path, request_line, status):
    async with running_hub(tmp_path) as (hub, url):
        answer = await raw_http(url, f"{request_line}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert answer.split(b"\r\n", 1)[0].split()[1].decode() == status


async def test_a_strange_host_header_is_not_echoed_into_the_policy(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        _, headers, _ = head_of(await raw_http(
            url, b"GET / HTTP/1.1\r\nHost: evil.example; script-src *\r\n\r\n"))
        assert headers["content-security-policy"].count("connect-src 'self';") == 1
        assert "evil" not in headers["content-security-policy"]
