"""Tests for course_helpers/local/audio/encoding.py: every format is a real file of its kind."""

from __future__ import annotations

import io
import struct
import wave

import av
import numpy as np
import pytest

from course_helpers.local.audio.encoding import FORMATS, SAMPLE_RATE, Encoder, decode, encode, encode_stream

# response_format -> (container name PyAV reports, codec name)
KINDS = {
    "mp3": ("mp3", "mp3"),
    "opus": ("ogg", "opus"),
    "aac": ("aac", "aac"),
    "flac": ("flac", "flac"),
    "wav": ("wav", "pcm_s16le"),
}


def tone(frequency: float = 440.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    return (10_000 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def dominant_frequency(samples: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sample_rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("response_format", sorted(KINDS))
def test_each_format_is_a_valid_file_of_its_kind(response_format):
    data = b"".join(encode_stream(np.array_split(tone(), 4), response_format))
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        assert container.format.name.split(",")[0] == KINDS[response_format][0]
        assert stream.codec_context.codec.canonical_name == KINDS[response_format][1]
        assert stream.codec_context.channels == 1
        samples = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(stream)])
        rate = stream.codec_context.sample_rate
    assert abs(len(samples) / rate - 1.0) < 0.1  # encoder padding is a few ms
    assert abs(dominant_frequency(samples.astype(np.float64), rate) - 440) < 5


def test_pcm_is_raw_24khz_16bit_little_endian():
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    data = encode(samples, "pcm")
    assert data == struct.pack("<5h", *samples.tolist())


def test_wav_header_says_24khz_16bit_mono_and_python_reads_the_samples():
    samples = tone(seconds=0.5)
    data = encode(samples, "wav")
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getframerate(), reader.getsampwidth(), reader.getnchannels()) == (24_000, 2, 1)
        read = np.frombuffer(reader.readframes(len(samples) + 1000), dtype="<i2")
    np.testing.assert_array_equal(read, samples)


@pytest.mark.parametrize("response_format", FORMATS)
def test_bytes_come_out_before_the_last_block_goes_in(response_format):
    consumed = []

    def blocks():
        for i, block in enumerate(np.array_split(tone(seconds=3.0), 6)):
            consumed.append(i)
            yield block

    first = next(iter(encode_stream(blocks(), response_format)))
    assert first
    assert len(consumed) < 6


def test_decode_reads_back_what_encode_wrote():
    samples = decode(encode(tone(), "flac"))
    assert samples.dtype == np.float32
    np.testing.assert_allclose(samples, tone() / 32768, atol=1e-4)


def test_decode_resamples_to_the_requested_rate():
    assert len(decode(encode(tone(), "wav"), sample_rate=16_000)) == pytest.approx(16_000, abs=32)


def test_decode_rejects_bytes_that_are_not_audio():
    with pytest.raises((av.error.FFmpegError, ValueError)):
        decode(b"this is a text file, not a sound" * 20)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        Encoder("ogg")
