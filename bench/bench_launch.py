"""Launch to the first full frame: `tally replay ldj5 --paused` against the smallest Textual app.

Run: python bench/bench_launch.py [--rounds K] [--before DIR]

Both run in a real pseudo-terminal (120×40, TERM=xterm-256color), fresh
processes, alternately. The clock starts at fork; a frame counts once the
text it must show has been written to the terminal (escape sequences
stripped from everything read so far):

- tally: the election's title, "PAUSED" and the speed (the header as it stays
  while paused), and the Footer's "Quit" — the first full frame;
- the smallest Textual app: an App with a q binding and one Static("ready").

Also reported: the first byte each wrote (Textual starting up: imports done).
Target (issue 17): full frame ≤ 1.5× the smallest app's.

--before DIR also measures the tally in DIR (a checkout of an earlier commit, e.g.
`git archive main | tar -x -C DIR`), in the same rounds, with the same Python
and packages: a change is judged against the code before it under the same load.

--instructions counts, instead of timing, the instructions each executes from its start
to the full frame (Valgrind's callgrind; each process ends as it hands that frame to the
terminal): the same figure whatever else the machine runs, where the wall clock of a
shared 2-core host moved by a third between runs (docs/PERFORMANCE.md). What it leaves out
(the kernel's work: fork, exec, page faults, the terminal) is the same for both sides.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import signal
import sys
import tempfile
import time

from common import load_average, median, spread, tally_command

ESCAPE = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
SMALLEST = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class A(App):\n    BINDINGS = [('q', 'quit', 'Quit')]\n"
            "    def compose(self):\n        yield Static('ready')\nA().run()")
TALLY_FULL = [b"Amazon LDJ5, Staten Island", b"PAUSED 100", b"Quit"]
REPLAY = ["replay", "ldj5", "--paused"]
TARGET = 1.5
UNTIL_FULL_FRAME = """import os, re
from textual.drivers.linux_driver import LinuxDriver
_write, _seen = LinuxDriver.write, [b""]
def _until(self, data):
    _seen[0] += data.encode()
    if all(m in re.sub({escape!r}, b"", _seen[0]) for m in {marks!r}):
        os._exit(0)  # the frame is complete: callgrind's count ends here
    return _write(self, data)
LinuxDriver.write = _until
"""
"""Prepended to a measured program under --instructions: it ends when the terminal would get
the full frame (the marks, as `launch` looks for them)."""


def launch(argv: list[str], marks: list[bytes], timeout: float = 30.0,
           warm: bool = False) -> tuple[float, float]:
    """Seconds from fork to the first byte written, and to all of `marks` on the terminal.

    `warm`: a first launch, not measured, that may write the bytecode of what it imports.
    """
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        if warm:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.execvp(argv[0], argv)
    raw, first, full = b"", None, None
    try:
        while full is None and time.perf_counter() - t0 < timeout:
            if not select.select([fd], [], [], 0.002)[0]:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            now = time.perf_counter() - t0
            first = now if first is None else first
            raw += chunk
            text = ESCAPE.sub(b"", raw)
            if all(m in text for m in marks):
                full = now
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if full is None:
        sys.exit(f"{argv}: no full frame within {timeout} s")
    return first, full


def instructions(code: str, marks: list[bytes], timeout: float = 600.0) -> int:
    """Instructions `python -c code` executes to its first frame with all of `marks`, under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        program = UNTIL_FULL_FRAME.format(escape=ESCAPE.pattern, marks=marks) + code
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
            os.execvp("valgrind", ["valgrind", "--tool=callgrind", "--dump-instr=no",
                                   f"--callgrind-out-file={out}", sys.executable, "-c", program])
        t0 = time.perf_counter()
        try:
            while time.perf_counter() - t0 < timeout:
                if select.select([fd], [], [], 0.5)[0]:
                    try:
                        if not os.read(fd, 1 << 16):
                            break
                    except OSError:
                        break
                elif os.waitpid(pid, os.WNOHANG)[0]:
                    pid = 0
                    break
        finally:
            if pid:
                os.waitpid(pid, 0)
            os.close(fd)
        found = re.search(r"^(?:totals|summary): (\d+)", open(out).read(), re.M) if os.path.exists(out) else None
        if found is None:
            sys.exit(f"callgrind counted nothing for {code[:60]!r}")
        return int(found.group(1))


