"""The hub's worker processes (feeds/hub/workers.py): fed by the loop over pipes, no thread in the hub."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.hub.workers import Workers, WorkerLost



@pytest.fixture
async def pool():
    """One worker at the hub's priority, ended after the test."""
    workers = Workers(1, idle=False)
    yield workers
    workers.close()


def echo(value):
    return value


def shout(text: str) -> str:
    print("a job that prints must not break the pipe its answers go through")
    return text.upper()


def fail(words: str) -> None:
    raise ValueError(words)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not picklable")


def fail_oddly() -> None:
    raise Unpicklable("odd")


def nap(seconds: float) -> float:
    started = time.monotonic()
    time.sleep(seconds)
    return started


def pid() -> int:
    return os.getpid()


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def test_jobs_answer_and_errors_come_back_as_themselves(pool):
    assert await pool.run(echo, {"a": [1, 2.5, None]}) == {"a": [1, 2.5, None]}
    assert await pool.run(shout, "yes") == "YES"
    with pytest.raises(ValueError, match="no such choice"):
        await pool.run(fail, "no such choice")
    with pytest.raises(RuntimeError, match="Unpicklable: odd"):
        await pool.run(fail_oddly)
    assert await pool.run(echo, 7) == 7  # the worker goes on after each


async def test_the_hub_runs_no_thread_for_its_workers():
    """The point of the module: jobs in and answers out on the loop's own thread (a thread's wake-up
    took the interpreter's lock from the loop mid-ack, issue 16)."""
    before = threading.active_count()
    pool = Workers(2, idle=False)
    try:
        answers = await asyncio.gather(*(pool.run(echo, n) for n in range(50)))
        assert answers == list(range(50))
        assert threading.active_count() == before
    finally:
        pool.close()


async def test_answers_larger_than_a_pipe_arrive_whole(pool):
    big = "x" * (3 << 20) + "end"  # 3 MB each way: many reads and writes that block halfway
    assert await pool.run(echo, big) == big
    assert await pool.run(echo, b"\0" * 100_000) == b"\0" * 100_000


async def test_no_more_workers_than_its_size_and_jobs_wait_their_turn():
    pool = Workers(2, idle=False)
    try:
        started = await asyncio.gather(*(pool.run(nap, 0.3) for _ in range(4)))
        assert len(pool.processes) <= 2
        started.sort()
        assert started[2] - started[0] >= 0.25  # the third waited for one of the first two
    finally:
        pool.close()


async def test_a_worker_that_dies_fails_its_job_alone_and_is_replaced(pool):
    first = await pool.run(pid)
    with pytest.raises(WorkerLost, match="before it answered"):
        await pool.run(die)
    second = await pool.run(pid)
    assert second != first and await pool.run(echo, "on") == "on"


async def test_close_ends_every_worker_now_and_cancels_what_waits():
    pool = Workers(1, idle=False)
    running = pool.run(nap, 30)
    waiting = pool.run(echo, 1)
    await asyncio.sleep(0.5)
    processes = pool.processes
    pool.close()
    assert running.cancelled() and waiting.cancelled()  # the hub is closing: nothing to tell
    for process in processes:
        assert process.wait(timeout=10) is not None
    assert pool.run(echo, 2).cancelled()


async def test_idle_workers_run_below_the_hub():
    pool = Workers(1, idle=True)
    try:
        worker = await pool.run(pid)
        assert os.sched_getscheduler(worker) == os.SCHED_IDLE
    finally:
        pool.close()


async def test_a_worker_ends_with_its_hub(tmp_path):
    """A hub killed outright closes nothing: its worker sees it gone and ends."""
    code = ("import asyncio, os, sys\n"
            "from feeds.hub.workers import Workers\n"
            "async def main():\n"
            "    pool = Workers(1, idle=False)\n"
            "    print(await pool.run(os.getpid), flush=True)\n"
            "    await asyncio.sleep(60)\n"
            "asyncio.run(main())\n")
    hub = await asyncio.create_subprocess_exec("python", "-c", code, stdout=asyncio.subprocess.PIPE)
    worker = int(await asyncio.wait_for(hub.stdout.readline(), 60))
    hub.kill()
    await hub.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"worker {worker} outlived its hub")


@pytest.fixture(scope="module")
def one_pool():
    """One loop and one worker for every example (a worker starts in ~0.3 s)."""
    loop = asyncio.new_event_loop()
    pool = Workers(1, idle=False)
    yield loop, pool
    pool.close()
    loop.close()


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20), max_size=8))
def test_any_picklable_job_comes_back_as_it_went(one_pool, values):
    loop, pool = one_pool

    async def round_trip():
        return await asyncio.gather(*(pool.run(echo, value) for value in values))

    assert loop.run_until_complete(round_trip()) == values


async def test_a_worker_that_cannot_start_fails_the_jobs_waiting_and_the_next_one_tries_again(pool, monkeypatch):
    """Out of processes or memory (fork's EAGAIN, ENOMEM): the jobs say so; the pool is not broken."""
    import subprocess

    def refused(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "Popen", refused)
        with pytest.raises(WorkerLost, match="no worker could be started: .*temporarily unavailable"):
            await pool.run(echo, 1)
    assert await pool.run(echo, 2) == 2


async def test_an_idle_worker_that_dies_is_not_given_the_next_job(pool):
    """Killed while it waited (the OOM killer, a person): the next job goes to a new worker."""
    first = await pool.run(pid)
    os.kill(first, signal.SIGKILL)
    await asyncio.sleep(0.5)  # its pipe closes; the loop sees it
    assert await asyncio.wait_for(pool.run(pid), 30) != first


async def test_a_job_given_to_a_worker_that_just_died_fails_or_answers_but_never_waits_for_ever(pool):
    """The worker dies between two jobs and the loop has not read its end yet: the write fails (EPIPE)
    or the end is read first; either way the job is answered or fails, and the pool goes on."""
    first = await pool.run(pid)
    os.kill(first, signal.SIGKILL)
    try:
        await asyncio.wait_for(pool.run(echo, "x" * 200_000), 30)
    except WorkerLost:
        pass
    assert await asyncio.wait_for(pool.run(echo, 3), 30) == 3
