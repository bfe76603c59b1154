"""``POST /v1/chat/completions``: the request, declared once.

Every parameter of the Chat Completions API (openai SDK 3.x) is a field here,
with its JSON type and range, in the order OpenAI reports mistakes. Function
tools are :mod:`.tools`'s; a history with tool calls and ``tool`` messages
is checked as OpenAI checks it (:func:`check_tool_history`). What a
135M-parameter text model cannot honour (audio, web search, ...) is declared too,
so its type is checked, and then refused by :func:`check_features` with a 400
that says so, never a silently different answer. ``response_format`` (JSON
mode, JSON schemas) is :mod:`.structured`'s; ``logit_bias`` is checked here.

>>> request = parse_chat_completion({"model": "gpt-6-luna", "reasoning_effort": "none", "temperature": 0,
...                                  "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]})
>>> request.messages[0].text(), request.temperature, request.n
('Hi', 0.0, 1)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, ValidationInfo, field_validator

from ..errors import invalid_request
from .base import Decimal, Integer, JSONModel, RequestModel, StreamOptions, check_stream_options, is_off
from .content import (
    UNSUPPORTED,
    ChatModelName,
    RefusalPart,
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
from .profiles import check_chat
from .structured import FormatJSONObject, FormatText, ResponseFormat, mentions_json
from .tools import ChatTool, ChatToolChoice, check_tools_given, choice_name

__all__ = [
    "AssistantMessage",
    "ChatCompletionRequest",
    "ChatMessage",
    "TextMessage",
    "ToolCall",
    "ToolMessage",
    "check_features",
    "check_tool_history",
    "parse_chat_completion",
]

_ALL_ROLES = ("system", "assistant", "user", "function", "tool", "developer")


# ------------------------------------------------------------------ content


_SEND_TEXT = 'Send text parts ({"type": "text", "text": ...})'
UserPart = Annotated[TextPart, text_part_check(("text",), _SEND_TEXT)]
AssistantPart = Annotated[
    Annotated[TextPart, Tag("<text>")] | Annotated[RefusalPart, Tag("<refusal>")],
    Discriminator(lambda part: "<refusal>" if part.get("type") == "refusal" else "<text>"),
    text_part_check(("text", "refusal"), _SEND_TEXT),
]
_NULL_CONTENT = "Invalid value for '{param}': expected a string or an array of text parts, got null."
UserContent = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[list[UserPart], Tag("<parts>")],
    Discriminator(string_or_list),
    content_check(_NULL_CONTENT),
]
AssistantContent = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[list[AssistantPart], Tag("<parts>")],
    Discriminator(string_or_list),
    content_check(_NULL_CONTENT),
]


# ------------------------------------------------------------------ messages


class TextMessage(JSONModel):
    """A ``system``, ``developer`` or ``user`` message: text only."""

    role: Literal["system", "developer", "user"]
    name: str | None = None
    content: UserContent = Field(None, validate_default=True)

    def text(self) -> str:
        return joined_text(self.content)


def _must_be_off(value: Any) -> Any:
    if not is_off(value):
        raise rule(
            "unsupported_value",
            "Unsupported value: '{param}'. The local model has no audio or legacy function calling "
            "(use 'tool_calls'), so assistant messages carry text content or tool calls.",
        )
    return value


Off = Annotated[Any, BeforeValidator(_must_be_off)]


class CalledFunction(JSONModel):
    """The function an earlier tool call called, and its arguments (a JSON string)."""

    name: str
    arguments: str


class ToolCall(JSONModel):
    """An earlier reply's tool call, as ``message.tool_calls[i]`` holds it."""

    id: str
    type: Literal["function"]
    function: CalledFunction


def _null_content_unless_calls(content: Any, info: ValidationInfo) -> Any:
    if content is None and info.data.get("tool_calls"):
        return None  # an assistant message that only calls tools
    return _assistant_content_check(content)


_assistant_content_check = content_check(_NULL_CONTENT).func


class AssistantMessage(JSONModel):
    """An earlier reply in the history: text, or tool calls (then ``content`` may be null).
    ``annotations`` comes back when a learner appends ``completion.choices[0].message`` itself
    (the SDK serializes the whole message); it is ignored."""

    role: Literal["assistant"]
    name: str | None = None
    tool_calls: list[ToolCall] | None = None  # checked before content: a tool-call message has null content
    function_call: Off = None
    audio: Off = None
    refusal: str | None = None
    annotations: Any = None
    content: Annotated[
        Annotated[str, Tag("<string>")]
        | Annotated[list[AssistantPart], Tag("<parts>")]
        | Annotated[None, Tag("<null>")],
        Discriminator(lambda content: "<null>" if content is None else string_or_list(content)),
        BeforeValidator(_null_content_unless_calls),
    ] = Field(None, validate_default=True)

    def text(self) -> str:
        return joined_text(self.content) if self.content is not None else ""


