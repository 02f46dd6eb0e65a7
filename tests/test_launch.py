"""Issue 17, must hold 7: the dashboard's first layout is its full one.

How long the launch takes is bench/bench_launch.py's (a ratio against the
smallest Textual app, never a timed test). These hold what made the first full
frame come late: the Footer's keys arrived one whole layout after the rest of
the screen, and the screen's breakpoint classes (-wide, -tall …) arrived with
its first resize, after every widget had been styled without them.
"""

from __future__ import annotations

import gc
from collections import Counter

import pytest
from hypothesis import given, strategies as st
from textual import events
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from counts import ballots, header, write
from dash import needle_ready, replay_app, until
from feeds import files
from feeds.bundled import resolve
from feeds.live import LiveCount
import tally.schema
from tui import cli, startup
from tui.app import ROLES_CSS, Dashboard, ReplayDashboard, breakpoint_classes
from tui.exits import EXIT_OK
from tui.widgets.history import ChoicesMarginBars, MarginBars
from tui.widgets.needle import CHOICE_ROLES, ChanceBar, ChoicesChanceBar


class FirstLayout(ReplayDashboard):
    """The replay dashboard, noting what its screen holds before Textual first lays it out."""

    def compose(self):
        self.classes_at_compose = self.screen.classes & BREAKPOINTS
        yield from super().compose()

    def on_mount(self) -> None:
        # Textual runs the bases' on_mount too: the replay and the frame timer start as always.
        self.keys_at_mount = footer_keys(self)


def footer_keys(app) -> list[str]:
    return [f"{key.key_display}:{key.description}" for key in app.screen.query(FooterKey)]


def first_layout_app() -> FirstLayout:
    app = replay_app("ldj5")
    return FirstLayout(app.replay)


SIZES = [((120, 40), {"-wide", "-tall"}, True), ((80, 24), {"-narrow", "-short"}, False)]
BREAKPOINTS = {"-narrow", "-wide", "-short", "-tall"}


@pytest.mark.parametrize("size, classes, palette", SIZES)
async def test_the_first_layout_has_the_footers_keys(size, classes, palette):
    app = first_layout_app()
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        assert app.keys_at_mount, "the Footer was empty when the dashboard was mounted"
        assert any(k.endswith(":Quit") for k in app.keys_at_mount)
        assert any(k.endswith(":Pause") for k in app.keys_at_mount)
        assert (app.keys_at_mount[-1] == "^p:palette") == palette
        await pilot.pause(0.2)
        assert footer_keys(app) == app.keys_at_mount  # what the first layout showed stays


@pytest.mark.parametrize("size, classes, palette", SIZES)
async def test_the_first_layout_has_the_sizes_classes(size, classes, palette):
    app = first_layout_app()
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        assert app.classes_at_compose == classes
        await pilot.pause(0.2)
        assert app.screen.classes & BREAKPOINTS == classes


async def test_a_resize_still_moves_the_classes_and_the_palettes_key():
    app = first_layout_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert {"-narrow", "-short"} <= app.screen.classes
        assert not app.screen.classes & {"-wide", "-tall"}
        assert "^p:palette" not in footer_keys(app)
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.2)
        assert {"-wide", "-tall"} <= app.screen.classes
        assert footer_keys(app)[-1] == "^p:palette"


@given(st.integers(min_value=0, max_value=100_000))
def test_breakpoint_classes_are_the_ones_textual_picks(size):
    screen = Screen()
    for breakpoints in (Dashboard.HORIZONTAL_BREAKPOINTS, Dashboard.VERTICAL_BREAKPOINTS,
                        [(10, "-a"), (0, "-b"), (200, "-c")], [(5, "-from-five")], []):
        assert set(breakpoint_classes(size, breakpoints)) == screen._get_breakpoint_classes(size, breakpoints)


# -- what Textual and Python did again before the first frame ---------------------------------

class Restyles(ReplayDashboard):
    """The replay dashboard, noting how many nodes each restyle took."""

    def compose(self):
        self.restyled: list[int] = []
        real = self.stylesheet.update_nodes

        def update_nodes(nodes, animate=False):
            nodes = list(nodes)
            self.restyled.append(len(nodes))
            return real(nodes, animate=animate)

        self.stylesheet.update_nodes = update_nodes
        yield from super().compose()


async def test_the_first_resume_does_not_style_the_whole_screen_again():
    # Fails before FirstFrameScreen: Textual's first ScreenResume restyled every node just
    # styled at mount (the whole screen, ~20 ms of the first frame).
    app = Restyles(replay_app("ldj5").replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)  # and its frame drawn
        nodes = len(list(app.screen.walk_children(with_self=True)))
        assert max(app.restyled, default=0) < nodes // 2, app.restyled


