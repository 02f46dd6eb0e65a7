"""Each election's link preview card (``GET /card/{id}.png``), made in a worker process, kept fresh.

A card (feeds/card.py) costs 30–40 ms of Pillow and the needle: far too long
for the event loop, which must ack a publisher in well under a millisecond.
A thread would not do either: Pillow's drawing is C, but laying out text,
the needle and the model are Python, holding the GIL the loop needs
(bench/bench_card.py measures both). So cards are made in one worker
process, below the hub's priority (`feeds.needle.quiet_worker`), and:

- an election's card is made only once someone has asked for it (a chat
  app fetching a preview), then **re-made when the count changes, at most
  once every EVERY seconds**, while it is still asked for within KEEP
  seconds; with nobody asking, nothing is made;
- at most one card per election is being made or waits, always of its
  newest state (a change during a make asks for one more, not one per event);
- a request is answered at once with the card as last made, which is at
  most about EVERY seconds behind the count; the first request of an
  election (or one after KEEP without any) waits for its card.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from feeds.hub.workers import Workers
from tally.lang import ENGLISH, LANGUAGES, use
from tally.reducer import Count
from tally.verify import CheckResult

log = logging.getLogger("tally.hub")

EVERY = 1.0
"""Seconds between two cards of one election, at the least."""
KEEP = 600.0
"""Seconds a card is kept fresh after it was last asked for."""
MOST = 256
"""Cards kept at most (~70 KB each): past it, the one asked for least recently is dropped (made
again if asked again), so asking for every election of a large hub cannot hold its memory."""
QUEUED = 16
"""New cards waiting to be made at most: past it a card never made before is refused at once
(503; a link preview's fetcher asks again) rather than queued behind everyone else's, so that
anyone asking for card after card cannot make a reader's preview wait for all of them."""
BUDGET = 5.0
"""Seconds the card's needle may take; past it the card says there is none (a 10-million-ballot count)."""


class Election(Protocol):
    """What the cards read of one of the hub's elections (feeds/hub/server.py's Election)."""

    count: Count
    checks_version: int

    def results(self) -> list[CheckResult]: ...

    @property
    def last(self) -> int: ...


class CardsBusy(Exception):
    """Too many new cards are waiting to be made (QUEUED): this one is refused, not queued."""


@dataclass
class Card:
    """One election's card: the PNG as last made, of which state, when; and what waits for the next."""

    png: bytes | None = None
    state: tuple[int, int] | None = None
    made_at: float = float("-inf")
    asked_at: float = 0.0
    making: bool = False
    timer: asyncio.TimerHandle | None = None
    waiters: list[asyncio.Future[bytes]] = field(default_factory=list)


def _state(election: Election) -> tuple[int, int]:
    return election.last, election.checks_version


def make_card(snap: Any, checks: list[CheckResult], budget: float, lang: str = ENGLISH) -> bytes:
    """The worker's job (imports Pillow there, never in the hub's own process), in `lang`."""
    from feeds.card import count_card

    with use(lang):
        return count_card(snap, checks, budget)


class Cards:
    """Every asked-for election's card, made in a worker process, at most once every `every` seconds.

    One card per election and language asked for (a Spanish page's preview
    names its card with ``?lang=es``): keyed ``(election id, language)``.
    """

    def __init__(self, elections: Mapping[str, Election], every: float = EVERY, keep: float = KEEP,
                 budget: float = BUDGET, most: int = MOST) -> None:
        self.elections = elections
        self.every = every
        self.keep = keep
        self.most = most
        self.budget = budget
        self.cards: dict[tuple[str, str], Card] = {}
        self._pool: Workers | None = None
        self.made = 0
        """Cards made since the start (for tests and the benchmark)."""

    async def png(self, election_id: str, lang: str = ENGLISH) -> bytes | None:
        """The election's card in `lang`: the last made if it is fresh or one is on its way, else a new one."""
        election = self.elections.get(election_id)
        if election is None:
            return None
        key = (election_id, lang)
        card = self.cards.get(key)
        if card is None:
            if self.queued() >= QUEUED:
                raise CardsBusy(f"{QUEUED} cards are being made: ask again in a moment")
            card = self.cards[key] = Card(asked_at=time.monotonic())
            self._forget_beyond(self.most, keep=key)
        now = time.monotonic()
        lapsed = now - card.asked_at > self.keep
        card.asked_at = now
        if card.png is not None and (card.state == _state(election) or not lapsed):
            self._due(key)  # kept fresh from now on
            return card.png
        waiter: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        card.waiters.append(waiter)
        self._due(key)
        return await waiter

    def queued(self) -> int:
        """Cards asked for and not made yet: being made, or due to be."""
        return sum(1 for c in self.cards.values() if c.png is None and (c.making or c.timer or c.waiters))

    def _forget_beyond(self, most: int, keep: tuple[str, str]) -> None:
        """Drop the least recently asked-for cards that nothing waits for, down to `most`; never
        `keep`, the one just asked for (its waiter is not on it yet: dropped, it was never made
        and its reader waited until the connection timed out)."""
        idle = [i for i, c in self.cards.items() if not (c.making or c.waiters or c.timer) and i != keep]
        for key in sorted(idle, key=lambda k: self.cards[k].asked_at)[:max(0, len(self.cards) - most)]:
            del self.cards[key]

    def changed(self, election_id: str) -> None:
        """The election changed: a new card in each language asked for, if it is wanted and due."""
        for lang in LANGUAGES:
            if (election_id, lang) in self.cards:
                self._due((election_id, lang))

    def _due(self, key: tuple[str, str]) -> None:
        """A new card of (election, language), if it is wanted and due (or it was just asked for)."""
        card = self.cards.get(key)
        election = self.elections.get(key[0])
        if card is None or election is None or card.making or card.timer is not None:
            return  # not asked for; or the card being made looks again once it is back
        if card.state == _state(election) and card.png is not None:
            return
        if time.monotonic() - card.asked_at > self.keep and not card.waiters:
            return  # nobody has asked for a while: not made until asked again
        loop = asyncio.get_running_loop()
        delay = max(0.0, card.made_at + self.every - loop.time())
        card.timer = loop.call_later(delay, self._make, key)

    def _make(self, key: tuple[str, str]) -> None:
        card = self.cards[key]
        card.timer = None
        election = self.elections.get(key[0])
        if election is None:
            return
        card.making = True
        card.made_at = asyncio.get_running_loop().time()
        state = _state(election)
        job = self._workers().run(make_card, election.count.snapshot(), election.results(), self.budget, key[1])
        job.add_done_callback(lambda job: self._back(key, state, job))

    def _back(self, key: tuple[str, str], state: tuple[int, int], job: asyncio.Future[bytes]) -> None:
        election_id = key[0]
        card = self.cards[key]
        card.making = False
        if job.cancelled():
            return
        if (exc := job.exception()) is not None:
            # a worker that died (WorkerLost) is replaced at the next card
            log.warning("%s: the card could not be made: %s: %s", election_id, type(exc).__name__, exc)
            for waiter in card.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            card.waiters.clear()
            return
        card.png, card.state = job.result(), state
        self.made += 1
        for waiter in card.waiters:
            if not waiter.done():
                waiter.set_result(card.png)
        card.waiters.clear()
        self._due(key)  # the count moved on while it was made: once more, when due

    def _workers(self) -> Workers:
        """One worker process, below the hub's priority, fed by the loop (feeds/hub/workers.py)."""
        if self._pool is None:
            self._pool = Workers(1, idle=True)
        return self._pool

    def close(self) -> None:
        """No more cards: what is being made is dropped, and whoever waits for one is let go (cancelled)."""
        for card in self.cards.values():
            if card.timer is not None:
                card.timer.cancel()
            for waiter in card.waiters:
                waiter.cancel()
            card.waiters.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
