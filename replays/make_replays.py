"""Make the bundled replays from the public totals (python replays/make_replays.py).

Only the totals of these counts are public (../shared/DOMAIN.md), so the order
of the ballots is reconstructed: a seeded shuffle, paced like a Board agent
calling ballots on a Zoom stream (a few seconds each, with breaks). Challenged
ballots are set aside before the envelopes are opened, as the Board does. Every
file says so in its title and in its first note. Running this again gives the
same files byte for byte.

`starbucks-2022-06-07/` holds the 14 Starbucks stores the Board tallied on
7 June 2022 (../shared/data/starbucks-tallies.csv, TALLY_STARBUCKS_CSV
overrides the path), one file per store, for `tally board
starbucks-2022-06-07`. Only each store's totals are public: the ballot order,
the start times (each region's stores one after another, from a plausible
hour in its own time zone) and the pace are reconstructed, and every file's
title and first note say so. Where the Board's "total counted" is not yes +
no (Portland counts its 3 challenged ballots in it), the closing checkpoint's text says.
Each count closes with the official tally as a `checkpoint` (its figures, and
the Board's words as its text): the count's own totals are checked against it.
"""

from __future__ import annotations

import csv
import json
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECONSTRUCTED = ("Ballot order reconstructed from the official totals with a seeded "
                 "shuffle; only the totals are public.")
DAY = "starbucks-2022-06-07"
STARBUCKS_CSV = Path(os.environ.get("TALLY_STARBUCKS_CSV",
                                    HERE.parent.parent / "shared" / "data" / "starbucks-tallies.csv"))
DAY_RECONSTRUCTED = ("Ballot order, start time and pace reconstructed from the Board's "
                     "official totals with a seeded shuffle; only the totals and the date are public.")


@dataclass
class Session:
    """One sitting of the count: its start, and what was opened in it."""

    start: datetime
    yes: int
    no: int
    void: int
    note: str | None = None


@dataclass
class Recorded:
    name: str
    header: dict
    challenged: int
    sessions: list[Session]
    closing: str
    seed: int
    first_note: str = RECONSTRUCTED
    official: dict | None = None
    """The official tally's figures (votes, void, challenged): the closing is then a checkpoint."""


def _stamp(t: datetime) -> str:
    return t.isoformat()


def events(rec: Recorded) -> list[dict]:
    rng = random.Random(rec.seed)
    out: list[dict] = []

    def emit(t: datetime, **fields) -> None:
        out.append({"seq": len(out) + 1, **fields, "at": _stamp(t)})

    t = rec.sessions[0].start
    emit(t, type="election", **rec.header)
    emit(t, type="note", text=rec.first_note)
    if rec.challenged:
        t += timedelta(minutes=4)
        emit(t, type="challenged", count=rec.challenged)
        plural = "s" if rec.challenged != 1 else ""
        emit(t, type="note", text=f"{rec.challenged} challenged ballot{plural} set aside unopened")
    for session in rec.sessions:
        if session.start > t:
            t = session.start
        if session.note:
            emit(t, type="note", text=session.note)
        pile = ["yes"] * session.yes + ["no"] * session.no + ["void"] * session.void
        rng.shuffle(pile)
        for n, choice in enumerate(pile, 1):
            t += timedelta(seconds=rng.randint(3, 8))
            if n % 400 == 0:
                emit(t, type="note", text="short break")
                t += timedelta(minutes=rng.randint(5, 12))
            emit(t, type="ballot", choice=choice)
    t += timedelta(seconds=30)
    emit(t, type="close")
    if rec.official is None:
        emit(t, type="note", text=rec.closing)
    else:  # the Board's figures, compared with the count's (docs/FORMAT.md, checkpoint)
        emit(t, type="checkpoint", **rec.official, text=rec.closing)
    return out


def official(yes: int, no: int, void: int, challenged: int) -> dict:
    return {"votes": {"yes": yes, "no": no}, "void": void, "challenged": challenged}


