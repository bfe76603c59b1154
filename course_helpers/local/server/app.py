"""The local OpenAI-compatible server as a Starlette app: routes, API key, errors.

``create_app()`` gathers the routes of every endpoint module listed in
:data:`ENDPOINT_MODULES`, checks the bearer key on every ``/v1`` request (and
on vLLM's ``/tokenize`` and ``/detokenize`` at the root; with ``room=``, each
learner's own key from the learners file, see :mod:`.room`), and
makes sure every error leaves in the OpenAI shape (an unknown URL is a 404,
a wrong method a 405, a bug a 500 ``server_error``, never an HTML page or a
dropped connection).

>>> app = create_app(api_key="sk-local-test")
>>> {"/v1/chat/completions", "/v1/models"} <= {route.path for route in app.routes}
True
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from .chat_engine import ChatEngine, EngineSource
from .conversations import MAX_CONVERSATIONS, ConversationStore
from .errors import APIError, error_response
from .learners import Roster
from .response_store import MAX_STORED_RESPONSES, ResponseStore
from .room import INSTRUCTOR, Room, RoomMiddleware
from .session import DEFAULT_MAX_ACTIVE, Admission
from .without import Without

if TYPE_CHECKING:
    import numpy as np

    from .upstream import Upstream

__all__ = [
    "ENDPOINT_MODULES",
    "create_app",
]

# Each module here has a ``routes`` list. A new endpoint adds one line.
ENDPOINT_MODULES = [
    "course_helpers.local.server.models",
    "course_helpers.local.server.chat",
    "course_helpers.local.server.audio",
    "course_helpers.local.server.responses",
    "course_helpers.local.server.response_store",
    "course_helpers.local.server.conversations",
    "course_helpers.local.server.moderations",
    "course_helpers.local.server.tokenize",
    "course_helpers.local.server.realtime",
]
# Paths outside /v1 that need the key too (vLLM leaves them open; a room server's tokenizer is not for everyone).
KEYED_ROOT_PATHS = ("/tokenize", "/detokenize")

_log = logging.getLogger(__name__)

_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). For this local server, "
    "use the key it was started with (`course_helpers.setup()` puts it in OPENAI_API_KEY)."
)


def _masked(key: str) -> str:
    return key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else "*" * len(key)


class _HTTPMiddleware:
    """Plain ASGI middleware (not BaseHTTPMiddleware, so streamed responses pass through untouched).

    ``handle`` sees each HTTP request; anything else (lifespan, websockets) goes straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class _BearerAuth(_HTTPMiddleware):
    """ASGI middleware: ``/v1`` requests and WebSockets need ``Authorization: Bearer <api_key>``.

    A WebSocket with a bad key is refused as OpenAI's Realtime API refuses it:
    accepted, then an ``error`` event and close code 3000.
    """

    def __init__(self, app: ASGIApp, api_key: str | None, roster: Roster | None = None) -> None:
        super().__init__(app)
        self.api_key = api_key
        self.roster = roster

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and (problem := self._problem(scope)) is not None:
            from .realtime import CLOSE_AUTHENTICATION, refuse  # the Realtime endpoint's way of refusing

            await refuse(WebSocket(scope, receive, send), problem, CLOSE_AUTHENTICATION)
            return
        await super().__call__(scope, receive, send)

    def _problem(self, scope: Scope) -> APIError | None:
        """Why this request's key is refused (401), or None."""
        keyed = scope["path"].startswith("/v1") or scope["path"] in KEYED_ROOT_PATHS
        if (self.api_key is None and self.roster is None) or not keyed:
            return None
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, given = header.partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            return APIError(401, _NO_KEY)
        if self.api_key is not None and secrets.compare_digest(given.encode(), self.api_key.encode()):
            if self.roster is not None:
                scope.setdefault("state", {})["course.learner"] = INSTRUCTOR
            return None
        name = self.roster.name_for(given) if self.roster is not None else None
        if name is None:
            whose = "your instructor gave you" if self.roster is not None else "it was started with"
            message = (
                f"Incorrect API key provided: {_masked(given)}. This local server accepts only the key "
                f"{whose} (`course_helpers.setup()` puts it in OPENAI_API_KEY)."
            )
            return APIError(401, message, code="invalid_api_key")
        scope.setdefault("state", {})["course.learner"] = name
        return None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self._problem(scope)
        if problem is not None:
            await problem.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _RequestId(_HTTPMiddleware):
    """ASGI middleware: an ``x-request-id`` header on every response (the SDK exposes it)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ("req_" + secrets.token_hex(16)).encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id)]}
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, APIError)
    return error.response()


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    where = f"({request.method} {request.url.path})"
    if error.status_code == 404:
        return error_response(404, f"Invalid URL {where}")
    if error.status_code == 405:
        return error_response(405, f"Invalid method for URL {where}")
    return error_response(error.status_code, str(error.detail))


class _ServerErrors(_HTTPMiddleware):
    """ASGI middleware: an unexpected exception becomes a 500 ``server_error`` response.

    Unlike Starlette's own handler it does not re-raise afterwards: uvicorn
    would then reset the connection, and the client could lose the response.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:  # a bug in an endpoint or an engine: report it, keep serving
            _log.exception("local server error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a status code; the client sees the response end early
                return
            response = error_response(
                500,
                f"The local server failed while handling the request: {type(error).__name__}: {error}",
                type="server_error",
                headers={"x-should-retry": "false"},  # a local bug does not go away by retrying
            )
            await response(scope, receive, send)


def _closing(upstream: Upstream) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the upstream's pooled connections when the server stops."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await upstream.aclose()

    return lifespan


def create_app(
    api_key: str | None = None,
    *,
    engine: ChatEngine | Callable[[], ChatEngine] | None = None,
    max_active: int = DEFAULT_MAX_ACTIVE,
    today: Callable[[], datetime.date] = datetime.date.today,
    max_stored_responses: int = MAX_STORED_RESPONSES,
    max_conversations: int = MAX_CONVERSATIONS,
    synthesize: Callable[..., Iterator[np.ndarray]] | None = None,
    upstream: Upstream | None = None,
    without: frozenset[str] = frozenset(),
    room: Room | None = None,
) -> Starlette:
    """The server as an ASGI app; ``api_key=None`` accepts any key (for loopback only).

    ``engine`` answers chat and Responses requests: a :class:`.ChatEngine`, a
    function making one on first use, or None for the local SmolLM2 engine,
    loaded by the first request that needs it (see :mod:`.chat_engine`).
    ``max_active`` bounds concurrent chat generations; requests past it get a
    429 that the openai SDK retries by itself. ``today`` gives the date a
    model's shutdown is judged on (see :mod:`.protocol.profiles`); tests pin it.
    Stored responses and conversations live in the app's memory, the most
    recent ``max_stored_responses`` and ``max_conversations`` of them (see
    :mod:`.response_store`, :mod:`.conversations`).
    ``synthesize`` is the voice of ``/v1/realtime``, None for the local Piper voice
    (``course_helpers.local.audio.speech.synthesize``: text, ``voice=``, ``speed=`` in,
    int16 blocks at 24 kHz out, one or more per sentence).
    ``upstream`` is an engine to send chat, Responses, models and tokenizer requests to
    (``serve --upstream URL``, see :mod:`.upstream_routes`); moderation and audio stay local.
    ``without`` names features to answer as a bare engine lacking them (``serve --without``, for tests:
    see :mod:`.without`).
    ``room``: the learners' keys, usage, rate limits and fair share (``serve --learners FILE``,
    see :mod:`.room`); ``api_key`` is then the instructor's key, or None for learners' keys only.
    """
    routes = []
    replaced: set[str] = set()
    if upstream is not None:
        from . import upstream_routes

        routes.extend(upstream_routes.routes)
        replaced = upstream_routes.REPLACED_MODULES
    for module_name in ENDPOINT_MODULES:
        if module_name not in replaced:
            routes.extend(importlib.import_module(module_name).routes)
    if room is not None:
        from . import room as room_routes

        routes.extend(room_routes.routes)
    app = Starlette(
        routes=routes,
        exception_handlers={APIError: _api_error, HTTPException: _http_error},
        lifespan=_closing(upstream) if upstream is not None else None,
    )
    app.state.upstream = upstream
    app.state.engine = EngineSource(engine)
    app.state.max_active = max_active
    app.state.today = today
    app.state.synthesize = synthesize
    app.state.admission = Admission()
    app.state.responses = ResponseStore(max_stored_responses)
    app.state.conversations = ConversationStore(max_conversations)
    app.state.room = room
    app.state.api_key = api_key
    app.add_middleware(_ServerErrors)
    app.add_middleware(Without, without=without)
    if room is not None:
        app.add_middleware(RoomMiddleware, room=room)
    app.add_middleware(_BearerAuth, api_key=api_key, roster=room.roster if room is not None else None)
    app.add_middleware(_RequestId)
    return app
