"""`tally count JOURNAL --serve [HOST:]PORT`: the count serves itself, a hub in the same command.

Most people who follow a count have no terminal; the page reaches them only
through a hub. This starts one in the count's own process: the same `Hub`
`tally serve` runs, with its file store in JOURNAL.hub/ beside the journal
(its copy of the count, DIR/<id>.jsonl, and its token, DIR/token, made once,
mode 0600). The count publishes to it as to any hub (feeds/publishing.py),
so a resumed journal resumes the hub's copy from where the hub's copy stops:
nothing lost, nothing sent twice, a different count under the same id
refused as a conflict.

Everything that can refuse to start is done before the journal is touched:
the address is parsed, the certificate read, DIR locked and loaded, and the
socket bound, so a port in use is one line and exit 2 with nothing journaled.
What fails later (the hub's disk) stops the hub only: the count goes on
locally, as `--publish` does when a hub is down.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from feeds.files import FeedError
from feeds.hub import run_hub
from feeds.hub.filestore import FileStore
from feeds.locks import directory_lock
from feeds.tokens import hub_token

DIR_SUFFIX = ".hub"
DEFAULT_HOST = "127.0.0.1"
EVERYWHERE = ("0.0.0.0", "::", "")


def served_dir(journal: str | Path) -> Path:
    """Where the hub of a count keeps its copy and its token: ``ldj5.jsonl`` → ``ldj5.jsonl.hub/``.

    Beside the journal, named after all of it, so two journals in one
    directory never share a hub's copy, and moving the journal's directory
    moves both.
    """
    journal = Path(journal)
    return journal.with_name(journal.name + DIR_SUFFIX)


def listen_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` → (host, port); ValueError (one line) if it is not one.

    Loopback unless a host is given: serving beyond this computer is a
    choice made in the command. An IPv6 host is written in brackets
    (``[::]:8765``); port 0 takes any free port.
    """
    host, colon, port_text = text.rpartition(":")
    if not colon:
        host = DEFAULT_HOST
    elif host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{text!r}: [{host}] is not an IPv6 address") from None
    elif not host or ":" in host:
        raise ValueError(f"{text!r}: give PORT or HOST:PORT (an IPv6 host in brackets: [::1]:8765)")
    if not (port_text.isascii() and port_text.isdigit()):
        raise ValueError(f"{text!r}: give PORT or HOST:PORT (a port is a number, 0 to 65535)")
    if int(port_text) > 65535:
        raise ValueError(f"{text!r}: the port is 0 to 65535")
    return host, int(port_text)


def everywhere(host: str) -> bool:
    """Whether ``host`` binds every interface of the computer (anyone on its networks can watch)."""
    return host in EVERYWHERE


def in_url(host: str) -> str:
    """A host as it goes in a URL: IPv6 in brackets."""
    return f"[{host}]" if ":" in host else host


def reachable_host(host: str) -> str:
    """The host a phone in the room types (or scans) for a hub bound to ``host``.

    A wildcard bind has no address of its own: this computer's first address
    that is not loopback stands for it (by its name's address, else by its
    interfaces'); the host name when it has none.
    """
    if not everywhere(host):
        return host
    return _own_address() or socket.gethostname()


def _own_address() -> str | None:
    try:
        names = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        names = set()
    for address in sorted(names | _interface_addresses()):
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def _interface_addresses() -> set[str]:
    """Each network interface's IPv4 address (Linux: SIOCGIFADDR), the ones a name does not resolve to."""
    found: set[str] = set()
    try:
        interfaces = socket.if_nameindex()
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return found
    with probe:
        for _, name in interfaces:
            try:
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue
            found.add(socket.inet_ntoa(packed[20:24]))
    return found


@dataclass
class ServedHub:
    """A hub bound and loaded for one count, not yet serving: `run` serves it in the count's loop."""

    host: str
    port: int
    store: FileStore
    sock: socket.socket
    token: str
    where: str
    """One line: where the token is (as `tally serve` says it)."""
    tls: ssl.SSLContext | None = None
    page: str = ""
    """The count's page, once the count is open (`show`)."""

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def everywhere(self) -> bool:
        return everywhere(self.host)

    def show(self, election_id: str) -> str:
        """Set and return the count's page, as a phone in the room reaches it."""
        self.page = f"{self.scheme}://{in_url(reachable_host(self.host))}:{self.port}/e/{election_id}"
        return self.page

    def own_link(self) -> str:
        """The hub's address for the count's own publisher: loopback when bound everywhere."""
        host = ("::1" if ":" in self.host else "127.0.0.1") if self.everywhere else self.host
        return f"{'wss' if self.tls is not None else 'ws'}://{in_url(host)}:{self.port}"

    async def run(self, ready: Callable[[Any, Any], Awaitable[None] | None] | None = None) -> None:
        """Serve until cancelled (the count quits); the store and the socket are closed on the way out."""
        try:
            await run_hub(None, None, "", self.token, ready, store=self.store, sock=self.sock,
                          ssl=self.tls)
        finally:
            self.sock.close()

    def close(self) -> None:
        """Let go of a hub that never ran (the count could not start)."""
        self.store.close()
        self.sock.close()


def open_served(journal: str | Path, listen: str, tls: ssl.SSLContext | None = None) -> ServedHub:
    """Bind the address, lock and load JOURNAL.hub/, make or read its token; FeedError (one line) if not.

    The address first: a port in use leaves nothing behind, not even the
    directory. Nothing is journaled here, and what was taken is let go on a
    refusal.
    """
    try:
        host, port = listen_address(listen)
    except ValueError as exc:
        raise FeedError(f"--serve {exc}") from None
    sock = bind(host, port)
    data = served_dir(journal)
    try:
        try:
            data.mkdir(exist_ok=True)
        except OSError as exc:
            raise FeedError(f"{data}: cannot use as the hub's data directory ({exc.strerror})") from None
        earlier_copy(journal, data)
        store = FileStore.open(data, directory_lock(data))
    except BaseException:
        sock.close()
        raise
    try:
        token, where = hub_token(data, None)
    except BaseException:
        store.close()
        sock.close()
        raise
    return ServedHub(host, sock.getsockname()[1], store, sock, token, where, tls)


def earlier_copy(journal: str | Path, data: Path) -> None:
    """FeedError if a new journal would be served from a directory that holds an earlier count.

    The journal was deleted or moved, and a new count started under its
    name: its page would show the earlier count (the hub keeps it) and the
    new one would be refused there as a conflict. Said before anything is
    journaled, with the fix.
    """
    if not Path(journal).exists() and any(data.glob("*.jsonl")):
        raise FeedError(f"{data}: holds the page's copy of an earlier count, and {journal} is new: "
                        f"move {data} away to serve a new count")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; FeedError "cannot listen on HOST:PORT: why" if not.

    Bound here, before the count's journal is opened, and served later in
    the count's own event loop (websockets ``serve(sock=…)``).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128,
                                    dualstack_ipv6=host == "::" and socket.has_dualstack_ipv6())
    except socket.gaierror as exc:  # a host that is not one of this computer's
        raise FeedError(f"cannot listen on {in_url(host)}:{port}: {exc.strerror.lower()}") from None
    except OSError as exc:  # its strerror has grown "(while attempting to bind …)": the errno's own words
        why = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise FeedError(f"cannot listen on {in_url(host)}:{port}: {why}") from None
