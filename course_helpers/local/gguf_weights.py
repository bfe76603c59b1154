"""Model weights: read a GGUF file once, keep float32 copies memory-mapped afterwards.

The GGUF file stores most matrices quantized (Q4_1: 4 bits a weight plus a
scale and minimum per block of 32; Q8_0 for the embeddings). Dequantizing them
takes a few seconds, so the first start writes every tensor as float32 into one
cache file next to the model (``<model>.f32`` plus a small JSON index). Later
starts memory-map that file: they start in a fraction of a second, and several
kernels using the model share the same pages of memory.

Matrices keep GGUF's layout ``(out_features, in_features)``, so a layer computes
``x @ weight.T``. The output layer reuses the token embeddings (tied weights).
A second file (``<model>.f32t``) holds every matrix again, transposed to
``(in_features, out_features)``: the BLAS library reads the two layouts with
different kernels, and which one is faster depends on the CPU and on how many
rows are multiplied at once (on our 2-core machine the first was 18% faster for
one row with two threads, the second 13-15% faster for 8 or 16 rows; see
linear.py). That file is mapped without reading it: its pages are loaded only
if the engine uses it (``ModelWeights.in_out``).

>>> config = ModelConfig(n_layers=2, d_model=8, n_heads=2, n_kv_heads=1, d_ff=16,
...                      vocab_size=10, context_length=32, rope_base=10000.0, rms_eps=1e-5)
>>> config.head_dim
4

Used in: course_helpers/local/engine.py
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from filelock import FileLock

__all__ = ["ModelConfig", "ModelWeights", "LayerWeights", "load_weights", "read_gguf_metadata"]

_CACHE_FORMAT = 3  # bump when the cache layout changes, so old caches are rebuilt (3: the transposed file)
_ALIGN = 64  # bytes; each tensor starts on a cache-line boundary
_MATRICES = ("attn_qkv", "attn_output", "ffn_gate_up", "ffn_down")  # a block's matrices, also kept transposed


@dataclass(frozen=True)
class ModelConfig:
    """The shape of a Llama-style model, read from the GGUF metadata."""

    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ff: int
    vocab_size: int
    context_length: int
    rope_base: float
    rms_eps: float

    @property
    def head_dim(self) -> int:
        """Size of one attention head (d_model split across the heads)."""
        return self.d_model // self.n_heads


@dataclass(frozen=True)
class LayerWeights:
    """The weights of one transformer block (all float32, ``(out, in)`` matrices).

    The query, key and value matrices are stored stacked in one matrix, and so
    are the gate and up matrices: one matrix product instead of three (or two)
    per token. The properties give the separate matrices (views, no copies).
    """

    attn_norm: np.ndarray  # (d_model,)
    attn_qkv: np.ndarray  # ((n_heads + 2 * n_kv_heads) * head_dim, d_model): queries, keys, values
    attn_output: np.ndarray  # (d_model, n_heads * head_dim)
    ffn_norm: np.ndarray  # (d_model,)
    ffn_gate_up: np.ndarray  # (2 * d_ff, d_model): gate rows, then up rows
    ffn_down: np.ndarray  # (d_model, d_ff)

    @property
    def attn_q(self) -> np.ndarray:
        """Query matrix (n_heads * head_dim, d_model)."""
        return self.attn_qkv[: self.attn_output.shape[1]]

    @property
    def attn_k(self) -> np.ndarray:
        """Key matrix (n_kv_heads * head_dim, d_model)."""
        q = self.attn_output.shape[1]
        return self.attn_qkv[q : q + (self.attn_qkv.shape[0] - q) // 2]

    @property
    def attn_v(self) -> np.ndarray:
        """Value matrix (n_kv_heads * head_dim, d_model)."""
        q = self.attn_output.shape[1]
        return self.attn_qkv[q + (self.attn_qkv.shape[0] - q) // 2 :]

    @property
    def ffn_gate(self) -> np.ndarray:
        """Gate matrix (d_ff, d_model)."""
        return self.ffn_gate_up[: self.ffn_down.shape[1]]

    @property
    def ffn_up(self) -> np.ndarray:
        """Up matrix (d_ff, d_model)."""
        return self.ffn_gate_up[self.ffn_down.shape[1] :]


@dataclass(frozen=True)
class ModelWeights:
    """Every weight of the model plus its config and the metadata the tokenizer needs."""

    config: ModelConfig
    token_embeddings: np.ndarray  # (vocab_size, d_model), also the output layer
    output_norm: np.ndarray  # (d_model,)
    layers: tuple[LayerWeights, ...]
    metadata: dict  # tokenizer vocabulary, merges, token types, chat template, special ids
    # the same matrices transposed, (in, out), by id() of the (out, in) matrix (see the module's docstring)
    in_out: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def matrices(self) -> list[np.ndarray]:
        """Every weight matrix a decoding step multiplies by, in order (for the roofline)."""
        out = []
        for layer in self.layers:
            out += [layer.attn_qkv, layer.attn_output, layer.ffn_gate_up, layer.ffn_down]
        return out + [self.token_embeddings]


def read_gguf_metadata(reader) -> tuple[ModelConfig, dict]:
    """The model config and the tokenizer/chat metadata from an open ``gguf.GGUFReader``."""
    fields = reader.fields

    def value(key, default=None):
        return fields[key].contents() if key in fields else default

    arch = value("general.architecture")
    if arch != "llama":
        raise ValueError(f"only the llama architecture is supported, not {arch!r}")
    config = ModelConfig(
        n_layers=int(value("llama.block_count")),
        d_model=int(value("llama.embedding_length")),
        n_heads=int(value("llama.attention.head_count")),
        n_kv_heads=int(value("llama.attention.head_count_kv")),
        d_ff=int(value("llama.feed_forward_length")),
        vocab_size=len(fields["tokenizer.ggml.tokens"].data),
        context_length=int(value("llama.context_length")),
        rope_base=float(value("llama.rope.freq_base", 10000.0)),
        rms_eps=float(value("llama.attention.layer_norm_rms_epsilon")),
    )
    metadata = {
        "name": value("general.basename", "model"),
        "tokens": list(value("tokenizer.ggml.tokens")),
        "token_types": [int(t) for t in value("tokenizer.ggml.token_type")],
        "merges": list(value("tokenizer.ggml.merges")),
        "pre_tokenizer": value("tokenizer.ggml.pre", "default"),
        "chat_template": value("tokenizer.chat_template"),
        "bos_token_id": int(value("tokenizer.ggml.bos_token_id", 0)),
        "eos_token_id": int(value("tokenizer.ggml.eos_token_id", 0)),
    }
    return config, metadata


def _is_matrix(name: str) -> bool:
    """Whether the cache tensor ``name`` is a weight matrix a decoding step multiplies by."""
    return name == "token_embd.weight" or name.rsplit(".", 1)[-1] in _MATRICES


def _build_cache(gguf_path: Path, data_path: Path, index_path: Path) -> None:
    """Dequantize every tensor of ``gguf_path`` into one float32 file, its matrices transposed into another, and a JSON index."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(str(gguf_path))
    config, metadata = read_gguf_metadata(reader)
    quantized = {tensor.name: tensor for tensor in reader.tensors}

    def dequantized(name: str) -> np.ndarray:
        tensor = quantized[name]
        return np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)

    def stacked(*names: str) -> np.ndarray:  # matrices read by one product: queries, keys and values side by side
        return np.concatenate([dequantized(name) for name in names])

    arrays: dict[str, Callable[[], np.ndarray]] = {
        "token_embd.weight": partial(dequantized, "token_embd.weight"),
        "output_norm.weight": partial(dequantized, "output_norm.weight"),
    }
    for i in range(config.n_layers):
        block = f"blk.{i}."
        for name in ("attn_norm", "attn_output", "ffn_norm", "ffn_down"):
            arrays[block + name] = partial(dequantized, block + name + ".weight")
        arrays[block + "attn_qkv"] = partial(
            stacked, *(block + part + ".weight" for part in ("attn_q", "attn_k", "attn_v"))
        )
        arrays[block + "ffn_gate_up"] = partial(stacked, *(block + part + ".weight" for part in ("ffn_gate", "ffn_up")))
    offsets, transposed = {}, {}
    tmp_data, tmp_transposed = data_path.with_suffix(".tmp"), _transposed_path(data_path).with_suffix(".tmpt")

    def append(out, array: np.ndarray) -> dict:
        out.write(b"\0" * ((-out.tell()) % _ALIGN))
        entry = {"offset": out.tell(), "shape": list(array.shape)}
        out.write(array.tobytes())
        return entry

    with open(tmp_data, "wb") as out, open(tmp_transposed, "wb") as out_t:
        for name, make in arrays.items():  # one tensor in memory at a time
            array = np.ascontiguousarray(make(), dtype=np.float32)
            offsets[name] = append(out, array)
            if _is_matrix(name):
                transposed[name] = append(out_t, np.ascontiguousarray(array.T))
    index = {
        "format": _CACHE_FORMAT,
        "source_size": gguf_path.stat().st_size,
        "config": asdict(config),
        "metadata": metadata,
        "tensors": offsets,
        "transposed": transposed,
    }
    tmp_index = index_path.with_suffix(".tmp")
    tmp_index.write_text(json.dumps(index))
    os.replace(tmp_data, data_path)  # data first: an index always points at complete data
    os.replace(tmp_transposed, _transposed_path(data_path))
    os.replace(tmp_index, index_path)


