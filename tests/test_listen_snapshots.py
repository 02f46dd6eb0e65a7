"""A screenshot of `tally listen`'s screen: a call held above the entry line, listening stopped.

Nothing on screen reads the wall clock: the listening's start (the audio clock's zero) and the
app's clock are frozen, times are shown in UTC, and the journal is named relative to the test's
own directory.
"""

import time
from datetime import datetime, timezone

from dash import needle_ready, until
from test_listen import listen_app

NOW = datetime(2022, 5, 2, 17, 30, tzinfo=timezone.utc)


def test_a_held_call_and_the_listening_line(snap_compare, clips, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("tui.count_app.now", lambda: NOW)
    app = listen_app("j.jsonl", clips["held"], title="Test count", ballots=100)
    app.started = NOW
    app.now = lambda: NOW

    async def heard(pilot):
        await until(pilot, lambda: app.stopped is not None, timeout=60)
        await needle_ready(pilot)

    try:
        assert snap_compare(app, terminal_size=(120, 40), run_before=heard)
    finally:
        time.tzset()
