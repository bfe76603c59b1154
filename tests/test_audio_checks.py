"""Tests for course_helpers/audio_checks.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import base64
import doctest
import warnings
import wave

import httpx2
import numpy as np
import openai
import pytest
from openai.types.audio import Transcription, TranscriptionVerbose

from course_helpers import audio_checks
from course_helpers.audio import normalize_words, word_error_rate, write_wav
from course_helpers.audio_checks import (
    check_collect_audio,
    check_gpt_transcribe,
    check_parse_srt,
    check_pcm_duration,
    check_speech_session,
    check_word_error_rate,
    check_word_timestamps,
    send_transcription,
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
        (lambda data: len(data) // 2 // 24000, "// drops the fraction"),
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


def _guarded(wer):
    """A word error rate that is right except on an empty reference, which it divides by zero as numpy does."""

    def function(reference, hypothesis):
        if not reference.strip(".!? "):
            return np.int64(len(hypothesis.split())) / np.int64(0)  # inf or nan, with a RuntimeWarning
        return wer(reference, hypothesis)

    return function


def _raw_wer(reference, hypothesis):
    """A word error rate on the words as written (case and punctuation count): a missed normalization."""
    ref, hyp = reference.split(), hypothesis.split()
    d = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=int)
    d[:, 0], d[0, :] = np.arange(len(ref) + 1), np.arange(len(hyp) + 1)
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            d[i, j] = min(d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), d[i - 1, j] + 1, d[i, j - 1] + 1)
    return d[-1, -1] / len(ref) if ref else float(bool(hyp))


def _no_borders(reference, hypothesis):
    """The table filled without its first row and column (left at 0)."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    d = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=int)
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            d[i, j] = min(d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), d[i - 1, j] + 1, d[i, j - 1] + 1)
    return d[-1, -1] / len(ref)


def _edits_over(denominator):
    def function(reference, hypothesis):
        edits = word_error_rate(reference, hypothesis) * max(len(reference.split()), 1)
        return 0.0 if edits == 0 else edits / denominator(reference, hypothesis)

    return function


@pytest.mark.parametrize(
    "function, expected",
    [
        (word_error_rate, "✅"),
        (lambda r, h: word_error_rate(r, h) * len(r.split()), "number of edits"),
        (_edits_over(lambda r, h: len(h.split())), "divided by the hypothesis's 5 words"),
        (_edits_over(lambda r, h: max(len(r.split()), len(h.split()))), "divide by the reference's 6"),
        (_edits_over(lambda r, h: len(r)), "reference's characters"),
        (lambda r, h: _raw_wer(r, h), "normalized"),
        (lambda r, h: min(1.0, word_error_rate(r, h)), "Do not cap the rate at 1"),
        (_no_borders, "first column and row"),
        (lambda r, h: 1 / 0, "ZeroDivisionError"),
        (_guarded(word_error_rate), "empty reference has no words"),
        (lambda r, h: word_error_rate(r, h) / len(r.split()) * len(r.split()), "empty reference has no words"),
        (lambda r, h: word_error_rate(r, h) if r.strip(".") else 0.0, "expected 1"),
        (..., "⏳"),
    ],
)
def test_word_error_rate(capsys, function, expected):
    check_word_error_rate(function)
    assert expected in _line(capsys)


