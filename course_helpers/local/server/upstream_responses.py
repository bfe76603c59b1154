"""``POST /v1/responses`` for an engine that has only Chat Completions: translated, as the local backend does.

Ollama, llama.cpp's server and older vLLM have no Responses API. The
course's server then does what it does for its own model (see
:mod:`.responses`): it checks the Responses request, turns its input and
instructions into chat messages, asks the engine's ``/v1/chat/completions``
for the reply, and answers with a ``Response`` object, or with the
Responses stream events (``response.created`` ... ``response.completed``)
built from the engine's chunks as they arrive. Stored responses,
``previous_response_id`` and conversations are kept by the course's server,
as on the built-in backend.

What the translation sends: the messages, ``temperature``, ``top_p``, the
output limit as ``max_tokens`` (the built-in default when the request has
none, so a reply that repeats itself ends), and ``text.format`` as
``response_format``. The request is checked as the built-in backend checks
it; the engine's own rules apply to the chat request it becomes.

>>> chat_format({"type": "json_schema", "name": "city", "schema": {"type": "object"}, "strict": True})
{'type': 'json_schema', 'json_schema': {'name': 'city', 'schema': {'type': 'object'}, 'strict': True}}

Used in: course_helpers/local/server/upstream_routes.py
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import APIError
from .responses import (
    EventWriter,
    ResponseBuilder,
    ResponsesRequest,
    continue_context,
    keep_response,
    parse_responses_request,
    response_usage,
)
from .streaming import EventStreamResponse
from .upstream import Upstream, unavailable
from .upstream_forwarding import read_body, until_disconnect

__all__ = ["chat_body", "chat_format", "translated_responses"]


def chat_format(text_format: dict[str, Any]) -> dict[str, Any] | None:
    """A Responses ``text.format`` as a chat ``response_format`` (None for plain text)."""
    kind = text_format.get("type")
    if kind == "json_schema":
        spec = {name: value for name, value in text_format.items() if name != "type"}
        return {"type": "json_schema", "json_schema": spec}
    return {"type": kind} if kind == "json_object" else None


def chat_body(body: dict[str, Any], parsed: ResponsesRequest, model: str) -> dict[str, Any]:
    """The chat completion request a checked Responses request becomes."""
    chat: dict[str, Any] = {
        "model": model,
        "messages": parsed.chat.messages,
        "max_tokens": parsed.chat.sampling.max_tokens,
        "stream": parsed.chat.stream,
    }
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if parsed.chat.stream:
        chat["stream_options"] = {"include_usage": True}
    response_format = chat_format(parsed.text_format)
    if response_format is not None:
        chat["response_format"] = response_format
    return chat


def _counts(usage: dict[str, Any] | None) -> tuple[int, int]:
    usage = usage or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _apply_choice(builder: ResponseBuilder, choice: dict[str, Any], text: str | None) -> None:
    builder.reply.text_parts.append(text or "")  # the engine's text (its tool calls are not translated back)
    if choice.get("finish_reason"):
        builder.finish_reason = choice["finish_reason"]


async def _events(
    upstream: Upstream, response: httpx.Response, builder: ResponseBuilder, keep: Any
) -> AsyncGenerator[bytes, None]:
    """Responses stream events made from the engine's chat chunks, each sent as its chunk arrives."""
    emit = EventWriter()
    where = {"item_id": builder.message_id, "output_index": 0, "content_index": 0}
    counts = (0, 0)
    try:
        yield emit("response.created", response=builder.response("in_progress"))
        yield emit("response.in_progress", response=builder.response("in_progress"))
        yield emit("response.output_item.added", output_index=0, item=builder.message("in_progress"))
        yield emit("response.content_part.added", part=builder.part(""), **where)
        try:
            async for line in response.aiter_lines():
                data = line.removeprefix("data:").strip()
                if not line.startswith("data:") or data == "[DONE]":
                    continue
                chunk = json.loads(data)
                if isinstance(chunk.get("error"), dict):  # the engine failed mid-stream
                    error = chunk["error"]
                    yield emit.error(APIError(500, str(error.get("message")), type=str(error.get("type"))))
                    return
                counts = _counts(chunk.get("usage")) if chunk.get("usage") else counts
                builder.model = str(chunk.get("model") or builder.model)  # what really answers, as in chat
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    _apply_choice(builder, choice, text)
                    if text:
                        yield emit("response.output_text.delta", delta=text, logprobs=[], **where)
        except httpx.HTTPError as error:
            yield emit.error(unavailable(error, upstream.display_url))
            return
        status = builder.final_status()
        yield emit("response.output_text.done", text=builder.text, logprobs=[], **where)
        yield emit("response.content_part.done", part=builder.part(builder.text), **where)
        yield emit("response.output_item.done", output_index=0, item=builder.message(status))
        final = builder.response(status, response_usage(*counts))
        keep(final)
        yield emit(f"response.{status}", response=final)
    finally:
        with anyio.CancelScope(shield=True):  # the client left or the stream ended: free the engine either way
            await response.aclose()


async def translated_responses(request: Request, upstream: Upstream, body: dict[str, Any]) -> Response:
    """Answer a Responses request through the engine's Chat Completions (see the module)."""
    state = request.app.state
    parsed = parse_responses_request(body, today=state.today())  # ``moderation`` was refused before (upstream_routes)
    continue_context(state, parsed)
    model = upstream.model or parsed.chat.model
    url = upstream.base_url + "/chat/completions"
    response = await until_disconnect(request, upstream.open("POST", url, chat_body(body, parsed, model)))
    if response is None:
        return Response(status_code=204)
    if response.status_code >= 400:
        raise upstream.error_from(response, await read_body(request, upstream, response) or b"")

    def keep(final: dict[str, Any]) -> None:
        keep_response(state, parsed, final)

    if parsed.chat.stream:
        builder = ResponseBuilder(parsed, model)
        return EventStreamResponse(_events(upstream, response, builder, keep), on_close=lambda: None)
    raw = await read_body(request, upstream, response)
    if raw is None:
        return Response(status_code=204)
    completion = json.loads(raw)
    builder = ResponseBuilder(parsed, str(completion.get("model") or model))
    for choice in completion.get("choices", [])[:1]:
        _apply_choice(builder, choice, (choice.get("message") or {}).get("content"))
    final = builder.response(builder.final_status(), response_usage(*_counts(completion.get("usage"))))
    keep(final)
    return JSONResponse(final)
