"""The needle: how likely each outcome is now, each side's likely final votes, and how the chance moved.

The numbers come from `tally.odds` through `feeds.needle` (worked out off the
screen's thread by the app); these widgets only draw the latest needle the
View carries. The chance is a model's (random ballot order), so the words say
"chance", and a simulation says "approximate".
"""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget

from feeds.live import View
from feeds.needle import Needle, has_history
from tally.reducer import Snapshot
from tally.rules import DEAUTHORIZATION
from tally.summary import WORKING
from tally.timeline import Point
from tui.widgets.history import columns
from tui.widgets.readout import Readout

CHOICE_STYLES = ("c0", "c1", "c2", "c3")
WINS = ("yes", "no")  # a side's win: shown as certain only once the count decides it


def chance(p: float, certain: bool = True) -> str:
    """A probability as a watcher reads it: never "100 %" or "0 %" for what is not `certain`.

    A model's 1.0 before the count decides it is a rounding, not a certainty.
    """
    if p <= 0:
        return "0 %" if certain else "< 0.1 %"
    if p >= 1:
        return "100 %" if certain else "> 99.9 %"
    if p < 0.001:
        return "< 0.1 %"
    if p > 0.999:
        return "> 99.9 %"
    return f"{100 * p:.1f} %"


def outcome_label(snap: Snapshot, key: str) -> str:
    if key == "pending":
        return "challenges decide"
    if snap.election.yes_no and snap.election.rule == DEAUTHORIZATION:
        return {"yes": "deauthorization carries", "no": "deauthorization fails"}.get(key, key)
    if snap.election.yes_no:
        return {"yes": "union wins", "no": "no union"}.get(key, key)
    if key in snap.choices:
        return f"{key} wins"
    return key.replace("_", " ")


def shown_outcomes(snap: Snapshot, outcomes: dict[str, float]) -> list[tuple[str, float]]:
    """Every choice and the runoff always; rarer outcomes only when they have a chance."""
    return [(k, p) for k, p in outcomes.items()
            if p > 0 or k in snap.choices or k in ("yes", "no", "pending", "runoff")]


def needle_words(snap: Snapshot | None, needle: Needle | None) -> tuple[str, str]:
    """The chances in one line, the ranges in another; or why there are none."""
    if snap is None:
        return "Chance: no count yet", ""
    if needle is None:
        return f"Chance: {WORKING}", ""
    if needle.odds is None:
        return f"No chance given: {needle.reason}", ""
    odds = needle.odds
    how = "exact" if odds.method == "exact" else "approximate, simulated"
    decided = snap.outcome.decided or snap.remaining == 0
    parts = [f"{outcome_label(snap, k)} {chance(p, decided or k not in WINS and k not in snap.choices)}"
             for k, p in shown_outcomes(snap, odds.outcomes)]
    return f"Chance ({how}): " + " · ".join(parts), range_words(snap, odds.ranges)


def range_words(snap: Snapshot, ranges: dict[str, tuple[int, int]]) -> str:
    """'YES will finish between 372 and 391 (80 %) · NO between 600 and 618'."""
    parts = []
    for i, choice in enumerate(snap.choices):
        if choice not in ranges:
            continue
        low, high = ranges[choice]
        name = choice.upper() if snap.election.yes_no else choice
        if low == high:
            words = f"{name} finishes with {low:,}"
        else:
            verb = "will finish between" if not parts else "between"
            words = f"{name} {verb} {low:,} and {high:,}" + (" (80 %)" if not parts else "")
        parts.append(words)
    return " · ".join(parts)


def segments(snap: Snapshot, outcomes: dict[str, float], width: int) -> list[tuple[int, str]]:
    """The bar's cells per outcome (largest remainders, so they always fill the width)."""
    styles = []
    for key, p in outcomes.items():
        if snap.election.yes_no:
            style = {"yes": "chancebar--yes", "no": "chancebar--no"}.get(key, "chancebar--pending")
        elif key in snap.choices:
            style = f"chancebar--{CHOICE_STYLES[snap.choices.index(key) % 4]}"
        else:
            style = "chancebar--pending" if key == "pending" else "chancebar--other"
        styles.append((p * width, style))
    cells = [int(x) for x, _ in styles]
    order = sorted(range(len(styles)), key=lambda i: styles[i][0] - cells[i], reverse=True)
    for i in order[: max(0, width - sum(cells))]:
        cells[i] += 1
    return [(n, style) for n, (_, style) in zip(cells, styles) if n]


