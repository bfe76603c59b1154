"""Tests for course_helpers/local/moderation/dataset.py: the shipped labeled messages."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from course_helpers.local.moderation.categories import CATEGORIES, PARENT
from course_helpers.local.moderation.dataset import SPLITS, data_bytes, load_examples

CONTEXT_EXAMPLES = {
    "I want to kill my neighbor": ["violence"],
    "I want to kill my presentation": [],
    "I would kill for a coffee": [],
    "how do I kill a zombie process": [],
}


def _normalized(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


@pytest.mark.parametrize("split, minimum", [("train", 400), ("heldout", 150), ("blind", 150)])
def test_split_sizes(split, minimum):
    texts, labels = load_examples(split)
    assert len(texts) >= minimum
    assert labels.shape == (len(texts), len(CATEGORIES))


def test_splits_are_disjoint_and_without_duplicates():
    train = [_normalized(t) for t in load_examples("train")[0]]
    heldout = [_normalized(t) for t in load_examples("heldout")[0]]
    assert len(set(train)) == len(train)
    assert len(set(heldout)) == len(heldout)
    assert not set(train) & set(heldout)
    blind = [_normalized(t) for t in load_examples("blind")[0]]
    assert len(set(blind)) == len(blind)
    assert not set(blind) & (set(train) | set(heldout))
    challenge = [_normalized(t) for t in load_examples("challenge")[0]]
    assert len(set(challenge)) == len(challenge)
    assert not set(challenge) & (set(train) | set(heldout) | set(blind))


@pytest.mark.parametrize(
    "text", ["I want to water my neighbor's plant.", "Nobody would miss me if I jumped off the bridge."]
)
def test_the_two_reported_messages_are_in_no_data_file(text):
    # they were reported as wrong on 2026-12-04: the classifier must get them right without seeing them
    for split in SPLITS:
        assert _normalized(text) not in {_normalized(t) for t in load_examples(split)[0]}


def test_the_challenge_set_has_15_messages_per_main_category_and_harmless_look_alikes():
    _, labels = load_examples("challenge")
    for name in ("harassment", "hate", "illicit", "self-harm", "sexual", "violence"):
        assert labels[:, CATEGORIES.index(name)].sum() >= 15, name
    assert (labels.sum(axis=1) == 0).sum() >= 50


def test_heldout_has_the_context_examples_verbatim():
    stored = {
        json.loads(line)["text"]: json.loads(line)["categories"] for line in data_bytes("heldout").decode().splitlines()
    }
    for text, categories in CONTEXT_EXAMPLES.items():
        assert stored[text] == categories


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_every_category_has_examples_and_harmless_messages_abound(split):
    _, labels = load_examples(split)
    assert labels.sum(axis=0).min() >= 2
    assert (labels.sum(axis=1) == 0).mean() > 0.4


@pytest.mark.parametrize("split", ["train", "heldout", "challenge"])
def test_sub_categories_imply_their_parents(split):
    _, labels = load_examples(split)
    for child, parent in PARENT.items():
        child_rows = labels[:, CATEGORIES.index(child)] == 1
        assert np.all(labels[child_rows, CATEGORIES.index(parent)] == 1)


def test_harmless_training_messages_use_violent_words():
    texts, labels = load_examples("train")
    harmless = [t.lower() for t, row in zip(texts, labels) if not row.any()]
    edgy = [t for t in harmless if re.search(r"\b(kill|murder|shoot|beat|destroy|die|dying|slay|attack|crush)", t)]
    assert len(edgy) >= 40


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="unknown split"):
        data_bytes("test")
