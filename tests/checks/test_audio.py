"""Tests for course_helpers/checks/audio.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import base64
import doctest
import math
import string
import time
import warnings
import wave

import httpx2
import numpy as np
import openai
import pytest
from openai.types.audio import Transcription

from course_helpers.audio import READ_ALOUD, normalize_words, subtitles, text_message, word_error_rate, write_wav
from course_helpers.checks import audio as audio_checks
from course_helpers.checks.audio import (
    check_collect_audio,
    check_cut_pcm,
    check_gpt_transcribe,
    check_pcm_duration,
    check_speech_session,
    check_word_error_rate,
    check_write_srt,
    recording,
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
        (lambda data: len(data) / 48, "in milliseconds: return seconds"),
        (lambda data: len(data) / 2, "number of samples"),
        (lambda data: len(data) / 2 / 22050, "24,000 samples a second"),
        (lambda data: len(data) // 2 // 24000, "// drops the fraction"),
        (lambda data: "1 s", "number of seconds"),
    ],
)
def test_pcm_duration(capsys, function, expected):
    check_pcm_duration(function)
    assert expected in _line(capsys)


def _cutter(rate=24_000, bytes_per_sample=2, to_sample=round, to_end=None, extra=0, as_array=False, length=False):
    """A cut_pcm with one chosen mistake: the wrong rate or sample size, int() for round(), one sample too many,
    ``end`` taken for a length."""

    def cut(pcm, start, end):
        first, stop = to_sample(start * rate), (to_end or to_sample)(end * rate)
        if as_array:
            return np.frombuffer(pcm, dtype="<i2")[first:stop]
        if length:
            return pcm[bytes_per_sample * first : bytes_per_sample * (first + stop)]
        return pcm[bytes_per_sample * first : bytes_per_sample * stop + extra]

    return cut


@pytest.mark.parametrize(
    "function, expected",
    [
        (_cutter(), "✅"),
        (_cutter(bytes_per_sample=1), "each sample is 2 bytes"),
        (_cutter(rate=48_000, bytes_per_sample=1, to_sample=int), "the middle of a sample"),
        (_cutter(to_sample=lambda x: x), "round() it to the nearest sample"),
        (_cutter(to_sample=int), "is sample 2,400.72: round() it to the nearest, 2,401; int() cuts it down"),
        (_cutter(to_end=int), "The end, 0.30003 s, is sample 7,200.72: round() it to the nearest, 7,201; int()"),
        (_cutter(to_sample=math.ceil), "sample 7,200.48: round() it to the nearest, 7,200, not up"),
        (_cutter(length=True), "`end` is a time, not a length"),
        (_cutter(extra=2), "do not add a sample at the end"),
        (_cutter(rate=48_000), "not 48,000 or 16,000"),
        (_cutter(rate=16_000), "not 48,000 or 16,000"),
        (_cutter(as_array=True), "return the bytes themselves"),
        (lambda pcm, start, end: str(pcm[:4]), "should return bytes"),
        (..., "⏳"),
    ],
)
def test_cut_pcm(capsys, function, expected):
    check_cut_pcm(function)
    assert expected in _line(capsys)


def _seconds_then_millis(seconds):
    """Whole seconds and rounded milliseconds apart: 1.9996 s gives 00:00:01,1000."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d},{millis:03d}"


def _strftime_stamp(seconds):
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) + f",{round(seconds % 1 * 1000):03d}"


def _formatted_seconds(seconds):
    """Seconds as one float formatted with 3 decimals: 59.9996 s gives 00:00:60,000."""
    return f"{int(seconds // 3600):02d}:{int(seconds // 60 % 60):02d}:{seconds % 60:06.3f}".replace(".", ",")


def _srt_writer(comma=",", first=1, hours=True, to_millis=round, separator="\n", pad=True, stamp=None, **cue_changes):
    """A write_srt with one chosen mistake (each keyword argument at its default is right).

    ``cue_changes``: ``number`` (a function of the cue number), ``arrow``, ``indent`` (before every line),
    ``one_line`` (the number and the timing on one line).
    """

    def _stamp(seconds):
        millis = to_millis(seconds * 1000)
        h, millis = divmod(millis, 3_600_000)
        m, millis = divmod(millis, 60_000)
        s, millis = divmod(millis, 1000)
        if not hours:
            return f"{h * 60 + m:02d}:{s:02d}{comma}{millis:03d}"
        if not pad:
            return f"{h}:{m}:{s}{comma}{millis}"
        return f"{h:02d}:{m:02d}:{s:02d}{comma}{millis:03d}"

    stamp = stamp or _stamp
    number, arrow = cue_changes.get("number", str), cue_changes.get("arrow", " --> ")
    indent, after_number = cue_changes.get("indent", ""), " " if cue_changes.get("one_line") else "\n"

    def write(cues):
        blocks = [
            f"{number(n)}{after_number}{stamp(a)}{arrow}{stamp(b)}\n{text}\n"
            for n, (a, b, text) in enumerate(cues, start=first)
        ]
        return separator.join(
            "\n".join(indent + line if line else line for line in block.split("\n")) for block in blocks
        )

    return write


