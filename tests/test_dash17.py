"""Issue 17 on the dashboard: it lays out the presentation model and decides nothing (Pilot).

The projector view reads at a glance at four sizes; the likeliest outcome is
always on screen; challenges decide has a colour no choice has; the needle is
never shown beside numbers it was not worked out for; the header always says
how many entries wait for the hub; a screenshot never shows a toast; a closed
count's turnout and needs count only the ballots handled; the chances are the
model's strings, exactly.
"""

from __future__ import annotations

import pytest

from counts import header, pile, write
from dash import ROOT, needle_ready, replay_app, text, to_end, until
from feeds.counting import open_count
from feeds.live import LiveCount
from feeds.replay import Replay
from feeds.publishing import CountPublisher
from hubkit import FAST, TOKEN
from tally.odds import odds
from tally.present import WORKING, present
from test_snapshots import first_events
from tui.app import ReplayDashboard
from tui.count_app import CountDashboard
from tui.widgets.big_number import BigNumber
from tui.widgets.needle import ChanceBar

SIZES = [(80, 24), (120, 40), (160, 50), (240, 67)]
THREE = ["Teamsters Local 727", "UFCW Local 881", "Neither"]


# -- must hold 2: the projector view reads at a glance ----------------------------------------

def lit_columns(number: BigNumber) -> list[int]:
    """The screen columns where the number's digits have ink."""
    lines = number.render().plain.split("\n")
    x = number.region.x
    return sorted({x + i for line in lines for i, c in enumerate(line) if c != " "})


def widest_gap(columns: list[int]) -> int:
    """The widest run of blank columns inside a number (between its glyphs)."""
    return max((b - a - 1 for a, b in zip(columns, columns[1:])), default=0)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("source", ["jfk8-2500", "ldj5-34"])
async def test_the_broadcast_view_reads_at_a_glance(tmp_path, size, source):
    """Each name right above its digits, the sides apart (wider than any gap inside a
    number, and a rule between), the union's name and the last call with its number.
    'ldj5-34' is the issue's 15–17, which read '1517' at 160×50."""
    name, n = source.split("-")
    app = replay_app(first_events(tmp_path, int(n), name))
    async with app.run_test(size=size) as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        await pilot.press("b")
        await pilot.pause(0.2)
        app.redraw()
        await pilot.pause()
        screen = app.screen
        counts = list(screen.query(".big-count"))
        assert len(counts) == 2
        spans = []
        for count in counts:
            name_line, number = count.name_line, count.number
            ink = lit_columns(number)
            assert ink, "the digits are drawn"
            top = number.region.y + next(i for i, line in enumerate(number.render().plain.split("\n"))
                                         if line.strip())
            assert name_line.region.bottom == top, "the name sits right on top of its digits"
            label = str(name_line.visual).strip()
            centre = name_line.region.x + name_line.region.width // 2
            assert ink[0] <= centre <= ink[-1], f"{label!r} is over its own number"
            spans.append(ink)
        inner = max(widest_gap(ink) for ink in spans)
        between = spans[1][0] - spans[0][-1] - 1
        assert between > 2 * inner, (between, inner)
        assert counts[1].styles.border_left[0] not in ("", "none"), "a rule divides the sides"
        model = app._view and app.framed(app._view).presentation
        assert "Amazon Labor Union" in text(app, "#big-title")
        # where the count stands, first, in the model's words: a room tells live from final at a glance
        assert text(app, "#big-title").startswith(model.link_mark + " · ")
        last = text(app, "#big-last-call")
        assert last == model.last_call and last.startswith("last call #"), last


# -- must hold 3: the likeliest outcome is always visible ----------------------------------

KINDS = {
    "three-way": [header(choices=THREE, ballots=90), pile(THREE[0], 20), pile(THREE[1], 18), pile(THREE[2], 6),
                  {"type": "challenged", "count": 8}],
    "runoff likely": [header(choices=THREE, ballots=120), pile(THREE[0], 30), pile(THREE[1], 28),
                      pile(THREE[2], 25)],
    "yes-no": [header(ballots=1000, eligible=1633), pile("yes", 306), pile("no", 492)],
    "deauthorization": [header(rule="deauthorization", eligible=30, union="Local 1", ballots=25),
                        pile("yes", 10), pile("no", 2)],
}


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_chance_is_on_screen_whole_likeliest_first(tmp_path, kind, width):
    """At 80 columns too: each outcome's words, exactly the model's, on a line it fits."""
    app = replay_app(write(tmp_path / f"{kind}.jsonl", *KINDS[kind]))
    async with app.run_test(size=(width, 40)) as pilot:
        await to_end(pilot)
        await needle_ready(pilot)
        snap, odds = app._view.snapshot, app.needle.odds
        expected = present(snap, odds).chances
        assert [c.p for c in expected] == sorted((c.p for c in expected), reverse=True)
        words = app.screen.query_one(".needle-words")
        lines = str(words.visual).split("\n")
        room = words.content_region.width
        assert all(len(line) <= room for line in lines), (lines, room)
        shown = " · ".join(lines)
        at = [shown.find(c.words) for c in expected]
        assert -1 not in at, (shown, [c.words for c in expected])
        assert at == sorted(at), "likeliest first"


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_challenges_decide_has_a_colour_no_choice_has(tmp_path, theme):
    app = replay_app(write(tmp_path / "three.jsonl", *KINDS["three-way"]))
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        await to_end(pilot)
        await needle_ready(pilot)
        bar = app.screen.query_one(ChanceBar)
        colour = {r: bar.get_component_rich_style(f"chancebar--{r}").color
                  for r in ["pending", "other", *(f"c{i}" for i in range(12))]}
        choices = {colour[f"c{i}"] for i in range(12)}
        assert colour["pending"] not in choices and colour["other"] not in choices
        for row in app.screen.query(".choice-row"):  # the rows' names too
            name = row.query_one(".choice-name")
            assert name.styles.color.rich_color != colour["pending"]


