"""Two counts of one election, compared ballot by ballot.

Observers keep their own counts of the same ballots; what makes a count worth
trusting is that another, kept apart, says the same. A count is compared by
its effective calls: each live entry as it stands (retracted entries left
out, corrections applied in place), read as single ballots in the order they
were entered — a pile of 25 YES is 25 YES in a row — so how each counter
grouped the calls does not matter. After ballot n, each count has totals
(every choice, void, challenged); two counts agree at n when those are the
same. They are compared at the last ballot both have reached: a counter who
is behind is not in disagreement.

Adjustments (accepting the Board's figures) are not ballots and are left out:
an adjustment says what the totals should be, not which ballot was miscalled,
so it has no place in the sequence; the Board's figures are compared by the
checkpoints themselves (`tally.reducer.Compared`).

`Comparison` follows two live `Count`s (a hub's main count and a check) and is
updated after any event either takes: it walks both sequences a run of equal
calls at a time, so an event costs O(1) amortized whatever its pile; a change
to a call the walk has passed (a retraction, a correction far back) rewinds
it to the last saved point before that call. `compare_ballot_by_ballot` is
the plain definition, the test oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import sub
from typing import Any

from tally.reducer import Count
from tally.schema import Election, parse_event

SAVE_EVERY = 32
"""Runs walked between saved points, at least; the gap grows with the saves already kept (a
count of n runs keeps about √(2n) of them, a few thousand at most): a rewind walks one gap again,
plus the distance to the revised call."""


@dataclass(frozen=True, slots=True)
class Agreement:
    """How two counts compare at `at`, the last ballot both have reached.

    `since`: when they differ, the first ballot after the last one at which
    they agreed. `main` and `check` are each count's totals in slot order
    (choices, void, challenged) after ballot `since` when they differ, after
    `at` when they agree: the figures a reader compares.
    """

    agree: bool
    at: int
    since: int | None = None
    main: tuple[int, ...] = ()
    check: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """{"agree": true, "at": n}, or {"agree": false, "at": n, "since": k} (docs/PROTOCOL.md)."""
        out: dict[str, Any] = {"agree": self.agree, "at": self.at}
        if not self.agree:
            out["since"] = self.since
        return out


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check counter against the main count: what a hub reports and every face words.

    `main` and `check` as in `Agreement` (empty when not known: the hub's
    JSON item carries them only on request). `main_heard` and `check_heard`:
    whether that count was made by ear (`counted_by_ear`), so the line can say
    "the typed count and the heard count agree".
    """

    counter: str
    agree: bool
    at: int
    since: int | None = None
    main: tuple[int, ...] = ()
    check: tuple[int, ...] = ()
    main_heard: bool = False
    check_heard: bool = False

    @classmethod
    def of(cls, counter: str, agreement: Agreement, main_heard: bool = False,
           check_heard: bool = False) -> CheckResult:
        return cls(counter, agreement.agree, agreement.at, agreement.since, agreement.main,
                   agreement.check, main_heard, check_heard)

    def as_json(self, totals: bool = False) -> dict[str, Any]:
        """{"counter": NAME, "agree": …, "at": n[, "since": k]}; with `totals`, "main" and "check" too."""
        out: dict[str, Any] = {"counter": self.counter, "agree": self.agree, "at": self.at}
        if not self.agree:
            out["since"] = self.since
        if totals:
            out["main"], out["check"] = list(self.main), list(self.check)
        for key in ("main_heard", "check_heard"):
            if getattr(self, key):  # only when true: a hub of before issue 20 never said it
                out[key] = True
        return out

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> CheckResult:
        """An item of a hub's checks frame (checked by the reader first). `since` is a disagreement's
        alone: an agreeing item that carries one (a hub other than tally's) has it left out, as
        `as_json` leaves it out, so an item reads back as the result it was."""
        since = None if item["agree"] else item.get("since")
        return cls(item["counter"], item["agree"], item["at"], since,
                   tuple(item.get("main", ())), tuple(item.get("check", ())),
                   item.get("main_heard") is True, item.get("check_heard") is True)


