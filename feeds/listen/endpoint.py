"""Where an utterance starts and ends: speech energy above the stream's own noise floor.

WebRTC's detector (pocketsphinx's Endpointer) hears pink noise at 10 dB SNR
as one unbroken utterance, so nothing is ever decoded. This one compares each
10 ms frame's energy, after pre-emphasis (which weakens the low hum and rumble
that dominate room and line noise, and keeps the consonants), with the noise
floor of the last few seconds (a low percentile of the frames' energies, so
the pauses between calls set it and the floor follows the room). A frame
`ABOVE` dB over the floor is speech; an utterance starts at a few speech
frames and ends after `pause` seconds without any, padded on both sides.
"""

from __future__ import annotations

from collections import deque
from typing import Iterator

import numpy as np

from feeds.listen.audio import RATE, WIDTH, AudioSource

FRAME = RATE // 100  # 10 ms of samples
ABOVE = 6.5  # dB over the noise floor that a speech frame reaches
FLOOR_SECONDS = 4.0
FLOOR_PERCENTILE = 10
ONSET = 3  # speech frames of the last 5 that start an utterance
PAD = 0.15  # seconds of audio kept before the first and after the last speech frame
WARM_UP = 30  # frames (0.3 s) heard before anything counts as speech
QUIET_DB = 25.0  # frames under this energy are silence whatever the floor (a muted line)


def frame_energies(samples: np.ndarray) -> np.ndarray:
    """Each 10 ms frame's energy in dB, after pre-emphasis (y[n] = x[n] - 0.95 x[n-1])."""
    x = samples.astype(np.float64)
    emphasised = np.empty_like(x)
    emphasised[0] = x[0]
    emphasised[1:] = x[1:] - 0.95 * x[:-1]
    frames = emphasised[: len(x) // FRAME * FRAME].reshape(-1, FRAME)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1.0)


def utterances(source: AudioSource, pause: float) -> Iterator[tuple[float, float, bytes]]:
    """(start, end, samples) of each utterance in `source`, as soon as the pause after it passes.

    Times are seconds of the audio's clock (the first sample is 0).
    """
    history: deque[float] = deque(maxlen=int(FLOOR_SECONDS * 100))
    recent: deque[bool] = deque(maxlen=5)
    keep = int(PAD * 100)
    quiet_frames = int(pause * 100)
    ring: deque[bytes] = deque(maxlen=keep)  # the frames before an utterance starts
    frames: list[bytes] = []
    start = last_speech = 0
    index = 0
    in_speech = False
    chunk = 10 * FRAME * WIDTH  # read 100 ms at a time
    while True:
        data = source.read(chunk)
        if len(data) < WIDTH:
            break
        samples = np.frombuffer(data[: len(data) // WIDTH * WIDTH], dtype="<i2")
        for energy, raw in zip(frame_energies(samples), _frames(data)):
            history.append(energy)
            # The first WARM_UP frames only learn the floor: noise from the first sample on is not speech.
            floor = float(np.percentile(history, FLOOR_PERCENTILE))
            speech = len(history) > WARM_UP and energy > max(floor + ABOVE, QUIET_DB)
            recent.append(speech)
            if not in_speech:
                ring.append(raw)
                if sum(recent) >= ONSET:
                    in_speech = True
                    start = index - len(ring) + 1
                    frames = list(ring)
                    last_speech = index
            else:
                frames.append(raw)
                if speech:
                    last_speech = index
                elif index - last_speech >= quiet_frames:
                    end = min(last_speech + keep, index)
                    yield start / 100, (end + 1) / 100, b"".join(frames[: end - start + 1])
                    in_speech = False
                    ring.clear()
                    recent.clear()
            index += 1
    if in_speech:  # the audio ended mid-utterance: what there is of it
        yield start / 100, (index) / 100, b"".join(frames)


def _frames(data: bytes) -> Iterator[bytes]:
    size = FRAME * WIDTH
    for i in range(0, len(data) - size + 1, size):
        yield data[i:i + size]
