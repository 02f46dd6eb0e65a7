"""What a count says, decided once: every figure, phrase, chance and call number a face shows.

tally shows one count five ways (the dashboard, its broadcast view, the board,
the hub's page, the report). Each used to word the count itself, and side by
side they contradicted each other ("100 %" on the page, "> 99.9 %" on the
dashboard; calls numbered by seq on one and by ballot on another). Here every
judgement a reader sees is made once: a face takes a `Presentation` and lays it
out, deciding nothing. The hub sends the same model to the page as JSON
(`Presentation.as_json`), so a browser composes no words either.

Every word is said in the reader's language (`tally.lang`: English or Spanish,
a context the caller sets), written here in English with `t`.

Pure: no textual, no websockets, no clock (the caller says how old the last
update is), no I/O.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from tally.lang import N_, Words, current, decimal, t, text, tn
from tally.lang import number as grouped
from tally.odds import Odds
from tally.reducer import Compared, Snapshot
from tally.report import outcome_words
from tally.rules import DEAUTHORIZATION, certain_words
from tally.timeline import TREND_BALLOTS, Pace, TickerLine, ballot_label
from tally.verify import CheckResult

# -- the call: exactly one of five --------------------------------------------------

EARLY, DECIDED, PENDING = N_("TOO EARLY TO CALL"), N_("OUTCOME DECIDED"), N_("CHALLENGES DETERMINATIVE")
NO_MAJORITY = N_("NO MAJORITY POSSIBLE")
COUNTING, STATE_DECIDED, STATE_PENDING, FINAL = "counting", "decided", "challenges determinative", "final"
STATES = (COUNTING, STATE_DECIDED, STATE_PENDING, FINAL)
"""A count's state: counting (open), decided (the rest cannot change it, still counting),
challenges determinative (only the challenged ballots can decide), final (closed and decided)."""
STATE_WORDS = {COUNTING: N_("COUNTING"), STATE_DECIDED: N_("DECIDED"), STATE_PENDING: N_("CHALLENGES"),
               FINAL: N_("FINAL")}

WORKING = N_("working it out …")
"""The needle for the numbers on screen is being worked out (off the screen's thread).

Also said while the only needle at hand is for an earlier state of the count:
chances are never shown beside numbers they were not worked out for."""
NO_HEADER = N_("waiting for the election header …")
NO_BALLOTS = N_("no ballots yet")
WAITING, NOTHING_YET = N_("WAITING FOR THE COUNT"), N_("nothing has arrived yet")
"""The banner before a count has any state (no election header yet): never a call, which would
read as a count that has begun ("TOO EARLY TO CALL · no ballots yet")."""
NO_COUNT_CHANCE = N_("no count yet")
NO_CALLS = N_("no calls yet")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 election', '2 elections', '1,000 counts': a number with its noun, in the number's grammar.

    The noun is English (`NOUNS` has the ones a face says, in every language)."""
    if noun in NOUNS:
        return NOUNS[noun](n)
    return f"{grouped(n)} {noun if n == 1 else plural or noun + 's'}"


NOUNS = {
    "election": lambda n: tn("{n:,} election", "{n:,} elections", n),
    "count": lambda n: tn("{n:,} count", "{n:,} counts", n),
}
"""The nouns faces count, each in every language's plural forms (`counted`)."""


def number(n: int | None) -> str:
    """1,633 (1.633 in Spanish: `tally.lang.number`); "unknown" for what the header does not give."""
    return t("unknown") if n is None else grouped(n)


def percent(x: float) -> str:
    """A percentage of one decimal as the language writes it: '35.4 %', '35,4 %' (both put the sign
    after a space)."""
    return f"{decimal(x)} %"


def share(part: int, whole: int | None) -> str:
    """A share of a whole, one decimal: '35.4 %'; '–' of nothing."""
    return percent(100 * part / whole) if whole else "–"


def share_words(share_text: str) -> str:
    """'35.4 % of valid votes'."""
    return t("{share} of valid votes", share=share_text)


YES_NO_NAMES = {"yes": N_("YES"), "no": N_("NO")}
"""The two choices of a yes/no ballot as every face names them, in the reader's language."""


def yes_no_name(choice: str) -> str:
    """'YES' / 'NO' ('SÍ' / 'NO' in Spanish) of a yes/no ballot's choice."""
    return t(YES_NO_NAMES[choice]) if choice in YES_NO_NAMES else choice.upper()


def choice_name(snap: Snapshot, i: int) -> str:
    """YES / NO on a yes/no ballot, the choice's own name otherwise."""
    choice = snap.choices[i]
    return yes_no_name(choice) if snap.election.yes_no else choice


def call(snap: Snapshot | None) -> str:
    """The banner's headline state: too early, no majority possible, decided, or pending."""
    if snap is None:
        return EARLY
    out = snap.outcome
    if out.decided:
        return DECIDED
    if out.outcome == "pending":
        return PENDING
    # Nobody can win outright, but which two go to the runoff (or whether it is a
    # rerun) is still open: more than "too early", less than decided.
    return EARLY if out.majority_possible else NO_MAJORITY


def state(snap: Snapshot) -> str:
    """The count's state, one of STATES."""
    if snap.outcome.outcome == "pending":
        return STATE_PENDING
    if snap.outcome.decided:
        return FINAL if snap.closed else STATE_DECIDED
    return COUNTING


def settled(snap: Snapshot) -> bool:
    """Nothing left can move the chances: decided, or no ballot left unopened.

    Only then is a chance of 0 or 1 a certainty rather than a rounding.
    """
    return snap.outcome.decided or snap.remaining == 0


def decided_line(snap: Snapshot) -> str:
    """The line under a decided outcome: why it cannot change, and from which ballot.

    "The remaining ballots cannot change it" only while some remain: once every
    ballot is called (or the count is closed) there are none to speak of.
    """
    done = snap.closed or snap.remaining == 0
    if snap.decided_at:
        n = number(snap.decided_at)
        return (t("decided at ballot {n}", n=n) if done
                else t("the remaining ballots cannot change it · decided at ballot {n}", n=n))
    if snap.closed:
        return face_words("closed")
    if done:
        return t("every ballot has been called")
    return t("the remaining ballots cannot change it")


def banner(snap: Snapshot | None) -> tuple[str, str]:
    """The headline and the line under it."""
    if snap is None:
        return t(WAITING), t(NOTHING_YET)
    kind = call(snap)
    said = t(kind)
    if kind == DECIDED:
        return f"{said} — {outcome_words(snap)}", decided_line(snap)
    if kind == PENDING:
        headline = t("{call} — outcome pending", call=said)
        if snap.outcome.majority_possible:
            return headline, t("{n} challenged ballots can change the result", n=number(snap.challenged))
        return headline, t("{n} challenged ballots can change the result: {certain}",
                           n=number(snap.challenged), certain=certain_words(snap.outcome.possible))
    if kind == NO_MAJORITY:
        if snap.challenged:
            why = t("no choice can reach a majority; the {remaining} unopened and {challenged} challenged "
                    "ballots decide which", remaining=number(snap.remaining), challenged=number(snap.challenged))
        else:
            why = t("no choice can reach a majority; the {remaining} unopened ballots decide which",
                    remaining=number(snap.remaining))
        return f"{said} — {certain_words(snap.outcome.possible)}", why
    return said, early_words(snap)


def early_words(snap: Snapshot) -> str:
    """Before a call: what the leader still needs to make it certain."""
    if snap.remaining is None or snap.remaining == 0:
        return text(snap.outcome.reason)
    if snap.election.rule == DEAUTHORIZATION:
        yes, line = snap.votes[0], snap.majority_line
        return t("{yes_name} has {yes} of the {line} it needs (a majority of the {eligible} eligible voters); "
                 "{remaining} unopened", yes_name=yes_no_name("yes"), yes=number(yes), line=number(line),
                 eligible=number(snap.election.eligible), remaining=number(snap.remaining))
    if snap.leader is None:
        return text(snap.outcome.reason)
    i = snap.leader
    needed = snap.needed(i)
    if needed > snap.remaining:
        return t("{name} leads by {margin}; the {remaining} unopened ballots cannot settle it alone: "
                 "the {challenged} challenged ballots may decide", name=choice_name(snap, i),
                 margin=number(snap.margin), remaining=number(snap.remaining), challenged=number(snap.challenged))
    return t("{name} leads by {margin} and needs {needed} of the {remaining} unopened ballots to make it certain",
             name=choice_name(snap, i), margin=number(snap.margin), needed=number(needed),
             remaining=number(snap.remaining))


# -- the heading ----------------------------------------------------------------------

RECONSTRUCTED = "(ballot order reconstructed)"  # a title's own words (data): never translated
"""The bundled replays say so in their titles; a face shows it as its own mark, never cut off."""


def split_title(title: str) -> tuple[str, str]:
    """The title without the reconstruction disclaimer, and the disclaimer's mark ('' if none)."""
    if title.rstrip().endswith(RECONSTRUCTED):
        return title.rstrip()[: -len(RECONSTRUCTED)].rstrip(" ,–—-"), t("⚠ ballot order reconstructed")
    return title, ""


def place_words(snap: Snapshot) -> str:
    """Who is on the ballot (the union of a yes/no ballot, else the choices), where, which office."""
    e = snap.election
    union = e.union if e.yes_no and e.union else " / ".join(e.choices)
    return " · ".join(p for p in (union, e.location, e.office) if p)


def union_words(snap: Snapshot) -> str:
    """The union(s) the count is about, for a room: 'Amazon Labor Union', or the choices."""
    e = snap.election
    return e.union if e.yes_no and e.union else " / ".join(e.choices)


# -- the figures ----------------------------------------------------------------------

def lead_words(snap: Snapshot) -> str:
    """Who leads and by how much."""
    if snap.valid == 0:
        return t("no votes yet")
    if snap.leader is None:
        return t("tied at {n}", n=number(max(snap.votes)))
    return t("{name} leads by {margin}", name=choice_name(snap, snap.leader), margin=number(snap.margin))


def margin_words(snap: Snapshot) -> str:
    """'NO leads by 29 (29.3 % of valid votes)'."""
    if snap.valid == 0 or snap.leader is None:
        return lead_words(snap)
    return f"{lead_words(snap)} ({share_words(share(snap.margin, snap.valid))})"


def lead_short(snap: Snapshot) -> str:
    """The lead in a board cell: 'NO +241', 'tied', '—'; a long name is cut by the face."""
    return lead_short_of(snap.valid, None if snap.leader is None else choice_name(snap, snap.leader),
                         snap.margin)


def lead_short_of(valid: int, leader: str | None, margin: int) -> str:
    """`lead_short` from a row's figures (a summary row sent by a hub that has no model yet)."""
    if valid == 0:
        return "—"
    if leader is None:
        return t("tied")
    return f"{leader} +{grouped(margin)}"


def remaining_words(snap: Snapshot) -> str:
    """Ballots still unopened, or unknown, and how many were handled."""
    handled = number(snap.handled)
    if snap.closed:
        return t("none: the count is closed · {handled} handled", handled=handled)
    if snap.remaining is None:
        return t("unknown (total cast not given) · {handled} handled", handled=handled)
    total = snap.election.ballots
    if total is None:
        return t("{remaining} unopened · {handled} handled", remaining=number(snap.remaining), handled=handled)
    return t("{remaining} unopened of {total} · {handled} handled", remaining=number(snap.remaining),
             total=number(total), handled=handled)


def piles_words(snap: Snapshot) -> str:
    return t("Void: {void} · Challenged: {challenged} (set aside, unopened)", void=number(snap.void),
             challenged=number(snap.challenged))


def turnout_words(snap: Snapshot) -> str:
    """Ballots cast against eligible voters; once closed, the ballots actually handled."""
    cast = snap.handled if snap.closed or snap.election.ballots is None else snap.election.ballots
    eligible = snap.election.eligible
    if eligible is None:
        return t("{cast} ballots (eligible voters not given)", cast=number(cast))
    return t("{cast} of ≈{eligible} eligible ({share})", cast=number(cast), eligible=number(eligible),
             share=share(cast, eligible))


def needs_words(snap: Snapshot, i: int) -> str:
    """What choice i still needs for a certain result, and from which ballots.

    `Snapshot.needed` counts every challenged ballot against the choice, so a
    need beyond the unopened ballots can still be met by challenged ballots
    that are opened for it; beyond both, it is out of reach. A closed count
    has nothing unopened: only the challenged ballots are left.
    """
    needed = snap.needed(i)
    if needed is None:
        return t("needs unknown (total cast not given)")
    if needed == 0:
        return t("has it")
    remaining, challenged = snap.remaining or 0, snap.challenged
    if needed <= remaining:
        return t("needs {needed} of {remaining} unopened ({share})", needed=number(needed),
                 remaining=number(remaining), share=share(needed, remaining))
    if needed <= remaining + challenged:
        if remaining:
            return t("needs {needed} of the {remaining} unopened and {challenged} challenged, if opened",
                     needed=number(needed), remaining=number(remaining), challenged=number(challenged))
        return t("needs {needed} of the {challenged} challenged, if opened", needed=number(needed),
                 challenged=number(challenged))
    return t("needs {needed}, more than are left: out of reach", needed=number(needed))


def scale(snap: Snapshot) -> tuple[int, float]:
    """The bars' full width and the majority line on it, in votes.

    The full width is every vote still possible (valid + challenged +
    unopened) and the line half of it: a bar past it has clinched. In a
    deauthorization poll the line is a majority of the eligible voters.
    """
    width = snap.at_stake if snap.at_stake is not None else snap.valid_plus_challenged
    if snap.election.rule == DEAUTHORIZATION:
        line = snap.majority_line
        return max(width, 2 * line), line
    half = width / 2
    return width, int(half) if half.is_integer() else half


# -- the needle -----------------------------------------------------------------------

def chance_text(p: float, certain: bool) -> str:
    """A probability as every face writes it: never "100 %" or "0 %" for what is not `certain`.

    A model's 1.0 before the count decides it is a rounding, not a certainty
    (306–492 with 201 unopened is 99.99…%, and says "> 99.9 %"), and a 0.0 is
    a chance too small to print. One decimal in between. `certain`: the
    count is `settled`, so each outcome's chance is exactly 0 or 1.
    """
    if p <= 0 or p < 0.001:
        return "0 %" if certain and p <= 0 else f"< {percent(0.1)}"
    if p >= 1 or p > 0.999:
        return "100 %" if certain and p >= 1 else f"> {percent(99.9)}"
    return percent(100 * p)


def outcome_label(snap: Snapshot, key: str) -> str:
    """One outcome of the needle in words: union wins, no union, challenges decide, X wins, runoff …"""
    if key == "pending":
        return t("challenges decide")
    if snap.election.yes_no and snap.election.rule == DEAUTHORIZATION:
        return t(POLL_OUTCOMES[key]) if key in POLL_OUTCOMES else key
    if snap.election.yes_no:
        return t(YES_NO_OUTCOMES[key]) if key in YES_NO_OUTCOMES else key
    if key in snap.choices:
        return t("{choice} wins", choice=key)
    return t(OUTCOME_NAMES.get(key, key.replace("_", " ")))


OUTCOME_NAMES = {"runoff": N_("runoff"), "rerun": N_("rerun"), "no_majority": N_("no majority")}
YES_NO_OUTCOMES = {"yes": N_("union wins"), "no": N_("no union")}
POLL_OUTCOMES = {"yes": N_("deauthorization carries"), "no": N_("deauthorization fails")}
"""The needle's outcomes that are no choice's, as a reader says them."""


def outcome_role(snap: Snapshot, key: str) -> str:
    """The colour role of an outcome: 'yes'/'no', 'c0'…'c11' for a choice, 'pending' or 'other'.

    'pending' (challenges decide) and 'other' (runoff, rerun, no majority) are
    colours no choice has, so an outcome is never read as a choice's.
    """
    if key == "pending":
        return "pending"
    if snap.election.yes_no:
        return {"yes": "yes", "no": "no"}.get(key, "other")
    if key in snap.choices:
        return f"c{snap.choices.index(key)}"
    return "other"


@dataclass(frozen=True, slots=True)
class Chance:
    key: str
    label: str
    text: str
    p: float
    role: str

    @property
    def words(self) -> str:
        return f"{self.label} {self.text}"


def chances(snap: Snapshot, odds: Odds) -> tuple[Chance, ...]:
    """The needle's outcomes, likeliest first: every choice and the runoff always, rarer ones when possible."""
    certain = settled(snap)
    shown = [(k, p) for k, p in odds.outcomes.items()
             if p > 0 or k in snap.choices or k in ("yes", "no", "pending", "runoff")]
    rows = [Chance(k, outcome_label(snap, k), chance_text(p, certain), p, outcome_role(snap, k))
            for k, p in shown]
    return tuple(sorted(rows, key=lambda c: -c.p))


def range_words(snap: Snapshot, ranges: dict[str, tuple[int, int]]) -> str:
    """'YES will finish between 372 and 391 (80 %) · NO between 600 and 618'."""
    return " · ".join(range_parts(snap, ranges))


def range_parts(snap: Snapshot, ranges: dict[str, tuple[int, int]]) -> tuple[str, ...]:
    """Each side's likely finish, a phrase each (a face may set them on lines of their own)."""
    parts: list[str] = []
    for i, choice in enumerate(snap.choices):
        if choice not in ranges:
            continue
        low, high = ranges[choice]
        name = choice_name(snap, i)
        if low == high:
            words = t("{name} finishes with {n:,}", name=name, n=low)
        elif not parts:
            words = t("{name} will finish between {low:,} and {high:,} (80 %)", name=name, low=low, high=high)
        else:
            words = t("{name} between {low:,} and {high:,}", name=name, low=low, high=high)
        parts.append(words)
    return tuple(parts)


# -- the link ---------------------------------------------------------------------------

LINK_MARKS = {
    "loading": N_("… LOADING"),
    "counting": N_("▶ COUNTING"),
    "paused": N_("❚❚ PAUSED"),
    "break": N_("◷ BREAK"),
    "ended": N_("■ END OF RECORDING"),
    "live": N_("● LIVE"),
    "reconnecting": N_("↻ RECONNECTING"),
    "waiting": N_("◌ WAITING"),
    "offline": N_("○ OFFLINE"),
    "conflict": N_("✖ HUB CONFLICT"),
    "final": N_("■ FINAL"),
}
LIVE_STATES = ("live", "reconnecting", "waiting")


def link_state(link: str, snap: Snapshot | None) -> str:
    """The state a face shows: a closed count followed live is FINAL, whatever the link does.

    A closed count cannot change, so "LIVE" (or "RECONNECTING") would only
    suggest that more is coming.
    """
    if snap is not None and snap.closed and link in LIVE_STATES:
        return "final"
    return link


def speed_words(speed: float) -> str:
    """2,000× rather than 2e+03×; 0.25× and 1.5× keep their decimals."""
    return t("{x:,.0f}×", x=speed) if speed >= 10 else t("{x:.3g}×", x=speed)


def feed_mark(state: str, speed: float | None = None, waiting: int = 0) -> str:
    """The link's mark as the header shows it: '▶ COUNTING 100×', '○ OFFLINE · 7 to send'.

    The entries still to send belong in the mark, not in the detail after it:
    a narrow header cuts the detail, and a counter must always see how many
    of their entries the hub does not have yet.
    """
    mark = t(LINK_MARKS[state]) if state in LINK_MARKS else state.upper()
    if speed and state in ("counting", "break", "paused"):
        mark += f" {speed_words(speed)}"
    if waiting > 0:
        mark += " · " + t("{n:,} to send", n=waiting)
    return mark


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return t(AGO[0], n=seconds)
    if seconds < 90 * 60:
        return t(AGO[1], n=round(seconds / 60))
    return t(AGO[2], n=seconds // 3600, mm=str(seconds % 3600 // 60).zfill(2))


AGO = (N_("{n} s ago"), N_("{n} min ago"), N_("{n} h {mm} min ago"))
LAST_UPDATE = N_("⚠ last update {ago}")


def stale_words(seconds: float | None) -> str:
    """'⚠ last update 40 s ago' while a link is down; '' while it is up."""
    return "" if seconds is None else t(LAST_UPDATE, ago=ago(seconds))


# -- what a page says of its own link ---------------------------------------------
# A page hears that its WebSocket dropped, or that its hub no longer has the count,
# exactly when no model can reach it: so each model carries, ahead of time, the words
# for every state the page's own link can be in. The page fills in numbers only.

PAGE_LINKS = ("live", "reconnecting", "offline")
"""The states of a page's own link: connected, its WebSocket dropped (it retries by itself),
or connected to a hub that no longer has the count (a hub restarted without it)."""
ATTEMPT_WORDS = N_("attempt {n}")
STALE_STEPS = ((90, 1, "⚠ last update {n} s ago"), (90 * 60, 60, "⚠ last update {n} min ago"),
               (None, 3600, "⚠ last update {n} h {mm} min ago"))


def stale_steps() -> tuple[tuple[int | None, int, str], ...]:
    """STALE_STEPS in the current language: `LAST_UPDATE` of each `AGO`, its braces left for the page."""
    return tuple((below, per, t(LAST_UPDATE, ago=t(words)))
                 for (below, per, _), words in zip(STALE_STEPS, AGO))
"""`stale_words` as data for a page that counts the seconds itself: (below this many seconds,
divided by, words). Minutes round half to even as Python's `round` does; hours and their
minutes are whole (`ago`). tests/test_cross_face.py checks the page against `stale_words`."""


@dataclass(frozen=True, slots=True)
class PageLink:
    """What a page shows of its own link: each state's (state shown, mark), by the one rule (`link_state`)."""

    marks: dict[str, tuple[str, str]]
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # the same, of no one count (a board)
    attempt: str = ATTEMPT_WORDS
    stale: tuple[tuple[int | None, int, str], ...] = STALE_STEPS


def page_link(snap: Snapshot | None) -> PageLink:
    """The page's link words for this count: a closed one says FINAL live or reconnecting, as every face.

    Offline is not one of `LIVE_STATES`: a hub that no longer has the count
    is said, closed or not, as `tally watch` says it. A closed count's
    numbers never go stale (nothing more can come), so its page is given no
    stale words (`stale_shown`).
    """
    closed = snap is not None and snap.closed
    return _page_link(tuple(link_state(link, snap) for link in PAGE_LINKS), stale_shown(closed), current())


def stale_shown(closed: bool) -> bool:
    """Whether a face says how old its numbers are while out of touch: only for a count still open.

    A closed count cannot change: "⚠ last update 40 s ago" (and dimmed
    numbers) beside its final figures would suggest something might be missing.
    """
    return not closed


@functools.cache
def _page_link(shown: tuple[str, ...], stale: bool, lang: str) -> PageLink:
    # a page's link words take few values (open or closed, per language): each PageLink is made once
    return PageLink({link: (state_, feed_mark(state_)) for link, state_ in zip(PAGE_LINKS, shown)},
                    {link: (link, feed_mark(link)) for link in PAGE_LINKS},
                    attempt=t(ATTEMPT_WORDS), stale=stale_steps() if stale else ())


# -- a count that serves its own page (tally count --serve) -------------------------
# The counter reads these on the count screen and at start; a watcher reads the QR's caption
# over the counter's shoulder. The address itself is data (feeds/serving.py makes it).

EVERY_INTERFACE_WORDS = N_("listening on every network interface: anyone on its networks can watch")


def serving_words(page: str, everywhere: bool, key: str = "w") -> tuple[str, ...]:
    """The count screen's lines about the page it serves: its address and the key for its QR code
    (⇧W when a choice has w: "Workers United"), and, when bound to every interface, first, that the
    count is open to the networks, not to this computer alone (a line of its own: at 80 columns
    neither may cut the other off)."""
    words = t("watch live: {page} · {key} QR code", page=page, key=key)
    return (f"⚠ {t(EVERY_INTERFACE_WORDS)}", words) if everywhere else (words,)


def serving_start_words(page: str, everywhere: bool) -> str:
    """What `tally count --serve` prints as it starts (and leaves in the terminal after it quits)."""
    words = t("the count's page is {page}", page=page)
    return f"{words} ({t(EVERY_INTERFACE_WORDS)})" if everywhere else words


def serving_stopped_words(why: str) -> str:
    """The hub in the count's own process stopped (its disk, its store): the count itself goes on."""
    return t("the page stopped ({why}): the count goes on here, journaled", why=why)


def qr_caption(page: str) -> str:
    """Under the QR code: what a phone's camera gets, said for the person holding it."""
    return t("Scan with a phone's camera to watch the count live: {page}", page=page)


# -- freshness: the last call, the pace, the trend ---------------------------------

def duration(minutes: float) -> str:
    if minutes < 1:
        return "< 1 min"
    if minutes < 90:
        return f"~{round(minutes)} min"
    return f"~{int(minutes // 60)} h {round(minutes % 60):02d} min"  # units every language here writes alike


def clock_time(at: datetime, local: bool) -> str:
    """A stamp as the time of day: the count's own clock for a recording, the viewer's when live.

    The one place a stamp is moved to another offset for display. The format
    keeps `at` centuries inside datetime's range (tally.schema.EARLIEST and
    LATEST), so no offset can carry it past year 9999 or before year 1; a C
    library that cannot place the instant in the viewer's zone (localtime
    fails) gets the count's own clock, never a stopped screen.
    """
    if local:
        try:
            at = at.astimezone()
        except (OverflowError, OSError, ValueError):
            pass
    return at.strftime("%H:%M:%S")


def pace_words(pace: Pace, snap: Snapshot) -> str:
    """'12.5/min · ~16 min to go', or that the pace is not known yet."""
    if pace.per_minute is None:
        return t("pace not known yet")
    words = f"{decimal(pace.per_minute)}/min"
    left = pace.minutes_left(snap.remaining)
    return f"{words} · " + t("{left} to go", left=duration(left)) if left is not None else words


def trend_words(pace: Pace | None, snap: Snapshot) -> str:
    """'ballots #901–1,000: YES 41 %, overall 38 %' for YES (or the leader of a multi-choice count).

    The trend covers the ballots since the newest sample at least TREND_BALLOTS
    back; samples are taken per run of events (a pile, a replay's flood), so
    that stretch may be 101 or 130 ballots long. It is named by its ballot
    numbers, as the calls are, never as "the last 101 ballots".
    """
    if pace is None or not pace.recent or not snap.valid:
        return t("recent trend: not yet (fewer than {n} ballots)", n=TREND_BALLOTS)
    i = 0 if snap.election.yes_no else (snap.leader if snap.leader is not None else 0)
    stretch = t("ballots #{first:,}–{last:,}", first=snap.handled - pace.recent + 1, last=snap.handled)
    recent_valid = sum(pace.recent_votes)
    if not recent_valid:
        return t("{stretch}: no valid votes", stretch=stretch)
    recent = 100 * pace.recent_votes[i] / recent_valid
    overall = 100 * snap.votes[i] / snap.valid
    return t("{stretch}: {name} {recent:.0f} %, overall {overall:.0f} %", stretch=stretch,
             name=choice_name(snap, i), recent=recent, overall=overall)


def freshness_words(snap: Snapshot, pace: Pace | None, stale_seconds: float | None,
                    local_times: bool) -> str:
    """How fresh the numbers are: how old while out of touch, the last call's time, the pace."""
    parts = [stale_words(stale_seconds)] if stale_seconds is not None else []
    if pace is not None and pace.last_at is not None:
        parts.append(t("last call {time}", time=clock_time(pace.last_at, local_times)))
    if pace is not None and not snap.closed:
        parts.append(pace_words(pace, snap))
    return " · ".join(parts) or t(NO_CALLS)


# -- the charts' captions ------------------------------------------------------------

def lead_sign(margin: int) -> str:
    """A yes − no margin as the chart says it: 'NO +241', 'YES +1', 'tied'."""
    if margin == 0:
        return t("tied")
    return f"{yes_no_name('yes')} +{grouped(margin)}" if margin > 0 else f"{yes_no_name('no')} +{grouped(-margin)}"


def margin_chart_words(snap: Snapshot, margin_range: tuple[int, int]) -> tuple[str, str]:
    """The margin chart's caption, wide and narrow: its range through the count, which way is up."""
    if not snap.election.yes_no:
        return t("Share of valid votes through the count:"), t("Share of valid votes:")
    low, high = margin_range
    span = t("{low} to {high}", low=lead_sign(low), high=lead_sign(high)) if low != high else lead_sign(low)
    return (t("Margin through the count: {span} (up: {yes} leads)", span=span, yes=yes_no_name("yes")),
            t("Margin {span}", span=span))


def chance_chart_words(now: str | None) -> tuple[str, str]:
    """The chart of the union's chance, wide and narrow; `now`: the union's chance on screen."""
    if now is None:
        return t("The union's chance through the count (┄ 50 %)"), t("Union's chance")
    return (t("The union's chance through the count: {now} now (┄ 50 %)", now=now),
            t("Union's chance: {now} now", now=now))


def chance_chart_tight(now: str | None) -> str:
    """The chance chart's caption where even the narrow one is cut: "Union's chance: > 99.9 %".

    An 80-column dashboard gives the chart 26 cells: "Union's chance: 27.5 % n…"
    lost its last word, and with "> 99.9 %" more. The figure is what a reader
    looks for, so "now" gives way, never the chance.
    """
    return t("Union's chance") if now is None else t("Union's chance: {now}", now=now)


# -- the calls ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallLine:
    """One line of the last calls: its ballot number ('#21', '#21–45', '' for a note) and its words."""

    label: str
    text: str
    kind: str


def call_lines(lines: Iterable[TickerLine], most: int) -> tuple[CallLine, ...]:
    """The newest `most` lines, newest first, numbered by ballot, never by seq."""
    newest = list(lines)[-most:] if most > 0 else []
    lang = current()  # (once: the page shows 50 lines; Words made in this language are said as they are)
    return tuple(CallLine(ballot_label(line), line.text.again() if line.text.__class__ is Words
                          and line.text.made_in != lang else line.text, line.kind) for line in reversed(newest))


def last_call_words(calls: Sequence[CallLine]) -> str:
    """The newest call with its ballot number, for a room: 'last call #1,000: YES'.

    A note, an error or the count's opening is not a call: the newest line
    that numbers ballots is.
    """
    call = next((c for c in calls if c.label), None)
    return t("last call {label}: {call}", label=call.label, call=call.text) if call is not None else t(NO_CALLS)


# -- the model ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChoiceLine:
    key: str
    name: str
    votes: int
    votes_text: str
    share_text: str
    needs: str
    leading: bool
    role: str
    share_words: str = ""


@dataclass(frozen=True, slots=True)
class Presentation:
    """Everything a face shows of one count at one moment, already in words."""

    id: str
    title: str
    union: str | None
    state: str
    state_words: str
    link: str
    link_mark: str
    stale: str
    headline: str
    subline: str
    call: str
    choices: tuple[ChoiceLine, ...]
    lead: str
    lead_short: str
    margin: str
    remaining: str
    piles: str
    turnout: str
    scale: int
    line: float
    chances: tuple[Chance, ...] | None
    chance_method: str
    no_chance: str
    likeliest: str
    ranges: str
    calls: tuple[CallLine, ...] = field(default=())
    heading: str = ""  # the title without the reconstruction disclaimer …
    reconstructed: str = ""  # … which is its own mark, never cut off
    place: str = ""
    union_words: str = ""
    range_parts: tuple[str, ...] = ()
    freshness: str = ""
    trend: str = ""
    margin_chart: tuple[str, str] = ("", "")  # wide, narrow
    chance_chart: tuple[str, str] = ("", "")  # wide, narrow
    last_call: str = ""
    verification: str = ""  # `verification_line`: other counters and the Board's figures
    verification_role: str = ""  # VERIFIED, DIFFERS or UNVERIFIED (its colour)
    page_link: PageLink | None = None  # the page's own link, in words (`page_link`)
    chance_chart_tight: str = ""  # the chance chart's caption where its narrow one is cut
    verification_marks: dict[str, str] = field(default_factory=lambda: verification_marks())
    """`verification_role` → its mark in a word or two (`VERIFICATION_SHORT`), for the stream overlay."""

    def as_json(self) -> dict[str, Any]:
        """The model as the hub sends it to the page: plain JSON, every string final (`plain`)."""
        return plain(self)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def plain(value: Any) -> Any:
    """`dataclasses.asdict` for the model's own values: dataclasses become dicts, tuples stay tuples.

    The model holds only strings, numbers, None, tuples and its own frozen
    dataclasses, so nothing needs the deep copy `asdict` makes of every leaf;
    this is a fifth of its cost, and the hub makes a model per row for every
    change of every election a board follows.
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if is_dataclass(value):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


def present(snap: Snapshot, odds: Odds | None | str, *, link: str = "live",
            stale_seconds: float | None = None, calls: Sequence[TickerLine] = (),
            most_calls: int = 12, speed: float | None = None, waiting: int = 0,
            pace: Pace | None = None, local_times: bool = False,
            margin_range: tuple[int, int] = (0, 0), checks: Sequence[CheckResult] = (),
            ours: str | None = None) -> Presentation:
    """The one presentation of `snap`.

    ``odds``: the needle for exactly this snapshot, None when there is none
    (the reason is said), or WORKING while it is being worked out. The rest
    describes the feed: its link state, the replay's `speed`, entries still
    `waiting` to be sent to a hub, how many seconds the numbers are stale,
    the `pace`, and the margin's range through the count (for the chart).
    ``checks``: how each check counter compares with this count (a hub's),
    and ``ours``, how the Board's figures name this count's (`verification_line`;
    OURS_COUNTER on the counter's own screen, OURS_WATCHED by default).
    Cheap (about 0.1 ms for a three-way count with 50 calls; tests/test_dash17_model.py):
    a face builds one per frame.
    """
    headline, subline = banner(snap)
    width, line = scale(snap)
    roles = ["yes", "no"] if snap.election.yes_no else [f"c{i}" for i in range(len(snap.choices))]
    choices = tuple(
        ChoiceLine(c, choice_name(snap, i), snap.votes[i], number(snap.votes[i]),
                   share(snap.votes[i], snap.valid), needs_words(snap, i), snap.leader == i, roles[i],
                   share_words(share(snap.votes[i], snap.valid)))
        for i, c in enumerate(snap.choices))
    shown_link = link_state(link, snap)
    rows: tuple[Chance, ...] | None = None
    method = no_chance = ranges = ""
    parts: tuple[str, ...] = ()
    if odds == WORKING:
        no_chance = t(WORKING)
    elif odds is None:
        from tally.odds import no_odds_reason  # the reason, only when there is no needle
        reason = no_odds_reason(snap)
        no_chance = t(reason) if reason else t("no chance is given for this count")
    else:
        rows = chances(snap, odds)
        method = t("exact") if odds.method == "exact" else t("approximate, simulated")
        parts = range_parts(snap, odds.ranges)
        ranges = " · ".join(parts)
    st = state(snap)
    heading, reconstructed = split_title(snap.election.title)
    union_now = next((c.text for c in rows or () if c.key == "yes"), None)
    shown_calls = call_lines(calls, most_calls)
    return Presentation(
        id=snap.election.id, title=snap.election.title, union=snap.election.union,
        state=st, state_words=t(STATE_WORDS[st]), link=shown_link,
        link_mark=feed_mark(shown_link, speed, waiting), stale=stale_words(stale_seconds),
        headline=headline, subline=subline, call=call(snap), choices=choices,
        lead=lead_words(snap), lead_short=lead_short(snap), margin=margin_words(snap),
        remaining=remaining_words(snap), piles=piles_words(snap), turnout=turnout_words(snap),
        scale=width, line=line, chances=rows, chance_method=method, no_chance=no_chance,
        likeliest=likeliest(snap, rows, no_chance), ranges=ranges,
        calls=shown_calls, last_call=last_call_words(shown_calls),
        heading=heading, reconstructed=reconstructed, place=place_words(snap),
        union_words=union_words(snap), range_parts=parts,
        freshness=freshness_words(snap, pace, stale_seconds, local_times), trend=trend_words(pace, snap),
        margin_chart=margin_chart_words(snap, margin_range), chance_chart=chance_chart_words(union_now),
        verification=verification_line(snap, checks, ours or OURS_WATCHED), verification_role=verification_role(snap, checks),
        page_link=page_link(snap), chance_chart_tight=chance_chart_tight(union_now))


# -- verification: the other counters, and the Board's own figures --------------------

VERIFIED, DIFFERS, UNVERIFIED = "verified", "differs", "unverified"
"""`verification_role`: checked and agreeing, a disagreement standing, or nothing to check against."""
OURS_COUNTER, OURS_WATCHED = N_("you"), N_("count")
"""How the Board's figures name this count's: on the counter's own screen, and everywhere else
(translated where said: `checkpoint_differences`)."""
ONE_COUNTER = N_("unverified: one counter")
ONE_COUNTER_BESIDE_THE_BOARD = N_("one counter")
"""The counters' part when the Board's own figures are beside it: the count is checked by the
Board (or found to differ from it), so "unverified" would say the opposite of the next words."""


def figures_words(snap: Snapshot, totals: Sequence[int], slots: Iterable[int]) -> str:
    """'YES 200 NO 213 void 1': the figures of `totals` (slot order: choices, void, challenged) at `slots`."""
    return " ".join(f"{slot_name(snap, i)} {number(totals[i])}" for i in slots)


SLOT_NAMES = (N_("void"), N_("challenged"))


def slot_name(snap: Snapshot, i: int) -> str:
    """A slot's name: a choice's (`choice_name`), then "void", then "challenged"."""
    k = len(snap.choices)
    return choice_name(snap, i) if i < k else t(SLOT_NAMES[i - k])


def compared_slots(snap: Snapshot, *totals: Sequence[int]) -> tuple[int, ...]:
    """Every choice, and void and challenged where any of `totals` has some: what two counts are told by."""
    k = len(snap.choices)
    return (*range(k), *(i for i in (k, k + 1) if any(t[i] for t in totals if len(t) > i)))


def checkpoint_differences(snap: Snapshot, checkpoint: Compared, ours: str = OURS_COUNTER) -> str:
    """'Board: YES 200 · you 201', each differing figure, joined by '; '."""
    return "; ".join(t("Board: {slot} {board} · {ours} {counted}", slot=slot_name(snap, i),
                       board=number(checkpoint.board[i]), ours=t(ours), counted=number(checkpoint.counted[i]))
                     for i in checkpoint.differs)


def checkpoint_name(snap: Snapshot, checkpoint: Compared) -> str:
    """"the Board's subtotal at ballot 500"; the last one of a closed count is its tally."""
    final = snap.closed and snap.checkpoints and snap.checkpoints[-1] is checkpoint
    if final:
        return t("the Board's tally at ballot {n}", n=number(checkpoint.ballot))
    return t("the Board's subtotal at ballot {n}", n=number(checkpoint.ballot))


def checkpoint_words(snap: Snapshot, checkpoint: Compared, ours: str = OURS_COUNTER) -> str:
    """One checkpoint's standing: it matches, its figures were accepted, or each difference."""
    name = checkpoint_name(snap, checkpoint)
    if checkpoint.agrees:
        return t("matches {name}", name=name)
    if checkpoint.adjusted_by is not None:
        return t("accepted {name} (entry {entry})", name=name, entry=checkpoint.adjusted_by)
    return t("✗ differs from {name} ({differences})", name=name,
             differences=checkpoint_differences(snap, checkpoint, ours))


def _standing_checkpoint(snap: Snapshot) -> Compared | None:
    """The checkpoint the line speaks of: the latest unresolved disagreement, else the latest."""
    unresolved = [c for c in snap.checkpoints if not c.resolved]
    return unresolved[-1] if unresolved else (snap.checkpoints[-1] if snap.checkpoints else None)


EARS_AGREE = {
    (False, True): N_("✓ the typed count and the heard count agree at ballot {at}"),
    (True, False): N_("✓ the heard count and the typed count agree at ballot {at}"),
}
EARS_DIFFER = {
    (False, True): N_("✗ the typed count and the heard count differ since ballot {since}"),
    (True, False): N_("✗ the heard count and the typed count differ since ballot {since}"),
}
"""The counters' part when one count was typed and the other heard (`tally listen`, issue 20):
main count first, as "main · check" is everywhere else."""


def ears_of(checks: Sequence[CheckResult]) -> tuple[bool, bool] | None:
    """(main heard, check heard) when the line may say how each count was made, else None.

    Only for one check counter: "the typed count and the heard count" names
    two counts; with more, "3 counters agree" says it, and which of them were
    heard is each counter's own business.
    """
    return (checks[0].main_heard, checks[0].check_heard) if len(checks) == 1 else None


def counters_words(snap: Snapshot, checks: Sequence[CheckResult]) -> str:
    """The counters' part of the line: all agree at the last ballot all reached, or the first difference.

    Of several checks that differ, the one that differs earliest is named: it
    is where to look first.
    """
    if not checks:
        return t(ONE_COUNTER)
    differ = sorted((c for c in checks if not c.agree), key=lambda c: (c.since, c.counter))
    ears = ears_of(checks)
    if not differ:
        at = min(c.at for c in checks)
        if ears in EARS_AGREE:
            return t(EARS_AGREE[ears], at=number(at))
        return t("✓ {n} counters agree at ballot {at}", n=len(checks) + 1, at=number(at))
    first = differ[0]
    if ears in EARS_DIFFER:
        words = t(EARS_DIFFER[ears], since=number(first.since))
    else:
        words = t("✗ counters differ since ballot {since}", since=number(first.since))
    if first.main and first.check:
        slots = compared_slots(snap, first.main, first.check)
        words += " " + t("(main {main} · check {counter} {check})", main=figures_words(snap, first.main, slots),
                         counter=first.counter, check=figures_words(snap, first.check, slots))
    return words


def verification_line(snap: Snapshot, checks: Sequence[CheckResult] = (),
                      ours: str = OURS_WATCHED) -> str:
    """The one line every face shows of how well the count is checked.

    "✓ 2 counters agree at ballot 812 · matches the Board's subtotal at
    ballot 500", "✗ counters differ since ballot 413 (main YES 200 NO 213 ·
    check b YES 199 NO 214)", "unverified: one counter". The Board's part
    speaks of the latest checkpoint that still disagrees (it stays until it
    is resolved by a correction or an adjustment), else of the latest one.
    """
    words = counters_words(snap, checks)
    checkpoint = _standing_checkpoint(snap)
    if checkpoint is not None:
        if not checks:
            words = t(ONE_COUNTER_BESIDE_THE_BOARD)
        words += " · " + checkpoint_words(snap, checkpoint, ours)
    return words


def counter_verification(snap: Snapshot, verification: str) -> str:
    """The model's verification line as the counter's own screen says it: the Board's figures
    against "you" (OURS_COUNTER) rather than "count".

    Made from the line the model already has, whatever checks went into it
    (the counter's part does not depend on who reads it): only the Board's
    part, which `verification_line` put last, is said again.
    """
    checkpoint = _standing_checkpoint(snap)
    if checkpoint is None:
        return verification
    watched = checkpoint_words(snap, checkpoint, OURS_WATCHED)
    if not verification.endswith(watched):
        return verification
    return verification[:len(verification) - len(watched)] + checkpoint_words(snap, checkpoint, OURS_COUNTER)


def standing_disagreement(snap: Snapshot) -> Compared | None:
    """The checkpoint a counter may settle by accepting the Board's figures: the latest that
    still disagrees (`_standing_checkpoint`), or None when every one agrees or was resolved."""
    checkpoint = _standing_checkpoint(snap)
    return checkpoint if checkpoint is not None and not checkpoint.resolved else None


def verification_role(snap: Snapshot, checks: Sequence[CheckResult] = ()) -> str:
    """DIFFERS while a check or a checkpoint disagrees; VERIFIED when something agrees; else UNVERIFIED."""
    checkpoint = _standing_checkpoint(snap)
    if any(not c.agree for c in checks) or (checkpoint is not None and not checkpoint.resolved):
        return DIFFERS
    return VERIFIED if checks or checkpoint is not None else UNVERIFIED


VERIFICATION_MARKS = {VERIFIED: "✓", DIFFERS: "✗", UNVERIFIED: " "}
"""A board row's one-cell mark of `verification_role`: a row has no room for the line itself,
and a count checked by nothing is left unmarked, so the marks that stand out are the ones that say something."""


VERIFICATION_SHORT = {VERIFIED: N_("✓ verified"), DIFFERS: N_("✗ counts differ"), UNVERIFIED: ""}
"""`verification_role`'s mark with a word, where `verification_line` has no room: a stream's lower
third. Carried in every model (`Presentation.verification_marks`), because the hub puts the role in
last (`tally.summary.with_checks`): the overlay looks the role up here and composes nothing. A count
checked by nothing says nothing, as a board row's blank mark (VERIFICATION_MARKS)."""


def verification_marks() -> dict[str, str]:
    """`VERIFICATION_SHORT` in the reader's language (a model carries them: made with it)."""
    return {role: t(words) if words else "" for role, words in VERIFICATION_SHORT.items()}


def likeliest(snap: Snapshot, rows: tuple[Chance, ...] | None, no_chance: str) -> str:
    """One phrase for a board cell: the likeliest outcome while counting, the result once called."""
    if state(snap) != COUNTING:
        return banner(snap)[0].split(" — ", 1)[-1]
    if not rows:
        return no_chance
    return rows[0].words


def odds_from_json(needle: dict[str, Any]) -> Odds:
    """The needle back from `tally.odds.odds_json` (as the hub's workers send it), for `present`."""
    return Odds(needle["method"], tuple(needle["prior"]), dict(needle["outcomes"]),
                {c: (int(r[0]), int(r[1])) for c, r in needle["ranges"].items()})


# -- the board's cells ----------------------------------------------------------------

WORKING_CELL = N_("working…")
"""WORKING in a board's narrow chance column."""
NO_CELL = "—"
"""A board cell with nothing to say: no chance once the count is called, no lead before a vote."""


def fit_words(words: str, tail: str, width: int) -> str:
    """`words` then `tail` in at most `width` cells; `tail` (a figure) is never cut.

    A cell too narrow for all of `words` keeps its first whole words ("UFCW
    Local 881 wins 54.2 %" → "UFCW Local 54.2 %"); too narrow for the first
    word, the initials of two or more words ("Teamsters Local 1 +5" → "TL1
    +5"); else `tail` alone (one letter of one word names nothing). A word is never cut in the middle: "RUNOF 93%"
    or "Tea +5" reads as another word or as nothing.
    """
    if len(words) + 1 + len(tail) <= width or not words:
        return f"{words} {tail}".strip()
    room = width - len(tail) - 1
    kept = ""
    for word in words.split():
        if len(f"{kept} {word}".strip()) > room:
            break
        kept = f"{kept} {word}".strip()
    if kept:
        return f"{kept} {tail}"
    initials = "".join(word[0] for word in words.split())
    return f"{initials} {tail}" if 1 < len(initials) <= room else tail


def lead_cell(lead: str, width: int) -> str:
    """A `lead_short` ('Teamsters Local 1 +5') in `width` cells: the name shortened, the margin whole."""
    name, plus, margin = lead.rpartition(" +")
    return fit_words(name, plus.strip() + margin, width) if plus else lead


def chance_cell(state_: str, chance: Chance | None, working: bool, width: int) -> str:
    """A board's chance cell: the likeliest outcome and its chance while counting, in `width` cells.

    The chance is the model's own text ("> 99.9 %", never "100%" before the
    count is decided); the outcome's label gives way to it (`fit_words`).
    Nothing once the count is called: its state says the rest.
    """
    if state_ != COUNTING:
        return NO_CELL
    if working:
        return t(WORKING_CELL)
    if chance is None:
        return NO_CELL
    return fit_words(chance.label, chance.text, width)


BOARD_FIELDS = ("state_words", "lead_short", "likeliest", "heading", "no_chance", "chances")
"""What a board row takes of the model (`board_fields`), under the model's own keys."""


def board_fields(model: Presentation) -> dict[str, Any]:
    """What a board row takes of the model, under the model's own keys (`Presentation.as_json`)."""
    return {"state_words": model.state_words, "lead_short": model.lead_short, "likeliest": model.likeliest,
            "heading": model.heading, "no_chance": model.no_chance,
            "chances": None if model.chances is None else [asdict(c) for c in model.chances]}


# -- the link preview card and its tags -------------------------------------------------
# A count's picture (1200×630 PNG, feeds/card.py) and the Open Graph / Twitter tags of its
# page: what a chat app shows when someone posts the link. Every word of both is here.

CARD_BRAND = "tally"  # a name: the same in every language
PREVIEW_SITE = N_("tally — a union election count")


def preview_site() -> str:
    """og:site_name, in the reader's language."""
    return t(PREVIEW_SITE)


@dataclass(frozen=True, slots=True)
class CardSide:
    """One choice on the card: its name, its votes in figures, its share, and its bar (votes of `scale`)."""

    name: str
    votes_text: str
    share_text: str
    votes: int
    role: str
    leading: bool


@dataclass(frozen=True, slots=True)
class CardWords:
    """Everything the card says, in the order it is laid out: title to footer."""

    title: str
    place: str
    headline: str
    subline: str
    sides: tuple[CardSide, ...]
    scale: int
    line: float
    margin: str
    chance: str
    remaining: str
    verification: str
    brand: str = CARD_BRAND

    @property
    def lines(self) -> tuple[str, ...]:
        """Every string on the card (what a test and the PNG's description check)."""
        sides = tuple(w for s in self.sides for w in (s.name, s.votes_text, s.share_text))
        return (self.title, self.place, self.headline, self.subline, *sides, self.margin, self.chance,
                self.remaining, self.verification, self.brand)


def chance_line(model: Presentation) -> str:
    """The needle in one line for the card: 'Chances: no union > 99.9 % · union wins < 0.1 %', or
    why there is none ('no chance once the count is decided' …), from the model's own words."""
    if not model.chances:
        return model.no_chance
    return t("Chances: {chances}", chances=" · ".join(c.words for c in model.chances[:3]))


def card_words(model: Presentation) -> CardWords:
    """The card of a model: its title (without the reconstruction mark, which goes in the place
    line), the call, each side with its bar, the margin, the needle, and how it is checked."""
    place = " · ".join(p for p in (model.reconstructed, model.place) if p)  # the mark is never cut off
    sides = tuple(CardSide(c.name, c.votes_text, c.share_text, c.votes, c.role, c.leading)
                  for c in model.choices)
    return CardWords(model.heading or model.title, place, model.headline, model.subline, sides,
                     model.scale, model.line, model.margin, chance_line(model), model.remaining,
                     model.verification)


def preview_title(snap: Snapshot) -> str:
    """The link preview's title (og:title): the count's title, then the call."""
    return f"{split_title(snap.election.title)[0]} — {call(snap)}"


def preview_description(snap: Snapshot) -> str:
    """The link preview's text (og:description): each side's votes and the lead, as it stands.

    Made from the snapshot alone (microseconds, on the hub's loop, for each
    page request): the needle is on the card, which is made elsewhere.
    """
    sides = " · ".join(f"{choice_name(snap, i)} {number(v)}" for i, v in enumerate(snap.votes))
    return f"{sides} — {lead_words(snap)} · {remaining_words(snap)}"


# -- the page's own words --------------------------------------------------------------
# The hub's page is plain files; the words around a count (headings, labels, what
# the bars and chances mean) are here with every other word a reader sees, and the
# hub puts them in the page in the reader's language (feeds/hub/web.py).

PAGE_WORDS = {
    "board_title": N_("tally — every count on this hub"),
    "board_heading": N_("Union election counts"),
    "connecting": N_("connecting …"),
    "live": LINK_MARKS["live"],
    "empty": N_("No counts on this hub yet. They appear here as soon as one starts."),
    "board_about": N_("Live from this tally hub. Bars run to every vote still possible; the line marks half "
                      "of them: a bar past it has won."),
    "chances_about": N_("Chances: the random-order model (how likely each outcome is if the unopened ballots "
                        "are in no particular order)."),
    "count_title": N_("tally — a count"),
    "every_count": N_("← every count"),
    "waiting": N_("Waiting for the count …"),
    "early": EARLY,
    "no_ballots": NO_BALLOTS,
    "votes": N_("votes"),
    "chances": N_("Chances"),
    "model_about": N_("The random-order model: how likely each outcome is if the unopened ballots are in no "
                      "particular order."),
    "last_calls": N_("Last calls"),
    "margin": N_("Margin"),
    "remaining": N_("Remaining"),
    "piles": N_("Piles"),
    "turnout": N_("Turnout"),
}
"""The words of the page's files by their place (`{{name}}` in feeds/hub/static/*.html)."""


def page_words() -> dict[str, str]:
    """PAGE_WORDS in the current language, and the language itself (``lang``, for ``<html lang>``)."""
    return {"lang": current(), **{name: t(words) for name, words in PAGE_WORDS.items()}}


# -- the terminal faces' own words ---------------------------------------------------------
# A widget puts a model's phrase after its label ("Margin: NO leads by 29"); the label is a
# word a reader reads, so it is here, in the reader's language, and the widget only places it.

FACE_WORDS = {
    "margin": N_("Margin: {value}"),
    "remaining": N_("Remaining: {value}"),
    "turnout": N_("Turnout: {value}"),
    "chance": N_("Chance: {value}"),
    "no_chance": N_("No chance given: {value}"),
    "chance_head": N_("Chance ({method}): "),
    "board_count": N_("count"),
    "board_bars": N_("bars"),
    "board_bars_wide": N_("bars (┃ majority)"),
    "board_votes": N_("votes"),
    "board_lead": N_("lead"),
    "board_left": N_("left"),
    "board_chance": N_("chance"),
    "board_state": N_("state"),
    "board_counts": N_("{counts}, {n} counting"),
    "no_counts": N_("no counts yet"),
    "following": N_("following the hub"),
    "closed": N_("the count is closed"),
    "connecting": N_("connecting …"),
    "not_yet_on_hub": N_("the count has not reached the hub yet"),
    "attempt": N_("attempt {n}"),
    "showing_seq": N_("showing seq {seq}"),
    "hub_sending": N_("the hub is sending its counts"),
    "pick": N_("Elections on {hub} — Enter watches one"),
    "pick_trouble": N_("Elections on {hub} — not answering: {trouble}"),
}
"""The words the terminal's widgets put around the model's, by name (`face_words`)."""


def face_words(name: str, **args: Any) -> str:
    """One of FACE_WORDS in the current language, its places filled."""
    return t(FACE_WORDS[name], **args)


def is_working(no_chance: str | None) -> bool:
    """Whether a model's (or a row's) `no_chance` says WORKING, in whichever language it was made."""
    return no_chance is not None and no_chance in (WORKING, t(WORKING))


# -- counting by ear (issue 20) --------------------------------------------------

def held_call_words(words: str, confidence: float, seconds: float, more: int) -> str:
    """A call `tally listen` is unsure of, held for the person: never counted until confirmed."""
    rest = f" (+{more} more held)" if more else ""
    return (f"held: heard {words!r} at {seconds:.1f} s, confidence {confidence:.2f}{rest} — "
            "enter counts it · / then a ballot key corrects it · backspace drops it")


def listening_words(seconds: float, counted: int, stopped: str | None) -> str:
    """The listening state under the dashboard: how much audio, how many calls heard, or why not."""
    if stopped:
        return f"listening stopped: {stopped} · keys go on"
    return f"listening: {seconds:,.0f} s of audio, {counted:,} calls heard and counted"


def made_words(heard: float | None) -> str:
    """How an entry was made, after "saved: entry 7": heard (and how sure), or typed."""
    return "typed" if heard is None else f"heard, confidence {heard:.2f}"


def dropped_words(words: str, confidence: float, seconds: float) -> str:
    """The note a dropped held call leaves in the journal."""
    return f"dropped: heard {words!r} at {seconds:.1f} s, confidence {confidence:.2f}"
