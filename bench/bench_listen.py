"""How well `tally listen` hears a count: accuracy, spurious and held calls, latency, CPU.

Run: python bench/bench_listen.py [--seed 20] [--calls 2000] [--realtime 120]

The corpus is bench/listen_corpus.py's (made into a cache directory, from the
seed). Each session is heard as `tally listen --headless` hears it
(feeds/listen); the calls it counts are aligned with the truth's calls by an
edit distance (Levenshtein, unit costs), so a missed call, a spurious call
and a wrong call are each counted once, wherever they fall:

- right: calls counted as what was called, of all calls in the truth;
- spurious: calls counted where none was called (insertions);
- wrong: counted as another call (substitutions); held: calls left to a person.

Then `--realtime` seconds of one clean session are fed through a pipe at the
pace of real time: the latency of each call is the time from the end of its
audio being written to its event being journaled (fsync'd), and the CPU is the
process's CPU time over the audio's duration. The screen's draw (at most a
tenth of a second later, tui/app.py FRAME) is not in it. Baseline in the same
run: the same sessions heard by a grammar of the calls alone (no reject path),
to show what the reject path costs and buys.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from listen_corpus import CONDITIONS, cache_dir, make  # noqa: E402

from feeds.listen import grammar  # noqa: E402
from feeds.listen.audio import AudioSource, open_audio  # noqa: E402
from feeds.listen.recogniser import Recogniser  # noqa: E402
from tally.schema import parse_event  # noqa: E402

ELECTION = parse_event('{"seq":1,"type":"election","id":"bench","title":"Bench"}')


def align(truth: list[str], heard: list[str]) -> dict[str, int]:
    """Edit-distance alignment of the called and the counted: matches, substitutions, deletions,
    insertions (unit costs; ties prefer a match, then a substitution)."""
    n, m = len(truth), len(heard)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j - 1] + (truth[i - 1] != heard[j - 1]),
                             cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    counts = {"match": 0, "sub": 0, "del": 0, "ins": 0}
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (truth[i - 1] != heard[j - 1]):
            counts["match" if truth[i - 1] == heard[j - 1] else "sub"] += 1
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            counts["del"] += 1
            i -= 1
        else:
            counts["ins"] += 1
            j -= 1
    return counts


def hear_session(recogniser: Recogniser, wav: Path, calls: list[dict]) -> tuple[list[str], int, int]:
    """The sure calls heard in one WAV, in order; how many calls were held as unsure, and how many
    pieces of other speech were (a held utterance is a call's when it overlaps one)."""
    sure, held, held_other = [], 0, 0
    for heard in recogniser.listen(open_audio(str(wav))):
        if heard is None:
            continue
        if heard.sure:
            sure.append(heard.choice)
        elif any(c["start"] < heard.end and heard.start < c["end"] for c in calls):
            held += 1
        else:
            held_other += 1
    return sure, held, held_other


def accuracy(recogniser: Recogniser, corpus: Path, sessions: list[str], condition: str) -> dict:
    totals = {"calls": 0, "match": 0, "sub": 0, "del": 0, "ins": 0, "held": 0, "held_other": 0,
              "seconds": 0.0}
    cpu = time.process_time()
    for name in sessions:
        calls = [u for u in json.loads((corpus / f"{name}.json").read_text())["utterances"]
                 if u["kind"] == "call"]
        wav = corpus / f"{name}-{condition}.wav"
        sure, held, held_other = hear_session(recogniser, wav, calls)
        for k, v in align([c["words"] for c in calls], sure).items():
            totals[k] += v
        totals["calls"] += len(calls)
        totals["held"] += held
        totals["held_other"] += held_other
        totals["seconds"] += (wav.stat().st_size - 44) / 32_000
    totals["cpu"] = time.process_time() - cpu
    return totals


def realtime(recogniser: Recogniser, corpus: Path, session: str, seconds: float) -> dict:
    """Feed `seconds` of a clean session through a pipe at real-time pace; latency and CPU."""
    from feeds.counting import open_count
    from feeds.listen.transcribe import heard_fields
    from datetime import datetime, timezone
    from tally.schema import EVENT

    wav = open_audio(str(corpus / f"{session}-clean.wav"))
    pcm = wav.read(int(seconds * 16_000) * 2)
    truth = [u for u in json.loads((corpus / f"{session}.json").read_text())["utterances"]
             if u["kind"] == "call" and u["end"] < seconds]
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()

    def feed() -> None:
        chunk = 320 * 2  # 20 ms, as a sound server's period
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            for i in range(0, len(pcm), chunk):
                due = started + i / 32_000
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                out.write(pcm[i:i + chunk])

    writer = threading.Thread(target=feed, daemon=True)
    latencies, cpu0 = [], time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        opened = open_count(Path(tmp) / "rt.jsonl", {})
        start = datetime.now(timezone.utc)
        writer.start()
        source = AudioSource("pipe", os.fdopen(read_fd, "rb", buffering=0))
        for heard in recogniser.listen(source):
            if heard is None or not heard.sure:
                continue
            event = EVENT.validate_python({"seq": opened.journal.count.last_seq + 1,
                                           **heard_fields(heard, start)})
            opened.journal.append(event)  # fsync'd: the count screen shows it after this
            done = time.perf_counter() - started
            spoken = min(truth, key=lambda u: abs(u["end"] - heard.end), default=None)
            if spoken is not None and abs(spoken["end"] - heard.end) < 1.0:
                latencies.append(done - spoken["end"])
        opened.journal.close()
    cpu = time.process_time() - cpu0
    latencies.sort()
    return {"calls": len(latencies), "p50": statistics.median(latencies),
            "p95": latencies[int(0.95 * (len(latencies) - 1))], "max": latencies[-1],
            "cpu_share": cpu / seconds}


def pct(n: float, d: float) -> str:
    return f"{100 * n / d:6.2f} %" if d else "   n/a"


def report(name: str, t: dict) -> None:
    print(f"{name:26} calls {t['calls']:5}  right {pct(t['match'], t['calls'])}  "
          f"spurious {pct(t['ins'], t['calls'])}  wrong {pct(t['sub'], t['calls'])}  "
          f"held {pct(t['held'], t['calls'])} (+{t['held_other']} not calls)  "
          f"missed {pct(t['del'] - t['held'], t['calls'])}  "
          f"{t['seconds'] / max(t['cpu'], 1e-9):5.0f}x real time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--realtime", type=float, default=120.0, help="seconds fed in real time (0: none)")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--baseline", action="store_true", help="also without the reject path")
    parser.add_argument("--baseline-only", action="store_true", help="only the run without it")
    parser.add_argument("--sessions", type=int, default=0,
                        help="only the first N sessions (8: one of each voice, the development set)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated: clean,snr20,snr10")
    args = parser.parse_args()
    corpus = make(args.seed, args.calls, args.corpus or cache_dir(args.seed))
    manifest = json.loads((corpus / "manifest.json").read_text())
    print(f"corpus {corpus}: seed {args.seed}, {args.calls} calls a condition, "
          f"{len(manifest['sessions'])} sessions, voices {', '.join(manifest['voices'])}")
    sessions = manifest["sessions"][:args.sessions or None]
    conditions = [c for c in args.conditions.split(",") if c in CONDITIONS]
    recogniser = Recogniser(ELECTION, {})
    for condition in conditions if not args.baseline_only else ():
        report(f"{condition}", accuracy(recogniser, corpus, sessions, condition))
    if args.baseline or args.baseline_only:
        keep = grammar.OTHER_SPEECH
        grammar.OTHER_SPEECH = ("um",)  # a reject path of one word: nearly none
        bare = Recogniser(ELECTION, {})
        grammar.OTHER_SPEECH = keep
        for condition in conditions:
            report(f"{condition}, no reject path", accuracy(bare, corpus, sessions, condition))
    if args.realtime:
        rt = realtime(recogniser, corpus, manifest["sessions"][0], args.realtime)
        print(f"real time, {args.realtime:.0f} s of {manifest['sessions'][0]}-clean: {rt['calls']} calls, "
              f"latency p50 {rt['p50']:.3f} s, p95 {rt['p95']:.3f} s, max {rt['max']:.3f} s; "
              f"CPU {100 * rt['cpu_share']:.1f} % of one core")


if __name__ == "__main__":
    main()
