"""Tests for course_helpers/local/audio/voices.py: the OpenAI names, each its own setting."""

from __future__ import annotations

from course_helpers.local.audio.voices import VOICES

OPENAI_VOICES = {
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "nova",
    "onyx",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
}


def test_every_openai_voice_name_is_there_and_nothing_else():
    assert set(VOICES) == OPENAI_VOICES


def test_no_two_voices_share_a_pitch():
    semitones = sorted(style.semitones for style in VOICES.values())
    assert all(higher - lower >= 0.5 for lower, higher in zip(semitones, semitones[1:]))


def test_settings_stay_in_a_range_that_keeps_speech_intelligible():
    for style in VOICES.values():
        assert -4 <= style.semitones <= 7
        assert 0.85 <= style.tempo <= 1.15
        assert -0.5 <= style.brightness <= 0.5
