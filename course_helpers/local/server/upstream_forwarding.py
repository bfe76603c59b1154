"""Forwarding one request to the upstream engine: JSON answers, event streams, disconnects, failures.

:func:`forward` sends a learner's request body on (generic: whatever the
engine accepts, tools included, passes through) and answers with what the
engine answers:

- a JSON answer passes through as it came; an error keeps its status and
  OpenAI error body (:meth:`.Upstream.error_from`);
- an event stream (``stream=true``) passes through event by event as the
  engine sends them, never buffered beyond one event (:class:`ProxiedStream`).
  Whole events only: if the engine breaks off mid-stream, the client gets
  the events sent so far and then an OpenAI-shaped error event, never half
  an event;
- a client that disconnects, before or during the answer, closes the
  connection to the engine, which cancels the engine's generation.

>>> buffer = bytearray(b"data: 1\\n\\ndata: 2\\n\\ndata: 3")
>>> whole_events(buffer), bytes(buffer)
(b'data: 1\\n\\ndata: 2\\n\\n', b'data: 3')

Used in: course_helpers/local/server/upstream_routes.py
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import APIError
from .streaming import run_until_disconnect, send_until_error, sse_event
from .upstream import Upstream, passed_headers, unavailable, whole_response

__all__ = [
    "EventFilter",
    "ProxiedStream",
    "Reporter",
    "chat_error_event",
    "forward",
    "read_body",
    "respond",
    "until_disconnect",
    "whole_events",
]

_T = TypeVar("_T")
# How a stream reports a failure after its headers: the error and how many events were sent before it.
Reporter = Callable[[APIError, int], bytes]
# A change to a stream's whole events on their way to the client (e.g. taking out a usage chunk it did not ask for).
EventFilter = Callable[[bytes], bytes]


def chat_error_event(error: APIError, sent: int) -> bytes:
    """A chat stream's failure: ``data: {"error": ...}``, as OpenAI streams it (the SDK raises APIError)."""
    return sse_event(error.body())


def whole_events(buffer: bytearray) -> bytes:
    """Take the complete server-sent events off the front of ``buffer`` and return them (b"" if none yet)."""
    cut = max((buffer.rfind(end) + len(end) for end in (b"\n\n", b"\r\n\r\n") if end in buffer), default=0)
    piece = bytes(buffer[:cut])
    del buffer[:cut]
    return piece


async def until_disconnect(request: Request, work: Awaitable[_T]) -> _T | None:
    """Await ``work`` unless the client disconnects first (then cancel it and return None).

    Cancelling an httpx request closes its connection, so the engine stops generating.
    """
    finished, result = await run_until_disconnect(request.receive, work)
    if not finished:
        if isinstance(result, httpx.Response):  # it arrived as the client left: nobody reads it
            await result.aclose()
        return None
    return result


async def read_body(request: Request, upstream: Upstream, response: httpx.Response) -> bytes | None:
    """The engine's whole answer (None if the client left meanwhile); a broken answer is a 502/504."""
    try:
        return await until_disconnect(request, response.aread())
    except httpx.HTTPError as error:
        raise unavailable(error, upstream.display_url) from None
    finally:
        await response.aclose()


class ProxiedStream(Response):
    """The engine's event stream, passed on event by event; closes the engine's side when done or abandoned."""

    def __init__(
        self, upstream: Upstream, response: httpx.Response, report: Reporter, events_filter: EventFilter | None = None
    ) -> None:
        super().__init__(status_code=response.status_code)
        self.upstream = upstream
        self.response = response
        self.report = report
        self.events_filter = events_filter
        self.headers.update({**passed_headers(response), "cache-control": "no-cache", "x-accel-buffering": "no"})
        del self.headers["content-length"]

    async def _pump(self, send: Send) -> None:
        buffer = bytearray()
        sent = 0
        try:
            async for piece in self.response.aiter_raw():
                buffer += piece
                events = whole_events(buffer)
                if events and self.events_filter is not None:
                    events = self.events_filter(events)
                if events:
                    sent += events.count(b"\n\n") or 1
                    await send({"type": "http.response.body", "body": events, "more_body": True})
            if buffer:  # the engine ended without a final blank line: pass on what it sent
                await send({"type": "http.response.body", "body": bytes(buffer), "more_body": True})
        except httpx.HTTPError as error:  # the engine died or stalled mid-stream: say so in the stream
            failure = unavailable(error, self.upstream.display_url)
            await send({"type": "http.response.body", "body": self.report(failure, sent), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            await run_until_disconnect(receive, send_until_error(self._pump(send)))
        finally:
            with anyio.CancelScope(shield=True):
                await self.response.aclose()


async def respond(
    request: Request,
    upstream: Upstream,
    response: httpx.Response,
    *,
    report: Reporter,
    events_filter: EventFilter | None = None,
) -> Response:
    """Answer the client with the engine's ``response`` (see the module); an error is raised as an APIError.

    ``events_filter`` changes a stream's whole events before they are passed on.
    """
    if response.status_code >= 400:
        raw = await read_body(request, upstream, response)
        raise upstream.error_from(response, raw or b"")
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return ProxiedStream(upstream, response, report, events_filter)
    raw = await read_body(request, upstream, response)
    return Response(status_code=204) if raw is None else whole_response(response, raw)


async def forward(
    request: Request,
    upstream: Upstream,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    report: Reporter = chat_error_event,
    events_filter: EventFilter | None = None,
) -> Response:
    """Send ``body`` to the engine's ``url`` and answer the client with the engine's answer (see the module)."""
    response = await until_disconnect(request, upstream.open(method, url, body, request.headers.get("accept")))
    if response is None:
        return Response(status_code=204)  # nobody is listening; the engine's request is already cancelled
    return await respond(request, upstream, response, report=report, events_filter=events_filter)
