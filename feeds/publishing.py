"""`tally count --publish`: the keyboard count also goes to a hub, and never waits for it.

Each entry is journaled (fsync'd) first and counted on screen; only then is it
handed to the Publisher, which sends it when the hub is reachable and catches
up by itself when the hub returns. The count screen asks `words()` for a line
about the link: live, or offline and how far behind.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from feeds.link import Link
from feeds.live import LiveCount
from feeds.publisher import CONFLICT, Publisher
from tally.present import OURS_COUNTER
from tally.schema import Event


class CountPublisher:
    """Publishes a journal's events, as they are entered, to the hub at `hub_url`."""

    def __init__(self, events: list[Event], hub_url: str, token: str, live: LiveCount | None = None,
                 **publisher_options) -> None:
        self.events = events
        self.on_change: Callable[[], None] | None = None
        self.live = live
        """The count on screen: given, it carries the hub's checks (the verification line)."""
        if live is not None:
            publisher_options.setdefault("on_checks", self._checked)
        self.publisher = Publisher(events, hub_url, token, on_link=self._linked, **publisher_options)
        self.link = self.publisher.link
        self.reached = False  # whether the hub answered at all this run

    def published(self, event: Event) -> None:
        """An entry is durable in the journal: send it on."""
        self.events.append(event)
        self.publisher.notify()

    def words(self) -> tuple[str, str]:
        """The link in the count's header: ("live" | "offline" | "conflict" | "counting", words)."""
        link = self.link
        behind = len(self.events) - link.seq
        queued = f", {behind} to send" if behind > 0 else ""
        if link.state == "live":
            return "live", f"hub has seq {link.seq}{queued}"
        if link.state == "offline":
            return "offline", f"hub offline (attempt {link.attempt}): counting locally{queued}"
        if link.state == "waiting":  # a check started before its main count: the hub is there, the count not yet
            return "offline", f"the main count is not on the hub yet (attempt {link.attempt}): counting locally{queued}"
        if link.state == "refused":
            return "offline", f"hub refused: {link.detail}"
        if link.state == "conflict":
            return "conflict", f"{link.detail.removeprefix(CONFLICT + ': ')} · counting here only"
        return "counting", f"{link.state} to the hub{queued}"

    def waiting(self) -> int:
        """Entries the hub does not have yet; none in conflict (nothing more goes there: they stay here)."""
        if self.link.state == "conflict":
            return 0
        return max(0, len(self.events) - self.link.seq)

    async def run(self) -> Link:
        return await self.publisher.run()

    def close(self) -> None:
        self.publisher.close()

    def unsent_words(self) -> str | None:
        """After the count screen closes: what the hub still lacks, in one line, or None."""
        if self.link.state == "conflict":
            return (f"{self.link.detail}; the journal's {len(self.events)} events are safe here, "
                    "and nothing more was sent to the hub")
        if self.reached and self.link.seq >= len(self.events):
            return None
        if not self.reached:
            return (f"the hub was not reached this time; the journal's {len(self.events)} events "
                    "are safe: run the same command again (or tally publish) to send them")
        return (f"the hub has {self.link.seq} of {len(self.events)} events; run the same "
                "command again (or tally publish) to send the rest")

    def _checked(self, items: list) -> None:
        """The hub's checks changed: the counter's own screen says so at once (ours: "you")."""
        assert self.live is not None
        self.live.set_checks(items, OURS_COUNTER)
        if self.on_change is not None:
            self.on_change()

    def _linked(self, link: Link) -> None:
        self.reached = self.reached or link.state == "live"
        self.link = link
        if self.on_change is not None:
            self.on_change()


class Fanout:
    """`tally count --serve … --publish …`: each entry to the hub served here and to the one published to.

    Each publisher keeps its own list and link, and catches up by itself; the
    header shows the worst of the two (offline or a conflict anywhere is
    said), and what each has, named: "here: hub has seq 7 · ws://…: …".
    """

    SEVERITY = ("counting", "live", "offline", "conflict")

    def __init__(self, publishers: dict[str, CountPublisher]) -> None:
        self.publishers = publishers
        self._on_change: Callable[[], None] | None = None

    @property
    def on_change(self) -> Callable[[], None] | None:
        return self._on_change

    @on_change.setter
    def on_change(self, callback: Callable[[], None] | None) -> None:
        self._on_change = callback
        for publisher in self.publishers.values():
            publisher.on_change = callback

    def published(self, event: Event) -> None:
        for publisher in self.publishers.values():
            publisher.published(event)

    def words(self) -> tuple[str, str]:
        said = {name: publisher.words() for name, publisher in self.publishers.items()}
        state = max((state for state, _ in said.values()), key=self.SEVERITY.index)
        return state, " · ".join(f"{name}: {words}" for name, (_, words) in said.items())

    def waiting(self) -> int:
        return max(publisher.waiting() for publisher in self.publishers.values())

    async def run(self) -> list[Link]:
        return list(await asyncio.gather(*(p.run() for p in self.publishers.values())))

    def close(self) -> None:
        for publisher in self.publishers.values():
            publisher.close()

    def unsent_words(self) -> str | None:
        said = [f"{name}: {words}" for name, publisher in self.publishers.items()
                if (words := publisher.unsent_words())]
        return "; ".join(said) or None
