"""How the probe settings were chosen: cross-validation on the training set only.

For each candidate (layer, pooling, L2 strength) the training set is split
into 5 folds; each fold is scored by probes trained on the other four, so
every training message gets an honest out-of-fold score. A setting is judged
by the average log loss over the 13 categories (the measure that rewards
calibrated probabilities), and we also print how often ``flagged`` is right.
The held-out set plays no part here.

Run it (it reads every layer of the model for 542 messages, a few minutes):

    python -m course_helpers.local.moderation.selection

>>> summarize(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.9, 0.1], [0.2, 0.1]]))["flag_accuracy"]
1.0

Used in: course_helpers/local/moderation/classifier.py (its LAYER, POOLING, L2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .categories import CATEGORIES, THRESHOLDS
from .dataset import load_examples
from .features import POOLINGS, pooled_states
from .probe import fold_ids, log_loss, out_of_fold

__all__ = [
    "FOLDS",
    "cross_validate",
    "summarize",
]

FOLDS = 5


def summarize(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Mean log loss over categories, flagged accuracy and per-category accuracy of scores."""
    thresholds = np.array([THRESHOLDS[name] for name in CATEGORIES])[: labels.shape[1]]
    predicted = scores >= thresholds
    return {
        "log_loss": float(np.mean([log_loss(labels[:, c], scores[:, c]) for c in range(labels.shape[1])])),
        "flag_accuracy": float(np.mean(predicted.any(axis=1) == (labels > 0).any(axis=1))),
        "category_accuracy": float(np.mean(predicted == (labels > 0))),
    }


def cross_validate(features: np.ndarray, labels: np.ndarray, l2: float, folds: int = FOLDS) -> dict[str, Any]:
    """Out-of-fold scores of probes on ``features`` (n, d), and their summary."""
    scores = out_of_fold(features, labels, fold_ids(labels, folds), l2)
    return {"scores": scores, **summarize(labels, scores)}


def _main(layers: list[int], l2s: list[float], engine: Any | None = None) -> None:
    if engine is None:
        from course_helpers.local.engine import get_engine

        engine = get_engine()
    texts, labels = load_examples("train")
    pooled = pooled_states(engine, texts, layers)
    print(f"{'pooling':8} {'layer':>5} {'l2':>6} {'log loss':>9} {'flagged ok':>10} {'category ok':>11}")
    for pooling in POOLINGS:
        for i, layer in enumerate(layers):
            for l2 in l2s:
                summary = cross_validate(pooled[pooling][:, i].astype(np.float64), labels, l2)
                print(
                    f"{pooling:8} {layer:5d} {l2:6g} {summary['log_loss']:9.4f} "
                    f"{summary['flag_accuracy']:10.3f} {summary['category_accuracy']:11.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    _main(layers=[4, 8, 12, 16, 20, 24, 30], l2s=[0.01, 0.05, 0.2])
