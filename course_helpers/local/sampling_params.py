"""The sampling parameters of one request: their one definition, shared by the server and the engine.

The server fills them from a checked request body (``temperature``,
``top_p``, ``max_completion_tokens``, ``stop``, ``seed``, ``logprobs``,
``top_logprobs``, the penalties, ``logit_bias``, and the structured output
the reply must be as a :class:`~.constraints.Constraint`); the engine's sampler reads them; the
server tests' stand-in engine takes the same object. A new parameter is one
new field here. No numpy, so the server can import it without the model.

>>> params = SamplingParams(temperature=0, stop=("END",))
>>> params.temperature, params.stop, params.max_tokens
(0, ('END',), None)
>>> params.temperature = 1
Traceback (most recent call last):
...
dataclasses.FrozenInstanceError: cannot assign to field 'temperature'

Used in: course_helpers/local/sampler.py, course_helpers/local/server/chat.py
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .constraints import Constraint

__all__ = ["SamplingParams"]


@dataclass(frozen=True)
class SamplingParams:
    """The request parameters that shape sampling (the server has checked their ranges)."""

    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0
    max_tokens: int | None = None  # None: until the context is full (the server always sets a limit)
    stop: tuple[str, ...] = ()  # up to 4 strings, never returned
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int = 0  # 0-20
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[int, float] = field(default_factory=dict)  # token id -> added to its logit (-100..100)
    constraint: Constraint | None = None  # the grammar every token must keep (structured outputs), or None
