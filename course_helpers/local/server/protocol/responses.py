"""``POST /v1/responses``: the request, declared once.

``input`` is a string or a list of items: messages (text parts only),
earlier ``function_call`` items and ``function_call_output`` results. Function
tools are :mod:`.tools`'s; features a small text model cannot honour (other
tools, reasoning summaries, images) are declared, then refused by :func:`check_features` with a 400
naming them. ``text.format`` (JSON mode, JSON schemas) is :mod:`.structured`'s. ``reasoning.effort`` follows the model's profile (:mod:`.profiles`).
``previous_response_id`` and ``conversation`` name stored state (the server
looks them up, see :mod:`..response_store` and :mod:`..conversations`); here
only their form is checked, and that they do not come together.

>>> request = parse_responses({"model": "gpt-6-luna", "input": [{"role": "user", "content": "Hi"}]})
>>> request.input[0].role, request.input[0].text(), request.truncation
('user', 'Hi', 'disabled')
>>> parse_responses({"model": "gpt-6-luna", "input": "Hi", "conversation": {"id": "conv_1"}}).conversation_id
'conv_1'
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag

from ..errors import invalid_request
from .base import Decimal, Integer, JSONModel, RequestModel, StreamOptions, check_stream_options, is_off
from .content import (
    ChatModelName,
    TextPart,
    check_role,
    content_check,
    joined_text,
    string_or_list,
    text_part_check,
    unsupported,
)
from .errors import invalid_type, parse, rule
from .moderation_param import ModerationParam
from .profiles import check_responses
from .structured import FormatJSONObject, FormatText, TextFormat, mentions_json
from .tools import ResponsesTool, ResponsesToolChoice, choice_name

__all__ = [
    "UNSUPPORTED",
    "ConversationId",
    "ConversationRef",
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "InputItem",
    "InputMessage",
    "OutputMessage",
    "Reasoning",
    "ResponseId",
    "ResponsesCreateRequest",
    "check_features",
    "parse_responses",
]

# Parameters that change what the model must do; any value but an "off" one is a 400.
UNSUPPORTED = (
    "reasoning",
    "prompt",
    "image",
    "include",
    "context_management",
    "top_logprobs",
    "background_options",
    "access_programs",
    "background",
)


InputPart = Annotated[TextPart, text_part_check(("input_text",), "Send 'input_text' parts")]
OutputPart = Annotated[TextPart, text_part_check(("output_text",), "Send 'output_text' parts")]
InputContent = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[list[InputPart], Tag("<parts>")],
    Discriminator(string_or_list),
    content_check(),
]
OutputContent = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[list[OutputPart], Tag("<parts>")],
    Discriminator(string_or_list),
    content_check(),
]


class InputMessage(JSONModel):
    """A message item from the user, the developer or the system: ``input_text`` parts."""

    type: Literal["message"] = "message"
    role: Literal["user", "system", "developer"]
    id: str | None = None
    status: str | None = None
    content: InputContent = Field(None, validate_default=True)

    def text(self) -> str:
        return joined_text(self.content)


class OutputMessage(JSONModel):
    """An earlier assistant reply given back as input: ``output_text`` parts."""

    type: Literal["message"] = "message"
    role: Literal["assistant"]
    id: str | None = None
    status: str | None = None
    content: OutputContent = Field(None, validate_default=True)

    def text(self) -> str:
        return joined_text(self.content)


class FunctionCallItem(JSONModel):
    """An earlier ``function_call`` output item given back as input (as ``response.output`` holds it)."""

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: str | None = None
    status: str | None = None
    namespace: str | None = None
    caller: dict[str, Any] | None = None
    async_: bool | None = Field(None, alias="async")

    def text(self) -> str:
        return ""


class FunctionCallOutputItem(JSONModel):
    """A function's result: ``{"type": "function_call_output", "call_id", "output"}`` (text output)."""

    type: Literal["function_call_output"]
    call_id: str
    output: str
    id: str | None = None
    status: str | None = None
    name: str | None = None
    namespace: str | None = None
    caller: dict[str, Any] | None = None

    def text(self) -> str:
        return self.output


