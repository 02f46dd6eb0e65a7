"""The entry line of `tally count`: the pending pile, the keys, what just happened."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from tally.entry import Entry
from tui.widgets.readout import Readout


def keys_words(entry: Entry) -> str:
    ballots = " · ".join(f"{k} {c}" for k, c in entry.keys.items())
    return (f"{ballots} · v void · c challenged · u undo · ! note · x close · t Board's figures"
            " · 413=n or # corrects ballot #413")


class EntryLine(Horizontal):
    """Pending digits on the left (always visible), the outcome of the last key on the right."""

    def __init__(self, entry: Entry, journal: str, **kw) -> None:
        super().__init__(**kw)
        self.entry = entry
        self.journal = journal

    def compose(self) -> ComposeResult:
        yield Readout(id="pile")
        yield Readout(id="keys")
        yield Readout(id="said")

    def show_entry(self, message: str = "") -> None:
        pile, ballot = self.entry.digits, self.entry.ballot
        pending = f"#{ballot} → _" if ballot is not None else f"pile: {pile}_" if pile else "pile: 1"
        self.query_one("#pile", Readout).say(pending)
        self.query_one("#keys", Readout).say(keys_words(self.entry))
        said = self.query_one("#said", Readout)
        said.say(message or f"journal: {self.journal}")
        said.set_class(message.startswith(("refused", "not saved", "nothing", "a pile")), "-refused")
