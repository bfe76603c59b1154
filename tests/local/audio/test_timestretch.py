"""Tests for course_helpers/local/audio/timestretch.py: length follows speed, pitch does not."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.audio.timestretch import time_stretch

RATE = 24_000


def tone(frequency: float, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * frequency * np.arange(int(RATE * seconds)) / RATE).astype(np.float32)


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("speed", [0.25, 0.5, 0.8, 1.25, 2.0, 4.0])
def test_length_is_exactly_one_over_speed(speed):
    assert len(time_stretch(tone(200), speed)) == round(RATE / speed)


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_pitch_is_unchanged(speed):
    stretched = time_stretch(tone(200, seconds=2.0), speed)
    assert dominant_frequency(stretched) == pytest.approx(200, abs=3)


def test_a_steady_tone_keeps_its_loudness_without_clicks():
    stretched = time_stretch(tone(150, seconds=2.0), 1.5)
    middle = stretched[2000:-2000]
    assert np.abs(middle).max() == pytest.approx(1.0, abs=0.05)
    # a click would be a jump far larger than a sine at 150 Hz ever makes between two samples
    assert np.abs(np.diff(middle)).max() < 2 * np.sin(np.pi * 150 / RATE) * 1.5


def test_speed_one_returns_the_audio_untouched():
    audio = tone(300)
    assert time_stretch(audio, 1.0) is audio
