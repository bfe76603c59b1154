"""Stored items and their pages (course_helpers/local/server/items.py)."""

from __future__ import annotations

import pytest

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.items import chat_messages, list_page, stored_item
from course_helpers.local.server.protocol.pages import ListQuery, parse_list_query
from course_helpers.local.server.protocol.responses import parse_responses

ITEMS = [{"id": f"msg_{n}"} for n in range(5)]


def _ids(page) -> list[str]:
    return [item["id"] for item in page["data"]]


def test_an_assistant_message_is_stored_with_output_text_parts_and_keeps_its_id():
    given = {
        "id": "msg_given",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "a", "annotations": []}],
    }
    item = stored_item(parse_responses({"model": "m", "input": [given]}).input[0])
    assert item == {
        "id": "msg_given",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "a", "annotations": [], "logprobs": []}],
    }
    assert chat_messages([item]) == [{"role": "assistant", "content": "a"}]


def test_a_message_of_several_parts_is_read_as_their_joined_text():
    given = {"role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]}
    item = stored_item(parse_responses({"model": "m", "input": [given]}).input[0])
    assert len(item["content"]) == 2 and item["id"].startswith("msg_")
    assert chat_messages([item]) == [{"role": "user", "content": "ab"}]


@pytest.mark.parametrize(
    ("query", "ids", "has_more"),
    [
        (ListQuery(), ["msg_4", "msg_3", "msg_2", "msg_1", "msg_0"], False),
        (ListQuery(order="asc", limit=2), ["msg_0", "msg_1"], True),
        (ListQuery(order="asc", limit=2, after="msg_1"), ["msg_2", "msg_3"], True),
        (ListQuery(order="asc", limit=2, after="msg_3"), ["msg_4"], False),
        (ListQuery(after="msg_0"), [], False),
    ],
)
def test_a_page_starts_after_its_cursor_in_its_order(query, ids, has_more):
    page = list_page(ITEMS, query)
    assert (_ids(page), page["has_more"]) == (ids, has_more)
    assert (page["first_id"], page["last_id"]) == ((ids[0], ids[-1]) if ids else (None, None))


def test_an_unknown_cursor_is_a_400_naming_after():
    with pytest.raises(APIError) as caught:
        list_page(ITEMS, ListQuery(after="msg_9"))
    assert (caught.value.status, caught.value.param) == (400, "after")


@pytest.mark.parametrize(("limit", "code"), [("0", "integer_below_min_value"), ("101", "integer_above_max_value")])
def test_a_limit_is_between_1_and_100(limit, code):
    with pytest.raises(APIError) as caught:
        parse_list_query({"limit": limit})
    assert (caught.value.param, caught.value.code) == ("limit", code)


def test_a_limit_that_is_not_a_number_is_a_type_error():
    with pytest.raises(APIError) as caught:
        parse_list_query({"limit": "many"})
    assert (caught.value.param, caught.value.code) == ("limit", "invalid_type")
