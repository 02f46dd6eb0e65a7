"""`tally serve` (the hub) and `tally publish` (a recorded file into a hub).

Neither needs a screen, so neither imports textual. Every failure is one line
on stderr and exit code 2; Ctrl-C ends either quietly.
"""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.exits import EXIT_OK, fail

if TYPE_CHECKING:
    import asyncio

    from feeds.locks import WriterLock

# asyncio, logging and the hub are imported by the commands that use them: every
# `tally` command builds this parser, and most never touch the network.

DEFAULT_DATA = "tally-data"
DEFAULT_TOKEN = os.path.join(DEFAULT_DATA, "token")
GIVE_UP_AFTER = 8
"""Failed attempts in a row after which `tally publish` stops waiting for the
hub (about 45 s with the default backoff: long enough for a hub restart)."""
MAX_PAUSE = 30.0
"""Longest wait between two paced events, in seconds: a recorded count can
pause overnight (JFK8 did), which a rehearsal should not sit through."""


def add_commands(sub: Any) -> None:
    """Register `serve` and `publish` on the `tally` command's subparsers."""
    p = sub.add_parser("serve", help="host elections for publishers and watchers (WebSocket hub)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0: any free port)")
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                   help=f"where each election is kept as DIR/<id>.jsonl (default ./{DEFAULT_DATA})")
    p.add_argument("--token-file", metavar="FILE",
                   help="the publish token is FILE's first line (default: DIR/token, made once; "
                        "with --store, the Redis key tally:token, made once)")
    p.add_argument("--store", metavar="redis://HOST:PORT/DB",
                   help="keep the elections in Redis instead of DIR, shared by every hub on it "
                        "(docs/DEPLOY.md)")
    p.add_argument("--store-durability", choices=["always", "relaxed"], default="always",
                   help="relaxed: serve from a Redis that does not fsync each event "
                        "(a Redis crash may lose acknowledged events)")
    add_tls(p)
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("publish", help="stream a recorded event file into a hub")
    p.add_argument("file", metavar="FILE", help="an event file, or a bundled replay's name")
    p.add_argument("url", metavar="ws://HOST:PORT", help="the hub (ws://A,ws://B: hubs on one "
                                                          "store, tried in turn)")
    p.add_argument("--token-file", metavar="FILE",
                   help=f"the hub's publish token (default {DEFAULT_TOKEN}, as `tally serve` makes it)")
    p.add_argument("--check", type=check_name, metavar="NAME",
                   help="publish FILE as check NAME of its election (a second counter's own count), "
                        "which the hub compares with the count it holds")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_positive, metavar="X",
                      help="pace events by their `at` times, X times faster than recorded "
                           f"(pauses capped at {MAX_PAUSE:.0f} s)")
    pace.add_argument("--max", action="store_true",
                      help="send everything as fast as the hub takes it (the default)")
    add_cafile(p)
    p.set_defaults(run=cmd_publish)


def add_cafile(p: argparse.ArgumentParser) -> None:
    """``--cafile``: every client of a hub (watch, board, publish, count --publish)."""
    p.add_argument("--cafile", metavar="FILE",
                   help="trust wss:// hubs whose certificate is signed by the CA in FILE (PEM) "
                        "instead of the system's CAs")


def add_tls(p: argparse.ArgumentParser) -> None:
    """``--tls-cert`` and ``--tls-key``: a hub (`tally serve`, `tally count --serve`) serving https and wss."""
    p.add_argument("--tls-cert", metavar="FILE",
                   help="serve https:// and wss:// with this certificate (PEM, the chain after it)")
    p.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")


def tls_of(args: argparse.Namespace) -> Any:
    """The hub's TLS context from ``--tls-cert``/``--tls-key`` (None without); FeedError, one line, if unusable."""
    from feeds.files import FeedError
    from feeds.tls import server_tls

    if args.tls_cert is None and args.tls_key is None:
        return None
    if args.tls_cert is None or args.tls_key is None:
        raise FeedError("--tls-cert FILE and --tls-key FILE go together: give both")
    return server_tls(args.tls_cert, args.tls_key)


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port), or argparse's one-line error."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {port}")
    return port


