"""The hub under abuse: many elections, a full file table, bad requests by the hundred.

Anyone who can reach the hub can send it anything; none of it may cost the
hub more than a bounded amount, or put a traceback in its log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import signal
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed

import feeds.hub.server
from counts import ballots, header, write
from feeds.hub import Election
from hubkit import TOKEN, ask, ballot, http, port_of, publishing, raw_http, running_hub
from hubkit import header as header_frame
from test_hub_process import start_hub
from test_journal_writes import files_open_in


def elections(data, n: int) -> None:
    data.mkdir(exist_ok=True)
    for i in range(n):
        write(data / f"e{i:04}.jsonl", header(id=f"e{i:04}", ballots=10), *ballots("yes"))


async def test_the_hub_holds_no_file_per_election(tmp_path):
    elections(tmp_path, 300)
    async with running_hub(tmp_path) as (hub, url):
        assert len(hub.elections) == 300
        assert files_open_in(tmp_path) == [tmp_path.name]  # the directory (its lock), and no journal
        for i in range(0, 300, 15):
            async with publishing(url, f"e{i:04}") as pub:
                assert await ask(pub, ballot(3, "no")) == {"ack": 3}
        assert files_open_in(tmp_path) == [tmp_path.name]
    assert files_open_in(tmp_path) == []


async def test_get_elections_costs_the_same_for_10_or_10000_elections(tmp_path, monkeypatch):
    """No per-election work per request: each entry is made again only once it changed."""
    elections(tmp_path, 1000)
    made = []
    summary = Election.summary
    monkeypatch.setattr(Election, "summary", lambda self: made.append(self.id) or summary(self))
    monkeypatch.setattr(feeds.hub.server, "LIST_REFRESH", 0.0)
    async with running_hub(tmp_path) as (hub, url):
        status, _, first = await http(url, "/elections")
        assert status == 200 and len(made) == 1000
        made.clear()
        for _ in range(5):
            assert (await http(url, "/elections"))[2] == first
        assert made == []
        async with publishing(url, "e0007") as pub:
            await ask(pub, ballot(3, "no"))
        listed = json.loads((await http(url, "/elections"))[2])
        assert made == ["e0007"]  # the one that changed (its watchers or its count), once
        assert listed[7]["totals"] == {"yes": 1, "no": 1, "void": 0, "challenged": 0}
        assert [e["id"] for e in listed] == sorted(e["id"] for e in listed)

        monkeypatch.setattr(feeds.hub.server, "LIST_REFRESH", 3600.0)
        made.clear()
        async with publishing(url, "e0008") as pub:
            await ask(pub, ballot(3, "no"))
        await http(url, "/elections")
        assert made == []  # rebuilt at most every LIST_REFRESH, however often asked


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", "get"])
async def test_the_list_answers_get_and_head_only(tmp_path, method):
    async with running_hub(tmp_path) as (hub, url):
        status, headers, body = await http(url, "/elections", method)
        assert (status, headers["allow"]) == (405, "GET, HEAD")
        assert body == f"{method} is not allowed here\n".encode()
        status, headers, body = await http(url, "/elections/ldj5/publish", method,
                                           f"Authorization: Bearer {TOKEN}\r\n")
        assert (status, headers["allow"]) == (405, "GET")


async def test_head_of_the_list_has_the_length_and_no_body(tmp_path):
    elections(tmp_path, 3)
    async with running_hub(tmp_path) as (hub, url):
        _, got, body = await http(url, "/elections")
        status, headers, nothing = await http(url, "/elections", "HEAD")
    assert status == 200 and nothing == b""
    assert headers["content-length"] == got["content-length"] == str(len(body))
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("since", ["%C2%B2", "%D9%A1", pytest.param("9" * 5000, id="5000-digits"),
                                   "9" * 19, "", "-1", "+1", "1e3", "0x10", "%201", "1&since=2"])
async def test_since_is_one_to_eighteen_ascii_digits_or_400(tmp_path, since):
    write(tmp_path / "test.jsonl", header(), *ballots("yes"))
    async with running_hub(tmp_path) as (hub, url):
        status, _, body = await http(url, f"/elections/test?since={since}")
    assert status == 400
    assert body == b"since must be one whole number \xe2\x89\xa5 0 (at most 18 digits)\n"


# -- a volley of bad requests: never a traceback -----------------------------------

BAD_REQUESTS = [
    b"POST /elections HTTP/1.1\r\nHost: h\r\n\r\n",
    b"DELETE /elections HTTP/1.1\r\nHost: h\r\n\r\n",
    b"HEAD /elections/test HTTP/1.1\r\nHost: h\r\n\r\n",
    b"get /elections HTTP/1.1\r\n\r\n",
    b"GET //[ HTTP/1.1\r\n\r\n",  # a netloc to urlsplit, which raises on it
    b"GET //[::1]:x/elections HTTP/1.1\r\n\r\n",
    b"GET * HTTP/1.1\r\n\r\n",
    b"GET http://h/elections HTTP/1.1\r\n\r\n",
    b"GET /elections/../token HTTP/1.1\r\n\r\n",
    b"GET /elections/test%00 HTTP/1.1\r\n\r\n",
    b"GET /\xc3\xa9lections HTTP/1.1\r\n\r\n",
    b"GET /elections/test?since=%C2%B2 HTTP/1.1\r\n\r\n",
    b"GET /elections/test?since=" + b"9" * 5000 + b" HTTP/1.1\r\n\r\n",
    b"GET /elections/test?since=%FF%FE HTTP/1.1\r\n\r\n",
    b"GET /elections/test?" + b"&" * 4000 + b" HTTP/1.1\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    b"GET /elections HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
    b"GET /elections HTTP/1.1\r\n" + b"X: y\r\n" * 300 + b"\r\n",
    b"GET /elections HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /elections HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /elections HTTP/1.0\r\n\r\n",
    b"GET /elections HTTP/2.0\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS hello
    b"\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /elections HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET /elections HTTP/1.1\r\nX: \xff\xfe\x00\r\n\r\n",
    b"GET /elections/test/publish HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n",
    b"GET /elections/test/publish HTTP/1.1\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
    b"GET /elections/test/publish HTTP/1.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n",
    b"GET /elections/test HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: not base64!\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /elections/test HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n",
    b"GET /elections/test?since=-1 HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"GET /elections/test HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    + os.urandom(300),  # an upgrade, then garbage for frames
    os.urandom(300),
    os.urandom(5000).replace(b"\n", b"\r\n"),
]
TRUNCATED = [b"", b"GET /elections HTT", b"GET /elections HTTP/1.1\r\nHost: h\r\n",
             b"GET /elections/test/publish HTTP/1.1\r\nAuthorization: Bear"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured(*names: str, level: int = logging.INFO):
    """Every record of these loggers at level and above (INFO: what an operator would turn on)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger, before in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(before)


