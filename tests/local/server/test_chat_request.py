"""Request checks of /v1/chat/completions: the same 400s, params and codes as OpenAI.

Most cases call the parser directly (fast, exact); a few go through the SDK
to prove the exception a learner catches carries ``param`` and ``code``.
"""

from __future__ import annotations

import openai
import pytest

from course_helpers.local.server.chat_request import DEFAULT_MAX_OUTPUT_TOKENS, parse_chat_request
from course_helpers.local.server.errors import APIError

USER = [{"role": "user", "content": "Hi"}]


def _error(**body) -> APIError:
    body = {"model": "gpt-4o-mini", "messages": USER, **body}
    with pytest.raises(APIError) as caught:
        parse_chat_request(body)
    return caught.value


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("temperature", 2.5, "decimal_above_max_value"),
        ("temperature", -0.1, "decimal_below_min_value"),
        ("temperature", "hot", "invalid_type"),
        ("top_p", 1.5, "decimal_above_max_value"),
        ("top_p", -1, "decimal_below_min_value"),
        ("n", 0, "integer_below_min_value"),
        ("n", 129, "integer_above_max_value"),
        ("n", 1.5, "invalid_type"),
        ("n", True, "invalid_type"),
        ("max_tokens", 0, "integer_below_min_value"),
        ("max_completion_tokens", -3, "integer_below_min_value"),
        ("top_logprobs", 21, "integer_above_max_value"),
        ("presence_penalty", 2.1, "decimal_above_max_value"),
        ("frequency_penalty", -2.1, "decimal_below_min_value"),
        ("seed", "42", "invalid_type"),
        ("seed", 2**64, "integer_above_max_value"),
        ("logprobs", "yes", "invalid_type"),
        ("stream", 1, "invalid_type"),
        ("user", 5, "invalid_type"),
        ("store", "no", "invalid_type"),
        ("metadata", [], "invalid_type"),
        ("service_tier", "gold", "invalid_value"),
    ],
)
def test_out_of_range_or_wrong_type(name, value, code):
    error = _error(**{name: value, "logprobs": True} if name == "top_logprobs" else {name: value})
    assert (error.status, error.param, error.code) == (400, name, code)


def test_range_message_reads_like_openai():
    assert _error(temperature=5).message == (
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead."
    )


@pytest.mark.parametrize("name", ["temperature", "top_p", "n", "seed", "stop", "max_tokens", "user"])
def test_null_means_not_given(name):
    request = parse_chat_request({"model": "gpt-4o", "messages": USER, name: None})
    assert request.n == 1 and request.sampling.temperature == 1.0


def test_boundaries_are_accepted():
    request = parse_chat_request(
        {
            "model": "gpt-4o",
            "messages": USER,
            "temperature": 2,
            "top_p": 0,
            "n": 128,
            "logprobs": True,
            "top_logprobs": 20,
            "presence_penalty": -2,
        }
    )
    assert (request.sampling.temperature, request.n, request.sampling.top_logprobs) == (2.0, 128, 20)


def test_unknown_parameter():
    error = _error(temprature=0.5)
    assert error.message == "Unrecognized request argument supplied: temprature"
    assert error.param is None


def test_top_logprobs_needs_logprobs():
    error = _error(top_logprobs=3)
    assert (error.param, error.code) == ("top_logprobs", "invalid_value")


def test_stop_accepts_a_string_or_up_to_four():
    assert parse_chat_request({"model": "m", "messages": USER, "stop": "END"}).sampling.stop == ("END",)
    error = _error(stop=["a", "b", "c", "d", "e"])
    assert (error.param, error.code) == ("stop", "array_above_max_length")
    assert _error(stop=[1]).param == "stop[0]"


def test_stream_options_only_with_stream():
    assert _error(stream_options={"include_usage": True}).param == "stream_options"
    request = parse_chat_request(
        {"model": "m", "messages": USER, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert request.include_usage


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
        (
            {"tool_choice": {"type": "allowed_tools"}, "tools": [{"type": "function", "function": {"name": "f"}}]},
            "tool_choice",
        ),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"function_call": "auto"}, "function_call"),
        ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
        ({"modalities": ["text", "audio"]}, "audio"),
        ({"prediction": {"type": "content", "content": "x"}}, "prediction"),
        ({"web_search_options": {}}, None),  # empty options: nothing to refuse
    ],
)
def test_valid_but_unsupported_features_are_named(extra, param):
    if param is None:
        assert parse_chat_request({"model": "m", "messages": USER, **extra})
        return
    error = _error(**extra)
    assert error.status == 400 and error.param == param
    assert "local model" in error.message


