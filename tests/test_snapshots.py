"""Screenshots of the dashboard (pytest-textual-snapshot): banners, the needle, the broadcast view, a stale watcher.

Nothing on screen reads the wall clock: the replay paces by the events' own
stamps and is driven here with `end` or `→`, the app's clock (`app.now`) is
frozen, the needle is waited for (worked out in full) before the picture, and
no widget blinks. After a deliberate change: `pytest --snapshot-update`, then
look at the new pictures before committing them.
"""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dash import ROOT, FakeWatcher, needle_ready, replay_app, to_end, until
from hubkit import replay as events_of
from tui.watch_app import WatchDashboard

NOW = datetime(2022, 5, 2, 17, 30, tzinfo=timezone.utc)


def first_events(tmp_path: Path, n: int, name: str = "ldj5") -> Path:
    """The first n events of a bundled count."""
    lines = (ROOT / "replays" / f"{name}.jsonl").read_text().splitlines()[:n]
    path = tmp_path / f"{name}-first-{n}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def frozen(app):
    app.now = lambda: NOW
    return app


async def drawn_with_needle(pilot) -> None:
    await to_end(pilot)
    await needle_ready(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("state", ["early", "decided", "pending"])
def test_banner_states(snap_compare, tmp_path, state, size):
    source = {"early": first_events(tmp_path, 300), "decided": "ldj5", "pending": "bhm1-2022"}[state]
    assert snap_compare(frozen(replay_app(source)), terminal_size=size, run_before=drawn_with_needle)


@pytest.mark.parametrize("moment", ["early", "late", "decided"])
def test_the_needle(snap_compare, tmp_path, moment):
    """LDJ5 after 150 ballots (open), after 700 (no union all but certain), JFK8 at the end (decided)."""
    source = {"early": first_events(tmp_path, 152), "late": first_events(tmp_path, 702),
              "decided": "jfk8"}[moment]
    assert snap_compare(frozen(replay_app(source)), terminal_size=(120, 40), run_before=drawn_with_needle)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"], ids=["dark", "light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 50), (240, 67)],
                         ids=["80x24", "120x40", "160x50", "240x67"])
def test_the_broadcast_view(snap_compare, tmp_path, size, theme):
    """The projector view (issue 17): names on their digits, a rule between the sides, the union, the last call."""
    app = frozen(replay_app(first_events(tmp_path, 2500, "jfk8")))

    async def broadcast(pilot):
        app.theme = theme
        await drawn_with_needle(pilot)
        await pilot.press("b")
        await pilot.pause(0.2)
        app.redraw()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=broadcast)


def test_a_disconnected_watcher(snap_compare):
    """The link dropped 40 s ago: RECONNECTING, the numbers dimmed, 'last update 40 s ago'."""
    clock = [NOW]
    fake = FakeWatcher(events_of("ldj5", 600))
    app = WatchDashboard("ws://hub/elections/ldj5", fake)
    app.now = lambda: clock[0]
    app.LOCAL_TIMES = False  # the stamps' own clock: the same picture in every time zone

    async def dropped(pilot):
        await until(pilot, lambda: fake.delivered.is_set() and app.live.feed.state == "reconnecting")
        await needle_ready(pilot)
        clock[0] = NOW + timedelta(seconds=40)
        app.redraw()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=dropped)
