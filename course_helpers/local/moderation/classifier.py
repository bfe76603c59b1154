"""The local moderation classifier: 13 probes on the chat model's hidden states.

``moderate(texts)`` scores each message for the 13 categories of OpenAI's
moderation API. How it works, end to end:

1. the local chat model (SmolLM2-135M-Instruct) reads the message as a chat
   user turn, and we keep two of its hidden states: the average over the
   message's tokens at layer 16 and the state at the end-of-message token at
   layer 20, side by side (``features.py``);
2. logistic-regression probes (``probe.py``) turn that vector into
   probabilities, in two steps, because a category implies harm:

       P(category) = P(harmful) * P(category | harmful)

   a *gate* probe, trained on all 542 training messages, gives P(harmful);
   one probe per category, trained on the harmful messages only, tells the
   categories apart. The gate sees every example, so the rare categories
   (a dozen examples each) do not have to learn "harmful or not" alone;
3. a category is flagged when its probability reaches the threshold written
   in ``categories.py``; the message is flagged when any category is.

The probes are trained on the shipped training set (``dataset.py``) the first
time they are needed, deterministically, and the learned weights are cached
next to the model (in the model cache folder) under a name that hashes the
training data, the model, the settings and :data:`CODE_VERSION`. Change any
of them and the probes are trained again. ``python -m course_helpers pull``
can train them ahead of time with :func:`ensure_trained`.

The settings below were chosen by 5-fold cross-validation on the training
set only (``selection.py`` reproduces the table); the held-out set was used
once, at the end, to measure the result.

>>> [pooling for pooling, layer in FEATURES]
['mean', 'last']

Used in: notebooks/04_moderation.ipynb, course_helpers/local/server/moderations.py
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from .. import store
from ..lazy import Lazy
from .categories import CATEGORIES, PARENT, THRESHOLDS
from .dataset import data_bytes, load_examples
from .features import MAX_MESSAGE_TOKENS, pooled_states, template_parts
from .probe import Probe, fit_probe

__all__ = [
    "CODE_VERSION",
    "FEATURES",
    "L2",
    "ModerationResult",
    "Probes",
    "cache_file",
    "ensure_trained",
    "get_probes",
    "message_features",
    "moderate",
    "train_probes",
]

# Which hidden states the probes read, as (pooling, layer) pairs, and how
# strongly they are regularized. Chosen by 5-fold cross-validation on the
# training set (see selection.py): of single layers, mean pooling at layer 16
# did best (out-of-fold accuracy of the gate 0.89-0.90), and adding the
# end-of-message state at layer 20 lowered the gate's log loss from 0.26 to
# 0.23 (accuracy 0.91).
FEATURES: tuple[tuple[str, int], ...] = (("mean", 16), ("last", 20))
L2 = 0.2
# Bump when a change in this package changes the learned weights.
CODE_VERSION = "2"  # 2: 38 training messages added (2026-12-04), see dataset.py


def _engine() -> Any:
    from course_helpers.local.engine import get_engine

    return get_engine()


def message_features(texts: list[str], engine: Any | None = None) -> np.ndarray:
    """The feature vector each probe reads, one row per message: (n, 2 * d_model) float64."""
    engine = engine if engine is not None else _engine()
    layers = sorted({layer for _, layer in FEATURES})
    pooled = pooled_states(engine, list(texts), layers)  # each (n, len(layers), d_model)
    parts = [pooled[pooling][:, layers.index(layer)] for pooling, layer in FEATURES]
    return np.hstack(parts).astype(np.float64)


@dataclass(frozen=True)
class Probes:
    """The trained gate and 13 category probes, each with its own standardization."""

    gate: Probe  # P(harmful)
    categories: tuple[Probe, ...]  # P(category | harmful), in CATEGORIES order
    seconds: float = field(default=0.0, compare=False)  # how long training took

    def harmful(self, features: np.ndarray) -> np.ndarray:
        """P(harmful) for each row of ``features``: (n,)."""
        return self.gate.predict(np.asarray(features, dtype=np.float64))

    def scores(self, features: np.ndarray) -> np.ndarray:
        """P(category) = P(harmful) * P(category | harmful) for each row: (n, 13)."""
        features = np.asarray(features, dtype=np.float64)
        given_harmful = np.stack([probe.predict(features) for probe in self.categories], axis=1)
        return self.harmful(features)[:, None] * given_harmful

    def save(self, path: Path) -> None:
        """Write the weights to ``path`` (an .npz file), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
            probes = (self.gate, *self.categories)
            np.savez(
                handle,
                mean=np.stack([p.mean for p in probes]),
                scale=np.stack([p.scale for p in probes]),
                weights=np.stack([p.weights for p in probes]),
                biases=np.array([p.bias for p in probes]),
                seconds=np.array(self.seconds),
            )
        os.replace(handle.name, path)

    @classmethod
    def load(cls, path: Path) -> Probes:
        """Read weights written by :meth:`save`."""
        with np.load(path) as stored:
            probes = [
                Probe(mean=m, scale=s, weights=w, bias=float(b))
                for m, s, w, b in zip(stored["mean"], stored["scale"], stored["weights"], stored["biases"], strict=True)
            ]
            return cls(gate=probes[0], categories=tuple(probes[1:]), seconds=float(stored["seconds"]))


