"""Screenshots of `tally count` checked against the Board (issue 18): the Board's form, and the line
that names a disagreement, at 80×24 and 120×40.

Nothing on screen reads the wall clock: the journal's stamps are fixed, entries typed here are
stamped by a frozen `tui.count_app.now`, the app's clock is frozen, times are shown in UTC, and the
journal is named relative to the test's own directory (the entry line shows its path).
"""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from dash import frozen_count_clock, needle_ready, until
from feeds.counting import open_count
from tui.count_app import CountDashboard
from tui.widgets.count_forms import CheckpointForm

NOW = datetime(2022, 5, 2, 17, 30, tzinfo=timezone.utc)
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def count_screen(tmp_path, monkeypatch):
    """A count of 60 ballots (YES 35, NO 24, 1 void) of 1,000, and the Board's figures if given."""
    frozen_count_clock(monkeypatch, tmp_path, NOW)

    def make(*more: dict) -> CountDashboard:
        start = NOW - timedelta(minutes=30)
        events = [{"seq": 1, "type": "election", "id": "ldj5", "title": "Amazon LDJ5", "choices": ["yes", "no"],
                   "ballots": 1000, "union": "Amazon Labor Union"}]
        for i, choice in enumerate("yn" * 24 + "y" * 11 + "v"):
            events.append({"seq": len(events) + 1, "type": "ballot", "count": 1,
                           "choice": {"y": "yes", "n": "no", "v": "void"}[choice]})
        for extra in more:
            events.append({"seq": len(events) + 1, **extra})
        for i, event in enumerate(events):
            event["at"] = (start + timedelta(seconds=20 * i)).isoformat().replace("+00:00", "Z")
        (tmp_path / "j.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
        opened = open_count("j.jsonl", {})
        app = CountDashboard(opened.journal, opened.live, opened.repaired)
        app.now = lambda: NOW
        return app

    yield make
    time.tzset()


async def drawn(pilot) -> None:
    await until(pilot, lambda: pilot.app._view is not None)
    await needle_ready(pilot)


@SIZES
def test_the_boards_form(snap_compare, count_screen, size):
    async def form(pilot):
        await drawn(pilot)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(pilot.app.screen, CheckpointForm))
        await pilot.press(*"35", "tab", *"25")
        await pilot.pause()

    assert snap_compare(count_screen(), terminal_size=size, run_before=form)


@SIZES
def test_a_disagreement_with_the_board(snap_compare, count_screen, size):
    board = {"type": "checkpoint", "votes": {"yes": 34, "no": 25}, "void": 1, "text": "YES 34, NO 25, 1 void"}
    assert snap_compare(count_screen(board), terminal_size=size, run_before=drawn)
