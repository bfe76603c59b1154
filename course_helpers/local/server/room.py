"""A room of learners on one server: who sent each request, their usage, limits and fair share.

``create_app(room=Room(roster, ...))`` (``serve --learners FILE``) turns on:

- **keys**: the bearer key of a ``/v1`` request is looked up in the
  :class:`.Roster` (the instructor's ``--api-key``, if any, works too, as
  ``instructor``); :func:`learner_of` names the learner, never the key;
- **usage** (:mod:`.usage`): every keyed request of a learner is counted,
  with its tokens (the reply's ``usage``, JSON or streamed, or the local
  engine's own counts) and whether it failed (a status >= 400 or an error
  event in the stream);
- **rate limits** (:mod:`.rate_limits`): ``POST`` requests past a learner's
  requests or tokens per minute get OpenAI's 429; every answer carries the
  ``x-ratelimit-*`` headers. The instructor's key has no limit;
- **fair share** (:mod:`.fair_share`): chat and Responses requests take turns
  for the engine, local or ``--upstream``;
- **Realtime** (``/v1/realtime``, a WebSocket): the learner's key is checked
  at the upgrade like any other; each response the session finishes
  (``response.done``) counts as one request, with the tokens its ``usage``
  reports (zero for the local voice), failed ones as errors. The rate limits
  are the same budget as over HTTP: each ``response.create`` is checked as a
  request, and past a limit it is refused with an ``error`` event (type
  ``requests`` or ``tokens``, code ``rate_limit_exceeded``, OpenAI's 429
  message) without closing the session, so the learner can try again later;
  each response starts with ``rate_limits.updated``, as on OpenAI. (OpenAI
  documents ``rate_limits.updated``; how it refuses a Realtime response over
  a limit is NOT CONFIRMED: this answers as our other Realtime errors do.);
- ``GET /course/usage``: the counts as JSON, for the instructor's key (or,
  when the server has no ``--api-key``, for requests from this machine).

Used in: course_helpers/local/server/app.py, course_helpers/local/server/serving.py
"""

from __future__ import annotations

import asyncio
import hmac
import json
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import APIError
from .fair_share import DEFAULT_PER_LEARNER, FairGate
from .learners import Roster
from .protocol.realtime import error_event
from .rate_limits import RateLimits
from .realtime_session import new_id
from .usage import Meter, Usage

__all__ = ["INSTRUCTOR", "METERED_PATHS", "Room", "RoomMiddleware", "learner_of", "meter_of", "routes"]

INSTRUCTOR = "instructor"  # the name usage shows for the --api-key
# The requests that use the engine: they take turns (fair share) and carry token usage.
METERED_PATHS = ("/v1/chat/completions", "/v1/responses")
_MAX_JSON_SNIFF = 4_000_000  # bytes of a JSON answer read for its usage


@dataclass
class Room:
    """The learners' keys and what the server keeps about them (see the module)."""

    roster: Roster
    limits: RateLimits = field(default_factory=lambda: RateLimits(None, None))
    per_learner: int = DEFAULT_PER_LEARNER
    total: int = 64
    usage: Usage = field(default_factory=Usage)
    gate: FairGate = field(init=False)

    def __post_init__(self) -> None:
        self.gate = FairGate(self.total, self.per_learner)

    def summary(self) -> str:
        """The per-learner usage log lines (names only)."""
        return self.usage.summary(self.roster.names)


def learner_of(scope: Scope) -> str | None:
    """The name the room's key check gave this request (None outside a room)."""
    return scope.get("state", {}).get("course.learner")


def meter_of(scope: Scope) -> Meter | None:
    """This request's :class:`.Meter`, which the local engine fills with its token counts (None outside a room)."""
    return scope.get("state", {}).get("course.meter")


