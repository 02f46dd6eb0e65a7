"""A key typed in `tally count --publish`, until a watcher has the event: against a minimal publisher.

Run: python bench/bench_publish.py [--keys N] [--rounds K]

A real hub (`tally serve`, its own process) on loopback; one raw watcher (its
own process: bench_hub.RawWatcher, which notes when each frame arrives) on
each of two elections. In this process, alternately:

- ours: the count screen (`CountDashboard` with the real `CountPublisher`),
  keys typed with Pilot at 10 a second; each key is checked, journaled with
  fsync, and published;
- baseline: the smallest Textual app with the same keys, whose action sends
  the same frame (a ballot event, as `dump_event` writes it) with a raw
  websockets client: no validation, no journal, no screen to redraw.

Latency is from just before `pilot.press` to the watcher's arrival
(CLOCK_MONOTONIC, shared by all processes), so both pay the same Pilot and
Textual key dispatch. Target: ours p50 ≤ 2× the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from bench_hub import TOKEN, RawWatcher, start_hub  # noqa: E402
from common import load_average, median  # noqa: E402

KEYS = "yynynnyv"
PACE = 0.1  # seconds between keys: a brisk person


async def watch(url: str, elections: list[str], counts: list[int], out: str) -> None:
    """One raw watcher per election; write {election: {seq: arrival}} when all have arrived."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    arrivals: dict[str, dict[int, float]] = {e: {} for e in elections}
    done = asyncio.Event()
    left = sum(counts)

    def arrived_in(election: str):
        def arrived(seq: int, now: float) -> None:
            nonlocal left
            arrivals[election][seq] = now
            left -= 1
            if left == 0:
                done.set()
        return arrived

    for election in elections:
        _, watcher = await loop.create_connection(
            lambda e=election: RawWatcher(parts.netloc, f"/elections/{e}?since=1", arrived_in(e)),
            parts.hostname, parts.port)
        await watcher.upgraded
    print("connected", flush=True)
    await done.wait()
    Path(out).write_text(json.dumps(arrivals))
    print("done", flush=True)


def frame(seq: int, key: str) -> str:
    choice = {"y": "yes", "n": "no", "v": "void"}[key]
    at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return json.dumps({"seq": seq, "at": at, "type": "ballot", "choice": choice},
                      separators=(",", ":"))


async def put_headers(hub: str, headers: dict[str, str]) -> None:
    """Publish each election's header, so that the watchers can join before the first key."""
    from websockets.asyncio.client import connect

    for election, line in headers.items():
        async with connect(f"{hub}/elections/{election}/publish", compression=None,
                           additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            await ws.recv()  # {"last": 0}
            await ws.send(line)
            assert "ack" in await ws.recv()


async def type_ours(hub: str, opened, keys: int) -> dict[int, float]:
    from feeds.publishing import CountPublisher
    from tui.count_app import CountDashboard

    publisher = CountPublisher(opened.events, hub, TOKEN)
    app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher)
    typed: dict[int, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while publisher.link.state != "live" or publisher.link.seq < 1:
            await asyncio.sleep(0.02)
        await pilot.pause(0.3)
        for i in range(keys):
            typed[i + 2] = time.monotonic()
            await pilot.press(KEYS[i % len(KEYS)])
            await asyncio.sleep(PACE)
        await publisher.publisher.flushed()
    opened.journal.close()
    return typed


async def type_baseline(hub: str, election: str, keys: int) -> dict[int, float]:
    from textual.app import App
    from textual.binding import Binding
    from websockets.asyncio.client import connect

    async with connect(f"{hub}/elections/{election}/publish", compression=None,
                       additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.recv()  # {"last": 1}: put_headers sent it
        acks = asyncio.create_task(_drain(ws))

        class Minimal(App):
            BINDINGS = [Binding(k, f"send('{k}')", k) for k in "ynv"]
            seq = 1

            async def action_send(self, key: str) -> None:
                self.seq += 1
                await ws.send(frame(self.seq, key))

        app = Minimal()
        typed: dict[int, float] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            for i in range(keys):
                typed[i + 2] = time.monotonic()
                await pilot.press(KEYS[i % len(KEYS)])
                await asyncio.sleep(PACE)
        acks.cancel()
    return typed


async def _drain(ws) -> None:
    async for _ in ws:
        pass


def latencies(typed: dict[int, float], arrived: dict[str, float]) -> list[float]:
    return sorted(arrived[str(seq)] - t for seq, t in typed.items())


def pct(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "watch":
        url, elections, counts, out = sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5]
        return asyncio.run(watch(url, elections, [int(c) for c in counts.split(",")], out))
    from feeds.counting import open_count
    from tally.schema import dump_event

    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        work = Path(tmp)
        hub, url = start_hub(work / "hub")
        results: dict[str, list[list[float]]] = {"ours": [], "base": []}
        try:
            for r in range(args.rounds):
                ours, base = f"ours-{r}", f"base-{r}"
                out = work / f"arrivals-{r}.json"
                opened = open_count(work / f"{ours}.jsonl",
                                    {"id": ours, "title": "Bench", "ballots": args.keys * 10})
                asyncio.run(put_headers(url, {
                    ours: dump_event(opened.events[0]),
                    base: json.dumps({"seq": 1, "type": "election", "id": base, "title": "Bench"})}))
                # every event from seq 2 on (since=1): the headers are on the hub already
                watcher = subprocess.Popen(
                    [sys.executable, str(HERE), "watch", url, f"{ours},{base}",
                     f"{args.keys},{args.keys}", str(out)],
                    stdout=subprocess.PIPE, text=True)
                assert watcher.stdout.readline().strip() == "connected"
                typed_ours = asyncio.run(type_ours(url, opened, args.keys))
                typed_base = asyncio.run(type_baseline(url, base, args.keys))
                assert watcher.stdout.readline().strip() == "done"
                watcher.wait()
                arrived = json.loads(out.read_text())
                for kind, typed, election in (("ours", typed_ours, ours), ("base", typed_base, base)):
                    xs = latencies(typed, arrived[election])
                    results[kind].append(xs)
                    first = arrived[election][str(min(typed))] - typed[min(typed)]
                    print(f"  round {r + 1} {kind:>4}: p50 {pct(xs, 0.5) * 1e3:5.2f} ms, "
                          f"p99 {pct(xs, 0.99) * 1e3:5.2f} ms, max {xs[-1] * 1e3:5.2f} ms "
                          f"(first key {first * 1e3:.2f} ms)", flush=True)
        finally:
            hub.terminate()
            hub.wait()
    p50 = {k: [pct(xs, 0.5) for xs in v] for k, v in results.items()}
    p99 = {k: [pct(xs, 0.99) for xs in v] for k, v in results.items()}
    print(f"{args.rounds} rounds of {args.keys} keys, {load_average()} at the end:")
    for kind, name in (("ours", "tally count --publish"), ("base", "minimal publisher")):
        print(f"  {name}: p50 median {median(p50[kind]) * 1e3:.2f} ms "
              f"({min(p50[kind]) * 1e3:.2f}–{max(p50[kind]) * 1e3:.2f} over rounds), "
              f"p99 median {median(p99[kind]) * 1e3:.2f} ms "
              f"({min(p99[kind]) * 1e3:.2f}–{max(p99[kind]) * 1e3:.2f})")
    print(f"  ratio of p50 medians: {median(p50['ours']) / median(p50['base']):.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
