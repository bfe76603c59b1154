"""How good the classifier is on messages it never trained on: precision and recall.

For one category, among the messages the classifier flags for it, *precision*
is the share that carry the label (how often a flag is right), and *recall*
is the share of labeled messages it flags (how much harm it catches). The
same two figures for ``flagged`` (any category) say how the whole verdict
does. A category with no labeled message has no recall (``nan``), one never
flagged has no precision.

>>> labels = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
>>> predicted = np.array([[1, 0], [0, 0], [1, 0], [0, 1]])
>>> precision_recall(labels[:, 0], predicted[:, 0])
(0.5, 0.5, 2)
>>> precision_recall(labels.any(axis=1), predicted.any(axis=1))
(0.667, 0.667, 3)

Used in: benchmarks/bench_moderation.py, tests/local/moderation/test_evaluation.py
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .categories import CATEGORIES, THRESHOLDS
from .dataset import load_examples

__all__ = [
    "Evaluation",
    "evaluate",
    "precision_recall",
]


def precision_recall(labels: Any, predicted: Any) -> tuple[float, float, int]:
    """Precision, recall (rounded to 3 places) and the number of labeled examples, for 0/1 arrays."""
    actual = np.asarray(labels).astype(bool)
    guessed = np.asarray(predicted).astype(bool)
    hits = int((actual & guessed).sum())
    precision = hits / guessed.sum() if guessed.any() else float("nan")
    recall = hits / actual.sum() if actual.any() else float("nan")
    return round(float(precision), 3), round(float(recall), 3), int(actual.sum())


@dataclass(frozen=True)
class Evaluation:
    """The figures of one labeled split: ``flagged`` and per category, (precision, recall, count)."""

    split: str
    messages: int
    flagged: tuple[float, float, int]
    per_category: dict[str, tuple[float, float, int]]
    accuracy: float  # share of messages whose flagged value is right

    def table(self) -> str:
        """The figures as a fixed-width table, one row per category with examples."""
        rows = [f"{self.split}: {self.messages} messages, flagged accuracy {self.accuracy:.3f}"]
        rows.append(f"  {'category':24} {'n':>4} {'precision':>9} {'recall':>7}")
        for name, (precision, recall, count) in [("flagged", self.flagged), *self.per_category.items()]:
            if count:
                rows.append(f"  {name:24} {count:4d} {precision:9.3f} {recall:7.3f}")
        return "\n".join(rows)


def evaluate(split: str, score: Any) -> Evaluation:
    """Precision and recall on a shipped split; ``score(texts)`` returns the (n, 13) scores."""
    texts, labels = load_examples(split)
    scores = np.asarray(score(texts))
    predicted = scores >= np.array([THRESHOLDS[name] for name in CATEGORIES])
    harmful, flagged = labels.any(axis=1), predicted.any(axis=1)
    return Evaluation(
        split=split,
        messages=len(texts),
        flagged=precision_recall(harmful, flagged),
        per_category={name: precision_recall(labels[:, c], predicted[:, c]) for c, name in enumerate(CATEGORIES)},
        accuracy=round(float(np.mean(harmful == flagged)), 3),
    )
