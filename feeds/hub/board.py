"""The hub's summary stream (WebSocket ``/board``): every election's row, as it changes.

A board (`tally board`, the web page) shows many counts at once; it does not
open one WebSocket per election. It connects to ``/board`` (or
``/board?id=ID`` for one election) and gets a snapshot of every election's
summary, then ``{"ready": N}``, then each summary again when it changes.

A summary is `tally.summary.summary` of the election's snapshot: the rules of
`tally report --json` plus the needle. The rules cost microseconds; the needle
milliseconds, and up to a second for the largest counts (a yes/no count of 10 million
ballots: 0.4–0.7 s, its sums over numpy arrays; ~9 s over lists before). So:

- the needle is **never worked out on the event loop**: `Needles` sends it
  to a worker process (a thread would hold the GIL the loop needs), with a
  budget per needle; until it is back a row says `tally.summary.WORKING`,
  and a row never shows a needle of another state of the count than its
  numbers (`chances_seq` says which seq it was worked out for);
- needles are **coalesced**: at most one per election waits for a worker,
  for its newest state (a newer state takes the place of an older one, in
  its turn), so the queue is never longer than the number of elections;
- a summary is made **once per change**, never per reader, and **never on
  the event loop either**: the loop says what a row is made of, a worker
  process makes it and its JSON (`feeds.hub.rows`); the rows going out
  together are packed into as few frames as BATCH_BYTES allows, made once
  for every client that reads them (`_pack`: one socket write per client,
  not one per row), and broadcast SEND_AT_ONCE clients per step, so that
  the loop's other I/O (a publisher's ack) never waits for a row or for a
  whole crowd; each client gets its rows in the order they were made;
- changes are **coalesced** by one timer per hub: an election that takes a
  hundred events a second is summarized at most ``1 / interval`` times a
  second, and a change that is not a new event (a watcher coming or going)
  makes no new summary; a change whose needle is not back yet is held for
  up to HOLD seconds, so that a quick needle goes out with its numbers (one
  frame, no flicker of "working it out");
- with nobody on ``/board`` nothing is computed at all; a client that
  connects then gets summaries made for it (cached until the next event).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol

from websockets.asyncio.server import ServerConnection, broadcast

from feeds.hub.rows import NEEDS_THE_COUNT, RowJob, Rows, Window, calls_of, parsed, row_job
from feeds.hub.workers import Workers
from feeds.needle import OVER_BUDGET, needle_within, state_key
from tally.lang import ENGLISH, Words
from tally.reducer import Count, Snapshot
from tally.odds import no_odds_reason
from tally.timeline import TICKER_LINES, TickerLine
from tally.verify import CheckResult



class Election(Protocol):
    """What the board reads of one of the hub's elections (feeds/hub/server.py's Election).

    Named here, not imported: the server imports this module, and a module
    below it never imports the one above (the layers contract in
    pyproject.toml), not even for type hints.
    """

    count: Count
    frames: list[str]
    """The stored JSON of each event, seq i + 1 at i (the last calls are made from them)."""
    checks_version: int
    """Changes whenever one of its check counters' comparison does."""

    def results(self) -> list[CheckResult]: ...

    @property
    def id(self) -> str: ...

    @property
    def last(self) -> int: ...


class Hub(Protocol):
    """What the board reads of the hub (feeds/hub/server.py's Hub): its elections, the send limit."""

    slow_watcher_bytes: int

    @property
    def elections(self) -> Mapping[str, Election]: ...

log = logging.getLogger("tally.hub")

