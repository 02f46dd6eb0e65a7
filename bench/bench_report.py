"""`tally report` on 1,000,000 ballots against the simplest correct stdlib program.

Run: python bench/bench_report.py [--ballots N] [--rounds K]. Both run as fresh
processes, alternately, so start-up and machine noise fall on both alike.
The baseline reads the file as text, streaming, and parses each line with
json.loads (a str: json.loads of bytes detects the encoding again on every
line, which made an earlier baseline 1.3–1.5× slower than it needs to be), and
counts the choices: it checks nothing, so a ratio at or under 1.0 means
validation is free. Time and peak RSS (each process's own) of both.
"""

from __future__ import annotations

import sys

from common import arguments, big_file, compare, run_timed, tally_command

BASELINE = r"""
import json, sys
counts = {}
with open(sys.argv[1]) as f:
    for line in f:
        event = json.loads(line)
        if event["type"] == "ballot":
            counts[event["choice"]] = counts.get(event["choice"], 0) + event.get("count", 1)
print(counts)
"""


def main() -> None:
    args = arguments(rounds=5)
    path = big_file(args.ballots)
    tally = tally_command()
    _, out = run_timed([tally, "report", str(path)])
    print(out.strip().splitlines()[-1])
    compare(f"report of {args.ballots:,} ballots",
            [tally, "report", str(path)], [sys.executable, "-c", BASELINE, str(path)],
            rounds=args.rounds)


if __name__ == "__main__":
    main()