_ITEM_KINDS = ("message", "function_call", "function_call_output")


def _item_check(item: Any) -> Any:
    kind = item.get("type", "message") if isinstance(item, dict) else "message"
    if kind not in _ITEM_KINDS:
        raise rule(
            "unsupported_value",
            f"Unsupported input item type '{kind}' ({{parent}}): the local model takes messages, function calls "
            "and function call outputs only (no other tool calls or reasoning items).",
            field="type",
        )
    if kind == "message":
        check_role(item, ("user", "system", "developer", "assistant"))
    return item


def _item_kind(item: Any) -> str:
    kind = item.get("type", "message")
    if kind != "message":
        return f"<{kind}>"
    return "<output>" if item["role"] == "assistant" else "<input>"


InputItem = Annotated[
    Annotated[InputMessage, Tag("<input>")]
    | Annotated[OutputMessage, Tag("<output>")]
    | Annotated[FunctionCallItem, Tag("<function_call>")]
    | Annotated[FunctionCallOutputItem, Tag("<function_call_output>")],
    Discriminator(_item_kind),
    BeforeValidator(_item_check),
]


def _input_check(value: Any) -> Any:
    if not isinstance(value, (str, list)):
        raise invalid_type("a string or an array")
    return [{"role": "user", "content": value}] if isinstance(value, str) else value  # a string is one user message


def _prefixed(prefix: str) -> AfterValidator:
    """An id that must begin with ``prefix``, in OpenAI's words (seen in error logs for 'conv' and 'resp')."""

    def check(value: str) -> str:
        if not value.startswith(prefix):
            message = f"Invalid '{{param}}': '{value}'. Expected an ID that begins with '{prefix}'."
            raise rule("invalid_value", message)
        return value

    return AfterValidator(check)


class ConversationRef(JSONModel):
    """``conversation={"id": ...}``, the object form of a conversation's id."""

    id: Annotated[str, _prefixed("conv")]


def _string_or_object(value: Any) -> Any:
    if not isinstance(value, (str, dict)):
        raise invalid_type("a string or an object")
    return value


ResponseId = Annotated[str, _prefixed("resp")]
# ``conversation``: an id, or ``{"id": ...}`` (see ``ResponsesCreateRequest.conversation_id``)
ConversationId = Annotated[
    Annotated[str, _prefixed("conv"), Tag("<string>")] | Annotated[ConversationRef, Tag("<object>")],
    Discriminator(lambda value: "<string>" if isinstance(value, str) else "<object>"),
    BeforeValidator(_string_or_object),
]


class TextConfig(JSONModel):
    """``text``: the output format (text, JSON mode, a JSON schema) and verbosity (a GPT-5 setting)."""

    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class Reasoning(RequestModel):
    """``reasoning``: ``effort`` is checked against the model's profile; the local model honours no summary."""

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None
    mode: str | None = None
    context: Literal["auto", "current_turn", "all_turns"] | None = None


class ResponsesCreateRequest(RequestModel):
    """A ``POST /v1/responses`` body. Fields are in the order their mistakes are reported."""

    model: ChatModelName = Field(None, validate_default=True)
    input: Annotated[list[InputItem], Field(min_length=1), BeforeValidator(_input_check)]
    # stored state: the server looks these up (404 for an unknown conversation, 400 for a response)
    previous_response_id: ResponseId | None = None
    conversation: ConversationId | None = None
    store: bool = True  # as OpenAI: kept for retrieval and chaining unless store=false
    # function tools (protocol/tools.py): the reply may call them
    tools: list[ResponsesTool] | None = None
    tool_choice: ResponsesToolChoice | None = None
    parallel_tool_calls: bool | None = None
    # valid for OpenAI, refused by check_features unless off
    reasoning: Reasoning | None = None
    prompt: dict[str, Any] | None = None
    image: Any = None
    include: list[str] | None = None
    context_management: Any = None
    top_logprobs: Integer | None = Field(None, ge=0, le=20)
    background_options: Any = None
    access_programs: Any = None
    background: bool | None = None
    text: TextConfig | None = None
    max_tool_calls: Integer | None = Field(None, ge=1)
    # accepted and ignored, their types checked
    instructions: str | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_options: dict[str, Any] | None = None
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = None
    truncation: Literal["auto", "disabled"] = "disabled"
    metadata: dict[str, str] = Field(default_factory=dict)
    # what the engine does
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_output_tokens: Integer | None = Field(None, ge=16)
    temperature: Decimal = Field(1.0, ge=0.0, le=2.0)
    top_p: Decimal = Field(1.0, ge=0.0, le=1.0)
    # served by the local moderation classifier (server/request_moderation.py)
    moderation: ModerationParam | None = None

    @property
    def conversation_id(self) -> str | None:
        """The id of the conversation, whichever form it was given in."""
        return self.conversation.id if isinstance(self.conversation, ConversationRef) else self.conversation


