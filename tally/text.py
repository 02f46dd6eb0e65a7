"""User text (titles, choices, notes, ids) shown as what it is, never as commands.

A title is data. Shown on a terminal, a control character in it would be a
command to the terminal (ESC starts an escape sequence, CR rewrites the line),
so every screen and every line printed shows control characters as their
visible symbols instead: ESC as ␛, a newline as ␤. Everything else, brackets,
emoji and right-to-left marks included, is shown exactly as written; markup is
never interpreted (the screens hand text to Textual as literal Content).
"""

from __future__ import annotations

# C0 controls -> the Unicode Control Pictures block (U+2400 + code), DEL -> ␡,
# C1 controls (which some terminals also obey) -> the replacement character.
_VISIBLE = {c: 0x2400 + c for c in range(0x20)}
_VISIBLE[0x0A] = 0x2424  # ␤: a newline reads better as "NL" than as "LF"
_VISIBLE[0x7F] = 0x2421
_VISIBLE.update({c: 0xFFFD for c in range(0x80, 0xA0)})


def literal(text: str) -> str:
    """`text` with every control character replaced by a visible symbol."""
    return text.translate(_VISIBLE)
