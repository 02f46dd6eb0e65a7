"""`tally count`: keys checked on the screen and in the journal, refusals, resume, multi-union."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counts import ballots, header, pile, write
from dash import text, until
from feeds.counting import CountSetupError, open_count
from feeds.files import load
from tally.entry import choice_keys
from tally.report import json_report
from tally.schema import parse_event
from tui.count_app import ConfirmClose, CountDashboard


def count_app(path, **flags):
    opened = open_count(path, flags)
    return CountDashboard(opened.journal, opened.live, opened.repaired)


def journal(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def on_disk(path):
    return load(path).count.snapshot()


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
    app = pilot.app
    await until(pilot, lambda: app._drawn == app.live.version)


async def test_y_n_v_c_each_write_one_event_before_the_screen_counts_it(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=10)
    async with app.run_test() as pilot:
        await press(pilot, "y", "n", "n", "v", "c")
        events = journal(path)
        assert [(e["type"], e.get("choice")) for e in events[1:]] == [
            ("ballot", "yes"), ("ballot", "no"), ("ballot", "no"), ("ballot", "void"), ("challenged", None)]
        assert all("at" in e for e in events)
        assert on_disk(path).votes == (1, 2) == app.live.count.snapshot().votes
        assert "1 · 33.3 %" in text(app, ".-yes .choice-count")
        assert "Challenged: 1" in text(app, "#piles") and "Void: 1" in text(app, "#piles")


async def test_digits_make_a_pile_and_escape_clears_them(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test")
    async with app.run_test() as pilot:
        await press(pilot, "2", "5")
        assert text(app, "#pile") == "pile: 25_"  # the pending digits are visible
        await press(pilot, "y")
        assert journal(path)[-1] == {**journal(path)[-1], "type": "ballot", "choice": "yes", "count": 25}
        await press(pilot, "3", "escape", "n")
        assert journal(path)[-1]["count"] == 1 and text(app, "#pile") == "pile: 1"
        await press(pilot, "0")
        assert "starts with 1–9" in text(app, "#said")


async def test_u_retracts_the_latest_entry_then_the_one_before(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test")
    async with app.run_test() as pilot:
        await press(pilot, "y", "5", "n", "!")
        await pilot.press(*"coffee", "enter")
        await press(pilot, "u")
        assert journal(path)[-1] == {**journal(path)[-1], "type": "retract", "target": 3}
        await press(pilot, "u")
        assert journal(path)[-1]["target"] == 2
        assert on_disk(path).votes == (0, 0) == app.live.count.snapshot().votes
        await press(pilot, "u")
        assert "nothing left to retract" in text(app, "#said")
        assert journal(path)[-1]["target"] == 2  # the refusal wrote nothing
        assert "RETRACTED #2–6: 5 × NO (pile)" in text(app, "#ticker")


async def test_a_note_is_journaled_and_escape_cancels_it(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test")
    async with app.run_test() as pilot:
        await pilot.press("!")
        await pilot.press(*"break for lunch", "enter")
        await until(pilot, lambda: journal(path)[-1]["type"] == "note")
        assert journal(path)[-1]["text"] == "break for lunch"
        await pilot.press("!", "x", "escape")
        await pilot.pause()
        assert len(journal(path)) == 2
        assert "note: break for lunch" in text(app, "#ticker")


CANCELLING_KEYS = ["enter", "space", "y", "n", "escape", "x", "q", "u", "v", "c", "1", "tab",
                   "exclamation_mark", "ctrl+c", "up", "shift+y"]


@pytest.mark.parametrize("key", CANCELLING_KEYS)
async def test_every_key_but_shift_x_cancels_the_close(tmp_path, key):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=500)
    async with app.run_test() as pilot:
        await press(pilot, "y")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmClose))
        await pilot.press(key)
        await until(pilot, lambda: not isinstance(app.screen, ConfirmClose))
        assert app.is_running
        assert [e["type"] for e in journal(path)] == ["election", "ballot"]
        assert not app.live.count.closed


async def test_x_closes_after_confirmation_and_nothing_counts_after(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=3)
    async with app.run_test() as pilot:
        await press(pilot, "y", "y")
        await pilot.press("x", "n")  # keep counting
        await pilot.pause()
        assert journal(path)[-1]["type"] == "ballot"
        await pilot.press("x")
        await pilot.pause()
        assert "1 ballots are still unopened" in text(app, "#dialog")
        await press(pilot, "X", "escape")  # closed; the Board's official tally skipped (issue 18)
        assert journal(path)[-1]["type"] == "close"
        assert "OUTCOME DECIDED — the union wins" in text(app, "#banner")
        assert "■ FINAL" in text(app, "#feed-status")
        await press(pilot, "n")
        assert "refused: the count is closed" in text(app, "#said")
        assert journal(path)[-1]["type"] == "close"


async def test_more_ballots_than_cast_are_refused_on_screen_and_not_journaled(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=5)
    async with app.run_test() as pilot:
        await press(pilot, "4", "y", "2", "n")
        assert "refused: 2 more ballots would exceed the 5 cast (only 1 left unopened)" in text(app, "#said")
        assert len(journal(path)) == 2 and app.live.count.snapshot().votes == (4, 0)


async def test_q_quits_with_the_summary(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test")
    async with app.run_test() as pilot:
        await press(pilot, "y", "q")
    assert app.return_value.startswith("Test: 1 yes · 0 no")


async def test_footer_shows_the_count_keys(tmp_path):
    from textual.widgets._footer import FooterKey

    app = count_app(tmp_path / "j.jsonl", title="Test")
    async with app.run_test(size=(160, 40)) as pilot:
        expected = {("y", "YES"), ("n", "NO"), ("v", "Void"), ("c", "Challenge"), ("u", "Undo"),
                    ("!", "Note"), ("x", "Close"), ("0-9", "Pile"), ("q", "Quit")}

        def shown():
            return {(k.key_display, k.description) for k in app.query(FooterKey)}

        await until(pilot, lambda: bool(shown()))  # the Footer recomposes on its own
        assert expected <= shown()


async def test_multi_union_ballot_gets_a_key_per_choice(tmp_path):
    path = tmp_path / "m.jsonl"
    app = count_app(path, title="Multi", choices=["Union A", "Union B", "Neither"], ballots=20)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.entry.keys == {"a": "Union A", "b": "Union B", "n": "Neither"}
        assert "a Union A · b Union B · n Neither" in text(app, "#keys")
        await press(pilot, "8", "a", "7", "b", "3", "n", "2", "v")
        await press(pilot, "x", "X", "escape")  # closed; the Board's official tally skipped (issue 18)
        assert on_disk(path).votes == (8, 7, 3)
        assert "runoff between Union A and Union B" in text(app, "#banner")


def test_choice_keys_avoid_the_fixed_keys():
    e = parse_event(json.dumps({"seq": 1, **header(choices=["Union X", "Culinary", "Venue", "No union"])}))
    keys = choice_keys(e)
    assert set(keys.values()) == {"Union X", "Culinary", "Venue", "No union"}
    assert not set(keys) & set("vcuxq0123456789")


async def test_resume_shows_exactly_what_the_journal_holds(tmp_path):
    path = write(tmp_path / "j.jsonl", header(ballots=50), pile("yes", 7), *ballots("no", "void"))
    app = count_app(path)
    async with app.run_test() as pilot:
        await press(pilot, "n")
        assert app.live.count.snapshot().votes == (7, 2) == on_disk(path).votes
        assert "#1–7" in text(app, "#ticker") and "7 × YES (pile)" in text(app, "#ticker")


def test_flags_that_contradict_the_header_are_refused(tmp_path):
    path = write(tmp_path / "j.jsonl", header(ballots=50))
    with pytest.raises(CountSetupError, match=r"--ballots 60 contradicts the journal's header \(ballots: 50\)"):
        open_count(path, {"ballots": 60})
    open_count(path, {"ballots": 50}).journal.close()  # agreeing flags are fine


@pytest.mark.parametrize("kind,why", [("directory", "is a directory"), ("bad", "j.jsonl:2: not JSON"),
                                      ("unwritable", "cannot open for writing"),
                                      ("flags", "cannot start a count with these flags")])
def test_unusable_journals_get_one_line(tmp_path, kind, why):
    path = tmp_path / "j.jsonl"
    flags = {}
    if kind == "directory":
        path.mkdir()
    elif kind == "bad":
        write(path, header(), *ballots("yes", "no"), raw_lines={2: "{"})
    elif kind == "unwritable":
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "j.jsonl"
    else:
        flags = {"choices": ["A", "void", "B"]}
    with pytest.raises(CountSetupError) as err:
        open_count(path, flags)
    assert why in str(err.value) and "\n" not in str(err.value)


async def test_a_torn_last_line_is_cut_reported_and_the_rest_kept(tmp_path):
    path = write(tmp_path / "j.jsonl", header(), *ballots("yes", "yes"))
    with path.open("ab") as f:
        f.write(b'{"seq":4,"type":"ballot","cho')
    app = count_app(path)
    async with app.run_test() as pilot:
        await press(pilot, "n")
        assert "incomplete last line cut off" in text(app, "#problem")
        assert on_disk(path).votes == (2, 1) == app.live.count.snapshot().votes
        assert journal(path)[-1]["seq"] == 4


KEYS = st.lists(st.sampled_from(list("ynvcu") + ["2", "3", "escape"]), max_size=25)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=KEYS)
def test_any_keys_give_the_same_state_live_as_the_report_of_the_journal(tmp_path_factory, keys):
    import asyncio

    path = tmp_path_factory.mktemp("prop") / "j.jsonl"

    async def run() -> dict:
        app = count_app(path, title="Prop", ballots=30)
        async with app.run_test() as pilot:
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            return json_report(app.live.count.snapshot())

    live = asyncio.run(run())
    assert live == json_report(load(path).count.snapshot())


async def test_a_full_disk_refuses_the_entry_and_the_count_goes_on(tmp_path, monkeypatch):
    import errno
    import os

    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=10)
    real_write = os.write
    async with app.run_test() as pilot:
        await press(pilot, "y")
        before = path.read_bytes()

        def full(fd, data):  # the first bytes go down, then the disk is full
            real_write(fd, data[:5])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", full)
        await press(pilot, "n")
        assert text(app, "#said") == "not saved: No space left on device"
        assert path.read_bytes() == before  # the journal is whole: no torn entry
        assert app.live.count.snapshot().votes == (1, 0)  # never counted
        assert "0 · 0.0 %" in text(app, ".-no .choice-count")
        monkeypatch.setattr(os, "write", real_write)
        await press(pilot, "n")  # the disk has room again: the count goes on
        assert text(app, "#said") == "saved: entry 3"
    assert on_disk(path).votes == (1, 1)


async def test_a_real_write_failure_file_size_limit_refuses_the_entry(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), as a full disk would."""
    import resource
    import signal

    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=10)
    async with app.run_test() as pilot:
        await press(pilot, "y")
        before = path.read_bytes()
        old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 10, old_limit[1]))
        try:
            await press(pilot, "n")
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
            signal.signal(signal.SIGXFSZ, old_handler)
        assert text(app, "#said").startswith("not saved: File too large")
        assert path.read_bytes() == before
        assert app.live.count.snapshot().votes == (1, 0)
        await press(pilot, "n")
        assert text(app, "#said") == "saved: entry 3"
    assert on_disk(path).votes == (1, 1)