@pytest.mark.parametrize(
    "function, expected",
    [
        (_srt_writer(), "✅"),
        (lambda cues: _srt_writer()(cues).strip(), "✅"),  # a final newline or none: players read both
        (_srt_writer(comma="."), "a comma before the milliseconds"),
        (_srt_writer(first=0), "numbered from 1"),
        (_srt_writer(hours=False), "Write hours too"),
        (_srt_writer(pad=False), "Pad with zeros"),
        (_srt_writer(to_millis=int), "int() cuts 1.001 × 1000"),
        (_srt_writer(separator=""), "one blank line between cues"),
        (_srt_writer(stamp=_seconds_then_millis), "'00:00:01,1000 --> 00:00:59,1000'; expected '00:00:02,000 -->"),
        (_srt_writer(stamp=_strftime_stamp), "Round to whole milliseconds first, then split them"),
        (_srt_writer(stamp=_formatted_seconds), "'00:00:02,000 --> 00:00:60,000'; expected '00:00:02,000 --> 00:01:"),
        (_srt_writer(indent="  "), "The line '1' starts with 2 spaces: SRT lines start at the margin"),
        (_srt_writer(arrow="-->"), "one space on each side of the arrow"),
        (_srt_writer(number=lambda n: "1"), "reads '1'; expected '2'. Number the cues in order: 1, 2, 3"),
        (_srt_writer(number=lambda n: f"{n:03d}"), "without zero padding: 1, not 001"),
        (_srt_writer(number=lambda n: f"{n}."), "the number alone, 1, with nothing after it"),
        (_srt_writer(one_line=True), "The number goes on a line of its own"),
        (_srt_writer(separator="\n\n"), "reads ''; expected '2'. A blank line stands there: one blank line between"),
        (lambda cues: "\n" + _srt_writer()(cues), "reads ''; expected '1'. A blank line stands there"),
        (lambda cues: _srt_writer()(cues) + "\n\n", "✅"),
        (lambda cues: _srt_writer()(cues).replace("Hello there.", "Hello there. "), "'Hello there.' ends with spaces"),
        (  # lines that split as the right ones do, and still differ: a ❌ naming both texts, never a ✅
            lambda cues: _srt_writer()(cues).replace("\n", "\r\n").replace("\r\n\r\n", "\n\n"),
            "returned '1\\r\\n00:00:00,000",
        ),
        (lambda cues: "WEBVTT\n\n" + _srt_writer(comma=".")(cues), "That is a WebVTT file"),
        (lambda cues: [_srt_writer()(cues)], "the file's text (a str)"),
        (..., "⏳"),
    ],
)
def test_write_srt(capsys, function, expected):
    check_write_srt(function)
    assert expected in _line(capsys)


def test_write_srt_check_accepts_the_lesson_helper(capsys):
    check_write_srt(lambda cues: subtitles(cues, "srt"))
    assert "✅" in _line(capsys)


def _guarded(wer):
    """A word error rate that is right except on an empty reference, which it divides by zero as numpy does."""

    def function(reference, hypothesis):
        if not reference.strip(".!? "):
            return np.int64(len(hypothesis.split())) / np.int64(0)  # inf or nan, with a RuntimeWarning
        return wer(reference, hypothesis)

    return function


def _wer_on(words):
    """A right word error rate on the words ``words(text)`` gives, instead of normalize_words'."""

    def function(reference, hypothesis):
        ref, hyp = words(reference), words(hypothesis)
        d = np.zeros((len(ref) + 1, len(hyp) + 1), dtype=int)
        d[:, 0], d[0, :] = np.arange(len(ref) + 1), np.arange(len(hyp) + 1)
        for i in range(1, len(ref) + 1):
            for j in range(1, len(hyp) + 1):
                d[i, j] = min(d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]), d[i - 1, j] + 1, d[i, j - 1] + 1)
        return d[-1, -1] / len(ref) if ref else float(bool(hyp))

    return function


_raw_wer = _wer_on(str.split)  # the words as written (case and punctuation count): a missed normalization