class RoomMiddleware:
    """ASGI middleware for a learner's ``/v1`` request: rate limit, fair share, usage (after the key check)."""

    def __init__(self, app: ASGIApp, room: Room) -> None:
        self.app = app
        self.room = room

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = learner_of(scope)
        if name is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            lock = asyncio.Lock()  # our events and the session's own never interleave

            async def one_at_a_time(message: Message) -> None:
                async with lock:
                    await send(message)

            limited = name != INSTRUCTOR and self.room.limits.active
            checked = self._realtime_limits(name, receive, one_at_a_time) if limited else receive
            await self.app(scope, checked, self._realtime_meter(name, one_at_a_time, limited))
            return
        room, limited = self.room, name != INSTRUCTOR and self.room.limits.active
        if limited and scope["method"] == "POST" and (refusal := room.limits.check(name)) is not None:
            room.usage.record_rate_limited(name)
            await refusal.response()(scope, receive, send)
            return
        meter = Meter()
        scope.setdefault("state", {})["course.meter"] = meter
        status, kind = 0, ""
        json_body = bytearray()

        async def metering_send(message: Message) -> None:
            nonlocal status, kind
            if message["type"] == "http.response.start":
                status = message["status"]
                kind = Headers(raw=message.get("headers", [])).get("content-type", "")
                if limited:
                    extra = [(k.encode(), v.encode()) for k, v in room.limits.headers(name).items()]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body" and status < 400:
                body = message.get("body", b"")
                if kind.startswith("text/event-stream"):
                    meter.read_stream(body)
                elif kind.startswith("application/json") and len(json_body) + len(body) <= _MAX_JSON_SNIFF:
                    json_body.extend(body)
            await send(message)

        try:
            if scope["method"] == "POST" and scope["path"] in METERED_PATHS:
                async with room.gate.place(name):
                    await self.app(scope, receive, metering_send)
            else:
                await self.app(scope, receive, metering_send)
        finally:
            if json_body:
                meter.read_json(bytes(json_body))
            prompt, completion = meter.tokens or (0, 0)
            failed = status >= 400 or status == 0 or meter.failed
            room.usage.record(name, prompt_tokens=prompt, completion_tokens=completion, error=failed)
            room.limits.spend(name, prompt + completion)

    def _realtime_limits(self, name: str, receive: Receive, send: Send) -> Receive:
        """A Realtime session's ``receive``: a ``response.create`` over the learner's limit is answered, not passed on."""
        room = self.room

        async def checked_receive() -> Message:
            while True:
                message = await receive()
                create = _response_create(message)
                if create is None or (refusal := room.limits.check(name)) is None:
                    return message
                room.usage.record_rate_limited(name)
                event = error_event(refusal, new_id("event"), create.get("event_id"))
                await send({"type": "websocket.send", "text": json.dumps(event)})

        return checked_receive

    def _realtime_meter(self, name: str, send: Send, limited: bool = False) -> Send:
        """A Realtime session's ``send``, counting each ``response.done`` as one request with its usage's tokens.

        ``limited``: also tell the learner's rate limits (``rate_limits.updated``) as each response starts.
        """
        room = self.room

        async def metering_send(message: Message) -> None:
            text = message.get("text") if message["type"] == "websocket.send" else None
            if limited and text and '"response.created"' in text:
                await send(message)
                event = {
                    "type": "rate_limits.updated",
                    "event_id": new_id("event"),
                    "rate_limits": room.limits.snapshot(name),
                }
                await send({"type": "websocket.send", "text": json.dumps(event)})
                return
            if text and '"response.done"' in text:
                try:
                    response = json.loads(text)["response"]
                    usage = response.get("usage") or {}
                    prompt, completion = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
                except (ValueError, KeyError, TypeError, AttributeError):  # not the event we count after all
                    response = None
                if response is not None:
                    room.usage.record(
                        name,
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        error=response.get("status") == "failed",
                    )
                    room.limits.spend(name, prompt + completion)
            await send(message)

        return metering_send


def _response_create(message: Message) -> dict | None:
    """The client's ``response.create`` event in a WebSocket message, or None for anything else."""
    if message["type"] != "websocket.receive":
        return None
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", "replace")
    if '"response.create"' not in text:  # most messages (audio appended in base64) are not parsed twice
        return None
    try:
        event = json.loads(text)
    except ValueError:  # the session answers a malformed event itself
        return None
    return event if isinstance(event, dict) and event.get("type") == "response.create" else None


async def course_usage(request: Request) -> Response:
    """``GET /course/usage``: every learner's counts, for the instructor."""
    room: Room | None = request.app.state.room
    if room is None:
        raise APIError(404, "This server has no learners (serve --learners FILE).")
    instructor_key: str | None = request.app.state.api_key
    given = request.headers.get("authorization", "").partition(" ")[2].strip()
    if instructor_key is not None:
        if not hmac.compare_digest(given.encode(), instructor_key.encode()):
            raise APIError(401, "Usage is for the instructor: send the server's --api-key.", code="invalid_api_key")
    elif request.client is None or not _is_loopback(request.client.host):
        raise APIError(403, "Usage is for the instructor: start serve with --api-key to read it from elsewhere.")
    return JSONResponse({"object": "list", "data": room.usage.rows(room.roster.names)})


def _is_loopback(host: str) -> bool:
    from .serving import is_loopback  # serving imports the app, which imports this module

    return is_loopback(host)


routes = [Route("/course/usage", course_usage, methods=["GET"])]
