"""Issue 17, must hold 7: the dashboard's first layout is its full one.

How long the launch takes is bench/bench_launch.py's (a ratio against the
smallest Textual app, never a timed test). These hold what made the first full
frame come late: the Footer's keys arrived one whole layout after the rest of
the screen, and the screen's breakpoint classes (-wide, -tall …) arrived with
its first resize, after every widget had been styled without them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from dash import replay_app, until
from tui.app import Dashboard, ReplayDashboard, breakpoint_classes


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
