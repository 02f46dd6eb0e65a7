"""The hub when its disk says no: "not saved", nothing listed or broadcast, and it goes on serving."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import resource
import signal
import sys

import pytest
from websockets.exceptions import ConnectionClosed

from counts import ballots, header, write
from hubkit import Follower, ask, ballot, http, publishing, running_hub
from hubkit import header as header_frame
from test_hub_process import start_hub
from test_journal_writes import failing, half_then


def size_limit(nbytes: int):
    """For a child process: files may grow to nbytes only; writing past it fails with EFBIG."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, resource.RLIM_INFINITY))

    return limit


async def listed(url: str) -> dict:
    status, _, body = await http(url, "/elections")
    assert status == 200
    return {e["id"]: e for e in json.loads(body)}


async def listed_once(url: str, condition) -> dict:
    """GET /elections until condition(list) holds: the list may lag by up to LIST_REFRESH."""
    for _ in range(100):
        elections = await listed(url)
        if condition(elections):
            return elections
        await asyncio.sleep(0.05)
    raise AssertionError(f"GET /elections never came to hold it: {elections}")


async def test_an_event_the_disk_refuses_is_answered_not_saved_and_the_hub_goes_on(tmp_path):
    data = tmp_path / "hub"
    data.mkdir()
    path = write(data / "ldj5.jsonl", header(id="ldj5"), *ballots("yes", "no", "yes"))
    before = path.read_bytes()
    # The kernel lets this file grow by 60 bytes: a ballot fits, a long note does not.
    hub, port = await start_hub(data, preexec_fn=size_limit(len(before) + 60))
    url = f"ws://127.0.0.1:{port}"
    try:
        watcher = Follower(f"{url}/elections/ldj5")
        await watcher.reaches(4)
        async with publishing(url, "ldj5") as pub:
            note = json.dumps({"seq": 5, "type": "note", "text": "x" * 200})
            assert await ask(pub, note) == {"error": "not saved: File too large", "seq": 5}
            assert path.read_bytes() == before  # the part the kernel wrote was cut off
            assert (await listed(url))["ldj5"]["last"] == 4
            # The file is whole, so the election goes on: a ballot that fits is taken.
            assert await ask(pub, ballot(5, "no")) == {"ack": 5}
        await watcher.reaches(5)
        assert watcher.seqs == [1, 2, 3, 4, 5]  # the refused note never reached it
        assert watcher.count.votes == [2, 2]
        await watcher.stop()
        entry = (await listed_once(url, lambda e: e["ldj5"]["last"] == 5))["ldj5"]
        assert entry["totals"]["no"] == 2
    finally:
        hub.send_signal(signal.SIGKILL)
        _, err = await hub.communicate()
    assert b"Traceback" not in err and b"not saved: File too large" in err


async def test_a_header_the_disk_refuses_lists_nothing_and_may_be_sent_again(tmp_path, monkeypatch):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            monkeypatch.setattr(os, "write", half_then(errno.ENOSPC))
            assert await ask(pub, header_frame()) == {"error": "not saved: No space left on device", "seq": 1}
            monkeypatch.undo()
            assert hub.elections == {} and await listed(url) == {}
            assert not (tmp_path / "test.jsonl").exists()  # the file it made is gone again
            assert await ask(pub, header_frame()) == {"ack": 1}
            assert await ask(pub, ballot(2)) == {"ack": 2}
        await listed_once(url, lambda e: "test" in e and e["test"]["last"] == 2)


async def test_when_the_cut_fails_too_the_election_takes_nothing_until_a_restart(tmp_path, monkeypatch):
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header_frame())
            watcher = Follower(f"{url}/elections/test")
            await watcher.reaches(1)
            monkeypatch.setattr(os, "write", half_then(errno.EIO))
            monkeypatch.setattr(os, "ftruncate", failing(errno.EIO))
            answer = await ask(pub, ballot(2))
            monkeypatch.undo()
            assert answer["seq"] == 2 and answer["error"].startswith("not saved: Input/output error")
            assert answer["error"].endswith("restart the hub")
            with pytest.raises(ConnectionClosed) as closed:
                await pub.recv()
            assert closed.value.rcvd.code == 1011
        async with publishing(url) as pub:
            refused = await ask(pub, ballot(2))
            assert refused["seq"] == 2 and "cannot store events for test" in refused["error"]
        assert hub.elections["test"].last == 1 and watcher.seqs == [1]
        await watcher.stop()
    async with running_hub(tmp_path) as (hub, url):  # the restart cuts the partial line
        assert hub.repaired and hub.elections["test"].last == 1
        async with publishing(url) as pub:
            assert await ask(pub, ballot(2)) == {"ack": 2}


async def test_a_different_event_at_a_stored_seq_keeps_its_words(tmp_path):
    """The lead's HUB CONFLICT screen is built on these exact words."""
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            await ask(pub, header_frame())
            await ask(pub, ballot(2, "yes"))
            assert await asyncio.wait_for(ask(pub, ballot(2, "no")), 10) == {
                "error": "seq 2 is already stored, as a different event", "seq": 2}


HOLD_FLOCK = """
import fcntl, os, sys
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


async def test_an_append_while_another_process_locks_the_file_is_refused_and_then_taken(tmp_path):
    """The hub locks each file for each append: a writer holding it (reached by a way the
    directory's lock does not see) makes the hub answer "not saved", and nothing is written."""
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url) as pub:
            assert await ask(pub, header_frame()) == {"ack": 1}
            path = tmp_path / "test.jsonl"
            before = path.read_bytes()
            holder = await asyncio.create_subprocess_exec(sys.executable, "-c", HOLD_FLOCK, str(path),
                                                          stdin=asyncio.subprocess.PIPE,
                                                          stdout=asyncio.subprocess.PIPE)
            try:
                assert await holder.stdout.readline() == b"held\n"
                answer = await ask(pub, ballot(2))
                assert answer == {"seq": 2, "error": f"not saved: {path}: in use by another tally "
                                                     f"(pid {holder.pid}); only one writer at a time"}
                assert path.read_bytes() == before
            finally:
                holder.kill()
                await holder.wait()
            assert await ask(pub, ballot(2)) == {"ack": 2}  # the file was left whole: it goes on
