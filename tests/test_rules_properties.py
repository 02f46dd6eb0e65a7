"""The reducer's fast path on every ballot kind: it must never miss a decision.

`Count` skips the outcome checks while `rules.ballots_before_decided` says no
decision is possible yet; these properties replay random counts of each kind
(runoff ballots, 102.70(d) ties, deauthorization polls, with and without the
eligible voters) with retractions, and compare every step with a fresh look.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from counts import header
from tally import rules
from tally.reducer import Count
from tally.schema import parse_event

BALLOTS = [
    ({"choices": ["yes", "no"]}, "yes/no"),
    ({"choices": ["Teamsters Local 727", "UFCW Local 881"]}, "two unions"),
    ({"choices": ["UFCW Local 881", "Neither"]}, "union or neither"),
    ({"choices": ["A", "B", "Neither"]}, "three"),
    ({"choices": ["A", "B", "C", "Neither"]}, "four"),
    ({"choices": ["yes", "no"], "rule": "deauthorization"}, "deauthorization"),
]


@st.composite
def counts(draw):
    """A header of some kind, and counting events that fit in its total."""
    fields, _ = draw(st.sampled_from(BALLOTS))
    choices = fields["choices"]
    # Small counts and few choices make ties, reruns and the 102.70(d) exception common.
    events = draw(st.lists(st.one_of(
        st.builds(lambda c, n: {"type": "ballot", "choice": c, "count": n},
                  st.sampled_from([*choices, *choices, "void"]), st.integers(1, 3)),
        st.builds(lambda n: {"type": "challenged", "count": n}, st.integers(1, 2))), max_size=30))
    total = sum(e["count"] for e in events) + draw(st.integers(0, 6))
    # Near the total for the 102.70(d) exception; anywhere below it for a poll's yes majority.
    eligible = draw(st.one_of(st.none(), st.integers(max(1, total - 3), total + 3),
                              st.integers(1, total + 1)))
    if fields.get("rule") == "deauthorization" and eligible is None:
        eligible = max(1, total)
    extra = {"eligible": eligible} if eligible is not None else {}
    if draw(st.integers(0, 3)):  # mostly a known total; without it only a poll's yes can decide early
        extra["ballots"] = total
    return header(**fields, **extra), events


def apply(count: Count, event: dict) -> None:
    count.apply(parse_event(json.dumps({"seq": count.last_seq + 1, **event})))


@settings(max_examples=300, deadline=None)
@given(counts(), st.data())
def test_the_fast_path_never_misses_a_decision(count_events, data):
    head, events = count_events
    count = Count()
    live: list[int] = []  # seqs of counting events not retracted
    decided_at = None

    def step(event: dict) -> None:
        nonlocal decided_at
        apply(count, event)
        fresh = rules.is_decided(count.election.choices, count.votes, count.challenged, count.remaining,
                                 eligible=count.election.eligible, rule=count.election.rule)
        assert fresh == count.snapshot().outcome.decided == (count.decided_at is not None)
        if not fresh:
            decided_at = None
        elif decided_at is None:
            decided_at = count.handled  # the first ballot that did it
        assert count.decided_at == decided_at

    step(head)  # a poll can be lost before the first ballot: too few could ever vote yes
    for event in events:
        step(event)
        live.append(count.last_seq)
        if data.draw(st.integers(0, 5)) == 0:
            target = data.draw(st.sampled_from(live))
            live.remove(target)
            step({"type": "retract", "target": target})


@settings(max_examples=200, deadline=None)
@given(counts())
def test_once_decided_more_ballots_never_undecide_it(count_events):
    head, events = count_events
    count = Count()
    apply(count, head)
    decided = None
    for event in [*events, {"type": "close"}]:
        apply(count, event)
        out = count.snapshot().outcome
        if decided is not None:
            assert out.decided and (out.outcome, out.winner, out.runoff) == decided
        elif out.decided:
            decided = (out.outcome, out.winner, out.runoff)
    # Closed, a count is decided or its challenges are determinative.
    assert decided is not None or count.snapshot().outcome.outcome == "pending"
