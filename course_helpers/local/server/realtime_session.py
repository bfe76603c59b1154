"""A Realtime session's state and the objects its server events carry (session, response, item, usage).

Shapes follow the openai SDK's types (``types/realtime/``) and a live capture
of OpenAI's events (third-party probe, 2026-09-18): the ``session`` object of
``session.created`` and ``session.updated`` shows the whole effective
configuration, a ``response`` object is the same in ``response.created``
(``in_progress``, no output) and ``response.done`` (its output item, without
the audio, and its usage).

>>> session = Session("gpt-realtime-2.1-mini")
>>> session.as_object()["audio"]["output"]
{'format': {'type': 'audio/pcm', 'rate': 24000}, 'voice': 'alloy', 'speed': 1.0}

Used in: course_helpers/local/server/realtime.py
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid_request
from .protocol.realtime import SessionConfig

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "PCM_24K",
    "Session",
    "item_object",
    "new_id",
    "response_object",
]

PCM_24K = {"type": "audio/pcm", "rate": 24000}
DEFAULT_INSTRUCTIONS = (
    "The local server reads the user's text aloud, word for word, with its Piper voice. "
    "It does not converse, and instructions do not change how it speaks."
)
_SESSION_SECONDS = 3600  # OpenAI's sessions expire after an hour (live capture); the local one is not cut off
_ZERO_USAGE = {  # the local voice is free: it bills nothing, and says so with zeros
    "total_tokens": 0,
    "input_tokens": 0,
    "output_tokens": 0,
    "input_token_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 0},
    "output_token_details": {"text_tokens": 0, "audio_tokens": 0},
}


def new_id(prefix: str) -> str:
    """An id in OpenAI's style: ``event_...``, ``sess_...``, ``resp_...``, ``item_...``.

    >>> new_id("resp").startswith("resp_")
    True
    """
    return f"{prefix}_{secrets.token_hex(11)}"


@dataclass
class Session:
    """What one Realtime connection is set to; ``session.update`` changes the fields it names."""

    model: str
    id: str = field(default_factory=lambda: new_id("sess"))
    created: int = field(default_factory=lambda: int(time.time()))
    instructions: str = DEFAULT_INSTRUCTIONS
    voice: str = "alloy"
    speed: float = 1.0
    max_output_tokens: int | str = "inf"
    tool_choice: Any = "auto"
    tracing: Any = None
    truncation: Any = "auto"
    include: list[str] | None = None
    audio_input: dict[str, Any] = field(
        default_factory=lambda: {
            "format": dict(PCM_24K), "transcription": None, "noise_reduction": None, "turn_detection": None,
        }
    )  # fmt: skip
    spoke: bool = False  # audio went out: the voice is fixed from now on

    def update(self, config: SessionConfig) -> None:
        """Apply a checked ``session.update``: all of it, or (an APIError) none of it."""
        output = config.audio.output if config.audio is not None else None
        if output is not None and output.voice is not None and output.voice != self.voice and self.spoke:
            raise invalid_request(  # OpenAI's wording (reported by several clients (3p)); the whole event is refused
                "Cannot update a conversation's voice if assistant audio is present.",
                param="session.audio.output.voice",
                code="cannot_update_voice",
            )
        if config.model is not None and config.model != self.model:
            raise invalid_request(  # the SDK: any field "except for `voice` and `model`"; wording ours
                f"Cannot update the session's model ('{self.model}'); open a new connection for '{config.model}'.",
                param="session.model",
                code="invalid_value",
            )
        given = config.model_fields_set
        for name in ("instructions", "max_output_tokens", "tool_choice", "tracing", "truncation", "include"):
            if name in given:
                setattr(self, name, getattr(config, name))
        if output is not None:
            self.voice = output.voice or self.voice
            self.speed = output.speed if output.speed is not None else self.speed
        if config.audio is not None and config.audio.input is not None:
            for name in config.audio.input.model_fields_set:
                value = getattr(config.audio.input, name)
                self.audio_input[name] = value.model_dump() if hasattr(value, "model_dump") else value

    def as_object(self) -> dict[str, Any]:
        """The ``session`` of ``session.created`` and ``session.updated`` (the effective configuration)."""
        return {
            "type": "realtime",
            "object": "realtime.session",
            "id": self.id,
            "model": self.model,
            "output_modalities": ["audio"],
            "instructions": self.instructions,
            "tools": [],
            "tool_choice": self.tool_choice,
            "max_output_tokens": self.max_output_tokens,
            "tracing": self.tracing,
            "truncation": self.truncation,
            "prompt": None,
            "expires_at": self.created + _SESSION_SECONDS,
            "audio": {
                "input": self.audio_input,
                "output": {"format": dict(PCM_24K), "voice": self.voice, "speed": self.speed},
            },
            "include": self.include,
        }


def item_object(item_id: str, status: str, transcript: str | None) -> dict[str, Any]:
    """The assistant message a response adds: no content yet (``transcript=None``), or its audio's transcript."""
    content = [] if transcript is None else [{"type": "output_audio", "transcript": transcript}]
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def response_object(
    response_id: str,
    *,
    status: str,
    voice: str,
    max_output_tokens: int | str,
    metadata: dict[str, str] | None,
    output: list[dict[str, Any]] | None = None,
    status_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``realtime.response``: in progress (no output, no usage yet) or finished (its output and usage)."""
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": status_details,
        "output": output or [],
        "conversation_id": None,  # conversation "none": an out-of-band response
        "output_modalities": ["audio"],
        "max_output_tokens": max_output_tokens,
        "audio": {"output": {"format": dict(PCM_24K), "voice": voice}},
        "usage": None if status == "in_progress" else _ZERO_USAGE,
        "metadata": metadata,
    }
