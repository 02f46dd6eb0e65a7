"""Sound-alikes (issue 20): words near the call words are never counted as a call.

"nah", "new" and "now" are near "no", "boy" and "toy" near "void", "I know"
holds the call's homophone. Said alone between true calls, each is held for
the person (a note in a headless run) or dropped, never journaled as a
ballot; the true calls around them are still counted. Not here because not
met (docs/PERFORMANCE.md): "yeah", "yep", "nope" and a US "now" are still
counted as the call for some voices, and "know" alone is "no" by sound.
"""

from __future__ import annotations

from listenkit import tally
from test_listen import calls, journal


def test_words_that_sound_like_calls_are_held_or_dropped_never_counted(clips, tmp_path):
    path = tmp_path / "j.jsonl"
    code, out, err = tally("listen", path, "--headless", "--audio", clips["alike"])
    assert (code, err) == (0, "")
    events = journal(path)
    assert calls(events) == [("ballot", "yes", True), ("ballot", "no", True), ("ballot", "void", True),
                             ("challenged", None, True), ("ballot", "yes", True)]
    notes = [e["text"] for e in events if e["type"] == "note"]
    assert all(n.startswith("unsure: heard ") for n in notes)
    assert {"nah", "toy", "boy"} <= {n.split("'")[1] for n in notes}, notes


def test_the_reject_path_has_the_sound_alikes_of_this_ballots_calls_only():
    from feeds.listen.grammar import ballot_grammar
    from tally.schema import parse_event

    yes_no = parse_event('{"seq":1,"type":"election","id":"e","title":"E"}')
    unions = parse_event('{"seq":1,"type":"election","id":"e","title":"E","choices":["Teamsters","Neither"]}')
    grammar = ballot_grammar(yes_no, {}, lambda word: True)
    assert grammar.sounds_like(("nah",)) == "no" and grammar.sounds_like(("boy",)) == "void"
    assert grammar.sounds_like(("okay",)) is None and grammar.call(("nah",)) is None
    assert "nah" in grammar.jsgf() and "nah" not in grammar.jsgf(reject=False)
    other = ballot_grammar(unions, {}, lambda word: True)
    assert other.sounds_like(("nah",)) is None and other.sounds_like(("toy",)) == "void"