class ChanceBar(Widget):
    """One line split by the chance of each outcome: union green, no union red, challenges amber."""

    COMPONENT_CLASSES = {"chancebar--yes", "chancebar--no", "chancebar--pending", "chancebar--other",
                         "chancebar--empty", *(f"chancebar--{c}" for c in CHOICE_STYLES)}
    needle: reactive[Needle | None] = reactive(None)
    snapshot: reactive[Snapshot | None] = reactive(None)

    def render(self) -> Text:
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop")
        needle, snap = self.needle, self.snapshot
        if needle is None or needle.odds is None or snap is None:
            text.append("░" * width, self.get_component_rich_style("chancebar--empty"))
            return text
        for n, style in segments(snap, needle.odds.outcomes, width):
            text.append("█" * n, self.get_component_rich_style(style))
        return text


class NeedleDial(Vertical):
    """The needle now: the bar, the chances in words, each side's likely final votes."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.bar = ChanceBar()
        self.words = Readout(classes="needle-words")
        self.ranges = Readout(classes="needle-ranges")

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self.words
        yield self.ranges

    def show_view(self, view: View) -> None:
        self.bar.snapshot, self.bar.needle = view.snapshot, view.needle
        words, ranges = needle_words(view.snapshot, view.needle)
        self.words.say(words)
        self.ranges.say(ranges)
        self.set_class(view.needle is not None and view.needle.odds is None, "-none")


class ChanceChart(Vertical):
    """The union's chance through the count, one column per stretch; yes/no ballots only."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.label = Readout(classes="chart-label")
        self.bars = ChanceBars()

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.bars

    def show_view(self, view: View) -> None:
        snap, needle = view.snapshot, view.needle
        self.display = snap is not None and has_history(snap)
        if not self.display or needle is None or needle.odds is None:
            return
        now = chance(needle.odds.outcomes.get("yes", 0.0), snap.outcome.decided or snap.remaining == 0)
        if self.size.width >= 45:
            self.label.say(f"The union's chance through the count: {now} now (┄ 50 %)")
        else:
            self.label.say(f"Union's chance: {now} now")
        bars = self.bars
        bars.points = view.points
        bars.history = needle.history


def chance_rows(values: list[float | None], height: int) -> list[tuple[str, str]]:
    """Rows of an area chart of chances (0 to 1), top first; a dotted line at 50 %."""
    mid = (height + 1) // 2  # the row 50 % falls in (rows count from 1 at the bottom)
    rows = []
    for level in range(height, 0, -1):
        cells = []
        for v in values:
            h = -1 if v is None else round(v * height * 2)
            if h >= 2 * level:
                cells.append("█")
            elif h == 2 * level - 1:
                cells.append("▄")
            elif level == mid:
                cells.append("┄")
            else:
                cells.append(" ")
        rows.append("".join(cells))
    return [(row, "chancebars--fill") for row in rows]


class ChanceBars(Widget):
    COMPONENT_CLASSES = {"chancebars--fill", "chancebars--axis"}
    points: reactive[tuple[Point, ...]] = reactive(tuple)
    history: reactive[dict[int, float]] = reactive(dict)

    def render(self) -> Text:
        width, height = self.size
        values = [self.history.get(p.handled) for p in columns(self.points, width)]
        text = Text(no_wrap=True, overflow="crop")
        fill = self.get_component_rich_style("chancebars--fill")
        axis = self.get_component_rich_style("chancebars--axis")
        for i, (row, _) in enumerate(chance_rows(values, height)):
            if i:
                text.append("\n")
            for kind, run in groupby(row, key=lambda c: "axis" if c == "┄" else ("blank" if c == " " else "bar")):
                text.append("".join(run), {"axis": axis, "blank": None, "bar": fill}[kind])
        return text
