"""Issue 17, the board's part: the cursor holds its count, an opened count has its needle and says
FINAL, `s` works on the board, the replay keys are defined once, the cells come from the model."""

from __future__ import annotations

from pathlib import Path

from dash import text
from feeds.board import BoardFollower, BoardReplay, LiveBoard
from feeds.bundled import resolve_many
from hubkit import FAST, replay, running_hub, until
from tally.summary import order_key
from test_board_app import board_to_end, day_board, drawn, rows_shown
from test_board_hub import publish_events
from tui.app import ReplayDashboard
from tui.board_app import CountScreen, HubBoard, ReplayBoard

THREE = ["ldj5", "jfk8", "bhm1-2022"]


def apply(board: LiveBoard, i: int, events) -> None:
    for line, event in enumerate(events, 1):
        board.apply(event, (i, line))


async def test_the_row_under_the_cursor_holds_its_place_and_enter_opens_it():
    """The first count becomes decided under the cursor: it stays there, and Enter opens it.

    (LDJ5 once slid from the top to the bottom as it was decided; Enter opened JFK8.)
    """
    paths = resolve_many(THREE)
    app = ReplayBoard(BoardReplay(LiveBoard(paths), paused=True, speed=1.0), "three")
    async with app.run_test(size=(100, 24)) as pilot:
        board = app.source
        names = [Path(p).stem for p in paths]
        events = {name: replay(name) for name in names}
        for i, name in enumerate(names):
            apply(board, i, events[name][:300])  # all three counting
        await drawn(pilot)
        first = rows_shown(app)[0]
        await pilot.press("down", "up")  # the reader chooses it
        assert app.board_rows.highlighted_option.id == first
        i = [board.live_of(first) is live for live in board.counts].index(True)
        apply(board, i, events[names[i]][300:])  # its end: it sorts below the others
        await drawn(pilot)
        assert {r["id"]: r for r in board.rows()}[first]["state"] != "counting"
        assert [r["id"] for r in sorted(board.rows(), key=order_key)].index(first) == 2
        assert rows_shown(app)[0] == first
        assert app.board_rows.highlighted_option.id == first
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
        assert app.screen.live.count.election.id == first
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, CountScreen), "back on the board")
        await pilot.press("down")  # the cursor leaves it: it goes to its own place
        board.version += 1  # the next look at the board
        await drawn(pilot)
        assert rows_shown(app)[2] == first


async def test_a_count_opened_from_the_board_has_its_needle():
    paths = resolve_many(THREE)
    app = ReplayBoard(BoardReplay(LiveBoard(paths), paused=True, speed=1.0), "three")
    async with app.run_test(size=(100, 32)) as pilot:
        apply(app.source, 1, replay("jfk8")[:400])  # counting
        await drawn(pilot)
        app.board_rows.highlighted = rows_shown(app).index("jfk8")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
        screen = app.screen
        await until(lambda: screen.needle is not None, "the needle", timeout=20)
        await until(lambda: "%" in text(app, "#needle") and "working" not in text(app, "#needle"),
                    "the needle drawn")


async def test_a_closed_count_opened_from_a_replayed_board_says_final():
    """The replay goes on for the others; the closed count's dashboard says FINAL, not COUNTING."""
    paths = resolve_many(THREE)
    app = ReplayBoard(BoardReplay(LiveBoard(paths), paused=True, speed=1.0), "three")
    async with app.run_test(size=(100, 32)) as pilot:
        board = app.source
        board.set_feed("counting", "", 100.0)
        apply(board, 0, replay("ldj5"))
        apply(board, 1, replay("jfk8")[:300])
        await drawn(pilot)
        app.board_rows.highlighted = rows_shown(app).index("ldj5")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
        await until(lambda: "FINAL" in text(app, "#header"), "FINAL in the header")
        assert "COUNTING" not in text(app, "#header")
        board.set_feed("paused", "", 100.0)  # the replay's keys do not make it counting again
        await pilot.pause(0.3)
        assert "FINAL" in text(app, "#header") and "PAUSED" not in text(app, "#header")


async def test_a_closed_count_opened_from_a_hub_board_says_final(tmp_path, unused_tcp_port):
    url = f"ws://127.0.0.1:{unused_tcp_port}"
    async with running_hub(tmp_path, port=unused_tcp_port):
        await publish_events(url, "ldj5", replay("ldj5"))
        follower = BoardFollower(url, wait=FAST)
        app = HubBoard(follower, {"wait": FAST})
        async with app.run_test(size=(100, 32)) as pilot:
            await until(lambda: "ldj5" in follower.summaries, "ldj5")
            await drawn(pilot)
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
            await until(lambda: "FINAL" in text(app, "#header"), "FINAL in the header")
            assert "LIVE" not in text(app, "#header")


async def test_s_saves_the_board_and_a_count_over_it_without_a_toast(tmp_path):
    app = ReplayBoard(BoardReplay(LiveBoard(resolve_many(THREE)), paused=True, speed=1.0), "three",
                      shots=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await board_to_end(pilot)
        await pilot.press("s")
        await until(lambda: (tmp_path / "tally-board.svg").exists(), "the board's picture")
        await pilot.pause(0.2)
        await pilot.press("s")  # the first one's "Saved" toast is on screen now
        await until(lambda: (tmp_path / "tally-board-2.svg").exists(), "the second picture")
        assert "Saved" not in (tmp_path / "tally-board-2.svg").read_text()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CountScreen), "the count screen")
        await pilot.pause(0.3)
        await pilot.press("s")
        await until(lambda: any(p.name.endswith("-ballot-" + p.name.split("-ballot-")[-1])
                                and "-ballot-" in p.name for p in tmp_path.iterdir()), "the count's picture")


async def test_the_palettes_screenshot_saves_on_the_board_and_says_why_not(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    app = ReplayBoard(BoardReplay(LiveBoard(resolve_many(THREE)), paused=True, speed=1.0), "three",
                      shots=blocked)
    async with app.run_test(size=(100, 32)) as pilot:
        await board_to_end(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Screenshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(lambda: any("not saved" in str(n.message) for n in app._notifications),
                    "a toast that says why")
        said = next(str(n.message) for n in app._notifications if "not saved" in str(n.message))
        assert str(blocked) in said


def test_the_replay_keys_are_defined_once():
    from tui.board_app import ReplayBoard as Board
    for action in ("pause", "faster", "slower", "to_end", "restart"):
        assert getattr(Board, f"action_{action}") is getattr(ReplayDashboard, f"action_{action}")
    keys = lambda cls: {(b.key, b.action, b.description) for b in cls.BINDINGS if b.action != "open_highlighted"}  # noqa: E731
    assert keys(Board) == keys(ReplayDashboard)
