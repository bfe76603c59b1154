"""POST /v1/responses through the real openai SDK (strict validation), sync and streaming.

Most tests use the echoing stand-in engine (it replies with the words of the
last message, one token each), so text and token counts are predictable; the
last tests run the real SmolLM2 model and compare it only with itself.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from course_helpers.local.server.app import ENDPOINT_MODULES
from course_helpers.local.server.chat_request import DEFAULT_MAX_OUTPUT_TOKENS
from course_helpers.local.server.responses import parse_responses_request

from .conftest import API_KEY, wait_for

WORDS = " ".join(f"w{i}" for i in range(20))


def test_endpoint_module_is_listed():
    assert "course_helpers.local.server.responses" in ENDPOINT_MODULES


def test_disconnect_while_waiting_for_a_whole_response_cancels_generation(fake_server, engine):
    engine.delay = 0.05
    words = " ".join(f"w{i}" for i in range(40))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            fake_server.base_url + "/responses",
            json={"model": "gpt-4o", "input": words},
            timeout=0.4,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
    generation = engine.generations[-1]
    assert wait_for(generation.cancelled.is_set)
    assert generation.completion_tokens < 40


def test_string_input_gives_output_text(client):
    response = client.responses.create(model="gpt-4o-mini", input="one two three")
    assert response.output_text == "one two three "
    assert response.id.startswith("resp_")
    assert response.object == "response"
    assert response.status == "completed"
    assert response.incomplete_details is None
    assert [item.type for item in response.output] == ["message"]
    assert response.output[0].content[0].type == "output_text"
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == response.usage.input_tokens + 3
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0


def test_without_a_limit_a_response_ends_incomplete_at_the_default_maximum_output(client, engine):
    engine.context_length = DEFAULT_MAX_OUTPUT_TOKENS + 100
    words = " ".join(f"w{i}" for i in range(DEFAULT_MAX_OUTPUT_TOKENS + 10))
    response = client.responses.create(model="gpt-4o-mini", input=words)
    assert engine.generations[-1].params.max_tokens == DEFAULT_MAX_OUTPUT_TOKENS
    assert (response.status, response.incomplete_details.reason) == ("incomplete", "max_output_tokens")
    assert response.usage.output_tokens == DEFAULT_MAX_OUTPUT_TOKENS
    assert response.max_output_tokens is None  # the request's own value, as OpenAI echoes it


def test_a_reasoning_effort_is_accepted_and_echoed_and_reasons_nothing(client):
    response = client.responses.create(model="gpt-6-luna", input="one two", reasoning={"effort": "low"})
    assert response.output_text == "one two "
    assert response.reasoning.effort == "low"
    assert response.usage.output_tokens_details.reasoning_tokens == 0
    default = client.responses.create(model="gpt-6-luna", input="one")
    assert default.reasoning.effort == "medium"  # gpt-6-luna's default, as OpenAI reports the effort it used
    assert client.responses.create(model="gpt-4o-mini", input="one").reasoning.effort is None


def test_instructions_become_a_first_system_message(client, engine):
    response = client.responses.create(model="gpt-4o-mini", input="hi there", instructions="Be brief.")
    assert response.instructions == "Be brief."
    # the stand-in renders each message as "<role> content": instructions come first
    prompt = engine.generations[-1]
    assert prompt.prompt_tokens == len("<role> Be brief. <role> hi there".split())


def test_message_list_with_parts(client):
    response = client.responses.create(
        model="gpt-4o-mini",
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "input_text", "text": "first"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "reply"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "last words"}]},
        ],
    )
    assert response.output_text == "last words "


def test_sampling_parameters_reach_the_engine(client, engine):
    client.responses.create(model="gpt-4o-mini", input="a b", temperature=0.3, top_p=0.5, max_output_tokens=64)
    params = engine.generations[-1].params
    assert (params.temperature, params.top_p, params.max_tokens) == (0.3, 0.5, 64)


def test_max_output_tokens_makes_an_incomplete_response(client):
    response = client.responses.create(model="gpt-4o-mini", input=WORDS, max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16
    assert response.output[0].status == "incomplete"


def test_stream_events_in_order(client):
    events = list(client.responses.create(model="gpt-4o-mini", input="one two three", stream=True))
    types = [event.type for event in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert deltas == ["one ", "two ", "three "]
    assert events[-1].response.output_text == "".join(deltas)
    assert events[-1].response.usage.output_tokens == 3


def test_stream_ends_incomplete_when_cut(client):
    events = list(client.responses.create(model="gpt-4o-mini", input=WORDS, stream=True, max_output_tokens=16))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


def test_stream_helper_collects_the_final_response(client):
    with client.responses.stream(model="gpt-4o-mini", input="alpha beta") as stream:
        texts = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == "alpha beta "


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"reasoning": {"effort": "low"}}, "reasoning.effort"),  # gpt-4o-mini is not a reasoning model
        (
            {"text": {"format": {"type": "json_schema", "name": "x", "schema": {}, "strict": True}}},
            "text.format.schema",
        ),
        ({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}, "input[0].content[0]"),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input[0].type"),
        ({"input": [{"role": "user", "content": [{"type": "input_text"}]}]}, "input[0].content[0].text"),
        ({"input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]}, "input[0].content[0].type"),
        ({"temperature": 3}, "temperature"),
        ({"max_output_tokens": 2}, "max_output_tokens"),
    ],
)
def test_unsupported_or_invalid_is_a_400_naming_the_param(client, extra, param):
    body = {"model": "gpt-4o-mini", "input": "hi", **extra}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(**body)
    assert caught.value.param == param


def test_off_values_of_unsupported_features_are_accepted(client):
    response = client.responses.create(
        model="gpt-4o-mini",
        input="a b",
        top_logprobs=0,
        include=[],
        tools=[],
        tool_choice="auto",
        background=False,
        store=True,
    )
    assert response.output_text == "a b "


def test_missing_input_names_input():
    with pytest.raises(Exception) as caught:
        parse_responses_request({"model": "gpt-4o-mini"})
    assert caught.value.param == "input"


def test_too_long_input_names_input(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input=" ".join(["x"] * 100))
    assert (caught.value.param, caught.value.code) == ("input", "context_length_exceeded")
    assert "However, your input resulted in 101 tokens." in caught.value.message


def test_real_model_sync_and_stream_agree(real_client):
    request = {
        "model": "gpt-4o-mini",
        "input": "What is the capital of France?",
        "instructions": "Answer in one short sentence.",
        "temperature": 0,
        "max_output_tokens": 20,
    }
    response = real_client.responses.create(**request)
    assert response.output_text.strip()
    assert response.usage.output_tokens <= 20
    streamed = list(real_client.responses.create(**request, stream=True))
    deltas = "".join(event.delta for event in streamed if event.type == "response.output_text.delta")
    assert deltas == response.output_text
    assert streamed[-1].response.usage.output_tokens == response.usage.output_tokens


def _raw(fake_server, body):
    return httpx.post(
        fake_server.base_url + "/responses",
        json={"model": "gpt-4o", **body},
        timeout=10,
        headers={"Authorization": f"Bearer {API_KEY}"},
    )


@pytest.mark.parametrize(
    "body, param",
    [
        ({"input": "hi", "text": {"format": {"type": "text"}, "verbosity": "low"}}, "text.verbosity"),
        ({"input": "hi", "text": {"colour": "red"}}, "text.colour"),
        ({"input": "hi", "service_tier": "bogus"}, "service_tier"),
        ({"input": [{"role": "user", "content": "x", "extra": 1}]}, "input[0].extra"),
    ],
)
def test_parameters_it_cannot_honour_or_does_not_know_are_400s(fake_server, body, param):
    response = _raw(fake_server, body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_truncation_auto_drops_the_oldest_items_until_the_input_fits(fake_server, engine):
    # the stand-in engine has a context of 64 tokens, one per word plus a marker per message
    items = [{"role": "user", "content": " ".join(f"old{i}_{j}" for j in range(20))} for i in range(4)]
    items.append({"role": "user", "content": "last words"})
    body = {"input": items, "instructions": "be brief", "max_output_tokens": 16}
    assert _raw(fake_server, body).json()["error"]["code"] == "context_length_exceeded"
    response = _raw(fake_server, {**body, "truncation": "auto"})
    assert response.status_code == 200 and response.json()["truncation"] == "auto"
    assert response.json()["output"][0]["content"][0]["text"] == "last words "
    prompt = engine.vocabulary
    assert "be" in prompt and "old3_0" in prompt and response.json()["usage"]["input_tokens"] <= 64


def test_engine_failure_is_a_500_server_error_in_openais_shape(fake_server, engine):
    engine.fail_at_step = 1
    response = _raw(fake_server, {"input": "one two three"})
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "server_error" and "broke on purpose" in error["message"]


def test_engine_failure_mid_stream_is_an_error_event(client, engine):
    engine.fail_at_step = 1
    events = list(client.responses.create(model="gpt-4o", input="one two three", stream=True))
    assert [event.type for event in events[-2:]] == ["response.output_text.delta", "error"]
    assert events[-1].code == "server_error" and "broke on purpose" in events[-1].message
    assert events[-1].sequence_number == len(events) - 1


@pytest.mark.parametrize("stream", [False, True])
def test_server_keeps_serving_after_a_failure(client, engine, stream):
    engine.fail_at_step = 1
    if stream:
        assert list(client.responses.create(model="gpt-4o", input="one two", stream=True))[-1].type == "error"
    else:
        with pytest.raises(openai.InternalServerError):
            client.responses.create(model="gpt-4o", input="one two")
    engine.fail_at_step = None
    assert client.responses.create(model="gpt-4o", input="one two").output_text == "one two "
