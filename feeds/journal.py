"""The journal: an event file that is appended to, durably, one event at a time.

`append` checks the event against the count, writes its line, flushes and
fsyncs it, and only then counts it: whatever a caller shows or acknowledges
after `append` survives a crash, and an event that did not reach the disk was
never counted. A failed write is cut back off the file, so the journal stays
whole lines. On `open`, a torn last line (a write cut short by a crash) is
cut off and said so; any other problem refuses the file with FILE:LINE and why.
A new file's directory is fsync'd too, before its first entry counts as
stored: until then a crash may lose the file's name, and with it the entry.

Before each append the journal checks that it is still writing the file it
opened, as long as it left it: a journal deleted, replaced (an editor saves
by writing a new file and renaming it over the old) or truncated under a
running count takes nothing more, and says why. Only this writer appends,
so any other change is someone else's, and appending to it would bury it.

Two ways to hold a journal (feeds/locks.py says why the lock is the file's own):

- A keyboard count (`Journal.open`) keeps its journal open, and locked,
  from open to close: one descriptor.
- A hub holds only its directory (locked, open as ``dir_fd``). Each append
  opens its file by name in it (never through a symlink), locks it for the
  append, writes, fsyncs and closes it. Measured on ext4 that adds about 5 µs
  to an append whose fsync takes about 160 µs, and it lets a hub keep
  thousands of elections without a descriptor each (and without a cache of
  them to evict). The lock for the append refuses it while another tally
  holds the file (reached through a hard link); the size check catches what
  such a writer appended in between.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from feeds.files import (FeedError, Loaded, load_bytes, refuse_non_regular_fd, regular_file_fd, runs,
                         validate_batch)
from feeds.locks import InUse, check_no_hub, lock_exclusive
from tally.reducer import Count
from tally.schema import Event, dump_event

TORN = "incomplete last line"
HEADER_START = b'{"seq":1,"type":"election"'
"""How tally begins every journal: a torn first line that is (the start of)
this was a header cut short by a crash, and is cut off; any other file whose
only line is incomplete is not a journal, and is left alone."""
FULL = (errno.ENOSPC, errno.EDQUOT)


class JournalWriteError(OSError):
    """An append that did not reach the disk: nothing was stored, nothing was counted.

    ``str()`` is one line a person can act on: ``not saved: No space left on
    device``. ``errno`` is the failed call's. ``whole`` is False when the
    journal refuses every later append: even cutting the failed write back
    off failed (the file may end in a partial line: open it again to repair
    it), or the file is no longer the one this journal wrote.
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
    events: list[Event] = field(default_factory=list)
    """Every event in the file, in order, as read under the lock."""


@dataclass(frozen=True)
class InDirectory:
    """A hub's file: ``name`` in the directory open (and locked) as ``dir_fd``; no symlink is followed."""

    dir_fd: int
    name: str

    def open(self, flags: int) -> int:
        return os.open(self.name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=self.dir_fd)

    def stat(self) -> os.stat_result:
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)

    def unlink(self) -> None:
        os.unlink(self.name, dir_fd=self.dir_fd)

    def sync(self) -> None:
        os.fsync(self.dir_fd)


