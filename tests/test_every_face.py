"""Every event file the format accepts renders on every face, without an exception.

Generated counts push each field to its limits, where faces break: times at
both ends of the range at any offset (the freshness line once turned
9999-12-31T23:59:59-14:00 into an OverflowError for every watcher), piles of
10,000,000, totals unknown, 2 and 12 choices, every rule (yes/no, runoff,
multi-union, deauthorization), retractions, notes, close, and text at its
maximum length made of hostile characters. Each count is shown on the replay
dashboard and its broadcast view, the keyboard count (a resumed journal), a
watcher fed by a real hub on loopback, the board, the text and JSON reports,
and the hub's summaries (the page's rows and the election list), at 80×24 and
160×50. An app that fails re-raises its exception when `run_test` ends.

The strategies draw mostly from boundary values (`st.one_of` of the edges
and a few ordinary ones); examples are few per face and derandomized, so CI
runs the same cases in about a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import OptionList, Static

from dash import replay_app, until
from feeds.board import BoardReplay, LiveBoard
from feeds.counting import open_count
from feeds.files import load
from feeds.publisher import Publisher
from feeds.watcher import Watcher, list_elections
from hubkit import FAST, TOKEN, running_hub
from hubkit import until as hub_until
from tally.present import banner, outcome_words
from tally.reducer import Count, RuleError
from tally.report import json_report, text_report
from tally.schema import EARLIEST, LATEST, MAX_BALLOTS, MAX_CHOICES, parse_event
from tally.summary import summary
from tally.text import literal
from test_edges_format import viewer_at
from test_hostile_text import HOSTILE
from tui.board_app import ReplayBoard
from tui.broadcast import BroadcastScreen
from tui.cli import main
from tui.count_app import CountDashboard
from tui.watch_app import WatchDashboard

SIZES = [(80, 24), (160, 50)]
VIEWERS = {(80, 24): "UTC-14", (160, 50): "UTC+12"}
"""Where a live screen's viewer is (POSIX TZ: UTC-14 is 14 hours east): stamps are shown at their offset."""


def faces(n: int) -> settings:
    return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


# -- the edges of the format ---------------------------------------------------------

OFFSETS = [sign * timedelta(hours=h, minutes=m) for sign, h, m in
           [(1, 14, 0), (-1, 14, 0), (1, 13, 59), (-1, 13, 59), (1, 0, 0), (1, 5, 45), (-1, 9, 30),
            (-1, 12, 0)]]
EDGE_INSTANTS = [EARLIEST, EARLIEST + timedelta(seconds=1), LATEST, LATEST - timedelta(seconds=1)]


def stamp(instant: datetime, offset: timedelta, z: bool = False) -> str:
    text = instant.astimezone(timezone(offset)).isoformat()
    return text.replace("+00:00", "Z") if z else text


times = st.one_of(
    st.none(),
    st.builds(stamp, st.sampled_from(EDGE_INSTANTS), st.sampled_from(OFFSETS), st.booleans()),
    st.sampled_from(["9000-12-31T23:59:58.999999Z", "1970-01-01T14:00:00.000001+14:00",
                     "2022-05-02T13:00:05-04:00", "2022-05-02 13:00:05z"]),
    st.builds(stamp, st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9000, 12, 30),
                                  timezones=st.just(timezone.utc)), st.sampled_from(OFFSETS)),
)
counts = st.one_of(st.sampled_from([1, MAX_BALLOTS, MAX_BALLOTS - 1, 2]),
                   st.integers(1, MAX_BALLOTS))
totals = st.one_of(st.none(), st.sampled_from([MAX_BALLOTS, 1, 0]), st.integers(0, MAX_BALLOTS))


