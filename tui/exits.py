"""What every `tally` subcommand ends with: the exit codes, the one-line refusal, running an app.

The dispatcher (tui/cli.py) imports the subcommand modules (tui/net_cli.py,
tui/board_cli.py); they in turn need these helpers. Keeping them here, below
all three, means no subcommand module ever imports the dispatcher, so the
imports form a ladder rather than a circle (pyproject.toml's import-linter
contract keeps it so). Nothing here imports textual or rich at import time:
every `tally` command imports this module.
"""

from __future__ import annotations

import sys
from typing import Sequence

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NOT_SAVED = 1
"""A count that ended with entries it could not save: its journal changed under it."""


def fail(lines: Sequence[str]) -> int:
    from tally.text import literal

    for line in lines:
        line = literal(line)
        print(f"tally: {line}" if not line.startswith("tally:") else line, file=sys.stderr)
    return EXIT_BAD_INPUT


def say(line: str | None) -> None:
    """A line for the terminal after a screen closes (a count's summary): literally."""
    if line:
        from tally.text import literal

        print(literal(line))


def run_app(app) -> tuple[object, int]:
    """Run a Textual app; its result, and the exit code (EXIT_CRASH after an unexpected error).

    Textual prints the traceback of an error inside the app to its error
    console when it exits; that console is pointed at a crash log, so the
    terminal gets one line that names it.
    """
    from rich.console import Console

    from tui.crash import EXIT_CRASH, CrashLog, crash_line

    log = CrashLog()
    app.error_console = Console(file=log, width=120, markup=False, highlight=False)
    result = app.run()
    log.close()
    if app.return_code:
        print(crash_line(log.path, getattr(app, "_exception", None)), file=sys.stderr)
        return None, EXIT_CRASH
    return result, EXIT_OK
