"""Hearing calls: the stream split into utterances, each named a call (sure or not) or nothing.

A voice-activity endpointer (pocketsphinx's, WebRTC's detector) cuts the
stream where there is `PAUSE` seconds of silence; the Board agent pauses
between calls, so an utterance is one call or something else said. Each is
decoded against the ballot's grammar (feeds/listen/grammar.py) and the call's
confidence is its words' posterior probability in the decoder's lattice: how
much of the evidence is for this call rather than another call or the reject
path. At `SURE` or above the call is counted; below it is held for a person.
All of it runs offline on the model the pocketsphinx wheel ships.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from feeds.listen import endpoint
from feeds.listen.audio import AudioSource
from feeds.listen.denoise import subtract_noise
from feeds.listen.grammar import Grammar, ModelError, ballot_grammar
from tally.schema import Election

SURE = 0.6
"""A call's confidence from which it is counted without asking (docs/PERFORMANCE.md: measured)."""
PAUSE = 0.25
"""Seconds of silence that end an utterance: the shortest pause between two calls."""
DISAGREE = 0.3
"""The confidence of a call the lattice's best path does not agree with: held, never counted."""
NOISE_FLOOR = 100.0
"""Standard deviation, in 16-bit sample units, of the hiss put under each utterance."""
LONGEST = 4.0
"""Seconds: an utterance longer than this is not one call (a sentence), whatever it matched."""
NAMES = 0.8
"""The calls-only decoder's confidence from which it names the call when the two decoders hear
different calls (`confidence`)."""
TOPN = 8
"""Gaussians scored per mixture (pocketsphinx's -topn, 4 by default): a noisy frame's best
matches are spread wider (10 dB SNR, after the subtraction: 78.1 % → 79.5 % right)."""


class ListenUnavailable(Exception):
    """pocketsphinx is not installed: the `listen` extra."""


@dataclass(frozen=True)
class Heard:
    """One utterance the recogniser took for a call."""

    choice: str
    """The call: a choice on the ballot, "void" or "challenged"."""
    words: str
    confidence: float
    start: float
    end: float
    """Seconds into the audio: the end of the call, when it was complete."""

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE

    def unsure_words(self) -> str:
        """"unsure: heard 'yes' at 12.4 s, confidence 0.41": the note a headless run journals."""
        return f"unsure: heard {self.words!r} at {self.end:.1f} s, confidence {self.confidence:.2f}"


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError:
        raise ListenUnavailable("tally listen needs the listen extra: pip install 'tally-nlrb[listen]' "
                                "(or pip install -e '.[listen]' in a checkout)") from None
    return pocketsphinx