def hostile_text(limit: int) -> st.SearchStrategy[str]:
    """Text at its limit (or short), made of the hostile corpus: markup, escapes, controls, RTL."""
    def fill(s: str, n: int) -> str:
        return (s * (n // len(s) + 1))[:n]

    corpus = st.sampled_from(list(HOSTILE.values()))
    return st.one_of(st.builds(fill, corpus, st.just(limit)),
                     st.builds(fill, corpus, st.integers(1, limit)))


@st.composite
def headers(draw) -> dict:
    kind = draw(st.sampled_from(["yes/no", "deauthorization", "runoff", "multi-union"]))
    head = {"type": "election", "id": draw(st.sampled_from(["e", "x" * 64, "a-0-" * 16])),
            "title": draw(hostile_text(200))}
    if kind in ("runoff", "multi-union"):
        n = 2 if kind == "runoff" else draw(st.one_of(st.just(MAX_CHOICES), st.just(3),
                                                       st.integers(3, MAX_CHOICES)))
        names = draw(st.lists(hostile_text(98), min_size=n, max_size=n))
        head["choices"] = [f"{i:x} {name}"[:100] for i, name in enumerate(names)]
        if draw(st.booleans()):
            head["choices"][-1] = "Neither"
    elif draw(st.booleans()):
        head["choices"] = ["yes", "no"]
    if kind == "deauthorization":
        head["rule"] = "deauthorization"
    for name in ("union", "case", "location", "office"):
        if draw(st.booleans()):
            head[name] = draw(hostile_text(200))
    eligible = draw(st.one_of(st.none(), counts))
    if kind == "deauthorization" and eligible is None:
        eligible = MAX_BALLOTS
    if eligible is not None:
        head["eligible"] = eligible
    ballots = draw(totals)
    if ballots is not None:
        head["ballots"] = ballots
    return head


@st.composite
def count_files(draw) -> list[dict]:
    """A valid count: a header, then events the reducer accepts (a drawn event it refuses is left out)."""
    head = {"seq": 1, **draw(headers())}
    if (at := draw(times)) is not None:
        head["at"] = at
    count = Count()
    count.apply(parse_event(json.dumps(head)))
    choices = list(count.election.choices) + ["void"]
    events, done = [head], []
    wanted = draw(st.lists(st.sampled_from(["ballot", "ballot", "challenged", "retract", "note",
                                            "close"]), max_size=8))
    for kind in wanted:
        event: dict = {"seq": len(events) + 1, "type": kind}
        if kind == "ballot":
            event["choice"] = draw(st.sampled_from(choices))
        if kind in ("ballot", "challenged") and draw(st.booleans()):
            event["count"] = draw(counts)
        if kind == "retract":
            event["target"] = draw(st.sampled_from(done)) if done else 1
        if kind == "note":
            event["text"] = draw(hostile_text(500))
        if (at := draw(times)) is not None:
            event["at"] = at
        try:
            count.apply(parse_event(json.dumps(event)))
        except RuleError:
            continue
        events.append(event)
        if kind in ("ballot", "challenged"):
            done.append(event["seq"])
    return events


def written(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                    encoding="utf-8")
    return path


def title_of(events: list[dict]) -> str:
    return literal(events[0]["title"])


def screen_text(app) -> str:
    """What the screen's widgets hold: every Static's text and every option's prompt."""
    parts = [str(s.visual) for s in app.screen.query(Static)]
    for options in app.screen.query(OptionList):
        parts += [o.prompt.plain if hasattr(o.prompt, "plain") else str(o.prompt)
                  for o in options.options]
    return "\n".join(parts)


def on_every_size(show) -> None:
    """`show(size)` at each size, its viewer east or west of UTC (a recording keeps its own clock)."""
    for size in SIZES:
        with viewer_at(VIEWERS[size]):
            asyncio.run(show(size))


def still_running(app) -> None:
    assert app.is_running and app.return_code is None


# -- the faces -------------------------------------------------------------------------

@faces(40)
@given(events=count_files())
def test_the_reports_and_summaries_take_every_count(tmp_path_factory, events):
    path = written(tmp_path_factory.mktemp("r") / "c.jsonl", events)
    for argv in (["report", str(path)], ["report", "--json", str(path)]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            assert main(argv) == 0, err.getvalue()
        assert out.getvalue()
    report = json.loads(out.getvalue())
    loaded = load(path)
    assert loaded.ok and report == json.loads(json.dumps(json_report(loaded.count.snapshot())))
    snap = loaded.count.snapshot()
    row = summary(snap)
    assert json.loads(json.dumps(row))["id"] == events[0]["id"]
    if snap.outcome.decided:  # one wording of the outcome: the report's Result is the banner's
        words = outcome_words(snap)
        assert report["result"] == row["result"] == words
        assert banner(snap)[0].endswith(f"— {words}") and f"Result: {words}" in text_report(snap)


@faces(12)
@given(events=count_files())
def test_the_replay_and_its_broadcast_view_show_every_count(tmp_path_factory, events):
    path = written(tmp_path_factory.mktemp("r") / "c.jsonl", events)

    async def show(size) -> None:
        app = replay_app(path)
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: app.live.count.election is not None)
            await pilot.press("end")
            await until(pilot, lambda: app.replay.done and app.live.count.last_seq == len(events))
            still_running(app)
            assert title_of(events) in screen_text(app)
            await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, BroadcastScreen))
            await pilot.pause(0.1)
            still_running(app)
            assert screen_text(app)

    on_every_size(show)