INTERVAL = 0.25
"""Seconds between two summaries of the same election, at the least (4 a second)."""
BUDGET = 0.0005
"""Seconds of rows made and sent in one slice of the event loop; the rest are made
and sent in the next slices, with the loop's I/O (acks, watchers' frames) between
them, so that a publisher is never held up by a burst of rows for 100 board
clients (a 50 ms slice made an ack's p99 12–16× an idle hub's)."""
PACE = 2.0
"""After a slice of the board's work that took d seconds, the next one comes PACE × d later, not in the
loop's next turn: while rows wait to be made or sent, the board takes at most a third of the loop.

A publisher's ack takes several turns of the loop (its frame read, its event stored and fsync'd, its
reply sent). With the slices one turn apart it met a slice at each of those turns, and a row for 100
clients is a run of slices: acks under a busy board waited for 3–6 of them (traced in the benchmark:
the board's p99 ~10 ms against an idle hub's ~5). Spaced, an ack meets at most the slice in progress
when its frame came. A burst of rows then takes three times its CPU time to go out; at the
benchmark's load (25 elections changing every INTERVAL, 100 clients) the board uses ~10 % of the
loop, so its rows are late by a few milliseconds, never by an interval."""
SEND_AT_ONCE = 10
"""Board clients sent one frame in one step of a slice: a frame to 100 clients is ~1 ms
of the loop (websockets frames it for each), so it goes out in steps, between
which the loop's budget is looked at."""
BATCH_BYTES = 56 * 1024
"""Most bytes of rows sent to a client as one ``{"rows": [...]}`` frame (a row is 4–8 kB; `tally board`
takes frames of up to 64 KiB, `feeds.link.MAX_FRAME`): rows going to a client at once go in as few frames
as that allows, one socket write each, not one per row (`Board._pack`)."""
AHEAD = 32
"""Rows of a client's snapshot asked for ahead of the one it waits for (they go to the worker as one job)."""
HOLD = 0.5
"""Seconds a changed row may wait for its needle before it goes out saying WORKING."""
NEEDLE_BUDGET = 30.0
"""Seconds a worker may spend on one needle (the largest legal count takes 0.4–0.7 s)."""
WORKERS = max(1, (os.cpu_count() or 2) - 1)
"""Needle worker processes: every core but one, which the event loop keeps."""
CLOSE_BOARDS_DO_NOT_SEND = 1008



def packed(rows: list[str]) -> list[str]:
    """Rows (JSON texts, in order) as few frames: a row alone as itself, several as ``{"rows": [...]}``
    of at most BATCH_BYTES each (a row longer than that alone)."""
    frames: list[str] = []
    group: list[str] = []
    size = 0
    for row in rows:
        if group and size + len(row) + 1 > BATCH_BYTES:
            frames.append(_frame(group))
            group, size = [], 0
        group.append(row)
        size += len(row) + 1
    if group:
        frames.append(_frame(group))
    return frames


def _frame(rows: list[str]) -> str:
    return rows[0] if len(rows) == 1 else '{"rows":[' + ",".join(rows) + "]}"


@dataclass(frozen=True, slots=True)
class Worked:
    """A needle worked out: the state of the count it is for, `odds_json` of it, or why there is none."""

    snap: Snapshot
    odds: dict[str, Any] | None
    why_not: str | None

    @property
    def key(self) -> tuple:
        return state_key(self.snap)


def _state(election: Election) -> tuple[int, int]:
    """What a row is made of: the count's last event, and its checks' comparison."""
    return election.last, election.checks_version


def last_calls(election: Election, upto: int, handled: int) -> tuple[TickerLine, ...]:
    """The election's ticker as it stood after seq `upto` (`handled` ballots): its latest lines, numbered by ballot.

    Made when a row is made (at most 1 / INTERVAL a second), from the last
    TICKER_LINES events the hub keeps anyway: nothing is kept or done per
    event, and the lines are those the dashboard's own timeline would show
    (the same window, so a retraction names what it took back alike).
    """
    events = [parsed(frame) for frame in election.frames[max(0, upto - TICKER_LINES):upto]]
    return calls_of(events, handled, election.count.election.yes_no, election.count)


