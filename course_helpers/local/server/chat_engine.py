"""The chat engine as the server sees it: the interface it needs, and the seam the app gets it through.

The server asks little of an engine (:class:`ChatEngine`): its name and
fingerprint for the response, its context length and vocabulary size,
``encode_chat`` to turn messages into token ids (``encode`` and ``decode``
for ``/tokenize`` and ``/detokenize``), and ``generate`` to start a reply
whose events it forwards. Anything with that interface will do, as any transport will do for
an httpx client:

- ``create_app()`` serves the real numpy engine
  (:func:`course_helpers.local.engine.get_engine`), loaded by the first chat
  request, so starting the server stays fast and the moderation and audio
  endpoints never load it unless used;
- ``create_app(engine=some_engine)`` serves that object, and
  ``create_app(engine=make_engine)`` calls ``make_engine()`` once, on first use.

The server tests pass the echoing stand-in of ``tests/local/server/fake_engine.py``.

>>> calls = []
>>> source = EngineSource(lambda: calls.append("loaded") or "the engine")
>>> calls
[]
>>> source.get(), source.get(), calls
('the engine', 'the engine', ['loaded'])

Used in: course_helpers/local/server/app.py (``create_app(engine=...)``), chat.py, responses.py
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import anyio
from starlette.requests import Request

from ..sampling_params import SamplingParams

__all__ = [
    "ChatEngine",
    "EngineSource",
    "Generation",
    "GenerationEvent",
    "LogprobEntry",
    "TokenLogprob",
    "engine_for",
]


class TokenLogprob(Protocol):
    """A token with its log probability (one of the top alternatives)."""

    @property
    def token(self) -> str: ...
    @property
    def bytes(self) -> Sequence[int] | None: ...
    @property
    def logprob(self) -> float: ...


class LogprobEntry(TokenLogprob, Protocol):
    """The chosen token's log probability and the most likely alternatives at its position."""

    @property
    def top_logprobs(self) -> Sequence[TokenLogprob]: ...


class GenerationEvent(Protocol):
    """One step of one choice: new text, its logprobs if asked, the finish reason on its last event."""

    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def logprob(self) -> LogprobEntry | None: ...
    @property
    def finish_reason(self) -> str | None: ...


class Generation(Protocol):
    """A running reply: a blocking iterator of events; the token counts are final once it ends."""

    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    def cancel(self) -> None: ...
    def __iter__(self) -> Iterator[GenerationEvent]: ...


@runtime_checkable
class ChatEngine(Protocol):
    """What the server needs of a chat engine."""

    @property
    def model_name(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def context_length(self) -> int: ...
    @property
    def vocab_size(self) -> int:
        """How many tokens the model knows: their ids are 0 to ``vocab_size - 1`` (``logit_bias`` keys)."""
        ...

    def encode_chat(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> list[int]:
        """The prompt's token ids for chat messages (their contents as plain text)."""
        ...

    def encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids of ``text``; ``special``: whether special tokens written in it are recognised."""
        ...

    def decode(self, ids: list[int]) -> str:
        """The text of token ids."""
        ...

    def generate(self, prompt_ids: list[int], params: SamplingParams, n: int = 1) -> Generation:
        """Start ``n`` replies at once; raises ContextLengthExceeded if the prompt leaves no room."""
        ...


def _real_engine() -> ChatEngine:
    from ..engine import get_engine  # numpy and the model: only when a chat request needs them

    return get_engine()


class EngineSource:
    """The app's engine: the one given, or made by a provider on first use (once, thread-safe).

    ``engine``: a :class:`ChatEngine`, a zero-argument function returning
    one, or None for the real local engine.
    """

    def __init__(self, engine: ChatEngine | Callable[[], ChatEngine] | None = None) -> None:
        self._engine: ChatEngine | None = None
        self._provider: Callable[[], ChatEngine] = _real_engine
        if isinstance(engine, ChatEngine):
            self._engine = engine
        elif engine is not None:
            self._provider = engine
        self._lock = threading.Lock()

    def get(self) -> ChatEngine:
        """The engine, made now if this is the first use (blocking: loading the model takes a while)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._provider()
        return self._engine


async def engine_for(request: Request) -> ChatEngine:
    """The engine of the app serving ``request`` (made in a worker thread on first use)."""
    source: EngineSource = request.app.state.engine
    return await anyio.to_thread.run_sync(source.get)
