"""Launch to the first full frame: `tally replay ldj5 --paused` against the smallest Textual app.

Run: python bench/bench_launch.py [--rounds K]

Both run in a real pseudo-terminal (120×40, TERM=xterm-256color), fresh
processes, alternately. The clock starts at fork; a frame counts once the
text it must show has been written to the terminal (escape sequences
stripped from everything read so far):

- tally: the election's title, "PAUSED" and the speed (the header as it stays
  while paused), and the Footer's "Quit" — the first full frame;
- the smallest Textual app: an App with a q binding and one Static("ready").

Also reported: the first byte each wrote (Textual starting up: imports done).
Target: full frame ≤ 1.3× the smallest app's.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import sys
import time

from common import arguments, load_average, median, spread, tally_command

ESCAPE = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
SMALLEST = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class A(App):\n    BINDINGS = [('q', 'quit', 'Quit')]\n"
            "    def compose(self):\n        yield Static('ready')\nA().run()")
TALLY_FULL = [b"Amazon LDJ5, Staten Island", b"PAUSED 100", b"Quit"]


def launch(argv: list[str], marks: list[bytes], timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from fork to the first byte written, and to all of `marks` on the terminal."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
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


def main() -> None:
    args = arguments(rounds=7)
    tally = tally_command()
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    launch([tally, "replay", "ldj5", "--paused"], TALLY_FULL)  # warm the disk cache
    for _ in range(args.rounds):
        ours.append(launch([tally, "replay", "ldj5", "--paused"], TALLY_FULL))
        base.append(launch([sys.executable, "-c", SMALLEST], [b"ready"]))
    print(f"launch to first full frame, {args.rounds} rounds, {load_average()} at the end:")
    print(f"  tally replay ldj5 --paused: full frame {spread([f for _, f in ours], 'ms', 1e3, 0)}; "
          f"first byte {spread([b for b, _ in ours], 'ms', 1e3, 0)}")
    print(f"  smallest Textual app:       full frame {spread([f for _, f in base], 'ms', 1e3, 0)}; "
          f"first byte {spread([b for b, _ in base], 'ms', 1e3, 0)}")
    print(f"  ratio (medians): {median([f for _, f in ours]) / median([f for _, f in base]):.2f} "
          f"(target ≤ 1.3)")


if __name__ == "__main__":
    main()
