"""Checks for the exercises of lesson 05 (pcm, Realtime audio events and sessions, WAV files, transcription, cutting PCM, SRT, WER).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Computations are checked exactly on made-up
inputs (made-up Realtime events of the SDK's own types, numbered PCM samples,
made-up subtitle cues); API exercises are checked on the request you built and
the structure of what came back (a WAV file's header, a transcript's fields),
never on the words the model heard. :func:`send_transcription` sends a transcription and
returns a refusal instead of raising it, so the check can name the mistake; :func:`recording`
keeps the events a Realtime connection sent, so the check sees the session you really sent.

>>> check_pcm_duration(lambda data: len(data) / 24000)
❌ pcm_duration(48,000 bytes) returned 2; expected 1. Each sample takes 2 bytes (16 bits): divide by 2 as well as by 24,000.
>>> check_pcm_duration(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/05_audio.ipynb (and exercises/05_audio.ipynb)
"""

from __future__ import annotations

import base64
import copy
import math
import string
import warnings
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..audio import PCM_SAMPLE_RATE, READ_ALOUD, normalize_words, word_error_rate
from . import Hint, call, checker, counted, describe, expect, fail, is_stub, refused

__all__ = [
    "EXAMPLE_SRT",
    "check_collect_audio",
    "check_cut_pcm",
    "check_gpt_transcribe",
    "check_pcm_duration",
    "check_speech_session",
    "check_word_error_rate",
    "check_write_srt",
    "recording",
    "send_transcription",
]

# A made-up subtitle file (not model output): what write_srt(_EXAMPLE_CUES) should return.
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
        if math.isclose(got, 1000 * expected, rel_tol=1e-9):
            fail(f"{where} That is in milliseconds: return seconds (do not multiply by 1,000).")
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

    if expected > 0 and abs(got - 100 * expected) < 1:
        return (
            f"{said} That is a percentage: return the rate as a fraction (edits / reference words, "
            f"{expected:.4g} here), not × 100; format it as a percentage only when you print it ({{:.0%}})."
        )
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
    stripped_ref, stripped_hyp = _stripped_words(reference), _stripped_words(hypothesis)
    if stripped_ref != ref and close(_edits(stripped_ref, stripped_hyp) / len(stripped_ref)):
        return f"{said} {_use_normalize_words(reference)}, yours are {stripped_ref!r}."
    raw_ref, raw_hyp = reference.split(), hypothesis.split()
    if raw_ref and len(raw_ref) != len(ref) and close(edits / len(raw_ref)):
        return (
            f"{said} You divided by reference.split()'s {len(raw_ref)} pieces: divide by the {len(ref)} words you "
            f"compared, len(normalize_words(reference)) (normalize_words({reference!r}) is {ref!r})."
        )
    if raw_ref != ref and (close(_edits(raw_ref, raw_hyp) / len(raw_ref)) or raw_hyp != hyp):
        return (
            f"{said} Compare normalized words: lowercase, without punctuation (normalize_words from "
            "course_helpers.audio does both), or 'Hello,' and 'hello' count as different words."
        )
    if expected != 0.5 and close(1 - expected):
        return (
            f"{said} That is 1 minus the error rate, the accuracy (the share of words right): return the error "
            "rate itself, the edits divided by the number of reference words."
        )
    return (
        f"{said} Fill the table with the fewest edits: d[i][j] = min(d[i-1][j-1] + (words differ), "
        "d[i-1][j] + 1, d[i][j-1] + 1), and take d[len(ref)][len(hyp)]."
    )


def _stripped_words(text: str) -> list[str]:
    """The words of ``text`` as split() and strip(string.punctuation).lower() make them: not normalize_words'."""
    return [word.strip(string.punctuation).lower() for word in text.split()]


def _use_normalize_words(reference: str) -> str:
    """The start of a hint for words made otherwise than with normalize_words (no full stop: the caller goes on)."""
    words = normalize_words(reference)
    return f"Take the words with normalize_words, as the exercise says: normalize_words({reference!r}) is {words!r}"


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
        ("Hello - world", "hello word"),  # normalize_words drops the '-' and splits '3.5': 2 and 5 words
        ("it costs 3.5 euros", "it cost 3.5 euros"),
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
        if empty and reference.split():  # '...': words for split(), none for normalize_words
            fail(
                f"{where} returned {got:g}; expected {expected:g}. {_use_normalize_words(reference)}, an empty "
                "reference (0.0 when the hypothesis has no words either, else 1.0)."
            )
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
        raised = hint.__cause__
        if isinstance(raised, (AttributeError, KeyError, NameError, TypeError)):
            raise  # a slip in the code, not a choice of exception: show it as it is
        expect(
            isinstance(raised, RuntimeError),
            f"After an error event your code raised {type(raised).__name__}; the exercise asks for RuntimeError "
            "(raise RuntimeError(event.error.message)), the type the lesson's speak raises and its callers catch.",
        )
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


