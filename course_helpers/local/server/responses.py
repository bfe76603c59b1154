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
small text model cannot honour (tools, reasoning summaries, JSON schemas,
images) and ``previous_response_id`` (this server stores no responses) get a
400 naming the parameter. A reasoning model's ``reasoning.effort`` is checked
against its profile (:mod:`.protocol.profiles`), echoed, and has no effect:
the local model does not reason (``usage.output_tokens_details.reasoning_tokens``
is 0). A response without ``max_output_tokens`` ends at
:data:`.chat_request.DEFAULT_MAX_OUTPUT_TOKENS` (status ``incomplete``).

>>> request = parse_responses_request({"model": "gpt-4o-mini", "input": "Hi",
...                                    "instructions": "Be brief."})
>>> request.chat.messages
[{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

import datetime
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
from .chat_request import ChatRequest, output_limit
from .errors import APIError
from .protocol.profiles import effective_effort, profile_for
from .protocol.responses import parse_responses
from .request_moderation import RequestModeration
from .session import GenerationSession, open_session
from .streaming import sse_event
from .validation import read_json_object

__all__ = [
    "ResponsesRequest",
    "parse_responses_request",
    "responses",
    "routes",
]


@dataclass
class ResponsesRequest:
    """A checked Responses request: the equivalent chat request plus what the Response echoes."""

    chat: ChatRequest
    instructions: str | None
    max_output_tokens: int | None
    metadata: dict[str, str]
    truncation: str = "disabled"  # "auto": drop the oldest input items until the prompt fits
    reasoning_effort: str | None = None  # echoed only: the local model does not reason


def parse_responses_request(body: dict[str, Any], today: datetime.date | None = None) -> ResponsesRequest:
    """Check a Responses body and translate it into a chat request; raise APIError if invalid.

    ``today`` is the date the model's shutdown is judged on (default: today).

    >>> parse_responses_request({"model": "gpt-4o", "input": "x", "tools": [{"type": "web_search"}]})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unsupported parameter: 'tools'. The local model ...
    """
    request = parse_responses(body, today)
    messages = [{"role": item.role, "content": item.text()} for item in request.input]
    if request.instructions:  # instructions come first, as a system message the model sees every turn
        messages = [{"role": "system", "content": request.instructions}, *messages]
    sampling = SamplingParams(
        temperature=request.temperature, top_p=request.top_p, max_tokens=output_limit(request.max_output_tokens)
    )
    chat = ChatRequest(
        model=request.model, messages=messages, stream=request.stream, sampling=sampling, moderation=request.moderation
    )
    effort = effective_effort(profile_for(request.model), request.reasoning.effort if request.reasoning else None)
    return ResponsesRequest(
        chat, request.instructions, request.max_output_tokens, dict(request.metadata), request.truncation, effort
    )


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
        self.moderation = RequestModeration.of(request.chat.moderation, api="responses")

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def incomplete(self) -> bool:
        return self.finish_reason in ("length", "content_filter")

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
            "incomplete_details": {"reason": self._incomplete_reason()} if status == "incomplete" else None,
            "instructions": self.request.instructions,
            "max_output_tokens": self.request.max_output_tokens,
            "max_tool_calls": None,
            "metadata": self.request.metadata,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": self.request.reasoning_effort, "summary": None},
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
            **({"moderation": self.moderation.json()} if self.moderation and status != "in_progress" else {}),
        }

    def _incomplete_reason(self) -> str:
        return "content_filter" if self.finish_reason == "content_filter" else "max_output_tokens"

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
    parsed = parse_responses_request(await read_json_object(request), today=request.app.state.today())
    chat = parsed.chat
    engine = await engine_for(request)
    if parsed.truncation == "auto":
        chat.messages = await anyio.to_thread.run_sync(fit_to_context, engine, chat.messages, bool(parsed.instructions))
    builder = _ResponseBuilder(parsed, engine.model_name)
    start = {"start": builder.moderation.start} if builder.moderation else {}
    session = await open_session(request, engine, chat.messages, chat.sampling, chat.n, param="input", **start)
    if chat.stream:
        emit = _EventWriter()
        return session.event_stream(_events(builder, session, emit), report=emit.error)
    if await session.gather(request, lambda event: _apply(event, builder)):
        return Response(status_code=204)  # nobody is listening; the generation is already cancelled
    return JSONResponse(builder.response(builder.final_status(), _usage(session.generation)))


routes = [Route("/v1/responses", responses, methods=["POST"])]
