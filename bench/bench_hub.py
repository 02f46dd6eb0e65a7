"""The hub (`tally serve`) against a bare `websockets.broadcast` server, same run, same load.

Run: python bench/bench_hub.py [--watchers 1000] [--rate 20] [--seconds 30]
     [--rounds 2] [--sweep 2000,3000,4000,5000,6000,8000] [--sweep-seconds 10]

Each server runs in its own process; its CPU time (/proc/PID/stat) and RSS
(/proc/PID/status) are read from outside. The watchers live in two client
processes (asyncio, many raw connections each: see RawWatcher); a publisher
in this process sends one ballot event every 1/rate s and notes when it sent
each. Every watcher notes when each event arrived; both use CLOCK_MONOTONIC,
which all processes on one machine share. Reported:

- p50/p99/max event-to-watcher latency over every (event, watcher) pair;
- server CPU per delivery: CPU time while publishing (until every watcher has
  every event) / (events x watchers);
- server memory per idle watcher: RSS after the watchers connect, minus before,
  / watchers.

The bare server does nothing but broadcast each frame it gets: no validation,
no journal, no fsync, no acks. `tally serve` is the real command, on a fresh
data directory, publishing into one election. The rounds alternate the two.
The sweep then runs the hub alone with more watchers, for a shorter time,
until p99 passes 1 s. The client processes share the 2 cores with the server,
so at high counts they add to the latency they measure (see the output).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENTS = 2
TOKEN = "bench-token"
HERE = Path(__file__).resolve()
TICK = os.sysconf("SC_CLK_TCK")


# -- measuring another process ------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) * 1024


def more_files() -> None:
    """Raise the open-file limit to the hard limit: every connection is a descriptor."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- the servers ---------------------------------------------------------------------
def start_hub(data: Path, *flags: str, under: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """`tally serve` on a free port; ``flags``: more of its options (``--store redis://…``);
    ``under``: a command to run it under (valgrind)."""
    (data.parent / "token").write_text(TOKEN)
    (data.parent / "token").chmod(0o600)  # a token file others can read is refused
    proc = subprocess.Popen(
        [*under, sys.executable, "-m", "tui.cli", "serve", "--port", "0", "--data", str(data),
         "--token-file", str(data.parent / "token"), *flags],
        stdout=subprocess.PIPE, text=True, cwd=HERE.parent.parent, preexec_fn=more_files)
    port = re.search(r":(\d+) ", proc.stdout.readline())[1]
    return proc, f"ws://127.0.0.1:{port}"


def start_bare() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(HERE), "bare"], stdout=subprocess.PIPE,
                            text=True, preexec_fn=more_files)
    return proc, proc.stdout.readline().strip()


async def bare_server() -> None:
    """The baseline: broadcast every frame from /publish to every other connection."""
    from websockets.asyncio.server import broadcast, serve

    watchers = set()

    async def handler(ws):
        if ws.request.path == "/publish":
            async for frame in ws:
                broadcast(watchers, frame)
        else:
            watchers.add(ws)
            try:
                await ws.wait_closed()
            finally:
                watchers.discard(ws)

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await server.serve_forever()


# -- the watchers (client processes) ---------------------------------------------------
class RawWatcher(asyncio.Protocol):
    """A minimal WebSocket watcher: handshake, unmasked text frames in, pongs out.

    The load generator must cost far less per frame than the servers it
    measures, or it measures itself: a websockets client spends about as much
    per frame as the server, and two of them share the 2 cores with it. This
    one only splits frames and notes when each seq arrived.
    """

    REQUEST = ("GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")

    def __init__(self, host: str, path: str, arrived) -> None:
        self.request = self.REQUEST.format(path=path, host=host).encode()
        self.arrived = arrived
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buffer
        buf += data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buf[:end]:
                self.upgraded.set_exception(RuntimeError(bytes(buf[:end]).decode()))
                return
            del buf[:end + 4]
            self.upgraded.set_result(None)
        while len(buf) >= 2:
            opcode, size, head = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, head = int.from_bytes(buf[2:4], "big"), 4
            if len(buf) < head + size:
                return
            payload = bytes(buf[head:head + size])
            del buf[:head + size]
            if opcode == 0x1:
                self.arrived(int(payload[7:payload.index(b",")]), now)  # {"seq":N,...
            elif opcode == 0x9:  # ping: a pong, masked with a zero key, as a client must
                self.transport.write(bytes([0x8A, 0x80 | len(payload), 0, 0, 0, 0]) + payload)


