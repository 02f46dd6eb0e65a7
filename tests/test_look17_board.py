"""Issue 17, looking at `tally board` as a reader does: what the screenshots at 80×24 and 160×50 showed.

- The cursor's row was Textual's blue cursor: on it a choice drawn in $primary (a three-way
  count's third bar) and the word COUNTING ($text-primary) all but vanished, in both themes.
  Now every colour on the cursor's row stands out from it at least as well as on the other rows.
- At 160 columns the chance column stayed 20 cells wide beside a 76-cell title: "df 73.9 %"
  for "deauthorization fails 73.9 %", "Teamsters 82.2 %" for "Teamsters wins". From 140
  columns it takes the outcome's whole words.
"""

from __future__ import annotations

import pytest

from feeds.board import BoardReplay, LiveBoard
from test_cross_face import STATES
from tui.board_app import ReplayBoard


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 (the same) to 21 (black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _corpus_board(tmp_path) -> ReplayBoard:
    """The cross-face corpus (a three-way ballot, a deauthorization poll …) replayed on one board."""
    paths = []
    for election_id, lines in STATES.items():
        path = tmp_path / f"{election_id}.jsonl"
        path.write_text("\n".join(lines()) + "\n")
        paths.append(path)
    return ReplayBoard(BoardReplay(LiveBoard(paths), paused=True, speed=1.0), "the corpus")


async def _at_the_end(app, pilot) -> None:
    await pilot.press("end")
    for _ in range(200):
        if app.source.rows() and len(app.source.rows()) == len(STATES) and app.replay.done:
            break
        await pilot.pause(0.05)
    app._drawn = -1
    app.draw()
    await pilot.pause(0.3)


def _cells(app, y: int) -> list[tuple[str, str, str]]:
    """(text, colour, background) of each drawn piece of the board's line y."""
    return [(seg.text, seg.style.color.triplet.hex, seg.style.bgcolor.triplet.hex)
            for seg in app.board_rows.render_line(y) if seg.text.strip() and seg.style.color]


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"], ids=["dark", "light"])
async def test_every_colour_on_the_cursors_row_stands_out(tmp_path, theme):
    """Words at 3:1 at least, a bar at least as clear as on a row without the cursor, the cursor seen."""
    app = _corpus_board(tmp_path)
    async with app.run_test(size=(160, 30)) as pilot:
        app.theme = theme
        await _at_the_end(app, pilot)
        assert app.board_rows.highlighted == 0
        ids = [str(app.board_rows.get_option_at_index(i).id) for i in range(app.board_rows.option_count)]
        assert ids[0] == "three"  # its third choice is drawn in $primary, COUNTING in $text-primary
        cursor, other = _cells(app, 0), _cells(app, 1)
    cursor_bg, other_bg = cursor[0][2], other[0][2]
    assert contrast(cursor_bg, other_bg) >= 1.2, (cursor_bg, other_bg)  # the cursor is seen
    for text, colour, bg in cursor:
        if set(text) <= set("█"):
            assert contrast(colour, bg) >= min(2.0, contrast(colour, other_bg)), (text, colour, bg)
        else:
            assert contrast(colour, bg) >= 3.0, (text, colour, bg)


async def test_a_wide_board_gives_the_chance_its_whole_words(tmp_path):
    app = _corpus_board(tmp_path)
    async with app.run_test(size=(160, 30)) as pilot:
        await _at_the_end(app, pilot)
        lines = {str(o.id): o.prompt.plain for o in app.board_rows.options}
    assert "deauthorization fails 73.9 %" in lines["deauth"]
    assert "Teamsters wins 82.2 %" in lines["three"]
    assert "no union > 99.9 %" in lines["ldj5-802"]