async def test_a_volley_of_bad_requests_leaves_no_traceback_and_the_hub_serving(tmp_path):
    write(tmp_path / "test.jsonl", header(), *ballots("yes"))
    with captured("tally.hub", "websockets", "asyncio") as records:
        async with running_hub(tmp_path) as (hub, url):
            answers = await asyncio.gather(*(raw_http(url, bad, eof=not bad.endswith(b"\r\n\r\n"))
                                             for bad in BAD_REQUESTS))
            for cut in TRUNCATED:  # half a request, then the client goes away
                reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
                writer.write(cut)
                await writer.drain()
                writer.close()
            status, _, body = await http(url, "/elections")
            assert status == 200 and json.loads(body)[0]["last"] == 2
            async with publishing(url) as pub:  # and publishing still works
                assert await ask(pub, ballot(3)) == {"ack": 3}
    statuses = [a.split(b" ", 2)[1] for a in answers if a.startswith(b"HTTP/1.1 ")]
    assert b"500" not in statuses  # the rest are closed without an answer: they are not HTTP
    assert {b"400", b"401", b"404", b"405", b"414", b"426", b"431"} <= set(statuses)
    tracebacks = [r for r in records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    assert [r for r in records if r.levelno >= logging.ERROR] == []


# -- a full file table ------------------------------------------------------------

def fd_limit(n: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return limit


async def test_a_full_file_table_is_told_once_a_second_and_the_hub_recovers(tmp_path):
    data = tmp_path / "hub"
    elections(data, 30)  # more elections than free descriptors: none of them holds one
    hub, port = await start_hub(data, preexec_fn=fd_limit(40))
    url = f"ws://127.0.0.1:{port}"
    fillers = []
    try:
        async with publishing(url, "new") as pub:
            for _ in range(60):  # more connections than the hub has descriptors left
                fillers.append(await asyncio.open_connection("127.0.0.1", port))
            await asyncio.sleep(3.2)  # the hub keeps failing to accept for 3 s
            # A new election's file cannot be opened either: one line, no change.
            answer = await ask(pub, header_frame("new"))
            assert answer == {"error": "not saved: Too many open files", "seq": 1}
            for _, writer in fillers:
                writer.close()
            fillers.clear()
            for _ in range(100):  # the hub finds its descriptors again by itself
                answer = await ask(pub, header_frame("new"))
                if "ack" in answer:
                    break
                await asyncio.sleep(0.1)
            assert answer == {"ack": 1}
        status, _, body = await http(url, "/elections")
        assert status == 200 and len(json.loads(body)) == 31
    finally:
        for _, writer in fillers:
            writer.close()
        hub.send_signal(signal.SIGTERM)
        _, err = await hub.communicate()
    log = err.decode().splitlines()
    accept = [line for line in log if "cannot accept connections: Too many open files" in line]
    assert 2 <= len(accept) <= 5, log  # once a second for about 3 s, not once per attempt
    assert not any("Traceback" in line for line in log), "\n".join(line for line in log if "cannot accept" not in line)


async def test_a_hub_stopped_while_it_waits_to_accept_again_stops_cleanly(tmp_path):
    """asyncio retries a failed accept a second later, once per failure; a hub stopped before then says nothing more."""
    data = tmp_path / "hub"
    elections(data, 3)
    hub, port = await start_hub(data, preexec_fn=fd_limit(30))
    fillers = []
    try:
        for _ in range(40):  # more connections than the hub has descriptors left: its accepts fail
            fillers.append(await asyncio.open_connection("127.0.0.1", port))
        await asyncio.sleep(0.3)  # the retries are waiting their second
    finally:
        hub.send_signal(signal.SIGTERM)
        _, err = await hub.communicate()
        for _, writer in fillers:
            writer.close()
    log = err.decode().splitlines()
    assert any("cannot accept connections: Too many open files" in line for line in log), log
    assert not any("Traceback" in line for line in log), "\n".join(log)
    assert hub.returncode == 0


async def test_a_hub_with_silent_connections_stops_at_once(tmp_path):
    """Connections that never send a request (a browser's preconnect) do not hold a stopping hub for their 10 s timeout."""
    data = tmp_path / "hub"
    elections(data, 3)
    hub, port = await start_hub(data)
    try:
        silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        async with publishing(f"ws://127.0.0.1:{port}", "e0001") as pub:
            assert await ask(pub, ballot(3, "no")) == {"ack": 3}
            started = asyncio.get_running_loop().time()
            hub.send_signal(signal.SIGTERM)
            _, err = await hub.communicate()
            stopped_in = asyncio.get_running_loop().time() - started
            with pytest.raises(ConnectionClosed) as closed:
                await pub.recv()
    finally:
        if hub.returncode is None:
            hub.kill()
            await hub.wait()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001  # the open one was told
    for reader, writer in silent:
        assert await reader.read() == b""  # cut, with nothing said
        writer.close()
    assert hub.returncode == 0 and b"Traceback" not in err
    assert stopped_in < 5, stopped_in  # not the open timeout (10 s): 0.01 s here


async def test_a_hub_stops_within_its_grace_when_a_client_never_answers_its_close(tmp_path):
    """websockets waits 10 s for a client to answer its close; a stopping hub waits STOP_GRACE, then cuts it."""
    data = tmp_path / "hub"
    elections(data, 3)
    hub, port = await start_hub(data)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /elections/e0001?since=0 HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")  # open; then never a word
        started = asyncio.get_running_loop().time()
        hub.send_signal(signal.SIGTERM)
        _, err = await hub.communicate()
        stopped_in = asyncio.get_running_loop().time() - started
        writer.close()
    finally:
        if hub.returncode is None:
            hub.kill()
            await hub.wait()
    assert hub.returncode == 0 and b"Traceback" not in err
    assert feeds.hub.server.STOP_GRACE <= stopped_in < feeds.hub.server.STOP_GRACE + 3, stopped_in
