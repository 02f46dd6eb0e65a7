"""Properties of the reducer that must hold for every count, not just the samples."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from counts import count_of, header
from tally import rules
from tally.reducer import Count
from tally.report import json_report
from tally.schema import parse_event

YN = ["yes", "no"]
MULTI = ["A", "B", "Neither"]


def items(choices):
    """One counting event: a ballot (maybe a pile) for a choice or void, or challenged."""
    ballot = st.builds(lambda c, n: {"type": "ballot", "choice": c, "count": n},
                       st.sampled_from([*choices, "void"]), st.integers(1, 4))
    challenged = st.builds(lambda n: {"type": "challenged", "count": n}, st.integers(1, 3))
    return st.one_of(ballot, ballot, ballot, challenged)


def counts(choices=YN):
    return st.tuples(st.lists(items(choices), max_size=40), st.booleans(), st.integers(0, 10))


def total(events):
    return sum(e["count"] for e in events)


def final_report(choices, events, known_total):
    extra = {"ballots": total(events)} if known_total else {}
    c = count_of(header(choices=choices, **extra), *events, {"type": "close"})
    report = json_report(c.snapshot())
    for key in ("decided_at", "last_seq"):
        report.pop(key)
    return report


@settings(max_examples=150)
@given(counts(), st.randoms(use_true_random=False), st.sampled_from([YN, MULTI]))
def test_the_order_of_ballots_never_changes_the_final_report(count, rnd, choices):
    events, known, _ = count
    events = [e if e.get("choice") in (*choices, "void", None) else {**e, "choice": choices[0]}
              for e in events]
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert final_report(choices, events, known) == final_report(choices, shuffled, known)


@settings(max_examples=150)
@given(counts(), st.sampled_from([YN, MULTI]))
def test_once_decided_more_ballots_never_undecide_it(count, choices):
    events, _, spare = count
    events = [e if e.get("choice") in (*choices, "void", None) else {**e, "choice": choices[-1]}
              for e in events]
    c = count_of(header(choices=choices, ballots=total(events) + spare))
    decided = None
    for e in events:
        c.apply(parse_event(json.dumps({"seq": c.last_seq + 1, **e})))
        out = c.snapshot().outcome
        if decided is not None:
            assert out.decided and (out.outcome, out.winner, out.runoff) == decided
        elif out.decided:
            decided = (out.outcome, out.winner, out.runoff)


@settings(max_examples=150)
@given(counts(MULTI), st.sampled_from([YN, MULTI]), st.data())
def test_reducer_matches_a_naive_recount_with_retractions(count, choices, data):
    events, known, spare = count
    events = [e if e.get("choice") in (*choices, "void", None) else {**e, "choice": choices[0]}
              for e in events]
    c = Count()
    c.apply(parse_event(json.dumps({"seq": 1, **header(
        choices=choices, **({"ballots": total(events) + spare} if known else {}))})))
    live: dict[int, dict] = {}
    for e in events:
        seq = c.last_seq + 1
        c.apply(parse_event(json.dumps({"seq": seq, **e})))
        live[seq] = e
        if live and data.draw(st.integers(0, 4)) == 0:
            target = data.draw(st.sampled_from(sorted(live)))
            c.apply(parse_event(json.dumps({"seq": c.last_seq + 1, "type": "retract", "target": target})))
            del live[target]
        votes = [sum(e["count"] for e in live.values() if e.get("choice") == ch) for ch in choices]
        chal = sum(e["count"] for e in live.values() if e["type"] == "challenged")
        void = sum(e["count"] for e in live.values() if e.get("choice") == "void")
        snap = c.snapshot()
        assert (list(snap.votes), snap.challenged, snap.void) == (votes, chal, void)
        # The reducer skips checks while nothing can be decided; it must never miss one.
        fresh = rules.is_decided(choices, votes, chal, snap.remaining)
        assert (snap.decided_at is not None) == fresh == snap.outcome.decided
