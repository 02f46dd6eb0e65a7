"""English and Spanish (issue 19, item 5): every word of the presentation model in both, numbers as each writes them.

The model (`tally.present`), the report and a board row are made for counts in
every state a face can show (early, decided, pending, no majority possible, a
runoff, a deauthorization poll, the Board's figures matching, differing and
accepted, corrected and retracted calls, check counters agreeing and not, every
link state, stale numbers), once in English and once in Spanish. A Spanish
string equal to its English one, or holding an English word, is a word nobody
translated — unless all that is left of it, without the count's own names
(titles, unions, notes), placeholders, digits and signs, is a word both
languages write alike (ALIKE).
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from typing import Any, Iterator

import pytest
from babel.numbers import format_decimal
from hypothesis import given, strategies as st

from counts import header, numbered, pile
from tally import catalogs, lang
from tally.lang import Words, from_accept_language, from_environment, parse, use
from tally.odds import odds
from tally.present import FACE_WORDS, LINK_MARKS, PAGE_WORDS, face_words, page_words, present, stale_words
from tally.reducer import Count
from tally.report import summary_line, text_report
from tally.schema import parse_event
from tally.summary import needle_row, rules_row, with_checks
from tally.timeline import Timeline
from tally.verify import CheckResult

ALIKE = {"FINAL", "NO", "final", "min", "h", "s", "tally", "hub", "NLRA", "CFR", "d", "e", "tally", "total",
         "ESTADO"}
"""Words Spanish writes as English does (or symbols of units), allowed in a Spanish string as they are."""
ENGLISH = re.compile(r"\b(the|of|and|leads|unopened|ballots?|votes?|challenged|void|needs|wins|count|counts|"
                     r"chance|last|update|ago|yet|union|margin|remaining|turnout|entry|board|agree|differ|"
                     r"counters?|decided|pending|runoff|rerun|certain|between|finish|will|not|given|known|"
                     r"LIVE|OFFLINE|RECONNECTING|WAITING|COUNTING|PAUSED|BREAK|CONFLICT|DECIDED|"
                     r"CHALLENGED|RETRACTED|CORRECTED|ADJUSTED|BOARD|CLOSED|YES|TOO|EARLY|OUTCOME)\b")
SKIPPED = {"id", "key", "role", "state", "link", "kind", "verification_role", "call", "title", "union", "heading"}
"""Model fields that are identifiers or the count's own text, never words of tally's."""


# -- counts in every state --------------------------------------------------------------

def _made(*events: dict) -> tuple[Count, Timeline]:
    count, timeline = Count(), Timeline()
    for e in numbered(*events):
        event = parse_event(json.dumps(e))
        count.apply(event)
        timeline.record(event, count)
    return count, timeline


NAMES = ("Test count", "Test Union", "Teamsters Local 727", "UFCW Local 881", "Neither", "Staten Island",
         "a break for lunch", "b", "Agent: 200 for")
"""The counts' own text below: names a face shows as they are, in any language."""

COUNTS = {
    "early": (header(ballots=1000, eligible=1633, location="Staten Island"), pile("yes", 120), pile("no", 150),
              {"type": "challenged", "count": 3}, {"type": "ballot", "choice": "void"},
              {"type": "note", "text": "a break for lunch"}, {"type": "ballot", "choice": "yes"},
              {"type": "retract", "target": 7}),
    "no total": (header(), pile("yes", 40), pile("no", 20)),
    "tied": (header(ballots=100), pile("yes", 20), pile("no", 20)),
    "decided": (header(ballots=100, eligible=120), pile("yes", 60), pile("no", 20), {"type": "close"}),
    "pending": (header(ballots=100), pile("yes", 48), pile("no", 46), {"type": "challenged", "count": 6}),
    "three unions": (header(choices=["Teamsters Local 727", "UFCW Local 881", "Neither"], ballots=300, union=None),
                     pile("Teamsters Local 727", 90), pile("UFCW Local 881", 90), pile("Neither", 90)),
    "runoff": (header(choices=["Teamsters Local 727", "UFCW Local 881", "Neither"], ballots=100, union=None),
               pile("Teamsters Local 727", 45), pile("UFCW Local 881", 35), pile("Neither", 20), {"type": "close"}),
    "deauthorization": (header(rule="deauthorization", eligible=100, ballots=90), pile("yes", 30), pile("no", 20)),
    "deauthorized": (header(rule="deauthorization", eligible=100, ballots=90), pile("yes", 51), pile("no", 9)),
    "board figures": (header(ballots=500), pile("yes", 200), pile("no", 213),
                      {"type": "checkpoint", "votes": {"yes": 200, "no": 213}, "void": 0},
                      pile("yes", 10),
                      {"type": "checkpoint", "votes": {"yes": 211, "no": 213}, "text": "Agent: 200 for"},
                      {"type": "correct", "target": 5, "choice": "no"}),
    "accepted": (header(ballots=500), pile("yes", 200), pile("no", 213),
                 {"type": "checkpoint", "votes": {"yes": 201, "no": 213}},
                 {"type": "adjust", "checkpoint": 4}),
}
CHECKS = {
    "agree": (CheckResult("b", True, 400),),
    "differ": (CheckResult("b", False, 400, 380, (200, 180, 1, 0), (199, 181, 1, 0)),),
}


