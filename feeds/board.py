"""What `tally board` shows, from either source: several recorded counts in step, or a hub's /board.

Both keep one summary per election (`tally.summary.summary`, the same rules
as `tally report --json`) and a `version` that moves when any of them does;
the screen reads `rows()` when it is ready to draw, never per event.

- `LiveBoard` + `BoardReplay`: files replayed together, in step by their
  `at` stamps, with the pacing and keys of `feeds.replay.Replay` (the events
  of all files are merged into one timeline and paced as one).
- `BoardFollower`: a hub's ``/board`` stream, through any outage (the hub
  sends a fresh snapshot on every connect, so nothing needs resuming).
"""

from __future__ import annotations

import heapq
import json
import ssl
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from feeds.files import Problem, stream
from feeds.link import HubError, Hubs, Link, Retries, delays, describe, reconnecting
from feeds.live import FeedState, LiveCount
from feeds.replay import NO_STAMP, Replay, count_seconds
from tally.schema import Event
from tally.odds import needle_json, odds
from tally.lang import ENGLISH, current
from tally.present import BOARD_FIELDS, board_fields, present
from tally.reducer import Snapshot
from tally.summary import board_rows, needle_row

Where = tuple[int, int]
"""An item's file (its index on the board) and line."""


def merged(paths: list[Path]) -> Iterator[tuple[Where, Event | Problem]]:
    """Every file's items in one timeline, ordered by their `at` stamps (ties: by file, then line).

    An item without a stamp (or a bad line) takes its file's last stamp plus
    NO_STAMP seconds, so files without stamps still interleave.
    """

    def keyed(i: int, path: Path) -> Iterator[tuple[float, int, int, Where, Event | Problem]]:
        clock = 0.0
        for line, item in stream(str(path), growing=True):
            at = getattr(item, "at", None)
            clock = at.timestamp() if at is not None else clock + NO_STAMP
            yield clock, i, line, (i, line), item

    for *_, where, item in heapq.merge(*(keyed(i, p) for i, p in enumerate(paths))):
        yield where, item


def board_row(snap: Snapshot) -> dict[str, Any]:
    """The election's summary (`tally.summary.summary`) with the model's words for the board
    (`tally.present.board_fields`): the needle worked out once for both."""
    needle = odds(snap)
    row = needle_row(snap, None if needle is None else needle_json(needle))
    return {**row, **board_fields(present(snap, needle))}


class LiveBoard:
    """One LiveCount per file, fed by a `BoardReplay`; the board reads `rows()`."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.counts = [LiveCount(source=str(p)) for p in self.paths]
        self._index = {str(p): i for i, p in enumerate(self.paths)}
        self._rows: dict[int, tuple[int, dict[str, Any]]] = {}
        self.feed = FeedState()
        self.version = 0
        self.source = ""

    def reset(self) -> None:
        for path, live in zip(self.paths, self.counts):
            live.reset()
            live.source = str(path)
        self.version += 1

    def set_feed(self, state: str, detail: str = "", speed: float | None = None) -> None:
        """The replay's state, for the board and for each count (its dashboard shows it too)."""
        self.feed = FeedState(state, detail, speed)
        for live in self.counts:
            self._count_feed(live)
        self.version += 1

    def _count_feed(self, live: LiveCount) -> None:
        """A count's own feed: the replay's, but FINAL once the count is closed.

        The replay goes on for the other counts; a closed count's dashboard saying
        "▶ COUNTING 100×" would suggest that more of it is coming.
        """
        if live.count.closed:
            if live.feed.state != "final":
                live.set_feed("final", "the count is closed")
        else:
            live.set_feed(self.feed.state, self.feed.detail, self.feed.speed)

    def apply(self, item: Event, where: Where) -> bool:
        i, line = where
        self.version += 1
        live = self.counts[i]
        applied = live.apply(item, line)
        if live.count.closed and live.feed.state != "final":
            self._count_feed(live)
        return applied

    def problem(self, problem: Problem) -> None:
        self.counts[self._index[problem.path]].problem(problem)
        self.version += 1

    def apply_until(self, items: Iterator[tuple[Where, Event | Problem]], deadline: float) -> bool:
        """Apply items until the clock passes `deadline`; True when none are left."""
        for n, (where, item) in enumerate(items, 1):
            if isinstance(item, Problem):
                self.problem(item)
            else:
                self.apply(item, where)
            if not n & 63 and time.perf_counter() > deadline:
                return False
        return True

    @property
    def closed(self) -> bool:
        return all(live.count.closed for live in self.counts)

    def rows(self) -> list[dict[str, Any]]:
        """Each count's summary (made again only for the counts that moved)."""
        out = []
        for i, live in enumerate(self.counts):
            if live.count.election is None:
                continue
            cached = self._rows.get(i)
            if cached is None or cached[0] != live.version:
                cached = (live.version, board_row(live.count.snapshot()))
                self._rows[i] = cached
            out.append(cached[1])
        return out

    def live_of(self, election_id: str) -> LiveCount | None:
        for live in self.counts:
            if live.count.election is not None and live.count.election.id == election_id:
                return live
        return None


