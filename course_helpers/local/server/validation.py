"""Reading and checking request bodies, with the OpenAI API's own error messages.

The OpenAI API checks every request before it runs a model, and says exactly
which parameter is wrong (``param``) and how (``code``), for example

    400 {"message": "Invalid 'temperature': decimal above maximum value.
         Expected a value <= 2, but got 5 instead.",
         "type": "invalid_request_error", "param": "temperature",
         "code": "decimal_above_max_value"}

This module holds that wording once: the JSON bodies are declared as typed
models in :mod:`.protocol`, whose error translator words every mistake with
``type_error``, ``range_error``, ``choice_error`` and ``missing_error``; the
scalar checks below (``decimal``, ``integer``, ``boolean``, ``string``) use
the same words for the fields of multipart forms (audio uploads), which are
all text. ``null`` counts as "not given", as it does for OpenAI.

>>> body = {"temperature": 0.5, "response_format": "srt"}
>>> decimal(body, "temperature", default=1.0, minimum=0, maximum=2)
0.5
>>> string(body, "response_format", default="json", choices=("json", "srt"))
'srt'
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from starlette.requests import Request

from .errors import APIError, invalid_request

_Default = TypeVar("_Default")  # what a parameter is when not given: a value, or None

__all__ = [
    "MAX_BODY_BYTES",
    "choice_error",
    "decimal",
    "json_type_name",
    "missing_error",
    "range_error",
    "read_json_object",
    "reject_unknown",
    "string",
    "type_error",
]

# A chat request that fills the model's whole context window is well under
# 1 MB of JSON; 8 MB leaves room for long conversations and still stops a
# runaway client before it costs memory. Uploads (audio) use their own limit.
MAX_BODY_BYTES = 8 * 1024 * 1024

_MALFORMED_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you "
    "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
    "but what was sent was not valid JSON.)"
)


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; JSON (and OpenAI) do not.
    raise ValueError(f"{name} is not valid JSON")


async def read_json_object(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON body as a dict: 413 if too large, 400 if not a JSON object.

    The body is read in pieces and abandoned as soon as it passes
    ``max_bytes``, so a huge upload never sits whole in memory.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    pieces: list[bytes] = []
    size = 0
    async for piece in request.stream():
        size += len(piece)
        if size > max_bytes:
            raise _too_large(max_bytes)
        pieces.append(piece)
    try:
        raw = b"".join(pieces)
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise invalid_request(_MALFORMED_JSON) from None
    if _LONE_SURROGATE_ESCAPE.search(raw) and _holds_lone_surrogate(body):
        # "\udcff" is valid JSON syntax but no Unicode text: the tokenizer (and the JSON encoder of any
        # error that quotes it) cannot take it. OpenAI's parser rejects it as malformed JSON; so does this.
        raise invalid_request(_MALFORMED_JSON)
    if not isinstance(body, dict):
        raise invalid_request(
            f"Invalid type for body: expected an object, but got {json_type_name(body)} instead.",
            code="invalid_type",
        )
    return body


# A surrogate escape (\\ud800 to \\udfff) in the raw body; a valid pair of them is one character.
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a string (or key) that is not valid Unicode.

    >>> _holds_lone_surrogate({"a": ["ok", "\N{GRINNING FACE}"]}), _holds_lone_surrogate(["\\udcff"])
    (False, True)
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _too_large(max_bytes: int) -> APIError:
    return APIError(
        413,
        f"The request body is larger than this server accepts ({max_bytes // (1024 * 1024)} MB).",
        code="request_too_large",
    )


def json_type_name(value: Any) -> str:
    """How the OpenAI API names a JSON value's type in its error messages.

    >>> json_type_name("hi"), json_type_name(3), json_type_name(True), json_type_name([])
    ('a string', 'an integer', 'a boolean', 'an array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def type_error(param: str, expected: str, value: Any) -> APIError:
    """The 400 for a value of the wrong JSON type (``code="invalid_type"``).

    >>> type_error("n", "an integer", "2").message
    "Invalid type for 'n': expected an integer, but got a string instead."
    """
    return invalid_request(
        f"Invalid type for '{param}': expected {expected}, but got {json_type_name(value)} instead.",
        param=param,
        code="invalid_type",
    )


def reject_unknown(body: dict[str, Any], known: frozenset[str] | set[str]) -> None:
    """A 400 for the first parameter the endpoint does not know, as OpenAI words it.

    >>> reject_unknown({"model": "x", "temprature": 1}, {"model", "temperature"})
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unrecognized request argument supplied: temprature
    """
    for name in body:
        if name not in known:
            raise invalid_request(f"Unrecognized request argument supplied: {name}")


def _number_text(value: float) -> str:
    """A number as the API's messages write it: 2 not 2.0, 0.5, 1e+30."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e16):
        text = str(int(value))
        return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"
    return f"{value:g}"


def range_error(param: str, value: float, kind: str, side: str, bound: float) -> APIError:
    """The 400 for a number out of range; ``kind`` is "decimal" or "integer", ``side`` "below" or "above".

    >>> range_error("temperature", 5, "decimal", "above", 2).message
    "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead."
    """
    limit, sign = ("minimum", ">=") if side == "below" else ("maximum", "<=")
    return invalid_request(
        f"Invalid '{param}': {kind} {side} {limit} value. "
        f"Expected a value {sign} {_number_text(bound)}, but got {_number_text(value)} instead.",
        param=param,
        code=f"{kind}_{side}_{limit[:3]}_value",
    )


def _range_check(param: str, value: float, kind: str, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise range_error(param, value, kind, "below", minimum)
    if maximum is not None and value > maximum:
        raise range_error(param, value, kind, "above", maximum)


def missing_error(param: str) -> APIError:
    """The 400 for a required parameter that is absent or null.

    >>> missing_error("messages[0].role").code
    'missing_required_parameter'
    """
    return invalid_request(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def choice_error(param: str, value: str, choices: tuple[str, ...]) -> APIError:
    """The 400 for a string that is not one of ``choices``.

    >>> choice_error("voice", "bob", ("alloy", "echo")).message
    "Invalid value: 'bob'. Supported values are: 'alloy', 'echo'."
    """
    supported = ", ".join(f"'{choice}'" for choice in choices)
    return invalid_request(
        f"Invalid value: '{value}'. Supported values are: {supported}.", param=param, code="invalid_value"
    )


def decimal(
    body: dict[str, Any],
    name: str,
    *,
    default: _Default,
    minimum: float | None = None,
    maximum: float | None = None,
    param: str | None = None,
) -> float | _Default:
    """A number parameter (integers allowed), range-checked; ``default`` if absent or null.

    >>> decimal({"top_p": 2}, "top_p", default=1.0, maximum=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid 'top_p': decimal above maximum value. ...
    """
    param = param or name
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise type_error(param, "a decimal", value)
    try:
        value = float(value)
    except OverflowError:  # an integer literal with hundreds of digits
        value = math.inf if value > 0 else -math.inf
    if not math.isfinite(value):  # 1e999 parses as infinity
        raise invalid_request(f"Invalid '{param}': expected a finite number.", param=param, code="invalid_value")
    _range_check(param, value, "decimal", minimum, maximum)
    return value


def string(
    body: dict[str, Any],
    name: str,
    *,
    default: _Default,
    choices: tuple[str, ...] | None = None,
    param: str | None = None,
) -> str | _Default:
    """A string parameter, optionally one of ``choices``; ``default`` if absent or null.

    >>> string({"voice": "alloy"}, "voice", default=None, choices=("alloy", "echo"))
    'alloy'
    """
    param = param or name
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise type_error(param, "a string", value)
    if choices is not None and value not in choices:
        raise choice_error(param, value, choices)
    return value
