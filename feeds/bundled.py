"""The recorded counts that ship with tally (replays/), found by name."""

from __future__ import annotations

import os
from pathlib import Path

from feeds.files import FeedError

NAMES = ("ldj5", "jfk8", "bhm1-2022")
SETS = ("starbucks-2022-06-07",)
"""Bundled days of several counts (`tally board NAME`): a folder of files, one per count."""
DEFAULT = "ldj5"


def replays_dir() -> Path:
    """replays/ beside the packages (a checkout), or inside feeds/ (a wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "replays", here / "replays"):
        if candidate.is_dir():
            return candidate
    raise FeedError("the bundled replays are missing from this installation")


def resolve(name_or_path: str) -> Path:
    """A bundled replay's NAME (ldj5, jfk8, bhm1-2022) or any file's path; FeedError if neither.

    An argument that is neither a bundled name nor anything on disk is most
    likely a mistyped name (`jfk` for `jfk8`), so the one line lists the
    bundled names rather than only saying "no such file". Anything that
    exists (or a dangling link) is left for the reader to refuse with its own
    reason: a directory, a FIFO, no permission.
    """
    if name_or_path in NAMES:
        return replays_dir() / f"{name_or_path}.jsonl"
    path = Path(name_or_path)
    if os.path.lexists(path):
        return path
    if name_or_path in SETS:  # a day of several counts: one count of it, or the board of all
        counts = day(name_or_path)
        raise FeedError(f"{name_or_path} is a bundled day of {len(counts)} counts: "
                        f"tally board {name_or_path} shows them all; one of them is {counts[0]}")
    raise FeedError(f"no such file or bundled count: {name_or_path} "
                    f"(bundled: {', '.join(NAMES)}; for tally board also {', '.join(SETS)})")


def day(name: str) -> list[Path]:
    """The counts of a bundled day of several (SETS), by file name."""
    return sorted((replays_dir() / name).glob("*.jsonl"))


def resolve_many(names_or_paths: list[str]) -> list[Path]:
    """Each argument as files: a bundled set's NAME gives its counts (by file name), any other as `resolve`
    (FeedError for the first that is neither)."""
    paths: list[Path] = []
    for name in names_or_paths:
        if name in SETS:
            paths += day(name)
        else:
            paths.append(resolve(name))
    return paths
