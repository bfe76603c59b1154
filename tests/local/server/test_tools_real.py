"""Tool calling on the real SmolLM2 model, through the unchanged openai SDK.

Under ``tool_choice="required"`` (or a named function) the grammar leaves the
model only valid calls, whatever the temperature: every reply here must
parse and validate against the function's parameters. Under ``"auto"`` the
135M model mostly answers in text (it was not trained on the convention, see
``course_helpers/local/tool_calls.py``); what it writes is never compared.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "pattern": "^[A-Z][a-z]{1,15}$"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current time in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}}},
    },
}
ASK = [{"role": "user", "content": "What's the weather like in Paris?"}]


def valid_calls(message) -> list[tuple[str, dict]]:
    calls = []
    for call in message.tool_calls:
        tool = {"get_weather": WEATHER, "get_time": TIME}[call.function.name]
        arguments = json.loads(call.function.arguments)
        jsonschema.validate(arguments, tool["function"]["parameters"])
        calls.append((call.function.name, arguments))
    return calls


@pytest.mark.parametrize("seed", [1, 2])
def test_required_calls_validate_at_temperature_1(real_client, seed):
    reply = real_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=ASK,
        tools=[WEATHER, TIME],
        tool_choice="required",
        temperature=1,
        seed=seed,
        max_completion_tokens=120,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert valid_calls(choice.message)


def test_a_named_function_is_the_one_called_once_without_parallel_calls(real_client):
    reply = real_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=ASK,
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
        parallel_tool_calls=False,
        temperature=1,
        seed=4,
        max_completion_tokens=120,
    )
    assert [name for name, _ in valid_calls(reply.choices[0].message)] == ["get_time"]


def test_the_seeds_round_trip_ends_in_a_text_answer(real_client):
    messages = list(ASK)
    ask = dict(model="gpt-4o-mini", tools=[WEATHER], temperature=0, max_completion_tokens=80)
    message = real_client.chat.completions.create(messages=messages, tool_choice="required", **ask).choices[0].message
    messages.append(message)
    for call in message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 18})})
    final = real_client.chat.completions.create(messages=messages, tool_choice="none", **ask).choices[0]
    assert final.message.tool_calls is None and final.message.content


def test_streamed_calls_equal_the_unstreamed_ones_for_a_seed(real_client):
    ask = dict(model="gpt-4o-mini", messages=ASK, tools=[WEATHER], tool_choice="required", temperature=1, seed=9)
    plain = real_client.chat.completions.create(**ask).choices[0].message.tool_calls
    with real_client.chat.completions.stream(**ask) as stream:
        for _ in stream:
            pass
        streamed = stream.get_final_completion().choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in streamed] == [
        (c.function.name, c.function.arguments) for c in plain
    ]


def test_responses_function_call_validates(real_client):
    tool = {"type": "function", **WEATHER["function"]}
    response = real_client.responses.create(
        model="gpt-4o-mini", input=ASK[0]["content"], tools=[tool], tool_choice="required", temperature=1
    )
    (item,) = [item for item in response.output if item.type == "function_call"][:1]
    jsonschema.validate(json.loads(item.arguments), tool["parameters"])
