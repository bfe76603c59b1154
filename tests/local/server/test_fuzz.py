"""A bounded, seeded fuzz of every endpoint's request body: never a 500.

Conversations are fuzzed too (their items are Responses input items).
Moderations and speech run real models, so their fuzz is in test_fuzz_real.py.

Random bodies (every JSON type, out-of-range and huge numbers, nested junk,
broken messages, lone surrogate escapes) go as raw JSON bytes to a running
server on the stand-in engine. Every answer must be a 200, or a 400/404/413
in OpenAI's error shape. The seeds are fixed, so a failure replays exactly.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from .conftest import API_KEY

CHAT_CASES = 300
RESPONSES_CASES = 200
CONVERSATION_CASES = 100

_STRINGS = ["", " ", "hi", "NaN", "Infinity", "-1", "2", "true", "null", "\N{GRINNING FACE}", "x" * 300]
_LONE_SURROGATES = ["\udcff", "a\udcffb", "\ud83d"]  # valid JSON escapes, not Unicode: rare, or they hide the rest
_NUMBERS = [0, 1, -1, 2, 0.5, 1.5, 2.0, -2.5, 5, 21, 128, 129, 2**63, 2**64, -(2**64), 10**400, 1e308, -1e-320]
_FUNCTION = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
# values a learner would plausibly send, boundaries included: most cases pass the first checks and reach deeper
_PLAUSIBLE: dict[str, list[Any]] = {
    "temperature": [0, 0.7, 2, 2.5], "top_p": [0, 0.5, 1], "n": [1, 2, 128], "max_tokens": [1, 5, 16],
    "max_completion_tokens": [1, 8], "max_output_tokens": [16, 20], "logprobs": [True, False],
    "top_logprobs": [0, 2, 20], "seed": [0, 42, -(2**63)], "presence_penalty": [-2, 0, 1.5],
    "frequency_penalty": [-2, 0.5, 2], "stop": ["END", ["a", "b"], [""], []], "stream": [True, False],
    "stream_options": [{"include_usage": True}, {}], "user": ["u1"], "store": [True, False],
    "metadata": [{"a": "b"}, {}], "service_tier": ["auto", "flex"],
    "tools": [[], [_FUNCTION], [{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
              [{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}],
              [{"type": "function", "function": {"name": "f", "parameters": {"$ref": "#/nowhere"}}}]],
    "tool_choice": ["none", "auto", "required", {"type": "function", "function": {"name": "f"}},
                    {"type": "function", "name": "g"}],
    "response_format": [{"type": "text"}], "modalities": [["text"]], "logit_bias": [{}],
    "parallel_tool_calls": [True], "prompt_cache_key": ["k"], "prompt_cache_retention": ["24h"],
    "web_search_options": [{}], "instructions": ["Be brief.", ""], "truncation": ["auto", "disabled"],
    "text": [{"format": {"type": "text"}}], "background": [False], "include": [[]],
    "previous_response_id": ["resp_unknown", "msg_1"], "conversation": ["conv_unknown", {"id": "conv_x"}, "x"],
}  # fmt: skip
_CHAT_PARAMS = [
    "temperature", "top_p", "n", "max_tokens", "max_completion_tokens", "logprobs", "top_logprobs", "seed",
    "presence_penalty", "frequency_penalty", "stop", "stream", "stream_options", "user", "store", "metadata",
    "service_tier", "tools", "tool_choice", "response_format", "modalities", "logit_bias", "reasoning_effort",
    "parallel_tool_calls", "prompt_cache_key", "prompt_cache_retention", "prediction", "audio", "web_search_options",
]  # fmt: skip
_RESPONSES_PARAMS = [
    "instructions", "temperature", "top_p", "max_output_tokens", "metadata", "truncation", "stream",
    "stream_options", "store", "user", "service_tier", "text", "tools", "tool_choice", "background", "include",
    "top_logprobs", "reasoning", "previous_response_id", "conversation", "parallel_tool_calls",
]  # fmt: skip


def _string(rng: random.Random) -> str:
    return rng.choice(_LONE_SURROGATES) if rng.random() < 0.02 else rng.choice(_STRINGS)


def _scalar(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(_NUMBERS)
    return _string(rng)


def _junk(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, nested up to three levels."""
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind < 4:
        return _scalar(rng)
    if kind == 4:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["type", "text", "role", "content", "include_usage", "format", "verbosity", "x", _string(rng)]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def _part(rng: random.Random, text_type: str) -> Any:
    kind = rng.randrange(8)
    if kind == 0:
        return _junk(rng)
    if kind > 3:
        return {"type": text_type, "text": _string(rng)}
    types = [text_type, "text", "refusal", "image_url", "input_text", "output_text", "video", None, 3]
    part: dict[str, Any] = {"type": rng.choice(types)}
    if kind > 1:
        part["text"] = rng.choice([_string(rng), _junk(rng)])
    return part


def _message(rng: random.Random, text_type: str) -> Any:
    if rng.random() < 0.05:
        return _junk(rng)
    message: dict[str, Any] = {}
    if rng.random() < 0.95:
        roles = ["user", "user", "system", "developer", "assistant", "assistant", "tool", "robot", 5, None]
        message["role"] = rng.choice(roles)
    content_kind = rng.randrange(6)
    if content_kind < 3:
        message["content"] = _string(rng)
    elif content_kind < 5:
        message["content"] = [_part(rng, text_type) for _ in range(rng.randrange(4))]
    elif rng.random() < 0.5:
        message["content"] = _junk(rng)
    if rng.random() < 0.1:
        message[rng.choice(["name", "tool_calls", "refusal", "type", "mood", "annotations"])] = _junk(rng)
    if rng.random() < 0.1:  # a plausible tool history: a call, or an answer to one
        message.update(rng.choice([{"tool_calls": [_CALL]}, {"tool_call_id": "call_1"}, {"tool_call_id": 1}]))
    return message


