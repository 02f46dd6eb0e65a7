"""The presentation model in Spanish against the same model in English (issue 19, item 5).

Run: python bench/bench_lang.py [--rounds K]. One process; the two languages
alternate round by round (so machine noise falls on both alike), each round
timing many `present` calls of LDJ5 after 600 events with 50 last calls (the
page's most). English is the source language (no catalog, Python's own number
formatting): the baseline. Spanish looks every message up in the compiled
catalog and groups numbers with Babel's symbols; a hub makes it only while a
reader of Spanish is connected (`tally.summary.with_languages`), a terminal
once per frame. Prints each language's median and range (µs a model) and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tally.lang import use
from tally.odds import odds
from tally.present import present
from tally.reducer import Count
from tally.schema import parse_event
from tally.timeline import Timeline

REPLAY = Path(__file__).resolve().parent.parent / "replays" / "ldj5.jsonl"
CALLS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    count, timeline = Count(), Timeline()
    for line in REPLAY.read_text().splitlines()[:600]:
        event = parse_event(line)
        count.apply(event)
        timeline.record(event, count)
    snap = count.snapshot()
    needle, calls, pace = odds(snap), timeline.ticker(True, count), timeline.pace(count)

    def model() -> None:
        present(snap, needle, calls=calls, pace=pace, margin_range=(-30, 12), most_calls=50)

    took: dict[str, list[float]] = {"en": [], "es": []}
    for lang in took:  # warm: catalogs read, caches filled
        with use(lang):
            for _ in range(200):
                model()
    for _ in range(args.rounds):
        for lang in took:
            with use(lang):
                start = time.perf_counter()
                for _ in range(CALLS):
                    model()
                took[lang].append((time.perf_counter() - start) / CALLS * 1e6)
    for lang, times in took.items():
        print(f"{lang}: median {statistics.median(times):.0f} µs a model, range {min(times):.0f}–{max(times):.0f}")
    print(f"ratio es / en: {statistics.median(took['es']) / statistics.median(took['en']):.2f}")


if __name__ == "__main__":
    main()
