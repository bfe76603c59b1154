"""The ``moderation`` parameter end to end: the real server, the real classifier, the strict openai SDK."""

from __future__ import annotations

from course_helpers.local.moderation import MODEL_NAME

THREAT = "I will kill you, I am going to stab you to death tonight."
SCORE = {"model": "omni-moderation-latest"}
BLOCK_INPUT = {"model": "omni-moderation-latest", "policy": {"input": {"mode": "block"}}}


def _chat(real_client, text, moderation, **extra):
    return real_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": text}],
        max_completion_tokens=8,
        temperature=0,
        moderation=moderation,
        **extra,
    )


def test_chat_scores_the_input_and_the_output(real_client):
    completion = _chat(real_client, THREAT, SCORE)
    assert completion.choices[0].finish_reason in ("stop", "length")
    verdicts = completion.moderation
    assert verdicts.input.type == "moderation_results" and verdicts.input.model == MODEL_NAME
    assert verdicts.input.results[0].flagged and verdicts.input.results[0].categories["violence"]
    assert verdicts.output.type == "moderation_results" and len(verdicts.output.results) == 1


def test_chat_blocks_a_flagged_input_without_generating(real_client):
    completion = _chat(real_client, THREAT, BLOCK_INPUT)
    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("", "content_filter")
    assert completion.usage.completion_tokens == 0
    assert completion.moderation.output.type == "error"


def test_chat_answers_a_harmless_input_in_block_mode(real_client):
    completion = _chat(real_client, "What is the capital of France?", BLOCK_INPUT)
    assert completion.choices[0].finish_reason != "content_filter" and completion.choices[0].message.content
    assert not completion.moderation.input.results[0].flagged


def test_a_chat_stream_ends_with_a_moderation_chunk(real_client):
    chunks = list(_chat(real_client, THREAT, BLOCK_INPUT, stream=True, stream_options={"include_usage": True}))
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["content_filter"]
    moderated = [c for c in chunks if c.moderation is not None]
    assert len(moderated) == 1 and moderated[0].choices == []
    assert moderated[0].moderation.input.results[0].flagged
    assert chunks[-1].usage is not None and chunks.index(moderated[0]) < len(chunks) - 1


def test_responses_block_a_flagged_input_as_incomplete(real_client):
    response = real_client.responses.create(model="gpt-4o-mini", input=THREAT, moderation=BLOCK_INPUT)
    assert response.status == "incomplete" and response.incomplete_details.reason == "content_filter"
    assert response.output_text == ""
    assert response.moderation.input.type == "moderation_result" and response.moderation.input.flagged


def test_a_responses_stream_carries_the_verdicts_on_its_last_event(real_client):
    events = list(
        real_client.responses.create(
            model="gpt-4o-mini", input="Say hello.", max_output_tokens=16, moderation=SCORE, stream=True
        )
    )
    final = events[-1].response
    assert events[-1].type in ("response.completed", "response.incomplete")
    assert final.moderation.input.type == final.moderation.output.type == "moderation_result"
    assert events[0].response.moderation is None  # no verdict exists yet when the stream starts
