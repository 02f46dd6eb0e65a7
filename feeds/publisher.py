"""Publishing a count to a hub, through any outage, without losing or doubling an event.

`Publisher` sends a growing list of events to ``/elections/{id}/publish`` and
keeps going whatever the network does: the list is the truth, the hub says on
each connect how much of it it already has, and the publisher sends the rest.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from contextlib import aclosing
from typing import Callable, Iterator

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from feeds.link import (MAX_FRAME, HubError, Hubs, Link, Retries, delays, describe,
                        hub_addresses, reconnecting, until_closed)
from tally.schema import Event, dump_event

WINDOW = 64
"""Events sent ahead of their acknowledgement: enough to keep a fast replay
streaming over a slow link, few enough that a refusal stops it quickly."""

FINAL = ("refused", "conflict", "closed")
CONFLICT = "HUB CONFLICT"
DIFFERENT = "already stored, as a different event"
"""The hub's words when a seq it holds is not this count's (feeds/hub/server.py)."""


class HubNotSaved(Exception):
    """The hub could not store an event this time (its disk said no) but is whole: try again."""


class HubNotYet(HubNotSaved):
    """The hub holds no election for this check yet (its main count is not published yet): try again.

    Two counters start together; whichever publishes first, the check must
    not be lost because the main count's header came a second later.
    """


class HubConflict(HubError):
    """The hub holds a different count under this election's id: nothing more can go there."""

    def __init__(self, election_id: str, first: int | None, hub_last: int, ours: int) -> None:
        if first is not None:
            why = f"its {election_id} differs from this count from seq {first} on"
        else:
            why = (f"it has {hub_last:,} events of {election_id}, more than the {ours:,} "
                   "of this count")
        super().__init__(f"{CONFLICT}: the hub holds another count under this id: {why}")
        self.first = first


