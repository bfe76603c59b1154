"""Building chat completion responses and stream chunks in the exact OpenAI shapes.

The openai SDK validates every field of a ``ChatCompletion`` and of each
``ChatCompletionChunk`` (with ``_strict_response_validation=True`` it rejects
anything missing or mistyped), so these functions write the same JSON the
OpenAI API writes, field for field.

>>> usage(prompt_tokens=10, completion_tokens=3)["total_tokens"]
13
>>> logprob_json(-float("inf"))
-9999.0
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from ..tool_calls import CallPiece, ToolCallScanner

__all__ = [
    "ChoiceState",
    "chunk",
    "completion",
    "delta_choice",
    "logprob_entry_json",
    "logprob_json",
    "new_call_id",
    "new_completion_id",
    "tool_call_delta",
    "usage",
]


def new_completion_id() -> str:
    """A fresh ``chatcmpl-...`` id, like OpenAI's.

    >>> new_completion_id().startswith("chatcmpl-")
    True
    """
    return "chatcmpl-" + secrets.token_urlsafe(21).replace("-", "a").replace("_", "b")


def logprob_json(value: float) -> float:
    """A log-probability as JSON allows it: OpenAI writes -9999.0 for "impossible"."""
    value = float(value)
    return value if math.isfinite(value) else -9999.0


def _bytes_json(raw: Any) -> list[int] | None:
    return None if raw is None else [int(b) for b in raw]


def logprob_entry_json(entry: Any) -> dict[str, Any]:
    """One ``ChatCompletionTokenLogprob`` from the engine's LogprobEntry.

    >>> from types import SimpleNamespace as S
    >>> logprob_entry_json(S(token="Hi", bytes=b"Hi", logprob=-0.5,
    ...     top_logprobs=[S(token="Hi", bytes=b"Hi", logprob=-0.5)]))["bytes"]
    [72, 105]
    """
    return {
        "token": entry.token,
        "bytes": _bytes_json(entry.bytes),
        "logprob": logprob_json(entry.logprob),
        "top_logprobs": [
            {"token": top.token, "bytes": _bytes_json(top.bytes), "logprob": logprob_json(top.logprob)}
            for top in entry.top_logprobs
        ],
    }


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """The ``usage`` object, with the details objects the API always includes.

    ``completion_tokens_details.reasoning_tokens`` is always 0: the local model does not reason, even when
    a reasoning model's ``reasoning_effort`` was accepted. The streamed usage chunk uses this object too.
    """
    return {
        "prompt_tokens": int(prompt_tokens),
        "completion_tokens": int(completion_tokens),
        "total_tokens": int(prompt_tokens) + int(completion_tokens),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def new_call_id() -> str:
    """A fresh tool call id, ``call_`` and 24 letters and digits, like OpenAI's.

    >>> len(new_call_id()), new_call_id().startswith("call_")
    (29, True)
    """
    return "call_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(24))


_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class ChoiceState:
    """What one choice (of ``n``) has produced so far: text or tool calls, logprobs, finish reason.

    With ``tools``, the reply is read for a ``<tool_call>`` block as it comes
    (:class:`~course_helpers.local.tool_calls.ToolCallScanner`): ``read``
    returns the pieces each new text completes, and a reply that called tools
    has ``content`` null, its ``tool_calls``, and ``finish_reason`` "tool_calls".

    >>> state = ChoiceState(index=0, logprobs=False)
    >>> _ = state.read("Hello"); state.finish_reason = "stop"
    >>> state.as_choice()["message"]["content"]
    'Hello'
    """

    def __init__(self, index: int, logprobs: bool, tools: bool = False) -> None:
        self.index = index
        self.logprobs = logprobs
        self.text_parts: list[str] = []
        self.logprob_entries: list[dict[str, Any]] = []
        self.finish_reason: str | None = None
        self.scanner = ToolCallScanner() if tools else None
        self.call_ids: list[str] = []

    def read(self, text: str, last: bool = False) -> list[CallPiece]:
        """The pieces ``text`` completes (``last``: the reply ended, nothing more is held back)."""
        if self.scanner is None:
            pieces = [CallPiece("text", text)] if text else []
        else:
            pieces = self.scanner.feed(text) + (self.scanner.finish() if last else [])
        for piece in pieces:
            if piece.kind == "text":
                self.text_parts.append(piece.text)
            elif piece.kind == "call":
                self.call_ids.append(new_call_id())
        return pieces

    @property
    def final_reason(self) -> str:
        """The ``finish_reason``: "tool_calls" for a reply that called tools and ended by itself."""
        reason = self.finish_reason or "stop"
        return "tool_calls" if self.call_ids and reason == "stop" else reason

    def tool_calls(self) -> list[dict[str, Any]]:
        """The ``message.tool_calls`` of the reply (empty if it called none)."""
        calls = self.scanner.calls if self.scanner is not None else []
        return [
            {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call_id, call in zip(self.call_ids, calls, strict=True)
        ]

    def as_choice(self) -> dict[str, Any]:
        """The ``choices[i]`` object of a non-streamed completion."""
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.text_parts), "refusal": None}
        if self.call_ids:
            message["content"] = None
            message["tool_calls"] = self.tool_calls()
        message["annotations"] = []
        return {
            "index": self.index,
            "message": message,
            "logprobs": {"content": self.logprob_entries, "refusal": None} if self.logprobs else None,
            "finish_reason": self.final_reason,
        }


def completion(
    completion_id: str,
    model: str,
    fingerprint: str,
    choices: list[ChoiceState],
    prompt_tokens: int,
    completion_tokens: int,
    created: int | None = None,
) -> dict[str, Any]:
    """A whole ``ChatCompletion`` (``object: "chat.completion"``)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [choice.as_choice() for choice in choices],
        "usage": usage(prompt_tokens, completion_tokens),
        "service_tier": "default",
        "system_fingerprint": fingerprint,
    }