async def test_a_later_resume_restyles_as_textual_does():
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        restyled = []
        real = app.stylesheet.update_nodes

        def update_nodes(nodes, animate=False):
            nodes = list(nodes)
            restyled.append(len(nodes))
            return real(nodes, animate=animate)

        app.stylesheet.update_nodes = update_nodes
        app.screen.post_message(events.ScreenResume())  # as Textual sends it when a screen returns
        await pilot.pause()
        assert max(restyled) == len(list(app.screen.walk_children(with_self=True)))


class Stylings(ReplayDashboard):
    """The replay dashboard, counting how often each Footer key is styled."""

    def compose(self):
        self.stylings: Counter = Counter()
        real = self.stylesheet.apply

        def apply(node, *args, **kwargs):
            if isinstance(node, FooterKey):
                self.stylings[node] += 1
            return real(node, *args, **kwargs)

        self.stylesheet.apply = apply
        yield from super().compose()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_each_footer_key_is_styled_once(size):
    # Fails before KeyFooter.compose put "-compact" on: each key was styled at mount, then
    # again when it took the class from its `compact` (~6 ms of the launch).
    app = Stylings(replay_app("ldj5").replay)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        keys = list(app.screen.query(FooterKey))
        assert keys and all(app.stylings[key] == 1 for key in keys), app.stylings
        assert all(key.has_class("-compact") for key in keys)


@pytest.fixture
def collector():
    yield
    startup.release()
    assert gc.isenabled()


