"""`tally count` checked against the Board (issue 18): the Board's figures typed into a form, a
call corrected in place by its ballot number, the Board's figures accepted; each key journaled
(fsync'd) before the screen shows it, every refusal one line and nothing journaled."""

from textual.widgets import Input

from dash import text, until
from feeds.files import load
from test_count import count_app, journal, press
from tui.count_app import ConfirmClose
from tui.widgets.count_forms import CheckpointForm, ConfirmAdjust, CorrectForm


def on_disk(path):
    return load(path).count.snapshot()


def check_line(app) -> str:
    return text(app, "#verification")


async def board(pilot, *figures: str, words: str = "") -> None:
    """t, then the figures field by field (choices, void, challenged, words), then Enter."""
    app = pilot.app
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, CheckpointForm))
    await type_form(pilot, *figures, *([""] * (3 - len(figures) + len(app.live.count.election.choices) - 1)),
                    words)


async def type_form(pilot, *fields: str) -> None:
    screen = pilot.app.screen
    inputs = list(screen.query(Input))
    for box, typed in zip(inputs, fields):
        box.focus()
        await pilot.pause()
        if typed:
            await pilot.press(*typed)
    await pilot.press("enter")
    await pilot.pause()
    await until(pilot, lambda: True)


async def test_the_board_form_journals_what_was_typed_and_the_line_says_it_agrees(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "y", "n", "v")
        await board(pilot, "2", "1", "1", "", "recess")
        assert not isinstance(app.screen, CheckpointForm)
        event = journal(path)[-1]
        assert {k: event[k] for k in ("seq", "type", "votes", "void", "text")} == {
            "seq": 6, "type": "checkpoint", "votes": {"yes": 2, "no": 1}, "void": 1, "text": "recess"}
        assert "challenged" not in event  # left blank: not announced, not compared
        assert "matches the Board's subtotal at ballot 4" in check_line(app)
        assert app.query_one("#verification").has_class("-verified")
        assert "BOARD: recess" in text(app, "#ticker")
        assert on_disk(path).checkpoints[0].agrees


async def test_a_disagreement_is_named_at_once_and_stays_until_the_call_is_corrected_in_place(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "y", "y")  # ballot #3 was in fact NO
        await board(pilot, "2", "1")
        line = check_line(app)
        assert "✗ differs from the Board's subtotal at ballot 3" in line
        assert "Board: YES 2 · you 3" in line and "Board: NO 1 · you 0" in line
        assert app.query_one("#verification").has_class("-differs")
        assert "a" in app.screen.active_bindings  # accepting the Board's figures is offered
        await press(pilot, "n", "4", "y", "!")
        await pilot.press(*"lunch", "enter")
        await until(pilot, lambda: journal(path)[-1]["type"] == "note")
        assert "Board: YES 2 · you 3" in check_line(app)  # persistently, through later entries
        await press(pilot, "3", "equals_sign")
        assert text(app, "#pile") == "#3 → _"
        await press(pilot, "n")
        assert journal(path)[-1] == {**journal(path)[-1], "type": "correct", "target": 4, "choice": "no"}
        assert [e["type"] for e in journal(path)].count("ballot") == 5  # what was typed stays
        assert "saved: entry 9 corrects ballot #3" in text(app, "#said")
        assert "matches the Board's subtotal at ballot 3" in check_line(app)
        assert not app.query_one("#verification").has_class("-differs")
        assert "a" not in app.screen.active_bindings
        ticker = text(app, "#ticker")
        assert "CORRECTED #3: NO (was YES)" in ticker
        assert "#3   YES" in ticker and "#5–8 4 × YES (pile)" in ticker  # every call keeps its number
        assert on_disk(path).votes == (6, 2) == app.live.count.snapshot().votes


