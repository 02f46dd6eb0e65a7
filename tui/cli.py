"""The `tally` command line.

Subcommands that need no screen (`report`, `schema`) never import textual, so
they start fast and run anywhere; the dashboard commands import it lazily.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Sequence

from tui.exits import EXIT_NOT_SAVED, EXIT_OK, fail, run_app, say


def cmd_report(args: argparse.Namespace) -> int:
    from feeds.bundled import resolve
    from feeds.files import FeedError, load
    from tally.report import json_report, text_report

    try:
        loaded = load(resolve(args.file), growing=True)  # a journal may be mid-write
    except FeedError as exc:
        return fail([str(exc)])
    if not loaded.ok:
        return fail(loaded.problem_lines())
    snap = loaded.count.snapshot()
    if args.png:
        return write_png(snap, args.png)
    if args.json:
        print(json.dumps(json_report(snap), indent=2))
    else:
        sys.stdout.write(text_report(snap))
    return EXIT_OK


def write_png(snap, out: str) -> int:
    """`tally report FILE --png OUT`: the count's card (the hub's preview picture) written to OUT."""
    from feeds.card import count_card, write_card

    try:
        write_card(out, count_card(snap))
    except OSError as exc:
        return fail([f"{out}: cannot write the card: {exc.strerror or exc}"])
    say(f"the card of {snap.election.id} is in {out} (1200×630 PNG)")
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    from tui import startup

    startup.hold()  # until the dashboard's first frame (tui/startup.py), or until this returns
    try:
        return _replay(args)
    finally:
        startup.release()


def _replay(args: argparse.Namespace) -> int:
    from feeds.bundled import resolve
    from feeds.files import FeedError, header_problem

    try:
        path = resolve(args.file)
        problem = header_problem(path)
    except FeedError as exc:
        problem = str(exc)
    if problem:
        return fail([problem])
    if args.speed is not None and not (math.isfinite(args.speed) and args.speed > 0):
        return fail([f"--speed must be a number more than 0, not {args.speed:g}"])
    from feeds.live import LiveCount
    from feeds.replay import Replay
    from tui.app import ReplayDashboard

    replay = Replay(path, LiveCount(), speed=args.speed, fast=args.max, paused=args.paused)
    summary, code = run_app(ReplayDashboard(replay, args.shots))
    say(summary)
    return code


HEADER_FLAGS = ("id", "title", "union", "choices", "eligible", "ballots", "location", "rule")


def cmd_count(args: argparse.Namespace) -> int:
    from feeds.counting import CountSetupError, open_count
    from feeds.files import FeedError

    flags = {k: getattr(args, k) for k in HEADER_FLAGS if getattr(args, k) is not None}
    token = tls = served = None
    if args.check and not args.publish:
        return fail(["--check NAME publishes this count as a check: give --publish ws://HOST:PORT too"])
    if args.publish:
        from feeds.link import HubError, hub_addresses
        from feeds.tls import client_tls
        from tui.net_cli import publish_token

        try:
            args.publish = ",".join(hub_addresses(args.publish))  # ws://A,ws://B: tried in turn
            token = publish_token(args.token_file)
            tls = client_tls(args.cafile)
        except (HubError, FeedError) as exc:
            return fail([str(exc)])
    if args.serve is None and (args.tls_cert or args.tls_key):
        return fail(["--tls-cert and --tls-key are for the page this count serves: give --serve PORT too"])
    if args.serve is not None:
        from feeds.serving import open_served
        from tui.net_cli import tls_of

        try:  # bound before the journal is touched: a port in use journals nothing
            served = open_served(args.journal, args.serve, tls_of(args))
        except FeedError as exc:
            return fail([str(exc)])
    try:
        opened = open_count(args.journal, flags)
    except CountSetupError as exc:
        if served is not None:
            served.close()
        return fail([str(exc)])
    publisher = count_publisher(opened, served, args.publish, token, tls, args.check)
    if served is not None:
        from tally.present import serving_start_words

        page = served.show(opened.live.count.election.id)
        say(serving_start_words(page, served.everywhere))
        say(served.where)
    from tui.count_app import CountDashboard

    make = getattr(args, "dashboard", None) or CountDashboard  # tally listen's screen hears too
    app = make(opened.journal, opened.live, opened.repaired, publisher, args.shots, served)
    try:
        summary, code = run_app(app)
    finally:
        opened.journal.close()
    say(summary)
    unsent = publisher.unsent_words() if publisher is not None else None
    if unsent:
        print(f"tally: {unsent}", file=sys.stderr)
    if code == EXIT_OK and opened.journal.broken:
        fail([f"not saved: {opened.journal.broken}"])
        return EXIT_NOT_SAVED
    return code


def count_publisher(opened, served=None, publish: str | None = None, token: str | None = None,
                    tls=None, check: str | None = None, **options):
    """What sends each journaled entry on: to the hub served here (``served``), to ``publish``'s,
    to both (each its own list and link), or None."""
    from feeds.publishing import CountPublisher, Fanout
    from feeds.tls import own_hub_tls

    publishers = {}
    if served is not None:
        publishers["page"] = CountPublisher(list(opened.events), served.own_link(), served.token,
                                            tls=own_hub_tls() if served.tls is not None else None,
                                            **options)
    if publish:
        publishers[publish] = CountPublisher(list(opened.events), publish, token, live=opened.live,
                                             check=check, tls=tls, **options)
    if len(publishers) > 1:
        return Fanout(publishers)
    return next(iter(publishers.values()), None)


def cmd_watch(args: argparse.Namespace) -> int:
    import asyncio
    from urllib.parse import urlsplit

    from feeds.files import FeedError
    from feeds.link import HubError, watch_addresses
    from feeds.tls import client_tls
    from feeds.watcher import Watcher, list_elections

    try:
        hubs, path = watch_addresses(args.url)  # ws://A,ws://B/elections/ID: hubs tried in turn
    except HubError as exc:
        return fail([f"{exc}; watch ws://HOST:PORT/elections/ID, or ws://HOST:PORT to pick"])
    try:
        tls = client_tls(args.cafile)
    except FeedError as exc:
        return fail([str(exc)])
    if path.strip("/"):
        if not urlsplit(path).path.startswith("/elections/"):
            return fail([f"{args.url}: watch ws://HOST:PORT/elections/ID, or ws://HOST:PORT to pick"])
        url = args.url
    else:
        problems: list[str] = []
        for hub in hubs:  # the list of the first hub that answers
            try:
                elections = asyncio.run(list_elections(hub, tls=tls))
                break
            except HubError as exc:
                problems.append(str(exc))
        else:
            return fail(["; ".join(problems)])
        if not elections:
            print(f"tally: {hub} has no elections yet", file=sys.stderr)
            return EXIT_OK
        from tui.watch_app import PickElection

        chosen, code = run_app(PickElection(hub, elections))
        if not chosen:
            return code
        url = f"{','.join(hubs)}/elections/{chosen}"
    from tui.watch_app import WatchDashboard

    summary, code = run_app(WatchDashboard(url, Watcher(url, tls=tls), shots=args.shots))
    say(summary)
    return code


def cmd_board(args: argparse.Namespace) -> int:
    from tui.board_cli import board

    return board(args.sources, args)


def cmd_verify(args: argparse.Namespace) -> int:
    from feeds.bundled import resolve
    from feeds.files import FeedError
    from feeds.verify import UNUSABLE, verify_files

    try:
        verdict = verify_files(resolve(args.a), resolve(args.b))
    except FeedError as exc:
        return fail([str(exc)])
    if verdict.code == UNUSABLE:
        return fail(verdict.lines)
    for line in verdict.lines:
        say(line)
    return verdict.code


def cmd_schema(args: argparse.Namespace) -> int:
    from tally.schema import json_schema

    print(json_schema())
    return EXIT_OK


def add_shots(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shots", metavar="DIR",
                   help="where s (and the palette's screenshot) saves SVGs of the screen (default: here)")


SPOKEN = ("report", "replay", "count", "watch", "board")
"""The subcommands that show a count in words, and so take `--lang` (the hub's words are each reader's)."""


def add_lang(sub: argparse._SubParsersAction) -> None:
    for name in SPOKEN:
        if name not in sub.choices:  # not built: `build_parser` for another command
            continue
        sub.choices[name].add_argument(
            "--lang", metavar="LANG", help="the language of the words: en or es (default: from LANGUAGE, "
                                           "LC_ALL, LC_MESSAGES or LANG; English if none is one of them)")


def set_language(args: argparse.Namespace) -> str | None:
    """Speak `--lang`, else the terminal's language (`tally.lang.from_environment`); why not, or None.

    Only the subcommands in SPOKEN: a hub (`tally serve`) speaks each page's reader's language.
    """
    from tally import lang

    if args.command not in SPOKEN:
        return None
    try:
        lang.set_default(lang.parse(args.lang) if args.lang else lang.from_environment())
    except lang.UnknownLanguage as exc:
        return str(exc)
    return None


COMMANDS = ("report", "replay", "count", "listen", "watch", "board", "verify", "schema", "serve", "publish")
"""Every subcommand, in the order `tally --help` lists them."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `tally` command line: every subcommand, or with `command` only that one.

    A command line is parsed by its own subcommand's parser: the others' options are
    never read, and building them all was part of every launch before the dashboard's
    first frame (docs/PERFORMANCE.md, "Launch"). `main` builds them all for anything
    that is not one known command (`tally --help`, a mistyped command: both list
    every subcommand), and the top level says the same either way (its usage line
    names no subcommand).
    """
    parser = argparse.ArgumentParser(
        prog="tally",
        description="Watch a union election being counted. With no command: replay the LDJ5 count.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def wanted(*names: str) -> bool:
        return command is None or command in names

    if wanted("report"):
        add_report(sub)
    if wanted("replay"):
        add_replay(sub)
    if wanted("count", "listen"):  # listen's options are a copy of count's
        p = add_count(sub)
        from tui import listen_cli; listen_cli.add_command(sub, p, cmd_count, HEADER_FLAGS)  # count's flags
    if wanted("watch"):
        add_watch(sub)
    if wanted("board"):
        add_board(sub)
    if wanted("verify"):
        add_verify(sub)
    if wanted("schema"):
        p = sub.add_parser("schema", help="print the JSON Schema of the event format")
        p.set_defaults(run=cmd_schema)
    if wanted("serve", "publish"):
        from tui import net_cli; net_cli.add_commands(sub)  # serve, publish: no textual
    add_lang(sub)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The one subcommand a command line needs built: its first word if that is one, the
    replay for no words at all (`tally` replays LDJ5); None (all of them) for anything else."""
    if not argv:
        return "replay"
    return argv[0] if argv[0] in COMMANDS else None


