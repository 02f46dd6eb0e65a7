"""`tally listen --headless`: a whole recording into a journal, then one summary line.

Everything is heard first and journaled after, so audio that turns out to be
unusable (no speech in it at all) leaves no journal behind. Sure calls become
ballots marked `heard`; unsure ones become notes ("unsure: heard 'yes' at
12.4 s, confidence 0.41"), never counted: a person decides them later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feeds.listen import endpoint
from feeds.listen.audio import AudioError, AudioSource, open_audio
from feeds.listen.recogniser import PAUSE, Heard, Recogniser
from tally.schema import CHALLENGED


@dataclass
class Transcript:
    calls: list[Heard] = field(default_factory=list)
    utterances: int = 0
    seconds: float = 0.0

    @property
    def sure(self) -> list[Heard]:
        return [h for h in self.calls if h.sure]

    @property
    def unsure(self) -> list[Heard]:
        return [h for h in self.calls if not h.sure]


def transcribe(recogniser: Recogniser, source: AudioSource) -> Transcript:
    """Every call in the audio; AudioError when there is no speech in it at all."""
    transcript = Transcript()
    for heard in recogniser.listen(source):
        transcript.utterances += 1
        if heard is not None:
            transcript.calls.append(heard)
    transcript.seconds = source.seconds
    if transcript.utterances == 0:
        raise AudioError(no_speech(source))
    return transcript


def no_speech(source: AudioSource) -> str:
    return (f"{source.name}: no speech in {source.seconds:.1f} s of audio (silence, or too quiet): "
            "nothing journaled")


def speech_problem(spec: str) -> str | None:
    """Why a recording (not standard input) cannot be counted from, before a screen opens: no
    speech in it at all. Standard input is not asked: a meeting may well start quiet."""
    if spec == "-":
        return None
    source = open_audio(spec)
    try:
        if next(iter(endpoint.utterances(source, PAUSE)), None) is None:
            return no_speech(source)
    finally:
        source.close()
    return None


def heard_fields(heard: Heard, start: datetime) -> dict:
    """The event (without seq) a call makes: counted like a key press, marked heard, `at` the
    audio clock's time of the end of the call (`start` is when the audio began)."""
    at = start + timedelta(seconds=round(heard.end, 3))
    if heard.choice == CHALLENGED:
        return {"type": "challenged", "heard": heard.confidence, "at": at}
    return {"type": "ballot", "choice": heard.choice, "heard": heard.confidence, "at": at}


def unsure_fields(heard: Heard, start: datetime) -> dict:
    return {"type": "note", "text": heard.unsure_words(),
            "at": start + timedelta(seconds=round(heard.end, 3))}


def transcript_fields(transcript: Transcript, start: datetime) -> list[dict]:
    """The events of a whole transcript, in the order heard."""
    return [heard_fields(h, start) if h.sure else unsure_fields(h, start) for h in transcript.calls]


def summary(transcript: Transcript, journal: str) -> str:
    """One line: what was heard, counted and held, in how much audio."""
    counted: dict[str, int] = {}
    for heard in transcript.sure:
        counted[heard.choice] = counted.get(heard.choice, 0) + 1
    parts = ", ".join(f"{n} {choice}" for choice, n in counted.items()) or "none"
    return (f"{journal}: {transcript.seconds:.1f} s of audio, {transcript.utterances} utterances: "
            f"{len(transcript.sure)} calls counted ({parts}), {len(transcript.unsure)} unsure "
            f"(journaled as notes), {transcript.utterances - len(transcript.calls)} not calls")


__all__ = ["AudioError", "Transcript", "heard_fields", "summary", "transcribe", "transcript_fields",
           "unsure_fields"]
