"""One board visitor cannot hold the hub: needles are worked out off its loop, of the right state.

A real hub on a loopback port, a real board client, real publishers; the
needles are worked out in the hub's worker process. Nothing here is timed
against a budget: what is asserted is the order things happen in, and what
each row holds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from contextlib import asynccontextmanager

from websockets.asyncio.client import connect

from counts import ballots, header, pile, write
from facekit import expected_row
from hubkit import ask, ballot, board_stream, publishing, replay, running_hub, until
from tally.reducer import Count
from tally.summary import WORKING, summary

HUGE = dict(id="huge", ballots=10_000_000, eligible=10_000_000)
"""The largest legal yes/no count: its exact needle is seconds of pure Python."""


async def read_rows(ws, seen: list) -> None:
    async for row in board_stream(ws):
        seen.append(("row", row))


@asynccontextmanager
async def crowd_on_board(url: str, n: int):
    """n /board clients, each reading every row into its own list, their snapshots in: the lists."""
    boards = [await connect(f"{url}/board", max_queue=None) for _ in range(n)]
    seen: list[list] = [[] for _ in boards]
    readers = [asyncio.create_task(read_rows(ws, rows)) for ws, rows in zip(boards, seen)]
    try:
        await until(lambda: all(any(row.get("ready") for _, row in rows) for rows in seen), "every snapshot")
        yield seen
    finally:
        for task in readers:
            task.cancel()
        for ws in boards:
            await ws.close()


async def publish_until_everyone_has(url: str, seen: list[list], last: int) -> None:
    """Ballots 4..last published to "small", one ack at a time; then until every client's last row
    is of seq `last`, with its needle."""
    async with publishing(url, "small") as pub:
        for seq in range(4, last + 1):
            assert await ask(pub, ballot(seq)) == {"ack": seq}
    await until(lambda: all(rows[-1][1].get("last_seq") == last and not rows[-1][1].get("working")
                            for rows in seen), "the last row, with its needle, everywhere")


async def test_a_publish_ack_does_not_wait_for_a_huge_needle(tmp_path):
    write(tmp_path / "huge.jsonl", header(**HUGE), pile("yes", 500), pile("no", 500))
    write(tmp_path / "small.jsonl", header(id="small", ballots=40), *ballots("yes", "no"))
    seen: list = []
    async with running_hub(tmp_path) as (hub, url):
        async with connect(f"{url}/board", max_queue=None) as board:
            reader = asyncio.create_task(read_rows(board, seen))
            await until(lambda: any(kind == "row" and row.get("ready") for kind, row in seen), "the snapshot")
            async with publishing(url, "small") as pub:
                for seq in range(4, 14):
                    assert await ask(pub, ballot(seq)) == {"ack": seq}
                    seen.append(("ack", seq))
            reader.cancel()
    huge = [row for kind, row in seen if kind == "row" and row.get("id") == "huge"]
    assert huge[0]["working"] and huge[0]["no_chances"] == WORKING and huge[0]["chances"] is None
    acks = [i for i, (kind, _) in enumerate(seen) if kind == "ack"]
    needle = [i for i, (kind, row) in enumerate(seen) if kind == "row" and row.get("id") == "huge"
              and row.get("chances")]
    assert len(acks) == 10
    assert not needle or acks[-1] < needle[0]  # every ack came back while the huge needle was being worked out


async def test_every_needle_shown_is_the_one_of_its_row_numbers(tmp_path):
    """Published as fast as it goes: each row's chances are those of the count at the row's own state."""
    events = replay("ldj5", 400)
    seen: list = []
    async with running_hub(tmp_path) as (hub, url):
        async with publishing(url, "ldj5") as pub:
            for event in events[:50]:
                assert "ack" in await ask(pub, event.model_dump_json(exclude_none=True))
            async with connect(f"{url}/board", max_queue=None) as board:
                reader = asyncio.create_task(read_rows(board, seen))
                for event in events[50:]:
                    assert "ack" in await ask(pub, event.model_dump_json(exclude_none=True))
                    waiting = hub.board.needles._waiting
                    assert len(waiting) <= len(hub.elections)  # one waits per election, never one per event
                await until(lambda: any(row.get("last_seq") == len(events) and not row.get("working")
                                        for _, row in seen), "the last row with its needle")
                reader.cancel()
        made = hub.board.needles.made
    rows = [row for _, row in seen if "id" in row]
    assert made < len(events) - 50  # coalesced: fewer needles than events
    counts = {}
    count = Count()
    for event in events:
        count.apply(event)
        counts[event.seq] = count.snapshot()
    seqs = [row["last_seq"] for row in rows]
    assert seqs == sorted(seqs)  # no row goes back
    for row in rows:
        model = row["model"]  # its calls: tests/test_board_hub.py, tests/test_cross_face.py
        assert {k: v for k, v in row.items() if k != "model"} == json.loads(json.dumps({k: v for k, v in _expected(counts, row).items() if k != "model"}))
        assert [c["text"] for c in model["chances"] or ()] == [c["text"] for c in row["chances"] or ()]
        assert (model["no_chance"] == WORKING) == row["working"]
    assert rows[-1]["chances"] and rows[-1] == json.loads(json.dumps(
        expected_row(tmp_path / "ldj5.jsonl")))


def _expected(counts, row):
    """The row the hub must have sent: the summary of the count at its seq, needle of `chances_seq`."""
    want = summary(counts[row["last_seq"]])
    if row["working"]:
        return {**want, "chances": None, "no_chances": WORKING, "working": True, "chances_seq": None}
    assert row["chances_seq"] <= row["last_seq"]
    assert summary(counts[row["chances_seq"]])["chances"] == want["chances"]  # the same state
    return {**want, "chances_seq": row["chances_seq"]}


async def test_a_row_for_many_clients_goes_out_in_steps_each_client_in_order(tmp_path, monkeypatch):
    """A row to 60 board clients is sent SEND_AT_ONCE at a time, the loop's other work between
    the steps (a publish ack waits for one step, never for the whole crowd), and yet every
    client gets every row, in the order they were made: the same rows as every other client."""
    from feeds.hub import board as board_module

    write(tmp_path / "small.jsonl", header(id="small", ballots=400), *ballots("yes", "no"))
    steps: list[int] = []
    real_send = board_module.Board._send

    def counted(self, clients, frame):
        clients = list(clients)
        steps.append(len(clients))
        real_send(self, clients, frame)

    monkeypatch.setattr(board_module.Board, "_send", counted)
    crowd = 60
    async with running_hub(tmp_path) as (hub, url):
        async with crowd_on_board(url, crowd) as seen:
            steps.clear()
            await publish_until_everyone_has(url, seen, 23)
    assert steps and max(steps) <= board_module.SEND_AT_ONCE < crowd
    firsts = [[row for _, row in rows if "id" in row] for rows in seen]
    assert all(rows == firsts[0] for rows in firsts)  # the same rows, in the same order
    seqs = [row["last_seq"] for row in firsts[0]]
    assert seqs == sorted(seqs) and seqs[-1] == 23


async def test_the_boards_slices_leave_the_loop_twice_their_length_between_them(tmp_path, monkeypatch):
    """While rows wait to go out, each slice of the board's work is followed by PACE times its own
    length of the loop for everything else (a publisher's ack meets at most one slice, not one at
    each of its turns of the loop), and the rows still all go out, in order."""
    from feeds.hub import board as board_module

    monkeypatch.setattr(board_module, "SEND_AT_ONCE", 1)  # many small steps: many slices
    monkeypatch.setattr(board_module, "BUDGET", 0.00005)
    write(tmp_path / "small.jsonl", header(id="small", ballots=400), *ballots("yes", "no"))
    slices: list[tuple[float, float, asyncio.Handle | None]] = []
    real_work = board_module.Board._work

    def timed(self):
        start = time.monotonic()  # the loop's clock
        real_work(self)
        slices.append((start, time.monotonic(), self._working))

    monkeypatch.setattr(board_module.Board, "_work", timed)
    async with running_hub(tmp_path) as (hub, url):
        async with crowd_on_board(url, 30) as seen:
            slices.clear()
            await publish_until_everyone_has(url, seen, 13)
    paced = [(start, end, then, after[0]) for (start, end, then), after in zip(slices, slices[1:]) if then]
    assert len(paced) >= 10
    assert all(isinstance(then, asyncio.TimerHandle) and began >= then.when() for _, _, then, began in paced)
    # each wait is PACE times the slice as the board timed it; a collection or a preemption after
    # it set its timer lengthens a slice as timed here, so the typical ratio is what is asserted
    assert statistics.median((began - end) / (end - start) for start, end, _, began in paced) >= board_module.PACE * 0.9
    assert all([row for _, row in rows if "id" in row] == [row for _, row in seen[0] if "id" in row] for rows in seen)


async def test_nothing_of_the_board_runs_once_its_hub_has_closed(tmp_path, monkeypatch):
    """Rows still on their way out when the hub closes stay unsent: the slice waiting its turn
    (PACE) is cancelled, and no flush or row can start a worker again after the hub let its go."""
    from feeds.hub import board as board_module

    monkeypatch.setattr(board_module, "PACE", 500.0)  # a slice waits ~25-250 ms for its turn
    monkeypatch.setattr(board_module, "SEND_AT_ONCE", 1)
    monkeypatch.setattr(board_module, "BUDGET", 0.00005)
    write(tmp_path / "small.jsonl", header(id="small", ballots=400), *ballots("yes", "no"))
    calls: list[float] = []
    real_work = board_module.Board._work

    def timed(self):
        calls.append(time.perf_counter())
        real_work(self)

    monkeypatch.setattr(board_module.Board, "_work", timed)
    pending: list[bool] = []
    real_close = board_module.Board.close

    def closing(self):
        pending.append(self._working is not None or self._timer is not None)
        real_close(self)

    monkeypatch.setattr(board_module.Board, "close", closing)
    async with running_hub(tmp_path) as (hub, url):
        boards = [await connect(f"{url}/board", max_queue=None) for _ in range(10)]
        seen: list[list] = [[] for _ in boards]
        readers = [asyncio.create_task(read_rows(ws, rows)) for ws, rows in zip(boards, seen)]
        await until(lambda: all(any(row.get("ready") for _, row in rows) for rows in seen), "every snapshot")
        async with publishing(url, "small") as pub:
            for seq in range(4, 9):
                assert await ask(pub, ballot(seq)) == {"ack": seq}
        await until(lambda: hub.board._outbox or hub.board._sending, "rows on their way out")
    closed = time.perf_counter()
    await asyncio.sleep(1.0)
    for task in readers:
        task.cancel()
    assert pending == [True]  # the hub closed with the board's work still to come
    assert [t for t in calls if t > closed] == []
    assert hub.board.rows._pool is None and hub.board.needles._pool is None


async def test_needle_workers_run_only_when_a_core_would_idle(tmp_path):
    """Linux: a needle worker is SCHED_IDLE (and niced), so a hub waking for an ack preempts it at once."""
    import os

    write(tmp_path / "small.jsonl", header(id="small", ballots=40), *ballots("yes", "no"))
    async with running_hub(tmp_path) as (hub, url):
        async with connect(f"{url}/board", max_queue=None) as board:
            seen: list = []
            reader = asyncio.create_task(read_rows(board, seen))
            await until(lambda: any(kind == "row" and row.get("chances") for kind, row in seen), "a needle")
            reader.cancel()
            workers = hub.board.needles._pool.processes
            assert workers
            for process in workers:
                assert os.sched_getscheduler(process.pid) == os.SCHED_IDLE
                assert os.getpriority(os.PRIO_PROCESS, process.pid) >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