def check_features(request: ResponsesCreateRequest, today: date | None = None) -> None:
    """The requested model's rules (:mod:`.profiles`), the rules between parameters, and the features
    the local model refuses (``UNSUPPORTED``).

    A reasoning model's ``reasoning.effort`` is accepted and has no effect: the local model does not
    reason. ``today`` is the date the model's shutdown is judged on (default: today).
    """
    profile = check_responses(request, today)
    if request.previous_response_id is not None and request.conversation is not None:
        # The wording OpenAI-compatible servers mirror (SGLang's router, among others); NOT CONFIRMED against
        # OpenAI itself, which may word it differently. The rule itself is the SDK's: "Cannot be used in
        # conjunction with `conversation`" (types/responses/response_create_params.py, previous_response_id).
        raise invalid_request(
            "Mutually exclusive parameters. Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            code="mutually_exclusive_parameters",
        )
    for param in UNSUPPORTED:
        value = getattr(request, param)
        if isinstance(value, Reasoning):
            if not value.model_fields_set:
                continue  # {} or only nulls: nothing asked
            if profile is not None and profile.reasoning:
                _check_reasoning(value)
                continue
        if not is_off(value):
            raise unsupported(param)
    if not request.tools and choice_name(request.tool_choice) not in ("none", "auto"):
        # Chat Completions' wording for a choice without tools: NOT CONFIRMED for Responses
        raise invalid_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    text_format = request.text.format if request.text is not None else None
    if request.tools and text_format is not None and not isinstance(text_format, FormatText):
        if choice_name(request.tool_choice) != "none":
            raise unsupported("text.format", "'text.format' together with 'tools' (send one of them)")
    if request.text is not None:
        if request.text.verbosity is not None:  # as in chat completions: a GPT-5 setting
            raise unsupported("text.verbosity", "verbosity (a GPT-5 setting)")
        texts = [item.text() for item in request.input] + [request.instructions or ""]
        if isinstance(request.text.format, FormatJSONObject) and not mentions_json(texts):
            # Chat Completions' rule and wording (see .structured), said of the input: NOT CONFIRMED for Responses
            raise invalid_request(
                "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
                "'json_object'.",
                param="input",
            )
    check_stream_options(request.stream_options, request.stream)


def _check_reasoning(reasoning: Reasoning) -> None:
    """What a reasoning model's ``reasoning`` asks beyond an effort: nothing the local model can honour."""
    if reasoning.summary is not None or reasoning.generate_summary is not None:
        param = "reasoning.summary" if reasoning.summary is not None else "reasoning.generate_summary"
        raise unsupported(param, "reasoning summaries (it does not reason)")
    if reasoning.mode not in (None, "standard"):
        raise unsupported("reasoning.mode", f"the reasoning mode {reasoning.mode!r} (it does not reason)")


def parse_responses(body: Any, today: date | None = None) -> ResponsesCreateRequest:
    """A Responses body checked as OpenAI checks it (for the model it names); raise APIError if invalid."""
    request = parse(ResponsesCreateRequest, body)
    check_features(request, today)
    return request
