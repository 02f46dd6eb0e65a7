"""Reports of a count: an NLRB-style Tally of Ballots, and the same as JSON."""

from __future__ import annotations

from typing import Any

from tally.lang import t, text
from tally.lang import number as grouped
from tally.odds import DRAWS, no_odds_reason, odds_json
from tally.reducer import Adjusted, Compared, Snapshot
from tally.text import literal
from tally.rules import DEAUTHORIZATION


AGAINST_NAMES = frozenset({"neither", "none", "no union", "none of the above", "no representation"})


def is_against(choice: str) -> bool:
    """Whether a named choice is the vote against every union ("Neither", "None", "No union").

    Recognised by its name, whatever the case and spacing: the Board's ballots
    word it "Neither" (two unions) or "None" / "No union"; any other name is a union.
    """
    return " ".join(choice.lower().split()) in AGAINST_NAMES


def _deauthorization(snap: Snapshot) -> bool:
    return snap.election.rule == DEAUTHORIZATION


def choice_label(snap: Snapshot, i: int) -> str:
    """How the Tally of Ballots words the votes for choice i."""
    election = snap.election
    if _deauthorization(snap):
        return t("votes cast for deauthorization") if i == 0 else t("votes cast against deauthorization")
    if election.yes_no:
        union = election.union or t("the petitioner")
        return t("votes cast for {union}", union=union) if i == 0 else (
            t("votes cast against participating labor organization")
        )
    if is_against(election.choices[i]):
        unions = sum(not is_against(c) for c in election.choices)
        if unions > 1:
            return t("votes cast against participating labor organizations")
        return t("votes cast against participating labor organization")
    return t("votes cast for {union}", union=election.choices[i])


def result_line(snap: Snapshot) -> str:
    """The result in plain words, as a watcher would say it: `outcome_words` once the count has one."""
    out = snap.outcome
    if out.outcome == "pending":
        return t("challenges determinative: outcome pending")
    if out.outcome == "undecided":
        return t("undecided: {reason}", reason=text(out.reason))
    return outcome_words(snap)


def outcome_words(snap: Snapshot) -> str:
    """The outcome, as a person would say it: the one wording of every face (the dashboard's banner
    after "OUTCOME DECIDED —", the page, the board, the report's Result).

    The yes/no ballot keeps its own words (the union wins / no union); a poll
    to withdraw a union's authority says so; other ballots name the choices.
    The consequence comes first: it is what a watcher repeats.
    """
    out, election = snap.outcome, snap.election
    union = election.union or t("the union")
    if _deauthorization(snap):
        if out.outcome == "majority":
            if election.eligible is None:
                return t("deauthorized: a majority of the eligible voters withdrew {union}'s authority", union=union)
            return t("deauthorized: a majority of the {eligible:,} eligible voters withdrew {union}'s authority",
                     eligible=election.eligible, union=union)
        return t("not deauthorized: {union} keeps its authority", union=union)
    if election.yes_no:
        if out.outcome == "majority":
            return t("the union wins: majority for {union}", union=union)
        return t("no union: no majority for {union}", union=union)
    if out.outcome == "majority":
        if is_against(out.winner):
            return t("{winner} wins a majority: no union", winner=out.winner)
        return t("{winner} wins a majority", winner=out.winner)
    if out.outcome == "runoff":
        return t("runoff between {a} and {b}", a=out.runoff[0], b=out.runoff[1])
    if out.outcome == "rerun":
        return t("rerun: no runoff pair, the election is run again with all {n} choices", n=len(snap.choices))
    if out.outcome == "no_majority" and len(snap.choices) == 2:
        return t("no majority: a tie, nobody is certified")
    if out.outcome == "no_majority":
        return t("no runoff: certification of results (a 102.70(d) tie)")
    return text(out.reason)


def _majority_sentence(snap: Snapshot) -> str:
    out = snap.outcome
    if _deauthorization(snap):
        union = snap.election.union or t("the union")
        line, eligible = snap.majority_line, snap.election.eligible
        if out.outcome == "majority":
            return t("A majority of the eligible voters ({line:,} of {eligible:,}) has voted to withdraw the "
                     "authority of {union} (deauthorization).", line=line, eligible=eligible, union=union)
        if out.outcome == "no_majority":
            return t("A majority of the eligible voters ({line:,} of {eligible:,}) has not voted to withdraw the "
                     "authority of {union} (deauthorization).", line=line, eligible=eligible, union=union)
    elif snap.election.yes_no:
        union = snap.election.union or t("the petitioner")
        if out.outcome == "majority":
            return t("A majority of the valid votes counted plus challenged ballots has been cast for {union}.",
                     union=union)
        if out.outcome == "no_majority":
            return t("A majority of the valid votes counted plus challenged ballots has not been cast for {union}.",
                     union=union)
    elif out.outcome == "majority":
        if is_against(out.winner):
            return t("A majority of the valid votes counted plus challenged ballots has been cast against "
                     "participating labor organizations.")
        return t("A majority of the valid votes counted plus challenged ballots has been cast for {union}.",
                 union=out.winner)
    elif out.outcome in ("no_majority", "rerun"):
        return t("No choice has received such a majority: {reason}.", reason=text(out.reason))
    elif out.outcome == "runoff":
        return t("No choice has received such a majority: a runoff election between {a} and {b}.",
                 a=out.runoff[0], b=out.runoff[1])
    return t("Whether a majority has been cast cannot be said yet.")


