"""Tests for course_helpers/course/models.py: the course's model per purpose, and its .env overrides."""

import doctest

import pytest

from course_helpers.course import models
from course_helpers.course.models import DEFAULTS, ModelChoice, describe_choices, read_choices


def test_doctests():
    assert doctest.testmod(models).failed == 0


def test_defaults_follow_openais_replacement_for_gpt_4o_mini():
    # chat at effort none: no hidden reasoning tokens, and temperature and logprobs are accepted
    assert DEFAULTS.chat.request_kwargs() == {"model": "gpt-6-luna", "reasoning_effort": "none"}
    assert DEFAULTS.sampling.request_kwargs() == {"model": "gpt-6-luna", "reasoning_effort": "none"}
    assert DEFAULTS.reasoning.request_kwargs() == {"model": "gpt-6-luna", "reasoning_effort": "medium"}
    assert DEFAULTS.moderation.request_kwargs() == {"model": "omni-moderation-latest"}


@pytest.mark.parametrize(
    ("variable", "value", "purpose", "expected"),
    [
        ("COURSE_MODEL", "gpt-6-luna", "chat", ModelChoice("gpt-6-luna", "none")),  # the default model, its effort
        ("COURSE_MODEL", "gpt-5.4-mini", "chat", ModelChoice("gpt-5.4-mini")),  # another model: its own default
        ("COURSE_EFFORT", "low", "chat", ModelChoice("gpt-6-luna", "low")),
        ("COURSE_SAMPLING_MODEL", "gpt-5.4-mini", "sampling", ModelChoice("gpt-5.4-mini")),  # its own default effort
        ("COURSE_SAMPLING_EFFORT", "default", "sampling", ModelChoice("gpt-6-luna")),
        ("COURSE_REASONING_EFFORT", " HIGH ", "reasoning", ModelChoice("gpt-6-luna", "high")),
        (
            "COURSE_MODERATION_MODEL",
            "omni-moderation-2024-09-26",
            "moderation",
            ModelChoice("omni-moderation-2024-09-26"),
        ),
    ],
)
def test_each_choice_is_overridable(variable, value, purpose, expected):
    choices = read_choices({variable: value})
    assert getattr(choices, purpose) == expected
    others = [name for name in ("chat", "sampling", "reasoning", "moderation") if name != purpose]
    assert all(getattr(choices, name) == getattr(DEFAULTS, name) for name in others)


def test_a_misspelled_effort_names_the_variable_and_the_values():
    with pytest.raises(ValueError, match=r"COURSE_REASONING_EFFORT='meduim' is not one of none, minimal, low, medium"):
        read_choices({"COURSE_REASONING_EFFORT": "meduim"})


def test_module_constants_read_the_environment_when_used(monkeypatch):
    monkeypatch.setenv("COURSE_SAMPLING_MODEL", "set-after-import")
    monkeypatch.setenv("COURSE_SAMPLING_EFFORT", "none")
    assert models.SAMPLING.model == "set-after-import"
    from course_helpers.course.models import SAMPLING

    assert SAMPLING.request_kwargs() == {"model": "set-after-import", "reasoning_effort": "none"}
    with pytest.raises(AttributeError):
        models.SAMPLIN  # noqa: B018


def test_describe_choices_names_only_what_differs_from_the_chat_model():
    assert describe_choices(
        read_choices({"COURSE_SAMPLING_EFFORT": "default", "COURSE_REASONING_EFFORT": "default"})
    ) == (
        "chat model gpt-6-luna, reasoning_effort none (temperature and logprobs: no reasoning_effort (the model's "
        "default); reasoning demos: no reasoning_effort (the model's default))"
    )
    assert (
        describe_choices(DEFAULTS)
        == "chat model gpt-6-luna, reasoning_effort none (reasoning demos: reasoning_effort medium)"
    )


def test_the_setup_line_names_each_effort_once_with_what_it_is_for():
    """A learner read '(effort none) (reasoning: effort medium)' as two efforts for one model."""
    line = describe_choices(DEFAULTS)
    assert line.count("reasoning_effort") == 2 and "(effort" not in line
    assert line.index("reasoning_effort none") < line.index("reasoning demos") < line.index("reasoning_effort medium")
    assert "moderation: my-moderation" in describe_choices(read_choices({"COURSE_MODERATION_MODEL": "my-moderation"}))
