"""``POST /v1/chat/completions`` on the local model, JSON or streamed.

One request, start to finish:

1. read and check the body (:mod:`.chat_request`): any mistake is a 400
   before the model runs;
2. render the messages with the model's chat template, tokenize, and start
   the engine's generation (a blocking iterator, run in its own thread);
3. either collect every token and answer one ``ChatCompletion``, or send each
   token as a ``ChatCompletionChunk`` the moment it exists (``stream=True``).

Generations of concurrent requests are batched by the engine, so the handler
only waits for its own tokens. A client that disconnects cancels its
generation. Past ``max_active`` concurrent generations the server answers
429 with ``x-should-retry: true`` and the SDK retries after a pause.

Used in: notebooks/00_setup.ipynb (every lesson's ``client.chat.completions.create``)
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..limits import ContextLengthExceeded
from .chat_engine import ChatEngine, Generation, engine_for
from .chat_request import ChatRequest, parse_chat_request
from .chat_response import (
    ChoiceState,
    chunk,
    completion,
    delta_choice,
    logprob_entry_json,
    new_completion_id,
    usage,
)
from .errors import APIError, invalid_request
from .streaming import DONE_EVENT, EventStreamResponse, ThreadedIterator, sse_event
from .validation import read_json_object

__all__ = [
    "DEFAULT_MAX_ACTIVE",
    "chat_completions",
    "routes",
]

# Generations running at once before new requests get a 429 (a class of 30
# learners, each with a couple of cells running, stays well under this).
DEFAULT_MAX_ACTIVE = 64


class _Admission:
    """Counts running generations; refuses past the limit with a 429 the SDK retries."""

    def __init__(self) -> None:
        self.active = 0

    def enter(self, limit: int) -> None:
        if self.active >= limit:
            raise APIError(
                429,
                f"The local server is busy ({self.active} generations running). Retry shortly.",
                type="requests",
                code="rate_limit_exceeded",
                headers={"x-should-retry": "true", "retry-after": "1"},
            )
        self.active += 1

    def leave(self) -> None:
        self.active -= 1


def _admission(request: Request) -> _Admission:
    state = request.app.state
    if not hasattr(state, "chat_admission"):
        state.chat_admission = _Admission()
    return state.chat_admission


def _context_error(error: ContextLengthExceeded) -> APIError:
    return invalid_request(error.message("messages"), param="messages", code="context_length_exceeded")


def _start_generation(engine: ChatEngine, chat: ChatRequest) -> Generation:
    """Render, tokenize and start generating (blocking: runs in a worker thread)."""
    prompt_ids = engine.encode_chat(chat.messages)  # what users wrote stays plain text
    return engine.generate(prompt_ids, chat.sampling, n=chat.n)


async def _open(engine: ChatEngine, chat: ChatRequest) -> tuple[Any, ThreadedIterator, Any]:
    """Start the generation and wait for its first event; context errors become 400s."""
    try:
        generation = await anyio.to_thread.run_sync(_start_generation, engine, chat)
    except ContextLengthExceeded as error:
        raise _context_error(error) from None
    events = ThreadedIterator(generation, on_close=generation.cancel)
    try:
        first = await events.__anext__()
    except ContextLengthExceeded as error:
        raise _context_error(error) from None
    except StopAsyncIteration:
        first = None
    return generation, events, first


async def _all_events(first: Any, events: ThreadedIterator) -> Any:
    """The already-awaited first event (if any), then the rest."""
    if first is not None:
        yield first
    async for event in events:
        yield event


def _apply(event: Any, states: list[ChoiceState]) -> None:
    state = states[event.index]
    state.text_parts.append(event.text or "")
    if event.logprob is not None and state.logprobs:
        state.logprob_entries.append(logprob_entry_json(event.logprob))
    if event.finish_reason is not None:
        state.finish_reason = event.finish_reason


async def gather_unless_disconnected(request: Request, events: ThreadedIterator, first: Any, apply) -> bool:
    """Pass every event to ``apply``; stop early, cancelling the generation, if the client disconnects.

    Returns True if the client went away (nobody is left to answer).
    """
    client_gone = False

    async def watch_disconnect(scope: anyio.CancelScope) -> None:
        nonlocal client_gone
        while (await request.receive())["type"] != "http.disconnect":
            continue
        client_gone = True
        events.close()
        scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch_disconnect, tasks.cancel_scope)
        async for event in _all_events(first, events):
            apply(event)
        tasks.cancel_scope.cancel()
    return client_gone


async def _collect(
    request: Request, chat: ChatRequest, engine: Any, generation: Any, events: ThreadedIterator, first: Any
) -> Response:
    """Gather the whole reply; stop early (and cancel) if the client disconnects."""
    states = [ChoiceState(i, chat.sampling.logprobs) for i in range(chat.n)]
    if await gather_unless_disconnected(request, events, first, lambda event: _apply(event, states)):
        return Response(status_code=204)  # nobody is listening; the generation is already cancelled
    body = completion(
        new_completion_id(),
        engine.model_name,
        engine.fingerprint,
        states,
        generation.prompt_tokens,
        generation.completion_tokens,
    )
    return JSONResponse(body)


def _event_deltas(event: Any, chat: ChatRequest) -> list[dict[str, Any]]:
    """The chunk choices one engine event turns into (content, then finish)."""
    out = []
    wants_logprobs = chat.sampling.logprobs
    if event.text or event.logprob is not None:
        entries = None
        if wants_logprobs:
            entries = [logprob_entry_json(event.logprob)] if event.logprob is not None else []
        out.append(delta_choice(event.index, {"content": event.text or ""}, entries))
    if event.finish_reason is not None:
        out.append(delta_choice(event.index, {}, None, event.finish_reason))
    return out


async def _sse(chat: ChatRequest, engine: Any, generation: Any, events: ThreadedIterator, first: Any) -> Any:
    """The streamed reply: role chunks, one chunk per token, finish chunks, usage, [DONE]."""
    completion_id, created = new_completion_id(), int(time.time())
    model, fingerprint = engine.model_name, engine.fingerprint

    def frame(choices: list[dict[str, Any]], usage_object: dict[str, Any] | None = None) -> bytes:
        body = chunk(completion_id, model, fingerprint, created, choices, chat.include_usage, usage_object)
        return sse_event(body)

    for index in range(chat.n):
        role_delta = {"role": "assistant", "content": "", "refusal": None}
        yield frame([delta_choice(index, role_delta, [] if chat.sampling.logprobs else None)])
    try:
        async for event in _all_events(first, events):
            for choice in _event_deltas(event, chat):
                yield frame([choice])
    except Exception as error:  # the headers are sent: report the failure in-stream, as OpenAI does
        yield sse_event(APIError(500, f"The local model failed: {error}", type="server_error").body())
        return
    if chat.include_usage:
        yield frame([], usage(generation.prompt_tokens, generation.completion_tokens))
    yield DONE_EVENT


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: check, generate, answer (JSON or server-sent events)."""
    body = await read_json_object(request)
    chat = parse_chat_request(body)
    admission = _admission(request)
    admission.enter(getattr(request.app.state, "max_active", DEFAULT_MAX_ACTIVE))
    try:
        engine = await engine_for(request)
        generation, events, first = await _open(engine, chat)
    except BaseException:
        admission.leave()
        raise
    if chat.stream:

        def close() -> None:
            events.close()
            admission.leave()

        return EventStreamResponse(_sse(chat, engine, generation, events, first), on_close=close)
    try:
        return await _collect(request, chat, engine, generation, events, first)
    finally:
        events.close()
        admission.leave()


routes = [Route("/v1/chat/completions", chat_completions, methods=["POST"])]
