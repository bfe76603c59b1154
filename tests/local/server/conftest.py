"""Servers for the server tests: a real uvicorn server on a free loopback port.

``fake_server`` answers with the stand-in engine of ``fake_engine.py`` (fast,
predictable text); ``real_server`` with the real SmolLM2 model.
"""

from __future__ import annotations

import datetime

import pytest
from openai import AsyncOpenAI, OpenAI
from polling import wait_for  # noqa: F401  (re-exported: the server tests import it from here)
from starlette.testclient import TestClient

from course_helpers.local.server import create_app, start_in_thread

from .fake_engine import FakeEngine

API_KEY = "sk-test-local-key"
# The server tests send gpt-4o-mini, which OpenAI shuts down on 2027-01-14 (a 404 after that, as on OpenAI).
# They test the protocol, not the calendar: their server judges shutdowns on the day they were written.
TEST_DAY = datetime.date(2026, 12, 4)


@pytest.fixture(scope="module")
def stand_in_engine() -> FakeEngine:
    """The echoing stand-in engine that ``fake_server`` serves."""
    return FakeEngine()


@pytest.fixture(scope="module")
def fake_server(stand_in_engine):
    """A running server whose engine is the echoing stand-in."""
    with start_in_thread(api_key=API_KEY, engine=stand_in_engine, today=lambda: TEST_DAY) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _fresh_stand_in(stand_in_engine) -> None:
    """Every test starts with the stand-in's default settings (no delay, gate or failure)."""
    stand_in_engine.reset()


@pytest.fixture
def engine(fake_server, stand_in_engine) -> FakeEngine:
    """The stand-in engine behind ``fake_server``."""
    return stand_in_engine


@pytest.fixture
def client(fake_server) -> OpenAI:
    """The real openai SDK, strict about every response field, no retries."""
    with OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True) as sdk:
        yield sdk


@pytest.fixture
def app_client(stand_in_engine):
    """Make the real openai SDK talk to a new app on the stand-in engine, in process (Starlette's TestClient).

    Each app has its own stored responses and conversations; keywords go to ``create_app``
    (``max_stored_responses=3``, ...).
    """
    opened: list[TestClient] = []

    def make(**options) -> OpenAI:
        app = create_app(api_key=API_KEY, engine=stand_in_engine, today=lambda: TEST_DAY, **options)
        http = TestClient(app)
        opened.append(http)
        return OpenAI(
            base_url="http://testserver/v1",
            api_key=API_KEY,
            http_client=http,
            max_retries=0,
            _strict_response_validation=True,
        )

    yield make
    for http in opened:
        http.close()


@pytest.fixture
def async_client(fake_server) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True)


@pytest.fixture(scope="module")
def real_server():
    """A running server on the real SmolLM2 engine (loaded once per process)."""
    handle = start_in_thread(api_key=API_KEY, today=lambda: TEST_DAY)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def real_client(real_server) -> OpenAI:
    with OpenAI(base_url=real_server.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True) as sdk:
        yield sdk
