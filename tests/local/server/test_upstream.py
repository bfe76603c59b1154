"""``serve --upstream``: the course's server in front of another OpenAI-compatible server, for real.

The upstream is a second course server on loopback (the stand-in engine: what
it says does not matter here, only how it travels), the front one forwards
to it, and the openai SDK drives the front one.
"""

from __future__ import annotations

import json
import logging
import socket
import threading

import httpx
import openai
import pytest
import uvicorn
from openai import OpenAI
from starlette.testclient import TestClient

from course_helpers.course import backends
from course_helpers.local.server import create_app, start_in_thread
from course_helpers.local.server.upstream import Upstream, UpstreamKeyMissing

from .conftest import API_KEY, TEST_DAY, wait_for
from .fake_engine import FakeEngine

UPSTREAM_KEY = "sk-upstream-secret-7f3a9c1e5b"
WORDS = "one two three four five six"
# What the engine lists first, so what setup() gives learners as info.model (no OpenAI model's rules apply to it).
ENGINE_MODEL = "SmolLM2-135M-Instruct"


def _sdk(handle, **options) -> OpenAI:
    return OpenAI(base_url=handle.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True, **options)


@pytest.fixture(scope="module")
def upstream_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture(autouse=True)
def _fresh_upstream_engine(upstream_engine) -> None:
    upstream_engine.reset()


@pytest.fixture(scope="module")
def upstream_server(upstream_engine):
    """The engine: a course server that wants its own key."""
    with start_in_thread(api_key=UPSTREAM_KEY, engine=upstream_engine, today=lambda: TEST_DAY) as handle:
        yield handle


def _front(base_url: str, **options):
    """A course server forwarding to ``base_url``; its own engine must never be asked."""
    upstream = Upstream(base_url, api_key=UPSTREAM_KEY, **options)
    return start_in_thread(api_key=API_KEY, engine=_no_local_chat, today=lambda: TEST_DAY, upstream=upstream)


def _no_local_chat() -> FakeEngine:
    raise AssertionError("the front server used its local chat engine")


@pytest.fixture(scope="module")
def front(upstream_server):
    with _front(upstream_server.base_url) as handle:
        yield handle


@pytest.fixture
def client(front):
    with _sdk(front) as sdk:
        yield sdk


@pytest.fixture
def direct(upstream_server):
    """The SDK talking to the engine itself, for comparison."""
    with OpenAI(base_url=upstream_server.base_url, api_key=UPSTREAM_KEY, max_retries=0) as sdk:
        yield sdk


def _ask(client: OpenAI, **options):
    return client.chat.completions.create(
        model="gpt-6-luna", messages=[{"role": "user", "content": WORDS}], max_completion_tokens=4, **options
    )


def test_chat_comes_from_the_upstream(client, direct):
    completion = _ask(client)
    assert completion.choices[0].message.content == _ask(direct).choices[0].message.content == "one two three four "
    assert completion.choices[0].finish_reason == "length" and completion.usage.completion_tokens == 4


def test_stream_arrives_while_the_upstream_still_generates(client, upstream_engine):
    upstream_engine.delay = 0.25
    stream = _ask(client, stream=True, stream_options={"include_usage": True})
    pieces = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if not pieces:  # the first word is here, three more are still to be generated upstream
                assert not upstream_engine.generations[-1].finished.is_set()
            pieces.append(chunk.choices[0].delta.content)
    assert "".join(pieces) == "one two three four " and chunk.usage.completion_tokens == 4


def test_upstream_error_keeps_status_type_param_code_message(client, direct):
    with pytest.raises(openai.BadRequestError) as at_engine:
        _ask(direct, temperature=5)
    with pytest.raises(openai.BadRequestError) as through_front:
        _ask(client, temperature=5)
    assert through_front.value.status_code == 400
    assert through_front.value.body == at_engine.value.body
    assert through_front.value.param == "temperature" and through_front.value.code == at_engine.value.code


def test_responses_are_forwarded(client):
    response = client.responses.create(model="gpt-6-luna", input="one two three", max_output_tokens=16)
    assert response.output_text == "one two three " and response.status == "completed"
    assert client.responses.retrieve(response.id).id == response.id  # stored at the engine, found through the front


def test_models_list_the_engines_first_then_the_local_ones(client, front, upstream_server):
    listed = [model.id for model in client.models.list()]
    engine_first = httpx.get(
        upstream_server.base_url + "/models", headers={"Authorization": f"Bearer {UPSTREAM_KEY}"}
    ).json()["data"][0]["id"]
    assert listed[0] == engine_first and "omni-moderation-latest" in listed
    assert backends._first_server_model(front.base_url, API_KEY) == engine_first  # what setup() picks


