"""The hub's CPU per /board summary update with 1,000 board clients, against a plain event delivery.

Run: python bench/bench_board.py [--clients 1000] [--events 30] [--gap 0.3]

`tally serve` runs in its own process, on a fresh data directory holding the
first 300 events of LDJ5 (so the needle has 700 unopened ballots to weigh);
its CPU time is read from /proc/PID/stat before and after each phase. The
clients are raw websockets connections in this process. Three phases, one
run, the same events paced ``--gap`` seconds apart (longer than the board's
0.25 s coalescing, so each event is one summary update):

  A. no clients:             what accepting an event costs (parse, rules, fsync, ack)
  B. N watchers on /elections/ldj5:  A + sending the event to N watchers
  C. N clients on /board:    A + one summary (rules, the needle, JSON) sent to N clients

Reported: CPU per event in each, per delivery (B − A) and per summary update
(C − A), and the size of the page's files (what a browser fetches for / and /e/ID).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.hub.web import FILES, STATIC  # noqa: E402

TOKEN = "bench-token"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def ldj5() -> list[str]:
    return (ROOT / "replays" / "ldj5.jsonl").read_text().splitlines()


async def publish(url: str, frames: list[str], gap: float) -> None:
    async with connect(f"{url}/elections/ldj5/publish", compression=None,
                       additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.recv()
        for frame in frames:
            await ws.send(frame)
            answer = json.loads(await ws.recv())
            assert "ack" in answer, answer
            if gap:
                await asyncio.sleep(gap)


class Client:
    """A raw connection that counts what it receives, until told to stop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.frames = 0
        self.last = ""

    async def run(self, ready: asyncio.Event, started: list[int], total: int) -> None:
        async with connect(self.url, compression=None, max_queue=None, open_timeout=60) as ws:
            started[0] += 1
            if started[0] == total:
                ready.set()
            async for frame in ws:
                self.frames += 1
                self.last = frame


async def phase(hub_pid: int, url: str, path: str | None, clients: int,
                frames: list[str], gap: float, done) -> tuple[float, list[Client]]:
    """CPU the hub spends while `frames` are published and every client has what it should."""
    ready, started = asyncio.Event(), [0]
    crowd = [Client(f"{url}{path}") for _ in range(clients)] if path else []
    tasks = [asyncio.create_task(c.run(ready, started, clients)) for c in crowd]
    if crowd:
        await asyncio.wait_for(ready.wait(), 120)
        await asyncio.sleep(1.0)  # snapshots and catch-ups sent and settled
    before = cpu_seconds(hub_pid)
    for c in crowd:
        c.frames = 0
    await publish(url, frames, gap)
    deadline = time.monotonic() + 60
    while crowd and not all(done(c) for c in crowd) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    spent = cpu_seconds(hub_pid) - before
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.5)
    return spent, crowd


async def main(args: argparse.Namespace) -> None:
    events = ldj5()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        data.mkdir()
        (data / "ldj5.jsonl").write_text("\n".join(events[:300]) + "\n")
        token = Path(tmp) / "token"
        token.write_text(TOKEN + "\n")
        token.chmod(0o600)  # a token file others can read is refused
        hub = subprocess.Popen([sys.executable, "-m", "tui.cli", "serve", "--port", "0",
                                "--data", str(data), "--token-file", str(token)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            port = re.search(r":(\d+) ", hub.stdout.readline())[1]
            url = f"ws://127.0.0.1:{port}"
            n, gap, start = args.events, args.gap, 300
            batches = [events[start + i * n: start + (i + 1) * n] for i in range(3)]
            last_seq = lambda batch: json.loads(batch[-1])["seq"]  # noqa: E731
            a, _ = await phase(hub.pid, url, None, 0, batches[0], gap, None)
            b, watchers = await phase(
                hub.pid, url, f"/elections/ldj5?since={last_seq(batches[0])}", args.clients,
                batches[1], gap, lambda c: c.frames >= n)
            target = last_seq(batches[2])
            c, boards = await phase(
                hub.pid, url, "/board", args.clients, batches[2], gap,
                lambda c: f'"last_seq":{target},' in c.last)
        finally:
            hub.terminate()
            hub.wait()
    updates = min(c.frames for c in boards)
    print(f"hub CPU, {n} events {gap:g} s apart, {args.clients:,} clients (one run):")
    print(f"  A  no clients           {1000 * a / n:7.2f} ms per event (accept: parse, rules, fsync, ack)")
    print(f"  B  {args.clients:,} watchers       {1000 * b / n:7.2f} ms per event"
          f" → delivery to {args.clients:,}: {1000 * (b - a) / n:6.2f} ms"
          f" ({1e6 * (b - a) / n / args.clients:.1f} µs per watcher)")
    print(f"  C  {args.clients:,} board clients  {1000 * c / updates:7.2f} ms per summary update"
          f" ({updates} updates for {n} events) → the update less accepting the event: "
          f"{1000 * (c / updates - a / n):6.2f} ms ({1e6 * (c / updates - a / n) / args.clients:.1f} µs per client)")
    sizes = {name: (STATIC / name).stat().st_size for name in {*FILES.values(), "count.html"}}
    gz = {name: len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in sizes}
    for page, html in (("/", "board.html"), ("/e/ID", "count.html")):
        names = [html, "tally.css", "tally.js", "icon.svg"]
        print(f"page {page}: {sum(sizes[x] for x in names):,} bytes in {len(names)} files "
              f"({sum(gz[x] for x in names):,} gzipped; served uncompressed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.3)
    asyncio.run(main(parser.parse_args()))
