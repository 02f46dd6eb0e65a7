"""`tally count` killed with SIGKILL mid-count, in a real pseudo-terminal, then started again."""

import json
import os
import re
import pty
import select
import signal
import sys
import time
from pathlib import Path

from feeds.files import load
from tally.report import summary_line

ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """`tally count` running in a pseudo-terminal: type into it, read what it printed."""

    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a fresh tally with a real terminal
            os.chdir(ROOT)
            os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
            os.execv(sys.executable, [sys.executable, "-m", "tui.cli", *args])
        self.output = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([self.fd], [], [], 0.02)[0]:
                try:
                    self.output += os.read(self.fd, 1 << 16)
                except OSError:
                    return

    def wait_for(self, condition, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, f"timed out; the terminal's last text: {self.last_text()!r}"
            self.read(0.05)

    def last_text(self, n: int = 1500) -> str:
        """What was printed last, its escape sequences left out (for a failure to say what was shown)."""
        return re.sub(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07]*\x07|.)", " ", self.output.decode(errors="replace"))[-n:]

    def type(self, keys: str, pause: float = 0.05) -> None:
        for key in keys:
            os.write(self.fd, key.encode())
            self.read(pause)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def quit(self) -> str:
        os.write(self.fd, b"q")
        end = time.monotonic() + 20
        while not os.waitpid(self.pid, os.WNOHANG)[0]:
            assert time.monotonic() < end, "did not quit"
            self.read(0.05)
        self.read(0.2)
        os.close(self.fd)
        return self.output.decode(errors="replace")


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def started(path: Path):
    return lambda: lines(path) >= 1


def test_sigkill_mid_count_then_resume_shows_exactly_what_was_acknowledged(tmp_path):
    journal = tmp_path / "count.jsonl"
    first = Terminal("count", str(journal), "--title", "Crash test", "--ballots", "200")
    first.wait_for(started(journal))
    first.read(1.0)  # the dashboard is up
    first.type("yyn25yvc")
    first.wait_for(lambda: lines(journal) == 7)  # each entry on disk before the screen counts it
    first.type("nnnnnnnnnn", pause=0)  # and kill while these may still be in flight
    first.kill()

    on_disk = load(journal)
    assert on_disk.ok, on_disk.problem_lines()
    snap = on_disk.count.snapshot()
    assert snap.votes[0] == 27 and 1 <= snap.votes[1] <= 11 and snap.void == 1 and snap.challenged == 1

    second = Terminal("count", str(journal))
    second.wait_for(lambda: b"Crash test" in second.output)
    second.read(1.0)
    printed = second.quit()
    assert summary_line(load(journal).count.snapshot()) in printed.replace("\r\n", "\n")


def test_a_torn_last_line_from_a_crash_is_cut_on_resume(tmp_path):
    journal = tmp_path / "count.jsonl"
    events = [{"seq": 1, "type": "election", "id": "torn", "title": "Torn"},
              {"seq": 2, "type": "ballot", "choice": "yes"}]
    journal.write_text("\n".join(json.dumps(e) for e in events) + '\n{"seq":3,"type":"bal')
    term = Terminal("count", str(journal))
    term.wait_for(lambda: b"Torn" in term.output)
    term.read(1.0)
    term.type("n")
    term.wait_for(lambda: lines(journal) == 3)
    printed = term.quit()
    assert "Torn: 1 yes · 1 no" in printed
    assert load(journal).ok
