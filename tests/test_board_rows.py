"""A board row is made off the hub's event loop, and is the row the loop used to make (issue 16, item 8).

A row (the model in every language read, the last calls, the checks, its
JSON) cost the loop 0.5 ms at the median and up to several, and held a
publisher's ack behind it. The hub now sends what a row is made of to a worker
process (feeds/hub/rows.py). What must hold: the worker's row is, byte for
byte, the row the loop made (every ballot kind, with a needle, without one,
with one that could not be had, in Spanish too, with checks); and no row's
model is made in the hub's own process at all. Real hubs on loopback ports,
real worker processes.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from counts import ballots, count_of, header, pile, write
from feeds.hub import board as board_module
from feeds.hub.board import Worked, last_calls
from feeds.hub.rows import NEEDS_THE_COUNT, Window, make_row, parsed, row_job
from hubkit import TOKEN, ask, ballot, board_stream, publishing, running_hub, until
from tally import summary
from tally.lang import ENGLISH, Words, use
from tally.odds import no_odds_reason, odds_json
from tally.summary import needle_row, rules_row, with_checks
from tally.timeline import TICKER_LINES
from tally.verify import CheckResult

ROOT = Path(__file__).resolve().parent.parent
KINDS = {  # the header's fields and the choices a ballot names
    "yes/no": ({"ballots": 60}, ["yes", "no"]),
    "yes/no, no total": ({}, ["yes", "no"]),
    "runoff": ({"ballots": 60, "choices": ["ALU", "Teamsters"]}, ["ALU", "Teamsters"]),
    "three": ({"ballots": 60, "choices": ["ALU", "Teamsters", "no union"]}, ["ALU", "Teamsters", "no union"]),
    "four": ({"ballots": 60, "choices": ["ALU", "Teamsters", "SEIU", "no union"]},
             ["ALU", "Teamsters", "SEIU", "no union"]),
    "deauthorization": ({"ballots": 60, "eligible": 70, "rule": "deauthorization"}, ["yes", "no"]),
}


@st.composite
def counts(draw) -> list[dict]:
    """A small count of any ballot kind: piles, single ballots, void, challenged, a retraction, a note."""
    fields, choices = KINDS[draw(st.sampled_from(sorted(KINDS)))]
    events: list[dict] = [header(**fields)]
    for _ in range(draw(st.integers(0, 14))):
        what = draw(st.sampled_from(["ballot", "pile", "void", "challenged", "retract", "note"]))
        if what == "pile":
            events.append(pile(draw(st.sampled_from(choices)), draw(st.integers(1, 3))))
        elif what in ("void", "challenged"):
            events.append({"type": "ballot", "choice": "void"} if what == "void" else {"type": "challenged"})
        elif what == "retract" and len(events) > 1 and events[-1]["type"] in ("ballot", "challenged"):
            events.append({"type": "retract", "target": len(events)})
        elif what == "note":
            events.append({"type": "note", "text": draw(st.sampled_from(["recess", "<b>&amp;</b> — ¿sí?"]))})
        else:
            events.extend(ballots(draw(st.sampled_from(choices))))
    if draw(st.booleans()) and len(events) > 1:
        events.append({"type": "close"})
    return events


class Kept:
    """The stored frames and the live count of an election, as the hub holds them (what `last_calls` reads)."""

    def __init__(self, events: list[dict]) -> None:
        self.count = count_of(*events)
        self.frames = [json.dumps({"seq": i, **e}) for i, e in enumerate(events, 1)]


def the_loops_row(snap, calls, worked, checks, languages) -> str:
    """The row as `Board.frame` made it on the loop before rows went to a worker (main at 610c1eb)."""
    with use(ENGLISH):
        if worked is not None:
            row = needle_row(snap, worked.odds, worked.why_not, worked.snap.last_seq, calls, languages)
        elif no_odds_reason(snap):
            row = needle_row(snap, None, calls=calls, languages=languages)
        else:
            row = rules_row(snap, calls, languages)
        return json.dumps(with_checks(row, snap, checks), separators=(",", ":"))


CHECKS = st.sampled_from([(), (CheckResult("b", True, 3),),
                          (CheckResult("b", False, 4, 2, (2, 1, 0, 1), (1, 2, 0, 1)), CheckResult("c", True, 1))])


@settings(max_examples=40)
@given(events=counts(), needle=st.sampled_from(["none", "worked", "not given"]), checks=CHECKS,
       languages=st.sampled_from([(), ("es",)]), speaking=st.sampled_from([ENGLISH, "es"]))
def test_the_workers_row_is_the_row_the_loop_made(events, needle, checks, languages, speaking):
    kept = Kept(events)
    snap = kept.count.snapshot()
    calls = last_calls(kept, snap.last_seq, snap.handled)
    worked = None
    if needle == "worked" and not no_odds_reason(snap):
        worked = Worked(snap, odds_json(snap), None)
    elif needle == "not given":
        worked = Worked(snap, None, Words("it takes more than {s:g} s to work out for a count this size", s=30.0))
    frames = tuple(kept.frames[max(0, snap.last_seq - TICKER_LINES):snap.last_seq])
    window = Window(frames, snap.handled, kept.count.election.yes_no)
    with use(speaking):  # the hub's own language (`tally count --serve`) is not the row's
        sent = pickle.dumps(row_job(snap, calls, worked, checks, languages))
        windowed = pickle.dumps(row_job(snap, window, worked, checks, languages))
        loops = the_loops_row(snap, calls, worked, checks, languages)
    assert make_row(pickle.loads(sent)) == loops  # as a worker (which speaks English) makes it
    if not any(isinstance(parsed(frame), NEEDS_THE_COUNT) for frame in frames):
        assert make_row(pickle.loads(windowed)) == loops  # its last calls made in the worker too


async def test_no_row_is_made_on_the_hubs_loop(tmp_path, monkeypatch):
    """Every row a board client gets (English and Spanish, with needles and without) comes from the
    worker: the hub's process never makes a row's model, nor its last calls (none of these counts
    has a retraction, correction or adjustment, whose lines need the live count)."""
    made_here: list[str] = []
    real, real_calls = summary.model_of, board_module.calls_of

    def counted(snap, *args, **kwargs):
        made_here.append(snap.election.id)
        return real(snap, *args, **kwargs)

    def calls_counted(*args, **kwargs):
        made_here.append("last calls")
        return real_calls(*args, **kwargs)

    monkeypatch.setattr(summary, "model_of", counted)  # this process only: the workers import their own
    monkeypatch.setattr(board_module, "calls_of", calls_counted)
    write(tmp_path / "small.jsonl", header(id="small", ballots=40), *ballots("yes", "no"))
    write(tmp_path / "multi.jsonl", header(id="multi", ballots=40, choices=["A", "B", "C"]), pile("A", 3))
    async with running_hub(tmp_path) as (hub, url):
        async with connect(f"{url}/board", max_queue=None) as en, \
                connect(f"{url}/board?lang=es", max_queue=None) as es:
            rows = {"en": [], "es": []}

            async def read(ws, into):
                async for row in board_stream(ws):
                    into.append(row)

            readers = [asyncio.create_task(read(ws, rows[lang])) for lang, ws in (("en", en), ("es", es))]
            async with publishing(url, "small") as pub:
                for seq in range(4, 12):
                    assert await ask(pub, ballot(seq)) == {"ack": seq}
            await until(lambda: all(any(r.get("last_seq") == 11 and r.get("chances") for r in got)
                                    for got in rows.values()), "the last row, with its needle, on both")
            await until(lambda: any(r.get("id") == "multi" and r.get("chances") for r in rows["en"]),
                        "the multi-choice needle")
            for task in readers:
                task.cancel()
    last = [r for r in rows["es"] if r.get("last_seq") == 11 and r.get("chances")][-1]
    assert last["models"]["es"]["title"] and last["model"]["no_chance"] == ""
    assert made_here == []


WITHOUT_A_STDERR = textwrap.dedent("""
    import asyncio, json, sys
    sys.path.insert(0, "tests")
    from hubkit import board_stream, running_hub
    from websockets.asyncio.client import connect

    class Captured:  # what Textual puts in sys.stderr while an app runs
        def write(self, text): return len(text)
        def flush(self): pass
        def fileno(self): return -1

    async def main(data):
        async with running_hub(data) as (hub, url):
            sys.stderr = Captured()
            async with connect(f"{url}/board") as ws:
                async for row in board_stream(ws):
                    if row.get("chances"):
                        sys.stderr = sys.__stderr__
                        print("needle", row["id"])
                        return

    asyncio.run(asyncio.wait_for(main(sys.argv[1]), 60))
