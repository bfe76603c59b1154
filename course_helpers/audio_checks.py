"""Checks for the exercises of lesson 05 (pcm, Realtime audio events and sessions, WAV files, transcription, WER).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Computations are checked exactly on made-up
inputs (made-up Realtime events of the SDK's own types, a made-up subtitle
file); API exercises are checked on the request you built and the structure of
what came back (a WAV file's header, a transcript's timestamps), never on the
words the model heard. :func:`send_transcription` sends a transcription and
returns a refusal instead of raising it, so the check can name the mistake.

>>> check_pcm_duration(lambda data: len(data) / 24000)
❌ pcm_duration(48,000 bytes) returned 2; expected 1. Each sample takes 2 bytes (16 bits): divide by 2 as well as by 24,000.
>>> check_pcm_duration(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/05_audio.ipynb (and exercises/05_audio.ipynb)
"""

from __future__ import annotations

import base64
import math
import warnings
import wave
from pathlib import Path

import numpy as np

from .audio import PCM_SAMPLE_RATE, normalize_words, word_error_rate
from .checks import Hint, call, checker, describe, expect, fail, is_stub, refused

__all__ = [
    "EXAMPLE_SRT",
    "check_collect_audio",
    "check_gpt_transcribe",
    "check_parse_srt",
    "check_pcm_duration",
    "check_speech_session",
    "check_word_error_rate",
    "check_word_timestamps",
    "send_transcription",
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
        if got == size // 2 // PCM_SAMPLE_RATE:
            fail(f"{where} // drops the fraction of a second: divide with / to keep it.")
        if any(math.isclose(got, size / 2 / rate, rel_tol=1e-9) for rate in (22_050, 16_000, 44_100, 48_000)):
            fail(f"{where} The API's pcm is 24,000 samples a second.")
        fail(where)
    return "bytes / 2 bytes per sample / 24,000 samples per second."


def _edits(reference: list[str], hypothesis: list[str], borders: bool = True) -> int:
    """The fewest word substitutions, deletions and insertions from one word list to the other.

    ``borders=False`` leaves the first row and column at 0, the usual slip, to recognize it.
    """
    previous = list(range(len(hypothesis) + 1)) if borders else [0] * (len(hypothesis) + 1)
    for i, ref_word in enumerate(reference, start=1):
        current = [i if borders else 0]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j - 1] + (ref_word != hyp_word), previous[j] + 1, current[j - 1] + 1))
        previous = current
    return previous[-1]


