"""The transformer forward pass (Llama architecture) in plain numpy, float32 throughout.

One token's journey through the model:

1. look up its embedding vector (``d_model`` numbers);
2. in each of the ``n_layers`` blocks, add the output of **attention** (the
   token looks back at earlier tokens) and then of the **feed-forward**
   network (it "thinks" about what it gathered), each after an RMSNorm;
3. normalize once more and multiply by the embedding matrix: one score
   (logit) per vocabulary token. The sampler turns logits into a choice.

Everything is float32. Beware: in numpy 2, ``float32_array * np.float64(x)``
is float64, and from there every matrix product would convert the weights and
run several times slower; scalars are therefore made ``np.float32`` first.

Several sequences can be processed in one call (a batch): their tokens are
stacked as rows, so each weight matrix is read from memory once for all of
them; only attention, which needs each sequence's own past, is done per
sequence.

>>> rms_norm(np.array([[3.0, 4.0]], np.float32), np.ones(2, np.float32), 0.0).round(3)
array([[0.849, 1.131]], dtype=float32)

Used in: course_helpers/local/engine.py
"""

from __future__ import annotations

import math

import numpy as np

from .gguf_weights import LayerWeights, ModelConfig, ModelWeights
from .linear import Linear

__all__ = [
    "KVCache",
    "Transformer",
    "rms_norm",
    "rope_rotations",
    "apply_rope",
    "softmax",
    "grouped_query_attention",
    "attention_block",
    "feed_forward_block",
    "silu",
]

f32 = np.float32


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """Scale each row to root-mean-square 1, then by a learned weight per feature.

    x: (rows, d_model) -> (rows, d_model)
    """
    if x.shape[0] == 1:  # one row (decoding one sequence): a dot product and a Python number, fewer numpy steps
        out = x * (1.0 / math.sqrt(float(x[0] @ x[0]) / x.shape[1] + eps))  # a Python float keeps float32
    else:
        mean_square = (x * x).sum(axis=-1, keepdims=True) * f32(1.0 / x.shape[-1])  # (rows, 1)
        out = x * (1.0 / np.sqrt(mean_square + f32(eps)))
    out *= weight
    return out


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(s) / sum(exp(s)) along ``axis``, shifted by the maximum so exp never overflows.

    >>> softmax(np.array([0.0, 0.0], np.float32))
    array([0.5, 0.5], dtype=float32)
    """
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def rope_rotations(head_dim: int, max_positions: int, base: float) -> np.ndarray:
    """The rotary position embedding's rotations: (max_positions, head_dim // 2) complex64.

    Pair i of a head is rotated by the angle position * base^(-2i / head_dim):
    fast-turning pairs tell nearby positions apart, slow ones far positions.
    A rotation by angle a is the complex number cos(a) + i sin(a).
    """
    frequencies = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # (head_dim/2,)
    angles = np.arange(max_positions, dtype=np.float64)[:, None] * frequencies[None, :]
    return np.exp(1j * angles).astype(np.complex64)


def apply_rope(x: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Rotate each adjacent pair (x[2i], x[2i+1]) of every head by its position's angle, in place.

    Seen as the complex number x[2i] + i x[2i+1], rotating a pair is one
    multiplication by cos(a) + i sin(a); numpy's complex64 view of a float32
    array is exactly those pairs. (GGUF stores the query and key weights so
    that the pairs are adjacent; Hugging Face's files pair i with i + head_dim/2.)
    x: (rows, heads, head_dim) float32; rotations: (rows, head_dim/2) -> x, rotated
    """
    pairs = x.view(np.complex64)  # (rows, heads, head_dim/2), shares x's memory
    pairs *= rotations[:, None, :]
    return x


