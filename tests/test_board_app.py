"""`tally board` on screen: recorded counts in step, and a hub's /board (Pilot and snapshots)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dash import ROOT, text
from feeds.board import BoardFollower, BoardReplay, LiveBoard, merged
from feeds.bundled import resolve_many
from feeds.files import load
from hubkit import FAST, replay, running_hub, until
from tally.report import json_report
from tally.summary import order_key, summary
from test_board_hub import publish_events
from tui.board_app import CountScreen, HubBoard, ReplayBoard
from tui.cli import main

DAY = "starbucks-2022-06-07"
CSV = ROOT.parent / "shared" / "data" / "starbucks-tallies.csv"


def day_board(paths: list[Path] | None = None, **kw) -> ReplayBoard:
    kw.setdefault("paused", True)
    kw.setdefault("speed", 1.0)
    paths = paths or resolve_many([DAY])
    return ReplayBoard(BoardReplay(LiveBoard(paths), **kw), "test board")


async def drawn(pilot) -> None:
    """Wait until the board shows the latest state of its source."""
    app = pilot.app
    await until(lambda: app._drawn == app.source.version, "the board drawn")
    await pilot.pause()


async def board_to_end(pilot) -> None:
    await until(lambda: len(pilot.app.source.rows()) > 0 or pilot.app.replay.paused, "started")
    await pilot.press("end")
    await until(lambda: pilot.app.replay.done, "the replay's end")
    await drawn(pilot)


def rows_shown(app) -> list[str]:
    return [str(o.id) for o in app.board_rows.options]


def test_the_day_is_the_fourteen_tallies_of_the_csv():
    paths = resolve_many([DAY])
    assert len(paths) == 14
    with open(CSV, newline="") as f:
        board = {r["case"].lower(): r for r in csv.DictReader(f) if r["tally_date"] == "2022-06-07"}
    for path in paths:
        snap = load(path).count.snapshot()
        row = board[snap.election.id]
        number = lambda k: int(row[k]) if row[k].strip() else 0  # noqa: E731
        assert snap.votes == (number("yes"), number("no"))
        assert (snap.void, snap.challenged) == (number("void"), number("challenged"))
        assert snap.election.eligible == number("eligible") and snap.closed
        assert "reconstructed" in snap.election.title
    first_notes = {load(p).count.snapshot().election.id: p.read_text().splitlines()[1] for p in paths}
    assert all("reconstructed" in line for line in first_notes.values())
    assert "includes the challenged" in (paths[-1].read_text().splitlines()[-1])  # Portland's quirk


def test_files_are_merged_in_step_by_their_stamps():
    paths = resolve_many([DAY])
    stamps = [item.at for _, item in merged(paths)]
    assert stamps == sorted(stamps)
    assert {where[0] for where, _ in merged(paths)} == set(range(14))


async def test_the_day_plays_to_the_official_totals_in_a_stable_order():
    app = day_board()
    async with app.run_test(size=(80, 24)) as pilot:
        await board_to_end(pilot)
        ids = rows_shown(app)
        assert len(ids) == 14
        rows = app.source.rows()
        assert ids == [r["id"] for r in sorted(rows, key=order_key)]
        for path, live in zip(app.source.paths, app.source.counts):
            assert summary(live.count.snapshot()) == summary(load(path).count.snapshot())
        assert {r["state"] for r in rows} == {"final"}
        assert "14 counts, 0 counting" in text(app, "#board-status")
        await pilot.press("home")  # restart: rows go, then come back
        await until(lambda: not app.replay.done, "restarted")


async def test_enter_opens_a_count_on_the_dashboard_and_escape_comes_back():
    app = day_board()
    async with app.run_test(size=(100, 32)) as pilot:
        await board_to_end(pilot)
        await pilot.press("down", "enter")
        await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
        screen = app.screen
        chosen = rows_shown(app)[1]
        assert screen.live.count.election.id == chosen
        await pilot.pause(0.2)
        assert "OUTCOME DECIDED" in str(screen.query_one("#banner #headline").visual)
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, CountScreen), "back on the board")
        assert app.board_rows.highlighted_option.id == chosen


async def test_counting_rows_come_first_and_show_a_chance(tmp_path):
    paths = []
    for path in resolve_many([DAY])[:6]:
        lines = path.read_text().splitlines()
        cut = tmp_path / path.name
        cut.write_text("\n".join(lines[: len(lines) // 2 if "290313" in path.name else len(lines)]) + "\n")
        paths.append(cut)
    app = day_board(paths)
    async with app.run_test(size=(80, 24)) as pilot:
        await board_to_end(pilot)
        ids = rows_shown(app)
        assert ids[0] == "07-rc-290313"
        row = app.source.rows()[[r["id"] for r in app.source.rows()].index("07-rc-290313")]
        assert row["state"] == "counting" and row["chances"]
        assert "%" in app.board_rows.options[0].prompt.plain


async def test_a_hub_board_follows_every_election_and_opens_one_live(tmp_path, unused_tcp_port):
    ldj5, jfk8 = replay("ldj5"), replay("jfk8", 100)
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    async with running_hub(tmp_path, port=unused_tcp_port):
        await publish_events(url, "ldj5", ldj5[:300])
        await publish_events(url, "jfk8", jfk8)
        follower = BoardFollower(url, wait=FAST)
        app = HubBoard(follower, {"wait": FAST})
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: len(follower.summaries) == 2, "both elections")
            await drawn(pilot)
            assert rows_shown(app) == ["jfk8", "ldj5"]
            assert "LIVE" in text(app, "#board-status")
            await publish_events(url, "ldj5", ldj5)
            await until(lambda: follower.summaries["ldj5"]["last_seq"] == len(ldj5), "ldj5's end")
            await drawn(pilot)
            assert rows_shown(app) == ["jfk8", "ldj5"]  # jfk8 counting, ldj5 final
            assert "FINAL" in app.board_rows.options[1].prompt.plain
            await pilot.press("down", "enter")
            await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
            screen = app.screen
            await until(lambda: screen.live.count.last_seq == len(ldj5), "ldj5 on the dashboard")
            assert json_report(screen.live.count.snapshot()) == json_report(
                load(tmp_path / "ldj5.jsonl").count.snapshot())
            await pilot.press("escape")
            await until(lambda: not isinstance(app.screen, CountScreen), "back on the board")
            assert screen.watcher.link.state == "closed"


async def test_a_hub_board_says_reconnecting_and_comes_back(tmp_path, unused_tcp_port):
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    follower = BoardFollower(url, wait=FAST)
    app = HubBoard(follower)
    async with app.run_test(size=(80, 24)) as pilot:
        async with running_hub(tmp_path, port=unused_tcp_port):
            await publish_events(url, "ldj5", replay("ldj5", 100))
            await until(lambda: "ldj5" in follower.summaries, "ldj5")
        await until(lambda: follower.link.state == "reconnecting" and follower.link.attempt >= 2,
                    "reconnecting")
        await drawn(pilot)
        assert "RECONNECTING" in text(app, "#board-status")
        assert rows_shown(app) == ["ldj5"]  # what it had stays on screen
        async with running_hub(tmp_path, port=unused_tcp_port):
            await publish_events(url, "ldj5", replay("ldj5", 200))
            await until(lambda: follower.summaries["ldj5"]["last_seq"] == 200, "caught up")
            await drawn(pilot)
            assert "LIVE" in text(app, "#board-status")


def test_board_refuses_bad_input_in_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["board", str(bad), "ldj5"]) == 2
    assert main(["board", "ws://127.0.0.1:1", "ldj5"]) == 2
    assert main(["board", "ws://127.0.0.1:1/elections/x"]) == 2
    assert main(["board", "ldj5", "--speed", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert all(line.startswith("tally: ") for line in err.splitlines())


# -- pictures ---------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_board_of_the_day(snap_compare, size):
    assert snap_compare(day_board(), terminal_size=size, run_before=board_to_end)


def mid_count(names: list[str], tmp_path) -> list:
    """The bundled counts `names`, copied into tmp_path, those of 7 June and LDJ5 and JFK8 cut to
    their first two thirds (still counting), the others whole."""
    paths = []
    for path in resolve_many(names):
        lines = path.read_text().splitlines()
        cut = tmp_path / path.name
        keep = len(lines) * 2 // 3 if path.name.startswith(("07-", "ldj5", "jfk8")) else len(lines)
        cut.write_text("\n".join(lines[:keep]) + "\n")
        paths.append(cut)
    return paths


def test_board_mid_count_and_scrolling(snap_compare, tmp_path):
    """Seventeen counts at 80×24 (it scrolls), some still counting."""
    paths = mid_count([DAY, "ldj5", "jfk8", "bhm1-2022"], tmp_path)
    assert snap_compare(day_board(paths), terminal_size=(80, 24), run_before=board_to_end)


def test_count_opened_from_the_board(snap_compare):
    async def open_one(pilot):
        await board_to_end(pilot)
        await pilot.press("enter")
        await until(lambda: isinstance(pilot.app.screen, CountScreen), "the count screen")
        await pilot.pause(0.3)

    assert snap_compare(day_board(), terminal_size=(100, 32), run_before=open_one)


async def test_titles_and_choices_are_shown_literally(tmp_path):
    path = tmp_path / "markup.jsonl"
    path.write_text("\n".join([
        '{"seq":1,"type":"election","id":"markup","title":"[bold red]x[/] \\u001b[2J <b>",'
        '"choices":["[u]A[/u]","Neither"],"ballots":3}',
        '{"seq":2,"type":"ballot","choice":"[u]A[/u]"}']) + "\n")
    app = day_board([path])
    async with app.run_test(size=(100, 24)) as pilot:
        await board_to_end(pilot)
        line = app.board_rows.options[0].prompt.plain
        assert "[bold red]x[/] ␛[2J <b>" in line
        assert "[u]A" in line  # the lead names the choice as written