def _wer_hint(where: str, got: float, expected: float, reference: str, hypothesis: str) -> str:
    """The real mistake behind a wrong word error rate, found by recomputing the usual wrong formulas."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    edits = _edits(ref, hyp)
    said = f"{where} returned {got:.4g}; expected {expected:.4g}."

    def close(value: float) -> bool:
        return math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9)

    if close(edits):
        return f"{said} That is the number of edits ({edits}): divide it by the number of reference words ({len(ref)})."
    if expected > 1 and close(1.0):  # earlier cases (('go', '') among them) caught the other slips: a cap
        return (
            f"{said} Do not cap the rate at 1: every inserted word counts, so a transcript longer than the "
            "reference can score above 1."
        )
    if close(_edits(ref, hyp, borders=False) / len(ref)):
        return (
            f"{said} Fill the table's first column and row before the loops: d[i][0] = i (deleting i reference "
            "words) and d[0][j] = j (inserting j words); left at 0, deletions and insertions cost nothing."
        )
    if hyp and len(hyp) != len(ref) and close(edits / len(hyp)):
        return (
            f"{said} You divided by the hypothesis's {len(hyp)} words: divide by the reference's {len(ref)}, "
            "the words that were really said, so that every transcript is scored on the same scale."
        )
    if reference.strip() and close(edits / len(reference)):
        return f"{said} You divided by the reference's characters ({len(reference)}): divide by its words ({len(ref)})."
    raw_ref, raw_hyp = reference.split(), hypothesis.split()
    if raw_ref != ref and (close(_edits(raw_ref, raw_hyp) / len(raw_ref)) or raw_hyp != hyp):
        return (
            f"{said} Compare normalized words: lowercase, without punctuation (normalize_words from "
            "course_helpers.audio does both), or 'Hello,' and 'hello' count as different words."
        )
    return (
        f"{said} Fill the table with the fewest edits: d[i][j] = min(d[i-1][j-1] + (words differ), "
        "d[i-1][j] + 1, d[i][j-1] + 1), and take d[len(ref)][len(hyp)]."
    )


_EMPTY_REFERENCE = (
    "An empty reference has no words to divide by: handle it before dividing, as the exercise says "
    "(0.0 when the hypothesis is empty too, else 1.0)."
)


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
        ("go", ""),  # before the next case: a table without its borders fails here, a cap at 1 does not
        ("one two three", "four five six seven eight"),
        ("", ""),
        ("", "hello there"),
        ("...", ""),
    ]
    for reference, hypothesis in cases:
        expected = word_error_rate(reference, hypothesis)
        where = f"wer({reference!r}, {hypothesis!r})"
        empty = not normalize_words(reference)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "divide by zero" is the hint's job
            try:
                got = call(function, reference, hypothesis)
            except Hint as hint:
                if empty and isinstance(hint.__cause__, (ZeroDivisionError, IndexError, ValueError)):
                    fail(f"{where} raised {type(hint.__cause__).__name__}. {_EMPTY_REFERENCE}")
                raise
        expect(
            isinstance(got, (int, float, np.number)) and not isinstance(got, (bool, np.bool_)),
            f"{where} should return a number, but it returned {describe(got)}.",
        )
        got = float(got)
        if not math.isfinite(got):
            fail(f"{where} returned {got}. " + (_EMPTY_REFERENCE if empty else "Look for a division by zero."))
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        if empty:
            fail(f"{where} returned {got:g}; expected {expected:g}. {_EMPTY_REFERENCE}")
        fail(_wer_hint(where, got, expected, reference, hypothesis))
    return "the fewest word edits, divided by the number of reference words (and an empty reference handled)."


# ------------------------------------------------------------------ Realtime text to speech

_CHUNKS = (b"\x01\x00\x02\x00\x03\x00\x04\x00", bytes(range(10, 20)), b"\x05\x00\x06\x00")  # made-up PCM16
_TRANSCRIPT = ("Hello there.", " Bye.")


class _KeptReading(Exception):
    """Raised when a loop asks for an event after the last one a real connection would send."""


def _events(kinds: list[tuple[str, object]]):
    """Realtime server events of the SDK's own types, then :class:`_KeptReading` (a real socket would wait)."""
    from openai.types.realtime import RealtimeServerEvent
    from pydantic import TypeAdapter

    adapter = TypeAdapter(RealtimeServerEvent)
    where = {"response_id": "resp_check", "item_id": "item_check", "output_index": 0, "content_index": 0}
    for number, (kind, value) in enumerate(kinds):
        event: dict = {"type": kind, "event_id": f"event_check_{number}"}
        if kind == "response.output_audio.delta":
            event |= {**where, "delta": base64.b64encode(value).decode("ascii")}  # type: ignore[arg-type]
        elif kind == "response.output_audio_transcript.delta":
            event |= {**where, "delta": value}
        elif kind in ("response.output_audio.done",):
            event |= where
        elif kind in ("response.created", "response.done"):
            event["response"] = {"id": "resp_check", "object": "realtime.response", "status": value}
        elif kind == "error":
            event["error"] = {"type": "invalid_request_error", "code": "invalid_value", "message": value}
        yield adapter.validate_python(event)
    raise _KeptReading()


def _a_response() -> list[tuple[str, object]]:
    return [
        ("response.created", "in_progress"),
        ("response.output_audio_transcript.delta", _TRANSCRIPT[0]),
        ("response.output_audio.delta", _CHUNKS[0]),
        ("response.output_audio.delta", _CHUNKS[1]),
        ("response.output_audio_transcript.delta", _TRANSCRIPT[1]),
        ("response.output_audio.delta", _CHUNKS[2]),
        ("response.output_audio.done", None),
        ("response.done", "completed"),
    ]


