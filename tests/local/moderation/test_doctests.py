"""The docstring examples of the moderation modules run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["categories", "probe", "dataset", "features", "classifier", "selection"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"course_helpers.local.moderation.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
