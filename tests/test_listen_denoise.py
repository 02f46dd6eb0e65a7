"""The front end's Wiener filter: steady noise out, the sound in it kept, the gain steady over noise.

Synthetic clips made here (a tone in white noise): the figures are the
filter's, not the recogniser's (bench/bench_listen.py measures those).
"""

from __future__ import annotations

import numpy as np

from feeds.listen.denoise import HOP, WINDOW, subtract_noise, wiener_gain

RATE = 16_000


def _noisy_tone(seed: int = 1) -> np.ndarray:
    """1 s of white noise (about -30 dBFS) with a 440 Hz tone 18 dB above it from 0.5 s to 0.75 s."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1000, RATE)
    t = np.arange(RATE) / RATE
    x[8000:12000] += 8000 * np.sin(2 * np.pi * 440 * t[8000:12000])
    return x


def _db(after: np.ndarray, before: np.ndarray) -> float:
    return 10 * np.log10(np.mean(after ** 2) / np.mean(before ** 2))


def test_steady_noise_is_taken_down_and_the_tone_in_it_kept():
    x = _noisy_tone()
    pcm = np.clip(x, -32768, 32767).astype("<i2").tobytes()
    out = np.frombuffer(subtract_noise(pcm), dtype="<i2").astype(np.float64)
    assert len(out) == len(x)
    assert _db(out[:7000], x[:7000]) < -6.0  # the noise alone (power subtraction: -4.7 dB)
    assert abs(_db(out[9000:11000], x[9000:11000])) < 1.0  # the tone


def test_the_gain_over_noise_alone_moves_slowly():
    """Decision-directed: frame to frame the gain of a band of pure noise changes by far less than
    a frame-by-frame decision's (power subtraction's 0.97 in log units on this clip): the
    isolated peaks that make musical noise are damped with the rest."""
    rng = np.random.default_rng(2)
    frames = np.lib.stride_tricks.sliding_window_view(rng.normal(0, 1000, RATE), WINDOW)[::HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(WINDOW), axis=1)) ** 2
    noise = np.percentile(power, 15, axis=0) * 1.5
    gain = wiener_gain(power, noise)
    assert gain.shape == power.shape and gain.min() > 0 and gain.max() < 1
    assert np.mean(np.abs(np.diff(np.log(gain), axis=0))) < 0.5


def test_a_clip_too_short_to_estimate_from_is_returned_as_is():
    pcm = np.arange(WINDOW, dtype="<i2").tobytes()
    assert subtract_noise(pcm) == pcm