def test_tokenize_goes_to_the_upstream(front, upstream_server):
    body = {"model": "gpt-6-luna", "prompt": "one two"}
    through = httpx.post(front.base_url.removesuffix("/v1") + "/tokenize", json=body, headers=_auth())
    at_engine = httpx.post(
        upstream_server.base_url.removesuffix("/v1") + "/tokenize",
        json=body,
        headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
    )
    assert through.status_code == 200 and through.json() == at_engine.json()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


def test_learners_need_the_front_servers_key_not_the_engines(front):
    with _sdk(front) as sdk, pytest.raises(openai.AuthenticationError):
        sdk.with_options(api_key=UPSTREAM_KEY).models.list()


def test_client_leaving_cancels_the_upstream_generation(client, upstream_engine):
    upstream_engine.delay = 0.25
    with client.chat.completions.create(
        model="gpt-6-luna", messages=[{"role": "user", "content": WORDS}], stream=True
    ) as stream:
        next(chunk for chunk in stream if chunk.choices and chunk.choices[0].delta.content)
    assert wait_for(lambda: upstream_engine.generations[-1].cancelled.is_set())


def test_upstream_killed_mid_stream_ends_the_stream_with_an_error(upstream_engine):
    upstream_engine.delay = 0.25
    doomed = start_in_thread(api_key=UPSTREAM_KEY, engine=upstream_engine, today=lambda: TEST_DAY)
    with _front(doomed.base_url) as front, _sdk(front, timeout=20) as client:
        stream = _ask(client, stream=True)
        assert next(stream).choices[0].delta.role == "assistant"
        doomed._server.force_exit = doomed._server.should_exit = True  # no graceful wait for open requests
        with pytest.raises(openai.APIError, match="broke the connection|cannot be reached"):
            list(stream)
    doomed.stop()


def test_upstream_down_from_the_start_is_a_502_to_retry(refused_url, caplog):
    with _front(refused_url) as front, _sdk(front) as client:
        with pytest.raises(openai.APIStatusError) as raised:
            _ask(client)
        assert raised.value.status_code == 502 and raised.value.response.headers["x-should-retry"] == "true"
        assert "cannot be reached" in raised.value.message
        assert client.conversations.create().id.startswith("conv_")  # the local endpoints keep working


@pytest.fixture
def refused_url() -> str:
    """A loopback address nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_upstream_key_never_reaches_learners_or_logs(front, upstream_server, upstream_engine, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    with _sdk(front) as client:
        for options in ({}, {"stream": True}):
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-6-luna", messages=[{"role": "user", "content": WORDS}], max_completion_tokens=2, **options
            )
            seen += [raw.http_response.read().decode(), str(raw.headers)]
        with pytest.raises(openai.BadRequestError) as refused:
            _ask(client, temperature=5)
        seen += [refused.value.response.text, str(refused.value.response.headers)]
    wrong = Upstream(upstream_server.base_url, api_key=UPSTREAM_KEY + "-wrong")
    with start_in_thread(api_key=API_KEY, today=lambda: TEST_DAY, upstream=wrong) as bad, _sdk(bad) as client:
        with pytest.raises(openai.InternalServerError) as engine_refused:
            _ask(client)
    assert engine_refused.value.code == "upstream_unauthorized"  # not a 401: the learner's key was fine
    seen += [engine_refused.value.response.text, str(engine_refused.value.response.headers), caplog.text]
    assert all(UPSTREAM_KEY not in text for text in seen) and "Incorrect API key" not in "".join(seen)


def test_key_comes_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("ENGINE_KEY", UPSTREAM_KEY)
    assert (
        Upstream.from_env("http://engine/v1", "ENGINE_KEY").headers_for_check()["authorization"].endswith(UPSTREAM_KEY)
    )
    monkeypatch.delenv("ENGINE_KEY")
    with pytest.raises(UpstreamKeyMissing, match="ENGINE_KEY is not set"):
        Upstream.from_env("http://engine/v1", "ENGINE_KEY")


def test_bodies_pass_through_with_the_upstream_model_and_the_engines_key_only():
    sent: list[httpx.Request] = []

    def engine(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith("/chat/completions"):
            error = {"message": "Slow down.", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
            return httpx.Response(429, json={"error": error}, headers={"retry-after": "7", "server": "engine/1.0"})
        return httpx.Response(200, json={"object": "list", "data": [{"id": "qwen2.5-7b", "object": "model"}]})

    upstream = Upstream(
        "http://engine/v1", api_key=UPSTREAM_KEY, model="qwen2.5-7b", transport=httpx.MockTransport(engine)
    )
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    with TestClient(create_app(api_key=API_KEY, upstream=upstream)) as http:
        body = {"model": "gpt-6-luna", "messages": [], "tools": tools, "tool_choice": "auto"}
        limited = http.post("/v1/chat/completions", json=body, headers=_auth())
        listed = http.get("/v1/models", headers=_auth()).json()["data"]
    assert json.loads(sent[0].content) == {**body, "model": "qwen2.5-7b"}  # tools and all, for the engine's model
    assert sent[0].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7" and "server" not in limited.headers
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert listed[0]["id"] == "qwen2.5-7b" and len([m for m in listed if m["id"] == "qwen2.5-7b"]) == 1


# --- an engine without the Responses API: the front server translates to chat completions --------------


def _without_responses(app):
    """The course server's app with ``POST /v1/responses`` gone (its own 404), as on Ollama or llama.cpp."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/v1/responses":
            scope = {**scope, "path": "/v1/no-responses-here"}
        await app(scope, receive, send)

    return wrapped


