"""A client's link to a hub: the state it reports, and reconnecting with backoff.

The publisher and the watcher each keep one connection to a hub and reconnect
by themselves with ``async for ws in reconnecting(...)``. This module holds
what they share: the `Link` report, the backoff delays, the hubs to try in
turn (``ws://A,ws://B``: hubs on one shared store), the split between a
failed attempt (retry, on the next hub) and a refusal (stop), and a one-line
reason for either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import re
import ssl
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Coroutine, Iterator

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import process_exception as transient_or_fatal
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tally.text import literal

MAX_FRAME = 64 * 1024
"""Largest frame either side accepts: an event is well under 1 KiB."""


@dataclass(frozen=True, slots=True)
class Link:
    """One report of a client's connection to the hub, passed to ``on_link``.

    state:   what the link is doing; the publisher and the watcher each list
             theirs in their docstring ("live", "offline", "reconnecting" …).
    attempt: which attempt to connect is under way or next: 1 when the link
             first connects or has just dropped, 2 after one failure … (0 while live).
    seq:     publisher: the last seq the hub acknowledged (or already had);
             watcher: the last seq it delivered.
    detail:  one line for a person: why it is offline, refused, not found.
    """

    state: str
    attempt: int = 0
    seq: int = 0
    detail: str = ""


def delays(first: float = 1.0, most: float = 15.0) -> Callable[[], Iterator[float]]:
    """Seconds between attempts: ``first`` with jitter, then x1.6 up to ``most``.

    The websockets default waits up to 90 s; a count that comes back online
    should catch up within seconds, so this starts at a second and caps at 15.
    The jitter on the first delay keeps many watchers of a restarted hub from
    all reconnecting in the same instant.
    """

    def generate() -> Iterator[float]:
        yield first * (0.5 + random.random() / 2)
        delay = first
        while True:
            yield delay
            delay = min(delay * 1.6, most)

    return generate


class HubError(Exception):
    """The hub cannot be used: unreachable, or it said no and would say it again. One line."""


SCHEMES = ("ws", "wss")
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
"""One label of a host name (letters, digits, hyphens; ``_`` as some local names have)."""
WATCH_PATH = re.compile(r"/elections/[a-z0-9][a-z0-9-]{0,63}")
"""An election's path: its id has the header's pattern (tally/schema.py), so a typo is caught here."""
SINCE_QUERY = re.compile(r"(since=[0-9]{1,18})?")


@dataclass(frozen=True, slots=True)
class Address:
    """One hub address as typed, checked: ``hub`` is ``scheme://host[:port]``, ``path`` what follows."""

    hub: str
    path: str  # "" or "/…", with its query ("?since=3") if it had one


def parse_address(text: str) -> Address:
    """The one parser of a hub address (``ws://HOST:PORT[/path]``); HubError (one line) if it is not one.

    Every command that takes a hub goes through here before it does anything,
    so an address that could never connect is a typo told at once, not a
    crash (urlsplit raises on ``ws://[::1``) nor a client retrying for ever
    (``ws://a:99999``). It checks the scheme, the host (a name, an IPv4
    address, or an IPv6 address in brackets), the port (1 to 65535, or none
    for the scheme's own) and that nothing but a path and a query follows:
    no user name, no fragment, no spaces or control characters.
    """
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise HubError(f"{literal(text)}: not a hub address (ws://HOST:PORT)")
    if not rest.isprintable() or " " in rest:
        raise _not_an_address(text, "spaces or control characters")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    netloc, path = rest[:end], rest[end:]
    if "#" in path:
        raise _not_an_address(text, "a #fragment")
    if "@" in netloc:
        raise _not_an_address(text, "a user name")
    try:
        host, port = _host_and_port(netloc)
    except ValueError as exc:
        raise _not_an_address(text, str(exc)) from None
    return Address(f"{scheme.lower()}://{host}{'' if port is None else f':{port}'}", path)


