"""Worker processes fed by the hub's event loop itself, over pipes: no thread in the hub.

The board's rows and needles are made in worker processes (feeds/hub/rows.py,
feeds/hub/board.py). `concurrent.futures.ProcessPoolExecutor` runs two threads
in the hub for each pool (its manager, and a queue's feeder that pickles each
job), and every job wakes them: with 100 board clients, hundreds of times a
second. Each wake-up takes the interpreter's lock while the event loop has let
go of it for a system call (a send, a journal's fsync), and the loop then waits
for that thread, which the kernel may have preempted on a busy machine: a
publisher's ack waits with it (docs/PERFORMANCE.md, issue 16).

Here the loop does it all, in microseconds, never waiting: it pickles a job
and writes it to an idle worker's standard input (non-blocking; what the pipe
does not take at once is written when it can), and reads each answer from the
worker's standard output as it arrives, a length-prefixed pickle. A worker
takes one job at a time, so a needle's time budget is its own; jobs wait here,
in order, for a free worker. A worker that dies (killed, out of memory) fails
its job with `WorkerLost` and the next job starts another. Workers end with
the hub: their standard input closes, and `feeds.needle.quiet_worker` watches
the hub's pid too.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import struct
import subprocess
import sys
from collections import deque
from typing import Any, Callable

HEADER = struct.Struct(">Q")
"""Each message: its length, then its pickle."""
BOOT = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
        "from feeds.hub.workers import work; work(int(sys.argv[2]), sys.argv[3] == 'idle')")


class WorkerLost(RuntimeError):
    """The worker making a job ended before it answered (killed, out of memory)."""


class Workers:
    """Up to `size` worker processes (`feeds.needle.quiet_worker`: `idle`, below the hub's priority,
    or at it), started as jobs need them; `run` gives a future of a job's answer, on the loop."""

    def __init__(self, size: int, idle: bool) -> None:
        self.size = size
        self.idle = idle
        self._free: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._waiting: deque[tuple[bytes, asyncio.Future]] = deque()
        self._closed = False

    def run(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        """`fn(*args)` in a worker: a future of what it returns or raises (`WorkerLost` if it died)."""
        future = asyncio.get_running_loop().create_future()
        if self._closed:
            future.cancel()
            return future
        self._waiting.append((pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL), future))
        self._dispatch()
        return future

    def _dispatch(self) -> None:
        while self._waiting and not self._closed:
            if not self._free:
                if len(self._busy) >= self.size:
                    return
                try:
                    self._free.append(_Worker(self))
                except OSError as exc:  # out of processes or memory: each waiting job says so
                    while self._waiting:
                        _, future = self._waiting.popleft()
                        if not future.done():
                            future.set_exception(WorkerLost(f"no worker could be started: {exc}"))
                    return
            job, future = self._waiting.popleft()
            if future.cancelled():
                continue
            worker = self._free.pop()
            self._busy.add(worker)
            worker.give(job, future)

    def _done(self, worker: _Worker, alive: bool) -> None:
        """A worker answered (`alive`), or ended: busy or idle, it is out of the pool."""
        self._busy.discard(worker)
        if worker in self._free:
            self._free.remove(worker)
        if alive:
            self._free.append(worker)
        self._dispatch()

    @property
    def processes(self) -> list[subprocess.Popen]:
        """The worker processes running now (for tests)."""
        return [worker.process for worker in (*self._free, *self._busy)]

    def close(self) -> None:
        """End every worker now, without waiting for a job in hand (a needle could take its budget);
        what waits or runs is cancelled (the hub is closing: nobody is told it failed)."""
        self._closed = True
        for worker in (*self._free, *self._busy):
            worker.end()
            worker.cancel()
        self._free.clear()
        self._busy.clear()
        while self._waiting:
            self._waiting.popleft()[1].cancel()


