"""The hub's summary stream (WebSocket ``/board``): every election's row, as it changes.

A board (`tally board`, the web page) shows many counts at once; it does not
open one WebSocket per election. It connects to ``/board`` (or
``/board?id=ID`` for one election) and gets a snapshot of every election's
summary, then ``{"ready": N}``, then each summary again when it changes.

A summary is `tally.summary.summary` of the election's snapshot: the rules of
`tally report --json` plus the needle, which costs milliseconds. So:

- it is made **once per change**, never per reader: serialized once, the same
  frame is broadcast to every board client;
- changes are **coalesced** by one timer per hub: an election that takes a
  hundred events a second is summarized at most ``1 / interval`` times a
  second, and a change that is not a new event (a watcher coming or going)
  makes no new summary;
- with nobody on ``/board`` nothing is computed at all; a client that
  connects then gets summaries made for it (cached until the next event).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection, broadcast

from tally.summary import summary

if TYPE_CHECKING:  # the server imports this module
    from feeds.hub.server import Election, Hub

log = logging.getLogger("tally.hub")

INTERVAL = 0.25
"""Seconds between two summaries of the same election, at the least (4 a second)."""
BUDGET = 0.05
"""Seconds of summaries made in one go; the rest wait for the next turn, so that
publishers and watchers are never held up for long by a burst of changes."""
CLOSE_BOARDS_DO_NOT_SEND = 1008


class Board:
    """The elections' summaries, and the clients of ``/board``."""

    def __init__(self, hub: Hub, interval: float = INTERVAL) -> None:
        self.hub = hub
        self.interval = interval
        self.everyone: set[ServerConnection] = set()
        """Clients of ``/board``: every election."""
        self.following: dict[str, set[ServerConnection]] = {}
        """Clients of ``/board?id=ID``, by id."""
        self.audience = 0
        """Clients connected, joined or still catching up: with none, nothing is summarized."""
        self._frames: dict[str, tuple[int, str]] = {}
        """Each election's last summary as sent: (its last seq, the frame)."""
        self._dirty: dict[str, Election] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushed_at = float("-inf")
        self.made = 0
        """Summaries made since the start (for tests and the benchmark)."""

    # -- what the hub tells us -------------------------------------------------
    def changed(self, election: Election) -> None:
        """An election changed (`Hub._changed`): summarize it again soon, if it has a new event."""
        if not self.audience:
            return  # made afresh for the next client that connects
        cached = self._frames.get(election.id)
        if cached is not None and cached[0] == election.last:
            return  # a watcher came or went: the summary is the same
        self._dirty[election.id] = election
        self._schedule()

    def frame(self, election: Election) -> str:
        """The election's summary as sent, made again only after a new event."""
        cached = self._frames.get(election.id)
        if cached is not None and cached[0] == election.last:
            return cached[1]
        frame = json.dumps(summary(election.count.snapshot()), separators=(",", ":"))
        self._frames[election.id] = (election.last, frame)
        self.made += 1
        return frame

    # -- the one coalescing timer --------------------------------------------
    def _schedule(self) -> None:
        if self._timer is not None or not self._dirty:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._flushed_at + self.interval - loop.time())
        self._timer = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        """Summarize the changed elections and send each to its clients, within BUDGET."""
        self._timer = None
        self._flushed_at = asyncio.get_running_loop().time()
        deadline = time.perf_counter() + BUDGET
        while self._dirty and time.perf_counter() < deadline:
            election_id = next(iter(self._dirty))
            election = self._dirty.pop(election_id)
            clients = self.everyone | self.following.get(election_id, set())
            if clients:
                self._send(clients, self.frame(election))
        self._schedule()

    def _send(self, clients: set[ServerConnection], frame: str) -> None:
        """One frame to many, never waiting; a client that stopped reading is cut off."""
        broadcast(clients, frame)
        limit = self.hub.slow_watcher_bytes
        for ws in [c for c in clients if c.transport.get_write_buffer_size() > limit]:
            log.info("dropped a board client that stopped reading")
            self._leave(ws)
            ws.transport.abort()

    # -- a client -------------------------------------------------------------
    async def serve(self, ws: ServerConnection, only: str | None) -> None:
        """Send the summaries (of ``only``, or all), ``{"ready": N}``, then each change.

        The snapshot awaits each send, so a slow client is fed as it reads.
        Once it has joined, whatever changed during its snapshot and was
        already sent to the others is sent to it too: nothing falls between.
        """
        self.audience += 1
        try:
            sent: dict[str, str] = {}
            for election in self._elections(only):
                sent[election.id] = self.frame(election)
                await ws.send(sent[election.id])
            self._join(ws, only)
            for election in self._elections(only):
                if election.id not in self._dirty and sent.get(election.id) != self.frame(election):
                    sent[election.id] = self.frame(election)
                    self._send({ws}, sent[election.id])
            await ws.send(json.dumps({"ready": len(sent)}))
            await ws.recv()
            await ws.close(CLOSE_BOARDS_DO_NOT_SEND, "board clients do not send")
        finally:
            self._leave(ws)
            self.audience -= 1

    def _elections(self, only: str | None) -> list[Election]:
        elections = self.hub.elections
        if only is not None:
            return [elections[only]] if only in elections else []
        return [elections[i] for i in sorted(elections)]

    def _join(self, ws: ServerConnection, only: str | None) -> None:
        if only is None:
            self.everyone.add(ws)
        else:
            self.following.setdefault(only, set()).add(ws)
        ws.board_only = only  # type: ignore[attr-defined]

    def _leave(self, ws: ServerConnection) -> None:
        only = getattr(ws, "board_only", None)
        if only is None:
            self.everyone.discard(ws)
        elif only in self.following:
            self.following[only].discard(ws)
            if not self.following[only]:
                del self.following[only]