def add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="print the Tally of Ballots of an event file")
    p.add_argument("file", metavar="FILE", help="an event file, or a bundled replay's name")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object instead of text")
    form.add_argument("--png", metavar="OUT.png",
                   help="write the count as a 1200×630 picture (the hub's link preview) instead")
    p.set_defaults(run=cmd_report)


def add_replay(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="replay a recorded count on the dashboard")
    p.add_argument("file", metavar="FILE|NAME",
                   help="an event file, or a bundled replay: ldj5, jfk8, bhm1-2022")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, metavar="X",
                      help="times real time (default: fit the count into about a minute)")
    pace.add_argument("--max", action="store_true", help="apply events as fast as they can be read")
    p.add_argument("--paused", action="store_true", help="start paused (space plays, → steps)")
    add_shots(p)
    p.set_defaults(run=cmd_replay)


def add_count(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("count", help="enter a count by keyboard into a journal (crash-safe)")
    p.add_argument("journal", metavar="JOURNAL", help="the journal: created if new, resumed if not")
    p.add_argument("--id", help="election id, a slug (default: from the file name)")
    p.add_argument("--title", help="title (default: the file name)")
    p.add_argument("--union", help="the petitioning union, on a yes/no ballot")
    p.add_argument("--choices", type=lambda s: [c.strip() for c in s.split(",")],
                   metavar="A,B,...",
                   help="the choices of a runoff or multi-union ballot (default yes,no)")
    p.add_argument("--eligible", type=int, metavar="N", help="approximate eligible voters")
    p.add_argument("--ballots", type=int, metavar="N", help="total ballots cast, when known")
    p.add_argument("--location", metavar="L", help="where the count takes place")
    p.add_argument("--rule", choices=["representation", "deauthorization"],
                   help="deauthorization: a Section 9(e)(1) poll; yes needs a majority of --eligible")
    p.add_argument("--publish", metavar="ws://HOST:PORT[,ws://...]",
                   help="also publish each entry to a hub (the count goes on while it is down)")
    p.add_argument("--token-file", metavar="FILE",
                   help="the hub's publish token: the file's first line (default tally-data/token)")
    from tui.net_cli import add_cafile, add_tls, check_name
    p.add_argument("--check", type=check_name, metavar="NAME",
                   help="publish as check NAME of the election: a second counter's own count, "
                        "which the hub compares with the main one")
    p.add_argument("--serve", metavar="[HOST:]PORT",
                   help="serve this count's page from here: a hub in this command, its data in "
                        "JOURNAL.hub/ (127.0.0.1 unless HOST is given; 0.0.0.0 binds every interface)")
    add_tls(p)
    add_cafile(p)
    add_shots(p)
    p.set_defaults(run=cmd_count)
    return p


def add_watch(sub: argparse._SubParsersAction) -> None:
    from tui.net_cli import add_cafile

    p = sub.add_parser("watch", help="watch a count live from a hub (read-only)")
    p.add_argument("url", metavar="ws://HOST:PORT[/elections/ID]",
                   help="an election on a hub, or the hub alone to pick one "
                        "(ws://A,ws://B/elections/ID: hubs on one store, tried in turn)")
    add_cafile(p)
    add_shots(p)
    p.set_defaults(run=cmd_watch)


def add_board(sub: argparse._SubParsersAction) -> None:
    from tui.net_cli import add_cafile

    p = sub.add_parser("board", help="many counts at once: every election on a hub, or files in step")
    p.add_argument("sources", nargs="+", metavar="ws://HOST:PORT | FILE|NAME",
                   help="a hub, or recorded counts (files, bundled names: starbucks-2022-06-07 is 14)")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, metavar="X",
                      help="files: times real time (default: fit the day into about a minute)")
    pace.add_argument("--max", action="store_true", help="files: apply events as fast as they read")
    p.add_argument("--paused", action="store_true", help="files: start paused (space plays)")
    add_cafile(p)
    p.set_defaults(run=cmd_board)


def add_verify(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="compare two counts of one election ballot by ballot "
                       "(exit 0 agree, 1 differ, 2 bad file)")
    p.add_argument("a", metavar="A", help="an event file (a journal), or a bundled replay's name")
    p.add_argument("b", metavar="B", help="another count of the same election")
    p.set_defaults(run=cmd_verify)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        from feeds.bundled import DEFAULT

        args = parser.parse_args(["replay", DEFAULT])
    if (problem := set_language(args)) is not None:
        return fail([f"--lang: {problem}"])
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug, not the user's mistake: one line, the rest in a log
        from tui.crash import EXIT_CRASH, crash_line, log_exception

        print(crash_line(log_exception(exc), exc), file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    sys.exit(main())
