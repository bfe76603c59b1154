"""The model profiles: each rule answers as OpenAI does for that model; names without a profile get no rules."""

from __future__ import annotations

import datetime
import doctest

import openai
import pytest

from course_helpers.local.server import start_in_thread
from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol import profiles
from course_helpers.local.server.protocol.chat import parse_chat_completion
from course_helpers.local.server.protocol.profiles import PROFILES, profile_for
from course_helpers.local.server.protocol.responses import parse_responses

from ..conftest import API_KEY
from ..fake_engine import FakeEngine

USER = [{"role": "user", "content": "Hi"}]
TODAY = datetime.date(2026, 12, 4)
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
LUNA_EFFORTS = "'none', 'low', 'medium', 'high', 'xhigh', and 'max'"
SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
    },
}


def _chat_error(model: str, today: datetime.date = TODAY, **body) -> APIError:
    with pytest.raises(APIError) as caught:
        parse_chat_completion({"model": model, "messages": USER, **body}, today=today)
    return caught.value


def _responses_error(model: str, today: datetime.date = TODAY, **body) -> APIError:
    with pytest.raises(APIError) as caught:
        parse_responses({"model": model, "input": "Hi", **body}, today=today)
    return caught.value


def _unsupported(param: str) -> tuple[int, str, str, str]:
    return (400, f"Unsupported parameter: '{param}' is not supported with this model.", param, "unsupported_parameter")


MAX_TOKENS = (
    400,
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    "max_tokens",
    "unsupported_parameter",
)


def _temperature(value: str) -> tuple[int, str, str, str]:
    message = f"Unsupported value: 'temperature' does not support {value} with this model. Only the default (1) value is supported."
    return (400, message, "temperature", "unsupported_value")


def _effort(value: str, model: str, supported: str, param: str = "reasoning_effort") -> tuple[int, str, str, str]:
    message = (
        f"Unsupported value: '{value}' is not supported with the '{model}' model. Supported values are: {supported}."
    )
    return (400, message, param, "unsupported_value")


CHAT_RULES = [
    # model, body, (status, message, param, code)
    ("gpt-6-luna", {"temperature": 0.2}, _temperature("0.2")),
    ("gpt-6-luna", {"temperature": 0}, _temperature("0")),
    ("gpt-6-luna", {"reasoning_effort": "low", "temperature": 1.5}, _temperature("1.5")),
    ("gpt-6-sol", {"top_p": 0.5}, _unsupported("top_p")),
    ("gpt-6-luna", {"logprobs": True}, _unsupported("logprobs")),
    ("gpt-6-luna", {"logprobs": True, "top_logprobs": 3, "reasoning_effort": "medium"}, _unsupported("logprobs")),
    ("gpt-6-astra", {"reasoning_effort": "high", "temperature": 0.7}, _temperature("0.7")),
    ("gpt-5", {"temperature": 0.01}, _temperature("0.01")),
    ("gpt-6-luna", {"max_tokens": 50}, MAX_TOKENS),
    ("gpt-5.6-luna", {"max_tokens": 50}, MAX_TOKENS),
    ("gpt-5.6-terra", {"max_tokens": 50}, MAX_TOKENS),
    ("gpt-5-mini", {"max_tokens": 50}, MAX_TOKENS),
    ("gpt-6-astra", {"max_tokens": 50}, MAX_TOKENS),
    ("gpt-6-luna", {"n": 1}, _unsupported("n")),
    ("gpt-5.6-luna", {"n": 2, "reasoning_effort": "none"}, _unsupported("n")),
    ("gpt-6-luna", {"reasoning_effort": "minimal"}, _effort("minimal", "gpt-6-luna", LUNA_EFFORTS)),
    ("gpt-5.6-luna", {"reasoning_effort": "minimal"}, _effort("minimal", "gpt-5.6-luna", LUNA_EFFORTS)),
    (
        "gpt-6-astra",
        {"reasoning_effort": "none"},
        _effort("none", "gpt-6-astra", "'low', 'medium', 'high', 'xhigh', and 'max'"),
    ),
    (
        "gpt-6.1-sol",
        {"reasoning_effort": "none", "temperature": 0.2},
        _effort("none", "gpt-6.1-sol", "'low', 'medium', 'high', 'xhigh', and 'max'"),
    ),
    ("gpt-5", {"reasoning_effort": "max"}, _effort("max", "gpt-5", "'minimal', 'low', 'medium', and 'high'")),
    ("gpt-4o-mini", {"reasoning_effort": "low"}, _unsupported("reasoning_effort")),
    ("gpt-4.1", {"reasoning_effort": "none"}, _unsupported("reasoning_effort")),
    (
        "gpt-6-luna",
        {"tools": TOOLS},
        (
            400,
            "Function tools with reasoning_effort are not supported for gpt-6-luna in /v1/chat/completions. "
            "To use function tools, use /v1/responses or set reasoning_effort to 'none'.",
            "reasoning_effort",
            None,
        ),
    ),
]


