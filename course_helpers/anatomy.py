"""Looking inside a chat completion: its fields as a table, and the HTTP exchange behind it.

:func:`show_completion` lays a ``ChatCompletion`` out as a table, one row per
field (``choices[0].message.content``, ``usage.prompt_tokens``, ...) with what
the field means. :func:`show_exchange` shows what really went over the wire for
a call made with ``client.chat.completions.with_raw_response.create(...)``: the
request (URL, headers, JSON body) and the response (status, headers, JSON
body). The ``Authorization`` header carries your key, so it is masked: only its
last 4 characters are shown.

Both return objects that render as HTML in Jupyter (plain tables, readable on
GitHub too) and as text anywhere else. :func:`reply_text` is how every lesson
shows a reply: its text, marked where it stopped early (cut by the token limit).

Used in: notebooks/00_setup.ipynb (reply_text: every lesson from 00 to 04)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .course.settings import mask_key

__all__ = ["FIELD_MEANINGS", "flatten", "reply_text", "show_completion", "show_exchange"]

#: What each field of a ChatCompletion means (``*`` stands for any index).
FIELD_MEANINGS = {
    "id": "unique id of this completion (quote it when you ask for support)",
    "object": "what kind of object this is: always chat.completion here",
    "created": "when it was created, in Unix seconds (seconds since 1970-01-01 UTC)",
    "model": "the model that really answered: often a dated snapshot of the name you asked for",
    "system_fingerprint": "which backend configuration served the request (changes when the provider updates it)",
    "service_tier": "the processing tier that served the request",
    "choices[*].index": "position of this choice (you get several with n > 1)",
    "choices[*].message.role": "who speaks: the reply is always from the assistant",
    "choices[*].message.content": "the reply text: what you usually want",
    "choices[*].message.refusal": "set instead of content when the model refuses",
    "choices[*].finish_reason": "why the model stopped: 'stop' (it was done, or hit a stop sequence), "
    "'length' (max_completion_tokens reached: the reply is cut off), 'content_filter', 'tool_calls'",
    "choices[*].logprobs": "token probabilities, only when you ask with logprobs=True (lesson 03)",
    "usage.prompt_tokens": "tokens you sent: every message, plus formatting tokens the chat template adds",
    "usage.completion_tokens": "tokens the model wrote, hidden reasoning included (billed at the output price)",
    "usage.total_tokens": "prompt_tokens + completion_tokens",
    "usage.prompt_tokens_details.cached_tokens": "prompt tokens read from the provider's cache (billed cheaper)",
    "usage.completion_tokens_details.reasoning_tokens": "how many of the completion tokens were hidden reasoning",
}


def _as_dict(obj: Any) -> Any:
    """An SDK object (pydantic model) as plain JSON data; dicts and lists pass through."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return obj


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf of nested JSON data as a ``(path, value)`` pair, paths written as in Python.

    >>> flatten({"choices": [{"message": {"content": "Hi"}}], "usage": {"total_tokens": 9}})
    [('choices[0].message.content', 'Hi'), ('usage.total_tokens', 9)]
    """
    data = _as_dict(data)
    if isinstance(data, dict) and data:
        pairs = []
        for key, value in data.items():
            pairs += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(data, list) and data:
        pairs = []
        for i, value in enumerate(data):
            pairs += flatten(value, f"{prefix}[{i}]")
        return pairs
    return [(prefix, data)]


def _meaning(path: str) -> str:
    """What the field at ``path`` means, looked up with list indexes generalised to ``[*]``."""
    return FIELD_MEANINGS.get(re.sub(r"\[\d+\]", "[*]", path), "")


def _value_text(path: str, value: Any) -> str:
    if path == "created" and isinstance(value, int):
        when = datetime.fromtimestamp(value, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{value}  ({when})"
    return repr(value) if isinstance(value, str) else json.dumps(value)


class _FieldTable:
    """Rows of (path, value, meaning), as an HTML table or as text."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows = rows

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(path)}</code></td>"
            f"<td style='text-align:left'>{html.escape(value)}</td>"
            f"<td style='text-align:left'>{html.escape(meaning)}</td></tr>"
            for path, value, meaning in self.rows
        )
        head = "".join(f"<th style='text-align:left'>{name}</th>" for name in ("field", "value", "what it means"))
        return f"<table><tr>{head}</tr>{body}</table>"

    def __repr__(self) -> str:
        width = max(len(path) for path, _, _ in self.rows)
        return "\n".join(f"{path:<{width}}  {value}" for path, value, _ in self.rows)


def _reorder(data: dict, first: list[str]) -> dict:
    """A copy of ``data`` with the keys in ``first`` first (in reading order), then the rest.

    >>> _reorder({"content": "Hi", "role": "assistant", "refusal": None}, ["role", "content"])
    {'role': 'assistant', 'content': 'Hi', 'refusal': None}
    """
    return {key: data[key] for key in dict.fromkeys([*first, *data]) if key in data}


