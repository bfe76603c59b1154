"""Tests for course_helpers/__init__.py: the public API is explicit and importable."""

import importlib

import pytest

import course_helpers

# The foundation's modules; each lists its public names in __all__.
MODULES = [
    "course.aging",
    "course.backends",
    "checks",
    "course.doctor",
    "course.exercises",
    "checks.hints",
    "course.models",
    "course.notebooks",
    "course.paths",
    "course.grading",
    "course.gradebook",
    "course.submissions",
    "progress",
    "checks.quizzes",
    "course.settings",
    "course.start",
]


def test_all_names_are_exported():
    for name in course_helpers.__all__:
        assert hasattr(course_helpers, name), name


def test_the_lesson_facing_api():
    assert {"setup", "quiz", "checks", "BackendInfo", "SetupError"} <= set(course_helpers.__all__)
    assert callable(course_helpers.setup) and callable(course_helpers.quiz)


@pytest.mark.parametrize("name", MODULES)
def test_module_all_lists_only_real_public_names(name):
    module = importlib.import_module(f"course_helpers.{name}")
    assert module.__all__, f"{name} has an empty __all__"
    for public in module.__all__:
        assert not public.startswith("_") and hasattr(module, public), f"{name}.{public}"


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples_run(name):
    import doctest

    module = importlib.import_module(f"course_helpers.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
