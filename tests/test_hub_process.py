"""`tally serve` as its own process, killed with SIGKILL mid-count and restarted."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path
from typing import Sequence

from feeds.publisher import Publisher
from tally.report import json_report

from hubkit import FAST, TOKEN, Follower, replay, until

TALLY = [sys.executable, "-m", "tui.cli"]


async def start_hub(data: Path, port: int = 0, args: Sequence[str] = (),
                    **kwargs) -> tuple[asyncio.subprocess.Process, int]:
    """`tally serve` on 127.0.0.1; the process and the port it says it listens on.

    ``args``: more of its flags (``--store redis://…``). ``kwargs`` go to the
    subprocess (a ``preexec_fn`` that sets limits, say).
    """
    token_file = data.parent / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)  # a token file others can read is refused
    proc = await asyncio.create_subprocess_exec(
        *TALLY, "serve", "--port", str(port), "--data", str(data), "--token-file", str(token_file),
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **kwargs)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        listening = re.search(r"listening on ws://127\.0\.0\.1:(\d+) ", line)
        assert listening, f"unexpected first line from tally serve: {line!r}"
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    return proc, int(listening[1])


async def report_of(path: Path) -> dict:
    proc = await asyncio.create_subprocess_exec(
        *TALLY, "report", "--json", str(path), stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return json.loads(out)


async def test_watchers_end_at_the_report_of_the_hubs_file_after_a_sigkill(tmp_path):
    events = replay("ldj5")
    data = tmp_path / "hub"
    hub, port = await start_hub(data)
    url = f"ws://127.0.0.1:{port}"
    publisher = Publisher(events[:400], url, TOKEN, wait=FAST)
    publisher_links = []
    publisher.on_link = publisher_links.append
    running = asyncio.create_task(publisher.run())
    try:
        await until(lambda: publisher.acked >= 1, "the header to be accepted")
        watchers = [Follower(f"{url}/elections/ldj5") for _ in range(3)]
        await until(lambda: publisher.acked >= 200, "200 events accepted")
        hub.send_signal(signal.SIGKILL)  # mid-stream: some events are in flight
        await hub.wait()
        # The count goes on while the hub is down.
        publisher.events.extend(events[400:700])
        publisher.notify()
        await until(lambda: all(w.watcher.link.state == "reconnecting" for w in watchers)
                    and publisher.link.state == "offline", "everyone to notice")
        hub, _ = await start_hub(data, port)
        publisher.events.extend(events[700:])
        publisher.notify()
        assert await publisher.flushed()
        expected = await report_of(data / "ldj5.jsonl")
        assert expected["votes"] == {"yes": 380, "no": 618} and expected["last_seq"] == len(events)
        for w in watchers:
            await w.reaches(len(events))
            assert w.seqs == list(range(1, len(events) + 1))  # each once, in order
            assert json_report(w.count.snapshot()) == expected
            assert "reconnecting" in w.states and w.states[-1] == "live"
            await w.stop()
        assert "offline" in [link.state for link in publisher_links]
    finally:
        publisher.close()
        await running
        if hub.returncode is None:
            hub.terminate()
            await hub.wait()


async def test_sigterm_stops_the_hub_as_ctrl_c_does(tmp_path):
    """A service manager's stop: exit 0, nothing on stderr (it used to die by the signal, its
    worker pool's semaphores reported leaked by multiprocessing)."""
    hub, _ = await start_hub(tmp_path / "hub")
    await asyncio.sleep(0.5)  # the row worker started (run_hub starts it with the hub)
    hub.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(hub.communicate(), 30)
    assert hub.returncode == 0
    assert err.decode() == ""
