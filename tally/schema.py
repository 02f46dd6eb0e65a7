"""Event format v1: one contract for files, journals and the network.

A count is a JSON Lines stream of events. Every event has ``seq`` (1, 2, 3 …
with no gaps) and ``type``; ``at`` (an RFC 3339 timestamp with an offset) is
optional. Unknown fields and unknown types are refused, and values are strict
(``"count": "5"`` is not a count), because a tally that guesses is worse than
one that stops. docs/FORMAT.md is the prose version of this module.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

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

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
"""The range of `at`, as instants (any offset): Python's datetime ends at 9999 and starts at 1,
and a screen shows a stamp at the viewer's own offset, so the format keeps a stamp
far inside both ends (docs/DECISIONS.md, issue 16)."""
MAX_OFFSET = timedelta(hours=14)
"""The widest UTC offset in use anywhere (Kiribati, +14:00); -12:00 is the other end."""
AT_PATTERN = (r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?"
              r"(?:[Zz]|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))$")
"""RFC 3339's date-time (section 5.6), its offset within ±14:00: checked before the time is read,
so that nothing else (a unix time such as "1651510805", "+0400") passes for one."""


def _offset_in_range(at: datetime) -> datetime:
    """For a datetime given in Python (the count screen's own clock): the offset JSON's pattern allows."""
    if abs(at.utcoffset()) > MAX_OFFSET:  # aware: checked before this runs
        raise PydanticCustomError("at_offset", "the UTC offset must be within ±14:00")
    return at


def _at_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    """`at`'s core schema: in JSON, the RFC 3339 pattern, then the time in its range.

    Both steps run in pydantic-core (the pattern is a Rust regex), so the fast
    path, which carries the fields' schemas over, checks exactly the same
    thing at no cost in Python. The second step is lax only because its input
    is the string the first step passed: it reads that string as strict JSON does.
    """
    def instant(**kwargs: Any) -> core_schema.DatetimeSchema:
        return core_schema.datetime_schema(tz_constraint="aware", ge=EARLIEST, le=LATEST, **kwargs)

    return core_schema.json_or_python_schema(
        json_schema=core_schema.chain_schema(
            [core_schema.str_schema(pattern=AT_PATTERN), instant(strict=False)]),
        python_schema=core_schema.no_info_after_validator_function(_offset_in_range, instant()))


def _utc(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


AT_RANGE = f"from {_utc(EARLIEST)} to {_utc(LATEST)}, its UTC offset at most ±14:00"
At = Annotated[datetime, GetPydanticSchema(_at_schema), WithJsonSchema({
    "type": "string", "format": "date-time", "pattern": AT_PATTERN,
    "formatMinimum": _utc(EARLIEST), "formatMaximum": _utc(LATEST),
    "description": f"RFC 3339 time the event happened, with its UTC offset; {AT_RANGE}"})]

Seq = Annotated[int, Field(ge=1, le=MAX_SEQ, description="1 for the header, then +1 for each event")]
Count = Annotated[int, Field(ge=1, le=MAX_BALLOTS, description="how many ballots this event stands for")]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ChoiceName = Annotated[str, Field(min_length=1, max_length=100)]


class _Event(BaseModel):
    # defer_build: the validators are built on first use, not at import (a command
    # that never validates an event, or validates few, starts sooner).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    seq: Seq
    at: At | None = None


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


Heard = Annotated[float, Field(ge=0, le=1, description=(
    "present when `tally listen` heard the call (its confidence, 0 to 1); absent when a person "
    "typed it. Under the sure threshold the call was held and a person confirmed it"))]
"""How an entry was made: heard by `tally listen` (with its confidence) or typed (no field)."""


class Ballot(_Event):
    """Ballots opened and called: ``count`` of them for ``choice`` (or "void")."""

    type: Literal["ballot"]
    choice: ChoiceName
    count: Count = 1
    heard: Heard | None = None


class Challenged(_Event):
    """Ballots set aside unopened, in sealed envelopes."""

    type: Literal["challenged"]
    count: Count = 1
    heard: Heard | None = None


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


Tally = Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
CHALLENGED = "challenged"
"""What a correction calls an entry that becomes a challenged ballot (when no choice has that name)."""


class Checkpoint(_Event):
    """Running totals the Board agent announced (a subtotal, or the official tally at the end).

    The count compares them with its own totals at this point. Every choice's
    votes are given; `void` and `challenged` only when they were announced
    (left out: not compared). Whether the figures fit the ballot (its
    choices, its `ballots`) is the reducer's rule, as for a ballot's choice.
    """

    type: Literal["checkpoint"]
    votes: dict[ChoiceName, Tally] = Field(
        max_length=MAX_CHOICES, description="the announced votes of every choice on the ballot")
    void: Tally | None = Field(default=None, description="void ballots, when announced")
    challenged: Tally | None = Field(default=None, description="challenged ballots, when announced")
    text: Text | None = Field(default=None, description="what was said, in the agent's words")


class Correct(_Event):
    """The call of entry `target` (a ballot or challenged entry) was wrong: it is `choice`.

    The entry keeps its place and its ballot numbers; a pile changes whole.
    `choice` is a choice on the ballot, "void", or "challenged".
    """

    type: Literal["correct"]
    target: Seq
    choice: ChoiceName


class Adjust(_Event):
    """Accept the Board's figures at checkpoint `checkpoint`, which the count disagreed with."""

    type: Literal["adjust"]
    checkpoint: Seq


Event = Annotated[
    Union[Election, Ballot, Challenged, Retract, Note, Close, Checkpoint, Correct, Adjust],
    Field(discriminator="type"),
]
EVENT = TypeAdapter(Event, config=ConfigDict(defer_build=True))
EVENTS = TypeAdapter(list[Event], config=ConfigDict(defer_build=True))


class EventError(ValueError):
    """An event that breaks the format; the message is one line."""


def parse_event(raw: str | bytes) -> Event:
    """Validate one JSON text as an event, or raise EventError with one line."""
    try:
        return validate_json(EVENT, raw)
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


# -- keys are strict -------------------------------------------------------------
# pydantic-core's JSON parser, like json.loads, keeps the last of two equal keys:
# {"choice":"yes","choice":"no"} would count as no, though whoever wrote it may
# have meant yes. Every JSON text of events is validated through `validate_json`,
# which refuses a key repeated in any object. Proving that no key repeats costs
# one count of commas per text (a block of a thousand lines); only a text that
# count cannot clear is parsed again, by json.loads, to look at every key.

def validate_json(validator: Any, data: str | bytes) -> Any:
    """`validator.validate_json(data)` (one event, or a list), refusing a key repeated in any object.

    ValidationError as pydantic raises it, or one of type "duplicate_key".
    """
    value = validator.validate_json(data)
    raw = data if data.__class__ is bytes else str(data).encode("utf-8", "surrogatepass")
    if not _keys_cannot_repeat(raw, value if value.__class__ is list else [value]):
        _refuse_repeated_keys(raw)
    return value


def _keys_cannot_repeat(raw: bytes, events: list) -> bool:
    """True when no object in `raw` repeats a key, told from its commas; False when unsure.

    `raw` is valid JSON and `events` what was validated from it (an array of
    them, or one), each an object holding only scalars, arrays and objects of
    scalars (a checkpoint's votes). A comma outside a string separates two
    members of one object or two items of one array, so an event whose object
    has p members but k distinct keys shows p - k more commas than its keys
    account for (and a repeated key's value can only add more; so does a key
    repeated inside a nested object). Strings can only add commas too. So a comma count
    equal to what the events' keys and arrays account for (plus, when no
    escape can hide one, the commas of their strings) proves no key repeats.
    """
    if not events:
        return True
    commas = raw.count(b",")
    try:
        members, arrays = sum(map(len, events)), 0  # the fast path's dicts: their keys, no arrays
    except TypeError:
        members, arrays = _members(events)
    expected = members - 1 + arrays  # between events, between members, between items
    if commas == expected:
        return True
    if not arrays:  # the plain dicts' count left out any nested object's members
        members, arrays = _members(events)
        expected = members - 1 + arrays
        if commas == expected:
            return True
    return b"\\" not in raw and commas == expected + _string_commas(events)


def _values(event: Any) -> Any:
    return event.values() if event.__class__ is dict else (
        getattr(event, name) for name in event.model_fields_set)


def _members(events: list) -> tuple[int, int]:
    """Keys (an event's given fields) and commas between array items, of dicts and models alike."""
    members = arrays = 0
    for event in events:
        members += len(event) if event.__class__ is dict else len(event.model_fields_set)
        arrays += sum(max(len(v) - 1, 0) for v in _values(event) if v.__class__ in (tuple, dict))
    return members, arrays


def _string_commas(events: list) -> int:
    return sum(v.count(",") if v.__class__ is str else
               sum(x.count(",") for x in v) if v.__class__ in (tuple, dict) else 0
               for event in events for v in _values(event))


def _refuse_repeated_keys(raw: bytes) -> None:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) < len(pairs):
            key = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
            raise ValidationError.from_exception_data("Event", [{
                "type": PydanticCustomError("duplicate_key", "duplicate key {key}",
                                            {"key": json.dumps(key)}),
                "loc": (), "input": key}])
        return obj

    json.loads(raw, object_pairs_hook=unique)


