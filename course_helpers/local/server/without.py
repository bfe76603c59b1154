"""``serve --without moderations,n,...``: answer as a bare engine would, for testing the capability probe.

Engines such as vLLM, Ollama and llama.cpp's server lack some of what the
course uses. To test the probe (:mod:`course_helpers.course.capabilities`) and
the lessons' notes without those engines, this middleware switches features
off, named as the probe names them (:data:`FEATURES`; ``audio`` means speech,
realtime and transcription):

- a missing endpoint (``chat``, ``responses``, ``moderations``, ``speech``,
  ``transcription``) is a 404 with FastAPI's body ``{"detail": "Not Found"}``,
  as vLLM answers a path it does not serve;
- without ``realtime``, a WebSocket to ``/v1/realtime`` is closed before it is
  accepted, as Starlette (and so FastAPI, vLLM's server) answers a WebSocket
  route it does not have: the upgrade gets HTTP 403;
- without ``request_moderation``, the ``moderation`` field of a chat or
  Responses request is dropped before the request is served, so the answer
  has no verdicts: what vLLM, Ollama and llama.cpp's server do with a field
  they do not know (they ignore it; vLLM logs a warning). Ignoring is the
  case a learner could miss (a 200 that looks fine), so it is the one the
  probe and the lessons are tested against; a refusing engine's 400 is the
  same "no" as any refused parameter;
- an unsupported parameter (``streaming``, ``n``, ``seed``, ``logprobs``,
  ``developer``, ``json_mode``, ``json_schema``, ``tools``) is a 400 in the
  shape of vLLM's errors (``type`` ``BadRequestError``, ``code`` 400) whose
  message names the parameter, on ``/v1/chat/completions`` and, where it has
  the same parameter, ``/v1/responses``.

``stored_responses`` answers as vLLM does with its response store off (its
default): ``store`` is quietly turned off (the Response says ``store: false``)
and ``previous_response_id`` is a 404, ``Response with id '...' not found.``
(``type`` ``invalid_request_error``). Ollama's Responses API, stateless too,
instead ignores ``previous_response_id`` (a 200 with ``previous_response_id``
null, ``store`` false); the probe reports both as a no.
``conversations`` is a missing endpoint (``/v1/conversations``), as on both.

It works the same in local mode and behind ``--upstream`` (it runs before the
request reaches either).

>>> sorted(parse_without("audio,n"))
['n', 'realtime', 'speech', 'transcription']
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from ...course.capabilities import FEATURES  # the probe's names: a switched-off feature is one it reports missing

__all__ = ["FEATURES", "Without", "parse_without"]

ALIASES = {"audio": ("speech", "realtime", "transcription")}

# Feature -> path prefix of the endpoint that goes missing.
ENDPOINTS = {
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
    "conversations": "/v1/conversations",
    "moderations": "/v1/moderations",
    "speech": "/v1/audio/speech",
    "transcription": "/v1/audio/transcriptions",
    "tokenize": "/tokenize",  # and /detokenize: Ollama has neither
}


def parse_without(text: str) -> frozenset[str]:
    """The features in a comma-separated ``--without`` value; ValueError names an unknown one."""
    names: set[str] = set()
    for name in filter(None, (part.strip() for part in text.split(","))):
        if name in ALIASES:
            names.update(ALIASES[name])
        elif name in FEATURES:
            names.add(name)
        else:
            known = ", ".join([*FEATURES, *ALIASES])
            raise ValueError(f"--without: unknown feature {name!r}; the features are {known}.")
    return frozenset(names)


def _format_type(body: dict, responses: bool) -> object:
    if responses:
        text = body.get("text")
        form = text.get("format") if isinstance(text, dict) else None
    else:
        form = body.get("response_format")
    return form.get("type") if isinstance(form, dict) else None


def _refused(body: dict, responses: bool, without: frozenset[str]) -> str | None:
    """The message of the 400 for the first switched-off parameter ``body`` uses, or None."""
    messages = body.get("input") if responses else body.get("messages")
    roles = {m.get("role") for m in messages if isinstance(m, dict)} if isinstance(messages, list) else set()
    used = {
        "streaming": body.get("stream") is True,
        "n": not responses and isinstance(body.get("n"), int) and body["n"] > 1,
        "seed": not responses and body.get("seed") is not None,
        "logprobs": (not responses and bool(body.get("logprobs"))) or body.get("top_logprobs") is not None,
        "developer": "developer" in roles,
        "json_mode": _format_type(body, responses) == "json_object",
        "json_schema": _format_type(body, responses) == "json_schema",
        "tools": bool(body.get("tools")),
    }
    words = {
        "streaming": "stream=true is not supported",
        "n": "n > 1 is not supported",
        "seed": "seed is not supported",
        "logprobs": "logprobs are not supported",
        "developer": "Unknown role: developer",
        "json_mode": "response_format json_object is not supported",
        "json_schema": "response_format json_schema is not supported",
        "tools": "tools are not supported",
    }
    for feature, is_used in used.items():
        if is_used and feature in without:
            return f"{words[feature]} (this server runs with --without {feature})."
    return None


def _stateless(body: dict) -> tuple[JSONResponse | None, dict]:
    """A Responses request on an engine that stores nothing: vLLM's 404 for a continuation, else the body
    with ``store`` turned off."""
    previous = body.get("previous_response_id")
    if previous is not None:
        error = {
            "message": f"Response with id '{previous}' not found.",
            "type": "invalid_request_error",
            "param": "response_id",
            "code": 404,
        }
        return JSONResponse({"error": error}, status_code=404), body
    return None, {**body, "store": False}


class Without:
    """ASGI middleware: the features in ``without`` answer as an engine that lacks them."""

    def __init__(self, app: ASGIApp, without: frozenset[str]) -> None:
        self.app = app
        self.without = without

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and "realtime" in self.without and scope["path"].startswith("/v1/realtime"):
            await WebSocketClose()(scope, receive, send)  # Starlette's answer to a WebSocket route it lacks
            return
        if scope["type"] != "http" or not self.without:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        missing = any(path.startswith(ENDPOINTS[name]) for name in self.without if name in ENDPOINTS)
        if missing or ("tokenize" in self.without and path.startswith("/detokenize")):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        if scope["method"] != "POST" or path not in ("/v1/chat/completions", "/v1/responses"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None  # the endpoint itself reports a body that is not JSON
        problem = _refused(body, path == "/v1/responses", self.without) if isinstance(body, dict) else None
        if problem is not None:
            error = {"message": problem, "type": "BadRequestError", "param": None, "code": 400}
            await JSONResponse({"error": error}, status_code=400)(scope, receive, send)
            return
        rewritten = False
        if "request_moderation" in self.without and isinstance(body, dict) and "moderation" in body:
            del body["moderation"]  # ignored, as an engine that does not know the field ignores it
            rewritten = True
        if isinstance(body, dict) and path == "/v1/responses" and "stored_responses" in self.without:
            refusal, body = _stateless(body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            rewritten = True
        if rewritten:
            raw = json.dumps(body).encode()
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(raw)).encode())]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()  # after the body: the disconnect, when the client goes

        await self.app(scope, replay, send)
