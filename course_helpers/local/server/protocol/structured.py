"""Structured outputs in a request: ``response_format`` (Chat Completions), ``text.format`` (Responses).

Declared once for both APIs: the format objects as the openai SDK 3.60 types
them, OpenAI's checks of a strict schema (every object closed with
``additionalProperties: false`` and every property ``required``; the
keywords strict mode does not take), and the :class:`Constraint` the engine
decodes under. A mistake is OpenAI's 400, naming the offending place as
OpenAI does (``In context=('properties', 'address'), ...``).

>>> check_strict_schema({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
...                     "person")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_helpers.local.server.errors.APIError: Invalid schema for response_format 'person': In context=(), 'additionalProperties' is required to be supplied and to be false.

Sources (quotes of live API errors, third-party reports): the 'additionalProperties' and 'required' messages,
https://github.com/moeru-ai/xsai/issues/202, https://github.com/vercel/ai/issues/6484 ("Missing 'roles'"),
https://github.com/TanStack/ai/issues/186 (Responses: param 'text.format.schema', code 'invalid_json_schema',
context "('properties', 'u', 'anyOf', '0')"); "'allOf' is not permitted":
https://github.com/makenotion/notion-mcp-server/issues/117; the root type: "schema must be a JSON Schema of
'type: "object"', got 'type: "array"'" (quoted in several projects' code comments and tests, 2025-2026);
the JSON mode rule: https://github.com/ultimatejimmy/xray.koplugin/issues/33 (param 'messages',
code null, 2026-05). The keywords strict mode refuses are those OpenAI's Structured Outputs guide lists as not
supported (https://developers.openai.com/api/docs/guides/structured-outputs, "Supported schemas"), read through
quotes in third-party threads: NOT CONFIRMED against the page of today. Chat Completions' schema errors carry
code null (2024-2025 reports); Responses' carry 'invalid_json_schema' (2026 reports).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from ...constraints import Constraint, grammar_error, json_object, json_schema
from ..errors import APIError, invalid_request
from .base import JSONModel
from .errors import invalid_choice, invalid_type, missing, rule

__all__ = [
    "NOT_PERMITTED",
    "JSONSchemaFormat",
    "ResponseFormat",
    "TextFormat",
    "check_strict_schema",
    "constraint_for",
    "mentions_json",
]

# Keywords strict mode refuses wherever they appear ("In context=(...), 'allOf' is not permitted.").
NOT_PERMITTED = (
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
)
_NAME = r"^[a-zA-Z0-9_-]+$"
# Where a schema keeps subschemas, and how the context names them: one schema, a list, a map of names.
_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_LIST = ("anyOf", "allOf", "oneOf", "prefixItems")
_MAP = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


def _name_check(name: Any) -> Any:
    if isinstance(name, str) and not re.fullmatch(_NAME, name):
        raise rule(
            "invalid_value",
            f"Invalid '{{param}}': string does not match pattern. Expected a string that matches the pattern "
            f"'{_NAME}'.",
        )
    return name


FormatName = Annotated[str, Field(max_length=64), BeforeValidator(_name_check)]


class FormatText(JSONModel):
    """``{"type": "text"}``: plain text, the default."""

    type: Literal["text"]


class FormatJSONObject(JSONModel):
    """``{"type": "json_object"}``: JSON mode, one JSON object."""

    type: Literal["json_object"]


class JSONSchemaSpec(JSONModel):
    """Chat's ``response_format.json_schema``: the schema, its name, and whether it is strict."""

    name: FormatName
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None


class FormatJSONSchema(JSONModel):
    """Chat's ``{"type": "json_schema", "json_schema": {...}}``."""

    type: Literal["json_schema"]
    json_schema: JSONSchemaSpec


class JSONSchemaFormat(JSONModel):
    """Responses' ``text.format`` ``{"type": "json_schema", "name", "schema", "strict", "description"}``."""

    type: Literal["json_schema"]
    name: FormatName
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


def _format_check(kinds: tuple[str, ...]):
    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise invalid_type("an object")
        if "type" not in value:
            raise missing("type")
        if value["type"] not in kinds:
            raise invalid_choice(kinds, field="type")
        return value

    return BeforeValidator(check)


_KINDS = ("text", "json_object", "json_schema")


def _kind(value: Any) -> str:
    """The union member of a format: its ``type``, as a tag (``<...>``: not part of an error's ``param``)."""
    return f"<{value['type'] if isinstance(value, dict) else value.type}>"


