"""User text is data on every screen: hostile titles, choices and notes are shown literally.

Each string of the corpus goes into a count's title, union, location, choices
and a note, and is published or replayed to every screen: the replay, the
keyboard count, the watcher and the hub's election picker. What each widget
holds must be the input itself (control characters as their visible symbols,
`tally.text.literal`), and the app must still be running: one markup error
used to end every screen that showed such a title.
"""

from __future__ import annotations

import json

import pytest
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from counts import write
from dash import replay_app, text, until
from feeds.counting import open_count
from feeds.publisher import Publisher
from feeds.watcher import Watcher
from hubkit import FAST, TOKEN, running_hub
from hubkit import until as hub_until
from tally.schema import parse_event
from tally.text import literal
from tui.count_app import CountDashboard
from tui.watch_app import PickElection, WatchDashboard

HOSTILE = {
    "closing-tag": "Local 1 [/b] count",
    "bare-close": "[/]",
    "bold": "[b]bold[/b] and [red]red[/red]",
    "click": "[@click=app.quit]click me[/]",
    "link": "[link=https://example.invalid]x[/link]",
    "bracket-letter": "Union [A]",
    "variable": "$text-muted $accent",
    "ansi": "\x1b[31mred\x1b[0m \x1b]0;title\x07",
    "controls": "bell\x07 cr\r tab\t nl\n del\x7f c1\x9b",
    "rtl": "\u202eevil\u202c \u200f\u05e9\u05dc\u05d5\u05dd",
    "long-word": "W" * 200,
    "emoji": "🗳️ ✊🏽 👩‍👩‍👧 vote",
    "html": "<img src=x onerror=alert(1)>",
    "format": "%s %d {0} {title}",
    "escaped": "\\[not markup]",
}
IDS = list(HOSTILE)


def choices_of(s: str) -> list[str]:
    """Three distinct choices made of the string (choices are at most 100 characters)."""
    return [s[:95] + " [A]", s[:95] + " [B]", "Neither [/]"]


def hostile_events(s: str, election_id: str = "hostile") -> list[dict]:
    head = {"seq": 1, "type": "election", "id": election_id, "title": s[:200],
            "choices": choices_of(s), "location": s[:200], "ballots": 10}
    a, b, _ = choices_of(s)
    return [head,
            {"seq": 2, "type": "ballot", "choice": a},
            {"seq": 3, "type": "ballot", "choice": b, "count": 2},
            {"seq": 4, "type": "note", "text": s[:500]},
            {"seq": 5, "type": "ballot", "choice": s[:50] + " (not on the ballot)"}]


def assert_dashboard_literal(app, s: str) -> None:
    """The widgets that carry user text hold it exactly, and nothing crashed."""
    assert app.is_running and app.return_code is None
    assert text(app, "#title") == literal(s[:200])
    place = text(app, "#place")
    for choice in choices_of(s):
        assert literal(choice) in place
    assert literal(s[:200]) in place  # the location
    names = [str(w.visual)[2:] for w in app.screen.query(".choice-name")]  # after "▶ " or "  "
    assert names == [literal(c) for c in choices_of(s)]
    assert "note: " + literal(s[:500]) in text(app, "#ticker")
    assert "unknown choice" in text(app, "#problem")


@pytest.mark.parametrize("key", IDS)
async def test_the_replay_dashboard_shows_hostile_text_literally(tmp_path, key):
    s = HOSTILE[key]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in hostile_events(s)) + "\n")
    app = replay_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        await pilot.press("end")
        await until(pilot, lambda: app.replay.done)
        await pilot.pause()
        assert_dashboard_literal(app, s)


@pytest.mark.parametrize("key", IDS)
async def test_the_count_screen_shows_hostile_choices_and_notes_literally(tmp_path, key):
    s = HOSTILE[key]
    path = tmp_path / "count.jsonl"
    events = hostile_events(s)[:4]
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    opened = open_count(path, {})
    app = CountDashboard(opened.journal, opened.live, opened.repaired)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app._drawn == app.live.version)
        assert text(app, "#title") == literal(s[:200])
        keys = text(app, "#keys")
        # The Footer recomposes on its own after the bindings change.
        def descriptions():
            return [k.description for k in app.screen.query(FooterKey)]

        await until(pilot, lambda: literal(choices_of(s)[0]) in descriptions())
        for choice in choices_of(s):
            assert literal(choice) in keys
            assert literal(choice) in descriptions()
        assert "note: " + literal(s[:500]) in text(app, "#ticker")
        await pilot.press("n")  # "Neither [/]" has the key n
        await until(pilot, lambda: app.live.count.last_seq == 5)
        assert app.is_running and app.return_code is None
    opened.journal.close()


@pytest.mark.parametrize("key", IDS)
async def test_the_watcher_and_the_picker_show_hostile_text_literally(tmp_path, key):
    s = HOSTILE[key]
    events = [parse_event(json.dumps(e)) for e in hostile_events(s)[:4]]
    async with running_hub(tmp_path / "hub") as (hub, url):
        publisher = Publisher(events, url, TOKEN, wait=FAST)
        import asyncio

        task = asyncio.create_task(publisher.run())
        assert await publisher.flushed()
        publisher.close()
        await task
        watch = f"{url}/elections/hostile"
        app = WatchDashboard(watch, Watcher(watch, wait=FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.live.count.last_seq == 4)
            assert app.is_running and app.return_code is None
            assert text(app, "#title") == literal(s[:200])
            assert "note: " + literal(s[:500]) in text(app, "#ticker")
        from feeds.watcher import list_elections

        picker = PickElection(url, await list_elections(url))
        async with picker.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            option = picker.query_one(OptionList).get_option_at_index(0)
            assert literal(s[:200]) in option.prompt.plain
            assert picker.is_running and picker.return_code is None
