"""Tests for course_helpers/local/audio/measures.py: word error rate and pitch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_helpers.local.audio.measures import median_pitch, normalize_words, word_error_rate


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("the cat sat", "The cat sat.", 0.0),  # case and punctuation do not count
        ("the cat sat", "the dog sat", 1 / 3),  # a substitution
        ("the cat sat", "the sat", 1 / 3),  # a deletion
        ("the cat sat", "the black cat sat", 1 / 3),  # an insertion
        ("the cat sat", "", 1.0),
        ("a b", "c d e f", 2.0),  # more errors than words: above 1
        ("", "", 0.0),
    ],
)
def test_word_error_rate(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_normalize_words_keeps_apostrophes_inside_words():
    assert normalize_words("Don't stop, 'quoted' words!") == ["don't", "stop", "quoted", "words"]


@pytest.mark.parametrize("frequency", [80.0, 110.0, 220.0, 400.0])
def test_median_pitch_of_a_tone(frequency):
    rate = 24_000
    t = np.arange(rate) / rate
    # a buzzy, voice-like tone: the fundamental and two overtones
    signal = (
        np.sin(2 * np.pi * frequency * t)
        + 0.6 * np.sin(4 * np.pi * frequency * t)
        + 0.3 * np.sin(6 * np.pi * frequency * t)
    )
    assert median_pitch(signal, rate) == pytest.approx(frequency, rel=0.01)


def test_silence_has_no_pitch():
    assert math.isnan(median_pitch(np.zeros(24_000), 24_000))