# -- the needle is for the numbers on screen ---------------------------------------------

async def test_a_needle_for_an_earlier_state_is_not_shown_beside_the_numbers(monkeypatch):
    """'40.5/50.2/9.3 beside 60–57': while the needle is for another state, the
    dashboard says it is working it out; once it is for these numbers, it shows them."""
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        for _ in range(40):
            await pilot.press("right")
        await until(pilot, lambda: app.replay._steps == 0)
        await needle_ready(pilot)
        assert "Chance (exact):" in text(app, "#needle")
        old = app.needle
        monkeypatch.setattr(app, "_start_needle", lambda: None)  # the needle's thread falls behind
        for _ in range(5):
            await pilot.press("right")
        await until(pilot, lambda: app.replay._steps == 0)
        monkeypatch.setattr("feeds.live.cheap_needle", lambda snap: False)  # as a costly count's
        app.redraw()
        await pilot.pause()
        assert app.needle is old and old.key != app._view.snapshot and app.live.count.last_seq > 40
        words = text(app, "#needle")
        assert f"Chance: {WORKING}" in words and "%" not in words, words
        assert not app.screen.query_one(ChanceBar).chances
        monkeypatch.undo()
        app._start_needle()
        await needle_ready(pilot)
        expected = present(app._view.snapshot, app.needle.odds).chances
        assert all(c.words in text(app, "#needle") for c in expected)


# -- the header always says how many entries wait ------------------------------------------

@pytest.mark.parametrize("width", [80, 120])
async def test_an_offline_counter_always_sees_how_many_entries_wait(tmp_path, unused_tcp_port, width):
    url = f"ws://127.0.0.1:{unused_tcp_port}"  # nothing listens: the hub is offline
    opened = open_count(tmp_path / "count.jsonl", {"title": "Published count of a long title",
                                                   "id": "pub", "ballots": 50})
    publisher = CountPublisher(opened.events, url, TOKEN, wait=FAST)
    app = CountDashboard(opened.journal, opened.live, opened.repaired, publisher)
    async with app.run_test(size=(width, 30)) as pilot:
        for key in "yyn3yvc":
            await pilot.press(key)
        await until(pilot, lambda: publisher.link.state == "offline" and app.live.feed.state == "offline")
        mark = app.screen.query_one(".feed-mark")
        shown = str(mark.visual)
        assert shown.endswith("7 to send") and mark.region.width >= len(shown), shown


# -- a screenshot never shows a toast -----------------------------------------------------

async def test_the_saved_toast_is_never_in_the_next_screenshot(tmp_path):
    app = ReplayDashboard(Replay(ROOT / "replays" / "ldj5.jsonl", LiveCount(), paused=True), shots=tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:  # toasts drawn, as in a terminal
        await to_end(pilot)
        app.notify("a toast that must not be in the picture", title="Hello")
        await pilot.pause(0.1)
        await pilot.press("s")
        await until(pilot, lambda: len(list(tmp_path.glob("*.svg"))) == 1)
        await pilot.pause(0.2)
        assert app._notifications, "the 'Saved' toast is up"
        await pilot.press("s")
        await until(pilot, lambda: len(list(tmp_path.glob("*.svg"))) == 2)
    for shot in tmp_path.glob("*.svg"):
        svg = shot.read_text()
        assert "Saved" not in svg and "must&#160;not" not in svg and "must not" not in svg, shot.name


# -- a closed count counts only the ballots handled ----------------------------------------

async def test_after_closing_with_unopened_ballots_turnout_and_needs_count_only_the_handled(tmp_path):
    """Closed with 22 unopened: turnout is the 28 handled, not the 50 the header said."""
    f = write(tmp_path / "closed.jsonl", header(ballots=50, eligible=60), pile("yes", 15), pile("no", 11),
              {"type": "challenged", "count": 2}, {"type": "close"})
    app = replay_app(f)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        assert text(app, "#turnout") == "Turnout: 28 of ≈60 eligible (46.7 %)"
        assert "unopened" not in text(app, "#needed")
        assert text(app, "#remaining").startswith("Remaining: none: the count is closed")


# -- the model is cheap: one per frame ----------------------------------------------------

def test_a_presentation_is_cheap_enough_for_every_frame():
    """A three-way count with a full ticker: well under a millisecond (a frame is 100 ms)."""
    import time

    from counts import count_of
    from tally.odds import odds
    from tally.timeline import Timeline

    count = count_of(*KINDS["three-way"])
    snap = count.snapshot()
    o = odds(snap)
    lines = Timeline().ticker(False, count)
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        present(snap, o, calls=lines, most_calls=50)
    assert (time.perf_counter() - started) / rounds < 0.002


async def test_a_small_yes_no_count_at_speed_shows_the_needle_of_the_numbers_on_screen(monkeypatch):
    """The bundled replay at its default speed: the needle's thread is always one state behind,
    so a cheap exact needle is worked out in the frame, for exactly the numbers shown."""
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        monkeypatch.setattr(app, "_start_needle", lambda: None)  # the needle's thread never catches up
        for _ in range(30):
            await pilot.press("right")
        await until(pilot, lambda: app.replay._steps == 0)
        app.redraw()
        await pilot.pause()
        snap = app._view.snapshot
        expected = present(snap, odds(snap)).chances
        words = text(app, "#needle")
        assert WORKING not in words and all(c.words in words for c in expected), words
