"""The endpoints that ``serve --upstream URL`` sends to the engine instead of the local model.

With an upstream (:class:`.Upstream`, ``create_app(upstream=...)``) these
routes replace the local model's; moderation, audio, Realtime speech and
conversations stay local.

- ``POST /v1/chat/completions``, ``POST /tokenize``, ``POST /detokenize``: the
  learner's body goes to the engine as it is (tools, ``response_format``, any
  parameter the engine knows), its ``model`` replaced by ``--upstream-model``
  when set; the engine's answer, JSON or stream, comes back as it is.
  A chat request with ``moderation`` is judged by the local classifier around
  the engine's reply (:mod:`.upstream_moderation`).
  The engine's own rules apply: the course's per-model checks
  (:mod:`.protocol.profiles`) are for the built-in model.
- ``POST /v1/responses``: forwarded too, unless the engine has no Responses
  API (a 404 or 405 that is not about a model), which the server then
  remembers and translates each request to Chat Completions
  (:mod:`.upstream_responses`). Stored responses are looked up here first,
  then at the engine.
- ``GET /v1/models``: the engine's models (only ``--upstream-model`` when
  set), then the local moderation and audio models, so ``setup()``, which
  takes the first model listed, picks the engine's.

Used in: course_helpers/local/server/app.py (``create_app(upstream=...)``)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import response_store
from .errors import APIError, invalid_request
from .models import CHAT_MODEL_ID, LOCAL_MODELS
from .room import meter_of
from .streaming import sse_event
from .upstream import Upstream
from .upstream_forwarding import forward, read_body, respond, until_disconnect
from .upstream_moderation import NO_RESPONSES_MODERATION, moderated_chat
from .upstream_responses import translated_responses
from .validation import read_json_object

__all__ = ["REPLACED_MODULES", "routes"]

# The local endpoint modules whose routes these replace (see app.ENDPOINT_MODULES).
REPLACED_MODULES = {
    "course_helpers.local.server.chat",
    "course_helpers.local.server.models",
    "course_helpers.local.server.responses",
    "course_helpers.local.server.response_store",
    "course_helpers.local.server.tokenize",
}
_NO_ROUTE = (404, 405, 501)

_log = logging.getLogger(__name__)


def _upstream(request: Request) -> Upstream:
    return request.app.state.upstream


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions`` at the engine."""
    upstream = _upstream(request)
    body = upstream.mapped(await read_json_object(request))
    if body.get("moderation") is not None:  # the engines have no moderation: the course's classifier judges
        return await moderated_chat(request, upstream, body)
    meter = meter_of(request.scope)
    options = body.get("stream_options")
    if (
        meter is not None
        and body.get("stream") is True
        and not (isinstance(options, dict) and options.get("include_usage"))
    ):
        # a room counts a learner's tokens: ask the engine for the usage chunk, and keep it from the learner
        body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        return await forward(
            request,
            upstream,
            "POST",
            upstream.base_url + "/chat/completions",
            body,
            events_filter=meter.take_usage_chunk,
        )
    return await forward(request, upstream, "POST", upstream.base_url + "/chat/completions", body)


async def tokenize(request: Request) -> Response:
    """``POST /tokenize`` and ``/detokenize`` at the engine's root, as vLLM serves them."""
    upstream = _upstream(request)
    body = upstream.mapped(await read_json_object(request))
    return await forward(request, upstream, "POST", upstream.root_url + request.url.path, body)


def _local_models() -> list[dict[str, Any]]:
    """The models this server itself answers: moderation and audio (the local chat model answers nothing here)."""
    return [model for model_id, model in LOCAL_MODELS.items() if model_id != CHAT_MODEL_ID]


