"""The journal: an event file that is appended to, durably, one event at a time.

`append` writes the event's line, flushes it and fsyncs it before it returns:
whatever a caller shows or acknowledges after `append` survives a crash. On
`open`, a torn last line (a write cut short by a crash) is cut off and said so;
any other problem refuses the file with FILE:LINE and why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from feeds.files import FeedError, Loaded, load_bytes
from tally.reducer import Count, RuleError
from tally.schema import Event, dump_event

TORN = "incomplete last line"


@dataclass
class Opened:
    journal: "Journal"
    count: Count
    repaired: str | None
    """One line saying what was cut off, when the last line was torn."""


class Journal:
    """Append-only event file, fsync'd per event; also keeps the count it describes."""

    def __init__(self, path: Path, fd: int, count: Count) -> None:
        self.path = path
        self._fd = fd
        self.count = count

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Opened:
        """Open (or create) a journal, repairing a torn last line; FeedError if unusable."""
        path = Path(path)
        if path.is_dir():
            raise FeedError(f"{path}: is a directory, not a journal")
        data = b""
        if path.exists():
            try:
                data = path.read_bytes()
            except PermissionError:
                raise FeedError(f"{path}: permission denied (cannot read)") from None
        elif not create:
            raise FeedError(f"{path}: no such file")
        loaded = load_bytes(str(path), data) if data.strip() else Loaded(Count())
        repaired = None
        if loaded.problems and _only_torn(loaded):
            cut = data.rfind(b"\n") + 1
            repaired = (f"{path}:{loaded.problems[0].line}: {TORN} cut off "
                        f"({len(data) - cut} bytes of an entry that was never acknowledged)")
            data = data[:cut]
            loaded = load_bytes(str(path), data) if data.strip() else Loaded(Count())
        if not loaded.ok:
            raise FeedError("; ".join(loaded.problem_lines()))
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except PermissionError:
            raise FeedError(f"{path}: permission denied (cannot write)") from None
        except OSError as exc:
            raise FeedError(f"{path}: cannot open for writing ({exc.strerror})") from None
        if repaired is not None:
            os.ftruncate(fd, len(data))
        elif data and not data.endswith(b"\n"):
            _write_all(fd, b"\n")  # a complete last line missing only its newline
        os.fsync(fd)
        return Opened(cls(path, fd, loaded.count), loaded.count, repaired)

    def append(self, event: Event) -> None:
        """Apply the event to the count, then make it durable; RuleError changes nothing.

        The check comes first so that a refused event is never written. If the
        write itself fails the process cannot know what reached the disk, so
        the error is raised to the caller, which must stop acknowledging.
        """
        probe = self.count
        if event.seq != probe.last_seq + 1:
            raise RuleError(f"seq {event.seq} out of order: expected {probe.last_seq + 1}")
        line = (dump_event(event) + "\n").encode()
        probe.apply(event)  # raises RuleError before anything is written
        _write_all(self._fd, line)
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _only_torn(loaded: Loaded) -> bool:
    return len(loaded.problems) == 1 and TORN in loaded.problems[0].why


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
