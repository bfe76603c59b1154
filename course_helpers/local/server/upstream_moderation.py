"""Moderated chat completions (``moderation=``) in front of an engine: the engine writes, the local classifier judges.

The engines have no ``moderation`` parameter, so the course's server keeps
doing what :mod:`.request_moderation` does for its own model, around the
engine's reply:

1. the input messages are scored by the local classifier before the engine
   is asked; a flagged input under ``"block"`` never reaches the engine (every
   choice comes back empty, ``finish_reason="content_filter"``, no tokens
   counted: the engine read nothing);
2. otherwise the request goes to the engine without ``moderation``, and its
   reply is scored when it is complete; under output ``"block"`` a flagged
   choice is withheld (empty, ``content_filter``);
3. the verdicts come back as on the built-in backend: ``completion.moderation``,
   or, streamed, in a chunk of their own (``choices: []``) before the usage
   chunk. With output ``"score"`` the text streams as the engine sends it;
   with ``"block"`` it is held back until it is judged.

Responses requests with ``moderation`` get a 400 with an upstream (see
:data:`NO_RESPONSES_MODERATION`).

>>> message_text({"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "!"}]})
'Hi!'

Used in: course_helpers/local/server/upstream_routes.py; notebooks/04_moderation.ipynb (its ``moderation=`` cells)
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .chat_response import ChoiceState, completion, new_completion_id, usage
from .errors import APIError
from .protocol.moderation_param import ModerationParam, parse_moderation_param
from .request_moderation import RequestModeration
from .streaming import DONE_EVENT, EventStreamResponse, sse_event
from .upstream import Upstream, unavailable
from .upstream_forwarding import read_body, until_disconnect, whole_events

__all__ = ["NO_RESPONSES_MODERATION", "message_text", "moderated_chat"]

NO_RESPONSES_MODERATION = (
    "'moderation' on a Responses request runs on the course's built-in backend only. With `serve --upstream`, "
    "use it on chat completions, or call /v1/moderations on the input and the reply yourself."
)


def message_text(message: Any) -> str:
    """A chat message's text: its string content, or its text parts joined (other parts are not text)."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _blocked(body: dict[str, Any], moderation: RequestModeration) -> Response:
    """The answer to a blocked input: each choice empty and filtered, without asking the engine."""
    states = []
    for index in range(int(body.get("n") or 1)):
        state = ChoiceState(index, logprobs=False)
        state.finish_reason = "content_filter"
        states.append(state)
    answer = completion(new_completion_id(), str(body.get("model")), "fp_course_moderation", states, 0, 0)
    answer["moderation"] = moderation.json()
    if not body.get("stream"):
        return JSONResponse(answer)
    base = {key: answer[key] for key in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    events = [{**base, "choices": [_finish(state.index)]} for state in states]
    events.append({**base, "choices": [], "moderation": answer["moderation"]})
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append({**base, "choices": [], "usage": usage(0, 0)})

    async def stream() -> AsyncGenerator[bytes, None]:
        for event in events:
            yield sse_event(event)
        yield DONE_EVENT

    return EventStreamResponse(stream(), on_close=lambda: None)


def _finish(index: int) -> dict[str, Any]:
    return {"index": index, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}


async def _judge_whole(
    upstream: Upstream, request: Request, moderation: RequestModeration, response: httpx.Response
) -> Response:
    raw = await read_body(request, upstream, response)
    if raw is None:
        return Response(status_code=204)
    answer = json.loads(raw)
    choices = answer.get("choices") or []
    texts = [message_text(choice.get("message")) for choice in choices]
    flagged = await anyio.to_thread.run_sync(moderation.moderate_output, texts)
    if moderation.param.output_mode == "block":
        for choice, bad in zip(choices, flagged, strict=True):
            if bad:
                choice["message"] = {**(choice.get("message") or {}), "content": "", "tool_calls": None}
                choice["finish_reason"] = "content_filter"
    answer["moderation"] = moderation.json()
    return JSONResponse(answer)


class _StreamJudge:
    """Reads the engine's chunks, keeps each choice's text, holds them back under output ``"block"``."""

    def __init__(self, moderation: RequestModeration) -> None:
        self.moderation = moderation
        self.hold = moderation.param.output_mode == "block"
        self.texts: dict[int, list[str]] = {}
        self.held: dict[int, list[bytes]] = {}
        self.base: dict[str, Any] | None = None  # id, created, model of the engine's chunks
        self.judged = False

    def take(self, chunk: dict[str, Any], event: bytes) -> bytes:
        """What to send on now for one chunk (held back text: nothing yet)."""
        if self.base is None:
            self.base = {key: chunk.get(key) for key in ("id", "object", "created", "model", "system_fingerprint")}
        choices = chunk.get("choices") or []
        for choice in choices:
            self.texts.setdefault(choice.get("index", 0), []).append((choice.get("delta") or {}).get("content") or "")
        if self.hold and len(choices) == 1 and not (choices[0].get("delta") or {}).get("role"):
            self.held.setdefault(choices[0].get("index", 0), []).append(event)
            return b""
        return event

    async def verdict(self) -> bytes:
        """The held text (or its withholding) and the moderation chunk, once, when the reply is complete."""
        if self.judged:
            return b""
        self.judged = True
        indexes = sorted(self.texts)
        texts = ["".join(self.texts[index]) for index in indexes]
        flagged = await anyio.to_thread.run_sync(self.moderation.moderate_output, texts)
        out = b""
        base = self.base or {"object": "chat.completion.chunk", "created": int(time.time())}
        for index, bad in zip(indexes, flagged, strict=True):
            if self.hold:
                out += sse_event({**base, "choices": [_finish(index)]}) if bad else b"".join(self.held.get(index, []))
        return out + sse_event({**base, "choices": [], "moderation": self.moderation.json()})


async def _judged_stream(
    upstream: Upstream, response: httpx.Response, judge: _StreamJudge
) -> AsyncGenerator[bytes, None]:
    buffer = bytearray()
    try:
        async for piece in response.aiter_raw():
            buffer += piece
            for event in whole_events(buffer).split(b"\n\n"):
                if not event.strip():
                    continue
                if not event.startswith(b"data:"):  # a comment or a named event: not a chunk
                    yield event + b"\n\n"
                    continue
                data = event.removeprefix(b"data:").strip()
                if data == b"[DONE]":
                    yield await judge.verdict() + DONE_EVENT
                    continue
                chunk = json.loads(data)
                if (
                    not chunk.get("choices") and chunk.get("usage") is not None
                ):  # the usage chunk comes after the verdicts
                    yield await judge.verdict() + event + b"\n\n"
                else:
                    yield judge.take(chunk, event + b"\n\n")
    except httpx.HTTPError as error:
        yield sse_event(unavailable(error, upstream.display_url).body())
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()


async def moderated_chat(request: Request, upstream: Upstream, body: dict[str, Any]) -> Response:
    """``POST /v1/chat/completions`` with ``moderation``: judged here, generated by the engine (see the module)."""
    moderation = RequestModeration(_moderation_param(body.pop("moderation")), api="chat")
    texts = [message_text(message) for message in body.get("messages") or []]
    if await anyio.to_thread.run_sync(moderation.moderate_input, texts):
        return _blocked(body, moderation)
    url = upstream.base_url + "/chat/completions"
    response = await until_disconnect(request, upstream.open("POST", url, body, request.headers.get("accept")))
    if response is None:
        return Response(status_code=204)
    if response.status_code >= 400:
        raise upstream.error_from(response, await read_body(request, upstream, response) or b"")
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        return await _judge_whole(upstream, request, moderation, response)
    return EventStreamResponse(_judged_stream(upstream, response, _StreamJudge(moderation)), on_close=lambda: None)


def _moderation_param(value: Any) -> ModerationParam:
    """The ``moderation`` object checked as the built-in backend checks it (a 400 naming what is wrong)."""
    try:
        return parse_moderation_param(value)
    except APIError as error:
        where = "moderation" + (f".{error.param}" if error.param else "")
        raise APIError(error.status, error.message, param=where, code=error.code) from None