def _tz(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


EDT, CDT = _tz(-4), _tz(-5)

COUNTS = [
    Recorded(
        name="ldj5",
        header=dict(id="ldj5", title="Amazon LDJ5, Staten Island (ballot order reconstructed)",
                    union="Amazon Labor Union", eligible=1633, ballots=1000,
                    location="Amazon LDJ5 sortation center, Staten Island, NY",
                    office="NLRB Region 29, Brooklyn"),
        challenged=0,
        sessions=[Session(datetime(2022, 5, 2, 13, 0, tzinfo=EDT), 380, 618, 2)],
        closing="Official tally: 380 for, 618 against, 2 void, 0 challenged.",
        seed=20220502,
        official=official(380, 618, 2, 0),
    ),
    Recorded(
        name="jfk8",
        header=dict(id="jfk8", title="Amazon JFK8, Staten Island (ballot order reconstructed)",
                    union="Amazon Labor Union", eligible=8325, ballots=4869,
                    location="Amazon JFK8 fulfillment center, Staten Island, NY",
                    office="NLRB Region 29, Brooklyn"),
        challenged=67,
        sessions=[
            Session(datetime(2022, 3, 31, 10, 30, tzinfo=EDT), 1518, 1154, 8),
            Session(datetime(2022, 4, 1, 9, 30, tzinfo=EDT), 2654 - 1518, 2131 - 1154, 17 - 8,
                    note="Count resumes after the overnight pause at 1,518 to 1,154"),
        ],
        closing="Official tally: 2,654 for, 2,131 against, 67 challenged; 17 void reported.",
        seed=20220401,
        official=official(2654, 2131, 17, 67),
    ),
    Recorded(
        name="bhm1-2022",
        header=dict(id="bhm1-2022",
                    title="Amazon BHM1 rerun, Bessemer (ballot order reconstructed)",
                    union="Retail, Wholesale and Department Store Union", eligible=6153,
                    ballots=2343, location="Amazon BHM1, Bessemer, AL",
                    office="NLRB Region 10, by mail ballot"),
        challenged=416,
        sessions=[Session(datetime(2022, 3, 28, 10, 0, tzinfo=CDT), 875, 993, 59)],
        closing="Official tally: 875 for, 993 against, 59 void, 416 challenged: "
                "the challenges are determinative.",
        seed=20220328,
        official=official(875, 993, 59, 416),
    ),
]


# Where each region of 7 June 2022 starts (reconstructed), in its own time zone.
PDT = _tz(-7)
REGION_START = {
    "03": datetime(2022, 6, 7, 12, 30, tzinfo=EDT),   # Albany
    "07": datetime(2022, 6, 7, 13, 0, tzinfo=EDT),    # Ann Arbor: five stores in a row
    "13": datetime(2022, 6, 7, 12, 0, tzinfo=CDT),    # Chicago: three
    "14": datetime(2022, 6, 7, 12, 45, tzinfo=CDT),   # Lawrence
    "15": datetime(2022, 6, 7, 12, 15, tzinfo=CDT),   # Memphis
    "19": datetime(2022, 6, 7, 10, 0, tzinfo=PDT),    # Tumwater, Seattle, Portland
}
NEXT_STORE = timedelta(minutes=6)  # a region's next store starts this long after the last


def _number(cell: str) -> int:
    return int(cell) if cell.strip() else 0


def starbucks_day(csv_path: Path = STARBUCKS_CSV, day: str = "2022-06-07") -> list[Recorded]:
    """The stores tallied on `day`, as counts to replay, each region's one after another."""
    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["tally_date"] == day]
    out, started = [], {}
    for r in sorted(rows, key=lambda r: r["case"]):
        region = r["case"][:2]
        start = REGION_START[region] + started.get(region, 0) * NEXT_STORE
        started[region] = started.get(region, 0) + 1
        yes, no, void, challenged = (_number(r[k]) for k in ("yes", "no", "void", "challenged"))
        place = f"{r['city']}, {r['state']}"
        counted = _number(r["nlrb_total_counted"])
        quirk = ""
        if counted != yes + no:
            why = ("includes the challenged ballots" if counted == yes + no + challenged
                   else "is none of the tally's lines")
            quirk = f" The Board's \"total counted\" ({counted}) {why}."
        out.append(Recorded(
            name=r["case"].lower(),
            header=dict(id=r["case"].lower(),
                        title=f"{place} {r['case']}: Starbucks (order and pace reconstructed)",
                        union=" ".join(r["union"].split()), eligible=_number(r["eligible"]),
                        ballots=yes + no + void + challenged, case=r["case"],
                        location=f"Starbucks, {place}",
                        office=f"NLRB Region {int(region)}"),
            challenged=challenged,
            sessions=[Session(start, yes, no, void)],
            closing=(f"Official tally: {yes} for, {no} against, {void} void, "
                     f"{challenged} challenged.{quirk}"),
            seed=int(r["case"].replace("-RC-", "")),
            first_note=DAY_RECONSTRUCTED,
            official=official(yes, no, void, challenged),
        ))
    return out


def write(rec: Recorded, folder: Path) -> None:
    lines = [json.dumps(e, separators=(",", ":")) for e in events(rec)]
    (folder / f"{rec.name}.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{folder.relative_to(HERE.parent)}/{rec.name}.jsonl: {len(lines)} events")


def main() -> None:
    for rec in COUNTS:
        write(rec, HERE)
    day = HERE / DAY
    day.mkdir(exist_ok=True)
    for rec in starbucks_day():
        write(rec, day)


if __name__ == "__main__":
    main()
