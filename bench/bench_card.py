"""The preview card's cost: its render time, and what re-rendering it does to a publisher's acks.

Run: python bench/bench_card.py [--events 300] [--gap 0.01] [--watchers 100] [--rounds 2]

1. Render time, in this process: `feeds.card.count_card` of a yes/no count
   with ~19,700 ballots unopened (the needle, the model, Pillow), and the
   Pillow part alone (`render` of words already made).
2. A publish ack's round trip on a hub (`run_hub`, in its own process) with
   `--watchers` watchers on each of two elections, "a" and "b"; b's card has
   been asked for (GET /card/b.png), so while b changes the hub re-renders it
   at most once a second, and it is fetched again every second (a chat app
   polling). Phases alternate, same pacing: A = publish to a (no card
   re-rendering), B = publish to b (the card re-rendering). Reported: p50 and
   p99 of each, and B/A of the p99 (target ≤ 1.2).
   Run twice: the card made in a worker process (the hub's way), then in a
   worker thread (what a thread would cost the loop, for comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
BALLOTS = 20_000
PRESEED = 300


def events(election_id: str, n: int, seed: int) -> list[str]:
    """A yes/no count's header and `n` ballots (45 % yes), as frames."""
    rng = random.Random(seed)
    head = {"seq": 1, "type": "election", "id": election_id, "title": f"Bench count {election_id}",
            "union": "Bench Workers United", "eligible": 2 * BALLOTS, "ballots": BALLOTS}
    frames = [json.dumps(head)]
    for seq in range(2, n + 2):
        frames.append(json.dumps({"seq": seq, "type": "ballot", "choice": "yes" if rng.random() < 0.45 else "no"}))
    return frames


def render_times(reps: int) -> tuple[list[float], list[float]]:
    from feeds.card import count_card, render
    from tally.odds import odds_json
    from tally.present import card_words, odds_from_json, present
    from tally.reducer import Count
    from tally.schema import parse_event

    count = Count()
    for frame in events("r", PRESEED, 1):
        count.apply(parse_event(frame))
    snap = count.snapshot()
    whole, pillow = [], []
    words = card_words(present(snap, odds_from_json(odds_json(snap))))
    count_card(snap)  # fonts loaded once, as in the worker
    for _ in range(reps):
        t0 = time.perf_counter()
        count_card(snap)
        whole.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render(words)
        pillow.append(time.perf_counter() - t0)
    return whole, pillow


# -- the hub, in its own process -----------------------------------------------

def child(mode: str, data: str) -> None:
    """The hub: `run_hub` as `tally serve` runs it, its cards made in a `mode` ("process" or "thread")."""
    from concurrent.futures import ThreadPoolExecutor

    from feeds.hub.server import bound_port, run_hub

    class InAThread:
        """The baseline: `Workers`' two calls, a card made in a thread of the hub's process."""

        def __init__(self) -> None:
            self.pool = ThreadPoolExecutor(1)

        def run(self, fn, *args):
            return asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

        def close(self) -> None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def ready(hub, server) -> None:
        if mode == "thread":
            hub.cards._pool = InAThread()
            hub.cards.budget = None  # the needle's timer signal works only in a main thread
        print(bound_port(server), flush=True)

    try:
        asyncio.run(run_hub("127.0.0.1", 0, data, TOKEN, ready=ready))
    except KeyboardInterrupt:
        pass


class Watcher:
    def __init__(self, url: str) -> None:
        self.url = url
        self.frames = 0

    async def run(self, joined: list[int]) -> None:
        async with connect(self.url, compression=None, max_queue=None, open_timeout=60) as ws:
            joined[0] += 1
            async for _ in ws:
                self.frames += 1