def train_probes(engine: Any | None = None) -> Probes:
    """Fit the 13 probes on the training set (deterministic: same data, same weights)."""
    started = time.perf_counter()
    texts, labels = load_examples("train")
    features = message_features(texts, engine)
    harmful = np.asarray(labels.any(axis=1))  # (messages,) bool: any category
    # Small matrices: one BLAS thread is fastest and does not fight the chat engine.
    with threadpool_limits(limits=1, user_api="blas"):
        gate = fit_probe(features, harmful.astype(np.float64), L2)
        categories = tuple(fit_probe(features[harmful], labels[harmful, c], L2) for c in range(len(CATEGORIES)))
    return Probes(gate=gate, categories=categories, seconds=time.perf_counter() - started)


def _settings_key() -> str:
    from course_helpers.local.engine import ENGINE_VERSION

    digest = hashlib.sha256()
    digest.update(data_bytes("train"))
    settings = (
        store.MODELS[store.CHAT_MODEL].wheel_sha256,
        ENGINE_VERSION,
        CODE_VERSION,
        FEATURES,
        L2,
        template_parts(),
    )
    digest.update(repr(settings).encode())
    return digest.hexdigest()[:16]


def cache_file() -> Path:
    """Where the trained weights are cached (in the model cache folder)."""
    return store.cache_dir() / "moderation" / f"probes-{_settings_key()}.npz"


_probes: Lazy[Probes] = Lazy(lambda: Probes.load(ensure_trained()))


def get_probes() -> Probes:
    """The trained probes: from memory, else from the cache file, else trained now."""
    return _probes.get()


def ensure_trained() -> Path:
    """Train the probes if their cache file is missing, and return its path.

    Safe to call from several processes at once (a file lock makes the others
    wait). ``python -m course_helpers pull`` calls this to train ahead of time.
    """
    from filelock import FileLock

    path = cache_file()
    if path.is_file():  # trained already: take no lock, so a read-only shared cache folder works
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if not path.is_file():
            train_probes().save(path)
    return path


_WINDOW_TOKENS = 128  # a long message is read in pieces of about this many tokens
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def message_windows(engine: Any, text: str) -> list[str]:
    """The message itself, or for a long one, the pieces the probes read one by one.

    The probes were trained on messages of a few sentences and average over
    every token, so one threat in a long text would be drowned in the rest.
    A message longer than MAX_MESSAGE_TOKENS is therefore cut into its
    sentences, packed into pieces of at most _WINDOW_TOKENS tokens (a longer
    sentence is cut by tokens); the message scores what its worst piece scores.
    """
    if len(engine.encode(text, special=False)) <= MAX_MESSAGE_TOKENS:
        return [text]
    windows: list[str] = []
    current, current_tokens = "", 0
    for sentence in filter(None, _SENTENCE_END.split(text)):
        ids = engine.encode(sentence, special=False)
        if current and current_tokens + len(ids) > _WINDOW_TOKENS:
            windows.append(current)
            current, current_tokens = "", 0
        if len(ids) > _WINDOW_TOKENS:  # one very long sentence: cut it by tokens
            windows += [engine.decode(ids[i : i + _WINDOW_TOKENS]) for i in range(0, len(ids), _WINDOW_TOKENS)]
            continue
        current, current_tokens = f"{current} {sentence}".strip(), current_tokens + len(ids)
    return windows + ([current] if current else [])


@dataclass(frozen=True)
class ModerationResult:
    """One message's verdict, as the API reports it."""

    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]


def moderate(texts: list[str], engine: Any | None = None) -> list[ModerationResult]:
    """Score each message for the 13 categories and flag it by the documented thresholds.

    >>> result = moderate(["I would kill for a coffee"])[0]  # doctest: +SKIP
    >>> result.flagged, round(result.category_scores["violence"], 2)  # doctest: +SKIP
    (False, 0.03)
    """
    if not texts:
        return []
    engine = engine if engine is not None else _engine()
    probes = get_probes()
    windows = [message_windows(engine, text) for text in texts]
    window_scores = probes.scores(message_features([w for ws in windows for w in ws], engine))  # (windows, 13)
    bounds = np.cumsum([0] + [len(ws) for ws in windows])
    results = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        row = window_scores[start:stop].max(axis=0)  # a long message is as harmful as its worst part
        category_scores = {name: float(score) for name, score in zip(CATEGORIES, row, strict=True)}
        for child, parent in PARENT.items():  # self-harm instructions are self-harm content too
            category_scores[parent] = max(category_scores[parent], category_scores[child])
        categories = {name: category_scores[name] >= THRESHOLDS[name] for name in CATEGORIES}
        results.append(
            ModerationResult(flagged=any(categories.values()), categories=categories, category_scores=category_scores)
        )
    return results
