"""One writer per file: an exclusive lock on the file itself, held for as long as it writes.

Two `tally count` on one journal, or two `tally serve` on one data directory,
would each append their own seq 3 and both acknowledge it. So a writer takes
an exclusive ``flock`` on what it writes before it reads it, and keeps it
until it ends: a count locks its journal's own open file, a hub its data
directory's (an ``O_DIRECTORY`` descriptor). The kernel drops the lock with
the process, however it ends (``kill -9`` included).

The lock is on the inode, not on a name. A lock on a sidecar
``<journal>.lock`` belonged to a path: a symlink, a hard link, ``..`` or a
second mount of the same directory reached the same journal under another
name, beside another lock, and two counts both wrote seq 3. And a sidecar is
a file tally would have to create, truncate and delete beside someone's
journal (``tally count poetry`` took and then deleted ``poetry.lock``). Locking
the journal and the directory themselves needs no other file at all: nothing
is created but the journal, and nothing else is written or removed.

The refused one names the holder's pid, which the kernel lists for every
lock in ``/proc/locks`` by device and inode (Linux; elsewhere "pid unknown").

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

PATIENCE = 0.2
"""Seconds a writer tries again before calling a lock held: a count checking
for a hub holds the directory's lock (shared) for a microsecond."""

NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF)
"""What ``flock`` says on a filesystem that cannot lock (NFS refuses an
exclusive lock on a directory with EBADF)."""


class InUse(FeedError):
    """Another process holds the lock; the message is one line naming its pid."""


class WriterLock:
    """A hub's exclusive lock on its data directory, held until `release`.

    ``fd`` is the directory, open: the hub opens its files relative to it
    (``dir_fd``), so they are the files of the directory it locked, whatever
    is later renamed or linked in place of its path, and fsyncs it to make a
    new file's name durable.
    """

    def __init__(self, data_dir: Path) -> None:
        self.name = str(data_dir)
        try:
            self.fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise FeedError(f"{data_dir}: cannot use as the data directory ({exc.strerror})") from None
        try:
            lock_exclusive(self.fd, self.name)
        except BaseException:
            os.close(self.fd)
            raise

    @property
    def held(self) -> bool:
        return self.fd >= 0

    def release(self) -> None:
        """Let go (closing the descriptor drops the lock); nothing is left to clean up."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def directory_lock(data_dir: Path) -> WriterLock:
    return WriterLock(data_dir)


def lock_exclusive(fd: int, name: str, patient: bool = True) -> None:
    """Lock the open file ``fd`` for this writer alone; InUse (one line, the holder's pid) if held.

    ``patient``: try again for PATIENCE seconds first (a process at start);
    a hub appending on its event loop tries once.
    """
    deadline = time.monotonic() + (PATIENCE if patient else 0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise InUse(in_use(name, fd)) from None
            time.sleep(0.01)
        except OSError as exc:
            if exc.errno in NO_LOCKS:
                raise FeedError(f"{name}: cannot lock ({exc.strerror}): this filesystem does "
                                "not support locks, and tally will not risk two writers") from None
            raise FeedError(f"{name}: cannot lock ({exc.strerror})") from None


def check_no_hub(journal: Path) -> None:
    """InUse if a hub holds the directory the journal really is in; takes nothing, creates nothing.

    The real directory: symlinks and ``..`` resolved, so a link to a hub's
    file is seen as in the hub's directory. A second mount of that directory
    is the same inode, and so the same lock. (A hard link is another name in
    another directory: `Journal.open` refuses a journal with more than one.)
    """
    real_dir = os.path.dirname(os.path.realpath(journal))
    try:
        fd = os.open(real_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return  # no such directory: opening the journal says why
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(in_use(str(journal), fd)) from None
        except OSError:
            return  # a filesystem that cannot lock a directory has no hub on it
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def in_use(name: str, fd: int) -> str:
    return f"{name}: in use by another tally ({holder(fd)}); only one writer at a time"


def holder(fd: int) -> str:
    """"pid N": who holds an exclusive flock on the file open at ``fd``, from /proc/locks.

    Each line there is ``1: FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF``
    (hex device numbers; a waiting lock has ``->`` after its number). On a
    filesystem whose device numbers the kernel lists differently (overlayfs)
    the inode alone decides.
    """
    st = os.fstat(fd)
    exact = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            table = f.read()
    except OSError:
        return "pid unknown"
    by_inode = []
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1:4] != ["FLOCK", "ADVISORY", "WRITE"]:
            continue
        pid, where = fields[4], fields[5]
        if where == exact:
            return f"pid {pid}"
        if where.rpartition(":")[2] == str(st.st_ino):
            by_inode.append(pid)
    return f"pid {by_inode[0]}" if len(by_inode) == 1 else "pid unknown"
