"""Lesson 07's tools: judge a reply that should be JSON, and look inside one step of constrained decoding.

:func:`judge_json` says whether a reply parses (``json.loads``) and whether it
fits a Pydantic model, the two numbers the lesson measures for prompt-only
JSON, JSON mode and a JSON schema:

>>> from pydantic import BaseModel, ConfigDict
>>> class City(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     name: str
>>> judge_json('{"name": "Oslo"}', City), judge_json('{"city": "Oslo"}', City), judge_json("Oslo", City)
((True, True), (True, False), (False, False))

The glass box runs the local engine in this process: :class:`NextTokenLogits`
gives the model's scores for the next token (what the sampler receives
before its first step, the grammar mask), and :func:`removed_mass` says how
much of the model's probability the mask took away:

>>> removed_mass(np.log(np.array([0.7, 0.2, 0.1], np.float32)), np.array([False, True, True]))
0.7

Used in: notebooks/07_structured_outputs_and_tools.ipynb
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

__all__ = [
    "CITIES",
    "get_time",
    "get_weather",
    "judge_json",
    "NextTokenLogits",
    "plot_mask_step",
    "plot_removed_by_step",
    "removed_mass",
]

#: The lesson's made-up world: what its two tools know about each city (a real tool would ask a web service).
CITIES: dict[str, dict[str, Any]] = {
    "Paris": {"celsius": 18, "sky": "cloudy", "time": "14:05"},
    "Rome": {"celsius": 24, "sky": "sunny", "time": "14:05"},
    "Tokyo": {"celsius": 12, "sky": "rain", "time": "21:05"},
    "New York": {"celsius": 9, "sky": "windy", "time": "08:05"},
}


def get_weather(city: str, unit: str = "celsius") -> dict:
    """The weather in ``city`` (one of :data:`CITIES`), in ``unit``: the lesson's first tool.

    >>> get_weather("Rome", "fahrenheit")
    {'city': 'Rome', 'temperature': 75, 'unit': 'fahrenheit', 'sky': 'sunny'}
    >>> get_weather("Atlantis")
    {'error': "unknown city 'Atlantis'; known: Paris, Rome, Tokyo, New York"}
    """
    if city not in CITIES:
        return {"error": f"unknown city {city!r}; known: {', '.join(CITIES)}"}
    if unit not in ("celsius", "fahrenheit"):
        return {"error": f"unknown unit {unit!r}; use celsius or fahrenheit"}
    celsius = CITIES[city]["celsius"]
    temperature = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32)
    return {"city": city, "temperature": temperature, "unit": unit, "sky": CITIES[city]["sky"]}


def get_time(city: str) -> dict:
    """The local time in ``city`` (one of :data:`CITIES`): the lesson's second tool.

    >>> get_time("Tokyo")
    {'city': 'Tokyo', 'time': '21:05'}
    """
    if city not in CITIES:
        return {"error": f"unknown city {city!r}; known: {', '.join(CITIES)}"}
    return {"city": city, "time": CITIES[city]["time"]}


def judge_json(text: str | None, model: type[BaseModel]) -> tuple[bool, bool]:
    """(does ``text`` parse as JSON, does it fit ``model`` exactly): strict types, no missing or extra keys.

    Strict: ``"34"`` is not an int, as a JSON schema's ``"type": "integer"`` would not take it either.
    """
    if text is None:
        return False, False
    try:
        data = json.loads(text)
    except ValueError:
        return False, False
    try:
        model.model_validate(data, strict=True)
    except ValidationError:
        return True, False
    return True, True


class NextTokenLogits:
    """The local model's logits for the token after a sequence: ``next_logits(token_ids)`` -> (vocab_size,) float32.

    Called with a sequence that extends the previous one (a prompt, then the prompt and one more token, ...),
    it feeds the model only the new tokens: the earlier ones are in its KV cache, as in the engine's own
    decoding loop. The model's last layer turns the final hidden state of the last token into one score per
    vocabulary token (SmolLM2 reuses its token embeddings for that: tied weights). The forward pass runs on
    the engine's decoding thread, as every use of the model must, so this is safe beside the local server.
    """

    def __init__(self, engine):
        self.engine = engine
        self.fed: list[int] = []
        self.cache = engine.model.new_cache()

    def __call__(self, token_ids: Sequence[int]) -> np.ndarray:
        token_ids = [int(token) for token in token_ids]
        if token_ids[: len(self.fed)] != self.fed or len(token_ids) == len(self.fed):
            self.fed, self.cache = [], self.engine.model.new_cache()  # not a continuation: start again
        new = token_ids[len(self.fed) :]
        model, cache = self.engine.model, self.cache
        logits = self.engine._scheduler.call(lambda: model.forward([new], [cache])[0])
        self.fed = token_ids
        return np.asarray(logits, dtype=np.float32)


def removed_mass(logits: np.ndarray, allowed: np.ndarray) -> float:
    """The share of the model's probability (softmax of ``logits``) on tokens the grammar forbids.

    0 when the grammar allows everything the model wanted; near 1 when the model wanted a forbidden token.
    """
    shifted = np.asarray(logits, dtype=np.float64) - np.max(logits)
    probabilities = np.exp(shifted) / np.exp(shifted).sum()
    return round(float(probabilities[~np.asarray(allowed, dtype=bool)].sum()), 6)


def _label(token: str) -> str:
    return repr(token) if token.strip() != token or not token else token


def plot_mask_step(tokens: Sequence[str], probabilities, allowed, title: str = "", ax=None):
    """Bars of the model's probabilities for some tokens, green where the grammar allows them, red where not.

    >>> ax = plot_mask_step(["{", "Here"], [0.2, 0.5], [True, False])
    >>> [round(float(patch.get_height()), 1) for patch in ax.patches]
    [0.2, 0.5]
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(min(max(6.0, 0.8 * len(tokens) + 2), 12.0), 3.2))
    colors = ["tab:green" if ok else "tab:red" for ok in allowed]
    positions = np.arange(len(tokens))
    ax.bar(positions, probabilities, color=colors)
    ax.set_xticks(positions, [_label(token) for token in tokens], rotation=45, ha="right")
    ax.set_ylabel("model's probability")
    ax.set_ylim(0, 1.05)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("tab:green", "tab:red")]
    ax.legend(handles, ["allowed by the grammar", "forbidden: logit set to -inf"], fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_removed_by_step(tokens: Sequence[str], removed: Sequence[float], title: str = "", ax=None):
    """One bar per step of a reply: the probability the grammar took away before that token was chosen.

    >>> ax = plot_removed_by_step(["{", '"'], [0.9, 0.0])
    >>> len(ax.patches)
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(min(max(6.0, 0.35 * len(tokens) + 2), 14.0), 3.2))
    positions = np.arange(len(tokens))
    ax.bar(positions, removed, color="tab:red")
    ax.set_xticks(positions, [_label(token) for token in tokens], rotation=90)
    ax.set_ylabel("probability removed")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("the token chosen at each step")
    if title:
        ax.set_title(title)
    return ax
