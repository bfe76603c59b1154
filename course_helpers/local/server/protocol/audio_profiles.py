"""Audio model profiles: what OpenAI accepts for each speech, transcription and Realtime model, as data.

The local server answers every audio model name with its one Piper voice and
its one Whisper model; these tables make it answer what OpenAI would for that
name, as :mod:`.profiles` does for chat models (and with its shutdown dates
and replacements: after its shutdown a model is a 404 naming what replaces it).

- **speech** (``/v1/audio/speech``, deprecated): which voices a model takes
  (``tts-1`` has no ``marin``), whether it acts on ``instructions``, whether
  it streams server-sent events;
- **transcription** (``/v1/audio/transcriptions``): which ``response_format``
  values a model answers in, and which of ``timestamp_granularities``,
  ``language``, ``languages``, ``keywords`` and ``prompt`` it takes;
- **Realtime** (``/v1/realtime``): the model names a session may use.

A name without a profile (the local models' own names, a name this course
does not know) gets no rules, as in :mod:`.profiles`.

>>> transcription_profile("gpt-transcribe").response_formats
('json', 'text')
>>> "marin" in speech_profile("tts-1-hd").voices, "marin" in speech_profile("gpt-4o-mini-tts-2025-12-15").voices
(False, True)

Sources are in the comments next to the tables: ``SDK`` is openai-python
3.60.0 (paths under ``openai/``); "(3p)" marks a third-party page or report;
"NOT CONFIRMED" a rule or wording no source states; "Inferred" a conclusion
the sources imply without stating it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import APIError, invalid_request
from .profiles import _alias, check_model_alive

__all__ = [
    "REALTIME_MODELS",
    "REALTIME_VOICES",
    "SPEECH_PROFILES",
    "TRANSCRIPTION_PROFILES",
    "SpeechProfile",
    "TranscriptionProfile",
    "check_speech",
    "check_transcription",
    "speech_profile",
    "transcription_profile",
]


# ------------------------------------------------------------------ speech


@dataclass(frozen=True)
class SpeechProfile:
    """What one Speech model takes."""

    voices: tuple[str, ...]  # in the order OpenAI's error lists them
    instructions: Literal["used", "ignored"]  # "ignored": accepted with a 200 and no effect
    sse: bool  # stream_format "sse"


# tts-1 and tts-1-hd: nine voices, in the order of OpenAI's live 400 for `voice="cedar"` on tts-1-hd (2026-08-08)
# and `voice="ballad"` on tts-1, quoted in several reports (3p, e.g. https://github.com/openai/openai-node/issues/1284
# for the shape, then with nine voices). `instructions`: the SDK says "Does not work with `tts-1` or `tts-1-hd`"
# (types/audio/speech_create_params.py:43-47); a live probe (3p, 2026) found tts-1 answers 200 and ignores it
# rather than refusing it, so it is accepted here too. sse: "not supported for `tts-1` or `tts-1-hd`" (SDK :61-66).
_TTS1 = SpeechProfile(
    voices=("nova", "shimmer", "echo", "onyx", "fable", "alloy", "ash", "sage", "coral"),
    instructions="ignored",
    sse=False,
)
# gpt-4o-mini-tts: every built-in voice (SDK speech_create_params.py:31-41, order of the SDK's Voice literal) and
# instructions. (The local Piper voice cannot act instructions out either: see ..audio.)
_MINI_TTS = SpeechProfile(
    voices=(
        "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar", "fable", "onyx", "nova",
    ),
    instructions="used",
    sse=True,
)  # fmt: skip
SPEECH_PROFILES: dict[str, SpeechProfile] = {"tts-1": _TTS1, "tts-1-hd": _TTS1, "gpt-4o-mini-tts": _MINI_TTS}


def speech_profile(model: str) -> SpeechProfile | None:
    """The profile of a Speech model (a dated snapshot shares its alias's), or None: no rules."""
    return SPEECH_PROFILES.get(model) or SPEECH_PROFILES.get(_alias(model))


def _enum_error(param: str, value: str, choices: tuple[str, ...]) -> APIError:
    """The Speech endpoint's own 400 for a value outside a model's list: its validator's text, param null.

    The API returns the validation error list as the message, ``param`` and ``code`` null
    (https://github.com/openai/openai-node/issues/1284 (3p), the same shape in later reports).

    >>> print(_enum_error("voice", "marin", ("nova", "alloy")).message)
    [{'type': 'enum', 'loc': ('body', 'voice'), 'msg': "Input should be 'nova' or 'alloy'", 'input': 'marin', 'ctx': {'expected': "'nova' or 'alloy'"}}]
    """
    quoted = [f"'{choice}'" for choice in choices]
    expected = ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
    details = [
        {
            "type": "enum",
            "loc": ("body", param),
            "msg": f"Input should be {expected}",
            "input": value,
            "ctx": {"expected": expected},
        }
    ]
    return invalid_request(repr(details))


def check_speech(model: str, voice: str, stream_format: str, today: datetime.date | None = None) -> None:
    """OpenAI's rules for a Speech request on ``model``: its shutdown (404), its voices and sse (400).

    >>> check_speech("tts-1", "marin", "audio", today=datetime.date(2026, 12, 4))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: [{'type': 'enum', 'loc': ('body', 'voice'), 'msg': "Input should be 'nova', ...
    """
    check_model_alive(model, today)
    profile = speech_profile(model)
    if profile is None:
        return
    if voice not in profile.voices:
        raise _enum_error("voice", voice, profile.voices)
    if stream_format == "sse" and not profile.sse:
        raise invalid_request(  # wording NOT CONFIRMED (the SDK states the rule)
            f"stream_format 'sse' is not supported for {model}; use gpt-4o-mini-tts.",
            param="stream_format",
            code="unsupported_value",
        )


# ----------------------------------------------------------- transcription


@dataclass(frozen=True)
class TranscriptionProfile:
    """What one transcription model takes."""

    response_formats: tuple[str, ...]
    timestamps: bool = False  # timestamp_granularities (with verbose_json)
    language: bool = True  # the singular `language` hint
    hints: bool = False  # `languages` (a list) and `keywords`
    prompt: bool = True
    detects_languages: bool = False  # its json answer lists the languages it heard


# whisper-1: every format, timestamps, `language` (SDK transcription_create_params.py:26-170; "Word timestamps or srt
# and vtt subtitles -> whisper-1", official guide https://developers.openai.com/docs/guides/transcription).
_WHISPER = TranscriptionProfile(response_formats=("json", "text", "srt", "verbose_json", "vtt"), timestamps=True)
# gpt-4o(-mini)-transcribe: "response_format 'verbose_json' is not compatible with model 'gpt-4o-transcribe'. Use
# 'json' or 'text' instead." (live 400, https://github.com/openai/openai-dotnet/issues/401 (3p)); the SDK says
# "the only supported format is `json`" (:128-133), the live error names text too. No keywords/languages ("Supported
# by gpt-transcribe", :67-71, :97-102); timestamps need verbose_json, which they refuse.
_GPT4O = TranscriptionProfile(response_formats=("json", "text"))
# gpt-4o-transcribe-diarize: json, text, diarized_json; no prompt, no timestamps (SDK :104-112, :128-140).
# diarized_json needs speaker labels the local Whisper cannot give: that value stays a 400 here.
_DIARIZE = TranscriptionProfile(response_formats=("json", "text", "diarized_json"), prompt=False)
# gpt-transcribe: `prompt`, `keywords`, `languages` (SDK :67-112); "These models use the languages field, not the
# singular language field" (official transcription guide, fact sheet §3.4); detected languages in its answer
# (SDK types/audio/transcription.py:74-79). Its formats json and text are Inferred (fact sheet §3.4: no srt, vtt or
# timestamps; the cookbook "Migrate from Whisper to GPT-Transcribe" warns that text may not stay valid either:
# https://developers.openai.com/cookbook/examples/migrating_from_whisper_to_gpt_transcribe).
_GPT_TRANSCRIBE = TranscriptionProfile(
    response_formats=("json", "text"), language=False, hints=True, detects_languages=True
)
TRANSCRIPTION_PROFILES: dict[str, TranscriptionProfile] = {
    "whisper-1": _WHISPER,
    "gpt-4o-transcribe": _GPT4O,
    "gpt-4o-mini-transcribe": _GPT4O,
    "gpt-4o-transcribe-diarize": _DIARIZE,
    "gpt-transcribe": _GPT_TRANSCRIBE,
}


def transcription_profile(model: str) -> TranscriptionProfile | None:
    """The profile of a transcription model (a dated snapshot shares its alias's), or None: no rules."""
    return TRANSCRIPTION_PROFILES.get(model) or TRANSCRIPTION_PROFILES.get(_alias(model))


def _listed(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _unsupported(param: str, instead: str = "") -> APIError:
    # OpenAI's shape for a parameter a model lacks (chat: fact sheet §2.4); NOT CONFIRMED for the audio models
    return invalid_request(
        f"Unsupported parameter: '{param}' is not supported with this model.{instead}",
        param=param,
        code="unsupported_parameter",
    )


def _check_keywords(keywords: list[str]) -> None:
    # "each keyword must be a single-line literal and must not include <, >, a carriage return, or a line feed.
    # Invalid keyword input rejects the whole request" (the cookbook above); the wording is NOT CONFIRMED
    for index, keyword in enumerate(keywords):
        if not keyword.strip() or any(mark in keyword for mark in "<>\r\n"):
            raise invalid_request(
                f"Invalid 'keywords[{index}]': a keyword must be a non-empty single line without '<' or '>'.",
                param=f"keywords[{index}]",
                code="invalid_value",
            )


def check_transcription(model: str, given: Mapping[str, object], today: datetime.date | None = None) -> None:
    """OpenAI's rules for a transcription on ``model``; ``given`` maps each parameter sent to its value.

    >>> check_transcription("gpt-4o-transcribe", {"response_format": "srt"})
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: response_format 'srt' is not compatible with model 'gpt-4o-transcribe'. Use 'json' or 'text' instead.
    """
    check_model_alive(model, today)
    profile = transcription_profile(model)
    if profile is None:
        return
    response_format = given.get("response_format")
    if isinstance(response_format, str) and response_format not in profile.response_formats:
        raise invalid_request(  # https://github.com/openai/openai-dotnet/issues/401 (3p)
            f"response_format '{response_format}' is not compatible with model '{model}'. "
            f"Use {_listed(profile.response_formats)} instead.",
            param="response_format",
            code="unsupported_value",
        )
    if "timestamp_granularities" in given and not profile.timestamps:
        raise _unsupported("timestamp_granularities", " Word and segment timestamps come only from whisper-1.")
    if "language" in given and not profile.language:
        # the guide: "These models use the languages field, not the singular language field"; that OpenAI
        # answers a 400 (rather than ignoring `language`) is NOT CONFIRMED
        raise _unsupported("language", " Use 'languages' (a list of ISO-639-1 codes) instead.")
    for param in ("languages", "keywords"):
        if param in given and not profile.hints:
            raise _unsupported(param, " It is supported by gpt-transcribe.")
    if "prompt" in given and not profile.prompt:
        raise _unsupported("prompt")
    keywords = given.get("keywords")
    if isinstance(keywords, list):
        _check_keywords(keywords)


# ---------------------------------------------------------------- Realtime

# The session models the SDK lists (types/realtime/realtime_session_create_request.py:58-91); the deprecated ones
# shut down on 2027-01-20 (read from the SDK by course_helpers.course.model_ages). The gpt-4o(-mini)-realtime-preview names
# are left out: OpenAI shut them down on 2026-05-07 (deprecations page, quoted by
# https://www.modelcostwatch.com/openai/deprecations/gpt-4o-preview-audio-realtime-models (3p)), the SDK has no date.
REALTIME_MODELS = (
    "gpt-realtime-2.1-mini",
    "gpt-realtime-2.1",
    "gpt-realtime-2",
    "gpt-realtime-1.5",
    "gpt-audio-1.5",
    "gpt-realtime",
    "gpt-realtime-2025-08-28",
    "gpt-realtime-mini",
    "gpt-realtime-mini-2025-10-06",
    "gpt-realtime-mini-2025-12-15",
    "gpt-audio-mini",
    "gpt-audio-mini-2025-10-06",
    "gpt-audio-mini-2025-12-15",
)
# The Realtime voices (SDK realtime_audio_config_output.py:19-21): no fable, onyx or nova, which only Speech has.
REALTIME_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
