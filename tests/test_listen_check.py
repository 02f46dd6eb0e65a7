"""`tally listen` as a check counter (issue 20, item 4): the line says which count was typed and which heard.

A real hub on loopback holds a main count typed at the keyboard and, as check
"b", the journal `tally listen --headless` made of the same calls said aloud;
every face's line ("✓ the typed count and the heard count agree at ballot 5")
comes from the hub's comparison (`main_heard`, `check_heard`), in English and
in Spanish. The wording itself for every pairing is tested on the model.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from hubkit import FAST, TOKEN, http, next_row, running_hub
from listenkit import tally
from tally.lang import use
from tally.present import verification_line
from tally.reducer import Count
from tally.schema import parse_event
from tally.verify import CheckResult, EarMark
from test_board_hub import publish_events
from tui.net_cli import publish_file

TYPED = ["yes", "no", "void", "challenged", "yes"]
"""The calls of listenkit's "calls" clip, as a person typed them."""


def typed_count(header: dict, calls: list[str]) -> list:
    events = [header] + [{"seq": n, "type": "challenged"} if c == "challenged" else
                         {"seq": n, "type": "ballot", "choice": c} for n, c in enumerate(calls, 2)]
    return [parse_event(json.dumps(e)) for e in events]


async def row_saying(url: str, election_id: str, lang: str, words: str) -> dict:
    """The election's /board row once its line, in `lang`, says `words` (rows come as it changes)."""
    async with connect(f"{url}/board?id={election_id}&lang={lang}") as ws:
        while True:
            row = await next_row(ws)
            model = row.get("model", {}) if lang == "en" else row.get("models", {}).get(lang, {})
            if model.get("verification") == words:
                return row


async def test_a_heard_check_of_a_typed_count_is_worded_so_on_the_hub(clips, tmp_path):
    heard = tmp_path / "j.jsonl"
    code, out, err = tally("listen", heard, "--headless", "--audio", clips["calls"], "--ballots", 10)
    assert (code, err) == (0, ""), out
    check_events = [parse_event(line) for line in heard.read_text().splitlines()]
    header = json.loads(heard.read_text().splitlines()[0])
    async with running_hub(tmp_path / "hub") as (hub, url):
        await publish_events(url, header["id"], typed_count(header, TYPED))
        assert await publish_file(check_events, url, TOKEN, None, wait=FAST, check="b") == 0
        status, _, body = await http(url, "/elections")
        item = next(e for e in json.loads(body) if e["id"] == header["id"])
        assert item["checks"] == [{"counter": "b", "agree": True, "at": 5, "check_heard": True}]
        row = await row_saying(url, header["id"], "en", "✓ the typed count and the heard count agree at ballot 5")
        assert row["model"]["verification_role"] == "verified"
        await row_saying(url, header["id"], "es", "✓ el conteo tecleado y el conteo de oído coinciden en la papeleta 5")


def result(agree: bool, main_heard: bool, check_heard: bool) -> CheckResult:
    if agree:
        return CheckResult("b", True, 812, main_heard=main_heard, check_heard=check_heard)
    return CheckResult("b", False, 812, 413, (200, 213, 0, 0), (199, 214, 0, 0), main_heard, check_heard)


def snapshot():
    count = Count()
    for event in typed_count({"seq": 1, "type": "election", "id": "j", "title": "J"}, []):
        count.apply(event)
    return count.snapshot()


def test_the_line_says_which_count_was_typed_and_which_heard_in_each_pairing():
    snap = snapshot()
    assert verification_line(snap, [result(True, False, True)]) == (
        "✓ the typed count and the heard count agree at ballot 812")
    assert verification_line(snap, [result(True, True, False)]) == (
        "✓ the heard count and the typed count agree at ballot 812")
    assert verification_line(snap, [result(False, False, True)]) == (
        "✗ the typed count and the heard count differ since ballot 413 "
        "(main YES 200 NO 213 · check b YES 199 NO 214)")
    assert verification_line(snap, [result(False, True, False)]).startswith(
        "✗ the heard count and the typed count differ since ballot 413 (main")
    # Both typed, or both heard: two counters, as before; and with two checks, counters by number.
    assert verification_line(snap, [result(True, False, False)]) == "✓ 2 counters agree at ballot 812"
    assert verification_line(snap, [result(True, True, True)]) == "✓ 2 counters agree at ballot 812"
    two = [result(True, False, True), CheckResult("c", True, 812)]
    assert verification_line(snap, two) == "✓ 3 counters agree at ballot 812"
    with use("es"):
        assert verification_line(snap, [result(False, False, True)]).startswith(
            "✗ el conteo tecleado y el conteo de oído no coinciden desde la papeleta 413")


def test_a_count_is_heard_once_any_entry_carries_heard_and_a_note_saying_it_is_not():
    ears = EarMark()
    lines = ['{"seq":1,"type":"election","id":"j","title":"J"}',
             '{"seq":2,"type":"note","text":"\\"heard\\": 0.9"}',
             '{"seq":3,"type":"ballot","choice":"yes","count":1}']
    assert ears.follow(lines) is False, "a note's words are not the event's field"
    lines.append('{"seq":4,"type":"ballot","choice":"no","count":1,"heard":0.42}')
    assert ears.follow(lines) is True
    lines.append('{"seq":5,"type":"ballot","choice":"no","count":1}')
    assert ears.follow(lines) is True, "typed over a heard count: still the heard count"


def test_a_check_item_says_heard_only_when_so_and_reads_back():
    heard = CheckResult("b", True, 5, check_heard=True)
    assert heard.as_json() == {"counter": "b", "agree": True, "at": 5, "check_heard": True}
    assert CheckResult.from_json(heard.as_json()) == heard
    assert "check_heard" not in CheckResult("b", True, 5).as_json()


JUNK = st.none() | st.integers() | st.text(max_size=4) | st.lists(st.booleans(), max_size=2)


@settings(max_examples=60)
@given(agree=st.booleans(), main_heard=st.booleans() | JUNK, check_heard=st.booleans() | JUNK)
def test_a_checks_item_with_any_heard_marks_is_read_right_or_left_out(agree, main_heard, check_heard):
    """What a hub sends as `main_heard` / `check_heard` is true, false or the item is not shown."""
    from feeds.live import readable_check

    item = {"counter": "b", "agree": agree, "at": 9, "main_heard": main_heard, "check_heard": check_heard}
    if not agree:
        item["since"] = 4
    read = readable_check(item)
    if type(main_heard) is not bool or type(check_heard) is not bool:
        assert read is None
        return
    assert (read.main_heard, read.check_heard) == (main_heard, check_heard)
    assert readable_check(read.as_json(totals=True)) == read
    line = verification_line(snapshot(), [read])
    assert "\n" not in line and (("typed count" in line) == (main_heard != check_heard))
