"""Audio file formats for ``/v1/audio/speech``: mp3, opus, aac, flac, wav and pcm.

Speech is synthesized a sentence at a time, so encoding is a stream too: an
:class:`Encoder` takes blocks of 16-bit samples and hands back the bytes of
the file written so far, which the server sends right away. That is what
keeps the time to the first byte short.

The compressed formats are written by FFmpeg's encoders through PyAV (the
same library faster-whisper uses to read audio). Two formats are simple
enough to write by hand, and OpenAI sends them this way too:

- ``pcm``: raw samples, 24 kHz, 16-bit signed little-endian, mono, no header.
- ``wav``: a 44-byte RIFF header, then the same samples. The header is sent
  before the length is known, so its two size fields hold ``0xFFFFFFFF``
  ("until the end of the file"), the convention for streamed WAV. Players,
  browsers, FFmpeg and Python's ``wave`` module read it; ``wave`` reports a
  too-large frame count, so count the samples you read instead.

>>> import numpy as np
>>> data = encode(np.zeros(2400, dtype=np.int16), "wav")
>>> data[:4], len(data)
(b'RIFF', 4844)

Used in: notebooks/05_audio.ipynb (via the local server)
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Iterator
from typing import cast

import av
import numpy as np

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "SAMPLE_RATE",
    "Encoder",
    "decode",
    "encode",
    "encode_stream",
]

SAMPLE_RATE = 24_000  # what OpenAI sends, and what its pcm format promises

# response_format -> (container, codec) for the formats FFmpeg writes
_FFMPEG = {
    "mp3": ("mp3", "libmp3lame"),
    "opus": ("ogg", "libopus"),  # Opus in an Ogg file, as OpenAI sends it
    "aac": ("adts", "aac"),  # raw AAC frames with ADTS headers (a .aac file)
    "flac": ("flac", "flac"),
}
_BIT_RATES = {"mp3": 64_000, "opus": 32_000, "aac": 64_000}

FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")

MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


class _Sink(io.RawIOBase):
    """A write-only, non-seekable file that collects what the muxer writes."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        """Everything written since the last call."""
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header for a stream of unknown length."""
    unknown = 0xFFFFFFFF
    byte_rate = sample_rate * 2
    return (
        b"RIFF" + struct.pack("<I", unknown) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, byte_rate, 2, 16)
        + b"data" + struct.pack("<I", unknown)
    )  # fmt: skip


class Encoder:
    """Turns blocks of 16-bit mono samples into a file of one format, piece by piece.

    Call :meth:`write` for each block (it returns the bytes ready so far,
    possibly empty) and :meth:`close` once at the end (the rest of the file).

    >>> import numpy as np
    >>> encoder = Encoder("pcm")
    >>> len(encoder.write(np.zeros(10, dtype=np.int16))) + len(encoder.close())
    20
    """

    def __init__(self, response_format: str, sample_rate: int = SAMPLE_RATE) -> None:
        if response_format not in FORMATS:
            raise ValueError(f"unknown format {response_format!r}, expected one of {FORMATS}")
        self.format = response_format
        self.sample_rate = sample_rate
        self._started = False
        self._samples_written = 0
        if response_format in _FFMPEG:
            container_format, codec = _FFMPEG[response_format]
            self._sink = _Sink()
            self._container = av.open(self._sink, mode="w", format=container_format)
            self._stream = cast(av.AudioStream, self._container.add_stream(codec, rate=sample_rate, layout="mono"))
            if response_format in _BIT_RATES:
                self._stream.bit_rate = _BIT_RATES[response_format]

    def write(self, samples: np.ndarray) -> bytes:
        """Encode one block of int16 samples; returns the bytes that are ready."""
        samples = np.ascontiguousarray(samples, dtype=np.int16)
        header = b""
        if not self._started and self.format == "wav":
            header = _wav_header(self.sample_rate)
        self._started = True
        if self.format in ("wav", "pcm"):
            return header + samples.astype("<i2").tobytes()
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._samples_written
        self._samples_written += len(samples)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.take()

    def close(self) -> bytes:
        """Flush the encoder and finish the file; returns the last bytes."""
        if self.format in ("wav", "pcm"):
            # a file with no samples at all is still a valid (empty) file
            return b"" if self._started else self.write(np.zeros(0, dtype=np.int16))
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._sink.take()


def encode_stream(blocks: Iterable[np.ndarray], response_format: str) -> Iterator[bytes]:
    """Encode blocks of 24 kHz int16 samples as they come; yields non-empty byte strings.

    >>> import numpy as np
    >>> b"".join(encode_stream([np.ones(4, dtype=np.int16)], "pcm"))
    b'\\x01\\x00\\x01\\x00\\x01\\x00\\x01\\x00'
    """
    encoder = Encoder(response_format)
    for block in blocks:
        data = encoder.write(block)
        if data:
            yield data
    data = encoder.close()
    if data:
        yield data


def encode(samples: np.ndarray, response_format: str) -> bytes:
    """Encode all 24 kHz int16 samples at once into a file of ``response_format``.

    >>> import numpy as np
    >>> encode(np.zeros(24000, dtype=np.int16), "flac")[:4]
    b'fLaC'
    """
    return b"".join(encode_stream([samples], response_format))


def decode(data: bytes, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode any audio file FFmpeg reads into float32 mono samples at ``sample_rate``.

    Raises ``av.error.FFmpegError`` (or ``ValueError`` for a file with no
    audio stream) when ``data`` is not audio.

    >>> import numpy as np
    >>> samples = decode(encode(np.full(24000, 1000, dtype=np.int16), "wav"))
    >>> samples.shape, round(float(samples[100]), 4)
    ((24000,), 0.0305)
    """
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    blocks: list[np.ndarray] = []
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise ValueError("the file has no audio stream")
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler count samples itself
            blocks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    blocks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks).astype(np.float32)
