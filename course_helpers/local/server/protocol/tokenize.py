"""``POST /tokenize`` and ``POST /detokenize``: vLLM's requests, declared once.

``logit_bias`` takes the serving model's token ids; vLLM's server gives them
at its root (not under ``/v1``), and so does this one, with vLLM's shapes
(``vllm/entrypoints/openai/protocol.py``: ``TokenizeCompletionRequest``,
``TokenizeChatRequest``, ``DetokenizeRequest``)::

    POST /tokenize    {"model": ..., "prompt": "Paris"}       -> {"count", "max_model_len", "tokens", "token_strs"}
    POST /tokenize    {"model": ..., "messages": [...]}       -> the same, for the chat prompt
                      (with "tools": the prompt with the tool list, as a request with tools renders it)
    POST /detokenize  {"model": ..., "tokens": [...]}         -> {"prompt": "..."}

>>> parse_tokenize({"prompt": "Paris"}).prompt
'Paris'
>>> parse_tokenize({"messages": [{"role": "user", "content": "Hi"}]}).add_generation_prompt
True
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..errors import invalid_request
from .base import Integer, RequestModel
from .chat import ChatMessage
from .errors import parse
from .tools import ChatTool

__all__ = [
    "DetokenizeRequest",
    "TokenizeChatRequest",
    "TokenizePromptRequest",
    "check_ids",
    "parse_detokenize",
    "parse_tokenize",
]


class TokenizePromptRequest(RequestModel):
    """Text to tokenize as it is (special tokens such as ``<|im_end|>`` written in it are recognised)."""

    model: str | None = None  # any name: the one local model tokenizes
    prompt: str
    add_special_tokens: bool = True  # SmolLM2 adds none (no BOS): accepted, no effect
    return_token_strs: bool = False


class TokenizeChatRequest(RequestModel):
    """Chat messages to tokenize as the chat template renders them (contents as plain text)."""

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[ChatTool] | None = None  # as vLLM takes them: the tool list goes into the prompt
    add_generation_prompt: bool = True  # end where the assistant's reply begins, as a chat request does
    add_special_tokens: bool = False  # accepted, no effect (as above)
    return_token_strs: bool = False


class DetokenizeRequest(RequestModel):
    """Token ids to turn back into text."""

    model: str | None = None
    tokens: list[Integer]


def parse_tokenize(body: Any) -> TokenizePromptRequest | TokenizeChatRequest:
    """A ``/tokenize`` body, with ``prompt`` or with ``messages``; raise APIError if invalid."""
    if isinstance(body, dict) and "messages" in body:
        if "prompt" in body:
            raise invalid_request("Send either 'prompt' or 'messages', not both.", param="prompt")
        return parse(TokenizeChatRequest, body)
    return parse(TokenizePromptRequest, body)


def parse_detokenize(body: Any) -> DetokenizeRequest:
    """A ``/detokenize`` body; raise APIError if invalid (ids outside the vocabulary: see :func:`check_ids`)."""
    return parse(DetokenizeRequest, body)


def check_ids(tokens: list[int], vocab_size: int) -> None:
    """Every id must be one of the model's (0 to ``vocab_size - 1``); the first that is not is a 400.

    >>> check_ids([5, 49152], 49152)
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid 'tokens[1]': 49152 is not a token id of this model (0 to 49151).
    """
    for index, token in enumerate(tokens):
        if not 0 <= token < vocab_size:
            raise invalid_request(
                f"Invalid 'tokens[{index}]': {token} is not a token id of this model (0 to {vocab_size - 1}).",
                param=f"tokens[{index}]",
                code="invalid_value",
            )
