"""One election as a row: what `tally board`, the hub's ``/board`` stream and the web page show.

Built on `json_report` (the same rules, the same keys), minus what a row does
not need, plus the needle's chances and the words a reader sees: the call
(TOO EARLY TO CALL, OUTCOME DECIDED …), the row's state, who leads, what each
choice still needs, and `model`: the presentation model of the count
(`tally.present`), the one every face lays out. Every judgement is made
there, in Python; a screen or a browser only lays these out, it never decides
anything itself (the keys beside `model` stay for `tally board`).

The needle costs 1–15 ms for a yes/no count, seconds for the largest (10
million ballots), a simulation 0.1–0.3 s; so a summary is made once per change
of the count and shared by every reader, and the hub makes it off its event
loop (feeds/hub/rows.py): `rules_row` while the needle is worked out (a row
without its needle says WORKING), then `needle_row`; each row makes one presentation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from tally.lang import N_, t, text, use
from tally.odds import Odds, no_odds_reason, odds_json
from tally.present import (COUNTING, STATE_DECIDED, STATE_PENDING, FINAL, STATES, WORKING,  # noqa: F401
                           Chance, Presentation, call, choice_name, lead_words, likeliest, needs_words,
                           odds_from_json, present, scale, state, verification_line, verification_role)
from tally.reducer import Snapshot
from tally.report import json_report
from tally.timeline import TickerLine
from tally.verify import CheckResult

WORKING_SHORT = N_("working…")
"""`tally.present.WORKING` in a board's narrow chance column."""

CALLS = 12
"""The last calls a row carries (the page shows them all)."""

DROPPED = ("valid_plus_challenged", "odds")
"""Keys of `json_report` a row does not need (`odds` becomes `chances`)."""


def chance_row(chance: Chance) -> dict[str, Any]:
    """One of the needle's outcomes as a row carries it: the model's, and the keys older readers know.

    `words` and `percent` are `label` and `text` under their old names (a
    `tally board` of the previous release reads them); `text` follows the one
    rounding rule, `tally.present.chance_text`.
    """
    return {"key": chance.key, "label": chance.label, "text": chance.text, "p": chance.p,
            "role": chance.role, "words": chance.label, "percent": chance.text}


def summary(snap: Snapshot, calls: Sequence[TickerLine] = ()) -> dict[str, Any]:
    """One election's row: `json_report` minus `DROPPED`, plus chances and words (docs/PROTOCOL.md)."""
    return needle_row(snap, odds_json(snap), calls=calls)


def model_of(snap: Snapshot, odds: Odds | None | str, calls: Sequence[TickerLine],
             why_not: str | None = None) -> Presentation:
    """The row's model: `tally.present.present` of the count as the hub follows it (link live).

    ``why_not``: the needle could not be had (the hub's worker gave up), said
    in place of the model's own reason.
    """
    model = present(snap, odds, calls=calls, most_calls=CALLS)
    if why_not and odds is None:
        not_given = t("not given: {why}", why=text(why_not))
        model = replace(model, no_chance=not_given, likeliest=likeliest(snap, None, not_given))
    return model


def rules_row(snap: Snapshot, calls: Sequence[TickerLine] = (), languages: Sequence[str] = ()) -> dict[str, Any]:
    """The row without its needle (microseconds): `chances` null, and `no_chances` says why.

    Why is `no_odds_reason` when the count cannot have a needle, else WORKING,
    with `working` true: the needle is being worked out. ``calls``: the
    count's latest ticker lines (oldest first), numbered in `model` by ballot.
    ``languages``: the model in each of these too (`with_languages`).
    """
    reason = no_odds_reason(snap)
    odds = None if reason else WORKING
    row = _row(snap, calls, model_of(snap, odds, calls),
               chances=None, no_chances=reason or WORKING, working=reason is None, chances_seq=None)
    return with_languages(row, languages, lambda: model_of(snap, odds, calls))


