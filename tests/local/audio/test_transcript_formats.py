"""Tests for course_helpers/local/audio/transcript_formats.py: the five answer formats."""

from __future__ import annotations

import pytest

from course_helpers.local.audio.transcript_formats import RESPONSE_FORMATS, render, timestamp, to_srt, to_vtt
from course_helpers.local.audio.transcription import Segment, Transcript, Word


def segment(i: int, start: float, end: float, text: str) -> Segment:
    return Segment(
        id=i,
        seek=0,
        start=start,
        end=end,
        text=text,
        tokens=[50257, 11],
        temperature=0.0,
        avg_logprob=-0.2,
        compression_ratio=1.1,
        no_speech_prob=0.01,
    )


TRANSCRIPT = Transcript(
    text="Hello there. General Kenobi.",
    language="english",
    duration=3661.25,
    segments=[segment(0, 0.0, 1.5, " Hello there."), segment(1, 3600.0, 3661.25, " General Kenobi.")],
    words=[Word("Hello", 0.0, 0.5), Word("there.", 0.5, 1.5)],
)


@pytest.mark.parametrize(
    ("seconds", "marker", "expected"),
    [
        (0, ",", "00:00:00,000"),
        (1.5, ",", "00:00:01,500"),
        (3661.25, ".", "01:01:01.250"),
        (59.9996, ".", "00:01:00.000"),
    ],
)
def test_timestamp(seconds, marker, expected):
    assert timestamp(seconds, marker) == expected


def test_srt_numbers_cues_and_uses_commas():
    assert to_srt(TRANSCRIPT.segments) == (
        "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:00:00,000 --> 01:01:01,250\nGeneral Kenobi.\n"
    )


def test_vtt_has_its_header_and_uses_dots():
    assert to_vtt(TRANSCRIPT.segments) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n01:00:00.000 --> 01:01:01.250\nGeneral Kenobi.\n"
    )


def test_json_has_text_and_duration_usage():
    body, media_type = render(TRANSCRIPT, "json")
    assert body == {"text": "Hello there. General Kenobi.", "usage": {"type": "duration", "seconds": 3662}}
    assert media_type == "application/json"


def test_text_is_plain_with_a_final_newline():
    assert render(TRANSCRIPT, "text") == ("Hello there. General Kenobi.\n", "text/plain; charset=utf-8")


def test_verbose_json_has_segments_and_words_only_when_asked():
    body, _ = render(TRANSCRIPT, "verbose_json")
    assert body["language"] == "english" and body["duration"] == 3661.25
    assert [s["text"] for s in body["segments"]] == [" Hello there.", " General Kenobi."]
    assert "words" not in body
    body, _ = render(TRANSCRIPT, "verbose_json", words=True, segments=False)
    assert body["words"] == [{"word": "Hello", "start": 0.0, "end": 0.5}, {"word": "there.", "start": 0.5, "end": 1.5}]
    assert "segments" not in body


def test_every_format_renders_and_unknown_ones_do_not():
    assert all(render(TRANSCRIPT, name)[0] for name in RESPONSE_FORMATS)
    with pytest.raises(ValueError):
        render(TRANSCRIPT, "diarized_json")
