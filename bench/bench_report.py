"""`tally report` on 1,000,000 ballots against the simplest correct stdlib program.

Run: python bench/bench_report.py [--ballots N] [--rounds K]. Both run as fresh
processes, alternately, so start-up and machine noise fall on both alike.
The baseline parses each line with json.loads and counts the choices: it
checks nothing, so a ratio at or under 1.0 means validation is free.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from common import big_file, compare, run_timed

BASELINE = r"""
import json, sys
counts = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        event = json.loads(line)
        if event["type"] == "ballot":
            counts[event["choice"]] = counts.get(event["choice"], 0) + event.get("count", 1)
print(counts)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = big_file(args.ballots)
    tally = shutil.which("tally") or sys.exit("install tally first (pip install -e .)")
    _, out = run_timed([tally, "report", str(path)])
    print(out.strip().splitlines()[-1])
    compare(f"report of {args.ballots:,} ballots",
            [tally, "report", str(path)], [sys.executable, "-c", BASELINE, str(path)],
            rounds=args.rounds)


if __name__ == "__main__":
    main()
