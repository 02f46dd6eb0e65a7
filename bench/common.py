"""Shared helpers for the benchmarks: big event files and fair timing."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def big_file(ballots: int = 1_000_000, seed: int = 1) -> Path:
    """A yes/no count of `ballots` single-ballot events, made once and kept in bench/out/."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"count-{ballots}.jsonl"
    if path.exists():
        return path
    rng = random.Random(seed)
    header = {"seq": 1, "type": "election", "id": "bench", "title": "Benchmark count",
              "union": "Bench Workers United", "eligible": ballots * 2, "ballots": ballots,
              "at": "2022-05-02T13:00:00-04:00"}
    choices = ("yes", "no", "void")
    weights = (45, 54, 1)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        f.write(json.dumps(header, separators=(",", ":")) + "\n")
        picks = rng.choices(choices, weights, k=ballots)
        for i, choice in enumerate(picks, 2):
            f.write(f'{{"seq":{i},"type":"ballot","choice":"{choice}",'
                    f'"at":"2022-05-02T13:{(i // 60) % 60:02d}:{i % 60:02d}-04:00"}}\n')
    tmp.rename(path)
    return path


def run_measured(cmd: list[str]) -> tuple[float, str, int]:
    """Wall-clock seconds of one command, its stdout, and its peak RSS in KiB (it must succeed).

    The peak is the child's own (`wait4`'s rusage), so each fresh process is
    measured alone.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({child.returncode}): {stderr.strip()}")
    return elapsed, stdout, usage.ru_maxrss


def run_timed(cmd: list[str]) -> tuple[float, str]:
    """Wall-clock seconds of one command, and its stdout (it must succeed)."""
    elapsed, stdout, _ = run_measured(cmd)
    return elapsed, stdout


def spread(xs: list[float], unit: str = "s", scale: float = 1.0, digits: int = 3) -> str:
    """median (min–max) of a list of figures."""
    xs = sorted(x * scale for x in xs)
    return f"median {xs[len(xs) // 2]:.{digits}f} {unit} ({xs[0]:.{digits}f}–{xs[-1]:.{digits}f})"


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2]


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare(name: str, ours: list[str], baseline: list[str], rounds: int = 5) -> float:
    """Alternate the two commands `rounds` times; print medians, spread, peak RSS and the ratios."""
    a, b, rss_a, rss_b = [], [], [], []
    for _ in range(rounds):
        t, _, rss = run_measured(ours)
        a.append(t), rss_a.append(rss)
        t, _, rss = run_measured(baseline)
        b.append(t), rss_b.append(rss)
    ratio = median(a) / median(b)
    print(f"{name}, {rounds} rounds, {load_average()} at the end:")
    print(f"  time: ours {spread(a)}; baseline {spread(b)}; ratio {ratio:.2f}")
    print(f"  peak RSS: ours {spread(rss_a, 'MiB', 1 / 1024, 1)}; baseline "
          f"{spread(rss_b, 'MiB', 1 / 1024, 1)}; ratio {median(rss_a) / median(rss_b):.2f}")
    return ratio


def arguments(rounds: int) -> argparse.Namespace:
    """--ballots N (default 1,000,000) and --rounds K, shared by the file benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=rounds)
    return parser.parse_args()


def tally_command() -> str:
    return shutil.which("tally") or sys.exit("install tally first (pip install -e .)")