def test_word_error_rate_check_shows_no_numpy_warning(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_word_error_rate(_guarded(word_error_rate))
    assert not caught, [str(warning.message) for warning in caught]
    assert "empty reference" in _line(capsys)


# ------------------------------------------------------------------ Realtime


def _collector(audio_only=True, decode=True, stop_at_done=True, raise_on_error=True, message=True, join=True):
    """A collect_audio with one of the usual mistakes switched on."""

    def collect(events):
        pieces = []
        for event in events:
            if event.type == "response.output_audio.delta" or (
                not audio_only and event.type == "response.output_audio_transcript.delta"
            ):
                is_audio = event.type == "response.output_audio.delta"
                pieces.append(base64.b64decode(event.delta) if decode and is_audio else event.delta.encode())
            elif event.type == "error":
                if raise_on_error:
                    raise RuntimeError(event.error.message if message else "it failed")
                if stop_at_done:
                    return b""
            elif event.type == "response.done" and stop_at_done:
                break
        return b"".join(pieces) if join else pieces

    return collect


def _last_delta_only(events):
    pcm = b""
    for event in events:
        if event.type == "response.output_audio.delta":
            pcm = base64.b64decode(event.delta)
        elif event.type == "error":
            raise RuntimeError(event.error.message)
        elif event.type == "response.done":
            return pcm


def _subscripted(events):
    for event in events:
        if event["type"] == "response.done":
            return b""


def _every_delta(events):
    pcm = b""
    for event in events:
        if event.type == "response.done":
            return pcm
        pcm += base64.b64decode(event.delta)


def _waits_after_error(events):
    pcm = b""
    for event in events:
        if event.type == "response.output_audio.delta":
            pcm += base64.b64decode(event.delta)
        elif event.type == "response.done":
            break
    return pcm


@pytest.mark.parametrize(
    "function, expected",
    [
        (_collector(), "✅"),
        (_collector(stop_at_done=False), "went on after response.done"),
        (_waits_after_error, "An error event came and your loop waited"),
        (_collector(raise_on_error=False), "After an error event collect_audio returned"),
        (_collector(message=False), "without the API's words"),
        (_collector(decode=False), "base64 text"),
        (_collector(audio_only=False), "transcript's text"),
        (_collector(join=False), "join the pieces"),
        (_last_delta_only, "You kept one delta of 3"),
        (_subscripted, "objects, not dicts"),
        (_every_delta, "Only some events have a delta"),
        (..., "⏳"),
    ],
)
def test_collect_audio(capsys, function, expected):
    check_collect_audio(function)
    assert expected in _line(capsys)


def _session(**output_changes):
    output = {"voice": "cedar", "speed": 1.25, "format": {"type": "audio/pcm", "rate": 24000}}
    output.update(output_changes)
    output = {k: v for k, v in output.items() if v is not None}
    return {"type": "realtime", "output_modalities": ["audio"], "audio": {"output": output}}


def _wav(path, rate=24000, channels=1, width=2, frames=2400):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames * channels * width))


@pytest.mark.parametrize(
    "session, file, expected",
    [
        (_session(), "wav", "✅"),
        (_session(voice="nova"), "wav", "voice of the Speech endpoint only"),
        (_session(voice="robot"), "wav", "Choose a Realtime voice"),
        (_session(speed=2.0), "wav", "outside the Realtime range, 0.25 to 1.5"),
        (_session(speed=None), "wav", "'speed': 1.25"),
        (_session(format="mp3"), "wav", "no 'mp3' output"),
        (_session(format={"type": "audio/pcm", "rate": 16000}), "wav", "24 kHz is the only rate"),
        ({**_session(), "voice": "cedar"}, "wav", "'voice' does not go at the top"),
        ({**_session(), "output_modalities": ["text"]}, "wav", "'output_modalities': ['audio']"),
        ({k: v for k, v in _session().items() if k != "type"}, "wav", "'type': 'realtime'"),
        (_session(), "raw", "no WAV header"),
        (_session(), "44100", "44,100 samples a second"),
        (_session(), "stereo", "2 channels"),
        (_session(), "none", "There is no file"),
        (..., "wav", "⏳"),
    ],
)
def test_speech_session(capsys, tmp_path, session, file, expected):
    path = tmp_path / "exercise.wav"
    if file == "wav":
        write_wav(path, bytes(4800))
    elif file == "raw":
        path.write_bytes(bytes(4800))
    elif file == "44100":
        _wav(path, rate=44100)
    elif file == "stereo":
        _wav(path, channels=2)
    check_speech_session(session, path)
    assert expected in _line(capsys)


# ------------------------------------------------------------------ transcription


