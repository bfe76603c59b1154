"""``/v1/audio/speech``, ``/v1/audio/transcriptions`` and ``/v1/audio/translations``.

The HTTP side of the local audio models (the models themselves live in
``course_helpers/local/audio/``):

- **speech**: a JSON body (``model``, ``input``, ``voice``, ``response_format``,
  ``speed``, ``instructions``, ``stream_format``) answered with the audio file,
  sent sentence by sentence as it is synthesized (chunked transfer), so
  ``with_streaming_response.create(...).stream_to_file(path)`` starts writing
  at once. ``stream_format="sse"`` sends ``speech.audio.delta`` events instead.
- **transcriptions**: a multipart upload (``file`` plus form fields) answered
  in ``json``, ``text``, ``srt``, ``vtt`` or ``verbose_json``; with
  ``stream=true``, as ``transcript.text.delta`` events, one per segment as
  Whisper decodes it, then ``transcript.text.done``. ``include[]`` and
  ``chunking_strategy`` are accepted and have no effect (no token logprobs,
  and Whisper always reads 30-second windows).
  ``gpt-transcribe`` also takes ``keywords`` (given to Whisper as a glossary
  after the ``prompt``) and ``languages``, and its json answer lists the
  languages heard (always English here).
- **translations** (deprecated, ``whisper-1`` only; aging: allow): the local Whisper model is
  English-only, so it "translates" English audio into English text (a
  transcription). Audio in another language cannot be translated locally; use
  the OpenAI backend for that.

Each model name answers as OpenAI's model does (:mod:`.protocol.audio_profiles`):
``tts-1`` refuses the voices only ``gpt-4o-mini-tts`` has, ``gpt-4o-transcribe``  (aging: allow)
and ``gpt-transcribe`` refuse srt, vtt, verbose_json and timestamps, and a
model past its shutdown date is a 404 naming its replacement.

One failure costs one request: the models run on the server's thread pool,
their locks are taken in ``with`` blocks, and the first piece of a streamed
answer is made before the response starts, so a model failing at once is a
500 ``server_error`` (logged) rather than an empty 200; a failure later in a
stream ends that stream only. The next request is served as usual.

What the local models cannot do is said, not faked: ``instructions`` (tone of
voice) is accepted and ignored, because the Piper voice has no way to act it
out; a ``language`` or ``languages`` hint without English is a 400.

>>> sorted(route.path for route in routes)
['/v1/audio/speech', '/v1/audio/transcriptions', '/v1/audio/translations']
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from course_helpers.local import store
from course_helpers.local.audio import encoding, speech, transcript_formats, transcription

from .errors import APIError, invalid_request, not_found
from .models import register_model
from .protocol.audio import (
    LOCAL_SPEECH_MODEL,
    LOCAL_TRANSCRIPTION_MODEL,
    MISSING_MODEL,
    SPEECH_MODELS,
    TRANSCRIPTION_MODELS,
    parse_speech,
    unknown_model,
)
from .protocol.audio_profiles import check_transcription, transcription_profile
from .protocol.profiles import check_model_alive
from .validation import decimal, read_json_object, reject_unknown, string

__all__ = [
    "SPEECH_MODELS",
    "TRANSCRIPTION_MODELS",
    "routes",
]

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # OpenAI's limit for audio uploads

_TRANSCRIPTION_FIELDS = frozenset({
    "file", "model", "language", "prompt", "response_format", "temperature",
    "timestamp_granularities[]", "timestamp_granularities", "include[]", "include",
    "stream", "chunking_strategy", "keywords[]", "keywords", "languages[]", "languages",
})  # fmt: skip
_DETECTED_LANGUAGES = [{"code": transcription.LANGUAGE}]  # what the English-only local model always hears
_TRANSLATION_FIELDS = frozenset({"file", "model", "prompt", "response_format", "temperature"})

register_model(LOCAL_SPEECH_MODEL)
register_model(LOCAL_TRANSCRIPTION_MODEL)


def _check_model(name: str | None, known: tuple[str, ...], local: str, hint: tuple[str, ...]) -> str:
    """The requested model name if this endpoint serves it, else the API's 400/404."""
    if name is None or name == "":
        raise invalid_request(MISSING_MODEL, param="model", code="missing_required_parameter")
    reason = unknown_model(name, known, local, hint)
    if reason:
        raise not_found(reason, param="model", code="model_not_found")
    return name


