"""Fixtures shared by the foundation's tests: a clean course environment and fake API servers.

No test reaches the internet: the fake servers listen on 127.0.0.1, and a
"refused" address is a loopback port nobody listens on.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from course_helpers.checks import hints
from course_helpers.course import backends, settings

COURSE_VARIABLES = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "COURSE_BACKEND",
    "COURSE_MODEL",
    "COURSE_EFFORT",
    "COURSE_SAMPLING_MODEL",
    "COURSE_SAMPLING_EFFORT",
    "COURSE_REASONING_MODEL",
    "COURSE_REASONING_EFFORT",
    "COURSE_MODERATION_MODEL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
]
GOOD_KEY = "sk-test-good-key-0123456789"


@pytest.fixture
def course_env(tmp_path, monkeypatch):
    """A folder without .env, no course variables set, and setup()'s memory of earlier calls reset.

    Every course variable is restored afterwards, including those the code under test set itself
    (from a ``.env`` the test wrote): ``delenv`` alone would restore only variables that existed.
    """
    for name in COURSE_VARIABLES:
        monkeypatch.setenv(name, "")  # remembers the value before the test (or that there was none)
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(settings, "_loaded_from_env_file", {})
    monkeypatch.setattr(backends, "_written", {})
    monkeypatch.setattr(hints, "_info", None)
    return tmp_path


class _FakeAPI(BaseHTTPRequestHandler):
    """Answers like the OpenAI API: 401 for a wrong key, a model list, a canned chat completion."""

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {GOOD_KEY}":
            return True
        self._reply(
            401,
            {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
        )
        return False

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self._authorized():
            self._reply(
                200,
                {
                    "object": "list",
                    "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "tests"}],
                },
            )

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self._authorized():
            self._reply(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "fake-model",
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}
                    ],
                },
            )

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def fake_api():
    """Base URL (ending in /v1) of a fake OpenAI-compatible server that accepts only GOOD_KEY."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAPI)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def refused_url():
    """A loopback base URL where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
