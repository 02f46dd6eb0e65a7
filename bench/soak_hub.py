"""Soak: `tally serve` SIGKILLed and restarted at random moments under a live count.

Run: python bench/soak_hub.py [--restarts 100] [--watchers 20] [--rate 400]
     [--min-up 0.1] [--max-up 1.0] [--seed 1] [--timeout 900]

Not part of CI. Everything is on 127.0.0.1 and in a temporary directory; the
run stops by itself (after the last restart, once everyone has caught up, or
at --timeout).

- The hub is the real `tally serve`, in its own process, on one port. After
  each random uptime (--min-up to --max-up seconds after it says it listens)
  it is killed with SIGKILL, wherever it is (mid-fsync, mid-broadcast), and
  started again on the same port and directory.
- The publisher is the project's `feeds.publisher.Publisher`, fed a synthetic
  count (ballots, piles, challenged ballots, retractions, notes) at --rate
  events a second for the whole run; it reconnects by itself.
- The watchers are raw websockets clients, not `feeds.watcher`: each notes
  every frame exactly as it arrives, and after any disconnect asks again with
  ``?since=`` the last seq it has. Nothing is filtered, so a frame sent twice
  or out of order would show.

At the end every watcher's frames must equal the hub's file, line for line:
no loss, no double, same order. Exit code 0 if so, 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.link import delays  # noqa: E402
from feeds.publisher import Publisher  # noqa: E402
from tally.schema import Event, dump_event, parse_event  # noqa: E402

ELECTION = "soak"
TOKEN = "soak-token"
LISTENING = re.compile(rb"listening on ws://127\.0\.0\.1:(\d+) ")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=100)
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=400.0, help="events a second from the publisher")
    parser.add_argument("--min-up", type=float, default=0.1, help="shortest uptime before a kill (s)")
    parser.add_argument("--max-up", type=float, default=1.0, help="longest uptime before a kill (s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    return parser.parse_args()


# -- the hub, as a process -----------------------------------------------------

@dataclass
class HubProcess:
    data: Path
    token_file: Path
    port: int = 0
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    repaired: int = 0  # torn last lines cut off on start (a kill mid-write)
    start_seconds: list[float] = field(default_factory=list)
    stderr: list[bytes] = field(default_factory=list)

    async def start(self) -> None:
        began = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui.cli", "serve", "--port", str(self.port),
            "--data", str(self.data), "--token-file", str(self.token_file),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
            if not line:
                err = await self.proc.stderr.read()
                raise RuntimeError(f"tally serve did not start: {err.decode(errors='replace')}")
            if b"incomplete last line" in line:
                self.repaired += 1
            if listening := LISTENING.search(line):
                self.port = int(listening[1])
                break
        self.starts += 1
        self.start_seconds.append(time.monotonic() - began)

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.stderr.append(await self.proc.stderr.read())

    async def stop(self) -> None:
        self.proc.terminate()
        await self.proc.wait()
        self.stderr.append(await self.proc.stderr.read())


# -- the count ----------------------------------------------------------------

class Count:
    """A synthetic count that keeps the rules: what a keyboard count would publish."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[Event] = []
        self.events.append(self._event({
            "type": "election", "id": ELECTION, "title": "Soak count", "union": "Soak Workers United",
            "ballots": 10_000_000}))
        self.retractable: list[int] = []  # ballots and challenged ballots not yet retracted

    def _event(self, fields: dict) -> Event:
        return parse_event(json.dumps({"seq": len(self.events) + 1, **fields}))

    def grow(self, n: int) -> None:
        for _ in range(n):
            roll = self.rng.random()
            if roll < 0.02 and self.retractable:
                target = self.retractable.pop(self.rng.randrange(len(self.retractable)))
                fields = {"type": "retract", "target": target}
            elif roll < 0.04:
                fields = {"type": "note", "text": f"note {len(self.events) + 1}"}
            elif roll < 0.07:
                fields = {"type": "challenged", "count": 1}
            elif roll < 0.10:
                fields = {"type": "ballot", "choice": self.rng.choice(["yes", "no"]),
                          "count": self.rng.randint(2, 50)}
            else:
                fields = {"type": "ballot", "choice": self.rng.choices(["yes", "no", "void"], [50, 48, 2])[0]}
            event = self._event(fields)
            if fields["type"] in ("ballot", "challenged"):
                self.retractable.append(event.seq)
            self.events.append(event)


# -- a raw watcher --------------------------------------------------------------

@dataclass
class RawWatcher:
    url: str
    frames: list[str] = field(default_factory=list)
    last: int = 0
    connects: int = 0
    refused: Counter = field(default_factory=Counter)  # why a connect or a link failed
    out_of_order: int = 0  # frames with a seq other than last + 1 (none expected)

    async def run(self, done: asyncio.Event, rng: random.Random) -> None:
        while not done.is_set():
            try:
                async with connect(f"{self.url}/elections/{ELECTION}?since={self.last}",
                                   compression=None, open_timeout=5, close_timeout=1) as ws:
                    self.connects += 1
                    async for frame in ws:
                        self.frames.append(frame)  # as it came: a double or a gap would show
                        seq = json.loads(frame)["seq"]
                        if seq != self.last + 1:
                            self.out_of_order += 1
                        self.last = max(self.last, seq)
                        if done.is_set():
                            return
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                self.refused[type(exc).__name__] += 1
            await asyncio.sleep(rng.uniform(0.05, 0.3))  # reconnect, with some jitter