def _transposed_path(data_path: Path) -> Path:
    """The file of the transposed matrices, beside the float32 cache ``data_path``."""
    return data_path.with_suffix(".f32t")


def _cache_is_valid(gguf_path: Path, data_path: Path, index_path: Path) -> bool:
    if not (data_path.is_file() and _transposed_path(data_path).is_file() and index_path.is_file()):
        return False
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        return False
    return index.get("format") == _CACHE_FORMAT and index.get("source_size") == gguf_path.stat().st_size


def load_weights(gguf_path: str | os.PathLike) -> ModelWeights:
    """Load a GGUF model as float32 arrays, memory-mapped from a cache built on first use.

    The cache is written under a file lock, to temporary names renamed at the
    end, so two kernels starting together or a start cut half-way never leave
    a broken cache behind.
    """
    gguf_path = Path(gguf_path)
    data_path = gguf_path.with_suffix(".f32")
    index_path = gguf_path.with_suffix(".f32.json")
    if not _cache_is_valid(gguf_path, data_path, index_path):
        with FileLock(str(gguf_path.with_suffix(".f32.lock"))):
            if not _cache_is_valid(gguf_path, data_path, index_path):
                _build_cache(gguf_path, data_path, index_path)
    index = json.loads(index_path.read_text())
    with open(data_path, "rb") as handle:
        # a read-only shared mapping: pages are loaded on demand and shared between processes
        # MAP_POPULATE maps every page at once (they are usually in the OS cache already): one
        # system call instead of ~130,000 page faults during the first token
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        flat = np.frombuffer(mmap.mmap(handle.fileno(), 0, flags=flags, prot=mmap.PROT_READ), dtype=np.float32)
    with open(_transposed_path(data_path), "rb") as handle:
        # mapped, not read: used only in the engine's "in_out" modes (linear.py); the OS is asked to read
        # it ahead in the background, so that a first trial of those modes does not wait for the disk
        mapping = mmap.mmap(handle.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        if hasattr(mapping, "madvise") and hasattr(mmap, "MADV_WILLNEED"):
            mapping.madvise(mmap.MADV_WILLNEED)
        flat_transposed = np.frombuffer(mapping, dtype=np.float32)

    def tensor(name: str, entries=index["tensors"], data=flat) -> np.ndarray:
        entry = entries[name]
        start = entry["offset"] // 4
        size = int(np.prod(entry["shape"]))
        return data[start : start + size].reshape(entry["shape"])

    config = ModelConfig(**index["config"])
    named = {}
    layers = []
    for i in range(config.n_layers):
        parts = {part: tensor(f"blk.{i}.{part}") for part in LayerWeights.__dataclass_fields__}
        named.update({f"blk.{i}.{part}": array for part, array in parts.items()})
        layers.append(LayerWeights(**parts))
    named["token_embd.weight"] = tensor("token_embd.weight")
    in_out = {id(named[name]): tensor(name, index["transposed"], flat_transposed) for name in index["transposed"]}
    return ModelWeights(
        config=config,
        token_embeddings=named["token_embd.weight"],
        output_norm=tensor("output_norm.weight"),
        layers=tuple(layers),
        metadata=index["metadata"],
        in_out=in_out,
    )