# -- every kind of ballot (issue 9) -------------------------------------------------------------

TEAMSTERS, UFCW = "Teamsters Local 727", "UFCW Local 881"


async def test_a_runoff_between_two_unions_gets_a_letter_for_each(tmp_path):
    path = tmp_path / "r.jsonl"
    app = count_app(path, title="Runoff", choices=[TEAMSTERS, UFCW], ballots=14)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.entry.keys == {"t": TEAMSTERS, "f": UFCW}  # not "l" for both "Local"s
        assert f"t {TEAMSTERS} · f {UFCW} · v void" in text(app, "#keys")
        await press(pilot, "5", "t", "4", "f", "v", "t")
        assert "TOO EARLY TO CALL" in text(app, "#banner")
        await press(pilot, "t")  # 7 > 4 + 2 unopened
        assert on_disk(path).votes == (7, 4)
        assert f"OUTCOME DECIDED — {TEAMSTERS} wins a majority" in text(app, "#banner")


async def test_a_deauthorization_poll_is_counted_yes_and_no_against_the_eligible(tmp_path):
    path = tmp_path / "d.jsonl"
    app = count_app(path, title="Poll", rule="deauthorization", eligible=30, ballots=25, union="Local 1")
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.entry.keys == {"y": "yes", "n": "no"}
        await press(pilot, "1", "5", "y")
        assert "YES has 15 of the 16 it needs" in text(app, "#banner")
        await press(pilot, "y")
        assert "OUTCOME DECIDED — deauthorized" in text(app, "#banner")
    assert journal(path)[0]["rule"] == "deauthorization"