def _within_the_line(error: str) -> str:
    """The JSON parser's place in the text it was given, as a place in the file's line.

    Each line is parsed alone, with its newline: "line 1 column 17" is column 17
    of the line the message already names (FILE:LINE), and "line 2 column 0" is
    its end (what follows the newline), not the file's line 2.
    """
    found = re.search(r" at line (\d+) column (\d+)$", error)
    if found is None:
        return error
    where = f"at column {found.group(2)}" if found.group(1) == "1" else "at the end of the line"
    return error[:found.start()] + " " + where


def explain(exc: ValidationError) -> str:
    """The first problem pydantic found, as one line a person can act on."""
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
    if kind == "json_invalid":
        return f"not JSON ({_within_the_line(err['ctx'].get('error', 'invalid'))})"
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
    if field == "at" and kind in ("string_pattern_mismatch", "at_offset", "greater_than_equal",
                                  "less_than_equal"):
        return (f"at: an RFC 3339 time with its timezone offset, like 2022-05-02T13:00:05-04:00, "
                f"{AT_RANGE} (a limit of the format)")
    if kind == "duplicate_key":
        return f"{err['msg']}: a key may appear once in an object (which value was meant?)"
    limit = (err.get("ctx") or {})
    if kind == "less_than_equal":
        return f"{field}: at most {limit['le']:,} (a limit of the format)"
    if kind == "greater_than_equal":
        return f"{field}: at least {limit['ge']:,}"
    if kind == "string_too_long":
        return f"{field}: at most {limit['max_length']:,} characters (a limit of the format)"
    if kind == "too_long":
        return f"{field}: at most {limit['max_length']:,} items (a limit of the format)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{field}: {msg}" if field else msg


