"""``POST /v1/moderations``: the 13 moderation categories, scored by the local classifier.

Accepts what the OpenAI API accepts for text:

* ``input`` a string (one result), a list of strings (one result each), or a
  list of content parts ``[{"type": "text", "text": ...}]`` (one result for
  the parts together, as omni-moderation does). Image parts get a 400: the
  local classifier reads text only.
* ``model`` one of :data:`MODERATION_MODELS` (default ``omni-moderation-latest``);
  all of them are answered by the same local probes, and the response names
  the model that was asked for.

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

from ..moderation.categories import CATEGORIES
from ..moderation.classifier import ModerationResult, moderate
from .errors import invalid_request, not_found
from .models import register_model
from .validation import read_json_object, reject_unknown, string, type_error

__all__ = [
    "DEFAULT_MODEL",
    "MAX_INPUTS",
    "MODERATION_MODELS",
    "moderations",
    "parse_input",
    "result_json",
    "routes",
]

DEFAULT_MODEL = "omni-moderation-latest"
MODERATION_MODELS = (
    "omni-moderation-latest",
    "omni-moderation-2024-09-26",
    "text-moderation-latest",
    "text-moderation-stable",
)
# More messages than this in one request is a 400 (each one is a pass through the model).
MAX_INPUTS = 256
_KNOWN_PARAMS = frozenset({"input", "model"})
_OWNER = "course-helpers-local (probes on SmolLM2-135M-Instruct)"
_TEXT_ONLY = (
    "The local moderation model reads text only, so image inputs are not supported. "
    "Send the text parts only (or use the OpenAI API for images)."
)

for _name in MODERATION_MODELS:
    register_model(_name, owned_by=_OWNER)


def _text_of_part(part: Any, index: int) -> str:
    """The text of one content part; a 400 for images and anything malformed."""
    param = f"input[{index}]"
    if not isinstance(part, dict):
        raise type_error(param, "an object", part)
    kind = part.get("type")
    if kind == "image_url":
        raise invalid_request(_TEXT_ONLY, param=param, code="invalid_value")
    if kind != "text":
        raise invalid_request(
            f"Invalid value for '{param}.type': expected 'text' or 'image_url', but got {kind!r}.",
            param=f"{param}.type",
            code="invalid_value",
        )
    text = part.get("text")
    if not isinstance(text, str):
        raise type_error(f"{param}.text", "a string", text)
    return text


def parse_input(value: Any) -> list[str]:
    """The messages to score, one per result, from the request's ``input``.

    >>> parse_input("hello")
    ['hello']
    >>> parse_input(["a", "b"])
    ['a', 'b']
    >>> parse_input([{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}])
    ['hi\\nthere']
    """
    if isinstance(value, str):
        return [value]
    if value is None:
        raise invalid_request("Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
    if not isinstance(value, list):
        raise type_error("input", "a string or an array", value)
    if not value:
        raise invalid_request(
            "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="input",
            code="empty_array",
        )
    if len(value) > MAX_INPUTS:
        raise invalid_request(
            f"Invalid 'input': array too long. Expected an array with maximum length {MAX_INPUTS}, "
            f"but got an array with length {len(value)} instead.",
            param="input",
            code="array_above_max_length",
        )
    if all(isinstance(item, str) for item in value):
        return list(value)
    if any(isinstance(item, str) for item in value):
        first = next(i for i, item in enumerate(value) if not isinstance(item, str))
        raise type_error(f"input[{first}]", "a string (every item of a list of strings)", value[first])
    # A list of content parts describes one message (text and, for OpenAI, images).
    return ["\n".join(_text_of_part(part, index) for index, part in enumerate(value))]


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
    body = await read_json_object(request)
    reject_unknown(body, _KNOWN_PARAMS)
    model = string(body, "model", default=DEFAULT_MODEL)
    if model not in MODERATION_MODELS:
        raise not_found(
            f"The model '{model}' does not exist or is not a moderation model. "
            f"The local server offers: {', '.join(MODERATION_MODELS)}.",
            param="model",
            code="model_not_found",
        )
    texts = parse_input(body.get("input"))
    results = await run_in_threadpool(moderate, texts)
    return JSONResponse(
        {
            "id": "modr-" + secrets.token_hex(12),
            "model": model,
            "results": [result_json(result) for result in results],
        }
    )


routes = [Route("/v1/moderations", moderations, methods=["POST"])]
