"""The shared parameter checks other endpoints reuse (moderations, audio, responses)."""

from __future__ import annotations

import pytest

from course_helpers.local.server.chat_request import parse_chat_request
from course_helpers.local.server.errors import APIError
from course_helpers.local.server.validation import decimal, json_type_name, string

USER = [{"role": "user", "content": "Hi"}]


def test_integral_floats_count_as_integers():
    assert parse_chat_request({"model": "m", "messages": USER, "n": 2.0}).n == 2


@pytest.mark.parametrize("value", [float("nan"), 10**400, -(10**400)])
def test_non_finite_numbers_are_400(value):
    with pytest.raises(APIError) as caught:
        decimal({"speed": value}, "speed", default=1.0, minimum=0.25, maximum=4)
    assert caught.value.status == 400 and caught.value.param == "speed"


def test_string_choices_list_the_supported_values():
    with pytest.raises(APIError) as caught:
        string({"voice": "bob"}, "voice", default="alloy", choices=("alloy", "echo"))
    assert caught.value.message == "Invalid value: 'bob'. Supported values are: 'alloy', 'echo'."


def test_param_override_names_nested_fields():
    with pytest.raises(APIError) as caught:
        parse_chat_request({"model": "m", "messages": USER, "stream": True, "stream_options": {"include_usage": "yes"}})
    assert caught.value.param == "stream_options.include_usage"


def test_type_names():
    assert [json_type_name(v) for v in (None, 1.5, {})] == ["null", "a decimal", "an object"]


@pytest.mark.parametrize("value", [10**400, -(10**400), 2**63])
def test_huge_integers_are_out_of_range_not_a_crash(value):
    with pytest.raises(APIError) as caught:
        parse_chat_request({"model": "m", "messages": USER, "seed": value})
    assert caught.value.code in ("integer_above_max_value", "integer_below_min_value")
