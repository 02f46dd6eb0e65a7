"""Unexpected errors: the traceback goes to a crash log, the terminal gets one line.

A user's mistake is one line and exit code 2 (`tui.exits.fail`). Anything else is
a bug in tally: the person at the count needs to know that it stopped and
where the details are, not a screenful of traceback, and a script needs a
non-zero exit code (70, EX_SOFTWARE). The log goes to $TALLY_CRASH_DIR, else
$XDG_STATE_HOME/tally, else ~/.local/state/tally, else the temporary directory,
else stderr: a directory that is missing, read-only or full is passed over.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import traceback
from pathlib import Path
from typing import Iterator

from tally.text import literal

EXIT_CRASH = 70


def crash_dirs() -> Iterator[Path]:
    """Where a crash log may go, best first, each worked out only when the one before did not take it.

    It never raises: a home directory that cannot be found (HOME unset and a uid
    with no passwd entry, as in a container run as an arbitrary user) or no
    usable temporary directory (each one full or read-only: `tempfile` raises
    FileNotFoundError) passes that place over. A crash handler that raised here
    would print two tracebacks and exit 1, and every dashboard would fail at its
    start, where its crash log is set up.
    """
    if os.environ.get("TALLY_CRASH_DIR"):
        yield Path(os.environ["TALLY_CRASH_DIR"])
    state = os.environ.get("XDG_STATE_HOME")
    if not state:
        try:
            state = str(Path.home() / ".local" / "state")
        except (RuntimeError, KeyError, OSError):  # no home to be found
            state = None
    if state:
        yield Path(state) / "tally"
    try:
        temporary = tempfile.gettempdir()
    except OSError:  # no temporary directory takes a file
        return
    yield Path(temporary)


STDERR = Path("/dev/stderr")
"""Where a crash log goes when no crash directory takes it."""


class CrashLog(io.TextIOBase):
    """A crash log that cannot fail: made on the first write, in the first crash directory that takes it.

    It is written when something has already gone wrong, so it must not go
    wrong itself: a crash handler that raises turns one line and exit 70
    into two tracebacks and exit 1. A directory may be missing, read-only,
    or full (a file is made, then its first write or its fsync fails): then
    the file made there is removed and the whole log so far goes to the next
    directory, and when none takes it, to stderr. That needs the text so far,
    which is kept (a traceback is a few kilobytes). Nothing here raises.
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self._fd: int | None = None
        self._text: list[str] = []
        self._folders = iter(crash_dirs())
        self._name = f"tally-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._text.append(text)
        if self.path == STDERR:
            _put(2, text)  # the last resort: there is nowhere else to try
        elif self._fd is None or not _put(self._fd, text):
            self._move_on()
        return len(text)

    def flush(self) -> None:
        """Every write goes straight to the file (no buffer): nothing to flush."""

    def _move_on(self) -> None:
        """The log so far into the next crash directory that takes it whole, else onto stderr."""
        self._drop()
        whole = "".join(self._text)
        for folder in self._folders:
            fd = _create(folder / self._name)
            if fd is None:
                continue
            self._fd, self.path = fd, folder / self._name
            if _put(fd, whole):
                return
            self._drop()
        self._fd, self.path = 2, STDERR
        _put(2, whole)

    def _drop(self) -> None:
        """Let go of a crash log that failed, and remove it: this handler made it (O_EXCL), half of it is no log."""
        if self._fd is not None and self.path is not None and self.path != STDERR:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            with contextlib.suppress(OSError):
                self.path.unlink()
        self._fd, self.path = None, None

    def close(self) -> None:
        """Make the log durable (fsync: a full disk may refuse only then), or move it on; close it."""
        if self._fd is not None and self.path != STDERR:
            try:
                os.fsync(self._fd)
            except OSError:
                self._move_on()
        if self._fd is not None and self.path != STDERR:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        super().close()


def _create(path: Path) -> int | None:
    """A new file for a crash log (never one that was there), or None if its directory will not take it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
    except OSError:
        return None


def _put(fd: int, text: str) -> bool:
    """Write all of ``text`` to ``fd``; whether it all went."""
    data = text.encode("utf-8", "backslashreplace")
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        return False
    return True


def log_exception(exc: BaseException) -> Path | None:
    """Write the traceback of `exc` to a new crash log; its path (STDERR if no directory took it)."""
    log = CrashLog()
    try:
        text = "".join(traceback.format_exception(exc))
    except Exception:  # an exception that cannot even be formatted: say what can be said
        text = f"{type(exc).__name__} (its traceback could not be formatted)\n"
    log.write(text)
    log.close()
    return log.path


def crash_line(log: Path | None, exc: BaseException | None = None) -> str:
    """The one line a crash leaves on the terminal."""
    what = f" ({type(exc).__name__}: {literal(_text_of(exc))[:200]})" if exc is not None else ""
    if log == STDERR:
        where = "no crash directory could take the traceback, so it is above"
    else:
        where = f"the traceback is in {log}" if log else "no traceback was kept"
    return f"tally: stopped by an unexpected error{what}; {where}. Please report it."


def _text_of(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return "its message could not be read"