class _RecordingConnection:
    """Stands in for the SDK's RealtimeConnection: keeps a copy of every event sent, then sends it.

    ``connection.session.update(...)`` and the other resources are the SDK's own
    classes, built on this object, so they make the very events the SDK sends.
    """

    def __init__(self, connection: Any, sent: list[dict]) -> None:
        from openai.resources.realtime.realtime import (
            RealtimeConversationResource,
            RealtimeInputAudioBufferResource,
            RealtimeOutputAudioBufferResource,
            RealtimeResponseResource,
            RealtimeSessionResource,
        )

        self._connection, self.sent = connection, sent
        this = cast(Any, self)
        self.session = RealtimeSessionResource(this)
        self.response = RealtimeResponseResource(this)
        self.input_audio_buffer = RealtimeInputAudioBufferResource(this)
        self.conversation = RealtimeConversationResource(this)
        self.output_audio_buffer = RealtimeOutputAudioBufferResource(this)

    def send(self, event: Any) -> None:
        import openai

        kept = event.model_dump(exclude_unset=True) if hasattr(event, "model_dump") else copy.deepcopy(event)
        if isinstance(kept, dict):  # as sent: without the SDK's markers of a value not given
            kept = {key: value for key, value in kept.items() if not isinstance(value, (openai.Omit, openai.NotGiven))}
        self.sent.append(kept)  # a copy: as sent, even if the learner's dict changes later
        self._connection.send(event)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._connection)

    def __getattr__(self, name: str) -> Any:  # recv, close, ...: the real connection's
        return getattr(self._connection, name)


REALTIME_SENT: list[dict] = []
"""The client events the last :func:`recording` connection sent, in order."""


@contextmanager
def recording(manager) -> Iterator[Any]:
    """Enter ``client.realtime.connect(...)`` and keep every event the connection sends, for the check.

    ``with recording(client.realtime.connect(model=...)) as connection:`` works as
    ``with client.realtime.connect(model=...) as connection:`` does (the same
    ``session.update``, ``response.create``, events to iterate over); the events you
    sent are kept in :data:`REALTIME_SENT` so the check after it can look at them.
    """
    REALTIME_SENT.clear()
    with manager as connection:
        yield _RecordingConnection(connection, REALTIME_SENT)


def _sent_events(kind: str) -> list[dict]:
    return [event for event in REALTIME_SENT if isinstance(event, dict) and event.get("type") == kind]


def _check_sent(session: dict) -> None:
    """Fail with a hint unless the recorded connection sent ``session`` and a response that keeps READ_ALOUD."""
    updates = _sent_events("session.update")
    expect(
        updates,
        "The check saw no session.update: send your session inside the cell's `with recording(...) as connection:` "
        "block, with connection.session.update(session=session), then run the cell again.",
    )
    expect(
        updates[-1].get("session") == session,
        "The session you sent differs from `session`: send that very dict, connection.session.update(session=session).",
    )
    responses = _sent_events("response.create")
    expect(
        responses,
        "Your session was sent, but no response.create: ask for the reading with connection.response.create("
        "response={'conversation': 'none', 'input': [text_message(exercise_text)]}).",
    )
    response = responses[-1].get("response")
    override = response.get("instructions") if isinstance(response, dict) else None
    expect(
        override is None or override == READ_ALOUD,
        f"Your response.create has its own instructions ({override!r}), which replace the session's for that "
        "response: leave them out, so READ_ALOUD applies.",
    )


def _realtime_voices() -> tuple[str, ...]:
    from ..local.server.protocol.audio_profiles import REALTIME_VOICES

    return REALTIME_VOICES


@checker(needs=("realtime",))
def check_speech_session(session, path, speed: float = 1.25):
    """Check a ``session.update`` session for audio at ``speed``, what :func:`recording` saw sent, and the WAV file."""
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
    if voice == "marin":
        others = ", ".join(name for name in voices if name != "marin")
        fail(f"'marin' is the lesson's voice: the exercise asks for another one ({others}), so you hear a change.")
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
    instructions = session.get("instructions")
    expect(
        instructions is not None,
        "Add 'instructions': READ_ALOUD to the session. Without them a voice model answers your text instead of "
        "reading it (the local voice reads word for word whatever you send, so you would not hear it here).",
    )
    expect(
        instructions == READ_ALOUD,
        f"Use the lesson's instructions, 'instructions': READ_ALOUD (yours are {describe(instructions)}): they ask "
        "the voice model to read the text as written, and add nothing.",
    )
    _check_sent(session)
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


@checker(needs=("transcription", "realtime"))
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


# -------------------------------------------------------------- pieces and subtitles

