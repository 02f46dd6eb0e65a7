"""The presentation model: one rounding rule, one naming of outcomes, FINAL for a closed count, calls by ballot."""

from __future__ import annotations

import json

import pytest

from counts import count_of, header, numbered, pile
from tally.odds import odds
from tally.present import (WORKING, chance_text, call_lines, link_state, present, settled)
from tally.reducer import Count
from tally.schema import parse_event
from tally.timeline import Timeline


def ldj5_at_802():
    """LDJ5 cut where the page said 'no union 100.0 %': 306–492 with 201 unopened, decided only at 809."""
    return count_of(header(ballots=1000, eligible=1633), pile("yes", 306), pile("no", 492)).snapshot()


def test_a_chance_is_never_100_or_0_before_the_count_settles_it():
    snap = ldj5_at_802()
    assert not settled(snap)
    rows = present(snap, odds(snap)).chances
    texts = {c.key: c.text for c in rows}
    assert texts["no"] == "> 99.9 %"
    assert texts["yes"] == "< 0.1 %"
    assert rows[0].key == "no", "likeliest first"


@pytest.mark.parametrize("p, certain, text", [
    (1.0, False, "> 99.9 %"), (0.99951, False, "> 99.9 %"), (0.999, False, "99.9 %"),
    (0.0, False, "< 0.1 %"), (0.0004, False, "< 0.1 %"), (0.001, False, "0.1 %"),
    (1.0, True, "100 %"), (0.0, True, "0 %"), (0.5, True, "50.0 %"), (0.9326, False, "93.3 %"),
])
def test_the_one_rounding_rule(p, certain, text):
    assert chance_text(p, certain) == text


def test_a_decided_count_says_100_and_0():
    snap = count_of(header(ballots=10), pile("yes", 6), pile("no", 1)).snapshot()
    assert snap.outcome.decided
    texts = {c.key: c.text for c in present(snap, odds(snap)).chances}
    assert texts["yes"] == "100 %" and texts["no"] == "0 %"


def test_a_closed_count_followed_live_is_final():
    snap = count_of(header(ballots=10), pile("yes", 6), pile("no", 4), {"type": "close"}).snapshot()
    for link in ("live", "reconnecting", "waiting"):
        assert link_state(link, snap) == "final"
        assert present(snap, None, link=link).link_mark == "■ FINAL"
    assert link_state("offline", snap) == "offline", "a counter's own link trouble is still said"


def test_calls_are_numbered_by_ballot_newest_first():
    timeline, count = Timeline(), Count()
    for e in numbered(header(ballots=100), {"type": "ballot", "choice": "yes"},
                      {"type": "challenged"}, pile("no", 25), {"type": "note", "text": "a break"}):
        event = parse_event(json.dumps(e))
        count.apply(event)
        timeline.record(event, count)
    lines = call_lines(timeline.ticker(True, count), 12)
    assert [(c.label, c.kind) for c in lines][:4] == [("", "note"), ("#3–27", "ballot"),
                                                       ("#2", "challenged"), ("#1", "ballot")]
    assert count.snapshot().handled == 27


def test_the_model_is_plain_json_and_says_when_the_needle_is_not_in_yet():
    snap = ldj5_at_802()
    model = present(snap, WORKING)
    assert model.chances is None and model.no_chance == WORKING
    assert json.loads(json.dumps(model.as_json()))["headline"] == "TOO EARLY TO CALL"


def test_challenges_decide_has_a_colour_no_choice_has():
    snap = count_of(header(choices=["Union A", "Union B", "Neither"], ballots=100),
                    pile("Union A", 20), pile("Union B", 18), pile("Neither", 5),
                    {"type": "challenged", "count": 30}).snapshot()
    rows = present(snap, odds(snap)).chances
    roles = {c.key: c.role for c in rows}
    choice_roles = {roles[c] for c in snap.choices}
    assert all(r not in choice_roles for k, r in roles.items() if k not in snap.choices)