# ---------------------------------------------------------------- speech


def _speech_request(body: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """Check a speech request body (with its model's profile); returns the values to synthesize with."""
    request = parse_speech(body, today)
    return {
        "text": request.input,
        "voice": request.voice,
        "speed": request.speed,
        "format": request.response_format,
        "stream_format": request.stream_format,
    }


def _speech_bytes(text: str, voice: str, speed: float, response_format: str) -> Iterator[bytes]:
    """The audio file, piece by piece, as it is synthesized.

    If the client goes away, Starlette closes this generator and synthesis stops.
    """
    yield from encoding.encode_stream(speech.synthesize(text, voice=voice, speed=speed), response_format)


def _speech_events(text: str, voice: str, speed: float, response_format: str) -> Iterator[bytes]:
    """The same audio as server-sent events: ``speech.audio.delta`` then ``speech.audio.done``."""
    for piece in _speech_bytes(text, voice, speed, response_format):
        event = {"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode("ascii")}
        yield f"data: {json.dumps(event)}\n\n".encode()
    # OpenAI bills this model by tokens; the local server bills nothing, and says so with zeros
    usage = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    yield f"data: {json.dumps({'type': 'speech.audio.done', 'usage': usage})}\n\n".encode()


async def _ensure_loaded(loader) -> None:
    """Load a model before answering, so a missing model is a clear 503, not a cut stream."""
    try:
        await run_in_threadpool(loader)
    except store.ModelNotAvailable as error:
        raise APIError(503, str(error), type="server_error", code="model_not_available") from None


async def _started(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """``pieces`` with its first piece made now, before the response (and its 200) starts.

    A model that fails on the first sentence or segment then fails the
    request with a proper 500 instead of cutting an empty 200 stream.
    """
    first = await run_in_threadpool(next, pieces, None)
    return _prepend(first, pieces)


def _prepend(first: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    """``first`` then the rest; closing this generator closes ``rest`` (the model stops)."""
    if first is not None:
        yield first
    yield from rest


async def create_speech(request: Request) -> Response:
    """``POST /v1/audio/speech``: text in, an audio file out (streamed)."""
    values = _speech_request(await read_json_object(request), request.app.state.today())
    await _ensure_loaded(speech.load_voice)
    args = (values["text"], values["voice"], values["speed"], values["format"])
    if values["stream_format"] == "sse":
        return StreamingResponse(await _started(_speech_events(*args)), media_type="text/event-stream")
    return StreamingResponse(await _started(_speech_bytes(*args)), media_type=encoding.MEDIA_TYPES[values["format"]])


# ---------------------------------------------------------- transcription


def _form_value(form, name: str) -> str | None:
    """A text field of the upload form (None if absent); a file where text belongs is a 400."""
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise invalid_request(f"Invalid '{name}': expected a text field, not a file.", param=name)
    return value


def _temperature(form) -> float:
    raw = _form_value(form, "temperature")
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise invalid_request(
            f"Invalid 'temperature': expected a number, but got '{raw}'.", param="temperature", code="invalid_type"
        ) from None
    return decimal({"temperature": value}, "temperature", default=0.0, minimum=0, maximum=1)


async def _read_upload(form) -> bytes:
    upload = form.get("file")
    if upload is None:
        raise invalid_request(
            "Missing required parameter: 'file'. Send the audio as a multipart/form-data upload "
            "(the SDK does this for `file=open(path, 'rb')`).",
            param="file",
            code="missing_required_parameter",
        )
    if not isinstance(upload, UploadFile):
        raise invalid_request("Invalid 'file': expected an uploaded file, not a text field.", param="file")
    data = await upload.read()
    if len(data) > MAX_UPLOAD_BYTES:
        raise APIError(
            413,
            f"Maximum content size limit ({MAX_UPLOAD_BYTES}) exceeded ({len(data)} bytes read)",
            param="file",
            code="request_too_large",
        )
    return data


def _open_form(request: Request):
    """The multipart form, to use as ``async with _open_form(request) as form`` (closes the upload)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise invalid_request(
            "This endpoint expects a multipart/form-data upload with the audio in 'file' "
            f"(got content type '{content_type or 'none'}').",
            param="file",
        )
    return request.form(max_files=1, max_fields=50)


async def _transcribe(data: bytes, *, word_timestamps: bool, prompt: str | None, temperature: float):
    await _ensure_loaded(transcription.load_model)
    try:
        return await run_in_threadpool(
            transcription.transcribe, data, prompt=prompt, temperature=temperature, word_timestamps=word_timestamps
        )
    except transcription.AudioError as error:
        raise invalid_request(str(error), param="file", code="invalid_value") from None


def _answer(transcript, response_format: str, *, words: bool, segments: bool, task: str, languages=None) -> Response:
    body, media_type = transcript_formats.render(transcript, response_format, words=words, segments=segments)
    if isinstance(body, dict):
        if "task" in body:
            body["task"] = task
        if languages is not None and response_format == "json":
            body = {"text": body.pop("text"), "languages": languages, **body}
        return JSONResponse(body)
    return Response(body, media_type=media_type)


def _transcript_events(samples, *, prompt: str | None, temperature: float, languages=None) -> Iterator[bytes]:
    """``transcript.text.delta`` per segment as Whisper decodes it, then ``transcript.text.done``."""
    texts: list[str] = []
    for segment, _words in transcription.iter_segments(samples, prompt=prompt, temperature=temperature):
        delta = segment.text if texts else segment.text.lstrip()
        texts.append(delta)
        event = {"type": "transcript.text.delta", "delta": delta, "segment_id": f"seg_{segment.id}"}
        yield f"data: {json.dumps(event)}\n\n".encode()
    done: dict[str, Any] = {"type": "transcript.text.done", "text": "".join(texts).strip()}
    if languages is not None:
        done["languages"] = languages
    yield f"data: {json.dumps(done)}\n\n".encode()


async def _stream_transcript(data: bytes, *, prompt: str | None, temperature: float, languages=None) -> Response:
    await _ensure_loaded(transcription.load_model)
    try:
        samples = await run_in_threadpool(transcription.decode_upload, data)  # bad audio: a 400, not a cut stream
    except transcription.AudioError as error:
        raise invalid_request(str(error), param="file", code="invalid_value") from None
    events = _transcript_events(samples, prompt=prompt, temperature=temperature, languages=languages)
    return StreamingResponse(await _started(events), media_type="text/event-stream")


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def _form_list(form, name: str) -> list[str] | None:
    """A list field sent as ``name[]`` (the SDK's way) or ``name`` (curl's); None if absent."""
    if name not in form and f"{name}[]" not in form:
        return None
    values = form.getlist(f"{name}[]") + form.getlist(name)
    for value in values:
        if isinstance(value, UploadFile):
            raise invalid_request(f"Invalid '{name}': expected text fields, not a file.", param=name)
    return values


def _given(form) -> dict[str, object]:
    """The transcription parameters sent (not empty), for the model's profile to judge."""
    given: dict[str, object] = {}
    for name in ("response_format", "language", "prompt"):
        value = _form_value(form, name)
        if value:
            given[name] = value
    for name in ("timestamp_granularities", "languages", "keywords"):
        values = _form_list(form, name)
        if values is not None:
            given[name] = values
    return given


def _check_english(language: str | None, languages: list[str] | None) -> None:
    """The local Whisper (tiny.en) hears English only: a hint naming only other languages is a 400."""
    if language is not None and language.strip().lower() != transcription.LANGUAGE:
        param, named = "language", f"Language '{language.strip().lower()}'"
    elif languages is not None and transcription.LANGUAGE not in [code.strip().lower() for code in languages]:
        param, named = "languages", f"Languages {[code.strip().lower() for code in languages]}"
    else:
        return
    raise invalid_request(
        f"{named} not available locally: the local model (Whisper tiny.en) understands English only. "
        f"Leave '{param}' out or include 'en'.",
        param=param,
        code="unsupported_language",
    )


def _whisper_prompt(prompt: str | None, keywords: list[str] | None) -> str | None:
    """Whisper's initial prompt: the ``prompt``, then the ``keywords`` as a glossary (they steer spelling).

    >>> _whisper_prompt("A support call.", ["AC-42", "Premium Plus"])
    'A support call. Glossary: AC-42, Premium Plus.'
    """
    glossary = f"Glossary: {', '.join(keywords)}." if keywords else ""
    return " ".join(part for part in (prompt, glossary) if part) or None


async def create_transcription(request: Request) -> Response:
    """``POST /v1/audio/transcriptions``: an audio file in, its English text out."""
    async with _open_form(request) as form:
        reject_unknown(dict(form), _TRANSCRIPTION_FIELDS)
        model = _check_model(_form_value(form, "model"), TRANSCRIPTION_MODELS, LOCAL_TRANSCRIPTION_MODEL,
                             ("whisper", "transcribe"))  # fmt: skip
        response_format = string(
            {"response_format": _form_value(form, "response_format")}, "response_format", default="json",
            choices=transcript_formats.RESPONSE_FORMATS,
        )  # fmt: skip
        given = _given(form)
        check_transcription(model, given, request.app.state.today())
        _check_english(_form_value(form, "language"), _form_list(form, "languages"))
        granularities = set(_form_list(form, "timestamp_granularities") or [])
        unknown = granularities - {"word", "segment"}
        if unknown:
            raise invalid_request(
                f"Invalid value: '{sorted(unknown)[0]}'. Supported values are: 'word' and 'segment'.",
                param="timestamp_granularities", code="invalid_value",
            )  # fmt: skip
        if granularities and response_format != "verbose_json":
            raise invalid_request(
                "timestamp_granularities requires response_format 'verbose_json'.",
                param="timestamp_granularities", code="invalid_value",
            )  # fmt: skip
        words = "word" in granularities
        segments = not granularities or "segment" in granularities
        temperature = _temperature(form)
        prompt = _whisper_prompt(_form_value(form, "prompt"), _form_list(form, "keywords"))
        stream = _is_true(_form_value(form, "stream"))
        if stream and response_format not in ("json", "text"):
            raise invalid_request("Streaming is only available with response_format 'json' or 'text'.",
                                  param="stream", code="unsupported_value")  # fmt: skip
        data = await _read_upload(form)
    profile = transcription_profile(model)
    detected = _DETECTED_LANGUAGES if profile is not None and profile.detects_languages else None
    if stream:
        return await _stream_transcript(data, prompt=prompt, temperature=temperature, languages=detected)
    transcript = await _transcribe(data, word_timestamps=words, prompt=prompt, temperature=temperature)
    return _answer(transcript, response_format, words=words, segments=segments, task="transcribe", languages=detected)


async def create_translation(request: Request) -> Response:
    """``POST /v1/audio/translations`` (deprecated): English audio in, English text out."""
    async with _open_form(request) as form:
        reject_unknown(dict(form), _TRANSLATION_FIELDS)
        # "This endpoint supports only `whisper-1`" (SDK resources/audio/translations.py:153-160)  # aging: allow (the API's contract)
        only = ("whisper-1",)  # aging: allow (the API's contract: 404 after its shutdown, below)
        model = _check_model(_form_value(form, "model"), only, LOCAL_TRANSCRIPTION_MODEL, ())
        check_model_alive(model, request.app.state.today())
        response_format = string(
            {"response_format": _form_value(form, "response_format")}, "response_format", default="json",
            choices=transcript_formats.RESPONSE_FORMATS,
        )  # fmt: skip
        temperature = _temperature(form)
        prompt = _form_value(form, "prompt")
        data = await _read_upload(form)
    transcript = await _transcribe(data, word_timestamps=False, prompt=prompt, temperature=temperature)
    if response_format == "json":
        return JSONResponse({"text": transcript.text})  # a Translation has no usage
    return _answer(transcript, response_format, words=False, segments=True, task="translate")


routes = [
    Route("/v1/audio/speech", create_speech, methods=["POST"]),
    Route("/v1/audio/transcriptions", create_transcription, methods=["POST"]),
    Route("/v1/audio/translations", create_translation, methods=["POST"]),
]
