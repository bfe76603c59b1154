"""``GET /v1/models`` and ``GET /v1/models/{id}``: which models this server has.

The list shows the local models by their real names. Chat requests accept any
OpenAI chat model name (``gpt-6-luna``, ``gpt-5.4-mini``, ...) so lesson code runs
unchanged, and the local chat model answers them; retrieving such a name
therefore finds it too, with ``owned_by`` saying who really answers.

Other endpoints add their model with :func:`register_model`.

>>> non_chat_model_reason("gpt-6-luna") is None
True
>>> non_chat_model_reason("gpt-transcribe")
"The model 'gpt-transcribe' is not a chat model, so /v1/chat/completions does not serve it."
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import not_found
from .protocol.profiles import check_model_alive

__all__ = [
    "CHAT_MODEL_ID",
    "LOCAL_MODELS",
    "non_chat_model_reason",
    "register_model",
    "routes",
]

# The name the engine reports (engine.model_name); a test keeps the two equal.
CHAT_MODEL_ID = "SmolLM2-135M-Instruct"
_OWNER = "course-helpers-local"
_STARTED = int(time.time())

# id -> the Model object of the API ({"id", "object", "created", "owned_by"}).
LOCAL_MODELS: dict[str, dict] = {}

# Substrings of OpenAI model names that are not chat models (embeddings, audio, images).
_NON_CHAT = ("embedding", "whisper", "tts", "transcribe", "dall-e", "gpt-image", "moderation", "davinci", "babbage")


def register_model(model_id: str, owned_by: str = _OWNER) -> None:
    """List a local model in ``GET /v1/models`` (endpoints call this at import).

    >>> register_model("example-model"); LOCAL_MODELS["example-model"]["object"]
    'model'
    >>> del LOCAL_MODELS["example-model"]
    """
    LOCAL_MODELS[model_id] = {"id": model_id, "object": "model", "created": _STARTED, "owned_by": owned_by}


register_model(CHAT_MODEL_ID)


def non_chat_model_reason(name: str) -> str | None:
    """Why ``name`` cannot be used for chat (a 404 message), or None if it can."""
    lowered = name.lower()
    if any(marker in lowered for marker in _NON_CHAT):
        return f"The model '{name}' is not a chat model, so /v1/chat/completions does not serve it."
    return None


async def list_models(request: Request) -> JSONResponse:
    """``GET /v1/models``: the local models, as ``{"object": "list", "data": [...]}``."""
    return JSONResponse({"object": "list", "data": list(LOCAL_MODELS.values())})


async def retrieve_model(request: Request) -> JSONResponse:
    """``GET /v1/models/{id}``: a local model, or any chat model name the local model answers (not shut down)."""
    model_id = request.path_params["model_id"]
    if model_id in LOCAL_MODELS:
        return JSONResponse(LOCAL_MODELS[model_id])
    check_model_alive(model_id, request.app.state.today())  # shut down: the 404 chat would answer
    if model_id.strip() and non_chat_model_reason(model_id) is None:
        owner = f"{_OWNER} (answered by {CHAT_MODEL_ID})"
        return JSONResponse({"id": model_id, "object": "model", "created": _STARTED, "owned_by": owner})
    raise not_found(
        f"The model '{model_id}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


routes = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id:path}", retrieve_model, methods=["GET"]),
]
