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
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from feeds.files import FeedError, stream
from feeds.journal import Journal
from feeds.link import MAX_FRAME
from tally.reducer import RuleError
from tally.report import json_report, result_line
from tally.schema import Election as Header
from tally.schema import EventError, dump_event, parse_event

log = logging.getLogger("tally.hub")

ID = r"(?P<id>[a-z0-9][a-z0-9-]{0,63})"  # the header's id pattern (tally/schema.py)
WATCH_PATH = re.compile(rf"/elections/{ID}")
PUBLISH_PATH = re.compile(rf"/elections/{ID}/publish")
LIST_PATH = "/elections"

SLOW_WATCHER_BYTES = 256 * 1024
"""A watcher with more than this waiting in the hub's write buffer is dropped.

Kernel socket buffers hold the first few hundred KiB, so this is reached only
by a watcher that has stopped reading, thousands of events behind: keeping it
would cost the hub memory without limit. It resumes later with ``since=``.
"""

CLOSE_WATCHERS_DO_NOT_SEND = 1008
CLOSE_JOURNAL_FAILED = 1011


class HttpError(Exception):
    """A request refused before the upgrade: an HTTP status and one line."""

    def __init__(self, status: HTTPStatus, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True, slots=True)
class Route:
    """What a request asks for: "list", "watch" or "publish", of which election."""

    kind: str
    election_id: str = ""
    since: int = 0


def route(target: str) -> Route:
    """The route of a request target (path and query), or HttpError 404/400."""
    parts = urlsplit(target)
    if parts.path == LIST_PATH:
        return Route("list")
    if match := PUBLISH_PATH.fullmatch(parts.path):
        return Route("publish", match["id"])
    if match := WATCH_PATH.fullmatch(parts.path):
        return Route("watch", match["id"], _since(parts.query))
    raise HttpError(HTTPStatus.NOT_FOUND, f"no such path: {parts.path}")


def _since(query: str) -> int:
    values = parse_qs(query).get("since", ["0"])
    if len(values) != 1 or not values[0].isdigit():
        raise HttpError(HTTPStatus.BAD_REQUEST, "since must be one whole number ≥ 0")
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
        self.failed: str | None = None
        """Why the journal stopped accepting writes (then nothing more is accepted)."""

    @property
    def id(self) -> str:
        return self.journal.count.election.id

    @property
    def last(self) -> int:
        return len(self.frames)

    def summary(self) -> dict[str, Any]:
        """The election's line in ``GET /elections``."""
        snap = self.journal.count.snapshot()
        report = json_report(snap)
        return {
            "id": report["id"],
            "title": report["title"],
            "last": snap.last_seq,
            "totals": {**report["votes"], "void": snap.void, "challenged": snap.challenged},
            "remaining": snap.remaining,
            "closed": snap.closed,
            "outcome": report["outcome"],
            "result": result_line(snap),
            "watchers": len(self.watchers),
        }


def _reply(seq: int | None, error: str | None = None) -> str:
    return json.dumps({"ack": seq} if error is None else {"error": error, "seq": seq})


