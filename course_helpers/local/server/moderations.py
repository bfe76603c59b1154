"""``POST /v1/moderations``: the 13 moderation categories, scored by the local classifier.

Accepts what the OpenAI API accepts for text:

* ``input`` a string (one result), a list of strings (one result each), or a
  list of content parts ``[{"type": "text", "text": ...}]`` (one result for
  the parts together, as omni-moderation does). Image parts get a 400: the
  local classifier reads text only.
* ``model`` one of :data:`MODERATION_MODELS` (default ``omni-moderation-latest``);
  all of them are answered by the same local probes, and the response's
  ``model`` names them (``SmolLM2-135M-moderation-probes``), as a chat
  response names the local chat model: what answered, not what was asked for.

Each result carries ``flagged``, ``categories``, ``category_scores`` and
``category_applied_input_types`` with all 13 categories, so the SDK's typed
``Moderation`` object (``result.categories.self_harm_intent``) works. How the
scores are made is explained in ``course_helpers/local/moderation/``.

Used in: notebooks/04_moderation.ipynb
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..moderation import MODEL_NAME
from ..moderation.categories import CATEGORIES
from ..moderation.classifier import ModerationResult, moderate
from .models import register_model
from .protocol.moderations import DEFAULT_MODEL, MAX_INPUTS, MODERATION_MODELS, parse_moderation
from .validation import read_json_object

__all__ = [
    "DEFAULT_MODEL",
    "MAX_INPUTS",
    "MODERATION_MODELS",
    "moderations",
    "parse_input",
    "result_json",
    "routes",
]

_OWNER = "course-helpers-local (probes on SmolLM2-135M-Instruct)"

for _name in MODERATION_MODELS:
    register_model(_name, owned_by=_OWNER)


def parse_input(value: Any) -> list[str]:
    """The messages to score, one per result, from the request's ``input``.

    >>> parse_input("hello")
    ['hello']
    >>> parse_input(["a", "b"])
    ['a', 'b']
    >>> parse_input([{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}])
    ['hi\\nthere']
    """
    return parse_moderation({"input": value}).texts()


def result_json(result: ModerationResult) -> dict[str, Any]:
    """One entry of ``results`` in the API's shape (all 13 categories, text input)."""
    return {
        "flagged": result.flagged,
        "categories": {name: result.categories[name] for name in CATEGORIES},
        "category_scores": {name: result.category_scores[name] for name in CATEGORIES},
        "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
    }


async def moderations(request: Request) -> JSONResponse:
    """``POST /v1/moderations``: classify text inputs for the 13 categories."""
    checked = parse_moderation(await read_json_object(request))
    results = await run_in_threadpool(moderate, checked.texts())
    return JSONResponse(
        {
            "id": "modr-" + secrets.token_hex(12),
            "model": MODEL_NAME,
            "results": [result_json(result) for result in results],
        }
    )


routes = [Route("/v1/moderations", moderations, methods=["POST"])]
