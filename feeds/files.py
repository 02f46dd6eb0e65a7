"""Event files: reading a JSON Lines count, with every problem as FILE:LINE: why."""

from __future__ import annotations

import io
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from tally.reducer import Count, RuleError
from pydantic import ValidationError

from tally.schema import EVENT, EVENTS, MAX_LINE, Event, explain

MAX_PROBLEMS = 20
BATCH = 64  # measured: larger batches keep more objects alive for the GC
validate_batch = EVENTS.validator.validate_json
validate_one = EVENT.validator.validate_json


class FeedError(Exception):
    """A file that cannot be used at all; the message is one line."""


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}"


KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)",
         stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFSOCK: "a socket"}


def regular_file_fd(path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """An fd of a regular file, or FeedError (one line) without reading anything.

    A FIFO would hang the reader until someone writes to it, and /dev/zero
    would fill the memory: only a regular file is an event file. O_NONBLOCK
    makes opening a FIFO return at once, so that it can be refused.
    """
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except FileNotFoundError:
        raise FeedError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FeedError(f"{path}: is a directory, not an event file") from None
    except PermissionError:
        raise FeedError(f"{path}: permission denied") from None
    except OSError as exc:
        raise FeedError(f"{path}: cannot open ({exc.strerror})") from None
    why = _not_regular(path, os.fstat(fd).st_mode)
    if why:
        os.close(fd)
        raise FeedError(why)
    os.set_blocking(fd, True)
    return fd


def refuse_non_regular(path: str | Path) -> None:
    """FeedError (one line) if `path` exists and is not a regular file; nothing is opened.

    For a writer: opening a FIFO to write would wait for a reader forever.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing (to be created) or unreadable: the open that follows says why
    why = _not_regular(path, mode)
    if why:
        raise FeedError(why)


def _not_regular(path: str | Path, mode: int) -> str | None:
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFREG:
        return None
    return f"{path}: is {KINDS.get(kind, 'not a regular file')}, not an event file"


@contextmanager
def opened(path: str | Path) -> Iterator[BinaryIO]:
    """A regular file open for reading, or FeedError saying in one line why it cannot be."""
    with os.fdopen(regular_file_fd(path), "rb") as f:
        yield f


def bounded_lines(f: BinaryIO) -> Iterator[bytes]:
    """The file's lines, each cut at MAX_LINE + 1 bytes (the rest of a longer line is skipped).

    A line longer than the format allows is refused without being parsed or
    held whole in memory: what is yielded is enough to see that it is too long.
    """
    readline = f.readline
    limit = MAX_LINE + 1
    for line in iter(lambda: readline(limit), b""):
        yield line
        if len(line) == limit and not line.endswith(b"\n"):
            while (rest := readline(limit)) and not rest.endswith(b"\n"):
                pass


def read_bytes(path: str | Path) -> bytes:
    """The whole file, or FeedError saying in one line why it cannot be read."""
    with opened(path) as f:
        return f.read()


def stream(path: str | Path, growing: bool = False) -> Iterator[tuple[int, Event | Problem]]:
    """A file's numbered events as it is read (FeedError if it cannot be opened).

    `growing`: the file may be a journal being written right now (see
    `numbered_events`).
    """
    with opened(path) as f:
        yield from numbered_events(str(path), bounded_lines(f), growing)


def header_problem(path: str | Path) -> str | None:
    """Why a file cannot be a count at all (its first event is no election header), or None.

    Read before a dashboard starts, so that a wrong file is one line at the
    prompt, not a screen full of errors.
    """
    for n, item in stream(path, growing=True):
        if isinstance(item, Problem):
            return f"{item}: not an event file"
        if item.type != "election":
            return f"{path}:{n}: the first event must be the election header"
        return None
    return f"{path}: no events: not an event file"


def numbered_events(path: str, lines: Iterable[bytes],
                    growing: bool = False) -> Iterator[tuple[int, Event | Problem]]:
    """Each non-blank line's number with its event, or the Problem with it.

    `lines` keep their newlines (a binary file object will do), so a file is
    read as it streams. Lines are validated a batch at a time (one call into
    pydantic-core for many events is much cheaper than one per event); a batch
    with any problem is validated again line by line to say exactly which line
    and why. A last line without its newline that does not parse is reported
    as torn: a write cut short by a crash, not a mistake in what was written.
    A reader (`growing`) skips it instead: in a journal being written it is an
    entry not yet stored, which no reader may count or show; only the writer
    (`Journal.open`) cuts it off.
    """
    batch: list[tuple[int, bytes]] = []
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE and len(line.rstrip(b"\r\n")) > MAX_LINE:
            yield from _validated(path, batch, growing)
            batch = []
            yield n, Problem(path, n, f"line longer than {MAX_LINE // 1024} KiB: not read")
        elif line.strip():
            batch.append((n, line))
            if len(batch) == BATCH:
                yield from _validated(path, batch, growing)
                batch = []
    yield from _validated(path, batch, growing)


def _validated(path: str, batch: list[tuple[int, bytes]],
               growing: bool) -> Iterator[tuple[int, Event | Problem]]:
    if not batch:
        return
    try:
        events = validate_batch(b"[" + b",".join(line for _, line in batch) + b"]")
    except ValidationError:
        yield from _one_by_one(path, batch, growing)
    else:
        yield from zip((n for n, _ in batch), events)


def _one_by_one(path: str, batch: list[tuple[int, bytes]], growing: bool):
    for n, line in batch:
        try:
            yield n, validate_one(line)
        except ValidationError as exc:
            torn = not line.endswith(b"\n")
            if torn and growing:
                return
            why = "incomplete last line (a write cut short?)" if torn else explain(exc)
            yield n, Problem(path, n, why)


@dataclass
class Loaded:
    """A count read from a file: what applied cleanly, and every problem."""

    count: Count
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_lines(self) -> list[str]:
        lines = [str(p) for p in self.problems]
        if self.more_problems:
            lines.append(f"… and {self.more_problems} more problems")
        return lines


def load(path: str | Path, growing: bool = False) -> Loaded:
    """Read and apply a whole event file (FeedError if it cannot be read)."""
    return load_bytes(str(path), read_bytes(path), growing)


def load_bytes(path: str, data: bytes, growing: bool = False) -> Loaded:
    """Apply the events of a file's contents; `path` names it in problems.

    Events are applied until the first problem; after it nothing is applied
    (the count would be wrong), but the rest of the file is still checked
    against the format so that one run shows every broken line.
    """
    loaded = Loaded(Count())
    apply = loaded.count.apply
    events = 0
    for n, item in numbered_events(path, io.BytesIO(data), growing):
        if item.__class__ is Problem:
            _note(loaded, item)
            break
        events += 1
        try:
            apply(item)
        except RuleError as exc:
            _note(loaded, Problem(path, n, str(exc)))
            break
    else:
        if loaded.count.election is None:
            _note(loaded, Problem(path, 1, "no election header: the file has no events"))
        loaded.events = events
        return loaded
    for n, item in numbered_events(path, io.BytesIO(data), growing):
        if n > loaded.problems[0].line and item.__class__ is Problem:
            _note(loaded, item)
    loaded.events = events
    return loaded


def _note(loaded: Loaded, problem: Problem) -> None:
    if len(loaded.problems) < MAX_PROBLEMS:
        loaded.problems.append(problem)
    else:
        loaded.more_problems += 1