async def list_models(request: Request) -> JSONResponse:
    """``GET /v1/models``: the engine's models (or just ``--upstream-model``), then the local ones."""
    upstream = _upstream(request)
    response = await forward(request, upstream, "GET", upstream.base_url + "/models")
    if response.status_code == 204:
        return JSONResponse({"object": "list", "data": []})
    engine_models = [model for model in json.loads(bytes(response.body)).get("data", []) if isinstance(model, dict)]
    if upstream.model is not None:
        named = [model for model in engine_models if model.get("id") == upstream.model]
        engine_models = named or [{"id": upstream.model, "object": "model", "created": 0, "owned_by": "upstream"}]
    listed = {model.get("id") for model in engine_models}
    data = engine_models + [model for model in _local_models() if model["id"] not in listed]
    return JSONResponse({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    """``GET /v1/models/{id}``: a local moderation or audio model here, any other at the engine."""
    model_id = request.path_params["model_id"]
    if model_id in LOCAL_MODELS and model_id != CHAT_MODEL_ID:
        return JSONResponse(LOCAL_MODELS[model_id])
    upstream = _upstream(request)
    return await forward(request, upstream, "GET", f"{upstream.base_url}/models/{model_id}")


def _responses_error_event(error: APIError, sent: int) -> bytes:
    """A Responses stream's failure: an ``error`` event, as :class:`.responses.EventWriter` writes it."""
    payload = {"type": "error", "sequence_number": sent, "code": error.type, "message": error.message}
    return b"event: error\n" + sse_event({**payload, "param": error.param})


def _no_responses_api(raw: bytes) -> bool:
    """Whether an engine's 404/405/501 says the route is missing (not that the model is)."""
    return b"model" not in raw.lower()


async def responses(request: Request) -> Response:
    """``POST /v1/responses``: at the engine, or translated to its Chat Completions if it has no Responses API."""
    upstream = _upstream(request)
    body = await read_json_object(request)
    if body.get("moderation") is not None:
        raise invalid_request(NO_RESPONSES_MODERATION, param="moderation")
    if upstream.has_responses is False:
        return await translated_responses(request, upstream, body)
    url = upstream.base_url + "/responses"
    response = await until_disconnect(
        request, upstream.open("POST", url, upstream.mapped(body), request.headers.get("accept"))
    )
    if response is None:
        return Response(status_code=204)
    if response.status_code in _NO_ROUTE and upstream.has_responses is None:
        raw = await read_body(request, upstream, response) or b""
        if _no_responses_api(raw):
            _log.info(
                "the upstream engine has no /v1/responses (%d): translating to chat completions", response.status_code
            )
            upstream.has_responses = False
            return await translated_responses(request, upstream, body)
        raise upstream.error_from(response, raw)
    upstream.has_responses = upstream.has_responses or response.status_code < 400
    return await respond(request, upstream, response, report=_responses_error_event)


async def stored_response(request: Request) -> Response:
    """``/v1/responses/{id}`` (and its ``input_items``): a response stored here, else the engine's (if it has any)."""
    upstream = _upstream(request)
    here = request.path_params["response_id"] in request.app.state.responses
    if here or upstream.has_responses is False:  # an engine without Responses stores none: the 404 is ours
        local = {
            ("GET", False): response_store.retrieve_response,
            ("DELETE", False): response_store.delete_response,
            ("GET", True): response_store.list_input_items,
        }
        return await local[request.method, request.url.path.endswith("/input_items")](request)
    path = request.url.path.removeprefix("/v1")
    query = f"?{request.url.query}" if request.url.query else ""
    return await forward(request, upstream, request.method, upstream.base_url + path + query)


routes = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/responses", responses, methods=["POST"]),
    Route("/v1/responses/{response_id}", stored_response, methods=["GET", "DELETE"]),
    Route("/v1/responses/{response_id}/input_items", stored_response, methods=["GET"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id:path}", retrieve_model, methods=["GET"]),
    Route("/tokenize", tokenize, methods=["POST"]),
    Route("/detokenize", tokenize, methods=["POST"]),
]
