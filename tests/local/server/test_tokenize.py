"""POST /tokenize and /detokenize at the server's root, in vLLM's shapes, with the stand-in engine."""

from __future__ import annotations

import httpx
import pytest

from .conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def root(fake_server) -> str:
    return fake_server.base_url.removesuffix("/v1")


def post(root: str, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(root + path, json=body, headers=AUTH if headers is None else headers)


def test_tokenize_a_prompt(root, engine):
    got = post(root, "/tokenize", {"model": "gpt-4o-mini", "prompt": "alpha beta alpha"}).json()
    assert got == {"count": 3, "max_model_len": engine.context_length, "tokens": got["tokens"], "token_strs": None}
    assert got["tokens"][0] == got["tokens"][2] != got["tokens"][1]


def test_tokenize_chat_messages_as_a_chat_request_would(root, engine):
    messages = [{"role": "user", "content": "alpha beta"}]
    got = post(root, "/tokenize", {"model": "m", "messages": messages, "return_token_strs": True}).json()
    assert got["tokens"] == engine.encode_chat(messages)
    assert got["token_strs"] == ["<role>", "alpha", "beta"]


def test_detokenize_gives_the_text_back(root, engine):
    ids = engine.encode("alpha beta")
    assert post(root, "/detokenize", {"model": "m", "tokens": ids}).json() == {"prompt": "alpha beta"}


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/tokenize", {"model": "m"}, "prompt"),
        ("/tokenize", {"prompt": "a", "messages": [{"role": "user", "content": "a"}]}, "prompt"),
        ("/tokenize", {"prompt": 3}, "prompt"),
        ("/tokenize", {"messages": []}, "messages"),
        ("/detokenize", {"tokens": [1, 49152]}, "tokens[1]"),
        ("/detokenize", {"tokens": [-1]}, "tokens[0]"),
        ("/detokenize", {"tokens": "1 2"}, "tokens"),
    ],
)
def test_mistakes_are_openai_shaped_400s(root, path, body, param):
    response = post(root, path, body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("path", ["/tokenize", "/detokenize"])
def test_the_server_key_is_needed_as_on_v1(root, path):
    response = post(root, path, {"prompt": "a", "tokens": [1]}, headers={})
    assert response.status_code == 401


def test_tokenize_with_tools_shows_the_prompt_a_tools_request_gets(root, engine):
    engine.context_length = 4096
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    messages = [{"role": "user", "content": "Weather?"}]
    tokens = post(root, "/tokenize", {"messages": messages, "tools": [tool]}).json()["tokens"]
    text = post(root, "/detokenize", {"tokens": tokens}).json()["prompt"]
    assert "<tools>" in text and "get_weather" in text and text.endswith("Weather?")
