"""The count through time: chart points, their range, retractions, ballot numbers, pace and trend."""

from datetime import datetime, timedelta, timezone

from counts import ballots, header, numbered, pile
from hypothesis import example, given, settings, strategies as st

from feeds.bundled import resolve
from feeds.files import Cursor, stream
from feeds.live import LiveCount
from tally.schema import parse_event
from tally.timeline import Timeline, ballot_label, margin_of

import json

T0 = datetime(2022, 5, 2, 13, 0, tzinfo=timezone(timedelta(hours=-4)))


def events_of(*events: dict):
    return [parse_event(json.dumps(e, default=str)) for e in numbered(*events)]


def fed(*events: dict) -> LiveCount:
    live = LiveCount()
    for event in events_of(*events):
        assert live.apply(event)
    return live


def test_the_range_always_includes_the_current_margin_through_ldj5():
    # The range used to come from the kept chart points only: between two of them
    # (every 2nd, then 4th ballot) the headline margin could lie outside it.
    live, outside = LiveCount(), []
    for line, event in stream(resolve("ldj5")):
        live.apply(event, line)
        view = live.view()
        low, high = view.margin_range
        if not low <= margin_of(view.snapshot.votes) <= high:
            outside.append(event.seq)
    assert outside == []


def test_a_retraction_takes_its_entry_out_of_the_chart_and_the_range():
    live = fed(header(ballots=10), *ballots("yes", "no", "no", "no"), {"type": "retract", "target": 5})
    view = live.view()
    assert [p.margin for p in view.points] == [0, 1, 0, -1]
    assert [p.handled for p in view.points] == [0, 1, 2, 3]
    assert view.margin_range == (-1, 1)
    assert view.points[-1].remaining == 7


def test_a_retraction_of_an_earlier_pile_corrects_every_point_after_it():
    live = fed(header(ballots=100), pile("yes", 20), *ballots("no", "no"), {"type": "retract", "target": 2})
    view = live.view()
    assert [p.margin for p in view.points] == [0, -1, -2]
    assert view.margin_range == (-2, 0)


def flood_cursor(tmp_path, *events: dict) -> Cursor:
    """The events as a file, read as the replay's flood reads it (runs of plain events)."""
    path = tmp_path / "flood.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in numbered(*events)))
    return Cursor(path)


def test_the_flood_path_corrects_a_retraction_too(tmp_path):
    live = LiveCount()
    items = flood_cursor(tmp_path, header(ballots=10), *ballots("yes", "no", "no", "no"),
                         {"type": "retract", "target": 5}, *ballots("yes"))
    assert live.apply_until(items, float("inf"))
    view = live.view()
    assert view.margin_range == (-1, 1) and view.points[-1].margin == 0


def test_the_ticker_numbers_ballots_and_gives_a_pile_its_range():
    live = fed(header(ballots=100), {"type": "note", "text": "start"}, pile("yes", 20),
               *ballots("no"), pile("no", 25), {"type": "challenged", "count": 1},
               {"type": "retract", "target": 4})
    lines = live.view().ticker
    labels = [(ballot_label(line), line.text) for line in lines]
    assert labels[-5:] == [("#1–20", "20 × YES (pile)"), ("#21", "NO"), ("#22–46", "25 × NO (pile)"),
                           ("#47", "CHALLENGED, set aside"), ("", "RETRACTED #21: NO")]


def test_the_flood_path_numbers_ballots_like_the_slow_one(tmp_path):
    raw = (header(ballots=100), pile("yes", 3), *ballots("no", "void"),
           {"type": "challenged", "count": 2}, *ballots("yes"))
    slow, flood = LiveCount(), LiveCount()
    for event in events_of(*raw):
        slow.apply(event)
    flood.apply_until(flood_cursor(tmp_path, *raw), float("inf"))
    assert slow.view().ticker == flood.view().ticker
    assert ballot_label(flood.view().ticker[-1]) == "#8"


def test_pace_and_trend():
    stamped = [{**header(ballots=1000), "at": T0.isoformat()}]
    for i in range(300):  # one ballot every 6 s: 10 a minute; yes only from ballot 201 on
        stamped.append({"type": "ballot", "choice": "yes" if i >= 200 else "no",
                        "at": (T0 + timedelta(seconds=6 * (i + 1))).isoformat()})
    live = fed(*stamped)
    pace = live.view().pace
    assert pace.last_at == T0 + timedelta(seconds=1800)
    assert round(pace.per_minute, 3) == 10.0
    assert pace.recent == 100 and pace.recent_votes == (100, 0)
    assert pace.minutes_left(700) == 70


