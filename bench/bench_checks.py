"""What a check costs the hub per published event: one check attached against none.

Run: python bench/bench_checks.py [--events N] [--rounds K]

A real hub (`tally serve`, its own process, the file store: every event
fsync'd) and real publishers (feeds.publisher.Publisher, in this process).
Each round publishes two streams of N ballots at once, as fast as the hub
acknowledges them (the publisher's window of 64), and reads the hub's CPU
time (/proc/PID/stat) before and after:

- baseline: two elections, each with its own main count;
- ours: one election, its main count and a check count of it (``--check b``)
  that calls the same ballots, so that every event applied to either is
  followed by the hub's comparison (tally.verify.Comparison.update), a new
  ``checks`` entry in GET /elections and a ``{"checks": [...]}`` frame to the
  one watcher that asked for them (``checks=1``). The baseline has a watcher
  on each election.

The figure is the hub's CPU seconds per published event (2N events a round,
both arms), alternated round by round with fresh elections; printed as
medians with their range, and the ratio. Target: ours ≤ 1.2× the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from bench_hub import TOKEN, cpu_seconds, start_hub  # noqa: E402
from common import load_average, median  # noqa: E402


def events(election_id: str, n: int) -> list:
    from tally.schema import parse_event

    head = {"seq": 1, "type": "election", "id": election_id, "title": "Benchmark",
            "union": "Bench Workers United"}
    out = [parse_event(json.dumps(head))]
    for seq in range(2, n + 2):
        choice = "yes" if seq % 7 < 3 else "no" if seq % 7 < 6 else "void"
        out.append(parse_event(json.dumps({"seq": seq, "type": "ballot", "choice": choice})))
    return out


async def drain(url: str, stop: asyncio.Event) -> None:
    """A watcher that reads everything it is sent until told to stop."""
    from websockets.asyncio.client import connect

    async with connect(url, compression=None, max_size=None) as ws:
        while not stop.is_set():
            try:
                await asyncio.wait_for(ws.recv(), 0.2)
            except TimeoutError:
                pass


async def headers_first(hub: str, streams: list[tuple[list, str | None]]) -> None:
    """Each stream's header, alone and in order: a check is refused until its election is on the hub,
    and a watcher waits for it."""
    from feeds.publisher import Publisher

    for evs, check in streams:
        publisher = Publisher(evs[:1], hub, TOKEN, check=check)
        task = asyncio.create_task(publisher.run())
        assert await publisher.flushed(), publisher.link
        publisher.close()
        await task


async def publish_all(hub: str, streams: list[tuple[list, str | None]]) -> float:
    """Publish every stream at once (their headers are on the hub), until all are acknowledged; seconds."""
    from feeds.publisher import Publisher

    started = time.perf_counter()
    publishers = [Publisher(evs, hub, TOKEN, check=check) for evs, check in streams]
    tasks = [asyncio.create_task(p.run()) for p in publishers]
    for publisher in publishers:
        assert await publisher.flushed(), publisher.link
    for publisher in publishers:
        publisher.close()
    await asyncio.gather(*tasks)
    return time.perf_counter() - started


async def one_round(hub: str, pid: int, kind: str, r: int, n: int) -> tuple[float, float]:
    """(hub CPU seconds per published event, wall seconds) of one round of `kind`."""
    stop = asyncio.Event()
    if kind == "ours":
        a = events(f"checked-{r}", n)
        streams = [(a, None), (a, "b")]
        watch = [f"{hub}/elections/checked-{r}?checks=1"]
    else:
        streams = [(events(f"base-{r}", n), None), (events(f"other-{r}", n), None)]
        watch = [f"{hub}/elections/base-{r}", f"{hub}/elections/other-{r}"]
    await headers_first(hub, streams)  # the watchers need their elections; then the clock starts
    watchers = [asyncio.create_task(drain(u, stop)) for u in watch]
    await asyncio.sleep(0.2)
    before = cpu_seconds(pid)
    wall = await publish_all(hub, streams)
    used = cpu_seconds(pid) - before
    stop.set()
    await asyncio.gather(*watchers)
    return used / (2 * n), wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000, help="ballots per stream per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, hub = start_hub(Path(tmp) / "data")
        try:
            ours, base, walls = [], [], {"ours": [], "baseline": []}
            for r in range(args.rounds):
                for kind, into in (("baseline", base), ("ours", ours)):
                    cost, wall = asyncio.run(one_round(hub, proc.pid, kind, r, args.events))
                    into.append(cost)
                    walls[kind].append(wall)
        finally:
            proc.kill()
            proc.wait()
    us = 1e6
    print(f"bench_checks: {args.rounds} rounds of 2 × {args.events:,} events, {load_average()} at the end")
    print(f"  hub CPU per event: ours (main + one check) median {median(ours) * us:.1f} µs "
          f"({min(ours) * us:.1f}–{max(ours) * us:.1f}); baseline (two mains) median "
          f"{median(base) * us:.1f} µs ({min(base) * us:.1f}–{max(base) * us:.1f})")
    print(f"  wall per round: ours median {median(walls['ours']):.2f} s; baseline "
          f"{median(walls['baseline']):.2f} s")
    print(f"  ratio ours/baseline: {median(ours) / median(base):.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