def chunk(
    completion_id: str,
    model: str,
    fingerprint: str,
    created: int,
    choices: list[dict[str, Any]],
    include_usage: bool,
    usage_object: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``ChatCompletionChunk`` (``object: "chat.completion.chunk"``).

    With ``stream_options.include_usage`` every chunk carries ``usage``:
    null, except on the last one, whose ``choices`` is empty.

    >>> chunk("chatcmpl-1", "m", "fp", 0, [], include_usage=True, usage_object=usage(1, 1))["choices"]
    []
    """
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": fingerprint,
        "choices": choices,
    }
    if include_usage:
        body["usage"] = usage_object
    return body


def delta_choice(
    index: int,
    delta: dict[str, Any],
    logprob_entries: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
) -> dict[str, Any]:
    """One entry of a chunk's ``choices``: a delta, its logprobs, maybe a finish reason.

    >>> delta_choice(0, {"content": "Hi"})["logprobs"] is None
    True
    """
    logprobs = None if logprob_entries is None else {"content": logprob_entries, "refusal": None}
    return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}


def tool_call_delta(state: ChoiceState, piece: CallPiece) -> dict[str, Any]:
    """The chunk ``delta`` for a piece of a tool call, as OpenAI streams it: the call's first delta has its
    ``index``, ``id``, ``type`` and ``function.name`` (arguments ""), the next ones ``index`` and argument text.

    >>> state = ChoiceState(0, logprobs=False, tools=True)
    >>> [tool_call_delta(state, piece)["tool_calls"][0]["function"]
    ...  for piece in state.read('<tool_call>[\\n{"name": "f", "arguments": {}')]
    [{'name': 'f', 'arguments': ''}, {'arguments': '{}'}]
    """
    if piece.kind == "call":
        first = {"name": piece.name, "arguments": ""}
        call = {"index": piece.index, "id": state.call_ids[piece.index], "type": "function", "function": first}
        return {"tool_calls": [call]}
    return {"tool_calls": [{"index": piece.index, "function": {"arguments": piece.text}}]}
