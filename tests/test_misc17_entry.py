"""Issue 17: a pile typed on the keyboard is entered exactly as typed, or not at all."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.entry import MAX_PILE, Entry


@settings(derandomize=True, max_examples=300)
@given(st.text(alphabet="0123456789", max_size=8))
def test_the_pile_entered_is_the_number_typed_or_nothing(typed):
    entry = Entry({"y": "yes"})
    for digit in typed:
        entry.type_digit(digit)
    fields = entry.fields_for("y")
    if not typed:
        assert fields["count"] == 1
    elif typed[0] != "0" and int(typed) <= MAX_PILE:
        assert fields["count"] == int(typed)
    else:  # 0…, or past the limit: the digits kept would not be the pile typed
        assert fields is None and entry.refused
    entry.clear()
    assert entry.fields_for("y")["count"] == 1
