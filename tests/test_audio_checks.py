"""Tests for course_helpers/audio_checks.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest

import pytest
from openai.types.audio import TranscriptionVerbose

from course_helpers import audio_checks
from course_helpers.audio import word_error_rate
from course_helpers.audio_checks import (
    check_parse_srt,
    check_pcm_duration,
    check_speech_file,
    check_word_error_rate,
    check_word_timestamps,
)


def _line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def test_docstring_examples():
    assert doctest.testmod(audio_checks).failed == 0


@pytest.mark.parametrize(
    "function, expected",
    [
        (lambda data: len(data) / 2 / 24000, "✅"),
        (lambda data: len(data) / 24000, "2 bytes"),
        (lambda data: len(data) / 2, "number of samples"),
        (lambda data: len(data) / 2 / 22050, "24,000 samples a second"),
        (lambda data: "1 s", "number of seconds"),
    ],
)
def test_pcm_duration(capsys, function, expected):
    check_pcm_duration(function)
    assert expected in _line(capsys)


def _srt_parser(shift_minutes=True, millis=True, hours=True):
    def parse(text):
        cues = []
        for block in text.strip().split("\n\n"):
            lines = block.splitlines()
            start, end = (part.strip() for part in lines[1].split("-->"))

            def seconds(stamp):
                h, m, rest = stamp.split(":")
                s, ms = rest.split(",")
                return (
                    (int(h) * 3600 if hours else 0)
                    + (int(m) * 60 if shift_minutes else 0)
                    + int(s)
                    + (int(ms) / 1000 if millis else 0)
                )

            cues.append((seconds(start), seconds(end), " ".join(lines[2:]).strip()))
        return cues

    return parse


@pytest.mark.parametrize(
    "function, expected",
    [
        (_srt_parser(), "✅"),
        (_srt_parser(millis=False), "milliseconds"),
        (_srt_parser(shift_minutes=False), "minutes"),
        (_srt_parser(hours=False), "Count the hours too"),
        (lambda text: [], "returned 0 cues"),
        (..., "⏳"),
    ],
)
def test_parse_srt(capsys, function, expected):
    check_parse_srt(function)
    assert expected in _line(capsys)


@pytest.mark.parametrize(
    "function, expected",
    [
        (word_error_rate, "✅"),
        (lambda r, h: word_error_rate(r, h) * len(r.split()), "number of edits"),
        (lambda r, h: word_error_rate(r.lower(), h.lower()) if "," not in r else 0.5, "normalized"),
        (lambda r, h: min(1.0, word_error_rate(r, h)), "exceed 1"),
        (lambda r, h: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_word_error_rate(capsys, function, expected):
    check_word_error_rate(function)
    assert expected in _line(capsys)


def _request(**changes):
    request = {"model": "gpt-4o-mini-tts", "voice": "nova", "input": "Hello.", "response_format": "flac", "speed": 1.25}
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


@pytest.mark.parametrize(
    "request_, content, name, expected",
    [
        (_request(), b"fLaC\x00", "a.flac", "✅"),
        (_request(response_format=None), b"fLaC\x00", "a.flac", "without it you get mp3"),
        (_request(speed=1.0), b"fLaC\x00", "a.flac", "speed=1.25"),
        (_request(), b"ID3\x04", "a.flac", "looks like mp3"),
        (_request(), b"fLaC\x00", "a.mp3", ".flac extension"),
        (_request(), None, "a.flac", "There is no file"),
        (_request(input=""), b"fLaC", "a.flac", "non-empty"),
        (_request(response_format=None, format="flac"), b"fLaC\x00", "a.flac", "'format' is called 'response_format'"),
        (_request(volume=2), b"fLaC\x00", "a.flac", "no parameter 'volume'"),
    ],
)
def test_speech_file(capsys, tmp_path, request_, content, name, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    check_speech_file(request_, path)
    assert expected in _line(capsys)


def _verbose(words, duration=2.0):
    """A verbose transcription built from test data (not a model's output)."""
    return TranscriptionVerbose.model_validate(
        {
            "text": " ".join(w for w, _, _ in words),
            "language": "english",
            "duration": duration,
            "words": [{"word": w, "start": s, "end": e} for w, s, e in words],
        }
    )


TRANSCRIPTION_REQUEST = {
    "model": "whisper-1",
    "file": b"audio",
    "response_format": "verbose_json",
    "timestamp_granularities": ["word"],
}


@pytest.mark.parametrize(
    "request_, transcript, expected",
    [
        (TRANSCRIPTION_REQUEST, _verbose([("Hi", 0.0, 0.3), ("there", 0.3, 0.7)]), "✅"),
        ({**TRANSCRIPTION_REQUEST, "response_format": "json"}, _verbose([("Hi", 0.0, 0.3)]), "verbose_json"),
        (
            {**TRANSCRIPTION_REQUEST, "timestamp_granularities": ["segment"]},
            _verbose([("Hi", 0, 0.3)]),
            "timestamp_granularities=['word']",
        ),
        (TRANSCRIPTION_REQUEST, _verbose([]), "no words"),
        (TRANSCRIPTION_REQUEST, _verbose([("Hi", 0.0, 9.0)]), "outside the audio"),
        (TRANSCRIPTION_REQUEST, _verbose([("b", 1.0, 1.5), ("a", 0.0, 0.3)]), "time order"),
        (TRANSCRIPTION_REQUEST, "Hi there", "keep the whole object"),
        (TRANSCRIPTION_REQUEST, ..., "⏳"),
    ],
)
def test_word_timestamps(capsys, request_, transcript, expected):
    check_word_timestamps(request_, transcript)
    assert expected in _line(capsys)
