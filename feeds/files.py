"""Event files: reading a JSON Lines count, with every problem as FILE:LINE: why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tally.reducer import Count, RuleError
from tally.schema import Event, EventError, parse_event

MAX_PROBLEMS = 20


class FeedError(Exception):
    """A file that cannot be used at all; the message is one line."""


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}"


def read_bytes(path: str | Path) -> bytes:
    """The whole file, or FeedError saying in one line why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise FeedError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FeedError(f"{path}: is a directory, not an event file") from None
    except PermissionError:
        raise FeedError(f"{path}: permission denied") from None
    except OSError as exc:
        raise FeedError(f"{path}: cannot read ({exc.strerror})") from None


def numbered_events(path: str, data: bytes) -> Iterator[tuple[int, Event | Problem]]:
    """Each non-blank line's number with its event, or the Problem with it.

    A last line without its newline that does not parse is reported as torn:
    a write cut short by a crash, not a mistake in what was written.
    """
    lines = data.split(b"\n")
    last = len(lines)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield n, parse_event(line)
        except EventError as exc:
            why = "incomplete last line (a write cut short?)" if n == last else str(exc)
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


def load(path: str | Path) -> Loaded:
    """Read and apply a whole event file.

    Events are applied until the first problem; after it nothing is applied
    (the count would be wrong), but the rest of the file is still checked
    against the format so that one run shows every broken line.
    """
    path = str(path)
    loaded = Loaded(Count())
    apply = loaded.count.apply
    for n, item in numbered_events(path, read_bytes(path)):
        if isinstance(item, Problem):
            _note(loaded, item)
            continue
        loaded.events += 1
        if loaded.ok:
            try:
                apply(item)
            except RuleError as exc:
                _note(loaded, Problem(path, n, str(exc)))
    if loaded.count.election is None and loaded.ok:
        _note(loaded, Problem(path, 1, "no election header: the file has no events"))
    return loaded


def _note(loaded: Loaded, problem: Problem) -> None:
    if len(loaded.problems) < MAX_PROBLEMS:
        loaded.problems.append(problem)
    else:
        loaded.more_problems += 1