def _stripped(text):
    """Words as split() and strip(string.punctuation).lower() make them: '-' becomes '', '3.5' stays one word."""
    return [word.strip(string.punctuation).lower() for word in text.split()]


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


def _over_split_pieces(reference, hypothesis):
    """Right but for its division: by len(reference.split()) instead of the normalized words' count."""
    words = len(normalize_words(reference))
    return word_error_rate(reference, hypothesis) * words / len(reference.split()) if words else float(bool(hypothesis))


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
        (lambda r, h: 100 * word_error_rate(r, h), "That is a percentage: return the rate as a fraction"),
        (lambda r, h: round(100 * word_error_rate(r, h)), "That is a percentage"),
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
        (
            _over_split_pieces,
            "wer('Hello - world', 'hello word') returned 0.3333; expected 0.5. You divided by reference.split()'s 3",
        ),
        (_wer_on(_stripped), "wer('...', '') returned 1; expected 0. Take the words with normalize_words"),
        (
            _wer_on(lambda text: [word for word in _stripped(text) if word]),
            "normalize_words('it costs 3.5 euros') is ['it', 'costs', '3', '5', 'euros'], yours are ['it', 'costs', '3.5'",
        ),
        (
            lambda r, h: 1 - word_error_rate(r, h),
            "returned 1; expected 0. That is 1 minus the error rate, the accuracy",
        ),
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


def _collector(
    audio_only=True, decode=True, stop_at_done=True, raise_on_error=True, message=True, join=True, error=RuntimeError
):
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
                    raise error(event.error.message if message else "it failed")
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
        (_collector(error=ValueError), "your code raised ValueError; the exercise asks for RuntimeError"),
        (_collector(error=Exception), "your code raised Exception; the exercise asks for RuntimeError"),
        (_collector(error=AttributeError), "Your code raised AttributeError"),  # a slip, shown as it is
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
    return {"type": "realtime", "output_modalities": ["audio"], "audio": {"output": output}, "instructions": READ_ALOUD}


def _send(session, response=None):
    """What recording() keeps when a cell sends ``session`` then a response.create (``response`` or the usual)."""
    audio_checks.REALTIME_SENT[:] = [
        {"type": "session.update", "session": session},
        {"type": "response.create", "response": response or {"conversation": "none", "input": [text_message("Hi.")]}},
    ]


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
        (_session(voice="marin"), "wav", "'marin' is the lesson's voice"),
        ({**_session(), "instructions": None}, "wav", "Add 'instructions': READ_ALOUD"),
        ({**_session(), "instructions": "Read this."}, "wav", "Use the lesson's instructions"),
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
    if isinstance(session, dict):
        session = {k: v for k, v in session.items() if v is not None}
        _send(session)
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


def _session_update_only():
    _send(_session())
    audio_checks.REALTIME_SENT.pop()  # the response.create


@pytest.mark.parametrize(
    "sent, expected",
    [
        (lambda: _send(_session()), "✅"),
        (audio_checks.REALTIME_SENT.clear, "saw no session.update"),
        (lambda: _send(_session(voice="ash")), "differs from `session`"),
        (lambda: _send({k: v for k, v in _session().items() if k != "instructions"}), "differs from `session`"),
        (_session_update_only, "no response.create"),
        (lambda: _send(_session(), {"conversation": "none", "instructions": "Say hi."}), "replace the session's"),
    ],
)
def test_speech_session_looks_at_what_was_sent(capsys, tmp_path, sent, expected):
    path = write_wav(tmp_path / "exercise.wav", bytes(4800))
    sent()
    check_speech_session(_session(), path)
    assert expected in _line(capsys)


class _Connection:
    """Stands in for the SDK's RealtimeConnection: keeps what send() got, and yields two server events."""

    def __init__(self):
        self.got = []

    def send(self, event):
        self.got.append(event)

    def __iter__(self):
        return iter(["response.created", "response.done"])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.closed = True


def test_recording_keeps_the_events_the_sdk_makes_and_passes_them_on():
    session = _session()
    manager = _Connection()
    with recording(manager) as connection:
        connection.session.update(session=session)
        connection.response.create(response={"conversation": "none", "input": [text_message("Hi.")]})
        assert list(connection) == ["response.created", "response.done"]
    session["instructions"] = "changed later"  # what was sent stays as it was sent
    assert [event["type"] for event in manager.got] == ["session.update", "response.create"]
    assert audio_checks.REALTIME_SENT[0] == {"type": "session.update", "session": _session()}
    assert audio_checks.REALTIME_SENT[1]["response"]["input"] == [text_message("Hi.")]
    assert manager.closed
