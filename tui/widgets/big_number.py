"""A number in block digits that grow with the space they are given: for reading across a room.

Textual's `Digits` are always 3 rows tall. These are drawn from a 3×5 pixel
font scaled by the largest whole factor that fits the widget's size, two
pixels to a cell (the upper and lower half blocks), so a digit is 3 rows tall
at the smallest scale, 8 at scale 3, 13 at scale 5.
"""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ",": (".", ".", ".", "#", "#"),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("..", "..", "..", "..", ".."),
}
GLYPH_ROWS = 5


def pixels(text: str, scale: int) -> list[str]:
    """The text's pixel rows at `scale` ('#' on, '.' off), one pixel column of space between glyphs."""
    glyphs = [FONT.get(c, FONT[" "]) for c in text]
    rows = []
    for r in range(GLYPH_ROWS):
        row = ".".join(g[r] for g in glyphs)
        row = "".join(c * scale for c in row)
        rows += [row] * scale
    return rows


def size_at(text: str, scale: int) -> tuple[int, int]:
    """Cells (width, height) the text takes at `scale`."""
    width = sum(len(FONT.get(c, FONT[" "])[0]) for c in text) + max(len(text) - 1, 0)
    return width * scale, (GLYPH_ROWS * scale + 1) // 2


def best_scale(text: str, width: int, height: int, pad: int = 0) -> int:
    """The largest scale at which the text fits (0: not even at scale 1), with `pad` pixel
    columns kept free on each side."""
    scale = 0
    while True:
        w, h = size_at(text, scale + 1)
        if w + 2 * pad * (scale + 1) > width or h > height:
            return scale
        scale += 1


def block_rows(text: str, scale: int) -> list[str]:
    """The text drawn in half blocks: two pixel rows to a line of cells."""
    rows = pixels(text, scale)
    if len(rows) % 2:
        rows.append("." * len(rows[0]))
    cells = {("#", "#"): "█", ("#", "."): "▀", (".", "#"): "▄", (".", "."): " "}
    return ["".join(cells[a, b] for a, b in zip(top, bottom)) for top, bottom in zip(rows[::2], rows[1::2])]


class BigNumber(Widget):
    """One number, as large as fits, centred; plain digits when even the smallest does not.

    With `height: auto` it is exactly as tall as its digits, chosen for the
    width it has and its parent's height less `beside` rows (the lines its
    parent shows with it): the number's label can then sit right on top of
    it, rather than across a gap the size of the screen.

    The blocks take their colour from the `bignumber--on` component class and
    the spaces between them none: an SVG screenshot collapses runs of spaces
    inside one styled run, which would slide the blocks out of place.
    """

    COMPONENT_CLASSES = {"bignumber--on"}
    PAD = 2
    """Pixel columns kept free on each side: twice the widest gap inside a number (the blank
    column of a 1 and the space after it), so two numbers side by side never read as one."""

    value: reactive[str] = reactive("")
    fit: reactive[str] = reactive("", layout=True)  # the text the scale is chosen for: numbers side by side match

    def __init__(self, beside: int = 0, **kw) -> None:
        super().__init__(**kw)
        self.beside = beside

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        scale = self.fitted(width, max(container.height - self.beside, 1))[1]
        return size_at(self.value, scale)[1] if scale else 1

    def fitted(self, width: int, height: int) -> tuple[str, int]:
        """The text to draw and its scale: every number at the scale of `fit`, the longest;
        without its separators before giving up on size."""
        text = self.value
        scale = best_scale(max(self.fit, text, key=len), width, height, self.PAD)
        if not scale and "," in text:
            text = text.replace(",", "")
            scale = best_scale(max(self.fit.replace(",", ""), text, key=len), width, height, self.PAD)
        return text, scale

    def render(self) -> Text:
        width, height = self.size
        text, scale = self.fitted(width, height)
        on = self.get_component_rich_style("bignumber--on")
        if not scale:
            return Text(self.value, style=on, no_wrap=True, overflow="crop", justify="center")
        lines = block_rows(text, scale)
        top = (height - len(lines)) // 2
        left = " " * ((width - len(lines[0])) // 2)
        out = Text("\n" * top, no_wrap=True, overflow="crop")
        for i, line in enumerate(lines):
            if i:
                out.append("\n")
            for blank, run in groupby(left + line, key=lambda c: c == " "):
                out.append("".join(run), None if blank else on)
        return out

    @property
    def rows(self) -> int:
        """How many rows the digits take at the size the widget has now."""
        return len(self.render().plain.strip("\n").split("\n"))