async def test_a_disagreement_resolved_by_accepting_the_boards_figures(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "y", "y", "n")
        await board(pilot, "2", "1")  # the Board has one YES fewer, and 3 ballots in all
        assert "Board: YES 2 · you 3" in check_line(app)
        before = len(journal(path))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdjust))
        await pilot.press("enter")  # only shift+A accepts
        await until(pilot, lambda: not isinstance(app.screen, ConfirmAdjust))
        assert len(journal(path)) == before and "Board: YES 2 · you 3" in check_line(app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdjust))
        await pilot.press("A")
        await until(pilot, lambda: journal(path)[-1]["type"] == "adjust")
        assert journal(path)[-1]["checkpoint"] == 6
        assert app.live.count.snapshot().votes == (2, 1) == on_disk(path).votes
        assert "accepted the Board's subtotal at ballot 4 (entry 7)" in check_line(app)
        assert "ADJUSTED to the Board's figures" in text(app, "#ticker")
        await press(pilot, "n")
        assert text(app, "#ticker").splitlines()[0].split() == ["#4", "NO"]  # after the Board's 3 ballots


async def test_a_correction_by_ballot_number_in_a_pile_keeps_its_place_and_the_journal_keeps_both(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "2", "5", "y", "n")
        await press(pilot, "1", "7")
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, CorrectForm))
        assert app.screen.query_one("#ballot", Input).value == "17"  # the digits typed before #
        await pilot.press("c", "enter")
        await until(pilot, lambda: not isinstance(app.screen, CorrectForm))
        assert text(app, "#pile") == "pile: 1"
        events = journal(path)
        assert events[2] == {**events[2], "type": "ballot", "choice": "yes", "count": 25}
        assert events[-1] == {**events[-1], "type": "correct", "target": 3, "choice": "challenged"}
        assert on_disk(path).challenged == 25 and on_disk(path).votes == (0, 2)
        ticker = text(app, "#ticker")
        assert "CORRECTED #2–26: CHALLENGED (was YES)" in ticker
        assert "#2–26 25 × YES (pile)" in ticker and "#27   NO" in ticker


async def test_corrections_refused_on_the_entry_line_journal_nothing(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "n", "y", "u")  # ballot #3 retracted
        kept = journal(path)
        cases = [(["9", "equals_sign", "n"], "nothing corrected: no ballot #9 yet: 2 handled so far"),
                 (["3", "equals_sign", "n"], "nothing corrected: ballot #3 was retracted (entry 4)"),
                 (["1", "equals_sign", "y"], "nothing corrected: ballot #1 is already YES"),
                 (["0", "equals_sign", "n"], "nothing entered: a pile starts with 1–9"),
                 (["equals_sign", "n"], "nothing entered: type the ballot number first"),
                 (["2", "equals_sign", "5", "n"], "nothing entered: after = comes what ballot #2 was")]
        for keys, said in cases:
            await press(pilot, *keys)
            assert said in text(app, "#said"), keys
            assert app.query_one("#said").has_class("-refused")
            assert journal(path) == kept
            assert text(app, "#pile") == "pile: 1"  # the next key starts again
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, CorrectForm))
        for ballot, key, said in [("abc", "n", "ballot #: type the number"), ("2", "z", "was: one of the keys"),
                                  ("12", "n", "no ballot #12 yet")]:
            await type_form(pilot, ballot, key)
            assert said in str(app.screen.query_one("#form-said").visual)
            assert isinstance(app.screen, CorrectForm) and journal(path) == kept
            for box in app.screen.query(Input):
                box.clear()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CorrectForm))
        assert journal(path) == kept and on_disk(path).votes == (1, 1)


async def test_the_board_form_refuses_impossible_figures_in_one_line_and_stays_open(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y")
        kept = journal(path)
        await board(pilot, "8", "5")  # 13 ballots of the 10 cast: the reducer's refusal
        assert isinstance(app.screen, CheckpointForm)
        said = str(app.screen.query_one("#form-said").visual)
        assert said.startswith("refused: checkpoint: 13 ballots is more than the 10 cast")
        assert journal(path) == kept
        for box in app.screen.query(Input):
            box.clear()
        await type_form(pilot, "1", "", "", "", "")
        assert "no: type the figure the Board announced" in str(app.screen.query_one("#form-said").visual)
        for box in app.screen.query(Input):
            box.clear()
        await type_form(pilot, "1", "-2")
        assert "no: '-2' is not a whole number" in str(app.screen.query_one("#form-said").visual)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CheckpointForm))
        assert journal(path) == kept and "unverified: one counter" == check_line(app)


