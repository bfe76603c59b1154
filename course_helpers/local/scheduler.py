"""The batch scheduler: one thread decodes every running reply together.

Reading the weights from memory is what a decoding step costs, and reading
them once for eight sequences costs little more than for one. So instead of
one thread per request, a single scheduler thread keeps a list of active
choices (every choice of every request); at each step it feeds each one's
last token through the model in one batch, then lets each choice sample its
next token with its own sampler and random generator. A new request is
prefilled (its prompt fed in chunks) between steps and then joins the batch.
A choice under a grammar (structured outputs) has a matcher too: at each step
the tokens every such choice may take next are found together
(``grammar.py``), its sampler masks the rest, and the matcher consumes the
token drawn; the reply ends when its grammar is complete.

Each request gets a ``Generation``: a blocking, thread-safe iterator of
``Event`` objects (text deltas, logprobs, finish reasons) that the server
turns into a response or a stream.

One failure costs one request: every step done for one request (admitting
it, feeding its prompt, its grammar, sampling, text, logprobs) is guarded, so an error
there is raised from that request's iteration, its choices leave the batch,
and the others keep streaming. An error anywhere else is logged, the
requests in flight get it, and the thread goes on serving.

Used in: course_helpers/local/engine.py
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .constraints import GrammarError
from .grammar import Grammars
from .logprob_entries import LogprobEntry, logprob_entry
from .sampler import ChoiceSampler, SamplingParams
from .text_stream import ReplyText
from .thread_tuner import ThreadTuner
from .transformer import KVCache, Transformer

__all__ = ["MAX_BATCH", "Event", "Generation", "BatchScheduler"]

_log = logging.getLogger(__name__)
_END = object()  # queue marker: every choice has finished
MAX_BATCH = 32  # choices decoded together; more requests wait in the scheduler's queue
PREFILL_CHUNK = 256  # prompt tokens fed per forward pass (bounds the attention scores' memory)
PROMPT_MODE = "blas"  # big products (prompts, hidden states): BLAS's own threads were fastest (0.75 s
# for 256 tokens against 0.95 s split and 1.05 s on one core), and spinning costs little beside them


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
    over the choices) are final. ``cancel()`` frees its batch slots. If
    decoding it fails, iteration raises that error once, then ends.
    ``matcher``: an llguidance matcher at the start of the reply's grammar
    (``params.constraint`` compiled), each choice following its own copy.
    """

    def __init__(self, prompt_ids: list[int], params: SamplingParams, n: int, matcher=None):
        self.prompt_ids = list(prompt_ids)
        self.params = params
        self.n = n
        self.matcher = matcher
        self.prompt_tokens = len(self.prompt_ids)
        self.completion_tokens = 0
        self._events: queue.Queue = queue.Queue()
        self._unfinished = n
        self.cancelled = False
        self.failed = False

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

    @property
    def _dropped(self) -> bool:
        """Whether its choices should leave the batch (cancelled by the client, or failed)."""
        return self.cancelled or self.failed

    # called by the scheduler thread only
    def _emit(self, event: Event) -> None:
        if self.failed:  # its error is already queued: nothing may follow it
            return
        self._events.put(event)
        if event.finish_reason is not None:
            self._unfinished -= 1
            if self._unfinished == 0:
                self._events.put(_END)

    def _fail(self, error: BaseException) -> None:
        if self.failed:  # a second choice failing: the caller hears of the first error only
            return
        self.failed = True
        self._events.put(error)


class _Choice:
    """Decoding state of one choice: its KV cache, sampler, grammar matcher (or None), text and counters."""

    def __init__(self, generation: Generation, index: int, cache: KVCache, max_new_tokens: int, matcher=None):
        params = generation.params
        self.generation = generation
        self.index = index
        self.cache = cache
        self.matcher = matcher
        seed = None if params.seed is None else (params.seed, index)
        self.sampler = ChoiceSampler(params, seed)
        self.text = ReplyText(params.stop)
        self.max_new_tokens = max_new_tokens
        self.generated = 0
        self.last_token = -1
        self.done = False


class _Prefill:
    """A request whose prompt is being fed into its KV cache, a chunk per step."""

    def __init__(self, generation: Generation, model: Transformer):
        prompt = generation.prompt_ids
        room = model.config.context_length - len(prompt)
        wanted = generation.params.max_tokens
        self.generation = generation
        self.max_new_tokens = room if wanted is None else min(wanted, room)
        self.cache = model.new_cache(capacity=len(prompt) + min(self.max_new_tokens, 256) + 1)
        self.fed = 0  # prompt tokens already in the cache

    def next_chunk(self, limit: int) -> list[int]:
        """The next at most ``limit`` prompt tokens to feed."""
        return self.generation.prompt_ids[self.fed : self.fed + limit]


