"""The language a face speaks: English or Spanish words and numbers, from gettext catalogs.

Every word a watcher reads is decided in the presentation model (`tally.present`,
`tally.report`, `tally.summary`), so that is where it is translated: those
modules write their English with `t` (and `tn` for a plural), Babel extracts
them into tally/locale/tally.pot, a translator writes tally/locale/es/.../tally.po,
and Babel compiles that into the .mo file gettext reads. Faces never translate.

Which language is a *context*, not a parameter threaded through sixty functions:
`use("es")` sets it for a block (the hub makes a Spanish row inside one),
`set_default` for a whole process (a terminal's `--lang` or LANG). It is a
ContextVar, so two rows made on one event loop never see each other's language.

Text made once and read by many in different languages (a count's outcome
reason, the last calls: both kept in the count, made before anyone asks for a
language) is a `Words`: a str in the language it was made in, that `text`
says again in the language asked for.

Numbers: `number` and `decimal` group and point digits as the language does
(1,633 and 35.4 in English, 1.633 and 35,4 in Spanish), with the symbols of
Babel's CLDR data for the language, looked up once: Babel's own
`format_decimal` costs ~15 µs a number, and a model holds dozens
(tests/test_lang.py checks both agree).

The compiled catalogs are committed (tally/locale/*/LC_MESSAGES/tally.mo), so
`pip install -e .` needs no build step; tests/test_lang.py fails when a .mo is
not what compiling its .po gives (docs/DECISIONS.md, "English and Spanish").
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator, Mapping

LOCALE = Path(__file__).resolve().with_name("locale")
DOMAIN = "tally"
ENGLISH = "en"
LANGUAGES = ("en", "es")
"""The languages tally speaks; the first is its source language (the catalogs' msgids)."""
NAMES = {"en": "English", "es": "Español"}

_default = ENGLISH
_current: ContextVar[str | None] = ContextVar("tally_lang", default=None)


class UnknownLanguage(ValueError):
    """A language tally has no catalog for."""


def language_of(tag: str) -> str | None:
    """The language a tag names, if tally speaks it: 'es', 'es-MX', 'es_ES.UTF-8' → 'es'; else None.

    Only the primary subtag decides: tally has one Spanish, for every region.
    """
    primary = re.split(r"[-_.@]", tag.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def parse(tag: str) -> str:
    """A `--lang` value as a language, or UnknownLanguage with the languages there are."""
    lang = language_of(tag)
    if lang is None:
        raise UnknownLanguage(f"unknown language {tag!r}: tally speaks {', '.join(LANGUAGES)}")
    return lang


def from_environment(env: Mapping[str, str] | None = None) -> str:
    """The terminal's language, as gettext reads it: LANGUAGE (a list), then LC_ALL, LC_MESSAGES, LANG.

    The first variable set decides (LC_ALL=C is English even with LANG=es_ES);
    a language tally does not speak is English, never an error: a locale is
    the system's, not something the user typed to tally.
    """
    env = os.environ if env is None else env
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for tag in value.split(":"):
            if (lang := language_of(tag)) is not None:
                return lang
        return ENGLISH
    return ENGLISH


def from_accept_language(header: str | None) -> str:
    """The language a browser asks for (``Accept-Language: es-MX,es;q=0.9,en;q=0.8``) that tally speaks.

    Highest q first, the header's order among equals; q=0 means "not this";
    nothing tally speaks, or no header: English. A malformed part is skipped.
    """
    best: tuple[float, str] | None = None
    for part in (header or "")[:1000].split(","):
        tag, *params = part.split(";")
        q = _quality(params)
        lang = language_of(tag)
        if lang is None or q is None or q <= 0:
            continue
        if best is None or q > best[0]:
            best = (q, lang)
    return best[1] if best else ENGLISH


def _quality(params: list[str]) -> float | None:
    """An Accept-Language part's q (1 when not given), or None when it is not a number from 0 to 1."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            if not re.fullmatch(r"[01](\.[0-9]{0,3})?", value) or float(value) > 1:
                return None
            return float(value)
    return 1.0


def set_default(lang: str) -> None:
    """The language of this process, where no `use` says otherwise (a terminal's `--lang` or LANG)."""
    global _default
    _default = parse(lang)


def current() -> str:
    return _current.get() or _default


@contextmanager
def use(lang: str) -> Iterator[str]:
    """Speak `lang` inside the block (a Spanish row on the hub, a Spanish page)."""
    token = _current.set(spoken := parse(lang))
    try:
        yield spoken
    finally:
        _current.reset(token)


@functools.cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang`; English is the source, so it needs none."""
    if lang == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE, languages=[lang])


@functools.cache
def _messages(lang: str) -> dict[str, str]:
    """The compiled catalog's singular messages as a dict (read with Babel's `read_mo`): what
    `gettext` looks up, without its call per message (a Spanish model says ~100)."""
    from babel.messages.mofile import read_mo

    with (LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
        return {m.id: m.string for m in read_mo(f) if isinstance(m.id, str) and m.id and m.string}


# -- numbers -------------------------------------------------------------------------

@functools.cache
def symbols(lang: str) -> tuple[str, str]:
    """The language's group and decimal symbols, from Babel's CLDR data: (',', '.') or ('.', ',')."""
    if lang == ENGLISH:
        return ",", "."
    from babel.numbers import get_decimal_symbol, get_group_symbol
    return get_group_symbol(lang), get_decimal_symbol(lang)


@functools.cache
def _table(lang: str) -> dict[int, str]:
    group, point = symbols(lang)
    return str.maketrans({",": group, ".": point})


def _localized(digits: str, lang: str) -> str:
    """Python's '1,633.5' with the language's symbols."""
    return digits.translate(_table(lang))


def number(n: int) -> str:
    """1,633 (English), 1.633 (Spanish): the one place a whole number is grouped."""
    lang = _current.get() or _default
    return f"{n:,}" if lang == ENGLISH else _localized(f"{n:,}", lang)  # a model says dozens: no detour


def decimal(x: float, places: int = 1) -> str:
    """35.4 (English), 35,4 (Spanish); thousands grouped: 1,234.5 / 1.234,5."""
    lang = _current.get() or _default
    digits = f"{x:,.{places}f}"
    return digits if lang == ENGLISH else _localized(digits, lang)


class _Grouped(int):
    """An int that a template's ``{n:,}`` groups as the language does (``{n}`` stays plain)."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        digits = format(int(self), spec)
        return _localized(digits, current()) if "," in spec or "." in spec else digits


class _Point(float):
    """A float that a template's ``{x:.1f}`` writes with the language's decimal point."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return _localized(format(float(self), spec), current())


def _args(args: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in args.items():
        if isinstance(v, (bool, str)):
            pass
        elif isinstance(v, int):
            v = _Grouped(v)
        elif isinstance(v, float):
            v = _Point(v)
        out[k] = v
    return out


# -- words ---------------------------------------------------------------------------

def t(message: str, /, **args: Any) -> str:
    """`message` in the current language, its ``{name}`` fields filled from `args`.

    ``{n:,}`` groups a number and ``{x:.1f}`` points a decimal as the language
    does; a `Words` argument is said again in the language (`Words.__format__`).
    Without `args` the message is returned as translated, braces and all.
    """
    lang = _current.get() or _default
    if lang == ENGLISH:  # the source language: Python's own grouping and point, nothing to look up
        return message.format(**args) if args else message
    said = _messages(lang).get(message, message) if message else message  # gettext("") is a catalog's header
    return said.format(**_args(args)) if args else said


def tn(singular: str, plural: str, n: int, /, **args: Any) -> str:
    """`t` of the singular or plural form the language uses for `n` (``{n}`` is filled too)."""
    lang = current()
    if lang == ENGLISH:
        return (singular if n == 1 else plural).format(n=n, **args)
    return catalog(lang).ngettext(singular, plural, n).format(**_args({"n": n, **args}))


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated (`t`) where it is said."""
    return message


class Words(str):
    """Text kept in a count and said to many: a str in the language it was made in, with its message.

    `again` (or `text`) says it in the current language. Pickled as its message and
    arguments (the hub's needle workers get snapshots), so it is said again there too.
    """

    message: str
    args: tuple[tuple[str, Any], ...]
    made_in: str

    def __new__(cls, message: str, /, **args: Any) -> "Words":
        made = super().__new__(cls, t(message, **args))
        made.message = message
        made.args = tuple(args.items())
        made.made_in = current()
        return made

    def again(self) -> str:
        """These words in the current language (as made, when made in it: nothing to say again)."""
        if current() == self.made_in:
            return str.__str__(self)
        return t(self.message, **dict(self.args))

    def __format__(self, spec: str) -> str:
        # in a message or an f-string, words kept from another moment are said in this one's language
        return format(self.again(), spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return _words, (self.message, self.args)


def _words(message: str, args: tuple[tuple[str, Any], ...]) -> Words:
    return Words(message, **dict(args))


def joined(parts: list[Words], sep: str = " ") -> Words:
    """`Words` of `parts` joined by `sep`, each said again in the reader's language.

    Its message is only the parts' places ("{p0} {p1}"): no catalog has it, so
    gettext gives it back as it is, and each part is translated.
    """
    places = {f"p{i}": part for i, part in enumerate(parts)}
    return Words(sep.join(f"{{{name}}}" for name in places), **places)


def text(value: str) -> str:
    """`value` in the current language if it is `Words`, else as it is (a name, a note)."""
    if value.__class__ is Words and value.made_in != (_current.get() or _default):
        return value.again()
    return value  # (Words made in this language: as they are, a model holds dozens)
