"""A board row made off the hub's event loop: its model, its words and its JSON text, in a worker process.

A row carries the count's whole presentation (`tally.present`), in every
language a board client reads, its last calls and its checks: 0.3–1 ms of
pure Python to make and serialize, sometimes several (a collection of the
young generations among the thousands of objects a model is). Made on the
loop, for 25 elections changing at once, those milliseconds landed in a
publisher's ack: with 100 board clients an ack's p99 was 2.1–2.3× an idle
hub's (docs/PERFORMANCE.md, issue 16). So the loop only says *what* a row is
made of (`RowJob`: the snapshot, the last calls, the needle, the checks, the
languages; a few kB pickled) and a worker process makes it (`make_row`): the
loop's share is the snapshot, the pickling and the broadcast.

One worker, at the hub's priority, for every row, needle or not: a row must
not queue behind a needle (the largest take up to a second, in `SCHED_IDLE` workers
that run only when a core idles), and one function makes every row, so a
row never depends on which path made it. At most one row per election is
being made at once (`Rows.get`): when it comes back the board asks again for
the newest, so the queue is never longer than the number of elections.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any, Callable, NamedTuple

from feeds.hub.workers import Workers, WorkerLost
from tally.lang import ENGLISH, use
from tally.odds import no_odds_reason
from tally.reducer import Snapshot
from tally.schema import Adjust, Correct, Event, Retract, parse_event
from tally.summary import needle_row, rules_row, with_checks
from tally.timeline import TICKER_LINES, TickerLine, Timeline
from tally.verify import CheckResult

log = logging.getLogger("tally.hub")

KEEP = 2
"""Rows kept made per election: its newest state's, and the one of the older state its needle is of."""


class Window(NamedTuple):
    """The last calls of a row, to be made where the row is: the stored frames of the ticker's
    window, the ballots handled after the last, and whether the ballot is yes/no (`calls_of`)."""

    frames: tuple[str, ...]
    handled: int
    yes_no: bool


@functools.lru_cache(maxsize=4 * TICKER_LINES + 2048)
def parsed(frame: str) -> Event:
    """An event of a stored frame, parsed once while rows keep asking for it (a row made again
    after one new event needs 49 of the 50 it needed last time); bounded, whatever the hub holds."""
    return parse_event(frame)


NEEDS_THE_COUNT = (Retract, Correct, Adjust)
"""Events whose ticker line depends on the live count (what a retraction took back, the ballot
numbers a correction names, what an adjustment added): a window with one is made on the loop."""


def calls_of(events: list[Event], handled: int, yes_no: bool, count: Any = None) -> tuple[TickerLine, ...]:
    """The ticker's lines for the last `events` (`handled` ballots after the last), numbered by ballot,
    as the dashboard's own timeline shows them; `count`, the live count, for the lines of
    NEEDS_THE_COUNT (without one in the window the lines are the same with or without it)."""
    timeline = Timeline(lines=TICKER_LINES)
    timeline.recall(events, handled)
    return timeline.ticker(yes_no, count)


class RowJob(NamedTuple):
    """What one row is made of; a tuple, so that it pickles in microseconds (a frozen dataclass
    with slots pickles ~10× slower: a dozen `TickerLine`s took 150 µs)."""

    snap: Snapshot
    calls: tuple[tuple[Any, ...], ...] | Window
    """The last calls: `TickerLine`s as tuples of their fields, made on the loop from the live count
    when their window has an event of NEEDS_THE_COUNT; else the `Window` to make them from here."""
    worked: bool
    """Whether the needle was worked out (then `needle`, `why_not` and `seq` are its answer)."""
    needle: dict[str, Any] | None
    why_not: str | None
    seq: int | None
    checks: tuple[CheckResult, ...]
    languages: tuple[str, ...]


def row_job(snap: Snapshot, calls: tuple[TickerLine, ...] | Window, worked: Any, checks: Any,
            languages: tuple[str, ...]) -> RowJob:
    """The job of a row of `snap`: with the needle `worked` (a `feeds.hub.board.Worked` of its state), or none yet."""
    fields = calls if isinstance(calls, Window) else tuple((c.seq, c.kind, c.text, c.first, c.last) for c in calls)
    if worked is None:
        return RowJob(snap, fields, False, None, None, None, tuple(checks), languages)
    return RowJob(snap, fields, True, worked.odds, worked.why_not, worked.snap.last_seq, tuple(checks), languages)


def make_row(job: RowJob) -> str:
    """The row's JSON text, exactly as a board client gets it (docs/PROTOCOL.md).

    With its needle when worked out; else, if the count cannot have one,
    saying why (`needle_row` without a needle); else WORKING (`rules_row`).
    The checks go in last (`with_checks`). A row's own model is English
    whatever the process speaks (`tally count --serve`); `models` holds the
    others.
    """
    snap = job.snap
    with use(ENGLISH):
        if isinstance(job.calls, Window):
            window = job.calls
            calls = calls_of([parsed(frame) for frame in window.frames], window.handled, window.yes_no)
        else:
            calls = tuple(TickerLine(*fields) for fields in job.calls)
        if job.worked:
            row = needle_row(snap, job.needle, job.why_not, job.seq, calls, job.languages)
        elif no_odds_reason(snap):
            row = needle_row(snap, None, calls=calls, languages=job.languages)
        else:
            row = rules_row(snap, calls, job.languages)
        return json.dumps(with_checks(row, snap, job.checks), separators=(",", ":"))


