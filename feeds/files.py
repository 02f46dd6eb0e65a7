"""Event files: reading a JSON Lines count, with every problem as FILE:LINE: why."""

from __future__ import annotations

import gc
import io
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from itertools import count
from typing import BinaryIO, Callable, Iterable, Iterator

from pydantic import ValidationError

from tally.reducer import Count, RuleError
from tally.schema import (EVENT, EVENTS, MAX_LINE, Event, as_event, explain, validate_events_fast,
                          validate_json)

MAX_PROBLEMS = 20
BATCH = 64  # lines per call into pydantic-core on the line-by-line path
BLOCK = MAX_LINE  # bytes read at a time: a whole line of the longest kind fits in one block
FIRST_BLOCK = 4096
"""Bytes of a file's first read: the header check and a replay's first frame need its first
lines, not the ~900 events of a whole block validated (`runs` gives the same runs' items
whatever the blocks; docs/PERFORMANCE.md, "Launch")."""


def validate_batch(data: bytes) -> list:
    return validate_json(EVENTS.validator, data)


def validate_one(line: bytes) -> Event:
    return validate_json(EVENT.validator, line)


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


def refuse_non_regular_fd(fd: int, path: str | Path) -> None:
    """FeedError (one line) if the file open as ``fd`` is not a regular file (``path`` names it).

    For a file opened relative to a directory (a hub's), where the path alone
    would not find the same file.
    """
    why = _not_regular(path, os.fstat(fd).st_mode)
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
    """A file's numbered events as it is read (FeedError if it cannot be opened)."""
    with opened(path) as f:
        for first, items in runs(str(path), f, validate_batch, growing):
            yield from zip(count(first), items)


def header_problem(path: str | Path) -> str | None:
    """Why a file cannot be a count at all (its first event is no election header), or None.

    Read before a dashboard starts, so that a wrong file is one line at the
    prompt, not a screen full of errors.
    """
    for n, item in Cursor(path):
        if isinstance(item, Problem):
            return f"{item}: not an event file"
        if item.type != "election":
            return f"{path}:{n}: the first event must be the election header"
        return None
    return f"{path}: no events: not an event file"


def event_runs(path: str | Path, growing: bool = False) -> Iterator[tuple[int, list]]:
    """`runs` of a file, opened here (FeedError if it cannot be), on the fast path."""
    with opened(path) as f:
        yield from runs(str(path), f, growing=growing)


class Cursor:
    """A file's numbered events, read a run at a time: one by one (as models), or runs whole.

    Iterating gives (n, event or Problem), like `stream`. A reader that can
    take plain events (`LiveCount.apply_until`) takes the rest of the current
    run, `items[index:]` (line `first + index` on), and moves `index` on
    itself, calling `advance()` for the next run.
    """

    def __init__(self, path: str | Path, growing: bool = True) -> None:
        self._runs = event_runs(path, growing)  # a reader: a partial last line is not yet written
        self.first, self.items, self.index = 1, [], 0

    def advance(self) -> bool:
        """The next run, from its start; False at the end of the file."""
        for self.first, self.items in self._runs:
            self.index = 0
            return True
        self.items, self.index = [], 0
        return False

    def __iter__(self) -> Cursor:
        return self

    def __next__(self) -> tuple[int, Event | Problem]:
        while self.index >= len(self.items):
            if not self.advance():
                raise StopIteration
        i = self.index
        self.index = i + 1
        return self.first + i, as_event(self.items[i])

    def close(self) -> None:
        self._runs.close()


