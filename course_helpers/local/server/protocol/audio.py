"""``POST /v1/audio/speech``: the request, declared once; the audio endpoints' model names.

The transcription and translation endpoints take multipart forms, whose
fields are all text; they are checked by hand in :mod:`..audio` with the
same wording (see :mod:`..validation`).

>>> parse_speech({"model": "tts-1", "input": "Hello.", "voice": "alloy"}).response_format  # aging: allow
'mp3'
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from course_helpers.local.audio import encoding, speech
from course_helpers.local.audio.voices import VOICES

from .audio_profiles import check_speech
from .base import Decimal, RequestModel, one_of
from .errors import parse, rule

__all__ = [
    "LOCAL_SPEECH_MODEL",
    "LOCAL_TRANSCRIPTION_MODEL",
    "SPEECH_MODELS",
    "TRANSCRIPTION_MODELS",
    "SpeechRequest",
    "parse_speech",
    "unknown_model",
]

# The Speech endpoint's models, all shut down on 2027-01-06 (then a 404 naming the Realtime API's model).
SPEECH_MODELS = (
    "tts-1",  # aging: allow
    "tts-1-hd",  # aging: allow
    "gpt-4o-mini-tts",  # aging: allow
    "gpt-4o-mini-tts-2025-12-15",  # aging: allow
)
TRANSCRIPTION_MODELS = (
    "gpt-transcribe",
    "whisper-1",  # aging: allow (the API's contract, 404 after 2027-02-26)
    "gpt-4o-transcribe",  # aging: allow (the API's contract, 404 after 2027-02-26)
    "gpt-4o-mini-transcribe",  # aging: allow (the API's contract, 404 after 2027-02-26)
    "gpt-4o-mini-transcribe-2025-12-15",  # aging: allow (the API's contract, 404 after 2027-02-26)
    "gpt-4o-transcribe-diarize",  # aging: allow (the API's contract, 404 after 2027-02-26)
)
# the real local models, listed by GET /v1/models and accepted as `model` too
LOCAL_SPEECH_MODEL = "piper-en_US-joe-medium"
LOCAL_TRANSCRIPTION_MODEL = "whisper-tiny.en"
MISSING_MODEL = "you must provide a model parameter"  # OpenAI's audio endpoints word it so


def unknown_model(name: str, known: tuple[str, ...], local: str, hint: tuple[str, ...]) -> str | None:
    """Why this endpoint does not serve model ``name`` (None if it does).

    >>> unknown_model("tts-1-2025", SPEECH_MODELS, LOCAL_SPEECH_MODEL, ("tts",)) is None
    True
    """
    if name in known or name == local or any(part in name for part in hint):
        return None
    return (
        f"The model '{name}' does not exist or cannot be used here. This endpoint accepts "
        + ", ".join(f"'{m}'" for m in known)
        + f" (all answered by the local model {local})."
    )


def _model_given(model: Any) -> Any:
    if model is None or model == "":
        raise rule("missing_required_parameter", MISSING_MODEL)
    return model


def _speech_model(model: str) -> str:
    reason = unknown_model(model, SPEECH_MODELS, LOCAL_SPEECH_MODEL, ("tts",))
    if reason:
        raise rule("model_not_found", reason, status=404)
    return model


def _not_blank(text: str) -> str:
    if not text.strip():
        raise rule(
            "empty_string",
            "Invalid '{param}': empty string. Expected a string with at least 1 character that is not a space.",
        )
    return text


def _built_in_voice(voice: Any) -> Any:
    if isinstance(voice, dict):
        raise rule(
            "invalid_value",
            "Custom voices (a voice object with an 'id') are not available on the local server; "
            "use one of the built-in voice names.",
        )
    return voice


class SpeechRequest(RequestModel):
    """A ``POST /v1/audio/speech`` body. Fields are in the order their mistakes are reported."""

    model: Annotated[str, BeforeValidator(_model_given), AfterValidator(_speech_model)] = Field(
        None, validate_default=True
    )
    input: Annotated[str, Field(max_length=speech.MAX_INPUT_CHARS), AfterValidator(_not_blank)]
    voice: Annotated[str, BeforeValidator(_built_in_voice), one_of(sorted(VOICES))]
    response_format: Annotated[str, one_of(encoding.FORMATS)] = "mp3"
    speed: Decimal = Field(1.0, ge=float(speech.SPEED_RANGE[0]), le=float(speech.SPEED_RANGE[1]))
    instructions: str | None = None  # accepted, checked, and not acted on (see audio.py and .audio_profiles)
    stream_format: Literal["sse", "audio"] = "audio"


def parse_speech(body: Any, today: datetime.date | None = None) -> SpeechRequest:
    """A speech body checked as OpenAI checks it, with the model's profile; raise APIError if invalid."""
    request = parse(SpeechRequest, body)
    check_speech(request.model, request.voice, request.stream_format, today)
    return request