def _not_an_address(text: str, why: str) -> HubError:
    return HubError(f"{literal(text)}: not a hub address (ws://HOST:PORT): {why}")


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    """(host as it goes in a URL, port or None) of ``HOST[:PORT]`` or ``[IPv6][:PORT]``; ValueError why not."""
    if netloc.startswith("["):
        inside, bracket, after = netloc[1:].partition("]")
        if not bracket:
            raise ValueError("an IPv6 address without its closing ]")
        try:
            ipaddress.IPv6Address(inside.replace("%25", "%"))  # a zone is written %25 in a URL
        except ValueError:
            raise ValueError(f"[{literal(inside)}] is not an IPv6 address") from None
        if after and not after.startswith(":"):
            raise ValueError(f"{literal(after)!r} after the IPv6 address")
        host, port_text = f"[{inside}]", after[1:] if after else None
    else:
        host, colon, port_text = netloc.partition(":")
        labels = (host[:-1] if host.endswith(".") else host).split(".")
        if not host:
            raise ValueError("no host")
        if len(host) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels):
            raise ValueError(f"{literal(host)!r} is not a host name")
        port_text = port_text if colon else None
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535):
        raise ValueError(f"the port is 1 to 65535, not {literal(port_text)!r}")
    return host, int(port_text)


def hub_address(url: str) -> str:
    """``ws://HOST:PORT`` from what a person typed (a trailing / is fine); HubError if not one."""
    address = parse_address(url)
    if address.path not in ("", "/"):
        raise HubError(f"{literal(url)}: give the hub's address alone (ws://HOST:PORT)")
    return address.hub


def hub_addresses(text: str) -> list[str]:
    """``ws://A,ws://B`` → ``["ws://A", "ws://B"]``: hubs to try in turn; HubError if one is not a hub."""
    return [hub_address(part.strip()) for part in text.split(",")]


def watch_addresses(text: str) -> tuple[list[str], str]:
    """``ws://A,ws://B/elections/ID`` → (``["ws://A", "ws://B"]``, ``"/elections/ID"``); HubError if not.

    The path (and query) may be given on the last address alone, as one
    types it, or on every one (then the same): each hub serves the same
    elections. It is "" when none has one (``tally watch`` lists the elections).
    The path is an election's (``/elections/ID``, ``?since=N`` at most).
    """
    hubs, paths = [], set()
    for part in text.split(","):
        address = parse_address(part.strip())
        hubs.append(address.hub)
        if address.path not in ("", "/"):
            path, _, query = address.path.partition("?")
            if not WATCH_PATH.fullmatch(path) or not SINCE_QUERY.fullmatch(query):
                raise HubError(f"{literal(part.strip())}: not an election's address "
                               "(ws://HOST:PORT/elections/ID)")
            paths.add(address.path)
    if len(paths) > 1:
        raise HubError(f"{literal(text)}: the addresses name different elections "
                       f"({', '.join(sorted(paths))})")
    return hubs, paths.pop() if paths else ""


class Hubs:
    """The hubs a client was given, in order, and the one it uses now, and what it trusts for wss://.

    A client stays with its hub while it can; after a failed attempt it
    moves on to the next, round the list (``move_on``), so a hub that died
    is replaced by another on the same store within one backoff delay.
    ``tls`` is the context for wss:// hubs (feeds/tls.py: a private CA);
    None verifies them against the system's CAs.
    """

    def __init__(self, addresses: list[str], tls: ssl.SSLContext | None = None) -> None:
        self.addresses = addresses
        self.tls = tls
        self._turn = 0

    @property
    def current(self) -> str:
        return self.addresses[self._turn % len(self.addresses)]

    def options(self) -> dict[str, Any]:
        """``connect()``'s TLS option for the current hub: websockets refuses ``ssl`` on ws://."""
        return tls_options(self.current, self.tls)

    def move_on(self) -> None:
        self._turn += 1

    def __str__(self) -> str:
        return ",".join(self.addresses)


