"""The batch scheduler: many requests at once, each answered as if alone; slots freed; model jobs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from course_helpers.local.engine import SamplingParams, get_engine


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def greedy_text(engine, question, max_tokens=6):
    prompt = engine.encode(engine.render_chat([{"role": "user", "content": question}]))
    generation = engine.generate(prompt, SamplingParams(temperature=0, max_tokens=max_tokens))
    return "".join(event.text for event in generation)


def test_concurrent_requests_each_get_their_own_answer(engine):
    questions = ["What is the capital of France?", "What is 2 + 2?", "Name a fruit."]
    alone = {q: greedy_text(engine, q) for q in questions}
    together = {}

    def worker(question):
        together[question] = greedy_text(engine, question)

    threads = [threading.Thread(target=worker, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone


def test_cancelled_request_leaves_the_batch(engine):
    prompt = engine.encode(engine.render_chat([{"role": "user", "content": "Write a long story."}]))
    generation = engine.generate(prompt, SamplingParams(max_tokens=500, seed=0), n=2)
    next(generation)
    generation.cancel()
    deadline = time.monotonic() + 30
    while engine._scheduler._active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not engine._scheduler._active


def test_model_jobs_run_on_the_decoding_thread(engine):
    names = engine._scheduler.call(lambda: threading.current_thread().name)
    assert names == "course-engine-decoder"


def test_job_errors_reach_the_caller(engine):
    with pytest.raises(ZeroDivisionError):
        engine._scheduler.call(lambda: 1 / 0)
    assert engine.hidden_states(engine.encode("still works")).dtype == np.float32


def test_prompt_longer_than_a_chunk_is_fed_correctly(engine):
    from course_helpers.local.scheduler import PREFILL_CHUNK

    text = "The sky is blue and the grass is green. " * 28 + "What color is the sky?"
    prompt = engine.encode(engine.render_chat([{"role": "user", "content": text}]))
    assert len(prompt) > PREFILL_CHUNK
    model = engine.model
    expected = engine._scheduler.call(lambda: int(np.argmax(model.forward([prompt], [model.new_cache()])[0])))
    generation = engine.generate(prompt, SamplingParams(temperature=0, max_tokens=1, logprobs=True))
    (event,) = list(generation)
    assert event.logprob.bytes == list(engine.token_bytes(expected))
    assert generation.prompt_tokens == len(prompt) and generation.completion_tokens == 1


def test_moderation_features_while_replies_stream(engine):
    """Model work from other threads (moderation) runs between decoding steps, never beside them."""
    from course_helpers.local.moderation.features import pooled_states

    texts = ["How do I bake bread?", "I want to hurt someone.", "Nice weather today."]
    alone = pooled_states(engine, texts, [4, 20])
    replies, features, errors = [], [], []

    def reply(seed):
        prompt = engine.encode(engine.render_chat([{"role": "user", "content": "Tell me a story."}]))
        generation = engine.generate(prompt, SamplingParams(seed=seed, max_tokens=24))
        replies.append("".join(event.text for event in generation))

    def moderate():
        try:
            for _ in range(3):
                features.append(pooled_states(engine, texts, [4, 20]))
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=reply, args=(seed,)) for seed in range(3)]
    threads += [threading.Thread(target=moderate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "the engine stalled"
    assert errors == [] and len(replies) == 3 and len(features) == 6
    for pooled in features:
        for kind in alone:
            assert np.allclose(pooled[kind], alone[kind], atol=1e-4)


def test_a_stop_string_completed_by_the_last_held_text_ends_with_stop(engine):
    # a reply cut by max_tokens inside an emoji ends with U+FFFD; with that as a stop string, it is a stop
    prompt = engine.encode_chat([{"role": "user", "content": "Repeat exactly: 🐱🐶🦄🎉 🐱🐶🦄🎉"}])
    tokens = [
        event.logprob.token
        for event in engine.generate(prompt, SamplingParams(temperature=0, max_tokens=30, logprobs=True))
        if event.logprob is not None
    ]
    cut = next(i + 1 for i, token in enumerate(tokens) if token.startswith("bytes:"))  # inside a character
    events = list(engine.generate(prompt, SamplingParams(temperature=0, max_tokens=cut, stop=["\ufffd"])))
    assert events[-1].finish_reason == "stop"
    assert "\ufffd" not in "".join(event.text for event in events)
    plain = list(engine.generate(prompt, SamplingParams(temperature=0, max_tokens=cut)))
    assert plain[-1].finish_reason == "length" and "".join(e.text for e in plain).endswith("\ufffd")