def make_rows(jobs: list[RowJob]) -> list[str | Exception]:
    """`make_row` of each job, in order; a row that could not be made is its exception (the others go out)."""
    rows: list[str | Exception] = []
    for job in jobs:
        try:
            rows.append(make_row(job))
        except Exception as exc:  # a bug: said in the hub's log, the other rows made all the same
            rows.append(exc)
    return rows


def _told(job: asyncio.Future) -> None:
    """A warm-up's answer, read: a worker that could not start is said in one line, not left to
    asyncio's "exception was never retrieved" and its traceback."""
    if not job.cancelled() and (exc := job.exception()) is not None:
        log.warning("the board's row worker could not start: %s", exc)


class Rows:
    """Board rows made in a worker process, each kept for the row it is (its `spec`) until newer ones.

    ``ready(election_id)`` is called on the loop when a row comes back.
    """

    def __init__(self, ready: Callable[[str], None], workers: int = 1) -> None:
        self.ready = ready
        self.workers = workers
        self._made: dict[str, dict[tuple, str]] = {}
        self._running: dict[str, asyncio.Future] = {}
        """The rows being made, one per election at most: each election's is done when it is back."""
        self._batch: list[tuple[str, tuple, RowJob]] = []
        """Rows asked for in this turn of the loop: they go to the worker as one job (`_submit`)."""
        self._pool: Workers | None = None
        self.made = 0
        """Rows asked of the worker since the start (for tests and the benchmark)."""

    def get(self, election_id: str, spec: tuple, job: Callable[[], RowJob]) -> str | None:
        """The row `spec` of the election, if made; else it is made (`job()` says of what) once the
        election's row in hand, if any, is back. None until then."""
        made = self._made.get(election_id)
        if made is not None and spec in made:
            return made[spec]
        if election_id not in self._running:
            self.made += 1
            loop = asyncio.get_running_loop()
            self._running[election_id] = loop.create_future()
            self._batch.append((election_id, spec, job()))
            if len(self._batch) == 1:
                loop.call_soon(self._submit)
        return None

    def _submit(self) -> None:
        """The rows asked for in this turn of the loop, to the worker in one job (one pickle, one
        write to its pipe), not one each."""
        batch, self._batch = self._batch, []
        work = self._workers().run(make_rows, [job for _, _, job in batch])
        work.add_done_callback(lambda work: self._back(batch, work))

    def made_row(self, election_id: str, spec: tuple) -> str | None:
        """The row `spec` of the election, if it is made (nothing is asked for)."""
        return self._made.get(election_id, {}).get(spec)

    def has(self, election_id: str, made_of: tuple) -> bool:
        """Whether a row of the election was made of `made_of` (a `spec`'s start), needle or not."""
        return self.made_of(election_id, made_of) is not None

    def made_of(self, election_id: str, made_of: tuple) -> str | None:
        """The row of the election made last of `made_of` (a `spec`'s start), needle or not."""
        made = self._made.get(election_id, {})
        return next((made[spec] for spec in reversed(made) if spec[:len(made_of)] == made_of), None)

    def latest(self, election_id: str) -> tuple[int, str] | None:
        """The row of the election made last: (the seq of its state, the frame)."""
        made = self._made.get(election_id)
        if not made:
            return None
        spec = next(reversed(made))
        return spec[0], made[spec]

    async def back(self, election_id: str) -> None:
        """Until the election's row in hand, if any, is back (never cancelling it)."""
        future = self._running.get(election_id)
        if future is not None:
            await asyncio.wait({future})

    def _back(self, batch: list[tuple[str, tuple, RowJob]], work: asyncio.Future) -> None:
        failed = None if work.cancelled() else work.exception()
        rows = [] if work.cancelled() or failed is not None else work.result()
        for n, (election_id, spec, _) in enumerate(batch):
            self._running.pop(election_id).set_result(None)
            row = rows[n] if rows else failed
            if isinstance(row, str):
                made = self._made.setdefault(election_id, {})
                made.pop(spec, None)  # newest last (`latest`)
                made[spec] = row
                while len(made) > KEEP:
                    del made[next(iter(made))]
            elif row is not None and not isinstance(row, WorkerLost):  # a worker that died is replaced
                # a bug: said once, made again at the election's next change, not in a loop
                log.error("%s: a board row could not be made: %s: %s", election_id, type(row).__name__, row)
                continue
            if not work.cancelled():
                self.ready(election_id)

    def warm(self) -> None:
        """Start the worker now, with nothing to make: the first board client of a hub that serves
        (`tally serve`) then waits for no process to start and import the presentation (1–2 s at
        load 4, against 0.1 s when rows were made on the loop). Not for every `Board`: a hub
        nobody opens a board on (a test's) would pay for a process."""
        self._workers().run(make_rows, []).add_done_callback(_told)

    def _workers(self) -> Workers:
        if self._pool is None:
            self._pool = Workers(self.workers, idle=False)
        return self._pool

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
