"""Small counts written as events, for tests: header(...), ballots(...), and a file writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tally.reducer import Count
from tally.schema import parse_event


def header(**fields: Any) -> dict:
    base = {"type": "election", "id": "test", "title": "Test count", "union": "Test Union"}
    return {**base, **fields}


def numbered(*events: dict) -> list[dict]:
    """Give events their seq, 1, 2, 3 … (an explicit seq is kept)."""
    return [{"seq": i, **e} for i, e in enumerate(events, 1)]


def pile(choice: str, n: int) -> dict:
    return {"type": "ballot", "choice": choice, "count": n}


def ballots(*choices: str) -> list[dict]:
    return [{"type": "ballot", "choice": c} for c in choices]


def count_of(*events: dict) -> Count:
    count = Count()
    for e in numbered(*events):
        count.apply(parse_event(json.dumps(e)))
    return count


def write(path: Path, *events: dict, raw_lines: dict[int, str] | None = None) -> Path:
    """Write events as JSON Lines; raw_lines replaces given 1-based lines verbatim."""
    lines = [json.dumps(e) for e in numbered(*events)]
    for n, text in (raw_lines or {}).items():
        lines[n - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return path
