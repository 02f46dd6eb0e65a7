"""Opening a keyboard count: a new journal gets its header from the flags, an old one is resumed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from feeds.files import FeedError, stream
from feeds.journal import Journal
from feeds.live import LiveCount
from tally.reducer import RuleError
from tally.schema import Event, EventError, parse_event


class CountSetupError(Exception):
    """Why a count cannot start, in one line."""


@dataclass
class OpenedCount:
    journal: Journal
    live: LiveCount
    repaired: str | None
    events: list[Event]
    """Every event in the journal, in order: what a publisher sends to a hub."""


def slug(name: str) -> str:
    """An election id made from a file name: "LDJ5 count.jsonl" -> "ldj5-count"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "count"


def open_count(path: str | Path, flags: dict[str, Any]) -> OpenedCount:
    """Open or create the journal, check the flags against its header, load it for the screen."""
    path = Path(path)
    created = not path.exists()
    try:
        opened = Journal.open(path)
    except FeedError as exc:
        raise CountSetupError(str(exc)) from None
    journal = opened.journal
    try:
        if journal.count.election is None:
            _start(journal, path, flags)
        else:
            _check_flags(path, journal.count.election, flags)
        live = LiveCount(source=str(path))
        events = [event for _, event in stream(path)]  # checked on open: every line is an event
        for event in events:
            live.apply(event)
    except (CountSetupError, FeedError) as exc:
        journal.close()
        if created:
            path.unlink(missing_ok=True)  # a count that never started leaves nothing behind
        raise CountSetupError(str(exc)) from None
    journal.count = live.count  # one count: the journal checks entries against what is shown
    return OpenedCount(journal, live, opened.repaired, events)


def _start(journal: Journal, path: Path, flags: dict[str, Any]) -> None:
    header = {"seq": 1, "type": "election", "id": flags.get("id") or slug(path.stem),
              "title": flags.get("title") or path.stem,
              "at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
              **{k: v for k, v in flags.items() if k not in ("id", "title")}}
    try:
        event = parse_event(json.dumps(header))
    except EventError as exc:
        raise CountSetupError(f"{path}: cannot start a count with these flags: {exc}") from None
    try:
        journal.append(event)
    except RuleError as exc:  # cannot happen on an empty journal, but say so if it does
        raise CountSetupError(f"{path}: {exc}") from None


def _check_flags(path: Path, header, flags: dict[str, Any]) -> None:
    """Flags given when resuming must agree with the journal's header."""
    for name, given in flags.items():
        have = getattr(header, name)
        if name == "choices":
            have = list(have)
        if given != have:
            raise CountSetupError(
                f"{path}: --{name} {_flag(given)} contradicts the journal's header "
                f"({name}: {_flag(have)}); leave it out to resume, or start a new journal")


def _flag(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)