def tls_options(url: str, tls: ssl.SSLContext | None) -> dict[str, Any]:
    """``{"ssl": tls}`` for a wss:// address given a context, else nothing (websockets' default)."""
    return {"ssl": tls} if tls is not None and url.lower().startswith("wss://") else {}


def describe(exc: BaseException) -> str:
    """Why a connection failed or ended, as one short line."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"certificate not trusted ({exc.verify_message}); "
                "give --cafile FILE if the hub's certificate is from a private CA")
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason.lower().replace('_', ' ') if exc.reason else exc})"
    if isinstance(exc, InvalidStatus):
        body = exc.response.body.decode(errors="replace").strip().splitlines()
        reason = f": {body[0]}" if body else ""
        return f"HTTP {exc.response.status_code}{reason}"
    if isinstance(exc, ConnectionClosed):
        close = exc.rcvd or exc.sent
        if close is None:
            return "connection lost"
        return f"closed ({close.code}{': ' + close.reason if close.reason else ''})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


class Retries:
    """``process_exception`` for ``connect()`` that counts failed attempts in a row.

    websockets decides which failures are transient (network errors, HTTP 5xx)
    and retries those after its next delay; anything else (HTTP 401, 404 …) is
    raised out of the ``async for``. Before each retry this tells
    ``on_retry(attempt, why)`` which attempt comes next, so a screen can say
    "reconnecting (attempt 3): connection refused".
    """

    def __init__(self, on_retry: Callable[[int, str], None],
                 retry_also: Callable[[Exception], bool] = lambda exc: False) -> None:
        self.on_retry = on_retry
        self.retry_also = retry_also  # failures the caller wants retried all the same
        self.failures = 0

    def __call__(self, exc: Exception) -> Exception | None:
        if isinstance(exc, ssl.SSLError):  # an untrusted certificate stays untrusted: say it once
            return HubError(describe(exc))
        verdict = None if self.retry_also(exc) else transient_or_fatal(exc)
        if verdict is None:
            self.failures += 1
            self.on_retry(self.failures + 1, describe(exc))
        return verdict

    def succeeded(self) -> None:
        self.failures = 0


async def reconnecting(
    hubs: Hubs, path: Callable[[], str], retries: Retries, wait: Callable[[], Iterator[float]],
    **kwargs: Any,
) -> AsyncIterator[ClientConnection]:
    """Connections to ``hubs.current + path()``, one after another, for ever.

    websockets' own ``async for ws in connect(url)``, with one change: a
    failed attempt moves on to the next hub. As there, ``retries`` says which
    failures are worth another attempt (the rest are raised), a failure waits
    for the next of ``wait``'s delays, and a session that ended (the loop
    body returned) is followed at once by a new attempt on the same hub.
    ``path()`` is asked at each attempt: a watcher resumes from its last event.

    Watch frames are small JSON, so compression is off: it would cost CPU and
    memory on every connection for little gain.
    """
    delays: Iterator[float] | None = None
    while True:
        try:
            async with connect(hubs.current + path(), compression=None, max_size=MAX_FRAME,
                               **hubs.options(), **kwargs) as ws:
                yield ws
        except Exception as exc:
            verdict = retries(exc)
            if verdict is exc:
                raise
            if verdict is not None:
                raise verdict from exc
            hubs.move_on()
            delays = delays or wait()
            await asyncio.sleep(next(delays))
        else:
            delays = None


async def until_closed(work: Coroutine[Any, Any, Any], closing: asyncio.Event) -> None:
    """Run ``work`` until it ends or ``closing`` is set, then cancel what is left.

    A client may be sleeping inside websockets' backoff when it is closed;
    only cancelling its task can end that sleep.
    """
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(closing.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stop):
            pending.cancel()
        await asyncio.gather(task, stop, return_exceptions=True)
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()