# -- the fast path -------------------------------------------------------------
# Reading a file of a million ballots, building a frozen model per line is most
# of the cost. The fast path validates the same JSON with the same core schema,
# derived from the models above: every event model without validators of its own
# (all but Election) is validated as a plain dict, holding exactly the fields the
# line gave (no defaults filled in), with the same constraints, strictness and
# refusal of unknown fields. Election keeps its model (its validators are Python).
# What it accepts, and the values, are the models' (tests/test_fast_path.py);
# a line it refuses is validated again by EVENT, so every refusal is worded by the
# models. `as_event` turns a plain event back into its model.

def _plain(model_schema: dict[str, Any]) -> dict[str, Any] | None:
    """A model's core schema as a typed-dict schema with the same fields and config, or None.

    A field with a default becomes a field that may be left out (the dict
    then lacks it, as the model's fields_set does). Anything this does not
    know how to carry over exactly (validators, aliases, …) keeps the model.
    """
    from pydantic_core import core_schema

    inner = model_schema.get("schema", {})
    if model_schema.get("type") != "model" or inner.get("type") != "model-fields" or (
            inner.get("computed_fields") or set(inner) - {"type", "fields", "model_name",
                                                          "computed_fields"}):
        return None
    fields = {}
    for name, field in inner["fields"].items():
        if field.get("type") != "model-field" or set(field) - {"type", "schema", "metadata"}:
            return None
        schema = field["schema"]
        if schema["type"] == "default":
            if set(schema) != {"type", "default", "schema"}:
                return None
            fields[name] = core_schema.typed_dict_field(schema["schema"], required=False)
        else:
            fields[name] = core_schema.typed_dict_field(schema, required=True)
    config = model_schema.get("config", {})
    return core_schema.typed_dict_schema(
        fields, extra_behavior=config.get("extra_fields_behavior"), config=config)


def fast_schema() -> dict[str, Any]:
    """The fast path's core schema, derived from the models: EVENTS's, its plain models as dicts.

    pydantic generates it in ~50 ms, most of a launch's validating: `_fast_validator` reads
    the copy generated ahead of time (tally/fast_schema.py, written by `write_fast_schema`),
    which tests/test_fast_schema.py checks is this, as pydantic builds it now.
    """
    schema = dict(EVENTS.core_schema)
    union = dict(schema["items_schema"])
    if schema.get("type") != "list" or union.get("type") != "tagged-union":
        raise TypeError("EVENTS is no longer a list of a tagged union: see _plain")
    union["choices"] = {tag: _plain(choice) or choice for tag, choice in union["choices"].items()}
    schema["items_schema"] = union
    return schema