class Recogniser:
    """The ballot's grammar in a pocketsphinx decoder, and the endpointer that feeds it."""

    def __init__(self, election: Election, says: dict[str, str]) -> None:
        ps = _pocketsphinx()
        self._ps = ps
        # Two decoders of one grammar: the Viterbi path names the call (the lattice's best path
        # alone often ends on a piece of the reject path that never reached the grammar's end);
        # the lattice's posteriors weigh it.
        self.decoder = ps.Decoder(lm=None, loglevel="FATAL", bestpath=False, dither=True, topn=TOPN)
        self.weigher = ps.Decoder(lm=None, loglevel="FATAL", bestpath=True, dither=True, topn=TOPN)
        self.grammar: Grammar = ballot_grammar(election, says, self._known)
        add_accents(self.decoder, self.grammar)
        for decoder, reject in ((self.decoder, True), (self.weigher, False)):
            try:
                decoder.add_jsgf_string("ballot", self.grammar.jsgf(reject))
            except (ValueError, RuntimeError) as exc:  # a name JSGF cannot hold
                raise ModelError(f"the ballot's names make no grammar the recogniser takes ({exc})") from None
            decoder.activate_search("ballot")

    def _known(self, word: str) -> bool:
        return self.decoder.lookup_word(word) is not None

    def utterances(self, source: AudioSource) -> Iterator[tuple[float, float, bytes]]:
        """(start, end, samples) of each stretch of speech, as soon as the pause after it ends."""
        return endpoint.utterances(source, PAUSE)

    def hear(self, start: float, end: float, pcm: bytes) -> Heard | None:
        """The call in one utterance, with its confidence; None when it is no call.

        Heard as other speech: no call. Heard as nothing whole (the search reached the
        grammar's end with neither a call nor a phrase of other speech) but as a call by the
        calls alone: held, for the person (a voice the model fits badly says its calls so).
        Heard as a word that sounds like a call ("yeah", "nah": grammar.SOUND_ALIKES): held
        with that word, as the call it sounds like, never counted.
        """
        if end - start > LONGEST:
            return None
        pcm = with_noise_floor(subtract_noise(pcm), seed=int(start * 100))
        grammar = self.grammar
        words = tuple(w for w, _ in self._decode(self.decoder, pcm))
        if words and grammar.call(words) is None and grammar.sounds_like(words) is None:
            return None
        weighed = self._decode(self.weigher, pcm)
        heard = tuple(w for w, _ in weighed)
        confidence = self.confidence(words, heard, [p for _, p in weighed])
        # The call is named by the calls-only decoder when it is trusted (`confidence`) or the
        # other heard no call; a call held because the two differ keeps the reject-path
        # decoder's name, the one that heard it among everything else.
        named = heard if confidence >= NAMES or grammar.call(words) is None else words
        choice = grammar.call(named) or grammar.call(words) or grammar.sounds_like(words)
        if choice is None:
            return None
        said = words if grammar.sounds_like(words) else named or words
        return Heard(choice, " ".join(said), round(confidence, 2), start, end)

    def confidence(self, words: tuple[str, ...], heard: tuple[str, ...], posteriors: list[float]) -> float:
        """How sure the call is: the calls-only decoder's posterior, or DISAGREE (held).

        The decoder with the reject path says whether the utterance is a call at
        all; the calls-only decoder says which call, its lattice weighing the
        calls against each other alone. When both hear a call but not the same
        one, the calls-only decoder names it if it is sure (`NAMES`): at 10 dB
        SNR it was right in 54 of 61 such calls, the other decoder in 7 (its
        Viterbi search, pruned harder over a larger grammar, hears a noisy "no"
        as "void"; bench/bench_listen.py). Anything else that differs is held.
        """
        sure = min(posteriors, default=0.0)
        if heard == words and self.grammar.call(heard) is not None:
            return sure
        if self.grammar.call(words) is not None and self.grammar.call(heard) is not None and sure >= NAMES:
            return sure
        return DISAGREE

    @staticmethod
    def _decode(decoder, pcm: bytes) -> list[tuple[str, float]]:
        """The words one decoder hears in an utterance, each with its posterior (fillers left out)."""
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        if decoder.hyp() is None:
            return []
        return [(_base(seg.word), seg.prob) for seg in decoder.seg() if not _filler(seg.word)]

    def listen(self, source: AudioSource) -> Iterator[Heard | None]:
        """Every utterance in `source` as it ends: a call heard, or None (speech that was none)."""
        for start, end, pcm in self.utterances(source):
            yield self.hear(start, end, pcm)


ACCENTS = {"no": ("N AH UW",)}
"""Call words as accents of English say them that the US dictionary has no pronunciation for:
the British "no" (RP /nəʊ/, a central vowel gliding to u)."""


def add_accents(decoder, grammar: Grammar) -> None:
    """ACCENTS' pronunciations of the ballot's call words, in the decoder that says whether an
    utterance is a call at all (the reject path's).

    In noise the British "no" was taken for "hold on" or "okay" (N OW fits it badly): with
    N AH UW, 10 dB SNR of the RP voice went from 73 to 85 right calls of 100. Not in the
    calls-only decoder: a word with two pronunciations splits its lattice posterior between them,
    and clean calls became held (the RP voice's clean session: 100 → 90 right, 10 held).
    """
    call_words = {word for words in grammar.calls for word in words}
    for word, sayings in ACCENTS.items():
        if word not in call_words:
            continue
        n = 2
        for phones in sayings:
            while decoder.lookup_word(f"{word}({n})") is not None:
                n += 1
            decoder.add_word(f"{word}({n})", phones, True)


def with_noise_floor(pcm: bytes, seed: int) -> bytes:
    """The utterance with a faint hiss under it (about -50 dBFS), the same for the same utterance.

    The acoustic model was trained on recordings, which always have a noise floor; the
    digital silence of a clean line (or synthesised speech) misleads it: on the benchmark's
    clean sessions this floor took wrong and held calls from 42 to 4 in 329 utterances
    (bench/bench_listen.py; a real line's own noise is far above it, so it changes nothing there).
    """
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    samples += np.random.default_rng(seed).normal(0.0, NOISE_FLOOR, len(samples))
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _filler(word: str) -> bool:
    """Silence, noise and the search's empty nodes: no word of the grammar."""
    return word.startswith(("<", "[", "+", "(NULL)"))


def _base(word: str) -> str:
    """'on(2)' -> 'on': a pronunciation variant is the same word."""
    return re.sub(r"\(\d+\)$", "", word)
