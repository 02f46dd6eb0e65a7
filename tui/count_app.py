"""`tally count`: the dashboard with an entry line, for the person keeping the tally.

Every key that enters something becomes one event, which is checked against
the rules, appended to the journal, flushed and fsync'd, and only then counted
on screen. A refused entry is shown with its reason and never written. A
journal deleted, replaced or truncated under the count stops it saving: the
entry line says so, every later entry is refused, and `tally count` exits 1.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from dataclasses import replace
from typing import Protocol

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from feeds.journal import Journal, JournalWriteError
from feeds.live import LiveCount
from tally.entry import Entry, choice_keys, undo_target
from tally.reducer import RuleError
from tally.schema import EVENT, Close, Note, Retract
from tally.text import literal
from tui.app import Dashboard
from tui.widgets.entry_line import EntryLine

DIGITS = "0123456789"


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class Publishing(Protocol):
    """What the count screen needs of a publisher (feeds/publishing.py has the real one)."""

    on_change: object
    events: list
    link: object

    def published(self, event) -> None: ...
    def words(self) -> tuple[str, str]: ...
    async def run(self) -> object: ...


class CountDashboard(Dashboard):
    """The dashboard plus the keys that enter ballots into a journal."""

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("v", "enter('v')", "Void"),
        Binding("c", "enter('c')", "Challenge"),
        Binding("u", "undo", "Undo"),
        Binding("exclamation_mark", "note", "Note", key_display="!"),
        Binding("x", "close_count", "Close"),
        Binding("escape", "clear", "Clear", show=False),
        *[Binding(d, f"digit('{d}')", "Pile", show=d == "1", key_display="0-9") for d in DIGITS],
    ]

    LOCAL_TIMES = True

    def __init__(self, journal: Journal, live: LiveCount, repaired: str | None = None,
                 publisher: Publishing | None = None, shots=None) -> None:
        super().__init__(live, shots)
        self.journal = journal
        self.repaired = repaired
        self.publisher = publisher  # sends each durable entry on to a hub, when publishing
        self.entry = Entry(choice_keys(live.count.election))
        # The ballot keys come first in the Footer, so a narrow terminal keeps them.
        yes_no = live.count.election.yes_no
        fixed = dict(self._bindings.key_to_bindings)
        for key in [k for k in fixed if k in self.entry.keys]:  # "Union B" has b: the view moves to B
            fixed[key.upper()] = [replace(b, key=key.upper(), key_display=f"⇧{key.upper()}")
                                  for b in fixed.pop(key)]
        self._bindings.key_to_bindings.clear()
        for key, choice in self.entry.keys.items():
            self.bind(key, f"enter('{key}')", description=literal(choice.upper() if yes_no else choice))
        self._bindings.key_to_bindings.update(fixed)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                yield EntryLine(self.entry, str(self.journal.path), id="entry")
            yield widget

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here,
        # or the base's frame timer would run twice.
        self._show_feed()
        if self.publisher is not None:
            self.publisher.on_change = self._relink
            self.run_worker(self.publisher.run(), name="publish", exclusive=True)
        if self.repaired:
            self.live.warn(self.live.count.last_seq + 1, self.repaired)
            self.notify(literal(self.repaired), title="Journal repaired", severity="warning",
                        timeout=10, markup=False)
        self.show_entry()

    # -- entering ------------------------------------------------------------
    def action_digit(self, digit: str) -> None:
        self.show_entry(self.entry.type_digit(digit) or "")

    def action_clear(self) -> None:
        self.entry.clear()
        self.show_entry()

    def action_enter(self, key: str) -> None:
        refused = self.entry.refused
        fields = self.entry.fields_for(key)
        self.entry.clear()
        if refused is not None:
            self.show_entry(f"nothing entered: {refused}")
        elif fields is not None:
            self.save(fields)

    def action_undo(self) -> None:
        self.entry.clear()
        target = undo_target(self.live.count)
        if target is None:
            self.show_entry("nothing left to retract")
            return
        self.save({"type": "retract", "target": target})

    def action_note(self) -> None:
        self.push_screen(NoteScreen(), self._noted)

    def _noted(self, text: str | None) -> None:
        if text:
            self.save({"type": "note", "text": text})

    def action_close_count(self) -> None:
        self.entry.clear()
        remaining = self.live.count.remaining
        self.push_screen(ConfirmClose(remaining), lambda yes: yes and self.save({"type": "close"}))

    def save(self, fields: dict) -> bool:
        """Journal one entry (fsync'd), then count it on screen; or say why not.

        A refused entry (the rules) and an entry the disk would not take (full,
        failing) are both said on the entry line and never counted; the count
        goes on, and the next key tries again.
        """
        count = self.live.count
        event = EVENT.validate_python({"seq": count.last_seq + 1, "at": now(), **fields})
        try:
            self.journal.append(event)
        except RuleError as exc:
            self.show_entry(f"refused: {exc}")
            return False
        except JournalWriteError as exc:  # disk full, I/O error: nothing stored, nothing counted
            self.show_entry(str(exc))
            if not exc.whole:  # changed under the count, or a failed write not cut back off
                self._show_feed()
                self.notify("This count saves nothing more. Quit, look at the journal, and run "
                            "the same command again to resume it.", title="Journal",
                            severity="error", timeout=30, markup=False)
            return False
        if self.publisher is not None:
            # Durable now: it goes to the hub before the screen is redrawn. `published`
            # wakes the publisher's sender, which writes the frame at the loop's next
            # turn; the redraw is queued behind it (call_soon keeps that order), so a
            # watcher never waits for this screen's repaint.
            self.publisher.published(event)
        self.live.record(event)
        self._show_feed()
        if self.publisher is None:
            self._show_saved(event)
        else:
            asyncio.get_running_loop().call_soon(self._show_saved, event)
        return True

    def _show_saved(self, event) -> None:
        if not self.is_running:  # quit in the meantime
            return
        self.show_entry(self._saved_words(event))
        self.draw(now=True)  # a person is waiting for this one: no frame budget

    # -- showing -------------------------------------------------------------
    def show_entry(self, message: str = "") -> None:
        self.query_one(EntryLine).show_entry(message)

    def _relink(self) -> None:
        self._show_feed()

    def _show_feed(self) -> None:
        """The header's state and detail, and how many entries the hub does not have yet
        (the header's mark says so: a narrow header cuts the detail, never the mark)."""
        count = self.live.count
        state = "complete" if count.closed else "counting"
        saved = (f"journal seq {count.last_seq}, on disk" if self.journal.broken is None
                 else "journal stopped: nothing more is saved")
        if self.publisher is None:
            self.live.set_feed(state, saved)
            return
        hub_state, hub_words = self.publisher.words()
        # In conflict nothing more goes to that hub: the entries are not waiting, they stay here.
        waiting = 0 if hub_state == "conflict" else max(0, len(self.publisher.events) - self.publisher.link.seq)
        self.live.set_feed(hub_state if hub_state in ("offline", "conflict") else state,
                           f"{saved} · {hub_words}", waiting=waiting)

    @staticmethod
    def _saved_words(event) -> str:
        """Entries are named by their seq ("entry 7"); "#" is a ballot's number in the ticker."""
        if isinstance(event, Retract):
            return f"saved: entry {event.seq} retracts entry {event.target}"
        if isinstance(event, Note):
            return f"saved: entry {event.seq}, a note"
        if isinstance(event, Close):
            return f"saved: entry {event.seq}, the count is closed"
        return f"saved: entry {event.seq}"


class NoteScreen(ModalScreen[str | None]):
    """One line of text said during the count."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Note (Enter saves it, Escape cancels):")
            yield Input(placeholder="break for lunch", max_length=500, id="note")

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.dismiss(message.value.strip() or None)


class ConfirmClose(ModalScreen[bool]):
    """Closing is final: after it nothing more can be entered.

    Only shift+X confirms; every other key cancels, Enter and space included.
    The dialog has no buttons: a focused button would turn Enter (typed a
    moment too late, or out of habit) into a close that cannot be taken back,
    and `y`, the ballot key typed most, must never be a yes here either.
    """

    CONFIRM = "X"

    def __init__(self, remaining: int | None) -> None:
        super().__init__()
        self.remaining = remaining

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Close the count? Nothing more can be entered after it.")
            if self.remaining:
                yield Label(f"The header says {self.remaining:,} ballots are still unopened: "
                            "closing counts them as never cast.", id="warning")
            yield Label("shift+X closes the count · any other key keeps counting", id="keys-hint")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.character == self.CONFIRM)
