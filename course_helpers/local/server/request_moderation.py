"""Moderated completions: the ``moderation`` parameter of Chat Completions and Responses, served locally.

With ``moderation={"model": "omni-moderation-latest", "policy": {...}}`` the
local classifier (``course_helpers/local/moderation/``, the one behind
``/v1/moderations``) scores the request's input before the model runs and
the generated output after it, and the answer carries both verdicts:

* Chat Completions: ``completion.moderation.input`` and ``.output`` are each
  ``{"type": "moderation_results", "model", "results": [...]}``, one result
  per input message and one per choice;
* Responses: ``response.moderation.input`` and ``.output`` are each one
  result ``{"type": "moderation_result", "model", "flagged", ...}`` (the
  SDK's type holds a single result): the input messages are scored as one
  text, the output text as another;
* either side is ``{"type": "error", "code", "message"}`` when it has no
  verdict: the classifier failed (``moderation_failed``; the request still
  succeeds, since one failure costs no more than its own part), or the
  output was never generated because the input was blocked (``input_blocked``).

``policy.input.mode`` and ``policy.output.mode`` are ``"score"`` (the
default: report, change nothing) or ``"block"``. **What OpenAI does on
block is not documented** (only the enum names are, in the SDK); this server
does what the API's existing fields for filtered content suggest:

* input flagged, input mode ``block``: the model does not run; every choice
  comes back with empty content and ``finish_reason="content_filter"``, a
  Response with ``status="incomplete"``,
  ``incomplete_details.reason="content_filter"`` and an empty message;
* output flagged, output mode ``block``: that choice's text is withheld,
  with the same ``content_filter`` signals (the tokens were generated, so
  ``usage`` counts them).

Streaming: the input is moderated before the first event (a blocked input
streams only the ``content_filter`` finish). With output mode ``score`` the
text streams as it is generated and the output is scored at the end; with
``block`` the text is held back until it is moderated, then sent in one
piece or withheld (a stream cannot take back text it has sent). The
verdicts come last: on chat, in a chunk of their own (``choices: []``,
``moderation``: the SDK's "moderation chunk"), before the usage chunk; on
Responses, in the final ``response.completed`` / ``response.incomplete``.

The classifier runs on the worker thread that iterates the generation (or
opens it), and the model inside it on the engine's decoding thread, between
decoding steps (``scheduler.call``), as for ``/v1/moderations``.

>>> from .protocol.moderation_param import parse_moderation_param
>>> param = parse_moderation_param({"model": "omni-moderation-latest"})
>>> moderation = RequestModeration(param, api="chat", classify=lambda texts: [])
>>> moderation.input_blocked, moderation.blocked_output_entry()["code"]
(False, 'input_blocked')

Used in: course_helpers/local/server/chat.py, course_helpers/local/server/responses.py
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..moderation import MODEL_NAME
from ..moderation.classifier import ModerationResult
from ..sampling_params import SamplingParams
from .chat_engine import ChatEngine, Generation, GenerationEvent
from .moderations import result_json
from .protocol.moderation_param import ModerationParam

__all__ = [
    "BlockedGeneration",
    "ModeratedGeneration",
    "RequestModeration",
    "Withheld",
]

_log = logging.getLogger(__name__)

Classify = Callable[[list[str]], list[ModerationResult]]


def _local_classifier(texts: list[str]) -> list[ModerationResult]:
    from ..moderation.classifier import moderate  # the model and the probes: only when a request asks

    return moderate(texts)


@dataclass(frozen=True)
class Withheld:
    """The one event of a choice whose text is not given: empty, finished by the content filter."""

    index: int
    text: str = ""
    logprob: None = None
    finish_reason: str = "content_filter"


class BlockedGeneration:
    """What stands in for the generation when the input is blocked: ``n`` withheld choices, no tokens."""

    def __init__(self, prompt_tokens: int, n: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = 0
        self._n = n

    def cancel(self) -> None:
        """Nothing runs, so nothing to stop."""

    def __iter__(self) -> Iterator[GenerationEvent]:
        return iter([Withheld(index) for index in range(self._n)])


class ModeratedGeneration:
    """A generation whose text is moderated when it ends (and, in block mode, held back until then)."""

    def __init__(self, inner: Generation, moderation: RequestModeration, n: int) -> None:
        self._inner = inner
        self._moderation = moderation
        self._n = n
        self._cancelled = False

    @property
    def prompt_tokens(self) -> int:
        return self._inner.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self._inner.completion_tokens

    def cancel(self) -> None:
        self._cancelled = True
        self._inner.cancel()

    def __iter__(self) -> Iterator[GenerationEvent]:
        hold = self._moderation.param.output_mode == "block"
        texts: list[list[str]] = [[] for _ in range(self._n)]
        held: list[list[GenerationEvent]] = [[] for _ in range(self._n)]
        for event in self._inner:
            texts[event.index].append(event.text or "")
            if hold:
                held[event.index].append(event)
            else:
                yield event
        if self._cancelled:  # the client is gone: nobody reads a verdict
            return
        flagged = self._moderation.moderate_output(["".join(parts) for parts in texts])
        if hold:
            for index in range(self._n):
                if flagged[index]:
                    yield Withheld(index)
                else:
                    yield from held[index]


class RequestModeration:
    """One request's moderation: its settings, and the verdicts once they exist.

    ``api`` is ``"chat"`` (a list of results per side) or ``"responses"``
    (one result per side). ``classify`` scores texts (the local classifier
    unless a test passes another).
    """

    def __init__(
        self, param: ModerationParam, api: Literal["chat", "responses"], classify: Classify | None = None
    ) -> None:
        self.param = param
        self.api = api
        self._classify = classify or _local_classifier
        self.input: dict[str, Any] | None = None
        self.output: dict[str, Any] | None = None
        self.input_blocked = False

    @classmethod
    def of(cls, param: ModerationParam | None, api: Literal["chat", "responses"]) -> RequestModeration | None:
        """The moderation a request asked for, or None."""
        return None if param is None else cls(param, api)

    def _entry(self, texts: list[str]) -> tuple[dict[str, Any], list[bool]]:
        """The verdict on ``texts`` in the API's shape, and which texts were flagged."""
        try:
            results = self._classify(texts)
        except Exception as error:  # the answer reports it; the request goes on
            _log.error("the local moderation classifier failed", exc_info=error)
            failure = {"type": "error", "code": "moderation_failed", "message": f"Moderation failed: {error}"}
            return failure, [False] * len(texts)
        entries = [{**result_json(result), "model": MODEL_NAME, "type": "moderation_result"} for result in results]
        flagged = [result.flagged for result in results]
        if self.api == "responses":
            return entries[0], flagged
        return {"type": "moderation_results", "model": MODEL_NAME, "results": entries}, flagged

    def blocked_output_entry(self) -> dict[str, Any]:
        """The output side when the input was blocked: there is no output to judge."""
        return {
            "type": "error",
            "code": "input_blocked",
            "message": "No output was generated: the input was flagged and the input policy is 'block'.",
        }

    def start(self, engine: ChatEngine, messages: list[dict[str, str]], sampling: SamplingParams, n: int) -> Generation:
        """Moderate the input, then start the generation, or stand in for it if the input is blocked.

        The session's ``start`` step (blocking: it runs in a worker thread).
        """
        blocked = self.moderate_input([message["content"] for message in messages])
        prompt_ids = engine.encode_chat(messages)
        if blocked:
            return BlockedGeneration(len(prompt_ids), n)
        return ModeratedGeneration(engine.generate(prompt_ids, sampling, n=n), self, n)

    def moderate_input(self, texts: list[str]) -> bool:
        """Score the input messages' texts; True if the input is blocked (flagged, input mode ``block``).

        Blocking also settles the output side (:meth:`blocked_output_entry`): nothing will be generated.
        """
        if self.api == "responses":
            texts = ["\n".join(texts)]
        self.input, flagged = self._entry(texts)
        if self.param.input_mode == "block" and any(flagged):
            self.input_blocked = True
            self.output = self.blocked_output_entry()
        return self.input_blocked

    def moderate_output(self, texts: list[str]) -> list[bool]:
        """Score the generated texts (one per choice); which of them are flagged."""
        if self.api == "responses":
            texts = ["".join(texts)]
        self.output, flagged = self._entry(texts)
        return flagged

    def json(self) -> dict[str, Any]:
        """The response's ``moderation`` object: ``{"input": ..., "output": ...}``."""
        assert self.input is not None and self.output is not None, "moderation is not finished"
        return {"input": self.input, "output": self.output}
