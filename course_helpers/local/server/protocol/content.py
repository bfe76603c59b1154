"""What the chat and Responses requests share: message content, roles, the model name, refusals.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(ChatModelName).validate_python("gpt-6-luna")
'gpt-6-luna'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from ..errors import APIError, invalid_request
from ..models import non_chat_model_reason
from .base import JSONModel
from .errors import invalid_choice, invalid_type, missing, rule

__all__ = [
    "NOT_TEXT_PARTS",
    "UNSUPPORTED",
    "ChatModelName",
    "RefusalPart",
    "TextPart",
    "check_role",
    "content_check",
    "joined_text",
    "string_or_list",
    "text_part_check",
    "unsupported",
]

NOT_TEXT_PARTS = ("image_url", "input_audio", "file", "input_image", "input_file")  # parts the local model cannot read
# Chat parameters the API knows but the local model cannot honour, and why: any value but an "off" one
# is a 400. A model profile that supports one of them (a later model) is this table minus that name.
UNSUPPORTED = {
    "functions": "legacy function calling (use 'tools')",
    "function_call": "legacy function calling (use 'tool_choice')",
    "audio": "audio output",
    "prediction": "predicted outputs",
    "web_search_options": "web search",
    "reasoning_effort": "reasoning_effort (it is not a reasoning model)",
    "verbosity": "verbosity (a GPT-5 parameter)",
}


def unsupported(param: str, what: str | None = None) -> APIError:
    """The 400 for a valid OpenAI parameter that the local model cannot honour (``what`` it is for).

    >>> unsupported("tools").code
    'unsupported_parameter'
    """
    what = what or UNSUPPORTED.get(param, f"'{param}'")
    return invalid_request(
        f"Unsupported parameter: '{param}'. The local model (a small text-only chat model) "
        f"does not support {what}. Remove '{param}', or use the OpenAI backend for this feature.",
        param=param,
        code="unsupported_parameter",
    )


def _model_given(model: Any) -> Any:
    if model is None or model == "":
        raise rule("missing_required_parameter", "You must provide a model parameter.")
    return model


def _chat_model(model: str) -> str:
    reason = non_chat_model_reason(model)
    if reason:
        raise rule("model_not_found", reason, status=404)
    return model


# A chat model's name (any name but those of other endpoints' models); absent or "" in OpenAI's own words.
ChatModelName = Annotated[str, BeforeValidator(_model_given), AfterValidator(_chat_model)]


def text_part_check(allowed: tuple[str, ...], send: str):
    """A content part's ``type`` checked before its fields: ``allowed`` types, or why not."""

    def check(part: Any) -> Any:
        if not isinstance(part, dict):
            raise invalid_type("an object")
        kind = part.get("type")
        if kind in NOT_TEXT_PARTS:
            raise rule(
                "unsupported_value",
                f"Invalid content part '{{param}}' of type '{kind}': the local model reads text only. "
                f"{send}, or use the OpenAI backend for images, audio and files.",
            )
        if kind not in allowed:
            raise rule(
                "invalid_value",
                f"Invalid value: {kind!r}. Supported values are: {', '.join(repr(t) for t in allowed)}.",
                field="type",
            )
        return part

    return BeforeValidator(check)


class TextPart(JSONModel, extra="ignore"):
    """``{"type": "text", "text": ...}`` (also ``input_text``, ``output_text`` in the Responses API)."""

    type: str
    text: str = Field(None, validate_default=True)  # absent: "expected a string, got null"


class RefusalPart(JSONModel, extra="ignore"):
    """``{"type": "refusal", "refusal": ...}``: an assistant's earlier refusal, read as its text."""

    type: Literal["refusal"]
    refusal: str = Field(None, validate_default=True)

    @property
    def text(self) -> str:
        return self.refusal


def content_check(null_message: str | None = None):
    """A message's ``content``: a string or a list; null is ``null_message`` (an invalid value) if given."""

    def check(content: Any) -> Any:
        if content is None and null_message:
            raise rule("invalid_value", null_message)
        if not isinstance(content, (str, list)):
            raise invalid_type("a string or an array")
        return content

    return BeforeValidator(check)


def string_or_list(content: Any) -> str:
    return "<string>" if isinstance(content, str) else "<parts>"


def joined_text(content: str | list[Any]) -> str:
    """The text of a message's content: the string, or its parts' texts joined."""
    return content if isinstance(content, str) else "".join(part.text for part in content)


def check_role(item: Any, roles: tuple[str, ...]) -> str:
    """The ``role`` of a message object, one of ``roles``, checked before the message's other fields."""
    if not isinstance(item, dict):
        raise invalid_type("an object")
    role = item.get("role")
    if role is None:
        raise missing("role")
    if not isinstance(role, str):
        raise invalid_type("a string", field="role")
    if role not in roles:
        raise invalid_choice(roles, field="role")
    return role
