"""What the probes read: the chat model's hidden states for a message, pooled to one vector.

Each message is shown to the model the way a chat user turn looks,

    <|im_start|>user\\n{message}<|im_end|>

so the model reads it in a familiar setting, and the first position (which
every transformer uses as an "attention sink" with huge activations) is
always the same token rather than the message's first word. After the model
has read the message, each layer holds one vector per token; a probe needs
one vector per message, so the token vectors are *pooled*:

* ``"mean"``: the average over the message's own tokens;
* ``"last"``: the vector at ``<|im_end|>``, the position where the model has
  seen the whole message.

Which layer and which pooling work best is decided by cross-validation
(``classifier.py`` records the choice).

>>> template_parts()
('<|im_start|>user\\n', '<|im_end|>')

Used in: notebooks/04_moderation.ipynb
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "POOLINGS",
    "pooled_states",
    "template_parts",
]

POOLINGS = ("mean", "last")
_PREFIX = "<|im_start|>user\n"
_SUFFIX = "<|im_end|>"
# Messages are run through the model together, about this many tokens per
# forward pass: big enough that the matrix products run efficiently, small
# enough to keep memory modest.
_BATCH_TOKENS = 512
# Longer messages are cut to their last tokens: a moderation score does not
# need the whole context window, and the cost of attention grows with length.
MAX_MESSAGE_TOKENS = 512


def template_parts() -> tuple[str, str]:
    """The text put before and after every message (a chat user turn)."""
    return _PREFIX, _SUFFIX


def _token_rows(engine: Any, text: str) -> tuple[list[int], int]:
    """Token ids of the wrapped message, and how many of them are the message itself."""
    prefix = engine.encode(_PREFIX)
    message = engine.encode(text, special=False)[-MAX_MESSAGE_TOKENS:] or engine.encode(" ")
    suffix = engine.encode(_SUFFIX)
    return prefix + message + suffix, len(message)


def _batches(lengths: list[int], budget: int) -> list[list[int]]:
    """Consecutive groups of indices whose lengths add up to about ``budget``.

    >>> _batches([300, 300, 100, 600], budget=512)
    [[0], [1, 2], [3]]
    """
    groups: list[list[int]] = [[]]
    total = 0
    for index, length in enumerate(lengths):
        if groups[-1] and total + length > budget:
            groups.append([])
            total = 0
        groups[-1].append(index)
        total += length
    return groups


def pooled_states(engine: Any, texts: list[str], layers: list[int]) -> dict[str, np.ndarray]:
    """Mean- and last-pooled hidden states of each message at the given layers.

    Returns ``{"mean": (n, len(layers), d_model), "last": (n, len(layers), d_model)}``
    in float32. Layer 0 is the token embeddings, layer i the input of block i,
    the last one the model's normalized output.
    """
    rows = [_token_rows(engine, text) for text in texts]
    d_model = engine.model.config.d_model
    pooled = {kind: np.zeros((len(texts), len(layers), d_model), np.float32) for kind in POOLINGS}
    n_prefix = len(engine.encode(_PREFIX))
    for group in _batches([len(ids) for ids, _ in rows], _BATCH_TOKENS):
        tokens = [rows[i][0] for i in group]
        # on the decoding thread, between its steps; the blocks past the last layer read are not run
        states = engine.batch_hidden_states(tokens, up_to_layer=max(layers))
        chosen = states[layers]  # (len(layers), rows, d_model)
        start = 0
        for i, ids in zip(group, tokens):
            n_message = rows[i][1]
            span = chosen[:, start : start + len(ids)]  # (len(layers), T, d_model)
            pooled["mean"][i] = span[:, n_prefix : n_prefix + n_message].mean(axis=1)
            pooled["last"][i] = span[:, -1]
            start += len(ids)
    return pooled