@pytest.mark.parametrize(("model", "body", "expected"), CHAT_RULES)
def test_chat_rule_answers_as_openai(model, body, expected):
    error = _chat_error(model, **body)
    assert (error.status, error.message, error.param, error.code) == expected
    assert error.type == "invalid_request_error"


RESPONSES_RULES = [
    ("gpt-6-luna", {"temperature": 0.2}, _unsupported("temperature")),
    ("gpt-6-luna", {"temperature": 1}, _unsupported("temperature")),
    ("gpt-6-sol", {"top_p": 0.9, "reasoning": {"effort": "high"}}, _unsupported("top_p")),
    ("gpt-6-astra", {"top_p": 0.9}, _unsupported("top_p")),
    ("gpt-6-luna", {"top_logprobs": 2}, _unsupported("top_logprobs")),
    (
        "gpt-6-luna",
        {"reasoning": {"effort": "minimal"}},
        _effort("minimal", "gpt-6-luna", LUNA_EFFORTS, "reasoning.effort"),
    ),
    ("gpt-4o-mini", {"reasoning": {"effort": "low"}}, _unsupported("reasoning.effort")),
]


@pytest.mark.parametrize(("model", "body", "expected"), RESPONSES_RULES)
def test_responses_rule_answers_as_openai(model, body, expected):
    error = _responses_error(model, **body)
    assert (error.status, error.message, error.param, error.code) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"reasoning_effort": "none", "temperature": 0.2, "top_p": 0.5, "logprobs": True, "top_logprobs": 3},
        {"reasoning_effort": "max", "max_completion_tokens": 100},
        {"reasoning_effort": "medium", "temperature": 1},  # the default value is no change
        {"temperature": 1, "logprobs": False},
        {},
        # structured outputs at every effort: no restriction reported (fact sheet 2.1, NOT CONFIRMED per effort)
        *[{"reasoning_effort": effort, "response_format": SCHEMA_FORMAT} for effort in ("none", "medium", "max")],
        {"response_format": {"type": "json_object"}, "messages": [{"role": "user", "content": "Answer in JSON."}]},
    ],
)
def test_gpt6_luna_accepts_what_openai_accepts(body):
    request = parse_chat_completion({"model": "gpt-6-luna", "messages": USER, **body}, today=TODAY)
    assert request.reasoning_effort == body.get("reasoning_effort")


def test_a_reasoning_model_with_effort_none_takes_function_tools():
    request = parse_chat_completion(
        {"model": "gpt-6-luna", "messages": USER, "reasoning_effort": "none", "tools": TOOLS}, today=TODAY
    )
    assert request.tools[0].function.name == "f"


@pytest.mark.parametrize("model", ["gpt-6-luna", "gpt-5.6-luna", "gpt-5", "o3", "gpt-5.5", "gpt-6.1-terra"])
def test_every_reasoning_model_accepts_its_default_effort_on_both_endpoints(model):
    profile = profile_for(model)
    effort = profile.default_effort or profile.efforts[0]
    assert parse_chat_completion({"model": model, "messages": USER, "reasoning_effort": effort}, today=TODAY)
    assert parse_responses({"model": model, "input": "Hi", "reasoning": {"effort": effort}}, today=TODAY)


def test_responses_accepts_sampling_at_effort_none_and_refuses_a_reasoning_summary():
    request = parse_responses(
        {"model": "gpt-6-luna", "input": "Hi", "temperature": 0.2, "reasoning": {"effort": "none"}}, today=TODAY
    )
    assert (request.temperature, request.reasoning.effort) == (0.2, "none")
    error = _responses_error("gpt-6-luna", reasoning={"effort": "low", "summary": "auto"})
    assert (error.param, error.code) == ("reasoning.summary", "unsupported_parameter")


@pytest.mark.parametrize("model", ["my-local-model", "SmolLM2-135M-Instruct", "gpt-99"])
def test_names_without_a_profile_keep_todays_behaviour(model):
    body = {"model": model, "messages": USER, "temperature": 0.2, "max_tokens": 5, "n": 2, "logprobs": True}
    assert parse_chat_completion(body, today=TODAY).n == 2
    error = _chat_error(model, reasoning_effort="low")  # still the local model's own 400
    assert error.param == "reasoning_effort" and "local model" in error.message
    error = _responses_error(model, reasoning={"effort": "low"})
    assert error.param == "reasoning" and "local model" in error.message


