"""The dialogs of `tally count` that check the count against the Board (issue 18).

The Board agent announces running totals now and then and the official tally
at the end (`CheckpointForm`); a counter who finds a call was wrong corrects it
by its ballot number (`CorrectForm`); a disagreement can be settled by
accepting the Board's figures (`ConfirmAdjust`). Each form only gathers what
was typed: the app journals it (fsync'd before it is shown) and hands back the
reducer's refusal, which the form shows in one line and stays open, so a typo
is fixed where it was made. Nothing is journaled until Enter.
"""

from __future__ import annotations

from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tally.entry import checkpoint_fields
from tally.schema import Election
from tally.text import literal
from tui.widgets.readout import Readout

Submit = Callable[[dict], "str | None"]
"""Journals the fields; returns None when saved, else why not (one line)."""


class FormScreen(ModalScreen[bool]):
    """A form that Enter submits from any field; Escape cancels; a refusal keeps it open."""

    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel"),
        # Tab moves to the next field before the next key is read: typed fast ("200", Tab, "180"
        # in one burst, as a counter does, or as a paste), Textual's own Tab, which bubbles up from
        # the field, let the keys after it land in the field before (YES got "200180", NO nothing).
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, submit: Submit) -> None:
        super().__init__()
        self.submit = submit

    def fields(self) -> dict:
        raise NotImplementedError

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        try:
            fields = self.fields()
        except ValueError as exc:
            self.refuse(str(exc))
            return
        refused = self.submit(fields)
        if refused is None:
            self.dismiss(True)
        else:
            self.refuse(refused)

    def refuse(self, why: str) -> None:
        said = self.query_one("#form-said", Readout)
        said.say(why)
        said.add_class("-refused")

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value


class CheckpointForm(FormScreen):
    """The running totals the Board agent announced (or the official tally, when closing).

    One field per choice (required), void and challenged (blank: not
    announced, so not compared), and the agent's words (optional).
    """

    def __init__(self, election: Election, submit: Submit, official: bool = False) -> None:
        super().__init__(submit)
        self.election = election
        self.official = official

    def compose(self) -> ComposeResult:
        election = self.election
        with Vertical(id="form"):
            yield Label("The Board's official tally" if self.official else "The Board's running totals",
                        id="form-title")
            with Grid(id="form-grid"):
                for i, choice in enumerate(election.choices):
                    name = choice.upper() if election.yes_no else choice
                    yield Label(literal(name), markup=False, classes="form-label")
                    yield Input(placeholder="votes", id=f"choice-{i}", max_length=12)
                yield Label("void", classes="form-label")
                yield Input(placeholder="blank: not announced", id="void", max_length=12)
                yield Label("challenged", classes="form-label")
                yield Input(placeholder="blank: not announced", id="challenged", max_length=12)
                yield Label("words", classes="form-label")
                yield Input(placeholder="optional: what the agent said", id="words", max_length=500)
            yield Readout(id="form-said")
            yield Label("Enter saves · Escape " + ("skips" if self.official else "cancels"), id="form-keys")

    def on_mount(self) -> None:
        self.query_one("#form-said", Readout).say("Type the figures as announced.")

    def fields(self) -> dict:
        votes = {c: self.value(f"choice-{i}") for i, c in enumerate(self.election.choices)}
        return checkpoint_fields(self.election, votes, self.value("void"), self.value("challenged"),
                                 self.value("words"))


class CorrectForm(FormScreen):
    """'correct ballot # [413] → [n]': a call corrected in place, by its ballot number in the ticker."""

    def __init__(self, keys: dict[str, str], submit: Submit, ballot: str = "") -> None:
        super().__init__(submit)
        self.keys = keys  # what `tally.entry.Entry.choice_for` reads a key as
        self.ballot = ballot

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label("Correct a call in place", id="form-title")
            with Grid(id="form-grid"):
                yield Label("ballot #", classes="form-label")
                yield Input(self.ballot, placeholder="as the ticker numbers it", id="ballot", max_length=9)
                yield Label("was", classes="form-label")
                yield Input(placeholder=" · ".join(self.keys), id="choice", max_length=1)
            yield Readout(id="form-said")
            yield Label("Enter corrects · Escape cancels", id="form-keys")

    def on_mount(self) -> None:
        self.query_one("#form-said", Readout).say("The call keeps its place and its ballot number.")
        if self.ballot:
            self.query_one("#choice", Input).focus()

    def fields(self) -> dict:
        typed, key = self.value("ballot").strip().lstrip("#").replace(",", ""), self.value("choice").strip()
        if not typed.isascii() or not typed.isdigit():
            raise ValueError("ballot #: type the number the ticker shows")
        if key not in self.keys:
            raise ValueError(f"was: one of the keys {', '.join(self.keys)}")
        return {"ballot": int(typed), "choice": self.keys[key]}


class ConfirmAdjust(ModalScreen[bool]):
    """Accepting the Board's figures changes the totals without naming a call: only shift+A confirms.

    As with closing (`tui.count_app.ConfirmClose`), every other key cancels,
    Enter included: the totals are changed on purpose, never by a key typed
    a moment too late.
    """

    CONFIRM = "A"

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words  # the checkpoint's standing, from the model (`checkpoint_words`)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Accept the Board's figures? The totals become the Board's.")
            yield Readout(id="adjust-words")
            yield Label("shift+A accepts · any other key keeps the count as it is", id="keys-hint")

    def on_mount(self) -> None:
        self.query_one("#adjust-words", Readout).say(self.words)  # literally: the agent's words may be in it

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.character == self.CONFIRM)