_ERROR_MESSAGE = "Invalid 'session.audio.output.speed': decimal above maximum value. Expected a value <= 1.5."


def _collect(function, events, after: str):
    """``function(events)``, with a loop that kept reading (``after`` what) turned into its own hint."""
    try:
        return call(function, events)
    except Hint as hint:
        cause = hint.__cause__
        if isinstance(cause, _KeptReading):
            if after == "response.done":
                fail(
                    "Your loop went on after response.done: a real connection then waits for ever (the session "
                    "stays open for the next response). Stop at response.done (break, or return)."
                )
            fail(
                "An error event came and your loop waited for more: after an error no response.done comes, so a "
                "real connection would wait for ever. Raise an exception with event.error.message."
            )
        if isinstance(cause, KeyError) or (isinstance(cause, TypeError) and "subscriptable" in str(cause)):
            fail("The events are objects, not dicts: read event.type and event.delta (with a dot).")
        if isinstance(cause, AttributeError) and "delta" in str(cause):
            fail(
                f"Only some events have a delta ({cause}): look at event.type first and take the delta of "
                "response.output_audio.delta events only."
            )
        raise


@checker
def check_collect_audio(function):
    """Check ``collect_audio(events)``: the PCM bytes of one Realtime response, read up to ``response.done``."""
    expected = b"".join(_CHUNKS)
    got = _collect(function, _events(_a_response()), after="response.done")
    joined_text = "".join(base64.b64encode(chunk).decode("ascii") for chunk in _CHUNKS)
    if isinstance(got, str) or got == joined_text.encode("ascii"):
        fail(
            "You returned the base64 text of the deltas: each delta is audio encoded as text. Decode each one with "
            "base64.b64decode(event.delta), then join the bytes."
        )
    expect(
        isinstance(got, (bytes, bytearray)),
        f"collect_audio should return the audio as one bytes object, but it returned {describe(got)}"
        + (": join the pieces with b''.join(...)." if isinstance(got, list) else "."),
    )
    got = bytes(got)
    if got == expected:
        pass
    elif any(piece.encode() in got for piece in _TRANSCRIPT):
        fail(
            "Your bytes contain the transcript's text: only response.output_audio.delta events carry audio; "
            "response.output_audio_transcript.delta events carry what the voice says, as text."
        )
    elif got in _CHUNKS:
        fail(f"You kept one delta of {len(_CHUNKS)}: add every delta's bytes (pcm += ...), in the order they come.")
    else:
        fail(
            f"collect_audio returned {len(got)} bytes; expected {len(expected)}: the decoded deltas of "
            "response.output_audio.delta events, joined in the order they came."
        )
    error = [("error", _ERROR_MESSAGE)]
    try:
        got = _collect(function, _events(error), after="error")
    except Hint as hint:
        if not str(hint).startswith("Your code raised"):
            raise
        expect(
            _ERROR_MESSAGE in str(hint),
            "After an error event your code raised, but without the API's words: put event.error.message in "
            "the exception (raise RuntimeError(event.error.message)), so whoever reads it knows what to fix.",
        )
        return "the decoded audio deltas joined in order, up to response.done; an error event raises with its message."
    fail(
        f"After an error event collect_audio returned {describe(got)}: raise an exception with "
        "event.error.message instead, so the failure is not taken for silence."
    )


def _realtime_voices() -> tuple[str, ...]:
    from .local.server.protocol.audio_profiles import REALTIME_VOICES

    return REALTIME_VOICES