@pytest.fixture(scope="module")
def chat_only_front(upstream_engine):
    app = create_app(api_key=UPSTREAM_KEY, engine=upstream_engine, today=lambda: TEST_DAY)
    server = uvicorn.Server(uvicorn.Config(_without_responses(app), port=0, log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started)
    with _front(f"http://127.0.0.1:{sock.getsockname()[1]}/v1") as front:
        yield front
    server.should_exit = True
    thread.join(5)


def test_responses_translated_for_an_engine_without_them(chat_only_front):
    with _sdk(chat_only_front) as client:
        first = client.responses.create(model=ENGINE_MODEL, input="one two three", instructions="Echo.")
        assert first.output_text == "one two three " and first.status == "completed"
        assert first.usage.output_tokens == 3
        assert client.responses.retrieve(first.id).output_text == first.output_text  # stored here
        later = client.responses.create(model=ENGINE_MODEL, input="seven eight", previous_response_id=first.id)
        assert later.output_text == "seven eight " and later.status == "completed"
        with pytest.raises(openai.NotFoundError):  # the engine has no stored responses to look in
            client.responses.retrieve("resp_" + "0" * 48)


def test_translated_responses_stream_as_events(chat_only_front, upstream_engine):
    upstream_engine.delay = 0.1
    with _sdk(chat_only_front) as client:
        events = list(client.responses.create(model=ENGINE_MODEL, input="one two three", stream=True))
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == "one two three "
    assert [event.sequence_number for event in events] == list(range(len(events)))


# --- moderation= on chat: the local classifier judges the engine's reply ----------------------------------

THREAT = "I will kill you, I am going to stab you to death tonight."


def _moderated(client: OpenAI, input_mode: str, output_mode: str, **options):
    policy = {"input": {"mode": input_mode}, "output": {"mode": output_mode}}
    return client.chat.completions.create(
        model=ENGINE_MODEL,
        messages=[{"role": "user", "content": THREAT}],
        moderation={"model": "omni-moderation-latest", "policy": policy},
        **options,
    )


def test_a_blocked_input_never_reaches_the_engine(client, upstream_engine):
    completion = _moderated(client, "block", "score")
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == ("", "content_filter")
    assert completion.moderation.input.results[0].flagged and completion.moderation.output.code == "input_blocked"
    assert upstream_engine.generations == [] and completion.usage.completion_tokens == 0


def test_a_flagged_streamed_reply_is_withheld_and_judged_before_the_usage_chunk(client, upstream_engine):
    chunks = list(_moderated(client, "score", "block", stream=True, stream_options={"include_usage": True}))
    assert len(upstream_engine.generations) == 1  # the engine wrote the reply (the stand-in echoes the threat)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ""  # none of it reached us
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "content_filter"
    ]
    judged = [c for c in chunks if c.moderation is not None]
    assert len(judged) == 1 and judged[0].moderation.output.results[0].flagged
    assert chunks.index(judged[0]) == len(chunks) - 2 and chunks[-1].usage.completion_tokens > 0


def test_moderation_on_responses_is_refused_with_an_upstream(client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=ENGINE_MODEL, input="Hi", moderation={"model": "omni-moderation-latest"})
    assert refused.value.param == "moderation" and "/v1/moderations" in refused.value.message
