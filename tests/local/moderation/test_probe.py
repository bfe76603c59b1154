"""Tests for course_helpers/local/moderation/probe.py: logistic probes in numpy."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.moderation.probe import (
    calibration_table,
    fit_logistic,
    fit_probe,
    fold_ids,
    log_loss,
    out_of_fold,
    sigmoid,
)


def _synthetic(n: int = 600, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features and labels drawn from a known logistic model, so calibration can be checked."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, d))
    true_weights = np.array([2.0, -1.0, 0.5, 0.0, 0.0])[:d]
    probabilities = sigmoid(features @ true_weights - 0.5)
    labels = (rng.random(n) < probabilities).astype(float)
    return features, labels, probabilities


def test_sigmoid_is_stable_at_extremes():
    values = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert values.tolist() == [0.0, 0.5, 1.0]


def test_fit_logistic_recovers_the_weights_of_a_known_model():
    features, labels, _ = _synthetic(n=4000)
    weights, bias = fit_logistic(features, labels, l2=1e-4)
    assert weights == pytest.approx([2.0, -1.0, 0.5, 0.0, 0.0], abs=0.15)
    assert bias == pytest.approx(-0.5, abs=0.15)


def test_fit_logistic_is_deterministic():
    features, labels, _ = _synthetic()
    first = fit_logistic(features, labels, l2=0.1)
    second = fit_logistic(features, labels, l2=0.1)
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]


def test_l2_shrinks_the_weights():
    features, labels, _ = _synthetic()
    loose, _ = fit_logistic(features, labels, l2=1e-3)
    tight, _ = fit_logistic(features, labels, l2=1.0)
    assert np.linalg.norm(tight) < 0.6 * np.linalg.norm(loose)


def test_separable_data_gives_finite_weights_with_l2():
    features = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    weights, bias = fit_logistic(features, np.array([0, 0, 1, 1]), l2=0.01)
    assert np.all(np.isfinite(weights)) and np.isfinite(bias)


def test_probe_standardizes_features_of_any_scale():
    features, labels, _ = _synthetic()
    plain = fit_probe(features, labels, l2=0.1).predict(features)
    scaled = fit_probe(features * 1000.0 + 5.0, labels, l2=0.1).predict(features * 1000.0 + 5.0)
    assert scaled == pytest.approx(plain, abs=1e-6)


def test_out_of_fold_scores_are_calibrated_on_a_known_model():
    features, labels, _ = _synthetic(n=3000)
    scores = out_of_fold(features, labels[:, None], fold_ids(labels, 5), l2=0.01)[:, 0]
    for predicted, observed, count in calibration_table(labels, scores, bins=5):
        if count >= 100:
            assert observed == pytest.approx(predicted, abs=0.08)
    assert log_loss(labels, scores) < log_loss(labels, np.full(len(labels), labels.mean()))


def test_fold_ids_spread_rare_labels_over_the_folds():
    labels = np.zeros((100, 2))
    labels[:10, 0] = 1  # a rare category: 10 examples
    folds = fold_ids(labels, 5)
    assert np.bincount(folds[labels[:, 0] == 1], minlength=5).tolist() == [2, 2, 2, 2, 2]
    assert np.bincount(folds, minlength=5).tolist() == [20, 20, 20, 20, 20]


def test_log_loss_of_certain_right_answers_is_near_zero():
    assert log_loss(np.array([1, 0]), np.array([1.0, 0.0])) < 1e-9
