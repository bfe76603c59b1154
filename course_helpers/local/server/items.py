"""Items as the server stores and lists them: messages with ids, read back as chat messages, a page at a time.

An ``input`` item arrives in several forms (a string, a message whose
content is a string or a list of parts). Stored, it takes the one form
OpenAI lists in ``input_items`` and in a conversation::

    {"id": "msg_...", "type": "message", "role": "user", "status": "completed",
     "content": [{"type": "input_text", "text": "Hi"}]}

An assistant message's parts are ``output_text`` parts, as in a Response's
``output``. The model reads each stored item back as one chat message.

>>> from .protocol.responses import parse_responses
>>> request = parse_responses({"model": "gpt-6-luna", "input": "Hi"})
>>> item = stored_item(request.input[0])
>>> item["content"], chat_message(item)
([{'type': 'input_text', 'text': 'Hi'}], {'role': 'user', 'content': 'Hi'})

Used in: course_helpers/local/server/responses.py, course_helpers/local/server/conversations.py
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import invalid_request
from .protocol.pages import ListQuery
from .protocol.responses import InputMessage, OutputMessage

__all__ = [
    "chat_message",
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


def stored_item(item: InputMessage | OutputMessage) -> dict[str, Any]:
    """A checked input message in its stored form; it keeps the id it came with, or gets a new one."""
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


def chat_message(item: dict[str, Any]) -> dict[str, str]:
    """A stored message as the chat message the model reads: its role and its parts' text joined."""
    return {"role": item["role"], "content": "".join(part["text"] for part in item["content"])}


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