def check_name(text: str) -> str:
    """``--check NAME`` (`tally publish`, `tally count`): argparse refuses a bad name in one line."""
    from feeds.publisher import check_name as valid

    try:
        return valid(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a speed above 0: {text!r}")
    return value


# -- tally serve ---------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from feeds.files import FeedError
    from feeds.hub import run_hub

    logging.basicConfig(level=logging.WARNING, format="tally serve: %(message)s")
    try:
        args.tls = tls_of(args)  # before anything is made or bound
    except FeedError as exc:
        return fail([str(exc)])
    if args.store is not None:
        return _serve_shared(args)
    from feeds.serving import bind

    try:
        # Listening first: a hub that cannot (the port is taken) leaves nothing behind, not a
        # new data directory or token file nobody asked for.
        sock = bind(args.host, args.port)
    except FeedError as exc:
        return fail([str(exc)])
    data = Path(args.data)
    try:
        lock, token, where = _hub_directory(data, args.token_file)
    except FeedError as exc:
        sock.close()
        return fail([str(exc)])
    return _serving(args, run_hub(None, None, data, token, _ready(args, where), lock=lock,
                                  ssl=args.tls, sock=sock))


def _hub_directory(data: Path, token_file: str | None) -> tuple[WriterLock, str, str]:
    """DIR, made if need be and locked for this hub, and its publish token (and where it is):
    FeedError (one line) if not, and the lock let go again."""
    from feeds.files import FeedError
    from feeds.locks import directory_lock
    from feeds.tokens import hub_token

    try:
        data.mkdir(parents=True, exist_ok=True)
        # The directory's lock first: a second hub on it is refused before it
        # touches anything (two first starts would race to make DIR/token).
        lock = directory_lock(data)
    except OSError as exc:
        raise FeedError(f"{data}: cannot use as the data directory ({exc.strerror})") from None
    try:
        token, where = hub_token(data, token_file)
    except FeedError:
        lock.release()
        raise
    return lock, token, where


def _serve_shared(args: argparse.Namespace) -> int:
    """`tally serve --store redis://…`: the elections are in Redis, shared with every hub on it."""
    import logging

    from feeds.files import FeedError
    from feeds.hub import run_hub
    from feeds.tokens import read_token

    where = f"the publish token is the first line of {args.token_file}"
    try:
        token = read_token(args.token_file) if args.token_file else None
    except FeedError as exc:
        return fail([str(exc)])

    async def serve() -> None:
        from feeds.hub.redisstore import TOKEN_KEY, RedisStore

        store = await RedisStore.open(args.store, args.store_durability,
                                      warn=logging.getLogger("tally.hub").warning)
        nonlocal token, where
        if token is None:
            try:
                token = await store.token()
            except BaseException:
                await store.aclose()
                raise
            where = f"the publish token is in Redis: redis-cli -n {store.db} GET {TOKEN_KEY}"
        await run_hub(args.host, args.port, "", token, _ready(args, where), store=store, ssl=args.tls)

    return _serving(args, serve())


def page_address(host: str, port: int, tls: bool) -> str:
    """The hub's page as a browser on this machine opens it: a wildcard address (0.0.0.0, ::)
    is not one to browse to, so it reads as the loopback address; an IPv6 one is bracketed."""
    from feeds.serving import everywhere, in_url

    shown = ("::1" if host == "::" else "127.0.0.1") if everywhere(host) else host
    return f"{'https' if tls else 'http'}://{in_url(shown)}:{port}/"


def _ready(args: argparse.Namespace, where: str) -> Any:
    """What `tally serve` says once it listens: what it repaired, where, and the token's place."""
    from feeds.hub import bound_port
    from tally.present import counted

    def ready(hub: Any, server: Any) -> None:
        for line in hub.repaired:
            _say("serve", line)
        port = bound_port(server)
        _say("serve", f"listening on {'wss' if args.tls else 'ws'}://{args.host}:{port} "
                      f"({counted(len(hub.elections), 'election')} {hub.store.where})")
        _say("serve", f"the page: {page_address(args.host, port, bool(args.tls))} "
                      "(every count, one card each; /e/ID is one count)")
        _say("serve", where)

    return ready


def _serving(args: argparse.Namespace, hub: Any) -> int:
    """Run the hub until Ctrl-C or SIGTERM; one line and exit 2 if it cannot start."""
    import asyncio

    from feeds.files import FeedError

    try:
        asyncio.run(_until_terminated(hub))
    except FeedError as exc:
        return fail([str(exc)])
    except OSError as exc:
        return fail([f"cannot listen on {args.host}:{args.port}: {_reason(exc)}"])
    return EXIT_OK


async def _until_terminated(hub: Any) -> None:
    """`hub` until it ends or SIGTERM (a service manager's stop), which stops it as Ctrl-C does:
    its journals closed, its worker processes ended and its silent connections cut. Killed by
    SIGTERM's default instead, its watchers would not be told it went away (1001)."""
    import asyncio
    import signal

    stopping, terminated = asyncio.current_task(), []

    def terminate() -> None:
        terminated.append(True)
        stopping.cancel()

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
    try:
        await hub
    except asyncio.CancelledError:
        if not terminated:  # Ctrl-C: asyncio.run says KeyboardInterrupt, as before
            raise
        stopping.uncancel()


def _reason(exc: OSError) -> str:
    if exc.errno in errno.errorcode:
        return os.strerror(exc.errno).lower()
    return str(exc)


def _say(command: str, line: str) -> None:
    print(f"tally {command}: {line}", flush=True)


# -- tally publish ---------------------------------------------------------------
def publish_token(given: str | None) -> str:
    """The publish token of `--token-file` (`tally publish`, `tally count --publish`); FeedError if none.

    Without --token-file the token is the one `tally serve` makes in
    tally-data/ here. When there is none, "tally-data/token: no such file"
    names a file the user never gave, so the line says what to give instead.
    A file that was given (or exists) is read, and refused with its own reason.
    """
    from feeds.files import FeedError
    from feeds.tokens import read_token

    if given is None and not os.path.lexists(DEFAULT_TOKEN):
        raise FeedError(f"no token: give --token-file FILE (the hub prints where its token is when it "
                        f"starts), or run this beside the hub's {DEFAULT_DATA}/")
    return read_token(given if given is not None else DEFAULT_TOKEN)


def cmd_publish(args: argparse.Namespace) -> int:
    import asyncio
    import io

    from feeds.bundled import resolve
    from feeds.files import FeedError, Problem, load_bytes, numbered_events, read_bytes
    from feeds.link import HubError, hub_addresses
    from feeds.tls import client_tls

    try:  # the cheapest mistakes first: the address, then the token, then the file
        hub = ",".join(hub_addresses(args.url))
        token = publish_token(args.token_file)
        tls = client_tls(args.cafile)
        path = resolve(args.file)
        data = read_bytes(path)
        loaded = load_bytes(str(path), data, growing=True)
        if not loaded.ok:
            return fail(loaded.problem_lines())
    except (FeedError, HubError) as exc:
        return fail([str(exc)])
    events = [event for _, event in numbered_events(str(path), io.BytesIO(data))
              if event.__class__ is not Problem]  # the file is whole: only a partial last line
    try:
        return asyncio.run(publish_file(events, hub, token, args.speed, check=args.check, tls=tls))
    except HubError as exc:
        return fail([str(exc)])


async def publish_file(events: list, hub: str, token: str, speed: float | None,
                       wait: Any = None, check: str | None = None, tls: Any = None) -> int:
    """Send the events the hub does not have yet, paced or not; exit code.

    The hub's greeting says how many it has; those are not sent again (but
    the last of them is re-sent once, as the check that it is the same count).
    """
    import asyncio

    from feeds.link import HubError, delays
    from feeds.publisher import Publisher

    election = events[0].id
    live = asyncio.Event()
    had: list[int] = []  # what the hub had when first reached
    gave_up: list[str] = []

    def on_link(link: Any) -> None:
        if link.state == "live" and not live.is_set():
            had.append(publisher.hub_last)
            # What the hub already has is not paced: in the list before the publisher checks it.
            queue.extend(events[len(queue):publisher.hub_last])
            live.set()
        elif link.state in ("offline", "waiting"):
            what = "waiting for the main count" if link.state == "waiting" else "offline"
            _say("publish", f"{hub} {what} ({link.detail}); attempt {link.attempt} …")
            if link.attempt > GIVE_UP_AFTER:
                gave_up.append(f"the hub: {link.detail}" if link.state == "waiting" else link.detail)
                publisher.close()

    queue = list(events) if speed is None else events[:1]
    publisher = Publisher(queue, hub, token, on_link=on_link, wait=wait or delays(), check=check,
                          tls=tls)
    running = asyncio.create_task(publisher.run())
    pacing = asyncio.create_task(_pace(events, queue, publisher, live, speed))
    try:
        await asyncio.wait({pacing, running}, return_when=asyncio.FIRST_COMPLETED)
        done = await publisher.flushed()
    finally:  # also on Ctrl-C: let both tasks end before the loop closes
        pacing.cancel()
        publisher.close()
        final, _ = await asyncio.gather(running, pacing, return_exceptions=True)
    if isinstance(final, BaseException):
        raise final
    if gave_up:
        why = gave_up[0] if gave_up[0].startswith("the hub: ") else f"hub unreachable ({gave_up[0]})"
        raise HubError(f"{hub}: {why}; gave up after {GIVE_UP_AFTER} attempts")
    if final.state in ("refused", "conflict"):
        raise HubError(f"{hub}: {final.detail}")
    if done and had[0] >= len(events):
        _say("publish", f"nothing new: the hub already had all {len(events)} events of {election}")
    elif done:
        what = election if check is None else f"{election} (check {check})"
        _say("publish", f"{what}: seq {had[0] + 1}–{len(events)} published to {hub}")
    return EXIT_OK


async def _pace(events: list, queue: list, publisher: Any, live: asyncio.Event,
                speed: float | None) -> None:
    """Append events to the publisher's list at the pace of their ``at`` stamps / speed.

    It waits for the first connection to learn what the hub has, and sends
    that much at once: pacing applies to what is new. Without a speed the
    whole list was given at once and there is nothing to do.
    """
    import asyncio

    if speed is None:
        return
    await live.wait()
    start = max(publisher.hub_last, len(queue))
    queue.extend(events[len(queue):start])
    publisher.notify()
    for before, event in zip(events[start - 1:], events[start:]):
        await asyncio.sleep(_pause(before, event, speed))
        queue.append(event)
        publisher.notify()


def _pause(before: Any, event: Any, speed: float) -> float:
    if before.at is None or event.at is None:
        return 0.0
    return min(max((event.at - before.at).total_seconds() / speed, 0.0), MAX_PAUSE)
