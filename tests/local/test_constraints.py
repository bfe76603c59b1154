"""Constraints: the grammars of JSON mode and JSON schemas, narrowed where a small model needs it."""

from __future__ import annotations

import doctest
import json

import pytest

from course_helpers.local import constraints
from course_helpers.local.constraints import bounded, grammar_error, json_object, json_schema


def schema_of(constraint):
    """The JSON schema inside a constraint's llguidance grammar."""
    return json.loads(constraint.grammar)["grammars"][0]["json_schema"]


def test_docstring_examples():
    assert doctest.testmod(constraints).failed == 0


def test_json_mode_is_any_object_laid_out_compactly():
    grammar = json.loads(json_object().grammar)["grammars"][0]["json_schema"]
    assert grammar["type"] == "object"
    assert grammar["x-guidance"]["whitespace_flexible"] is False
    assert grammar["x-guidance"]["item_separator"] == ", " and grammar["x-guidance"]["key_separator"] == ": "


def test_a_strict_schema_is_kept_except_for_number_bounds():
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    got = schema_of(json_schema(schema, strict=True))
    assert got["properties"]["name"] == {"type": "string", "maxLength": constraints.LONGEST_STRING}
    assert got["properties"]["age"]["maximum"] == constraints.LARGEST_NUMBER
    assert schema["properties"]["age"] == {"type": "integer"}, "the request's schema is not changed"


def test_non_strict_objects_with_properties_get_no_keys_of_the_model_s_own():
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "string"}}}}},
    }
    got = schema_of(json_schema(schema, strict=False))
    assert got["additionalProperties"] is False
    assert got["properties"]["tags"]["items"]["additionalProperties"] is False


def test_non_strict_keeps_what_the_schema_says_of_extra_keys():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}
    assert schema_of(json_schema(schema, strict=False))["additionalProperties"] is True
    assert "additionalProperties" not in schema_of(json_schema({"type": "object"}, strict=False))


def test_a_property_named_like_a_keyword_is_a_property_not_a_schema():
    schema = {"type": "object", "properties": {"properties": {"type": "string"}, "type": {"type": "integer"}}}
    got = schema_of(json_schema(schema, strict=False))
    assert got["properties"]["properties"]["type"] == "string"
    assert set(got["properties"]) == {"properties", "type"}


def test_numbers_are_bounded_wherever_they_are_but_never_in_data():
    schema = {
        "$defs": {"n": {"type": ["number", "null"]}},
        "anyOf": [{"$ref": "#/$defs/n"}, {"type": "integer", "minimum": 0}],
        "enum": [{"type": "integer"}],
    }
    got = bounded(schema)
    assert got["$defs"]["n"]["multipleOf"] == constraints.SMALLEST_STEP
    assert got["anyOf"][1]["minimum"] == 0 and got["anyOf"][1]["maximum"] == constraints.LARGEST_NUMBER
    assert got["enum"] == [{"type": "integer"}]


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string", "pattern": "(?=a)b"}, "look-around"),
        ({"type": "string", "format": "color"}, "Unknown format"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "does not exist"),
    ],
)
def test_what_llguidance_cannot_compile_is_said(schema, problem):
    assert problem in grammar_error(json_schema(schema, strict=True).grammar)


def test_a_lenient_grammar_ignores_what_it_cannot_enforce():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "unevaluatedProperties": False}
    assert grammar_error(json_schema(schema, strict=True).grammar)
    assert grammar_error(json_schema(schema, strict=False).grammar) == ""
