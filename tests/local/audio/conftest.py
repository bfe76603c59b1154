"""Shared material for the audio tests: synthesized speech, made once per session.

Synthesizing and loading the models take seconds, so the clips the tests
listen to are made once (the models themselves are cached per process).
"""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from course_helpers.local.audio import speech

SENTENCE = "Good morning, the weather is lovely today."


@pytest.fixture(scope="session")
def sentence_samples() -> np.ndarray:
    """``SENTENCE`` spoken by the alloy voice: int16 samples at 24 kHz."""
    return speech.synthesize_all(SENTENCE, voice="alloy")


def write_container(samples: np.ndarray, container_format: str, codec: str, sample_rate: int = 24_000) -> bytes:
    """Write int16 mono samples into any container FFmpeg knows (mp4, webm, ...), for upload tests."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=48_000 if codec == "libopus" else sample_rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.int16), format="s16", layout="mono")
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
