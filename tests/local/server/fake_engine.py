"""A stand-in for the numpy engine with the interface the server needs (``ChatEngine``), for protocol tests.

The server's own job (checking requests, shaping JSON and SSE, cancelling on
disconnect, admission) does not depend on what the model says, and the real
model makes every test slow on two cores. This engine answers by echoing the
last message word by word, so tests can predict the exact text, token count,
logprobs and finish reason. Tests of the real model live in test_chat_real.py.
The server gets it through its seam: ``start_in_thread(engine=FakeEngine())``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from course_helpers.local.limits import ContextLengthExceeded
from course_helpers.local.sampling_params import SamplingParams


@dataclass
class TopLogprob:
    token: str
    bytes: bytes | None
    logprob: float


@dataclass
class LogprobEntry:
    token: str
    bytes: bytes | None
    logprob: float
    top_logprobs: list[TopLogprob]


@dataclass
class Event:
    index: int
    text: str
    logprob: LogprobEntry | None
    finish_reason: str | None


class FakeGeneration:
    """Echoes the prompt's words; n choices interleaved; cancellable."""

    def __init__(self, engine: FakeEngine, prompt_ids: list[int], params: SamplingParams, n: int) -> None:
        self.engine = engine
        self.prompt_ids = list(prompt_ids)
        self.words = engine.reply_words(prompt_ids)
        self.params = params
        self.n = n
        self.prompt_tokens = len(prompt_ids)
        self.completion_tokens = 0
        self.cancelled = threading.Event()
        self.finished = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def _entry(self, word: str) -> LogprobEntry:
        tops = [TopLogprob(word, word.encode(), -0.25), TopLogprob("bytes:\\xe2\\x80", b"\xe2\x80", float("-inf"))]
        return LogprobEntry(word, word.encode(), -0.25, tops[: self.params.top_logprobs])

    def __iter__(self):
        limit = self.params.max_tokens or len(self.words)
        steps = min(limit, len(self.words))
        finish = "length" if limit < len(self.words) else "stop"
        try:
            if self.engine.gate is not None:  # tests hold a generation open until they release it
                self.engine.gate.wait(30)
            for step in range(steps):
                if self.cancelled.is_set():
                    return
                if step == self.engine.fail_at_step:
                    raise self.engine.failure or RuntimeError("the stand-in engine broke on purpose")
                time.sleep(self.engine.delay)
                for index in range(self.n):
                    word = self.words[step]
                    entry = self._entry(word) if self.params.logprobs else None
                    last = step == steps - 1
                    yield Event(index, word, entry, finish if last else None)
                self.completion_tokens += 1
            if steps == 0:
                for index in range(self.n):
                    yield Event(index, "", None, finish)
        finally:
            self.finished.set()


class FakeEngine:
    model_name = "SmolLM2-135M-Instruct"
    fingerprint = "fp_fake0001"
    context_length = 64
    vocab_size = 49152  # as the real model's: logit_bias ids are checked against it

    def __init__(self, delay: float = 0.0) -> None:
        self.reset(delay)

    def reset(self, delay: float = 0.0) -> None:
        """Back to a fresh engine's settings and history (a server keeps one engine for all its tests)."""
        self.delay = delay
        self.context_length = FakeEngine.context_length  # a test may lend a long reply more room
        self.gate: threading.Event | None = None
        self.fail_at_step: int | None = None  # raise inside generation at this step (tests of failures)
        self.failure: Exception | None = None  # what it raises then (None: a RuntimeError)
        self.generations: list[FakeGeneration] = []
        self.vocabulary: list[str] = ["<role>"]
        self.script: str | None = None  # a reply to give instead of the echo (a tool call block, say)

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        return " ".join(f"<role> {m['content']}" for m in messages)

    def encode_chat(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> list[int]:
        """The stand-in's prompts have no generation marker: ``add_generation_prompt`` changes nothing."""
        return self.encode(self.render_chat(messages))

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.vocabulary[i] for i in ids)

    def encode(self, text: str, special: bool = True) -> list[int]:
        ids = []
        for word in text.split():
            if word not in self.vocabulary:
                self.vocabulary.append(word)
            ids.append(self.vocabulary.index(word))
        return ids

    def prompt_text(self, generation: FakeGeneration | None = None) -> str:
        """What a generation (the last, by default) was asked: its prompt as rendered, "<role> words <role> ..."."""
        generation = generation or self.generations[-1]
        return " ".join(self.vocabulary[i] for i in generation.prompt_ids)

    def reply_words(self, prompt_ids: list[int]) -> list[str]:
        """The words of the last message: what follows the last role marker (id 0).

        With a ``script``, its text in pieces of 5 characters instead (newlines kept).
        """
        if self.script is not None:
            return [self.script[start : start + 5] for start in range(0, len(self.script), 5)]
        last_marker = len(prompt_ids) - 1 - prompt_ids[::-1].index(0)
        return [self.vocabulary[i] + " " for i in prompt_ids[last_marker + 1 :]]

    def generate(self, prompt_ids: list[int], params: SamplingParams, n: int = 1) -> FakeGeneration:
        if len(prompt_ids) > self.context_length:
            raise ContextLengthExceeded(len(prompt_ids), self.context_length)
        generation = FakeGeneration(self, prompt_ids, params, n)
        self.generations.append(generation)
        return generation
