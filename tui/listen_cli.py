"""`tally listen`: `tally count` with ears (issue 20).

It takes every flag `tally count` takes (the parser copies count's, so a
flag added to count is listen's too) and runs the count itself, with the
screen that also hears (tui/listen_app.py). Before any journal is opened,
the audio and the ballot's grammar are checked: audio it cannot use, or a
choice it cannot model, is one line and exit 2, and nothing is written.
`--headless` hears a whole recording into the journal without a screen.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from functools import partial
from typing import Callable

from tui.exits import EXIT_OK, fail, say

LISTEN_OWN = ("audio", "say", "headless")


def add_command(sub, count: argparse.ArgumentParser, run_count: Callable[[argparse.Namespace], int],
                header_flags: tuple[str, ...]) -> None:
    p = sub.add_parser("listen", help="count by ear: hear the Board agent's calls (and keys, as count)")
    for action in count._actions:  # tally count's flags, every one (argparse has no public copy)
        if action.dest != "help":
            p._add_action(action)
    p.add_argument("--audio", metavar="FILE|-",
                   help="a 16 kHz 16-bit mono WAV file, or - for raw 16 kHz s16le mono PCM on "
                        "standard input (README: feeding a meeting's audio)")
    p.add_argument("--say", action="append", default=[], metavar="NAME=WORDS",
                   help="how a choice's name is read aloud, in plain words (repeatable)")
    p.add_argument("--headless", action="store_true",
                   help="no screen: hear all of --audio FILE into JOURNAL, print one summary line")
    p.set_defaults(run=partial(cmd_listen, run_count=run_count, header_flags=header_flags),
                   known=set(header_flags) | {"journal", "publish", "token_file", "check", "shots",
                                              "serve", "tls_cert", "tls_key", "cafile", *LISTEN_OWN})


def cmd_listen(args: argparse.Namespace, run_count, header_flags) -> int:
    from feeds.counting import CountSetupError, open_count
    from feeds.files import FeedError
    from feeds.listen.audio import AudioError, open_audio
    from feeds.listen.grammar import ModelError, parse_say
    from feeds.listen.recogniser import ListenUnavailable, Recogniser

    unknown = [k for k, v in vars(args).items() if k not in args.known and k not in (
        "run", "known", "command") and v not in (None, False, [])]
    if unknown:  # a flag of tally count's that listening does not do yet
        return fail([f"--{unknown[0].replace('_', '-')} is not available with tally listen yet"])
    if args.audio is None:
        return fail(["give the audio: --audio FILE (a 16 kHz mono WAV) or --audio - (raw PCM on "
                     "standard input; the README says how to pipe a meeting's audio)"])
    if args.headless and args.publish:
        return fail(["--headless writes the journal only: publish it afterwards with tally publish"])
    if args.headless and args.serve is not None:
        return fail(["--headless writes the journal only: serve it afterwards with tally serve"])
    flags = {k: getattr(args, k) for k in header_flags if getattr(args, k) is not None}
    try:
        election = _election(args.journal, flags)
        recogniser = Recogniser(election, parse_say(args.say))
        piped = args.audio == "-" and not args.headless
        source = open_audio(args.audio, audio_from_stdin() if piped else None)
        if piped:
            keys_from_terminal()
    except (ModelError, AudioError, ListenUnavailable, CountSetupError, FeedError) as exc:
        return fail([str(exc)])
    if not args.headless:
        from feeds.listen.transcribe import speech_problem
        from tui.listen_app import ListenDashboard

        problem = speech_problem(args.audio)  # a file of silence: said now, not after the screen starts
        if problem:
            source.close()
            return fail([problem])

        args.dashboard = partial(ListenDashboard, recogniser=recogniser, source=source)
        return run_count(args)
    from feeds.journal import JournalWriteError
    from feeds.listen.transcribe import summary, transcribe, transcript_fields
    from tally.reducer import RuleError
    from tally.schema import EVENT

    start = datetime.now(timezone.utc)
    try:
        transcript = transcribe(recogniser, source)
    except AudioError as exc:
        return fail([str(exc)])
    finally:
        source.close()
    try:
        opened = open_count(args.journal, flags)
    except CountSetupError as exc:
        return fail([str(exc)])
    try:
        for fields in transcript_fields(transcript, start):
            event = EVENT.validate_python({"seq": opened.journal.count.last_seq + 1, **fields})
            opened.journal.append(event)
    except (RuleError, JournalWriteError) as exc:
        return fail([f"{args.journal}: stopped at entry {opened.journal.count.last_seq + 1}: {exc}"])
    finally:
        opened.journal.close()
    say(summary(transcript, args.journal))
    return EXIT_OK


def audio_from_stdin():
    """Standard input's pipe on a descriptor of its own: the screen takes descriptor 0 next."""
    import io
    import os
    import sys

    stream = sys.stdin.buffer
    try:
        fd = stream.fileno()
    except (OSError, io.UnsupportedOperation):  # not a descriptor (a test's stream): as it is
        return stream
    return os.fdopen(os.dup(fd), "rb")


def keys_from_terminal() -> None:
    """Standard input carries the audio, so the screen's keys must come from the terminal itself.

    Textual reads keys from file descriptor 0: left alone, it would read the audio as key
    presses (and a "q" in the samples quits). The audio has moved to a descriptor of its own
    (`audio_from_stdin`); descriptor 0 becomes the controlling terminal.
    """
    import os

    from feeds.listen.audio import AudioError

    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise AudioError("the audio is on standard input, and there is no terminal for the keys: "
                         "run tally listen in a terminal, or use --headless") from None
    os.dup2(terminal, 0)
    os.close(terminal)


def _election(journal: str, flags: dict):
    """The ballot the journal holds, or the flags would make: checked before anything is written."""
    import json
    from pathlib import Path

    from feeds.counting import CountSetupError, slug
    from feeds.files import header_problem, load
    from tally.schema import EventError, parse_event

    path = Path(journal)
    if path.exists() and path.stat().st_size:
        loaded = load(path, growing=True)
        if loaded.count.election is None:
            raise CountSetupError(f"{journal}: {header_problem(path) or 'no election header'}")
        return loaded.count.election
    header = {"seq": 1, "type": "election", "id": flags.get("id") or slug(path.stem),
              "title": flags.get("title") or path.stem,
              **{k: v for k, v in flags.items() if k not in ("id", "title")}}
    try:
        return parse_event(json.dumps(header))
    except EventError as exc:
        raise CountSetupError(f"{journal}: cannot start a count with these flags: {exc}") from None
