"""The replay dashboard, driven by its keys with Pilot, on the bundled counts and small files."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import Digits
from textual.widgets._footer import FooterKey

from counts import ballots, header, pile, write
from dash import replay_app, text, to_end, until
from tui.widgets.choices import ChoiceCount, ChoiceRow, VoteBar


def handled(app) -> int:
    return app.live.count.last_seq


async def test_space_pauses_and_resumes():
    app = replay_app("ldj5", paused=False, speed=500)
    async with app.run_test() as pilot:
        await until(pilot, lambda: handled(app) > 5)
        await pilot.press("space")
        await until(pilot, lambda: "PAUSED" in text(app, "#feed-status"))
        frozen = handled(app)
        await pilot.pause(0.3)
        assert handled(app) == frozen and app.replay.paused
        await pilot.press("space")
        await until(pilot, lambda: handled(app) > frozen)
        assert "COUNTING" in text(app, "#feed-status")


async def test_plus_and_minus_change_the_speed_shown_in_the_header():
    app = replay_app("ldj5", speed=8)
    async with app.run_test() as pilot:
        await pilot.press("plus")
        await until(pilot, lambda: "16×" in text(app, "#feed-status"))
        await pilot.press("minus", "minus")
        await until(pilot, lambda: "4×" in text(app, "#feed-status"))
        assert app.replay.speed == 4


async def test_right_steps_one_event_while_paused():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await until(pilot, lambda: handled(app) == 1)
        for expected in (2, 3, 4):
            await pilot.press("right")
            await until(pilot, lambda: handled(app) == expected)
        await pilot.pause(0.2)
        assert handled(app) == 4  # nothing more while paused


async def test_end_jumps_to_the_final_totals_and_home_restarts():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await to_end(pilot)
        assert [d.value for d in app.query(Digits)] == ["380", "618"]
        assert "380 · 38.1 %" in text(app, ".-yes .choice-count")
        # A closed count reads FINAL on a replay as on `tally watch` and the page: one word for it.
        assert text(app, "#feed-status") == "■ FINAL\nthe count is closed"
        await pilot.press("home")
        await until(pilot, lambda: handled(app) == 1 and not app.replay.done)
        assert "TOO EARLY TO CALL" in text(app, "#banner")


async def test_q_quits_with_the_summary_line():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await to_end(pilot)
        await pilot.press("q")
    assert app.return_value.startswith("Amazon LDJ5")
    assert "380 yes · 618 no · 2 void" in app.return_value and "no union" in app.return_value
    assert app.return_value.endswith("(FINAL)")


async def test_q_mid_count_says_as_of_which_ballot():
    app = replay_app("ldj5", paused=False, speed=500)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.live.count.snapshot().handled >= 5)
        await pilot.press("space")  # paused: the count stays where q finds it
        await until(pilot, lambda: "PAUSED" in text(app, "#feed-status"))
        handled = app.live.count.snapshot().handled
        await pilot.press("q")
    assert app.return_value.endswith(f"(as of ballot {handled:,})"), app.return_value


def keys_in_view(app) -> set[tuple[str, str]]:
    """The Footer's keys wholly on screen."""
    width = app.screen.size.width
    return {(k.key_display, k.description) for k in app.query(FooterKey) if k.region.right <= width}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_footer_shows_every_key_even_at_80_columns(size):
    app = replay_app("ldj5")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shown = keys_in_view(app)
        assert {("space", "Pause"), ("+", "Faster"), ("−", "Slower"), ("→", "Step"), ("end", "End"),
                ("home", "Restart"), ("b", "Big"), ("s", "SVG"), ("q", "Quit")} <= shown


@pytest.mark.parametrize(
    "name,headline,subline",
    [
        ("ldj5", "OUTCOME DECIDED — no union", "decided at ballot 809"),
        ("jfk8", "OUTCOME DECIDED — the union wins", "decided at ballot"),
        ("bhm1-2022", "CHALLENGES DETERMINATIVE — outcome pending", "416 challenged ballots"),
    ],
)
async def test_banner_on_the_bundled_counts(name, headline, subline):
    app = replay_app(name)
    async with app.run_test() as pilot:
        await to_end(pilot)
        banner = text(app, "#banner")
        assert headline in banner and subline in banner


async def test_too_early_to_call_says_what_the_leader_needs():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await until(pilot, lambda: handled(app) == 1)
        for _ in range(12):
            await pilot.press("right")
        await until(pilot, lambda: handled(app) == 13)
        banner = text(app, "#banner")
        assert banner.startswith("TOO EARLY TO CALL")
        assert "unopened ballots to make it certain" in banner or "tied" in banner or "leads" in banner


