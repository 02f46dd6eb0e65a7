"""Event format v1: one contract for files, journals and the network.

A count is a JSON Lines stream of events. Every event has ``seq`` (1, 2, 3 …
with no gaps) and ``type``; ``at`` (an RFC 3339 timestamp with an offset) is
optional. Unknown fields and unknown types are refused, and values are strict
(``"count": "5"`` is not a count), because a tally that guesses is worse than
one that stops. docs/FORMAT.md is the prose version of this module.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

FORMAT_VERSION = 1
YES_NO = ("yes", "no")
VOID = "void"

# The format's limits (docs/FORMAT.md, "Limits"): far above any real count, low
# enough that no file can make a reader do unbounded work or overflow a counter.
MAX_BALLOTS = 10_000_000
"""A pile's count, `ballots` and `eligible`: the largest NLRB unit is far below it."""
MAX_SEQ = 1_000_000_000
MAX_CHOICES = 12
"""Each choice needs its own key on the count screen (21 letters are free)."""
MAX_LINE = 64 * 1024
"""Bytes in one line of an event file or one frame on the wire."""

Seq = Annotated[int, Field(ge=1, le=MAX_SEQ, description="1 for the header, then +1 for each event")]
Count = Annotated[int, Field(ge=1, le=MAX_BALLOTS, description="how many ballots this event stands for")]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ChoiceName = Annotated[str, Field(min_length=1, max_length=100)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    seq: Seq
    at: AwareDatetime | None = Field(
        default=None, description="RFC 3339 time the event happened, with an offset"
    )


class Election(_Event):
    """The header: seq 1 and only seq 1. Says what is being counted."""

    type: Literal["election"]
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="slug")]
    title: Name
    choices: tuple[ChoiceName, ...] = Field(
        default=YES_NO,
        max_length=MAX_CHOICES,
        description=('["yes","no"] (the default), any two choices of a runoff ballot, '
                     "or three or more of a multi-union ballot"),
    )
    union: Name | None = Field(default=None, description="the petitioner, on a yes/no ballot")
    eligible: Annotated[int, Field(ge=1, le=MAX_BALLOTS)] | None = Field(
        default=None, description="approximate number of eligible voters"
    )
    ballots: Annotated[int, Field(ge=0, le=MAX_BALLOTS)] | None = Field(
        default=None,
        description="total ballots cast, void and challenged included; bounds what is unopened",
    )
    case: Name | None = None
    location: Name | None = None
    office: Name | None = None

    rule: Literal["representation", "deauthorization"] = Field(
        default="representation",
        description="representation (the default), or deauthorization: a Section 9(e)(1) poll "
        "in which yes needs a majority of all eligible voters",
    )

    @field_validator("choices")
    @classmethod
    def _choices_make_a_ballot(cls, choices: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(choices)) != len(choices):
            raise ValueError("choices must be distinct")
        if VOID in choices:
            raise ValueError('"void" is not a choice: void ballots are not votes')
        if len(choices) == 2 and choices != YES_NO and set(choices) & set(YES_NO):
            raise ValueError('a yes/no ballot is ["yes","no"], in that order')
        if len(choices) < 2:
            raise ValueError("a ballot needs at least two choices")
        return choices

    @model_validator(mode="after")
    def _header_is_first(self) -> Election:
        if self.seq != 1:
            raise ValueError("the election header must be seq 1")
        return self

    @model_validator(mode="after")
    def _deauthorization_poll(self) -> Election:
        # Yes needs a majority of the eligible voters, so without them nothing can be called.
        if self.rule == "deauthorization" and self.choices != YES_NO:
            raise ValueError('a deauthorization poll is a yes/no ballot: choices ["yes","no"]')
        if self.rule == "deauthorization" and self.eligible is None:
            raise ValueError('a deauthorization poll needs "eligible": yes wins only with '
                             "a majority of all eligible voters")
        return self

    @property
    def yes_no(self) -> bool:
        return self.choices == YES_NO


class Ballot(_Event):
    """Ballots opened and called: ``count`` of them for ``choice`` (or "void")."""

    type: Literal["ballot"]
    choice: ChoiceName
    count: Count = 1


class Challenged(_Event):
    """Ballots set aside unopened, in sealed envelopes."""

    type: Literal["challenged"]
    count: Count = 1


class Retract(_Event):
    """Undo an earlier ballot or challenged event entered by mistake."""

    type: Literal["retract"]
    target: Seq


class Note(_Event):
    """Something said during the count ("break for lunch")."""

    type: Literal["note"]
    text: Text


class Close(_Event):
    """The count is finished: nothing remains unopened."""

    type: Literal["close"]


Event = Annotated[
    Union[Election, Ballot, Challenged, Retract, Note, Close],
    Field(discriminator="type"),
]
EVENT = TypeAdapter(Event)
EVENTS = TypeAdapter(list[Event])


class EventError(ValueError):
    """An event that breaks the format; the message is one line."""


def parse_event(raw: str | bytes) -> Event:
    """Validate one JSON text as an event, or raise EventError with one line."""
    try:
        return EVENT.validate_json(raw)
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


def explain(exc: ValidationError) -> str:
    """The first problem pydantic found, as one line a person can act on."""
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
    if kind == "json_invalid":
        return f"not JSON ({err['ctx'].get('error', 'invalid')})"
    if kind == "model_type" or kind == "dict_type":
        return "not a JSON object"
    loc = [str(p) for p in err["loc"]]
    if kind == "union_tag_invalid":
        return f"unknown type {err['input'].get('type')!r}" if isinstance(
            err["input"], dict
        ) else "unknown type"
    if kind == "union_tag_not_found":
        return 'missing field "type"'
    field = ".".join(loc[1:]) if len(loc) > 1 else ""
    if kind == "extra_forbidden":
        return f"unknown field {field!r}"
    if kind == "missing":
        return f"missing field {field!r}"
    if kind == "string_pattern_mismatch" and field == "id":
        return "id: a slug of lowercase letters, digits and -, like ldj5 or bhm1-2022"
    limit = (err.get("ctx") or {})
    if kind == "less_than_equal":
        return f"{field}: at most {limit['le']:,} (a limit of the format)"
    if kind == "string_too_long":
        return f"{field}: at most {limit['max_length']:,} characters (a limit of the format)"
    if kind == "too_long":
        return f"{field}: at most {limit['max_length']:,} items (a limit of the format)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{field}: {msg}" if field else msg


def dump_event(event: Event) -> str:
    """One event as one compact JSON line (no newline), without unset defaults."""
    return event.model_dump_json(exclude_none=True)


def json_schema() -> str:
    """The JSON Schema of one event, generated from the models above."""
    schema = EVENT.json_schema()
    schema["title"] = f"tally event, format v{FORMAT_VERSION}"
    schema["description"] = (
        f"One event per line of JSON Lines; a line is at most {MAX_LINE // 1024} KiB. "
        f"Limits: a pile's count, ballots and eligible at most {MAX_BALLOTS:,}; "
        f"2 to {MAX_CHOICES} choices; seq at most {MAX_SEQ:,}.")
    return json.dumps(schema, indent=2)
