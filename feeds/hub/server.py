"""The hub (`tally serve`): many elections, each fed by a publisher, watched by many.

One process, one asyncio loop. A publisher's event is checked, journaled to
DIR/<id>.jsonl (flushed and fsync'd), and only then acknowledged and sent to
the election's watchers, so nothing a watcher or a publisher has seen can be
lost by a crash. Each accepted event is serialized once and the same frame is
broadcast to every watcher. docs/PROTOCOL.md is the contract; this module is
its implementation:

    GET /elections                      plain HTTP: JSON list of the elections
    /elections/{id}?since=N             watch (WebSocket): events seq > N, then live
    /elections/{id}/publish             publish (WebSocket), Authorization: Bearer TOKEN
    /board[?id=ID]                      every election's summary (WebSocket; board.py)
    /, /e/{id}, /static/...             the read-only web page (plain HTTP; web.py)

The hub is open to anyone who can reach it, so what costs it something is
bounded: it holds its data directory's lock (one hub per directory), no file
descriptor per election (a journal opens its file for each append), one
cached body for ``GET /elections`` whatever the number of elections, and it
answers every bad request with a status and one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import errno
import hmac
import json
import logging
import re
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
from websockets.http11 import Request, Response

from feeds.files import FeedError, stream
from feeds.hub.board import Board
from feeds.hub.web import Pages
from feeds.journal import Journal, JournalWriteError
from feeds.link import MAX_FRAME
from feeds.locks import WriterLock, check_free, directory_lock, journal_lock_path
from tally.reducer import Count, RuleError
from tally.report import result_line
from tally.schema import Election as Header
from tally.schema import EventError, dump_event, parse_event

log = logging.getLogger("tally.hub")

ID = r"(?P<id>[a-z0-9][a-z0-9-]{0,63})"  # the header's id pattern (tally/schema.py)
WATCH_PATH = re.compile(rf"/elections/{ID}")
PUBLISH_PATH = re.compile(rf"/elections/{ID}/publish")
LIST_PATH = "/elections"
BOARD_PATH = "/board"
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
CLOSE_JOURNAL_FAILED = 1011
BEARER = {"WWW-Authenticate": 'Bearer realm="tally"'}  # with every 401
OUT_OF_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)  # what asyncio's accept retries


class HttpError(Exception):
    """A request refused before the upgrade: an HTTP status, one line, any headers it needs."""

    def __init__(self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class Route:
    """What a request asks for: "list", "watch", "publish" or "board", of which election."""

    kind: str
    election_id: str = ""
    since: int = 0


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
        return Route("board", _only(query))
    if match := PUBLISH_PATH.fullmatch(path):
        _allow(method, ("GET",))
        return Route("publish", match["id"])
    if match := WATCH_PATH.fullmatch(path):
        _allow(method, ("GET",))
        return Route("watch", match["id"], _since(query))
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


def _since(query: str) -> int:
    values = parse_qs(query, keep_blank_values=True).get("since", ["0"])
    if len(values) != 1 or not SINCE.fullmatch(values[0]):
        raise HttpError(HTTPStatus.BAD_REQUEST, "since must be one whole number ≥ 0 (at most 18 digits)")
    return int(values[0])


class Election:
    """One election on the hub: its journal (and count), its frames, its watchers.

    ``frames[i]`` is the stored JSON of the event with seq i + 1, exactly as it
    is sent to watchers and compared with a re-sent event.
    """

    def __init__(self, journal: Journal, frames: list[str]) -> None:
        self.journal = journal
        self.frames = frames
        self.watchers: set[ServerConnection] = set()
        self.listed: bytes | None = None
        """Its ``GET /elections`` entry as sent, or None when it has changed since."""

    @property
    def id(self) -> str:
        return self.journal.count.election.id

    @property
    def last(self) -> int:
        return len(self.frames)

    def summary(self) -> dict[str, Any]:
        """The election's line in ``GET /elections``.

        Made from the snapshot, not from `json_report`: the full report
        carries more (the odds) than a list of thousands of elections needs,
        at a cost the hub would pay for each of them after every restart.
        """
        snap = self.journal.count.snapshot()
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


class Hub:
    """The elections of one data directory, and the handlers that serve them."""

    def __init__(self, data_dir: Path, token: str,
                 slow_watcher_bytes: int = SLOW_WATCHER_BYTES) -> None:
        self.data_dir = data_dir
        self._token = token.encode()
        self.slow_watcher_bytes = slow_watcher_bytes
        self.elections: dict[str, Election] = {}
        self.repaired: list[str] = []
        """One line for each journal whose torn last line was cut off on load."""
        self.lock: WriterLock | None = None
        self.failed: dict[str, str] = {}
        """Elections whose file may end in a partial line, and why: they take nothing until a restart."""
        self._ids: list[str] = []  # the elections' ids, sorted: the order of GET /elections
        self._listing: bytes | None = None
        self._listing_at = 0.0
        self._listing_stale = True
        self.complaints = Throttled()
        self.board = Board(self)
        self.pages = Pages()

    @classmethod
    def open(cls, data_dir: str | Path, token: str, lock: WriterLock | None = None,
             **kwargs: Any) -> Hub:
        """Lock DIR and load every DIR/<id>.jsonl (making DIR if need be); FeedError (one line) if unusable.

        The hub is the only writer of DIR until `close`: a second hub on it,
        or a `tally count` writing one of its files, is refused with the pid
        that holds it (``lock``: one the caller already holds on DIR). A
        broken file stops the hub rather than being skipped: its election
        would otherwise come back empty and take new events at seq 1.
        """
        hub = cls(Path(data_dir), token, **kwargs)
        try:
            hub.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FeedError(f"{data_dir}: cannot use as the data directory ({exc.strerror})") from None
        hub.lock = lock or directory_lock(hub.data_dir)
        try:
            hub._load()
        except BaseException:
            hub.close()
            raise
        return hub

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
            self._add(Election(opened.journal, _frames(path)))

    def close(self) -> None:
        """Let go of the data directory (the journals hold nothing open)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _add(self, election: Election) -> None:
        self.elections[election.id] = election
        bisect.insort(self._ids, election.id)
        self._changed(election)

    def _changed(self, election: Election) -> None:
        """Its entry in GET /elections is out of date, and maybe its summary on /board."""
        election.listed = None
        self._listing_stale = True
        self.board.changed(election)

    # -- the one rule of publishing ----------------------------------------
    def accept(self, election_id: str, frame: str | bytes) -> str:
        """Store one published event and send it to the watchers; the reply to send back.

        An event is accepted only if it is valid, its seq is last + 1, it keeps
        the rules of the count, and (for seq 1) it is the header of the election
        named in the URL. It is journaled (fsync'd) *before* it is acknowledged
        or broadcast, so whatever anyone has seen survives a crash. An event
        identical to the one stored at its seq is acknowledged again without
        being applied: a publisher that lost an ack may safely send it again.
        Anything else gets ``{"error", "seq"}`` and changes nothing.
        """
        try:
            event = parse_event(frame)
        except EventError as exc:
            return _reply(_seq_of(frame), str(exc))
        seq = event.seq
        if election_id in self.failed:
            return _reply(seq, f"the hub cannot store events for {election_id}: "
                               f"{self.failed[election_id]}")
        election = self.elections.get(election_id)
        last = election.last if election else 0
        if seq <= last:
            if dump_event(event) == election.frames[seq - 1]:
                return _reply(seq)
            return _reply(seq, f"seq {seq} is already stored, as a different event")
        if seq != last + 1:
            return _reply(seq, f"seq {seq} out of order: expected {last + 1}")
        if election is None:
            if not isinstance(event, Header):
                return _reply(seq, "the first event must be the election header")
            if event.id != election_id:
                return _reply(seq, f"the header's id {event.id!r} is not the "
                                   f"election {election_id!r} of the URL")
            election = self._create(election_id)
        try:
            election.journal.append(event)
        except RuleError as exc:
            return _reply(seq, str(exc))
        except JournalWriteError as exc:
            return _reply(seq, self._not_stored(election_id, election, exc))
        if election_id not in self.elections:  # a new one is listed once its header is stored
            self._add(election)
        stored = dump_event(event)
        election.frames.append(stored)
        self._changed(election)
        self._broadcast(election, stored)
        return _reply(seq)

    def _create(self, election_id: str) -> Election:
        """A new election, its file not yet made: its header's append makes it.

        It joins `elections` only once that header is stored, so a header
        that cannot be written leaves nothing listed.
        """
        return Election(Journal(self.data_dir / f"{election_id}.jsonl", Count()), [])

    def _not_stored(self, election_id: str, election: Election, exc: JournalWriteError) -> str:
        """The answer to an event the disk did not take: nothing of it was stored or counted.

        If the failed write was cut back off (``exc.whole``), the file is
        whole and the count unchanged, so the election goes on taking events:
        a disk that was full may have room again for the publisher's next try.
        If not, what the file ends with is unknown until a restart repairs
        it, so the election takes nothing more (and its publishers are
        closed with 1011).
        """
        path = election.journal.path
        if not exc.whole:
            self.failed[election_id] = f"{exc.strerror}; restart the hub"
            log.error("%s: %s", path, self.failed[election_id])
            return f"{exc}; restart the hub"
        kind = "out of fds" if exc.errno in OUT_OF_FDS else f"write {exc.errno}"
        self.complaints.warning(kind, f"{path}: {exc}")
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
    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer ``GET /elections``, and refuse bad paths (404), methods (405), since (400), tokens (401).

        Everything that can be refused is refused here, before the upgrade,
        so a client gets a plain HTTP status it can act on. (websockets
        would refuse a non-GET upgrade itself, but only after this has run.)
        """
        if (page := self.pages.respond(connection, request)) is not None:
            return page
        try:
            target = route(request.path, request.method)
            if target.kind == "list":
                return self._list_response(connection, request.method == "HEAD")
            if target.kind == "publish":
                self._authorize(request.headers)
            elif target.kind == "board":
                pass  # an election not yet on the hub is sent once its header is
            elif target.election_id not in self.elections:
                raise HttpError(HTTPStatus.NOT_FOUND,
                                f"no election {target.election_id!r} on this hub")
            elif target.since > self.elections[target.election_id].last:
                last = self.elections[target.election_id].last
                raise HttpError(HTTPStatus.BAD_REQUEST,
                                f"since={target.since} is past the last event ({last})")
        except HttpError as exc:
            response = connection.respond(exc.status, exc.text + "\n")
            for name, value in exc.headers.items():
                response.headers[name] = value
            return response
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
        given_all = headers.get_all("Authorization")
        scheme, _, given = (given_all[0] if len(given_all) == 1 else "").partition(" ")
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
                await self._publish(ws, target.election_id)
            elif target.kind == "board":
                await self.board.serve(ws, target.election_id or None)
            else:
                await self._watch(ws, self.elections[target.election_id], target.since)
        except ConnectionClosed:
            pass  # the other side left, or was cut off: nothing to report

    async def _publish(self, ws: ServerConnection, election_id: str) -> None:
        """``{"last": N}``, then one reply per event frame, in order."""
        election = self.elections.get(election_id)
        await ws.send(json.dumps({"last": election.last if election else 0}))
        async for frame in ws:
            await ws.send(self.accept(election_id, frame))
            if election_id in self.failed:
                await ws.close(CLOSE_JOURNAL_FAILED, "journal write failed")

    async def _watch(self, ws: ServerConnection, election: Election, since: int) -> None:
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
        self._changed(election)  # its watcher count is listed
        try:
            await ws.recv()
            await ws.close(CLOSE_WATCHERS_DO_NOT_SEND, "watchers do not send")
        finally:
            election.watchers.discard(ws)
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
            **kwargs,
        )


def _frames(path: Path) -> list[str]:
    """Each stored event of a journal, as the canonical JSON it is sent as."""
    return [dump_event(item) for _, item in stream(path)]


async def run_hub(
    host: str,
    port: int,
    data_dir: str | Path,
    token: str,
    ready: Callable[[Hub, Server], Awaitable[None] | None] | None = None,
    lock: WriterLock | None = None,
) -> None:
    """Serve the elections of ``data_dir`` until cancelled.

    ``ready(hub, server)`` is called once it listens (``server.sockets`` gives
    the port when ``port`` is 0). FeedError if a journal is unusable or DIR
    is in use (``lock``: DIR's lock, if the caller took it already), OSError
    if the address cannot be bound.
    """
    hub = Hub.open(data_dir, token, lock=lock)
    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    loop.set_exception_handler(_accept_failures_told_once_a_second(before, hub.complaints))
    try:
        async with hub.serve(host, port) as server:
            if ready is not None:
                maybe = ready(hub, server)
                if maybe is not None:
                    await maybe
            await server.serve_forever()
    finally:
        loop.set_exception_handler(before)
        hub.close()


def _accept_failures_told_once_a_second(before: Any, complaints: Throttled) -> Callable:
    """An event-loop exception handler that says "out of file descriptors" in one line a second.

    When the file table is full, asyncio's accept loop fails on every
    pending connection and reports each one, traceback and all (thousands
    a second); it retries by itself a second later, so the hub recovers
    as soon as descriptors are free. Only that report is changed here.
    """

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_FDS:
            complaints.warning("accept", f"cannot accept connections: {exc.strerror} "
                                         "(retrying every second)")
        elif before is not None:
            before(loop, context)
        else:
            loop.default_exception_handler(context)

    return handle


def bound_port(server: Server) -> int:
    """The TCP port a server listens on (the one the OS chose for port 0)."""
    return server.sockets[0].getsockname()[1]

