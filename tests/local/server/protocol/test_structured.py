"""Structured outputs in requests: OpenAI's checks of strict schemas, in OpenAI's words, naming the place."""

from __future__ import annotations

import doctest

import pytest

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol import structured
from course_helpers.local.server.protocol.structured import check_strict_schema, constraint_for


def closed(properties: dict, **more) -> dict:
    """A strict-ready object schema: every property required, no others."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **more,
    }


def strict_error(schema: dict) -> APIError:
    with pytest.raises(APIError) as caught:
        check_strict_schema(schema, "answer")
    return caught.value


def test_docstring_examples():
    assert doctest.testmod(structured, optionflags=doctest.ELLIPSIS).failed == 0


def test_everything_openai_strict_mode_takes_is_accepted():
    schema = closed(
        {
            "name": {"type": "string", "description": "who", "pattern": "^[A-Z]"},
            "when": {"type": "string", "format": "date"},
            "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 150},
            "score": {"type": "number", "multipleOf": 0.5},
            "ok": {"type": "boolean"},
            "kind": {"enum": ["a", "b"]},
            "version": {"const": 2},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
            "pet": {"anyOf": [{"$ref": "#/$defs/cat"}, {"type": "null"}]},
            "tree": {"$ref": "#/$defs/node"},
        },
        title="Answer",
        **{
            "$defs": {
                "cat": closed({"lives": {"type": "integer"}}),
                "node": closed(
                    {"value": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}
                ),
            }
        },
    )
    check_strict_schema(schema, "answer")
    assert (
        constraint_for(
            structured.FormatJSONSchema.model_validate(
                {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
            ),
            "response_format",
        ).kind
        == "json_schema"
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "array", "items": {"type": "string"}},
            """schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.""",
        ),
        ({"anyOf": [closed({})]}, """schema must be a JSON Schema of 'type: "object"', got 'type: "None"'."""),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "In context=(), 'additionalProperties' is required to be supplied and to be false.",
        ),
        (
            closed({"a": {"type": "string"}}, required=[]),
            "In context=(), 'required' is required to be supplied and to be an array including every key in "
            "properties. Missing 'a'.",
        ),
        (
            closed({"a": {"type": "string"}}, required=["a", "b"]),
            "In context=(), 'required' is required to be supplied and to be an array including every key in "
            "properties. Extra required key 'b' supplied.",
        ),
        (
            closed({"u": {"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}]}}),
            "In context=('properties', 'u', 'anyOf', '0'), 'additionalProperties' is required to be supplied and "
            "to be false.",
        ),
        (
            closed({"rich": {"type": "array", "items": {"allOf": [{"type": "string"}]}}}),
            "In context=('properties', 'rich', 'items'), 'allOf' is not permitted.",
        ),
        (
            closed({"name": {"type": "string", "minLength": 1}}),
            "In context=('properties', 'name'), 'minLength' is not permitted.",
        ),
        (
            closed({"a": {"type": "string"}}, **{"$defs": {"b": {"type": "object"}}}),
            "In context=('$defs', 'b'), 'additionalProperties' is required to be supplied and to be false.",
        ),
    ],
)
def test_what_strict_mode_refuses_is_named_where_it_is(schema, message):
    error = strict_error(schema)
    assert error.status == 400 and error.param == "response_format" and error.code is None
    assert error.message == f"Invalid schema for response_format 'answer': {message}"


def test_responses_schema_errors_name_text_format_schema():
    with pytest.raises(APIError) as caught:
        check_strict_schema({"type": "object"}, "x", param="text.format.schema", code="invalid_json_schema")
    assert (caught.value.param, caught.value.code) == ("text.format.schema", "invalid_json_schema")


def test_a_pattern_llguidance_cannot_enforce_is_a_400_even_when_not_strict():
    spec = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "(?=a)b"}}}
    with pytest.raises(APIError) as caught:
        constraint_for(structured.FormatJSONSchema.model_validate(spec), "response_format")
    assert caught.value.message.startswith("Invalid schema for response_format 'x': regex parse error")
    assert "look-around" in caught.value.message


def test_text_is_no_constraint_and_json_mode_is_one():
    assert constraint_for(None, "response_format") is None
    assert constraint_for(structured.FormatText(type="text"), "response_format") is None
    json_mode = constraint_for(structured.FormatJSONObject(type="json_object"), "text.format")
    assert (json_mode.kind, json_mode.param) == ("json_object", "text.format")