class KVCache:
    """The keys and values one sequence has computed so far, for every layer.

    Attention at a new position needs the keys and values of all earlier
    positions; keeping them means each new token costs one pass, not a pass
    over the whole text again. Keys and values live side by side in one array
    (the model computes them side by side: one copy per layer writes both).
    Storage grows by doubling as the text grows.
    """

    def __init__(self, config: ModelConfig, capacity: int = 256):
        # (layers, 2: keys then values, kv_heads, capacity, head_dim)
        self.kv = np.zeros((config.n_layers, 2, config.n_kv_heads, capacity, config.head_dim), f32)
        self.length = 0  # positions filled
        self.max_length = config.context_length

    @property
    def keys(self) -> np.ndarray:
        """(layers, kv_heads, capacity, head_dim), a view."""
        return self.kv[:, 0]

    @property
    def values(self) -> np.ndarray:
        """(layers, kv_heads, capacity, head_dim), a view."""
        return self.kv[:, 1]

    def reserve(self, total: int) -> None:
        """Make room for ``total`` positions (doubling, up to the context length)."""
        capacity = self.kv.shape[3]
        if total <= capacity:
            return
        new_capacity = min(max(total, 2 * capacity), max(total, self.max_length))
        new = np.zeros(self.kv.shape[:3] + (new_capacity, self.kv.shape[4]), f32)
        new[:, :, :, : self.length] = self.kv[:, :, :, : self.length]
        self.kv = new

    def copy(self) -> KVCache:
        """An independent copy (for the n choices of one prompt)."""
        clone = object.__new__(KVCache)
        clone.kv = self.kv.copy()
        clone.length, clone.max_length = self.length, self.max_length
        return clone


def grouped_query_attention(
    queries: np.ndarray, keys: np.ndarray, values: np.ndarray, first_position: int
) -> np.ndarray:
    """Causal attention where each key/value head is shared by a group of query heads.

    queries: (T, n_heads, head_dim), the T new positions starting at ``first_position``
    keys, values: (n_kv_heads, first_position + T, head_dim), every position so far
    returns: (T, n_heads, head_dim)
    """
    T, n_heads, head_dim = queries.shape
    n_kv_heads, n_keys, _ = keys.shape
    group = n_heads // n_kv_heads
    grouped = queries.reshape(T, n_kv_heads, group, head_dim).transpose(1, 2, 0, 3)
    # grouped: (n_kv_heads, group, T, head_dim); each group of query heads meets its key head
    scores = grouped @ keys[:, None].swapaxes(-1, -2)  # (n_kv_heads, group, T, n_keys)
    scores *= 1.0 / math.sqrt(head_dim)  # a Python float keeps float32 (a numpy float64 would promote everything)
    if T > 1:  # a position may not look at later positions
        query_positions = first_position + np.arange(T)
        future = np.arange(n_keys)[None, :] > query_positions[:, None]  # (T, n_keys)
        scores[..., future] = -np.inf
    # softmax over the keys, in place: each query's attention weights sum to 1
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    mixed = scores @ values[:, None]  # (n_kv_heads, group, T, head_dim): weighted mix of the values
    return mixed.transpose(2, 0, 1, 3).reshape(T, n_heads, head_dim)


