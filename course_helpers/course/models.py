"""The course's model choices: one home for every model name a lesson sends, overridable from ``.env``.

Each purpose has a :class:`ModelChoice`: the model and, for reasoning models, the
``reasoning_effort`` to send. A lesson writes
``client.chat.completions.create(model=info.sampling.model, reasoning_effort=info.sampling.effort, ...)``
(``info`` is what ``setup()`` returns) or ``create(**SAMPLING.request_kwargs(), ...)``.
When a choice has no effort, ``effort`` is the SDK's ``NOT_GIVEN``: the SDK then leaves
``reasoning_effort`` out of the request, so the same line works for models that reject it.

- ``CHAT``: the course's chat model (``COURSE_MODEL``, ``COURSE_EFFORT``); ``setup()`` hands it out as ``info.model``.
- ``SAMPLING``: a model and effort that accept temperature, top_p, logprobs and top_logprobs. gpt-6-luna
  takes those only with ``reasoning_effort="none"`` (OpenAI's deployment checklist,
  https://developers.openai.com/api/docs/guides/deployment-checklist; not yet tried live for logprobs).
- ``REASONING``: gpt-6-luna at its default effort, medium, for the lesson on reasoning.
- ``MODERATION``: the moderation model (it has no effort).

Speech and transcription models are not here yet: audio is a separate change.

The names are read from the environment when used, so a value from ``.env`` applies
once ``setup()`` has loaded it:

>>> SAMPLING.request_kwargs()  # doctest: +SKIP
{'model': 'gpt-6-luna', 'reasoning_effort': 'none'}
>>> read_choices({"COURSE_SAMPLING_EFFORT": "low"}).sampling.request_kwargs()
{'model': 'gpt-6-luna', 'reasoning_effort': 'low'}

Used in: notebooks/00_setup.ipynb (through ``setup()``)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from openai import NOT_GIVEN, NotGiven

__all__ = [
    "DEFAULTS",
    "EFFORTS",
    "Choices",
    "ModelChoice",
    "describe_choices",
    "read_choices",
    "server_choices",
]

#: The ``reasoning_effort`` values the SDK accepts (not every model takes every one: gpt-6-luna has no "minimal").
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class ModelChoice:
    """One purpose's model, and the reasoning effort to send with it (``NOT_GIVEN``: send none, the model's default).

    ``effort`` can be passed as ``reasoning_effort=`` as it is: the SDK drops ``NOT_GIVEN``.

    >>> ModelChoice("gpt-6-luna", "none").request_kwargs()
    {'model': 'gpt-6-luna', 'reasoning_effort': 'none'}
    >>> ModelChoice("omni-moderation-latest").request_kwargs()
    {'model': 'omni-moderation-latest'}
    >>> ModelChoice("omni-moderation-latest").effort
    NOT_GIVEN
    """

    model: str
    effort: str | NotGiven = NOT_GIVEN

    @property
    def has_effort(self) -> bool:
        """Whether this choice sends a ``reasoning_effort``."""
        return isinstance(self.effort, str)

    def request_kwargs(self) -> dict[str, str]:
        """The request parameters that select this choice: ``model`` and, if set, ``reasoning_effort``."""
        kwargs = {"model": self.model}
        if isinstance(self.effort, str):
            kwargs["reasoning_effort"] = self.effort
        return kwargs

    def __str__(self) -> str:
        return f"{self.model} (effort {self.effort})" if isinstance(self.effort, str) else self.model


@dataclass(frozen=True)
class Choices:
    """Every purpose's :class:`ModelChoice`."""

    chat: ModelChoice
    sampling: ModelChoice
    reasoning: ModelChoice
    moderation: ModelChoice


#: The course's own choices, before ``.env``. gpt-6-luna is OpenAI's replacement for the course's first model,
#: which shuts down on 2027-01-14 (third-party copies of https://developers.openai.com/api/docs/deprecations
#: agree; the official row was not seen) and its "efficient, repeatable work" model (deployment checklist).
#: The chat choice sends reasoning_effort "none": replies come at once, as from a classic chat model, cost
#: no hidden reasoning tokens, and temperature and logprobs are accepted; lesson 00 shows what reasoning adds.
DEFAULTS = Choices(
    chat=ModelChoice("gpt-6-luna", "none"),
    sampling=ModelChoice("gpt-6-luna", "none"),
    reasoning=ModelChoice("gpt-6-luna", "medium"),
    moderation=ModelChoice("omni-moderation-latest"),
)

# purpose -> (variable for the model, variable for the effort or None); all documented in .env.example.
_VARIABLES = {
    "chat": ("COURSE_MODEL", "COURSE_EFFORT"),
    "sampling": ("COURSE_SAMPLING_MODEL", "COURSE_SAMPLING_EFFORT"),
    "reasoning": ("COURSE_REASONING_MODEL", "COURSE_REASONING_EFFORT"),
    "moderation": ("COURSE_MODERATION_MODEL", None),
}