def with_languages(row: dict[str, Any], languages: Sequence[str], model: Callable[[], Presentation]) -> dict[str, Any]:
    """`row` with ``models``: the `model` made again in each of `languages` (`tally.lang.use`), as JSON.

    A row is made once per change and sent to every client; the page of a
    reader of another language takes its language's model (docs/PROTOCOL.md).
    Made only for languages some client reads: nothing more while every reader
    reads the row's own.
    """
    if languages:
        models = {}
        for lang in languages:
            with use(lang):
                models[lang] = model().as_json()
        row["models"] = models
    return row


def needle_row(snap: Snapshot, needle: dict[str, Any] | None, why_not: str | None = None,
               seq: int | None = None, calls: Sequence[TickerLine] = (),
               languages: Sequence[str] = ()) -> dict[str, Any]:
    """The row of `snap` with its needle (`odds_json(snap)`, or None: there is none) in words.

    ``why_not``: the needle could not be had (it took too long, say), in a
    few words that follow "not given: ". ``seq``: the seq of the state the
    needle was worked out for, when it is not `snap`'s (an event that changed
    no count came since: a note); `chances_seq` says it. ``calls``: as for
    `rules_row`. One presentation is made per row: its chances are the model's.
    """
    odds = None if needle is None else odds_from_json(needle)
    model = model_of(snap, odds, calls, why_not)
    row = _row(snap, calls, model,
               chances=None if odds is None else [chance_row(c) for c in model.chances or ()],
               no_chances=why_not or no_odds_reason(snap), working=False,
               chances_seq=None if needle is None else snap.last_seq if seq is None else seq)
    return with_languages(row, languages, lambda: model_of(snap, odds, calls, why_not))


def with_checks(row: dict[str, Any], snap: Snapshot, checks: Sequence[CheckResult]) -> dict[str, Any]:
    """`row` with the hub's check counters: ``checks`` (as ``GET /elections`` lists them) and the
    model's verification line and role made with them (`tally.present.verification_line`).

    A row is made for a state of the count, and its needle may take seconds;
    a check can change without the count moving. So the checks go in last,
    over whichever row goes out, and never hold a row back.
    """
    role = verification_role(snap, checks)
    model = {**row["model"], "verification": verification_line(snap, checks), "verification_role": role}
    row = {**row, "model": model, "checks": [c.as_json() for c in checks]}
    if "models" in row:
        models = {}
        for lang, other in row["models"].items():
            with use(lang):
                models[lang] = {**other, "verification": verification_line(snap, checks), "verification_role": role}
        row["models"] = models
    return row


def _row(snap: Snapshot, calls: Sequence[TickerLine], model: Presentation, **needle: Any) -> dict[str, Any]:
    """`json_report` minus `DROPPED`, the words of a row, `model` as JSON, and the `needle` keys."""
    row = json_report(snap, needle=False)
    for key in DROPPED:
        row.pop(key, None)
    width, line = scale(snap)
    e = snap.election
    model_json = model.as_json()
    row.update(
        place=", ".join(p for p in (e.case and t("Case {case}", case=e.case), e.location, e.office) if p),
        state=state(snap),
        call=call(snap),
        detail=model_json["subline"],
        lead=lead_words(snap),
        leader=None if snap.leader is None else snap.choices[snap.leader],
        margin=snap.margin,
        handled=snap.handled,
        names=[choice_name(snap, i) for i in range(len(snap.choices))],
        needs={c: needs_words(snap, i) for i, c in enumerate(snap.choices)},
        scale=width,
        line=line,
        **needle,
        model=model_json,
        checks=[],  # a hub's check counters (`with_checks`); none offline
    )
    return row


def order_key(row: dict[str, Any]) -> tuple[bool, str, str]:
    """Rows in a stable order: counting first, then the rest, each by title."""
    return (row.get("state") != COUNTING, str(row.get("title", "")).casefold(), str(row.get("id", "")))


def board_rows(frame: Any) -> list[Any]:
    """What one decoded ``/board`` frame carries, in order (docs/PROTOCOL.md): the rows of
    ``{"rows": [...]}`` (several sent at once), else the frame itself (a row or ``{"ready": N}``)."""
    if isinstance(frame, dict) and isinstance(frame.get("rows"), list) and "id" not in frame:
        return frame["rows"]
    return [frame]
