"""Entry-to-screen time of `tally count`: a key, its fsync'd journal line, the repainted screen.

Run: python bench/bench_entry.py [--keys N] [--serve]

For each key typed (at a brisk human pace, 10 a second) the time from the key's
action to the end of the repaint that shows it, measured inside the app. The
same run without fsync (os.fsync replaced by a no-op) is the baseline: the
ratio is what durability costs a person at the keyboard.

With --serve, the same keys on a count that serves its page (`tally count
--serve`: a hub in the same event loop, which stores each entry again, fsync'd,
when the count's own publisher sends it): set against the same count without
it, the ratio is what serving the page costs the person at the keyboard.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.counting import open_count  # noqa: E402
from feeds.serving import open_served  # noqa: E402
from tui.cli import count_publisher  # noqa: E402
from tui.count_app import CountDashboard  # noqa: E402


class Timed(CountDashboard):
    """Records, for each entry, the seconds from its key to the end of the repaint showing it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.latencies: list[float] = []
        self._typed: float | None = None

    def save(self, fields: dict) -> bool:
        self._typed = time.perf_counter()
        return super().save(fields)

    def _frame_drawn(self, started: float) -> None:
        super()._frame_drawn(started)
        if self._typed is not None:
            self.latencies.append(time.perf_counter() - self._typed)
            self._typed = None


async def type_keys(path: Path, keys: int, serve: bool = False) -> list[float]:
    served = open_served(path, "127.0.0.1:0") if serve else None
    opened = open_count(path, {"title": "Bench", "ballots": keys * 30})
    if served is not None:
        served.show(opened.live.count.election.id)
    app = Timed(opened.journal, opened.live, opened.repaired, count_publisher(opened, served),
                served=served)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        for i in range(keys):
            await pilot.press("yn"[i % 2] if i % 7 else "v")
            await asyncio.sleep(0.1)
    opened.journal.close()
    return app.latencies


def describe(xs: list[float]) -> str:
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    return f"median {statistics.median(xs) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {xs[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--serve", action="store_true", help="the cost of serving the page instead")
    args = parser.parse_args()
    if args.serve:
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
            served = asyncio.run(type_keys(Path(tmp) / "served.jsonl", args.keys, serve=True))
            alone = asyncio.run(type_keys(Path(tmp) / "alone.jsonl", args.keys))
        print(f"entry to screen, serving the page ({len(served)} keys): {describe(served)}")
        print(f"entry to screen, not serving (baseline): {describe(alone)}")
        print(f"ratio (medians): {statistics.median(served) / statistics.median(alone):.2f}")
        return
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
        durable = asyncio.run(type_keys(Path(tmp) / "fsync.jsonl", args.keys))
        with mock.patch("feeds.journal.os.fsync", lambda fd: None):
            baseline = asyncio.run(type_keys(Path(tmp) / "nofsync.jsonl", args.keys))
        fd = os.open(Path(tmp) / "probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        fsyncs = []
        for _ in range(50):
            os.write(fd, b"x" * 80 + b"\n")
            t = time.perf_counter()
            os.fsync(fd)
            fsyncs.append(time.perf_counter() - t)
        os.close(fd)
    print(f"entry to screen, with fsync ({len(durable)} keys): {describe(durable)}")
    print(f"entry to screen, no fsync (baseline): {describe(baseline)}")
    print(f"one fsync of an 81-byte append on this disk: {describe(fsyncs)}")
    print(f"ratio (medians): {statistics.median(durable) / statistics.median(baseline):.2f}")


if __name__ == "__main__":
    main()