# -- the run ----------------------------------------------------------------------

async def soak(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    began = time.monotonic()
    deadline = began + args.timeout
    with tempfile.TemporaryDirectory(prefix="tally-soak-") as tmp:
        tmp = Path(tmp)
        token_file = tmp / "token"
        token_file.write_text(TOKEN + "\n")
        token_file.chmod(0o600)  # a token file others can read is refused
        hub = HubProcess(tmp / "data", token_file)
        await hub.start()
        url = f"ws://127.0.0.1:{hub.port}"

        count = Count(rng)
        links: Counter = Counter()
        publisher = Publisher(count.events, url, TOKEN, wait=delays(first=0.05, most=0.5),
                              on_link=lambda link: links.update([link.state]))
        publishing = asyncio.create_task(publisher.run())
        producing = asyncio.Event()
        producing.set()

        async def produce() -> None:
            """Events at args.rate a second, in 10 ms slices, until the restarts are done."""
            owed = 0.0
            while producing.is_set():
                await asyncio.sleep(0.01)
                owed += args.rate * 0.01
                count.grow(int(owed))
                owed -= int(owed)
                publisher.notify()

        producer = asyncio.create_task(produce())
        done = asyncio.Event()
        watchers = [RawWatcher(url) for _ in range(args.watchers)]
        watching = [asyncio.create_task(w.run(done, random.Random(rng.random()))) for w in watchers]

        ups = []
        try:
            for i in range(args.restarts):
                up = rng.uniform(args.min_up, args.max_up)
                ups.append(up)
                await asyncio.sleep(up)
                await hub.kill()
                await hub.start()
                if publisher.link.state == "refused":
                    raise RuntimeError(f"the publisher was refused: {publisher.link.detail}")
                if time.monotonic() > deadline:
                    raise RuntimeError("timed out during the restarts")
                print(f"\rrestart {i + 1}/{args.restarts}: {len(count.events):,} events made, "
                      f"{publisher.acked:,} acknowledged", end="", file=sys.stderr, flush=True)
            print(file=sys.stderr)
            producing.clear()
            await producer
            total = len(count.events)
            left = max(deadline - time.monotonic(), 1)
            if not await asyncio.wait_for(publisher.flushed(), left):
                raise RuntimeError(f"the publisher stopped: {publisher.link}")
            while any(w.last < total for w in watchers):
                if time.monotonic() > deadline:
                    raise RuntimeError("timed out waiting for the watchers")
                await asyncio.sleep(0.05)
        finally:
            done.set()
            producing.clear()
            publisher.close()
            await asyncio.gather(publishing, producer, return_exceptions=True)
            for task in watching:
                task.cancel()
            await asyncio.gather(*watching, return_exceptions=True)
            await hub.stop()

        stored = (hub.data / f"{ELECTION}.jsonl").read_text().splitlines()
        duration = time.monotonic() - began
        return report(args, hub, count, publisher, links, watchers, stored, ups, duration)


def report(args, hub: HubProcess, count: Count, publisher: Publisher, links: Counter,
           watchers: list[RawWatcher], stored: list[str], ups: list[float], duration: float) -> int:
    seqs = [json.loads(line)["seq"] for line in stored]
    problems = []
    if seqs != list(range(1, len(count.events) + 1)):
        problems.append("the hub's file is not seq 1..N")
    if stored != [dump_event(e) for e in count.events]:
        problems.append("the hub's file differs from what was published")
    losses = doubles = disorder = 0
    for i, w in enumerate(watchers):
        got = [json.loads(f)["seq"] for f in w.frames]
        seen = Counter(got)
        losses += sum(1 for s in seqs if s not in seen)
        doubles += sum(n - 1 for n in seen.values() if n > 1)
        disorder += w.out_of_order
        if w.frames != stored:
            problems.append(f"watcher {i}: its frames differ from the hub's file")
    tracebacks = sum(err.count(b"Traceback") for err in hub.stderr)
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks on the hub's stderr")
    refused = sum((w.refused for w in watchers), Counter())
    print(f"""
soak: tally serve SIGKILLed and restarted {args.restarts} times (seed {args.seed})
  duration                 {duration:.1f} s
  hub starts               {hub.starts} (start to listening: median {sorted(hub.start_seconds)[len(hub.start_seconds) // 2]:.2f} s, max {max(hub.start_seconds):.2f} s)
  uptime before each kill  {min(ups):.2f}–{max(ups):.2f} s
  events published         {len(count.events):,} (acknowledged {publisher.acked:,}; in the file {len(stored):,})
  publisher                {links['offline']} offline reports, {links['live']} live reports, final: {publisher.link.state}
  watchers                 {len(watchers)}, {sum(w.connects for w in watchers):,} connections, {sum(len(w.frames) for w in watchers):,} frames
  failed connects/links    {dict(refused) or 'none'}
  torn last lines cut      {hub.repaired} (a kill in mid-write; never acknowledged, so sent again)
  losses / doubles         {losses} / {doubles}
  frames out of order      {disorder}
  tracebacks on stderr     {tracebacks}
  result                   {'OK: every watcher holds exactly the hub file' if not problems else 'FAILED'}""")
    for line in problems:
        print(f"  problem: {line}")
    return 1 if problems else 0


def main() -> None:
    args = arguments()
    sys.exit(asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
