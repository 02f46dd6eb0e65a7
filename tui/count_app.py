"""`tally count`: the dashboard with an entry line, for the person keeping the tally.

Every key that enters something becomes one event, which is checked against
the rules, appended to the journal, flushed and fsync'd, and only then counted
on screen. A refused entry is shown with its reason and never written. A
journal deleted, replaced or truncated under the count stops it saving: the
entry line says so, every later entry is refused, and `tally count` exits 1.

The count is checked against the Board (issue 18): `t` types the running
totals the agent announced (and closing offers the official tally), `#` or
`413=n` corrects a call in place by its ballot number, and while the Board's
figures disagree the line above the entry line names each difference until a
correction or `a` (accept the Board's figures) resolves it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from feeds.journal import Journal, JournalWriteError
from feeds.live import LiveCount, View
from tally.entry import CHALLENGED_KEY, VOID_KEY, Entry, choice_keys, correction_fields, undo_target
from tally.present import (checkpoint_words, counter_verification, serving_stopped_words,
                           standing_disagreement)
from tally.reducer import RuleError
from tally.schema import CHALLENGED, EVENT, VOID, Adjust, Checkpoint, Close, Correct, Note, Retract
from tally.text import literal
from tally.timeline import NoSuchCall, target_label
from tui.app import WIDE_FOOTER, Dashboard
from tui.widgets.count_forms import CheckpointForm, ConfirmAdjust, CorrectForm
from tui.widgets.entry_line import EntryLine
from tui.widgets.serving import QrScreen, ServingLine

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
    def waiting(self) -> int: ...
    async def run(self) -> object: ...


class Serving(Protocol):
    """What the count screen needs of the hub it serves (feeds/serving.py's ServedHub)."""

    page: str
    everywhere: bool

    async def run(self) -> None: ...


class CountDashboard(Dashboard):
    """The dashboard plus the keys that enter ballots into a journal."""

    CSS_PATH = [*Dashboard.CSS_PATH, Path(__file__).with_name("count.tcss")]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("v", "enter('v')", "Void"),
        Binding("c", "enter('c')", "Challenge"),
        Binding("u", "undo", "Undo"),
        Binding("exclamation_mark", "note", "Note", key_display="!"),
        Binding("x", "close_count", "Close"),
        Binding("t", "board_totals", "Board"),
        Binding("number_sign", "correct", "Correct", key_display="#", show=False),  # the entry line says it: no room
        Binding("equals_sign", "equals", "Correct #", show=False),
        Binding("a", "accept_board", "Accept"),  # the line above it says whose figures: the Board's
        Binding("w", "qr", "QR", show=False),  # with --serve; the address line says it
        Binding("escape", "clear", "Clear", show=False),
        *[Binding(d, f"digit('{d}')", "Pile", show=d == "1", key_display="0-9") for d in DIGITS],
    ]

    LOCAL_TIMES = True

    def __init__(self, journal: Journal, live: LiveCount, repaired: str | None = None,
                 publisher: Publishing | None = None, shots=None, served: Serving | None = None) -> None:
        super().__init__(live, shots)
        self.journal = journal
        self.repaired = repaired
        self.publisher = publisher  # sends each durable entry on to a hub, when publishing
        self.served = served  # the hub this count serves itself (--serve), run in this loop
        self._serving: asyncio.Task[None] | None = None
        self.entry = Entry(choice_keys(live.count.election))
        self._disagrees = standing_disagreement(live.count.snapshot()) is not None  # `a` is shown
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
        # q after the count's keys (a subclass's too: `tally listen`'s held call) and before the
        # view's (b, s): a Footer too narrow for all ("a Accept" joins them while the Board's
        # figures disagree) leaves out a view key, never how to quit the count.
        keys = self._bindings.key_to_bindings
        for key in ("q", "b", "s", "B", "S"):
            if key in keys:
                keys[key] = keys.pop(key)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                if self.served is not None:
                    qr_key = "⇧W" if "w" in self.entry.keys else "w"  # a choice's letter moves it
                    yield ServingLine(self.served.page, self.served.everywhere, qr_key, id="serving")
                yield EntryLine(self.entry, str(self.journal.path), id="entry")
            yield widget

    def framed(self, view: View) -> View:
        """The dashboard's view, with the Board's figures set against "you" (the counter's own)."""
        framed = super().framed(view)
        model = framed.presentation
        if model is None:
            return framed
        words = counter_verification(framed.snapshot, model.verification)
        return replace(framed, presentation=replace(model, verification=words))

    def on_resize(self, event: events.Resize) -> None:
        self.fit_footer(event.size.width)

    def fit_footer(self, width: int | None = None) -> None:
        """The Footer's keys for the width: what `left_out` names is not shown (its key still works).

        Below WIDE_FOOTER columns "0-9 Pile" is left out, so that `t` (the Board's figures) and
        q fit with the keys every dashboard has; the entry line always shows the pile. A
        subclass with keys of its own (`tally listen`'s held call) leaves out more.
        """
        left_out = self.left_out(self.size.width if width is None else width)
        bindings = self._bindings.key_to_bindings
        changed = False
        for key in self.FITTED:
            binding = bindings[key][0]
            shown = key not in left_out
            if binding.show != shown:
                bindings[key] = [replace(binding, show=shown)]
                changed = True
        if changed:
            self.refresh_bindings()

    FITTED = ("1",)
    """The keys `fit_footer` may leave out of the Footer."""

    def left_out(self, width: int) -> set[str]:
        """The keys of FITTED the Footer leaves out at `width` columns."""
        return set() if width >= WIDE_FOOTER else {"1"}

    def on_mount(self) -> None:
        # Textual calls every on_mount in the class hierarchy itself: no super() here,
        # or the base's frame timer would run twice.
        self._show_feed()
        if self.served is not None:  # first: the publisher's first attempt finds it listening
            self._serving = asyncio.create_task(self._serve())
        if self.publisher is not None:
            self.publisher.on_change = self._relink
            self.run_worker(self.publisher.run(), name="publish", exclusive=True)
        if self.repaired:
            self.live.warn(self.live.count.last_seq + 1, self.repaired)
            self.notify(literal(self.repaired), title="Journal repaired", severity="warning",
                        timeout=10, markup=False)
        self.show_entry()

    async def _serve(self) -> None:
        """Serve the page until the count quits; a hub that fails stops alone, the count goes on.

        What the hub would say in `tally serve`'s terminal (a copy it cannot store, no file
        descriptors left) is shown here as a notice: under the count screen its log has no terminal.
        """
        assert self.served is not None
        told = HubNotices(self)
        logging.getLogger("tally.hub").addHandler(told)
        try:
            await self.served.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the hub's failure is said; the count is not stopped
            self.query_one(ServingLine).stopped(serving_stopped_words(str(exc) or type(exc).__name__))
        finally:
            logging.getLogger("tally.hub").removeHandler(told)

    async def on_unmount(self) -> None:
        """Quitting stops the hub: its socket closed and its directory let go before the command
        goes on (Textual cancels its workers at exit, but does not wait for them)."""
        if self._serving is not None:
            self._serving.cancel()
            await asyncio.gather(self._serving, return_exceptions=True)

    def action_qr(self) -> None:
        """w: the page's QR code, for a phone in the room (with --serve)."""
        if self.served is not None:
            self.push_screen(QrScreen(self.served.page), lambda _: self.call_after_refresh(self.redraw))

    # -- entering ------------------------------------------------------------
    def action_digit(self, digit: str) -> None:
        self.show_entry(self.entry.type_digit(digit) or "")

    def action_clear(self) -> None:
        self.entry.clear()
        self.show_entry()

    def action_enter(self, key: str) -> None:
        refused, ballot = self.entry.refused, self.entry.ballot
        fields = self.entry.fields_for(key)
        choice = self.entry.choice_for(key)
        self.entry.clear()
        if refused is not None:
            self.show_entry(f"nothing entered: {refused}")
        elif ballot is not None and choice is not None:
            self.correct({"ballot": ballot, "choice": choice})
        elif fields is not None:
            self.save(fields)

    def action_equals(self) -> None:
        """`=` after a ballot number: the next key says what that ballot was (413=n)."""
        self.show_entry(self.entry.type_equals() or "")

    def action_correct(self) -> None:
        """#: the correction form, with the ballot number typed before it, if any."""
        typed = self.entry.digits
        self.entry.clear()
        self.show_entry()
        keys = {**self.entry.keys, VOID_KEY: VOID, CHALLENGED_KEY: CHALLENGED}
        self._push_form(CorrectForm(keys, self.correct, typed))

    def correct(self, typed: dict) -> str | None:
        """Correct ballot #typed["ballot"]'s call to typed["choice"] in place; None, or why not."""
        try:
            fields = correction_fields(self.live.count, typed["ballot"], typed["choice"])
        except NoSuchCall as exc:
            why = f"nothing corrected: {exc}"
            self.show_entry(why)
            return why
        return self.save(fields)

    def _push_form(self, form) -> None:
        """A form journals while it is shown, and a frame draws only the screen on top: the count's
        screen is drawn again as soon as the form is gone (a refusal kept it open, unsaved)."""
        self.push_screen(form, lambda saved: self.call_after_refresh(self.redraw))

    def action_board_totals(self) -> None:
        """t: the running totals the Board agent announced, journaled as a checkpoint."""
        self.entry.clear()
        self.show_entry()
        self._push_form(CheckpointForm(self.live.count.election, self.save))

    def action_accept_board(self) -> None:
        """a: accept the figures of the checkpoint that disagrees (after shift+A), as an adjustment."""
        self.entry.clear()
        snap = self.live.count.snapshot()
        checkpoint = standing_disagreement(snap)
        if checkpoint is None:
            self.show_entry("nothing to accept: no Board's figures disagree with the count")
            return
        words = checkpoint_words(snap, checkpoint)
        self.push_screen(ConfirmAdjust(words),
                         lambda yes: yes and self.save({"type": "adjust", "checkpoint": checkpoint.seq}))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`a` is in the Footer only while the Board's figures disagree with the count; `w` only when serving."""
        if action == "accept_board":
            return self._disagrees
        if action == "qr":
            return self.served is not None
        return True

    def _refresh_accept(self) -> None:
        """After an entry: `a` comes and goes with the disagreement (a checkpoint, a correction,
        a retraction or an adjustment can start or end one); the Footer is laid out again only then."""
        disagrees = standing_disagreement(self.live.count.snapshot()) is not None
        if disagrees != self._disagrees:
            self._disagrees = disagrees
            self.refresh_bindings()

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
        self.push_screen(ConfirmClose(remaining), self._close_confirmed)

    def _close_confirmed(self, yes: bool) -> None:
        """Closed: the form for the Board's official tally follows (Escape skips it)."""
        if yes and self.save({"type": "close"}) is None:
            self._push_form(CheckpointForm(self.live.count.election, self.save, official=True))

    def save(self, fields: dict) -> str | None:
        """Journal one entry (fsync'd), then count it on screen; or say why not (returned too).

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
            return f"refused: {exc}"
        except JournalWriteError as exc:  # disk full, I/O error: nothing stored, nothing counted
            self.show_entry(str(exc))
            if not exc.whole:  # changed under the count, or a failed write not cut back off
                self._show_feed()
                self.notify("This count saves nothing more. Quit, look at the journal, and run "
                            "the same command again to resume it.", title="Journal",
                            severity="error", timeout=30, markup=False)
            return str(exc)
        if self.publisher is not None:
            # Durable now: it goes to the hub before the screen is redrawn. `published`
            # wakes the publisher's sender, which writes the frame at the loop's next
            # turn; the redraw is queued behind it (`queued` keeps that order), so a
            # watcher never waits for this screen's repaint.
            self.publisher.published(event)
        self.live.record(event)
        self._show_feed()
        if self.publisher is None:
            self._show_saved(event)
        else:
            self.queued(self._show_saved, event)
        self._refresh_accept()
        return None

    def _show_saved(self, event) -> None:
        if not self.is_running:  # quit in the meantime
            return
        self.show_entry(self._saved_words(event, self.live.count))
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
        state = "final" if count.closed else "counting"
        saved = (f"journal seq {count.last_seq}, on disk" if self.journal.broken is None
                 else "journal stopped: nothing more is saved")
        if self.publisher is None:
            self.live.set_feed(state, saved)
            return
        hub_state, hub_words = self.publisher.words()
        self.live.set_feed(hub_state if hub_state in ("offline", "conflict") else state,
                           f"{saved} · {hub_words}", waiting=self.publisher.waiting())

    @staticmethod
    def _saved_words(event, count) -> str:
        """Entries are named by their seq ("entry 7"); "#" is a ballot's number in the ticker."""
        if isinstance(event, Correct):
            return f"saved: entry {event.seq} corrects ballot {target_label(count, event.target)}"
        if isinstance(event, Checkpoint):
            return f"saved: entry {event.seq}, the Board's figures (see the line above)"
        if isinstance(event, Adjust):
            return f"saved: entry {event.seq} accepts the Board's figures of entry {event.checkpoint}"
        if isinstance(event, Retract):
            return f"saved: entry {event.seq} retracts entry {event.target}"
        if isinstance(event, Note):
            return f"saved: entry {event.seq}, a note"
        if isinstance(event, Close):
            return f"saved: entry {event.seq}, the count is closed"
        return f"saved: entry {event.seq}"


class HubNotices(logging.Handler):
    """The served hub's warnings, as notices on the count screen (the hub's log has no terminal here)."""

    def __init__(self, app: CountDashboard) -> None:
        super().__init__(logging.WARNING)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        self.app.notify(literal(record.getMessage()), title="The page's hub", severity="warning",
                        timeout=15, markup=False)


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