def _with_params(rng: random.Random, body: dict[str, Any], names: list[str]) -> dict[str, Any]:
    for name in rng.sample(names, rng.randrange(min(4, len(names) + 1))):
        plausible = _PLAUSIBLE.get(name)
        body[name] = rng.choice(plausible) if plausible and rng.random() < 0.7 else _junk(rng)
    if rng.random() < 0.03:
        body["not_a_parameter"] = 1
    for key in rng.sample(sorted(body), min(len(body), rng.randrange(2))):
        if rng.random() < 0.1:
            del body[key]  # required parameters go missing too
    return body


def chat_body(rng: random.Random) -> dict[str, Any]:
    messages = [_message(rng, "text") for _ in range(rng.randrange(1, 4))] if rng.random() < 0.95 else _junk(rng)
    model = rng.choice(["gpt-4o-mini"] * 6 + ["text-embedding-3-small", "", 5])
    return _with_params(rng, {"model": model, "messages": messages}, _CHAT_PARAMS)


def responses_body(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.4:
        given: Any = _string(rng)
    else:
        given = [_message(rng, "input_text") for _ in range(rng.randrange(1, 4))]
    model = rng.choice(["gpt-4o-mini"] * 6 + ["whisper-1", None])
    return _with_params(rng, {"model": model, "input": given, "max_output_tokens": 16}, _RESPONSES_PARAMS)


def conversation_body(rng: random.Random) -> dict[str, Any]:
    items = [_message(rng, "input_text") for _ in range(rng.randrange(4))] if rng.random() < 0.9 else _junk(rng)
    return _with_params(rng, {"items": items}, ["items", "metadata", "safety_identifier"])


def moderation_body(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(4)
    given: Any
    if kind == 0:
        given = rng.choice(["hi", "", "\udcff", 5])
    elif kind == 1:
        given = [rng.choice(["hi", "ok", 3, None, "\udcff"]) for _ in range(rng.randrange(3))]
    elif kind == 2:
        given = [_part(rng, "text") for _ in range(rng.randrange(3))]
    else:
        given = _junk(rng)
    model = rng.choice(["omni-moderation-latest", None, "gpt-4o", 7])
    # a valid text is scored by the real model: keep those few and short
    return _with_params(rng, {"model": model, "input": given}, ["input", "model"])


def speech_body(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"model": rng.choice(["tts-1", "gpt-4o-mini-tts", "gpt-4o", None, 3]), "input": "Hi."}
    body["voice"] = rng.choice(["alloy", "bob", {"id": "v"}, None, 5, "\udcff"])
    for name in rng.sample(["input", "response_format", "speed", "instructions", "stream_format"], 2):
        body[name] = rng.choice([_junk(rng), "pcm", "sse", "audio", 0.2, 1.0, 5, "Hi."])
    return body


_PYDANTIC_WORDS = ("Input should", "should have", "Value error", "Field required", "Extra inputs")


def _raw_json(body: Any) -> bytes:
    # ensure_ascii writes a lone surrogate as the escape "\udcff", as a client would send it
    return json.dumps(body, ensure_ascii=True).encode()


def _check(response: httpx.Response, body: Any) -> None:
    assert response.status_code in (200, 400, 404, 413), (response.status_code, response.text, body)
    if response.status_code == 200:
        return
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, (error, body)
    assert isinstance(error["message"], str) and error["message"], (error, body)
    assert not any(words in error["message"] for words in _PYDANTIC_WORDS), (error, body)  # all in OpenAI's words
    assert error["type"] == "invalid_request_error", (error, body)
    assert error["param"] is None or isinstance(error["param"], str), (error, body)


def session(handle, content_type: str | None = "application/json") -> httpx.Client:
    """A keep-alive client of a running server that sends raw JSON bytes (or forms, ``content_type=None``)."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.Client(base_url=handle.base_url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def http(fake_server):
    with session(fake_server) as client:
        yield client


def fuzz(client: httpx.Client, path: str, make_body, cases: int, seed: int) -> None:
    """Send ``cases`` bodies made by ``make_body`` from a seeded generator; check every answer."""
    rng = random.Random(seed)
    statuses = set()
    for _ in range(cases):
        body = make_body(rng)
        response = client.post(path, content=_raw_json(body))
        _check(response, body)
        statuses.add(response.status_code)
    assert 400 in statuses  # the fuzz reaches the checks, not only the happy path


@pytest.mark.parametrize(
    ("path", "make_body", "cases", "seed"),
    [
        ("/chat/completions", chat_body, CHAT_CASES, 1),
        ("/responses", responses_body, RESPONSES_CASES, 2),
        ("/conversations", conversation_body, CONVERSATION_CASES, 3),
    ],
)
def test_random_bodies_never_answer_500(http, engine, path, make_body, cases, seed):
    fuzz(http, path, make_body, cases, seed)


@pytest.mark.parametrize("path", ["/chat/completions", "/responses", "/moderations", "/audio/speech"])  # 400s: no model
def test_a_lone_surrogate_escape_is_malformed_json_on_every_endpoint(http, path):
    # found by this fuzz: the tokenizer answered 500 "TextInputSequence must be str"
    body = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a\\udcffb"}], "input": "\\udcff"}'
    response = http.post(path, content=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("We could not parse the JSON body")


def test_a_surrogate_pair_escape_is_one_character_and_fine(http, engine):
    body = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "smile \\ud83d\\ude00"}]}'
    response = http.post("/chat/completions", content=body)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "smile \N{GRINNING FACE} "
