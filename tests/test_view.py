"""Issue 10 on screen: the needle, the broadcast view, freshness, and what a new user saw (Pilot)."""

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from counts import ballots, header, pile, write
from dash import FakeWatcher, ROOT, needle_ready, replay_app, text, to_end, until
from hubkit import replay as events_of
from tally.timeline import margin_of
from tui.broadcast import BroadcastScreen
from tui.widgets.big_number import BigNumber
from tui.widgets.history import MarginBars, MarginChart
from tui.watch_app import WatchDashboard

T0 = datetime(2022, 5, 2, 17, 0, tzinfo=timezone.utc)


def signed(lead: str) -> int:
    """'NO +241' → -241, 'YES +1' → 1, 'tied' → 0: the chart label's words as a yes − no margin."""
    if lead == "tied":
        return 0
    side, n = lead.split(" +")
    return int(n.replace(",", "")) * (1 if side == "YES" else -1)


def handled(app) -> int:
    return app.live.count.last_seq


async def step_to(pilot, seq: int) -> None:
    """Step the paused replay to ballot `seq`: the steps asked for at once (`Replay.step`, what
    `right` does; tests of the key press it), then one frame. Waiting for a frame after each of
    260 steps made one test take 2.5 minutes."""
    app = pilot.app
    await until(pilot, lambda: handled(app) >= 1)
    while handled(app) < seq:
        for _ in range(seq - handled(app) - app.replay._steps):  # an event is one ballot at most
            app.replay.step()
        await until(pilot, lambda: app.replay._steps == 0)
    await until(pilot, lambda: handled(app) == seq)


# -- the needle -----------------------------------------------------------------

async def test_the_needle_gives_three_chances_and_each_sides_likely_finish():
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, 120)
        await needle_ready(pilot)
        words = text(app, "#needle")
        # likeliest first (issue 17): no union leads at ballot 120
        assert "Chance (exact): no union" in words and "union wins" in words and "challenges decide" in words
        assert "YES will finish between" in words and "(80 %)" in words and "NO between" in words
        assert app.needle.history  # the chart of the chance has points


async def test_without_the_total_cast_the_needle_says_why_not(tmp_path):
    f = write(tmp_path / "open.jsonl", header(), *ballots("yes", "no", "yes"))
    app = replay_app(f)
    async with app.run_test() as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        assert "No chance given: the total ballots cast is not known" in text(app, "#needle")
        assert not app.query_one("#chance").display


async def test_a_multi_choice_needle_says_approximate(tmp_path):
    f = write(tmp_path / "three.jsonl", header(choices=["Union A", "Union B", "Neither"], ballots=60),
              pile("Union A", 10), pile("Union B", 8), pile("Neither", 6))
    app = replay_app(f)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        words = text(app, "#needle")
        assert "Chance (approximate, simulated): " in words and "Union A wins" in words and "runoff" in words


async def test_the_needle_is_worked_out_off_the_screens_thread_once_per_state():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await step_to(pilot, 50)
        await needle_ready(pilot)
        first = app.needle
        await pilot.pause(0.3)
        assert app.needle is first  # the count did not move: no new needle
        assert not [w for w in app.workers if w.name == "needle" and w.is_running]


# -- the broadcast view -----------------------------------------------------------

@pytest.mark.parametrize("size,rows", [((80, 24), 3), ((160, 50), 7)])
async def test_b_shows_the_broadcast_view_with_digits_that_grow(size, rows):
    app = replay_app("jfk8")
    async with app.run_test(size=size) as pilot:
        await to_end(pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BroadcastScreen))
        await pilot.pause(0.2)
        numbers = list(app.screen.query(BigNumber))
        assert [n.value for n in numbers] == ["2,654", "2,131"]
        assert all(n.rows >= rows for n in numbers), [n.rows for n in numbers]
        assert "OUTCOME DECIDED" in text(app, "#banner") and "Chance" in text(app, "#needle")
        assert "Margin: YES leads by 523" in text(app, "#margin")
        await pilot.press("b")
        await until(pilot, lambda: not isinstance(app.screen, BroadcastScreen))


# -- saving the screen --------------------------------------------------------------

async def test_s_saves_an_svg_named_by_election_and_ballot(tmp_path):
    app = replay_app("ldj5")
    app.shots = tmp_path / "shots"
    async with app.run_test() as pilot:
        await step_to(pilot, 40)
        await pilot.press("s")
        await until(pilot, lambda: (tmp_path / "shots" / "ldj5-ballot-0038.svg").exists())
        said = [n.message for n in app._notifications]
        assert any(str(tmp_path / "shots" / "ldj5-ballot-0038.svg") in m for m in said)
        await pilot.press("s")  # the same moment again: a new file, never overwritten
        await until(pilot, lambda: (tmp_path / "shots" / "ldj5-ballot-0038-2.svg").exists())


async def test_the_palette_screenshot_saves_without_a_downloads_folder(tmp_path, monkeypatch):
    home = tmp_path / "home"  # no ~/Downloads: Textual's own screenshot would fail
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "Downloads"))
    monkeypatch.chdir(tmp_path)
    app = replay_app("ldj5")
    app.shots = Path.cwd()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: handled(app) >= 1)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: list(tmp_path.glob("*.svg")), timeout=5)
    assert not (home / "Downloads").exists()


# -- freshness ------------------------------------------------------------------------

async def test_freshness_says_the_last_call_the_pace_and_the_trend():
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, 150)
        words = text(app, "#freshness")
        assert "last call 13:" in words and "/min" in words and "to go" in words
        stretch = re.search(r"ballots #([\d,]+)–([\d,]+): YES \d+ %, overall \d+ %", words)
        assert stretch, words
        first, last = (int(n.replace(",", "")) for n in stretch.groups())
        assert last == app.live.count.opened + app.live.count.challenged  # up to the newest ballot
        assert last - first + 1 >= 100  # a stretch named by its ballot numbers, never "last 101 ballots"