""")


def test_a_hub_inside_an_app_works_out_rows_and_needles(tmp_path):
    """A hub started while its process's stderr has no file (Textual's capture while an app runs)
    still starts its worker processes: multiprocessing's resource tracker is started with the
    real stderr. A fresh process, so that no tracker was started before."""
    write(tmp_path / "small.jsonl", header(id="small", ballots=40), *ballots("yes", "no"))
    done = subprocess.run([sys.executable, "-c", WITHOUT_A_STDERR, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "needle small\n", done.stderr[-2000:]


async def test_a_served_hub_starts_its_row_worker_before_any_board_client(tmp_path):
    """`run_hub` (tally serve, count --serve) starts the row worker at once: the first board
    client waits for no process to start (1–2 s under load)."""
    from feeds.hub.server import run_hub

    served: list = []
    hub_task = asyncio.create_task(run_hub("127.0.0.1", 0, tmp_path, TOKEN,
                                           ready=lambda hub, server: served.append(hub)))
    try:
        await until(lambda: served, "the hub to listen")
        pool = served[0].board.rows._pool
        assert pool is not None, "no row worker started with the hub"
        assert await pool.run(len, ()) == 0  # a worker answers
        assert served[0].board.audience == 0  # nobody asked for a board
    finally:
        hub_task.cancel()
        await asyncio.gather(hub_task, return_exceptions=True)
