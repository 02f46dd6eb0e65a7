"""The needle: how likely each outcome is, now, under the random-order model.

The Board agent mixes the ballots before counting, so the order they are opened
in is random with respect to the votes. Before the count every split of the box
into yes / no / void (one weight per choice, plus void) is taken as equally
likely: a uniform Dirichlet(1, …, 1) prior over compositions. Given the ballots
opened so far, the unopened ones then split with the Dirichlet-multinomial
probability DirMult(R; prior + opened), a Pólya urn. Challenged ballots are not
in the box: they are set aside, and a final state in which they can still
change the result is "pending" (this is no forecast of how challenges are
resolved, nor of counting errors).

Yes/no ballots are computed exactly in O(R) (see `yes_no_chances`);
deauthorization polls exactly from the marginal of the yes ballots; every other
ballot by a seeded simulation whose final states are classified by
`rules.decide`, so the rules live in one place. numpy is imported only by the simulation and by the
exact sums of a count of LARGE ballots or more: `tally report` and the dashboard start without it.
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import accumulate, chain
from operator import mul, truediv
from typing import Any, Callable, Sequence

from tally import rules
from tally.lang import N_
from tally.reducer import Snapshot

PRIOR_WEIGHT = 1.0
"""Dirichlet weight of each choice and of void before the count: 1 is uniform."""
DRAWS = 20_000
"""Simulated counts per multi-choice needle: the outcome shares are within about
±0.7 percentage points (two standard errors at 50 %)."""
LOW, HIGH = 0.1, 0.9
"""The range of each side's final votes is its 10th–90th percentile: 80 %."""
NO_TOTAL = N_("the total ballots cast is not known, so the unopened ballots cannot be modelled")
NO_ELIGIBLE = N_("the number of eligible voters is not known, so a deauthorization poll "
               "cannot be modelled")
YES_NO_KEYS = ("yes", "no", "pending")
DEAUTHORIZATION = "deauthorization"
Window = tuple[int, Any]
"""(first, pmf): the probabilities of first, first + 1, … (all others negligible); pmf a list of
floats, or from LARGE ballots on a numpy array (`beta_binomial_window`)."""
LARGE = 200_000
"""Ballots from which a window's terms are multiplied out by numpy: no real count comes near
(the largest NLRB units are in the tens of thousands), so `tally report` and the dashboard
never import it for a yes/no count; a window at LARGE holds ~10^5 terms."""


@dataclass(frozen=True, slots=True)
class Odds:
    """The needle for one state of a count.

    `method` is "exact" or "simulation"; `prior` the Dirichlet weights (each
    choice, then void); `outcomes` maps each outcome to its probability (they
    sum to 1); `ranges` maps each choice to the 10th–90th percentile of its
    final votes.
    """

    method: str
    prior: tuple[float, ...]
    outcomes: dict[str, float]
    ranges: dict[str, tuple[int, int]]


# -- the public face ----------------------------------------------------------

def rule_of(election: Any) -> str:
    """The counting rule of a header: "representation" unless it says otherwise."""
    return getattr(election, "rule", None) or "representation"


def no_odds_reason(snap: Snapshot) -> str | None:
    """Why the count has no needle (one line), or None when it has one.

    The model draws the unopened ballots, so it needs to know how many there are;
    a deauthorization poll is won against the eligible voters, so it needs them.
    """
    if snap.remaining is None:
        return NO_TOTAL
    if rule_of(snap.election) == DEAUTHORIZATION and snap.election.eligible is None:
        return NO_ELIGIBLE
    return None


def default_prior(snap: Snapshot) -> tuple[float, ...]:
    """One weight per choice, then one for void."""
    return (PRIOR_WEIGHT,) * (len(snap.votes) + 1)


def odds(snap: Snapshot, prior: Sequence[float] | None = None) -> Odds | None:
    """The needle for `snap`, or None (see `no_odds_reason`).

    A yes/no ballot is computed exactly; any other ballot (three or more choices,
    a runoff between two names) by simulation.
    """
    if no_odds_reason(snap) is not None:
        return None
    prior = tuple(float(w) for w in (prior or default_prior(snap)))
    if len(prior) != len(snap.votes) + 1 or min(prior) <= 0:
        raise ValueError(f"the prior is {len(snap.votes) + 1} weights above 0: each choice, then void")
    if snap.election.yes_no:
        return _exact_odds(snap, prior)
    return _simulated_odds(snap, prior)


