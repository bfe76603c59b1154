"""Function tools on the Responses API through the real openai SDK, with the stand-in engine (see test_tools.py)."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from course_helpers.local.tool_calls import render_call_block

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get current weather for a location",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
        "additionalProperties": False,
    },
    "strict": True,
}
ASK = "What's the weather like in Paris?"
PARIS = render_call_block([("get_weather", '{"location": "Paris"}')])
TWO = render_call_block([("get_weather", '{"location": "Paris"}'), ("get_weather", '{"location": "Oslo"}')])


@pytest.fixture(autouse=True)
def _room_for_the_tool_list(engine):
    engine.context_length = 4096


def create(client, **request):
    request.setdefault("model", "gpt-4o-mini")
    return client.responses.create(input=request.pop("input", ASK), tools=request.pop("tools", [WEATHER]), **request)


def test_a_call_is_a_function_call_output_item(client, engine):
    engine.script = PARIS
    response = create(client)
    (item,) = response.output
    assert item.type == "function_call" and item.name == "get_weather" and item.status == "completed"
    assert item.call_id.startswith("call_") and item.id.startswith("fc_")
    assert json.loads(item.arguments) == {"location": "Paris"}
    assert response.output_text == "" and response.tools[0].name == "get_weather"
    assert engine.generations[-1].params.constraint.kind == "tools"


def test_a_text_reply_is_a_message(client, engine):
    engine.script = "I do not know."
    response = create(client, tool_choice="auto")
    assert response.output_text == "I do not know." and response.output[0].type == "message"


def test_the_result_goes_back_with_previous_response_id(client, engine):
    engine.script = PARIS
    first = create(client)
    call = first.output[0]
    engine.script = "It is 18 degrees in Paris."
    second = create(
        client,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"temperature": 18})}],
    )
    assert second.output_text == "It is 18 degrees in Paris."
    prompt = engine.prompt_text()
    assert '"name": "get_weather", "arguments": {"location": "Paris"}' in prompt
    assert "<tool_response>" in prompt and '"temperature": 18' in prompt
    items = client.responses.input_items.list(second.id).data
    assert [item.type for item in items][:2] == ["function_call_output", "function_call"]


def test_the_result_goes_back_as_input_items_without_stored_state(client, engine):
    engine.script = PARIS
    first = create(client, store=False)
    engine.script = "Sunny."
    output = {"type": "function_call_output", "call_id": first.output[0].call_id, "output": "sunny"}
    second = create(client, input=[{"role": "user", "content": ASK}, first.output[0], output])
    assert second.output_text == "Sunny."


def test_streamed_calls_arrive_as_the_sdk_expects_them(client, engine):
    engine.script = TWO
    events = list(create(client, stream=True))
    kinds = [event.type for event in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.output_text.delta" not in kinds
    added = [event.item for event in events if event.type == "response.output_item.added"]
    assert [(item.type, item.name, item.arguments) for item in added] == [("function_call", "get_weather", "")] * 2
    deltas = [e for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(e.delta for e in deltas if e.output_index == 1) == '{"location": "Oslo"}'
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert [e.arguments for e in done] == ['{"location": "Paris"}', '{"location": "Oslo"}']
    assert [e.item_id for e in done] == [item.id for item in added]
    final = events[-1].response
    assert kinds[-1] == "response.completed" and [item.call_id for item in final.output] == [
        item.call_id for item in added
    ]


def test_the_stream_helper_gives_the_final_response(client, engine):
    engine.script = PARIS
    with client.responses.stream(model="gpt-4o-mini", input=ASK, tools=[WEATHER]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert json.loads(final.output[0].arguments) == {"location": "Paris"}


def test_async_create(async_client, engine):
    engine.script = PARIS

    async def ask():
        async with async_client:
            return await create(async_client, tool_choice={"type": "function", "name": "get_weather"})

    assert asyncio.run(ask()).output[0].name == "get_weather"


def test_tool_choice_is_echoed(client, engine):
    engine.script = PARIS
    response = create(client, tool_choice={"type": "function", "name": "get_weather"}, parallel_tool_calls=False)
    assert response.tool_choice.name == "get_weather" and response.parallel_tool_calls is False
    assert "call){0," not in engine.generations[-1].params.constraint.grammar


def bad_request(client, **request) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        create(client, **request)
    return caught.value


def test_an_output_for_no_call_is_openais_400(client):
    error = bad_request(client, input=[{"type": "function_call_output", "call_id": "call_9", "output": "x"}])
    assert error.param == "input"
    assert error.body["message"] == "No tool call found for function call output with call_id call_9."


def test_continuing_a_call_without_its_output_is_openais_400(client, engine):
    engine.script = PARIS
    first = create(client)
    error = bad_request(client, previous_response_id=first.id, input="And tomorrow?")
    assert error.param == "input"
    assert error.body["message"] == f"No tool output found for function call {first.output[0].call_id}."


def test_a_strict_schema_is_checked_where_responses_puts_it(client):
    loose = {**WEATHER, "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}
    error = bad_request(client, tools=[loose])
    assert (error.param, error.code) == ("tools[0].parameters", "invalid_function_parameters")
    assert error.body["message"].startswith("Invalid schema for function 'get_weather': In context=()")


def test_built_in_tools_are_refused_by_name(client):
    error = bad_request(client, tools=[{"type": "web_search"}])
    assert (error.param, error.code) == ("tools[0]", "unsupported_parameter")
