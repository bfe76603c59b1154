"""Items as the server stores and lists them: messages with ids, read back as chat messages, a page at a time.

An ``input`` item arrives in several forms (a string, a message whose
content is a string or a list of parts). Stored, it takes the one form
OpenAI lists in ``input_items`` and in a conversation::

    {"id": "msg_...", "type": "message", "role": "user", "status": "completed",
     "content": [{"type": "input_text", "text": "Hi"}]}

An assistant message's parts are ``output_text`` parts, as in a Response's
``output``. Function calls and their outputs are stored as OpenAI lists them
(``function_call`` with ``call_id``, ``name``, ``arguments``;
``function_call_output`` with ``call_id``, ``output``). The model reads the
stored items back as chat messages (:func:`chat_messages`): calls in a row as
one assistant message with ``tool_calls``, each output as a ``tool`` message.

>>> from .protocol.responses import parse_responses
>>> request = parse_responses({"model": "gpt-6-luna", "input": "Hi"})
>>> item = stored_item(request.input[0])
>>> item["content"], chat_messages([item])
([{'type': 'input_text', 'text': 'Hi'}], [{'role': 'user', 'content': 'Hi'}])

Used in: course_helpers/local/server/responses.py, course_helpers/local/server/conversations.py
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import invalid_request
from .protocol.pages import ListQuery
from .protocol.responses import FunctionCallItem, FunctionCallOutputItem, InputMessage, OutputMessage

__all__ = [
    "chat_messages",
    "check_tool_outputs",
    "function_call_item",
    "list_page",
    "new_id",
    "output_part",
    "stored_item",
]


def new_id(prefix: str) -> str:
    """A fresh id in OpenAI's form: a prefix (``resp_``, ``msg_``, ``conv_``) and 48 hex digits."""
    return prefix + secrets.token_hex(24)


def output_part(text: str) -> dict[str, Any]:
    """An assistant's ``output_text`` part, as a Response's ``output`` holds it."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def function_call_item(call_id: str, name: str, arguments: str, item_id: str | None = None) -> dict[str, Any]:
    """A ``function_call`` output item, as a Response's ``output`` holds it."""
    return {
        "id": item_id or new_id("fc_"),
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def stored_item(item: InputMessage | OutputMessage | FunctionCallItem | FunctionCallOutputItem) -> dict[str, Any]:
    """A checked input item in its stored form; it keeps the id it came with, or gets a new one."""
    if isinstance(item, FunctionCallItem):
        return function_call_item(item.call_id, item.name, item.arguments, item.id)
    if isinstance(item, FunctionCallOutputItem):
        return {
            "id": item.id or new_id("fco_"),
            "type": "function_call_output",
            "status": "completed",
            "call_id": item.call_id,
            "output": item.output,
        }
    texts = [item.content] if isinstance(item.content, str) else [part.text for part in item.content]
    if item.role == "assistant":
        parts = [output_part(text) for text in texts]
    else:
        parts = [{"type": "input_text", "text": text} for text in texts]
    return {
        "id": item.id or new_id("msg_"),
        "type": "message",
        "role": item.role,
        "status": "completed",
        "content": parts,
    }


def chat_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored items as the chat messages the model reads (see ``tool_calls.render_tool_messages``).

    >>> calls = [function_call_item("call_1", "f", "{}"), function_call_item("call_2", "f", "{}")]
    >>> [m["role"] for m in chat_messages([*calls, {"type": "function_call_output", "call_id": "call_1",
    ...                                                  "output": "1"}])]
    ['assistant', 'tool']
    """
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            if messages and messages[-1]["role"] == "assistant" and "tool_calls" in messages[-1]:
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": item["output"]})
        else:
            messages.append({"role": item["role"], "content": "".join(part["text"] for part in item["content"])})
    return messages


def check_tool_outputs(items: list[dict[str, Any]]) -> None:
    """Every function call output answers an earlier call, and every call is answered, as OpenAI checks them.

    Wording, param 'input', code null: https://github.com/continuedev/continue/issues/10092 ("No tool call found
    ..."), https://github.com/tjardoo/openai-client/pull/124 ("No tool output found ...") (third-party reports).
    """
    called: list[str] = []
    answered = set()
    for item in items:
        if item.get("type") == "function_call":
            called.append(item["call_id"])
        elif item.get("type") == "function_call_output":
            if item["call_id"] not in called:
                raise invalid_request(
                    f"No tool call found for function call output with call_id {item['call_id']}.", param="input"
                )
            answered.add(item["call_id"])
    for call_id in called:
        if call_id not in answered:
            raise invalid_request(f"No tool output found for function call {call_id}.", param="input")


def list_page(items: list[dict[str, Any]], query: ListQuery) -> dict[str, Any]:
    """One page of ``items`` (oldest first) as OpenAI's list object, in the query's order.

    >>> items = [{"id": f"msg_{n}"} for n in range(5)]
    >>> page = list_page(items, ListQuery(after="msg_3", limit=2))
    >>> [item["id"] for item in page["data"]], page["has_more"]
    (['msg_2', 'msg_1'], True)
    """
    ordered = items if query.order == "asc" else items[::-1]
    start = 0
    if query.after is not None:
        ids = [item["id"] for item in ordered]
        if query.after not in ids:
            raise invalid_request(
                f"Invalid 'after': there is no item with id '{query.after}' in this list.",
                param="after",
                code="invalid_value",
            )
        start = ids.index(query.after) + 1
    data = ordered[start : start + query.limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + query.limit < len(ordered),
    }
