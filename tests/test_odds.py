"""The needle (tally/odds.py) against brute force in exact fractions, and as the report shows it."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counts import count_of, header, pile
from tally import odds as O
from tally import rules
from tally.reducer import Snapshot
from tally.report import chance_line
from tally.schema import Election
from tui.cli import main

# -- brute force: every split of the unopened ballots, in exact fractions ------


def rising(x, n: int):
    """x (x+1) … (x+n−1), exact for ints and Fractions."""
    out = 1
    for i in range(n):
        out *= x + i
    return out


def dirmult(r: int, alpha: tuple, split: tuple) -> Fraction:
    """DirMult(r; alpha) probability of one split, exactly."""
    num, den = math.factorial(r), rising(sum(alpha), r)
    for a, k in zip(alpha, split):
        num *= rising(a, k)
        den *= math.factorial(k)
    return Fraction(num) / Fraction(den)


def splits(r: int, parts: int):
    """Every way r ballots fall into `parts` piles (the last one void)."""
    if parts == 1:
        yield (r,)
        return
    for k in range(r + 1):
        for rest in splits(r - k, parts - 1):
            yield (k, *rest)


def brute(votes: tuple, void: int, remaining: int, classify, prior=None) -> dict[str, Fraction]:
    """P(each outcome) by enumerating every split, each final state classified by `classify`."""
    prior = prior or (1,) * (len(votes) + 1)
    alpha = tuple(w + n for w, n in zip(prior, (*votes, void)))
    out: Counter = Counter()
    for split in splits(remaining, len(votes) + 1):
        final = tuple(v + k for v, k in zip(votes, split))
        out[classify(final)] += dirmult(remaining, alpha, split)
    return out


def yes_no_by_decide(challenged: int):
    """The final state of a yes/no count as `rules.decide` calls it: yes, no or pending."""
    return lambda final: O._yes_no_key(rules.decide(("yes", "no"), final, challenged, 0))


def brute_yes_no(y, m, v, c, r, prior=None) -> tuple:
    got = brute((y, m), v, r, yes_no_by_decide(c), prior)
    return tuple(got[key] for key in O.YES_NO_KEYS)


def snapshot(votes=(0, 0), void=0, challenged=0, ballots=None, choices=None, closed=False, **more) -> Snapshot:
    """A real reducer snapshot of a count with these totals."""
    fields = {"ballots": ballots, **more}
    if choices is not None:
        fields["choices"] = list(choices)
    names = choices or ("yes", "no")
    events = [header(**{k: v for k, v in fields.items() if v is not None})]
    events += [pile(c, n) for c, n in zip(names, votes) if n]
    events += [pile("void", void)] if void else []
    events += [{"type": "challenged", "count": challenged}] if challenged else []
    events += [{"type": "close"}] if closed else []
    return count_of(*events).snapshot()


# -- the two required checks ---------------------------------------------------------


def test_required_small_state_is_exact():
    win, lose, pending = O.yes_no_chances(5, 3, 0, 2, 4)
    assert brute_yes_no(5, 3, 0, 2, 4) == (Fraction(47, 91), Fraction(5, 143), Fraction(449, 1001))
    assert abs(win - 47 / 91) < 1e-12 and abs(lose - 5 / 143) < 1e-12
    assert abs(pending - 449 / 1001) < 1e-12


def test_required_sixty_unopened():
    assert abs(O.union_chance(24, 16, 0, 0, 60) - 0.9426471034) < 5e-11
    assert float(brute_yes_no(24, 16, 0, 0, 60)[0]) == pytest.approx(0.9426471034, abs=5e-11)


# -- the exact path against brute force -------------------------------------------


def test_exact_agrees_with_brute_force_and_decide_on_every_small_state():
    """2,100 states: the closed form classifies as `rules.decide` does, to 1e-12."""
    worst = 0.0
    for y, m, v, c, r in product(range(5), range(5), range(3), range(4), range(7)):
        exact = brute_yes_no(y, m, v, c, r)
        fast = O.yes_no_chances(y, m, v, c, r)
        worst = max(worst, *(abs(float(e) - f) for e, f in zip(exact, fast)))
    assert worst < 1e-12


@pytest.mark.parametrize("prior", [(2, 1, 3), (Fraction(1, 2), Fraction(1, 2), Fraction(1, 4)), (7, 2, 1)])
@pytest.mark.parametrize("state", [(3, 5, 1, 2, 9), (0, 0, 0, 0, 8), (10, 2, 0, 4, 12), (1, 6, 2, 0, 10)])
def test_exact_with_other_priors(prior, state):
    exact = brute_yes_no(*state, prior=prior)
    fast = O.yes_no_chances(*state, tuple(float(w) for w in prior))
    assert all(abs(float(e) - f) < 1e-12 for e, f in zip(exact, fast))


def test_larger_state_against_a_float_double_sum():
    """R = 300: every (k, j) split by its lgamma probability, O(R²), against the O(R) walk."""
    y, m, v, c, r = 140, 131, 4, 6, 300
    a, b, cv = 1 + y, 1 + m, 1 + v
    lg = math.lgamma
    const = lg(r + 1) + lg(a + b + cv) - lg(a + b + cv + r) - lg(a) - lg(b) - lg(cv)
    win = lose = 0.0
    for k in range(r + 1):
        for j in range(r + 1 - k):
            p = math.exp(const + lg(a + k) + lg(b + j) + lg(cv + r - k - j)
                         - lg(k + 1) - lg(j + 1) - lg(r - k - j + 1))
            win += p if y + k > m + j + c else 0.0
            lose += p if m + j >= y + k + c else 0.0
    got = O.yes_no_chances(y, m, v, c, r)
    assert got[0] == pytest.approx(win, abs=1e-9) and got[1] == pytest.approx(lose, abs=1e-9)


@pytest.mark.parametrize("state", [(3000, 2900, 10, 50, 10_000), (4000, 3990, 30, 12, 10_000)])
def test_ten_thousand_unopened_against_fresh_tails(state):
    """At R = 10,000: Σ_s P(S=s)·P(K_s > threshold), each tail summed afresh where P(S=s) matters."""
    y, m, v, c, r = state
    a, b = 1.0 + y, 1.0 + m
    weights = O.beta_binomial_pmf(r, a + b, 1.0 + v)

    def above(t):
        total = 0.0
        for s, w in enumerate(weights):
            if w > 1e-16:
                total += w * math.fsum(O.beta_binomial_pmf(s, a, b)[max(0, (t + s) // 2 + 1):])
        return total

    got = O.yes_no_chances(*state)
    assert got[0] == pytest.approx(above(m - y + c), abs=1e-9)
    assert got[1] == pytest.approx(1 - above(m - y - c), abs=1e-9)


@pytest.mark.parametrize("n,alpha,beta", [(0, 1, 1), (1, 2, 1), (7, 0.5, 0.5), (9, 3, 0.25), (12, 0.3, 6)])
def test_beta_binomial_pmf_exact(n, alpha, beta):
    a, b = Fraction(alpha), Fraction(beta)
    exact = [float(dirmult(n, (a, b), (k, n - k))) for k in range(n + 1)]
    assert O.beta_binomial_pmf(n, alpha, beta) == pytest.approx(exact, abs=1e-14)


@pytest.mark.parametrize("alpha,beta", [(203, 6), (1, 2), (0.3, 0.5), (0.3, 7000), (5000, 0.2), (2, 3), (6001, 5001)])
def test_beta_binomial_pmf_at_ten_thousand(alpha, beta):
    n = 10_000
    fast = O.beta_binomial_pmf(n, alpha, beta)
    direct = [math.exp(O.log_beta_binomial(n, k, alpha, beta)) for k in range(n + 1)]
    assert max(abs(f - d) for f, d in zip(fast, direct)) < 1e-10
    assert math.fsum(fast) == pytest.approx(1.0, abs=1e-12)


def test_ranges_are_exact_percentiles():
    """The 10th–90th percentiles of each side's final votes, from the exact marginal."""
    y, m, v, r = 6, 4, 1, 9
    snap = snapshot((y, m), v, ballots=y + m + v + r)
    for side, (opened, alpha) in {"yes": (y, (1 + y, 2 + m + 1 + v - 1)),
                                  "no": (m, (1 + m, 2 + y + 1 + v - 1))}.items():
        pmf = [dirmult(r, alpha, (k, r - k)) for k in range(r + 1)]
        cdf = [sum(pmf[: k + 1]) for k in range(r + 1)]
        lo = next(k for k, f in enumerate(cdf) if f >= Fraction(1, 10))
        hi = next(k for k, f in enumerate(cdf) if f >= Fraction(9, 10))
        assert O.odds(snap).ranges[side] == (opened + lo, opened + hi)


