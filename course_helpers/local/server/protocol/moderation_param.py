"""The ``moderation`` request parameter of Chat Completions and Responses, declared once.

    moderation={"model": "omni-moderation-latest",
                "policy": {"input": {"mode": "score"}, "output": {"mode": "block"}}}

``model`` is required and must be a moderation model; ``policy``, ``input``
and ``output`` are optional, and a side without a policy is scored (the API's
documented behaviour: "request moderation scores alongside a generated
response"). What the server does with it is in ``server/request_moderation.py``.

>>> param = parse_moderation_param({"model": "omni-moderation-latest", "policy": {"input": {"mode": "block"}}})
>>> param.input_mode, param.output_mode
('block', 'score')

Used in: course_helpers/local/server/protocol/chat.py, protocol/responses.py
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from .base import RequestModel
from .errors import parse, rule
from .moderations import MODERATION_MODELS

__all__ = [
    "ModerationParam",
    "ModerationPolicy",
    "ModerationSide",
    "parse_moderation_param",
]


def _moderation_model(model: str) -> str:
    if model not in MODERATION_MODELS:
        raise rule(
            "invalid_value",
            f"Invalid value for '{{param}}': '{model}' is not a moderation model. "
            f"Supported values are: {', '.join(repr(name) for name in MODERATION_MODELS)}.",
        )
    return model


class ModerationSide(RequestModel):
    """``policy.input`` or ``policy.output``: score the text, or also block it when flagged."""

    mode: Literal["score", "block"]


class ModerationPolicy(RequestModel):
    """``policy``: what to do with the input and with the output."""

    input: ModerationSide | None = None
    output: ModerationSide | None = None


class ModerationParam(RequestModel):
    """``moderation``: which moderation model, and the policy for each side."""

    model: Annotated[str, AfterValidator(_moderation_model)]
    policy: ModerationPolicy | None = None

    @property
    def input_mode(self) -> str:
        """``"score"`` or ``"block"`` for the request's input (``"score"`` unless a policy says otherwise)."""
        side = self.policy.input if self.policy else None
        return side.mode if side else "score"

    @property
    def output_mode(self) -> str:
        """``"score"`` or ``"block"`` for the generated output."""
        side = self.policy.output if self.policy else None
        return side.mode if side else "score"


def parse_moderation_param(value: Any) -> ModerationParam:
    """The ``moderation`` object checked on its own (in a request it is a field of the body)."""
    return parse(ModerationParam, value)
