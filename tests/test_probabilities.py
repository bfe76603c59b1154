"""Tests for course_helpers/probabilities.py: softmax with temperature, top_p, perplexity, plots."""

from __future__ import annotations

import doctest

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_helpers import probabilities  # noqa: E402
from course_helpers.local import sampler  # noqa: E402
from course_helpers.probabilities import (  # noqa: E402
    perplexity,
    plot_distributions,
    sampling_probabilities,
    sequence_probability,
    softmax,
    top_p_filter,
)

TOY = np.array([0.6, 0.25, 0.1, 0.05])


def test_docstring_examples():
    assert doctest.testmod(probabilities).failed == 0


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 1.7, 2.0])
def test_softmax_adds_up_to_one(temperature):
    assert softmax([3.0, -1.0, 0.5, 0.5], temperature).sum() == pytest.approx(1.0)


def test_softmax_is_stable_for_huge_logits():
    assert np.all(np.isfinite(softmax([1000.0, 999.0, -1000.0])))


def test_temperature_one_on_log_probabilities_gives_them_back():
    assert softmax(np.log(TOY), 1.0) == pytest.approx(TOY)


def test_low_temperature_sharpens_and_high_flattens():
    assert softmax(np.log(TOY), 0.5)[0] > 0.6 > softmax(np.log(TOY), 2.0)[0]


def test_temperature_zero_is_greedy():
    assert softmax([0.1, 2.0, 1.0], 0).tolist() == [0.0, 1.0, 0.0]


def test_negative_temperature_is_refused():
    with pytest.raises(ValueError):
        softmax([0.0, 1.0], -1)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 1.8])
def test_softmax_matches_the_local_sampler(temperature):
    logits = np.array([2.0, 1.0, 0.1, -3.0], np.float32)
    expected = sampler.temperature_probabilities(logits, temperature)
    assert softmax(logits, temperature) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("top_p, kept", [(0.5, 1), (0.6, 1), (0.61, 2), (0.8, 2), (0.9, 3), (0.96, 4), (1.0, 4)])
def test_top_p_keeps_the_words_up_to_the_one_crossing_top_p(top_p, kept):
    assert np.count_nonzero(top_p_filter(TOY, top_p)) == kept


def test_top_p_renormalizes_and_keeps_positions():
    filtered = top_p_filter([0.1, 0.3, 0.2, 0.4], 0.65)
    assert filtered.tolist() == pytest.approx([0.0, 3 / 7, 0.0, 4 / 7])


@pytest.mark.parametrize("top_p", [0.3, 0.62, 0.9, 1.0])
def test_top_p_matches_the_local_sampler(top_p):
    probabilities = np.array([0.05, 0.6, 0.1, 0.25], np.float32)
    ids, probs = sampler.nucleus(probabilities, top_p)
    ours = top_p_filter(probabilities, top_p)
    assert sorted(np.flatnonzero(ours).tolist()) == sorted(ids.tolist())
    assert ours[ids] == pytest.approx(probs, abs=1e-6)


@pytest.mark.parametrize("top_p", [0.0, 1.5])
def test_top_p_out_of_range_is_refused(top_p):
    with pytest.raises(ValueError):
        top_p_filter(TOY, top_p)


def test_sampling_applies_temperature_before_top_p():
    # At temperature 2 the toy flattens, so top_p=0.5 keeps apple and banana; top_p first would keep apple only.
    assert np.count_nonzero(sampling_probabilities(np.log(TOY), 2.0, 0.5)) == 2


def test_sequence_probability_is_the_product():
    assert sequence_probability(np.log([0.5, 0.2, 0.9])) == pytest.approx(0.09)


def test_perplexity_of_a_uniform_choice_is_its_size():
    assert perplexity(np.log([0.1] * 7)) == pytest.approx(10.0)


def test_perplexity_of_nothing_is_refused():
    with pytest.raises(ValueError):
        perplexity([])


def test_plot_distributions_draws_one_bar_per_label_and_series():
    ax = plot_distributions([" positive", "b", "c"], {"x": [0.1, 0.2, 0.7], "y": [0.3, 0.3, 0.4]}, title="t")
    assert len(ax.patches) == 6
    assert ax.get_title() == "t"
    assert ax.get_xticklabels()[0].get_text() == "' positive'"  # a leading space stays visible