async def watchers(url: str, count: int, events: int, out: str) -> None:
    """Connect `count` watchers, say "connected", note each arrival, say "done", wait."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    arrivals: dict[int, list[float]] = {}
    complete = asyncio.Event()
    expected = events * count

    def arrived(seq: int, now: float) -> None:
        arrivals.setdefault(seq, []).append(now)
        nonlocal expected
        expected -= 1
        if expected == 0:
            complete.set()

    gate = asyncio.Semaphore(50)  # the listen backlog is 100: do not overflow it

    async def one():
        async with gate:
            transport, watcher = await loop.create_connection(
                lambda: RawWatcher(parts.netloc, path, arrived), parts.hostname, parts.port)
            await watcher.upgraded
            return transport

    transports = await asyncio.gather(*(one() for _ in range(count)))
    gc.collect()
    gc.freeze()  # the connections live to the end: keep the collector off them
    print("connected", flush=True)
    await complete.wait()
    Path(out).write_text(json.dumps({str(k): v for k, v in arrivals.items()}))
    print("done", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    for t in transports:
        t.abort()


# -- one measured run ------------------------------------------------------------------
def ballot(seq: int) -> str:
    choice = "yes" if seq % 7 < 3 else "no" if seq % 7 < 6 else "void"
    return json.dumps({"seq": seq, "type": "ballot", "choice": choice,
                       "at": "2022-05-02T13:00:04-04:00"}, separators=(",", ":"))


async def publish(url: str, hub: bool, first: int, events: int, rate: float) -> dict[int, float]:
    """Send `events` ballots at `rate`/s; the monotonic time each was sent."""
    from websockets.asyncio.client import connect

    path = "/elections/bench/publish" if hub else "/publish"
    headers = {"Authorization": f"Bearer {TOKEN}"} if hub else {}
    sent: dict[int, float] = {}
    async with connect(url + path, additional_headers=headers, compression=None) as ws:
        if hub:
            await ws.recv()  # {"last": N}
            acks = asyncio.create_task(_drain(ws, events))
        start = time.monotonic()
        for i in range(events):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            seq = first + i
            frame = ballot(seq)
            sent[seq] = time.monotonic()
            await ws.send(frame)
        if hub:
            errors = await acks
            assert not errors, errors[:3]
    return sent


async def _drain(ws, events: int) -> list[str]:
    errors = []
    for _ in range(events):
        reply = await ws.recv()
        if "error" in reply:
            errors.append(reply)
    return errors


async def header(url: str) -> None:
    from websockets.asyncio.client import connect

    async with connect(url + "/elections/bench/publish", compression=None,
                       additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.recv()
        await ws.send(json.dumps({"seq": 1, "type": "election", "id": "bench",
                                  "title": "Benchmark", "union": "Bench Workers United"}))
        assert "ack" in await ws.recv()


def run(kind: str, n: int, rate: float, seconds: float, work: Path) -> dict:
    """One server, n watchers, one publisher: the figures of one run."""
    events = int(rate * seconds)
    data = work / f"{kind}-{n}-{time.monotonic_ns()}"
    data.mkdir()
    proc, url = start_hub(data / "hub") if kind == "hub" else start_bare()
    clients = []
    try:
        if kind == "hub":
            asyncio.run(header(url))
        watch_url = url + ("/elections/bench?since=1" if kind == "hub" else "/watch")
        time.sleep(0.5)
        rss0 = rss_bytes(proc.pid)
        shares = [n // CLIENTS + (1 if i < n % CLIENTS else 0) for i in range(CLIENTS)]
        for i, share in enumerate(shares):
            out = data / f"client{i}.json"
            clients.append((subprocess.Popen(
                [sys.executable, str(HERE), "watchers", watch_url, str(share), str(events), str(out)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=more_files), out))
        for c, _ in clients:
            assert c.stdout.readline().strip() == "connected"
        time.sleep(1.0)
        rss1 = rss_bytes(proc.pid)
        cpu0 = cpu_seconds(proc.pid)
        clients0 = sum(cpu_seconds(c.pid) for c, _ in clients)
        sent = asyncio.run(publish(url, kind == "hub", 2, events, rate))
        for c, _ in clients:
            assert c.stdout.readline().strip() == "done"
        cpu1 = cpu_seconds(proc.pid)
        clients1 = sum(cpu_seconds(c.pid) for c, _ in clients)
        latencies = []
        for c, out in clients:
            for seq, times in json.loads(out.read_text()).items():
                t0 = sent[int(seq)]
                latencies.extend(t - t0 for t in times)
        assert len(latencies) == events * n, "some deliveries are missing"
    finally:
        for c, _ in clients:
            c.stdin.close()
            c.wait(timeout=60)
        proc.terminate()
        proc.wait()
    return {**figures(kind, n, events, latencies, cpu1 - cpu0),
            "clients_cpu_s": clients1 - clients0, "kib_per_watcher": (rss1 - rss0) / n / 1024}


def figures(kind: str, n: int, events: int, latencies: list[float], cpu: float) -> dict:
    """What every run reports: latency quantiles (ms) and the servers' CPU per delivery (µs)."""
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"kind": kind, "watchers": n, "events": events,
            "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "max_ms": latencies[-1] * 1e3,
            "cpu_s": cpu, "cpu_us_per_delivery": cpu / (events * n) * 1e6}


