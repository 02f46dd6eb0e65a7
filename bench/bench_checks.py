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

Two figures, per published event (2N events a round, both arms), the arms
alternated round by round with fresh elections, after one round of each
not kept (the hub's first events warm its caches):

- **instructions** the hub executes (Valgrind's callgrind, the hub run under
  it; counters zeroed before the publishing and dumped after): the same
  code on the same events gives the same count to a few parts in 10,000,
  whatever else the machine does. This is the figure the target is read on.
  It counts the hub's own code, not the kernel's (fsync, sockets), which is
  the same per event in both arms.
- **CPU time** of the hub (user + system, from /proc/PID/task/*/schedstat in
  nanoseconds), with its kernel time: the machine's other work moves it by
  ±20 % from one round to the next (load 1–5), so it is printed as a
  median of the per-round ratios, and read with the load average.

Target: ours ≤ 1.2× the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from bench_hub import TOKEN, start_hub  # noqa: E402
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


class CpuTime:
    """The hub's CPU time (every thread's), in nanoseconds from the scheduler."""

    name, unit, scale = "CPU time", "µs", 1e-3

    def __init__(self, pid: int, tmp: Path) -> None:
        self.pid = pid

    @staticmethod
    def under(tmp: Path) -> tuple[str, ...]:
        return ()

    def read(self) -> int:
        tasks = Path(f"/proc/{self.pid}/task")
        return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir())

    def start(self) -> None:
        self.before = self.read()

    def stop(self) -> float:
        return self.read() - self.before


class Instructions:
    """The instructions the hub executes, counted by callgrind (the hub runs under it)."""

    name, unit, scale = "instructions", "k", 1e-3

    def __init__(self, pid: int, tmp: Path) -> None:
        self.pid, self.out = pid, tmp / "callgrind.out"

    @staticmethod
    def under(tmp: Path) -> tuple[str, ...]:
        return ("valgrind", "--tool=callgrind", "--dump-instr=no", f"--callgrind-out-file={tmp / 'callgrind.out'}")

    def _control(self, what: str) -> None:
        subprocess.run(["callgrind_control", what, str(self.pid)], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self._control("--zero")

    def stop(self) -> float:
        before = set(self.out.parent.glob(self.out.name + "*"))
        self._control("--dump")
        deadline = time.monotonic() + 60
        while not (new := set(self.out.parent.glob(self.out.name + "*")) - before):
            assert time.monotonic() < deadline, "callgrind wrote no dump"
            time.sleep(0.05)
        time.sleep(0.2)  # written whole
        return float(re.search(r"^summary: (\d+)", new.pop().read_text(), re.M)[1])


async def one_round(hub: str, meter, kind: str, r: int, n: int) -> tuple[float, float]:
    """(the meter's reading per published event, wall seconds) of one round of `kind`."""
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
    meter.start()
    wall = await publish_all(hub, streams)
    used = meter.stop()
    stop.set()
    await asyncio.gather(*watchers)
    return used / (2 * n), wall


def measure(meter_of, rounds: int, n: int) -> dict[str, list[float]]:
    """Per-event readings of each arm, round by round (a first round of each not kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, hub = start_hub(Path(tmp) / "data", under=meter_of.under(Path(tmp)))
        meter = meter_of(proc.pid, Path(tmp))
        try:
            got: dict[str, list[float]] = {"baseline": [], "ours": []}
            for r in range(rounds + 1):
                for kind in ("baseline", "ours") if r % 2 else ("ours", "baseline"):
                    cost, _ = asyncio.run(one_round(hub, meter, kind, r, n))
                    if r:
                        got[kind].append(cost)
        finally:
            proc.kill()
            proc.wait()
    return got


def report(meter, got: dict[str, list[float]]) -> float:
    ours, base = got["ours"], got["baseline"]
    ratios = [o / b for o, b in zip(ours, base)]
    s = meter.scale
    print(f"  {meter.name} per event: ours (main + one check) median {median(ours) * s:.1f} {meter.unit} "
          f"({min(ours) * s:.1f}–{max(ours) * s:.1f}); baseline (two mains) median {median(base) * s:.1f} "
          f"{meter.unit} ({min(base) * s:.1f}–{max(base) * s:.1f}); ratio per round "
          f"{', '.join(f'{x:.3f}' for x in ratios)}: median {median(ratios):.3f} (target ≤ 1.2)")
    return median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000, help="ballots per stream per round (CPU time)")
    parser.add_argument("--counted", type=int, default=500,
                        help="ballots per stream per round under callgrind (~50× slower)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"bench_checks: {args.rounds} rounds of each arm; {load_average()} at the start")
    if shutil.which("callgrind_control"):
        got = measure(Instructions, args.rounds, args.counted)
        report(Instructions, got)
    else:
        print("  instructions: not counted (valgrind is not installed: apt-get install valgrind)")
    got = measure(CpuTime, args.rounds, args.events)
    report(CpuTime, got)
    print(f"  load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