@pytest.mark.parametrize(
    ("snapshot", "alias"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("gpt-5.5-2026-04-23", "gpt-5.5"),
    ],
)
def test_snapshots_share_their_alias_profile(snapshot, alias):
    assert profile_for(snapshot) is profile_for(alias) is PROFILES[alias]


def test_a_snapshot_gets_its_alias_rules():
    error = _chat_error("gpt-5-mini-2025-08-07", max_tokens=5)
    assert error.param == "max_tokens"


SHUT_DOWN = "The model `{}` has been deprecated, learn more here: https://developers.openai.com/api/docs/deprecations"


@pytest.mark.parametrize(
    "model", ["o4-mini", "gpt-4.1-nano", "o1", "o3-mini", "gpt-4", "gpt-3.5-turbo", "gpt-4o-2024-05-13"]
)
def test_a_model_past_its_shutdown_date_is_404_on_both_endpoints(model):
    for error in (_chat_error(model), _responses_error(model)):
        assert (error.status, error.message, error.param, error.code) == (
            404,
            SHUT_DOWN.format(model),
            None,
            "model_not_found",
        )


@pytest.mark.parametrize(
    ("model", "last_day", "replacement"),
    [
        ("gpt-4o-mini", datetime.date(2027, 1, 14), "gpt-6-luna"),
        ("gpt-4o-mini-2024-07-18", datetime.date(2027, 1, 14), "gpt-6-luna"),
        ("gpt-5", datetime.date(2026, 12, 11), "gpt-6.1-sol"),
        ("gpt-5-mini", datetime.date(2026, 12, 11), "gpt-6.1-terra"),
    ],
)
def test_the_date_cut_and_the_replacement(model, last_day, replacement):
    assert parse_chat_completion({"model": model, "messages": USER}, today=last_day).model == model
    error = _chat_error(model, today=last_day + datetime.timedelta(days=1))
    expected = SHUT_DOWN.format(model) + f" OpenAI's recommended replacement is `{replacement}`."
    assert (error.status, error.message, error.code) == (404, expected, "model_not_found")


def test_today_is_the_real_date_unless_given():
    # o3 shuts down on 2026-12-11: alive on the date these tests were written, gone after
    alive = datetime.date.today() <= datetime.date(2026, 12, 11)
    body = {"model": "o3", "messages": USER}
    if alive:
        assert parse_chat_completion(body).model == "o3"
    else:
        with pytest.raises(APIError):
            parse_chat_completion(body)


def test_docstring_examples_run():
    assert doctest.testmod(profiles, optionflags=doctest.ELLIPSIS).failed == 0


# ------------------------------------------------------------------ end to end, through the openai SDK


def test_sdk_gpt6_luna_refuses_temperature_at_its_default_effort_and_takes_it_at_none(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-6-luna", messages=USER, temperature=0.2)
    assert (caught.value.param, caught.value.code) == ("temperature", "unsupported_value")
    completion = client.chat.completions.create(
        model="gpt-6-luna", messages=USER, temperature=0.2, reasoning_effort="none"
    )
    assert completion.choices[0].message.content == "Hi "
    assert completion.model == "SmolLM2-135M-Instruct"  # the local model says it answered, never gpt-6-luna
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0


def test_sdk_shut_down_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="o4-mini", input="Hi")
    assert caught.value.code == "model_not_found"


def test_the_server_judges_shutdowns_on_the_day_it_is_given():
    after = datetime.date(2027, 1, 15)
    with start_in_thread(api_key=API_KEY, engine=FakeEngine(), today=lambda: after, warm=False) as server:
        with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            with pytest.raises(openai.NotFoundError) as caught:
                sdk.chat.completions.create(model="gpt-4o-mini", messages=USER)
            assert "`gpt-6-luna`" in caught.value.message
            assert sdk.chat.completions.create(model="gpt-6-luna", messages=USER).choices[0].message.content == "Hi "


@pytest.mark.parametrize("model", ["gpt-6-astra", "gpt-6.1-sol"])
def test_astra_and_6_1_sol_take_function_tools_only_on_responses(model):
    error = _chat_error(model, tools=TOOLS)
    assert error.param == "tools" and "use /v1/responses" in error.message
    tool = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    assert parse_responses({"model": model, "input": "Hi", "tools": [tool]}, today=TODAY).tools[0].name == "f"