# -- deauthorization polls ------------------------------------------------------------


class DeauthElection(Election):
    """A header with the rule the `rules` branch adds (`rule: "deauthorization"`)."""

    rule: str = "deauthorization"


def deauth_snapshot(yes, no, void, challenged, remaining, eligible) -> Snapshot:
    e = DeauthElection(seq=1, type="election", id="ud", title="UD poll", eligible=eligible,
                       ballots=yes + no + void + challenged + remaining)
    outcome = O.decide_state(e, (yes, no), challenged, remaining)
    if "rule" not in O._decide_keywords():  # before the rules merge: nothing decided early
        outcome = rules.Outcome(False, "undecided", None, None, False, "")
    return Snapshot(e, (yes, no), void, challenged, remaining, False, 5, outcome, None)


def deauth_classify(challenged: int, eligible: int):
    """Yes carries with a majority of the eligible; fails when the challenges cannot carry it."""
    if "rule" in O._decide_keywords():
        e = DeauthElection(seq=1, type="election", id="ud", title="t", eligible=eligible)
        return lambda final: O._yes_no_key(O.decide_state(e, final, challenged, 0))
    return lambda final: ("yes" if 2 * final[0] > eligible else
                          "no" if 2 * (final[0] + challenged) <= eligible else "pending")


