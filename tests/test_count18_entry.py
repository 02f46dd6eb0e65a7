"""The correction entry (`413=n`) and the timeline after corrections in place (issue 18).

Generated counts (calls, piles, undos, notes, the Board's figures accepted) and generated typed
corrections, valid and not: the ballot number names the call the ticker shows with it, a refusal
changes nothing, a corrected call keeps its ballot numbers, and the chart afterwards is the chart
of the count typed right from the start.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dash import replay_app, to_end
from tally.entry import Entry, choice_keys, correction_fields, undo_target
from tally.reducer import Count, RuleError
from tally.schema import as_event
from tally.timeline import NoSuchCall, Timeline

HEADER = {"seq": 1, "type": "election", "id": "t", "title": "T", "choices": ["yes", "no"]}
ALL_LINES = 100_000  # a ticker that keeps every line: the numbers a counter saw

calls = [st.tuples(st.just("ballot"), st.sampled_from(["yes", "no", "void"]), st.integers(1, 4)),
         st.tuples(st.just("challenged"), st.just(""), st.integers(1, 3)),
         st.tuples(st.just("undo"), st.just(""), st.just(0)),
         st.tuples(st.just("note"), st.just(""), st.just(0))]
ops = st.lists(st.one_of(*calls, st.tuples(st.just("board"), st.just(""), st.integers(-2, 2))), max_size=25)
# The chart of a count typed right has no Board's figures to accept: an adjustment is worked out
# against the count as typed, so the two counts would differ by it.
calls_only = st.lists(st.one_of(*calls), max_size=25)


class Counted:
    """A count and its timeline, told of every event as `tally count` tells them."""

    def __init__(self) -> None:
        self.count, self.timeline, self.events = Count(), Timeline(lines=ALL_LINES), []
        self.add(HEADER)

    def add(self, fields: dict) -> None:
        event = as_event({"seq": self.count.last_seq + 1, **fields})
        self.count.apply(event)
        self.timeline.record(event, self.count)
        self.events.append({"seq": event.seq, **fields})

    def run(self, steps) -> "Counted":
        for kind, choice, n in steps:
            if kind == "ballot":
                self.add({"type": "ballot", "choice": choice, "count": n})
            elif kind == "challenged":
                self.add({"type": "challenged", "count": n})
            elif kind == "undo" and undo_target(self.count) is not None:
                self.add({"type": "retract", "target": undo_target(self.count)})
            elif kind == "note":
                self.add({"type": "note", "text": "n"})
            elif kind == "board":  # the Board had `n` YES more (or fewer): its figures accepted
                yes, no = self.count.votes
                self.add({"type": "checkpoint", "votes": {"yes": max(0, yes + n), "no": no}})
                if n and yes + n >= 0:
                    self.add({"type": "adjust", "checkpoint": self.count.last_seq})
        return self


def typed(keys: str, entry: Entry) -> tuple[int, str] | str:
    """Type `keys` on the entry line: (ballot, choice) for a correction, or why nothing was entered."""
    for key in keys[:-1]:
        why = entry.type_equals() if key == "=" else entry.type_digit(key)
        if why:
            return why
    ballot, choice = entry.ballot, entry.choice_for(keys[-1])
    if entry.refused or ballot is None or choice is None:
        return "nothing"
    return ballot, choice


def shown_call(timeline: Timeline, count: Count, ballot: int) -> int | None:
    """The call standing that the ticker shows with `ballot` among its numbers (the latest such)."""
    lines = [line for line in timeline.ticker(True, count) if line.last is not None
             and line.first <= ballot <= line.last and count.call_at(line.seq) is not None]
    return lines[-1].seq if lines else None


def numbers(timeline: Timeline, count: Count) -> dict[int, tuple[int, int]]:
    return {line.seq: (line.first, line.last) for line in timeline.ticker(True, count) if line.last is not None}


def history(points) -> list[tuple]:
    return [(p.seq, p.handled, p.votes, p.void, p.challenged) for p in points]


@settings(max_examples=150, deadline=None)
@given(ops, st.integers(0, 40).map(str) | st.text("0123456789=", max_size=5),
       st.sampled_from("ynvcxz"))
def test_a_typed_correction_names_the_call_the_ticker_numbers_or_is_refused_changing_nothing(steps, number, key):
    counted = Counted().run(steps)
    count, timeline = counted.count, counted.timeline
    entry = Entry(choice_keys(count.election))
    what = typed(number + ("=" if "=" not in number else "") + key, entry)
    if isinstance(what, str):  # a refused digit or `=`, or a key that is no choice: nothing
        return
    ballot, choice = what
    before, shown = count.last_seq, numbers(timeline, count)
    expected = shown_call(timeline, count, ballot)
    try:
        fields = correction_fields(count, ballot, choice)
    except NoSuchCall as exc:
        assert count.last_seq == before and str(exc)
        slot = {"yes": 0, "no": 1, "void": 2, "challenged": 3}[choice]
        assert expected is None or count.call_at(expected)[0] == slot  # none, or already that choice
        return
    assert fields["target"] == expected
    try:
        count.check(as_event({"seq": count.last_seq + 1, **fields}))
    except RuleError:  # the reducer's own refusal (below zero after an adjustment): said, not journaled
        return
    counted.add(fields)
    after = numbers(counted.timeline, count)
    assert {s: after[s] for s in shown} == shown  # every call keeps its ballot numbers
    assert counted.timeline.ticker(True, count)[-1].text.startswith("CORRECTED #")


@settings(max_examples=120, deadline=None)
@given(calls_only, st.data())
def test_the_chart_after_corrections_is_the_chart_of_the_count_typed_right(steps, data):
    counted = Counted().run(steps)
    count = counted.count
    calls = [s for s in range(2, count.last_seq + 1) if count.call_at(s) is not None]
    if not calls:
        return
    corrections = data.draw(st.lists(st.tuples(st.sampled_from(calls), st.sampled_from(["yes", "no", "void",
                                                                                            "challenged"])),
                                      max_size=4))
    right = [dict(e) for e in counted.events]
    for target, choice in corrections:
        try:
            counted.add({"type": "correct", "target": target, "choice": choice})
        except RuleError:  # already that choice, or below zero after an adjustment: refused
            continue
        called = right[target - 1]
        right[target - 1] = ({"seq": target, "type": "challenged", "count": called["count"]} if choice == "challenged"
                             else {"seq": target, "type": "ballot", "choice": choice, "count": called["count"]})
        right.append({"seq": count.last_seq, "type": "note", "text": "n"})
    typed_right = Count()
    timeline = Timeline(lines=ALL_LINES)
    for fields in right:
        event = as_event(fields)
        typed_right.apply(event)
        timeline.record(event, typed_right)
    assert typed_right.totals() == count.totals()
    assert history(counted.timeline.points) == history(timeline.points)
    assert history(counted.timeline.samples) == history(timeline.samples)
    assert history(counted.timeline.chart(count)) == history(timeline.chart(typed_right))


async def replayed(path):
    app = replay_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_end(pilot)
        return app.framed(app._view)


async def test_a_replay_of_a_journal_with_corrections_shows_them(tmp_path):
    events = [HEADER, *({"seq": s, "type": "ballot", "choice": "yes"} for s in range(2, 12)),
              {"seq": 12, "type": "checkpoint", "votes": {"yes": 8, "no": 2}},
              {"seq": 13, "type": "correct", "target": 5, "choice": "no"},
              {"seq": 14, "type": "correct", "target": 9, "choice": "no"},
              {"seq": 15, "type": "ballot", "choice": "no"}]
    right = [*events[:4], {**events[4], "choice": "no"}, *events[5:8], {**events[8], "choice": "no"},
             *events[9:12], {"seq": 13, "type": "note", "text": "n"}, {"seq": 14, "type": "note", "text": "n"},
             events[14]]
    for name, written in (("c", events), ("right", right)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in written))
    view = await replayed(tmp_path / "c.jsonl")
    ticker = [c.text for c in view.presentation.calls]
    assert ticker[:3] == ["NO", "CORRECTED #8: NO (was YES)", "CORRECTED #4: NO (was YES)"]
    assert "matches the Board's subtotal at ballot 10" in view.presentation.verification
    assert view.points[-1].votes == (8, 3)
    # The chart never shows the miscalled run of ten YES: it is the count called right.
    assert history(view.points) == history((await replayed(tmp_path / "right.jsonl")).points)
    assert max(p.margin for p in view.points) == 6
