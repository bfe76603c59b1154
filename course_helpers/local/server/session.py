"""One request's generation, from admission to release: the lifecycle chat and Responses share.

1. **Admission**: past ``max_active`` running generations the server answers
   429 with ``x-should-retry: true``, and the openai SDK retries after a pause.
2. **Open**: the prompt is tokenized and the generation started in a worker
   thread, and its first event awaited, so that a prompt too long for the
   model is a 400 ``context_length_exceeded`` (naming ``messages`` or
   ``input``), streamed or not, and a grammar the engine cannot compile a 400
   naming ``response_format`` or ``text.format``.
3. **Events**: gathered for one JSON answer (a client that disconnects
   cancels the generation), or sent as a stream (a failure midway becomes an
   in-stream error event, since the status line is already sent). A reply
   that fails its grammar midway is that request's 400 (or error event),
   never a 500: the grammar is the request's.
4. **Close**: the generation is cancelled if unfinished and the admission
   released, exactly once, whichever way the request ends.

The endpoints only translate requests into prompts and events into their
API's shapes::

    session = await open_session(request, engine, messages, sampling, n)
    if stream:
        return session.event_stream(frames(session), report=error_frame)
    client_gone = await session.gather(request, apply)

Used in: course_helpers/local/server/chat.py, course_helpers/local/server/responses.py
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing

import anyio
from starlette.requests import Request

from ..constraints import GrammarError
from ..limits import ContextLengthExceeded
from ..sampling_params import SamplingParams
from .chat_engine import ChatEngine, Generation, GenerationEvent
from .errors import APIError, invalid_request
from .room import meter_of
from .streaming import EventStreamResponse, ThreadedIterator, run_until_disconnect
from .usage import Meter

__all__ = [
    "DEFAULT_MAX_ACTIVE",
    "Admission",
    "GenerationSession",
    "generation_failure",
    "grammar_failure",
    "open_session",
]

# Generations running at once before new requests get a 429 (a class of 30
# learners, each with a couple of cells running, stays well under this).
DEFAULT_MAX_ACTIVE = 64

_log = logging.getLogger(__name__)


class Admission:
    """Counts running generations; refuses past the limit with a 429 the SDK retries.

    >>> admission = Admission()
    >>> admission.enter(limit=1)
    >>> admission.enter(limit=1)
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: The local server is busy (1 generations running). Retry shortly.
    """

    def __init__(self) -> None:
        self.active = 0

    def enter(self, limit: int) -> None:
        """Count one more generation, or raise the 429 if ``limit`` are running."""
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
        """One generation fewer."""
        self.active -= 1


def generation_failure(error: Exception) -> APIError:
    """The error a request gets when its generation fails: the ``server_error`` of a broken model, or
    the 400 of a grammar the reply could not follow (see :func:`grammar_failure`).

    >>> generation_failure(RuntimeError("out of memory")).body()["error"]["message"]
    'The local model failed: out of memory'
    """
    if isinstance(error, GrammarError):
        return grammar_failure(error)
    return APIError(500, f"The local model failed: {error}", type="server_error")


def grammar_failure(error: GrammarError) -> APIError:
    """The 400 for a grammar the engine could not compile or follow, naming the parameter it came from.

    >>> grammar_failure(GrammarError("too complex", "text.format")).param
    'text.format'
    """
    return invalid_request(str(error), param=error.param, code="invalid_value")


async def _reporting_failure(
    frames: AsyncGenerator[bytes, None], report: Callable[[APIError], bytes]
) -> AsyncIterator[bytes]:
    """``frames``; if they fail midway, log the failure and end with ``report``'s error event."""
    async with aclosing(frames):
        try:
            async for frame in frames:
                yield frame
        except Exception as error:  # the status line is sent: report the failure in-stream, as OpenAI does
            _log.error("the local model failed mid-stream", exc_info=error)
            yield report(generation_failure(error))


