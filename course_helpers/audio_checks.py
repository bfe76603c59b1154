"""Checks for the exercises of lesson 05 (speech files, pcm, subtitles, timestamps, word error rate).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Computations are checked exactly on made-up
inputs; API exercises are checked on the request you built and the structure
of what came back (a file's format, a transcript's timestamps), never on the
words the model heard.

>>> check_pcm_duration(lambda data: len(data) / 24000)
❌ pcm_duration(48,000 bytes) returned 2; expected 1. Each sample takes 2 bytes (16 bits): divide by 2 as well as by 24,000.
>>> check_pcm_duration(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/05_audio.ipynb (and exercises/05_audio.ipynb)
"""

from __future__ import annotations

import math
from pathlib import Path

from .audio import PCM_SAMPLE_RATE, word_error_rate
from .checks import call, checker, describe, expect, fail

__all__ = [
    "EXAMPLE_SRT",
    "check_parse_srt",
    "check_pcm_duration",
    "check_speech_file",
    "check_word_error_rate",
    "check_word_timestamps",
]

# A made-up subtitle file (not model output), for the SRT exercise.
EXAMPLE_SRT = """1
00:00:00,000 --> 00:00:02,500
Hello there.

2
00:00:02,500 --> 00:00:05,120
My name is Ada.

3
00:01:03,040 --> 00:01:04,000
Goodbye!
"""
_HOUR_SRT = "1\n01:02:03,500 --> 01:02:05,000\nStill here?\n"
_EXAMPLE_CUES = [(0.0, 2.5, "Hello there."), (2.5, 5.12, "My name is Ada."), (63.04, 64.0, "Goodbye!")]

# The first bytes of each response_format's file ("magic numbers"); pcm has no header at all.
_MAGIC = {
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "opus": (b"OggS",),
    "aac": (b"\xff\xf1", b"\xff\xf9"),
    "flac": (b"fLaC",),
    "wav": (b"RIFF",),
}


@checker
def check_pcm_duration(function):
    """Check ``pcm_duration(data)``: seconds of 24 kHz, 16-bit mono pcm bytes."""
    for size in (48_000, 12_000, 2, 0, 1_234_560):
        expected = size / 2 / PCM_SAMPLE_RATE
        got = call(function, bytes(size))
        expect(
            isinstance(got, (int, float)) and not isinstance(got, bool),
            f"pcm_duration should return a number of seconds, but it returned {describe(got)}.",
        )
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        where = f"pcm_duration({size:,} bytes) returned {got:.6g}; expected {expected:.6g}."
        if math.isclose(got, size / PCM_SAMPLE_RATE, rel_tol=1e-9):
            fail(f"{where} Each sample takes 2 bytes (16 bits): divide by 2 as well as by 24,000.")
        if math.isclose(got, size / 2, rel_tol=1e-9):
            fail(f"{where} That is the number of samples: divide by the sample rate (24,000 a second).")
        if any(math.isclose(got, size / 2 / rate, rel_tol=1e-9) for rate in (22_050, 16_000, 44_100, 48_000)):
            fail(f"{where} The API's pcm is 24,000 samples a second.")
        fail(where)
    return "bytes / 2 bytes per sample / 24,000 samples per second."


@checker
def check_word_error_rate(function):
    """Check ``wer(reference, hypothesis)`` against :func:`course_helpers.audio.word_error_rate`."""
    cases = [
        ("the cat sat on the mat", "the cat sat on the mat"),
        ("the cat sat on the mat", "the cat sat on a mat"),
        ("the cat sat on the mat", "the cat on the mat"),
        ("the cat sat on the mat", "the black cat sat on the mat"),
        ("a b c d", "a x c"),
        ("Hello, World!", "hello world"),
        ("one two three", "four five six seven eight"),
        ("go", ""),
    ]
    for reference, hypothesis in cases:
        expected = word_error_rate(reference, hypothesis)
        where = f"wer({reference!r}, {hypothesis!r})"
        got = call(function, reference, hypothesis)
        expect(
            isinstance(got, (int, float)) and not isinstance(got, bool) or hasattr(got, "dtype"),
            f"{where} should return a number, but it returned {describe(got)}.",
        )
        got = float(got)
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        reference_words = len(reference.split())
        if math.isclose(got, expected * reference_words, abs_tol=1e-9):
            fail(
                f"{where} returned {got:g}: that is the number of edits. Divide it by the number of "
                f"reference words ({reference_words})."
            )
        if reference == "Hello, World!":
            fail(
                f"{where} returned {got:.3g}; expected 0. Compare normalized words: lowercase, without "
                "punctuation (normalize_words from course_helpers.audio does both)."
            )
        if expected > 1:
            fail(
                f"{where} returned {got:.3g}; expected {expected:.3g}. The rate can exceed 1: count every "
                "insertion, even when the hypothesis is longer than the reference."
            )
        fail(
            f"{where} returned {got:.3g}; expected {expected:.3g}. Fill the table with the fewest edits: "
            "d[i][j] = min(d[i-1][j-1] + (words differ), d[i-1][j] + 1, d[i][j-1] + 1)."
        )
    return "the fewest word edits, divided by the number of reference words."


