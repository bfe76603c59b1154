"""The examples in the audio modules' docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "course_helpers.local.audio.encoding",
    "course_helpers.local.audio.measures",
    "course_helpers.local.audio.speech",
    "course_helpers.local.audio.timestretch",
    "course_helpers.local.audio.transcript_formats",
    "course_helpers.local.audio.transcription",
    "course_helpers.local.audio.voices",
    "course_helpers.local.server.audio",
    "course_helpers.local.server.protocol.audio_profiles",
    "course_helpers.local.server.protocol.realtime",
    "course_helpers.local.server.realtime",
    "course_helpers.local.server.realtime_session",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    results = doctest.testmod(importlib.import_module(name))
    assert results.failed == 0
    assert results.attempted > 0
