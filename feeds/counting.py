"""Opening a keyboard count: a new journal gets its header from the flags, an old one is resumed.

A count that cannot start (bad flags, a full disk, a journal in use) says
why in one line and leaves nothing behind: the journal it made is removed,
and nothing else was made (feeds/journal.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from feeds.files import FeedError
from feeds.journal import Journal, JournalWriteError
from feeds.live import LiveCount
from tally.present import OURS_COUNTER
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
    try:
        opened = Journal.open(path)
    except FeedError as exc:
        raise CountSetupError(str(exc)) from None
    journal = opened.journal
    events = opened.events  # read under the lock: every line is an event
    try:
        if journal.count.election is None:
            events = [_start(journal, path, flags)]
        else:
            _check_flags(path, journal.count.election, flags)
            journal.check_room()  # nothing is written at resume: a full disk is asked
        live = LiveCount(source=str(path))
        live.ours = OURS_COUNTER  # the counter's own screen: "Board: YES 200 · you 201"
        for event in events:
            live.apply(event)
    except (CountSetupError, FeedError, JournalWriteError) as exc:
        journal.discard()  # a count that never started leaves nothing behind
        raise CountSetupError(f"{path}: {exc}" if isinstance(exc, JournalWriteError) else str(exc)) from None
    except BaseException:
        journal.discard()
        raise
    journal.count = live.count  # one count: the journal checks entries against what is shown
    return OpenedCount(journal, live, opened.repaired, events)


def _start(journal: Journal, path: Path, flags: dict[str, Any]) -> Event:
    """Write the header the flags make (JournalWriteError if the disk will not take it)."""
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
    return event


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
