"""tally's message catalogs, made with Babel: extract, update, compile, and check, in one place.

    python -m tally.catalogs          extract the messages, update every .po, compile every .mo
    python -m tally.catalogs --check  say what is stale or untranslated; exit 1 if anything is

The messages are the English of `tally.lang.t`, `tn` (plurals), `N_` (marked
where defined) and `Words` in the files of SOURCES. A translator edits
tally/locale/LANG/LC_MESSAGES/tally.po and runs the first command; the .mo files
are committed (a fresh `pip install -e .` has them), and tests/test_lang.py runs
`problems` so that a stale .mo or a message without its translation fails CI.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from tally.lang import DOMAIN, ENGLISH, LANGUAGES, LOCALE

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("tally/*.py", "feeds/hub/board.py", "feeds/replay.py", "tui/app.py", "tui/board_app.py")
"""Where the words a watcher reads are written (tally/ is the presentation model; the hub names
why a needle is missing, a replay what its feed is doing; the dashboard and board name their keys)."""
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None, "Words": None}
TEMPLATE = LOCALE / f"{DOMAIN}.pot"


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract() -> Catalog:
    """Every message of SOURCES, as Babel's Python extractor finds them (no line numbers: merges stay easy)."""
    template = Catalog(project="tally", domain=DOMAIN)
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            name = str(path.relative_to(ROOT))
            for _, message, comments, context in extract_from_file("python", path, keywords=KEYWORDS):
                template.add(message, locations=[(name, None)], auto_comments=comments, context=context)
    return template


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, omit_header=False, ignore_obsolete=True)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def update() -> None:
    """Write the template, bring each language's .po up to it (Babel's update), compile each .mo."""
    template = extract()
    TEMPLATE.write_bytes(_po_bytes(template))
    for lang in LANGUAGES:
        if lang == ENGLISH:
            continue
        path = po_path(lang)
        if path.exists():
            catalog = read(lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="tally")
            catalog.update(template, no_fuzzy_matching=True)
        path.write_bytes(_po_bytes(catalog))
        mo_path(lang).write_bytes(_mo_bytes(read(lang)))


def problems() -> list[str]:
    """What is wrong with the catalogs, one line each: a message without its translation, a fuzzy or
    obsolete one, a .mo that is not what its .po compiles to."""
    template = extract()
    said: list[str] = []
    for lang in LANGUAGES:
        if lang == ENGLISH:
            continue
        catalog = read(lang)
        for message in template:
            if not message.id:
                continue
            ours = catalog.get(message.id)
            if ours is None or not ours.string or (isinstance(ours.string, tuple) and not all(ours.string)):
                said.append(f"{lang}: no translation of {message.id!r}")
            elif ours.fuzzy:
                said.append(f"{lang}: fuzzy translation of {message.id!r}")
        for message in catalog:
            if message.id and message.id not in template:
                said.append(f"{lang}: {message.id!r} is no longer in the source (run python -m tally.catalogs)")
        with mo_path(lang).open("rb") as f:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
        wanted = {_key(m.id): _key(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
        if compiled != wanted:
            said.append(f"{lang}: {mo_path(lang).relative_to(ROOT)} is stale (run python -m tally.catalogs)")
    return said


def _key(value: object) -> object:
    """A plural message's forms as a tuple (read_mo gives lists), so messages compare and hash."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        said = problems()
        print("\n".join(said) or "catalogs: up to date")
        return 1 if said else 0
    update()
    said = problems()
    print("\n".join(said) or "catalogs: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
