"""The lesson 07 checks: right answers pass, plausible mistakes get a hint naming the mistake, stubs are not done."""

from __future__ import annotations

import ast
import copy
import datetime
import doctest
import json

import pytest
from openai import OpenAI

from course_helpers.checks import structured as structured_checks
from course_helpers.checks.structured import (
    BOOK_FIELDS,
    check_ask_with_tools,
    check_ban_word,
    check_book_schema,
    check_parse_weather_arguments,
    check_run_tool_call,
)
from course_helpers.local.server import start_in_thread
from course_helpers.structured import CITIES, get_time, get_weather


@pytest.fixture(scope="module")
def client():
    """The real SDK against a local server on the real model (replies are kept short)."""
    with start_in_thread(api_key="sk-test-structured", today=lambda: datetime.date(2026, 12, 4)) as handle:
        with OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0) as sdk:
            yield sdk


GREEDY = {"model": "gpt-6-luna", "reasoning_effort": "none", "temperature": 0}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TOOL_REQUEST = {**GREEDY, "tools": [WEATHER_TOOL], "max_completion_tokens": 60}
TOOLS = {"get_weather": get_weather, "get_time": get_time}


def _line(capsys, check, *args, **kwargs) -> str:
    check(*args, **kwargs)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def test_docstring_examples():
    assert doctest.testmod(structured_checks).failed == 0


# ---------------------------------------------------------------- Exercise 1: the book schema

BOOK_SCHEMA = {
    "type": "object",
    "properties": copy.deepcopy(BOOK_FIELDS),
    "required": list(BOOK_FIELDS),
    "additionalProperties": False,
}


def _book(**changes):
    schema = copy.deepcopy(BOOK_SCHEMA)
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = schema
        for parent in parents:
            node = node[parent]
        if value is None:
            del node[key]
        else:
            node[key] = value
    return schema


def test_book_schema_right_answer_passes(capsys):
    assert _line(capsys, check_book_schema, BOOK_SCHEMA).startswith("✅")


def test_book_schema_is_used_for_a_real_request(capsys, client):
    line = _line(capsys, check_book_schema, BOOK_SCHEMA, client=client, request=GREEDY)
    assert line.startswith("✅") and "reply fits" in line


@pytest.mark.parametrize(
    "schema, hint",
    [
        (_book(additionalProperties=None), "'additionalProperties': False"),
        (_book(required=["title", "author"]), "required lacks year, genres"),
        (_book(properties__year={"type": "int"}), "a Python name"),
        (_book(properties__year={"type": "number"}), "1974.5"),
        (_book(properties__genres={"type": "array", "maxItems": 3}), "'items': {'type': 'string'}"),
        (_book(properties__genres={"type": "array", "items": {"type": "string"}}), "'maxItems': 3"),
        (
            _book(properties__genres={"type": "array", "items": {"type": "string"}, "maxLength": 3}),
            "maxLength, a keyword for strings",
        ),
        ({"name": "book", "schema": BOOK_SCHEMA, "strict": True}, "wrapper"),
        (_book(properties__genres=None), "properties lacks genres"),
    ],
)
def test_book_schema_wrong_answers(capsys, schema, hint):
    line = _line(capsys, check_book_schema, schema)
    assert line.startswith("❌") and hint in line, line


def test_book_schema_stub_is_not_done(capsys):
    assert _line(capsys, check_book_schema, ...).startswith("⏳")


# ---------------------------------------------------------------- Exercise 2: untrusted arguments


def parse_weather_arguments(arguments):
    data = json.loads(arguments)
    if not isinstance(data, dict) or set(data) - {"city", "unit"}:
        raise ValueError("bad arguments")
    city, unit = data.get("city"), data.get("unit", "celsius")
    if not isinstance(city, str) or city not in CITIES or unit not in ("celsius", "fahrenheit"):
        raise ValueError("bad value")
    return {"city": city, "unit": unit}


def with_eval(arguments):
    data = eval(arguments)  # the mistake under test
    if set(data) - {"city", "unit"} or data.get("city") not in CITIES:
        raise ValueError("bad")
    return {"city": data["city"], "unit": data.get("unit", "celsius")}


def unit_unchecked(arguments):
    data = json.loads(arguments)
    if not isinstance(data, dict) or set(data) - {"city", "unit"} or data.get("city") not in CITIES:
        raise ValueError("bad")
    return {"city": data["city"], "unit": data.get("unit", "celsius")}


def key_error_for_missing_city(arguments):
    data = json.loads(arguments)
    if not isinstance(data, dict) or set(data) - {"city", "unit"}:
        raise ValueError("bad")
    city = data["city"]  # KeyError when there is none
    if city not in CITIES or data.get("unit", "celsius") not in ("celsius", "fahrenheit"):
        raise ValueError("bad")
    return {"city": city, "unit": data.get("unit", "celsius")}


def python_literals(arguments):
    data = ast.literal_eval(arguments)
    return parse_weather_arguments(json.dumps(data))