def _rule_line(snap: Snapshot) -> str | None:
    """The rule a reader must know to read the tally, when it is not the usual one."""
    if not _deauthorization(snap):
        return None
    union = snap.election.union or t("the union")
    return t("Deauthorization poll (NLRA Section 9(e)(1)): yes withdraws {union}'s authority, "
             "and needs a majority of the eligible voters, not of the votes cast.", union=union)


def _challenge_sentence(snap: Snapshot) -> str:
    if snap.outcome.challenges_determinative:
        return t("Challenges are sufficient in number to affect the results of the election.")
    if snap.outcome.decided:
        return t("Challenges are not sufficient in number to affect the results of the election.")
    return t("Whether the challenges can affect the results cannot be said yet.")


def text_report(snap: Snapshot) -> str:
    """The count as an NLRB Tally of Ballots, plus the state of the count."""
    e = snap.election
    eligible = grouped(e.eligible) if e.eligible is not None else t("not given")
    rows: list[tuple[str, str]] = [(t("Approximate number of eligible voters"), eligible),
                                   (t("Number of void ballots"), grouped(snap.void))]
    rows += [(t("Number of {votes}", votes=choice_label(snap, i)), grouped(v)) for i, v in enumerate(snap.votes)]
    rows += [(t("Number of valid votes counted"), grouped(snap.valid)),
             (t("Number of challenged ballots"), grouped(snap.challenged)),
             (t("Number of valid votes counted plus challenged ballots"),
              grouped(snap.valid_plus_challenged))]
    width = max(len(label) for label, _ in rows) + 4
    lines = [t("TALLY OF BALLOTS: {title}", title=e.title)]
    place = ", ".join(p for p in (e.case and t("Case {case}", case=e.case), e.location, e.office) if p)
    if place:
        lines.append(place)
    rule = _rule_line(snap)
    if rule:
        lines.append(rule)
    lines.append(_progress_line(snap))
    lines.append("")
    for n, (label, value) in enumerate(rows, start=1):
        lines.append(f"{n:>2}. {label + ' ':.<{width}} {value:>9}")
    lines.append(f"{len(rows) + 1:>2}. {_challenge_sentence(snap)}")
    lines.append(f"{len(rows) + 2:>2}. {_majority_sentence(snap)}")
    lines.append("")
    lines.append(t("Result: {result}", result=result_line(snap)))
    lines.append(chance_line(snap))
    lines.append(verified_line(snap))
    if snap.checkpoints:
        lines.append("")
        lines.extend(verification_lines(snap))
    return "\n".join(map(literal, lines)) + "\n"  # a title's control characters as symbols


def _progress_line(snap: Snapshot) -> str:
    if snap.closed:
        return t("FINAL: the count is closed.")
    if snap.remaining is None:
        return t("Count in progress: {n:,} ballots so far, total cast not known.", n=snap.handled)
    return t("Count in progress: {n:,} ballots still unopened.", n=snap.remaining)


def json_report(snap: Snapshot, needle: bool = True) -> dict[str, Any]:
    """The count as one JSON object (see docs/FORMAT.md for each key).

    ``needle=False`` leaves `odds` null, not worked out: the hub works the
    needle out elsewhere (off its event loop) and puts it in afterwards.
    """
    e = snap.election
    out = snap.outcome
    report: dict[str, Any] = {
        "id": e.id,
        "title": e.title,
        "rule": e.rule,
        "choices": list(e.choices),
        "votes": dict(zip(e.choices, snap.votes)),
        "void": snap.void,
        "challenged": snap.challenged,
        "valid": snap.valid,
        "valid_plus_challenged": snap.valid_plus_challenged,
        "remaining": snap.remaining,
        "eligible": e.eligible,
        "ballots": e.ballots,
        "closed": snap.closed,
        "last_seq": snap.last_seq,
        "majority_line": snap.majority_line,
        "decided": out.decided,
        "decided_at": snap.decided_at,
        "outcome": out.outcome,
        "winner": out.winner,
        "majority_possible": out.majority_possible,
        "challenges_determinative": out.challenges_determinative,
        "needed": {c: snap.needed(i) for i, c in enumerate(e.choices)},
        "reason": out.reason,
        "result": result_line(snap),
        "odds": odds_json(snap) if needle else None,
    }
    report["chances"] = chance_rows(snap, report["odds"])
    if out.runoff is not None:
        report["runoff"] = list(out.runoff)
    report["checkpoints"] = [checkpoint_json(snap, c) for c in snap.checkpoints]
    report["adjustments"] = [adjustment_json(snap, a) for a in snap.adjustments]
    return report


