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
from feeds.needle import has_history
from tally.lang import t
from tally.present import NO_COUNT_CHANCE, Chance, Presentation, face_words, is_working
from tally.timeline import Point
from tui.widgets.history import columns
from tui.widgets.readout import Readout

CHOICE_ROLES = tuple(f"c{i}" for i in range(12))
"""The roles of the choices of a ballot that is not yes/no (tally.present.outcome_role)."""
ROLES = ("yes", *CHOICE_ROLES, "pending", "other", "no")
"""The bar's order: the union (or the choices) from the left, no union at the right, the rest between."""


def fitted(head: str, phrases: tuple[str, ...], width: int, sep: str = " · ") -> tuple[str, ...]:
    """The phrases after `head`, on as many lines of `width` as they need, never split.

    The chances come likeliest first: what does not fit goes on the next line,
    so the likeliest outcome is never the one cut off at the end. A phrase
    wider than a whole line is left to the widget to abbreviate.
    """
    lines: list[str] = []
    line, fresh = head, True
    for phrase in phrases:
        if not fresh and len(line) + len(sep) + len(phrase) > width:
            lines.append(line)
            line = phrase
        else:
            line = line + phrase if fresh else f"{line}{sep}{phrase}"
        fresh = False
    lines.append(line)
    return tuple(lines)


def needle_lines(model: Presentation | None, width: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The chances (likeliest first) and the likely finishes, each packed into lines of `width`."""
    if model is None:
        return (face_words("chance", value=t(NO_COUNT_CHANCE)),), ()
    if model.chances is None:
        if is_working(model.no_chance):
            return (face_words("chance", value=model.no_chance),), ()
        return (face_words("no_chance", value=model.no_chance),), ()
    head = face_words("chance_head", method=model.chance_method)
    return fitted(head, tuple(c.words for c in model.chances), width), fitted("", model.range_parts, width)


def segments(chances: tuple[Chance, ...], width: int) -> list[tuple[int, str]]:
    """The bar's cells per outcome (largest remainders, so they always fill the width), in ROLES order."""
    ordered = sorted(chances, key=lambda c: ROLES.index(c.role) if c.role in ROLES else len(ROLES))
    shares = [(c.p * width, f"chancebar--{c.role}") for c in ordered]
    cells = [int(x) for x, _ in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i][0] - cells[i], reverse=True)
    for i in order[: max(0, width - sum(cells))]:
        cells[i] += 1
    return [(n, style) for n, (_, style) in zip(cells, shares) if n]


class ChanceBar(Widget):
    """One line split by the chance of each outcome: union green, no union red, challenges amber.

    This bar draws a yes/no ballot's outcomes (yes, no, pending, other: `tally.present.outcome_role`);
    `ChoicesChanceBar` also the twelve choices' of any other ballot. Textual styles each declared
    role as a node of its own when the bar mounts, before the first frame (docs/PERFORMANCE.md,
    "Launch"): a dashboard that only ever shows a yes/no ballot uses this one.
    """

    COMPONENT_CLASSES = {"chancebar--empty", *(f"chancebar--{role}" for role in ROLES if role not in CHOICE_ROLES)}
    chances: reactive[tuple[Chance, ...] | None] = reactive(None)

    def render(self) -> Text:
        width = self.size.width
        text = Text(no_wrap=True, overflow="crop")
        if not self.chances:
            text.append("░" * width, self.get_component_rich_style("chancebar--empty"))
            return text
        for n, style in segments(self.chances, width):
            text.append("█" * n, self.get_component_rich_style(style))
        return text


class ChoicesChanceBar(ChanceBar):
    """The chance bar for any ballot: also the twelve choices' roles (c0…c11). ChanceBar's rules
    (tally.tcss, roles.tcss) are its own."""

    COMPONENT_CLASSES = {f"chancebar--{role}" for role in CHOICE_ROLES}


class NeedleDial(Vertical):
    """The needle now: the bar, the chances in words, each side's likely final votes."""

    def __init__(self, choice_roles: bool = True, **kw) -> None:
        """`choice_roles`: False where only a yes/no ballot is ever shown (`ChanceBar`)."""
        super().__init__(**kw)
        self.bar = ChoicesChanceBar() if choice_roles else ChanceBar()
        self.words = Readout(classes="needle-words")
        self.ranges = Readout(classes="needle-ranges")

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self.words
        yield self.ranges

    def show_view(self, view: View) -> None:
        model = view.presentation
        self.bar.chances = model.chances if model is not None else None
        width = self.words.size.width or max(self.app.size.width - 4, 20)
        words, ranges = needle_lines(model, width)
        self.words.say(words)
        self.ranges.say(ranges)
        self.set_class(model is not None and model.chances is None and not is_working(model.no_chance), "-none")


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
        snap, needle, model = view.snapshot, view.needle, view.presentation
        self.display = snap is not None and has_history(snap)
        if not self.display or needle is None or needle.odds is None or model is None:
            return
        wide, narrow = model.chance_chart
        width = self.size.width
        self.label.say(wide if width >= 45 else narrow if len(narrow) <= width else model.chance_chart_tight)
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
