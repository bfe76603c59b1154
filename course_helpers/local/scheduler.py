"""The batch scheduler: one thread decodes every running reply together.

Reading the weights from memory is what a decoding step costs, and reading
them once for eight sequences costs little more than for one. So instead of
one thread per request, a single scheduler thread keeps a list of active
choices (every choice of every request); at each step it feeds each one's
last token through the model in one batch, then lets each choice sample its
next token with its own sampler and random generator. A new request is
prefilled (its prompt fed in chunks) between steps and then joins the batch.

Each request gets a ``Generation``: a blocking, thread-safe iterator of
``Event`` objects (text deltas, logprobs, finish reasons) that the server
turns into a response or a stream.

Used in: course_helpers/local/engine.py
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .sampler import ChoiceSampler, LogprobEntry, SamplingParams, log_softmax, logprob_entry
from .text_stream import ReplyText
from .transformer import KVCache, Transformer

__all__ = ["Event", "Generation", "BatchScheduler"]

_END = object()  # queue marker: every choice has finished
PREFILL_CHUNK = 256  # prompt tokens fed per forward pass (bounds the attention scores' memory)


@dataclass(frozen=True)
class Event:
    """One step of one choice: new text, the token's logprobs, and the finish reason on its last event."""

    index: int
    text: str
    logprob: LogprobEntry | None
    finish_reason: str | None


class Generation:
    """The running reply to one request: iterate it for its events (blocking, thread-safe).

    After iteration ends, ``prompt_tokens`` and ``completion_tokens`` (summed
    over the choices) are final. ``cancel()`` frees its batch slots.
    """

    def __init__(self, prompt_ids: list[int], params: SamplingParams, n: int):
        self.prompt_ids = list(prompt_ids)
        self.params = params
        self.n = n
        self.prompt_tokens = len(self.prompt_ids)
        self.completion_tokens = 0
        self._events: queue.Queue = queue.Queue()
        self._unfinished = n
        self.cancelled = False

    def __iter__(self):
        return self

    def __next__(self) -> Event:
        item = self._events.get()
        if item is _END:
            self._events.put(_END)  # other threads iterating the same generation stop too
            raise StopIteration
        if isinstance(item, BaseException):
            self._events.put(_END)
            raise item
        return item

    def cancel(self) -> None:
        """Stop decoding this request (the client went away); iteration ends."""
        self.cancelled = True
        self._events.put(_END)

    # called by the scheduler thread only
    def _emit(self, event: Event) -> None:
        self._events.put(event)
        if event.finish_reason is not None:
            self._unfinished -= 1
            if self._unfinished == 0:
                self._events.put(_END)

    def _fail(self, error: BaseException) -> None:
        self._events.put(error)


class _Choice:
    """Decoding state of one choice: its KV cache, sampler, text and counters."""

    def __init__(self, generation: Generation, index: int, cache: KVCache, max_new_tokens: int):
        params = generation.params
        self.generation = generation
        self.index = index
        self.cache = cache
        seed = None if params.seed is None else (params.seed, index)
        self.sampler = ChoiceSampler(params, seed)
        self.text = ReplyText(params.stop)
        self.max_new_tokens = max_new_tokens
        self.generated = 0
        self.last_token = -1
        self.done = False