def figures_json(snap: Snapshot, figures: tuple) -> dict[str, Any]:
    """Figures in slot order (choices, void, challenged) as the report's keys: votes, void, challenged."""
    k = len(snap.choices)
    return {"votes": dict(zip(snap.choices, figures[:k])), "void": figures[k], "challenged": figures[k + 1]}


def checkpoint_json(snap: Snapshot, checkpoint: Compared) -> dict[str, Any]:
    """One checkpoint: the Board's figures (null: not announced), the count's, and whether they agree.

    `ballot`: ballots the count had handled at that point; `agrees` follows
    later corrections of earlier calls; `adjusted_by`: the seq of the
    adjustment that accepted the Board's figures (null: none).
    """
    return {"seq": checkpoint.seq, "ballot": checkpoint.ballot, "agrees": checkpoint.agrees,
            **figures_json(snap, checkpoint.board), "text": checkpoint.text,
            "counted": figures_json(snap, checkpoint.counted), "adjusted_by": checkpoint.adjusted_by}


def adjustment_json(snap: Snapshot, adjusted: Adjusted) -> dict[str, Any]:
    """One adjustment: the checkpoint it accepted and what it added to each figure (negative: took away)."""
    return {"seq": adjusted.seq, "checkpoint": adjusted.checkpoint,
            "change": figures_json(snap, adjusted.change)}


def verified_line(snap: Snapshot) -> str:
    """The report's verification line: every face's (`tally.present.verification_line`) of a file alone.

    A file is one counter's count: "unverified: one counter", with the
    Board's subtotals when it holds checkpoints. (A second counter's count
    is compared with `tally verify A B`, or by a hub.)
    """
    from tally.present import verification_line  # the model words it

    return t("Verification: {line}", line=verification_line(snap))


def verification_lines(snap: Snapshot) -> list[str]:
    """The text report's account of the Board's figures: each checkpoint, and how the count got there."""
    from tally.present import OURS_WATCHED, checkpoint_words, slot_name  # the model words it

    lines = []
    for c in snap.checkpoints:
        said = f" ({c.text})" if c.text else ""
        lines.append(t("Checkpoint, entry {entry}{text}: {words}.", entry=c.seq, text=said,
                       words=checkpoint_words(snap, c, OURS_WATCHED)))
    for a in snap.adjustments:
        change = ", ".join(f"{slot_name(snap, i)} {'+' if n > 0 else '-'}{grouped(abs(n))}"
                           for i, n in enumerate(a.change) if n)
        lines.append(t("Adjustment, entry {entry}: the Board's figures at entry {checkpoint} accepted ({change}).",
                       entry=a.seq, checkpoint=a.checkpoint, change=change))
    return lines


def summary_line(snap: Snapshot) -> str:
    """The count in one line, for a terminal after the dashboard closes."""
    votes = " · ".join(f"{grouped(v)} {c}" for c, v in zip(snap.choices, snap.votes))
    # A person counts ballots, not the journal's entries: "as of ballot 1,000", as every face numbers calls.
    state = t("FINAL") if snap.closed else t("as of ballot {n}", n=grouped(snap.handled))
    return t("{title}: {votes} · {void:,} void · {challenged:,} challenged — {result} ({state})",
             title=snap.election.title, votes=votes, void=snap.void, challenged=snap.challenged,
             result=result_line(snap), state=state)


def chance_rows(snap: Snapshot, needle: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The needle's outcomes as every face shows them (`tally.present.chances`), likeliest first.

    Each has its `key`, `label`, `text` (the one rounding rule: "> 99.9 %",
    never "100.0 %" before the count settles it), `p` and colour `role`.
    """
    if needle is None:
        return None
    from tally.present import chances, odds_from_json  # the model words the report; it imports this module
    return [{"key": c.key, "label": c.label, "text": c.text, "p": c.p, "role": c.role}
            for c in chances(snap, odds_from_json(needle))]


def chance_line(snap: Snapshot) -> str:
    """The needle in one line, in the model's words and order."""
    needle = odds_json(snap)
    rows = chance_rows(snap, needle)
    if needle is None or rows is None:
        reason = no_odds_reason(snap)
        return t("Chance: not given — {reason}.", reason=t(reason) if reason else "")
    how = t("exact") if needle["method"] == "exact" else t("simulation of {n:,} counts", n=DRAWS)
    return t("Chance (random-order model, {how}): {chances}", how=how,
             chances=", ".join(r['label'] + ' ' + r['text'] for r in rows))
