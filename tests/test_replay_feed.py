"""The replay feed without a screen: pacing, pauses in the count, bounded memory."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from counts import header, write
from feeds import replay as replay_mod
from feeds.live import LiveCount
from feeds.replay import Replay, count_seconds, fit_speed, gaps_of, human_duration, wait_for
from tally.timeline import CHART_POINTS, SAMPLES, TICKER_LINES, Timeline, margin_of
from counts import count_of, pile

T0 = datetime(2022, 3, 31, 17, 0, tzinfo=timezone.utc)


def test_wait_follows_the_stamps_divided_by_the_speed():
    assert wait_for(10, 10).seconds == 1.0 and wait_for(10, 10).pause == ""
    assert count_seconds(T0, T0 + timedelta(seconds=6)) == 6
    assert count_seconds(None, T0) == replay_mod.NO_STAMP


def test_long_gaps_are_shortened_and_named():
    night = wait_for(18 * 3600, 500)
    assert night.seconds == replay_mod.LONG_WAIT and night.pause == "18 h 00 min"
    slow = wait_for(8, 0.25)  # an ordinary call at a quarter speed: slow, not a pause
    assert slow.seconds == 32 and slow.pause == ""
    assert human_duration(90) == "2 min" and human_duration(3 * 3600 + 65) == "3 h 01 min"


def test_fit_speed_plays_about_a_minute():
    gaps = [5.0] * 1000 + [18 * 3600]
    speed = fit_speed(gaps)
    screen = sum(wait_for(g, speed).seconds for g in gaps)
    assert 55 <= screen <= 61


def test_bundled_ldj5_fits_in_about_a_minute():
    from feeds.bundled import resolve

    gaps = gaps_of(resolve("ldj5"))
    speed = fit_speed(gaps)
    assert 55 <= sum(wait_for(g, speed).seconds for g in gaps) <= 61


async def test_a_long_gap_shows_as_a_pause_in_the_count(tmp_path, monkeypatch):
    monkeypatch.setattr(replay_mod, "LONG_WAIT", 0.3)
    f = write(tmp_path / "night.jsonl",
              {**header(), "at": T0.isoformat()},
              {"type": "ballot", "choice": "yes", "at": (T0 + timedelta(hours=17)).isoformat()})
    live = LiveCount()
    replay = Replay(f, live, speed=1)
    task = asyncio.create_task(replay.run())
    try:
        for _ in range(200):
            if live.feed.state == "break":
                break
            await asyncio.sleep(0.01)
        assert live.feed.state == "break" and live.feed.detail == "pause in the count: 17 h 00 min"
        for _ in range(200):
            if replay.done:
                break
            await asyncio.sleep(0.01)
        assert live.count.snapshot().votes == (1, 0) and live.feed.state == "ended"
    finally:
        task.cancel()


def test_timeline_is_bounded_however_long_the_count():
    count = count_of(header())
    timeline = Timeline()
    from tally.schema import Ballot

    for seq in range(2, 100_002):
        event = Ballot(seq=seq, type="ballot", choice="yes" if seq % 3 else "no")
        count.apply(event)
        timeline.record(event, count)
    chart = timeline.chart(count)
    assert len(chart) <= CHART_POINTS and len(timeline.ticker(True)) == TICKER_LINES
    assert len(timeline.samples) <= SAMPLES and timeline.stride >= 256
    assert chart[-1].margin == margin_of(count)
    assert min(p.low for p in chart) <= min(p.margin for p in chart)


def test_the_margin_range_keeps_an_early_lead_that_the_chart_thinned_out():
    from tally.schema import Ballot, Note

    count, timeline = count_of(header()), Timeline(points=8)
    events = [Note(seq=2, type="note", text="count opens")]
    events += [Ballot(seq=seq, type="ballot", choice="yes" if seq == 3 else "no") for seq in range(3, 200)]
    for event in events:
        count.apply(event)
        timeline.record(event, count)
    chart = timeline.chart(count)
    assert max(p.margin for p in chart) < 1
    assert max(p.high for p in chart) == 1 and min(p.low for p in chart) < -180


def test_a_retraction_corrects_the_latest_chart_point():
    count = count_of(header(), pile("yes", 3))
    timeline = Timeline()
    from tally.schema import Retract

    timeline._keep(count)
    event = Retract(seq=3, type="retract", target=2)
    count.apply(event)
    timeline.record(event, count)
    assert timeline.chart(count)[-1].margin == 0
    assert timeline.ticker(True, count)[-1].text == "RETRACTED entry 2"


@pytest.mark.parametrize("speed", [0.1, 10**9])
def test_speed_is_clamped(tmp_path, speed):
    f = write(tmp_path / "c.jsonl", header())
    r = Replay(f, LiveCount(), speed=speed)
    assert replay_mod.SPEEDS[0] <= r.speed <= replay_mod.SPEEDS[1]


def test_margin_chart_rows_rise_and_hang_from_the_zero_line():
    from tui.widgets.history import chart_rows, columns

    rows = chart_rows([0, 2, 4, -3, -6], 7)
    signs = [sign for _, sign in rows]
    assert signs == [1, 1, 0, -1, -1, -1, -1]  # rows in proportion: up to +4, down to -6
    above, axis, below = rows[:2], rows[2], rows[3:]
    assert axis[0] == "─" * 5
    assert above[-1][0][2] == "█" and below[0][0][4] == "█" and below[-1][0][4] == "█"
    assert [s for _, s in chart_rows([-1, -2], 5)] == [0, -1, -1, -1, -1]  # one-sided: all below
    assert columns(tuple(range(100)), 10) == [9, 19, 29, 39, 49, 59, 69, 79, 89, 99]


@pytest.mark.parametrize("fast", [True, False], ids=["max", "paced"])
async def test_a_replay_of_a_journal_mid_write_skips_its_partial_last_line(tmp_path, fast):
    f = write(tmp_path / "mid-write.jsonl", header(), {"type": "ballot", "choice": "yes"})
    f.write_bytes(f.read_bytes() + b'{"seq":3,"type":"ballot","cho')
    live = LiveCount()
    replay = Replay(f, live, speed=1000, fast=fast)
    task = asyncio.create_task(replay.run())
    try:
        for _ in range(500):
            if replay.done:
                break
            await asyncio.sleep(0.01)
        assert replay.done
        assert live.count.snapshot().votes == (1, 0) and live.count.last_seq == 2
        assert not live.errors  # nothing to show: the line is not written yet
    finally:
        task.cancel()
