"""The chat request model's own decisions (the conformance cases are in tests/local/server/test_chat_request.py)."""

from __future__ import annotations

import pytest

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol.chat import parse_chat_completion

USER = [{"role": "user", "content": "Hi"}]


def _error(**body) -> APIError:
    with pytest.raises(APIError) as caught:
        parse_chat_completion({"model": "gpt-4o-mini", "messages": USER, **body})
    return caught.value


def test_an_unknown_stream_option_is_named_with_its_path():
    error = _error(stream=True, stream_options={"include_usage": True, "colour": 1})
    assert (error.message, error.param, error.code) == (
        "Unknown parameter: 'stream_options.colour'.",
        "stream_options.colour",
        "unknown_parameter",
    )


def test_a_valid_reasoning_effort_is_unsupported_and_an_invalid_one_is_invalid():
    assert _error(reasoning_effort="low").code == "unsupported_parameter"
    assert (_error(reasoning_effort="extreme").code, _error(reasoning_effort="extreme").param) == (
        "invalid_value",
        "reasoning_effort",
    )


def test_an_integer_too_large_for_a_decimal_is_not_finite():
    error = _error(temperature=10**400)
    assert (error.message, error.code) == ("Invalid 'temperature': expected a finite number.", "invalid_value")


def test_stop_is_a_list_whatever_was_sent():
    assert parse_chat_completion({"model": "m", "messages": USER, "stop": "END"}).stop == ["END"]
    assert parse_chat_completion({"model": "m", "messages": USER}).stop == []


def test_content_parts_and_refusals_join_into_the_text():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}], "refusal": "no", "annotations": []},
    ]
    request = parse_chat_completion({"model": "m", "messages": history})
    assert [message.text() for message in request.messages] == ["ab", "no"]


def test_a_null_role_is_missing():
    error = _error(messages=[{"role": None, "content": "x"}])
    assert (error.param, error.code) == ("messages[0].role", "missing_required_parameter")