def attention_block(
    x: np.ndarray,
    layer: LayerWeights,
    layer_index: int,
    config: ModelConfig,
    rotations: np.ndarray,
    segments: list[tuple[int, int]],
    caches: list[KVCache],
    linear: Linear | None = None,
) -> np.ndarray:
    """The attention half of a block: what each new token gathers from the tokens before it.

    x: (rows, d_model), the new tokens of every sequence stacked; rows
    ``segments[s][0]:segments[s][1]`` belong to sequence s, whose past is ``caches[s]``.
    rotations: (rows, head_dim/2), each row's position for RoPE.
    linear(x, weight) computes x @ weight.T (see linear.py); None: a fresh one-thread Linear.
    Returns (rows, d_model), to be added to x.
    """
    linear = linear if linear is not None else Linear()  # never a shared default: a Linear serves one thread
    rows, hd = x.shape[0], config.head_dim
    n_q, n_kv = config.n_heads * hd, config.n_kv_heads * hd
    h = rms_norm(x, layer.attn_norm, config.rms_eps)
    qkv = linear(h, layer.attn_qkv)  # (rows, n_q + 2 * n_kv): queries, keys, values side by side
    # positions enter through queries and keys only: rotated in one call, their heads being side by side
    apply_rope(qkv[:, : n_q + n_kv].reshape(rows, config.n_heads + config.n_kv_heads, hd), rotations)
    queries = qkv[:, :n_q].reshape(rows, config.n_heads, hd)
    keys_values = qkv[:, n_q:].reshape(rows, 2, config.n_kv_heads, hd)  # as the cache keeps them
    mixed = np.empty((rows, config.n_heads, hd), np.float32)
    for (start, stop), cache in zip(segments, caches, strict=True):
        past = cache.length
        end = past + (stop - start)
        kv = cache.kv[layer_index]  # (2, n_kv_heads, capacity, head_dim)
        kv[:, :, past:end] = keys_values[start:stop].transpose(1, 2, 0, 3)  # keys and values in one copy
        mixed[start:stop] = grouped_query_attention(queries[start:stop], kv[0, :, :end], kv[1, :, :end], past)
    return linear(mixed.reshape(rows, n_q), layer.attn_output)


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), the smooth gate of SwiGLU.

    >>> silu(np.array([0.0, 10.0], np.float32)).round(3).tolist()
    [0.0, 10.0]
    """
    denominator = np.exp(-x)
    denominator += 1.0
    return np.divide(x, denominator, out=denominator)


def feed_forward_block(
    x: np.ndarray, layer: LayerWeights, config: ModelConfig, linear: Linear | None = None
) -> np.ndarray:
    """The feed-forward half of a block (SwiGLU): widen, gate, narrow again.

    x: (rows, d_model) -> (rows, d_model), to be added to x
    linear: as in ``attention_block``; None: a fresh one-thread Linear.
    """
    linear = linear if linear is not None else Linear()  # never a shared default: a Linear serves one thread
    h = rms_norm(x, layer.ffn_norm, config.rms_eps)
    gate_up = linear(h, layer.ffn_gate_up)  # (rows, 2 * d_ff)
    gate, up = gate_up[:, : config.d_ff], gate_up[:, config.d_ff :]
    gated = silu(gate)
    gated *= up
    return linear(gated, layer.ffn_down)  # (rows, d_model)


class Transformer:
    """The model: weights plus the forward pass over a batch of sequences."""

    def __init__(self, weights: ModelWeights, workers: int = 1):
        self.weights = weights
        self.linear = Linear(workers, weights.in_out)  # matrix products, split over ``workers`` threads
        self.config = weights.config
        self.rope = rope_rotations(self.config.head_dim, self.config.context_length, self.config.rope_base)

    def new_cache(self, capacity: int = 256) -> KVCache:
        """An empty KV cache for one sequence."""
        return KVCache(self.config, capacity)

    def forward(self, tokens: list[list[int]], caches: list[KVCache]) -> list[np.ndarray]:
        """Feed new tokens of several sequences; return each one's next-token logits and extend its cache.

        tokens[s]: the new token ids of sequence s (a prompt chunk, or the one last token)
        returns: per sequence, the logits of its last token (vocab_size,)
        """
        x, segments = self._blocks(tokens, caches)
        last_rows = x[[stop - 1 for _, stop in segments]]  # (sequences, d_model)
        logits = self.linear(last_rows, self.weights.token_embeddings)  # (sequences, vocab_size): tied output layer
        return list(logits)

    def forward_all_logits(self, tokens: list[list[int]], caches: list[KVCache]) -> list[np.ndarray]:
        """Like ``forward``, but the logits after every new token: per sequence (T, vocab_size).

        What a perplexity needs: how likely each token of a text was, given the ones before.
        """
        x, segments = self._blocks(tokens, caches)
        logits = self.linear(x, self.weights.token_embeddings)  # (rows, vocab_size)
        return [logits[start:stop] for start, stop in segments]

    def hidden_states(
        self, sequences: list[list[int]], up_to_layer: int | None = None, chunk: int | None = None
    ) -> np.ndarray:
        """Every layer's view of each token: (n_layers + 1, total tokens, d_model), sequences' rows stacked.

        Entry 0 is the token embeddings, entry i the input of block i, the last
        the normalized output of the final block. ``up_to_layer=L``: only
        entries 0 to L, without running the later blocks. ``chunk``: feed each
        sequence at most this many tokens per pass (bounds the attention
        scores' memory for a long text). Uses caches of its own, thrown away:
        no caller's cache is touched.
        """
        caches = [self.new_cache(capacity=len(ids)) for ids in sequences]
        longest = max(len(ids) for ids in sequences)
        step = min(chunk or longest, longest)
        per_sequence: list[list[np.ndarray]] = [[] for _ in sequences]  # each sequence's chunks of states
        for start in range(0, longest, step):
            live = [s for s, ids in enumerate(sequences) if start < len(ids)]
            pieces = [sequences[s][start : start + step] for s in live]
            states: list[np.ndarray] = []
            _, segments = self._blocks(pieces, [caches[s] for s in live], states, up_to_layer)
            stacked = np.stack(states)  # (entries, rows of this pass, d_model)
            if step == longest:
                return stacked  # one pass fed everything (the usual case): its rows are in order already
            for s, (first, stop) in zip(live, segments, strict=True):
                per_sequence[s].append(stacked[:, first:stop])
        return np.concatenate([piece for pieces in per_sequence for piece in pieces], axis=1)

    def _blocks(
        self,
        tokens: list[list[int]],
        caches: list[KVCache],
        states: list[np.ndarray] | None = None,
        up_to_layer: int | None = None,
    ) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """The block loop every job shares: embeddings, the blocks, the final norm; caches extended.

        Returns the normalized output (rows, d_model), the rows of all
        sequences stacked (stopped early: the input of block L), and each
        sequence's (start, stop) rows. ``states``:
        a list to append the input of every block and the final output to.
        ``up_to_layer=L``: stop before block L (its input is the last state
        appended); the caches then hold layers 0 to L - 1 only, so only
        ``hidden_states``, with its throw-away caches, asks for it.
        """
        config, weights = self.config, self.weights
        lengths = [len(t) for t in tokens]
        bounds = np.cumsum([0] + lengths)
        segments = [(int(bounds[i]), int(bounds[i + 1])) for i in range(len(tokens))]
        for cache, n in zip(caches, lengths, strict=True):
            if cache.length + n > config.context_length:
                raise ValueError("sequence longer than the model's context")
            cache.reserve(cache.length + n)
        token_ids = np.concatenate([np.asarray(t, dtype=np.int64) for t in tokens])
        positions = np.concatenate([np.arange(c.length, c.length + n) for c, n in zip(caches, lengths, strict=True)])
        rotations = self.rope[positions]  # (rows, head_dim/2)

        n_blocks = len(weights.layers) if up_to_layer is None else min(up_to_layer, len(weights.layers))
        x = weights.token_embeddings[token_ids]  # (rows, d_model)
        for index, layer in enumerate(weights.layers[:n_blocks]):
            if states is not None:
                states.append(x.copy())  # x itself is added to in place below
            x += attention_block(x, layer, index, config, rotations, segments, caches, self.linear)
            x += feed_forward_block(x, layer, config, self.linear)
        for cache, n in zip(caches, lengths, strict=True):
            cache.length += n
        if n_blocks < len(weights.layers):  # stopped early: x is the input of block up_to_layer
            if states is not None:
                states.append(x)
            return x, segments
        x = rms_norm(x, weights.output_norm, config.rms_eps)
        if states is not None:
            states.append(x)
        return x, segments