_SPEECH_PARAMETERS = {
    "model",
    "voice",
    "input",
    "response_format",
    "speed",
    "instructions",
    "stream_format",
    "extra_headers",
    "extra_query",
    "extra_body",
    "timeout",
}


def _speech_request(request) -> dict:
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for "
        f"client.audio.speech.with_streaming_response.create(**request), but it is {describe(request)}.",
    )
    for name in ("model", "voice", "input"):
        expect(name in request, f"`request` needs {name!r} (a speech request needs model, voice and input).")
    expect(
        isinstance(request["input"], str) and request["input"].strip(),
        "'input' should be the text to speak, a non-empty string.",
    )
    unknown = sorted(set(request) - _SPEECH_PARAMETERS)
    if unknown:
        usual = {
            "format": "response_format",
            "audio_format": "response_format",
            "rate": "speed",
            "text": "input",
            "prompt": "instructions",
        }
        tips = [f"{name!r} is called {usual[name]!r}" for name in unknown if name in usual]
        fail(
            f"speech.create takes no parameter {', '.join(map(repr, unknown))} (it would raise TypeError)"
            + (
                f": {'; '.join(tips)}."
                if tips
                else ". Its parameters: model, voice, input, response_format, speed, instructions."
            )
        )
    return request


@checker
def check_speech_file(request, path, response_format: str = "flac", speed: float = 1.25):
    """Check a speech request for ``response_format`` at ``speed``, and the file it was streamed to."""
    request = _speech_request(request)
    given = request.get("response_format")
    expect(
        given == response_format,
        f"Ask for response_format={response_format!r} (your request has {given!r}; without it you get mp3).",
    )
    expect(
        request.get("speed") == speed,
        f"Ask for speed={speed} (your request has {request.get('speed')!r}; "
        "1.0 is the normal pace, 0.25 to 4.0 are allowed).",
    )
    expect(
        isinstance(path, (str, Path)), f"`path` should be the file name you streamed to, but it is {describe(path)}."
    )
    path = Path(path)
    expect(
        path.is_file(),
        f"There is no file at {path.as_posix()}: stream the response into it with response.stream_to_file(path).",
    )
    head = path.read_bytes()[:4]
    expect(head, f"{path.as_posix()} is empty: did the request finish?")
    if not head.startswith(_MAGIC[response_format]):
        found = next((name for name, magics in _MAGIC.items() if head.startswith(magics)), None)
        fail(
            f"{path.as_posix()} does not start like a {response_format} file"
            + (f"; it looks like {found}." if found else ".")
            + " Is it the file of this request?"
        )
    expect(
        path.suffix == f".{response_format}",
        f"The file holds {response_format} audio: name it "
        f"with the .{response_format} extension, so players and the API recognize it.",
    )
    return f"a {response_format} file, streamed to disk as it was synthesized."


def _transcription_request(request) -> dict:
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for "
        f"client.audio.transcriptions.create(**request), but it is {describe(request)}.",
    )
    expect("model" in request and "file" in request, "`request` needs 'model' and 'file' (an open file).")
    return request


