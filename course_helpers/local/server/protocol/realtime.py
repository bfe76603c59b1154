"""``/v1/realtime``: the client events of the Realtime API's text-to-speech part, declared once, and its errors.

A Realtime session is a WebSocket: the client sends JSON events, the server
answers with events. The local server serves the part that reads text aloud
(what OpenAI recommends instead of the deprecated Speech endpoint):
``session.update`` (voice, audio format, instructions), ``response.create``
with ``conversation: "none"`` and text ``input``, ``response.cancel`` and
``session.close``. Every other event OpenAI knows (input audio, conversation
items, tools) is answered with an ``error`` event naming the local limit;
an event OpenAI does not know gets OpenAI's own ``invalid_value`` error.
Errors never close the socket, as on OpenAI, except a bad key or model at
connection time.

>>> parse_client_event('{"type": "nope"}')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_helpers.local.server.protocol.realtime.ClientEventError: Invalid value: 'nope'. Supported values are: 'session.update', ...

Wordings come from a live capture of OpenAI's Realtime API (third-party
probe, 2026-09-18, quoted next to each); the local limits' wordings are ours.
"""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..errors import APIError, invalid_request
from .audio import LOCAL_SPEECH_MODEL
from .audio_profiles import REALTIME_MODELS, REALTIME_VOICES
from .base import Decimal, Integer, JSONModel, RequestModel, one_of
from .errors import parse, rule
from .profiles import check_model_alive

__all__ = [
    "CLIENT_EVENT_TYPES",
    "REALTIME_SPEED_RANGE",
    "AudioFormat",
    "ClientEventError",
    "ResponseCancel",
    "ResponseCreate",
    "ResponseParams",
    "SessionConfig",
    "SessionUpdate",
    "check_realtime_model",
    "error_event",
    "local_limit",
    "parse_client_event",
    "spoken_text",
]

# The client event types OpenAI accepts, in the order its error lists them (live capture, probe 8).
CLIENT_EVENT_TYPES = (
    "session.update", "session.close", "input_audio_buffer.append", "session.input_audio_buffer.append",
    "input_audio_buffer.commit", "input_audio_buffer.clear", "conversation.item.create", "conversation.item.truncate",
    "conversation.item.delete", "conversation.item.retrieve", "response.create", "response.cancel",
)  # fmt: skip
SUPPORTED_EVENT_TYPES = ("session.update", "session.close", "response.create", "response.cancel")
REALTIME_SPEED_RANGE = (0.25, 1.5)  # SDK realtime_audio_config_output.py:29-38
_LOCAL_PART = (
    "The local server serves only the text-to-speech part of the Realtime API: session.update, response.create "
    "(conversation 'none', text input), response.cancel and session.close. Use the OpenAI backend for the rest."
)


def local_limit(param: str | None, what: str) -> APIError:
    """The error for something OpenAI's Realtime API does and the local server does not (``what``)."""
    return invalid_request(f"{what} {_LOCAL_PART}", param=param, code="unsupported_value")


def error_event(error: APIError, event_id: str, client_event_id: str | None = None) -> dict[str, Any]:
    """An APIError as the Realtime ``error`` event (SDK types/realtime/realtime_error_event.py).

    >>> error_event(invalid_request("Bad.", param="type"), "event_1")["error"]
    {'type': 'invalid_request_error', 'code': None, 'message': 'Bad.', 'param': 'type', 'event_id': None}
    """
    body = {"type": error.type, "code": error.code, "message": error.message, "param": error.param}
    return {"type": "error", "event_id": event_id, "error": {**body, "event_id": client_event_id}}


def check_realtime_model(model: str | None, today: datetime.date | None = None) -> str:
    """The session's model, or the APIError OpenAI sends before closing the socket (close code 4000).

    >>> check_realtime_model("gpt-nope")
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Model "gpt-nope" is not supported in realtime mode. This server's Realtime models include gpt-realtime-2.1-mini.
    """
    if not model:
        raise invalid_request(  # live capture, probe 11b (OpenAI's example URL is its own)
            "You must provide a model parameter, for example /v1/realtime?model=gpt-realtime-2.1-mini",
            code="missing_model",
        )
    check_model_alive(model, today)  # a shut-down model: 404 model_not_found, as for chat
    if model not in REALTIME_MODELS and model != LOCAL_SPEECH_MODEL:
        raise invalid_request(  # live capture, probe 11: 'Model "gpt-nope" is not supported in realtime mode…'
            f'Model "{model}" is not supported in realtime mode. '
            "This server's Realtime models include gpt-realtime-2.1-mini.",  # the capture cut the rest; ours
            code="invalid_model",
        )
    return model


