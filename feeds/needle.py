"""Working out the needle for a screen: now, and at each point of the chart, within a budget.

`tally.odds` says how likely each outcome is for one state of the count; a
screen wants that for the latest state and, for the chart of how the chance
moved, for every kept chart point. The union's chance at a point never changes
once worked out, so it is remembered per point (the cache holds only the
points still on the chart: bounded). A yes/no needle costs time in proportion
to the unopened ballots (~2 µs each), a multi-choice one a simulation
(~0.1 s); `NeedleMaker` learns those costs as it goes, so the screen can
decide when a job is cheap enough to run (see `tui/app.py`).

Nothing here knows about threads: the screen runs `make` in a worker thread,
one job at a time, newest state wins. The hub runs `needle_within` in a
worker process instead (feeds/hub/board.py): a thread would share the GIL
with its event loop, and a yes/no needle is pure Python.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from tally import odds as model
from tally.odds import Odds
from tally.reducer import Snapshot
from tally.rules import DEAUTHORIZATION
from tally.timeline import Point

WORKER_NICENESS = 10
"""How much lower a needle worker runs than its hub, on a machine short of cores."""
OVER_BUDGET = "over budget"
"""`needle_within`'s answer when the needle took longer than its budget."""
HISTORY_BUDGET = 0.05  # seconds a job may spend on chart points, newest first
SECONDS_PER_BALLOT = 2.5e-6  # first guess of an exact needle's cost per unopened ballot
SIMULATION_SECONDS = 0.15  # first guess of a simulated needle's cost


@dataclass(frozen=True, slots=True)
class Needle:
    """The needle for one state of a count, and the union's chance through the count so far."""

    key: tuple  # the state it is for (`state_key`)
    odds: Odds | None  # None: then `reason` says why
    reason: str | None
    history: dict[int, float] = field(default_factory=dict)  # ballots handled → the union's chance


def state_key(snap: Snapshot) -> tuple:
    """What the needle depends on: the same key, the same needle."""
    return (snap.election.id, snap.votes, snap.void, snap.challenged, snap.remaining, snap.closed)


def point_key(p: Point) -> tuple[int, int, int, int, int] | None:
    """(yes, no, void, challenged, remaining): what the union's chance at a point depends on."""
    if p.remaining is None or len(p.votes) != 2:
        return None
    return (p.votes[0], p.votes[1], p.void, p.challenged, p.remaining)


def has_history(snap: Snapshot) -> bool:
    """The chart of the union's chance: a yes/no election for representation (a poll is not won on a margin)."""
    return snap.election.yes_no and snap.election.rule != DEAUTHORIZATION and snap.remaining is not None


