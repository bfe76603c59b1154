"""Structured outputs and logit_bias through the real openai SDK, with the echoing stand-in engine.

The stand-in does not decode under a grammar: it echoes the last message word
by word, so a test that sends JSON gets that JSON back and can follow it
through the SDK's ``parse()`` helpers. These tests check the protocol (what
reaches the engine, the shapes, every 400); the real model's replies under a
grammar are checked in test_structured_real.py.
"""

from __future__ import annotations

import asyncio

import openai
import pytest
from pydantic import BaseModel

from course_helpers.local.constraints import GrammarError

ADA = '{"name": "Ada", "age": 36}'
ASK = [{"role": "user", "content": ADA}]


class Person(BaseModel):
    name: str
    age: int


def bad_request(client, **request) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=request.pop("messages", ASK), **request)
    return caught.value


def schema_format(schema: dict, strict: bool | None = True, name: str = "answer") -> dict:
    spec: dict = {"name": name, "schema": schema}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


# ---- Chat Completions: response_format -----------------------------------------------------


def test_parse_with_a_pydantic_model_gives_the_parsed_message(client, engine):
    reply = client.chat.completions.parse(model="gpt-4o-mini", messages=ASK, response_format=Person)
    message = reply.choices[0].message
    assert message.parsed == Person(name="Ada", age=36)
    assert message.refusal is None
    constraint = engine.generations[-1].params.constraint
    assert constraint.kind == "json_schema" and constraint.param == "response_format"


def test_parse_of_a_reply_cut_by_the_token_limit_raises_length_finish_reason_error(client):
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(
            model="gpt-4o-mini", messages=ASK, response_format=Person, max_completion_tokens=2
        )


def test_the_stream_helper_gives_a_parsed_final_completion(client):
    with client.chat.completions.stream(model="gpt-4o-mini", messages=ASK, response_format=Person) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert "content.done" in kinds
    assert final.choices[0].message.parsed == Person(name="Ada", age=36)


def test_async_parse(async_client):
    async def ask():
        async with async_client:
            return await async_client.chat.completions.parse(model="gpt-4o-mini", messages=ASK, response_format=Person)

    assert asyncio.run(ask()).choices[0].message.parsed.age == 36


def test_async_stream_helper_gives_a_parsed_final_completion(async_client):
    async def ask():
        async with async_client:
            async with async_client.chat.completions.stream(
                model="gpt-4o-mini", messages=ASK, response_format=Person
            ) as stream:
                async for _ in stream:
                    pass
                return await stream.get_final_completion()

    assert asyncio.run(ask()).choices[0].message.parsed == Person(name="Ada", age=36)


def test_json_mode_reaches_the_engine_when_a_message_mentions_json(client, engine):
    messages = [{"role": "system", "content": "Answer in JSON."}, *ASK]
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, response_format={"type": "json_object"}
    )
    assert reply.choices[0].message.content.strip() == ADA
    assert engine.generations[-1].params.constraint.kind == "json_object"


def test_json_mode_without_the_word_json_is_openai_s_400(client):
    error = bad_request(client, messages=[{"role": "user", "content": "hi"}], response_format={"type": "json_object"})
    assert error.param == "messages" and error.code is None
    assert error.body["message"] == (
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    )


def test_text_format_is_no_constraint(client, engine):
    client.chat.completions.create(model="gpt-4o-mini", messages=ASK, response_format={"type": "text"})
    assert engine.generations[-1].params.constraint is None


def test_a_non_strict_schema_is_honoured_without_openai_s_strict_checks(client, engine):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}  # no required, no additionalProperties
    client.chat.completions.create(model="gpt-4o-mini", messages=ASK, response_format=schema_format(schema, False))
    assert engine.generations[-1].params.constraint.kind == "json_schema"


def test_a_strict_schema_without_additional_properties_false_is_openai_s_400(client):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    error = bad_request(client, response_format=schema_format(schema))
    assert error.param == "response_format"
    assert error.body["message"] == (
        "Invalid schema for response_format 'answer': In context=(), 'additionalProperties' is required to be "
        "supplied and to be false."
    )


