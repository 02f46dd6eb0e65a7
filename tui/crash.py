"""Unexpected errors: the traceback goes to a crash log, the terminal gets one line.

A user's mistake is one line and exit code 2 (`tui.cli.fail`). Anything else is
a bug in tally: the person at the count needs to know that it stopped and
where the details are, not a screenful of traceback, and a script needs a
non-zero exit code (70, EX_SOFTWARE). The log goes to $TALLY_CRASH_DIR, else
$XDG_STATE_HOME/tally, else ~/.local/state/tally, else the temporary directory.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import traceback
from pathlib import Path

from tally.text import literal

EXIT_CRASH = 70


def crash_dirs() -> list[Path]:
    """Where a crash log may go, best first."""
    dirs = []
    if os.environ.get("TALLY_CRASH_DIR"):
        dirs.append(Path(os.environ["TALLY_CRASH_DIR"]))
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return dirs + [Path(state) / "tally", Path(tempfile.gettempdir())]


class CrashLog(io.TextIOBase):
    """A text file made on the first write only, in the first crash directory that takes it."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._file: io.TextIOBase | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._file is None:
            self._file = self._open()
        written = self._file.write(text)
        self._file.flush()
        return written

    def _open(self) -> io.TextIOBase:
        name = f"tally-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        for folder in crash_dirs():
            try:
                folder.mkdir(parents=True, exist_ok=True)
                f = open(folder / name, "a", encoding="utf-8")
            except OSError:
                continue
            self.path = folder / name
            return f
        self.path = Path("/dev/stderr")  # nowhere to write: the terminal is the last resort
        return open(2, "w", closefd=False)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def log_exception(exc: BaseException) -> Path:
    """Write the traceback of `exc` to a new crash log; its path."""
    log = CrashLog()
    log.write("".join(traceback.format_exception(exc)))
    log.close()
    return log.path


def crash_line(log: Path | None, exc: BaseException | None = None) -> str:
    """The one line a crash leaves on the terminal."""
    what = f" ({type(exc).__name__}: {literal(str(exc))[:200]})" if exc is not None else ""
    where = f"the traceback is in {log}" if log else "no traceback was kept"
    return f"tally: stopped by an unexpected error{what}; {where}. Please report it."
