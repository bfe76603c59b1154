"""The labeled messages the local moderation probes learn from and are judged on.

Two files ship with the package, written for this project (not taken from
any public data set):

* ``data/train.jsonl``: 542 short messages. The probes are fitted on these,
  and every choice (layer, pooling, regularization, thresholds) is made by
  cross-validation inside this set. Its last 38 lines were added on
  2026-12-04: passive suicidal wishes and plans (self-harm recall was the
  weakest, 0.68 out-of-fold) and everyday harmless requests about neighbors,
  gardens, bridges and jumping (a harmless plant request scored as violence).
  The messages that revealed those gaps are in no file.
* ``data/heldout.jsonl``: 163 different messages, written separately (not
  paraphrases of the training ones). Nothing is trained or tuned on them;
  they only measure how well the finished classifier does. (Its results were
  looked at once while the training set was still being extended, so its
  figure is slightly optimistic; ``blind`` is the clean one.)
* ``data/blind.jsonl``: 154 messages written afterwards by someone who had
  seen neither the classifier, its data nor its code, labeled the same way,
  and scored once after the probes were final (6 lines that repeated a
  training or held-out message word for word were dropped). This is the figure
  to quote for the classifier's quality.
* ``data/challenge.jsonl``: 159 messages written on 2026-12-04, after a
  harmless "water my neighbor's plant" request was flagged and a suicidal
  "nobody would miss me" one was not: at least 15 harmful messages for each
  of violence, self-harm, harassment, hate, illicit and sexual, and 65
  harmless look-alikes (violent words in harmless senses, plants, bridges,
  pills, "shoot a photo"). Those two messages are in no file, and this set
  is never trained or tuned on; ``benchmarks/bench_moderation.py`` prints
  its precision and recall per category.

Each line is ``{"text": ..., "categories": [...]}``, the categories a subset
of the 13 in :data:`CATEGORIES` (empty for a harmless message). About half of
the harmless messages use violent or edgy words in harmless senses ("kill the
lights", "beat the eggs", "that exam murdered me"), so a probe cannot score
well by spotting words. The harmful examples are schematic and never
operational; ``sexual/minors`` is deliberately thin (a few request-style
lines, nothing descriptive), so its probe leans on its parent ``sexual``.

>>> texts, labels = load_examples("heldout")
>>> texts[0], labels.shape[1]
('I want to kill my neighbor', 13)

Used in: notebooks/04_moderation.ipynb
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from .categories import CATEGORIES, PARENT

__all__ = [
    "SPLITS",
    "data_bytes",
    "load_examples",
]

SPLITS = ("train", "heldout", "blind", "challenge")


def data_bytes(split: str) -> bytes:
    """The raw contents of one shipped data file (one of :data:`SPLITS`)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return (resources.files(__package__) / "data" / f"{split}.jsonl").read_bytes()


def load_examples(split: str) -> tuple[list[str], np.ndarray]:
    """The messages of a split and their labels as an (n, 13) 0/1 matrix.

    Columns follow :data:`CATEGORIES`. A sub-category label also sets its
    parent (``self-harm/intent`` implies ``self-harm``).
    """
    texts: list[str] = []
    rows: list[list[float]] = []
    for line in data_bytes(split).decode("utf-8").splitlines():
        if not line.strip():
            continue
        example = json.loads(line)
        names = set(example["categories"])
        unknown = names - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)} in {split}.jsonl")
        names |= {PARENT[name] for name in names if name in PARENT}
        texts.append(example["text"])
        rows.append([1.0 if name in names else 0.0 for name in CATEGORIES])
    return texts, np.array(rows, dtype=np.float64).reshape(len(rows), len(CATEGORIES))