def _start(engine: ChatEngine, messages: list[dict[str, str]], sampling: SamplingParams, n: int) -> Generation:
    """Tokenize and start generating (blocking: runs in a worker thread)."""
    prompt_ids = engine.encode_chat(messages)  # what users wrote stays plain text
    return engine.generate(prompt_ids, sampling, n=n)


Start = Callable[[ChatEngine, list[dict[str, str]], SamplingParams, int], Generation]


class GenerationSession:
    """One admitted request's generation: its engine, its events, and one ``close()``.

    Made by :func:`open_session`; ``gather`` and ``event_stream`` close it
    when they end, and closing twice does nothing.
    """

    def __init__(self, engine: ChatEngine, admission: Admission, meter: Meter | None = None) -> None:
        self.engine = engine
        self._admission = admission
        self._meter = meter  # a room's learner request: told the token counts at close
        self._generation: Generation | None = None
        self._events: ThreadedIterator | None = None
        self._first: GenerationEvent | None = None
        self._closed = False

    @property
    def generation(self) -> Generation:
        """The running generation (its token counts are final once the events end)."""
        assert self._generation is not None, "the session is not open"
        return self._generation

    async def _open(self, messages: list[dict[str, str]], sampling: SamplingParams, n: int, start: Start) -> None:
        generation = await anyio.to_thread.run_sync(start, self.engine, messages, sampling, n)
        self._generation = generation
        self._events = ThreadedIterator(generation, on_close=generation.cancel)
        try:
            self._first = await self._events.__anext__()
        except StopAsyncIteration:  # nothing to say (cancelled at once)
            self._first = None

    async def events(self) -> AsyncIterator[GenerationEvent]:
        """Every event of the generation, the already awaited first one included."""
        assert self._events is not None, "the session is not open"
        if self._first is not None:
            yield self._first
        async for event in self._events:
            yield event

    async def gather(self, request: Request, apply: Callable[[GenerationEvent], None]) -> bool:
        """Pass every event to ``apply``, then close; stop early, cancelling, if the client disconnects.

        Returns True if the client went away (nobody is left to answer). A
        failure of the generation propagates (the app answers a 500).
        """

        async def apply_all() -> None:
            async for event in self.events():
                apply(event)

        try:
            finished, _ = await run_until_disconnect(request.receive, apply_all())
        except GrammarError as failure:
            raise grammar_failure(failure) from None
        finally:
            self.close()  # the generation is cancelled if the client left before its end
        return not finished

    def event_stream(
        self, frames: AsyncGenerator[bytes, None], report: Callable[[APIError], bytes]
    ) -> EventStreamResponse:
        """The streamed answer: ``frames``, or ``report(error)`` if the generation fails; closes at the end."""
        return EventStreamResponse(_reporting_failure(frames, report), on_close=self.close)

    def close(self) -> None:
        """Cancel the generation if unfinished and release the admission (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._events is not None:
                self._events.close()
            if self._meter is not None and self._generation is not None:
                self._meter.engine_counted(self._generation.prompt_tokens, self._generation.completion_tokens)
        finally:
            self._admission.leave()


async def open_session(
    request: Request,
    engine: ChatEngine,
    prompt_messages: list[dict[str, str]],
    sampling: SamplingParams,
    n: int = 1,
    *,
    param: str = "messages",
    start: Start = _start,
) -> GenerationSession:
    """Admit the request, start its generation and await the first event.

    Raises the 429 past ``max_active``, and the 400 ``context_length_exceeded``
    naming ``param`` (the request field that holds the prompt) when the
    prompt does not fit. On any failure the admission is released at once.
    ``start`` tokenizes and starts the generation in a worker thread (a
    moderated request passes one that moderates the input first).
    """
    state = request.app.state
    admission: Admission = state.admission
    admission.enter(state.max_active)
    session = GenerationSession(engine, admission, meter_of(request.scope))
    try:
        await session._open(prompt_messages, sampling, n, start)
    except ContextLengthExceeded as error:
        session.close()
        raise invalid_request(error.message(param), param=param, code="context_length_exceeded") from None
    except GrammarError as error:
        session.close()
        raise grammar_failure(error) from None
    except BaseException:
        session.close()
        raise
    return session