def models(name: str) -> Iterator[tuple[str, Any]]:
    """(what, thing) for every face's words of the named count: models in each link state, the report."""
    count, timeline = _made(*COUNTS[name])
    snap = count.snapshot()
    needle = odds(snap)
    calls = timeline.ticker(snap.election.yes_no, count)
    pace = timeline.pace(count)
    yield "model", present(snap, needle, calls=calls, pace=pace, margin_range=(-30, 12)).as_json()
    yield "working", present(snap, "working it out …" if needle else None, calls=calls).as_json()
    for link in LINK_MARKS:
        yield f"link {link}", present(snap, None, link=link, speed=2.5, waiting=7, stale_seconds=40).as_json()
    for seconds in (30, 600, 7300):
        yield f"stale {seconds}", stale_words(seconds)
    for checks in CHECKS.values():
        yield "checks", present(snap, needle, checks=checks, ours="you").as_json()
    yield "report", text_report(snap).splitlines()
    yield "summary", summary_line(snap)
    yield "row", rules_row(snap, calls)["model"]
    yield "row with needle", with_checks(needle_row(snap, None, why_not=Words("it could not be worked out "
                                                                                "(see the hub's log)")),
                                          snap, CHECKS["differ"])["model"]


def strings(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """The strings of two values of one shape, side by side, with where they are."""
    if isinstance(a, dict):
        for k in a:
            if k not in SKIPPED:
                yield from strings(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            if not (i == 0 and path.endswith((".marks.live", ".marks.reconnecting", ".marks.offline",
                                               ".links.live", ".links.reconnecting", ".links.offline"))):
                yield from strings(x, y, f"{path}[{i}]")
    elif isinstance(a, str):
        yield path, a, b


def untranslated(english: str, spanish: str) -> str | None:
    """Why `spanish` is not a translation of `english`, or None."""
    left = spanish
    for name in NAMES:
        left = left.replace(name, " ")
    left = re.sub(r"\{[^}]*\}", " ", left)  # a message's places: filled with names and numbers
    if ENGLISH.search(left):
        return f"English word {ENGLISH.search(left)[0]!r}"
    if english == spanish:
        words = re.findall(r"[^\W\d_]+", left)
        if [w for w in words if w not in ALIKE]:
            return "same as the English"
    return None


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_string_of_the_model_is_said_in_spanish(name):
    with use("en"):
        english = list(models(name))
    with use("es"):
        spanish = list(models(name))
    wrong = [f"{what}{path}: {en!r} → {es!r}: {why}"
             for (what, en_thing), (_, es_thing) in zip(english, spanish)
             for path, en, es in strings(en_thing, es_thing)
             if (why := untranslated(en, es))]
    assert not wrong, "\n".join(wrong)


def test_the_page_and_the_widgets_words_are_said_in_spanish():
    with use("es"):
        page = page_words()
        faces = {name: face_words(name) for name in FACE_WORDS}
    assert page["lang"] == "es"
    wrong = [f"{name}: {page[name]!r}" for name, words in PAGE_WORDS.items() if untranslated(words, page[name])]
    wrong += [f"{name}: {said!r}" for name, said in faces.items() if untranslated(FACE_WORDS[name], said)]
    assert not wrong, "\n".join(wrong)


def test_the_catalogs_are_complete_compiled_and_translated():
    """Every message of the source has its Spanish, the committed .mo is what its .po compiles to, and no
    Spanish is the English copied (`python -m tally.catalogs` makes them; tally/catalogs.py)."""
    assert catalogs.problems() == []
    copied = [m.id for m in catalogs.read("es") if m.id and isinstance(m.id, str) and untranslated(m.id, m.string)]
    assert not copied, copied


def test_the_english_is_the_source_as_it_was():
    """English needs no catalog: the model says what it said before item 5 (tests/test_present.py has more)."""
    count, _ = _made(*COUNTS["early"])
    snap = count.snapshot()
    with use("en"):
        model = present(snap, None)
    assert model.turnout == "1,000 of ≈1,633 eligible (61.2 %)"
    assert model.margin == "NO leads by 30 (11.1 % of valid votes)"


def test_spanish_reads_as_a_member_would_say_it():
    count, timeline = _made(*COUNTS["early"])
    snap = count.snapshot()
    with use("es"):
        model = present(snap, odds(snap), calls=timeline.ticker(True, count))
    assert model.headline == "TODAVÍA NO SE SABE"
    assert model.choices[0].name == "SÍ" and model.choices[1].name == "NO"
    assert model.margin == "NO va ganando por 30 (11,1 % de los votos válidos)"
    assert model.turnout == "1.000 de ≈1.633 con derecho a voto (61,2 %)"
    assert model.piles == "Nulas: 1 · Impugnadas: 3 (apartadas, sin abrir)"
    assert [c.label for c in model.chances][:2] == ["sin sindicato", "gana el sindicato"]
    assert model.calls[0].text == "RETIRADA #275: SÍ"


# -- numbers ----------------------------------------------------------------------------

@given(st.integers(min_value=-10**12, max_value=10**12))
def test_numbers_are_grouped_as_babel_groups_them(n):
    for code in ("en", "es"):
        with use(code):
            assert lang.number(n) == format_decimal(n, locale=code, group_separator=True)


@given(st.floats(min_value=0, max_value=10**6, allow_nan=False))
def test_decimals_are_pointed_as_babel_points_them(x):
    for code in ("en", "es"):
        with use(code):
            assert lang.decimal(x) == format_decimal(round(x, 1), format="#,##0.0", locale=code)


# -- which language -------------------------------------------------------------------------

@pytest.mark.parametrize("header_, want", [
    ("es-MX,es;q=0.9,en;q=0.8", "es"), ("en-US,en;q=0.9,es;q=0.8", "en"), ("fr-FR,es;q=0.5", "es"),
    ("fr, de", "en"), ("", "en"), (None, "en"), ("es;q=0, en", "en"), ("en;q=0.2, es;q=0.9", "es"),
    ("*", "en"), ("es;q=abc, en", "en"), ("ES", "es"),
])
def test_the_page_follows_accept_language(header_, want):
    assert from_accept_language(header_) == want


@given(st.text(max_size=300))
def test_any_accept_language_is_a_language(header_):
    assert from_accept_language(header_) in lang.LANGUAGES


@pytest.mark.parametrize("env, want", [
    ({"LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "C.UTF-8"}, "en"), ({}, "en"),
    ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, "en"), ({"LANGUAGE": "fr:es", "LANG": "en_US"}, "es"),
    ({"LC_ALL": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es"), ({"LC_MESSAGES": "es_AR"}, "es"),
])
def test_the_terminal_follows_the_environment(env, want):
    assert from_environment(env) == want


@given(st.text(max_size=60))
def test_any_lang_value_is_a_language_or_one_refusal(tag):
    try:
        assert parse(tag) in lang.LANGUAGES
    except lang.UnknownLanguage as exc:
        assert "\n" not in str(exc).replace(repr(tag), "") and str(exc).endswith("tally speaks en, es")


def test_an_unknown_language_is_refused_by_name():
    assert parse("es_MX.UTF-8") == "es" and parse("EN") == "en"
    with pytest.raises(lang.UnknownLanguage, match="unknown language 'fr': tally speaks en, es"):
        parse("fr")


def test_words_kept_in_a_count_are_said_in_each_readers_language():
    """An outcome's reason is made once (when the count changes) and read by pages in two languages."""
    with use("en"):
        reason = Words("the {n} challenged ballots can change the result: outcome pending", n=1200)
    assert reason == "the 1200 challenged ballots can change the result: outcome pending"
    with use("es"):
        assert lang.text(reason) == "las 1200 papeletas impugnadas pueden cambiar el resultado: resultado pendiente"
        again = pickle.loads(pickle.dumps(reason))  # as the hub's needle workers get it
        assert again == lang.text(reason) and lang.text(again) == again


# -- the command line -------------------------------------------------------------------------

def tally(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def test_tally_report_lang_es():
    out = tally("report", "ldj5", "--lang", "es")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("RECUENTO DE PAPELETAS: Amazon LDJ5")
    assert " 1. Número aproximado de votantes con derecho a voto " in out.stdout
    assert out.stdout.rstrip().endswith("1.633") is False and "1.633" in out.stdout
    assert "Resultado: sin sindicato: no hay mayoría para Amazon Labor Union" in out.stdout


def test_the_report_follows_lang_and_lang_wins():
    assert tally("report", "ldj5", env={"LANG": "es_ES.UTF-8"}).stdout.startswith("RECUENTO DE PAPELETAS")
    assert tally("report", "ldj5", "--lang", "en", env={"LANG": "es_ES.UTF-8"}).stdout.startswith("TALLY OF")


@pytest.mark.parametrize("command", [("report", "ldj5"), ("replay", "ldj5"), ("watch", "ws://127.0.0.1:9")])
def test_an_unknown_lang_is_one_line_and_exit_2(command):
    out = tally(*command, "--lang", "klingon")
    assert out.returncode == 2
    assert out.stderr == "tally: --lang: unknown language 'klingon': tally speaks en, es\n"
    assert out.stdout == ""
