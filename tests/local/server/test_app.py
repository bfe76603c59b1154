"""The app as a whole: API key, unknown URLs and methods, body limits, malformed input.

Every failure must leave in the OpenAI error shape with the right status,
and no input, however broken, may produce a 500 or stop the server.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import httpx
import openai
import pytest

from .conftest import API_KEY, TEST_DAY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
USER = [{"role": "user", "content": "Hi"}]


def _post(server, body: bytes | dict, headers=None, path="/chat/completions") -> httpx.Response:
    headers = {**AUTH, **(headers or {})}
    if isinstance(body, dict):
        return httpx.post(server.base_url + path, json=body, headers=headers)
    return httpx.post(server.base_url + path, content=body, headers={**headers, "content-type": "application/json"})


def _error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_wrong_key_is_authentication_error(fake_server):
    with openai.OpenAI(base_url=fake_server.base_url, api_key="sk-wrong-key-123", max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as caught:
            sdk.models.list()
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key-123" not in caught.value.message  # the key is masked


def test_missing_key_is_401(fake_server):
    response = httpx.get(fake_server.base_url + "/models")
    assert response.status_code == 401
    assert "didn't provide an API key" in _error_of(response)["message"]


def test_unknown_route_is_404_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.post("/embeddings-typo", cast_to=object, body={})
    assert "Invalid URL (POST /v1/embeddings-typo)" in caught.value.message


def test_wrong_method_is_405(fake_server):
    response = httpx.get(fake_server.base_url + "/chat/completions", headers=AUTH)
    assert response.status_code == 405
    assert _error_of(response)["message"] == "Invalid method for URL (GET /v1/chat/completions)"


def test_huge_body_is_413(fake_server):
    response = _post(fake_server, b'{"model": "' + b"x" * (9 * 1024 * 1024) + b'"}')
    assert response.status_code == 413
    assert _error_of(response)["code"] == "request_too_large"


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"not json", b"[1, 2]", b'"text"', b"null", b'{"model": NaN}', b"\xff\xfe", b"[" * 100_000]
)
def test_malformed_json_is_400(fake_server, raw):
    response = _post(fake_server, raw)
    assert response.status_code == 400
    assert _error_of(response)["type"] == "invalid_request_error"


def test_every_response_has_a_request_id(client):
    response = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=USER)
    assert response.headers["x-request-id"].startswith("req_")


def _mutations(rng: random.Random):
    """Valid requests with one field replaced by a random JSON value, or a random key added."""
    values = [
        None,
        True,
        False,
        0,
        -1,
        1,
        3.5,
        -1e300,
        2**70,
        10**400,
        1e-320,
        "",
        "x",
        "🙂" * 3,
        [],
        [1],
        ["a"],
        [None],
        {},
        {"a": 1},
        {"type": "text"},
        [{"type": "text", "text": 1}],
        [{"role": "user"}],
        [{"role": "user", "content": [{"type": None}]}],
    ]
    keys = [
        "model",
        "messages",
        "temperature",
        "top_p",
        "n",
        "stop",
        "max_tokens",
        "logprobs",
        "top_logprobs",
        "seed",
        "stream",
        "stream_options",
        "response_format",
        "tools",
        "metadata",
        "user",
        "presence_penalty",
        "messages[0]",
        "messages[0].content",
        "messages[0].role",
        "surprise",
    ]
    for _ in range(150):
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a b"}]}
        key, value = rng.choice(keys), rng.choice(values)
        if key.startswith("messages[0]."):
            body["messages"][0][key.split(".")[1]] = value
        elif key == "messages[0]":
            body["messages"][0] = value
        else:
            body[key] = value
        yield body


def test_fuzzed_bodies_never_make_a_500(fake_server):
    rng = random.Random(1234)
    statuses = set()
    with httpx.Client(headers=AUTH, timeout=30) as http:
        for body in _mutations(rng):
            response = http.post(fake_server.base_url + "/chat/completions", json=body)
            statuses.add(response.status_code)
            assert response.status_code < 500, (body, response.text)
            if response.status_code >= 400:
                _error_of(response)
            elif not body.get("stream"):
                assert response.json()["object"] == "chat.completion"
        for raw in (bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) for _ in range(30)):
            response = http.post(fake_server.base_url + "/chat/completions", content=raw)
            assert response.status_code == 400
        # still serving
        ok = http.post(fake_server.base_url + "/chat/completions", json={"model": "gpt-4o", "messages": USER})
        assert ok.status_code == 200
    assert 400 in statuses and 200 in statuses  # the fuzz reached both sides


def test_keyless_app_accepts_any_key():
    from starlette.testclient import TestClient

    from course_helpers.local.server import create_app

    with TestClient(create_app(api_key=None)) as http:
        assert http.get("/v1/models", headers={"Authorization": "Bearer anything"}).status_code == 200
        assert http.get("/v1/models").status_code == 200


def test_json_body_survives_unicode(fake_server):
    response = _post(
        fake_server,
        json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "héllo 🙂 日本"}]}).encode(),
    )
    assert response.json()["choices"][0]["message"]["content"] == "héllo 🙂 日本 "


def test_an_engine_provider_is_called_once_on_the_first_chat_request():
    from starlette.testclient import TestClient

    from course_helpers.local.server import create_app

    from .fake_engine import FakeEngine

    made = []

    def make_engine() -> FakeEngine:
        made.append(FakeEngine())
        return made[-1]

    with TestClient(create_app(api_key=None, engine=make_engine, today=lambda: TEST_DAY)) as http:
        assert http.get("/v1/models").status_code == 200
        assert made == []  # listing models, like moderation and audio, needs no chat engine
        for _ in range(2):
            reply = http.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": USER})
            assert reply.json()["choices"][0]["message"]["content"] == "Hi "
    assert len(made) == 1 and len(made[0].generations) == 2


def test_creating_the_app_loads_no_model():
    code = (
        "import sys; from course_helpers.local.server import create_app; create_app(); "
        "print('course_helpers.local.engine' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
