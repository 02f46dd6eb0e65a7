"""`tally serve --store redis://…` as real processes: hubs killed mid-count, clients moving on, refusals."""

from __future__ import annotations

import asyncio
import signal
import subprocess

from feeds.publisher import Publisher

from hubkit import FAST, TOKEN, Follower, replay, until
from redkit import (Recorder, RedisServer, all_end_as_the_stream, redis_server,  # noqa: F401
                    redis_url, stream_lines)
from test_hub_process import TALLY, start_hub


async def stop(*hubs: asyncio.subprocess.Process) -> None:
    for hub in hubs:
        if hub.returncode is None:
            hub.terminate()
            await hub.wait()


async def test_clients_given_two_hubs_move_to_the_other_when_one_is_killed(redis_url, tmp_path):
    """Watchers on B then A lose B; the publisher on A then B loses A: nothing lost or doubled."""
    events = replay("ldj5")
    store = ["--store", redis_url]
    hub_a, port_a = await start_hub(tmp_path / "a", args=store)
    hub_b, port_b = await start_hub(tmp_path / "b", args=store)
    url_a, url_b = f"ws://127.0.0.1:{port_a}", f"ws://127.0.0.1:{port_b}"
    publisher = Publisher(events[:300], f"{url_a},{url_b}", TOKEN, wait=FAST)
    running = asyncio.create_task(publisher.run())
    try:
        await until(lambda: publisher.acked >= 1, "the header to be accepted")
        followers = [Follower(f"{url_b},{url_a}/elections/ldj5") for _ in range(2)]
        recorders = [Recorder([url_b, url_a], "ldj5") for _ in range(2)]
        await until(lambda: publisher.acked >= 200, "200 events accepted")
        hub_b.send_signal(signal.SIGKILL)  # the watchers' hub, mid-stream
        await hub_b.wait()
        publisher.events.extend(events[300:600])
        publisher.notify()
        await until(lambda: all(r.moves >= 1 for r in recorders) and publisher.acked >= 600,
                    "the watchers to move to A, and A to take 600 events")
        hub_b, _ = await start_hub(tmp_path / "b", port_b, args=store)
        hub_a.send_signal(signal.SIGKILL)  # now the publisher's hub, and the watchers' second
        await hub_a.wait()
        publisher.events.extend(events[600:])
        publisher.notify()
        assert await publisher.flushed()
        expected = await all_end_as_the_stream(redis_url, tmp_path, recorders, followers, len(events))
        assert expected["votes"] == {"yes": 380, "no": 618}
        assert all(r.moves >= 2 for r in recorders)  # B, then A: nothing lost or doubled in the moves
        for f in followers:
            assert "reconnecting" in f.states and f.states[-2:] == ["live", "closed"]
        assert publisher.hub == url_b
    finally:
        publisher.close()
        await running
        await stop(hub_a, hub_b)


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TALLY, "serve", "--port", "0", *args], capture_output=True, text=True,
                          timeout=60)


def test_a_hub_refuses_a_redis_that_does_not_fsync_every_write(tmp_path):
    server = RedisServer(tmp_path / "redis", durable=False).start()
    try:
        done = serve("--store", server.url(0))
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert "does not store each event durably" in done.stderr
        assert "appendonly no" in done.stderr and "--store-durability relaxed" in done.stderr
    finally:
        server.kill()


async def test_told_to_accept_less_a_hub_serves_and_says_so_at_start(tmp_path):
    server = RedisServer(tmp_path / "redis", durable=False).start()
    try:
        hub, port = await start_hub(tmp_path / "hub", args=["--store", server.url(0),
                                                            "--store-durability", "relaxed"])
        hub.send_signal(signal.SIGINT)
        _, err = await hub.communicate()
        assert "WARNING" in err.decode() and "may lose events that were acknowledged" in err.decode()
    finally:
        server.kill()


def test_a_bad_store_is_one_line_and_exit_2(unused_tcp_port):
    for args, why in [
        (["--store", "reddis://localhost:6379/0"], "not a Redis URL"),
        (["--store", "redis://localhost:6379/zero"], "the database is a number"),
        (["--store", "redis://:secret@localhost:99999/0"], "Port out of range"),
        (["--store", f"redis://127.0.0.1:{unused_tcp_port}/0"], "cannot use Redis (connection refused)"),
        (["--store", "redis://localhost:6379/0", "--store-durability", "never"], "invalid choice"),
    ]:
        done = serve(*args)
        assert done.returncode == 2, (args, done)
        assert why in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert "secret" not in done.stderr  # a password never reaches the screen
        lines = [line for line in done.stderr.splitlines() if line.startswith("tally")]
        assert len(lines) == 1, done.stderr


async def test_tally_publish_to_two_hubs_uses_the_one_that_answers(redis_url, tmp_path, unused_tcp_port):
    hub, port = await start_hub(tmp_path / "hub", args=["--store", redis_url])
    try:
        proc = await asyncio.create_subprocess_exec(
            *TALLY, "publish", "ldj5", f"ws://127.0.0.1:{unused_tcp_port},ws://127.0.0.1:{port}",
            "--token-file", str(tmp_path / "token"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err
        assert "seq 1–1006 published" in out.decode()
        assert len(await stream_lines(redis_url, "ldj5")) == 1006
    finally:
        await stop(hub)

