"""The hub (`tally serve`): many elections, each fed by a publisher, watched by many.

One process, one asyncio loop. A publisher's event is checked against the
election's count in memory, stored durably by the hub's store (store.py: DIR/
<id>.jsonl fsync'd, or a Redis stream several hubs share), and only then
acknowledged, counted and sent to the election's watchers, so nothing a
watcher or a publisher has seen can be lost by a crash. Each stored event is
serialized once and the same frame is broadcast to every watcher. With a
shared store, what other hubs store reaches this one through the store's
`follow`, and is counted and sent the same way. docs/PROTOCOL.md is the
contract; this module is its implementation:

    GET /elections                      plain HTTP: JSON list of the elections
    /elections/{id}?since=N             watch (WebSocket): events seq > N, then live
    /elections/{id}/publish             publish (WebSocket), Authorization: Bearer TOKEN
    /elections/{id}/checks/{name}/publish   publish a check count of it (the same, a second counter)
    /board[?id=ID]                      every election's summary (WebSocket; board.py)
    /, /e/{id}, /static/...             the read-only web page (plain HTTP; web.py)
    /overlay/{id}, /card/{id}.png       a stream's lower third; the link preview's card (web.py, cards.py)

The hub is open to anyone who can reach it, so what costs it something is
bounded: no file descriptor per election (the file store opens a file for
each append; the Redis store has one reader for all elections), one
cached body for ``GET /elections`` whatever the number of elections, and it
answers every bad request with a status and one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import functools
import gc
import hmac
import inspect
import json
import logging
import re
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from pydantic_core import from_json
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.http11 import Request, Response

from feeds.hub.board import Board
from feeds.hub.cards import Cards
from feeds.hub.filestore import FileStore
from feeds.hub.headers import HttpError, header, refusal
from feeds.hub.store import OUT_OF_FDS, Appended, NotStored, Store
from feeds.hub.web import Pages
from feeds.link import MAX_FRAME
from feeds.locks import WriterLock
from tally.lang import ENGLISH, language_of
from tally.reducer import Count, RuleError, Snapshot
from tally.report import result_line
from tally.schema import Election as Header
from tally.schema import Event, EventError, dump_event, parse_event
from tally.verify import CheckResult, Comparison, EarMark, different_elections

log = logging.getLogger("tally.hub")

ID = r"(?P<id>[a-z0-9][a-z0-9-]{0,63})"  # the header's id pattern (tally/schema.py)
WATCH_PATH = re.compile(rf"/elections/{ID}")
PUBLISH_PATH = re.compile(rf"/elections/{ID}/publish")
CHECK_NAME = r"(?P<name>[a-z0-9][a-z0-9-]{0,31})"
"""A check counter's name: like an id, shorter; never a "." (the file store's separator)."""
CHECK_PATH = re.compile(rf"/elections/{ID}/checks/{CHECK_NAME}/publish")
LIST_PATH = "/elections"
BOARD_PATH = "/board"
CHECKS_EVERY = 0.1
"""Seconds between two ``{"checks": …}`` frames of one election, at the least."""
SINCE = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (str.isdigit would take '²'), and few enough to be a seq."""
LIST_METHODS = ("GET", "HEAD")
LIST_REFRESH = 0.25
"""``GET /elections`` is rebuilt at most this often (seconds) while elections change."""

SLOW_WATCHER_BYTES = 256 * 1024
"""A watcher with more than this waiting in the hub's write buffer is dropped.

Kernel socket buffers hold the first few hundred KiB, so this is reached only
by a watcher that has stopped reading, thousands of events behind: keeping it
would cost the hub memory without limit. It resumes later with ``since=``.
"""

CLOSE_WATCHERS_DO_NOT_SEND = 1008
CLOSE_CHECK_REFUSED = 1008  # after the one line that says why
WRITER_PONG = 3.0
"""Seconds a check's publisher has to answer a ping when another connects under its name: one
that does not (its link died without a close the hub saw) is dropped and the new one takes
over, so a counter who reconnects after an outage is never refused by their own old link."""
CLOSE_JOURNAL_FAILED = 1011
CLOSE_STORE_LOST = 1013  # "try again later": on another hub
STORE_GRACE = 10.0
"""Seconds a hub may be unable to read a shared store before it sends its
watchers elsewhere: past it, what they see may be frozen while other hubs
(that can read the store) go on."""
AUTHORIZATION_LIMIT = 8 * 1024  # a token file may hold a long one: websockets' own line limit
BEARER = {"WWW-Authenticate": 'Bearer realm="tally"'}  # with every 401
DIFFERENT = "seq {} is already stored, as a different event"


@dataclass(frozen=True, slots=True)
class Route:
    """What a request asks for: "list", "watch", "publish" or "board", of which election."""

    kind: str
    election_id: str = ""
    since: int = 0
    check: str = ""  # "check": the check counter's name
    checks: bool = False  # the client asked for {"checks": [...]} frames too (``checks=1``)
    lang: str = "en"  # a board client's language (``lang=es``): its rows carry a model in it


