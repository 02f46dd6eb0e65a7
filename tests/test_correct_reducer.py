"""Checkpoints, corrections in place and adjustments in the reducer (issue 18).

The properties are checked against the plainest recount there is: the live
entries as a dict of seq -> (call, ballots), the adjustments as offsets.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counts import count_of, header, numbered
from feeds.files import load_bytes
from tally.reducer import Count, RuleError
from tally.schema import EventError, parse_event

YN = ["yes", "no"]
MULTI = ["A", "B", "Neither"]
CALLS = {"ballot", "challenged"}


def apply(count: Count, **fields) -> None:
    count.apply(parse_event(json.dumps({"seq": count.last_seq + 1, **fields})))


def refused(count: Count, **fields) -> str:
    """The one-line refusal of an event; the count is left as it was (check says the same first)."""
    event = parse_event(json.dumps({"seq": count.last_seq + 1, **fields}))
    before = (count.totals(), count.last_seq, count.snapshot())
    with pytest.raises(RuleError) as checked:
        count.check(event)
    with pytest.raises(RuleError) as err:
        count.apply(event)
    assert str(err.value) == str(checked.value) and "\n" not in str(err.value)
    assert (count.totals(), count.last_seq, count.snapshot()) == before
    return str(err.value)


# -- examples ------------------------------------------------------------------

def small() -> Count:
    return count_of(header(ballots=20), {"type": "ballot", "choice": "yes", "count": 5},
                    {"type": "ballot", "choice": "no"}, {"type": "challenged"})


def test_a_correction_changes_the_call_in_place():
    c = small()
    apply(c, type="correct", target=3, choice="yes")
    assert c.totals() == (6, 0, 0, 1) and c.handled == 7
    assert c.call_at(3) == (0, 1) and c.call_at(5) is None
    apply(c, type="correct", target=3, choice="void")  # the latest correction wins
    assert c.totals() == (5, 0, 1, 1)
    apply(c, type="correct", target=4, choice="no")  # a challenged entry was a NO after all
    assert c.totals() == (5, 1, 1, 0) and c.handled == 7


def test_a_pile_is_corrected_whole():
    c = small()
    apply(c, type="correct", target=2, choice="no")
    assert c.totals() == (0, 6, 0, 1)


@pytest.mark.parametrize("fields, why", [
    ({"target": 9, "choice": "no"}, "correction of seq 9, which has not happened"),
    ({"target": 1, "choice": "no"}, "seq 1 is not a call"),
    ({"target": 3, "choice": "no"}, "seq 3 is already no: nothing to correct"),
    ({"target": 3, "choice": "maybe"}, "unknown choice 'maybe'"),
])
def test_a_correction_that_cannot_be_is_refused_in_one_line(fields, why):
    assert why in refused(small(), type="correct", **fields)


def test_a_retracted_call_cannot_be_corrected_nor_a_correction_corrected():
    c = small()
    apply(c, type="retract", target=3)
    assert "seq 3 was retracted" in refused(c, type="correct", target=3, choice="yes")
    apply(c, type="correct", target=2, choice="no")
    assert "seq 6 is not a call" in refused(c, type="correct", target=6, choice="yes")


def test_a_correction_can_be_taken_back_while_it_is_the_latest_entry():
    c = small()
    apply(c, type="correct", target=2, choice="no")
    assert c.retractable(5)
    apply(c, type="retract", target=5)
    assert c.totals() == (5, 1, 0, 1)
    apply(c, type="correct", target=2, choice="no")
    apply(c, type="ballot", choice="yes")
    assert not c.retractable(7)
    assert "only be retracted while it is the latest entry" in refused(c, type="retract", target=7)


def test_a_checkpoint_that_agrees_and_one_that_does_not():
    c = small()
    apply(c, type="checkpoint", votes={"yes": 5, "no": 1}, challenged=1, text="five, one")
    apply(c, type="checkpoint", votes={"yes": 4, "no": 2})
    agree, differ = c.snapshot().checkpoints
    assert (agree.agrees, agree.ballot, agree.text) == (True, 7, "five, one")
    assert (differ.agrees, differ.differs, differ.board[:2], differ.counted[:2]) == (
        False, (0, 1), (4, 2), (5, 1))


def test_a_checkpoint_is_resolved_by_correcting_the_call_before_it():
    c = count_of(header(ballots=20), *[{"type": "ballot", "choice": "yes"}] * 3,
                 {"type": "checkpoint", "votes": {"yes": 2, "no": 1}})
    apply(c, type="ballot", choice="no")
    assert not c.snapshot().checkpoints[0].agrees
    apply(c, type="correct", target=3, choice="no")
    [cp] = c.snapshot().checkpoints
    assert cp.agrees and cp.counted == (2, 1, 0, 0) and c.totals() == (2, 2, 0, 0)
    assert "agrees with the count" in refused(c, type="adjust", checkpoint=5)


def test_an_adjustment_accepts_the_boards_figures_and_the_report_says_how():
    c = count_of(header(ballots=20), *[{"type": "ballot", "choice": "yes"}] * 3,
                 {"type": "checkpoint", "votes": {"yes": 2, "no": 1}, "void": 0})
    apply(c, type="ballot", choice="no")
    apply(c, type="adjust", checkpoint=5)
    assert c.totals() == (2, 2, 0, 0)  # the Board's 2-1, plus the NO typed since
    snap = c.snapshot()
    assert snap.checkpoints[0].adjusted_by == 7 and snap.checkpoints[0].resolved
    assert [(a.seq, a.checkpoint, a.change) for a in snap.adjustments] == [(7, 5, (-1, 1, 0, 0))]
    assert "already accepted (seq 7)" in refused(c, type="adjust", checkpoint=5)
    apply(c, type="retract", target=7)
    assert c.totals() == (3, 1, 0, 0) and c.snapshot().checkpoints[0].adjusted_by is None


@pytest.mark.parametrize("checkpoint, why", [
    ({"votes": {"yes": 1, "maybe": 1}}, "'maybe' is not a choice on the ballot"),
    ({"votes": {"yes": 1, "no": 1, "void": 1}}, "'void' is not a choice on the ballot"),
    ({"votes": {"yes": 1}}, "no votes for 'no'"),
    ({"votes": {"yes": 15, "no": 5}, "void": 1}, "21 ballots is more than the 20 cast"),
])
def test_an_impossible_checkpoint_is_refused(checkpoint, why):
    assert why in refused(small(), type="checkpoint", **checkpoint)


def test_a_negative_checkpoint_is_refused_by_the_format():
    with pytest.raises(EventError, match="at least 0"):
        parse_event(json.dumps({"seq": 5, "type": "checkpoint", "votes": {"yes": -1, "no": 1}}))


def test_the_official_tally_may_come_after_close_and_be_accepted():
    c = small()
    apply(c, type="close")
    apply(c, type="checkpoint", votes={"yes": 4, "no": 2}, challenged=1, text="Official tally")
    apply(c, type="adjust", checkpoint=6)
    assert c.totals() == (4, 2, 0, 1) and c.snapshot().closed


def test_an_impossible_checkpoint_in_a_file_is_file_line():
    lines = [json.dumps(e) for e in numbered(
        header(ballots=3), {"type": "ballot", "choice": "yes"},
        {"type": "checkpoint", "votes": {"yes": 1, "no": 0, "maybe": 1}})]
    loaded = load_bytes("x.jsonl", "\n".join(lines).encode() + b"\n")
    assert loaded.problem_lines() == [
        "x.jsonl:3: checkpoint: 'maybe' is not a choice on the ballot "
        "(it offers yes, no; void ballots are \"void\" beside \"votes\")"]


def test_a_correction_among_plain_ballots_is_not_read_as_a_ballot():
    """The file reader's bulk loop takes a run of dicts with a "choice" as ballots: a correction has one."""
    events = numbered(header(), *[{"type": "ballot", "choice": "yes"}] * 5,
                      {"type": "correct", "target": 2, "choice": "no"},
                      *[{"type": "ballot", "choice": "yes"}] * 5)
    data = "".join(json.dumps(e) + "\n" for e in events).encode()
    loaded = load_bytes("x.jsonl", data)
    assert loaded.ok and loaded.count.totals() == (9, 1, 0, 0) == count_of(*events).totals()