def numbered_events(path: str, lines: Iterable[bytes], first: int = 1,
                    validate: Callable[[bytes], list] = validate_batch
                    ) -> Iterator[tuple[int, Event | Problem]]:
    """Each non-blank line's number with its event, or the Problem with it.

    `lines` keep their newlines (a binary file object will do), so a file is
    read as it streams; `first` is the first one's number. Lines are validated
    a batch at a time (one call into pydantic-core for many events is much
    cheaper than one per event); a batch with any problem is validated again
    line by line to say exactly which line and why. A last line without its
    newline that does not parse is reported as torn: a write cut short by a
    crash, not a mistake in what was written.
    """
    batch: list[tuple[int, bytes]] = []
    for n, line in enumerate(lines, first):
        if len(line) > MAX_LINE and len(line.rstrip(b"\r\n")) > MAX_LINE:
            yield from _validated(path, batch, validate)
            batch = []
            yield n, Problem(path, n, f"line longer than {MAX_LINE // 1024} KiB: not read")
        elif line.strip():
            batch.append((n, line))
            if len(batch) == BATCH:
                yield from _validated(path, batch, validate)
                batch = []
    yield from _validated(path, batch, validate)


def _validated(path: str, batch: list[tuple[int, bytes]], validate: Callable[[bytes], list]
               ) -> Iterator[tuple[int, Event | Problem]]:
    if not batch:
        return
    lines = b"".join(line if line.endswith(b"\n") else line + b"\n" for _, line in batch)
    events = _one_per_line(lines, len(batch), validate)
    if events is None:
        yield from _one_by_one(path, batch, validate)
    else:
        yield from zip((n for n, _ in batch), events)


def _one_per_line(lines: bytes, k: int, validate: Callable[[bytes], list]) -> list | None:
    """The events of `k` whole lines validated in one call, or None unless each line is one event.

    Joined into one JSON array, lines can parse as something other than one
    event each: a line `{"seq":2,…,"text":"x"` and the next `"at":null}` make
    one valid event between them, and a line holding two objects can make up
    the difference. So the batch counts only when every line starts with `{`
    and there are exactly k `{` in all: each event is an object and has at
    least one, so each has exactly one, at the start of its own line; it ends
    at the next `}`, inside that line, and only blanks may follow it there
    (the array's one comma between two events is the newline's). Each line is
    then exactly one event, and validates alone as it did in the array. A
    batch that does not pass (a `{` inside a text, a blank line) is read line
    by line: the same result, more slowly.
    """
    if not lines.startswith(b"{") or lines.count(b"{") != k or lines.count(b"\n{") != k - 1:
        return None
    try:
        events = validate(b"[" + lines[:-1].replace(b"\n", b",") + b"]")
    except ValidationError:
        return None
    return events if len(events) == k else None


def _one_by_one(path: str, batch: list[tuple[int, bytes]],
                validate: Callable[[bytes], list] | None = None):
    """Each line of `batch` alone: its event, or the Problem with it.

    Given the run's `validate`, a line is first validated by it as a one-item
    array, to the run's kind of item (the fast path's plain dict) and without
    the models' own validator, which pydantic would build for it (~35 ms, on
    a launch whose file has a `{` in a note). `[` + line + `]` is an array of
    one item only when the line is one JSON value between blanks, which is
    what `validate_one` reads; a line it refuses is validated again by the
    models, which word the refusal.
    """
    for n, line in batch:
        if validate is not None:
            try:
                items = validate(b"[" + line + b"]")
            except ValidationError:
                items = ()
            if len(items) == 1:
                yield n, items[0]
                continue
        try:
            yield n, validate_one(line)
        except ValidationError as exc:
            torn = not line.endswith(b"\n")
            why = "incomplete last line (a write cut short?)" if torn else explain(exc)
            yield n, Problem(path, n, why)