class ToolMessage(JSONModel):
    """A tool's result, answering the earlier call ``tool_call_id``."""

    role: Literal["tool"]
    name: str | None = None  # not in the SDK's type, but sent by code that OpenAI accepts (the SDK reference's)
    content: UserContent = Field(None, validate_default=True)
    tool_call_id: str

    def text(self) -> str:
        return joined_text(self.content)


def _message_check(message: Any) -> Any:
    role = check_role(message, _ALL_ROLES)
    if role == "function":
        raise rule(
            "unsupported_value",
            "Messages with role 'function' ({parent}) are not supported: the local model has no legacy "
            "function calling. Use 'tools', and messages with role 'tool' for their results.",
            field="role",
        )
    return message


def _message_kind(message: Any) -> str:
    return {"assistant": "<assistant>", "tool": "<tool>"}.get(message["role"], "<text>")


ChatMessage = Annotated[
    Annotated[TextMessage, Tag("<text>")]
    | Annotated[AssistantMessage, Tag("<assistant>")]
    | Annotated[ToolMessage, Tag("<tool>")],
    Discriminator(_message_kind),
    BeforeValidator(_message_check),
]


# ------------------------------------------------------------------ the request

MAX_LOGIT_BIAS = 100  # a bias is -100..100: "values like -100 or 100 should result in a ban or exclusive selection"


