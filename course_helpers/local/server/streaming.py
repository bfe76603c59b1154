"""Bridging the blocking engine to the async server, and server-sent events.

The engine's ``generate`` is an ordinary blocking iterator: each ``next()``
waits for the model's next token. Running it on the event loop would freeze
every other request, so :class:`ThreadedIterator` drives it from its own
thread and hands the items to async code through a queue.

:class:`EventStreamResponse` sends ``data: {...}`` events and watches the
connection: when the client goes away (a learner interrupts the cell) it
calls ``on_close`` at once, which cancels the generation, so an abandoned
request does not keep the model busy.

>>> sse_event({"a": 1})
b'data: {"a":1}\\n\\n'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = [
    "DONE_EVENT",
    "EventStreamResponse",
    "ThreadedIterator",
    "run_until_disconnect",
    "send_until_error",
    "sse_event",
]

_T = TypeVar("_T")

DONE_EVENT = b"data: [DONE]\n\n"
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def sse_event(payload: dict[str, Any]) -> bytes:
    """One server-sent event carrying a JSON object, as OpenAI streams it."""
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


async def run_until_disconnect(receive: Receive, work: Awaitable[_T]) -> tuple[bool, _T | None]:
    """Await ``work`` while watching the connection: ``(True, result)``, or ``(False, None)`` if the client left.

    A client that disconnects first cancels ``work`` (which must let itself be
    cancelled: the caller then stops the generation or closes the upstream
    request). An error of ``work`` is raised as itself, not in a group.
    The one place the server watches for ``http.disconnect``: waiting for a
    whole answer (session.py, upstream_forwarding.py) and sending a stream
    (EventStreamResponse, upstream_forwarding.ProxiedStream).

    >>> async def demo():
    ...     async def still_connected():
    ...         await anyio.sleep(60)
    ...         return {"type": "http.disconnect"}
    ...     async def answer():
    ...         return 42
    ...     return await run_until_disconnect(still_connected, answer())
    >>> anyio.run(demo)
    (True, 42)
    """
    outcome: list[_T] = []
    failure: list[Exception] = []
    gone = False

    async def watch(scope: anyio.CancelScope) -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":
            continue
        gone = True
        scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch, tasks.cancel_scope)
        try:
            outcome.append(await work)
        except Exception as error:  # raised below as itself (a task group would wrap it in a group)
            failure.append(error)
        tasks.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if gone or not outcome:
        return False, outcome[0] if outcome else None
    return True, outcome[0]


async def send_until_error(stream: Awaitable[None]) -> None:
    """Send a response body; a client that disconnected while we wrote (an OSError) just ends it."""
    with contextlib.suppress(OSError):  # nobody is left to tell: the request ends like a disconnect
        await stream


class ThreadedIterator:
    """Iterate a blocking iterator from async code; it runs in a daemon thread.

    Must be created inside a running event loop. Exceptions raised by the
    iterator are re-raised by ``__anext__``.

    >>> async def collect():
    ...     return [item async for item in ThreadedIterator(iter([1, 2, 3]))]
    >>> asyncio.run(collect())
    [1, 2, 3]
    """

    def __init__(self, iterable: Iterable[Any], on_close: Callable[[], None] | None = None) -> None:
        self._iterable = iterable
        self._on_close = on_close
        self._closed = threading.Event()
        self._finished = False
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="course-helpers-generation")
        self._thread.start()

    def _put(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shut down): stop producing
            self.close()

    def _run(self) -> None:
        try:
            for item in self._iterable:
                self._put(item)
                if self._closed.is_set():
                    break
        except BaseException as error:  # handed to the async side, which decides what to do
            self._put(_Failure(error))
        finally:
            self._put(_END)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        item = await self._queue.get()
        if item is _END:
            self._finished = True
            self._queue.put_nowait(_END)  # later calls keep seeing the end
            raise StopAsyncIteration
        if isinstance(item, _Failure):
            raise item.error
        return item

    def close(self) -> None:
        """Stop early (client gone): calls ``on_close`` once, e.g. to cancel the generation.

        Closing after the iterator has ended does nothing.
        """
        if self._closed.is_set():
            return
        self._closed.set()
        if self._on_close is not None and not self._finished:
            self._on_close()


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response that calls ``on_close`` when done or disconnected."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None]) -> None:
        super().__init__(content, headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await run_until_disconnect(receive, send_until_error(self.stream_response(send)))
        finally:
            self._on_close()
