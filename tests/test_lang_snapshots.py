"""Spanish pictures (issue 19, item 5): the dashboard, its broadcast view and the report, as a Spanish reader sees them.

Every other snapshot stays English (the default). The terminal's language is
the process's (`tally.lang.set_default`, what `--lang es` or LANG=es_ES sets),
so each test here sets it and puts English back. After a deliberate change:
`pytest --snapshot-update`, then look at the new pictures before committing them.
"""

from __future__ import annotations

import pytest

from dash import replay_app
from test_snapshots import drawn_with_needle, first_events, frozen
from feeds.bundled import resolve
from feeds.files import load
from tally import lang
from tally.report import text_report


@pytest.fixture
def spanish():
    lang.set_default("es")
    yield
    lang.set_default("en")


def test_the_dashboard_in_spanish(snap_compare, tmp_path, spanish):
    """LDJ5 after 300 ballots: TODAVÍA NO SE SABE, SÍ / NO, 1.633, the needle and the last calls in Spanish."""
    app = frozen(replay_app(first_events(tmp_path, 300)))
    assert snap_compare(app, terminal_size=(120, 40), run_before=drawn_with_needle)


def test_the_broadcast_view_in_spanish(snap_compare, tmp_path, spanish):
    app = frozen(replay_app(first_events(tmp_path, 2500, "jfk8")))

    async def broadcast(pilot):
        await drawn_with_needle(pilot)
        await pilot.press("b")
        await pilot.pause(0.2)
        app.redraw()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 50), run_before=broadcast)


@pytest.mark.parametrize("name", ["ldj5", "bhm1-2022"])
def test_the_report_in_spanish(snapshot, name):
    snap = load(resolve(name)).count.snapshot()
    with lang.use("es"):
        assert text_report(snap) == snapshot


def test_the_board_in_spanish(snap_compare, tmp_path, spanish):
    """Counts mid-way and closed: the columns named in Spanish and as wide as their names, the
    likeliest outcome and its chance in Spanish words and numbers."""
    from test_board_app import board_to_end, day_board, mid_count

    paths = mid_count(["starbucks-2022-06-07", "ldj5", "jfk8"], tmp_path)
    assert snap_compare(day_board(paths), terminal_size=(120, 24), run_before=board_to_end)