@checker
def check_word_timestamps(request, transcript):
    """Check a transcription request for word timestamps, and the timestamps that came back."""
    request = _transcription_request(request)
    expect(
        request.get("response_format") == "verbose_json",
        f"Timestamps only come with response_format='verbose_json' (yours is {request.get('response_format')!r}).",
    )
    granularities = request.get("timestamp_granularities")
    expect(
        granularities is not None and "word" in list(granularities),
        "Ask for word timestamps with timestamp_granularities=['word'] (segments come by default).",
    )
    expect(
        not isinstance(transcript, str),
        "This is a str: keep the whole object returned by client.audio.transcriptions.create(...), not its text.",
    )
    words = getattr(transcript, "words", None)
    expect(
        hasattr(transcript, "duration"),
        f"`transcript` should be the verbose transcription, but it is {describe(transcript)}.",
    )
    expect(words, "The transcript has no words: did you send this request, with audio that has speech?")
    previous_end = 0.0
    for word in words:
        expect(
            0 <= word.start <= word.end <= transcript.duration + 0.5,
            f"The word {word.word!r} has start {word.start} and end {word.end}, outside the audio "
            f"({transcript.duration:.2f} s): is this the transcript of this request?",
        )
        expect(word.start >= previous_end - 0.05, "The words are not in time order: is this one transcript?")
        previous_end = word.end
    return "every word comes with its start and end, in seconds from the start of the audio."


@checker
def check_parse_srt(function):
    """Check ``parse_srt(text)``: a list of (start seconds, end seconds, text) per cue."""
    got = call(function, EXAMPLE_SRT)
    expect(isinstance(got, list), f"parse_srt should return a list of tuples, but it returned {describe(got)}.")
    expect(
        len(got) == len(_EXAMPLE_CUES),
        f"parse_srt(EXAMPLE_SRT) returned {len(got)} cues; expected "
        f"{len(_EXAMPLE_CUES)}. Cues are separated by a blank line.",
    )
    for number, (cue, expected) in enumerate(zip(got, _EXAMPLE_CUES), start=1):
        expect(
            isinstance(cue, (tuple, list)) and len(cue) == 3,
            f"Cue {number} should be a tuple (start, end, text), but it is {describe(cue)}.",
        )
        start, end, text = cue
        expect(
            isinstance(start, (int, float)) and isinstance(end, (int, float)),
            f"Cue {number}: start and end should be numbers of seconds, but they are {describe(start)} "
            f"and {describe(end)}.",
        )
        if not (math.isclose(start, expected[0], abs_tol=1e-6) and math.isclose(end, expected[1], abs_tol=1e-6)):
            hint = ""
            if math.isclose(start, math.floor(expected[0])) and math.isclose(end, math.floor(expected[1])):
                hint = " The part after the comma is milliseconds: add them / 1000."
            elif expected[0] >= 60 and math.isclose(start, expected[0] % 60, abs_tol=1e-6):
                hint = " Count the minutes too: hours × 3600 + minutes × 60 + seconds."
            fail(
                f"Cue {number} is {start}–{end} s; expected {expected[0]}–{expected[1]} s "
                f"(from {EXAMPLE_SRT.splitlines()[4 * number - 3]!r}).{hint}"
            )
        expect(
            text == expected[2],
            f"Cue {number} has text {text!r}; expected {expected[2]!r} (strip the "
            "line, and leave out the number and the timing line).",
        )
    # EXAMPLE_SRT stays under an hour: one more cue, an hour in, so that the hours count too.
    got = call(function, _HOUR_SRT)
    expect(
        isinstance(got, list) and len(got) == 1 and isinstance(got[0], (tuple, list)) and len(got[0]) == 3,
        f"parse_srt of a one-cue file returned {describe(got)}; expected [(start, end, text)].",
    )
    start, end = got[0][0], got[0][1]
    if not (math.isclose(start, 3723.5, abs_tol=1e-6) and math.isclose(end, 3725.0, abs_tol=1e-6)):
        hint = (
            " Count the hours too: hours × 3600 + minutes × 60 + seconds."
            if math.isclose(start, 123.5, abs_tol=1e-6)
            else ""
        )
        fail(
            f"On a cue timed '01:02:03,500 --> 01:02:05,000' you give {start}–{end} s; expected 3723.5–3725.0 s.{hint}"
        )
    return "SRT timings are hours:minutes:seconds,milliseconds."