@checker
def check_speech_session(session, path, speed: float = 1.25):
    """Check a ``session.update`` session for audio at ``speed``, and the WAV file written from its PCM."""
    expect(
        isinstance(session, dict),
        f"`session` should be the dict you give connection.session.update(session=...), but it is {describe(session)}.",
    )
    for name in ("voice", "speed", "format"):
        expect(
            name not in session,
            f"{name!r} does not go at the top of the session: it belongs in session['audio']['output'] "
            "(audio → output → voice, speed, format).",
        )
    expect(session.get("type") == "realtime", "A Realtime session says what it is: 'type': 'realtime'.")
    modalities = session.get("output_modalities")
    expect(
        modalities == ["audio"],
        f"Ask for speech only: 'output_modalities': ['audio'] (yours is {modalities!r}; with 'text' you get no audio).",
    )
    audio = session.get("audio")
    output = audio.get("output") if isinstance(audio, dict) else None
    if not isinstance(output, dict):
        fail("Put the voice, speed and format in session['audio']['output'] (a dict).")
    assert isinstance(output, dict)  # for the type checker: fail() raised otherwise
    voice = output.get("voice")
    voices = _realtime_voices()
    if voice in ("fable", "onyx", "nova"):
        fail(f"{voice!r} was a voice of the Speech endpoint only; the Realtime voices are {', '.join(voices)}.")
    expect(voice in voices, f"Choose a Realtime voice ({', '.join(voices)}); yours is {voice!r}.")
    given = output.get("speed")
    if isinstance(given, (int, float)) and not 0.25 <= given <= 1.5:
        fail(f"speed={given} is outside the Realtime range, 0.25 to 1.5 (the Speech endpoint went to 4.0).")
    expect(given == speed, f"Ask for 'speed': {speed} in audio.output (yours is {given!r}; 1.0 is the normal pace).")
    audio_format = output.get("format")
    if isinstance(audio_format, str) or (
        isinstance(audio_format, dict) and audio_format.get("type") not in ("audio/pcm", None)
    ):
        fail(
            f"The Realtime API has no {audio_format!r} output: ask for {{'type': 'audio/pcm', 'rate': 24000}} "
            "and write the WAV header yourself."
        )
    expect(
        isinstance(audio_format, dict) and audio_format.get("rate") == PCM_SAMPLE_RATE,
        f"Ask for 'format': {{'type': 'audio/pcm', 'rate': 24000}} (yours is {audio_format!r}; 24 kHz is the "
        "only rate).",
    )
    expect(isinstance(path, (str, Path)), f"`path` should be the WAV file's name, but it is {describe(path)}.")
    path = Path(path)
    expect(path.is_file(), f"There is no file at {path.as_posix()}: write the PCM you collected with write_wav.")
    data = path.read_bytes()
    expect(data, f"{path.as_posix()} is empty: did the response bring audio?")
    expect(
        data.startswith(b"RIFF"),
        f"{path.as_posix()} has no WAV header: raw PCM is bare samples that no player can read. Write it with "
        "write_wav(path, pcm) (or the wave module), which puts the 44-byte header in front.",
    )
    with wave.open(str(path)) as wav:
        rate, channels, width, frames = wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes()
    if rate != PCM_SAMPLE_RATE:
        pace = "too fast, and too high" if rate > PCM_SAMPLE_RATE else "too slow, and too low"
        fail(f"The header says {rate:,} samples a second; the samples are 24,000 a second, so it plays {pace}.")
    expect(channels == 1, f"The header says {channels} channels; the Realtime audio is mono: setnchannels(1).")
    expect(width == 2, f"The header says {width} byte(s) a sample; PCM16 is 2 bytes (16 bits): setsampwidth(2).")
    expect(frames > 0, f"{path.as_posix()} has a header and no samples: did the response bring audio?")
    return f"audio at {speed}× in the voice {voice!r}, saved as a WAV file a player can read."


# -------------------------------------------------------------------- transcription


def send_transcription(client, request):
    """``client.audio.transcriptions.create(**request)``, with a refused request returned instead of raised.

    As :func:`course_helpers.checks.send` for chat: the check cell after it turns the
    error into a hint. An open file in ``request["file"]`` is closed after sending;
    a stub request stays a stub:

    >>> send_transcription(None, ...)
    Ellipsis
    """
    import openai

    if is_stub(request) or not isinstance(request, dict):
        return request
    try:
        return client.audio.transcriptions.create(**request)
    except (openai.APIStatusError, TypeError, RuntimeError) as error:  # RuntimeError: the SDK's "Expected entry …"
        return error
    finally:
        close = getattr(request.get("file"), "close", None)
        if callable(close):
            close()