def _logit_bias_check(bias: Any) -> Any:
    """Keys are token ids written as strings of digits, values numbers from -100 to 100.

    The key's wording is OpenAI's (https://github.com/OkGoDoIt/OpenAI-API-dotnet/issues/163, param
    'logit_bias', code null); the value's is NOT CONFIRMED. Ids past the vocabulary are checked by the
    server once it knows the serving model (:func:`check_token_ids`).
    """
    if not isinstance(bias, dict):
        return bias  # the type error is pydantic's
    for key, value in bias.items():
        if not key.isdigit() or not key.isascii():
            raise rule(
                "invalid_value",
                f"Invalid key in '{{param}}': {key}. You should only be submitting non-negative integers.",
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_LOGIT_BIAS:
            raise rule(
                "invalid_value",
                f"Invalid value in '{{param}}': {value} for token {key}. "
                f"Expected a value between -{MAX_LOGIT_BIAS} and {MAX_LOGIT_BIAS}.",
            )
    return bias


class ChatCompletionRequest(RequestModel):
    """A ``POST /v1/chat/completions`` body. Fields are in the order their mistakes are reported."""

    SCHEMA_CHECKED: ClassVar[tuple[str, ...]] = ("messages",)

    messages: list[ChatMessage] = Field(min_length=1)
    model: ChatModelName = Field(None, validate_default=True)
    # function tools (protocol/tools.py): the reply may call them
    tools: list[ChatTool] | None = None
    tool_choice: ChatToolChoice | None = None
    parallel_tool_calls: bool | None = None
    # valid for OpenAI, refused by check_features unless off
    functions: list[Any] | None = None
    function_call: Any = None
    audio: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    web_search_options: dict[str, Any] | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    response_format: ResponseFormat | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    # accepted and ignored, their types checked
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = None
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    prompt_cache_options: dict[str, Any] | None = None
    # what the engine does
    stream: bool = False
    stream_options: StreamOptions | None = None
    logprobs: bool = False
    top_logprobs: Integer | None = Field(None, ge=0, le=20)
    max_tokens: Integer | None = Field(None, ge=1)
    max_completion_tokens: Integer | None = Field(None, ge=1)
    temperature: Decimal = Field(1.0, ge=0.0, le=2.0)
    top_p: Decimal = Field(1.0, ge=0.0, le=1.0)
    stop: list[str] = Field(default_factory=list)  # a string is a list of one
    seed: Integer | None = Field(None, ge=-(2**63), le=2**63 - 1)
    presence_penalty: Decimal = Field(0.0, ge=-2.0, le=2.0)
    frequency_penalty: Decimal = Field(0.0, ge=-2.0, le=2.0)
    n: Integer = Field(1, ge=1, le=128)
    # structured outputs and token biases: the grammar mask and logit_bias steps of the sampler
    logit_bias: Annotated[dict[str, Decimal], BeforeValidator(_logit_bias_check)] | None = None
    # served by the local moderation classifier (server/request_moderation.py)
    moderation: ModerationParam | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_list(cls, stop: Any) -> Any:
        if isinstance(stop, str):
            return [stop]
        if not isinstance(stop, list):
            raise invalid_type("a string or an array of strings")
        if len(stop) > 4:
            raise rule(
                "array_above_max_length",
                f"Invalid '{{param}}': array too long. Expected an array with maximum length 4, "
                f"but got an array with length {len(stop)} instead.",
            )
        return stop


def check_features(request: ChatCompletionRequest, today: date | None = None) -> None:
    """The requested model's rules (:mod:`.profiles`), the rules between parameters, and the features
    the local model refuses (``UNSUPPORTED``).

    A reasoning model's ``reasoning_effort`` is accepted and has no effect: the local model does not reason.
    ``today`` is the date the model's shutdown is judged on (default: today).
    """
    profile = check_chat(request, today)
    accepted = {"reasoning_effort"} if profile is not None and profile.reasoning else set()
    for param in UNSUPPORTED:
        if param not in accepted and not _is_empty(getattr(request, param)):
            raise unsupported(param)
    check_tools_given(request.tools, request.tool_choice, request.parallel_tool_calls)
    if request.tools and request.response_format is not None and choice_name(request.tool_choice) != "none":
        if not isinstance(request.response_format, FormatText):
            raise unsupported("response_format", "'response_format' together with 'tools' (send one of them)")
    check_tool_history(request.messages)
    if isinstance(request.response_format, FormatJSONObject) and not mentions_json(
        [message.text() for message in request.messages]
    ):
        raise invalid_request(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            param="messages",
        )
    if request.modalities and "audio" in request.modalities:
        raise unsupported("audio")
    check_stream_options(request.stream_options, request.stream)
    if request.top_logprobs is not None and not request.logprobs:
        raise invalid_request(
            "Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            param="top_logprobs",
            code="invalid_value",
        )


def check_tool_history(messages: list[Any]) -> None:
    """Tool messages answer the calls of the assistant message just before them, every call once, as OpenAI checks.

    Wording (third-party reports of live errors): "messages with role 'tool' must be a response to a preceeding
    message with 'tool_calls'" (https://github.com/smarter-sh/smarter/issues/264, param 'messages.[4].role',
    code null); "An assistant message with 'tool_calls' must be followed by tool messages responding to each
    'tool_call_id'..." (https://github.com/router-for-me/CLIProxyAPI/issues/2798, param 'messages.[6].role': which
    message that index names is NOT CONFIRMED, here the first one that is not an answer). A tool_call_id that no
    call has: NOT CONFIRMED wording.
    """
    waiting: list[str] = []  # ids of the last assistant message's calls not answered yet
    calls: set[str] = set()
    for index, message in enumerate(messages):
        if message.role == "tool":
            if not calls:
                raise invalid_request(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                    "'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            if message.tool_call_id not in calls:
                raise invalid_request(
                    f"Invalid parameter: 'tool_call_id' of '{message.tool_call_id}' not found in 'tool_calls' of "
                    "previous message.",
                    param=f"messages.[{index}].tool_call_id",
                )
            if message.tool_call_id in waiting:
                waiting.remove(message.tool_call_id)
            continue
        _check_answered(waiting, index)
        calls = {call.id for call in message.tool_calls or []} if message.role == "assistant" else set()
        waiting = [call.id for call in message.tool_calls or []] if message.role == "assistant" else []
    _check_answered(waiting, len(messages) - 1)


def _check_answered(waiting: list[str], index: int) -> None:
    if waiting:
        raise invalid_request(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(waiting)}",
            param=f"messages.[{index}].role",
        )


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def parse_chat_completion(body: Any, today: date | None = None) -> ChatCompletionRequest:
    """A chat completions body checked as OpenAI checks it (for the model it names); raise APIError if invalid.

    >>> parse_chat_completion({"model": "gpt-5.4", "messages": [{"role": "user", "content": "x"}],
    ...                        "top_logprobs": 3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid 'top_logprobs': 'logprobs' must be set to true ...
    """
    request = parse(ChatCompletionRequest, body)
    check_features(request, today)
    return request