async def test_closing_offers_the_boards_official_tally_and_escape_skips_it(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "y", "n")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmClose))
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, CheckpointForm))
        assert "official tally" in str(app.screen.query_one("#form-title").visual)
        assert journal(path)[-1]["type"] == "close"  # closed before the form is shown
        await type_form(pilot, "2", "1", "0", "0", "")
        assert journal(path)[-1] == {**journal(path)[-1], "type": "checkpoint", "votes": {"yes": 2, "no": 1},
                                     "void": 0, "challenged": 0}
        assert "matches the Board's tally at ballot 3" in check_line(app)

    path = tmp_path / "k.jsonl"
    app = count_app(path, title="Test", ballots=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y")
        await pilot.press("x", "X")
        await until(pilot, lambda: isinstance(app.screen, CheckpointForm))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CheckpointForm))
        assert [e["type"] for e in journal(path)] == ["election", "ballot", "close"]


async def test_a_multi_choice_count_names_each_choice_and_a_resumed_count_shows_the_disagreement(tmp_path):
    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", choices=["Union A", "Union B", "Neither"])
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "a", "b", "b")  # `a` is Union A's key here: accepting moved to shift+A
        await board(pilot, "2", "1", "0")
        assert "Board: Union A 2 · you 1; Board: Union B 1 · you 2" in check_line(app)
    app.journal.close()
    app = count_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app._view is not None)
        assert "Board: Union A 2 · you 1" in check_line(app)
        assert "A" in app.screen.active_bindings and app.screen.active_bindings["A"].binding.action == "accept_board"
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdjust))
        await pilot.press("A")
        await until(pilot, lambda: journal(path)[-1]["type"] == "adjust")
        assert on_disk(path).votes == (2, 1, 0)


async def test_figures_typed_in_one_burst_land_field_by_field(tmp_path):
    """The keys a terminal hands over at once ("2", Tab, "1", Enter: a fast typist, a paste, a
    loaded machine) reach the form as they were typed: Tab moves on before the next key is read.
    Textual's own Tab bubbled up from the field, and the "1" after it landed in YES ("21"): the
    form then refused for the empty NO (a flaky pty test in CI found it)."""
    from textual import events

    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "y", "y", "y")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, CheckpointForm))
        for key, character in (("2", "2"), ("tab", "\t"), ("1", "1"), ("tab", "\t"), ("shift+tab", None),
                               ("tab", "\t"), ("4", "4"), ("enter", "\r")):
            app.post_message(events.Key(key, character))  # as the driver posts them: no wait between
        await until(pilot, lambda: not isinstance(app.screen, CheckpointForm))
        event = journal(path)[-1]
        assert (event["type"], event["votes"], event.get("void")) == ("checkpoint", {"yes": 2, "no": 1}, 4)


async def test_at_80_columns_a_disagreement_keeps_q_in_the_footer(tmp_path):
    """`a Accept` joins the Footer while the Board's figures disagree: at 80 columns a view
    key (b, s) gives way, never `q Quit` (it fell off the end)."""
    from textual.widgets._footer import FooterKey

    path = tmp_path / "j.jsonl"
    app = count_app(path, title="Test", ballots=100)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "y", "y", "n")
        await board(pilot, "1", "1")  # the Board says YES 1: we have 2
        assert "differs" in check_line(app)

        def shown():
            return {(k.key_display, k.description) for k in app.query(FooterKey) if k.region.right <= 80}

        await until(pilot, lambda: ("a", "Accept") in shown())
        assert {("q", "Quit"), ("y", "YES"), ("n", "NO"), ("u", "Undo")} <= shown()
