"""``POST /v1/responses`` on the local model: the Responses API for plain text.

The Responses API is OpenAI's newer interface next to Chat Completions. A
request carries ``input`` (a string, or a list of messages) and optional
``instructions``; the answer is a ``Response`` object whose ``output`` holds
one assistant message, and the SDK's ``response.output_text`` joins its text.
Streaming sends typed events (``response.created``,
``response.output_text.delta``, ..., ``response.completed``) instead of chunks.

The model, the sampler and the batching are the ones behind
``/v1/chat/completions`` (see :mod:`.chat`): this module only translates the
request into chat messages and the tokens into Response shapes. Features a
small text model cannot honour (tools, reasoning, JSON schemas, images) and
``previous_response_id`` (this server stores no responses) get a 400 naming
the parameter.

>>> request = parse_responses_request({"model": "gpt-4o-mini", "input": "Hi",
...                                    "instructions": "Be brief."})
>>> request.chat.messages
[{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..sampling_params import SamplingParams
from .chat_engine import ChatEngine, Generation, GenerationEvent, engine_for
from .chat_request import _SERVICE_TIERS, ChatRequest, _parse_model, _parse_stream_options, unsupported
from .errors import APIError, invalid_request
from .session import GenerationSession, open_session
from .streaming import sse_event
from .validation import boolean, decimal, integer, read_json_object, reject_unknown, string, text_of_parts, type_error

__all__ = [
    "KNOWN_PARAMETERS",
    "ResponsesRequest",
    "parse_responses_request",
    "responses",
    "routes",
]

# Every parameter of `client.responses.create` (openai SDK 3.x).
KNOWN_PARAMETERS = frozenset(
    {
        "access_programs",
        "background",
        "background_options",
        "context_management",
        "conversation",
        "image",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)

# Parameters that change what the model must do; any non-empty value is a 400.
_UNSUPPORTED = (
    "tools",
    "previous_response_id",
    "conversation",
    "reasoning",
    "prompt",
    "image",
    "include",
    "context_management",
    "moderation",
    "top_logprobs",
    "background_options",
    "access_programs",
)
_ROLES = ("user", "system", "developer", "assistant")
_ITEM_KEYS = {"type", "role", "content", "id", "status"}  # an input message item
_TEXT_KEYS = {"format", "verbosity"}
_PART_TYPES = {"user": "input_text", "system": "input_text", "developer": "input_text", "assistant": "output_text"}


@dataclass
class ResponsesRequest:
    """A checked Responses request: the equivalent chat request plus what the Response echoes."""

    chat: ChatRequest
    instructions: str | None
    max_output_tokens: int | None
    metadata: dict[str, str]
    truncation: str = "disabled"  # "auto": drop the oldest input items until the prompt fits


def _is_empty(value: Any) -> bool:
    """Not given, or given as its "off" value (``top_logprobs=0``, ``include=[]``, ``background=False``)."""
    return value is None or value is False or value == 0 or value == [] or value == {}


def _check_unsupported(body: dict[str, Any]) -> None:
    for param in _UNSUPPORTED:
        if not _is_empty(body.get(param)):
            raise unsupported(param)
    if body.get("background"):
        raise unsupported("background")
    if body.get("tool_choice") not in (None, "none", "auto"):
        raise unsupported("tool_choice")
    text = body.get("text")
    if text is None:
        return
    if not isinstance(text, dict):
        raise type_error("text", "an object", text)
    for key in text:
        if key not in _TEXT_KEYS:
            raise invalid_request(f"Unknown parameter: 'text.{key}'.", param=f"text.{key}", code="unknown_parameter")
    if text.get("verbosity") is not None:  # as in chat completions: a GPT-5 setting
        raise unsupported("text.verbosity", "verbosity (a GPT-5 setting)")
    text_format = text.get("format") or {"type": "text"}
    if not isinstance(text_format, dict):
        raise type_error("text.format", "an object", text_format)
    if text_format.get("type") != "text":
        raise invalid_request(
            f"Unsupported value: 'text.format.type' {text_format.get('type')!r}. The local model "
            "cannot guarantee JSON output; ask for JSON in the prompt instead, or use the OpenAI backend.",
            param="text.format",
            code="unsupported_value",
        )


def _input_messages(body: dict[str, Any]) -> list[dict[str, str]]:
    """``input`` as chat messages: a string is one user message."""
    value = body.get("input")
    if value is None:
        raise invalid_request("Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise type_error("input", "a string or an array", value)
    if not value:
        raise invalid_request(
            "Invalid 'input': empty array. Expected at least one input item.", param="input", code="empty_array"
        )
    messages = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise type_error(where, "an object", item)
        kind = item.get("type", "message")
        if kind != "message":
            raise invalid_request(
                f"Unsupported input item type '{kind}' ({where}): the local model takes messages only "
                "(no tool calls, tool outputs or reasoning items).",
                param=f"{where}.type",
                code="unsupported_value",
            )
        for key in item:
            if key not in _ITEM_KEYS:
                raise invalid_request(
                    f"Unknown parameter: '{where}.{key}'.", param=f"{where}.{key}", code="unknown_parameter"
                )
        role = string(item, "role", default=None, choices=_ROLES, param=f"{where}.role")
        if role is None:
            raise invalid_request(
                f"Missing required parameter: '{where}.role'.", param=f"{where}.role", code="missing_required_parameter"
            )
        messages.append(
            {
                "role": role,
                "content": text_of_parts(
                    item.get("content"), where, (_PART_TYPES[role],), send="Send 'input_text' parts"
                ),
            }
        )
    return messages


def parse_responses_request(body: dict[str, Any]) -> ResponsesRequest:
    """Check a Responses body and translate it into a chat request; raise APIError if invalid.

    >>> parse_responses_request({"model": "gpt-4o", "input": "x", "tools": [{"type": "web_search"}]})
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unsupported parameter: 'tools'. The local model (a small text-only chat model) does not support tool (function) calling. Remove 'tools', or use the OpenAI backend for this feature.
    """
    reject_unknown(body, KNOWN_PARAMETERS)
    model = _parse_model(body)
    messages = _input_messages(body)
    _check_unsupported(body)
    instructions = string(body, "instructions", default=None)
    if instructions:  # instructions come first, as a system message the model sees every turn
        messages = [{"role": "system", "content": instructions}, *messages]
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        string(body, name, default=None)
    string(body, "service_tier", default=None, choices=_SERVICE_TIERS)
    truncation = string(body, "truncation", default=None, choices=("auto", "disabled")) or "disabled"
    for name in ("store", "parallel_tool_calls"):
        boolean(body, name, default=None)
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise type_error("metadata", "an object of strings", metadata)
    stream = bool(boolean(body, "stream", default=False))
    _parse_stream_options(body, stream)
    max_output_tokens = integer(body, "max_output_tokens", default=None, minimum=16)
    sampling = SamplingParams(
        temperature=decimal(body, "temperature", default=1.0, minimum=0, maximum=2),
        top_p=decimal(body, "top_p", default=1.0, minimum=0, maximum=1),
        max_tokens=max_output_tokens,
    )
    chat = ChatRequest(model=model, messages=messages, stream=stream, sampling=sampling)
    return ResponsesRequest(chat, instructions, max_output_tokens, metadata, truncation)


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(24)


class _ResponseBuilder:
    """The ``Response`` object of one request, as it is before, during and after generation."""

    def __init__(self, request: ResponsesRequest, model: str) -> None:
        self.request = request
        self.model = model
        self.id = _new_id("resp_")
        self.message_id = _new_id("msg_")
        self.created_at = int(time.time())
        self.text_parts: list[str] = []
        self.finish_reason: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def incomplete(self) -> bool:
        return self.finish_reason == "length"

    def part(self, text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def message(self, status: str) -> dict[str, Any]:
        content = [self.part(self.text)] if status != "in_progress" else []
        return {"id": self.message_id, "type": "message", "status": status, "role": "assistant", "content": content}

    def response(self, status: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        sampling = self.request.chat.sampling
        output = [self.message(status)] if status in ("completed", "incomplete") else []
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
            "instructions": self.request.instructions,
            "max_output_tokens": self.request.max_output_tokens,
            "max_tool_calls": None,
            "metadata": self.request.metadata,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": False,  # this server keeps no responses
            "temperature": sampling.temperature,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_logprobs": 0,
            "top_p": sampling.top_p,
            "truncation": self.request.truncation,
            "usage": usage,
            "user": None,
        }

    def final_status(self) -> str:
        return "incomplete" if self.incomplete else "completed"


def _usage(generation: Generation) -> dict[str, Any]:
    """The Responses ``usage`` object (names differ from chat's prompt/completion tokens)."""
    return {
        "input_tokens": int(generation.prompt_tokens),
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": int(generation.completion_tokens),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": int(generation.prompt_tokens) + int(generation.completion_tokens),
    }


def _apply(event: GenerationEvent, builder: _ResponseBuilder) -> None:
    builder.text_parts.append(event.text or "")
    if event.finish_reason is not None:
        builder.finish_reason = event.finish_reason


class _EventWriter:
    """Responses stream events, numbered by ``sequence_number`` in the order they are written."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return b"event: " + kind.encode() + b"\n" + sse_event(payload)

    def error(self, error: APIError) -> bytes:
        """A failure after the headers, as the Responses API streams it (its ``code`` is the error's type)."""
        return self("error", code=error.type, message=error.message, param=error.param)


async def _events(
    builder: _ResponseBuilder, session: GenerationSession, emit: _EventWriter
) -> AsyncGenerator[bytes, None]:
    """The streamed reply as Responses events."""
    where = {"item_id": builder.message_id, "output_index": 0, "content_index": 0}
    yield emit("response.created", response=builder.response("in_progress"))
    yield emit("response.in_progress", response=builder.response("in_progress"))
    yield emit("response.output_item.added", output_index=0, item=builder.message("in_progress"))
    yield emit("response.content_part.added", part=builder.part(""), **where)
    async for event in session.events():
        _apply(event, builder)
        if event.text:
            yield emit("response.output_text.delta", delta=event.text, logprobs=[], **where)
    status = builder.final_status()
    yield emit("response.output_text.done", text=builder.text, logprobs=[], **where)
    yield emit("response.content_part.done", part=builder.part(builder.text), **where)
    yield emit("response.output_item.done", output_index=0, item=builder.message(status))
    yield emit(f"response.{status}", response=builder.response(status, _usage(session.generation)))


def fit_to_context(engine: ChatEngine, messages: list[dict[str, str]], keep_first: bool) -> list[dict[str, str]]:
    """``truncation="auto"``: drop the oldest messages until the prompt leaves room for a reply.

    The instructions (the first message, when ``keep_first``) and the last
    message always stay; if they alone are too long, the request fails as
    without truncation.
    """
    kept = list(messages)
    first = 1 if keep_first else 0
    while len(kept) - first > 1 and len(engine.encode_chat(kept)) + 1 > engine.context_length:
        del kept[first]
    return kept


async def responses(request: Request) -> Response:
    """``POST /v1/responses``: check, generate, answer (a Response, or its event stream)."""
    parsed = parse_responses_request(await read_json_object(request))
    chat = parsed.chat
    engine = await engine_for(request)
    if parsed.truncation == "auto":
        chat.messages = await anyio.to_thread.run_sync(fit_to_context, engine, chat.messages, bool(parsed.instructions))
    builder = _ResponseBuilder(parsed, engine.model_name)
    session = await open_session(request, engine, chat.messages, chat.sampling, chat.n, param="input")
    if chat.stream:
        emit = _EventWriter()
        return session.event_stream(_events(builder, session, emit), report=emit.error)
    if await session.gather(request, lambda event: _apply(event, builder)):
        return Response(status_code=204)  # nobody is listening; the generation is already cancelled
    return JSONResponse(builder.response(builder.final_status(), _usage(session.generation)))


routes = [Route("/v1/responses", responses, methods=["POST"])]