def route(target: str, method: str = "GET") -> Route:
    """The route of a request (its method, path and query), or HttpError 404/405/400.

    The target is split by hand, not with urlsplit: a target such as ``//[``
    is a netloc to urlsplit, which raises on it.
    """
    path, _, query = target.partition("?")
    if path == LIST_PATH:
        _allow(method, LIST_METHODS)
        return Route("list")
    if path == BOARD_PATH:
        _allow(method, ("GET",))
        return Route("board", _only(query), lang=_lang(query))
    if match := PUBLISH_PATH.fullmatch(path):
        _allow(method, ("GET",))
        return Route("publish", match["id"], checks=_flag(query, "checks"))
    if match := CHECK_PATH.fullmatch(path):
        _allow(method, ("GET",))
        return Route("check", match["id"], check=match["name"], checks=_flag(query, "checks"))
    if match := WATCH_PATH.fullmatch(path):
        _allow(method, ("GET",))
        return Route("watch", match["id"], _since(query), checks=_flag(query, "checks"))
    raise HttpError(HTTPStatus.NOT_FOUND, f"no such path: {path}")


def _allow(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed here",
                        {"Allow": ", ".join(allowed)})


def _only(query: str) -> str:
    """``/board?id=ID``: the one election a board client follows ("" for all)."""
    values = parse_qs(query, keep_blank_values=True).get("id", [""])
    if len(values) != 1 or not (values[0] == "" or re.fullmatch(ID, values[0])):
        raise HttpError(HTTPStatus.BAD_REQUEST, "id must be one election id")
    return values[0]


def _lang(query: str) -> str:
    """``/board?lang=es``: the language a board client reads; one tally does not speak is English
    (a page's reader asked for nothing wrong: they get the words there are)."""
    values = parse_qs(query, keep_blank_values=True).get("lang", [ENGLISH])
    return (language_of(values[0]) if len(values) == 1 else None) or ENGLISH


def _flag(query: str, name: str) -> bool:
    """``name=1`` in the query: a client that reads the frames it names (older clients never ask)."""
    values = parse_qs(query, keep_blank_values=True).get(name, ["0"])
    if len(values) != 1 or values[0] not in ("0", "1"):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{name} must be 0 or 1")
    return values[0] == "1"


def _since(query: str) -> int:
    values = parse_qs(query, keep_blank_values=True).get("since", ["0"])
    if len(values) != 1 or not SINCE.fullmatch(values[0]):
        raise HttpError(HTTPStatus.BAD_REQUEST, "since must be one whole number ≥ 0 (at most 18 digits)")
    return int(values[0])


class Check:
    """A check count of an election: a second counter's own count of it, kept beside the main one.

    Never part of what watchers are sent as the count: only its comparison
    with the main count (`result`) is, updated incrementally after every
    event applied to either (tally/verify.py's Comparison, a few µs).
    """

    def __init__(self, name: str, count: Count, frames: list[str]) -> None:
        self.name = name
        self.count = count
        self.frames = frames
        self.writer: ServerConnection | None = None
        """The counter publishing it now: one writer per check, as per election file."""
        self.comparison: Comparison | None = None
        self.result: CheckResult | None = None
        self.ears = EarMark()
        """Whether this count was made by ear (issue 20): the line then says "the heard count"."""

    @property
    def last(self) -> int:
        return len(self.frames)

    def compare(self, main: Count, main_heard: bool = False) -> bool:
        """Bring `result` up to date with both counts; whether it changed."""
        if self.count.election is None or main.election is None:
            return False
        if self.comparison is None:
            self.comparison = Comparison(main, self.count)
        result = CheckResult.of(self.name, self.comparison.update(), main_heard, self.ears.follow(self.frames))
        changed, self.result = result != self.result, result
        return changed


class Election:
    """One election on the hub: its count, its frames, its watchers.

    ``frames[i]`` is the stored JSON of the event with seq i + 1, exactly as it
    is sent to watchers and compared with a re-sent event. The count and the
    frames hold exactly the events the store has delivered, in order.
    """

    def __init__(self, count: Count, frames: list[str]) -> None:
        self.count = count
        self.frames = frames
        self.watchers: set[ServerConnection] = set()
        self.listed: bytes | None = None
        """Its ``GET /elections`` entry as sent, or None when it has changed since."""
        self.checks: dict[str, Check] = {}
        self.hearing: set[ServerConnection] = set()
        """Watchers and publishers that asked for ``{"checks": [...]}`` frames (``checks=1``)."""
        self.checks_version = 0
        """How many times its checks' comparison has changed (a board row is made again when it does)."""
        self._checks_frame: tuple[int, str] = (0, "")
        self.telling: asyncio.TimerHandle | None = None
        """The ``{"checks": …}`` frame on its way to those hearing (`Hub._checks_changed`)."""
        self.told_at = float("-inf")
        self.ears = EarMark()
        """Whether the main count was made by ear (issue 20), for its checks' line."""

    def results(self) -> list[CheckResult]:
        """Each check's comparison with the main count, by name."""
        return [self.checks[n].result for n in sorted(self.checks) if self.checks[n].result is not None]

    def compare(self) -> bool:
        """Update every check's comparison after an event of the main count; whether any changed."""
        changed = False
        heard = self.ears.follow(self.frames) if self.checks else False
        for check in self.checks.values():
            changed = check.compare(self.count, heard) or changed
        return changed

    def checks_changed(self) -> None:
        self.checks_version += 1

    @property
    def checks_frame(self) -> str:
        """``{"checks": [...]}`` with each check's totals (for the line's figures), "" with no checks.

        Made when read (for those that hear it, or one that joins), once per
        change: a check counter's every event changes the comparison, and
        with nobody listening the JSON would be made for nothing.
        """
        version, frame = self._checks_frame
        if version != self.checks_version or (not frame and self.checks):
            frame = json.dumps({"checks": [r.as_json(totals=True) for r in self.results()]}) if self.checks else ""
            self._checks_frame = (self.checks_version, frame)
        return frame

    @property
    def id(self) -> str:
        return self.count.election.id

    @property
    def last(self) -> int:
        return len(self.frames)

    def summary(self) -> dict[str, Any]:
        """The election's line in ``GET /elections``.

        Made from the snapshot, not from `json_report`: the full report
        carries more (the odds) than a list of thousands of elections needs,
        at a cost the hub would pay for each of them after every restart.
        """
        snap = self.count.snapshot()
        header = snap.election
        return {
            "id": header.id,
            "title": header.title,
            "last": snap.last_seq,
            "totals": {**dict(zip(header.choices, snap.votes)),
                       "void": snap.void, "challenged": snap.challenged},
            "remaining": snap.remaining,
            "closed": snap.closed,
            "outcome": snap.outcome.outcome,
            "result": result_line(snap),
            "watchers": len(self.watchers),
            "checks": [r.as_json() for r in self.results()],
        }

    def listing(self) -> bytes:
        """`summary` as JSON, made again only after the election changed."""
        if self.listed is None:
            self.listed = json.dumps(self.summary()).encode()
        return self.listed