def _check_file(request) -> None:
    file = request.get("file")
    expect(file is not None, "`request` needs 'file': the audio, as open(path, 'rb'), a Path, or (name, bytes).")
    if isinstance(file, str):
        fail(
            "'file' is a str: the SDK does not read a path given as text. Give Path(...) or open(..., 'rb'), "
            "or (file name, bytes)."
        )


def _transcription_request(request) -> dict:
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for "
        f"client.audio.transcriptions.create(**request), but it is {describe(request)}.",
    )
    expect("model" in request, "`request` needs 'model' (the transcription model) and 'file' (the audio).")
    _check_file(request)
    return request


_LANGUAGE_NAMES = {"english": "en", "en-us": "en", "en_us": "en", "eng": "en"}


@checker
def check_gpt_transcribe(request, transcript, keywords: tuple[str, ...] = ("ZyntriQix", "Digique")):
    """Check a gpt-transcribe request with ``keywords`` and ``languages=["en"]``, and what came back."""
    request = _transcription_request(request)
    model = request["model"]
    expect(
        model == "gpt-transcribe",
        f"Use model='gpt-transcribe' (yours is {model!r}): keywords and languages are its parameters, and the "
        "other transcription models are deprecated.",
    )
    if "language" in request:
        fail("gpt-transcribe takes 'languages', a list of ISO-639-1 codes (['en']), not the singular 'language'.")
    given = request.get("keywords")
    if given is None:
        hint = " The prompt is context; keywords are the literal terms to spell." if "prompt" in request else ""
        fail(f"Give the product names as 'keywords': a list, one term per item, e.g. {list(keywords)!r}.{hint}")
    if isinstance(given, str):
        fail(f"'keywords' is a list, one term per item ({list(keywords)!r}), not one string {given!r}.")
    expect(
        isinstance(given, (list, tuple)) and all(isinstance(word, str) for word in given),
        f"'keywords' should be a list of strings, but it is {describe(given)}.",
    )
    missing = [word for word in keywords if word not in given]
    expect(not missing, f"'keywords' lacks {', '.join(map(repr, missing))}: spell each name as it should come out.")
    languages = request.get("languages")
    if isinstance(languages, str):
        fail(f"'languages' is a list of codes: ['en'], not {languages!r}.")
    expect(languages is not None, "Say the audio is English with 'languages': ['en'].")
    expect(isinstance(languages, (list, tuple)), f"'languages' should be a list, but it is {describe(languages)}.")
    named = [str(code).strip().lower() for code in languages]
    if any(code in _LANGUAGE_NAMES for code in named):
        fail(f"Languages are ISO-639-1 codes, two letters: 'en' for English (yours: {list(languages)!r}).")
    expect(named == ["en"], f"The audio is English only: 'languages': ['en'] (yours: {list(languages)!r}).")
    response_format = request.get("response_format", "json")
    expect(
        response_format == "json",
        f"Keep response_format 'json' (the default; yours is {response_format!r}): it gives the Transcription "
        "object, with .text and the languages it heard.",
    )
    refused(transcript)
    expect(
        hasattr(transcript, "text") and not isinstance(transcript, str),
        f"`transcript` should be what send_transcription returned, but it is {describe(transcript)}.",
    )
    return "keywords give gpt-transcribe the spellings, languages the language to expect."


@checker
def check_word_timestamps(request, transcript):
    """Check a whisper-1 transcription request for word timestamps, and the timestamps that came back."""
    request = _transcription_request(request)
    expect(
        request["model"] == "whisper-1",  # aging: allow (deliberate history: the one model with word timestamps)
        f"Only whisper-1 gives word timestamps (yours is {request['model']!r}), and only until it shuts down on "
        "2027-02-26: gpt-transcribe answers in json or text, without times.",
    )
    expect(
        request.get("response_format") == "verbose_json",
        f"Timestamps only come with response_format='verbose_json' (yours is {request.get('response_format')!r}).",
    )
    granularities = request.get("timestamp_granularities")
    expect(
        granularities is not None and not isinstance(granularities, str) and "word" in list(granularities),
        "Ask for word timestamps with timestamp_granularities=['word'] (a list; segments come by default).",
    )
    refused(transcript)
    expect(
        not isinstance(transcript, str),
        "This is a str: keep the whole object returned by the request, not its text.",
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