# -- properties --------------------------------------------------------------

def steps(choices):
    call = st.sampled_from([*choices, "void", "challenged"])
    return st.lists(st.one_of(
        st.tuples(st.just("call"), call, st.integers(1, 4)),
        st.tuples(st.just("call"), call, st.just(1)),
        st.tuples(st.just("retract"), st.integers(0, 60), st.just(0)),
        st.tuples(st.just("correct"), st.integers(0, 60), call),
        st.tuples(st.just("checkpoint"), st.integers(-2, 2), st.booleans()),
        st.tuples(st.just("adjust"), st.integers(0, 10), st.just(0)),
        st.tuples(st.just("undo"), st.just(0), st.just(0)),
    ), max_size=60)


def slot_of(choices, call):
    return choices.index(call) if call in choices else len(choices) + (call == "challenged")


class Naive:
    """The count by brute force: live calls by seq, checkpoints' figures, adjustments' offsets."""

    def __init__(self, choices):
        self.choices, self.k = choices, len(choices) + 2
        self.calls: dict[int, list] = {}  # seq -> [slot, ballots]
        self.offsets: dict[int, tuple] = {}  # an adjustment's seq -> its change

    def totals(self, before: int | None = None):
        out = [0] * self.k
        for seq, (slot, n) in self.calls.items():
            if before is None or seq < before:
                out[slot] += n
        for seq, change in self.offsets.items():
            if before is None or seq < before:
                out = [a + b for a, b in zip(out, change)]
        return tuple(out)

    def positions(self):
        """Each live call's first ballot number: what a correction must never move."""
        at, out = 1, {}
        for seq in sorted(self.calls):
            out[seq] = at
            at += self.calls[seq][1]
        return out


