"""The file store: each election is DIR/<id>.jsonl, and one hub holds DIR.

This is the default, and needs nothing but a disk. An event is appended,
flushed and fsync'd (feeds/journal.py) before the hub acknowledges or counts
it. The hub holds an exclusive lock on DIR (feeds/locks.py) for as long as it
runs, so it is the only writer: the file's end is the election's last seq,
and nothing else ever appends. No file descriptor is kept per election: each
append opens the file, locks it, writes, fsyncs and closes it (feeds/journal.py).

The hub serves the regular files directly in DIR, and nothing through a
symlink: ``DIR/s.jsonl -> ../outside/x.jsonl`` would have it serve and append
to a file outside the directory it locked, and a dangling one would have it
create one there. A symlink is skipped with one log line; every file is
opened relative to the locked directory with O_NOFOLLOW, so a symlink put in
place later is refused too.

A check count (a second counter's, issue 18) is kept beside its election,
never in it: DIR/checks/<id>.<name>.jsonl, written by the same journal code
(opened relative to the subdirectory's descriptor, O_NOFOLLOW, locked for
each append, fsync'd before the ack). "." is in neither an id nor a name, so
the file's name says both without doubt; DIR/checks is itself opened
O_NOFOLLOW, so a symlink there is refused like one in DIR.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from feeds.files import FeedError
from feeds.hub.store import OUT_OF_FDS, Appended, Loaded, NotStored, Store
from feeds.journal import InDirectory, Journal, JournalWriteError
from feeds.locks import WriterLock, directory_lock
from tally.schema import dump_event

log = logging.getLogger("tally.hub")

CHECKS_DIR = "checks"
"""DIR's subdirectory of check counts: never read as elections (only DIR's own *.jsonl are)."""


class FileStore(Store):
    """The elections of one data directory, locked for this hub alone."""

    def __init__(self, data_dir: Path, lock: WriterLock) -> None:
        self.data_dir = data_dir
        self.lock: WriterLock | None = lock
        self.where = f"in {data_dir}"
        self.repaired: list[str] = []
        self._journals: dict[str, Journal] = {}
        self._loaded: list[Loaded] = []
        self._checks_fd = -1
        self._check_journals: dict[tuple[str, str], Journal] = {}
        self._loaded_checks: list[tuple[str, str, Loaded]] = []

    keeps_checks = True

    @classmethod
    def open(cls, data_dir: str | Path, lock: WriterLock | None = None) -> FileStore:
        """Lock DIR and load every DIR/<id>.jsonl (making DIR if need be); FeedError (one line) if unusable.

        The hub is the only writer of DIR until `close`: a second hub on it,
        or a `tally count` writing one of its files, is refused with the pid
        that holds it (``lock``: one the caller already holds on DIR). A
        broken file stops the hub rather than being skipped: its election
        would otherwise come back empty and take new events at seq 1.
        """
        path = Path(data_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FeedError(f"{data_dir}: cannot use as the data directory ({exc.strerror})") from None
        store = cls(path, lock or directory_lock(path))
        try:
            store._load()
        except BaseException:
            store.close()
            raise
        return store

    def _load(self) -> None:
        for name in _journal_names(self.lock.fd, self.data_dir):
            path = self.data_dir / name
            opened = Journal.load_in(InDirectory(self.lock.fd, name), path)  # InUse: a count writes it
            election = opened.count.election
            if election is None:  # created, but the header never made it
                continue
            if election.id != path.stem:
                raise FeedError(f"{path}: holds election {election.id!r}, "
                                f"but the file must be named {election.id}.jsonl")
            if opened.repaired:
                self.repaired.append(opened.repaired)
            self._journals[election.id] = opened.journal
            self._loaded.append(Loaded(opened.count, [dump_event(e) for e in opened.events]))
        self._load_checks()

    def _load_checks(self) -> None:
        """Load the check counts of DIR/checks, if there is one (it is made by the first check)."""
        try:
            os.stat(CHECKS_DIR, dir_fd=self.lock.fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        where = self.data_dir / CHECKS_DIR
        for name in _journal_names(self._checks_dir(), where):
            path = where / name
            election_id, _, check = name.removesuffix(".jsonl").partition(".")
            opened = Journal.load_in(InDirectory(self._checks_fd, name), path)
            election = opened.count.election
            if election is None:
                continue
            if election.id != election_id or not check:
                raise FeedError(f"{path}: holds a check of election {election.id!r}, but the file "
                                f"must be named {election.id}.NAME.jsonl")
            if opened.repaired:
                self.repaired.append(opened.repaired)
            self._check_journals[(election_id, check)] = opened.journal
            self._loaded_checks.append(
                (election_id, check, Loaded(opened.count, [dump_event(e) for e in opened.events])))

    def _checks_dir(self) -> int:
        """DIR/checks, opened (and made) once, not through a symlink: one descriptor for every check.

        FeedError if it cannot be: at load, the hub does not start; on a
        first check, the check is not saved (`append_check`).
        """
        if self._checks_fd >= 0:
            return self._checks_fd
        try:
            os.mkdir(CHECKS_DIR, 0o755, dir_fd=self.lock.fd)
            os.fsync(self.lock.fd)  # its name, before a check in it is acknowledged
        except FileExistsError:
            pass
        except OSError as exc:
            raise FeedError(f"{self.data_dir / CHECKS_DIR}: cannot make it ({exc.strerror})") from None
        try:
            self._checks_fd = os.open(CHECKS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                                      | os.O_CLOEXEC, dir_fd=self.lock.fd)
        except OSError as exc:
            raise FeedError(f"{self.data_dir / CHECKS_DIR}: cannot use it for the checks "
                            f"({exc.strerror}; a symbolic link is refused)") from None
        return self._checks_fd

    def loaded(self) -> list[Loaded]:
        return self._loaded

    def loaded_checks(self) -> list[tuple[str, str, Loaded]]:
        return self._loaded_checks

    async def append_check(self, election_id: str, name: str, seq: int, frame: str) -> Appended:
        """As `append`, into DIR/checks/<id>.<name>.jsonl."""
        key = (election_id, name)
        journal = self._check_journals.get(key)
        if journal is None:
            file = f"{election_id}.{name}.jsonl"
            try:
                where = InDirectory(self._checks_dir(), file)
            except FeedError as exc:
                raise NotStored(str(exc), str(self.data_dir / CHECKS_DIR), "checks dir") from None
            journal = Journal.in_directory(where, self.data_dir / CHECKS_DIR / file)
        self._write(journal, frame, seq)
        self._check_journals[key] = journal
        return Appended.STORED

    async def append(self, election_id: str, seq: int, frame: str, hub_last: int) -> Appended:
        """Append and fsync; the hub is the only writer, so its last is the file's.

        The header's append makes the file: a header that cannot be written
        leaves nothing behind (the file it made is removed again).
        """
        journal = self._journals.get(election_id)
        if journal is None:
            # A writer only: the hub counts the election in memory, so the
            # journal's own count is never read.
            name = f"{election_id}.jsonl"
            journal = Journal.in_directory(InDirectory(self.lock.fd, name), self.data_dir / name)
        self._write(journal, frame, seq)
        self._journals[election_id] = journal
        return Appended.STORED

    @staticmethod
    def _write(journal: Journal, frame: str, seq: int) -> None:
        """Write and fsync one event, or NotStored (a header that failed leaves no file behind)."""
        try:
            journal.write(frame, create=seq == 1)
        except JournalWriteError as exc:
            if seq == 1:
                journal.discard()
            kind = "out of fds" if exc.errno in OUT_OF_FDS else f"write {exc.errno}"
            raise NotStored(exc.strerror or str(exc), str(journal.path), kind, exc.whole) from None

    def close(self) -> None:
        """Let go of the data directory (the journals hold nothing open)."""
        if self._checks_fd >= 0:
            os.close(self._checks_fd)
            self._checks_fd = -1
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _journal_names(dir_fd: int, data_dir: Path) -> list[str]:
    """The names of DIR's elections' files, sorted: its regular ``*.jsonl``; a symlink is skipped, said once."""
    with os.scandir(dir_fd) as entries:
        found = sorted((e for e in entries if e.name.endswith(".jsonl")), key=lambda e: e.name)
    for entry in found:
        if entry.is_symlink():
            log.warning("%s: a symbolic link, not served: the hub serves only the files "
                        "in its directory", data_dir / entry.name)
    return [entry.name for entry in found if not entry.is_symlink()]