def _reply(seq: int | None, error: str | None = None) -> str:
    return json.dumps({"ack": seq} if error is None else {"error": error, "seq": seq})


def _seq_of(frame: str | bytes) -> int | None:
    """The seq of a refused frame, when it has one, so the error can name it.

    Read with pydantic-core's parser, as the event was: it refuses nesting
    too deep with a ValueError, where json.loads would raise RecursionError.
    """
    try:
        seq = from_json(frame).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


class Throttled:
    """Log a recurring complaint at most once per ``every`` seconds, saying how many were held back.

    A full disk or a full file table fails every request alike; one line a
    second says so as well as thousands would, and keeps the log readable.
    """

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, line: str) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -self.every) < self.every:
            self._held[key] = self._held.get(key, 0) + 1
            return
        held = self._held.pop(key, 0)
        self._last[key] = now
        log.warning("%s%s", line, f" ({held} more like it since the last)" if held else "")


STOP_GRACE = 2.0
"""Seconds a stopping hub gives its open connections to answer its close before it cuts them."""


class Hub:
    """The elections of one store, and the handlers that serve them."""

    def __init__(self, store: Store, token: str,
                 slow_watcher_bytes: int = SLOW_WATCHER_BYTES) -> None:
        self.store = store
        self._token = token.encode()
        self.slow_watcher_bytes = slow_watcher_bytes
        self.elections: dict[str, Election] = {}
        self.failed: dict[str, str] = {}
        """Elections whose store may end in a partial entry, and why: they take nothing until a restart."""
        self._ids: list[str] = []  # the elections' ids, sorted: the order of GET /elections
        self._listing: bytes | None = None
        self._listing_at = 0.0
        self._listing_stale = True
        self.complaints = Throttled()
        self.board = Board(self)
        self.cards = Cards(self.elections)
        self.pages = Pages(snapshot=self._snapshot, card=self.cards.png)
        self._following: asyncio.Task[None] | None = None
        self.store_lost: str | None = None
        """Why the shared store has been unreadable for STORE_GRACE seconds, or None."""
        self._lost_timer: asyncio.TimerHandle | None = None
        self.accepted: set[ServerConnection] = set()
        """Every connection from its accept to its loss (websockets lists only the open ones)."""
        for loaded in store.loaded():
            self._add(Election(loaded.count, loaded.frames))
        for election_id, name, loaded in store.loaded_checks():
            self._load_check(election_id, name, loaded)

    @classmethod
    def open(cls, data_dir: str | Path, token: str, lock: WriterLock | None = None,
             **kwargs: Any) -> Hub:
        """A hub on the file store of ``data_dir`` (locked and loaded: see FileStore.open)."""
        return cls(FileStore.open(data_dir, lock), token, **kwargs)

    @property
    def repaired(self) -> list[str]:
        """One line for each election whose torn last entry was cut off on load."""
        return self.store.repaired

    def start(self) -> None:
        """Follow what other hubs store (a shared store), until `close`."""
        if self.store.shared and self._following is None:
            self._following = asyncio.create_task(
                self.store.follow(self._deliver, self._lasts, self._reachable))
            self._following.add_done_callback(_reader_ended)

    def close(self) -> None:
        """Stop following, end the needle and card workers and let go of the store (the file store: its directory)."""
        self.board.close()
        self.cards.close()
        if self._following is not None:
            self._following.cancel()
        self.store.close()

    async def aclose(self) -> None:
        self.board.close()
        self.cards.close()
        if self._lost_timer is not None:
            self._lost_timer.cancel()
        if self._following is not None:
            self._following.cancel()
            await asyncio.gather(self._following, return_exceptions=True)
        await self.store.aclose()

    def _reachable(self, why: str | None) -> None:
        """The shared store cannot be read (``why``), or can again (None).

        A short outage (Redis restarting) changes nothing for the watchers:
        they get what they missed once it is back. Past STORE_GRACE, this hub
        sends its watchers away (1013) and refuses new ones (503), so that
        clients given several hubs go where the count is still live, and the
        others show that they are not.
        """
        if self._lost_timer is not None:
            self._lost_timer.cancel()
            self._lost_timer = None
        if why is None:
            self.store_lost = None
            return
        self._lost_timer = asyncio.get_running_loop().call_later(STORE_GRACE, self._lose_store, why)

    def _lose_store(self, why: str) -> None:
        self.store_lost = why
        log.warning("%s: unreadable for %.0f s: watchers are sent to other hubs until it is back",
                    self.store.where.removeprefix("in "), STORE_GRACE)
        for election in self.elections.values():
            for ws in list(election.watchers):
                asyncio.create_task(ws.close(CLOSE_STORE_LOST, "the hub cannot read its store"))

    def _lasts(self) -> dict[str, int]:
        return {election_id: election.last for election_id, election in self.elections.items()}

    def _add(self, election: Election) -> None:
        self.elections[election.id] = election
        bisect.insort(self._ids, election.id)
        self._changed(election)

    def _load_check(self, election_id: str, name: str, loaded: Any) -> None:
        """A check count the store held: compared at once, so ``GET /elections`` has it from the start."""
        election = self.elections.get(election_id)
        if election is None:
            log.warning("check %s of %s: the hub holds no such election; not served", name, election_id)
            return
        check = Check(name, loaded.count, loaded.frames)
        election.checks[name] = check
        check.compare(election.count, election.ears.follow(election.frames))
        election.checks_changed()

    def _checks_changed(self, election: Election) -> None:
        """A check's comparison changed: listed again, and told to those that asked (``checks=1``),
        at most once every CHECKS_EVERY seconds.

        While two counters agree, the comparison changes with every event of
        either ("agree at 811", "at 812"): a frame per event would double
        what a check costs the hub (measured: 1.25× the instructions of an
        event with no check). The first change goes out at the next turn of
        the loop, later ones in the same interval together, with the newest
        comparison.
        """
        election.checks_changed()  # first: the board's rows are made again by it
        self._changed(election)
        if election.hearing and election.telling is None:
            loop = asyncio.get_running_loop()
            wait = max(0.0, election.told_at + CHECKS_EVERY - loop.time())
            election.telling = loop.call_later(wait, self._tell_checks, election)

    @staticmethod
    def _tell_checks(election: Election) -> None:
        election.telling = None
        election.told_at = asyncio.get_running_loop().time()
        if election.hearing:
            broadcast(election.hearing, election.checks_frame)

    def _changed(self, election: Election) -> None:
        """Its entry in GET /elections is out of date, and maybe its summary on /board.

        Called whenever the election's count or its watchers change, whichever
        store delivered the event: the one place that says so.
        """
        election.listed = None
        self._listing_stale = True
        self.board.changed(election)
        self.cards.changed(election.id)

    def _snapshot(self, election_id: str) -> Snapshot | None:
        """The count of an election as it stands, for its page's preview tags; None if not on this hub."""
        election = self.elections.get(election_id)
        return None if election is None else election.count.snapshot()

    # -- the one rule of publishing ----------------------------------------
    async def accept(self, election_id: str, frame: str | bytes) -> str:
        """Store one published event, count it and send it to the watchers; the reply to send back.

        An event is accepted only if it is valid, its seq is last + 1, it keeps
        the rules of the count, and (for seq 1) it is the header of the election
        named in the URL. It is stored durably *before* it is acknowledged,
        counted or broadcast, so whatever anyone has seen survives a crash. An
        event identical to the one stored at its seq is acknowledged again
        without being applied: a publisher that lost an ack may safely send it
        again. Anything else gets ``{"error", "seq"}`` and changes nothing.

        With a shared store another hub may have stored more than this one
        has counted: then this hub catches up and decides once more, so its
        rules are checked against the count as it stands in the store.
        """
        try:
            event = parse_event(frame)
        except EventError as exc:
            return _reply(_seq_of(frame), str(exc))
        stored = dump_event(event)
        try:
            reply = await self._accept(election_id, event, stored)
            if reply is None:
                await self._catch_up(election_id)
                reply = await self._accept(election_id, event, stored)
        except NotStored as exc:
            return _reply(event.seq, self._not_stored(election_id, exc))
        if reply is None:  # other hubs went on storing while this one caught up
            return _reply(event.seq, "not saved: other hubs are storing this election faster "
                                     "than this one can follow; send it again")
        return reply

    async def _accept(self, election_id: str, event: Event, stored: str) -> str | None:
        """The reply to one event, or None if the store holds more than this hub has counted."""
        seq = event.seq
        if election_id in self.failed:
            return _reply(seq, f"the hub cannot store events for {election_id}: "
                               f"{self.failed[election_id]}")
        election = self.elections.get(election_id)
        last = election.last if election else 0
        if seq <= last:  # the store's entries never change: the hub's copy is enough
            same = stored == election.frames[seq - 1]
            return _reply(seq) if same else _reply(seq, DIFFERENT.format(seq))
        try:
            self._check(election_id, election, event, last)
        except RuleError as exc:
            if self.store.shared and await self._catch_up(election_id):
                return None  # refused by a view that was out of date: decide again
            return _reply(seq, str(exc))
        appended = await self.store.append(election_id, seq, stored, last)
        if appended is Appended.BEHIND:
            return None
        if appended is Appended.DIFFERENT:
            return _reply(seq, DIFFERENT.format(seq))
        self._deliver(election_id, seq, stored, event)
        return _reply(seq)

    @staticmethod
    def _check(election_id: str, election: Election | None, event: Event, last: int) -> None:
        """RuleError if the event cannot be the next one of this election, as the hub has it."""
        if event.seq != last + 1:
            raise RuleError(f"seq {event.seq} out of order: expected {last + 1}")
        if election is not None:
            election.count.check(event)
        elif not isinstance(event, Header):
            raise RuleError("the first event must be the election header")
        elif event.id != election_id:
            raise RuleError(f"the header's id {event.id!r} is not the "
                            f"election {election_id!r} of the URL")

    def _deliver(self, election_id: str, seq: int, frame: str, event: Event | None = None) -> None:
        """Count a stored event and send it to the watchers, if it is the next one; else nothing.

        Every event reaches the hub's elections through here, from its own
        publishers (once stored) and, with a shared store, from the store's
        reader: whichever comes first counts it, the other finds it counted.
        An election is listed once its header is stored.
        """
        election = self.elections.get(election_id)
        if seq != (election.last if election else 0) + 1:
            return
        new = election is None
        if new:
            election = Election(Count(), [])
        try:
            election.count.apply(event or parse_event(frame))
        except (EventError, RuleError) as exc:
            # Stored by a hub that reads events or rules otherwise (another
            # version of tally): this one cannot count what follows either.
            self.failed[election_id] = f"stored seq {seq} cannot be counted here ({exc})"
            log.error("%s: %s", election_id, self.failed[election_id])
            return
        election.frames.append(frame)
        if new:
            self._add(election)
        else:
            self._changed(election)
        self._broadcast(election, frame)
        if election.checks and election.compare():
            self._checks_changed(election)

    async def _catch_up(self, election_id: str) -> bool:
        """Count what the store holds beyond this hub's last event of the election; whether there was any."""
        election = self.elections.get(election_id)
        missed = await self.store.since(election_id, election.last if election else 0)
        for seq, frame in missed:
            self._deliver(election_id, seq, frame)
        return bool(missed)

    def _not_stored(self, election_id: str, exc: NotStored) -> str:
        """The answer to an event the store did not take: nothing of it was stored or counted.

        If the store is whole (``exc.whole``: a failed write was cut back
        off), the election goes on taking events: a disk that was full may
        have room again for the publisher's next try. If not, what it ends
        with is unknown until a restart repairs it, so the election takes
        nothing more (and its publishers are closed with 1011).
        """
        if not exc.whole:
            self.failed[election_id] = f"{exc.why}; restart the hub"
            log.error("%s: %s", exc.where, self.failed[election_id])
            return f"{exc}; restart the hub"
        if exc.kind:  # "": the store has said it in the log already, once
            self.complaints.warning(exc.kind, f"{exc.where}: {exc}")
        return str(exc)

    def _broadcast(self, election: Election, frame: str) -> None:
        """Send one frame to every live watcher; drop those that stopped reading.

        ``broadcast`` writes to each connection without waiting, so one slow
        watcher never delays the others; instead its bytes pile up in the
        hub's write buffer, and past ``slow_watcher_bytes`` it is cut off.
        Aborting (no close frame) is deliberate: a close frame would only queue
        behind what it already does not read.
        """
        watchers = election.watchers
        if not watchers:
            return
        broadcast(watchers, frame)
        limit = self.slow_watcher_bytes
        for ws in [w for w in watchers if w.transport.get_write_buffer_size() > limit]:
            log.info("%s: dropped a watcher that stopped reading", election.id)
            watchers.discard(ws)
            ws.transport.abort()

    # -- HTTP, before any upgrade ------------------------------------------
    def process_request(self, connection: ServerConnection,
                        request: Request) -> Response | None | Awaitable[Response | None]:
        """`_answer`, with a last resort: nothing a request does can reach websockets as an exception.

        websockets answers an exception from here with a 500 and logs its
        traceback, so any request that finds a bug could fill the log.
        Every refusal the hub means is an HttpError; anything else is a bug
        in tally, answered with a 400 and told in one line (once a second
        at most, saying how many more), never a traceback.
        """
        try:
            answer = self._answer(connection, request)
        except Exception as exc:  # noqa: BLE001 - the last resort, by design
            return self._unanswerable(connection, request, exc)
        if inspect.isawaitable(answer):
            return self._guarded(connection, request, answer)
        return answer

    async def _guarded(self, connection: ServerConnection, request: Request,
                       answer: Awaitable[Response | None]) -> Response | None:
        try:
            return await answer
        except Exception as exc:  # noqa: BLE001 - the last resort, as in process_request
            return self._unanswerable(connection, request, exc)

    def _unanswerable(self, connection: ServerConnection, request: Request, exc: Exception) -> Response:
        what = f"{request.method} {request.path}"
        self.complaints.warning("request", f"could not answer {what[:200]!r}: {type(exc).__name__}: "
                                           f"{str(exc)[:200]} (a bug in tally: please report it)")
        return refusal(connection, HttpError(HTTPStatus.BAD_REQUEST, "this request could not be answered"))

    def _answer(self, connection: ServerConnection,
                request: Request) -> Response | None | Awaitable[Response | None]:
        """Answer ``GET /elections``, and refuse bad paths (404), methods (405), since (400), tokens (401).

        Everything that can be refused is refused here, before the upgrade,
        so a client gets a plain HTTP status it can act on. (websockets
        would refuse a non-GET upgrade itself, but only after this has run.)
        A watcher that asks a hub on a shared store for more than the hub
        has (it comes from another hub) is answered once this hub has caught
        up with the store: a coroutine, which websockets awaits.
        """
        try:
            if (page := self.pages.respond(connection, request)) is not None:
                return page
            target = route(request.path, request.method)
            if target.kind == "list":
                return self._list_response(connection, request.method == "HEAD")
            if target.kind in ("publish", "check"):
                self._authorize(request.headers)
            elif target.kind == "board":
                pass  # an election not yet on the hub is sent once its header is
            elif self.store_lost is not None:
                raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE,
                                f"this hub cannot read its store ({self.store_lost}): try another")
            elif self.store.shared and not self._has(target):
                return self._after_catching_up(connection, target)
            else:
                self._check_watch(target)
        except HttpError as exc:
            return refusal(connection, exc)
        return None

    def _has(self, target: Route) -> bool:
        election = self.elections.get(target.election_id)
        return election is not None and target.since <= election.last

    def _check_watch(self, target: Route) -> None:
        """404 for an election the hub does not have, 400 for a since past its last event."""
        election = self.elections.get(target.election_id)
        if election is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no election {target.election_id!r} on this hub")
        if target.since > election.last:
            raise HttpError(HTTPStatus.BAD_REQUEST,
                            f"since={target.since} is past the last event ({election.last})")

    async def _after_catching_up(self, connection: ServerConnection, target: Route) -> Response | None:
        try:
            await self._catch_up(target.election_id)
        except NotStored as exc:  # the store is unreachable: say so, the watcher tries again
            return refusal(connection, HttpError(HTTPStatus.SERVICE_UNAVAILABLE, exc.why))
        try:
            self._check_watch(target)
        except HttpError as exc:
            return refusal(connection, exc)
        return None

    def _list_response(self, connection: ServerConnection, head: bool) -> Response:
        """``GET /elections`` (or HEAD): the cached body, rebuilt at most every LIST_REFRESH seconds.

        Each election's entry is cached until it changes, and the list is
        joined again only when something changed and the last one is older
        than LIST_REFRESH: a client asking in a loop costs the same whether
        the hub has 10 elections or 10,000, and is at most that stale.
        """
        now = time.monotonic()
        if self._listing is None or (self._listing_stale and now - self._listing_at >= LIST_REFRESH):
            self._listing_stale = False
            self._listing_at = now
            entries = b", ".join(self.elections[i].listing() for i in self._ids)
            self._listing = b"[" + entries + b"]\n"
        response = connection.respond(HTTPStatus.OK, "")
        for name, value in (("Content-Type", "application/json"),
                            ("Content-Length", str(len(self._listing)))):
            del response.headers[name]  # Headers is a multidict: setting would add a second one
            response.headers[name] = value
        return dataclasses.replace(response, body=b"" if head else self._listing)

    def _authorize(self, headers: Headers) -> None:
        """A publisher must send ``Authorization: Bearer <token>``; compared in constant time."""
        scheme, _, given = (header(headers, "Authorization", AUTHORIZATION_LIMIT) or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise HttpError(HTTPStatus.UNAUTHORIZED, "publishing needs Authorization: Bearer <token>",
                            BEARER)
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise HttpError(HTTPStatus.UNAUTHORIZED, "wrong token", BEARER)

    # -- WebSocket connections ---------------------------------------------
    async def handler(self, ws: ServerConnection) -> None:
        target = route(ws.request.path)  # process_request has let only good routes through
        try:
            if target.kind == "publish":
                await self._publish(ws, target.election_id, target.checks)
            elif target.kind == "check":
                await self._publish_check(ws, target)
            elif target.kind == "board":
                await self.board.serve(ws, target.election_id or None, target.lang)
            else:
                await self._watch(ws, self.elections[target.election_id], target.since, target.checks)
        except ConnectionClosed:
            pass  # the other side left, or was cut off: nothing to report

    async def _publish(self, ws: ServerConnection, election_id: str, hear: bool = False) -> None:
        """``{"last": N}``, then one reply per event frame, in order.

        With a shared store N is the store's last, not an older count of this
        hub's: the publisher would otherwise re-send what other hubs stored.
        ``hear``: the counter asked for the checks' frames too, between its
        acks (its own screen shows the verification line).
        """
        if self.store.shared:
            try:
                await self._catch_up(election_id)
            except NotStored:
                pass  # the store is down: the publisher's events will be answered "not saved"
        election = self.elections.get(election_id)
        await ws.send(json.dumps({"last": election.last if election else 0}))
        if hear and election is not None:
            self._hear(election, ws)
        try:
            await self._replies(ws, election_id)
        finally:
            if (election := self.elections.get(election_id)) is not None:
                election.hearing.discard(ws)

    def _hear(self, election: Election, ws: ServerConnection) -> None:
        """Send ``ws`` the checks' frames from now on, the latest first (no await: none is missed)."""
        election.hearing.add(ws)
        if election.checks_frame:
            broadcast({ws}, election.checks_frame)

    async def _replies(self, ws: ServerConnection, election_id: str) -> None:
        async for frame in ws:
            # Once the publisher has closed (after a "not saved", say) with
            # frames still in flight, nobody reads their answers: the frames
            # are only read off (so that the hub sees the connection end: with
            # reading paused it would wait out the close timeout), not
            # accepted. It sends them again on its next connection.
            if ws.state is not State.OPEN:
                continue
            reply = await self.accept(election_id, frame)
            if ws.state is State.OPEN:
                await ws.send(reply)
            if election_id in self.failed:
                await ws.close(CLOSE_JOURNAL_FAILED, "journal write failed")

    # -- check counts (issue 18) --------------------------------------------
    def _check_refusal(self, election_id: str, election: Election | None, name: str) -> str | None:
        """Why a check counter cannot publish a check of ``election_id`` at all, or None.

        (A name another counter is publishing now is refused by `_take_writer`.)
        """
        if not self.store.keeps_checks:
            return ("this hub's store does not keep check counts: publish the check to a hub "
                    "that keeps its elections in a directory")
        if election is None:
            return (f"no election {election_id!r} on this hub yet: a check is published beside "
                    "its main count, waiting for it")
        return None

    async def _take_writer(self, check: Check, ws: ServerConnection) -> bool:
        """Make ``ws`` the check's one writer, unless a live one holds it; whether it did.

        A writer that answers a ping within WRITER_PONG holds it; one that
        does not is cut off (its handler ends) and ``ws`` takes its place.
        """
        while check.writer is not None:
            old = check.writer
            if await _answers(old):
                return False
            if check.writer is old:
                log.info("check %s: its publisher stopped answering; a new one takes over", check.name)
                old.transport.abort()
                check.writer = None
        check.writer = ws  # no await since it was seen free
        return True

    async def _publish_check(self, ws: ServerConnection, target: Route) -> None:
        """A check counter: ``{"last": N}`` of its check, then one reply per event frame, in order.

        Or one line, ``{"error": why}``, and the connection closed: an
        election the hub does not hold, a store that keeps no checks, or a
        check of that name another counter is publishing now.
        """
        election_id, name = target.election_id, target.check
        if self.store.shared:
            try:
                await self._catch_up(election_id)
            except NotStored:
                pass
        election = self.elections.get(election_id)
        refused = self._check_refusal(election_id, election, name)
        if refused is not None:
            # No election yet is for now: the check's counter may have started first.
            later = {"later": True} if election is None and self.store.keeps_checks else {}
            await ws.send(json.dumps({"error": refused, **later}))
            await ws.close(CLOSE_CHECK_REFUSED, "check refused")
            return
        assert election is not None
        check = election.checks.setdefault(name, Check(name, Count(), []))
        if not await self._take_writer(check, ws):
            await ws.send(json.dumps({"error": f"check {name!r} of {election_id} is already being "
                                               "published by another counter: one writer per check "
                                               "(choose another --check name)"}))
            await ws.close(CLOSE_CHECK_REFUSED, "check refused")
            return
        try:
            await ws.send(json.dumps({"last": check.last}))
            if target.checks:
                self._hear(election, ws)
            async for frame in ws:
                if ws.state is not State.OPEN:
                    continue
                reply = await self.accept_check(election, check, frame)
                if ws.state is State.OPEN:
                    await ws.send(reply)
        finally:
            if check.writer is ws:
                check.writer = None
            election.hearing.discard(ws)

    async def accept_check(self, election: Election, check: Check, frame: str | bytes) -> str:
        """Store one event of a check count, count it and compare it; the reply (as `accept`).

        The same rules as the main count's: valid, seq last + 1, the count's
        rules, an identical re-send acknowledged again. Its header must be
        this election's (`tally.verify.different_elections`). Stored and
        fsync'd before it is counted or acknowledged.
        """
        try:
            event = parse_event(frame)
        except EventError as exc:
            return _reply(_seq_of(frame), str(exc))
        stored, seq, last = dump_event(event), event.seq, check.last
        if seq <= last:
            return _reply(seq) if stored == check.frames[seq - 1] else _reply(seq, DIFFERENT.format(seq))
        try:
            self._check_check(election, check, event)
        except RuleError as exc:
            return _reply(seq, str(exc))
        try:
            await self.store.append_check(election.id, check.name, seq, stored)
        except NotStored as exc:
            if exc.kind:
                self.complaints.warning(exc.kind, f"{exc.where}: {exc}")
            return _reply(seq, str(exc))
        check.count.apply(event)
        check.frames.append(stored)
        if check.compare(election.count, election.ears.follow(election.frames)):
            self._checks_changed(election)
        return _reply(seq)

    @staticmethod
    def _check_check(election: Election, check: Check, event: Event) -> None:
        """RuleError if the event cannot be the check's next one: as `_check`, its header this election's."""
        if event.seq != check.last + 1:
            raise RuleError(f"seq {event.seq} out of order: expected {check.last + 1}")
        if check.last:
            check.count.check(event)
        elif not isinstance(event, Header):
            raise RuleError("the first event must be the election header")
        elif why := different_elections(election.count.election, event):
            raise RuleError(f"not a check of {election.id}: {why}")

    async def _watch(self, ws: ServerConnection, election: Election, since: int,
                     hear: bool = False) -> None:
        """Catch up from ``since``, then join the broadcast until the watcher leaves.

        The catch-up awaits each send, so a watcher far behind is fed as fast
        as it reads and never fills the hub's memory. The last check of
        ``sent < election.last`` and joining the set happen with no await in
        between, so no event can fall between catch-up and broadcast.
        """
        sent = since
        while sent < election.last:
            await ws.send(election.frames[sent])
            sent += 1
        election.watchers.add(ws)
        if hear:
            self._hear(election, ws)
        self._changed(election)  # its watcher count is listed
        try:
            await ws.recv()
            await ws.close(CLOSE_WATCHERS_DO_NOT_SEND, "watchers do not send")
        finally:
            election.watchers.discard(ws)
            election.hearing.discard(ws)
            self._changed(election)

    def serve(self, host: str, port: int, **kwargs: Any) -> Server:
        """The websockets server for this hub: ``async with hub.serve(host, port) as server``."""
        return serve(
            self.handler,
            host,
            port,
            process_request=self.process_request,
            compression=None,  # small JSON frames: deflate would cost CPU and memory per watcher
            max_size=MAX_FRAME,
            create_connection=functools.partial(_Accepted, self.accepted),
            **kwargs,
        )

    async def stop(self, server: Server) -> None:
        """Stop serving within about STOP_GRACE seconds, whoever is connected.

        websockets' own close waits for every connection: one still silent
        (a browser's preconnect) until its open timeout, one whose request
        waits for a worker (a card) until that is done, one that does not
        answer the close (a client that stopped reading) until the close
        timeout, 10 s each. So the hub stops listening, aborts the connections
        that have not sent a request and ends its workers (what waits for them
        fails at once), then gives the open connections STOP_GRACE to answer
        websockets' close (1001, "going away") and aborts those that did not.
        """
        server.server.close()
        for connection in list(self.accepted):
            if connection.protocol.state is State.CONNECTING:
                connection.transport.abort()
        self.board.close()
        self.cards.close()
        server.close()
        try:
            await asyncio.wait_for(asyncio.shield(server.wait_closed()), STOP_GRACE)
        except TimeoutError:
            for connection in list(self.accepted):
                connection.transport.abort()
            await server.wait_closed()


class _Accepted(ServerConnection):
    """A websockets connection that is in ``listed`` from its accept until it is lost."""

    def __init__(self, listed: set[ServerConnection], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listed = listed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._listed.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._listed.discard(self)
        super().connection_lost(exc)


async def _answers(ws: ServerConnection) -> bool:
    """Whether a connection answers a ping within WRITER_PONG seconds."""
    try:
        pong = await ws.ping()
        await asyncio.wait_for(pong, WRITER_PONG)
    except (ConnectionClosed, TimeoutError):
        return False
    return True


def _reader_ended(task: asyncio.Task[None]) -> None:
    """The store's reader ends only when cancelled; anything else is a bug in tally: say it all."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the store's reader stopped: this hub no longer hears other hubs",
                  exc_info=task.exception())


async def run_hub(
    host: str,
    port: int,
    data_dir: str | Path,
    token: str,
    ready: Callable[[Hub, Server], Awaitable[None] | None] | None = None,
    lock: WriterLock | None = None,
    store: Store | None = None,
    **listen: Any,
) -> None:
    """Serve the elections of ``store`` (default: the file store of ``data_dir``) until cancelled.

    ``ready(hub, server)`` is called once it listens (``server.sockets`` gives
    the port when ``port`` is 0). FeedError if a journal is unusable or DIR
    is in use (``lock``: DIR's lock, if the caller took it already), OSError
    if the address cannot be bound. The store is closed on the way out.
    ``listen`` goes to websockets' ``serve``: ``ssl=`` a context serves https
    and wss (feeds/tls.py); ``sock=`` a socket bound already (`tally count
    --serve` binds before it journals anything), with host and port None.
    """
    hub = Hub(store, token) if store is not None else Hub.open(data_dir, token, lock=lock)
    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    loop.set_exception_handler(_accept_failures_told_once_a_second(before, hub.complaints))
    try:
        hub.start()
        _settle_heap()
        async with hub.serve(host, port, **listen) as server:
            hub.board.rows.warm()  # a served hub's first board client waits for no worker to start
            if ready is not None:
                maybe = ready(hub, server)
                if maybe is not None:
                    await maybe
            try:
                await loop.create_future()  # until cancelled; not serve_forever, whose close waits 10 s
            finally:
                await hub.stop(server)
    finally:
        try:
            await hub.aclose()
        finally:
            loop.set_exception_handler(before)


def _settle_heap() -> None:
    """What the hub loaded at start (every election's events) is kept for good: out of the collector's sight.

    A full collection walks every tracked object; with 1,000 elections loaded
    that is ~12 ms of the event loop, each time the churn of rows and frames
    triggers one (an ack that waits for it is that much late). Frozen, the
    loaded objects are never walked again; what is made later is collected
    as usual.
    """
    gc.collect()
    gc.freeze()


def _accept_failures_told_once_a_second(before: Any, complaints: Throttled) -> Callable:
    """An event-loop exception handler that says "out of file descriptors" in one line a second.

    When the file table is full, asyncio's accept loop fails on every
    pending connection and reports each one, traceback and all (thousands
    a second); it retries by itself a second later, so the hub recovers
    as soon as descriptors are free. Only that report is changed here.

    asyncio schedules one retry per failed accept, and does not cancel them
    when the server closes: a hub stopped within that second has each retry
    fail on the closed socket (ValueError, descriptor -1). Those retries had
    nothing left to do, so they are dropped without a word.
    """

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_FDS:
            complaints.warning("accept", f"cannot accept connections: {exc.strerror} "
                                         "(retrying every second)")
        elif isinstance(exc, ValueError) and _accept_retry_after_close(context.get("handle")):
            pass
        elif before is not None:
            before(loop, context)
        else:
            loop.default_exception_handler(context)

    return handle


def _accept_retry_after_close(handle: Any) -> bool:
    """Whether ``handle`` is asyncio's accept retry for a listening socket closed since (see above)."""
    callback = getattr(handle, "_callback", None)
    args = getattr(handle, "_args", None) or ()
    return (getattr(callback, "__name__", "") == "_start_serving"
            and any(isinstance(arg, socket.socket) and arg.fileno() == -1 for arg in args))


def bound_port(server: Server) -> int:
    """The TCP port a server listens on (the one the OS chose for port 0)."""
    return server.sockets[0].getsockname()[1]