class BoardReplay(Replay):
    """Several files replayed in step by their `at` stamps, with `Replay`'s pacing and keys."""

    def __init__(self, board: LiveBoard, **kwargs: Any) -> None:
        super().__init__(board.paths[0], board, **kwargs)  # type: ignore[arg-type]
        self.board = board

    def _events(self) -> Iterator[tuple[Where, Event | Problem]]:
        return merged(self.board.paths)

    def _gaps(self) -> list[float]:
        gaps, before = [], None
        for n, (_, item) in enumerate(merged(self.board.paths)):
            if isinstance(item, Problem):
                continue
            if n:
                gaps.append(count_seconds(before, item.at))
            before = item.at
        return gaps

    def _reset(self) -> None:
        self.board.reset()

    def _closed(self) -> bool:
        return self.board.closed


def board_path(lang: str) -> str:
    """``/board``, asking for rows in `lang` too when it is not English (docs/PROTOCOL.md)."""
    return "/board" if lang == ENGLISH else f"/board?lang={lang}"


def in_language(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A hub's row with the board's words (`tally.present.board_fields`) of its model in `lang`,
    when the hub sent one (``models``); else as it is (the terminal words it from its figures)."""
    models = row.get("models")
    model = models.get(lang) if isinstance(models, dict) else None
    if not isinstance(model, dict):
        return row
    return {**row, **{k: model[k] for k in BOARD_FIELDS if k in model}}


class BoardFollower:
    """A hub's ``/board``: every election's summary, kept current through any outage.

    ``run()`` connects, takes the snapshot and every change, and reconnects
    with backoff when the link drops (the hub sends a fresh snapshot each
    time). ``link`` is a `Link` as the watcher reports it ("connecting",
    "live", "reconnecting", or final: "refused"); ``on_link`` hears each change.
    """

    def __init__(self, hub: str, on_link: Callable[[Link], None] | None = None,
                 wait: Callable[[], Iterator[float]] = delays(), tls: ssl.SSLContext | None = None) -> None:
        self.hub = hub
        self.url = f"{hub}/board"
        self.hubs = Hubs([hub], tls)
        self.on_link = on_link
        self.wait = wait
        self.link = Link("connecting", attempt=1)
        self.summaries: dict[str, dict[str, Any]] = {}
        self.ready = False
        """The first snapshot has arrived (an empty hub is then shown as empty, not loading)."""
        self.version = 0

    def rows(self) -> list[dict[str, Any]]:
        return list(self.summaries.values())

    def _report(self, state: str, attempt: int = 0, detail: str = "") -> None:
        self.link = Link(state, attempt, 0, detail)
        self.version += 1
        if self.on_link is not None:
            self.on_link(self.link)

    async def run(self) -> None:
        retries = Retries(lambda attempt, why: self._report("reconnecting", attempt, why))
        self._report("connecting", attempt=1)
        try:
            async for ws in reconnecting(self.hubs, lambda: board_path(current()), retries, self.wait):
                retries.succeeded()
                self._report("live")
                try:
                    async for frame in ws:
                        self.take(frame)
                except ConnectionClosed as exc:
                    self._report("reconnecting", attempt=1, detail=describe(exc))
                    continue
                self._report("reconnecting", attempt=1, detail="closed by the hub")
        except (InvalidStatus, InvalidHandshake, InvalidURI, HubError) as exc:
            self._report("refused", detail=describe(exc))

    def take(self, frame: str | bytes) -> None:
        """One frame of the stream: a summary (by id), ``{"rows": [summary, ...]}`` (several at once,
        in order), or ``{"ready": N}``; anything else is ignored."""
        try:
            data = json.loads(frame)
        except ValueError:
            return
        for row in board_rows(data):
            self._take(row)

    def _take(self, data: object) -> None:
        if not isinstance(data, dict):
            return
        if "ready" in data:
            self.ready = True
        elif isinstance(data.get("id"), str):
            self.summaries[data["id"]] = in_language(data, current())
        else:
            return
        self.version += 1