@faces(12)
@given(events=count_files())
def test_the_count_screen_resumes_every_count(tmp_path_factory, events):
    path = written(tmp_path_factory.mktemp("c") / "c.jsonl", events)

    async def show(size) -> None:
        opened = open_count(path, {})
        try:
            app = CountDashboard(opened.journal, opened.live, opened.repaired)
            async with app.run_test(size=size) as pilot:
                await until(pilot, lambda: app._drawn == app.live.version)
                still_running(app)
                assert app.live.count.last_seq == len(events)
                assert title_of(events) in screen_text(app)
        finally:
            opened.journal.close()

    on_every_size(show)


@faces(10)
@given(events=count_files())
def test_the_board_shows_every_count(tmp_path_factory, events):
    path = written(tmp_path_factory.mktemp("b") / "c.jsonl", events)

    async def show(size) -> None:
        app = ReplayBoard(BoardReplay(LiveBoard([path]), paused=True, speed=1.0), "every face")
        async with app.run_test(size=size) as pilot:
            await hub_until(lambda: app.source.rows() or app.replay.paused, "started")
            await pilot.press("end")
            await hub_until(lambda: app.replay.done, "the replay's end")
            await hub_until(lambda: app._drawn == app.source.version, "the board drawn")
            await pilot.pause()
            still_running(app)
            assert [r["id"] for r in app.source.rows()] == [events[0]["id"]]
            assert len(app.board_rows.options) == 1

    on_every_size(show)


@faces(8)
@given(events=count_files())
def test_a_watcher_of_a_real_hub_shows_every_count(tmp_path_factory, events):
    data = tmp_path_factory.mktemp("hub")
    models = [parse_event(json.dumps(e)) for e in events]
    election = events[0]["id"]

    async def show() -> None:
        async with running_hub(data) as (hub, url):
            publisher = Publisher(models, url, TOKEN, wait=FAST)
            task = asyncio.create_task(publisher.run())
            assert await publisher.flushed()
            publisher.close()
            await task
            listed = await list_elections(url)
            assert [e["id"] for e in listed] == [election]
            assert listed[0]["last"] == len(events)
            json.dumps(summary(hub.elections[election].count.snapshot()))  # the page's row
            for size in SIZES:
                watch = f"{url}/elections/{election}"
                app = WatchDashboard(watch, Watcher(watch, wait=FAST))
                with viewer_at(VIEWERS[size]):
                    async with app.run_test(size=size) as pilot:
                        await until(pilot, lambda: app.live.count.last_seq == len(events))
                        still_running(app)
                        assert title_of(events) in screen_text(app)

    asyncio.run(show())