def _effort(env: Mapping[str, str], name: str | None, default: str | NotGiven) -> str | NotGiven:
    if name is None:
        return NOT_GIVEN
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value == "default":  # leave reasoning_effort out: the model's own default applies
        return NOT_GIVEN
    if value not in EFFORTS:
        raise ValueError(
            f"{name}={env.get(name)!r} is not one of {', '.join(EFFORTS)} (or 'default'). "
            "Fix it in your .env file (see .env.example)."
        )
    return value


def read_choices(env: Mapping[str, str] | None = None) -> Choices:
    """The model choices, with the overrides in ``env`` (default ``os.environ``).

    A purpose's default effort belongs to its default model: a model set in ``env`` without
    an effort gets none sent (its own default applies), since efforts differ between models.
    Raises ValueError with the accepted values when an effort is misspelled.

    >>> read_choices({}).chat
    ModelChoice(model='gpt-6-luna', effort='none')
    >>> read_choices({"COURSE_MODEL": "gpt-5.4-mini"}).chat
    ModelChoice(model='gpt-5.4-mini', effort=NOT_GIVEN)
    >>> read_choices({"COURSE_SAMPLING_MODEL": "gpt-5.4-mini"}).sampling
    ModelChoice(model='gpt-5.4-mini', effort=NOT_GIVEN)
    >>> read_choices({}).reasoning.effort
    'medium'
    """
    env = os.environ if env is None else env
    chosen = {}
    for purpose, (model_name, effort_name) in _VARIABLES.items():
        default: ModelChoice = getattr(DEFAULTS, purpose)
        model = env.get(model_name, "").strip() or default.model
        default_effort = default.effort if model == default.model else NOT_GIVEN
        chosen[purpose] = ModelChoice(model, _effort(env, effort_name, default_effort))
    return Choices(**chosen)


def server_choices(model: str, env: Mapping[str, str] | None = None) -> Choices:
    """The choices on an OpenAI-compatible server (Ollama, vLLM, ...): its ``model`` for every chat purpose.

    A purpose keeps a model named in ``env``; efforts are sent only where ``env`` sets one
    (the server's model has its own defaults, and may not know ``reasoning_effort``).

    >>> server_choices("llama3.2", {}).sampling
    ModelChoice(model='llama3.2', effort=NOT_GIVEN)
    >>> server_choices("qwen3", {"COURSE_REASONING_EFFORT": "high"}).reasoning
    ModelChoice(model='qwen3', effort='high')
    """
    env = os.environ if env is None else env
    named = {name: env.get(name, "").strip() or model for name, _ in list(_VARIABLES.values())[:3]}
    return read_choices({**env, **named})


def describe_choices(choices: Choices) -> str:
    """The choices in a few words, for ``setup()``'s one line: the chat model, then what differs from it.

    Each effort is named as the parameter it is sent as, ``reasoning_effort``, beside what it is for:

    >>> describe_choices(DEFAULTS)
    'chat model gpt-6-luna, reasoning_effort none (reasoning demos: reasoning_effort medium)'
    >>> describe_choices(read_choices({"COURSE_SAMPLING_MODEL": "gpt-5.4-mini", "COURSE_SAMPLING_EFFORT": "none"}))
    'chat model gpt-6-luna, reasoning_effort none (temperature and logprobs: gpt-5.4-mini, reasoning_effort none; reasoning demos: reasoning_effort medium)'
    """
    parts = []
    for purpose, what in (("sampling", "temperature and logprobs"), ("reasoning", "reasoning demos")):
        choice: ModelChoice = getattr(choices, purpose)
        if choice.model != choices.chat.model:
            parts.append(f"{what}: {_model_and_effort(choice)}")
        elif choice.effort != choices.chat.effort:
            parts.append(f"{what}: {_effort_words(choice)}")
    if choices.moderation != DEFAULTS.moderation:
        parts.append(f"moderation: {choices.moderation}")
    return f"chat model {_model_and_effort(choices.chat)}" + (f" ({'; '.join(parts)})" if parts else "")


def _effort_words(choice: ModelChoice) -> str:
    return f"reasoning_effort {choice.effort}" if choice.has_effort else "no reasoning_effort (the model's default)"


def _model_and_effort(choice: ModelChoice) -> str:
    return f"{choice.model}, {_effort_words(choice)}" if choice.has_effort else choice.model


def __getattr__(name: str) -> ModelChoice:
    # Public too, though not in __all__ (ruff cannot see them): CHAT, SAMPLING, REASONING, MODERATION are read when used, not at import: setup() loads .env after
    # `import course_helpers`, and a learner may edit .env and run setup() again.
    if name in ("CHAT", "SAMPLING", "REASONING", "MODERATION"):
        return getattr(read_choices(), name.lower())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
