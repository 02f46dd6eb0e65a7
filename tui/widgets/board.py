"""The board: one line per election — title, bars against the majority line, votes, lead, left, chance, state.

Every word comes from the presentation model (`tally.present`): the row's
model fields where it has them (`feeds.board.board_row`), else the model's
functions applied to the row's figures; every number from the election's
summary (`tally.summary`). Nothing here decides anything. Titles and choices are somebody's text, so
they are shown as literal Content with control characters as symbols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tally.lang import number, t
from tally.present import (DIFFERS, STATE_WORDS, VERIFICATION_MARKS, VERIFIED, Chance, chance_cell,
                           YES_NO_OUTCOMES, chance_text, counted, face_words, is_working, lead_cell,
                           lead_short_of)
from tally.summary import COUNTING, order_key
from tally.text import literal

COLOURS = ("$success", "$error", "$primary", "$warning", "$accent", "$secondary")
"""Each choice's colour, by its place on the ballot (yes is $success, no is $error, as on the dashboard)."""
STATE_STYLES = {"counting": "bold $text-primary", "decided": "bold $text-success",
                "challenges determinative": "bold $text-warning", "final": "$text-muted"}
MARKER = "┃"

@dataclass(frozen=True, slots=True)
class Columns:
    """Each column's width in cells: the figures take what the widest row needs, the title the rest."""

    title: int
    bar: int
    votes: int
    lead: int
    left: int
    chance: int
    state: int


def fit(text: str, width: int, right: bool = False) -> str:
    """Text cut to `width` cells (with … when cut), padded to it."""
    if width <= 0:
        return ""
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


BAR = 9  # odd: the majority line sits in the middle cell
CHANCE = 14  # "> 99.9 %" and a short word or initials beside it ("runoff 93.2 %")
CHANCE_MOST = 20  # from 100 columns: room for the outcome's words ("union wins 54.2 %")
CHANCE_WIDE = 32  # from 140: every outcome's whole words ("deauthorization carries > 99.9 %", not "dc")


def chance_most() -> int:
    """CHANCE_MOST, or room for "union wins > 99.9 %" in the reader's words if they are longer
    ("gana el sindicato > 99,9 %": cut to its first words it would say nothing)."""
    return max(CHANCE_MOST, len(t(YES_NO_OUTCOMES["yes"])) + 1 + len(chance_text(0.9999, False)))