@pytest.mark.parametrize("flags,why", [
    ({"rule": "deauthorization"}, 'a deauthorization poll needs "eligible"'),
    ({"choices": ["no", "yes"]}, 'a yes/no ballot is ["yes","no"], in that order'),
])
def test_a_count_of_a_new_kind_with_a_bad_header_is_refused_in_one_line(tmp_path, flags, why):
    path = tmp_path / "j.jsonl"
    with pytest.raises(CountSetupError) as err:
        open_count(path, flags)
    assert why in str(err.value) and "\n" not in str(err.value) and not path.exists()


def test_resuming_a_poll_checks_its_rule(tmp_path):
    path = write(tmp_path / "j.jsonl", header(rule="deauthorization", eligible=30))
    with pytest.raises(CountSetupError, match="--rule representation contradicts"):
        open_count(path, {"rule": "representation"})


async def test_a_refused_digit_spoils_the_pending_pile_so_0y_enters_nothing(tmp_path):
    """`0y` used to enter one YES: the 0 was refused, the y entered a pile of the default 1."""
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test")
    async with app.run_test() as pilot:
        before = journal(path)
        await press(pilot, "0", "y")
        assert journal(path) == before and app.live.count.snapshot().votes == (0, 0)
        assert "nothing entered: a pile starts with 1–9" in text(app, "#said")
        await press(pilot, "y")  # the refusal is spent: the next key counts again
        assert journal(path)[-1]["count"] == 1 and len(journal(path)) == len(before) + 1
