"""The Conversations API's request models (the SDK-level behaviour is in tests/local/server/test_conversations.py)."""

from __future__ import annotations

import pytest

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol.conversations import (
    parse_conversation_create,
    parse_conversation_update,
    parse_items_create,
)


def _error(parse, body) -> APIError:
    with pytest.raises(APIError) as caught:
        parse(body)
    return caught.value


def test_a_conversation_may_start_empty():
    request = parse_conversation_create({})
    assert (request.items, request.metadata) == ([], {})


def test_items_are_responses_input_items():
    error = _error(parse_conversation_create, {"items": [{"type": "reasoning", "summary": []}]})
    assert (error.param, error.code) == ("items[0].type", "unsupported_value")


def test_an_update_needs_metadata_and_null_clears_it():
    assert _error(parse_conversation_update, {}).code == "missing_required_parameter"
    assert parse_conversation_update({"metadata": None}).metadata is None


def test_adding_items_needs_at_least_one():
    error = _error(parse_items_create, {"items": []})
    assert (error.param, error.code) == ("items", "empty_array")
    assert _error(parse_items_create, {}).code == "missing_required_parameter"