async def test_the_collector_is_off_until_the_counts_first_frame(collector):
    # Fails before tui/startup.py: ~185 collections walked start-up's objects (~70 ms).
    startup.hold()
    app = Shown(replay_app("ldj5").replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        await pilot.pause(0.1)
        assert gc.isenabled() and not startup.held()
    assert app.collecting[0] is False  # off as the count's first frame was drawn


async def test_a_feed_that_shows_nothing_gets_the_collector_back_soon(collector, monkeypatch):
    monkeypatch.setattr(startup, "STARTED", 0.1)
    startup.hold()
    app = Dashboard(LiveCount())  # nothing fed: no frame of a count ever comes
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert gc.isenabled() and not startup.held()


def test_tally_replay_holds_the_collector_until_its_app_runs(collector, monkeypatch):
    seen = []

    def run_app(app):
        seen.append((type(app).__name__, gc.isenabled(), startup.held()))
        return "", EXIT_OK

    monkeypatch.setattr(cli, "run_app", run_app)
    assert cli.main(["replay", "ldj5", "--paused"]) == EXIT_OK
    assert seen == [("ReplayDashboard", False, True)]
    assert gc.isenabled()  # and back on once it returned


@pytest.mark.parametrize("argv", [["replay", "no-such-count"], ["replay", "ldj5", "--speed", "0"]])
def test_a_replay_refused_before_its_app_leaves_the_collector_on(collector, argv, capsys):
    assert cli.main(argv) == 2
    assert gc.isenabled() and not startup.held()


def test_hold_and_release_leave_a_collector_turned_off_by_someone_else_off(collector):
    gc.disable()
    try:
        startup.hold()
        startup.release()
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- what the first frame reads -------------------------------------------------------------

def selectors(app) -> set[str]:
    return {selector.css for rule in app.stylesheet.rules for selector in rule.selector_set}


NOT_THE_DASHBOARDS = {"BroadcastScreen", "#big-counts", ".big-count", "#big-stats", "EntryLine", "#dialog"}
"""Selectors of the broadcast view's rules (b) and of `tally count`'s entry line and dialogs."""


async def test_the_first_frame_parses_only_the_dashboards_own_rules():
    # Fails before tui/broadcast.tcss and the move to tui/count.tcss: the replay's first frame
    # parsed the broadcast view's and tally count's rules too (~25 % of tally.tcss's tokens).
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        before = {id(rule) for rule in app.stylesheet.rules}
        assert not {s.split()[0] for s in selectors(app)} & NOT_THE_DASHBOARDS
        await pilot.press("b")
        await until(pilot, lambda: type(app.screen).__name__ == "BroadcastScreen")
        assert {"BroadcastScreen", "#big-counts"} <= {s.split()[0] for s in selectors(app)}
        # Only the broadcast view's file was parsed: the rules already there are the same objects.
        assert before <= {id(rule) for rule in app.stylesheet.rules}


@pytest.fixture
def validated(monkeypatch):
    """How many events the fast path validates (the header check's and a replay's reader)."""
    real = tally.schema._fast_validator()
    seen = []

    class Counting:
        def validate_json(self, data):
            events = real.validate_json(data)
            seen.append(len(events))
            return events

    monkeypatch.setattr(tally.schema, "_fast_validator", Counting)
    return seen


def test_the_header_check_validates_the_first_lines_only(validated):
    # Fails before FIRST_BLOCK: the check validated LDJ5's first 64 KiB (~900 events) to read one.
    assert files.header_problem(resolve("ldj5")) is None
    assert 0 < sum(validated) < 100, validated


def test_a_replays_first_event_is_read_with_the_first_lines_only(validated):
    cursor = files.Cursor(resolve("ldj5"))
    n, header = next(cursor)
    assert (n, header.type) == (1, "election")
    assert 0 < sum(validated) < 100, validated
    cursor.close()


ROLE_RULES = {".-c0 .choice-name", "ChanceBar > .chancebar--c0", ".legend-item.-c11"}
"""Some of the rules of the twelve choices' colours (tui/roles.tcss)."""


async def test_a_yes_no_replay_parses_none_of_the_twelve_choices_colours():
    # Fails before tui/roles.tcss: every first frame parsed c0…c11's 24 variables and 72 rules
    # (a third of tally.tcss), which a yes/no ballot never shows.
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        assert not selectors(app) & ROLE_RULES
        assert not app.stylesheet.has_source(str(ROLES_CSS))


async def test_a_yes_no_replays_bars_style_none_of_the_twelve_choices_roles():
    # Fails before ChoicesChanceBar and ChoicesMarginBars: the chance bar and the margin bars
    # declared c0…c11 whatever the ballot, 24 component classes Textual styled at mount.
    app = replay_app("ldj5")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        bar, bars = app.screen.query_one(ChanceBar), app.screen.query_one(MarginBars)
        styled = {*bar._component_styles, *bars._component_styles}
        assert not {c for c in styled if c.rsplit("--", 1)[1] in CHOICE_ROLES}
        assert {"chancebar--yes", "chancebar--no", "chancebar--pending", "chancebar--other",
                "chancebar--empty", "marginbars--up", "marginbars--down", "marginbars--axis"} <= styled
        # The same colours as the bars that declare every role.
        assert bar.get_component_rich_style("chancebar--yes") == styled_as(app, ChoicesChanceBar, "chancebar--yes")
        assert bars.get_component_rich_style("marginbars--down") == styled_as(app, ChoicesMarginBars,
                                                                              "marginbars--down")
        await pilot.press("end")
        await until(pilot, lambda: app.live.count.closed)
        assert app.screen.query_one(ChanceBar).render()  # every outcome of the ballot has its colour


def styled_as(app, widget_class, component: str):
    """A component's style on a widget of `widget_class`, styled by the app's stylesheet."""
    widget = widget_class()
    widget._attach(app.screen)
    app.stylesheet.apply(widget)
    return widget.get_component_rich_style(component)


@pytest.mark.parametrize("choices", [["UFCW", "Teamsters", "none"], ["A", "B"]])
async def test_any_other_ballot_has_its_choices_colours(tmp_path, choices):
    path = write(tmp_path / "other.jsonl", header(choices=choices), *ballots(*choices))
    app = replay_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        assert ROLE_RULES <= selectors(app)
        assert "-c0" in app.screen.query(".choice-row").first().classes
        assert isinstance(app.screen.query_one(ChanceBar), ChoicesChanceBar)  # every role declared
        assert isinstance(app.screen.query_one(MarginBars), ChoicesMarginBars)


def test_every_other_dashboard_reads_the_choices_colours():
    # Only a replay knows its ballot before it starts; a watch, a count and the board do not.
    from tui.board_app import Board
    from tui.count_app import CountDashboard
    from tui.watch_app import WatchDashboard

    for app_class in (Dashboard, WatchDashboard, CountDashboard, Board):
        paths = app_class.CSS_PATH if isinstance(app_class.CSS_PATH, list) else [app_class.CSS_PATH]
        assert ROLES_CSS in paths, app_class


class Shown(ReplayDashboard):
    """The replay dashboard, noting every view it draws, and whether the collector was on then."""

    def show(self, view) -> None:
        self.shown = [*getattr(self, "shown", []), view]
        self.collecting = [*getattr(self, "collecting", []), gc.isenabled()]
        super().show(view)


async def test_a_replays_first_view_drawn_is_the_counts():
    """The first draw waits for the replay's first step (it measures the pace and applies the
    header without waiting): the first view drawn has the count, no empty "loading" view
    is drawn and replaced just before it, as `tally replay ldj5 --paused` starts. Fails on main
    (the first view was empty) and without `_drawn_size` (the count was drawn twice)."""
    app = Shown(replay_app("ldj5", speed=None).replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        first = app.shown[0]
        assert first.snapshot is not None and first.snapshot.election.id == "ldj5"
        assert first.feed.state == "paused"
        assert all(view.snapshot is not None for view in app.shown)
        # ... and drawn once: not again for the size Textual sends a second time as it starts
        # (later views are the needle's, worked out on its thread after the first).
        assert sum(view.needle is None for view in app.shown) == 1, app.shown


async def test_a_resize_still_draws_the_count_again():
    app = Shown(replay_app("ldj5").replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.live.count.election is not None)
        drawn = app._drawn
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app._drawn == -1 or app._drawn_size == (100, 30)
        await until(pilot, lambda: app._drawn == drawn)
        assert app._drawn_size == (100, 30)


# -- the command line: each command's own parser ---------------------------------------
def parsed(parser, argv: list[str]) -> tuple[str, str, object]:
    """What `parser` does with argv: its output, its errors, and the namespace or exit code."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = vars(parser.parse_args(argv))
        except SystemExit as exc:
            return out.getvalue(), err.getvalue(), exc.code
    run = args.pop("run", None)
    return out.getvalue(), err.getvalue(), (getattr(run, "func", run), sorted(args.items(), key=str))


def test_every_command_is_listed_in_commands():
    parser = cli.build_parser()
    assert tuple(parser._subparsers._group_actions[0].choices) == cli.COMMANDS


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_a_commands_own_parser_says_what_the_whole_one_says(command, monkeypatch):
    """`tally COMMAND --help`, its usage and its refusals are the same from the parser built
    for COMMAND alone as from the whole one."""
    monkeypatch.setenv("COLUMNS", "100")
    whole, own = cli.build_parser(), cli.build_parser(command)
    for argv in ([command, "--help"], [command], [command, "--bogus"], [command, "x", "--lang", "xx"]):
        assert parsed(own, argv) == parsed(whole, argv)
    assert own.format_usage() == whole.format_usage()


def test_the_replays_parser_builds_no_other_command():
    """`tally replay` (and `tally` alone, which replays LDJ5) builds replay's options only:
    not serve's, publish's, count's, listen's, nor imports the modules that define them."""
    import subprocess
    import sys

    code = ("import sys; from tui import cli; p = cli.build_parser(cli.command_of(sys.argv[1:]));"
            "print(sorted(p._subparsers._group_actions[0].choices),"
            " [m for m in ('tui.net_cli', 'tui.listen_cli') if m in sys.modules])")
    for argv in (["replay", "ldj5", "--paused"], []):
        out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                             check=True).stdout
        assert out.strip() == "['replay'] []"


@given(st.lists(st.sampled_from(
    [*cli.COMMANDS, "-h", "--help", "bogus", "ldj5", "ws://127.0.0.1:1", "2", "x", "--speed", "--max",
     "--paused", "--json", "--png", "--lang", "es", "--port", "--check", "--id", "--choices", "a,b",
     "--audio", "--cafile", "--shots", "--", "-"]), max_size=5))
def test_any_command_line_is_parsed_alike_by_its_own_parser(argv):
    """Whatever the words, `main`'s parser (built for `command_of(argv)`) parses them, refuses
    them or prints help exactly as the whole parser does."""
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, COLUMNS="100"):  # help's width, the same for both
        assert parsed(cli.build_parser(cli.command_of(argv)), argv) == parsed(cli.build_parser(), argv)


class NeedleStarts(ReplayDashboard):
    """The replay dashboard, noting for each needle job it starts whether the count's first frame
    had been refreshed onto the screen by then."""

    def on_mount(self) -> None:
        self.refreshed = False
        self.call_after_refresh(self._refreshed)  # queued before any draw of the count

    def _refreshed(self) -> None:
        self.refreshed = self.live.count.election is not None or self.refreshed
        if not self.refreshed:
            self.call_after_refresh(self._refreshed)

    def run_worker(self, work, *args, **kw):
        if kw.get("name") == "needle":
            self.starts = [*getattr(self, "starts", []), self.refreshed]
        return super().run_worker(work, *args, **kw)


async def test_the_needles_first_job_starts_after_the_counts_first_frame():
    """Its thread would share the interpreter with the first frame's layout and rendering; the
    frame of a small count has its exact chance without it (feeds.live.cheap_needle)."""
    app = NeedleStarts(replay_app("ldj5", speed=None).replay)
    async with app.run_test(size=(120, 40)) as pilot:
        await needle_ready(pilot)
        assert app.starts and all(app.starts), app.starts
        assert "%" in str(app.screen.query_one(".needle-words").render())