async def acks(url: str, election_id: str, frames: list[str], gap: float) -> list[float]:
    async with connect(f"{url}/elections/{election_id}/publish", compression=None,
                       additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        last = json.loads(await ws.recv())["last"]
        times = []
        for frame in frames:
            if json.loads(frame)["seq"] <= last:
                continue
            t0 = time.perf_counter()
            await ws.send(frame)
            answer = json.loads(await ws.recv())
            times.append(time.perf_counter() - t0)
            assert "ack" in answer, answer
            await asyncio.sleep(gap)
        return times


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.read()


async def poll_card(http: str, seen: set[bytes], stop: asyncio.Event) -> None:
    while not stop.is_set():
        seen.add(await asyncio.to_thread(fetch, f"{http}/card/b.png"))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def measure(mode: str, args: argparse.Namespace) -> dict[str, list[float] | int]:
    n = PRESEED + args.events * args.rounds
    frames = {e: events(e, n, seed) for e, seed in (("a", 2), ("b", 3))}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        data.mkdir()
        for e, f in frames.items():
            (data / f"{e}.jsonl").write_text("\n".join(f[:PRESEED + 1]) + "\n")
        hub = subprocess.Popen([sys.executable, __file__, "--child", mode, str(data)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
        tasks = []
        try:
            port = int(hub.stdout.readline())
            url, http = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
            joined = [0]
            crowd = [Watcher(f"{url}/elections/{e}?since={PRESEED + 1}") for e in "ab" for _ in range(args.watchers)]
            tasks = [asyncio.create_task(w.run(joined)) for w in crowd]
            while joined[0] < len(crowd):
                await asyncio.sleep(0.05)
            await asyncio.to_thread(fetch, f"{http}/card/b.png")  # asked for: kept fresh from now on
            out: dict[str, list[float] | int] = {"A": [], "B": [], "cards": 0}
            seen: set[bytes] = set()
            for r in range(args.rounds):
                part = slice(PRESEED + 1 + r * args.events, PRESEED + 1 + (r + 1) * args.events)
                out["A"] += await acks(url, "a", frames["a"][part], args.gap)
                await asyncio.sleep(1.5)  # nothing of A's left to do
                stop = asyncio.Event()
                poller = asyncio.create_task(poll_card(http, seen, stop))
                out["B"] += await acks(url, "b", frames["b"][part], args.gap)
                stop.set()
                await poller
                await asyncio.sleep(1.5)  # the last card made
            out["cards"] = len(seen)
            return out
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            hub.send_signal(signal.SIGINT)  # as Ctrl-C: the hub ends its workers itself
            hub.wait()


def p(times: list[float], q: float) -> float:
    return 1000 * statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


async def main(args: argparse.Namespace) -> None:
    load = os.getloadavg()
    whole, pillow = render_times(args.reps)
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    print(f"card render ({args.reps} runs, {BALLOTS - PRESEED:,} ballots unopened): "
          f"needle + model + Pillow median {1000 * statistics.median(whole):.1f} ms "
          f"(max {1000 * max(whole):.1f}); Pillow alone median {1000 * statistics.median(pillow):.1f} ms "
          f"(max {1000 * max(pillow):.1f})")
    for mode in ("process", "thread"):
        out = await measure(mode, args)
        a, b = out["A"], out["B"]
        print(f"card made in a worker {mode}: publish ack, {len(a)} + {len(b)} events {args.gap:g} s apart, "
              f"{args.watchers} watchers on each election, {out['cards']} distinct cards fetched during B")
        print(f"  A  no card re-rendering  p50 {p(a, 50):6.2f} ms  p99 {p(a, 99):6.2f} ms")
        print(f"  B  card re-rendering     p50 {p(b, 50):6.2f} ms  p99 {p(b, 99):6.2f} ms"
              f"  → p99 B/A = {p(b, 99) / p(a, 99):.2f} (target ≤ 1.2)")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:4])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="events per phase")
    parser.add_argument("--gap", type=float, default=0.01, help="seconds between two events")
    parser.add_argument("--watchers", type=int, default=100, help="watchers on each election")
    parser.add_argument("--rounds", type=int, default=2, help="A then B, this many times")
    parser.add_argument("--reps", type=int, default=20, help="card renders timed")
    asyncio.run(main(parser.parse_args()))
