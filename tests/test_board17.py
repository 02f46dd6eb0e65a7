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


def three_board() -> ReplayBoard:
    """A paused board of the three bundled Amazon counts."""
    return ReplayBoard(BoardReplay(LiveBoard(resolve_many(THREE)), paused=True, speed=1.0), "three")


async def three_counting(app: ReplayBoard, pilot):
    """All three counting (their first 300 events), drawn: the id of the first row, and a coroutine
    function that applies the rest of that count (it ends, and sorts below the others) and draws."""
    board = app.source
    names = [Path(p).stem for p in resolve_many(THREE)]
    events = {name: replay(name) for name in names}
    for i, name in enumerate(names):
        apply(board, i, events[name][:300])
    await drawn(pilot)
    first = rows_shown(app)[0]
    i = [board.live_of(first) is live for live in board.counts].index(True)

    async def end_first() -> None:
        apply(board, i, events[names[i]][300:])
        await drawn(pilot)

    return first, end_first


async def test_the_row_under_the_cursor_holds_its_place_and_enter_opens_it():
    """The first count becomes decided under the cursor: it stays there, and Enter opens it.

    (LDJ5 once slid from the top to the bottom as it was decided; Enter opened JFK8.)
    """
    app = three_board()
    async with app.run_test(size=(100, 24)) as pilot:
        board = app.source
        first, end_first = await three_counting(app, pilot)
        await pilot.press("down", "up")  # the reader chooses it
        assert app.board_rows.highlighted_option.id == first
        await end_first()
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


async def test_until_the_reader_moves_the_cursor_stays_on_the_first_row():
    """The first row is the board's, not a choice: as the rows reorder, the cursor does not follow
    the count that happened to be first (it did, and a snapshot showed Albany or JFK8 highlighted
    depending on when the replay's first rows came)."""
    app = three_board()
    async with app.run_test(size=(100, 24)) as pilot:
        first, end_first = await three_counting(app, pilot)
        await end_first()
        assert rows_shown(app)[0] != first
        assert app.board_rows.highlighted == 0


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


async def test_a_closed_count_opened_from_a_hub_board_says_final(tmp_path, unused_tcp_port, monkeypatch):
    """FINAL, and its times on the viewer's clock as on `tally watch`: it is followed live."""
    import time as clock

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # +09:00: never LDJ5's own -04:00
    clock.tzset()
    try:
        await _closed_count_from_a_hub_board(tmp_path, unused_tcp_port)
    finally:
        monkeypatch.undo()
        clock.tzset()


async def _closed_count_from_a_hub_board(tmp_path, unused_tcp_port):
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
            last = replay("ldj5")[-1].at.astimezone().strftime("%H:%M:%S")  # Tokyo's time of day
            await until(lambda: f"last call {last}" in text(app, "#freshness"), f"last call {last}")


async def test_s_saves_the_board_and_a_count_over_it_without_a_toast(tmp_path):
    app = ReplayBoard(BoardReplay(LiveBoard(resolve_many(THREE)), paused=True, speed=1.0), "three",
                      shots=tmp_path)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:  # toasts drawn, as in a terminal
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


async def test_the_watch_picker_says_the_result_in_words_not_the_rules_key(tmp_path, unused_tcp_port):
    from feeds.watcher import list_elections
    from tui.watch_app import PickElection

    url = f"ws://127.0.0.1:{unused_tcp_port}"
    async with running_hub(tmp_path, port=unused_tcp_port):
        await publish_events(url, "ldj5", replay("ldj5"))  # no union: the rules' key is no_majority
        elections = await list_elections(url)
        assert elections[0]["outcome"] == "no_majority"
        app = PickElection(url, elections)
        async with app.run_test(size=(160, 24)) as pilot:
            await pilot.pause()
            from textual.widgets import OptionList
            line = app.query_one(OptionList).get_option_at_index(0).prompt.plain
            assert "no_majority" not in line and elections[0]["result"] in line


def test_board_cells_keep_words_whole_and_the_models_chance_text():
    from hypothesis import given, settings, strategies as st

    from tally.present import fit_words, lead_cell

    assert lead_cell("Teamsters Local 1 +5", 8) == "TL1 +5"  # never "Tea +5"
    assert fit_words("runoff", "93.2 %", 14) == "runoff 93.2 %"  # never "RUNOF 93%"
    assert fit_words("runoff", "93.2 %", 10) == "93.2 %"
    assert fit_words("no union", "> 99.9 %", 20) == "no union > 99.9 %"

    words = st.lists(st.text("abcXYZ81", min_size=1, max_size=9), min_size=1, max_size=4).map(" ".join)

    @settings(derandomize=True, max_examples=300, deadline=None)
    @given(words, st.sampled_from(["> 99.9 %", "< 0.1 %", "54.2 %", "+5", "+1,234"]), st.integers(0, 30))
    def fits(label, tail, width):
        cell = fit_words(label, tail, width)
        assert cell.endswith(tail)  # the figure is never cut
        assert len(cell) <= max(width, len(tail))
        kept = cell[: -len(tail)].split()
        whole = label.split()
        initials = "".join(w[0] for w in whole)
        assert kept == whole[: len(kept)] or kept == [initials]  # whole words, or initials

    fits()


async def test_the_boards_chance_is_the_models_text_never_100_before_it_is_decided(tmp_path):
    """LDJ5 cut at ballot 802: 306–492 with 201 unopened is "> 99.9 %", not "NO 100%"."""
    from tally.present import chances, present
    from tally.odds import odds
    from feeds.files import load

    lines = (resolve_many(["ldj5"])[0]).read_text().splitlines()
    for n in range(len(lines), 0, -1):
        cut = tmp_path / "ldj5.jsonl"
        cut.write_text("\n".join(lines[:n]) + "\n")
        snap = load(cut).count.snapshot()
        if snap.handled <= 802:
            break
    assert snap.outcome.decided is False and snap.remaining
    model = present(snap, odds(snap))
    top = model.chances[0]
    assert top.text == "> 99.9 %"
    app = day_board([cut])
    async with app.run_test(size=(120, 24)) as pilot:
        await board_to_end(pilot)
        line = app.board_rows.options[0].prompt.plain
        assert "> 99.9 %" in line and "100" not in line.replace(",", "")
        assert top.label in line
    assert chances  # the model's own function made it
