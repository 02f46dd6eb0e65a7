"""Screenshots of `tally count --serve` (issue 19): the page's address above the entry line, and its QR
code on `w`, at 80×24 (the smallest terminal it must fit).

The hub is real (its own loopback port, which changes every run); only the address shown is fixed
here, to a port that does not change, so that the picture does. The clock is frozen as in
tests/test_count18_snapshots.py.
"""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from dash import frozen_count_clock, needle_ready, until
from feeds.counting import open_count
from feeds.serving import open_served
from hubkit import FAST
from tui.cli import count_publisher
from tui.count_app import CountDashboard
from tui.widgets.serving import QrScreen

NOW = datetime(2022, 5, 2, 17, 30, tzinfo=timezone.utc)
PAGE = "http://127.0.0.1:8765/e/ldj5"


@pytest.fixture
def served_count(tmp_path, monkeypatch):
    """A count of 20 ballots of 1,000, serving its page."""
    frozen_count_clock(monkeypatch, tmp_path, NOW)
    start = NOW - timedelta(minutes=10)
    events = [{"seq": 1, "type": "election", "id": "ldj5", "title": "Amazon LDJ5", "ballots": 1000,
               "union": "Amazon Labor Union"}]
    for choice in "yn" * 8 + "yyyy":
        events.append({"seq": len(events) + 1, "type": "ballot", "choice": {"y": "yes", "n": "no"}[choice]})
    for i, event in enumerate(events):
        event["at"] = (start + timedelta(seconds=20 * i)).isoformat().replace("+00:00", "Z")
    (tmp_path / "j.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    served = open_served("j.jsonl", "127.0.0.1:0")
    opened = open_count("j.jsonl", {})
    publisher = count_publisher(opened, served, wait=FAST)
    served.show("ldj5")
    served.page = PAGE
    app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher, served=served)
    app.now = lambda: NOW
    yield app
    opened.journal.close()
    time.tzset()


async def published(pilot) -> None:
    await until(pilot, lambda: pilot.app.publisher.link.seq == 21)
    await needle_ready(pilot)


def test_the_address_above_the_entry_line(snap_compare, served_count):
    assert snap_compare(served_count, terminal_size=(80, 24), run_before=published)


def test_the_qr_code(snap_compare, served_count):
    async def qr(pilot):
        await published(pilot)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(pilot.app.screen, QrScreen))

    assert snap_compare(served_count, terminal_size=(80, 24), run_before=qr)