def no_default_unit(arguments):
    data = parse_weather_arguments(arguments)
    return {key: value for key, value in json.loads(arguments).items()} if "unit" not in arguments else data


def extra_keys_allowed(arguments):
    data = json.loads(arguments)
    if not isinstance(data, dict) or data.get("city") not in CITIES:
        raise ValueError("bad")
    unit = data.get("unit", "celsius")
    if unit not in ("celsius", "fahrenheit"):
        raise ValueError("bad")
    return {"city": data["city"], "unit": unit}


def test_parse_weather_arguments_right_answer_passes(capsys):
    assert _line(capsys, check_parse_weather_arguments, parse_weather_arguments).startswith("✅")


@pytest.mark.parametrize(
    "function, hint",
    [
        (with_eval, "eval"),
        (python_literals, "literal_eval"),
        (unit_unchecked, "'kelvin' is not an allowed unit"),
        (key_error_for_missing_city, "raised KeyError"),
        (no_default_unit, "use 'celsius'"),
        (extra_keys_allowed, "api_key"),
    ],
)
def test_parse_weather_arguments_wrong_answers(capsys, function, hint):
    line = _line(capsys, check_parse_weather_arguments, function)
    assert line.startswith("❌") and hint in line, line


def test_parse_weather_arguments_stub_is_not_done(capsys):
    assert _line(capsys, check_parse_weather_arguments, ...).startswith("⏳")


# ---------------------------------------------------------------- Exercise 3: dispatch


def run_tool_call(tool_call):
    function = TOOLS.get(tool_call.function.name)
    try:
        if function is None:
            raise ValueError("unknown tool")
        result = function(**json.loads(tool_call.function.arguments))
    except (ValueError, TypeError) as error:
        result = {"error": str(error)}
    return {"role": "tool", "tool_call_id": tool_call.id, "content": json.dumps(result)}


def crashes_on_unknown_tools(tool_call):
    result = TOOLS[tool_call.function.name](**json.loads(tool_call.function.arguments))
    return {"role": "tool", "tool_call_id": tool_call.id, "content": json.dumps(result)}


def content_as_dict(tool_call):
    message = run_tool_call(tool_call)
    return {**message, "content": json.loads(message["content"])}


def content_as_repr(tool_call):
    message = run_tool_call(tool_call)
    return {**message, "content": str(json.loads(message["content"]))}


def no_call_id(tool_call):
    return {key: value for key, value in run_tool_call(tool_call).items() if key != "tool_call_id"}


def test_run_tool_call_right_answer_passes(capsys):
    assert _line(capsys, check_run_tool_call, run_tool_call).startswith("✅")


@pytest.mark.parametrize(
    "function, hint",
    [
        (crashes_on_unknown_tools, "must not crash the loop"),
        (content_as_dict, "json.dumps the tool's result"),
        (content_as_repr, "not str(result)"),
        (no_call_id, "the call's own id"),
    ],
)
def test_run_tool_call_wrong_answers(capsys, function, hint):
    line = _line(capsys, check_run_tool_call, function)
    assert line.startswith("❌") and hint in line, line


# ---------------------------------------------------------------- Exercise 4: the loop


def ask_with_tools(client, request, question):
    messages = [{"role": "user", "content": question}]
    message = client.chat.completions.create(**request, messages=messages, tool_choice="required").choices[0].message
    messages.append(message)
    messages += [run_tool_call(tool_call) for tool_call in message.tool_calls]
    return client.chat.completions.create(**request, messages=messages, tool_choice="none"), messages


def without_the_assistant_message(client, request, question):
    messages = [{"role": "user", "content": question}]
    message = client.chat.completions.create(**request, messages=messages, tool_choice="required").choices[0].message
    messages += [run_tool_call(tool_call) for tool_call in message.tool_calls]
    return client.chat.completions.create(**request, messages=messages, tool_choice="none"), messages


def left_on_auto(client, request, question):
    messages = [{"role": "user", "content": question}]
    message = client.chat.completions.create(**request, messages=messages).choices[0].message
    messages.append(message)
    messages += [run_tool_call(tool_call) for tool_call in message.tool_calls or []]
    return client.chat.completions.create(**request, messages=messages, tool_choice="none"), messages


def auto_without_a_guard(client, request, question):
    messages = [{"role": "user", "content": question}]
    message = client.chat.completions.create(**request, messages=messages, tool_choice="auto").choices[0].message
    messages.append(message)
    messages += [run_tool_call(tool_call) for tool_call in message.tool_calls]  # TypeError when there is no call
    return client.chat.completions.create(**request, messages=messages, tool_choice="none"), messages


def returns_the_first_completion(client, request, question):
    messages = [{"role": "user", "content": question}]
    first = client.chat.completions.create(**request, messages=messages, tool_choice="required")
    messages.append(first.choices[0].message)
    messages += [run_tool_call(tool_call) for tool_call in first.choices[0].message.tool_calls]
    client.chat.completions.create(**request, messages=messages, tool_choice="none")
    return first, messages