def event_for(c: Count, naive: Naive, step, data) -> dict:
    kind, a, b = step
    if kind == "call":
        return ({"type": "challenged", "count": b} if a == "challenged"
                else {"type": "ballot", "choice": a, "count": b})
    if kind in ("retract", "correct"):
        target = a % c.last_seq + 1
        return ({"type": "retract", "target": target} if kind == "retract"
                else {"type": "correct", "target": target, "choice": b})
    if kind == "undo":
        return {"type": "retract", "target": c.last_seq}
    if kind == "adjust":
        marks = [m.seq for m in c.snapshot().checkpoints] or [1]
        return {"type": "adjust", "checkpoint": marks[a % len(marks)]}
    figures = [max(t + a, 0) for t in c.totals()]  # near the count's own, off by a few
    return {"type": "checkpoint", "votes": dict(zip(naive.choices, figures)),
            **({"void": figures[-2], "challenged": figures[-1]} if b else {})}


def naive_apply(naive: Naive, c: Count, event: dict, seq: int, corrections: list) -> None:
    kind = event["type"]
    if kind == "ballot":
        naive.calls[seq] = [slot_of(naive.choices, event["choice"]), event["count"]]
    elif kind == "challenged":
        naive.calls[seq] = [slot_of(naive.choices, "challenged"), event["count"]]
    elif kind == "correct":
        naive.calls[event["target"]][0] = slot_of(naive.choices, event["choice"])
    elif kind == "adjust":
        naive.offsets[seq] = c.snapshot().adjustments[-1].change
    elif kind == "retract":
        target = event["target"]
        if target in naive.calls:
            del naive.calls[target]
        elif target in naive.offsets:
            del naive.offsets[target]
        else:  # a correction taken back gives back the call it replaced (a checkpoint: nothing)
            for s, entry, old, _ in reversed(corrections):
                if s == target:
                    naive.calls[entry][0] = old
                    break