HEARD_KEY = '"heard":'
"""How an event made by ear shows in its stored JSON: a quote inside a string value is always
escaped (`\\"`), so this can only be the event's own key."""


class EarMark:
    """Whether a count, as its stored JSON lines, was made by ear: follows the lines as they grow.

    A count is *heard* once any of its entries carries `heard` (`tally listen`
    made it): a listening counter types over what it mishears, so its count
    holds typed entries too, but a count typed at the keyboard never holds a
    heard one. Each line is looked at once (a substring search; the few that
    have the key are parsed to be sure), so following a count costs nothing
    per event once it is known to be heard.
    """

    def __init__(self) -> None:
        self.heard = False
        self._seen = 0

    def follow(self, lines: list[str]) -> bool:
        """Whether the count of `lines` (each a stored event) is heard, looking only at new lines."""
        if not self.heard:
            for line in lines[self._seen:]:
                if HEARD_KEY in line and getattr(parse_event(line), "heard", None) is not None:
                    self.heard = True
                    break
        self._seen = len(lines)
        return self.heard


def different_elections(a: Election, b: Election) -> str | None:
    """Why two headers cannot be counts of one election (None: they can).

    The id, the choices and the rule decide what a call means; `ballots`,
    when both give it, is a fact about the election that both must state alike.
    """
    for name in ("id", "choices", "rule"):
        if getattr(a, name) != getattr(b, name):
            return f"different elections: {name} {_shown(getattr(a, name))} and {_shown(getattr(b, name))}"
    if a.ballots is not None and b.ballots is not None and a.ballots != b.ballots:
        return f"the headers contradict each other: ballots {a.ballots} and {b.ballots}"
    return None


