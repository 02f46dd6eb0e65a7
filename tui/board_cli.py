"""`tally board`: check what was given (one line and exit 2 for anything wrong), then run the board.

Kept out of tui/cli.py so that the command line stays a table of subcommands
with lazy imports.
"""

from __future__ import annotations

import argparse
import math

from tui.exits import EXIT_OK, fail, run_app


def board(sources: list[str], args: argparse.Namespace) -> int:
    """A hub (``ws://HOST:PORT``, alone) or any number of files and bundled names."""
    hubs = [s for s in sources if s.startswith(("ws://", "wss://"))]
    if hubs:
        if len(sources) > 1:
            return fail(["board shows one hub, or files: not both, not two hubs"])
        return _hub(hubs[0], args.cafile)
    if args.speed is not None and not (math.isfinite(args.speed) and args.speed > 0):
        return fail([f"--speed must be a number more than 0, not {args.speed:g}"])
    return _files(sources, args)


def _hub(url: str, cafile: str | None) -> int:
    from feeds.board import BoardFollower
    from feeds.files import FeedError
    from feeds.link import HubError, hub_address
    from feeds.tls import client_tls

    try:
        hub = hub_address(url)
        tls = client_tls(cafile)
    except (HubError, FeedError) as exc:
        return fail([str(exc)])
    from tui.board_app import HubBoard

    _, code = run_app(HubBoard(BoardFollower(hub, tls=tls), {"tls": tls}))
    return code


def _files(sources: list[str], args: argparse.Namespace) -> int:
    from feeds.bundled import resolve_many
    from feeds.files import FeedError, header_problem, stream

    try:
        paths = resolve_many(sources)
    except FeedError as exc:
        return fail([str(exc)])
    problems, ids = [], {}
    for path in paths:
        try:
            problem = header_problem(path)
        except FeedError as exc:
            problem = str(exc)
        if problem:
            problems.append(problem)
            continue
        header = next(item for _, item in stream(path, growing=True))
        if header.id in ids:
            problems.append(f"{path}: election {header.id!r} is also in {ids[header.id]}: "
                            f"a board shows each election once")
        ids.setdefault(header.id, path)
    if problems:
        return fail(problems)
    from feeds.board import BoardReplay, LiveBoard
    from tui.board_app import ReplayBoard

    replay = BoardReplay(LiveBoard(paths), speed=args.speed, fast=args.max, paused=args.paused)
    where = sources[0] if len(sources) == 1 else f"{len(paths)} recorded counts"
    _, code = run_app(ReplayBoard(replay, where))
    return code if code else EXIT_OK
