"""Checking a ``POST /v1/chat/completions`` body, as strictly as the OpenAI API does.

The request is declared in :mod:`.protocol.chat` (every parameter the API
knows, with its type and range, and every message shape); this module turns
a checked request into what the engine needs (with tools, the messages as
``tool_calls.py`` renders them: the tool list, earlier calls and results in
the prompt, and a grammar for the reply). A learner who sends
``temperature=5`` or ``top_logprobs=50`` gets the same 400 (and the same
``param``) as from OpenAI. Parameters that are valid for OpenAI but that a
135M-parameter text model cannot honour (audio output, web search, ...)
get a 400 that says so, never a silently different answer. A
``response_format`` becomes the engine's :class:`~..constraints.Constraint`
(its schema checked first, see :mod:`.protocol.structured`).

>>> request = parse_chat_request({"model": "gpt-6-luna", "reasoning_effort": "none",
...                               "messages": [{"role": "user", "content": "Hi"}],
...                               "temperature": 0})
>>> request.messages, request.sampling.temperature, request.n
([{'role': 'user', 'content': 'Hi'}], 0.0, 1)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ..constraints import Constraint
from ..sampling_params import SamplingParams
from ..tool_calls import render_tool_messages
from .errors import invalid_request
from .protocol.chat import ChatCompletionRequest, parse_chat_completion
from .protocol.moderation_param import ModerationParam
from .protocol.structured import constraint_for
from .protocol.tools import choice_name, function_specs, tools_constraint

__all__ = [
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "ChatRequest",
    "check_token_ids",
    "output_limit",
    "parse_chat_request",
    "plain_message",
]

# A reply without a requested limit stops here, with finish_reason "length" (Responses: status "incomplete"),
# as an OpenAI model stops at its own maximum output. Without it, a reply that starts repeating itself runs
# until the 8,192-token context is full: minutes on one CPU. An explicit limit, even a larger one, is honoured.
DEFAULT_MAX_OUTPUT_TOKENS = 1024


def output_limit(requested: int | None) -> int:
    """The most tokens a reply may have: the request's limit, or :data:`DEFAULT_MAX_OUTPUT_TOKENS`.

    >>> output_limit(None), output_limit(5), output_limit(4000)
    (1024, 5, 4000)
    """
    return DEFAULT_MAX_OUTPUT_TOKENS if requested is None else requested


@dataclass
class ChatRequest:
    """A checked chat request: plain messages, sampling settings, streaming options.

    ``sampling`` holds exactly the keyword arguments of the engine's
    ``SamplingParams``.
    """

    model: str
    messages: list[dict[str, str]]
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    sampling: SamplingParams = field(default_factory=SamplingParams)
    moderation: ModerationParam | None = None  # the ``moderation`` parameter, if given
    calls_tools: bool = False  # the reply may call tools: read it for a <tool_call> block (tool_calls.py)


def sampling_params(request: ChatCompletionRequest, tools: Constraint | None = None) -> SamplingParams:
    """The engine's sampling settings from a checked request (``tools``: the tool-call grammar, if any)."""
    max_tokens = request.max_completion_tokens if request.max_completion_tokens is not None else request.max_tokens
    return SamplingParams(
        temperature=request.temperature,
        top_p=request.top_p,
        max_tokens=output_limit(max_tokens),
        stop=tuple(item for item in request.stop if item),  # an empty stop string would end every reply at once
        seed=request.seed,
        logprobs=request.logprobs,
        top_logprobs=request.top_logprobs or 0,
        presence_penalty=request.presence_penalty,
        frequency_penalty=request.frequency_penalty,
        logit_bias={int(token): bias for token, bias in (request.logit_bias or {}).items()},
        constraint=tools or constraint_for(request.response_format, "response_format"),
    )


def plain_message(message: Any) -> dict[str, Any]:
    """A checked message as ``render_tool_messages`` reads it: role, text, and its tool calls or call id."""
    plain: dict[str, Any] = {"role": message.role, "content": message.text()}
    if message.role == "assistant" and message.tool_calls:
        plain["tool_calls"] = [call.model_dump() for call in message.tool_calls]
    if message.role == "tool":
        plain["tool_call_id"] = message.tool_call_id
    return plain


def check_token_ids(sampling: SamplingParams, vocab_size: int) -> None:
    """``logit_bias``'s token ids must be the serving model's (0 to ``vocab_size`` - 1), as OpenAI words it.

    Wording: https://github.com/openai/openai-python/issues/572 ("Invalid key in 'logit_bias': 100265.
    Maximum value is 100257.", param 'logit_bias', code null).

    >>> check_token_ids(SamplingParams(logit_bias={49152: 5.0}), 49152)
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid key in 'logit_bias': 49152. Maximum value is 49151.
    """
    for token in sampling.logit_bias:
        if token >= vocab_size:
            raise invalid_request(
                f"Invalid key in 'logit_bias': {token}. Maximum value is {vocab_size - 1}.", param="logit_bias"
            )


def parse_chat_request(body: dict[str, Any], today: datetime.date | None = None) -> ChatRequest:
    """Check a chat completions body and return what the engine needs; raise APIError if invalid.

    ``today`` is the date the model's shutdown is judged on (default: today).

    >>> parse_chat_request({"model": "gpt-5.4", "messages": [{"role": "user", "content": "x"}], "n": "2"})
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid type for 'n': expected an integer, but got a string instead.
    """
    request = parse_chat_completion(body, today)
    specs = function_specs([tool.function for tool in request.tools or []], "tools[{index}].function.parameters")
    choice = choice_name(request.tool_choice)
    tools = tools_constraint(specs, choice, request.parallel_tool_calls) if specs else None
    return ChatRequest(
        model=request.model,
        messages=render_tool_messages([plain_message(message) for message in request.messages], specs, choice),
        n=request.n,
        stream=request.stream,
        include_usage=request.stream_options is not None and request.stream_options.include_usage,
        sampling=sampling_params(request, tools),
        moderation=request.moderation,
        calls_tools=tools is not None,
    )
