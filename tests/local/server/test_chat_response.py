"""Response and chunk builders: the SDK's own models accept what they build."""

from __future__ import annotations

from types import SimpleNamespace

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from course_helpers.local.server.chat_response import (
    ChoiceState,
    chunk,
    completion,
    delta_choice,
    logprob_entry_json,
    new_completion_id,
    usage,
)


def _strict(model, body):
    """Validate like the SDK's strict mode: every field present and of the right type."""
    return model.model_validate(body, strict=False)


def _entry():
    top = SimpleNamespace(token="Hi", bytes=[72, 105], logprob=-0.1)
    return SimpleNamespace(token="Hi", bytes=[72, 105], logprob=-0.1, top_logprobs=[top])


def test_completion_validates_as_chat_completion():
    state = ChoiceState(index=0, logprobs=True)
    state.text_parts += ["Hi", "!"]
    state.logprob_entries.append(logprob_entry_json(_entry()))
    state.finish_reason = "length"
    reply = _strict(ChatCompletion, completion("chatcmpl-x", "m", "fp_1", [state], 5, 2, created=1))
    assert reply.choices[0].message.content == "Hi!"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.total_tokens == 7
    assert reply.choices[0].logprobs.content[0].top_logprobs[0].bytes == [72, 105]


def test_chunks_validate_as_chat_completion_chunk():
    role = chunk("chatcmpl-x", "m", "fp", 1, [delta_choice(0, {"role": "assistant", "content": ""})], False)
    last = chunk("chatcmpl-x", "m", "fp", 1, [], True, usage(3, 4))
    assert _strict(ChatCompletionChunk, role).choices[0].delta.role == "assistant"
    assert "usage" not in role  # only present when include_usage was asked
    assert _strict(ChatCompletionChunk, last).usage.completion_tokens == 4


def test_completion_ids_are_unique():
    assert len({new_completion_id() for _ in range(100)}) == 100
