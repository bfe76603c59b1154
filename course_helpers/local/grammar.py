"""Constrained decoding: which tokens a reply's grammar allows next, for every constrained choice at once.

A :class:`~course_helpers.local.constraints.Constraint` says what a reply
must be (JSON valid against a schema, say) as a grammar. To keep a reply
inside it, before each token the engine asks the grammar which tokens may
come next, and the sampler's first step gives every other token a logit of
minus infinity: probability 0. After the token is drawn, the grammar consumes
it. When the grammar is complete (the JSON object is closed), the reply ends.

The work is llguidance's (the Rust library behind the structured outputs of
vLLM, SGLang and llama.cpp): an ``LLTokenizer`` knows the bytes of each of
the model's 49,152 tokens (built once per engine, from the tokenizer's own
JSON); an ``LLMatcher`` per choice follows one reply through the grammar.
The allowed tokens come as a bitmask, one bit per token, filled for all the
constrained choices of a step together, into one array, outside Python's
lock. One after the other, not on llguidance's thread pool
(``fill_next_token_bitmask_par``): a mask costs about 20 microseconds here,
and on two cores the pool's hand-over made 8 masks take 1.8 ms instead of
0.18 ms, and its threads then competed with the matrix products (measured).

>>> mask = np.array([[0b1010]], dtype=np.int32)  # tokens 1 and 3 allowed
>>> allowed_rows(mask, vocab_size=5)
array([[False,  True, False,  True, False]])

Used in: course_helpers/local/scheduler.py, course_helpers/local/engine.py
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from llguidance import LLMatcher

from .constraints import Constraint, GrammarError
from .lazy import Lazy

__all__ = ["GrammarError", "Grammars", "allowed_rows"]

CACHED_GRAMMARS = 64  # compiled grammars kept (a class repeating the lesson's schemas compiles each once)


def allowed_rows(bitmask: np.ndarray, vocab_size: int) -> np.ndarray:
    """llguidance's bitmask (bit ``i % 32`` of int32 number ``i // 32`` set: token ``i`` allowed) as booleans.

    Returns (rows, vocab_size) bool: True where a token is allowed.
    """
    bits = np.unpackbits(bitmask.view(np.uint8), axis=1, bitorder="little")  # little-endian int32s, bit by bit
    return bits[:, :vocab_size].astype(bool)


class Grammars:
    """The engine's grammar machinery: its LLTokenizer, the compiled grammars, and mask filling.

    ``tokenizer_json`` is the model's tokenizer as Hugging Face ``tokenizers``
    JSON; ``end_tokens`` are the ids that end a reply (allowed once the
    grammar is complete). The LLTokenizer is built on first use (about a
    second), by the first request that needs it, not by the engine's start.
    """

    def __init__(self, tokenizer_json: str, vocab_size: int, end_tokens: set[int]):
        self.vocab_size = vocab_size
        self._tokenizer = Lazy(lambda: _lltokenizer(tokenizer_json, vocab_size, end_tokens))
        self._compiled: OrderedDict[str, LLMatcher] = OrderedDict()  # grammar text -> a fresh LLMatcher to copy
        self._lock = threading.Lock()

    def matcher(self, constraint: Constraint) -> LLMatcher:
        """A new LLMatcher at the start of ``constraint``'s grammar; raises GrammarError if it cannot compile.

        The first request with a grammar compiles it (a few milliseconds for
        a lesson's schema); the next ones copy the compiled matcher.
        """
        import llguidance

        with self._lock:
            compiled = self._compiled.get(constraint.grammar)
            if compiled is not None:
                self._compiled.move_to_end(constraint.grammar)
        if compiled is None:
            compiled = llguidance.LLMatcher(self._tokenizer.get(), constraint.grammar, log_level=0)
            if compiled.is_error():
                raise GrammarError(f"Invalid grammar: {compiled.get_error()}", constraint.param)
            with self._lock:
                self._compiled[constraint.grammar] = compiled
                while len(self._compiled) > CACHED_GRAMMARS:
                    self._compiled.popitem(last=False)
        return compiled.deep_copy()

    def allowed(self, matchers: list[LLMatcher]) -> np.ndarray:
        """The tokens each matcher allows next: (len(matchers), vocab_size) bool, filled together."""
        from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask

        bitmask = allocate_token_bitmask(len(matchers), self.vocab_size)  # (matchers, vocab_size / 32) int32
        for row, matcher in enumerate(matchers):
            fill_next_token_bitmask(matcher, bitmask, row)
        return allowed_rows(bitmask, self.vocab_size)


def _lltokenizer(tokenizer_json: str, vocab_size: int, end_tokens: set[int]):
    import llguidance

    return llguidance.LLTokenizer(tokenizer_json, n_vocab=vocab_size, eos_token=sorted(end_tokens))
