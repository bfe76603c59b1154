"""Conversations: a stored list of items that responses read and extend, and the endpoints that manage it.

``client.conversations.create(items=[...], metadata={...})`` makes one;
``responses.create(conversation=conversation.id, input=...)`` then reads the
conversation's items before its input, and appends its input and output to
the conversation when it ends, so the next response sees this turn too.

- ``POST /v1/conversations``, ``GET``/``POST``/``DELETE /v1/conversations/{id}``:
  create, retrieve, update (metadata), delete;
- ``POST``/``GET /v1/conversations/{id}/items``, ``GET``/``DELETE
  /v1/conversations/{id}/items/{item_id}``: add items (up to 20 at a time),
  list them a page at a time, retrieve or delete one.

Like stored responses (:mod:`.response_store`), conversations live in the
server's memory for as long as it runs, at most :data:`MAX_CONVERSATIONS` of
them: creating one more forgets the oldest. A conversation's own items are
not capped (on OpenAI neither), but only the end of a long one fits the
model's context; ``truncation="auto"`` drops the oldest items from the prompt.

>>> store = ConversationStore(limit=1)
>>> first = store.create(items=[], metadata={})
>>> second = store.create(items=[], metadata={"topic": "demo"})
>>> first.id in store, second.json()["metadata"]
(False, {'topic': 'demo'})

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import not_found
from .items import list_page, new_id, stored_item
from .protocol.conversations import parse_conversation_create, parse_conversation_update, parse_items_create
from .protocol.pages import parse_list_query
from .validation import read_json_object

__all__ = [
    "MAX_CONVERSATIONS",
    "Conversation",
    "ConversationStore",
    "routes",
]

MAX_CONVERSATIONS = 1_000  # as for stored responses: the oldest are forgotten first


@dataclass
class Conversation:
    """One conversation: its id, when it was made, its metadata and its items (oldest first)."""

    id: str
    created_at: int
    metadata: dict[str, str]
    items: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """The Conversation object of the API (its items are listed separately)."""
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}

    def item(self, item_id: str) -> dict[str, Any]:
        """The item with this id, or the 404."""
        for item in self.items:
            if item["id"] == item_id:
                return item
        # OpenAI's words for an item it does not have, as quoted in bug reports ("Item with id 'rs_...' not found.")
        raise not_found(f"Item with id '{item_id}' not found.")


class ConversationStore:
    """The conversations of one server, the most recent ``limit`` of them, by id."""

    def __init__(self, limit: int = MAX_CONVERSATIONS) -> None:
        self.limit = limit
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._conversations

    def create(self, items: list[dict[str, Any]], metadata: dict[str, str]) -> Conversation:
        """A new conversation holding ``items``; past the limit, the oldest is forgotten."""
        conversation = Conversation(new_id("conv_"), int(time.time()), dict(metadata), list(items))
        self._conversations[conversation.id] = conversation
        while len(self._conversations) > self.limit:
            self._conversations.popitem(last=False)
        return conversation

    def get(self, conversation_id: str, param: str | None = None) -> Conversation:
        """The conversation with this id, or a 404 (naming ``param``, the request field that held the id)."""
        if conversation_id not in self._conversations:
            # NOT CONFIRMED: OpenAI's exact wording; the status (404) is what the course expects of OpenAI.
            raise not_found(f"Conversation with id '{conversation_id}' not found.", param=param)
        return self._conversations[conversation_id]

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation and its items (the 404 if there is none)."""
        self.get(conversation_id)
        del self._conversations[conversation_id]


def conversation_store(request: Request) -> ConversationStore:
    """The conversations of the server handling ``request``."""
    return request.app.state.conversations


def _conversation(request: Request) -> Conversation:
    return conversation_store(request).get(request.path_params["conversation_id"])


async def create_conversation(request: Request) -> JSONResponse:
    """``POST /v1/conversations``: a new conversation, with its first items and metadata."""
    parsed = parse_conversation_create(await read_json_object(request))
    items = [stored_item(item) for item in parsed.items]
    return JSONResponse(conversation_store(request).create(items, parsed.metadata).json())


async def retrieve_conversation(request: Request) -> JSONResponse:
    """``GET /v1/conversations/{id}``."""
    return JSONResponse(_conversation(request).json())


async def update_conversation(request: Request) -> JSONResponse:
    """``POST /v1/conversations/{id}``: replace its metadata."""
    parsed = parse_conversation_update(await read_json_object(request))
    conversation = _conversation(request)
    conversation.metadata = dict(parsed.metadata or {})
    return JSONResponse(conversation.json())


async def delete_conversation(request: Request) -> JSONResponse:
    """``DELETE /v1/conversations/{id}``: the deletion object the SDK reads."""
    conversation_id = request.path_params["conversation_id"]
    conversation_store(request).delete(conversation_id)
    return JSONResponse({"id": conversation_id, "object": "conversation.deleted", "deleted": True})


async def create_items(request: Request) -> JSONResponse:
    """``POST /v1/conversations/{id}/items``: append items; the list of those added."""
    parsed = parse_items_create(await read_json_object(request))
    conversation = _conversation(request)
    added = [stored_item(item) for item in parsed.items]
    conversation.items.extend(added)
    return JSONResponse(
        {"object": "list", "data": added, "first_id": added[0]["id"], "last_id": added[-1]["id"], "has_more": False}
    )


async def list_items(request: Request) -> JSONResponse:
    """``GET /v1/conversations/{id}/items``: its items, a page at a time (newest first unless ``order=asc``)."""
    query = parse_list_query(request.query_params)
    return JSONResponse(list_page(_conversation(request).items, query))


async def retrieve_item(request: Request) -> JSONResponse:
    """``GET /v1/conversations/{id}/items/{item_id}``."""
    return JSONResponse(_conversation(request).item(request.path_params["item_id"]))


async def delete_item(request: Request) -> JSONResponse:
    """``DELETE /v1/conversations/{id}/items/{item_id}``: remove it; the conversation, as the SDK expects."""
    conversation = _conversation(request)
    conversation.items.remove(conversation.item(request.path_params["item_id"]))
    return JSONResponse(conversation.json())


_ONE = "/v1/conversations/{conversation_id}"
routes = [
    Route("/v1/conversations", create_conversation, methods=["POST"]),
    Route(_ONE, retrieve_conversation, methods=["GET"]),
    Route(_ONE, update_conversation, methods=["POST"]),
    Route(_ONE, delete_conversation, methods=["DELETE"]),
    Route(_ONE + "/items", create_items, methods=["POST"]),
    Route(_ONE + "/items", list_items, methods=["GET"]),
    Route(_ONE + "/items/{item_id}", retrieve_item, methods=["GET"]),
    Route(_ONE + "/items/{item_id}", delete_item, methods=["DELETE"]),
]