ResponseFormat = Annotated[
    Annotated[FormatText, Tag("<text>")]
    | Annotated[FormatJSONObject, Tag("<json_object>")]
    | Annotated[FormatJSONSchema, Tag("<json_schema>")],
    Discriminator(_kind),
    _format_check(_KINDS),
]
TextFormat = Annotated[
    Annotated[FormatText, Tag("<text>")]
    | Annotated[FormatJSONObject, Tag("<json_object>")]
    | Annotated[JSONSchemaFormat, Tag("<json_schema>")],
    Discriminator(_kind),
    _format_check(_KINDS),
]


def mentions_json(texts: list[str]) -> bool:
    """Whether any of ``texts`` mentions JSON (in any case), as JSON mode requires.

    >>> mentions_json(["Answer in Json, please."]), mentions_json(["Answer briefly."])
    (True, False)
    """
    return any("json" in text.lower() for text in texts)


def constraint_for(
    format: FormatText | FormatJSONObject | FormatJSONSchema | JSONSchemaFormat | None, param: str
) -> Constraint | None:
    """The engine's :class:`Constraint` for a checked format (None for plain text); OpenAI's 400 if invalid.

    ``param`` is where the format sits: ``response_format`` (chat) or ``text.format`` (Responses). A strict
    schema is checked against OpenAI's rules; any schema must also compile for llguidance.
    """
    if format is None or isinstance(format, FormatText):
        return None
    if isinstance(format, FormatJSONObject):
        return json_object(param)
    spec = format.json_schema if isinstance(format, FormatJSONSchema) else format
    schema = spec.schema_ if spec.schema_ is not None else {}
    schema_param = "response_format" if param == "response_format" else f"{param}.schema"
    code = None if param == "response_format" else "invalid_json_schema"
    if spec.strict:
        check_strict_schema(schema, spec.name, param=schema_param, code=code, of="response_format")
    constraint = json_schema(schema, strict=bool(spec.strict), param=param)
    problem = grammar_error(constraint.grammar)
    if problem:  # what llguidance cannot compile (a look-ahead in a pattern, an unknown format, a broken $ref)
        detail = " ".join(line.strip() for line in problem.splitlines() if line.strip())
        raise invalid_request(
            f"Invalid schema for response_format '{spec.name}': {detail}", param=schema_param, code=code
        )
    return constraint


def check_strict_schema(
    schema: dict[str, Any], name: str, *, param: str = "response_format", code: str | None = None, of: str = ""
) -> None:
    """OpenAI's rules for a ``strict: true`` schema; the first broken one raised as its 400.

    The root is an object; every object says ``additionalProperties: false``
    and lists every property in ``required``; no keyword of :data:`NOT_PERMITTED`.
    ``of`` is what the schema belongs to in the message (default: ``param``; ``"function"`` for a tool).

    >>> check_strict_schema({"type": "array", "items": {"type": "string"}}, "tags")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Invalid schema for response_format 'tags': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.
    """

    def fail(message: str) -> APIError:
        return invalid_request(f"Invalid schema for {of or param} '{name}': {message}", param=param, code=code)

    if schema.get("type") != "object":
        raise fail(f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{schema.get('type')}\"'.")
    for context, node in _schemas(schema, ()):
        where = f"In context={context!r}, "
        for keyword in NOT_PERMITTED:
            if keyword in node:
                raise fail(f"{where}'{keyword}' is not permitted.")
        kinds = node.get("type")
        is_object = kinds == "object" or (isinstance(kinds, list) and "object" in kinds) or "properties" in node
        if not is_object:
            continue
        if node.get("additionalProperties") is not False:
            raise fail(f"{where}'additionalProperties' is required to be supplied and to be false.")
        properties = node.get("properties") or {}
        required = node.get("required") or []
        every_key = "'required' is required to be supplied and to be an array including every key in properties."
        missing_keys = [key for key in properties if key not in required]
        if missing_keys:
            raise fail(f"{where}{every_key} Missing '{missing_keys[0]}'.")
        extra = [key for key in required if key not in properties]
        if extra:  # wording NOT CONFIRMED (third parties report that strict mode refuses an extra required key)
            raise fail(f"{where}{every_key} Extra required key '{extra[0]}' supplied.")


def _schemas(schema: Any, context: tuple[str, ...]):
    """Every schema inside ``schema`` with its context: the keys and indices (as strings) leading to it."""
    if not isinstance(schema, dict):
        return
    yield context, schema
    for key, value in schema.items():
        if key in _ONE and isinstance(value, dict):
            yield from _schemas(value, (*context, key))
        elif key in _LIST and isinstance(value, list):
            for index, member in enumerate(value):
                yield from _schemas(member, (*context, key, str(index)))
        elif key in _MAP and isinstance(value, dict):
            for member_name, member in value.items():
                yield from _schemas(member, (*context, key, member_name))