def odds_json(snap: Snapshot) -> dict[str, Any] | None:
    """The needle as the `odds` key of `tally report --json` (null without one)."""
    needle = odds(snap)
    return None if needle is None else needle_json(needle)


def needle_json(needle: Odds) -> dict[str, Any]:
    """A worked-out needle as JSON (what `odds_json` gives, and `tally.present.odds_from_json` reads)."""
    return {
        "model": "random-order",
        "prior": [int(w) if w.is_integer() else w for w in needle.prior],
        "method": needle.method,
        "outcomes": needle.outcomes,
        "ranges": {c: list(r) for c, r in needle.ranges.items()},
    }


def union_chance(y: int, m: int, v: int, challenged: int, remaining: int,
                 prior: tuple[float, float, float] = (PRIOR_WEIGHT,) * 3) -> float:
    """The union's chance of a majority on a yes/no ballot: the needle in one number.

    Cheap enough for each point of a chart (O(R), and remembered).
    """
    return yes_no_chances(y, m, v, challenged, remaining, prior)[0]


# -- yes/no, exactly ------------------------------------------------------------

@lru_cache(maxsize=4096)
def yes_no_chances(y: int, m: int, v: int, challenged: int, remaining: int,
                   prior: tuple[float, float, float] = (PRIOR_WEIGHT,) * 3
                   ) -> tuple[float, float, float]:
    """P(union wins), P(no union), P(challenges decide) on a yes/no ballot, exactly.

    The unopened R split (k yes, j no, R−k−j void) ~ DirMult(R; a, b, c) with
    a, b, c the prior plus y, m, v. Split it in two stages (Pólya urn): the
    number of non-void ballots s ~ BetaBinomial(R; a+b, c), and among them
    k | s ~ BetaBinomial(s; a, b). The union wins when y+k > m+j+C, that is
    when the lead D = k − j = 2k − s among those s is more than m − y + C; no
    union when D ≤ m − y − C (a tie loses); in between the challenges decide.
    Each is Σ_s P(S=s)·P(D_s > t), which `_lead_above` computes in O(R).
    """
    a, b = prior[0] + y, prior[1] + m
    weights = beta_binomial_window(remaining, a + b, prior[2] + v)
    win = _clamp(_lead_above(weights, a, b, m - y + challenged))
    # With no challenged ballot the two lines meet: whatever is not a win is a loss.
    above_loss = _lead_above(weights, a, b, m - y - challenged) if challenged else win
    lose = _clamp(1.0 - above_loss)
    pending = _clamp(1.0 - win - lose)
    total = win + lose + pending
    return win / total, lose / total, pending / total


def _clamp(p: float) -> float:
    """Rounding can leave a probability a few ulps outside [0, 1]."""
    return min(1.0, max(0.0, p))