@cache
def _fast_validator() -> Any:
    from pydantic_core import SchemaValidator

    from tally.fast_schema import FAST_SCHEMA, MADE_FROM

    # A copy made from other models (this file changed since, or pydantic did) is not used:
    # the models' own schema is, as pydantic builds it (slower, never different).
    return SchemaValidator(FAST_SCHEMA if MADE_FROM == made_from() else fast_schema())


def made_from() -> str:
    """What tally/fast_schema.py is made from: this file's text and pydantic's versions, digested."""
    import hashlib
    from pathlib import Path

    from pydantic.version import VERSION
    from pydantic_core import __version__ as core_version

    try:
        text = Path(__file__).read_bytes() + f"\0{VERSION}\0{core_version}".encode()
    except OSError:  # no source to read (a zip): never the copy's
        return ""
    return hashlib.sha256(text).hexdigest()


def for_validation(schema: Any) -> Any:
    """A core schema without what only JSON Schema reads (`metadata`) or what names it
    in this process only (`ref`, with an object's id: nothing here refers to one)."""
    if schema.__class__ is dict:
        return {k: for_validation(v) for k, v in schema.items() if k not in ("metadata", "ref")}
    if schema.__class__ in (list, tuple):
        return schema.__class__(map(for_validation, schema))
    return schema


def _source(value: Any, names: set[str], indent: str = "") -> str:
    """`value` (a part of a core schema) as Python source; the names of tally.schema it uses
    (its models, their validators, `_offset_in_range`) are added to `names`."""
    inner = indent + "    "
    if value.__class__ is dict:
        items = "".join(f"{inner}{k!r}: {_source(v, names, inner)},\n" for k, v in value.items())
        return "{\n" + items + indent + "}" if items else "{}"
    if value.__class__ in (list, tuple):
        items = ", ".join(_source(v, names, indent) for v in value)
        return f"[{items}]" if value.__class__ is list else f"({items}{',' if len(value) == 1 else ''})"
    if value is None or value.__class__ in (str, int, float, bool):
        return repr(value)
    if value.__class__ is datetime and value.tzinfo is timezone.utc:
        return repr(value).replace("datetime.", "")
    name = getattr(value, "__qualname__", "")
    owner, _, attribute = name.partition(".")
    found = globals().get(owner)
    if found is None or (getattr(found, attribute) if attribute else found) != value:
        raise TypeError(f"no name in tally.schema for {value!r}")
    names.add(owner)
    return name


def write_fast_schema() -> None:
    """Write tally/fast_schema.py from the models (after a change to this file: the test says when)."""
    from pathlib import Path

    Path(__file__).with_name("fast_schema.py").write_text(fast_schema_module())


def fast_schema_module() -> str:
    """The source of tally/fast_schema.py, from the models as pydantic builds them now."""
    names: set[str] = set()
    body = _source(for_validation(fast_schema()), names)
    return (FAST_SCHEMA_HEADER.format(names=", ".join(sorted(names)))
            + f"MADE_FROM = {made_from()!r}\n\nFAST_SCHEMA = {body}\n")


FAST_SCHEMA_HEADER = '''"""The fast path's core schema, generated ahead of time from the models of tally/schema.py.

GENERATED: do not edit. After a change to tally/schema.py (or to pydantic), run
    python -c "from tally.schema import write_fast_schema; write_fast_schema()"
(tests/test_fast_schema.py fails until this is what pydantic builds from the models).

Why: pydantic takes ~50 ms to generate this from the models, at every launch of a
dashboard (the header check is its first use); pydantic-core builds the validator
from it in well under one. MADE_FROM digests tally/schema.py and pydantic's versions:
when they are not these, `tally.schema._fast_validator` has pydantic build the schema.
"""

from datetime import datetime, timezone

from tally.schema import {names}

'''


def validate_events_fast(data: bytes) -> list[Event | dict[str, Any]]:
    """A JSON array of events, each as a plain dict (an Election as its model); ValidationError
    exactly when EVENTS would refuse it, or a key repeats (as `validate_json`)."""
    return validate_json(_fast_validator(), data)


_MODELS: dict[str, type[_Event]] = {}


def as_event(item: Any) -> Any:
    """A plain event (a dict from the fast path) as its model; anything else as it is."""
    if item.__class__ is not dict:
        return item
    if not _MODELS:
        _MODELS.update((m.model_fields["type"].annotation.__args__[0], m)
                       for m in (Election, Ballot, Challenged, Retract, Note, Close,
                                 Checkpoint, Correct, Adjust))
    return _MODELS[item["type"]].model_construct(**item)


BALLOT_COUNT = 1
"""The count of a ballot event that gives none (Ballot's default; checked by the tests)."""


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
