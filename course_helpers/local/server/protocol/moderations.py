"""``POST /v1/moderations``: the request, declared once.

``input`` is a string, a list of strings (one result each), or a list of
content parts that make one message; image parts get a 400 (the local
moderation model reads text only).

>>> parse_moderation({"input": [{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}]}).texts()
['hi\\nthere']
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag

from .base import JSONModel, RequestModel
from .errors import invalid_type, parse, rule

__all__ = [
    "DEFAULT_MODEL",
    "MAX_INPUTS",
    "MODERATION_MODELS",
    "ModerationRequest",
    "parse_moderation",
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
_TEXT_ONLY = (
    "The local moderation model reads text only, so image inputs are not supported. "
    "Send the text parts only (or use the OpenAI API for images)."
)


def _part_check(part: Any) -> Any:
    if not isinstance(part, dict):
        raise invalid_type("an object")
    kind = part.get("type")
    if kind == "image_url":
        raise rule("invalid_value", _TEXT_ONLY)
    if kind != "text":
        raise rule(
            "invalid_value",
            f"Invalid value for '{{param}}': expected 'text' or 'image_url', but got {kind!r}.",
            field="type",
        )
    return part


class ModerationTextPart(JSONModel, extra="ignore"):
    type: Literal["text"]
    text: str = Field(None, validate_default=True)  # absent: "expected a string, but got null"


def _input_check(value: Any) -> Any:
    if not isinstance(value, (str, list)):
        raise invalid_type("a string or an array")
    return value


def _input_kind(value: Any) -> str:
    if isinstance(value, str):
        return "<text>"
    return "<texts>" if any(isinstance(item, str) for item in value) else "<parts>"


def _moderation_model(model: str) -> str:
    if model not in MODERATION_MODELS:
        raise rule(
            "model_not_found",
            f"The model '{model}' does not exist or is not a moderation model. "
            f"The local server offers: {', '.join(MODERATION_MODELS)}.",
            status=404,
        )
    return model


ModerationInput = Annotated[
    Annotated[str, Tag("<text>")]
    | Annotated[list[str], Field(min_length=1, max_length=MAX_INPUTS), Tag("<texts>")]
    | Annotated[
        list[Annotated[ModerationTextPart, BeforeValidator(_part_check)]],
        Field(min_length=1, max_length=MAX_INPUTS),
        Tag("<parts>"),
    ],
    Discriminator(_input_kind),
    BeforeValidator(_input_check),
]


class ModerationRequest(RequestModel):
    """A ``POST /v1/moderations`` body."""

    model: Annotated[str, AfterValidator(_moderation_model)] = DEFAULT_MODEL
    input: ModerationInput

    def texts(self) -> list[str]:
        """The messages to score, one per result."""
        if isinstance(self.input, str):
            return [self.input]
        if all(isinstance(item, str) for item in self.input):
            return list(self.input)  # type: ignore[arg-type]
        # A list of content parts describes one message (text and, for OpenAI, images).
        return ["\n".join(part.text for part in self.input)]  # type: ignore[union-attr]


def parse_moderation(body: Any) -> ModerationRequest:
    """A moderations body checked as OpenAI checks it; raise APIError if invalid."""
    return parse(ModerationRequest, body)
