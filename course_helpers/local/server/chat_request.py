"""Checking a ``POST /v1/chat/completions`` body, as strictly as the OpenAI API does.

The request is checked completely before the model runs: every parameter the
API knows, with its type and range, and every message. A learner who sends
``temperature=5`` or ``top_logprobs=50`` gets the same 400 (and the same
``param``) as from OpenAI. Parameters that are valid for OpenAI but that a
135M-parameter text model cannot honour (tools, JSON mode, audio output, ...)
get a 400 that says so, never a silently different answer.

>>> request = parse_chat_request({"model": "gpt-4o-mini",
...                               "messages": [{"role": "user", "content": "Hi"}],
...                               "temperature": 0})
>>> request.messages, request.sampling.temperature, request.n
([{'role': 'user', 'content': 'Hi'}], 0.0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sampling_params import SamplingParams
from .errors import invalid_request, not_found
from .models import non_chat_model_reason
from .validation import boolean, decimal, integer, reject_unknown, string, text_of_parts, type_error

__all__ = [
    "ChatRequest",
    "KNOWN_PARAMETERS",
    "parse_chat_request",
]

# Every parameter of the Chat Completions API (openai SDK 3.x, `completions.create`).
KNOWN_PARAMETERS = frozenset(
    {
        "messages",
        "model",
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "metadata",
        "modalities",
        "moderation",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)

# Parameters the API knows but the local model cannot honour, and why.
_UNSUPPORTED = {
    "tools": "tool (function) calling",
    "functions": "function calling",
    "function_call": "function calling",
    "audio": "audio output",
    "prediction": "predicted outputs",
    "logit_bias": "logit_bias",
    "web_search_options": "web search",
    "moderation": "moderated completions",
    "reasoning_effort": "reasoning_effort (it is not a reasoning model)",
    "verbosity": "verbosity (a GPT-5 parameter)",
}

_CHAT_ROLES = ("system", "developer", "user", "assistant")
_ALL_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    # "annotations" comes back when a learner appends `completion.choices[0].message` itself to the
    # history (the SDK serializes the whole message); it describes the reply and is ignored here.
    "assistant": {"role", "content", "name", "refusal", "tool_calls", "function_call", "audio", "annotations"},
}
_TEXT_PART_TYPES = {"user": ("text",), "system": ("text",), "developer": ("text",), "assistant": ("text", "refusal")}
_SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast")


@dataclass
class ChatRequest:
    """A checked chat request: plain messages, sampling settings, streaming options.

    ``sampling`` holds exactly the keyword arguments of the engine's
    ``SamplingParams``.
    """

    model: str
    messages: list[dict[str, str]]
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    sampling: SamplingParams = field(default_factory=SamplingParams)


def unsupported(param: str, what: str | None = None) -> Exception:
    """The 400 for a valid OpenAI parameter that the local model cannot honour (``what`` it is for).

    >>> unsupported("tools").code
    'unsupported_parameter'
    """
    what = what or _UNSUPPORTED.get(param, f"'{param}'")
    return invalid_request(
        f"Unsupported parameter: '{param}'. The local model (a small text-only chat model) "
        f"does not support {what}. Remove '{param}', or use the OpenAI backend for this feature.",
        param=param,
        code="unsupported_parameter",
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _check_unsupported(body: dict[str, Any]) -> None:
    for param in _UNSUPPORTED:
        if not _is_empty(body.get(param)):
            raise unsupported(param)
    tool_choice = body.get("tool_choice")
    if tool_choice not in (None, "none"):
        raise unsupported("tool_choice")
    response_format = body.get("response_format")
    if response_format is not None:
        if not isinstance(response_format, dict):
            raise type_error("response_format", "an object", response_format)
        kind = response_format.get("type")
        if kind in ("json_object", "json_schema"):
            raise invalid_request(
                f"Unsupported value: 'response_format.type' '{kind}'. The local model cannot "
                "guarantee JSON output; ask for JSON in the prompt instead, or use the OpenAI backend.",
                param="response_format",
                code="unsupported_value",
            )
        if kind != "text":
            raise invalid_request(
                f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object', and 'json_schema'.",
                param="response_format.type",
                code="invalid_value",
            )
    modalities = body.get("modalities")
    if modalities is not None:
        if not isinstance(modalities, list) or not all(isinstance(m, str) for m in modalities):
            raise type_error("modalities", "an array of strings", modalities)
        if any(m != "text" for m in modalities):
            raise (
                unsupported("audio")
                if "audio" in modalities
                else invalid_request(
                    f"Invalid value in 'modalities': {modalities}. Supported values are: 'text' and 'audio'.",
                    param="modalities",
                    code="invalid_value",
                )
            )


def _message_text(message: dict[str, Any], role: str, where: str) -> str:
    content = message.get("content")
    if content is None:
        raise invalid_request(
            f"Invalid value for '{where}.content': expected a string or an array of text parts, got null.",
            param=f"{where}.content",
            code="invalid_value",
        )
    return text_of_parts(content, where, _TEXT_PART_TYPES[role], send='Send text parts ({"type": "text", "text": ...})')


def _parse_message(message: Any, i: int) -> dict[str, str]:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise type_error(where, "an object", message)
    if "role" not in message:
        raise invalid_request(
            f"Missing required parameter: '{where}.role'.", param=f"{where}.role", code="missing_required_parameter"
        )
    role = string(message, "role", default=None, choices=_ALL_ROLES, param=f"{where}.role")
    if role not in _CHAT_ROLES:
        raise invalid_request(
            f"Messages with role '{role}' ({where}) are not supported: the local model has no "
            "tool or function calling. Use roles 'developer', 'system', 'user' and 'assistant'.",
            param=f"{where}.role",
            code="unsupported_value",
        )
    for key in message:
        if key not in _MESSAGE_KEYS[role]:
            raise invalid_request(
                f"Additional properties are not allowed ('{key}' was unexpected) - '{where}'.",
                param=f"{where}.{key}",
                code="invalid_value",
            )
    string(message, "name", default=None, param=f"{where}.name")
    if role == "assistant":
        for key in ("tool_calls", "function_call", "audio"):
            if not _is_empty(message.get(key)):
                raise invalid_request(
                    f"Unsupported value: '{where}.{key}'. The local model has no tool calling or "
                    "audio, so assistant messages must carry text content.",
                    param=f"{where}.{key}",
                    code="unsupported_value",
                )
    return {"role": role, "content": _message_text(message, role, where)}


def _parse_messages(body: dict[str, Any]) -> list[dict[str, str]]:
    if "messages" not in body or body["messages"] is None:
        raise invalid_request(
            "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
        )
    messages = body["messages"]
    if not isinstance(messages, list):
        raise type_error("messages", "an array", messages)
    if not messages:
        raise invalid_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    return [_parse_message(message, i) for i, message in enumerate(messages)]


def _parse_stop(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list):
        raise type_error("stop", "a string or an array of strings", stop)
    if len(stop) > 4:
        raise invalid_request(
            f"Invalid 'stop': array too long. Expected an array with maximum length 4, "
            f"but got an array with length {len(stop)} instead.",
            param="stop",
            code="array_above_max_length",
        )
    for i, item in enumerate(stop):
        if not isinstance(item, str):
            raise type_error(f"stop[{i}]", "a string", item)
    return [item for item in stop if item]  # an empty stop string would end every reply at once


def _parse_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None or model == "":
        raise invalid_request("You must provide a model parameter.", param="model", code="missing_required_parameter")
    if not isinstance(model, str):
        raise type_error("model", "a string", model)
    reason = non_chat_model_reason(model)
    if reason:
        raise not_found(reason, param="model", code="model_not_found")
    return model


def _check_other_types(body: dict[str, Any]) -> None:
    """Parameters we accept and ignore still get their types checked."""
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        string(body, name, default=None)
    string(body, "service_tier", default=None, choices=_SERVICE_TIERS)
    string(body, "prompt_cache_retention", default=None, choices=("in_memory", "24h"))
    boolean(body, "store", default=None)
    boolean(body, "parallel_tool_calls", default=None)
    for name in ("metadata", "prompt_cache_options"):
        value = body.get(name)
        if value is not None and not isinstance(value, dict):
            raise type_error(name, "an object", value)
    metadata = body.get("metadata") or {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise type_error(f"metadata.{key}", "a string", value)


def _parse_stream_options(body: dict[str, Any], stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise type_error("stream_options", "an object", options)
    if not stream:
        raise invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    reject_unknown(options, {"include_usage", "include_obfuscation"})
    boolean(options, "include_obfuscation", default=None, param="stream_options.include_obfuscation")
    return bool(boolean(options, "include_usage", default=False, param="stream_options.include_usage"))


def parse_chat_request(body: dict[str, Any]) -> ChatRequest:
    """Check a chat completions body and return what the engine needs; raise APIError if invalid.

    >>> parse_chat_request({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
    ...                     "top_logprobs": 3})
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.
    """
    reject_unknown(body, KNOWN_PARAMETERS)
    messages = _parse_messages(body)
    model = _parse_model(body)
    _check_unsupported(body)
    _check_other_types(body)

    stream = bool(boolean(body, "stream", default=False))
    include_usage = _parse_stream_options(body, stream)
    logprobs = bool(boolean(body, "logprobs", default=False))
    top_logprobs = integer(body, "top_logprobs", default=None, minimum=0, maximum=20)
    if top_logprobs is not None and not logprobs:
        raise invalid_request(
            "Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            param="top_logprobs",
            code="invalid_value",
        )
    max_tokens = integer(body, "max_tokens", default=None, minimum=1)
    max_completion_tokens = integer(body, "max_completion_tokens", default=None, minimum=1)
    sampling = SamplingParams(
        temperature=decimal(body, "temperature", default=1.0, minimum=0, maximum=2),
        top_p=decimal(body, "top_p", default=1.0, minimum=0, maximum=1),
        max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
        stop=tuple(_parse_stop(body)),
        seed=integer(body, "seed", default=None, minimum=-(2**63), maximum=2**63 - 1),
        logprobs=logprobs,
        top_logprobs=top_logprobs or 0,
        presence_penalty=decimal(body, "presence_penalty", default=0.0, minimum=-2, maximum=2),
        frequency_penalty=decimal(body, "frequency_penalty", default=0.0, minimum=-2, maximum=2),
    )
    n = integer(body, "n", default=1, minimum=1, maximum=128)
    return ChatRequest(
        model=model, messages=messages, n=n, stream=stream, include_usage=include_usage, sampling=sampling
    )
