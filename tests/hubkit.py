"""A real hub on a loopback port, and what the network tests share.

Nothing here sleeps for a fixed time to let something happen: `until` waits
for a condition, with a generous timeout for a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from collections import deque
from typing import Any, AsyncIterator, Callable
from weakref import WeakKeyDictionary

from websockets.asyncio.client import ClientConnection, connect

from feeds.bundled import replays_dir
from feeds.hub import Hub, bound_port
from feeds.link import Link, delays
from feeds.watcher import Watcher
from tally.reducer import Count
from tally.schema import Event, parse_event
from tally.summary import board_rows

TOKEN = "test-token"
FAST = delays(first=0.02, most=0.2)  # reconnect quickly: the hub is on loopback
PATIENCE = 20.0


_UNREAD: WeakKeyDictionary[ClientConnection, deque[Any]] = WeakKeyDictionary()


async def next_row(ws: ClientConnection, timeout: float = 10.0) -> Any:
    """The next row (or ``{"ready": N}``) a ``/board`` client gets, whether it came alone or with
    others in one ``{"rows": [...]}`` frame (`tally.summary.board_rows`)."""
    unread = _UNREAD.setdefault(ws, deque())
    while not unread:
        unread.extend(board_rows(json.loads(await asyncio.wait_for(ws.recv(), timeout))))
    return unread.popleft()


async def board_stream(ws: ClientConnection) -> AsyncIterator[Any]:
    """Every row a ``/board`` client gets, one at a time, until the connection closes."""
    async for frame in ws:
        for row in board_rows(json.loads(frame)):
            yield row


async def until(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    """Wait until condition() holds; fail saying what did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def replay(name: str = "ldj5", n: int | None = None) -> list[Event]:
    lines = (replays_dir() / f"{name}.jsonl").read_text().splitlines()
    return [parse_event(line) for line in lines[:n]]


def header(election_id: str = "test", **fields) -> str:
    return json.dumps({"seq": 1, "type": "election", "id": election_id,
                       "title": f"Count {election_id}", **fields})


def ballot(seq: int, choice: str = "yes", **fields) -> str:
    return json.dumps({"seq": seq, "type": "ballot", "choice": choice, **fields})


@asynccontextmanager
async def running_hub(data_dir: Path, port: int = 0, **kwargs) -> AsyncIterator[tuple[Hub, str]]:
    """A hub on 127.0.0.1 serving data_dir: (hub, "ws://127.0.0.1:PORT")."""
    hub = Hub.open(data_dir, TOKEN, **kwargs)
    try:
        async with hub.serve("127.0.0.1", port) as server:
            yield hub, f"ws://127.0.0.1:{bound_port(server)}"
    finally:
        hub.close()


@asynccontextmanager
async def publishing(url: str, election_id: str = "test",
                     token: str = TOKEN) -> AsyncIterator[ClientConnection]:
    """A raw publish connection, its {"last": N} greeting already read."""
    async with connect(f"{url}/elections/{election_id}/publish", compression=None,
                       additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.greeting = json.loads(await ws.recv())
        yield ws


async def ask(ws: ClientConnection, frame: str) -> dict:
    """Send one frame on a publish connection; the hub's answer."""
    await ws.send(frame)
    return json.loads(await ws.recv())


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def raw_http(url: str, request: bytes, timeout: float = PATIENCE, eof: bool = False) -> bytes:
    """Send bytes as they are to the hub at url; all it answers until it closes.

    ``eof``: then end the sending side, so that the hub need not wait for
    the rest of a request that will never come (websockets then closes
    without answering, as it should).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
    try:
        writer.write(request)
        if eof:
            writer.write_eof()
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


async def http(url: str, path: str, method: str = "GET", headers: str = "") -> tuple[int, dict, bytes]:
    """One plain HTTP/1.1 request: (status, headers with lowercase names, body)."""
    answer = await raw_http(url, f"{method} {path} HTTP/1.1\r\nHost: hub\r\n{headers}\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in fields.items()}, body


class Follower:
    """A Watcher applied to a Count in a task, with every link state it reported."""

    def __init__(self, url: str, since: int = 0) -> None:
        self.count = Count()
        self.seqs: list[int] = []
        self.links: list[Link] = []
        self.watcher = Watcher(url, since=since, on_link=self.links.append, wait=FAST)
        self.task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        async for event in self.watcher.events():
            self.seqs.append(event.seq)
            self.count.apply(event)

    @property
    def states(self) -> list[str]:
        return [link.state for link in self.links]

    async def reaches(self, seq: int) -> None:
        await until(lambda: self.count.last_seq >= seq or self.task.done(),
                    f"the watcher to reach seq {seq} (at {self.count.last_seq})")
        if self.task.done():
            self.task.result()  # raise what ended it
        assert self.count.last_seq == seq

    async def stop(self) -> None:
        self.watcher.close()
        await self.task