# -------------------------------------------------------------- the requests


def _built_in_voice(voice: Any) -> Any:
    if isinstance(voice, dict):
        raise rule(
            "unsupported_value", f"Custom voices (a voice object with an 'id') are not available locally. {_LOCAL_PART}"
        )
    return voice


class AudioFormat(RequestModel):
    """``{"type": "audio/pcm", "rate": 24000}``: PCM16 at 24 kHz, the only format the local voice sends."""

    type: Literal["audio/pcm", "audio/pcmu", "audio/pcma"] = "audio/pcm"
    # 16000 is refused as "integer below minimum value ... >= 24000" (live capture, probe 7d)
    rate: Integer = Field(24000, ge=24000, le=24000)


class AudioOutput(RequestModel):
    format: AudioFormat | None = None
    speed: Decimal = Field(None, ge=REALTIME_SPEED_RANGE[0], le=REALTIME_SPEED_RANGE[1])  # type: ignore[assignment]
    voice: Annotated[str, BeforeValidator(_built_in_voice), one_of(REALTIME_VOICES)] | None = None


class AudioInput(RequestModel):
    """Input audio settings: accepted and kept (the local server takes no input audio, see input_audio_buffer)."""

    format: AudioFormat | None = None
    noise_reduction: dict[str, Any] | None = None
    transcription: dict[str, Any] | None = None
    turn_detection: dict[str, Any] | None = None


class AudioConfig(RequestModel):
    input: AudioInput | None = None
    output: AudioOutput | None = None


class SessionConfig(RequestModel):
    """``session`` of ``session.update`` (SDK types/realtime/realtime_session_create_request.py)."""

    type: Literal["realtime", "transcription"]
    audio: AudioConfig | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None
    instructions: str | None = None
    max_output_tokens: Integer | Literal["inf"] | None = None
    model: str | None = None
    output_modalities: list[Literal["text", "audio"]] | None = None
    parallel_tool_calls: bool | None = None
    prompt: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tracing: Literal["auto"] | dict[str, Any] | None = None
    truncation: str | dict[str, Any] | None = None


class SessionUpdate(RequestModel):
    type: Literal["session.update"]
    event_id: str | None = None
    session: SessionConfig


class ResponseAudio(RequestModel):
    output: AudioOutput | None = None


class ResponseParams(RequestModel):
    """``response`` of ``response.create`` (SDK types/realtime/realtime_response_create_params.py)."""

    audio: ResponseAudio | None = None
    conversation: str = "auto"
    input: list[dict[str, Any]] | None = None
    instructions: str | None = None
    max_output_tokens: Integer | Literal["inf"] | None = None
    metadata: dict[str, str] | None = None
    output_modalities: list[Literal["text", "audio"]] | None = None
    parallel_tool_calls: bool | None = None
    prompt: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None


class ResponseCreate(RequestModel):
    type: Literal["response.create"]
    event_id: str | None = None
    response: ResponseParams = Field(default_factory=ResponseParams)


class ResponseCancel(RequestModel):
    type: Literal["response.cancel"]
    event_id: str | None = None
    response_id: str | None = None


class SessionClose(RequestModel):
    type: Literal["session.close"]
    event_id: str | None = None


_EVENT_MODELS: dict[str, type[RequestModel]] = {
    "session.update": SessionUpdate,
    "session.close": SessionClose,
    "response.create": ResponseCreate,
    "response.cancel": ResponseCancel,
}


class ClientEventError(APIError):
    """An APIError about one client event, carrying that event's ``event_id`` (echoed in the error event)."""

    def __init__(self, error: APIError, client_event_id: str | None) -> None:
        super().__init__(error.status, error.message, type=error.type, param=error.param, code=error.code)
        self.client_event_id = client_event_id


def _check_features(params: SessionConfig | ResponseParams, where: str) -> None:
    """What the local server refuses in a session or a response: text output, tools, prompts, transcription."""
    if isinstance(params, SessionConfig) and params.type == "transcription":
        raise local_limit(f"{where}.type", "Transcription sessions are not available locally.")
    if params.output_modalities is not None and params.output_modalities != ["audio"]:
        raise local_limit(f"{where}.output_modalities", "The local voice answers with audio only (['audio']).")
    if params.tools:
        raise local_limit(f"{where}.tools", "Tools (function calling) are not available locally.")
    if params.prompt is not None:
        raise local_limit(f"{where}.prompt", "Prompt templates are not available locally.")
    audio = params.audio
    output = audio.output if audio is not None else None
    if output is not None and output.format is not None and output.format.type != "audio/pcm":
        raise local_limit(
            f"{where}.audio.output.format.type", "G.711 output (audio/pcmu, audio/pcma) is not available locally."
        )