# One second of PCM16 whose sample k holds the number k: a piece shows which samples it holds.
_NUMBERED_PCM = np.arange(PCM_SAMPLE_RATE, dtype="<i2").tobytes()


def _first_sample(piece: bytes) -> str:
    """Where ``piece`` sits in :data:`_NUMBERED_PCM`, in words (for a hint)."""
    at = _NUMBERED_PCM.find(piece[:8]) if len(piece) >= 8 else -1
    if at < 0:
        return "bytes that are not in the audio"
    if at % 2:
        return f"bytes from byte {at}, the middle of a sample"
    return f"samples {at // 2:,} to {at // 2 + len(piece) // 2 - 1:,}"


def _rounding_slip(piece: bytes, start: float, end: float) -> str:
    """How ``piece`` rounded ``start`` or ``end`` to a sample other than the nearest (down or up), or ""."""
    at = _NUMBERED_PCM.find(piece[:8]) if len(piece) >= 8 else -1
    if at < 0 or at % 2:
        return ""
    for name, seconds, sample in (("start", start, at // 2), ("end", end, (at + len(piece)) // 2)):
        exact = seconds * PCM_SAMPLE_RATE
        if sample == round(exact):
            continue
        said = f"The {name}, {seconds} s, is sample {exact:,.2f}: round() it to the nearest, {round(exact):,}"
        if sample == math.floor(exact):
            return f"{said}; int() cuts it down to {sample:,}."
        if sample == math.ceil(exact):
            return f"{said}, not up to {sample:,} (math.ceil)."
    return ""


@checker
def check_cut_pcm(function):
    """Check ``cut_pcm(pcm, start, end)``: the PCM16 bytes (24 kHz, mono) from ``start`` to ``end`` seconds."""
    # 0.10003 s is sample 2,400.72 and 0.30002 s is 7,200.48 (round, not int or ceil); 0.30003 s is 7,200.72
    for start, end in ((0.25, 0.5), (0.0, 0.1), (0.5, 1.0), (0.10003, 0.30002), (0.2, 0.30003)):
        expected = _NUMBERED_PCM[2 * round(start * PCM_SAMPLE_RATE) : 2 * round(end * PCM_SAMPLE_RATE)]
        where = f"cut_pcm(pcm, {start}, {end})"
        try:
            got = call(function, _NUMBERED_PCM, start, end)
        except Hint as hint:
            if "slice indices must be integers" in str(hint):
                fail(
                    f"{where}: seconds × 24,000 is a float, and a slice needs whole numbers: round() it "
                    "to the nearest sample first."
                )
            raise
        if isinstance(got, np.ndarray):
            fail(f"{where} returned a numpy array: return the bytes themselves (a slice of pcm), as write_wav takes.")
        expect(isinstance(got, bytes), f"{where} should return bytes (a slice of pcm), but returned {describe(got)}.")
        if got == expected:
            continue
        wanted = f"expected samples {round(start * PCM_SAMPLE_RATE):,} to {round(end * PCM_SAMPLE_RATE) - 1:,}"
        said = f"{where} gave {len(got):,} bytes, {_first_sample(got)}; {wanted}."
        if got == _NUMBERED_PCM[round(start * PCM_SAMPLE_RATE) : round(end * PCM_SAMPLE_RATE)]:
            fail(f"{said} You cut at the sample numbers: each sample is 2 bytes, so the byte is 2 × the sample.")
        if len(got) % 2 or _NUMBERED_PCM.find(got[:8]) % 2:
            fail(f"{said} A cut must fall between samples: an even byte, 2 × a whole sample number.")
        first = round(start * PCM_SAMPLE_RATE)
        if start and got == _NUMBERED_PCM[2 * first : 2 * first + 2 * round(end * PCM_SAMPLE_RATE)]:
            fail(
                f"{said} `end` is a time, not a length: pcm[a:b] stops at byte b itself, so cut at "
                "b = 2 × round(end × 24,000), not a + that."
            )
        if rounding := _rounding_slip(got, start, end):
            fail(f"{said} {rounding}")
        if len(got) == len(expected) + 2 and got.startswith(expected):
            fail(f"{said} pcm[a:b] already stops before byte b: do not add a sample at the end.")
        if expected and any(math.isclose(len(got), len(expected) * ratio, rel_tol=0.01) for ratio in (2, 2 / 3)):
            fail(f"{said} The rate is 24,000 samples a second (2 bytes each), not 48,000 or 16,000.")
        fail(f"{said} The sample at t seconds is round(t × 24,000), and it starts at byte 2 × that.")
    return "a sample is at round(seconds × 24,000), a byte at 2 × the sample: pieces cut between samples."


_ROUNDING_CUE = (0.5, 1.001, "Rounded.")  # 1.001 × 1000 is 1000.9999999999999 in floating point
_ROUNDING_SRT = "1\n00:00:00,500 --> 00:00:01,001\nRounded.\n"
_HOUR_CUE = (3723.5, 3725.0, "Still here?")
_HOUR_SRT = "1\n01:02:03,500 --> 01:02:05,000\nStill here?\n"
_CARRY_CUE = (1.9996, 59.9996, "Carried.")  # 1,999.6 ms rounds to 2 whole seconds, 59,999.6 ms to a minute
_CARRY_SRT = "1\n00:00:02,000 --> 00:01:00,000\nCarried.\n"


def _srt_hint(got_line: str, want_line: str) -> str:
    """Why one line of an SRT file differs from what it should be."""
    if not got_line:
        return " A blank line stands there: one blank line between cues, none before the first or inside a cue."
    if want_line.isdigit():
        if got_line.isdigit() and int(got_line) == int(want_line):
            return f" Write the cue number without zero padding: {want_line}, not {got_line}."
        if got_line.rstrip(".):") == want_line:
            return f" The cue number is the number alone, {want_line}, with nothing after it."
        if "-->" in got_line:
            return " The number goes on a line of its own, and the timing line 'start --> end' under it."
        if got_line.isdigit():
            return " Cues are numbered from 1." if want_line == "1" else " Number the cues in order: 1, 2, 3, …"
        return ""
    if "-->" not in want_line:
        return ""
    if got_line.replace(" ", "") == want_line.replace(" ", ""):
        return " Put one space on each side of the arrow: 'start --> end'."
    if got_line.replace(".", ",") == want_line:
        return " SRT writes a comma before the milliseconds (a dot is WebVTT's)."
    if "-->" not in got_line:
        return " Each cue is its number, then the timing line 'start --> end', then its text."
    if got_line.count(":") < want_line.count(":"):
        return " Write hours too: HH:MM:SS,mmm, even when they are 00."
    if len(got_line) < len(want_line):
        return " Pad with zeros: two digits for hours, minutes and seconds, three for milliseconds (:02d, :03d)."
    return ""


@checker
def check_write_srt(function):
    """Check ``write_srt(cues)``: the SRT file of cues ``(start seconds, end seconds, text)``."""
    cases = (
        (_EXAMPLE_CUES, EXAMPLE_SRT, ""),
        ([_HOUR_CUE], _HOUR_SRT, " Over an hour: 3,723.5 s is 1 hour, 2 minutes, 3.5 seconds."),
        ([_ROUNDING_CUE], _ROUNDING_SRT, " round() the milliseconds: int() cuts 1.001 × 1000 = 1000.99… to 1000."),
        (
            [_CARRY_CUE],
            _CARRY_SRT,
            " Round to whole milliseconds first, then split them into hours, minutes, seconds and milliseconds: "
            "1.9996 s is 2,000 ms, 00:00:02,000; rounding the fraction alone gives 1,000 ms (or 60 seconds).",
        ),
    )
    for cues, expected, extra in cases:
        got = call(function, list(cues))
        expect(isinstance(got, str), f"write_srt should return the file's text (a str), but returned {describe(got)}.")
        if got.rstrip("\n") == expected.rstrip("\n"):  # a final newline or none: players read both
            continue
        if got.startswith("WEBVTT"):
            fail("That is a WebVTT file: SRT has no header line, numbers its cues, and writes 00:00:01,500.")
        got_blocks, want_blocks = got.rstrip("\n").split("\n\n"), expected.rstrip("\n").split("\n\n")
        if len(got_blocks) != len(want_blocks):
            fail(
                f"write_srt of {len(cues)} cue(s) gave {len(got_blocks)} block(s) separated by blank lines; "
                f"expected {len(want_blocks)}: one blank line between cues."
            )
        for got_block, want_block in zip(got_blocks, want_blocks):
            got_lines, want_lines = got_block.splitlines(), want_block.splitlines()
            for got_line, want_line in zip(got_lines, want_lines):
                if got_line.strip() == want_line != got_line:
                    spaces = len(got_line) - len(got_line.lstrip())
                    where = f"starts with {counted(spaces, 'space')}" if spaces else "ends with spaces"
                    fail(f"The line {want_line!r} {where}: SRT lines start at the margin, with no spaces around them.")
                if got_line != want_line:
                    hint = _srt_hint(got_line.strip(), want_line) or extra
                    fail(f"A line reads {got_line.strip()!r}; expected {want_line!r}.{hint}")
            expect(
                len(got_lines) == len(want_lines),
                f"A cue has {len(got_lines)} lines; expected {len(want_lines)}: number, timing, text ({want_block!r}).",
            )
        fail(f"write_srt({list(cues)!r}) returned {got!r}; expected {expected!r}.")
    return "numbered cues, HH:MM:SS,mmm --> HH:MM:SS,mmm, the text, a blank line between cues."
