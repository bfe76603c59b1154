"""The server package's public API: every listed name exists, and the documented entry points are there."""

from __future__ import annotations

import importlib

import pytest

import course_helpers.local.server as server

MODULES = [
    "app",
    "chat",
    "chat_engine",
    "chat_request",
    "chat_response",
    "conversations",
    "errors",
    "items",
    "models",
    "response_store",
    "responses",
    "serving",
    "session",
    "streaming",
    "tokenize",
    "upstream",
    "upstream_forwarding",
    "upstream_responses",
    "upstream_routes",
    "validation",
]


def test_package_exports_the_entry_points():
    for name in (
        "create_app",
        "start_in_thread",
        "serve",
        "APIError",
        "error_response",
        "KeylessPublicServerError",
        "Upstream",
    ):
        assert name in server.__all__ and callable(getattr(server, name))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_lists_only_names_it_has(module_name):
    module = importlib.import_module(f"course_helpers.local.server.{module_name}")
    assert module.__all__, module_name
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"
