"""``POST /v1/chat/completions`` on the local model, JSON or streamed.

One request, start to finish:

1. read and check the body (:mod:`.chat_request`): any mistake is a 400
   before the model runs;
2. render the messages with the model's chat template, tokenize, and start
   the engine's generation (a blocking iterator, run in its own thread);
3. either collect every token and answer one ``ChatCompletion``, or send each
   token as a ``ChatCompletionChunk`` the moment it exists (``stream=True``).
   With tools, the reply is read for a ``<tool_call>`` block: its calls become
   ``message.tool_calls`` (streamed as OpenAI streams them: a call's first
   delta has its index, id, type and name, the next ones its arguments).

Generations of concurrent requests are batched by the engine, so the handler
only waits for its own tokens. Admission (a 429 past ``max_active``), the
context-length 400, cancelling when the client disconnects and reporting a
failure midway are the request's session (:mod:`.session`), shared with
``/v1/responses``.

Used in: notebooks/00_setup.ipynb (every lesson's ``client.chat.completions.create``)
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .chat_engine import GenerationEvent, engine_for
from .chat_request import ChatRequest, check_token_ids, parse_chat_request
from .chat_response import (
    ChoiceState,
    chunk,
    completion,
    delta_choice,
    logprob_entry_json,
    new_completion_id,
    tool_call_delta,
    usage,
)
from .errors import APIError
from .request_moderation import RequestModeration
from .session import GenerationSession, open_session
from .streaming import DONE_EVENT, sse_event
from .validation import read_json_object

__all__ = [
    "chat_completions",
    "routes",
]


def _apply(event: GenerationEvent, states: list[ChoiceState]) -> None:
    state = states[event.index]
    state.read(event.text or "", last=event.finish_reason is not None)
    if event.logprob is not None and state.logprobs:
        state.logprob_entries.append(logprob_entry_json(event.logprob))
    if event.finish_reason is not None:
        state.finish_reason = event.finish_reason


async def _collect(
    request: Request, chat: ChatRequest, session: GenerationSession, moderation: RequestModeration | None
) -> Response:
    """Gather the whole reply; stop early (and cancel) if the client disconnects."""
    states = [ChoiceState(i, chat.sampling.logprobs, chat.calls_tools) for i in range(chat.n)]
    if await session.gather(request, lambda event: _apply(event, states)):
        return Response(status_code=204)  # nobody is listening; the generation is already cancelled
    engine, generation = session.engine, session.generation
    body = completion(
        new_completion_id(),
        engine.model_name,
        engine.fingerprint,
        states,
        generation.prompt_tokens,
        generation.completion_tokens,
    )
    if moderation is not None:
        body["moderation"] = moderation.json()
    return JSONResponse(body)


def _event_deltas(event: GenerationEvent, chat: ChatRequest, states: list[ChoiceState]) -> list[dict[str, Any]]:
    """The chunk choices one engine event turns into (content or tool call pieces, then finish).

    With tools, text that may still start a call block waits for the next
    event; the token's logprobs go with the first piece it completes.
    """
    state = states[event.index]
    last = event.finish_reason is not None
    deltas = [
        {"content": piece.text} if piece.kind == "text" else tool_call_delta(state, piece)
        for piece in state.read(event.text or "", last=last)
    ]
    if not deltas and event.logprob is not None and state.scanner is None:
        deltas = [{"content": ""}]  # a token with no text of its own (part of a character)
    out = []
    if chat.sampling.logprobs and event.logprob is not None:
        state.logprob_entries.append(logprob_entry_json(event.logprob))
    for delta in deltas:
        entries = None
        if chat.sampling.logprobs:
            entries, state.logprob_entries = state.logprob_entries, []
        out.append(delta_choice(event.index, delta, entries))
    if last:
        state.finish_reason = event.finish_reason
        leftover = state.logprob_entries if chat.sampling.logprobs and state.logprob_entries else None
        out.append(delta_choice(event.index, {}, leftover, state.final_reason))  # tokens of no piece (a call's end)
    return out


async def _sse(
    chat: ChatRequest, session: GenerationSession, moderation: RequestModeration | None
) -> AsyncGenerator[bytes, None]:
    """The streamed reply: role chunks, one chunk per token, finish chunks, moderation, usage, [DONE]."""
    completion_id, created = new_completion_id(), int(time.time())
    model, fingerprint = session.engine.model_name, session.engine.fingerprint

    def frame(choices: list[dict[str, Any]], usage_object: dict[str, Any] | None = None) -> bytes:
        body = chunk(completion_id, model, fingerprint, created, choices, chat.include_usage, usage_object)
        return sse_event(body)

    states = [ChoiceState(i, chat.sampling.logprobs, chat.calls_tools) for i in range(chat.n)]
    for index in range(chat.n):
        # with tools, content starts null: a reply of tool calls has no content at all (as OpenAI streams it)
        role_delta = {"role": "assistant", "content": None if chat.calls_tools else "", "refusal": None}
        yield frame([delta_choice(index, role_delta, [] if chat.sampling.logprobs else None)])
    async for event in session.events():
        for choice in _event_deltas(event, chat, states):
            yield frame([choice])
    if moderation is not None:  # the "moderation chunk": verdicts on the input and the whole output
        yield sse_event(
            {**chunk(completion_id, model, fingerprint, created, [], False), "moderation": moderation.json()}
        )
    if chat.include_usage:
        generation = session.generation
        yield frame([], usage(generation.prompt_tokens, generation.completion_tokens))
    yield DONE_EVENT


def _error_event(error: APIError) -> bytes:
    """A failure after the headers: ``data: {"error": ...}``, as OpenAI streams it."""
    return sse_event(error.body())


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: check, generate, answer (JSON or server-sent events)."""
    body = await read_json_object(request)
    chat = parse_chat_request(body, today=request.app.state.today())
    engine = await engine_for(request)
    check_token_ids(chat.sampling, engine.vocab_size)
    moderation = RequestModeration.of(chat.moderation, api="chat")
    start = {"start": moderation.start} if moderation else {}
    session = await open_session(request, engine, chat.messages, chat.sampling, chat.n, param="messages", **start)
    if chat.stream:
        return session.event_stream(_sse(chat, session, moderation), report=_error_event)
    return await _collect(request, chat, session, moderation)


routes = [Route("/v1/chat/completions", chat_completions, methods=["POST"])]