@contextmanager
def numpy_windows():
    """Every window made as a large count's is, whatever its size."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(O, "LARGE", 0)
        yield


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 20_000), alpha=st.floats(0.05, 8000), beta=st.floats(0.05, 8000))
def test_a_large_count_s_window_is_the_same_window(n, alpha, beta):
    """From LARGE ballots on, numpy multiplies out the same terms: the same window, the same floats
    but for the one division that normalizes them (a pairwise sum, not a running one)."""
    small = O.beta_binomial_window(n, alpha, beta)
    with numpy_windows():
        first, pmf = O.beta_binomial_window(n, alpha, beta)
        whole = O.beta_binomial_pmf(n, alpha, beta)
    assert isinstance(pmf, np.ndarray) and first == small[0] and len(pmf) == len(small[1])
    assert pmf.tolist() == pytest.approx(small[1], rel=1e-12, abs=1e-300)
    assert whole == pytest.approx(
        [0.0] * first + small[1] + [0.0] * (n + 1 - first - len(small[1])), rel=1e-12, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(y=st.integers(0, 3000), m=st.integers(0, 3000), v=st.integers(0, 40), c=st.integers(0, 60),
       r=st.integers(0, 12_000), eligible=st.integers(1, 20_000))
def test_a_large_count_s_needle_is_the_same_needle(y, m, v, c, r, eligible):
    """The yes/no and deauthorization sums, the ranges and the tails over numpy's windows agree with
    the lists' to 10^−12 (`LARGE` lowered, so that hypothesis's states take that path)."""
    eligible = max(eligible, y + m + v + c + r)
    small = (O.yes_no_chances.__wrapped__(y, m, v, c, r),
             O.deauthorization_chances(y, 2.0 + m + v, c, r, eligible, 1.0),
             O.central_range(y, O.beta_binomial_window(r, 1.0 + y, 2.0 + m + v)))
    with numpy_windows():
        large = (O.yes_no_chances.__wrapped__(y, m, v, c, r),
                 O.deauthorization_chances(y, 2.0 + m + v, c, r, eligible, 1.0),
                 O.central_range(y, O.beta_binomial_window(r, 1.0 + y, 2.0 + m + v)))
    assert large[0] == pytest.approx(small[0], abs=1e-12)
    assert large[1] == pytest.approx(small[1], abs=1e-12)
    assert large[2] == small[2] or abs(large[2][0] - small[2][0]) + abs(large[2][1] - small[2][1]) <= 1
    assert (large[1][2] == 0.0) == (small[1][2] == 0.0)  # nothing pending is exactly nothing, both ways


def test_no_challenged_ballot_leaves_nothing_pending_in_a_large_deauthorization_poll():
    """At the format's largest count, with no challenged ballot the two lines meet: exactly nothing pending."""
    carries, fails, pending = O.deauthorization_chances(500, 502.0, 0, 9_999_000, 10_000_000, 1.0)
    assert pending == 0.0 and carries + fails == pytest.approx(1.0, abs=1e-12)
    assert 0.45 < carries < 0.55