class Publisher:
    """Publishes ``events`` to the hub at ``hub_url`` (``ws://HOST:PORT``).

    ``hub_url`` may name several hubs on one shared store (``ws://A,ws://B``):
    the publisher uses the first, and after a failed attempt (or a hub that
    could not store an event) moves on to the next, starting again from that
    hub's ``{"last": N}`` as it would on the same hub.

    ``events`` is the caller's list, header first (``events[i].seq == i + 1``);
    the caller appends to it and calls `notify()`. The election is the
    header's ``id``. `run()` connects, reads ``{"last": N}``, and sends from
    there, up to `WINDOW` events ahead of the acks; it reconnects with backoff
    whenever the hub is unreachable or the link drops, and returns only when
    the hub refuses or `close()` is called. Use it as::

        publisher = Publisher(events, "ws://127.0.0.1:8765", token, on_link=show)
        task = asyncio.create_task(publisher.run())
        events.append(event); publisher.notify()
        ...
        await publisher.flushed()    # every event in the list acknowledged
        publisher.close(); await task

    On each connect the publisher first sends again the hub's last event N,
    alone (waiting until its list has it): the hub acknowledges it only if it
    is identical, so a publisher never extends somebody else's count.

    ``on_link(Link)`` is called on every change; ``Link.seq`` (and `acked`) is
    the last seq the hub is known to hold as this count's. States:

    - ``"connecting"``: the first attempt.
    - ``"live"``: connected and sending; called again on each ack.
    - ``"offline"``: unreachable or dropped; ``attempt`` is the next attempt,
      ``detail`` why. The caller's list keeps growing; it is all sent on return.
    - ``"waiting"``: a check count (``check=``) whose election the hub does
      not hold yet: the hub was reached and said to come back later
      (``"later": true``); ``attempt`` is the next try, ``detail`` the hub's words.
    - ``"refused"``: final. The hub refused the token (HTTP 401), or answered
      an event with an error (``detail`` says which seq and why). Retrying
      would get the same answer, so `run()` returns.
    - ``"conflict"``: final. The hub holds a different count under this id
      (another journal published as the same election); ``detail`` starts
      with "HUB CONFLICT" and names the first seq that differs.
    - ``"closed"``: final, after `close()`.
    """

    def __init__(
        self,
        events: list[Event],
        hub_url: str,
        token: str,
        on_link: Callable[[Link], None] | None = None,
        wait: Callable[[], Iterator[float]] = delays(),
        window: int = WINDOW,
        check: str | None = None,
        on_checks: Callable[[list[dict]], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.events = events
        self.check = check
        """Publish as check ``check`` of the election (a second counter), not as its count."""
        self.on_checks = on_checks
        """Told each ``{"checks": [...]}`` frame the hub sends (asked for with ``checks=1``)."""
        self.hubs = Hubs(hub_addresses(hub_url), tls)  # tls: what wss:// hubs are trusted by
        self.token = token
        self.on_link = on_link
        self.wait = wait
        self.window = window
        self.acked = 0
        self.hub_last = 0
        """The last seq the hub said it had, in its greeting on the latest connect."""
        self.link = Link("connecting", attempt=1)
        self._closing = asyncio.Event()
        self._more = asyncio.Event()  # the list grew, or an ack opened the window
        self._progress = asyncio.Event()  # an ack came, or the publisher stopped

    # -- the caller's side ---------------------------------------------------
    def notify(self) -> None:
        """The list has grown: send what is new."""
        self._more.set()

    def close(self) -> None:
        """Stop publishing (run() returns soon); unsent events stay in the list."""
        self._closing.set()

    async def flushed(self) -> bool:
        """Wait until the hub has every event now in the list; False if it stopped first."""
        while self.acked < len(self.events):
            if self.link.state in FINAL:
                return False
            self._progress.clear()
            await self._progress.wait()
        return True

    async def run(self) -> Link:
        """Publish until refused or closed; the final Link."""
        try:
            await until_closed(self._publish(), self._closing)
        except HubConflict as exc:
            self._report("conflict", detail=str(exc))
        except HubError as exc:
            self._report("refused", detail=str(exc))
        if self.link.state not in ("refused", "conflict"):
            self._report("closed")
        return self.link

    @property
    def hub(self) -> str:
        """The hub in use now (or next)."""
        return self.hubs.current

    # -- the link ------------------------------------------------------------
    def _report(self, state: str, attempt: int = 0, detail: str = "") -> None:
        self.link = Link(state, attempt, self.acked, detail)
        self._progress.set()
        if self.on_link is not None:
            self.on_link(self.link)

    async def _publish(self) -> None:
        await self._have(1)
        path = publish_path(self.events[0].id, self.check, self.on_checks is not None)
        retries = Retries(lambda attempt, why: self._report("offline", attempt, why))
        self._report("connecting", attempt=1)
        pauses = self.wait()  # between tries of a hub that could not store an event
        waited = 0  # tries of a check whose election the hub did not hold yet
        links = reconnecting(
            self.hubs, lambda: path, retries, self.wait,
            additional_headers={"Authorization": f"Bearer {self.token}"},
            # Room for every answer in flight: a session left with answers
            # unread (a "not saved") must still read up to the hub's close
            # frame, or its close would wait out the close timeout (10 s).
            max_queue=self.window + 2,
        )
        try:
            # aclosing: when the publisher is closed (cancelled), its
            # connection is closed now, not whenever the generator is collected.
            async with aclosing(links):
                async for ws in links:
                    try:
                        await self._session(ws, retries)
                    except ConnectionClosed as exc:
                        self._report("offline", attempt=1, detail=describe(exc))
                    except HubNotYet as exc:
                        waited += 1  # counted: `tally publish` gives up as for a hub it cannot reach
                        self._report("waiting", attempt=waited + 1, detail=str(exc))
                        await asyncio.sleep(next(pauses))  # then ask again
                    except HubNotSaved as exc:
                        self._report("offline", attempt=1, detail=f"the hub: {exc}")
                        self.hubs.move_on()  # another hub may reach the store when this one does not
                        await asyncio.sleep(next(pauses))  # then connect again and resend
        except (InvalidHandshake, InvalidURI) as exc:  # what websockets will not retry
            raise HubError(describe(exc)) from None

    async def _session(self, ws: ClientConnection, retries: Retries) -> None:
        """One connection: learn what the hub has, check it is ours, then stream.

        The event at min(hub's last, ours) is sent again first, alone, and
        nothing more is sent until it is acknowledged: only then are the
        events before it known to be this count's. A hub that holds more
        events than this count, or a different event at that seq, holds
        another count under the same id: HubConflict, with the first seq that
        differs. Then events go out up to `window` ahead of the acks. Ends
        with ConnectionClosed, however the connection ends.
        """
        last = self.hub_last = _last(await self._recv(ws))
        retries.succeeded()
        self._report("live")  # the caller may add what the hub already has (tally publish --speed)
        check = min(last, len(self.events))
        self.acked = max(check - 1, 0)
        if last:
            await ws.send(dump_event(self.events[check - 1]))
            try:
                self._check(await self._recv(ws), check)
            except HubConflict:
                raise HubConflict(self.events[0].id, await self._first_difference(check),
                                  last, len(self.events)) from None
            if last > check:
                raise HubConflict(self.events[0].id, None, last, len(self.events))
            self.acked = last
            self._report("live")
        sender = asyncio.create_task(self._send(ws, self.acked))
        try:
            expect = self.acked + 1
            while True:
                self._check(await self._recv(ws), expect)
                self.acked = expect
                expect += 1
                self._more.set()
                self._report("live")
        except HubConflict:  # another publisher took this seq first: it is the first difference
            raise HubConflict(self.events[0].id, expect, self.hub_last, len(self.events)) from None
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _recv(self, ws: ClientConnection) -> str | bytes:
        """The hub's next answer; a ``{"checks": [...]}`` frame on the way is handed to `on_checks`."""
        while True:
            frame = await ws.recv()
            if self.on_checks is None or not (isinstance(frame, str) and frame.startswith(CHECKS_FRAME)):
                return frame
            try:
                checks = json.loads(frame)["checks"]
            except (ValueError, KeyError, TypeError):
                return frame  # not one: answered as anything unexpected is
            self.on_checks(checks)

    async def _first_difference(self, upto: int) -> int:
        """The first seq ≤ upto at which the hub's count is not this one (read as a watcher).

        A check count is not served to watchers: the seq known to differ is the answer.
        """
        if self.check is not None:
            return upto
        mine = self.events
        async with connect(f"{self.hub}/elections/{mine[0].id}", compression=None,
                           max_size=MAX_FRAME, **self.hubs.options()) as watch:
            for seq in range(1, upto + 1):
                if await watch.recv() != dump_event(mine[seq - 1]):
                    return seq
        return upto

    async def _have(self, n: int) -> None:
        """Wait until the caller's list holds at least n events."""
        while len(self.events) < n:
            self._more.clear()
            await self._more.wait()

    async def _send(self, ws: ClientConnection, sent: int) -> None:
        """Send events[sent:] in order, at most `window` ahead of the acks, forever."""
        events = self.events
        while True:
            self._more.clear()
            while sent < len(events) and sent - self.acked < self.window:
                await ws.send(dump_event(events[sent]))
                sent += 1
            await self._more.wait()

    @staticmethod
    def _check(reply: str | bytes, expect: int) -> None:
        """An ack for ``expect`` passes; an error answer or anything else is HubError."""
        try:
            answer = json.loads(reply)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("ack") == expect:
            return
        if isinstance(answer, dict) and DIFFERENT in str(answer.get("error")):
            raise HubConflict("", answer.get("seq"), 0, 0)  # the caller says what differs
        if isinstance(answer, dict) and _not_saved(answer.get("error")):
            raise HubNotSaved(answer["error"])
        if isinstance(answer, dict) and "error" in answer:
            raise HubError(f"the hub refused seq {answer.get('seq')}: {answer['error']}")
        raise HubError(f"unexpected answer from the hub (expected ack {expect}): {reply!r:.80}")


CHECKS_FRAME = '{"checks": '
"""How the hub's checks frames begin (json.dumps of {"checks": …}): told from an ack cheaply."""


CHECK_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
"""A check counter's name, as the hub's path takes it (feeds/hub/server.py)."""


def check_name(text: str) -> str:
    """``--check NAME``: NAME, or ValueError saying what a name may be (argparse says it in one line)."""
    if not CHECK_NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not a check name: 1-32 of a-z, 0-9 and -, starting with a letter or digit")
    return text


def publish_path(election_id: str, check: str | None, hear: bool) -> str:
    """The hub's path for publishing an election's count, or its check ``check`` (docs/PROTOCOL.md)."""
    path = (f"/elections/{election_id}/publish" if check is None
            else f"/elections/{election_id}/checks/{check}/publish")
    return path + ("?checks=1" if hear else "")


def _not_saved(error: object) -> bool:
    """A hub's "not saved: …" answer that it may not give again (docs/PROTOCOL.md): retry.

    "…; restart the hub" means it cannot store anything more for this
    election until it is restarted: that one is final, like any refusal.
    """
    return (isinstance(error, str) and error.startswith("not saved")
            and not error.endswith("restart the hub"))


def _last(hello: str | bytes) -> int:
    """N from the hub's ``{"last": N}`` greeting; HubError for anything else."""
    try:
        answer = json.loads(hello)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        why = " ".join(answer["error"].split())[:500]  # a check it cannot take: one line
        raise HubNotYet(why) if answer.get("later") is True else HubError(why)
    try:
        last = answer["last"]
    except (KeyError, TypeError):
        last = None
    if not isinstance(last, int) or isinstance(last, bool) or last < 0:
        raise HubError(f"unexpected greeting from the hub: {hello!r:.80}")
    return last
