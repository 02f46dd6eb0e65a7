"""The file store: each election is DIR/<id>.jsonl, and one hub holds DIR.

This is the default, and needs nothing but a disk. An event is appended,
flushed and fsync'd (feeds/journal.py) before the hub acknowledges or counts
it. The hub holds an exclusive lock on DIR (feeds/locks.py) for as long as it
runs, so it is the only writer: the file's end is the election's last seq,
and nothing else ever appends. No file descriptor is kept per election: each
append opens the file, writes, fsyncs and closes it.
"""

from __future__ import annotations

from pathlib import Path

from feeds.files import FeedError, stream
from feeds.hub.store import OUT_OF_FDS, Appended, Loaded, NotStored, Store
from feeds.journal import Journal, JournalWriteError
from feeds.locks import WriterLock, check_free, directory_lock, journal_lock_path
from tally.reducer import Count
from tally.schema import dump_event


class FileStore(Store):
    """The elections of one data directory, locked for this hub alone."""

    def __init__(self, data_dir: Path, lock: WriterLock) -> None:
        self.data_dir = data_dir
        self.lock: WriterLock | None = lock
        self.where = f"in {data_dir}"
        self.repaired: list[str] = []
        self._journals: dict[str, Journal] = {}
        self._loaded: list[Loaded] = []

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
        for path in sorted(self.data_dir.glob("*.jsonl")):
            check_free(journal_lock_path(path), str(path))  # a `tally count` writing it now
            opened = Journal.open(path, create=False, lock=False)
            election = opened.count.election
            if election is None:  # created, but the header never made it
                continue
            if election.id != path.stem:
                raise FeedError(f"{path}: holds election {election.id!r}, "
                                f"but the file must be named {election.id}.jsonl")
            if opened.repaired:
                self.repaired.append(opened.repaired)
            self._journals[election.id] = opened.journal
            self._loaded.append(Loaded(opened.count, _frames(path)))

    def loaded(self) -> list[Loaded]:
        return self._loaded

    async def append(self, election_id: str, seq: int, frame: str, hub_last: int) -> Appended:
        """Append and fsync; the hub is the only writer, so its last is the file's.

        The header's append makes the file: a header that cannot be written
        leaves nothing behind (the write is cut back off).
        """
        journal = self._journals.get(election_id)
        if journal is None:
            # A writer only: the hub counts the election in memory, so the
            # journal's own count is never read.
            journal = Journal(self.data_dir / f"{election_id}.jsonl", Count())
        try:
            journal.write(frame, create=seq == 1)
        except JournalWriteError as exc:
            kind = "out of fds" if exc.errno in OUT_OF_FDS else f"write {exc.errno}"
            raise NotStored(exc.strerror or str(exc), str(journal.path), kind, exc.whole) from None
        self._journals[election_id] = journal
        return Appended.STORED

    def close(self) -> None:
        """Let go of the data directory (the journals hold nothing open)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _frames(path: Path) -> list[str]:
    """Each stored event of a journal, as the canonical JSON it is sent as."""
    return [dump_event(item) for _, item in stream(path)]