def _lead_above(weights: Window, a: float, b: float, t: int) -> float:
    """Σ_s P(S=s)·P(D_s > t), D_s = 2K_s − s, K_s ~ BetaBinomial(s; a, b).

    K_s is one Pólya urn path: K_{s+1} = K_s + 1 with probability
    (a + K_s)/(a + b + s). So the tail T_s = P(K_s > k_s) at the moving threshold
    k_s = ⌊(t+s)/2⌋ needs one pmf value per step:
      - when t+s is even the threshold stays: T gains P(K_s = k)·(a+k)/(a+b+s),
        the paths at k that step up over it;
      - when t+s is odd it moves up by one: T loses P(K_s = k+1)·(b+s−k−1)/(a+b+s),
        the paths at k+1 that do not step up.
    The pmf point needed, P(K_s = π_s) with π_s = ⌈(t+s)/2⌉, follows by one
    ratio per step. Before π_s enters [0, s] every path is above (t < 0) or none
    is (t ≥ 0); the walk starts there, or where P(S=s) starts to matter, with
    the tail summed afresh. The pmf is kept as q·e^unit so that a point far in
    the tail (10^−400) can underflow and come back without being lost.
    O(R) in all, and only over the s that matter.
    """
    first, pmf = weights
    pmf = _as_list(pmf)  # the walk below is faster over Python floats than over an array's
    last = first + len(pmf) - 1
    start = max(first, -1 - t, t)  # first s that matters with 0 ≤ π_s ≤ s
    if start > last:
        return math.fsum(pmf) if t < 0 else 0.0
    total = math.fsum(pmf[: start - first]) if t < 0 else 0.0
    tail = tail_above(start, a, b, (t + start) // 2)
    pi = (t + start + 1) // 2
    unit = log_beta_binomial(start, pi, a, b)
    q, scale, ab = 1.0, math.exp(unit), a + b
    odd = (t + start) % 2 == 1  # the parity of t + s, flipped each step
    for s, weight in zip(range(start, last), pmf[start - first:]):
        total += weight * tail
        if not odd:
            step = q * (a + pi) / (ab + s)
            tail += step * scale
            q = step * (s + 1) / (pi + 1)
            pi += 1
        else:
            step = q * (b + s - pi) / (ab + s)
            tail -= step * scale
            q = step * (s + 1) / (s + 1 - pi)
        odd = not odd
        if not 1e-150 < q < 1e150:
            unit += math.log(q)
            q, scale = 1.0, math.exp(unit)
    return total + pmf[-1] * tail


def tail_above(n: int, a: float, b: float, k: int) -> float:
    """P(K > k), K ~ BetaBinomial(n; a, b), summed."""
    first, pmf = beta_binomial_window(n, a, b)
    return _total(pmf[max(0, k + 1 - first):])


def log_beta_binomial(n: int, k: int, alpha: float, beta: float) -> float:
    """log P(K = k) for K ~ BetaBinomial(n; alpha, beta): C(n,k)·B(k+α, n−k+β)/B(α, β)."""
    lg = math.lgamma
    return (lg(n + 1) - lg(k + 1) - lg(n - k + 1) + lg(k + alpha) + lg(n - k + beta)
            - lg(n + alpha + beta) + lg(alpha + beta) - lg(alpha) - lg(beta))


def beta_binomial_window(n: int, alpha: float, beta: float) -> Window:
    """(first, pmf): P(K = first + i), K ~ BetaBinomial(n; alpha, beta), for the
    values of K that matter; the rest add up to less than 10^−16.

    One term by lgamma at the peak, the others by the ratio
    P(k+1)/P(k) = (n−k)(k+α)/((k+1)(n−k−1+β)), multiplied outwards in C-level
    maps (a Python loop costs three times as much), a chunk at a time. Starting
    at the peak, no term can underflow before a larger one. When α ≥ 1 or
    β ≥ 1 the pmf is unimodal (log-concave, or monotone when the other is under
    1): past the peak the terms only shrink, so once one is under 10^−20 of the
    peak every later one is too, and at most n of them are left out. When both
    are under 1 it is U shaped (no deep valley) and every term is kept. Dividing
    by the sum takes out the rounding the products carry (about 10^−12 at
    n = 10,000).

    From LARGE ballots on, the same terms are multiplied out by numpy and the pmf is
    an array: at the format's largest count (10 million unopened) a window holds ~4
    million terms, 2 s and ~130 MB of Python floats each as a list, ~40 ms and 32 MB
    as an array (the hub's needle worker made five of them per needle, and its
    memory traffic slowed the hub beside it: docs/PERFORMANCE.md, issue 16). Below
    LARGE nothing imports numpy (`tally report`, the dashboard).
    """
    alpha, beta = float(alpha), float(beta)
    peak = _peak(n, alpha, beta)
    top = math.exp(log_beta_binomial(n, peak, alpha, beta))
    floor = top * 1e-20 if alpha >= 1 or beta >= 1 else -1.0
    if n >= LARGE:
        import numpy as np  # here only: see LARGE

        left = np.concatenate(_terms_beyond(n, alpha, beta, peak, top, floor, -1, _array_chunk) or [[]])
        right = np.concatenate(_terms_beyond(n, alpha, beta, peak, top, floor, +1, _array_chunk) or [[]])
        pmf = np.concatenate((left[::-1], [top], right))
        return peak - len(left), pmf * (1.0 / pmf.sum())
    left = list(chain.from_iterable(_terms_beyond(n, alpha, beta, peak, top, floor, -1, _list_chunk)))
    pmf = left[::-1] + [top] + list(chain.from_iterable(_terms_beyond(n, alpha, beta, peak, top, floor, +1, _list_chunk)))
    return peak - len(left), list(map((1.0 / sum(pmf)).__mul__, pmf))


def _terms_beyond(n: int, alpha: float, beta: float, peak: int, top: float, floor: float,
                  way: int, chunk: Callable[..., Any]) -> list[Any]:
    """The terms after the peak (way = +1) or before it (−1, nearest first), in chunks of
    doubling size (each multiplied out by `chunk`: a list, or from LARGE on an array), until
    one falls under `floor`."""
    chunks, value, k, size = [], top, peak, 64
    while (k < n if way > 0 else k > 0) and value >= floor:
        lo, hi = (k, min(n, k + size)) if way > 0 else (max(0, k - size), k)
        chunks.append(terms := chunk(n, alpha, beta, lo, hi, value, way))
        value, k, size = float(terms[-1]), hi if way > 0 else lo, size * 2
    return chunks


def _list_chunk(n: int, alpha: float, beta: float, lo: int, hi: int, value: float, way: int) -> list[float]:
    """The terms for k in [lo, hi) from `value` outwards, by P(k+1)/P(k), in C-level maps."""
    ratios = list(map(truediv, map(mul, range(n - lo, n - hi, -1), map(alpha.__add__, range(lo, hi))),
                      map(mul, range(lo + 1, hi + 1), map((n - 1 + beta).__sub__, range(lo, hi)))))
    if way > 0:
        return list(accumulate(ratios, mul, initial=value))[1:]
    return list(accumulate(reversed(ratios), truediv, initial=value))[1:]


def _array_chunk(n: int, alpha: float, beta: float, lo: int, hi: int, value: float, way: int) -> Any:
    """`_list_chunk` in numpy: the same ratios, multiplied out in the same order (numpy's
    accumulate is a running product), so each term is the same float."""
    import numpy as np

    ks = np.arange(lo, hi, dtype=np.float64)
    ratios = (n - ks) * (alpha + ks) / ((ks + 1) * ((n - 1 + beta) - ks))
    step = np.multiply if way > 0 else np.divide
    return step.accumulate(np.concatenate(([value], ratios if way > 0 else ratios[::-1])))[1:]


def _as_list(pmf: Any) -> list[float]:
    """A window's pmf as a list (an array's `tolist`)."""
    return pmf if isinstance(pmf, list) else pmf.tolist()


def _total(pmf: Sequence[float]) -> float:
    """The sum of (part of) a window's pmf: exactly rounded for a list, numpy's pairwise sum
    (within ~10^−15) for an array."""
    return math.fsum(pmf) if isinstance(pmf, list) else float(pmf.sum())


def beta_binomial_pmf(n: int, alpha: float, beta: float) -> list[float]:
    """P(K = k) for every k = 0 … n (0 where it is negligible)."""
    first, pmf = beta_binomial_window(n, alpha, beta)
    return [0.0] * first + _as_list(pmf) + [0.0] * (n + 1 - first - len(pmf))


def _peak(n: int, alpha: float, beta: float) -> int:
    """Where the pmf of BetaBinomial(n; α, β) is (about) largest: the mode when
    α, β ≥ 1, else the larger end (it is monotone, or U shaped)."""
    if alpha >= 1 and beta >= 1:
        return min(n, max(0, round((n + 1) * (alpha - 1) / max(alpha + beta - 2, 1e-9))))
    return 0 if log_beta_binomial(n, 0, alpha, beta) >= log_beta_binomial(n, n, alpha, beta) else n


def central_range(opened: int, window: Window) -> tuple[int, int]:
    """The 10th and 90th percentiles of opened + K, K with the given pmf window.

    A percentile is the smallest value whose cumulative probability reaches it
    (less a hair, so that 0.1 reached exactly is not lost to rounding).
    """
    first, pmf = window
    cumulative = list(accumulate(pmf)) if isinstance(pmf, list) else pmf.cumsum()
    last = len(pmf) - 1
    return (opened + first + min(last, bisect_left(cumulative, LOW - 1e-12)),
            opened + first + min(last, bisect_left(cumulative, HIGH - 1e-12)))


def deauthorization_chances(y: int, v_other: float, challenged: int, remaining: int,
                            eligible: int, prior_yes: float) -> tuple[float, float, float]:
    """P(carries), P(fails), P(challenges decide) in a deauthorization poll, exactly.

    Yes needs a majority of the eligible voters, not of the votes, so only the
    yes ballots matter: the unopened yes k ~ BetaBinomial(R; a, rest) (a Dirichlet
    aggregates), with a = prior + y and rest the prior and ballots of no and void.
    It carries when 2(y+k) > eligible, fails when even every challenged ballot
    added would not carry it, 2(y+k+C) ≤ eligible; else the challenges decide.
    """
    first, pmf = beta_binomial_window(remaining, prior_yes + y, v_other)
    fail_to = max(0, (eligible - 2 * (y + challenged)) // 2 + 1 - first)  # the k with 2(y + k + C) ≤ eligible
    carry_from = max(fail_to, (eligible - 2 * y) // 2 + 1 - first)  # the k with 2(y + k) > eligible
    return _total(pmf[carry_from:]), _total(pmf[:fail_to]), _total(pmf[fail_to:carry_from])


def _exact_odds(snap: Snapshot, prior: tuple[float, ...]) -> Odds:
    """The needle of a yes/no ballot: exact outcomes, exact ranges."""
    (y, m), v, c, r = snap.votes, snap.void, snap.challenged, snap.remaining
    ranges = {"yes": central_range(y, beta_binomial_window(r, prior[0] + y, prior[1] + prior[2] + m + v)),
              "no": central_range(m, beta_binomial_window(r, prior[1] + m, prior[0] + prior[2] + y + v))}
    if snap.outcome.decided or r == 0:
        chances = tuple(float(key == _yes_no_key(snap.outcome)) for key in YES_NO_KEYS)
    elif rule_of(snap.election) == DEAUTHORIZATION:
        chances = deauthorization_chances(y, prior[1] + prior[2] + m + v, c, r,
                                          snap.election.eligible, prior[0])
    else:
        chances = yes_no_chances(y, m, v, c, r, prior)
    return Odds("exact", prior, dict(zip(YES_NO_KEYS, chances)), ranges)


def _yes_no_key(outcome: rules.Outcome) -> str:
    """yes, no or pending: the outcome of a final yes/no count, whatever the rule."""
    if outcome.outcome == "pending":
        return "pending"
    return "yes" if outcome.winner == "yes" else "no"


# -- every other ballot, by simulation ------------------------------------------

def _simulated_odds(snap: Snapshot, prior: tuple[float, ...]) -> Odds:
    """The needle of a multi-choice (or two-name) ballot.

    A decided count, or one with nothing unopened, is certain; else the share of
    simulated counts that end in each outcome.
    """
    keys = _multi_keys(snap)
    if snap.outcome.decided or snap.remaining == 0:
        outcomes = {key: 0.0 for key in keys} | {_multi_key(snap.outcome): 1.0}
        if snap.remaining == 0:
            return Odds("exact", prior, outcomes, {c: (v, v) for c, v in zip(snap.choices, snap.votes)})
        return Odds("simulation", prior, outcomes, _simulate(snap, prior)[1])
    tally, ranges = _simulate(snap, prior)
    outcomes = {key: 0.0 for key in keys} | {key: n / DRAWS for key, n in tally.items()}
    return Odds("simulation", prior, outcomes, ranges)


def _multi_keys(snap: Snapshot) -> list[str]:
    return [*snap.choices, "runoff", "rerun", "no_majority", "pending"]


def _multi_key(outcome: rules.Outcome) -> str:
    """A choice's name for its majority, else the outcome ("runoff", "pending", …)."""
    return outcome.winner if outcome.outcome == "majority" else outcome.outcome


def _simulate(snap: Snapshot, prior: tuple[float, ...]) -> tuple[Counter, dict[str, tuple[int, int]]]:
    """DRAWS counts finished at random, seeded by the state: outcome tally and ranges.

    Each draw takes shares ~ Dirichlet(prior + opened), then the unopened
    ballots ~ Multinomial(R, shares): the same Dirichlet-multinomial as the
    exact path. The seed is a hash of the state, so a state always shows the
    same needle (no flicker when a frame is redrawn).
    """
    import numpy as np  # here only: importing numpy costs ~0.1 s

    state = (snap.votes, snap.void, snap.challenged, snap.remaining, prior)
    rng = np.random.default_rng(zlib.crc32(repr(state).encode()))
    shares = rng.dirichlet(np.add(prior, [*snap.votes, snap.void]), size=DRAWS)
    finals = rng.multinomial(snap.remaining, shares)[:, :-1] + np.asarray(snap.votes)
    bounds = np.quantile(finals, (LOW, HIGH), axis=0, method="inverted_cdf").astype(int).tolist()
    ranges = {c: (lo, hi) for c, lo, hi in zip(snap.choices, *bounds)}
    return _classify(snap, finals), ranges


def _classify(snap: Snapshot, finals: Any) -> Counter:
    """How many simulated final vote vectors end in each outcome, by `rules.decide`.

    One call per distinct final vector would cost ~100 ms at R = 10,000 (20,000
    distinct vectors, ~5 µs a call), so whole boxes of them are settled at once:
    a box of side w from corner L holds only completions of the state "L with
    n·(w−1) ballots still unopened" (n choices), and when `decide` calls that
    state decided, every way the rest can fall, so every final vector in the box,
    has that outcome (a decided count stays decided as ballots are added). Boxes
    start as one around all the draws and halve while they settle many vectors
    per call; the vectors left are classified one by one. The result is the same
    as classifying each vector, in one call when the outcome is nearly certain.
    """
    import numpy as np

    vectors, counts = _distinct_rows(finals)
    decide = _decider(snap.election)
    tally: Counter = Counter()
    corner = vectors.min(axis=0)
    width = 1 << int((vectors.max(axis=0) - corner).max()).bit_length()
    todo = np.arange(len(vectors))
    while width > 1 and todo.size:
        boxes, which = _distinct_rows((vectors[todo] - corner) // width, inverse=True)
        if len(boxes) * 8 > todo.size:  # too few vectors a box to settle more than a call each
            break
        in_box = np.bincount(which, weights=counts[todo]).astype(int).tolist()
        settled = np.zeros(len(boxes), dtype=bool)
        for b, box in enumerate(boxes.tolist()):
            outcome = decide(tuple(int(c + x * width) for c, x in zip(corner, box)),
                             snap.challenged, len(box) * (width - 1))
            if outcome.decided:
                settled[b] = True
                tally[_multi_key(outcome)] += in_box[b]
        todo, width = todo[~settled[which]], width // 2
    for votes, n in zip(vectors[todo].tolist(), counts[todo].tolist()):
        tally[_multi_key(decide(tuple(votes), snap.challenged, 0))] += n
    return tally


def _distinct_rows(rows: Any, inverse: bool = False) -> tuple[Any, Any]:
    """The distinct rows, with how many times each occurs (or, with `inverse`,
    which distinct row each row is): np.unique(axis=0), several times faster.

    Each row is packed into one integer (a digit per column, the base its range)
    when that fits in 63 bits, and np.unique sorts those.
    """
    import numpy as np

    low = rows.min(axis=0)
    spans = rows.max(axis=0) - low + 1
    if math.prod(int(x) for x in spans) >= 1 << 62:
        return np.unique(rows, axis=0, return_counts=not inverse, return_inverse=inverse)
    place = np.cumprod(np.concatenate(([1], spans[:-1]))).astype(np.int64)
    _, first, extra = np.unique((rows - low) @ place, return_index=True,
                                return_counts=not inverse, return_inverse=inverse)
    return rows[first], extra


def decide_state(election: Any, votes: Sequence[int], challenged: int, remaining: int) -> rules.Outcome:
    """`rules.decide` for a state of this election's count."""
    return _decider(election)(tuple(votes), challenged, remaining)


def _decider(election: Any) -> Callable[..., rules.Outcome]:
    """`rules.decide` bound to the header's choices, and to its rule and eligible
    voters when the installed `decide` takes them (keyword-only, after the four
    positional ones), so that "rerun", runoff ballots and deauthorization polls
    are classified by the rules themselves."""
    extra = {}
    if "eligible" in _decide_keywords():
        extra["eligible"] = election.eligible
    if "rule" in _decide_keywords():
        extra["rule"] = rule_of(election)
    return partial(rules.decide, election.choices, **extra)


@cache
def _decide_keywords() -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(rules.decide).parameters)