@pytest.mark.parametrize(
    ("response_format", "param", "code"),
    [
        ({"type": "xml"}, "response_format.type", "invalid_value"),
        ({"type": "json_schema"}, "response_format.json_schema", "missing_required_parameter"),
        (
            {"type": "json_schema", "json_schema": {"schema": {}}},
            "response_format.json_schema.name",
            "missing_required_parameter",
        ),
        (schema_format({}, name="my schema"), "response_format.json_schema.name", "invalid_value"),
        (schema_format({}, name="x" * 65), "response_format.json_schema.name", "string_above_max_length"),
        (schema_format({"type": "string", "pattern": "(?=a)"}, strict=None), "response_format", None),
        (schema_format({"type": "array"}), "response_format", None),
    ],
)
def test_malformed_formats_are_400s_naming_the_place(client, response_format, param, code):
    error = bad_request(client, response_format=response_format)
    assert (error.param, error.code) == (param, code)


def test_a_grammar_failure_before_the_reply_is_a_400_naming_the_parameter(client, engine):
    engine.fail_at_step, engine.failure = (
        0,
        GrammarError("The local model's reply stopped: too complex", "response_format"),
    )
    error = bad_request(client, response_format={"type": "json_object"}, messages=[{"role": "user", "content": "json"}])
    assert error.param == "response_format" and "too complex" in error.message


def test_a_grammar_failure_midway_is_a_400_not_a_500(client, engine):
    engine.fail_at_step, engine.failure = 2, GrammarError("The local model's reply stopped: too complex")
    assert bad_request(client, response_format=schema_format({}, strict=False)).param == "response_format"


def test_a_grammar_failure_mid_stream_is_an_error_event_of_the_request(client, engine):
    engine.fail_at_step, engine.failure = 2, GrammarError("The local model's reply stopped: too complex")
    with pytest.raises(openai.APIError, match="too complex") as caught:
        list(client.chat.completions.create(model="gpt-4o", messages=ASK, stream=True))
    assert caught.value.type == "invalid_request_error"
    engine.fail_at_step = None
    assert client.chat.completions.create(model="gpt-4o-mini", messages=ASK).choices[0].message.content


# ---- logit_bias -----------------------------------------------------------------------------


def test_logit_bias_reaches_the_engine_as_ids_and_numbers(client, engine):
    client.chat.completions.create(model="gpt-4o-mini", messages=ASK, logit_bias={"7042": 5, "11": -100})
    assert engine.generations[-1].params.logit_bias == {7042: 5.0, 11: -100.0}


@pytest.mark.parametrize(
    ("bias", "message"),
    [
        ({"AI": 10}, "Invalid key in 'logit_bias': AI. You should only be submitting non-negative integers."),
        ({"-3": 10}, "Invalid key in 'logit_bias': -3. You should only be submitting non-negative integers."),
        ({"49152": 10}, "Invalid key in 'logit_bias': 49152. Maximum value is 49151."),
        ({"5": 101}, "Invalid value in 'logit_bias': 101 for token 5. Expected a value between -100 and 100."),
        ({"5": -100.5}, "Invalid value in 'logit_bias': -100.5 for token 5. Expected a value between -100 and 100."),
    ],
)
def test_logit_bias_outside_the_vocabulary_or_range_is_openai_s_400(client, bias, message):
    error = bad_request(client, logit_bias=bias)
    assert (error.param, error.body["message"]) == ("logit_bias", message)


# ---- Responses: text.format ------------------------------------------------------------------


def test_responses_parse_gives_output_parsed(client, engine):
    response = client.responses.parse(model="gpt-4o-mini", input=ADA, text_format=Person)
    assert response.output_parsed == Person(name="Ada", age=36)
    assert response.text.format.type == "json_schema" and response.text.format.name == "Person"
    assert engine.generations[-1].params.constraint.param == "text.format"


def test_responses_json_mode_is_echoed(client, engine):
    response = client.responses.create(
        model="gpt-4o-mini", input=ADA, instructions="Answer in JSON.", text={"format": {"type": "json_object"}}
    )
    assert response.text.format.type == "json_object"
    assert engine.generations[-1].params.constraint.kind == "json_object"


def test_responses_json_mode_without_the_word_json_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input="hi", text={"format": {"type": "json_object"}})
    assert caught.value.param == "input"


def test_responses_strict_schema_errors_name_text_format_schema(client):
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-4o-mini",
            input=ADA,
            text={"format": {"type": "json_schema", "name": "a", "schema": schema, "strict": True}},
        )
    assert (caught.value.param, caught.value.code) == ("text.format.schema", "invalid_json_schema")
    assert caught.value.body["message"].endswith("Missing 'a'.")


def test_responses_stream_helper_parses_the_final_response(client):
    with client.responses.stream(model="gpt-4o-mini", input=ADA, text_format=Person) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_parsed == Person(name="Ada", age=36)
