"""Shared helpers for the benchmarks: big event files and fair timing."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
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


def run_timed(cmd: list[str]) -> tuple[float, str]:
    """Wall-clock seconds of one command, and its stdout (it must succeed)."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout


def compare(name: str, ours: list[str], baseline: list[str], rounds: int = 5) -> float:
    """Alternate the two commands `rounds` times; print medians, spread and the ratio."""
    a, b = [], []
    for _ in range(rounds):
        a.append(run_timed(ours)[0])
        b.append(run_timed(baseline)[0])
    a.sort(), b.sort()
    med_a, med_b = a[len(a) // 2], b[len(b) // 2]
    ratio = med_a / med_b
    print(f"{name}: ours median {med_a:.3f}s (min {a[0]:.3f}, max {a[-1]:.3f}); "
          f"baseline median {med_b:.3f}s (min {b[0]:.3f}, max {b[-1]:.3f}); "
          f"ratio {ratio:.2f}")
    return ratio


def arguments(rounds: int) -> argparse.Namespace:
    """--ballots N (default 1,000,000) and --rounds K, shared by the file benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=rounds)
    return parser.parse_args()


def tally_command() -> str:
    return shutil.which("tally") or sys.exit("install tally first (pip install -e .)")
