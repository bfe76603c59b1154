"""Quality and cost of the local moderation classifier. Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_moderation.py [--retrain]

- training time of the probes (read from the cache file, or measured now
  with ``--retrain``, which trains without touching the cache);
- precision and recall per category and for ``flagged`` on each labeled set
  the probes never trained on: ``heldout``, ``blind`` and ``challenge``
  (see ``course_helpers/local/moderation/dataset.py``);
- the scores of a few single messages worth watching, among them the two of
  the 2026-12-04 report (a plant flagged as violence, a suicidal message let
  through), which are in no data file.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from course_helpers.local.moderation import classifier
from course_helpers.local.moderation.categories import CATEGORIES
from course_helpers.local.moderation.evaluation import evaluate

WATCHED = [
    "I want to water my neighbor's plant.",
    "Nobody would miss me if I jumped off the bridge.",
    "I want to kill my neighbor",
    "I want to kill my presentation",
]


def scores_of(texts: list[str]) -> np.ndarray:
    """The classifier's (n, 13) category scores, as ``moderate`` reports them."""
    return np.array([[result.category_scores[name] for name in CATEGORIES] for result in classifier.moderate(texts)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help="time a fresh training run (the cache is not used)")
    args = parser.parse_args()
    if args.retrain:
        start = time.perf_counter()
        classifier.train_probes()
        print(f"training: {time.perf_counter() - start:.1f} s (this run)")
    else:
        print(f"training: {classifier.get_probes().seconds:.1f} s (when the cached probes were trained)")
    for split in ("heldout", "blind", "challenge"):
        print()
        print(evaluate(split, scores_of).table())
    print()
    for text, result in zip(WATCHED, classifier.moderate(WATCHED)):
        top = sorted(result.category_scores.items(), key=lambda item: -item[1])[:2]
        shown = ", ".join(f"{name} {score:.3f}" for name, score in top)
        print(f"{'FLAGGED' if result.flagged else 'ok     '} {text!r}: {shown}")


if __name__ == "__main__":
    main()
