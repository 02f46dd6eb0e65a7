"""The journal: an event file that is appended to, durably, one event at a time.

`append` checks the event against the count, writes its line, flushes and
fsyncs it, and only then counts it: whatever a caller shows or acknowledges
after `append` survives a crash, and an event that did not reach the disk was
never counted. A failed write is cut back off the file, so the journal stays
whole lines. On `open`, a torn last line (a write cut short by a crash) is
cut off and said so; any other problem refuses the file with FILE:LINE and why.

A journal holds no file descriptor between appends: each append opens the
file, writes and closes it. Measured on ext4 that adds about 5 µs to an
append whose fsync takes about 160 µs, and it lets a hub keep thousands of
elections without a descriptor each (and without a cache of them to evict).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from feeds.files import FeedError, Loaded, load_bytes, refuse_non_regular
from feeds.locks import WriterLock, check_free, directory_lock_path, journal_lock
from tally.reducer import Count
from tally.schema import Event, dump_event

TORN = "incomplete last line"


class JournalWriteError(OSError):
    """An append that did not reach the disk: nothing was stored, nothing was counted.

    ``str()`` is one line a person can act on: ``not saved: No space left on
    device``. ``errno`` is the failed call's. ``whole`` is False when even
    cutting the failed write back off failed: the file may end in a partial
    line, and the journal refuses every later append (open it again to repair).
    """

    def __init__(self, errno: int | None, why: str, whole: bool = True) -> None:
        super().__init__(errno, why)
        self.whole = whole

    def __str__(self) -> str:
        return f"not saved: {self.strerror}"


@dataclass
class Opened:
    journal: "Journal"
    count: Count
    repaired: str | None
    """One line saying what was cut off, when the last line was torn."""


class Journal:
    """Append-only event file, fsync'd per event; also keeps the count it describes."""

    def __init__(self, path: Path, count: Count, lock: WriterLock | None = None) -> None:
        self.path = path
        self.count = count
        self._lock = lock
        self.broken: str | None = None
        """Why appends are refused: a failed write could not be cut back off."""

    @classmethod
    def open(cls, path: str | Path, create: bool = True, lock: bool = True) -> Opened:
        """Open (or create) a journal, repairing a torn last line; FeedError if unusable.

        With ``lock`` (the default) this process is the journal's one writer
        until `close`: another tally already writing it, or a hub serving its
        directory, is refused with InUse, one line naming its pid. A hub
        passes ``lock=False``: it holds the lock of its whole directory.
        """
        path = Path(path)
        if path.is_dir():
            raise FeedError(f"{path}: is a directory, not a journal")
        if not path.exists() and not create:
            raise FeedError(f"{path}: no such file")
        # The lock comes first: only its holder may create, read or repair the file.
        held = journal_lock(path) if lock else None
        try:
            if held is not None:
                check_free(directory_lock_path(path.parent), str(path))  # a hub serving this directory
            fd = _open_for_writing(path)  # creates it: a count that cannot write is refused now
            try:
                opened = cls._load(path, fd, held)
            finally:
                os.close(fd)
        except BaseException:
            if held is not None:
                held.release()
            raise
        return opened

    @classmethod
    def _load(cls, path: Path, fd: int, held: WriterLock | None) -> Opened:
        """Read what is there (only now that no one else can write it) and repair it."""
        try:
            data = path.read_bytes()
        except PermissionError:
            raise FeedError(f"{path}: permission denied (cannot read)") from None
        except OSError as exc:
            raise FeedError(f"{path}: cannot read ({exc.strerror})") from None
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
            if repaired is not None:
                os.ftruncate(fd, len(data))
            elif data and not data.endswith(b"\n"):
                _write_all(fd, b"\n")  # a complete last line missing only its newline
            os.fsync(fd)
        except OSError as exc:
            raise FeedError(f"{path}: cannot repair ({exc.strerror})") from None
        return Opened(cls(path, loaded.count, held), loaded.count, repaired)

    def append(self, event: Event) -> None:
        """Store the event, then count it; RuleError or JournalWriteError change nothing.

        The rules are checked first, so a refused event is never written; the
        line is written and fsync'd next; the count takes the event only once
        it is on disk. If the write fails, what it wrote is cut off again and
        JournalWriteError says why: the caller may show it and go on.
        """
        if self.broken:
            raise JournalWriteError(None, self.broken, whole=False)
        self.count.check(event)
        self._store((dump_event(event) + "\n").encode(), create=self.count.election is None)
        self.count.apply(event)

    def write(self, line: str, create: bool) -> None:
        """Store one event's JSON durably, without checking or counting it; JournalWriteError as `append`.

        For the hub, whose election is counted in memory whichever store
        keeps it: it checks the event against that count first and counts it
        once this returns. ``create``: this is the header (the file is made).
        """
        if self.broken:
            raise JournalWriteError(None, self.broken, whole=False)
        self._store((line + "\n").encode(), create)

    def _store(self, line: bytes, create: bool) -> None:
        """Append one line durably, or leave the file as it was and raise JournalWriteError.

        Only the header may create the file: a journal deleted under a running
        count is not silently started again from the middle.
        """
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if create else 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise JournalWriteError(exc.errno, _why(exc)) from None
        try:
            size = os.fstat(fd).st_size  # this process is the only writer: the end stays here
            try:
                _write_all(fd, line)
                os.fsync(fd)
            except OSError as exc:
                self._cut_back(fd, size, exc)
        finally:
            os.close(fd)

    def _cut_back(self, fd: int, size: int, failed: OSError) -> None:
        """After a failed write: truncate to the old length (fsync'd), then raise why it failed.

        A short write (EFBIG, ENOSPC half way) leaves part of the line; a
        failed fsync leaves the line in an unknown state. Either way the file
        goes back to what it was. If even that fails, the journal is broken:
        its end is unknown until it is opened again (which cuts a torn line).
        """
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError as exc:
            self.broken = (f"{_why(failed)}, and the partial entry could not be removed "
                           f"({_why(exc)}); open the journal again to repair it")
            raise JournalWriteError(failed.errno, self.broken, whole=False) from None
        raise JournalWriteError(failed.errno, _why(failed)) from None

    def close(self) -> None:
        """Let go of the lock (the journal holds nothing else open)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _open_for_writing(path: Path) -> int:
    refuse_non_regular(path)  # a FIFO would block this open until someone read it
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except PermissionError:
        raise FeedError(f"{path}: permission denied (cannot write)") from None
    except OSError as exc:
        raise FeedError(f"{path}: cannot open for writing ({exc.strerror})") from None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _only_torn(loaded: Loaded) -> bool:
    return len(loaded.problems) == 1 and TORN in loaded.problems[0].why


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