class NeedleMaker:
    """Works out needles and remembers each chart point's chance; one caller at a time."""

    def __init__(self) -> None:
        self._chances: dict[tuple, float] = {}
        self.seconds_per_ballot = SECONDS_PER_BALLOT
        self.simulation_seconds = SIMULATION_SECONDS

    # -- what it would cost ------------------------------------------------------
    def cost(self, snap: Snapshot) -> float:
        """Seconds the needle for `snap` is expected to take."""
        if snap.remaining is None:
            return 0.0
        if snap.election.yes_no:
            return snap.remaining * self.seconds_per_ballot
        return self.simulation_seconds

    def point_cost(self, p: Point) -> float:
        return (p.remaining or 0) * self.seconds_per_ballot

    def missing(self, points: Sequence[Point], slow: float = float("inf")) -> list[Point]:
        """The chart points whose chance is not known yet, newest first (those expected to take
        longer than `slow` seconds left out: they are never worked out)."""
        return [p for p in reversed(points) if (k := point_key(p)) is not None and k not in self._chances
                and self.point_cost(p) <= slow]

    # -- the work ----------------------------------------------------------------
    def make(self, snap: Snapshot, points: Sequence[Point], budget: float = HISTORY_BUDGET,
             slow: float = float("inf"), known: Needle | None = None) -> Needle:
        """The needle for `snap`, and the chance at as many chart points as `budget` seconds allow.

        Points are worked out newest first; a point expected to take longer
        than `slow` seconds is left out (see `missing`).
        `known`, a needle already made for this very state, is not made again.
        """
        key = state_key(snap)
        if known is not None and known.key == key:
            odds, reason = known.odds, known.reason
        else:
            reason = model.no_odds_reason(snap)
            started = time.perf_counter()
            odds = model.odds(snap) if reason is None else None
            if odds is not None:
                self._learn(snap, time.perf_counter() - started)
        history = self._history(snap, points, budget, slow)
        return Needle(key, odds, reason if odds is None else None, history)

    def _history(self, snap: Snapshot, points: Sequence[Point], budget: float,
                 slow: float) -> dict[int, float]:
        if not has_history(snap):
            return {}
        keys = {point_key(p) for p in points}
        self._chances = {k: v for k, v in self._chances.items() if k in keys}  # only what is on the chart
        started = time.perf_counter()
        for n, p in enumerate(self.missing(points, slow)):
            if n and time.perf_counter() - started + self.point_cost(p) > budget:
                break  # the rest next time (the first always goes: its cost is at most `slow`)
            t = time.perf_counter()
            self._chances[point_key(p)] = model.union_chance(*point_key(p))
            if p.remaining:
                self._learn_exact(p.remaining, time.perf_counter() - t)
        history = {p.handled: self._chances[k] for p in points
                   if (k := point_key(p)) is not None and k in self._chances}
        return history

    def _learn(self, snap: Snapshot, seconds: float) -> None:
        if snap.election.yes_no:
            if snap.remaining:
                self._learn_exact(snap.remaining, seconds)
        else:
            self.simulation_seconds = 0.5 * self.simulation_seconds + 0.5 * seconds

    def _learn_exact(self, remaining: int, seconds: float) -> None:
        if remaining >= 1000:  # small ones are all overhead
            self.seconds_per_ballot = 0.5 * self.seconds_per_ballot + 0.5 * seconds / remaining


class _OverBudget(Exception):
    pass


def _over_budget(signum: int, frame: object) -> None:
    raise _OverBudget


def needle_within(snap: Snapshot, budget: float) -> dict[str, Any] | None | str:
    """`odds_json(snap)`, or OVER_BUDGET if it takes more than ``budget`` seconds.

    For the main thread of a worker process (signals reach only it): a
    timer signal interrupts the work where it stands, so one huge count
    cannot hold the worker, and every other election's needle behind it,
    for longer than the budget. numpy's simulation is interrupted between
    two of its steps.
    """
    before = signal.signal(signal.SIGALRM, _over_budget)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return model.odds_json(snap)
    except _OverBudget:
        return OVER_BUDGET
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def quiet_worker(hub: int, idle: bool = True) -> None:
    """A worker process's start: below the hub's priority (unless not `idle`: a board row's worker,
    which the hub waits for), and it ends with the hub (pid ``hub``).

    Ctrl-C in the hub's terminal is for the hub, which ends its workers. A
    hub killed outright cannot: then the worker sees it gone and exits, not
    left waiting for work forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if idle:
        os.nice(WORKER_NICENESS)  # the hub's loop first: a needle can wait, an ack should not
        try:  # Linux: run only when a core would otherwise idle; a waking hub preempts it at once
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):
            pass  # elsewhere the niceness alone
    threading.Thread(target=_exit_with, args=(hub,), name="exit with the hub", daemon=True).start()


def _exit_with(pid: int) -> None:
    try:
        gone = os.pidfd_open(pid)  # readable once the process has ended
    except (AttributeError, OSError):  # an old kernel: look once a second
        while os.getppid() != 1 and _alive(pid):
            time.sleep(1.0)
    else:
        select.select([gone], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
