"""Tests for course_helpers/structured.py: judging JSON replies, the tools, and the glass box's next-token logits."""

from __future__ import annotations

import doctest

import matplotlib
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from course_helpers import structured
from course_helpers.structured import NextTokenLogits, get_time, get_weather, judge_json, removed_mass

matplotlib.use("Agg")


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    age: int


def test_docstring_examples():
    assert doctest.testmod(structured).failed == 0


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ('{"name": "Ada", "age": 36}', (True, True)),
        ('{"name": "Ada", "age": "36"}', (True, False)),  # a string is not an integer, as in a JSON schema
        ('{"name": "Ada", "age": 36, "city": "London"}', (True, False)),  # no keys of its own
        ('{"name": "Ada"}', (True, False)),
        ('```json\n{"name": "Ada", "age": 36}\n```', (False, False)),  # a fence around it: not JSON
        ('{"name": "Ada", "age": 3', (False, False)),  # cut by a token limit
        (None, (False, False)),  # a reply with no text (a refusal, a tool call)
    ],
)
def test_judge_json(reply, verdict):
    assert judge_json(reply, Person) == verdict


def test_removed_mass_is_the_probability_of_the_forbidden_tokens():
    logits = np.log(np.array([0.5, 0.3, 0.2], np.float32))
    assert removed_mass(logits, np.array([True, True, True])) == 0
    assert removed_mass(logits, np.array([True, False, False])) == pytest.approx(0.5)


def test_tools_answer_from_the_table_and_refuse_what_they_do_not_know():
    assert get_weather("Paris", "fahrenheit")["temperature"] == 64
    assert "error" in get_weather("Paris", "kelvin") and "error" in get_time("Atlantis")


def test_next_token_logits_with_its_cache_equal_a_fresh_pass():
    """Feeding one token at a time through the KV cache gives the logits of the whole sequence fed at once."""
    from course_helpers.local.engine import get_engine

    engine = get_engine()
    ids = engine.encode_chat([{"role": "user", "content": "Name a color."}])
    stepwise = NextTokenLogits(engine)
    stepwise(ids[:-2])
    stepwise(ids[:-1])
    incremental = stepwise(ids)
    fresh = NextTokenLogits(engine)(ids)
    assert incremental.shape == (engine.vocab_size,)
    assert np.allclose(incremental, fresh, atol=1e-3)
    assert int(np.argmax(incremental)) == int(np.argmax(fresh))
