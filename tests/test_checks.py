"""A second counter (issue 18): check counts published to a real `tally serve`, compared, and shown.

Every count here is a file given to `tally publish` (a real process) or a
`tally count` screen driven by keys (Pilot), to a hub in its own process on
a loopback port. The check mistypes ballot 413 (YES where the main count
has NO), then corrects it in place with a `correct` event: the hub's
``checks`` say "differ since 413", then "agree at 812"; so do a watcher's
model and the page, in Chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from counts import header, pile, write
from feeds.live import LiveCount, presented
from feeds.watcher import Watcher
from hubkit import TOKEN
from test_page import Hub, browser, open_page, wait_text  # noqa: F401 - browser is a fixture

TALLY = [sys.executable, "-m", "tui.cli"]
MAIN = [header(ballots=900), pile("yes", 200), pile("no", 212), pile("no", 1), pile("no", 399)]
SLIP = [header(ballots=900), pile("yes", 200), pile("no", 212), pile("yes", 1), pile("no", 399)]
CORRECTED = [*SLIP, {"type": "correct", "target": 4, "choice": "no"}]  # entry 4 is ballot 413
DIFFER = "✗ counters differ since ballot 413 (main YES 200 NO 213 · check b YES 201 NO 212)"
AGREE = "✓ 2 counters agree at ballot 812"


@pytest.fixture
def hub(tmp_path):
    running = Hub(tmp_path / "hub")
    yield running
    running.kill()


def publish(hub: Hub, path: Path, *flags: str) -> tuple[int, str, str]:
    done = subprocess.run([*TALLY, "publish", str(path), hub.url, "--token-file", str(hub.token_file),
                           *flags], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def listed(hub: Hub) -> dict:
    with urllib.request.urlopen(f"{hub.http}/elections", timeout=10) as answer:
        return {e["id"]: e for e in json.load(answer)}


def watched_line(hub: Hub, until_words: str) -> str:
    """The verification line of a watcher's model (`tally watch`'s), once it says `until_words`."""

    async def follow() -> str:
        live = LiveCount()
        watcher = Watcher(f"{hub.url}/elections/test", on_checks=live.set_checks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20

        async def apply() -> None:
            async for event in watcher.events():
                live.apply(event)

        task = asyncio.create_task(apply())
        try:
            while loop.time() < deadline:
                if live.count.election is not None:
                    line = presented(live.view(), None, _now()).presentation.verification
                    if line == until_words:
                        return line
                await asyncio.sleep(0.02)
            return presented(live.view(), None, _now()).presentation.verification
        finally:
            watcher.close()
            await task

    return asyncio.run(follow())


def board_row(hub: Hub) -> dict:
    """The election's row as `/board?id=test` sends it on connect (`tally board`'s and the page's)."""
    with connect(f"{hub.url}/board?id=test") as ws:
        return json.loads(ws.recv(timeout=20))


def board_mark(hub: Hub) -> str:
    """The first cell of the row as `tally board` draws it: its verification mark."""
    from tui.widgets.board import columns, row_line

    row = board_row(hub)
    return str(row_line(row, columns([row], 120)))[0]


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def test_a_check_that_mistypes_413_differs_then_agrees_once_corrected(tmp_path, hub):
    main = write(tmp_path / "main.jsonl", *MAIN)
    assert publish(hub, main)[0] == 0
    assert listed(hub)["test"]["checks"] == []
    assert watched_line(hub, "unverified: one counter") == "unverified: one counter"
    assert board_mark(hub) == " "
    code, out, err = publish(hub, write(tmp_path / "b.jsonl", *SLIP), "--check", "b")
    assert (code, err) == (0, "") and "test (check b): seq 1–5 published" in out
    assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": False, "at": 812, "since": 413}]
    assert listed(hub)["test"]["totals"] == {"yes": 200, "no": 612, "void": 0, "challenged": 0}  # never mixed
    assert watched_line(hub, DIFFER) == DIFFER
    assert board_row(hub)["model"]["verification"] == DIFFER and board_mark(hub) == "✗"
    assert publish(hub, write(tmp_path / "b.jsonl", *CORRECTED), "--check", "b")[0] == 0
    assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": True, "at": 812}]
    assert watched_line(hub, AGREE) == AGREE
    assert board_row(hub)["checks"] == [{"counter": "b", "agree": True, "at": 812}]
    assert board_mark(hub) == "✓"
    # Kept beside the election, never in it, and back after a restart.
    assert (hub.data / "checks" / "test.b.jsonl").read_text().count("\n") == 6
    assert (hub.data / "test.jsonl").read_text().count("\n") == 5
    hub.kill()
    hub.start()
    assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": True, "at": 812}]
    code, out, _ = publish(hub, tmp_path / "b.jsonl", "--check", "b")  # resumed: nothing doubled
    assert code == 0 and "nothing new" in out


def test_the_page_and_the_board_rows_carry_the_line(tmp_path, hub, browser):  # noqa: F811
    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    page = open_page(browser, f"{hub.http}/e/test")
    board = open_page(browser, f"{hub.http}/")
    wait_text(page, "#verification", "unverified: one counter")
    assert publish(hub, write(tmp_path / "b.jsonl", *SLIP), "--check", "b")[0] == 0
    wait_text(page, "#verification", DIFFER)
    wait_text(board, ".row .verification", DIFFER)
    assert "-differs" in page.locator("#verification").get_attribute("class")
    assert publish(hub, write(tmp_path / "b.jsonl", *CORRECTED), "--check", "b")[0] == 0
    wait_text(page, "#verification", AGREE)
    wait_text(board, ".row .verification", AGREE)
    assert "-verified" in page.locator("#verification").get_attribute("class")
    assert page.seen["dialogs"] == []


