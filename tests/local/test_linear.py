"""Matrix products split over our own threads give the same numbers as one plain product."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.linear import Linear, SplitTuner, matmul_transposed


@pytest.fixture(scope="module")
def weight():
    return np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)


@pytest.mark.parametrize("rows", [1, 3, 8, 200])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_split_product_equals_plain_product(weight, rows, workers):
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32)
    out = Linear(workers)(x, weight)
    assert out.shape == (rows, 1000) and out.dtype == np.float32 and out.flags.c_contiguous
    assert np.allclose(out, x @ weight.T, atol=1e-4)


def test_small_matrices_are_not_split():
    weight = np.ones((4, 3), np.float32)
    assert Linear(2)(np.ones((1, 3), np.float32), weight).tolist() == [[3.0] * 4]


def test_helper_errors_reach_the_caller(weight):
    linear = Linear(2)
    with pytest.raises(ValueError):
        linear(np.ones((2, 65), np.float32), weight)  # wrong inner size
    x = np.ones((2, 64), np.float32)
    assert np.allclose(linear(x, weight), x @ weight.T, atol=1e-4)  # still usable afterwards


def test_batched_form_is_contiguous_float32():
    out = matmul_transposed(np.ones((5, 2), np.float32), np.ones((3, 2), np.float32))
    assert out.flags.c_contiguous and out.dtype == np.float32 and out.shape == (5, 3)


def test_tuner_keeps_splitting_when_it_is_faster():
    tuner = SplitTuner(Linear(2), period=4, trial=2, first_trial=2)
    for seconds in [1.0, 1.0, 2.0, 2.0]:  # the trial without splitting was slower
        tuner.record(batch=1, seconds=seconds)
    assert tuner.linear.split


def test_tuner_abandons_a_trial_when_the_batch_changes():
    tuner = SplitTuner(Linear(2), period=4, trial=2, first_trial=2)
    tuner.record(batch=1, seconds=1.0)
    tuner.record(batch=1, seconds=1.0)
    assert not tuner.linear.split  # trying one thread
    tuner.record(batch=3, seconds=0.1)
    assert tuner.linear.split  # back to the setting that was measured


def test_tuner_does_nothing_with_one_worker():
    tuner = SplitTuner(Linear(1), first_trial=1, trial=1)
    for _ in range(5):
        tuner.record(batch=1, seconds=1.0)
    assert not tuner.linear.split


def test_one_row_split_gives_exactly_the_unsplit_numbers():
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((960, 576)).astype(np.float32)
    x = rng.standard_normal((1, 576)).astype(np.float32)
    split, plain = Linear(2), Linear(2)
    plain.split = False
    assert np.array_equal(split(x, weight), plain(x, weight))


def test_tuner_switch_changes_several_row_products_only_by_rounding():
    rng = np.random.default_rng(4)
    weight = rng.standard_normal((576, 576)).astype(np.float32)
    x = rng.standard_normal((6, 576)).astype(np.float32)
    tuned_off, default = Linear(2), Linear(2)
    tuned_off.split = False
    assert np.allclose(tuned_off(x, weight), default(x, weight), rtol=0, atol=1e-4)
