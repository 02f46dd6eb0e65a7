"""Audio for `tally listen`: 16 kHz, 16-bit, mono PCM, from a WAV file or standard input.

The recogniser's acoustic model is trained on 16 kHz speech, so anything else
is refused rather than resampled by guesswork: the refusal says the command
that converts it (sox, ffmpeg). Standard input carries raw samples (what
`parec`, `pw-record`, `ffmpeg -f s16le` and `sox -t raw` write); a WAV file
piped in is read too. Text or an empty stream is refused before anything is
journaled; a stream that ends later just ends (the screen says so).
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from typing import BinaryIO

RATE = 16_000
WIDTH = 2  # bytes a sample
CONVERT = "sox IN -r 16000 -c 1 -b 16 OUT.wav (or ffmpeg -i IN -ar 16000 -ac 1 OUT.wav)"
PIPE = "pipe raw 16 kHz 16-bit mono PCM, e.g. ffmpeg -i IN -f s16le -ar 16000 -ac 1 - | tally listen J --audio -"
PEEK = 4096


class AudioError(Exception):
    """Audio tally listen cannot use, in one line that says what to do."""


class AudioSource:
    """PCM samples to read in frames, and the audio clock: seconds of audio read so far."""

    def __init__(self, name: str, stream: BinaryIO, reader=None) -> None:
        self.name = name
        self._stream = stream
        self._reader = reader  # a wave reader, or None for raw samples
        self.samples = 0

    def read(self, size: int) -> bytes:
        """Up to `size` bytes of samples (fewer only at the end); b"" once the audio has ended."""
        if self._reader is not None:
            data = self._reader.readframes(size // WIDTH)
        else:
            data = _read_full(self._stream, size)
        self.samples += len(data) // WIDTH
        return data

    @property
    def seconds(self) -> float:
        return self.samples / RATE

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._stream is not sys.stdin.buffer:
            self._stream.close()


def _read_full(stream: BinaryIO, size: int) -> bytes:
    """A pipe gives what it has: read until `size` bytes or the end."""
    parts, have = [], 0
    while have < size:
        part = stream.read(size - have)
        if not part:
            break
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def open_audio(spec: str, stdin: BinaryIO | None = None) -> AudioSource:
    """The audio `--audio` names: a WAV file, or "-" for standard input; AudioError when unusable."""
    if spec == "-":
        return _open_stdin(stdin if stdin is not None else sys.stdin.buffer)
    path = Path(spec)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise AudioError(f"{spec}: cannot read it ({exc.strerror or exc})") from None
    try:
        return _open_wav(spec, stream)
    except BaseException:
        stream.close()
        raise


def _open_wav(name: str, stream: BinaryIO) -> AudioSource:
    try:
        reader = wave.open(stream, "rb")
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{name}: not a WAV file ({exc}); convert it: {CONVERT}") from None
    rate, channels, width = reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
    if (rate, channels, width) != (RATE, 1, WIDTH) or reader.getcomptype() != "NONE":
        reader.close()
        kind = f"{rate:,} Hz, {channels} channel{'s' if channels != 1 else ''}, {8 * width}-bit"
        raise AudioError(f"{name}: {kind} audio; tally listen needs 16,000 Hz, 1 channel, "
                         f"16-bit: convert it: {CONVERT}")
    if reader.getnframes() == 0:
        reader.close()
        raise AudioError(f"{name}: no audio in it (0 samples)")
    return AudioSource(name, stream, reader)


def _open_stdin(stream: BinaryIO) -> AudioSource:
    """Standard input: waits for its first bytes, to refuse an empty stream or text at once."""
    if stream.isatty():
        raise AudioError(f"standard input is the terminal, not audio: {PIPE}")
    head = stream.peek(PEEK)[:PEEK] if hasattr(stream, "peek") else b""
    if not head:
        raise AudioError(f"standard input ended before any audio: {PIPE}")
    if head.startswith(b"RIFF"):
        return _open_wav("standard input", stream)
    if looks_like_text(head):
        raise AudioError(f"standard input is text, not audio: {PIPE}")
    return AudioSource("standard input", stream)


def looks_like_text(head: bytes) -> bool:
    """Most bytes printable ASCII: a file of words, not samples.

    Speech as 16-bit samples has high bytes near 0x00 or 0xFF (quiet) and
    low bytes spread over all 256 values, so fewer than half its bytes are
    printable; text is nearly all printable.
    """
    printable = sum(1 for b in head if 32 <= b < 127 or b in (9, 10, 13))
    return printable >= 0.9 * len(head)
