"""Tests for course_helpers/local/server/protocol/moderation_param.py, through the chat and Responses bodies."""

from __future__ import annotations

import pytest

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol.chat import parse_chat_completion
from course_helpers.local.server.protocol.responses import parse_responses

USER = [{"role": "user", "content": "Hi"}]


def _chat(moderation):
    return parse_chat_completion({"model": "gpt-4o-mini", "messages": USER, "moderation": moderation})


def _error(moderation) -> APIError:
    with pytest.raises(APIError) as caught:
        _chat(moderation)
    return caught.value


def test_a_full_parameter_is_accepted_on_both_endpoints():
    moderation = {
        "model": "omni-moderation-latest",
        "policy": {"input": {"mode": "block"}, "output": {"mode": "score"}},
    }
    chat = _chat(moderation).moderation
    responses = parse_responses({"model": "gpt-4o-mini", "input": "Hi", "moderation": moderation}).moderation
    for parsed in (chat, responses):
        assert parsed is not None
        assert (parsed.model, parsed.input_mode, parsed.output_mode) == ("omni-moderation-latest", "block", "score")


def test_a_side_without_a_policy_is_scored():
    parsed = _chat({"model": "omni-moderation-latest", "policy": {"output": {"mode": "block"}}}).moderation
    assert (parsed.input_mode, parsed.output_mode) == ("score", "block")
    assert _chat({"model": "omni-moderation-latest"}).moderation.input_mode == "score"


@pytest.mark.parametrize(
    "moderation, param, code",
    [
        ({}, "moderation.model", "missing_required_parameter"),
        ({"model": "gpt-4o-mini"}, "moderation.model", "invalid_value"),
        ({"model": 3}, "moderation.model", "invalid_type"),
        (
            {"model": "omni-moderation-latest", "policy": {"input": {}}},
            "moderation.policy.input.mode",
            "missing_required_parameter",
        ),
        (
            {"model": "omni-moderation-latest", "policy": {"input": {"mode": "warn"}}},
            "moderation.policy.input.mode",
            "invalid_value",
        ),
        (
            {"model": "omni-moderation-latest", "policy": {"output": {"mode": "block", "x": 1}}},
            "moderation.policy.output.x",
            "unknown_parameter",
        ),
        ("omni-moderation-latest", "moderation", "invalid_type"),
    ],
)
def test_mistakes_are_400s_naming_the_nested_parameter(moderation, param, code):
    error = _error(moderation)
    assert (error.status, error.param, error.code) == (400, param, code)


def test_the_error_lists_the_moderation_models():
    assert "'omni-moderation-latest'" in _error({"model": "gpt-4o-mini"}).message
