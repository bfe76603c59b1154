"""Constraints: what a reply must be (one JSON object, JSON valid against a schema), as a grammar.

A request that asks for structured output (``response_format`` in Chat
Completions, ``text.format`` in the Responses API) becomes one
:class:`Constraint`: a grammar in llguidance's format that the sampler's mask
step (``sampler.py``, step 1) keeps every token of the reply inside. The
server builds it from the request; the engine compiles it once and gives each
choice a matcher that follows it (``grammar.py``). Nothing here needs numpy or
the model, so the server can check a schema before anything runs.

Three kinds: JSON mode, a JSON schema, and tool calls (:func:`tool_calls`,
a Lark grammar embedding each function's parameters with ``%json {...}``: the
reply is either plain text or a ``<tool_call>`` block of calls, in the form
``tool_calls.py`` renders into the prompt). A new kind is one more function
returning a ``Constraint``, and nothing else in the engine changes.

>>> constraint = json_object()
>>> constraint.kind, grammar_error(constraint.grammar)
('json_object', '')

What a small model needs that a large one does not: the grammar leaves no
room for whitespace between tokens (a 135M model can write spaces or newlines
forever), numbers are bounded (at most 16 digits before the point, 6
after, no exponent: it can also write digits forever), and so are strings
without a pattern or format of their own (at most 500 characters: at
temperature 0 it can loop inside a string, "2026-1-2026-1-...", one digit per
token, until the token limit cuts the JSON), and so are tool calls (at most 8 in a reply). Every reply the narrower grammar
allows is still valid against the schema. A non-strict
schema's objects that list their ``properties`` and say nothing of
``additionalProperties`` get no extra keys (the model would invent some);
say ``"additionalProperties": true`` to allow them.

Used in: course_helpers/local/server (response_format, text.format), course_helpers/local/grammar.py
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .tool_calls import CALL_SEPARATOR, CALLS_CLOSE, CALLS_OPEN

if TYPE_CHECKING:
    from llguidance._lib import JsonCompileOptions

__all__ = [
    "JSON_STYLE",
    "MOST_CALLS",
    "Constraint",
    "GrammarError",
    "bounded",
    "grammar_error",
    "json_object",
    "json_schema",
    "tool_calls",
]

# How the JSON is laid out: exactly as Python's json.dumps writes it ({"a": 1, "b": [2, 3]}), the layout a small
# model has seen most; no other whitespace anywhere (llguidance's x-guidance options).
JSON_STYLE: JsonCompileOptions = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
LARGEST_NUMBER = 10**16 - 1  # numbers the grammar allows: |x| below 10^16 (16 digits) ...
SMALLEST_STEP = 1e-6  # ... with at most 6 decimals (and no exponent)
MOST_CALLS = 8  # tool calls in one reply: at temperature 1 the small model can write call after call
LONGEST_STRING = 500  # characters of a string without a pattern, format or maxLength: a loop ends within 500 tokens
# Where JSON Schema keeps subschemas: one schema, a list of them, or a map of names to them.
_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems")
_LIST = ("anyOf", "allOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


@dataclass(frozen=True)
class Constraint:
    """What a reply must match: an llguidance grammar, what kind it is, and the request parameter it came from.

    ``grammar`` is llguidance's grammar text (JSON), as ``llguidance.LLMatcher`` takes it; ``param`` names the
    request parameter in errors (``response_format``, ``text.format``).
    """

    kind: str  # "json_object", "json_schema" or "tools"
    grammar: str
    param: str = "response_format"


class GrammarError(ValueError):
    """A grammar the engine cannot compile, or a reply that left its grammar: that request fails, alone.

    ``param`` is the request parameter the grammar came from (``response_format``, ``text.format``).
    """

    def __init__(self, message: str, param: str = "response_format"):
        super().__init__(message)
        self.param = param


def json_object(param: str = "response_format") -> Constraint:
    """JSON mode: the reply is one JSON object, any keys and values.

    >>> import json
    >>> json.loads(json_object().grammar)["grammars"][0]["json_schema"]["type"]
    'object'
    """
    return Constraint("json_object", _grammar({"type": "object"}, lenient=False), param)


def json_schema(schema: dict[str, Any], *, strict: bool, param: str = "response_format") -> Constraint:
    """Structured outputs: the reply is JSON valid against ``schema``.

    ``strict`` schemas have been checked against OpenAI's rules already (the
    server does that); a non-strict one is honoured as far as the grammar can:
    keywords llguidance cannot enforce are ignored, and objects with
    ``properties`` get no keys of the model's own unless they allow them.

    >>> import json
    >>> c = json_schema({"type": "object", "properties": {"n": {"type": "integer"}}}, strict=False)
    >>> json.loads(c.grammar)["grammars"][0]["json_schema"]["additionalProperties"]
    False
    """
    schema = bounded(schema if strict else _closed(schema))
    return Constraint("json_schema", _grammar(schema, lenient=not strict), param)


def tool_calls(functions: list[dict[str, Any]], *, required: bool, parallel: bool, param: str = "tools") -> Constraint:
    """Tool calling: the reply calls ``functions`` in the ``<tool_call>`` form, or (unless ``required``) is text.

    ``functions`` are ``{"name", "parameters", "strict"}``; each call's
    arguments are JSON valid against its function's parameters (a strict
    schema as given, a non-strict one as :func:`json_schema` honours it).
    ``parallel``: more than one call in a reply (at most :data:`MOST_CALLS`).
    Text, when allowed, does not start with ``<`` (so that a started call
    block is always a call).

    >>> grammar = tool_calls([{"name": "f", "parameters": {"type": "object"}}], required=False, parallel=False)
    >>> grammar.kind, grammar_error(grammar.grammar)
    ('tools', '')
    """
    import llguidance

    rules = []
    for number, function in enumerate(functions):
        strict = bool(function.get("strict"))
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        arguments = bounded(parameters if strict else _closed(parameters))
        call = {
            "x-guidance": {**JSON_STYLE, "lenient": not strict},
            "type": "object",
            "properties": {"name": {"const": function["name"]}, "arguments": arguments},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        rules.append(f"call_{number}: %json {json.dumps(call)}")
    more = f" ({_lark(CALL_SEPARATOR)} call){{0,{MOST_CALLS - 1}}}" if parallel else ""
    lines = [
        "start: calls" if required else "start: TEXT | calls",
        "TEXT: /[^<](.|\\n)*/",
        f"calls: {_lark(CALLS_OPEN)} call{more} {_lark(CALLS_CLOSE)}",
        "call: " + " | ".join(f"call_{number}" for number in range(len(functions))),
        *rules,
    ]
    return Constraint("tools", llguidance.LLMatcher.grammar_from_lark("\n".join(lines)), param)


def _lark(text: str) -> str:
    """A Lark string literal of ``text``."""
    return json.dumps(text)


def grammar_error(grammar: str) -> str:
    """Why llguidance cannot use ``grammar`` ("" if it can), found without the model's tokenizer.

    >>> grammar_error(json_schema({"type": "string", "pattern": "(?=a)b"}, strict=True).grammar).splitlines()[-1]
    'error: look-around, including look-ahead and look-behind, is not supported'
    """
    import llguidance

    return llguidance.LLMatcher.validate_grammar(grammar)


def bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` whose numbers and strings have bounds (see the module doc); bounds given are kept.

    >>> bounded({"type": "integer"})
    {'type': 'integer', 'minimum': -9999999999999999, 'maximum': 9999999999999999}
    >>> bounded({"type": "number", "maximum": 5})["multipleOf"]
    1e-06
    >>> bounded({"type": "string"}), bounded({"type": "string", "format": "date"})
    ({'type': 'string', 'maxLength': 500}, {'type': 'string', 'format': 'date'})
    """
    schema = copy.deepcopy(schema)
    for node in _subschemas(schema):
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
        if "string" in kinds and not {"maxLength", "pattern", "format", "enum", "const"} & set(node):
            node["maxLength"] = LONGEST_STRING
        if "integer" not in kinds and "number" not in kinds:
            continue
        if "minimum" not in node and "exclusiveMinimum" not in node:
            node["minimum"] = -LARGEST_NUMBER
        if "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = LARGEST_NUMBER
        if "number" in kinds and "multipleOf" not in node:
            node["multipleOf"] = SMALLEST_STEP
    return schema


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy where objects listing ``properties`` without a word on ``additionalProperties`` allow no others."""
    schema = copy.deepcopy(schema)
    for node in _subschemas(schema):
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return schema


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """``schema`` and every schema inside it (not the data of ``enum``, ``const``, ``default``, ...).

    >>> [s.get("type") for s in _subschemas({"type": "array", "items": {"anyOf": [{"type": "null"}]}})]
    ['array', None, 'null']
    """
    if not isinstance(schema, dict):
        return
    yield schema
    for key, value in schema.items():
        if key in _ONE:
            members = value if isinstance(value, list) else [value]  # draft 4's "items" may be a list
        elif key in _LIST and isinstance(value, list):
            members = value
        elif key in _MAP and isinstance(value, dict):
            members = list(value.values())
        else:
            continue
        for member in members:
            yield from _subschemas(member)


def _grammar(schema: dict[str, Any], *, lenient: bool) -> str:
    import llguidance  # the Rust library that compiles the grammar (a small wheel, no dependencies)

    options: JsonCompileOptions = {**JSON_STYLE, "lenient": lenient}
    return llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=options)