async def test_a_tie_is_decided_against_the_union(tmp_path):
    f = write(tmp_path / "tie.jsonl", header(ballots=10), pile("yes", 5), pile("no", 5), {"type": "close"})
    app = replay_app(f)
    async with app.run_test() as pilot:
        await to_end(pilot)
        assert "OUTCOME DECIDED — no union" in text(app, "#banner")
        assert "tied at 5" in text(app, "#margin")


async def test_a_runoff_names_the_two_choices(tmp_path):
    f = write(tmp_path / "runoff.jsonl", header(choices=["Union A", "Union B", "Neither"], ballots=20),
              pile("Union A", 8), pile("Union B", 7), pile("Neither", 5), {"type": "close"})
    app = replay_app(f)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        assert "OUTCOME DECIDED — runoff between Union A and Union B" in text(app, "#banner")
        assert len(app.query(ChoiceCount)) == 3


async def test_a_bad_event_mid_file_is_shown_and_skipped(tmp_path):
    f = write(tmp_path / "bad.jsonl", header(), *ballots("yes", "maybe", "no"),
              raw_lines={4: "{broken"}, )
    with f.open("a") as out:
        out.write('{"seq":5,"type":"ballot","choice":"no"}\n')
    app = replay_app(f)
    async with app.run_test() as pilot:
        await to_end(pilot)
        problem = text(app, "#problem")
        assert f"{f}:4: not JSON" in problem and "2 refused in all" in problem
        assert app.query_one("#problem").display
        assert app.live.count.snapshot().votes == (1, 1)  # the bad ones were not applied
        ticker = text(app, "#ticker")
        assert "unknown choice 'maybe'" in ticker


async def test_unknown_total_shows_unknown_remaining(tmp_path):
    f = write(tmp_path / "open.jsonl", header(), *ballots("yes", "no", "yes"))
    app = replay_app(f)
    async with app.run_test() as pilot:
        await to_end(pilot)
        assert "Remaining: unknown" in text(app, "#remaining")
        assert "TOO EARLY TO CALL" in text(app, "#banner")
        assert "END OF RECORDING" in text(app, "#feed-status")


async def test_bars_scale_to_every_possible_vote():
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await to_end(pilot)
        bars = list(app.query(VoteBar))
        assert [b.votes for b in bars] == [380, 618] and bars[0].scale == 998


async def test_max_plays_a_whole_file_without_waiting():
    app = replay_app("jfk8", paused=False, speed=None, fast=True)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.replay.done)
        assert app.live.count.snapshot().votes == (2654, 2131)


@pytest.mark.parametrize(
    "votes,challenged,remaining,expected",
    [((10, 8), 0, 10, "YES: needs 5 of 10 unopened (50.0 %)"),
     ((19, 8), 0, 10, "YES: has it"),
     ((875, 993), 416, 0, "YES: needs 268 of the 416 challenged, if opened"),
     ((100, 90), 20, 5, "NO: needs 18 of the 5 unopened and 20 challenged, if opened"),
     ((3, 20), 0, 2, "YES: needs 10, more than are left: out of reach")],
)
def test_needed_words_say_where_the_votes_would_come_from(votes, challenged, remaining, expected):
    from counts import count_of
    from tally.present import choice_name, needs_words

    total = sum(votes) + challenged + remaining
    snap = count_of(header(ballots=total), pile("yes", votes[0]), pile("no", votes[1]),
                    *([{"type": "challenged", "count": challenged}] if challenged else [])).snapshot()
    i = 0 if expected.startswith("YES") else 1
    assert f"{choice_name(snap, i)}: {needs_words(snap, i)}" == expected


async def test_one_frame_timer_however_deep_the_app_class():
    # Textual dispatches on_mount to every class in the hierarchy; a subclass that also
    # called super().on_mount() would start a second frame timer and a second replay.
    app = replay_app("ldj5")
    async with app.run_test() as pilot:
        await pilot.pause()
        frames = [t for t in app._timers if getattr(t._callback, "__name__", "") == "draw"]
        assert len(frames) == 1
        assert len([w for w in app.workers if w.name == "replay"]) == 1


# -- the banner on every kind of ballot (issue 9) -----------------------------------------------

TEAMSTERS, UFCW = "Teamsters Local 727", "UFCW Local 881"
ABN = ["Union A", "Union B", "Neither"]
DEAUTH = {"rule": "deauthorization", "eligible": 30, "union": "Local 1"}

