"""Synthetic speech for `tally listen`'s tests and benchmark: espeak-ng's voices, through sox.

espeak-ng writes 22,050 Hz WAV; sox turns it into what the recogniser reads
(16 kHz, 16-bit, mono). Clips are kept as numpy arrays of int16 samples so a
session is assembled (calls, pauses, other speech, noise) without more
processes. Both tools are Debian packages (apt-get install espeak-ng sox).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 16_000
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
          "en-us+f3", "en-gb+f2")
"""espeak-ng voices of English: six accents, and two of them with a woman's pitch."""


def tools_missing() -> str | None:
    """Which of espeak-ng and sox is not installed (None: both are)."""
    return next((t for t in ("espeak-ng", "sox") if shutil.which(t) is None), None)


def speak(text: str, voice: str = "en-us", wpm: int = 160) -> np.ndarray:
    """`text` said by espeak-ng's `voice` at `wpm` words a minute, as 16 kHz int16 samples."""
    said = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
                          check=True, capture_output=True).stdout
    pcm = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-"], input=said, check=True,
                         capture_output=True).stdout
    return trim(np.frombuffer(pcm, dtype="<i2"))


def trim(samples: np.ndarray, floor: int = 200) -> np.ndarray:
    """Without the silence espeak-ng puts around a clip: the pauses are the session's to choose."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples[:0]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.int16)


def noise(seconds: float, seed: int) -> np.ndarray:
    """Pink noise from sox (-R: the same samples on every run for one seed's length)."""
    pcm = subprocess.run(["sox", "-R", "-n", "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-", "synth", f"{seconds:.3f}", "pinknoise",
                          "vol", "0.5"], check=True, capture_output=True).stdout
    samples = np.frombuffer(pcm, dtype="<i2")
    return np.roll(samples, seed * 7919 % max(len(samples), 1))


def mix(speech: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """`speech` with noise at `snr_db` dB SNR, the speech's power taken over its voiced samples."""
    voiced = speech[np.abs(speech.astype(np.int32)) > 200].astype(np.float64)
    power = float(np.mean(voiced ** 2)) if len(voiced) else 1.0
    hiss = noise(len(speech) / RATE + 0.01, seed)[: len(speech)].astype(np.float64)
    hiss *= np.sqrt(power / 10 ** (snr_db / 10) / max(float(np.mean(hiss ** 2)), 1e-9))
    return np.clip(speech.astype(np.float64) + hiss, -32768, 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int = RATE, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def write_wav(path: Path, samples: np.ndarray) -> Path:
    path.write_bytes(wav_bytes(samples))
    return path
