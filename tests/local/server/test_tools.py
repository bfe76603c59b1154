"""Tool calling on Chat Completions through the real openai SDK, with the stand-in engine.

The stand-in does not decode under a grammar: given a ``script`` it replies
with that text, so a test can send a ``<tool_call>`` block through the
server and check what the SDK makes of it (ids, arguments, finish reason,
stream deltas, ``parse()``), what reached the engine (the rendered prompt, the
grammar) and every 400. The real model's calls are in test_tools_real.py.
"""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from pydantic import BaseModel

from course_helpers.local.tool_calls import render_call_block

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}
ASK = [{"role": "user", "content": "What's the weather like in Paris?"}]
PARIS = render_call_block([("get_weather", '{"location": "Paris", "unit": "celsius"}')])
TWO = render_call_block([("get_weather", '{"location": "Paris"}'), ("get_weather", '{"location": "Oslo"}')])


@pytest.fixture(autouse=True)
def _room_for_the_tool_list(engine):
    engine.context_length = 4096  # the tool list and its instructions make long prompts


def create(client, **request):
    request.setdefault("model", "gpt-4o-mini")
    return client.chat.completions.create(
        messages=request.pop("messages", ASK), tools=request.pop("tools", [WEATHER]), **request
    )


def bad_request(client, **request) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        create(client, **request)
    return caught.value


def test_a_call_comes_back_as_tool_calls_with_null_content(client, engine):
    engine.script = PARIS
    choice = create(client).choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_") and len(call.id) == 29
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Paris", "unit": "celsius"}


def test_the_engine_gets_the_tool_list_in_the_prompt_and_the_tools_grammar(client, engine):
    engine.script = PARIS
    create(client)
    generation = engine.generations[-1]
    assert generation.params.constraint.kind == "tools" and generation.params.constraint.param == "tools"
    prompt = engine.prompt_text()
    assert "<tools>" in prompt and "get_weather" in prompt and "Get current weather" in prompt


def test_a_text_reply_under_auto_is_content(client, engine):
    engine.script = "I cannot know that."
    choice = create(client, tool_choice="auto").choices[0]
    assert choice.message.content == "I cannot know that." and choice.message.tool_calls is None
    assert choice.finish_reason == "stop"


def test_parallel_calls_each_get_their_own_id(client, engine):
    engine.script = TWO
    calls = create(client).choices[0].message.tool_calls
    assert [json.loads(call.function.arguments)["location"] for call in calls] == ["Paris", "Oslo"]
    assert len({call.id for call in calls}) == 2


def test_tool_choice_none_sends_no_grammar_and_no_tool_list(client, engine):
    engine.script = "Sunny, probably."
    assert create(client, tool_choice="none").choices[0].message.content == "Sunny, probably."
    assert engine.generations[-1].params.constraint is None
    assert "<tools>" not in engine.prompt_text()


@pytest.mark.parametrize(
    ("choice", "parallel", "required", "more_than_one"),
    [
        ("required", None, True, True),
        ({"type": "function", "function": {"name": "get_weather"}}, None, True, True),
        ("auto", False, False, False),
    ],
)
def test_tool_choice_and_parallel_tool_calls_shape_the_grammar(
    client, engine, choice, parallel, required, more_than_one
):
    engine.script = PARIS
    extra = {} if parallel is None else {"parallel_tool_calls": parallel}
    create(client, tool_choice=choice, **extra)
    grammar = engine.generations[-1].params.constraint.grammar
    assert ("TEXT | calls" not in grammar) is required
    assert ("call){0,7}" in grammar) is more_than_one


def test_the_seeds_round_trip_sends_the_result_back_and_gets_an_answer(client, engine):
    engine.script = PARIS
    messages = list(ASK)
    message = create(client, messages=messages, tool_choice="auto").choices[0].message
    messages.append(message)  # the SDK's own message object, as the SDK reference does
    for tool_call in message.tool_calls:
        arguments = json.loads(tool_call.function.arguments)
        result = {"location": arguments["location"], "temperature": 18, "unit": "celsius"}
        messages.append(
            {"tool_call_id": tool_call.id, "role": "tool", "name": "get_weather", "content": json.dumps(result)}
        )
    engine.script = "It is 18 degrees in Paris."
    final = create(client, messages=messages)
    assert final.choices[0].message.content == "It is 18 degrees in Paris."
    prompt = engine.prompt_text()
    assert '"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}' in prompt
    assert "<tool_response>" in prompt and '"temperature": 18' in prompt


def test_streamed_calls_arrive_as_openai_streams_them(client, engine):
    engine.script = TWO
    chunks = list(create(client, stream=True))
    deltas = [chunk.choices[0].delta for chunk in chunks if chunk.choices]
    assert deltas[0].role == "assistant" and deltas[0].content is None
    calls = [call for delta in deltas for call in delta.tool_calls or []]
    firsts = [call for call in calls if call.id is not None]
    assert [(call.index, call.type, call.function.name, call.function.arguments) for call in firsts] == [
        (0, "function", "get_weather", ""),
        (1, "function", "get_weather", ""),
    ]
    arguments = ["".join(c.function.arguments for c in calls if c.index == i and c.id is None) for i in (0, 1)]
    assert arguments == ['{"location": "Paris"}', '{"location": "Oslo"}']
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert not [delta for delta in deltas if delta.content]


