"""One writer per file: a second `tally count` or `tally serve` is refused with the holder's pid.

Every holder here is a real, separate process (a `tally count` in a
pseudo-terminal, a `tally serve`, or a small Python holding a journal open),
because a lock only means something between processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from counts import ballots, header, write
from feeds.files import FeedError
from feeds.hub import Hub
from feeds.journal import Journal
from feeds.locks import InUse
from hubkit import TOKEN
from test_crash import Terminal, lines
from test_hub_process import TALLY, start_hub

ROOT = Path(__file__).resolve().parent.parent
IN_USE = "in use by another tally (pid {pid}); only one writer at a time"

HOLD_JOURNAL = """
import sys
from feeds.journal import Journal
Journal.open(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


def holding(path: Path) -> subprocess.Popen:
    """A separate process that opens the journal at path (so holds its lock) until killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_JOURNAL, str(path)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"held\n", proc.stderr.read().decode()
    return proc


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def count_refusal(journal: Path) -> subprocess.CompletedProcess:
    """`tally count JOURNAL` where it must be refused before any screen starts."""
    return subprocess.run([*TALLY, "count", str(journal)], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)


def test_a_second_count_on_one_journal_is_refused_with_the_pid_until_the_first_is_killed(tmp_path):
    journal = tmp_path / "ldj5.jsonl"
    first = Terminal("count", str(journal), "--title", "Lock test", "--ballots", "50")
    try:
        first.wait_for(lambda: lines(journal) >= 1)
        first.read(1.0)
        first.type("yyn")
        first.wait_for(lambda: lines(journal) == 4)

        second = count_refusal(journal)
        assert second.returncode == 2
        assert second.stderr == f"tally: {journal}: {IN_USE.format(pid=first.pid)}\n"
        assert lines(journal) == 4  # the refused one wrote nothing
    finally:
        first.kill()  # SIGKILL: the lock dies with the process
    reopened = Journal.open(journal)
    assert reopened.count.last_seq == 4
    reopened.journal.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ldj5.jsonl"]  # the lock is the journal's own


async def test_a_second_serve_on_one_directory_is_refused_with_the_pid_until_the_first_is_killed(tmp_path):
    data = tmp_path / "hub"
    first, _ = await start_hub(data)
    try:
        second = await asyncio.create_subprocess_exec(
            *TALLY, "serve", "--port", "0", "--data", str(data), "--token-file", str(tmp_path / "token"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(second.communicate(), 30)
        finally:
            if second.returncode is None:
                second.kill()
                await second.wait()
        assert second.returncode == 2 and out == b""
        assert err.decode() == f"tally: {data}: {IN_USE.format(pid=first.pid)}\n"
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    again, _ = await start_hub(data)  # the SIGKILLed hub's lock went with it
    again.terminate()
    await again.wait()


def test_a_count_on_a_file_the_hub_serves_is_refused_and_the_other_way_round(tmp_path):
    data = tmp_path / "hub"
    hub = Hub.open(data, TOKEN)
    try:
        refused = count_refusal(data / "ldj5.jsonl")
        assert refused.returncode == 2
        assert IN_USE.format(pid=os.getpid()) in refused.stderr
        assert not (data / "ldj5.jsonl").exists()
    finally:
        hub.close()

    journal = write(data / "ldj5.jsonl", header(id="ldj5"), *ballots("yes"))
    counting = holding(journal)
    try:
        with pytest.raises(InUse) as refused:
            Hub.open(data, TOKEN)
        assert str(refused.value) == f"{journal}: {IN_USE.format(pid=counting.pid)}"
    finally:
        kill(counting)
    Hub.open(data, TOKEN).close()


def test_in_one_process_too_a_journal_has_one_writer(tmp_path):
    journal = write(tmp_path / "j.jsonl", header(), *ballots("yes"))
    first = Journal.open(journal).journal
    with pytest.raises(InUse, match=rf"pid {os.getpid()}\)"):
        Journal.open(journal)
    first.close()
    Journal.open(journal).journal.close()


def test_a_lock_file_of_an_older_tally_is_left_as_it_is(tmp_path):
    journal = write(tmp_path / "j.jsonl", header(), *ballots("yes"))
    (tmp_path / "j.jsonl.lock").write_text("999999\n")  # what a tally before issue 16 left behind
    opened = Journal.open(journal)
    opened.journal.close()
    assert (tmp_path / "j.jsonl.lock").read_text() == "999999\n"


def test_a_directory_where_no_lock_can_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(FeedError) as refused:
        Journal.open(blocker / "j.jsonl")
    assert "cannot open for writing" in str(refused.value) and "\n" not in str(refused.value)


def test_readers_never_lock(tmp_path):
    journal = write(tmp_path / "j.jsonl", header(ballots=5), *ballots("yes", "no"))
    counting = holding(journal)
    try:
        report = subprocess.run([*TALLY, "report", "--json", str(journal)], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["votes"] == {"yes": 1, "no": 1}
    finally:
        kill(counting)