def parse_client_event(message: str | bytes) -> SessionUpdate | ResponseCreate | ResponseCancel | SessionClose:
    """A client event (a WebSocket message) checked as OpenAI checks it; raise ClientEventError if invalid."""
    if isinstance(message, bytes):  # live capture, probe 8
        raise ClientEventError(
            invalid_request(
                "Expected a text WebSocket message; binary frames are not supported.", code="invalid_event"
            ),
            None,
        )
    try:
        data = json.loads(message)
    except ValueError as error:  # live capture, probe 8 ("Invalid event: failed to parse JSON value. …")
        raise ClientEventError(
            invalid_request(f"Invalid event: failed to parse JSON value. {error}.", code="invalid_json"), None
        ) from None
    if not isinstance(data, dict):
        raise ClientEventError(invalid_request("Invalid event: expected a JSON object.", code="invalid_event"), None)
    client_event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    try:
        return _parse_event(data)
    except APIError as error:
        raise ClientEventError(error, client_event_id) from None


def _parse_event(data: dict[str, Any]) -> SessionUpdate | ResponseCreate | ResponseCancel | SessionClose:
    kind = data.get("type")
    if kind is None:
        raise invalid_request("Missing required parameter: 'type'.", param="type", code="missing_required_parameter")
    if not isinstance(kind, str) or kind not in CLIENT_EVENT_TYPES:
        supported = ", ".join(f"'{name}'" for name in CLIENT_EVENT_TYPES[:-1]) + f", and '{CLIENT_EVENT_TYPES[-1]}'"
        raise invalid_request(  # live capture, probe 8
            f"Invalid value: '{kind}'. Supported values are: {supported}.", param="type", code="invalid_value"
        )
    if kind not in SUPPORTED_EVENT_TYPES:
        raise local_limit("type", f"The event '{kind}' is not available locally (no input audio, no conversation).")
    model = _EVENT_MODELS[kind]
    for key in data:  # as for a session field: "Unknown parameter: 'session.bogus_field'." (live capture, probe 8)
        if key not in model.model_fields:
            raise invalid_request(f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
    event = parse(model, data)
    if isinstance(event, SessionUpdate):
        _check_features(event.session, "session")
    elif isinstance(event, ResponseCreate):
        _check_features(event.response, "response")
        if event.response.conversation != "none":
            raise local_limit(
                "response.conversation",
                "The local server keeps no conversation: send conversation 'none' with the text to read in 'input'.",
            )
    return event  # type: ignore[return-value]


class _TextPart(JSONModel):
    type: Literal["input_text"]
    text: str


def spoken_text(items: list[dict[str, Any]] | None) -> str:
    """The text a response reads aloud: the ``input_text`` parts of its ``user`` messages, joined.

    System and developer messages are read by OpenAI's model as guidance; the
    local voice reads the user's text word for word, and skips them.

    >>> spoken_text([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi."}]}])
    'Hi.'
    """
    if not items:
        raise invalid_request(
            "The local voice reads the text of 'input': send a user message with an 'input_text' part.",
            param="response.input",
            code="missing_required_parameter",
        )
    texts = []
    for index, item in enumerate(items):
        where = f"response.input[{index}]"
        if not isinstance(item, dict) or item.get("type") != "message":
            raise local_limit(f"{where}.type", "Only message items can be read aloud locally.")
        if item.get("role") not in ("user", "system"):
            raise local_limit(f"{where}.role", "Only user (and system) messages can be given locally.")
        content = item.get("content")
        if not isinstance(content, list):
            raise invalid_request(f"Invalid type for '{where}.content': expected an array of objects.",
                                  param=f"{where}.content", code="invalid_type")  # fmt: skip
        for part_index, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "input_text":
                raise local_limit(
                    f"{where}.content[{part_index}].type", "The local voice reads 'input_text' parts only."
                )
            text = parse(_TextPart, {"type": part["type"], "text": part.get("text")}).text
            if item["role"] == "user":
                texts.append(text)
    spoken = " ".join(text.strip() for text in texts if text.strip())
    if not spoken:
        raise invalid_request(
            "The user messages of 'input' have no text to read.", param="response.input", code="empty_string"
        )
    return spoken