def _shown(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def effective_calls(count: Count) -> list[tuple[int, int]]:
    """The count's live calls in entry order, as (slot, ballots)."""
    return [call for seq in range(1, count.last_seq + 1) if (call := count.call_at(seq)) is not None]


def single_ballots(count: Count) -> list[int]:
    """The count as single ballots, each its slot: a pile of 25 is 25 in a row."""
    return [slot for slot, n in effective_calls(count) for _ in range(n)]


def compare_ballot_by_ballot(main: Count, check: Count) -> Agreement:
    """`Comparison`'s answer by the definition, one ballot at a time (the test oracle)."""
    a, b = single_ballots(main), single_ballots(check)
    ta, tb = [0] * main.slots, [0] * check.slots
    last, since = 0, None
    for n, (x, y) in enumerate(zip(a, b), 1):
        ta[x] += 1
        tb[y] += 1
        if ta == tb:
            last, since = n, None
        elif since is None:
            since = (n, tuple(ta), tuple(tb))
    at = min(len(a), len(b))
    if since is None:
        return Agreement(True, at, None, tuple(ta), tuple(tb))
    return Agreement(False, at, since[0], since[1], since[2])


def compare(main: Count, check: Count) -> Agreement:
    """Two counts compared from scratch, a run at a time (as `Comparison`, once)."""
    return Comparison(main, check).update()


class Comparison:
    """Follows a main count and a check of the same election; `update()` after either changes.

    The walk's state: a pointer into each count (an entry's seq and how many
    of its ballots are passed), the ballots passed (`pos`), the main count's
    totals there, D (main's totals minus the check's) with how many of its
    slots are not zero, the last ballot at which D was zero, and the totals
    just after it when they differ since. Within a run where the main count
    calls a and the check b, D changes by +1 in a and -1 in b per ballot, so
    where it reaches zero (if anywhere) is found in O(slots), not per ballot.
    """

    def __init__(self, main: Count, check: Count) -> None:
        self.main, self.check = main, check
        k = main.slots
        self._state = (1, 0, 1, 0, 0, (0,) * k, (0,) * k, 0, 0, None)
        self._saves = [self._state]
        self._runs = 0
        self._revised = [len(main.revised), len(check.revised)]
        self._seen: tuple[int, int] | None = None
        self._answer: Agreement | None = None

    def update(self) -> Agreement:
        """Follow both counts' new entries and revised calls; how they compare now."""
        seen = (self.main.last_seq, self.check.last_seq)
        if seen == self._seen:  # nothing entered since: nothing revised either
            return self._answer
        self._rewind_for(self.main, 0)
        self._rewind_for(self.check, 1)
        self._walk()
        sa, oa, sb, ob, pos, d, ta, last, nonzero, since = self._state
        if not nonzero:
            answer = Agreement(True, pos, None, ta, tuple(map(sub, ta, d)))
        else:
            answer = Agreement(False, pos, last + 1, since[0], since[1])
        self._seen, self._answer = seen, answer
        return answer

    def _rewind_for(self, count: Count, side: int) -> None:
        """Go back to the last saved point before any call of `count` revised since the last update."""
        revised = count.revised
        seen = self._revised[side]
        if len(revised) == seen:
            return
        self._revised[side] = len(revised)
        for target in revised[seen:]:
            seq, passed = self._state[2 * side], self._state[2 * side + 1]
            if target < seq or (target == seq and passed):
                while not _before(self._saves[-1], side, target):
                    self._saves.pop()
                self._state = self._saves[-1]
                self._runs = 0

    def _walk(self) -> None:
        # The hub's per-event path: the tables read directly, the slot worked out inline
        # (`Count.slot`), the state unpacked once.
        main_did, main_amount = self.main.entries
        check_did, check_amount = self.check.entries
        end_a, end_b = len(main_did), len(check_did)
        k1 = self.main.slots - 3  # slot of did < 0 is k1 - did: void k, challenged k + 1
        sa, oa, sb, ob, pos, d, ta, last, nonzero, since = self._state
        if sa >= end_a or sb >= end_b:
            return
        d, ta = list(d), list(ta)
        runs = self._runs
        while True:
            while sa < end_a and main_did[sa] < -2:
                sa += 1
            while sb < end_b and check_did[sb] < -2:
                sb += 1
            if sa >= end_a or sb >= end_b:
                break
            a, na = main_did[sa], main_amount[sa]
            b, nb = check_did[sb], check_amount[sb]
            if a < 0:
                a = k1 - a
            if b < 0:
                b = k1 - b
            t = min(na - oa, nb - ob)
            if a == b:
                if not nonzero:
                    last = pos + t
            else:
                if not nonzero:  # agreed at pos; ballot pos + 1 is the first to differ
                    since = _after(ta, d, a, b, 1)
                elif nonzero == 2 and d[b] > 0 and d[a] == -d[b] and d[b] <= t:
                    j = d[b]  # D is zero after j more ballots of this run
                    last = pos + j
                    if j < t:
                        since = _after(ta, d, a, b, j + 1)
                before_a, before_b = d[a], d[b]
                d[a] += t
                d[b] -= t
                nonzero += (d[a] != 0) - (before_a != 0) + (d[b] != 0) - (before_b != 0)
            ta[a] += t
            pos += t
            oa += t
            ob += t
            if oa == na:
                sa, oa = sa + 1, 0
            if ob == nb:
                sb, ob = sb + 1, 0
            runs += 1
            if runs >= SAVE_EVERY and runs >= len(self._saves):
                self._saves.append((sa, oa, sb, ob, pos, tuple(d), tuple(ta), last, nonzero, since))
                runs = 0
        self._state = (sa, oa, sb, ob, pos, tuple(d), tuple(ta), last, nonzero, since)
        self._runs = runs


def _before(save: tuple, side: int, target: int) -> bool:
    """Whether a saved point has passed none of entry `target`'s ballots on that side."""
    seq, passed = save[2 * side], save[2 * side + 1]
    return seq < target or (seq == target and not passed)


def _after(ta: list[int], d: list[int], a: int, b: int, j: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Both counts' totals j ballots into a run where main calls a and the check b."""
    main = list(ta)
    main[a] += j
    check = [x - y for x, y in zip(ta, d)]
    check[b] += j
    return tuple(main), tuple(check)
