"""The batch scheduler: many requests at once, each answered as if alone; slots freed; model jobs."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from polling import wait_for

from course_helpers.local import scheduler
from course_helpers.local.constraints import Constraint, GrammarError, json_schema
from course_helpers.local.engine import SamplingParams, get_engine
from course_helpers.local.sampler import ChoiceSampler
from course_helpers.local.text_stream import ReplyText


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


# ---- one failure costs one request -------------------------------------------------------

MARKER = "<never in a reply: marks the failing request>"  # a stop string that only tags a request
FAILING = SamplingParams(temperature=0, max_tokens=4, stop=(MARKER,))
HEALTHY = SamplingParams(temperature=0, max_tokens=12)


class Injected(RuntimeError):
    """The fault the tests inject."""


def collect(generation, timeout=30.0) -> tuple[str, BaseException | None]:
    """All the text of a generation and the error its iteration raised (None), failing instead of hanging."""
    outcome: dict = {}

    def read():
        text = ""
        try:
            for event in generation:
                text += event.text
        except Exception as error:  # the outcome under test
            outcome["error"] = error
        outcome["text"] = text

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert not reader.is_alive(), "the request never ended: the decoding thread is stuck or dead"
    return outcome["text"], outcome.get("error")


def prompt_for(engine, question):
    return engine.encode(engine.render_chat([{"role": "user", "content": question}]))


def failing_only(method, of_failing_request):
    """``method``, but raising Injected when ``of_failing_request(self)``: one request breaks, the others not."""

    def replacement(self, *args, **kwargs):
        if of_failing_request(self):
            raise Injected("injected fault")
        return method(self, *args, **kwargs)

    return replacement


HEALTHY_QUESTION = "Name three colors."


@pytest.fixture(scope="module")
def healthy_text(engine):
    """What the healthy request answers when it runs alone."""
    text, error = collect(engine.generate(prompt_for(engine, HEALTHY_QUESTION), HEALTHY))
    assert error is None
    return text


def assert_fault_costs_one_request(engine, healthy_text, failing_params=FAILING, n=1):
    """Run a healthy request beside one that fails; the failing one raises, the other is untouched."""
    healthy = engine.generate(prompt_for(engine, HEALTHY_QUESTION), HEALTHY)
    failing = engine.generate(prompt_for(engine, "What is 2 + 2?"), failing_params, n=n)
    _, error = collect(failing)
    assert isinstance(error, Injected)
    assert collect(healthy) == (healthy_text, None)


def assert_engine_still_serves(engine, healthy_text):
    """The next request is answered normally, a model job (``call``) still returns, no slot is kept."""
    assert collect(engine.generate(prompt_for(engine, HEALTHY_QUESTION), HEALTHY)) == (healthy_text, None)
    assert engine.hidden_states(engine.encode("still works")).dtype == np.float32
    batch = engine._scheduler
    assert wait_for(lambda: not batch._active and not batch._prefilling, timeout=10.0), (
        "a failed request kept its slots"
    )


def test_a_failing_sampler_costs_only_its_request(engine, healthy_text, monkeypatch):
    monkeypatch.setattr(ChoiceSampler, "step", failing_only(ChoiceSampler.step, lambda s: s.params is FAILING))
    assert_fault_costs_one_request(engine, healthy_text)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


def test_a_failing_text_step_costs_only_its_request(engine, healthy_text, monkeypatch):
    monkeypatch.setattr(ReplyText, "feed", failing_only(ReplyText.feed, lambda text: MARKER in text._stop))
    assert_fault_costs_one_request(engine, healthy_text)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


def test_a_failing_logprobs_step_costs_only_its_request(engine, healthy_text, monkeypatch):
    def failing_entry(*args):
        raise Injected("injected fault")  # only the failing request asks for logprobs

    monkeypatch.setattr(scheduler, "logprob_entry", failing_entry)
    assert_fault_costs_one_request(engine, healthy_text, SamplingParams(temperature=0, max_tokens=4, logprobs=True))
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


@pytest.mark.parametrize("stage", ["__init__", "next_chunk"])
def test_a_failing_prefill_costs_only_its_request(engine, healthy_text, monkeypatch, stage):
    original = getattr(scheduler._Prefill, stage)

    def replacement(self, *args):
        generation = args[0] if stage == "__init__" else self.generation
        if generation.params is FAILING:
            raise Injected("injected fault")
        return original(self, *args)

    monkeypatch.setattr(scheduler._Prefill, stage, replacement)
    assert_fault_costs_one_request(engine, healthy_text)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


def test_a_choice_failing_at_its_start_fails_its_request_once(engine, healthy_text, monkeypatch):
    # n=2: the second choice's first token raises after the first choice has joined the batch
    started = []
    original = ChoiceSampler.step

    def second_choice_fails(self, *args):
        if self.params is FAILING and self not in started:
            started.append(self)
            if len(started) == 2:
                raise Injected("injected fault")
        return original(self, *args)

    monkeypatch.setattr(ChoiceSampler, "step", second_choice_fails)
    assert_fault_costs_one_request(engine, healthy_text, n=2)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


def test_an_error_outside_any_request_is_logged_and_the_thread_survives(engine, healthy_text, monkeypatch, caplog):
    tuner = engine._scheduler.tuner
    original, raised = tuner.mode, []

    def broken_once(batch_size):  # the tuner is asked at each decoding step, for no request in particular
        if not raised:
            raised.append(batch_size)
            raise Injected("injected bug")
        return original(batch_size)

    monkeypatch.setattr(tuner, "mode", broken_once)
    with caplog.at_level("ERROR", logger=scheduler.__name__):
        _, error = collect(engine.generate(prompt_for(engine, "What is 2 + 2?"), FAILING))
    assert isinstance(error, Injected)
    assert any(record.exc_info and record.exc_info[0] is Injected for record in caplog.records)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


# ---- structured outputs: a grammar per choice, masks filled together ------------------------

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
EXTRACT = "Extract the person as JSON: Ada Lovelace was 36 years old."


def constrained(**more) -> SamplingParams:
    return SamplingParams(
        **{"temperature": 0, "max_tokens": 40, "constraint": json_schema(PERSON, strict=True), **more}
    )


def test_a_constrained_reply_follows_its_schema_and_ends_with_stop(engine):
    generation = engine.generate(prompt_for(engine, EXTRACT), constrained(), n=2)
    events = list(generation)
    for index in (0, 1):
        text = "".join(e.text for e in events if e.index == index)
        assert set(json.loads(text)) == {"name", "age"}
        assert [e.finish_reason for e in events if e.index == index][-1] == "stop"
    assert generation.completion_tokens == sum(1 for e in events if e.text)


def test_a_constrained_request_leaves_a_free_one_untouched(engine, healthy_text):
    healthy = engine.generate(prompt_for(engine, HEALTHY_QUESTION), HEALTHY)
    shaped = engine.generate(prompt_for(engine, EXTRACT), constrained())
    text, error = collect(shaped)
    assert error is None and set(json.loads(text)) == {"name", "age"}
    assert collect(healthy) == (healthy_text, None)


def test_a_grammar_that_cannot_compile_fails_at_generate(engine):
    broken = Constraint("json_schema", '{"grammars": [{"lark_grammar": "start: ("}]}')
    with pytest.raises(GrammarError):
        engine.generate(prompt_for(engine, EXTRACT), SamplingParams(constraint=broken))


def test_a_reply_that_leaves_its_grammar_costs_only_its_request(engine, healthy_text, monkeypatch):
    """A matcher error (the sampler drawing a token the grammar forbids) fails that request with a GrammarError."""
    failing_params = constrained(stop=(MARKER,))
    forbidden = engine.encode("Hello", special=False)[0]
    original = ChoiceSampler.step

    def draws_a_forbidden_token(self, logits, allowed=None):
        token, logprobs = original(self, logits, allowed)
        return (forbidden, logprobs) if self.params is failing_params else (token, logprobs)

    monkeypatch.setattr(ChoiceSampler, "step", draws_a_forbidden_token)
    healthy = engine.generate(prompt_for(engine, HEALTHY_QUESTION), HEALTHY)
    shaped = engine.generate(prompt_for(engine, EXTRACT), constrained())
    failing = engine.generate(prompt_for(engine, EXTRACT), failing_params)
    _, error = collect(failing)
    assert isinstance(error, GrammarError) and "left its grammar" in str(error)
    assert error.param == "response_format"
    text, shaped_error = collect(shaped)
    assert shaped_error is None and set(json.loads(text)) == {"name", "age"}
    assert collect(healthy) == (healthy_text, None)
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)


def test_a_failing_mask_fill_costs_only_its_request(engine, healthy_text, monkeypatch):
    """Masks are filled together; if that fails, each is filled alone, so only the request at fault fails."""
    grammars = engine.grammars
    original, broken = grammars.allowed, set()

    def allowed(matchers):
        if any(id(matcher) in broken for matcher in matchers):
            raise Injected("injected fault")
        return original(matchers)

    monkeypatch.setattr(grammars, "allowed", allowed)
    shaped = engine.generate(prompt_for(engine, EXTRACT), constrained(max_tokens=12))
    failing = engine.generate(prompt_for(engine, EXTRACT), constrained(stop=(MARKER,)))
    broken.add(id(failing.matcher))  # its only choice decodes with this matcher
    _, error = collect(failing)
    assert isinstance(error, Injected)
    text, shaped_error = collect(shaped)
    assert shaped_error is None and text.startswith('{"name": ')
    monkeypatch.undo()
    assert_engine_still_serves(engine, healthy_text)