def test_reasoning_effort_on_a_model_without_a_profile_is_the_local_400():
    with pytest.raises(APIError) as caught:
        parse_chat_request({"model": "my-own-model", "messages": USER, "reasoning_effort": "low"})
    assert caught.value.param == "reasoning_effort" and "local model" in caught.value.message


@pytest.mark.parametrize(
    ("limits", "expected"),
    [({}, DEFAULT_MAX_OUTPUT_TOKENS), ({"max_tokens": 7}, 7), ({"max_completion_tokens": 5000}, 5000)],
)
def test_the_output_limit_is_the_requested_one_or_the_default(limits, expected):
    assert parse_chat_request({"model": "m", "messages": USER, **limits}).sampling.max_tokens == expected


def test_harmless_values_of_unsupported_features_pass():
    request = parse_chat_request(
        {
            "model": "m",
            "messages": USER,
            "tools": [],
            "tool_choice": "none",
            "response_format": {"type": "text"},
            "modalities": ["text"],
            "parallel_tool_calls": True,
            "store": False,
            "metadata": {"a": "b"},
            "user": "u1",
            "service_tier": "auto",
            "logit_bias": {},
        }
    )
    assert request.messages == USER


@pytest.mark.parametrize(
    ("messages", "param", "code"),
    [
        (None, "messages", "missing_required_parameter"),
        ([], "messages", "empty_array"),
        ("Hi", "messages", "invalid_type"),
        (["Hi"], "messages[0]", "invalid_type"),
        ([{"content": "Hi"}], "messages[0].role", "missing_required_parameter"),
        ([{"role": "robot", "content": "Hi"}], "messages[0].role", "invalid_value"),
        ([{"role": "tool", "content": "42", "tool_call_id": "c1"}], "messages.[0].role", None),
        ([{"role": "function", "content": "42", "name": "f"}], "messages[0].role", "unsupported_value"),
        ([{"role": "user"}], "messages[0].content", "invalid_value"),
        ([{"role": "user", "content": 5}], "messages[0].content", "invalid_type"),
        ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0].text", "invalid_type"),
        ([{"role": "user", "content": [{"type": "video"}]}], "messages[0].content[0].type", "invalid_value"),
        ([{"role": "user", "content": "a", "mood": "x"}], "messages[0].mood", "invalid_value"),
        ([{"role": "user", "content": "a", "name": 3}], "messages[0].name", "invalid_type"),
        (
            [{"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}],
            "messages[0].tool_calls[0].type",
            "missing_required_parameter",
        ),
    ],
)
def test_message_checks(messages, param, code):
    error = _error(messages=messages)
    assert (error.status, error.param, error.code) == (400, param, code)


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-1"}},
    ],
)
def test_image_audio_and_file_parts_say_text_only(part):
    error = _error(messages=[{"role": "user", "content": [{"type": "text", "text": "Look"}, part]}])
    assert error.param == "messages[0].content[1]"
    assert "text only" in error.message


def test_model_is_required_and_any_chat_name_is_accepted():
    with pytest.raises(APIError) as caught:
        parse_chat_request({"messages": USER})
    assert caught.value.param == "model"
    for name in ["gpt-4o-mini", "gpt-4.1", "gpt-6-luna", "my-own-model"]:
        assert parse_chat_request({"model": name, "messages": USER}).model == name


def test_non_chat_model_is_404():
    error = _error(model="text-embedding-3-small")
    assert (error.status, error.code) == (404, "model_not_found")


def test_sdk_raises_bad_request_with_param(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, temperature=3)
    assert caught.value.param == "temperature"
    assert caught.value.code == "decimal_above_max_value"
    assert caught.value.type == "invalid_request_error"


def test_sdk_unsupported_feature(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, tools=[{"type": "web_search"}])
    assert caught.value.param == "tools[0]" and caught.value.code == "unsupported_parameter"


def test_sdk_non_chat_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="whisper-1", messages=USER)
    assert caught.value.code == "model_not_found"