def _transcribe_request(**changes):
    request = {"model": "gpt-transcribe", "file": b"audio", "keywords": ["ZyntriQix", "Digique"], "languages": ["en"]}
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


TRANSCRIPT = Transcription(text="Our new product, ZyntriQix, ships with the Digique chip.")


def _refusal(message):
    """The SDK's exception for a 400, as send_transcription returns it."""
    request = httpx2.Request("POST", "http://127.0.0.1/v1/audio/transcriptions")
    return openai.BadRequestError(message, response=httpx2.Response(400, request=request), body={"message": message})


@pytest.mark.parametrize(
    "request_, transcript, expected",
    [
        (_transcribe_request(), TRANSCRIPT, "✅"),
        (_transcribe_request(model="whisper-1"), TRANSCRIPT, "Use model='gpt-transcribe'"),  # aging: allow
        (_transcribe_request(languages=None, language="en"), TRANSCRIPT, "not the singular 'language'"),
        (_transcribe_request(keywords="ZyntriQix, Digique"), TRANSCRIPT, "one term per item"),
        (_transcribe_request(keywords=None, prompt="ZyntriQix, Digique"), TRANSCRIPT, "keywords are the literal"),
        (_transcribe_request(keywords=["Zyntriqix", "Digique"]), TRANSCRIPT, "lacks 'ZyntriQix'"),
        (_transcribe_request(languages=["english"]), TRANSCRIPT, "ISO-639-1 codes, two letters"),
        (_transcribe_request(languages="en"), TRANSCRIPT, "list of codes"),
        (_transcribe_request(languages=["en", "fr"]), TRANSCRIPT, "English only"),
        (_transcribe_request(response_format="srt"), TRANSCRIPT, "Keep response_format 'json'"),
        (_transcribe_request(file="sample.wav"), TRANSCRIPT, "'file' is a str"),
        (_transcribe_request(), _refusal("Bad keyword."), "The API refused your request"),
        (_transcribe_request(), "Our new product", "should be what send_transcription returned"),
        (..., ..., "⏳"),
    ],
)
def test_gpt_transcribe(capsys, request_, transcript, expected):
    check_gpt_transcribe(request_, transcript)
    assert expected in _line(capsys)


class _Client:
    """Stands in for OpenAI(): answers a transcription with ``answer``, or raises it."""

    def __init__(self, answer):
        self.answer = answer
        self.audio = self
        self.transcriptions = self

    def create(self, **request):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_send_transcription_returns_a_refusal_and_closes_the_file(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF")
    refusal = _refusal("No.")
    with open(path, "rb") as file:
        assert send_transcription(_Client(refusal), {"model": "gpt-transcribe", "file": file}) is refusal
        assert file.closed
    assert send_transcription(_Client(TRANSCRIPT), {"model": "x", "file": ("a.wav", b"RIFF")}) is TRANSCRIPT
    assert send_transcription(_Client(TRANSCRIPT), ...) is ...


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
    "model": "whisper-1",  # aging: allow (the lesson's history: the one model with word timestamps)
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
        ({**TRANSCRIPTION_REQUEST, "file": ("sample.wav", b"RIFF")}, _verbose([("Hi", 0.0, 0.3)]), "✅"),
        ({**TRANSCRIPTION_REQUEST, "file": "sample.wav"}, _verbose([("Hi", 0.0, 0.3)]), "'file' is a str"),
        ({**TRANSCRIPTION_REQUEST, "model": "gpt-transcribe"}, _verbose([("Hi", 0.0, 0.3)]), "Only whisper-1"),
        ({**TRANSCRIPTION_REQUEST, "timestamp_granularities": "word"}, _verbose([("Hi", 0, 0.3)]), "(a list"),
        (TRANSCRIPTION_REQUEST, _refusal("Unsupported parameter."), "The API refused your request"),
        (TRANSCRIPTION_REQUEST, ..., "⏳"),
    ],
)
def test_word_timestamps(capsys, request_, transcript, expected):
    check_word_timestamps(request_, transcript)
    assert expected in _line(capsys)
