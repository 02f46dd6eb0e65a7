"""Where a hub keeps its elections: one interface, two stores (files, Redis).

The hub (server.py) owns the protocol, the counts in memory and the
watchers; a store owns only durability and order. It hands the hub every
election at start, appends one event at a time atomically (stored only as
seq last + 1, an identical re-send recognised, a different one refused), and
for a store several hubs share, tells the hub what the others appended.

    filestore.py   DIR/<id>.jsonl, one hub per directory (its lock): the default
    redisstore.py  one Redis stream per election, any number of hubs on it
"""

from __future__ import annotations

import abc
import errno
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from feeds.files import FeedError
from tally.reducer import Count


OUT_OF_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
"""Errors of a full file table: what asyncio's accept retries, and what a journal's open can meet."""


class StoreError(FeedError):
    """The store cannot be used (unreachable, not durable, locked, broken). One line."""


class NotStored(Exception):
    """An append the store did not take: nothing of it was kept, and it may be sent again.

    ``str()`` is the answer to the publisher, ``not saved: <why>``. ``whole``
    is False when the store may now hold part of it: the election then takes
    nothing more until the hub is restarted. ``kind`` groups the log's
    complaints (one line a second per kind; "" for none: the store has said
    it once itself), ``where`` says what failed.
    """

    def __init__(self, why: str, where: str, kind: str, whole: bool = True) -> None:
        super().__init__(f"not saved: {why}")
        self.why = why
        self.where = where
        self.kind = kind
        self.whole = whole


class Appended(Enum):
    """What a store did with one event."""

    STORED = "stored"
    SAME = "same"  # an identical event was already stored at its seq: ack again, apply nothing
    DIFFERENT = "different"  # another event is stored at its seq
    BEHIND = "behind"  # the store holds more than the hub has applied: catch up, then ask again


@dataclass
class Loaded:
    """One election as a store holds it: its count and each event's stored JSON (seq i + 1 at i)."""

    count: Count
    frames: list[str]


Deliver = Callable[[str, int, str], None]
"""``deliver(election_id, seq, frame)``: an event the store holds, for the hub to apply if it is next."""

Reachable = Callable[[str | None], None]
"""``reachable(why)``: the store cannot be read (``why``), or can again (None)."""


class Store(abc.ABC):
    """What a hub needs of where its elections are kept."""

    shared: bool = False
    """Other hubs may append to it: a refusal that depends on the hub's own
    view (out of order, the rules) is given only once the hub is current."""

    where: str
    """For the hub's first line: ``in tally-data``, ``in redis://…/0``."""

    repaired: list[str]
    """One line for each election whose torn last entry was cut off on open."""

    @abc.abstractmethod
    def loaded(self) -> list[Loaded]:
        """Every election the store held when it was opened."""

    @abc.abstractmethod
    async def append(self, election_id: str, seq: int, frame: str, hub_last: int) -> Appended:
        """Store ``frame`` (the event with ``seq``, as canonical JSON) atomically, or say why not.

        The hub has checked it against its count at ``hub_last`` (= seq - 1):
        the store appends it only if it holds exactly that many events. An
        identical event already at ``seq`` is SAME, a different one
        DIFFERENT; a store holding more than ``hub_last`` (and not ``seq``)
        is BEHIND. NotStored if it could not be kept.
        """

    async def since(self, election_id: str, last: int) -> list[tuple[int, str]]:
        """The events stored after ``last``, in order (a store nobody else writes has none)."""
        return []

    async def follow(self, deliver: Deliver, following: Callable[[], dict[str, int]],
                     reachable: Reachable) -> None:
        """Call ``deliver`` with every event other hubs append, until cancelled.

        ``following()`` maps each election the hub has to its last applied
        seq: where to read on from. ``reachable`` is told when reading fails,
        and when it works again. A store nobody else writes returns at once.
        """

    keeps_checks: bool = False
    """Whether it keeps check counts (`append_check`): a hub on a store that
    does not refuses a check counter in one line rather than losing its count."""

    def loaded_checks(self) -> list[tuple[str, str, Loaded]]:
        """Every check count the store held when it was opened: (election id, check name, count)."""
        return []

    async def append_check(self, election_id: str, name: str, seq: int, frame: str) -> Appended:
        """Store one event of check ``name`` of an election, as `append` (the hub is its only writer)."""
        raise NotStored("this hub's store does not keep checks", self.where, "checks")

    def close(self) -> None:
        """Let go of what the store holds (a lock, connections); a store can be closed twice."""

    async def aclose(self) -> None:
        self.close()