class BatchScheduler:
    """Owns the decoding thread; ``submit`` hands it a Generation to work on."""

    def __init__(self, model: Transformer, token_bytes, end_tokens: set[int], blas_limit=None,
                 max_batch: int = 32):
        self.model = model
        self.token_bytes = token_bytes  # token id -> raw bytes
        self.end_tokens = end_tokens  # ids that end the assistant's turn
        self.blas_limit = blas_limit  # a callable returning a context manager around busy periods
        self.max_batch = max_batch
        self._pending: list[Generation] = []
        self._jobs: list[tuple[Future, object]] = []  # other work on the model (hidden states)
        self._active: list[_Choice] = []
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="course-engine-decoder", daemon=True)
        self._thread.start()

    def submit(self, generation: Generation) -> None:
        """Queue a request; the decoding thread prefills it before its next step."""
        with self._wake:
            self._pending.append(generation)
            self._wake.notify()

    def call(self, function):
        """Run ``function()`` on the decoding thread between two steps; return its result.

        The model then runs on one thread with one BLAS setting, and a
        moderation request does not compete with decoding for the CPU.
        """
        future: Future = Future()
        with self._wake:
            self._jobs.append((future, function))
            self._wake.notify()
        return future.result()

    # ---- the decoding thread -------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._active and not self._jobs:
                    self._wake.wait()
            if self.blas_limit is None:
                self._busy_period()
            else:
                with self.blas_limit():
                    self._busy_period()

    def _busy_period(self) -> None:
        """Admit and decode until there is nothing left to do."""
        while True:
            with self._wake:
                room = max(self.max_batch - len(self._active), 1)
                admitted, self._pending = self._pending[:room], self._pending[room:]
                jobs, self._jobs = self._jobs, []
            for future, function in jobs:
                try:
                    future.set_result(function())
                except Exception as error:  # handed to the caller, raised there
                    future.set_exception(error)
            for generation in admitted:
                self._admit(generation)
            self._active = [c for c in self._active if not c.done and not c.generation.cancelled]
            if self._active:
                self._step()
            elif not admitted and not jobs:
                with self._wake:
                    if not self._pending and not self._jobs:
                        return

    def _admit(self, generation: Generation) -> None:
        """Prefill the prompt once, then start its n choices (each with its own cache copy)."""
        if generation.cancelled:
            return
        try:
            config = self.model.config
            prompt = generation.prompt_ids
            room = config.context_length - len(prompt)
            wanted = generation.params.max_tokens
            max_new = room if wanted is None else min(wanted, room)
            cache = self.model.new_cache(capacity=len(prompt) + min(max_new, 256) + 1)
            for start in range(0, len(prompt), PREFILL_CHUNK):
                logits = self.model.forward([prompt[start:start + PREFILL_CHUNK]], [cache])[0]
            for index in range(generation.n):
                own_cache = cache if index == generation.n - 1 else cache.copy()
                choice = _Choice(generation, index, own_cache, max_new)
                self._advance(choice, logits)
                if not choice.done:
                    self._active.append(choice)
        except Exception as error:  # report to the request; the scheduler keeps serving others
            generation._fail(error)

    def _step(self) -> None:
        """One decoding step: every active choice's last token through the model, in one batch."""
        batch = self._active
        try:
            logits = self.model.forward([[c.last_token] for c in batch], [c.cache for c in batch])
        except Exception as error:
            for generation in {id(c.generation): c.generation for c in batch}.values():
                generation._fail(error)
            for c in batch:
                c.done = True
            return
        for choice, row in zip(batch, logits):
            self._advance(choice, row)

    def _advance(self, choice: _Choice, logits: np.ndarray) -> None:
        """Sample the choice's next token from ``logits`` and emit its event."""
        generation, params = choice.generation, choice.generation.params
        adjusted = choice.sampler.adjusted_logits(logits)
        token = choice.sampler.choose_from_adjusted(adjusted)
        if token in self.end_tokens:  # end of turn: not part of the reply
            choice.done = True
            generation._emit(Event(choice.index, choice.text.finish(), None, "stop"))
            return
        choice.generated += 1
        generation.completion_tokens += 1
        entry = None
        if params.logprobs:
            entry = logprob_entry(log_softmax(adjusted), token, params.top_logprobs, self.token_bytes)
        delta, stopped = choice.text.feed(self.token_bytes(token))
        finish = None
        if stopped:
            finish = "stop"
        elif choice.generated >= choice.max_new_tokens:
            finish = "length"
            delta += choice.text.finish()
        choice.last_token = token
        choice.done = finish is not None
        generation._emit(Event(choice.index, delta, entry, finish))