def _seq_of(frame: str | bytes) -> int | None:
    """The seq of a refused frame, when it has one, so the error can name it."""
    try:
        seq = json.loads(frame).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


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

    @classmethod
    def open(cls, data_dir: str | Path, token: str, **kwargs: Any) -> Hub:
        """Load every DIR/<id>.jsonl (making DIR if need be); FeedError (one line) if any is unusable.

        A broken file stops the hub rather than being skipped: its election
        would otherwise come back empty and take new events at seq 1.
        """
        hub = cls(Path(data_dir), token, **kwargs)
        try:
            hub.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FeedError(f"{data_dir}: cannot use as the data directory ({exc.strerror})") from None
        for path in sorted(hub.data_dir.glob("*.jsonl")):
            opened = Journal.open(path, create=False)
            election = opened.count.election
            if election is None:  # created, but the header never made it
                opened.journal.close()
                continue
            if election.id != path.stem:
                opened.journal.close()
                raise FeedError(f"{path}: holds election {election.id!r}, "
                                f"but the file must be named {election.id}.jsonl")
            if opened.repaired:
                hub.repaired.append(opened.repaired)
            hub.elections[election.id] = Election(opened.journal, _frames(path))
        return hub

    def close(self) -> None:
        for election in self.elections.values():
            election.journal.close()

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
        election = self.elections.get(election_id)
        if election is not None and election.failed:
            return _reply(seq, f"the hub cannot store events for {election_id}: {election.failed}")
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
            try:
                election = self._create(election_id)
            except FeedError as exc:
                return _reply(seq, str(exc))
        try:
            election.journal.append(event)
        except RuleError as exc:
            return _reply(seq, str(exc))
        except OSError as exc:
            # What reached the disk is unknown: accept nothing more until restarted.
            election.failed = f"journal write failed ({exc.strerror or exc}); restart the hub"
            log.error("%s: %s", election.journal.path, election.failed)
            if election_id not in self.elections:  # a new one: nothing to keep
                election.journal.close()
            return _reply(seq, election.failed)
        self.elections[election_id] = election  # a new one is listed once its header is stored
        stored = dump_event(event)
        election.frames.append(stored)
        self._broadcast(election, stored)
        return _reply(seq)

    def _create(self, election_id: str) -> Election:
        """A new election's journal, opened; it joins `elections` once its header is stored."""
        return Election(Journal.open(self.data_dir / f"{election_id}.jsonl").journal, [])

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
        """Answer ``GET /elections``, and refuse bad paths (404) and tokens (401).

        Everything that can be refused is refused here, before the upgrade,
        so a client gets a plain HTTP status it can act on.
        """
        try:
            target = route(request.path)
            if target.kind == "list":
                return _json_response(connection, [e.summary() for e in self._listed()])
            if target.kind == "publish":
                self._authorize(request.headers)
            elif target.election_id not in self.elections:
                raise HttpError(HTTPStatus.NOT_FOUND,
                                f"no election {target.election_id!r} on this hub")
            elif target.since > self.elections[target.election_id].last:
                last = self.elections[target.election_id].last
                raise HttpError(HTTPStatus.BAD_REQUEST,
                                f"since={target.since} is past the last event ({last})")
        except HttpError as exc:
            response = connection.respond(exc.status, exc.text + "\n")
            if exc.status == HTTPStatus.UNAUTHORIZED:
                response.headers["WWW-Authenticate"] = 'Bearer realm="tally"'
            return response
        return None

    def _listed(self) -> list[Election]:
        return [self.elections[k] for k in sorted(self.elections)]

    def _authorize(self, headers: Headers) -> None:
        """A publisher must send ``Authorization: Bearer <token>``; compared in constant time."""
        scheme, _, given = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise HttpError(HTTPStatus.UNAUTHORIZED, "publishing needs Authorization: Bearer <token>")
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise HttpError(HTTPStatus.UNAUTHORIZED, "wrong token")

    # -- WebSocket connections ---------------------------------------------
    async def handler(self, ws: ServerConnection) -> None:
        target = route(ws.request.path)  # process_request has let only good routes through
        try:
            if target.kind == "publish":
                await self._publish(ws, target.election_id)
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
            election = self.elections.get(election_id)
            if election is not None and election.failed:
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
        try:
            await ws.recv()
            await ws.close(CLOSE_WATCHERS_DO_NOT_SEND, "watchers do not send")
        finally:
            election.watchers.discard(ws)

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


def _json_response(connection: ServerConnection, body: Any) -> Response:
    response = connection.respond(HTTPStatus.OK, json.dumps(body) + "\n")
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response


async def run_hub(
    host: str,
    port: int,
    data_dir: str | Path,
    token: str,
    ready: Callable[[Hub, Server], Awaitable[None] | None] | None = None,
) -> None:
    """Serve the elections of ``data_dir`` until cancelled.

    ``ready(hub, server)`` is called once it listens (``server.sockets`` gives
    the port when ``port`` is 0). FeedError if a journal is unusable, OSError
    if the address cannot be bound.
    """
    hub = Hub.open(data_dir, token)
    try:
        async with hub.serve(host, port) as server:
            if ready is not None:
                maybe = ready(hub, server)
                if maybe is not None:
                    await maybe
            await server.serve_forever()
    finally:
        hub.close()


def bound_port(server: Server) -> int:
    """The TCP port a server listens on (the one the OS chose for port 0)."""
    return server.sockets[0].getsockname()[1]

