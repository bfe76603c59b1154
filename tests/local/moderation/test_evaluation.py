"""Tests for course_helpers/local/moderation/evaluation.py: precision and recall of the verdicts."""

from __future__ import annotations

import math

import numpy as np

from course_helpers.local.moderation.categories import CATEGORIES
from course_helpers.local.moderation.dataset import load_examples
from course_helpers.local.moderation.evaluation import evaluate, precision_recall


def test_precision_and_recall_of_a_known_case():
    labels = np.array([1, 1, 1, 0, 0])
    predicted = np.array([1, 1, 0, 1, 0])
    assert precision_recall(labels, predicted) == (0.667, 0.667, 3)


def test_no_flag_has_no_precision_and_no_label_has_no_recall():
    precision, recall, count = precision_recall(np.array([0, 0]), np.array([0, 0]))
    assert math.isnan(precision) and math.isnan(recall) and count == 0


def test_perfect_scores_evaluate_to_one_and_the_table_names_every_labeled_category():
    _, labels = load_examples("challenge")
    result = evaluate("challenge", lambda texts: labels * 0.9)
    assert result.flagged[:2] == (1.0, 1.0) and result.accuracy == 1.0
    table = result.table()
    for c, name in enumerate(CATEGORIES):
        assert (name in table) == bool(labels[:, c].any())