async def test_a_disconnected_watcher_dims_and_counts_up_the_last_update(monkeypatch):
    monkeypatch.setattr(WatchDashboard, "STALE_TICK", 0.05)
    clock = [T0]
    fake = FakeWatcher(events_of("ldj5", 200))
    app = WatchDashboard("ws://hub/elections/ldj5", fake)
    app.now = lambda: clock[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: fake.delivered.is_set() and app.live.feed.state == "reconnecting")
        assert "LIVE" not in text(app, "#feed-status")
        clock[0] = T0 + timedelta(seconds=40)
        await until(pilot, lambda: "last update 40 s ago" in text(app, "#freshness"))
        assert app.screen.has_class("-stale")
        clock[0] = T0 + timedelta(seconds=41)
        await until(pilot, lambda: "last update 41 s ago" in text(app, "#freshness"))


async def test_a_watcher_says_final_for_a_closed_count_and_live_while_open():
    fake = FakeWatcher(events_of("ldj5"), drop=False)
    app = WatchDashboard("ws://hub/elections/ldj5", fake)
    async with app.run_test() as pilot:
        await until(pilot, lambda: fake.delivered.is_set())
        await until(pilot, lambda: "FINAL" in text(app, "#feed-status"))
        assert "LIVE" not in text(app, "#feed-status") and not app.screen.has_class("-stale")


# -- what a new user saw ------------------------------------------------------------------

async def test_u_takes_the_retracted_entry_out_of_the_chart_and_its_range(tmp_path):
    from test_count import count_app, press

    app = count_app(tmp_path / "j.jsonl", title="Test", ballots=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "n", "n", "n")
        assert "NO +2 to YES +1" in text(app, "#chart")
        await press(pilot, "u")
        await until(pilot, lambda: "NO +1 to YES +1" in text(app, "#chart"))
        assert [p.margin for p in app.query_one(MarginBars).points][-2:] == [0, -1]


async def test_the_range_label_always_includes_the_headline_margin():
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await step_to(pilot, 260)  # the chart keeps every ballot until 256: now every other one
        for _ in range(12):
            await pilot.press("right")
            await until(pilot, lambda: app.replay._steps == 0)
            await until(pilot, lambda: app._drawn == app.live.version)
            label = text(app, "#chart")
            low, high = (signed(x) for x in label.split(": ")[1].split(" (")[0].split(" to "))
            assert low <= margin_of(app.live.count.votes) <= high, label


async def test_the_charts_fill_the_height_at_160_by_50():
    app = replay_app("ldj5")
    async with app.run_test(size=(160, 50)) as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        stats, charts = app.query_one("#stats"), app.query_one("#charts")
        assert charts.region.bottom == stats.region.bottom
        assert app.query_one(MarginBars).region.height >= 10


async def test_a_multi_choice_chart_draws_each_choices_share_in_its_colour(tmp_path):
    f = write(tmp_path / "three.jsonl", header(choices=["Union A", "Union B", "Neither"], ballots=30),
              *ballots(*["Union A", "Union B", "Neither", "Union A"] * 5))
    app = replay_app(f)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        assert "Share of valid votes through the count" in text(app, "#chart")
        bars = app.query_one(MarginBars)
        assert bars.shares == 3
        colours = {seg.style.color for seg in bars.render().render(app.console) if seg.text.strip()}
        assert len(colours) == 3


async def test_the_ticker_numbers_ballots_not_events():
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        ticker = text(app, "#ticker")
        assert "#1,000 YES" in ticker and "#1,004" not in ticker and "#1004" not in ticker
        assert "BOARD: Official tally: 380 for, 618 against, 2 void, 0 challenged." in ticker


async def test_the_header_keeps_the_reconstruction_mark_whole_at_80_columns():
    app = replay_app("ldj5")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: handled(app) >= 1)
        place = app.query_one("#place")
        assert str(place.visual).startswith("⚠ ballot order reconstructed")
        assert place.region.width >= len("⚠ ballot order reconstructed · ")
        assert text(app, "#title") == "Amazon LDJ5, Staten Island"


async def test_reconnecting_keeps_to_one_line_each_at_80_columns():
    fake = FakeWatcher(events_of("ldj5", 50))
    app = WatchDashboard("ws://hub/elections/ldj5", fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.live.feed.state == "reconnecting")
        await until(pilot, lambda: app._drawn == app.live.version)
        for line in app.query("#feed-status Readout"):
            assert line.region.height == 1
        assert app.query_one("#header").region.height == 2
        assert "RECONNECTING" in text(app, "#feed-status")


async def test_the_count_footer_keeps_its_keys_at_80_columns(tmp_path):
    from test_count import count_app

    app = count_app(tmp_path / "j.jsonl", title="Test", ballots=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        width = app.screen.size.width
        shown = {k.key_display for k in app.query(FooterKey) if k.region.right <= width}
        assert {"y", "n", "v", "c", "u", "!", "x", "b", "s", "q"} <= shown


async def test_a_choice_with_the_letter_b_keeps_it_and_the_view_moves_to_shift_b(tmp_path):
    from test_count import count_app, press

    app = count_app(tmp_path / "j.jsonl", title="Test", choices=["Union A", "Union B", "Neither"])
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "b")
        assert app.live.count.snapshot().votes == (0, 1, 0)
        await pilot.press("B")
        await until(pilot, lambda: isinstance(app.screen, BroadcastScreen))
