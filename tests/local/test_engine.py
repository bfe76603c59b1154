"""The engine's public API as the server uses it: answers, usage, logprobs, seeds, stops, limits."""

from __future__ import annotations

import doctest
import importlib
import threading

import numpy as np
import pytest

from course_helpers.local.engine import ContextLengthExceeded, SamplingParams, get_engine


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def ask(engine, question, **params):
    return engine.encode(engine.render_chat([{"role": "user", "content": question}]))


def run(engine, prompt, n=1, **params):
    """Generate and collect per choice: (texts, finish reasons, logprob entries, generation)."""
    generation = engine.generate(prompt, SamplingParams(**params), n=n)
    texts, finishes, entries = [""] * n, [None] * n, [[] for _ in range(n)]
    for event in generation:
        texts[event.index] += event.text
        if event.logprob is not None:
            entries[event.index].append(event.logprob)
        if event.finish_reason is not None:
            assert finishes[event.index] is None  # one final event per choice
            finishes[event.index] = event.finish_reason
    return texts, finishes, entries, generation


def test_engine_identity(engine):
    assert get_engine() is engine
    assert engine.model_name == "SmolLM2-135M-Instruct"
    assert engine.context_length == 8192
    assert engine.fingerprint.startswith("fp_") and len(engine.fingerprint) > 8


def test_greedy_answer_knows_the_capital_of_france(engine):
    texts, finishes, _, generation = run(
        engine, ask(engine, "What is the capital of France?"), temperature=0, max_tokens=20
    )
    assert "Paris" in texts[0]
    assert generation.prompt_tokens == len(ask(engine, "What is the capital of France?"))


def test_usage_counts_reply_tokens_equal_to_logprob_entries(engine):
    texts, finishes, entries, generation = run(
        engine, ask(engine, "Say hello."), temperature=0, logprobs=True, top_logprobs=5, max_tokens=30
    )
    assert finishes == ["stop"]  # ended by the end-of-turn token, which is not counted
    assert generation.completion_tokens == len(entries[0]) > 0
    assert "".join(e.token for e in entries[0]) == texts[0]


def test_greedy_choice_is_first_of_distinct_top_logprobs(engine):
    _, _, entries, _ = run(
        engine, ask(engine, "Write a word."), temperature=0, logprobs=True, top_logprobs=20, max_tokens=8
    )
    for entry in entries[0]:
        tops = [t.token for t in entry.top_logprobs]
        assert len(tops) == 20 and len(set(tops)) == 20
        assert tops[0] == entry.token and entry.top_logprobs[0].logprob == pytest.approx(entry.logprob)
        assert all(a.logprob >= b.logprob for a, b in zip(entry.top_logprobs, entry.top_logprobs[1:], strict=False))
        assert bytes(entry.bytes).decode("utf-8", errors="replace")


def test_max_tokens_gives_finish_reason_length(engine):
    texts, finishes, _, generation = run(engine, ask(engine, "Tell me a long story."), max_tokens=5, seed=1)
    assert finishes == ["length"] and generation.completion_tokens == 5


def test_same_seed_same_reply_even_next_to_other_requests(engine):
    prompt = ask(engine, "Name a color.")
    params = dict(temperature=1.0, seed=42, max_tokens=12)
    alone = run(engine, prompt, **params)[0]
    results = {}

    def other():
        results["other"] = run(engine, ask(engine, "Count to ten."), temperature=1.0, max_tokens=20)[0]

    thread = threading.Thread(target=other)
    thread.start()
    crowded = run(engine, prompt, **params)[0]
    thread.join()
    assert crowded == alone
    assert results["other"][0]


def test_choices_of_one_seeded_request_differ(engine):
    texts, finishes, _, generation = run(
        engine, ask(engine, "Invent a name for a cat."), n=3, temperature=1.2, seed=5, max_tokens=8
    )
    assert len(set(texts)) > 1
    assert all(f in ("stop", "length") for f in finishes)
    assert generation.completion_tokens <= 3 * 8


def test_stop_string_is_not_returned(engine):
    prompt = ask(engine, "Count from 1 to 10, separated by commas.")
    full = run(engine, prompt, temperature=0, max_tokens=30)[0][0]
    assert "4" in full
    texts, finishes, _, _ = run(engine, prompt, temperature=0, max_tokens=30, stop=["4"])
    assert finishes == ["stop"]
    assert texts[0] == full[: full.index("4")]


def test_prompt_too_long_is_refused_before_starting(engine):
    with pytest.raises(ContextLengthExceeded) as error:
        engine.generate([1] * engine.context_length, SamplingParams())
    assert error.value.prompt_tokens == engine.context_length


def test_cancel_ends_iteration(engine):
    generation = engine.generate(ask(engine, "Write a poem."), SamplingParams(max_tokens=200))
    first = next(generation)
    generation.cancel()
    rest = list(generation)
    assert first.index == 0 and len(rest) < 200


def test_hidden_states_shape_and_dtype(engine):
    ids = engine.encode("I want to kill my presentation")
    states = engine.hidden_states(ids)
    assert states.shape == (engine.weights.config.n_layers + 1, len(ids), engine.weights.config.d_model)
    assert states.dtype == np.float32 and np.isfinite(states).all()


def test_batch_hidden_states_stop_at_a_layer_with_the_same_states(engine):
    sequences = [engine.encode("I want to kill my presentation"), engine.encode("Bake bread")]
    every = engine.batch_hidden_states(sequences)
    first = engine.batch_hidden_states(sequences, up_to_layer=20)
    assert every.shape[0] == engine.weights.config.n_layers + 1
    assert first.shape == (21,) + every.shape[1:]
    assert np.array_equal(first, every[:21])


@pytest.mark.parametrize(
    "module",
    [
        "tokenizer",
        "chat_template",
        "text_stream",
        "sampler",
        "logprob_entries",
        "transformer",
        "linear",
        "thread_tuner",
        "gguf_weights",
    ],
)
def test_docstring_examples(module):
    mod = importlib.import_module(f"course_helpers.local.{module}")
    result = doctest.testmod(mod, extraglobs={"np": np})
    assert result.failed == 0
