"""The local chat engine: the model, its tokenizer and chat template, and batched generation.

This is the Python API the local HTTP server uses::

    engine = get_engine()                       # loads once per process
    prompt = engine.render_chat([{"role": "user", "content": "Hi!"}])
    generation = engine.generate(engine.encode(prompt), SamplingParams(temperature=0), n=1)
    for event in generation:                    # text deltas as they are decoded
        print(event.text, end="")

Where to look for what a lesson explains: the forward pass (attention,
feed-forward) is in ``transformer.py``, temperature, top_p, seed and logprobs
in ``sampler.py`` (their display in ``logprob_entries.py``), stop strings in ``text_stream.py``,
structured outputs (a grammar that masks tokens) in ``constraints.py`` and ``grammar.py``, and how many requests
share one pass over the weights in ``scheduler.py`` (the matrix products and
how two cores share them in ``linear.py`` and ``thread_tuner.py``; the GGUF
file and its float32 cache in ``gguf_weights.py``).

The number of cores sharing each product is ``COURSE_ENGINE_THREADS``
(default: 2 when the CPU has 2 cores or more); a tuner measures, for each
batch size, whether BLAS's threads, our own or a single core are fastest
right now (other programs keeping the CPU busy change the answer).

Used in: course_helpers/local/server (chat completions and moderation)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from . import store
from .chat_template import ChatTemplate
from .constraints import GrammarError
from .gguf_weights import load_weights
from .grammar import Grammars
from .lazy import Lazy
from .limits import ContextLengthExceeded
from .logprob_entries import LogprobEntry, TopLogprob
from .sampling_params import SamplingParams
from .scheduler import PREFILL_CHUNK, BatchScheduler, Event, Generation
from .tokenizer import Tokenizer
from .transformer import Transformer

__all__ = [
    "Engine",
    "get_engine",
    "SamplingParams",
    "LogprobEntry",
    "TopLogprob",
    "Event",
    "Generation",
    "ContextLengthExceeded",
    "GrammarError",
    "ENGINE_VERSION",
    "fingerprint_of",
]

ENGINE_VERSION = "2"  # part of the system fingerprint: bump when outputs may change (2: the race draw)
_END_OF_TURN_NAMES = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
THREADS_ENV = "COURSE_ENGINE_THREADS"  # threads sharing each matrix product (default: 2 if the CPU has 2)


def fingerprint_of(spec: store.ModelSpec) -> str:
    """The ``system_fingerprint`` of this engine's responses with ``spec``'s model (no model loaded).

    It changes with the model file and with ENGINE_VERSION, whenever the same request may give other text.

    >>> fingerprint_of(store.MODELS[store.CHAT_MODEL]).startswith("fp_")
    True
    """
    digest = hashlib.sha256(f"{spec.wheel_sha256}:{ENGINE_VERSION}".encode())
    return "fp_" + digest.hexdigest()[:10]


class Engine:
    """A loaded chat model with its tokenizer, chat template and decoding thread."""

    def __init__(self, model_folder: str | os.PathLike | None = None, *, threads: int | None = None):
        spec = store.MODELS[store.CHAT_MODEL]
        folder = Path(model_folder) if model_folder is not None else store.model_path(spec.name)
        gguf_file = folder / spec.main_file if folder.is_dir() else folder
        self.weights = load_weights(gguf_file)
        if threads is None:
            threads = int(os.environ.get(THREADS_ENV, "0")) or min(2, os.cpu_count() or 1)
        self.threads = threads
        self.model = Transformer(self.weights, workers=threads)
        self.tokenizer = Tokenizer.from_metadata(self.weights.metadata)
        self.template = ChatTemplate(self.weights.metadata["chat_template"])
        self.model_name = spec.title
        self.context_length = self.weights.config.context_length
        self.vocab_size = self.tokenizer.vocab_size
        self.fingerprint = fingerprint_of(spec)
        tokens = self.weights.metadata["tokens"]
        self.end_tokens = {tokens.index(name) for name in _END_OF_TURN_NAMES if name in tokens}
        self.end_tokens.add(self.weights.metadata["eos_token_id"])
        self.grammars = Grammars(self.tokenizer.to_json(), self.tokenizer.vocab_size, self.end_tokens)
        self._scheduler = BatchScheduler(self.model, self.token_bytes, self.end_tokens, grammars=self.grammars)

    # ---- text <-> tokens -------------------------------------------------------------

    def render_chat(self, messages: list[dict]) -> str:
        """The prompt text for a list of chat messages, ending where the assistant's reply begins."""
        return self.template.render(messages, add_generation_prompt=True)

    def encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids of ``text``; ``special``: whether special tokens such as ``<|im_start|>`` are recognised."""
        return self.tokenizer.encode(text, special=special)

    def encode_chat(self, messages: list[dict], add_generation_prompt: bool = True) -> list[int]:
        """Token ids of the prompt for ``messages``: the template's markup, and each content as plain text.

        The same ids as ``encode(render_chat(messages))``, except that a
        message containing ``<|im_end|>`` or another special token gets it as
        plain text, as OpenAI does: a user cannot end their own turn and write
        the assistant's. ``add_generation_prompt``: end where the assistant's reply begins.
        """
        pieces = self.template.render_pieces(messages, add_generation_prompt=add_generation_prompt)
        return self.tokenizer.encode_pieces(pieces)

    def decode(self, ids) -> str:
        """Text of a list of token ids."""
        return self.tokenizer.decode(ids)

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes of one token (may be an incomplete UTF-8 sequence)."""
        return self.tokenizer.token_bytes(int(token_id))

    # ---- generation ------------------------------------------------------------------

    def generate(self, prompt_ids: list[int], params: SamplingParams, n: int = 1) -> Generation:
        """Start decoding ``n`` choices for a prompt; returns at once with an iterator of events.

        Raises ContextLengthExceeded when the prompt leaves no room for a reply,
        GrammarError when ``params.constraint``'s grammar cannot be compiled
        (compiling happens here, in the caller's thread, not the decoder's).
        """
        if len(prompt_ids) + 1 > self.context_length:
            raise ContextLengthExceeded(len(prompt_ids), self.context_length)
        if not prompt_ids:
            raise ValueError("the prompt is empty")
        matcher = self.grammars.matcher(params.constraint) if params.constraint is not None else None
        generation = Generation(prompt_ids, params, n, matcher)
        self._scheduler.submit(generation)
        return generation

    def hidden_states(self, token_ids: list[int]) -> np.ndarray:
        """Every layer's view of each token: (n_layers + 1, T, d_model) float32.

        Entry 0 is the token embeddings, entry i the input of block i, the last
        the normalized output of the final block (the moderation probe reads these).
        """
        if not 0 < len(token_ids) <= self.context_length:
            raise ContextLengthExceeded(len(token_ids), self.context_length)
        token_ids = list(token_ids)
        return self._scheduler.call(lambda: self.model.hidden_states([token_ids], chunk=PREFILL_CHUNK))

    def batch_hidden_states(self, sequences: list[list[int]], up_to_layer: int | None = None) -> np.ndarray:
        """``hidden_states`` of several short sequences in one pass, their rows stacked.

        Returns (n_layers + 1, total tokens, d_model) float32, or only entries 0
        to ``up_to_layer`` (the later blocks are then not run). Each sequence is
        fed whole, so keep them short (the moderation probe caps a message at
        512 tokens). Like every use of the model, this runs on the decoding
        thread between two steps: the model must never be called from two
        threads at once.
        """
        sequences = [list(ids) for ids in sequences]
        for ids in sequences:
            if not 0 < len(ids) <= self.context_length:
                raise ContextLengthExceeded(len(ids), self.context_length)
        return self._scheduler.call(lambda: self.model.hidden_states(sequences, up_to_layer))


_engine: Lazy[Engine] = Lazy(Engine)


def get_engine() -> Engine:
    """The process-wide engine, loaded on first use (fetching the model if it is missing)."""
    return _engine.get()
