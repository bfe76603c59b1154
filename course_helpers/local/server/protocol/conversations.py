"""The Conversations API's requests: create, update, and add items.

A conversation holds items (messages, here), the same items ``input`` takes
on ``POST /v1/responses`` (:data:`.responses.InputItem`), at most 20 per
request, as OpenAI's SDK documents ("You may add up to 20 items at a time").

>>> request = parse_conversation_create({"items": [{"role": "user", "content": "Hi"}], "metadata": {"topic": "demo"}})
>>> request.items[0].text(), request.metadata
('Hi', {'topic': 'demo'})
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .base import JSONModel, RequestModel
from .errors import parse
from .responses import InputItem

__all__ = [
    "MAX_ITEMS_PER_REQUEST",
    "ConversationCreateRequest",
    "ConversationUpdateRequest",
    "ItemsCreateRequest",
    "parse_conversation_create",
    "parse_conversation_update",
    "parse_items_create",
]

MAX_ITEMS_PER_REQUEST = 20  # resources/conversations/conversations.py: "up to 20 items at a time"

Items = Annotated[list[InputItem], Field(max_length=MAX_ITEMS_PER_REQUEST)]


class ConversationCreateRequest(RequestModel):
    """A ``POST /v1/conversations`` body: optional first items and metadata."""

    items: Items = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    safety_identifier: str | None = None  # accepted and ignored, its type checked


class ConversationUpdateRequest(JSONModel):
    """A ``POST /v1/conversations/{id}`` body: the new ``metadata`` (required; null clears it)."""

    metadata: dict[str, str] | None


class ItemsCreateRequest(RequestModel):
    """A ``POST /v1/conversations/{id}/items`` body: the items to append (1 to 20)."""

    items: Annotated[Items, Field(min_length=1)]


def parse_conversation_create(body: Any) -> ConversationCreateRequest:
    """A conversation's creation checked as OpenAI checks it; raise APIError if invalid."""
    return parse(ConversationCreateRequest, body)


def parse_conversation_update(body: Any) -> ConversationUpdateRequest:
    """A conversation's update checked; raise APIError if invalid."""
    return parse(ConversationUpdateRequest, body)


def parse_items_create(body: Any) -> ItemsCreateRequest:
    """Items to add to a conversation, checked; raise APIError if invalid."""
    return parse(ItemsCreateRequest, body)
