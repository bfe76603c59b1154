"""Constrained decoding's machinery on the real tokenizer: compiled once, masks filled together, errors."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from course_helpers.local import grammar
from course_helpers.local.constraints import (
    MOST_CALLS,
    Constraint,
    GrammarError,
    json_object,
    json_schema,
    tool_calls,
)
from course_helpers.local.engine import get_engine
from course_helpers.local.tool_calls import render_call_block

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
    "required": ["city", "people"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def feed(engine, matcher, text: str) -> bool:
    return matcher.consume_tokens(engine.encode(text, special=False))


def test_docstring_examples():
    assert doctest.testmod(grammar, extraglobs={"np": np}).failed == 0


def test_a_grammar_compiles_once_and_each_matcher_is_its_own(engine):
    constraint = json_schema(SCHEMA, strict=True)
    first = engine.grammars.matcher(constraint)
    assert constraint.grammar in engine.grammars._compiled
    second = engine.grammars.matcher(constraint)
    assert feed(engine, first, '{"city": "Oslo"')
    assert not feed(engine, second, '"Oslo"')  # the second starts at the beginning: a string cannot start it
    assert not first.is_error()


def test_the_first_tokens_of_json_mode_open_an_object(engine):
    (allowed,) = engine.grammars.allowed([engine.grammars.matcher(json_object())])
    assert allowed.any()
    for token in np.flatnonzero(allowed)[:200]:
        assert engine.token_bytes(int(token)).startswith(b"{")
    assert not allowed[list(engine.end_tokens)].any()


def test_masks_filled_together_equal_masks_filled_alone(engine):
    matchers = [engine.grammars.matcher(json_schema(SCHEMA, strict=True)) for _ in range(3)]
    feed(engine, matchers[1], '{"city": "Oslo", ')
    feed(engine, matchers[2], '{"city": "Oslo", "people": 7')
    together = engine.grammars.allowed(matchers)
    alone = np.stack([engine.grammars.allowed([m])[0] for m in matchers])
    assert together.shape == (3, engine.vocab_size) and np.array_equal(together, alone)
    assert not np.array_equal(together[0], together[1])


def test_a_complete_reply_allows_only_the_end_of_turn(engine):
    matcher = engine.grammars.matcher(json_schema(SCHEMA, strict=True))
    assert feed(engine, matcher, '{"city": "Oslo", "people": 700000}')
    assert matcher.is_stopped() and matcher.is_accepting()
    (allowed,) = engine.grammars.allowed([matcher])
    assert set(np.flatnonzero(allowed)) == engine.end_tokens


def test_whitespace_and_long_numbers_are_not_in_the_grammar(engine):
    matcher = engine.grammars.matcher(json_schema(SCHEMA, strict=True))
    assert not feed(engine, matcher, '{ "city"')
    matcher = engine.grammars.matcher(json_schema(SCHEMA, strict=True))
    assert not feed(engine, matcher, '{"city": "Oslo", "people": 12345678901234567')


def test_a_grammar_that_cannot_compile_is_a_grammar_error_naming_its_parameter(engine):
    with pytest.raises(GrammarError) as caught:
        engine.grammars.matcher(
            Constraint("json_schema", '{"grammars": [{"lark_grammar": "start: ("}]}', "text.format")
        )
    assert caught.value.param == "text.format"


# ---- tool calls: a Lark grammar around each function's parameters -------------------------------------------

WEATHER = {
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME = {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}
ONE_CALL = render_call_block([("get_weather", '{"city": "Paris"}')])
TWO_CALLS = render_call_block([("get_weather", '{"city": "Paris"}'), ("get_time", '{"zone": "CET"}')])


def accepts(engine, constraint, text: str) -> bool:
    matcher = engine.grammars.matcher(constraint)
    return feed(engine, matcher, text) and matcher.is_accepting()


@pytest.mark.parametrize(
    ("required", "parallel", "text", "expected"),
    [
        (False, True, ONE_CALL, True),
        (False, True, TWO_CALLS, True),
        (False, True, "It is sunny in Paris.", True),
        (True, True, "It is sunny in Paris.", False),
        (True, False, ONE_CALL, True),
        (True, False, TWO_CALLS, False),
        (False, True, render_call_block([("get_weather", '{"town": "Paris"}')]), False),
        (False, True, render_call_block([("get_time", '{"zone": "CET", "extra": 1}')]), False),
        (False, True, render_call_block([("get_news", "{}")]), False),
    ],
)
def test_the_tools_grammar_allows_calls_of_the_listed_functions_only(engine, required, parallel, text, expected):
    constraint = tool_calls([WEATHER, TIME], required=required, parallel=parallel)
    assert accepts(engine, constraint, text) is expected


def test_a_reply_has_at_most_most_calls_calls(engine):
    constraint = tool_calls([TIME], required=True, parallel=True)
    calls = [("get_time", '{"zone": "CET"}')]
    assert accepts(engine, constraint, render_call_block(calls * MOST_CALLS))
    assert not accepts(engine, constraint, render_call_block(calls * (MOST_CALLS + 1)))


def test_a_call_block_completes_the_grammar(engine):
    matcher = engine.grammars.matcher(tool_calls([WEATHER], required=False, parallel=True))
    assert feed(engine, matcher, ONE_CALL) and matcher.is_stopped()
