"""Matrix products split over our own threads give the same numbers as one plain product."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.linear import Linear, matmul_transposed


@pytest.fixture(scope="module")
def weight():
    return np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)


@pytest.mark.parametrize("rows", [1, 3, 8])
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
