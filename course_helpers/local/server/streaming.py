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
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = [
    "DONE_EVENT",
    "EventStreamResponse",
    "ThreadedIterator",
    "sse_event",
]

DONE_EVENT = b"data: [DONE]\n\n"
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def sse_event(payload: dict[str, Any]) -> bytes:
    """One server-sent event carrying a JSON object, as OpenAI streams it."""
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


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
            async with anyio.create_task_group() as tasks:

                async def stream() -> None:
                    try:
                        await self.stream_response(send)
                    except OSError:  # the client disconnected while we were writing
                        pass
                    tasks.cancel_scope.cancel()

                tasks.start_soon(stream)
                await self.listen_for_disconnect(receive)
                tasks.cancel_scope.cancel()
        finally:
            self._on_close()
