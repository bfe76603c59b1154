"""Tests for course_helpers/anatomy.py: a ChatCompletion as a table, and the HTTP exchange behind it."""

from __future__ import annotations

import doctest

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion

from conftest import GOOD_KEY
from course_helpers import anatomy
from course_helpers.anatomy import FIELD_MEANINGS, flatten, reply_text, show_completion, show_exchange

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "length",
            "logprobs": None,
            "message": {"role": "assistant", "content": "<b>bold</b>", "refusal": None},
        },
        {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "Two"}},
    ],
    "usage": {
        "prompt_tokens": 9,
        "completion_tokens": 2,
        "total_tokens": 11,
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}


def test_flatten_writes_paths_as_python_expressions():
    assert flatten({"a": [{"b": 1}, {"b": [2]}], "c": None}) == [("a[0].b", 1), ("a[1].b[0]", 2), ("c", None)]


def test_show_completion_lists_fields_in_reading_order_without_empty_ones():
    paths = [path for path, _, _ in show_completion(ChatCompletion.model_validate(COMPLETION)).rows]
    assert paths[:4] == ["id", "object", "created", "model"]
    assert paths.index("choices[0].message.role") < paths.index("choices[0].message.content")
    assert paths.index("choices[0].message.content") < paths.index("choices[0].finish_reason")
    assert "choices[1].message.content" in paths  # every choice, not only the first
    assert "choices[0].message.refusal" not in paths and "choices[0].logprobs" not in paths
    assert "usage.completion_tokens_details.reasoning_tokens" not in paths  # a zero detail


def test_show_completion_explains_the_main_fields_and_escapes_html():
    table = show_completion(ChatCompletion.model_validate(COMPLETION))
    meanings = {path: meaning for path, _, meaning in table.rows}
    assert meanings["choices[1].finish_reason"] == FIELD_MEANINGS["choices[*].finish_reason"]
    assert meanings["usage.total_tokens"]
    html = table._repr_html_()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "UTC" in repr(table)  # created is shown as a date too


def test_show_exchange_masks_the_key_and_shows_both_bodies(fake_api):
    client = OpenAI(base_url=fake_api, api_key=GOOD_KEY, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="fake-model", messages=[{"role": "user", "content": "Hello"}], max_completion_tokens=3
    )
    exchange = show_exchange(raw)
    for text in (repr(exchange), exchange._repr_html_()):
        assert GOOD_KEY not in text
        assert "Bearer …" + GOOD_KEY[-4:] in text
    assert '"max_completion_tokens": 3' in exchange.request_text
    assert exchange.request_text.startswith(f"POST {fake_api}/chat/completions")
    assert exchange.response_text.startswith("HTTP 200")
    assert '"content": "Hi"' in exchange.response_text
    assert raw.parse().choices[0].message.content == "Hi"


def _one_choice(finish_reason: str, content: str | None) -> ChatCompletion:
    """An SDK ChatCompletion built from test data (not a model's output)."""
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test",
            "choices": [
                {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
            ],
        }
    )


@pytest.mark.parametrize(
    "finish_reason, content, shown",
    [
        ("stop", "The capital is Paris.", "The capital is Paris."),
        ("length", "A tale of honor and", "A tale of honor and [… cut: finish_reason='length']"),
        ("length", "A tale of honor and ", "A tale of honor and [… cut: finish_reason='length']"),
        ("length", "", "[no text: finish_reason='length']"),
        ("content_filter", "", "[no text: finish_reason='content_filter']"),
        ("content_filter", None, "[no text: finish_reason='content_filter']"),
        ("content_filter", "Half a", "Half a [… stopped: finish_reason='content_filter']"),
    ],
)
def test_reply_text_marks_where_the_text_stops_early(finish_reason, content, shown):
    response = _one_choice(finish_reason, content)
    data = response.model_dump(mode="json")
    # the same mark for a response, one of its choices, and both as JSON (lesson 00 reads replies both ways)
    assert {
        reply_text(response),
        reply_text(response.choices[0]),
        reply_text(data),
        reply_text(data["choices"][0]),
    } == {shown}


def test_docstring_examples():
    assert doctest.testmod(anatomy).failed == 0
