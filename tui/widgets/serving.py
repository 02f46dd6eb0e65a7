"""The page a count serves (`tally count --serve`): its address on one line, and its QR code on `w`.

The QR code is for a phone in the room: a real code (segno) drawn with
half-block characters, two modules a character cell tall, dark on white
whatever the terminal's theme (a phone's camera reads dark-on-light codes;
many cannot read them inverted), with a quiet zone around it.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tally.present import qr_caption, serving_words
from tui.widgets.readout import Readout

QUIET = 2
"""Modules of white around the code (the standard asks 4; phones read 2, and it fits 80x24)."""
HALVES = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
"""One character cell: (top module dark, bottom module dark) → the block drawn in the dark colour."""


def qr_lines(text: str) -> tuple[str, ...]:
    """``text`` as a QR code (the smallest version that holds it, error correction as high as fits),
    one string per two rows of modules, quiet zone included."""
    import segno  # only when the code is shown: every `tally count` imports this module

    rows = [[bool(m) for m in row] for row in segno.make(text, error="l", boost_error=True,
                                                         micro=False).matrix_iter(border=QUIET)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return tuple("".join(HALVES[top, bottom] for top, bottom in zip(rows[i], rows[i + 1]))
                 for i in range(0, len(rows), 2))


class ServingLine(Readout):
    """The page's address (and, when bound to every interface, that it is open to the networks)."""

    def __init__(self, page: str, everywhere: bool, key: str = "w", **kw) -> None:
        super().__init__(**kw)
        self.page = page
        self.key = key  # the QR code's key as the Footer would show it
        self.set_class(everywhere, "-everywhere")

    def on_mount(self) -> None:
        self.say(serving_words(self.page, self.has_class("-everywhere"), self.key))

    def stopped(self, words: str) -> None:
        """The hub stopped: the line says why, and that the count goes on."""
        self.add_class("-stopped")
        self.say(words)


class QrScreen(ModalScreen[None]):
    """The page's QR code, large and alone; any key goes back to the count."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-dialog"):
            yield Static("\n".join(qr_lines(self.page)), id="qr", markup=False)
            yield Label(qr_caption(self.page), id="qr-caption", markup=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None)