def show_completion(response: Any, *, hide_empty: bool = True) -> _FieldTable:
    """A ChatCompletion as a table: one row per field, with what the field means.

    ``hide_empty`` leaves out fields that are ``None``, empty or zero counts
    in the details (most of them, most of the time).

    >>> from openai.types.chat import ChatCompletion
    >>> response = ChatCompletion.model_validate({
    ...     "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
    ...     "choices": [{"index": 0, "finish_reason": "stop",
    ...                  "message": {"role": "assistant", "content": "Hi!"}}],
    ...     "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}})
    >>> print(show_completion(response))
    id                          'chatcmpl-1'
    object                      'chat.completion'
    created                     0  (1970-01-01 00:00:00 UTC)
    model                       'm'
    choices[0].index            0
    choices[0].message.role     'assistant'
    choices[0].message.content  'Hi!'
    choices[0].finish_reason    'stop'
    usage.prompt_tokens         9
    usage.completion_tokens     2
    usage.total_tokens          11
    """
    data = _reorder(
        _as_dict(response),
        ["id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage"],
    )
    data["choices"] = [_reorder(choice, ["index", "message", "finish_reason"]) for choice in data.get("choices") or []]
    for choice in data["choices"]:
        if isinstance(choice.get("message"), dict):
            choice["message"] = _reorder(choice["message"], ["role", "content"])
    if isinstance(data.get("usage"), dict):
        data["usage"] = _reorder(data["usage"], ["prompt_tokens", "completion_tokens", "total_tokens"])
    rows = []
    for path, value in flatten(data):
        is_detail = "_details." in path
        if hide_empty and (value in (None, [], {}) or (is_detail and value == 0)):
            continue
        rows.append((path, _value_text(path, value), _meaning(path)))
    return _FieldTable(rows)


# Response headers that are noise for a learner (cookies, proxies, transport details).
_SKIP_RESPONSE_HEADERS = (
    "set-cookie",
    "cf-",
    "alt-svc",
    "strict-transport",
    "x-content-type",
    "connection",
    "transfer-encoding",
    "date",
    "server",
)


def _headers(headers: Any, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    shown = []
    for name, value in headers.items():
        low = name.lower()
        if any(low.startswith(prefix) for prefix in skip):
            continue
        if low in ("authorization", "api-key", "x-api-key"):
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} {mask_key(secret)}" if secret else mask_key(value)
        shown.append((low, value))
    return shown


def _pretty_json(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


class _Exchange:
    """One HTTP request and its response, as two side-by-side blocks or as text."""

    def __init__(self, request_text: str, response_text: str) -> None:
        self.request_text = request_text
        self.response_text = response_text

    def _repr_html_(self) -> str:
        cell = "<td style='vertical-align:top;text-align:left'><pre>{}</pre></td>"
        return (
            "<table><tr><th style='text-align:left'>request (what your code sent)</th>"
            "<th style='text-align:left'>response (what came back)</th></tr>"
            f"<tr>{cell.format(html.escape(self.request_text))}"
            f"{cell.format(html.escape(self.response_text))}</tr></table>"
        )

    def __repr__(self) -> str:
        return f"─── request ───\n{self.request_text}\n\n─── response ───\n{self.response_text}"


def show_exchange(raw_response: Any) -> _Exchange:
    """What went over the wire for a call made through ``.with_raw_response``.

    ``raw_response`` is what ``client.chat.completions.with_raw_response.create(...)``
    returns (``.parse()`` on it gives the usual ChatCompletion). The request's
    key is masked; transport headers of the response (cookies, proxy details)
    are left out.
    """
    request = raw_response.http_request
    request_text = "\n".join(
        [f"{request.method} {request.url}"]
        + [f"{name}: {value}" for name, value in _headers(request.headers)]
        + ["", _pretty_json(request.content)]
    )
    response_text = "\n".join(
        [f"HTTP {raw_response.status_code}"]
        + [f"{name}: {value}" for name, value in _headers(raw_response.headers, _SKIP_RESPONSE_HEADERS)]
        + ["", _pretty_json(raw_response.content)]
    )
    return _Exchange(request_text, response_text)


def reply_text(reply: Any) -> str:
    """A reply's text as a reader should see it: marked where it stopped before its end.

    ``reply`` is a chat completion or one of its choices, as the SDK's object or as JSON (dicts). A reply
    cut by ``max_completion_tokens`` (``finish_reason "length"``) ends mid-sentence and reads like a whole
    answer; one stopped by a content filter (``"content_filter"``) may have no text at all. So the reason
    is written after the text, or instead of it:

    >>> reply_text({"choices": [{"finish_reason": "length", "message": {"content": "Once upon a"}}]})
    "Once upon a [… cut: finish_reason='length']"
    >>> reply_text({"finish_reason": "content_filter", "message": {"content": ""}})
    "[no text: finish_reason='content_filter']"
    >>> reply_text({"choices": [{"finish_reason": "stop", "message": {"content": "Paris."}}]})
    'Paris.'

    Used in: notebooks/00_setup.ipynb to 04_moderation.ipynb, and the exercises of lesson 04
    """
    if isinstance(reply, Mapping):
        choice = reply["choices"][0] if "choices" in reply else reply
        reason, text = choice["finish_reason"], choice["message"]["content"] or ""
    else:
        choice = reply.choices[0] if hasattr(reply, "choices") else reply
        reason, text = choice.finish_reason, choice.message.content or ""
    if reason not in ("length", "content_filter"):
        return text
    if not text:  # at a reasoning effort above none, reasoning tokens can use up the whole limit
        return f"[no text: finish_reason={reason!r}]"
    return f"{text.rstrip()} [… {'cut' if reason == 'length' else 'stopped'}: finish_reason={reason!r}]"