def columns(rows: list[dict[str, Any]], total: int) -> Columns:
    """Widths for `rows` on a line of `total` cells (a wider screen gives the bar and the title more)."""

    def widest(words: Any, least: int, most: int) -> int:
        return min(most, max([least, *(len(w) for w in words)]))

    def named(column: str) -> int:  # at least its heading's width, in the reader's language
        return len(face_words(column))

    votes = widest((votes_words(r) for r in rows), named("board_votes"), 13)
    lead = widest((lead_short(r) for r in rows), named("board_lead"), 12)
    left = widest((_count(r.get("remaining")) for r in rows), named("board_left"), 9)
    most = CHANCE_WIDE if total >= 140 else chance_most() if total >= 100 else CHANCE
    chance = widest((chance_words(r, most) for r in rows), CHANCE, most)
    state = widest((state_words(r) for r in rows), named("board_state"), 10)
    spare = total - (votes + lead + left + chance + state + 6 + 2)  # 2: the verification mark
    bar = BAR + 2 * (max(0, spare - BAR - 40) // 6)
    return Columns(max(8, spare - bar - 1), bar, votes, lead, left, chance, state)


def bar(row: dict[str, Any], width: int) -> Content:
    """Every vote still possible across `width` cells, the majority line marked.

    Two choices pull from either end (the first from the left, the second
    from the right), so a bar that crosses the line has clinched; three or
    more are stacked from the left in ballot order.
    """
    scale = row.get("scale") or 0
    votes = [int(row.get("votes", {}).get(c, 0)) for c in row.get("choices", [])]
    cells = [("─", "$text-muted")] * width
    if scale > 0 and width > 0:
        if len(votes) == 2:
            left = min(width, votes[0] * width // scale)
            right = min(width - left, votes[1] * width // scale)
            cells[:left] = [("█", COLOURS[0])] * left
            cells[width - right:] = [("█", COLOURS[1])] * right
        else:
            at = 0
            for i, v in enumerate(votes):
                n = min(width - at, v * width // scale)
                cells[at:at + n] = [("█", COLOURS[i % len(COLOURS)])] * n
                at += n
        mark = min(width - 1, int(float(row.get("line") or 0) * width / scale))
        cells[mark] = (MARKER, "bold $text")
    return Content.assemble(*cells)


def _count(n: Any) -> str:
    return "—" if n is None else number(n) if isinstance(n, int) else str(n)


# -- the row's words: the model's (tally.present), taken from the row ------------------
# A row from files carries the model's fields (feeds.board.board_row); a row from a hub
# that does not send them yet is given the model's words from its figures, by the same
# functions of tally.present. Either way nothing here words anything itself.

def state_words(row: dict[str, Any]) -> str:
    state = str(row.get("state", ""))
    return str(row.get("state_words") or (t(STATE_WORDS[state]) if state in STATE_WORDS else state.upper()))


def lead_short(row: dict[str, Any]) -> str:
    if row.get("lead_short"):
        return str(row["lead_short"])
    names = dict(zip(row.get("choices", []), row.get("names", [])))
    leader = row.get("leader")
    return lead_short_of(int(row.get("valid") or 0), None if leader is None else names.get(leader, leader),
                         int(row.get("margin") or 0))


def top_chance(row: dict[str, Any]) -> Chance | None:
    """The row's likeliest outcome as the model's `Chance` (its label and its text)."""
    chances = row.get("chances")
    if not chances:
        return None
    top = chances[0]
    p = float(top.get("p", 0))
    if "text" in top:
        return Chance(str(top.get("key", "")), str(top.get("label", "")), str(top["text"]), p,
                      str(top.get("role", "other")))
    # A hub's row without the model: the one rounding rule, never certain while counting.
    return Chance(str(top.get("key", "")), str(top.get("words", "")), chance_text(p, False), p, "other")


def chance_words(row: dict[str, Any], width: int = CHANCE_MOST) -> str:
    working = bool(row.get("working")) or is_working(row.get("no_chance"))
    return chance_cell(str(row.get("state", "")), top_chance(row), working, width)


def votes_words(row: dict[str, Any]) -> str:
    return "–".join(number(int(row.get("votes", {}).get(c, 0))) for c in row.get("choices", []))


VERIFICATION_STYLES = {VERIFIED: "bold $text-success", DIFFERS: "bold $text-error"}


def verification_mark(row: dict[str, Any]) -> tuple[str, str]:
    """The row's mark of its verification line (the model's role), and its style; blank when unverified."""
    role = str((row.get("model") or {}).get("verification_role", ""))
    return VERIFICATION_MARKS.get(role, " "), VERIFICATION_STYLES.get(role, "")


def row_line(row: dict[str, Any], cols: Columns) -> Content:
    """One election as one line: its verification mark first (✓ checked and agreeing, ✗ not)."""
    state = str(row.get("state", ""))
    return Content.assemble(
        verification_mark(row), " ",
        (fit(literal(str(row.get("title", row.get("id", "")))), cols.title), "bold"), " ",
        bar(row, cols.bar), " ",
        fit(votes_words(row), cols.votes, right=True), " ",
        (fit(literal(lead_cell(lead_short(row), cols.lead)), cols.lead), "$text"), " ",
        fit(_count(row.get("remaining")), cols.left, right=True), " ",
        fit(literal(chance_words(row, cols.chance)), cols.chance, right=True), " ",
        (fit(state_words(row), cols.state), STATE_STYLES.get(state, "")),
    )


def heading_line(cols: Columns) -> Content:
    bars = face_words("board_bars_wide") if cols.bar >= 17 else face_words("board_bars")
    words = ("  " + fit(face_words("board_count"), cols.title) + " " + fit(bars, cols.bar) + " "
             + fit(face_words("board_votes"), cols.votes, right=True) + " " + fit(face_words("board_lead"), cols.lead)
             + " " + fit(face_words("board_left"), cols.left, right=True) + " "
             + fit(face_words("board_chance"), cols.chance, right=True) + " " + fit(face_words("board_state"), cols.state))
    return Content.assemble((words, "$text-muted"))


def board_words(rows: list[dict[str, Any]], where: str, feed: str) -> str:
    """The line above the board: how many counts, in which states, and the feed."""
    counting = sum(r.get("state") == COUNTING for r in rows)
    n = len(rows)
    counts = face_words("board_counts", counts=counted(n, "count"), n=counting) if rows else face_words("no_counts")
    return f"{where} · {counts} · {feed}"


class BoardHeading(Static):
    """The column names, sized as the rows are (the board sets them with each draw)."""


def board_order(rows: list[dict[str, Any]], held: str | None, at: int | None) -> list[dict[str, Any]]:
    """The rows in `order_key` order, except the highlighted election `held`, kept at row `at`.

    A count that becomes decided moves down below the counting ones; if it is
    the one under the cursor, it stays there instead, so that Enter opens the
    election the reader chose, not whichever slid under the cursor (LDJ5
    decided under a reader's cursor once, and Enter opened JFK8). The others
    take their places around it; it moves to its own place once the cursor
    leaves it. `held` is None until the reader has moved the cursor: the
    first row is the board's, not a choice.
    """
    ordered = sorted(rows, key=order_key)
    ids = [str(r.get("id")) for r in ordered]
    if held is None or at is None or held not in ids:
        return ordered
    row = ordered.pop(ids.index(held))
    ordered.insert(min(at, len(ordered)), row)
    return ordered


class BoardRows(OptionList):
    """The elections, one line each, in a stable order; Enter opens one."""

    chosen = False
    """The reader has moved the cursor: the row under it is theirs, and holds its place."""

    def show(self, rows: list[dict[str, Any]], cols: Columns) -> None:
        """Lay the rows out again, keeping the highlighted election highlighted, where it is."""
        current = self.highlighted_option.id if self.highlighted_option is not None else None
        rows = board_order(rows, current if self.chosen else None, self.highlighted)
        ids = [str(r.get("id")) for r in rows]
        with self.app.batch_update():
            if [o.id for o in self.options] == ids:
                for i, r in enumerate(rows):
                    self.replace_option_prompt_at_index(i, row_line(r, cols))
            else:
                self.set_options([Option(row_line(r, cols), id=i) for r, i in zip(rows, ids)])
                if ids:  # the reader's row stays theirs; until they choose one, the cursor is on the first
                    self.highlighted = ids.index(current) if self.chosen and current in ids else 0

    def action_cursor_up(self) -> None:
        self.chosen = True
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.chosen = True
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self.chosen = True
        super().action_page_up()

    def action_page_down(self) -> None:
        self.chosen = True
        super().action_page_down()
