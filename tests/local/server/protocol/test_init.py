"""The protocol package's modules list only names they have."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "",
    ".audio",
    ".base",
    ".chat",
    ".content",
    ".conversations",
    ".errors",
    ".moderation_param",
    ".moderations",
    ".pages",
    ".profiles",
    ".responses",
    ".structured",
    ".tokenize",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_lists_only_names_it_has(module_name):
    module = importlib.import_module(f"course_helpers.local.server.protocol{module_name}")
    assert module.__all__, module_name
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"