def count_instructions(rounds: int, before: str | None) -> None:
    """--instructions: each side's count (the least of `rounds`: a count moves only with the
    threads' interleaving), the ratio against the smallest app's."""
    tally = f"import sys; from tui.cli import main; sys.exit(main({REPLAY!r}))"
    sides = {"tally replay ldj5 --paused:": (tally, TALLY_FULL)}
    if before:
        sides[f"the same, {os.path.basename(os.path.abspath(before))}:"] = (
            f"import sys; sys.path.insert(0, {os.path.abspath(before)!r}); " + tally, TALLY_FULL)
    sides["smallest Textual app:"] = (SMALLEST, [b"ready"])
    counts: dict[str, list[int]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, (code, marks) in sides.items():
            counts[name].append(instructions(code, marks))
    base = min(counts["smallest Textual app:"])
    print(f"instructions to the first full frame (callgrind), least of {rounds}:")
    for name, found in counts.items():
        print(f"  {name:<27} {min(found) / 1e6:,.0f} M ({', '.join(f'{c / 1e6:,.0f}' for c in found)})"
              f"  ratio {min(found) / base:.3f}")


def before_command(source: str) -> list[str]:
    """`tally replay ldj5 --paused` run from the source tree `source`, with this Python."""
    code = (f"import sys; sys.path.insert(0, {os.path.abspath(source)!r}); "
            f"from tui.cli import main; sys.exit(main({REPLAY!r}))")
    return [sys.executable, "-c", code]


def report(name: str, runs: list[tuple[float, float]], base: list[tuple[float, float]]) -> None:
    print(f"  {name:<27} full frame {spread([f for _, f in runs], 'ms', 1e3, 0)}; "
          f"first byte {spread([b for b, _ in runs], 'ms', 1e3, 0)}")
    if base is not runs:
        print(f"  {'':<27} ratio (medians): {median([f for _, f in runs]) / median([f for _, f in base]):.2f}"
              f" (target ≤ {TARGET})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", metavar="DIR", help="also measure the tally in this source tree")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions to the full frame under callgrind instead of timing")
    args = parser.parse_args()
    if args.instructions:
        launch([tally_command(), *REPLAY], TALLY_FULL, warm=True)  # the bytecode, as below
        if args.before:
            launch(before_command(args.before), TALLY_FULL, warm=True)
        count_instructions(args.rounds, args.before)
        return
    tally = [tally_command(), *REPLAY]
    before = before_command(args.before) if args.before else None
    ours: list[tuple[float, float]] = []
    earlier: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    # The first launches warm the disk cache and write tally's bytecode, as any first run of an
    # installed tally does (pip compiles it at install; Textual's and pydantic's came compiled).
    # Where PYTHONDONTWRITEBYTECODE is set (it was, on the host of docs/PERFORMANCE.md) tally alone would be
    # compiled from source in every round: ~10k lines, more than the rest of its start-up.
    launch(tally, TALLY_FULL, warm=True)
    if before:
        launch(before, TALLY_FULL, warm=True)
    for _ in range(args.rounds):
        ours.append(launch(tally, TALLY_FULL))
        if before:
            earlier.append(launch(before, TALLY_FULL))
        base.append(launch([sys.executable, "-c", SMALLEST], [b"ready"]))
    print(f"launch to first full frame, {args.rounds} rounds, {load_average()} at the end:")
    report("tally replay ldj5 --paused:", ours, base)
    if before:
        report(f"the same, {os.path.basename(os.path.abspath(args.before))}:", earlier, base)
    report("smallest Textual app:", base, base)


if __name__ == "__main__":
    main()