@pytest.mark.parametrize("state", [(3, 1, 0, 2, 6, 20), (8, 2, 1, 0, 9, 30), (0, 0, 0, 1, 10, 11),
                                   (10, 0, 0, 3, 7, 25), (4, 9, 2, 2, 8, 24)])
def test_deauthorization_against_brute_force(state):
    y, m, v, c, r, eligible = state
    exact = brute((y, m), v, r, deauth_classify(c, eligible))
    needle = O.odds(deauth_snapshot(y, m, v, c, r, eligible))
    assert needle.method == "exact"
    for key in O.YES_NO_KEYS:
        assert needle.outcomes[key] == pytest.approx(float(exact[key]), abs=1e-12)


def test_deauthorization_needs_the_eligible_voters():
    snap = deauth_snapshot(3, 1, 0, 0, 6, 20)
    snap = Snapshot(snap.election.model_copy(update={"eligible": None}), *[
        getattr(snap, f) for f in ("votes", "void", "challenged", "remaining", "closed",
                                   "last_seq", "outcome", "decided_at")])
    assert O.odds(snap) is None and "eligible voters is not known" in O.no_odds_reason(snap)


def test_deauthorization_words():
    assert "deauthorization carries 0 %" in chance_line(deauth_snapshot(3, 1, 0, 0, 6, 20))


# -- certain and unknown states --------------------------------------------------------


def test_decided_count_is_certain():
    snap = snapshot((60, 10), ballots=100)  # 60 > 10 + 30: the union has won
    assert snap.outcome.decided
    needle = O.odds(snap)
    assert needle.outcomes == {"yes": 1.0, "no": 0.0, "pending": 0.0}
    lo, hi = needle.ranges["yes"]
    assert 60 <= lo <= hi <= 90


@pytest.mark.parametrize("votes,challenged,key", [((10, 8), 1, "yes"), ((10, 8), 2, "pending"),
                                                   ((8, 10), 5, "pending"), ((8, 10), 0, "no")])
def test_nothing_unopened_is_certain_or_pending(votes, challenged, key):
    needle = O.odds(snapshot(votes, challenged=challenged, closed=True))
    assert needle.outcomes[key] == 1.0 and sum(needle.outcomes.values()) == 1.0
    assert needle.ranges == {"yes": (votes[0], votes[0]), "no": (votes[1], votes[1])}


def test_unknown_total_has_no_needle():
    snap = snapshot((10, 8))
    assert O.odds(snap) is None and O.odds_json(snap) is None
    assert O.no_odds_reason(snap) == ("the total ballots cast is not known, "
                                      "so the unopened ballots cannot be modelled")
    assert chance_line(snap).startswith("Chance: not given — the total ballots cast is not known")


def test_a_bad_prior_is_refused():
    with pytest.raises(ValueError, match="3 weights above 0"):
        O.odds(snapshot((1, 1), ballots=9), prior=(1, 1))
    with pytest.raises(ValueError):
        O.odds(snapshot((1, 1), ballots=9), prior=(1, 0, 1))


# -- multi-choice, by simulation ----------------------------------------------------------

ABN = ("Union A", "Union B", "Neither")


def multi_by_decide(challenged: int):
    return lambda final: O._multi_key(rules.decide(ABN, final, challenged, 0))


@pytest.mark.parametrize("votes,void,challenged,remaining", [((4, 3, 2), 1, 1, 6), ((2, 2, 2), 0, 0, 5),
                                                              ((6, 1, 1), 0, 2, 7)])
def test_simulation_against_brute_force(votes, void, challenged, remaining):
    """Each outcome within 5 standard errors of the exact share (20,000 draws)."""
    snap = snapshot(votes, void, challenged, ballots=sum(votes) + void + challenged + remaining,
                    choices=ABN)
    exact = brute(votes, void, remaining, multi_by_decide(challenged))
    needle = O.odds(snap)
    assert needle.method == "simulation"
    for key, p in needle.outcomes.items():
        q = float(exact.get(key, 0))
        assert abs(p - q) <= 5 * math.sqrt(q * (1 - q) / O.DRAWS) + 1e-12, key
    assert set(exact) <= set(needle.outcomes)


def test_simulation_is_deterministic_and_sums_to_one():
    snap = snapshot((300, 290, 280), 10, 20, ballots=10_900, choices=ABN)
    first, second = O.odds(snap), O.odds(snap)
    assert first == second
    assert math.fsum(first.outcomes.values()) == pytest.approx(1.0, abs=1e-12)
    assert list(first.outcomes) == [*ABN, "runoff", "rerun", "no_majority", "pending"]