def runs(path: str, f: BinaryIO, validate: Callable[[bytes], list] = validate_events_fast,
         growing: bool = False) -> Iterator[tuple[int, list]]:
    """A file's lines as runs: (n, items), items[i] being line n + i's event or Problem.

    The file is read a block at a time; the whole lines of a block are
    validated in one call when they are one event each (see `_one_per_line`)
    and make one run, with `validate_events_fast` plain dicts for most events
    (`tally.schema.as_event` makes models of them). Anything else — a blank
    line, a line too long, a bad one — goes through `numbered_events`, line by
    line, in runs of one (blank lines have none). Memory stays at a block,
    whatever the file's size.

    A last line without its newline that does not parse is torn: a write cut
    short by a crash, or an entry of a journal still being written. For the
    writer (`Journal.open`, which cuts it off) it is a Problem; a reader
    (`growing`) skips it, as an entry not yet stored, which no reader may
    count or show.
    """
    read = f.read
    n = 1  # the number of the next line
    carry = b""  # the start of a line whose end is not read yet
    size = FIRST_BLOCK
    while True:
        block = read(size)
        size = BLOCK
        if not block:
            break
        end = block.rfind(b"\n") + 1
        if not end:
            carry += block
            if len(carry) > MAX_LINE + 1:  # too long: refused unread, the rest of it skipped
                carry = _rest_skipped(f, carry[:MAX_LINE + 1])
                yield from _slow(path, [carry], n, validate)
                n += 1
                carry = b""
            continue
        lines = carry + block[:end] if carry else block[:end]
        carry = block[end:]
        k = lines.count(b"\n")
        if lines.find(b"\n") <= MAX_LINE:  # the first line fits; the others came in one block
            events = _one_per_line(lines, k, validate)
            if events is not None:
                yield n, events
                n += k
                continue
        yield from _slow(path, bounded_lines(io.BytesIO(lines)), n, validate)
        n += k
    if carry:  # a last line without its newline
        for first, items in _slow(path, [carry], n, validate):
            if growing and items[0].__class__ is Problem:
                return
            yield first, items


def _rest_skipped(f: BinaryIO, head: bytes) -> bytes:
    """What `bounded_lines` yields of a line longer than the limit: its head; the rest is read past."""
    readline = f.readline
    while (rest := readline(MAX_LINE + 1)) and not rest.endswith(b"\n"):
        pass
    return head


def _slow(path: str, lines: Iterable[bytes], first: int, validate: Callable[[bytes], list]
          ) -> Iterator[tuple[int, list]]:
    for n, item in numbered_events(path, lines, first, validate):
        yield n, [item]


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
    """Read and apply a whole event file as it streams (FeedError if it cannot be read).

    `growing`: read as a reader of a journal that may be mid-write (see `runs`).
    """
    with opened(path) as f:
        return _load(str(path), f, growing)


def load_bytes(path: str, data: bytes, growing: bool = False) -> Loaded:
    """Apply the events of a file's contents; `path` names it in problems."""
    return _load(path, io.BytesIO(data), growing)


def _load(path: str, f: BinaryIO, growing: bool = False) -> Loaded:
    """Apply the events of a file as it is read.

    Events are applied until the first problem; after it nothing is applied
    (the count would be wrong), but the rest of the file is still checked
    against the format so that one run shows every broken line.
    """
    collecting = gc.isenabled()
    gc.disable()  # only acyclic objects are made here: cycle collection would be wasted time
    try:
        return _load_runs(path, runs(path, f, growing=growing))
    finally:
        if collecting:
            gc.enable()


def _load_runs(path: str, items: Iterator[tuple[int, list]]) -> Loaded:
    loaded = Loaded(Count())
    apply_run = loaded.count.apply_run
    events = 0
    for first, run in items:
        if run[0].__class__ is Problem:
            _note(loaded, run[0])
            break
        try:
            apply_run(run)
        except RuleError as exc:
            events += exc.index + 1  # the refused event counts, as it always has
            _note(loaded, Problem(path, first + exc.index, str(exc)))
            break
        events += len(run)
    else:
        if loaded.count.election is None:
            _note(loaded, Problem(path, 1, "no election header: the file has no events"))
        loaded.events = events
        return loaded
    for _, run in items:  # the rest of the file, checked, not applied
        if run[0].__class__ is Problem:
            _note(loaded, run[0])
    loaded.events = events
    return loaded


def _note(loaded: Loaded, problem: Problem) -> None:
    if len(loaded.problems) < MAX_PROBLEMS:
        loaded.problems.append(problem)
    else:
        loaded.more_problems += 1
