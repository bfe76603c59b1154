"""The forward pass: float32 throughout, KV cache consistent, batches, and a real language model."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from course_helpers.local.engine import get_engine
from course_helpers.local.linear import Linear
from course_helpers.local.sampler import log_softmax
from course_helpers.local.transformer import (
    apply_rope,
    attention_block,
    feed_forward_block,
    grouped_query_attention,
    rms_norm,
    rope_rotations,
    softmax,
)

ENGLISH = (
    "The quick brown fox jumps over the lazy dog. It was a sunny day in the park, and children were "
    "playing on the grass while their parents watched from the benches. Later that afternoon, everyone "
    "went home for dinner."
)


@pytest.fixture(scope="module")
def engine():
    # these tests call the model directly (not through the decoding thread): one BLAS thread,
    # as the engine uses, so busy BLAS threads do not slow them down on a loaded machine
    with ThreadpoolController().limit(limits=1, user_api="blas"):
        yield get_engine()


def mean_negative_log_likelihood(engine, text):
    ids = engine.encode(text)
    logits = engine.model.forward_all_logits([ids], [engine.model.new_cache()])[0]
    return -np.mean([log_softmax(logits[i])[ids[i + 1]] for i in range(len(ids) - 1)])


def test_english_is_far_more_likely_than_shuffled_words(engine):
    words = ENGLISH.split()
    np.random.default_rng(0).shuffle(words)
    ordinary = mean_negative_log_likelihood(engine, ENGLISH)
    shuffled = mean_negative_log_likelihood(engine, " ".join(words))
    assert np.exp(ordinary) < 40  # perplexity of ordinary text
    assert shuffled > ordinary + 2.0  # shuffled: several times (e^2 = 7x) more perplexed


def test_prefill_equals_token_by_token(engine):
    ids = engine.encode("The capital of France is")
    prefill = engine.model.forward([ids], [engine.model.new_cache()])[0]
    cache = engine.model.new_cache(capacity=2)  # also exercises the cache growing
    for token in ids:
        stepwise = engine.model.forward([[token]], [cache])[0]
    assert cache.length == len(ids)
    assert np.allclose(prefill, stepwise, atol=2e-3)
    assert int(np.argmax(prefill)) == int(np.argmax(stepwise))


def test_batch_equals_separate_sequences(engine):
    model = engine.model
    a, b = engine.encode("Hello there, how are"), engine.encode("One, two,")
    alone_a = model.forward([a], [model.new_cache()])[0]
    alone_b = model.forward([b], [model.new_cache()])[0]
    together = model.forward([a, b], [model.new_cache(), model.new_cache()])
    assert np.allclose(together[0], alone_a, atol=2e-3) and np.allclose(together[1], alone_b, atol=2e-3)


def textbook_logits(model, ids):
    """Next-token logits after ``ids``, written the plain way: whole sequence, no cache, nothing in place."""
    config, weights = model.config, model.weights
    T, hd, kv = len(ids), config.head_dim, config.n_kv_heads
    n_q, n_kv = config.n_heads * hd, kv * hd

    def norm(x, weight):
        return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + config.rms_eps) * weight

    def rotate(v):  # (T, heads, hd): each adjacent pair turned by its position's angle
        angles = np.arange(T)[:, None] * config.rope_base ** (-np.arange(0, hd, 2) / hd)  # (T, hd/2)
        even, odd = v[..., 0::2], v[..., 1::2]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        return np.stack([even * cos - odd * sin, even * sin + odd * cos], axis=-1).reshape(v.shape)

    x = weights.token_embeddings[ids].astype(np.float64)
    for layer in weights.layers:
        qkv = norm(x, layer.attn_norm) @ layer.attn_qkv.T
        q = rotate(qkv[:, :n_q].reshape(T, config.n_heads, hd))
        k = rotate(qkv[:, n_q : n_q + n_kv].reshape(T, kv, hd))
        v = qkv[:, n_q + n_kv :].reshape(T, kv, hd)
        heads = []
        for head in range(config.n_heads):
            shared = head * kv // config.n_heads  # the key/value head of this query head's group
            scores = q[:, head] @ k[:, shared].T / np.sqrt(hd) + np.triu(np.full((T, T), -np.inf), 1)
            weights_ = np.exp(scores - scores.max(axis=-1, keepdims=True))
            heads.append(weights_ / weights_.sum(axis=-1, keepdims=True) @ v[:, shared])
        x = x + np.concatenate(heads, axis=-1) @ layer.attn_output.T
        gate, up = np.split(norm(x, layer.ffn_norm) @ layer.ffn_gate_up.T, 2, axis=-1)
        x = x + (gate / (1 + np.exp(-gate)) * up) @ layer.ffn_down.T
    return norm(x[-1], weights.output_norm) @ weights.token_embeddings.T


def test_greedy_decoding_matches_the_textbook_forward_pass(engine):
    # the engine's forward pass (KV cache, batches, results written in place) against the plain
    # formulas in float64: the same logits within float32's rounding, so the same greedy tokens
    model = engine.model
    ids = engine.encode("The capital of France is")
    caches = [model.new_cache(capacity=2), model.new_cache()]  # the first one also grows
    logits = model.forward([ids, engine.encode("One, two, three,")], caches)[0]  # with a second sequence
    for _ in range(8):
        expected = textbook_logits(model, ids)
        assert np.abs(logits - expected).max() < 5e-4  # measured: 3e-5 to 4e-5 on logits up to about 20
        assert int(np.argmax(logits)) == int(np.argmax(expected))
        ids = ids + [int(np.argmax(logits))]
        logits = model.forward([[ids[-1]], [ids[-1]]], caches)[0]
    assert engine.decode(ids[-8:]).strip()  # a real continuation


def test_every_tensor_stays_float32(engine):
    logits = engine.model.forward([engine.encode("Hi")], [engine.model.new_cache()])
    assert logits[0].dtype == np.float32
    assert engine.model.hidden_states([engine.encode("Hi")]).dtype == np.float32
    assert engine.model.rope.dtype == np.complex64  # pairs of float32


def test_hidden_states_fed_in_chunks_equal_one_pass(engine):
    model = engine.model
    a, b = engine.encode("The quick brown fox jumps over the lazy dog."), engine.encode("One, two,")
    whole = model.hidden_states([a, b])
    assert whole.shape == (model.config.n_layers + 1, len(a) + len(b), model.config.d_model)
    assert np.allclose(model.hidden_states([a, b], chunk=4), whole, atol=2e-3)
    assert np.allclose(model.hidden_states([a]), whole[:, : len(a)], atol=2e-3)


def test_hidden_states_up_to_a_layer_are_the_first_entries(engine):
    ids = engine.encode("I want to kill my presentation")
    every = engine.model.hidden_states([ids])
    assert np.array_equal(engine.model.hidden_states([ids], up_to_layer=5), every[:6])
    assert np.allclose(engine.model.hidden_states([ids], up_to_layer=5, chunk=3), every[:6], atol=2e-3)


def test_the_blocks_can_run_on_two_threads_at_once(engine, monkeypatch):
    # a Linear serves one thread at a time; a default shared by every call made two threads collide
    slow_product = Linear._product

    def held_longer(self, x, weight):  # makes the two threads' products overlap for sure
        time.sleep(0.01)
        return slow_product(self, x, weight)

    monkeypatch.setattr(Linear, "_product", held_longer)
    model, layer = engine.model, engine.model.weights.layers[0]
    x = model.weights.token_embeddings[engine.encode("Hi there")]
    rotations = model.rope[: len(x)]
    start, errors, outputs = threading.Barrier(2), [], []

    def run_blocks():
        start.wait()
        try:
            cache = model.new_cache()
            mixed = attention_block(x, layer, 0, model.config, rotations, [(0, len(x))], [cache])
            outputs.append(feed_forward_block(x + mixed, layer, model.config))
        except RuntimeError as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run_blocks) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(outputs) == 2
    assert np.array_equal(outputs[0], outputs[1])


def test_rms_norm_gives_unit_root_mean_square():
    x = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    out = rms_norm(x, np.ones(16, np.float32), 1e-6)
    assert out.dtype == np.float32
    assert np.allclose(np.sqrt(np.mean(out**2, axis=-1)), 1.0, atol=1e-4)


def test_rope_rotates_pairs_keeping_their_length():
    rotations = rope_rotations(head_dim=8, max_positions=10, base=10000.0)
    x = np.random.default_rng(1).standard_normal((10, 2, 8)).astype(np.float32)
    rotated = apply_rope(x.copy(), rotations)
    assert np.allclose(rotated[0], x[0])  # position 0: angle 0
    pair_length = lambda v: np.hypot(v[..., 0::2], v[..., 1::2])  # noqa: E731
    assert np.allclose(pair_length(rotated), pair_length(x), atol=1e-5)
    # pair 0 of position 1 turns by exactly 1 radian
    c, s = np.cos(1.0), np.sin(1.0)
    assert np.allclose(rotated[1, 0, :2], [x[1, 0, 0] * c - x[1, 0, 1] * s, x[1, 0, 0] * s + x[1, 0, 1] * c], atol=1e-5)


def test_attention_is_causal_and_grouped():
    rng = np.random.default_rng(2)
    queries = rng.standard_normal((3, 4, 8)).astype(np.float32)  # 3 positions, 4 query heads
    keys = rng.standard_normal((2, 3, 8)).astype(np.float32)  # 2 key/value heads
    values = rng.standard_normal((2, 3, 8)).astype(np.float32)
    out = grouped_query_attention(queries, keys, values, first_position=0)
    assert out.shape == (3, 4, 8) and out.dtype == np.float32
    # the first position sees only itself: its output is exactly its own value vector
    assert np.allclose(out[0, 0], values[0, 0]) and np.allclose(out[0, 3], values[1, 0])


def test_softmax_sums_to_one():
    p = softmax(np.array([[1.0, 2.0, 3.0]], np.float32))
    assert np.isclose(p.sum(), 1.0) and p.dtype == np.float32
