"""Two counters, two real `tally count` processes typed by keys in pseudo-terminals, one real hub (issue 18).

The main counter and a check counter `b` count the same election and publish it
to a hub. The check counter mistypes ballot #413 (YES where the Board's agent
called NO), goes on, then corrects that call in place by its ballot number
(`413=n`): the hub's `checks` says they differ since ballot 413, then agree at
the last ballot both reached, and both journals keep what was typed.
"""

from __future__ import annotations

import json
import re
import time

from test_checks import hub, listed  # noqa: F401 - hub is a fixture
from test_crash import Terminal, lines, started

HEADER = ("--id", "test", "--title", "Test count", "--union", "Test Union", "--ballots", "900")


def _plain(output: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]", "", output.decode(errors="replace"))


def checks_become(hub, want: list, timeout: float = 30.0, *terminals: Terminal) -> None:
    end = time.monotonic() + timeout
    while (got := listed(hub).get("test", {}).get("checks")) != want:
        assert time.monotonic() < end, f"checks stayed {got}, not {want}; " + " / ".join(
            _plain(t.output)[-300:] for t in terminals)
        for terminal in terminals:
            terminal.read(0.1)  # keep their screens drained while the hub catches up


def test_a_check_counter_mistypes_413_and_corrects_it_in_place(tmp_path, hub):
    publish = ("--publish", hub.url, "--token-file", str(hub.token_file))
    main_journal, check_journal = tmp_path / "main.jsonl", tmp_path / "b.jsonl"
    running = [main := Terminal("count", str(main_journal), *HEADER, *publish)]
    try:
        main.wait_for(started(main_journal))
        main.wait_for(lambda: "test" in listed(hub))  # a check is published beside a count the hub holds
        running.append(check := Terminal("count", str(check_journal), *HEADER, *publish, "--check", "b"))
        check.wait_for(started(check_journal))
        check.read(1.0)
        main.type("200y213n")  # ballot #413 is NO
        check.type("200y212ny")  # ballot #413 typed YES
        main.wait_for(lambda: lines(main_journal) == 3)
        check.wait_for(lambda: lines(check_journal) == 4)
        checks_become(hub, [{"counter": "b", "agree": False, "at": 413, "since": 413}], 30, main, check)
        main.type("399n")
        check.type("399n")
        main.wait_for(lambda: lines(main_journal) == 4)
        check.wait_for(lambda: lines(check_journal) == 5)
        checks_become(hub, [{"counter": "b", "agree": False, "at": 812, "since": 413}], 30, main, check)
        check.type("413=n")
        check.wait_for(lambda: lines(check_journal) == 6)
        checks_become(hub, [{"counter": "b", "agree": True, "at": 812}], 30, main, check)
        check.wait_for(lambda: b"CORRECTED #413" in check.output)
    finally:
        for terminal in running:
            terminal.quit()
    typed = [json.loads(line) for line in check_journal.read_text().splitlines()]
    assert typed[3]["choice"] == "yes" and {k: typed[5][k] for k in ("type", "target", "choice")} == {
        "type": "correct", "target": 4, "choice": "no"}  # what was typed, and its correction beside it
    assert listed(hub)["test"]["totals"] == {"yes": 200, "no": 612, "void": 0, "challenged": 0}  # the main count