class Needles:
    """Every election's needle, worked out in worker processes, newest state first in line.

    One needle is kept per election (the latest worked out), one snapshot
    waits per election (its newest state), and at most `workers` are being
    worked out at once: memory and queue are bounded by the number of
    elections, however fast they change. ``ready(election_id)`` is called
    on the loop when one comes back.
    """

    def __init__(self, ready: Callable[[str], None], workers: int = WORKERS,
                 budget: float = NEEDLE_BUDGET) -> None:
        self.ready = ready
        self.workers = workers
        self.budget = budget
        self.done: dict[str, Worked] = {}
        self._waiting: dict[str, Snapshot] = {}
        self._running: dict[str, tuple] = {}
        self._pool: Workers | None = None
        self.made = 0
        """Needles worked out since the start (for tests and the benchmark)."""

    def get(self, snap: Snapshot) -> Worked | None:
        """The needle of this very state of the count, if it is worked out; else it is asked for."""
        key = state_key(snap)
        worked = self.done.get(snap.election.id)
        if worked is not None and worked.key == key:
            return worked
        self.want(snap, key)
        return None

    def want(self, snap: Snapshot, key: tuple) -> None:
        election_id = snap.election.id
        if self._running.get(election_id) != key:
            self._waiting[election_id] = snap  # an older state waiting keeps its turn
        self._start()

    def wants(self, election_id: str) -> bool:
        """Whether a needle of the election is waiting or being worked out."""
        return election_id in self._waiting or election_id in self._running

    def forget(self) -> None:
        """Nobody is on the board: what waits is dropped (what runs finishes and is kept)."""
        self._waiting.clear()

    def _start(self) -> None:
        while self._waiting and len(self._running) < self.workers:
            election_id = next(iter(self._waiting))
            snap = self._waiting.pop(election_id)
            key = state_key(snap)
            self._running[election_id] = key
            job = self._workers().run(needle_within, snap, self.budget)
            job.add_done_callback(lambda job, snap=snap: self._back(snap, job))

    def _workers(self) -> Workers:
        if self._pool is None:
            self._pool = Workers(self.workers, idle=True)
        return self._pool

    def _back(self, snap: Snapshot, job: asyncio.Future) -> None:
        election_id = snap.election.id
        del self._running[election_id]
        why_not = None
        needle = None
        if job.cancelled():
            return
        if (exc := job.exception()) is not None:
            # a worker that died (WorkerLost: killed, out of memory) is replaced at the next job
            log.warning("%s: the needle could not be worked out: %s: %s", election_id,
                        type(exc).__name__, exc)
            why_not = Words("it could not be worked out (see the hub's log)")
        elif (answer := job.result()) == OVER_BUDGET:
            why_not = Words("it takes more than {s:g} s to work out for a count this size", s=float(self.budget))
        else:
            needle = answer
        self.done[election_id] = Worked(snap, needle, why_not)
        self.made += 1
        self._start()
        self.ready(election_id)

    def close(self) -> None:
        """End the workers now: a needle being worked out is not waited for (it could take the budget)."""
        self._waiting.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class Board:
    """The elections' summaries, and the clients of ``/board``."""

    def __init__(self, hub: Hub, interval: float = INTERVAL, **needles: Any) -> None:
        self.hub = hub
        self.interval = interval
        self.everyone: set[ServerConnection] = set()
        """Clients of ``/board``: every election."""
        self._everyone_now: frozenset[ServerConnection] | None = None
        """`everyone` as it stands, shared by every row sent until a client comes or goes (`_clients_of`)."""
        self.following: dict[str, set[ServerConnection]] = {}
        """Clients of ``/board?id=ID``, by id."""
        self.audience = 0
        """Clients connected, joined or still catching up: with none, nothing is summarized."""
        self.readers: dict[str, int] = {}
        """Clients connected by the language they read (``/board?lang=es``), other than English."""
        self.needles = Needles(self._needle_back, **needles)
        self.rows = Rows(self._row_back)
        """The rows, made in a worker process (feeds/hub/rows.py)."""
        self._wanted: dict[str, tuple] = {}
        """Rows a flush would have sent, being made: each goes out as it comes back (`Rows`' spec)."""
        self._shown: dict[str, tuple[int, str]] = {}
        """Each election's row as last broadcast: (the seq of its state, the frame)."""
        self._newest: dict[str, int] = {}
        """The seq of the newest state of each election any client has a row of: none goes back."""
        self._held: dict[str, float] = {}
        """Elections whose newer numbers wait for their needle, and since when (loop time)."""
        self._dirty: dict[str, Election] = {}
        self._calls: dict[str, tuple[tuple[int, int, int], tuple[TickerLine, ...]]] = {}
        """Each election's last calls as last made, and for which (seq, ballots handled, retractions)."""
        self._outbox: deque[tuple[str, str, frozenset[ServerConnection]]] = deque()
        """Rows on their way out, oldest first: (election id, frame, the clients it has to reach)."""
        self._sending: deque[tuple[str, list[ServerConnection]]] = deque()
        """Frames on their way out, the rows of the outbox packed (`_pack`): (frame, the clients it has
        yet to reach), oldest first; sent before the outbox is packed again, so each client gets its
        rows in the order they were made."""
        self._timer: asyncio.TimerHandle | None = None
        self._working: asyncio.Handle | None = None
        self._due = False
        """The interval is up: `_work` makes the changed elections' rows (else it only sends)."""
        self._flushed_at = float("-inf")
        self._closed = False

    @property
    def made(self) -> int:
        """Summaries made since the start (for tests and the benchmark)."""
        return self.rows.made

    def close(self) -> None:
        """End the workers, and the board's work with them: a slice waiting its turn (PACE) or a
        flush its interval would otherwise run once the hub has closed, and start a worker again."""
        self._closed = True
        for handle in (self._timer, self._working):
            if handle is not None:
                handle.cancel()
        self._timer = self._working = None
        self.needles.close()
        self.rows.close()

    # -- what the hub tells us -------------------------------------------------
    def changed(self, election: Election) -> None:
        """An election changed (`Hub._changed`): summarize it again soon, if it has a new event
        or its checks changed."""
        if not self.audience:
            return  # made afresh for the next client that connects
        if self.rows.has(election.id, self._key(election)):
            return  # a watcher came or went: the summary is the same
        self._dirty[election.id] = election
        self._schedule()

    def _row_back(self, election_id: str) -> None:
        """A row came back: out at once if a flush wanted it (the count may have moved on since:
        it goes out all the same, unless a newer one went out meanwhile), else looked at again.

        Not made again for the newest state here: a count that moves faster than
        rows are made would then keep the worker making rows that never go out;
        the next flush, an interval on, asks for the newest (this one only sends:
        `_kick`, not `_flush`, which would make rows before the interval is up).
        """
        election = self.hub.elections.get(election_id)
        if election is None or not self.audience:
            return
        spec = self._wanted.get(election_id)
        frame = None if spec is None else self.rows.made_row(election_id, spec)
        if frame is None:
            self._dirty[election_id] = election
            self._schedule()
            return
        del self._wanted[election_id]
        self._deliver(election, (spec[0], frame), asyncio.get_running_loop().time())
        self._kick()  # after the rest of the worker's batch: they go out together

    def _needle_back(self, election_id: str) -> None:
        """A needle came back: the election's row may go out (`_flush` decides which)."""
        election = self.hub.elections.get(election_id)
        if election is not None and self.audience:
            self._dirty[election_id] = election
            self._schedule()

    def _row(self, election: Election, snap: Snapshot, worked: Worked | None, to_send: bool = False) -> str | None:
        """The row of `snap` (the election's newest state, or the older one `worked` is of), with the
        needle `worked` or none yet; None while it is being made (`Rows.get`), off the loop.
        `to_send`: once made, it goes out as soon as it is back (`_row_back`).

        What the loop does for a row: the snapshot, the last calls (they need the
        live count: a correction names its call by the ballot numbers it had), and
        the pickling of `feeds.hub.rows.RowJob`; never the model or its JSON.
        """
        made_of = (snap.last_seq, election.checks_version, self.languages())
        spec = (*made_of, None if worked is None else (worked.snap.last_seq, worked.why_not))

        def job() -> RowJob:
            return row_job(snap, self._calls_of(election, snap.last_seq, snap.handled), worked, election.results(),
                           made_of[-1])

        frame = self.rows.get(election.id, spec, job)
        if frame is None and to_send:
            self._wanted[election.id] = spec
        return frame

    async def _current(self, election: Election) -> tuple[int, str, bool]:
        """A row of the election for a client's snapshot: its newest state's (needle if in, else
        WORKING), or, if the count moved on while it was being made, the row that came back;
        and whether it is final for its state (its needle is in, or it can have none)."""
        while True:
            snap = election.count.snapshot()
            worked = self.needles.get(snap)
            if (made := self.rows.made_of(election.id, self._key(election))) is not None:
                return snap.last_seq, made, False  # made already (asked for `AHEAD`): a needle in follows
            frame = self._row(election, snap, worked)
            if frame is not None:
                return snap.last_seq, frame, worked is not None or bool(no_odds_reason(snap))
            await self.rows.back(election.id)
            if (latest := self.rows.latest(election.id)) is not None:
                return (*latest, False)

    def _row_to_send(self, election: Election, now: float) -> tuple[int, str] | None:
        """What the clients of a changed election get now: (the seq of its state, the frame), or nothing yet.

        Numbers and needle always of one state. The newest state with its
        needle goes out; if the needle of the newest numbers is not back,
        the clients keep the row they have (or get the newest state whose
        needle is in, if newer than theirs) for up to HOLD seconds, after
        which the newest numbers go out saying WORKING. A count that moves
        faster than its needle is worked out thus shows its needle a
        moment late; one whose needle takes seconds shows live numbers,
        and its needle once it is still. Never a row older than the last.

        A row held is not made: held rows were made and dropped at every
        flush (half the rows of a busy board). A row being made is nothing
        yet: when it is back (`Rows`), the election is looked at again.
        """
        snap = election.count.snapshot()
        worked = self.needles.get(snap)  # asked for if not in
        newest = self._newest.get(election.id)
        if newest is not None and worked is None and not no_odds_reason(snap):
            older = self.needles.done.get(election.id)
            if older is not None and older.snap.last_seq > newest:
                frame = self._row(election, older.snap, older, to_send=True)
                return None if frame is None else (older.snap.last_seq, frame)
            since = self._held.setdefault(election.id, now)
            if now - since < HOLD:
                return None
        frame = self._row(election, snap, worked, to_send=True)
        return None if frame is None else (snap.last_seq, frame)

    def _calls_of(self, election: Election, upto: int, handled: int) -> tuple[TickerLine, ...] | Window:
        """The election's last calls up to seq `upto`: their `Window`, made into lines by the row's worker
        (0.2–0.5 ms a row that the loop no longer spends), unless an event of the window needs the
        live count (`NEEDS_THE_COUNT`, rare): then `last_calls`, made here, kept until a newer state
        is asked for (a row saying WORKING and the same row with its needle share them)."""
        frames = tuple(election.frames[max(0, upto - TICKER_LINES):upto])
        if not any(isinstance(parsed(frame), NEEDS_THE_COUNT) for frame in frames):
            return Window(frames, handled, election.count.election.yes_no)
        kept = self._calls.get(election.id)
        if kept is not None and kept[0] == (upto, handled, len(election.count.undone)):
            return kept[1]
        calls = last_calls(election, upto, handled)
        self._calls[election.id] = ((upto, handled, len(election.count.undone)), calls)
        return calls

    def languages(self) -> tuple[str, ...]:
        """The languages besides English that some client reads: each row carries its model in each."""
        return tuple(sorted(lang for lang, n in self.readers.items() if n))

    def _key(self, election: Election) -> tuple:
        """What a row is made of (`_state`), and the languages it is made in."""
        return (*_state(election), self.languages())

    def _seen(self, election_id: str, seq: int) -> None:
        self._newest[election_id] = max(seq, self._newest.get(election_id, 0))

    # -- the one coalescing timer --------------------------------------------
    def _schedule(self, delay: float | None = None) -> None:
        """Flush in ``delay`` seconds (default: one interval after the last flush), or sooner if already due."""
        if self._closed or not (self._dirty or self._held or self._outbox or self._sending):
            return
        loop = asyncio.get_running_loop()
        if delay is None:
            delay = max(0.0, self._flushed_at + self.interval - loop.time())
        if self._timer is not None:
            if self._timer.when() <= loop.time() + delay:
                return
            self._timer.cancel()
        self._timer = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        """The interval is up: the changed elections' rows are made and sent (`_work`)."""
        self._timer = None
        self._due = True
        self._kick()

    def _kick(self) -> None:
        """`_work` in the loop's next turn, unless it is on its way already (a paced slice keeps its time)."""
        if self._working is None and not self._closed:
            self._working = asyncio.get_running_loop().call_soon(self._work)

    def _work(self) -> None:
        """One slice of the board's work, within BUDGET: the changed elections summarized (once the
        interval is up), then what is on its way out sent; the rest in the next slices, each PACE
        times this one's length later, the loop's own work (a publisher's ack) between them. One
        callback does both, so that no turn of the loop runs two slices back to back (a flush's and
        a send's were: two budgets, not one)."""
        self._working = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        started = time.perf_counter()
        deadline = started + BUDGET
        if self._due:
            self._make(now, deadline)
        while (self._sending or self._outbox) and time.perf_counter() < deadline:
            self._send_some()
        if self._dirty and self._due or self._outbox or self._sending:
            self._working = loop.call_later(PACE * (time.perf_counter() - started), self._work)
        elif held := [since for i, since in self._held.items() if i not in self._wanted]:
            self._schedule(max(0.0, min(held) + HOLD - now))

    def _make(self, now: float, deadline: float) -> None:
        """Summarize the changed elections (and those held for HOLD already), until `deadline`."""
        self._flushed_at = now
        for election_id in self._waiting(now):
            if election_id in self.hub.elections:
                self._dirty.setdefault(election_id, self.hub.elections[election_id])
        while self._dirty and time.perf_counter() < deadline:
            election_id = next(iter(self._dirty))
            election = self._dirty.pop(election_id)
            if not self.everyone and election_id not in self.following:
                continue
            self._wanted.pop(election_id, None)  # asked again: the newest now
            out = self._row_to_send(election, now)
            if out is not None:
                self._deliver(election, out, now)
        self._due = bool(self._dirty)

    def _waiting(self, now: float) -> list[str]:
        """Elections held for HOLD already, whose row is not being made (that one goes out when back:
        looked at again meanwhile, they would keep the loop busy until it is)."""
        return [i for i, since in self._held.items() if now - since >= HOLD and i not in self._wanted]

    def _deliver(self, election: Election, out: tuple[int, str], now: float) -> None:
        """A row (the seq of its state, the frame) on its way to the election's clients, unless they
        have it or a newer one."""
        election_id = election.id
        clients = self._clients_of(election_id)
        if not clients or out == self._shown.get(election_id) or out[0] < self._newest.get(election_id, 0):
            return
        self._shown[election_id] = out
        self._seen(election_id, out[0])
        if out[0] == election.last:
            self._held.pop(election_id, None)
        else:
            self._held[election_id] = now  # a newer row went out: the wait starts again
        self._outbox.append((election_id, out[1], clients))

    def _send_some(self) -> None:
        """The oldest frame on its way out, to its next SEND_AT_ONCE clients (the outbox packed first if none is)."""
        if not self._sending:
            self._pack()
            if not self._sending:
                return
        frame, clients = self._sending[0]
        now, rest = clients[:SEND_AT_ONCE], clients[SEND_AT_ONCE:]
        if rest:
            self._sending[0] = (frame, rest)
        else:
            self._sending.popleft()
        self._send([c for c in now if self._joined(c)], frame)  # not one that left

    def _pack(self) -> None:
        """The rows of the outbox as frames (`_sending`): for each client its rows in order, a row
        alone as itself, several as ``{"rows": [...]}`` of up to BATCH_BYTES; clients that get the
        same rows share the frames (each frame made once, however many read it).

        With 25 elections changing in an interval and 100 clients, rows one
        frame each were 2,500 socket writes and websockets framings on the
        loop every quarter second: a third of its time (py-spy). Packed, ~300.
        """
        numbers: dict[int, int] = {}  # a client set (rows share one until a client comes or goes) by its number
        sets: list[frozenset[ServerConnection]] = []
        for _, _, clients in self._outbox:
            if id(clients) not in numbers:
                numbers[id(clients)] = len(sets)
                sets.append(clients)
        alike: dict[tuple[int, ...], list[ServerConnection]] = {}  # clients by the sets they are in
        for ws in frozenset().union(*sets):
            if self._joined(ws):  # not one that left
                alike.setdefault(tuple(n for n, clients in enumerate(sets) if ws in clients), []).append(ws)
        for within, clients in alike.items():
            rows = [frame for _, frame, sent_to in self._outbox if numbers[id(sent_to)] in within]
            for frame in packed(rows):
                self._sending.append((frame, clients))
        self._outbox.clear()

    def _clients_of(self, election_id: str) -> frozenset[ServerConnection]:
        """The clients an election's rows go to now: one set shared by every row (made again only when a
        client comes or goes), with its followers if it has any."""
        if self._everyone_now is None:
            self._everyone_now = frozenset(self.everyone)
        following = self.following.get(election_id)
        return self._everyone_now if not following else self._everyone_now | following

    def _joined(self, ws: ServerConnection) -> bool:
        only = getattr(ws, "board_only", None)
        return ws in self.everyone if only is None else ws in self.following.get(only, ())

    def _send(self, clients: Iterable[ServerConnection], frame: str) -> None:
        """One frame to many, never waiting; a client that stopped reading is cut off."""
        broadcast(clients, frame)
        limit = self.hub.slow_watcher_bytes
        for ws in [c for c in clients if c.transport.get_write_buffer_size() > limit]:
            log.info("dropped a board client that stopped reading")
            self._leave(ws)
            ws.transport.abort()

    # -- a client -------------------------------------------------------------
    async def serve(self, ws: ServerConnection, only: str | None, lang: str = ENGLISH) -> None:
        """Send the summaries (of ``only``, or all), ``{"ready": N}``, then each change.

        The snapshot awaits each send, so a slow client is fed as it reads.
        Once it has joined, whatever changed during its snapshot and was
        already sent to the others is sent to it too: nothing falls between.
        A client of another language than English (``lang``) makes every row
        carry its model in that language too, while it is connected.
        """
        self.audience += 1
        if lang != ENGLISH:
            self.readers[lang] = self.readers.get(lang, 0) + 1
        try:
            sent: dict[str, tuple[int, str]] = {}
            unsettled = []
            elections = self._elections(only)
            for n, election in enumerate(elections):
                if n % AHEAD == 0:  # the next rows asked for at once: one job for the worker, not one each
                    for later in elections[n:n + AHEAD]:
                        snap = later.count.snapshot()
                        self._row(later, snap, self.needles.get(snap))
                seq, frame, settled = await self._current(election)
                sent[election.id] = seq, frame
                self._seen(election.id, seq)
                if not settled:
                    unsettled.append(election)
                await ws.send(frame)
            self._join(ws, only)
            for election in unsettled:  # a needle back before this client joined went to nobody
                self._dirty.setdefault(election.id, election)
            self._schedule()
            for election in self._elections(only):  # what went to the others meanwhile
                shown, got = self._shown.get(election.id), sent.get(election.id)
                if shown is not None and shown != got and (got is None or shown[0] > got[0] or (
                        shown[0] == got[0] and election.id not in self._dirty)):
                    sent[election.id] = shown
                    self._send({ws}, shown[1])
            await ws.send(json.dumps({"ready": len(sent)}))
            await ws.recv()
            await ws.close(CLOSE_BOARDS_DO_NOT_SEND, "board clients do not send")
        finally:
            self._leave(ws)
            self.audience -= 1
            if lang != ENGLISH:
                self.readers[lang] -= 1
            if not self.audience:  # the next client starts afresh
                self.needles.forget()
                for kept in (self._held, self._shown, self._newest, self._outbox, self._sending, self._calls,
                             self._wanted):
                    kept.clear()

    def _elections(self, only: str | None) -> list[Election]:
        elections = self.hub.elections
        if only is not None:
            return [elections[only]] if only in elections else []
        return [elections[i] for i in sorted(elections)]

    def _join(self, ws: ServerConnection, only: str | None) -> None:
        self._everyone_now = None
        if only is None:
            self.everyone.add(ws)
        else:
            self.following.setdefault(only, set()).add(ws)
        ws.board_only = only  # type: ignore[attr-defined]

    def _leave(self, ws: ServerConnection) -> None:
        self._everyone_now = None
        only = getattr(ws, "board_only", None)
        if only is None:
            self.everyone.discard(ws)
        elif only in self.following:
            self.following[only].discard(ws)
            if not self.following[only]:
                del self.following[only]
