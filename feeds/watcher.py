"""Watching an election on a hub: every event exactly once, in order, through any outage.

`Watcher` is what `tally watch` is built on; `list_elections` is the hub's
``GET /elections``, for picking an election to watch.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.error
import urllib.request
from contextlib import aclosing
from typing import Any, AsyncIterator, Callable, Iterator
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from feeds.link import (HubError, Hubs, Link, Retries, delays, describe, hub_address, reconnecting,
                        watch_addresses)
from tally.schema import Event, EventError, parse_event

QUEUE = 256
"""Events received but not yet taken by the caller. When it is full the
watcher stops reading, and the hub, finding its buffer full, drops the link;
the watcher then resumes from its last event: a slow screen costs nobody else."""

SHOWN_IDS = 6
"""Election ids a waiting watcher names; a longer list ends "… N in all" (`tally watch ws://HOST:PORT` lists them)."""

_END = None


class Gap(Exception):
    """The hub skipped a seq: resume from the last one received."""


class Watcher:
    """Follows the election at ``url`` (``ws://HOST:PORT/elections/ID``), for ever.

    ``url`` may name several hubs on one shared store (``ws://A,ws://B/elections/ID``):
    the watcher uses the first, and after a failed attempt moves on to the
    next, resuming from its last event there as it would on the same hub.

    ::

        watcher = Watcher("ws://127.0.0.1:8765/elections/ldj5", on_link=show)
        async for event in watcher.events():     # runs until close()
            count.apply(event)
        ...
        watcher.close()                          # from anywhere: events() ends

    `events()` yields each event exactly once, in seq order, starting after
    ``since`` (0: from the header). Events arrive one at a time as the hub
    accepts them; a screen should batch what it draws, not redraw per event.
    After any disconnect the watcher reconnects with backoff and asks for
    ``?since=`` the last event it received; it drops any seq it already has,
    and on a gap (seq > last + 1) reconnects from its last. `last` is the seq
    of the last event yielded. `events()` can be iterated once.

    ``on_link(Link)`` is called on every change (also readable as `link`);
    ``Link.seq`` is the last seq yielded. States:

    - ``"connecting"``: the first attempt.
    - ``"live"``: connected; events flow (``on_link`` is not called per event).
    - ``"reconnecting"``: the link dropped or an attempt failed; ``attempt``
      is the attempt under way or next, ``detail`` says why.
    - ``"waiting"``: the hub has no such election yet (HTTP 404 before any
      event): the watcher keeps asking with backoff; ``attempt`` as above,
      ``detail`` names the election and what the hub has (`_no_such_election`).
    - ``"not found"``: final: the election disappeared after events came.
    - ``"refused"``: final: any other refusal (the hub speaks another
      protocol, or sent an event this version cannot read); ``detail`` says.
    - ``"closed"``: final, after `close()`.
    """

    def __init__(
        self,
        url: str,
        since: int = 0,
        on_link: Callable[[Link], None] | None = None,
        wait: Callable[[], Iterator[float]] = delays(),
        on_checks: Callable[[list], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.on_checks = on_checks
        """Told each ``{"checks": [...]}`` frame (asked for with ``checks=1``), in order with the events."""
        self._bad_url: HubError | None = None  # said as a final "refused", like any refusal
        try:
            addresses, self._path = watch_addresses(url)
        except HubError as exc:
            addresses, self._path, self._bad_url = [""], "", exc
        self.hubs = Hubs(addresses, tls)  # tls: what wss:// hubs are trusted by
        self.last = since
        self.on_link = on_link
        self.wait = wait
        self.link = Link("connecting", attempt=1, seq=since)
        self._waiting = False
        self._hub_has: list[str] | None = None  # the hub's election ids, once asked while waiting
        self._asking: asyncio.Task[None] | None = None
        self._received = since
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE)
        self._pump: asyncio.Task[None] | None = None
        self._closed = False

    async def events(self) -> AsyncIterator[Event]:
        """Every event after ``since``, once each, in order, until close() or a final state."""
        self._pump = asyncio.create_task(self._follow())
        try:
            while (event := await self._queue.get()) is not _END and not self._closed:
                if isinstance(event, list):  # a checks frame, in its place among the events
                    if self.on_checks is not None:
                        self.on_checks(event)
                    continue
                self.last = event.seq
                yield event
        finally:
            self.close()

    def close(self) -> None:
        """Stop watching: events() ends at its next step."""
        if self._closed:
            return
        self._closed = True
        if self._pump is not None:
            self._pump.cancel()
        if self._asking is not None:
            self._asking.cancel()
        if self.link.state not in ("not found", "refused"):
            self._report("closed")
        _clear(self._queue)
        self._queue.put_nowait(_END)

    # -- the link ------------------------------------------------------------
    def _report(self, state: str, attempt: int = 0, detail: str = "") -> None:
        self.link = Link(state, attempt, self.last, detail)
        if self.on_link is not None:
            self.on_link(self.link)

    def _not_started(self, exc: Exception) -> bool:
        """A 404 before any event: the count has not reached the hub yet, so keep asking.

        People open a watcher before the count begins; the election appears on
        the hub only when its header is published. (A mistyped id waits too,
        and says so on screen: "waiting", with the attempt number.)
        """
        self._waiting = (isinstance(exc, InvalidStatus) and exc.response.status_code == 404
                         and self._received == 0)
        return self._waiting

    def _retrying(self, attempt: int, why: str) -> None:
        """Say the next attempt: waiting for an election the hub does not have, or reconnecting."""
        if not self._waiting:
            self._report("reconnecting", attempt, why)
            return
        self._report("waiting", attempt, self._no_such_election())
        if self._asking is None or self._asking.done():
            self._asking = asyncio.create_task(self._ask_what_the_hub_has())

    async def _ask_what_the_hub_has(self) -> None:
        """Look up the hub's elections (`GET /elections`) once per attempt, for the waiting words.

        Best effort: a hub that does not answer the list leaves the words as
        they were; the watch itself goes on either way.
        """
        try:
            elections = await list_elections(self.hubs.current, timeout=5.0)
        except HubError:
            return
        self._hub_has = [str(e.get("id")) for e in elections if isinstance(e, dict)]
        if self.link.state == "waiting":
            self._report("waiting", self.link.attempt, self._no_such_election())

    def _no_such_election(self) -> str:
        """Why a watcher waits: the hub has no election of that id yet, and which it has.

        The watcher waits on purpose (a count not yet begun has no election on
        the hub), but a mistyped id waits too, for ever: naming the id and the
        hub's elections lets the user see which it is.
        """
        wanted = unquote(urlsplit(self._path).path.rstrip("/").rsplit("/", 1)[-1])
        words = f'no election "{wanted}" on this hub yet'
        if self._hub_has is None:
            return words
        if not self._hub_has:
            return f"{words} (it has none)"
        shown = ", ".join(self._hub_has[:SHOWN_IDS])
        more = f" … {len(self._hub_has)} in all" if len(self._hub_has) > SHOWN_IDS else ""
        return f"{words} (it has: {shown}{more})"

    def _resume_url(self) -> str:
        return self.hubs.current + self._resume_path()

    def _resume_path(self) -> str:
        parts = urlsplit(self._path)
        query = {"since": self._received, **({"checks": 1} if self.on_checks is not None else {})}
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def _follow(self) -> None:
        """Connect, take events, reconnect from the last one; until a final answer."""
        retries = Retries(self._retrying, retry_also=self._not_started)
        self._report("connecting", attempt=1)
        try:
            if self._bad_url is not None:
                raise self._bad_url
            # Each attempt asks for since= the last event, on whichever hub it is.
            async with aclosing(reconnecting(self.hubs, self._resume_path, retries,
                                             self.wait)) as links:
                async for ws in links:
                    retries.succeeded()
                    self._report("live")
                    try:
                        await self._take(ws)
                    except (ConnectionClosed, Gap) as exc:
                        self._report("reconnecting", attempt=1, detail=describe(exc))
        except InvalidStatus as exc:
            state = "not found" if exc.response.status_code == 404 else "refused"
            self._report(state, detail=describe(exc))
        except (InvalidHandshake, InvalidURI, HubError) as exc:
            self._report("refused", detail=describe(exc))
        finally:
            if not self._closed:
                _clear(self._queue)
                self._queue.put_nowait(_END)

    async def _take(self, ws: ClientConnection) -> None:
        """Queue each new event in order; ConnectionClosed or Gap when the link ends."""
        while True:
            frame = await ws.recv()
            if self.on_checks is not None and isinstance(frame, str) and frame.startswith(CHECKS_FRAME):
                await self._queue.put(_checks(frame))
                continue
            try:
                event = parse_event(frame)
            except EventError as exc:
                raise HubError(f"the hub sent an event this tally cannot read: {exc}") from None
            if event.seq <= self._received:
                continue
            if event.seq != self._received + 1:
                raise Gap(f"seq {event.seq} after {self._received}: resuming from {self._received}")
            self._received = event.seq
            await self._queue.put(event)


CHECKS_FRAME = '{"checks": '  # as the hub writes it (feeds/hub/server.py): never an event's start


def _checks(frame: str | bytes) -> list:
    """The items of a ``{"checks": [...]}`` frame; HubError if it is not one."""
    try:
        items = json.loads(frame)["checks"]
    except (ValueError, KeyError, TypeError):
        items = None
    if not isinstance(items, list):
        raise HubError(f"the hub sent a checks frame this tally cannot read: {frame!r:.80}")
    return items


def _clear(queue: asyncio.Queue[Any]) -> None:
    while not queue.empty():
        queue.get_nowait()


async def list_elections(hub_url: str, timeout: float = 10.0,
                         tls: ssl.SSLContext | None = None) -> list[dict[str, Any]]:
    """The hub's elections (``GET /elections``): id, title, last, totals, outcome …

    ``hub_url`` is ``ws://HOST:PORT``; HubError (one line) if the hub cannot
    be reached or does not answer with a list.
    """
    hub = hub_address(hub_url)
    url = "http" + hub[2:] + "/elections"  # ws:// → http://, wss:// → https://

    def get() -> Any:
        with urllib.request.urlopen(url, timeout=timeout, context=tls) as response:
            return json.load(response)

    try:
        elections = await asyncio.to_thread(get)
    except urllib.error.HTTPError as exc:
        raise HubError(f"{url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        why = exc.reason if isinstance(exc.reason, str) else describe(exc.reason)
        raise HubError(f"{url}: {why}") from None
    except (OSError, ValueError) as exc:
        raise HubError(f"{url}: {describe(exc)}") from None
    if not isinstance(elections, list):
        raise HubError(f"{url}: not a list of elections")
    return elections