KINDS = {
    "two unions": ([header(choices=[TEAMSTERS, UFCW], ballots=20), pile(TEAMSTERS, 11), pile(UFCW, 8),
                    pile("void", 1)],
                   "OUTCOME DECIDED — Teamsters Local 727 wins a majority", "decided at ballot 11"),
    "tied runoff": ([header(choices=[UFCW, "Neither"], ballots=16), pile(UFCW, 8), pile("Neither", 8)],
                    "OUTCOME DECIDED — no majority: a tie, nobody is certified", "decided at ballot 16"),
    "rerun": ([header(choices=ABN, ballots=20), pile("Union A", 10), pile("Union B", 5), pile("Neither", 5)],
              "OUTCOME DECIDED — rerun: no runoff pair, the election is run again with all 3 choices",
              "decided at ballot 20"),
    "rerun with a challenge": ([header(choices=ABN, ballots=4), pile("Union A", 1), pile("Union B", 1),
                                pile("Neither", 1), {"type": "challenged"}],
                               "OUTCOME DECIDED — rerun", "decided at ballot 3"),
    "certification": ([header(choices=ABN, eligible=20, ballots=20), pile("Union A", 10), pile("Union B", 10)],
                      "OUTCOME DECIDED — no runoff: certification of results", "decided at ballot 20"),
    "no majority possible": ([header(choices=ABN, ballots=50), pile("Union A", 20), pile("Union B", 15),
                              pile("Neither", 13)],
                             "NO MAJORITY POSSIBLE — a runoff or rerun is certain",
                             "no choice can reach a majority; the 2 unopened ballots decide which"),
    "pending, no majority": ([header(choices=ABN, ballots=50), pile("Union A", 20), pile("Union B", 15),
                              pile("Neither", 13), {"type": "challenged", "count": 2}],
                             "CHALLENGES DETERMINATIVE — outcome pending",
                             "2 challenged ballots can change the result: a runoff or rerun is certain"),
    "deauthorized": ([header(**DEAUTH, ballots=25), pile("yes", 16)],
                     "OUTCOME DECIDED — deauthorized: a majority of the 30 eligible voters withdrew "
                     "Local 1's authority", "decided at ballot 16"),
    "not deauthorized": ([header(**DEAUTH, ballots=25), pile("yes", 15), pile("no", 8), {"type": "close"}],
                         "OUTCOME DECIDED — not deauthorized: Local 1 keeps its authority", "ballot 23"),
    "deauthorization too early": ([header(**DEAUTH, ballots=25), pile("yes", 10), pile("no", 2)],
                                  "TOO EARLY TO CALL",
                                  "YES has 10 of the 16 it needs (a majority of the 30 eligible voters)"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_banner_words_for_every_kind_of_ballot(kind):
    from counts import count_of
    from tally.present import banner as banner_lines

    events, headline, subline = KINDS[kind]
    got = banner_lines(count_of(*events).snapshot())
    assert got[0].startswith(headline) and subline in got[1], got


@pytest.mark.parametrize("kind,rows,names", [
    ("two unions", 2, [TEAMSTERS, UFCW]),
    ("no majority possible", 3, ABN),
    ("not deauthorized", 2, ["YES", "NO"]),
])
async def test_replay_shows_each_kind_of_ballot(tmp_path, kind, rows, names):
    events, headline, subline = KINDS[kind]
    app = replay_app(write(tmp_path / "kind.jsonl", *events))
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        banner = text(app, "#banner")
        assert headline in banner and subline in banner
        assert len(app.query(ChoiceCount)) == rows
        assert [str(row.name_line.visual).strip(" ▶") for row in app.query(ChoiceRow)] == names
        state = app.query_one("#banner")
        assert state.has_class("-early") is state.has_class("-no-majority") is (kind == "no majority possible")


@given(yes=st.integers(0, 40), no=st.integers(0, 40), void=st.integers(0, 3), left=st.integers(0, 5),
       closed=st.booleans())
@settings(max_examples=150, deadline=None)
def test_a_decided_banner_speaks_of_remaining_ballots_only_while_some_remain(yes, no, void, left, closed):
    from counts import count_of
    from tally.present import DECIDED, banner as banner_lines, call

    events = [header(ballots=yes + no + void + left), pile("yes", yes), pile("no", no), pile("void", void)]
    snap = count_of(*[e for e in events if e.get("count", 1)], *([{"type": "close"}] if closed else [])).snapshot()
    if call(snap) != DECIDED:
        return
    line = banner_lines(snap)[1]
    assert ("remaining ballots" in line) == (not snap.closed and bool(snap.remaining)), line
