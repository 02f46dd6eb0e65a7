"""A count as a picture: the 1200×630 PNG a chat app shows when someone posts a count's link.

The hub serves it as the count page's ``og:image`` (feeds/hub/cards.py makes
it off the event loop, in a worker process) and ``tally report FILE --png
OUT.png`` writes the same card, so a counter can post the tally anywhere.
Every word on it is `tally.present.card_words` of the count's presentation
model; this module only lays them out with Pillow.

Fonts: DejaVu Sans and Sans Bold are shipped in feeds/fonts/ (the Bitstream
Vera licence, in feeds/fonts/LICENSE, allows redistributing them unchanged):
a card must look the same on every hub, and a server often has no fonts at
all. DejaVu covers Latin, Greek, Cyrillic, Hebrew, Arabic and the marks the
model uses (✓ ✗ ⚠ ·); emoji have no glyph and show as a box. User text goes
through `tally.text.literal`, so a control character shows as its symbol.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from feeds.needle import needle_within
from tally.odds import odds_json
from tally.present import CardWords, card_words, odds_from_json, present
from tally.reducer import Snapshot
from tally.text import literal
from tally.verify import CheckResult

SIZE = (1200, 630)
"""The size Open Graph and Twitter's large card expect (1.91:1)."""
FONTS = Path(__file__).resolve().with_name("fonts")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
PAD = 56
BACKGROUND, TEXT, MUTED, TRACK, MARK = "#111317", "#eceae4", "#a3a8b3", "#2c3039", "#f4f2ec"
COLOURS = {"yes": "#4cc27c", "no": "#ff7a70", "c0": "#4cc27c", "c1": "#ff7a70", "c2": "#6aa8ff",
           "c3": "#e2b04a", "c4": "#b995ff"}
"""The page's dark colours (static/tally.css), by a choice's role; the rest are grey (OTHER)."""
OTHER = "#a5b0ba"
ELLIPSIS = "…"


@functools.lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def fitted(text: str, name: str, size: int, smallest: int, width: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """`text` in the largest size from `size` down to `smallest` that fits `width` pixels; at the
    smallest, cut at a character and ended with an ellipsis. Never wrapped: a card has fixed rows."""
    text = literal(text)
    for s in range(size, smallest - 1, -2):
        if font(name, s).getlength(text) <= width:
            return font(name, s), text
    small = font(name, smallest)
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with its ellipsis
        mid = (lo + hi + 1) // 2
        if small.getlength(text[:mid] + ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    return small, text[:lo].rstrip() + ELLIPSIS


def render(words: CardWords) -> bytes:
    """The card as PNG bytes; the PNG's Title and Description carry its words (`CardWords.lines`)."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * PAD

    def line(y: int, text: str, name: str, size: int, smallest: int, fill: str, w: int = width,
             x: int = PAD, anchor: str = "la") -> None:
        if text:
            f, shown = fitted(text, name, size, smallest, w)
            draw.text((x, y), shown, font=f, fill=fill, anchor=anchor)

    line(40, words.title, BOLD, 50, 30, TEXT)
    line(104, words.place, REGULAR, 24, 18, MUTED)
    line(150, words.headline, BOLD, 34, 22, TEXT)
    line(196, words.subline, REGULAR, 24, 18, MUTED)
    _sides(draw, words, top=244, bottom=486)
    line(500, words.margin, BOLD, 28, 20, TEXT)
    line(540, words.chance, REGULAR, 24, 18, TEXT)
    footer = " · ".join(w for w in (words.remaining, words.verification) if w)
    brand = font(BOLD, 26)
    line(584, footer, REGULAR, 20, 14, MUTED, w=int(width - brand.getlength(words.brand) - 24))
    draw.text((SIZE[0] - PAD, 582), words.brand, font=brand, fill=MUTED, anchor="ra")
    info = PngInfo()
    info.add_itxt("Title", literal(words.title))
    info.add_itxt("Description", "\n".join(literal(w) for w in words.lines if w))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, optimize=False)
    return out.getvalue()


def _sides(draw: ImageDraw.ImageDraw, words: CardWords, top: int, bottom: int) -> None:
    """Each choice: its name and share on the left, its votes on the right, a bar under them
    whose full width is every vote still possible, with the majority line (`tally.present.scale`)."""
    sides = words.sides
    width = SIZE[0] - 2 * PAD
    row = (bottom - top) // max(1, len(sides))
    bar = max(6, min(22, row // 5))
    size = max(14, min(48, row - bar - 14))
    for i, side in enumerate(sides):
        y = top + i * row
        colour = COLOURS.get(side.role, OTHER)
        votes = font(BOLD, size)
        votes_width = int(votes.getlength(side.votes_text))
        draw.text((PAD + width, y), side.votes_text, font=votes, fill=TEXT, anchor="ra")
        f, name = fitted(f"{side.name}  {side.share_text}", BOLD, size, max(12, size // 2),
                         width - votes_width - 24)
        draw.text((PAD, y + size), name, font=f, fill=colour, anchor="ls")
        bar_y = y + size + 8
        draw.rectangle((PAD, bar_y, PAD + width, bar_y + bar), fill=TRACK)
        if words.scale:
            filled = min(width, round(width * side.votes / words.scale))
            if filled:
                draw.rectangle((PAD, bar_y, PAD + filled, bar_y + bar), fill=colour)
            x = PAD + min(width, round(width * words.line / words.scale))
            draw.rectangle((x - 1, bar_y - 4, x + 1, bar_y + bar + 4), fill=MARK)


def count_card(snap: Snapshot, checks: Sequence[CheckResult] = (), budget: float | None = None) -> bytes:
    """The card of the count as it stands: its needle worked out, its model made, laid out.

    ``budget``: seconds the needle may take (`needle_within`: only in a
    process's main thread, as the hub's card worker is); None: as long as it
    takes (`tally report --png`). A needle over budget is left off the card,
    which then says why there is none, as the page does.
    """
    needle = odds_json(snap) if budget is None else needle_within(snap, budget)
    odds = odds_from_json(needle) if isinstance(needle, dict) else None
    return render(card_words(present(snap, odds, checks=checks)))


def write_card(path: str | os.PathLike[str], png: bytes) -> None:
    """Write a card to `path` whole or not at all: a temporary file beside it, fsync'd, then renamed.

    A card posted while half written would be a broken picture; a failed
    write leaves whatever was at `path` before. OSError says why it failed.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(png)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