def test_no_pace_without_stamps_or_before_enough_time():
    assert fed(header(ballots=10), *ballots("yes", "no")).view().pace.per_minute is None


def test_a_live_clock_stamps_events_that_came_without_one():
    live = LiveCount(clock=lambda: T0)
    for event in events_of(header(), *ballots("yes")):
        live.apply(event)
    assert live.view().pace.last_at == T0


def test_thinning_keeps_the_newest_point_and_the_extremes():
    timeline = Timeline(points=8)
    live = LiveCount()
    live.timeline = timeline
    for event in events_of(header(), *ballots(*(["yes"] * 5 + ["no"] * 30))):
        live.apply(event)
    chart = live.view().points
    assert chart[-1].margin == -25 and max(p.high for p in chart) == 5
    assert all(a.handled < b.handled for a, b in zip(chart, chart[1:]))


def true_range(raw) -> tuple[int, int]:
    """The lowest and highest margin after each event, the count applied one event at a time."""
    live, margins = LiveCount(), []
    for event in events_of(*raw):
        live.apply(event)
        if live.count.election is not None:
            margins.append(margin_of(live.count.votes))
    return min(margins), max(margins)


CALL = st.one_of(st.sampled_from([0, 1, None]).map(lambda c: (c, 1)),
                 st.tuples(st.sampled_from([0, 1, 2]), st.integers(2, 40)))
"""A call: (the choice's index or None for void, how many ballots)."""
STREAKS = st.lists(st.tuples(CALL, st.integers(1, 60)), max_size=40).map(
    lambda streaks: [call for call, times in streaks for _ in range(times)])
"""Calls in streaks, up to ~2,400 entries: the chart keeps a point every few ballots, and a
streak's highest or lowest margin falls inside a run."""


@given(STREAKS, st.sampled_from([["yes", "no"], ["Union A", "Union B", "Neither"]]))
@example([(0, 1)] * 517 + [(1, 1)] * 50, ["yes", "no"])  # the peak between two points (stride 2 by then)
@example([(1, 1)] * 300 + [(0, 3)] * 300 + [(2, 1)] * 201, ["Union A", "Union B", "Neither"])
@settings(max_examples=60, deadline=None)
def test_the_range_is_every_margin_the_count_passed_whichever_way_it_was_fed(tmp_path_factory, calls, choices):
    """The flood path tells the timeline once per run of events: the margins inside a run count too
    (JFK8's highest, YES +525, was shown as +523 or +524, as the runs happened to end)."""
    def event(index, n):
        choice = "void" if index is None else choices[index % len(choices)]
        return {"type": "ballot", "choice": choice} if n == 1 else pile(choice, n)

    head = header(ballots=100_000) if len(choices) == 2 else header(ballots=100_000, choices=choices)
    raw = (head, *(event(*call) for call in calls))
    flood = LiveCount()
    flood.apply_until(flood_cursor(tmp_path_factory.mktemp("flood"), *raw), float("inf"))
    slow = LiveCount()
    for e in events_of(*raw):
        slow.apply(e)
    assert flood.view().margin_range == slow.view().margin_range == true_range(raw)
    fast, one = flood.view().pace, slow.view().pace  # the recent trend, however the count was fed
    assert (fast.recent, fast.recent_votes) == (one.recent, one.recent_votes)


def test_the_recent_trend_is_the_last_hundred_ballots_whichever_way_bhm1_was_fed():
    """It was read from samples the flood takes once per run: its window began where a run ended
    ("#2,239–2,343: YES 43 %" on one machine, "#2,244–2,343: YES 45 %" on another)."""
    flood, slow = LiveCount(), LiveCount()
    assert flood.apply_until(Cursor(resolve("bhm1-2022")), float("inf"))
    for line, event in stream(resolve("bhm1-2022")):
        slow.apply(event, line)
    fast, one = flood.view().pace, slow.view().pace
    assert (fast.recent, fast.recent_votes) == (one.recent, one.recent_votes)
    assert fast.recent == 100 and sum(fast.recent_votes) <= 100


def test_jfk8s_range_is_its_true_range_fed_by_the_flood():
    live = LiveCount()
    assert live.apply_until(Cursor(resolve("jfk8")), float("inf"))
    assert live.view().margin_range == (-2, 525)