class Journal:
    """Append-only event file, fsync'd per event; also keeps the count it describes."""

    def __init__(self, path: Path, count: Count, fd: int = -1,
                 where: InDirectory | None = None) -> None:
        self.path = path
        self.count = count
        self._fd = fd
        """A count's journal, open and locked until `close`; -1 for a hub's."""
        self._where = where
        """A hub's: where its file is opened for each append."""
        self._id: tuple[int, int] | None = None
        """(device, inode) of the file this journal writes, once there is one."""
        self._size = 0
        """The file's length as this journal left it."""
        self._created = False
        """This journal made the file: it may remove it while nothing is stored in it."""
        self._unnamed = False
        """Made, but its directory not yet fsync'd: a crash could still lose its name."""
        self.broken: str | None = None
        """Why appends are refused (see JournalWriteError.whole)."""
        if fd >= 0:
            self._take(os.fstat(fd))

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> Opened:
        """Open (or create) a count's journal, repairing a torn last line; FeedError if unusable.

        This process is the journal's one writer until `close`: another tally
        already writing the same file (by any name), or a hub serving its
        directory, is refused with InUse, one line naming its pid. Nothing
        but the journal is created, and it is removed again if opening fails.
        """
        path = Path(path)
        if path.is_dir():
            raise FeedError(f"{path}: is a directory, not a journal")
        check_no_hub(path)  # before anything is created in a hub's directory
        fd, created = _open_own(path)
        journal = cls(path, Count(), fd)
        journal._created, journal._unnamed = created, created
        try:
            lock_exclusive(fd, str(path))
        except BaseException:
            journal.close()  # not ours to remove: the holder may be writing it
            raise
        try:
            _one_name(fd, path)
            if not _same(os.fstat(fd), _stat_or_none(path)):
                raise FeedError(f"{path}: was replaced while it was being opened; try again")
            return journal._load(fd)
        except BaseException:
            journal.discard()
            raise

    @classmethod
    def in_directory(cls, where: InDirectory, path: Path) -> Journal:
        """A hub's journal of a new election: its first `write` (the header) makes the file."""
        return cls(path, Count(), where=where)

    @classmethod
    def load_in(cls, where: InDirectory, path: Path) -> Opened:
        """A hub's existing file, read (and repaired) under its lock; FeedError or InUse if unusable.

        ``path`` names it in messages. A symlink is refused here (the store
        skips them before): a hub never writes outside its directory.
        """
        try:
            fd = where.open(os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:
            raise FeedError(_open_refusal(path, exc)) from None
        try:
            refuse_non_regular_fd(fd, path)  # opened O_NONBLOCK: a FIFO did not hang the open
            os.set_blocking(fd, True)
            lock_exclusive(fd, str(path))  # a count writing it (through a hard link)
            journal = cls(path, Count(), where=where)
            journal._take(os.fstat(fd))
            return journal._load(fd)
        finally:
            os.close(fd)  # the hub holds no descriptor per election

    def _load(self, fd: int) -> Opened:
        """Read what is there (only now that no one else can write it) and repair it."""
        path = self.path
        try:
            data = _read_all(fd)
        except OSError as exc:
            raise FeedError(f"{path}: cannot read ({exc.strerror})") from None
        loaded = _loaded(path, data)
        repaired = None
        if loaded.problems and _only_torn(loaded):
            cut = data.rfind(b"\n") + 1
            if not _cuttable(data, cut):
                raise FeedError(f"{path}: not a journal (its only line is incomplete and no "
                                "event); tally leaves it as it is")
            repaired = (f"{path}:{loaded.problems[0].line}: {TORN} cut off "
                        f"({len(data) - cut} bytes of an entry that was never acknowledged)")
            data = data[:cut]
            loaded = _loaded(path, data)
        if not loaded.ok:
            raise FeedError("; ".join(loaded.problem_lines()))
        try:
            if repaired is not None:
                os.ftruncate(fd, len(data))
            elif data and not data.endswith(b"\n"):
                _write_all(fd, b"\n")  # a complete last line missing only its newline
                data += b"\n"
            os.fsync(fd)
        except OSError as exc:
            raise FeedError(f"{path}: cannot repair ({exc.strerror})") from None
        self.count = loaded.count
        self._size = len(data)
        events = [e for _, run in runs(str(path), io.BytesIO(data), validate_batch) for e in run]
        return Opened(self, loaded.count, repaired, events)

    def _take(self, st: os.stat_result) -> None:
        self._id, self._size = (st.st_dev, st.st_ino), st.st_size

    # -- appending -----------------------------------------------------------
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
        self._store((dump_event(event) + "\n").encode())
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

    def _store(self, line: bytes, create: bool = False) -> None:
        """Append one line durably, or leave the file as it was and raise JournalWriteError.

        Only the header may create a hub's file: a journal deleted under a
        running count or hub is not silently started again from the middle.
        """
        fd = self._fd if self._fd >= 0 else self._open_to_append(create)
        try:
            self._unchanged(fd)
            size = self._size
            try:
                _write_all(fd, line)
                os.fsync(fd)
                if self._unnamed:
                    self._sync_name()
            except OSError as exc:
                self._cut_back(fd, size, exc)
            self._size = size + len(line)
            self._still_there()  # renamed or deleted while it was written: not where it is looked for
        finally:
            if fd != self._fd:
                os.close(fd)

    def _open_to_append(self, create: bool) -> int:
        """A hub's file, opened by name and locked for one append; JournalWriteError if it cannot be."""
        where = self._where
        assert where is not None
        flags = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK
        try:
            if create and self._id is None:
                fd = self._create_in(where, flags)
            else:
                fd = where.open(flags)
        except FileNotFoundError:
            self._changed("was deleted")
        except OSError as exc:
            why = _open_refusal(self.path, exc) if exc.errno == errno.ELOOP else _why(exc)
            raise JournalWriteError(exc.errno, why) from None
        try:
            lock_exclusive(fd, str(self.path), patient=False)  # never wait on the event loop
        except FeedError as exc:  # InUse: a count holds it, reached through another name
            os.close(fd)
            raise JournalWriteError(errno.EBUSY if isinstance(exc, InUse) else None, str(exc)) from None
        return fd

    def _create_in(self, where: InDirectory, flags: int) -> int:
        """Make the hub's new file; an empty one already there (a header lost to a crash) is taken over."""
        try:
            fd = where.open(flags | os.O_CREAT | os.O_EXCL)
            self._created = self._unnamed = True
        except FileExistsError:
            fd = where.open(flags)  # a symlink fails here (ELOOP): nothing is made through it
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size:
                os.close(fd)
                raise JournalWriteError(errno.EEXIST, f"{self.path} exists already, and this hub "
                                        "did not load it (restart the hub to serve it)") from None
        self._take(os.fstat(fd))
        return fd

    def _unchanged(self, fd: int) -> None:
        """Refuse to append unless the file is the one this journal wrote, as long as it left it."""
        mine = os.fstat(fd)
        there = _stat_or_none(self.path, self._where)
        if there is None:
            self._changed("was deleted")
        if not (_same(mine, there) and (mine.st_dev, mine.st_ino) == self._id):
            self._changed("was replaced by another file")
        if mine.st_size != self._size:
            self._changed(f"was changed by another program (it holds {mine.st_size:,} bytes; "
                          f"tally left {self._size:,})")

    def _still_there(self) -> None:
        there = _stat_or_none(self.path, self._where)
        if there is None or (there.st_dev, there.st_ino) != self._id:
            self._changed("was renamed or deleted as this entry was written")

    def _changed(self, why: str) -> None:
        self.broken = f"{self.path} {why}: nothing more is written to it"
        raise JournalWriteError(None, self.broken, whole=False) from None

    def _sync_name(self) -> None:
        """fsync the directory of a file this journal made: its name is durable from now on."""
        if self._where is not None:
            self._where.sync()
        else:
            sync_directory(self.path.parent)
        self._unnamed = False

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

    # -- ending --------------------------------------------------------------
    def check_room(self) -> None:
        """JournalWriteError (ENOSPC) if the journal's filesystem has not one free block for it.

        For a count resumed on a full disk: nothing is written at resume, so
        the disk is asked (root may use the blocks kept back for it).
        """
        if self._fd < 0:
            return
        vfs = os.fstatvfs(self._fd)
        if (vfs.f_bfree if os.geteuid() == 0 else vfs.f_bavail) == 0:
            raise JournalWriteError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def discard(self) -> None:
        """Close; and remove the file if this journal made it and stored nothing in it.

        For a count that never started (bad flags, a full disk): it leaves
        nothing behind. A file that was there before is never removed, nor
        one whose name now leads elsewhere.
        """
        if self._created and self._size == 0:
            try:
                if _same_id(_stat_or_none(self.path, self._where), self._id):
                    self._where.unlink() if self._where is not None else self.path.unlink()
            except OSError:
                pass  # a read-only directory: the empty file stays, and is taken over next time
        self.close()

    def close(self) -> None:
        """Let go of the file (and so of its lock); a hub's journal holds nothing open."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def sync_directory(directory: Path) -> None:
    """fsync a directory: the names made in it so far survive a crash (OSError if not)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_own(path: Path) -> tuple[int, bool]:
    """The journal open for reading and appending, and whether this call made it.

    O_EXCL makes a new file only: an existing one is opened as it is (never
    truncated), and never one made through a symlink that leads nowhere.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644), True
    except FileExistsError:
        pass
    except OSError as exc:
        raise FeedError(_open_refusal(path, exc)) from None
    if path.is_symlink() and not path.exists():
        raise FeedError(f"{path}: is a symbolic link to nothing ({os.readlink(path)}); "
                        "tally does not make a journal through a link")
    try:
        return regular_file_fd(path, flags), False  # a FIFO would block a writer forever
    except FeedError as exc:
        if "permission denied" in str(exc):
            raise FeedError(f"{path}: permission denied (cannot write)") from None
        raise


def _open_refusal(path: Path, exc: OSError) -> str:
    """One line for a journal that cannot be opened or made."""
    if exc.errno in FULL:
        return f"{path}: not saved: {exc.strerror}"
    if exc.errno == errno.ELOOP:
        return f"{path}: is a symbolic link: a hub writes only the files in its directory"
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied (cannot write)"
    return f"{path}: cannot open for writing ({exc.strerror})"


def _one_name(fd: int, path: Path) -> None:
    """FeedError if the journal has other names (hard links): another tally could write it through one.

    A lock on the file refuses a second count whatever name it uses; but a
    hub holds no lock on its files between appends, only on its directory,
    and a hard link to one of its files is a name in another directory.
    """
    links = os.fstat(fd).st_nlink
    if links > 1:
        raise FeedError(f"{path}: has {links} names (hard links), so another tally may write it "
                        f"through one of them; count into a copy instead (cp {path} NEW)")


def _stat_or_none(path: Path, where: InDirectory | None = None) -> os.stat_result | None:
    try:
        return where.stat() if where is not None else os.stat(path)
    except FileNotFoundError:
        return None


def _same(a: os.stat_result, b: os.stat_result | None) -> bool:
    return b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _same_id(st: os.stat_result | None, file_id: tuple[int, int] | None) -> bool:
    return st is not None and (st.st_dev, st.st_ino) == file_id


def _read_all(fd: int) -> bytes:
    """The whole file, from its start, through the descriptor that holds its lock."""
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _loaded(path: Path, data: bytes) -> Loaded:
    return load_bytes(str(path), data) if data.strip() else Loaded(Count())


def _cuttable(data: bytes, cut: int) -> bool:
    """Whether a torn last line (from ``cut`` on) may be cut off: it follows an event, or begins as a header.

    The lines before it are events (only the last line is refused), so if
    there are any the file is a journal. Otherwise only a first line that
    is, as far as it goes, tally's header was a journal's: anything else (a
    note without its last newline, say) is refused, not cut down.
    """
    if data[:cut].strip():
        return True
    torn = data[cut:].strip()
    return torn.startswith(HEADER_START) or HEADER_START.startswith(torn)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _only_torn(loaded: Loaded) -> bool:
    return len(loaded.problems) == 1 and TORN in loaded.problems[0].why


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