def test_a_check_that_starts_before_its_main_count_waits_for_it_then_is_compared(tmp_path, hub):
    """Two counters start together: the check's counter must not be turned away for being first."""
    check = subprocess.Popen([*TALLY, "publish", str(write(tmp_path / "b.jsonl", *SLIP)), hub.url,
                              "--token-file", str(hub.token_file), "--check", "b"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = check.stdout.readline()  # it says why it waits, then waits
    assert "no election 'test' on this hub yet" in waiting and "attempt 2" in waiting
    assert not (hub.data / "checks" / "test.b.jsonl").exists()
    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    out, _ = check.communicate(timeout=60)
    assert check.returncode == 0 and "test (check b): seq 1–5 published" in out
    assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": False, "at": 812, "since": 413}]


def test_a_check_whose_header_contradicts_the_election_is_refused_in_one_line(tmp_path, hub):
    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    other = write(tmp_path / "b.jsonl", header(ballots=901), pile("yes", 3))
    code, out, err = publish(hub, other, "--check", "b")
    assert code == 2 and err.count("\n") == 1
    assert "not a check of test: the headers contradict each other: ballots 900 and 901" in err
    three = write(tmp_path / "c.jsonl", header(choices=["a", "b", "c"]), pile("a", 3))
    code, _, err = publish(hub, three, "--check", "c")
    assert code == 2 and err.count("\n") == 1 and "different elections: choices yes,no and a,b,c" in err
    assert listed(hub)["test"]["checks"] == []
    assert not list(hub.data.glob("checks/*"))


def test_two_check_counters_with_one_name_are_one_writer(tmp_path, hub):
    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    b = write(tmp_path / "b.jsonl", *SLIP)
    with connect(f"{hub.url}/elections/test/checks/b/publish",
                 additional_headers={"Authorization": f"Bearer {TOKEN}"}) as first:
        assert json.loads(first.recv()) == {"last": 0}
        code, out, err = publish(hub, b, "--check", "b")
        assert code == 2 and err.count("\n") == 1
        assert "check 'b' of test is already being published by another counter" in err
        assert publish(hub, b, "--check", "c")[0] == 0  # another name is another check
    assert publish(hub, b, "--check", "b")[0] == 0  # the first has gone: b is free again
    assert [c["counter"] for c in listed(hub)["test"]["checks"]] == ["b", "c"]


def test_a_bad_check_name_is_refused_by_the_command_line(tmp_path, hub):
    code, _, err = publish(hub, write(tmp_path / "main.jsonl", *MAIN), "--check", "../b")
    assert code == 2 and "is not a check name" in err.splitlines()[-1]
    done = subprocess.run([*TALLY, "count", str(tmp_path / "x.jsonl"), "--check", "b"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--publish" in done.stderr



def test_a_checks_directory_that_is_a_symlink_is_refused_in_one_line(tmp_path):
    """The checks are kept in DIR/checks, opened O_NOFOLLOW: never a directory outside DIR."""
    data, outside = tmp_path / "hub", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    write(outside / "test.b.jsonl", *SLIP)
    (data / "checks").symlink_to(outside)
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    proc = subprocess.Popen([*TALLY, "serve", "--port", "0", "--data", str(data), "--token-file", str(token)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # it serves (and its needle workers hold the pipes): stop them all
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("tally serve started on a data directory whose checks are a symbolic link")
    assert proc.returncode == 2 and err.count("\n") == 1
    assert "checks: cannot use it for the checks" in err and "symbolic link" in err


def test_the_text_report_carries_the_line(tmp_path):
    """Offline a file is one counter's count: "unverified: one counter", and the Board's part."""
    done = subprocess.run([*TALLY, "report", str(write(tmp_path / "main.jsonl", *MAIN))],
                          capture_output=True, text=True, timeout=60)
    assert "\nVerification: unverified: one counter\n" in done.stdout
    board = {"type": "checkpoint", "votes": {"yes": 200, "no": 212}}
    done = subprocess.run([*TALLY, "report", str(write(tmp_path / "b.jsonl", *MAIN[:3], board))],
                          capture_output=True, text=True, timeout=60)
    assert ("\nVerification: one counter · matches the Board's subtotal at ballot 412\n"
            in done.stdout)


def test_a_check_whose_old_link_died_unseen_is_taken_over_by_its_reconnection(tmp_path, hub):
    """One writer per name, but a link that died without a close (it answers no ping) holds nothing."""
    import base64
    import os
    import socket

    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    dead = socket.create_connection(("127.0.0.1", hub.port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    dead.sendall((f"GET /elections/test/checks/b/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode())
    seen = b""
    while b'{"last": 0}' not in seen:  # upgraded and greeted: then it goes silent, like a lost link
        chunk = dead.recv(4096)
        assert chunk, f"the hub did not take the check: {seen[:200]!r}"
        seen += chunk
    try:
        code, out, err = publish(hub, write(tmp_path / "b.jsonl", *SLIP), "--check", "b")
        assert (code, err) == (0, "") and "test (check b): seq 1–5 published" in out
        assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": False, "at": 812, "since": 413}]
    finally:
        dead.close()
