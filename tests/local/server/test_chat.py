"""POST /v1/chat/completions through the real openai SDK, with the echoing stand-in engine.

The stand-in replies with the words of the last message, one token each, so
every field of the response can be predicted exactly.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import openai
import pytest

from course_helpers.local.server.chat_request import DEFAULT_MAX_OUTPUT_TOKENS

from .conftest import API_KEY, wait_for

HELLO = [{"role": "user", "content": "one two three"}]


def test_completion_has_every_field(client):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert reply.choices[0].message.content == "one two three "
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "SmolLM2-135M-Instruct"
    assert reply.id.startswith("chatcmpl-")
    assert reply.object == "chat.completion"
    assert reply.system_fingerprint == "fp_fake0001"
    assert abs(reply.created - time.time()) < 60
    assert reply.usage.completion_tokens == 3
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 3
    assert reply.usage.prompt_tokens_details.cached_tokens == 0


def test_the_reply_message_object_can_go_back_into_the_history(client):
    # The pattern of OpenAI's own examples: append the SDK's message object, annotations and all.
    first = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    history = HELLO + [first.choices[0].message, {"role": "user", "content": "four five"}]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=history)
    assert second.choices[0].message.content == "four five "


def test_max_tokens_cuts_with_finish_reason_length(client):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=2)
    assert reply.choices[0].message.content == "one two "
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 2


def _longer_than_the_default_limit(engine) -> list[dict[str, str]]:
    engine.context_length = DEFAULT_MAX_OUTPUT_TOKENS + 100
    words = " ".join(f"w{i}" for i in range(DEFAULT_MAX_OUTPUT_TOKENS + 10))
    return [{"role": "user", "content": words}]


def test_without_a_limit_a_reply_ends_at_the_default_maximum_output(client, engine):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=_longer_than_the_default_limit(engine))
    assert engine.generations[-1].params.max_tokens == DEFAULT_MAX_OUTPUT_TOKENS
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == DEFAULT_MAX_OUTPUT_TOKENS


def test_without_a_limit_a_streamed_reply_ends_at_the_default_maximum_output(client, engine):
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=_longer_than_the_default_limit(engine), stream=True
    )
    finishes = [choice.finish_reason for chunk in stream for choice in chunk.choices if choice.finish_reason]
    assert finishes == ["length"]


def test_an_explicit_limit_above_the_default_is_honoured(client, engine):
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=_longer_than_the_default_limit(engine), max_completion_tokens=2000
    )
    assert engine.generations[-1].params.max_tokens == 2000
    assert reply.choices[0].finish_reason == "stop"


def test_usage_reports_zero_reasoning_tokens_json_and_streamed(client):
    reply = client.chat.completions.create(model="gpt-6-luna", messages=HELLO, reasoning_effort="high")
    assert reply.usage.completion_tokens_details.reasoning_tokens == 0
    stream = client.chat.completions.create(
        model="gpt-6-luna", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    usages = [chunk.usage for chunk in stream if chunk.usage is not None]
    assert [usage.completion_tokens_details.reasoning_tokens for usage in usages] == [0]


def test_max_completion_tokens_wins_over_max_tokens(client, engine):
    client.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=5, max_completion_tokens=1)
    assert engine.generations[-1].params.max_tokens == 1


def test_parameters_reach_the_engine(client, engine):
    client.chat.completions.create(
        model="gpt-4o",
        messages=HELLO,
        temperature=0.3,
        top_p=0.9,
        seed=7,
        stop=["x", "y"],
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        logprobs=True,
        top_logprobs=2,
    )
    params = engine.generations[-1].params
    assert (params.temperature, params.top_p, params.seed) == (0.3, 0.9, 7)
    assert params.stop == ("x", "y")
    assert (params.presence_penalty, params.frequency_penalty) == (0.5, -0.5)
    assert (params.logprobs, params.top_logprobs) == (True, 2)


def test_n_choices_each_complete(client, engine):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, n=3)
    assert [c.index for c in reply.choices] == [0, 1, 2]
    assert all(c.message.content == "one two three " for c in reply.choices)
    assert engine.generations[-1].n == 3  # one batched generation, not three requests


def test_logprobs_shape(client):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, logprobs=True, top_logprobs=2)
    content = reply.choices[0].logprobs.content
    assert [entry.token for entry in content] == ["one ", "two ", "three "]
    assert content[0].bytes == list(b"one ")
    assert content[0].top_logprobs[0].token == "one "
    assert content[0].top_logprobs[1].logprob == -9999.0  # -inf written as OpenAI does
    assert content[0].top_logprobs[1].bytes == [0xE2, 0x80]
    assert len(content) == reply.usage.completion_tokens


def test_no_logprobs_unless_asked(client):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert reply.choices[0].logprobs is None


def test_text_parts_and_names_are_read(client, engine):
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "system", "content": "Really brief.", "name": "boss"},
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": [{"type": "text", "text": "alpha "}, {"type": "text", "text": "beta"}]},
    ]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert reply.choices[0].message.content == "alpha beta "


def test_stream_chunks(client):
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three "
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" and c.system_fingerprint for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_stream_include_usage_ends_with_usage_chunk(client):
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 3
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_n_interleaved(client):
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True, n=2))
    texts = {0: "", 1: ""}
    finishes = {}
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts == {0: "one two three ", 1: "one two three "}
    assert finishes == {0: "stop", 1: "stop"}


def test_stream_logprobs_join_to_the_text(client):
    chunks = list(
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True, logprobs=True, top_logprobs=1)
    )
    tokens = [e.token for c in chunks for ch in c.choices if ch.logprobs for e in ch.logprobs.content]
    assert "".join(tokens) == "one two three "


def test_sse_wire_format(fake_server):
    response = httpx.post(
        fake_server.base_url + "/chat/completions",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={"model": "gpt-4o", "messages": HELLO, "stream": True},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert all(event.startswith("data: ") for event in events if event)
    assert events[-2] == "data: [DONE]" and events[-1] == ""


def test_async_client(async_client):
    async def ask():
        async with async_client:
            replies = await asyncio.gather(
                *[async_client.chat.completions.create(model="gpt-4o-mini", messages=HELLO) for _ in range(4)]
            )
            stream = await async_client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
            streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return replies, streamed

    replies, streamed = asyncio.run(ask())
    assert [r.choices[0].message.content for r in replies] == ["one two three "] * 4
    assert streamed == "one two three "


def test_context_length_exceeded(client):
    long = [{"role": "user", "content": "word " * 100}]  # the stand-in's window is 64 tokens
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=long)
    assert caught.value.code == "context_length_exceeded"
    assert caught.value.param == "messages"
    assert "64" in caught.value.message


def test_context_length_exceeded_when_streaming_is_a_400_too(client):
    long = [{"role": "user", "content": "word " * 100}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=long, stream=True)
    assert caught.value.code == "context_length_exceeded"


def test_disconnect_mid_stream_cancels_generation(client, engine):
    engine.delay = 0.05
    words = " ".join(f"w{i}" for i in range(40))
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": words}], stream=True
    )
    next(iter(stream))
    stream.close()
    generation = engine.generations[-1]
    assert wait_for(generation.cancelled.is_set)
    assert wait_for(generation.finished.is_set)
    assert generation.completion_tokens < 40


def test_disconnect_while_waiting_for_json_cancels_generation(fake_server, engine):
    engine.delay = 0.05
    words = " ".join(f"w{i}" for i in range(40))
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": words}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            fake_server.base_url + "/chat/completions",
            json=body,
            timeout=0.4,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
    generation = engine.generations[-1]
    assert wait_for(generation.cancelled.is_set)
    assert generation.completion_tokens < 40


def test_busy_server_answers_429_that_the_sdk_retries(fake_server, engine):
    engine.gate = threading.Event()
    app_state = fake_server._server.config.app.state
    app_state.max_active = 1
    results = []
    try:

        def held_request():
            with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
                results.append(sdk.chat.completions.create(model="gpt-4o", messages=HELLO))

        worker = threading.Thread(target=held_request)
        worker.start()
        assert wait_for(lambda: engine.generations)
        with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            with pytest.raises(openai.RateLimitError) as caught:
                sdk.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert caught.value.response.headers["x-should-retry"] == "true"
        assert caught.value.code == "rate_limit_exceeded"

        threading.Timer(0.3, engine.gate.set).start()  # the held request finishes while the SDK backs off
        with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=3) as sdk:
            assert sdk.chat.completions.create(model="gpt-4o", messages=HELLO).choices
        worker.join()
        assert len(results) == 1
    finally:
        engine.gate.set()
        app_state.max_active = 64


def test_engine_failure_is_a_500_server_error_not_retried(fake_server, engine):
    engine.fail_at_step = 1
    with openai.OpenAI(base_url=fake_server.base_url, api_key=API_KEY, max_retries=2) as sdk:
        with pytest.raises(openai.InternalServerError) as caught:
            sdk.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert caught.value.type == "server_error"
    assert "RuntimeError: the stand-in engine broke on purpose" in caught.value.message
    assert len(engine.generations) == 1  # x-should-retry: false stopped the SDK's retries


def test_engine_failure_mid_stream_raises_in_the_client(client, engine):
    engine.fail_at_step = 2
    with pytest.raises(openai.APIError, match="broke on purpose") as caught:
        for _ in client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True):
            pass
    assert caught.value.type == "server_error"


def test_engine_failure_before_the_first_token_of_a_stream_is_a_500(client, engine):
    engine.fail_at_step = 0  # nothing sent yet: a status code can still say it
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
    assert caught.value.type == "server_error"


def test_server_keeps_serving_after_a_failed_stream(client, engine):
    engine.fail_at_step = 1
    with pytest.raises(openai.APIError, match="broke on purpose"):
        list(client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True))
    engine.fail_at_step = None
    chunks = client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three "


def test_server_keeps_serving_after_failures(client, engine):
    engine.fail_at_step = 0
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    engine.fail_at_step = None
    assert client.chat.completions.create(model="gpt-4o", messages=HELLO).choices[0].message.content


def test_sdk_stream_helper_accumulates_the_completion(client):
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=HELLO, logprobs=True, stream_options={"include_usage": True}
    ) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert {"chunk", "content.delta", "content.done"} <= kinds
    assert final.choices[0].message.content == "one two three "
    assert final.usage.completion_tokens == 3
    assert [entry.token for entry in final.choices[0].logprobs.content] == ["one ", "two ", "three "]
