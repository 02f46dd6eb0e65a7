"""One writer at a time: an exclusive lock held by a process for as long as it writes.

Two `tally count` on one journal, or two `tally serve` on one data directory,
would each append their own seq 3 and both acknowledge it. So a writer takes
an exclusive ``flock`` on a sidecar file (``ldj5.jsonl.lock``, ``DIR/.lock``)
before it reads what it will append to, and keeps it until it ends. The
kernel drops the lock with the process, however it ends (``kill -9``
included), so a lock file left behind by a crash is simply taken again: only
the lock counts, never the file's existence. The file holds the holder's pid,
so that the one refused can say who holds it.

``flock`` (not ``fcntl``/``lockf`` locks): it belongs to the open file, not to
the process, so a lock is not silently lost when some other code in the same
process opens and closes the same file, and a second lock in the same process
is refused as a second process's would be. Readers (`tally report`, `tally
replay`) never lock: they only read whole lines.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from feeds.files import FeedError

LOCK_SUFFIX = ".lock"
DIR_LOCK = ".lock"
PID_PATIENCE = 0.2
"""Seconds a refused process waits for the holder to write its pid: the
holder writes it just after taking the lock, so it is there at once but for a
moment's race."""


class InUse(FeedError):
    """Another process holds the lock; the message is one line naming its pid."""


class WriterLock:
    """An exclusive lock on ``lock_path`` held by this process until `release`.

    ``name`` is what the refusal names (the journal or the directory, as the
    person gave it).
    """

    def __init__(self, lock_path: Path, name: str) -> None:
        self.path = lock_path
        self.name = name
        self._fd = _take(lock_path, name)

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def release(self) -> None:
        """Let go; the lock file is removed while still held, so nobody can lock a file about to vanish."""
        if self._fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only directory: the file stays, and is reused as a stale one
        os.close(self._fd)  # closing releases the flock
        self._fd = -1

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def journal_lock_path(journal: Path) -> Path:
    """Where a journal's lock is: ``<journal>.lock`` beside it."""
    return journal.with_name(journal.name + LOCK_SUFFIX)


def directory_lock_path(data_dir: Path) -> Path:
    """Where a hub's data directory's lock is: ``DIR/.lock``."""
    return data_dir / DIR_LOCK


def journal_lock(journal: Path) -> WriterLock:
    return WriterLock(journal_lock_path(journal), str(journal))


def directory_lock(data_dir: Path) -> WriterLock:
    return WriterLock(directory_lock_path(data_dir), str(data_dir))


def check_free(lock_path: Path, name: str) -> None:
    """InUse if another process holds ``lock_path`` now; takes nothing, creates nothing.

    How a writer of one file sees a writer of the whole directory (a count on
    a file the hub serves), and the hub sees a count already writing one of
    its files.
    """
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return  # no lock file: nobody has ever locked it, or it was let go
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(_in_use(name, fd)) from None
        except OSError:
            return  # a filesystem without flock: nothing to learn here
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _take(lock_path: Path, name: str) -> int:
    """The fd of ``lock_path``, exclusively flocked, with this pid written in it."""
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise FeedError(f"{name}: cannot open for writing ({exc.strerror})") from None
        try:
            _flock(fd, name)
            # The holder before may have removed the file after this process
            # opened it but before it locked it: a lock on a file no longer
            # at lock_path protects nothing. Then try again on the new file.
            if _same_file(fd, lock_path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _flock(fd: int, name: str) -> None:
    """Lock without waiting; InUse (one line, with the holder's pid) when held."""
    deadline = time.monotonic() + PID_PATIENCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            # A `check_free` elsewhere holds a shared lock for a microsecond:
            # try again briefly before calling it a writer.
            if time.monotonic() > deadline:
                raise InUse(_in_use(name, fd)) from None
            time.sleep(0.01)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise FeedError(f"{name}: cannot lock ({exc.strerror}): this filesystem does "
                                "not support locks, and tally will not risk two writers") from None
            raise FeedError(f"{name}: cannot lock ({exc.strerror})") from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_path.st_dev, on_path.st_ino)


def _in_use(name: str, fd: int) -> str:
    return f"{name}: in use by another tally ({_holder(fd)}); only one writer at a time"


def _holder(fd: int) -> str:
    """"pid N" from the lock file (waiting a moment if the holder is still writing it)."""
    deadline = time.monotonic() + PID_PATIENCE
    while True:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdecimal() and text.isascii():
            return f"pid {int(text)}"
        if time.monotonic() > deadline:
            return "pid unknown"
        time.sleep(0.01)
