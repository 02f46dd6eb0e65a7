"""`tally listen`'s screen: the keyboard count, fed also by what the recogniser hears.

It is `tally count`'s screen unchanged (every key works as there), plus a
thread that hears the audio (feeds/listen) and two lines above the entry line.
A call the recogniser is sure of is journaled (fsync'd) and counted exactly as
a key press is, marked `heard`, its `at` from the audio's clock. A call it is
unsure of is held on the first line, never counted, until the person confirms
it (enter: journaled as heard), corrects it (`/` then the ballot's key: a
typed entry) or drops it (backspace: a note says what was dropped). When the
audio ends or fails, listening stops and says so; the keys go on.
"""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from feeds.listen.recogniser import Heard, Recogniser
from feeds.listen.audio import AudioSource
from feeds.listen.transcribe import heard_fields
from tally.present import dropped_words, held_call_words, listening_words, made_words
from tui.count_app import CountDashboard
from tui.widgets.readout import Readout

HELD_FOOTER = 120
"""Columns from which a held call's keys fit in the Footer beside every count key."""


class ListenDashboard(CountDashboard):
    """The count screen with ears: sure calls are entered, unsure ones held for a key."""

    BINDINGS = [
        Binding("enter", "confirm_held", "Count it"),
        Binding("slash", "correct_held", "Correct it", key_display="/"),
        Binding("backspace", "drop_held", "Drop it"),
    ]

    def __init__(self, *args, recogniser: Recogniser, source: AudioSource, **kw) -> None:
        super().__init__(*args, **kw)
        self.recogniser = recogniser
        self.source = source
        self.held: list[Heard] = []
        self.heard_count = 0
        self.stopped: str | None = None
        self._correcting = False
        self.started = datetime.now(timezone.utc)
        """The audio clock's zero: each heard entry's `at` is this plus the call's end in the audio."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                yield Readout(id="held")
                yield Readout(id="listening")
            yield widget

    def on_mount(self) -> None:
        self._show_listening()
        # A group of its own: count's publishing worker is started `exclusive`, which cancels every
        # other worker of its group (the default one): with --publish or --serve nothing was heard.
        self.run_worker(self._listen, thread=True, name="listen", group="listen", exclusive=False)

    # -- hearing (the worker's thread; the screen's thread does the rest) ---------------
    def _listen(self) -> None:
        why = "the audio ended"
        try:
            for heard in self.recogniser.listen(self.source):
                if heard is not None:
                    self.call_from_thread(self._heard, heard)
        except OSError as exc:  # the pipe broke, the device went away
            why = f"the audio failed ({exc.strerror or exc})"
        except RuntimeError:  # the screen closed while a call was being heard
            return
        finally:
            self.source.close()
        try:
            self.call_from_thread(self._stop, f"{why} after {self.source.seconds:,.1f} s")
        except RuntimeError:  # ... or just as the audio ended: nothing to show it on
            pass

    def _heard(self, heard: Heard) -> None:
        if heard.sure:
            if self.save(heard_fields(heard, self.started)) is None:
                self.heard_count += 1
            self._show_listening()
        else:
            self.held.append(heard)
            self._held_changed()

    def _stop(self, why: str) -> None:
        self.stopped = why
        self.notify(why, title="Listening stopped", severity="warning", timeout=10, markup=False)
        self._show_listening()

    @staticmethod
    def _saved_words(event, count) -> str:
        """Count's words for an entry, and whether it was heard or typed (ballots, challenged)."""
        said = CountDashboard._saved_words(event, count)
        if event.type in ("ballot", "challenged"):
            return f"{said} ({made_words(event.heard)})"
        return said

    # -- held calls ------------------------------------------------------------------
    def action_confirm_held(self) -> None:
        if self.held and self.save(heard_fields(self.held[0], self.started)) is None:
            self.held.pop(0)
            self.heard_count += 1
            self._held_changed()

    def action_drop_held(self) -> None:
        if self.held:
            h = self.held[0]
            if self.save({"type": "note", "text": dropped_words(h.words, h.confidence, h.end)}) is None:
                self.held.pop(0)
                self._held_changed()

    def action_correct_held(self) -> None:
        """/: the next ballot key enters what the held call really was (a typed entry)."""
        if self.held:
            self.entry.clear()
            self._correcting = True
            self.show_entry(f"held call: which ballot was it? ({', '.join(self.entry.keys)}, v, c)")

    def action_enter(self, key: str) -> None:
        if not self._correcting:
            super().action_enter(key)
            return
        self._correcting = False
        fields = self.entry.fields_for(key)
        if fields is not None and self.held and self.save(fields) is None:
            self.held.pop(0)
            self._held_changed()

    def action_clear(self) -> None:
        self._correcting = False
        super().action_clear()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The held-call keys are in the Footer only while a call is held."""
        if action in ("confirm_held", "correct_held", "drop_held"):
            return bool(self.held)
        return super().check_action(action, parameters)

    FITTED = ("1", "exclamation_mark", "x", "t")

    def left_out(self, width: int) -> set[str]:
        """A held call's three keys take the room of "0-9 Pile" (the entry line shows the pile),
        and below HELD_FOOTER columns that of Note, Close and Board too.

        The held call is what the person must answer now; those keys still work, and q and
        the ballot keys stay in view (at 80 columns: y n v c u, the held call's keys, q).
        """
        left_out = super().left_out(width)
        if self.held:
            left_out |= {"1"} | ({"exclamation_mark", "x", "t"} if width < HELD_FOOTER else set())
        return left_out

    def _held_changed(self) -> None:
        self.fit_footer()
        self.refresh_bindings()
        self._show_listening()

    def _show_listening(self) -> None:
        held = self.query_one("#held", Readout)
        if self.held:
            h = self.held[0]
            held.say(held_call_words(h.words, h.confidence, h.end, len(self.held) - 1))
        else:
            held.say("")
        held.display = bool(self.held)
        self.query_one("#listening", Readout).say(
            listening_words(self.source.seconds, self.heard_count, self.stopped))
