"""Reading GGUF weights into a float32, memory-mapped cache (on a tiny model written here)."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.engine import get_engine
from course_helpers.local.gguf_weights import load_weights


def write_tiny_gguf(path, rng):
    """A 1-layer llama GGUF with float32 tensors; returns the tensors written."""
    from gguf import GGUFWriter

    d, ff, vocab = 8, 16, 4
    writer = GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_context_length(32)
    writer.add_embedding_length(d)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(2)
    writer.add_head_count_kv(1)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(["a", "b", "c", "<|im_end|>"])
    writer.add_token_types([1, 1, 1, 3])
    writer.add_token_merges(["a b"])
    writer.add_chat_template("{{ messages[0]['content'] }}")
    shapes = {
        "token_embd.weight": (vocab, d),
        "output_norm.weight": (d,),
        "blk.0.attn_norm.weight": (d,),
        "blk.0.attn_q.weight": (d, d),
        "blk.0.attn_k.weight": (4, d),
        "blk.0.attn_v.weight": (4, d),
        "blk.0.attn_output.weight": (d, d),
        "blk.0.ffn_norm.weight": (d,),
        "blk.0.ffn_gate.weight": (ff, d),
        "blk.0.ffn_up.weight": (ff, d),
        "blk.0.ffn_down.weight": (d, ff),
    }
    tensors = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return tensors


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.gguf"
    return path, write_tiny_gguf(path, np.random.default_rng(0))


def test_tiny_model_round_trips_through_the_cache(tiny):
    path, tensors = tiny
    weights = load_weights(path)
    assert weights.config.n_layers == 1 and weights.config.head_dim == 4
    assert np.array_equal(weights.layers[0].ffn_down, tensors["blk.0.ffn_down.weight"])
    for part in ("attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up"):  # views into the stacked matrices
        assert np.array_equal(getattr(weights.layers[0], part), tensors[f"blk.0.{part}.weight"])
    assert np.array_equal(weights.token_embeddings, tensors["token_embd.weight"])
    assert weights.metadata["tokens"][3] == "<|im_end|>"


def test_second_load_reuses_the_cache(tiny):
    path, _ = tiny
    load_weights(path)
    cache = path.with_suffix(".f32")
    stamp = cache.stat().st_mtime_ns
    weights = load_weights(path)
    assert cache.stat().st_mtime_ns == stamp
    assert not weights.layers[0].attn_q.flags.writeable  # a read-only shared mapping


def test_stale_cache_is_rebuilt(tiny):
    path, tensors = tiny
    load_weights(path)
    index = path.with_suffix(".f32.json")
    index.write_text(index.read_text().replace('"format": ', '"format": -1'))
    weights = load_weights(path)
    assert np.array_equal(weights.layers[0].attn_q, tensors["blk.0.attn_q.weight"])


def test_real_model_is_float32_with_expected_shape():
    weights = get_engine().weights
    config = weights.config
    assert (config.n_layers, config.d_model, config.n_heads, config.n_kv_heads) == (30, 576, 9, 3)
    assert config.context_length == 8192
    for array in weights.matrices() + [weights.output_norm, weights.layers[0].attn_norm]:
        assert array.dtype == np.float32
    assert weights.token_embeddings.shape == (config.vocab_size, config.d_model)