class BatchScheduler:
    """Owns the decoding thread; ``submit`` hands it a Generation to work on."""

    def __init__(
        self,
        model: Transformer,
        token_bytes,
        end_tokens: set[int],
        max_batch: int = MAX_BATCH,
        grammars: Grammars | None = None,
    ):
        self.model = model
        self.token_bytes = token_bytes  # token id -> raw bytes
        self.end_tokens = end_tokens  # ids that end the assistant's turn
        self.grammars = grammars  # fills the grammar masks (None: requests with a constraint fail)
        self.max_batch = max_batch
        self._pending: list[Generation] = []
        self._jobs: list[tuple[Future, object]] = []  # other work on the model (hidden states)
        self._active: list[_Choice] = []
        self._prefilling: list[_Prefill] = []  # admitted requests whose prompt is being fed
        self.tuner = ThreadTuner(model.linear.modes())  # how the cores share the products, per batch size
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
                while not self._pending and not self._active and not self._prefilling and not self._jobs:
                    self._wake.wait()
            try:
                self._busy_period()
            except Exception as error:  # a bug outside any one request's steps: log it, keep serving
                _log.exception("the local engine's decoding thread hit an unexpected error")
                self._fail_in_flight(error)

    def _fail_in_flight(self, error: Exception) -> None:
        """Give ``error`` to every request being prefilled or decoded, and empty the batch.

        After an error outside the per-request steps, their state is unknown;
        requests still waiting for admission were not touched and go on.
        """
        involved = [c.generation for c in self._active] + [p.generation for p in self._prefilling]
        for generation in {id(g): g for g in involved}.values():
            generation._fail(error)
        self._active, self._prefilling = [], []

    def _busy_period(self) -> None:
        """Admit, prefill and decode until there is nothing left to do."""
        while True:
            with self._wake:
                room = max(self.max_batch - len(self._active) - len(self._prefilling), 0)
                admitted, self._pending = self._pending[:room], self._pending[room:]
                jobs, self._jobs = self._jobs, []
            for future, function in jobs:
                self._run_job(future, function)
            for generation in admitted:
                if not generation.cancelled:
                    self._admit(generation)
            # finished, cancelled and failed requests leave the batch: their slots are free again
            self._active = [c for c in self._active if not c.done and not c.generation._dropped]
            self._prefilling = [p for p in self._prefilling if not p.generation._dropped]
            if self._active or self._prefilling:
                self._step()
            elif not jobs:
                with self._wake:
                    if not self._pending and not self._jobs:
                        return

    def _run_job(self, future: Future, function) -> None:
        """Run one ``call()`` job; its result or its error goes to the caller waiting on ``future``."""
        try:
            with self.model.linear.using(PROMPT_MODE):
                result = function()
        except Exception as error:  # handed to the caller, raised there
            future.set_exception(error)
        else:
            future.set_result(result)

    def _admit(self, generation: Generation) -> None:
        """Start feeding a request's prompt (its KV cache is allocated now)."""
        try:
            self._prefilling.append(_Prefill(generation, self.model))
        except Exception as error:  # this request fails alone
            generation._fail(error)

    def _step(self) -> None:
        """One pass over the weights: each active choice's last token, plus the next prompt chunks.

        Prompts are fed at most PREFILL_CHUNK tokens per step, so a long prompt
        arriving does not freeze the replies already streaming.
        """
        decoding = list(self._active)
        feeding = self._next_chunks()
        if not decoding and not feeding:  # the only prompts waiting failed: nothing to feed
            return
        tokens = [[c.last_token] for c in decoding] + [chunk for _, chunk in feeding]
        caches = [c.cache for c in decoding] + [p.cache for p, _ in feeding]
        mode = PROMPT_MODE if feeding else self.tuner.mode(len(decoding))
        try:
            started = time.perf_counter()
            with self.model.linear.using(mode):
                logits = self.model.forward(tokens, caches)
            if not feeding:  # decoding-only steps of one batch size are comparable
                self.tuner.record(len(decoding), time.perf_counter() - started)
        except Exception as error:  # report to the requests involved; keep serving the others
            involved = [c.generation for c in decoding] + [p.generation for p, _ in feeding]
            for generation in {id(g): g for g in involved}.values():
                generation._fail(error)
            return  # the failed requests leave the batch at the next step
        masks = self._grammar_masks(decoding)
        for choice, row, allowed in zip(decoding, logits[: len(decoding)], masks, strict=True):
            self._guarded(choice.generation, self._advance, choice, row, allowed)
        for (prefill, chunk), row in zip(feeding, logits[len(decoding) :], strict=True):
            prefill.fed += len(chunk)
            if prefill.fed == len(prefill.generation.prompt_ids):
                self._prefilling.remove(prefill)
                self._guarded(prefill.generation, self._start_choices, prefill, row)

    def _next_chunks(self) -> list[tuple[_Prefill, list[int]]]:
        """The prompt chunks to feed in this step, PREFILL_CHUNK tokens at most in all."""
        feeding, budget = [], PREFILL_CHUNK
        for prefill in self._prefilling:
            if budget <= 0:
                break
            chunk = self._guarded(prefill.generation, prefill.next_chunk, budget)
            if chunk:  # None: that request failed and leaves the batch
                feeding.append((prefill, chunk))
                budget -= len(chunk)
        return feeding

    @staticmethod
    def _guarded(generation: Generation, step, *args):
        """``step(*args)``, done for one request: an error fails that request only (then None)."""
        if generation._dropped:  # an earlier step of the same request failed (another of its choices)
            return None
        try:
            return step(*args)
        except Exception as error:  # raised from that request's iteration; the others go on
            generation._fail(error)
            return None

    def _grammar_masks(self, choices: list[_Choice]) -> list[np.ndarray | None]:
        """The tokens each choice's grammar allows next (None for a choice without one), filled together.

        If filling them together fails, each is filled alone, so that only the request at fault fails.
        """
        constrained = [c for c in choices if c.matcher is not None and not c.generation._dropped]
        masks: dict[int, np.ndarray | None] = {}
        if constrained:
            try:
                assert self.grammars is not None, "a constrained choice needs the engine's grammars"
                masks = dict(zip(map(id, constrained), self.grammars.allowed([c.matcher for c in constrained])))
            except Exception:  # each request's own error is raised by its guarded fill below
                for choice in constrained:
                    masks[id(choice)] = self._guarded(choice.generation, self._one_mask, choice)
        return [masks.get(id(c)) for c in choices]

    def _one_mask(self, choice: _Choice) -> np.ndarray:
        assert self.grammars is not None, "a constrained choice needs the engine's grammars"
        return self.grammars.allowed([choice.matcher])[0]

    def _start_choices(self, prefill: _Prefill, logits: np.ndarray) -> None:
        """The prompt is in the cache: start its n choices (each with its own copy of the cache and grammar)."""
        generation = prefill.generation
        choices = []
        for index in range(generation.n):
            last = index == generation.n - 1
            own_cache = prefill.cache if last else prefill.cache.copy()
            matcher = generation.matcher
            if matcher is not None and not last:
                matcher = matcher.deep_copy()
            choice = _Choice(generation, index, own_cache, prefill.max_new_tokens, matcher)
            self._active.append(choice)  # before its first token: if that fails, the filter drops it
            choices.append(choice)
        for choice, allowed in zip(choices, self._grammar_masks(choices)):
            self._advance(choice, logits, allowed)

    def _advance(self, choice: _Choice, logits: np.ndarray, allowed: np.ndarray | None = None) -> None:
        """Sample the choice's next token from ``logits`` (among the ``allowed``, under a grammar), emit its event."""
        generation, params = choice.generation, choice.generation.params
        if choice.matcher is not None:
            self._check_grammar(choice, allowed)
        token, logprobs = choice.sampler.step(logits, allowed)
        if token in self.end_tokens:  # end of turn: not part of the reply
            choice.done = True
            generation._emit(Event(choice.index, choice.text.finish(), None, "stop"))
            return
        if choice.matcher is not None and not choice.matcher.consume_token(token):
            raise self._grammar_error(choice, "the reply left its grammar")
        choice.generated += 1
        generation.completion_tokens += 1
        entry = None
        if logprobs is not None:
            entry = logprob_entry(logprobs, token, params.top_logprobs, self.token_bytes)
        delta, stopped = choice.text.feed(self.token_bytes(token))
        finish = None
        if stopped:
            finish = "stop"
        elif choice.matcher is not None and choice.matcher.is_stopped():  # the grammar is complete: the reply too
            delta += choice.text.finish()
            finish = "stop"
        elif choice.generated >= choice.max_new_tokens:
            delta += choice.text.finish()  # held-back text, which may still complete a stop string
            finish = "stop" if choice.text.stopped else "length"
        choice.last_token = token
        choice.done = finish is not None
        generation._emit(Event(choice.index, delta, entry, finish))

    def _check_grammar(self, choice: _Choice, allowed: np.ndarray | None) -> None:
        """Raise GrammarError if the choice's matcher failed or allows no token at all (never sample then)."""
        if choice.matcher.is_error():
            raise self._grammar_error(choice, "the grammar failed")
        if allowed is None or not allowed.any():
            raise self._grammar_error(choice, "the grammar allows no next token")

    @staticmethod
    def _grammar_error(choice: _Choice, what: str) -> GrammarError:
        """The request's error, naming its parameter, with the first line of llguidance's own explanation."""
        constraint = choice.generation.params.constraint
        param = constraint.param if constraint is not None else "response_format"
        detail = (choice.matcher.get_error() if choice.matcher is not None else "").strip().splitlines()
        return GrammarError(f"The local model's reply stopped: {what}" + (f" ({detail[0]})." if detail else "."), param)
