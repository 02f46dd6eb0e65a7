"""The fast path's core schema generated ahead of time (tally/fast_schema.py) is the one
pydantic builds from the models now, and a launch uses it without building any schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tally.fast_schema
import tally.schema
from tally.fast_schema import FAST_SCHEMA, MADE_FROM
from tally.schema import fast_schema, fast_schema_module, for_validation, made_from

ROOT = Path(__file__).resolve().parents[1]


def kinds(schema: object) -> set[str]:
    """Every core schema `type` in `schema`, however deep."""
    if isinstance(schema, dict):
        own = {schema["type"]} if isinstance(schema.get("type"), str) else set()
        return own | {k for v in schema.values() for k in kinds(v)}
    if isinstance(schema, (list, tuple)):
        return {k for v in schema for k in kinds(v)}
    return set()


def test_the_generated_schema_is_the_one_pydantic_builds_from_the_models():
    assert FAST_SCHEMA == for_validation(fast_schema()), (
        "the models changed: run python -c 'from tally.schema import write_fast_schema; "
        "write_fast_schema()'")


def test_the_generated_file_is_the_generators_own_text_from_this_schema():
    assert MADE_FROM == made_from(), "tally/schema.py changed: regenerate tally/fast_schema.py"
    assert (ROOT / "tally" / "fast_schema.py").read_text() == fast_schema_module()


def test_a_copy_made_from_another_schema_is_not_used(monkeypatch):
    built = []
    monkeypatch.setattr(tally.fast_schema, "MADE_FROM", "another tally/schema.py")
    monkeypatch.setattr(tally.schema, "fast_schema", lambda: built.append(1) or fast_schema())
    tally.schema._fast_validator.cache_clear()
    try:
        head = b'{"seq":1,"type":"election","id":"x","title":"X"}'
        assert tally.schema.validate_events_fast(b"[" + head + b"]")[0].title == "X"
        assert built == [1]
    finally:
        tally.schema._fast_validator.cache_clear()


def test_what_the_copy_leaves_out_is_not_read_by_validation():
    # `ref`s only matter to a `definition-ref`; `metadata` only to JSON Schema.
    assert not kinds(fast_schema()) & {"definitions", "definition-ref"}


def test_a_replay_checks_its_file_without_pydantic_building_a_schema():
    # Fails on main before this: the header check generated EVENTS's schema (~50 ms a launch), and
    # LDJ5's lines with a `{` in a note, read one by one, EVENT's (~35 ms).
    code = """if True:
        import sys
        from pydantic._internal import _generate_schema
        built = []
        real = _generate_schema.GenerateSchema.generate_schema
        def spy(self, obj):
            built.append(obj)
            return real(self, obj)
        _generate_schema.GenerateSchema.generate_schema = spy
        from feeds.bundled import resolve
        from feeds.files import header_problem
        from feeds.replay import fit_speed, gaps_of
        path = resolve("ldj5")
        assert header_problem(path) is None
        assert fit_speed(gaps_of(path)) > 1
        print(len(built))
    """
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0"

