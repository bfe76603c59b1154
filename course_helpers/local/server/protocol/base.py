"""The field types and base models every endpoint's request is declared with.

JSON as OpenAI reads it: no coercion (``"2"`` is not 2, ``1`` is not
``true``), but ``2.0`` is an integer and an integer is a decimal; ``null``
means "not given" (the default applies); an unknown key is a 400.

>>> from pydantic import Field
>>> class Body(RequestModel):
...     n: Integer = Field(1, ge=1, le=128)
...     temperature: Decimal = Field(1.0, ge=0.0, le=2.0)
>>> Body.model_validate({"n": 2.0, "temperature": None})
Body(n=2, temperature=1.0)
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict, model_validator
from pydantic_core import PydanticKnownError

from ..errors import invalid_request
from .errors import invalid_choice

__all__ = [
    "Decimal",
    "Integer",
    "JSONModel",
    "RequestModel",
    "StreamOptions",
    "check_stream_options",
    "is_off",
    "one_of",
]


def _integral(value: Any) -> Any:
    """``2.0`` counts as the integer 2, as for OpenAI; ``2.5`` stays a (wrong) decimal."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _as_float(value: Any) -> Any:
    """An integer is a decimal; one too large for a float (``1e999``, ``10**400``) is not a finite number."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            raise PydanticKnownError("finite_number") from None
    if isinstance(value, float) and not math.isfinite(value):  # before the range check, which would say "inf"
        raise PydanticKnownError("finite_number")
    return value


# Range bounds are declared as ``Field(ge=1)`` for an Integer and ``Field(ge=0.0)`` for a Decimal: the
# bound's type is how the error translator words "integer below minimum value" or "decimal ...".
Integer = Annotated[int, Strict(), BeforeValidator(_integral)]
Decimal = Annotated[float, Strict(), BeforeValidator(_as_float)]


def one_of(choices: Collection[str]) -> AfterValidator:
    """A string that must be one of ``choices`` (for choices known at run time; else use ``Literal``)."""
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise invalid_choice(allowed)
        return value

    return AfterValidator(check)


def is_off(value: Any) -> bool:
    """Not given, or given as its "off" value (``[]``, ``{}``, ``false``, ``0``)."""
    return value is None or value is False or value == 0 or value == [] or value == {}


class JSONModel(BaseModel):
    """An object of a request body: strict JSON types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RequestModel(JSONModel):
    """A whole request body, or an options object in it: ``null`` means "not given"."""

    # Top-level parameters whose objects OpenAI checks with a JSON schema (see errors.openai_error).
    SCHEMA_CHECKED: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class StreamOptions(RequestModel):
    """``stream_options`` (chat and responses): only with ``stream=true``, see :func:`check_stream_options`."""

    include_usage: bool = False
    include_obfuscation: bool | None = None


def check_stream_options(stream_options: StreamOptions | None, stream: bool) -> None:
    """``stream_options`` without ``stream=true`` is a 400, as for OpenAI."""
    if stream_options is not None and not stream:
        raise invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