def test_the_stream_helper_accumulates_the_calls(client, engine):
    engine.script = PARIS
    with client.chat.completions.stream(model="gpt-4o-mini", messages=ASK, tools=[WEATHER]) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert {"tool_calls.function.arguments.delta", "tool_calls.function.arguments.done"} <= kinds
    (call,) = final.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"location": "Paris", "unit": "celsius"}
    assert final.choices[0].finish_reason == "tool_calls"


class GetWeather(BaseModel):
    location: str
    unit: str


def test_parse_with_a_pydantic_function_tool_gives_parsed_arguments(client, engine):
    engine.script = PARIS
    reply = client.chat.completions.parse(
        model="gpt-4o-mini", messages=ASK, tools=[openai.pydantic_function_tool(GetWeather, name="get_weather")]
    )
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.parsed_arguments == GetWeather(location="Paris", unit="celsius")


def test_async_create_and_stream(async_client, engine):
    engine.script = PARIS

    async def ask():
        async with async_client:
            reply = await create(async_client)
            stream = await create(async_client, stream=True)
            names = [c.function.name async for chunk in stream for c in chunk.choices[0].delta.tool_calls or []]
            return reply, names

    reply, names = asyncio.run(ask())
    assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert [name for name in names if name] == ["get_weather"]


def test_a_text_reply_streams_as_content_under_auto(client, engine):
    engine.script = "<b>Sunny</b> today"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in create(client, stream=True) if chunk.choices)
    assert text == "<b>Sunny</b> today"


# ---- 400s, as OpenAI words them ------------------------------------------------------------------------


CALLED = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
}


@pytest.mark.parametrize(
    ("request_", "param", "message"),
    [
        (
            {"messages": [*ASK, {"role": "tool", "tool_call_id": "call_1", "content": "18"}]},
            "messages.[1].role",
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
            "'tool_calls'.",
        ),
        (
            {"messages": [*ASK, CALLED, {"role": "user", "content": "And?"}]},
            "messages.[2].role",
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            "'tool_call_id'. The following tool_call_ids did not have response messages: call_1",
        ),
        (
            {"messages": [*ASK, CALLED, {"role": "tool", "tool_call_id": "call_9", "content": "18"}]},
            "messages.[2].tool_call_id",
            "Invalid parameter: 'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message.",
        ),
        (
            {"tools": [{"type": "function", "function": {"parameters": {"type": "object"}}}]},
            "tools[0].function.name",
            "Missing required parameter: 'tools[0].function.name'.",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "get weather"}}]},
            "tools[0].function.name",
            "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the "
            "pattern '^[a-zA-Z0-9_-]+$'.",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}]},
            "tools[0].function.parameters",
            "Invalid schema for function 'f': schema must be a JSON Schema of 'type: \"object\"', got "
            "'type: \"array\"'.",
        ),
        (
            {"tools": [{"type": "function", "function": {**WEATHER["function"], "strict": True}}]},
            "tools[0].function.parameters",
            "Invalid schema for function 'get_weather': In context=(), 'additionalProperties' is required to be "
            "supplied and to be false.",
        ),
        (
            {"tools": None, "tool_choice": "auto"},
            "tool_choice",
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        ),
    ],
)
def test_bad_tools_and_histories_get_openais_400(client, request_, param, message):
    if request_.get("tools", []) is None:
        request_ = {**request_, "tools": openai.omit}
    error = bad_request(client, **request_)
    assert error.param == param and error.body["message"] == message


def test_a_named_choice_must_name_one_of_the_tools(client):
    error = bad_request(client, tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert error.param == "tool_choice" and "get_time" in error.message


def test_tool_types_the_local_model_cannot_call_are_refused_by_name(client):
    error = bad_request(client, tools=[{"type": "custom", "custom": {"name": "grammar_tool"}}])
    assert error.code == "unsupported_parameter" and error.param == "tools[0]" and "'custom'" in error.message


def test_gpt_6_luna_takes_function_tools_on_chat_only_at_effort_none(client, engine):
    error = bad_request(client, model="gpt-6-luna")
    assert error.param == "reasoning_effort" and "set reasoning_effort to 'none'" in error.message
    engine.script = PARIS
    reply = create(client, model="gpt-6-luna", reasoning_effort="none")
    assert reply.choices[0].finish_reason == "tool_calls"


def test_logprobs_come_with_the_pieces_of_a_streamed_call(client, engine):
    engine.script = PARIS
    chunks = [chunk for chunk in create(client, stream=True, logprobs=True) if chunk.choices]
    entries = [entry for chunk in chunks if chunk.choices[0].logprobs for entry in chunk.choices[0].logprobs.content]
    assert "".join(entry.token for entry in entries) == PARIS  # the stand-in's tokens: 5 characters each
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
