"""The dashboard under a million ballots: `tally replay --max` speed, and quitting mid-flood.

Run: python bench/bench_replay.py [--ballots N] [--rounds K]

1. `tally replay FILE --max`, headless, until the final totals are drawn,
   against `tally report FILE` in the same run (both fresh processes). Target ≤ 1.5.
2. While such a replay floods the app in a real pseudo-terminal, `q` is typed:
   the time until the process has exited, against the same for the smallest
   Textual app (an App with a q binding). Target ≤ 1.5.
3. Memory: the replay's peak RSS for N and for N/10 ballots (bounded ticker and chart).
"""

from __future__ import annotations

import os
import pty
import select
import time
import sys

from common import arguments, big_file, load_average, median, run_timed, spread, tally_command

UNTIL_DRAWN = r"""
import sys, resource, time
from pathlib import Path
from feeds.live import LiveCount
from feeds.replay import Replay
from tui.app import ReplayDashboard

class Timed(Replay):
    ended = 0.0
    async def _flood(self, events):
        done = await super()._flood(events)
        self.ended = time.perf_counter()  # the last event applied
        return done

class UntilDrawn(ReplayDashboard):
    def draw(self, now=False):
        super().draw(now)
        if self.replay.done and self._drawn == self.live.version:
            self.call_after_refresh(self._drawn_final, time.perf_counter())

    def _drawn_final(self, drawn):
        refreshed = time.perf_counter()
        self.exit(f"{self.live.count.snapshot().votes} {drawn - self.replay.ended:.4f} "
                  f"{refreshed - self.replay.ended:.4f}")

app = UntilDrawn(Timed(Path(sys.argv[1]), LiveCount(), fast=True))
print(app.run(headless=True, size=(120, 40)))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

SMALLEST = "from textual.app import App\nclass A(App):\n    BINDINGS = [('q', 'quit', 'Quit')]\nA().run()"


def pty_quit_time(argv: list[str], settle: float = 1.5) -> float:
    """Seconds from typing q in a real pseudo-terminal until the process has exited."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        os.execvp(argv[0], argv)
    end = time.monotonic() + settle
    while time.monotonic() < end:  # let it start, and keep draining what it draws
        _drain(fd, 0.05)
    started = time.perf_counter()
    os.write(fd, b"q")
    while not os.waitpid(pid, os.WNOHANG)[0]:
        _drain(fd, 0.005)
    elapsed = time.perf_counter() - started
    os.close(fd)
    return elapsed


def _drain(fd: int, wait: float) -> None:
    if select.select([fd], [], [], wait)[0]:
        try:
            os.read(fd, 1 << 16)
        except OSError:
            pass


def main() -> None:
    args = arguments(rounds=3)
    path = big_file(args.ballots)
    tally = tally_command()

    replay_times, report_times, rss, drawn, refreshed = [], [], 0, [], []
    for _ in range(args.rounds):
        t, out = run_timed([sys.executable, "-c", UNTIL_DRAWN, str(path)])
        replay_times.append(t)
        rss = int(out.split()[-1])
        drawn.append(float(out.split()[-3]))
        refreshed.append(float(out.split()[-2]))
        report_times.append(run_timed([tally, "report", str(path)])[0])
    a, b = median(replay_times), median(report_times)
    print(f"{args.rounds} rounds, {load_average()} at the end")
    print(f"replay --max of {args.ballots:,} until drawn: median {a:.3f}s "
          f"({min(replay_times):.3f}–{max(replay_times):.3f}); tally report: median {b:.3f}s "
          f"({min(report_times):.3f}–{max(report_times):.3f}); ratio {a / b:.2f}")
    print(f"last event applied to the final totals drawn: {spread(drawn, 'ms', 1e3, 1)}; "
          f"to that frame's repaint done: {spread(refreshed, 'ms', 1e3, 1)}")

    small = big_file(args.ballots // 10)
    _, out = run_timed([sys.executable, "-c", UNTIL_DRAWN, str(small)])
    small_rss = int(out.split()[-1])
    print(f"peak RSS: {rss / 1024:.0f} MiB for {args.ballots:,} ballots, "
          f"{small_rss / 1024:.0f} MiB for {args.ballots // 10:,}")

    times: dict[str, list[float]] = {"ours": [], "base": []}
    for _ in range(max(args.rounds, 5)):
        times["ours"].append(pty_quit_time([tally, "replay", str(path), "--max"]))
        times["base"].append(pty_quit_time([sys.executable, "-c", SMALLEST]))
    q, base = median(times["ours"]), median(times["base"])
    print(f"q during a --max flood: median {q * 1000:.0f} ms "
          f"({min(times['ours']) * 1000:.0f}–{max(times['ours']) * 1000:.0f}); smallest Textual app: "
          f"median {base * 1000:.0f} ms ({min(times['base']) * 1000:.0f}–{max(times['base']) * 1000:.0f}); "
          f"ratio {q / base:.2f}")


if __name__ == "__main__":
    main()
