"""`tally listen --serve` (issue 20, item 4 of session 5): the count by ear serves its page as `tally count --serve` does.

A real `tally listen` process in a pseudo-terminal hears a clip and serves
the count on a loopback port: every heard entry reaches the page's hub (its
`GET /elections` says so) as it is journaled, and a key typed over it too.
`--serve` with `--headless` is refused in one line: a headless run writes a
journal and nothing else.
"""

from __future__ import annotations

import json
import urllib.request

from listenkit import tally
from redkit import free_port
from test_crash import Terminal, lines
from test_listen import journal


def listed(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/elections", timeout=5) as answer:
        return {e["id"]: e for e in json.loads(answer.read())}


def test_a_count_by_ear_serves_its_page_and_every_entry_reaches_it(clips, tmp_path):
    path, port = tmp_path / "hall.jsonl", free_port()
    term = Terminal("listen", str(path), "--audio", str(clips["calls"]), "--serve", f"127.0.0.1:{port}")
    term.wait_for(lambda: lines(path) == 6, timeout=60)  # the header and five heard calls
    assert [e.get("heard") is not None for e in journal(path)[1:]] == [True] * 5
    term.wait_for(lambda: listed(port).get("hall", {}).get("last") == 6)
    assert listed(port)["hall"]["totals"] == {"yes": 2, "no": 1, "void": 1, "challenged": 1}
    term.type("n")
    term.wait_for(lambda: lines(path) == 7)
    term.wait_for(lambda: listed(port)["hall"]["last"] == 7)
    said = term.quit()
    assert "Traceback" not in said and f"127.0.0.1:{port}" in said


def test_serve_with_headless_is_one_line_exit_2_and_nothing_journaled(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips["calls"], "--serve", "0")
    assert (code, out) == (2, "")
    assert err.strip().endswith("--headless writes the journal only: serve it afterwards with tally serve")
    assert len(err.strip().splitlines()) == 1 and not path.exists()