class _Worker:
    """One worker process and its two pipes, read and written by the loop without blocking."""

    def __init__(self, pool: Workers) -> None:
        self.pool = pool
        self.loop = asyncio.get_running_loop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", BOOT, json.dumps(sys.path), str(os.getpid()), "idle" if pool.idle else "hub"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self._in, self._out = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._unsent = bytearray()
        self._read = bytearray()
        self._future: asyncio.Future | None = None
        self._writing = False
        self.gone = False
        self.loop.add_reader(self._out, self._readable)

    def give(self, job: bytes, future: asyncio.Future) -> None:
        self._future = future
        self._unsent += HEADER.pack(len(job)) + job
        self._writable()

    def _writable(self) -> None:
        try:
            while self._unsent:
                self._unsent = self._unsent[os.write(self._in, self._unsent):]
        except BlockingIOError:
            pass
        except OSError:  # the worker is gone (EPIPE)
            self._unsent.clear()
            self._lost()
            return
        if self._unsent and not self._writing:
            self.loop.add_writer(self._in, self._writable)
            self._writing = True
        elif not self._unsent and self._writing:
            self.loop.remove_writer(self._in)
            self._writing = False

    def _readable(self) -> None:
        try:
            chunk = os.read(self._out, 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._lost()
            return
        self._read += chunk
        while len(self._read) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._read)
            if len(self._read) < HEADER.size + size:
                return
            answer = bytes(self._read[HEADER.size:HEADER.size + size])
            del self._read[:HEADER.size + size]
            self._answer(answer)

    def _answer(self, answer: bytes) -> None:
        future, self._future = self._future, None
        try:
            ok, value = pickle.loads(answer)
        except Exception as exc:  # noqa: BLE001 - an answer that does not unpickle fails its job alone
            ok, value = False, WorkerLost(f"the worker's answer could not be read: {exc!r}")
        if future is not None and not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self.pool._done(self, alive=True)

    def _lost(self) -> None:
        """The worker ended (its pipe closed): its job fails, and it leaves the pool."""
        if self.gone:
            return
        status = self.process.poll()  # before `end`, which would kill what is still alive
        self.end()
        self.fail(WorkerLost(f"a worker ended{_how(status)} before it answered"))
        self.pool._done(self, alive=False)

    def fail(self, error: WorkerLost) -> None:
        """The job in hand, if any, fails with `error`."""
        future, self._future = self._future, None
        if future is not None and not future.done():
            future.set_exception(error)

    def cancel(self) -> None:
        """The job in hand, if any, is cancelled."""
        future, self._future = self._future, None
        if future is not None:
            future.cancel()

    def end(self) -> None:
        """Stop reading and writing, and end the process now."""
        self.gone = True
        self.loop.remove_reader(self._out)
        if self._writing:
            self.loop.remove_writer(self._in)
            self._writing = False
        if self.process.poll() is None:
            self.process.kill()
        self.process.stdin.close()
        self.process.stdout.close()
        self.process.poll()  # reaped if it has ended; else by the subprocess module later


def _how(status: int | None) -> str:
    """' (killed by signal 9)', ' (exit status 1)', or nothing when its end is not known yet (its
    pipe closed before the process could be reaped)."""
    if status is None:
        return ""
    return f" (killed by signal {-status})" if status < 0 else f" (exit status {status})"


def work(hub: int, idle: bool) -> None:
    """A worker's life: each job read from standard input, its answer written to standard output,
    until the hub closes the pipe. Nothing else may write to that output: what a job prints goes
    to standard error."""
    from feeds.needle import quiet_worker

    jobs = os.fdopen(os.dup(0), "rb", buffering=0)
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    quiet_worker(hub, idle)
    while True:
        header = _read_exactly(jobs, HEADER.size)
        job = None if header is None else _read_exactly(jobs, HEADER.unpack(header)[0])
        if job is None:
            return  # the hub closed the pipe, or ended
        fn, args = pickle.loads(job)
        try:
            answer = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the job's own error goes back to its future
            try:
                answer = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an error that does not pickle goes back as its words
                answer = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        message = memoryview(HEADER.pack(len(answer)) + answer)
        try:
            while message:
                message = message[answers.write(message):]
        except BrokenPipeError:
            return  # the hub is gone: nobody to answer


def _read_exactly(stream: Any, size: int) -> bytes | None:
    """`size` bytes, or None at the end of the stream (the hub closed it, or ended)."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)
