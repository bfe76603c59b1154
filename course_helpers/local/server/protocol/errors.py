"""One translator from pydantic's validation errors to the OpenAI API's wording, ``param`` and ``code``.

The request models (:mod:`.chat`, :mod:`.responses`, ...) declare types and
ranges; pydantic finds what is wrong and where (``loc``); this module says it
the way OpenAI does:

>>> from pydantic import BaseModel, ConfigDict, Field
>>> class Body(BaseModel):
...     model_config = ConfigDict(extra="forbid", strict=True)
...     n: int = Field(1, ge=1)
>>> error = parse(Body, {"n": "2"})
Traceback (most recent call last):
...
course_helpers.local.server.errors.APIError: Invalid type for 'n': expected an integer, but got a string instead.

Rules that pydantic has no word for (an unsupported feature, a model that
does not exist) are raised inside validators with :func:`rule`, carrying
their own message, code and status.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from ..errors import APIError, invalid_request
from ..validation import choice_error, missing_error, range_error, type_error

__all__ = [
    "invalid_choice",
    "invalid_type",
    "missing",
    "openai_error",
    "param_path",
    "parse",
    "rule",
]

Request = TypeVar("Request", bound=BaseModel)

# pydantic's type errors, and how OpenAI names the type it expected
_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a decimal",
    "string_type": "a string",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
_RANGES = {
    "greater_than_equal": ("ge", "below"),
    "greater_than": ("gt", "below"),
    "less_than_equal": ("le", "above"),
    "less_than": ("lt", "above"),
}


def parse(model: type[Request], body: Any) -> Request:
    """``body`` checked against ``model``; the first mistake raised as OpenAI's APIError."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise openai_error(error, model) from None


def param_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's location as OpenAI's ``param``; union branch tags (``<name>``) are not part of it.

    >>> param_path(("messages", 0, "<text>", "content", 1, "text"))
    'messages[0].content[1].text'
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not (part.startswith("<") and part.endswith(">")):
            path += f".{part}" if path else part
    return path


def openai_error(error: ValidationError, model: type[BaseModel]) -> APIError:
    """The APIError OpenAI answers for the first problem pydantic found.

    An unknown top-level argument comes first, as OpenAI rejects those before
    reading anything else. ``model.SCHEMA_CHECKED`` names the parameters whose
    objects OpenAI checks with a JSON schema (its wording for an unknown key
    there is "Additional properties are not allowed").
    """
    errors = error.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1), errors[0])
    return _translate(first, getattr(model, "SCHEMA_CHECKED", ()))


def _translate(error: ErrorDetails, schema_checked: tuple[str, ...]) -> APIError:
    kind, loc, value = error["type"], error["loc"], error["input"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if ctx.get("field"):
        loc = (*loc, ctx["field"])
    param = param_path(loc)
    if kind == "extra_forbidden":
        return _unknown(loc, param, schema_checked)
    if kind in ("missing", "missing_required_parameter"):
        return missing_error(param)
    if kind in _EXPECTED:
        return type_error(param, _EXPECTED[kind], value)
    if kind == "invalid_type":
        return type_error(param, ctx["expected"], value)
    if kind in _RANGES:
        bound_name, side = _RANGES[kind]
        bound = ctx[bound_name]
        number_kind = "decimal" if isinstance(bound, float) else "integer"  # decimal fields declare float bounds
        return range_error(param, value, number_kind, side, bound)
    if kind == "finite_number":
        return invalid_request(f"Invalid '{param}': expected a finite number.", param=param, code="invalid_value")
    if kind == "literal_error":
        if not isinstance(value, str):
            return type_error(param, "a string", value)
        choices = tuple(ctx["expected"].replace(" or ", ", ").split(", "))  # "'a', 'b' or 'c'"
        return choice_error(param, value, tuple(c.strip("'") for c in choices))
    if kind == "invalid_choice":
        return choice_error(param, value, ctx["choices"])
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return _length(kind.removeprefix("string_"), param, value, ctx)
    if kind == "rule":
        message = ctx["message"].replace("{param}", param).replace("{parent}", param_path(error["loc"]))
        return APIError(ctx.get("status", 400), message, param=param, code=ctx["code"])
    return invalid_request(f"Invalid '{param}': {error['msg']}.", param=param, code="invalid_value")


def _unknown(loc: tuple[int | str, ...], param: str, schema_checked: tuple[str, ...]) -> APIError:
    if len(loc) == 1:
        return invalid_request(f"Unrecognized request argument supplied: {loc[0]}")
    if loc[0] in schema_checked:
        return invalid_request(
            f"Additional properties are not allowed ('{loc[-1]}' was unexpected) - '{param_path(loc[:-1])}'.",
            param=param,
            code="invalid_value",
        )
    return invalid_request(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def _length(kind: str, param: str, value: Any, ctx: dict[str, Any]) -> APIError:
    what = "string" if isinstance(value, str) else "array"
    if kind == "too_short" and not value:
        return invalid_request(
            f"Invalid '{param}': empty {what}. Expected {'a' if what == 'string' else 'an'} {what} with minimum "
            f"length {ctx['min_length']}, but got an empty {what} instead.",
            param=param,
            code=f"empty_{what}",
        )
    limit, side, bound = (
        ("min_length", "below", "minimum") if kind == "too_short" else ("max_length", "above", "maximum")
    )
    article = "a" if what == "string" else "an"
    return invalid_request(
        f"Invalid '{param}': {what} too {'short' if kind == 'too_short' else 'long'}. Expected {article} {what} "
        f"with {bound} length {ctx[limit]}, but got {article} {what} with length {len(value)} instead.",
        param=param,
        code=f"{what}_{side}_{bound[:3]}_length",
    )


def invalid_type(expected: str, field: str | None = None) -> PydanticCustomError:
    """A type error for a validator to raise: "Invalid type for '<param>': expected ``expected`` ..."."""
    return PydanticCustomError("invalid_type", "expected {expected}", {"expected": expected, "field": field})


def invalid_choice(choices: tuple[str, ...], field: str | None = None) -> PydanticCustomError:
    """ "Invalid value: 'x'. Supported values are: ..." for a validator to raise."""
    return PydanticCustomError("invalid_choice", "not one of {choices}", {"choices": choices, "field": field})


def missing(field: str) -> PydanticCustomError:
    """ "Missing required parameter: '<param>.``field``'." for a validator to raise."""
    return PydanticCustomError("missing_required_parameter", "missing {field}", {"field": field})


def rule(code: str, message: str, *, field: str | None = None, status: int = 400) -> PydanticCustomError:
    """A check pydantic has no word for, in OpenAI's words; ``{param}`` in ``message`` names where.

    ``{parent}`` is the object holding ``field`` (the object validated, if no field).
    """
    return PydanticCustomError(
        "rule", "{message}", {"message": message, "code": code, "field": field, "status": status}
    )
