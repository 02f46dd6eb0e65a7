"""`tally count --check NAME` typed by keys (Pilot), publishing to a real hub process (issue 18).

Apart from tests/test_checks.py: that module's browser (Playwright's sync API)
runs an event loop of its own, which an async test in the same module would meet.
"""

from __future__ import annotations

import json

from counts import write
from dash import text, until
from feeds.counting import open_count
from feeds.publishing import CountPublisher
from hubkit import FAST, TOKEN
from test_checks import AGREE, DIFFER, MAIN, hub, listed, publish  # noqa: F401 - hub is a fixture
from tui.count_app import CountDashboard


async def test_a_check_counter_typing_keys_sees_the_line_on_its_own_screen(tmp_path, hub):
    """`tally count --check b` as the counter runs it: keys, the hub, the line on the counter's screen."""
    assert publish(hub, write(tmp_path / "main.jsonl", *MAIN))[0] == 0
    opened = open_count(tmp_path / "b.jsonl", {"id": "test", "title": "Test count",
                                                "union": "Test Union", "ballots": 900})
    publisher = CountPublisher(opened.events, hub.url, TOKEN, live=opened.live, check="b", wait=FAST)
    app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher)
    async with app.run_test(size=(120, 40)) as pilot:
        for keys in ("200y", "212n", "y", "399n"):  # ballot 413 mistyped YES
            for key in keys:
                await pilot.press(key)
        await until(pilot, lambda: DIFFER in text(app, "#verification"), timeout=20)
        assert app.screen.query_one("#verification").has_class("-differs")
        for key in ("4", "1", "3", "equals_sign", "n"):  # 413=n: ballot #413 corrected in place, by keys
            await pilot.press(key)
        await until(pilot, lambda: text(app, "#verification") == AGREE, timeout=20)
        assert app.screen.query_one("#verification").has_class("-verified")
    opened.journal.close()
    assert listed(hub)["test"]["checks"] == [{"counter": "b", "agree": True, "at": 812}]
    journal = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert {k: journal[-1][k] for k in ("type", "target", "choice")} == {"type": "correct", "target": 4, "choice": "no"}
    assert journal[3]["choice"] == "yes"  # what was typed stays in the journal beside its correction


def test_the_counters_own_screen_names_their_count_you(tmp_path):
    """`tally count`'s model says "you" beside the Board's figures; a watcher's says "count"."""
    from datetime import datetime, timezone

    from feeds.live import presented

    board = {"type": "checkpoint", "votes": {"yes": 201, "no": 212}}
    path = write(tmp_path / "a.jsonl", *MAIN[:3], board)
    opened = open_count(path, {})
    try:
        line = presented(opened.live.view(), None, datetime.now(timezone.utc)).presentation.verification
    finally:
        opened.journal.close()
    assert line == ("one counter · ✗ differs from the Board's subtotal at ballot 412 "
                    "(Board: YES 201 · you 200)")
