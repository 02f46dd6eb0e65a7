"""The corpus of `bench/bench_listen.py`: count sessions read aloud by espeak-ng, with their truth.

Run: python bench/listen_corpus.py [--seed 20] [--calls 2000] [--out DIR]

Deterministic from the seed (the same WAVs and truth on every run), made into a
cache directory (default ~/.cache/tally/listen-corpus-SEED), never committed.
Each session is a Board agent reading a yes/no ballot's calls: one voice of
speech.VOICES per session, a speaking rate drawn from 120-200 words a minute
per call, pauses of 0.3-2 s, other speech about once in ten calls (phrases of
which only some are on the recogniser's reject list: OTHER_PHRASES), and
each session again with pink noise at 20 dB and at 10 dB SNR. truth.json keeps
every utterance: its kind (call or other), its words, and its start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speech import RATE, VOICES, mix, silence, speak, write_wav  # noqa: E402

CALLS = ("yes", "no", "void", "challenged")
CALL_WEIGHTS = (44, 44, 6, 6)
OTHER_PHRASES = (
    # on the recogniser's reject list (feeds/listen/grammar.py OTHER_SPEECH)
    "okay", "next one", "hold on", "just a moment", "all right", "sorry", "moving on",
    # not on it: how the reject path does on speech it was never given
    "let me check that", "can you see the ballot", "that is another one", "is everyone still here",
    "give me a second", "we will take a short break", "the envelope is open", "I cannot hear you",
    "pass me the next envelope", "good", "and the next", "this one is folded", "here it is",
)
CONDITIONS = {"clean": None, "snr20": 20.0, "snr10": 10.0}
PER_SESSION = 100


def cache_dir(seed: int) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "tally" / f"listen-corpus-{seed}"


def make(seed: int, calls: int, out: Path) -> Path:
    """Make the corpus in `out` (skipped when its manifest says it is there already)."""
    manifest = out / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("calls") == calls:
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    clips: dict[tuple[str, str, int], np.ndarray] = {}

    def clip(text: str, voice: str, wpm: int) -> np.ndarray:
        key = (text, voice, wpm)
        if key not in clips:
            clips[key] = speak(text, voice, wpm)
        return clips[key]

    sessions = []
    for n in range((calls + PER_SESSION - 1) // PER_SESSION):
        voice = VOICES[n % len(VOICES)]
        parts, truth, at = [silence(0.5)], [], 0.5
        for _ in range(min(PER_SESSION, calls - n * PER_SESSION)):
            said = [rng.choices(CALLS, CALL_WEIGHTS)[0]]
            if rng.random() < 0.1:  # other speech before this call, about once in ten
                said.insert(0, rng.choice(OTHER_PHRASES))
            for i, words in enumerate(said):
                samples = clip(words, voice, rng.randrange(120, 201, 10))
                truth.append({"kind": "call" if i == len(said) - 1 else "other", "words": words,
                              "start": round(at, 3), "end": round(at + len(samples) / RATE, 3)})
                pause = rng.uniform(0.3, 2.0)
                parts += [samples, silence(pause)]
                at += len(samples) / RATE + pause
        audio = np.concatenate(parts + [silence(1.0)])
        name = f"s{n:03d}"
        for condition, snr in CONDITIONS.items():
            samples = audio if snr is None else mix(audio, snr, seed * 1000 + n)
            write_wav(out / f"{name}-{condition}.wav", samples)
        (out / f"{name}.json").write_text(json.dumps({"voice": voice, "utterances": truth}))
        sessions.append(name)
    manifest.write_text(json.dumps({"seed": seed, "calls": calls, "sessions": sessions,
                                    "conditions": list(CONDITIONS), "voices": list(VOICES)}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000, help="calls in each condition (other speech comes on top)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = make(args.seed, args.calls, args.out or cache_dir(args.seed))
    print(out)


if __name__ == "__main__":
    main()
