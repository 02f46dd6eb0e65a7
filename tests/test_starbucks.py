"""341 real NLRB tallies of Starbucks stores through `tally report`, checked against the Board.

/work/shared/data/starbucks-tallies.csv (../shared/DOMAIN.md; TALLY_STARBUCKS_CSV
overrides the path) holds the Board's own numbers for each tally — eligible,
yes, no, void, challenged — and its own flags: "total counted", "challenges
are determinative", "union to certify" and how the case closed. Each usable
row becomes an event file (header + one pile per line of the tally + close)
and goes through the real command, `tally report FILE --json`.

Its outcome must be what the rules say (tests/brute.py, every way the
challenged ballots could be resolved). Against the Board's flags, every row
that disagrees must fall in a named category of the CSV's known quirks; the
counts of each are pinned below, so a new kind of disagreement, or one more of
a known kind, fails with the whole table in the message.

Every row is a yes/no ballot (one union); the other ballot kinds are tested
on counts of their own.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from brute import outcomes
from counts import header, pile, write
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
CSV = Path(os.environ.get("TALLY_STARBUCKS_CSV", ROOT.parent / "shared" / "data" / "starbucks-tallies.csv"))

# How the Board's flags disagree with its own numbers, and how often (see each test).
KNOWN = {
    "total counted includes the challenged ballots": 29,
    "total counted includes the void ballots": 1,
    "total counted left at 0": 5,
    "total counted adds up to none of the lines (a typo)": 5,
    "determinative flag blank, yet the challenges can change the result": 2,
    "determinative flag set, yet even every challenge for the union makes only a tie": 1,
    "union to certify names a union after a loss": 10,
    "closed as a certification of representative after a loss": 1,
}


def number(text: str) -> int:
    return int(text) if text.strip() else 0  # the Board leaves a 0 blank


def usable(row: dict) -> bool:
    """A tally is usable when its yes, no and eligible are numbers (blank void/challenged are 0)."""
    try:
        return int(row["yes"]) >= 0 and int(row["no"]) >= 0 and int(row["eligible"]) >= 1
    except ValueError:
        return False


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    if not CSV.exists():
        pytest.skip(f"{CSV} not found (set TALLY_STARBUCKS_CSV)")
    with CSV.open(newline="") as f:
        return list(csv.DictReader(f))


def event_file(path: Path, row: dict) -> Path:
    lines = {k: number(row[k]) for k in ("yes", "no", "void", "challenged")}
    head = header(id=row["case"].lower(), title=f"Starbucks {row['city']}, {row['state']}",
                  union=row["union"], eligible=int(row["eligible"]), ballots=sum(lines.values()),
                  case=row["case"], location=f"{row['city']}, {row['state']}")
    piles = [pile(c, lines[c]) for c in ("yes", "no", "void") if lines[c]]
    if lines["challenged"]:
        piles.append({"type": "challenged", "count": lines["challenged"]})
    return write(path / f"{row['case']}.jsonl", head, *piles, {"type": "close"})


def report_of(capsys, path: Path) -> dict:
    assert main(["report", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def by_the_rules(row: dict) -> str:
    """The outcome by definition: one result every resolution gives, or pending."""
    results = outcomes(("yes", "no"), (number(row["yes"]), number(row["no"])), number(row["challenged"]), 0)
    return next(iter(results))[0] if len(results) == 1 else "pending"


def total_counted(row: dict, report: dict) -> str | None:
    """Does the Board's "total counted" match the valid votes? If not, which quirk is it."""
    board = int(row["nlrb_total_counted"])
    if board == report["valid"]:
        return None
    if report["challenged"] and board == report["valid"] + report["challenged"]:
        return "total counted includes the challenged ballots"
    if report["void"] and board == report["valid"] + report["void"]:
        return "total counted includes the void ballots"
    if board == 0:
        return "total counted left at 0"
    return "total counted adds up to none of the lines (a typo)"


def determinative_flag(row: dict, report: dict) -> str | None:
    flag = row["nlrb_challenges_determinative"] == "Y"
    if flag == report["challenges_determinative"]:
        return None
    if not flag:
        return "determinative flag blank, yet the challenges can change the result"
    return "determinative flag set, yet even every challenge for the union makes only a tie"


def certification(row: dict, report: dict) -> list[str]:
    """A union to certify after a win, none after a loss; the case closed the same way.

    Pending tallies were settled after the count, by the challenges: nothing to check.
    """
    if report["outcome"] == "pending":
        return []
    won = report["winner"] == "yes"
    found = []
    certify, closed = bool(row["nlrb_union_to_certify"].strip()), row["nlrb_reason_closed"]
    if certify != won:
        found.append("union to certify names a union after a loss"
                     if certify and closed in ("Certification of Results", "") else
                     f"union to certify {'missing after a win' if won else 'named'} ({closed or 'open'})")
    if closed in ("Certific. of Representative", "Certification of Results"):
        if (closed == "Certific. of Representative") != won:
            found.append("closed as a certification of representative after a loss" if not won else
                         "closed as a certification of results after a win")
    return found


def test_every_usable_tally_reports_by_the_rules_and_every_disagreement_is_a_known_quirk(
        rows, tmp_path, capsys):
    found: Counter[str] = Counter()
    cases: dict[str, list[str]] = {}
    wrong = []
    used = [row for row in rows if usable(row)]
    for row in used:
        report = report_of(capsys, event_file(tmp_path, row))
        assert (report["votes"], report["void"], report["challenged"], report["remaining"]) == (
            {"yes": number(row["yes"]), "no": number(row["no"])}, number(row["void"]),
            number(row["challenged"]), 0), row["case"]
        if report["outcome"] != by_the_rules(row):
            wrong.append(f"{row['case']}: {report['outcome']}, the rules say {by_the_rules(row)}")
        for quirk in [total_counted(row, report), determinative_flag(row, report),
                      *certification(row, report)]:
            if quirk:
                found[quirk] += 1
                cases.setdefault(quirk, []).append(row["case"])
    table = "\n".join(f"  {n:4} {quirk}: {', '.join(cases[quirk][:6])}" for quirk, n in found.most_common())
    summary = f"{len(used)} usable of {len(rows)} rows; disagreements with the Board's flags:\n{table}"
    assert not wrong, "\n".join(wrong)
    assert dict(found) == KNOWN, summary
    assert len(used) == 341, summary


def test_outcomes_over_the_whole_file(rows, tmp_path, capsys):
    """By the Board's numbers: 266 union wins, 60 losses, 15 left to the challenges."""
    seen = Counter(report_of(capsys, event_file(tmp_path, row))["outcome"] for row in rows if usable(row))
    assert seen == {"majority": 266, "no_majority": 60, "pending": 15}, seen


@pytest.mark.parametrize("case", ["01-RC-287618", "07-RC-289860", "03-RC-292127"])
def test_the_installed_command_gives_the_same_report(rows, tmp_path, capsys, case):
    """A sample through a real process: a win, a loss, and challenges determinative."""
    row = next(r for r in rows if r["case"] == case)
    path = event_file(tmp_path, row)
    done = subprocess.run([sys.executable, "-m", "tui.cli", "report", str(path), "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == report_of(capsys, path)