def show(r: dict) -> None:
    print(f"  {r['kind']:>4} {r['watchers']:>5} watchers x {r['events']} events: "
          f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:7.1f} ms  max {r['max_ms']:7.1f} ms  "
          f"CPU {r['cpu_s']:5.2f} s = {r['cpu_us_per_delivery']:5.2f} µs/delivery  "
          f"{r['kib_per_watcher']:5.1f} KiB/watcher  (clients' CPU {r['clients_cpu_s']:.2f} s)",
          flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "bare":
        return asyncio.run(bare_server())
    if len(sys.argv) > 1 and sys.argv[1] == "watchers":
        url, count, events, out = sys.argv[2:6]
        return asyncio.run(watchers(url, int(count), int(events), out))
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sweep", default="2000,3000,4000,5000,6000,8000",
                        help="watcher counts for the hub alone ('' to skip)")
    parser.add_argument("--sweep-seconds", type=float, default=10.0)
    args = parser.parse_args()
    more_files()
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        work = Path(tmp)
        print(f"{args.watchers} watchers, {args.rate:g} events/s for {args.seconds:g} s, "
              f"{args.rounds} rounds, alternating:")
        results = {"hub": [], "bare": []}
        for _ in range(args.rounds):
            for kind in ("hub", "bare"):
                results[kind].append(run(kind, args.watchers, args.rate, args.seconds, work))
                show(results[kind][-1])
        hub_cpu = statistics.median(r["cpu_us_per_delivery"] for r in results["hub"])
        bare_cpu = statistics.median(r["cpu_us_per_delivery"] for r in results["bare"])
        hub_mem = statistics.median(r["kib_per_watcher"] for r in results["hub"])
        bare_mem = statistics.median(r["kib_per_watcher"] for r in results["bare"])
        worst_p99 = max(r["p99_ms"] for r in results["hub"])
        print(f"hub/bare CPU per delivery: {hub_cpu / bare_cpu:.2f} (target ≤ 1.5); "
              f"memory per watcher {hub_mem:.1f} KiB (bare {bare_mem:.1f}; target ≤ 20); "
              f"hub p99 worst {worst_p99:.1f} ms (target ≤ 100)")
        if args.sweep:
            print(f"sweep, hub alone, {args.sweep_seconds:g} s each:")
            for n in (int(x) for x in args.sweep.split(",")):
                r = run("hub", n, args.rate, args.sweep_seconds, work)
                show(r)
                if r["p99_ms"] > 1000:
                    print(f"p99 passes 1 s at {n} watchers")
                    break


if __name__ == "__main__":
    main()