@pytest.mark.parametrize("votes,void,challenged,remaining", [
    ((0, 0, 0), 0, 0, 3000), ((300, 290, 280), 10, 20, 2000), ((3000, 2500, 1500), 10, 50, 10_000),
    ((30, 25, 15), 1, 5, 100), ((300, 295, 5), 2, 9, 1000)])
def test_boxes_classify_as_every_vector_does(votes, void, challenged, remaining):
    """Settling whole boxes by one decided state gives the same tally as one call per vector."""
    snap = snapshot(votes, void, challenged, ballots=sum(votes) + void + challenged + remaining,
                    choices=ABN)
    rng = np.random.default_rng(7)
    shares = rng.dirichlet(np.add((1, 1, 1, 1), [*votes, void]), size=5000)
    finals = rng.multinomial(remaining, shares)[:, :-1] + np.asarray(votes)
    one_by_one = Counter()
    for row in finals.tolist():
        one_by_one[O._multi_key(rules.decide(ABN, tuple(row), challenged, 0))] += 1
    assert O._classify(snap, finals) == one_by_one


def test_multi_ranges_match_the_exact_marginal():
    """Each choice's simulated 10th–90th percentile is within a vote or two of the exact one."""
    votes, void, remaining = (40, 30, 20), 2, 200
    snap = snapshot(votes, void, ballots=sum(votes) + void + remaining, choices=ABN)
    ranges = O.odds(snap).ranges
    total = sum(votes) + void + 4
    for name, v in zip(ABN, votes):
        exact = O.central_range(v, O.beta_binomial_window(remaining, 1 + v, total - 1 - v))
        assert all(abs(s - e) <= 2 for s, e in zip(ranges[name], exact)), name


def test_decided_multi_count_is_certain():
    snap = snapshot((60, 10, 5), ballots=100, choices=ABN)  # 60 > 15 + 25: Union A has won
    needle = O.odds(snap)
    assert needle.outcomes["Union A"] == 1.0 and math.fsum(needle.outcomes.values()) == 1.0


def test_closed_multi_count():
    needle = O.odds(snapshot((8, 7, 3), closed=True, choices=ABN))
    assert needle.method == "exact" and needle.outcomes["runoff"] == 1.0
    assert needle.ranges["Union B"] == (7, 7)


def test_multi_words():
    words = chance_line(snapshot((30, 25, 15), 1, 5, ballots=176, choices=ABN))
    assert words.startswith("Chance (random-order model, simulation of 20,000 counts): runoff ")
    assert "Union A wins" in words
    assert "runoff" in words and "challenges decide" in words and "rerun" not in words


# -- the report ------------------------------------------------------------------------------


def test_json_shape():
    got = O.odds_json(snapshot((24, 16), ballots=100))
    assert got["model"] == "random-order" and got["prior"] == [1, 1, 1] and got["method"] == "exact"
    assert got["outcomes"]["yes"] == pytest.approx(0.9426471034, abs=5e-11)
    assert math.fsum(got["outcomes"].values()) == pytest.approx(1.0, abs=1e-12)
    assert set(got["ranges"]) == {"yes", "no"} and all(len(r) == 2 for r in got["ranges"].values())
    json.dumps(got)


def test_words():
    words = chance_line(snapshot((24, 16), ballots=100))
    assert words == "Chance (random-order model, exact): union wins 94.3 %, no union 5.7 %, challenges decide < 0.1 %"


def test_union_chance_is_the_first_chance():
    assert O.union_chance(100, 90, 2, 3, 400) == O.yes_no_chances(100, 90, 2, 3, 400)[0]


def test_report_gains_the_needle(capsys, tmp_path):
    from counts import write

    f = write(tmp_path / "live.jsonl", header(ballots=100), pile("yes", 24), pile("no", 16))
    assert main(["report", str(f), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["odds"]["outcomes"]["yes"] == pytest.approx(0.9426471034, abs=5e-11)
    assert main(["report", str(f)]) == 0
    assert "Chance (random-order model, exact): union wins 94.3 %" in capsys.readouterr().out


def test_report_of_a_yes_no_count_never_imports_numpy():
    code = ("import sys, tui.cli; tui.cli.main(['report', 'ldj5', '--json']);"
            "assert 'numpy' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
