"""The logprobs record of one position, as the API shows it: token strings, bytes, top alternatives.

The sampler computes the numbers (``sampler.py``: log-softmax of the
logits); this module only dresses them for display. Tokens are shown as
their text, or as ``bytes:\\x..`` when they are not valid UTF-8 on their own
(part of an emoji, say), with their raw ``bytes``; within one position the
top alternatives' strings are distinct.

>>> vocab = [b"A", b"B", b"\\xe2\\x80"]
>>> entry = logprob_entry(np.log(np.array([0.6, 0.3, 0.1], np.float32)), 2, 2, vocab.__getitem__)
>>> entry.token, [top.token for top in entry.top_logprobs]
('bytes:\\\\xe2\\\\x80', ['A', 'B'])

Used in: course_helpers/local/scheduler.py, notebooks/03_logprobs.ipynb (via the local server)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sampler import top_k_indices
from .tokenizer import display_token

__all__ = ["TopLogprob", "LogprobEntry", "logprob_entry"]

_SPARE = 8  # extra candidates looked at, for tokens that show the same string as a likelier one


@dataclass(frozen=True)
class TopLogprob:
    """One of the most likely tokens at a position."""

    token: str
    bytes: list[int]
    logprob: float


@dataclass(frozen=True)
class LogprobEntry:
    """The chosen token at one position, its log probability and the top alternatives."""

    token: str
    bytes: list[int]
    logprob: float
    top_logprobs: list[TopLogprob]


def logprob_entry(logprobs: np.ndarray, token: int, top_logprobs: int, token_bytes) -> LogprobEntry:
    """The logprobs record of one position: the chosen token and the ``top_logprobs`` most likely.

    ``token_bytes(id)`` gives a token's raw bytes. Two tokens showing the same
    string are listed once (the likelier), as OpenAI lists them.
    """

    def describe(token_id):
        raw = token_bytes(int(token_id))
        return display_token(raw), list(raw)

    text, raw = describe(token)
    alternatives, seen = [], set()
    if top_logprobs:
        for candidate in top_k_indices(logprobs, top_logprobs + _SPARE):
            shown, candidate_bytes = describe(candidate)
            if shown in seen:
                continue
            seen.add(shown)
            alternatives.append(TopLogprob(shown, candidate_bytes, float(logprobs[candidate])))
            if len(alternatives) == top_logprobs:
                break
    return LogprobEntry(text, raw, float(logprobs[token]), alternatives)
