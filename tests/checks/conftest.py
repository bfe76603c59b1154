"""Fixtures for the checks' tests: a backend whose capability probe found features missing."""

from __future__ import annotations

import pytest

from course_helpers.checks import hints
from course_helpers.course import capabilities
from course_helpers.course.backends import BackendInfo
from course_helpers.course.capabilities import NO, Capabilities, Finding


@pytest.fixture
def backend_lacking(monkeypatch):
    """``backend_lacking("seed")``: the last ``setup()`` chose a server whose probe found ``seed`` missing.

    The finding is put where the probe keeps it (its per-backend cache), so no request is sent; the probe
    itself is tested against real servers in tests/local/server/test_capabilities.py.
    """

    def lacking(*features: str) -> BackendInfo:
        info = BackendInfo("server", "llama3.2", "http://gpu-box:8000/v1", "…", None)
        findings = {name: Finding(name, NO, f"HTTP 400: {name} is not supported") for name in features}
        monkeypatch.setattr(hints, "_info", info)
        monkeypatch.setattr(
            capabilities, "_cache", {(info.base_url, info.model): Capabilities(info.base_url, info.model, findings)}
        )
        return info

    return lacking
