"""The `tally` command line.

Subcommands that need no screen (`report`, `schema`) never import textual, so
they start fast and run anywhere; the dashboard commands import it lazily.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _fail(lines: Sequence[str]) -> int:
    for line in lines:
        print(f"tally: {line}" if not line.startswith("tally:") else line, file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_report(args: argparse.Namespace) -> int:
    from feeds.bundled import resolve
    from feeds.files import FeedError, load
    from tally.report import json_report, text_report

    try:
        loaded = load(resolve(args.file))
    except FeedError as exc:
        return _fail([str(exc)])
    if not loaded.ok:
        return _fail(loaded.problem_lines())
    snap = loaded.count.snapshot()
    if args.json:
        print(json.dumps(json_report(snap), indent=2))
    else:
        sys.stdout.write(text_report(snap))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from tally.schema import json_schema

    print(json_schema())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tally",
        description="Watch a union election being counted. With no command: replay the LDJ5 count.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("report", help="print the Tally of Ballots of an event file")
    p.add_argument("file", metavar="FILE", help="an event file, or a bundled replay's name")
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("schema", help="print the JSON Schema of the event format")
    p.set_defaults(run=cmd_schema)
    from tui import net_cli; net_cli.add_commands(sub)  # serve, publish: no textual
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["report", "ldj5"])  # until the dashboard exists
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