def results_never_sent(client, request, question):
    messages = [{"role": "user", "content": question}]
    client.chat.completions.create(**request, messages=messages, tool_choice="required")
    return client.chat.completions.create(**request, messages=messages, tool_choice="none"), messages


def test_ask_with_tools_right_answer_passes(capsys, client):
    assert _line(capsys, check_ask_with_tools, ask_with_tools, client, TOOL_REQUEST).startswith("✅")


@pytest.mark.parametrize(
    "function, hint",
    [
        (without_the_assistant_message, "append the model's message first"),
        (left_on_auto, "tool_choice='required'"),
        (results_never_sent, "never saw the tool's result"),
        (returns_the_first_completion, "completion of the second request"),
    ],
)
def test_ask_with_tools_wrong_answers(capsys, client, function, hint):
    line = _line(capsys, check_ask_with_tools, function, client, TOOL_REQUEST)
    assert line.startswith("❌") and hint in line, line


def test_ask_with_tools_auto_first_request_gets_a_hint_not_a_traceback(capsys, client):
    line = _line(capsys, check_ask_with_tools, auto_without_a_guard, client, TOOL_REQUEST)
    assert line.startswith("❌") and "no tool_calls" in line and "tool_choice='required'" in line, line
    assert "when called with" not in line, line


# ---------------------------------------------------------------- Exercise 5: logit_bias

# A made-up tokenizer: "paris" and " Paris" are one token each, " paris" takes two, "Paris" one.
VOCABULARY = {"paris": [11], " paris": [12, 13], "Paris": [14], " Paris": [15]}


def fake_token_ids(text):
    return VOCABULARY[text]


def ban_word(word, token_ids):
    bias = {}
    for spelling in (word, " " + word, word.capitalize(), " " + word.capitalize()):
        ids = token_ids(spelling)
        if len(ids) == 1:
            bias[ids[0]] = -100
    return bias


def words_as_keys(word, token_ids):
    return {spelling: -100 for spelling in (word, word.capitalize())}


def a_nudge(word, token_ids):
    return {token: -10 for token in ban_word(word, token_ids)}


def a_push_up(word, token_ids):
    return {token: 100 for token in ban_word(word, token_ids)}


def no_leading_space(word, token_ids):
    return {token_ids(spelling)[0]: -100 for spelling in (word, word.capitalize())}


def pieces_too(word, token_ids):
    spellings = (word, " " + word, word.capitalize(), " " + word.capitalize())
    return {token: -100 for spelling in spellings for token in token_ids(spelling)}


def test_ban_word_right_answer_passes(capsys):
    assert _line(capsys, check_ban_word, ban_word, fake_token_ids).startswith("✅")


@pytest.mark.parametrize(
    "function, hint",
    [
        (words_as_keys, "token ids"),
        (a_nudge, "-100 bans it"),
        (a_push_up, "+100 FORCES it"),
        (no_leading_space, "with a space before it"),
        (pieces_too, "pieces of a spelling"),
    ],
)
def test_ban_word_wrong_answers(capsys, function, hint):
    line = _line(capsys, check_ban_word, function, fake_token_ids)
    assert line.startswith("❌") and hint in line, line


def test_ban_word_is_sent_to_the_real_model(capsys, client):
    def token_ids(text):
        import httpx

        root = str(client.base_url).removesuffix("/").removesuffix("/v1")
        answer = httpx.post(
            f"{root}/tokenize",
            headers={"Authorization": f"Bearer {client.api_key}"},
            json={"model": "gpt-6-luna", "prompt": text},
        )
        return answer.json()["tokens"]

    line = _line(capsys, check_ban_word, ban_word, token_ids, client=client, request=GREEDY)
    assert line.startswith("✅") and "never uses them" in line, line


def test_checks_skip_on_a_backend_without_json_schema_or_tools(capsys, monkeypatch):
    from course_helpers.course import capabilities
    from course_helpers.course.backends import BackendInfo
    from course_helpers.local.server.without import parse_without

    monkeypatch.setattr(capabilities, "_cache", {})
    without = parse_without("json_schema,tools")
    with start_in_thread(
        api_key="sk-test-structured", today=lambda: datetime.date(2026, 12, 4), without=without
    ) as handle:
        monkeypatch.setenv("OPENAI_API_KEY", handle.api_key)
        info = BackendInfo("server", "gpt-6-luna", handle.base_url, "…", None)
        monkeypatch.setattr("course_helpers.checks.hints._info", info)
        with OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0) as sdk:
            schema = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
            book = _line(capsys, check_book_schema, schema, client=sdk, request=GREEDY)
            tools = _line(capsys, check_ask_with_tools, ..., sdk, TOOL_REQUEST)
    assert book.startswith("⏭️ Skipped on this backend: it has no structured outputs (json_schema) (HTTP 400")
    assert tools.startswith("⏭️ Skipped on this backend: it has no tools (function calling) (HTTP 400")
    assert _line(capsys, check_parse_weather_arguments, ...).startswith("⏳")  # offline checks do not ask
