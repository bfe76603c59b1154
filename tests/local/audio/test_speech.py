"""Tests for course_helpers/local/audio/speech.py on the real Piper voice."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.audio import speech
from course_helpers.local.audio.measures import median_pitch
from course_helpers.local.audio.voices import VOICES

PITCH_TEXT = "Hello there, how are you doing today? I hope the weather is nice where you live."


def seconds(samples: np.ndarray) -> float:
    return len(samples) / speech.SAMPLE_RATE


@pytest.fixture(scope="module")
def pitches() -> dict[str, float]:
    """The median pitch (Hz) of every voice saying the same two sentences."""
    return {
        name: median_pitch(speech.synthesize_all(PITCH_TEXT, voice=name) / 32768, speech.SAMPLE_RATE) for name in VOICES
    }


def test_speech_is_int16_at_24khz_one_block_per_sentence():
    blocks = list(speech.synthesize("One. Two. Three.", voice="echo"))
    assert len(blocks) >= 3
    assert all(block.dtype == np.int16 for block in blocks)
    audio = np.concatenate(blocks)
    assert 0.8 < seconds(audio) < 5
    assert np.abs(audio).max() > 10_000  # loud enough to hear, scaled to -1 dBFS


def test_same_request_same_audio(sentence_samples):
    again = speech.synthesize_all("Good morning, the weather is lovely today.", voice="alloy")
    np.testing.assert_array_equal(again, sentence_samples)


def test_a_long_first_sentence_is_cut_at_a_comma_so_audio_starts_sooner():
    text = "When the afternoon meeting finally ended, everyone went home. Bye."
    assert len(list(speech.synthesize(text))) == 3  # two pieces, then "Bye."


@pytest.mark.parametrize("speed", [0.25, 0.5, 2.0, 4.0])
def test_speed_changes_the_duration_accordingly(sentence_samples, speed):
    faster_or_slower = speech.synthesize_all("Good morning, the weather is lovely today.", voice="alloy", speed=speed)
    assert seconds(faster_or_slower) == pytest.approx(seconds(sentence_samples) / speed, rel=0.02)


def test_voices_are_distinct_by_pitch_in_the_order_of_their_settings(pitches):
    by_setting = sorted(VOICES, key=lambda name: VOICES[name].semitones)
    measured = [pitches[name] for name in by_setting]
    assert all(higher > lower * 1.005 for lower, higher in zip(measured, measured[1:])), dict(zip(by_setting, measured))


def test_each_voice_is_shifted_by_its_semitones(pitches):
    reference = pitches["ballad"]  # ballad is the unshifted voice
    for name, style in VOICES.items():
        assert pitches[name] == pytest.approx(reference * style.pitch_factor, rel=0.06), name


def test_voices_span_a_deep_to_a_high_voice(pitches):
    assert pitches["onyx"] < 100 < 130 < pitches["shimmer"]


@pytest.mark.parametrize(("voice", "speed"), [("bob", 1.0), ("alloy", 0.1), ("alloy", 4.5)])
def test_bad_voice_or_speed_is_a_value_error(voice, speed):
    with pytest.raises(ValueError):
        speech.synthesize_all("Hi.", voice=voice, speed=speed)