@settings(max_examples=200)
@given(st.sampled_from([YN, MULTI]), st.data())
def test_the_reducer_matches_a_recount_of_the_effective_calls(choices, data):
    naive = Naive(choices)
    c = count_of(header(choices=choices, ballots=data.draw(st.sampled_from([None, 40, 200]))))
    for step in data.draw(steps(choices)):
        event = event_for(c, naive, step, data)
        seq = c.last_seq + 1
        parsed = parse_event(json.dumps({"seq": seq, **event}))
        handled, positions = c.handled, naive.positions()
        totals, corrections = c.totals(), list(c.corrections)
        try:
            c.check(parsed)
        except RuleError:
            with pytest.raises(RuleError):
                c.apply(parsed)
            assert c.totals() == totals and c.last_seq == seq - 1
            continue
        c.apply(parsed)
        naive_apply(naive, c, event, seq, corrections)
        assert c.totals() == naive.totals()
        assert min(c.totals()) >= 0
        if event["type"] == "correct":  # in place: the same ballot numbers, the same ballots handled
            assert c.handled == handled and naive.positions() == positions
        for cp in c.snapshot().checkpoints:
            assert cp.counted == naive.totals(before=cp.seq)
            assert cp.ballot == sum(cp.counted)


@settings(max_examples=100)
@given(st.sampled_from([YN, MULTI]), st.data())
def test_a_file_of_such_events_reads_as_applying_them_one_by_one(choices, data):
    naive = Naive(choices)
    c = count_of(header(choices=choices))
    events = [{"seq": 1, **header(choices=choices)}]
    for step in data.draw(steps(choices)):
        event = {"seq": c.last_seq + 1, **event_for(c, naive, step, data)}
        try:
            c.apply(parse_event(json.dumps(event)))
        except RuleError:
            continue
        events.append(event)
    loaded = load_bytes("x.jsonl", "".join(json.dumps(e) + "\n" for e in events).encode())
    assert loaded.ok, loaded.problem_lines()
    assert loaded.count.totals() == c.totals()
    assert loaded.count.snapshot() == c.snapshot()
    assert [loaded.count.call_at(s) for s in range(c.last_seq + 2)] == [
        c.call_at(s) for s in range(c.last_seq + 2)]


@pytest.mark.parametrize("line", [
    '{"seq":5,"type":"checkpoint","votes":{"yes":1,"yes":2,"no":0}}',
    '{"seq":5,"type":"checkpoint","votes":{"yes":1,"no":0},"void":1,"void":2}',
])
def test_a_key_repeated_in_a_checkpoint_is_refused_on_every_path(line):
    with pytest.raises(EventError, match="duplicate key"):
        parse_event(line)
    data = "\n".join([json.dumps({"seq": 1, **header()}),
                      *(json.dumps({"seq": s, "type": "ballot", "choice": "yes"}) for s in (2, 3, 4)),
                      line]).encode() + b"\n"
    loaded = load_bytes("x.jsonl", data)
    assert [p.line for p in loaded.problems] == [5] and "duplicate key" in loaded.problems[0].why


def test_checkpoints_in_a_file_with_commas_in_names_read_as_one_by_one():
    events = numbered(header(choices=["Local 1, East", "Neither"]),
                      {"type": "ballot", "choice": "Local 1, East"},
                      {"type": "checkpoint", "votes": {"Local 1, East": 1, "Neither": 0}, "text": "a, b"})
    loaded = load_bytes("x.jsonl", "".join(json.dumps(e) + "\n" for e in events).encode())
    assert loaded.ok and loaded.count.snapshot().checkpoints[0].agrees
