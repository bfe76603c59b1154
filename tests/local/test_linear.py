"""Matrix products in every mode (one core, our split, BLAS threads) give the numbers of one plain product."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.linear import MODES, Linear, ThreadTuner, matmul_transposed


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


@pytest.mark.parametrize("rows", [1, 3, 8, 20, 200])
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_the_plain_product(weight, rows, mode):
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32)
    linear = Linear(2)
    with linear.using(mode):
        out = linear(x, weight)
    assert out.shape == (rows, 1000) and out.dtype == np.float32 and out.flags.c_contiguous
    assert np.allclose(out, x @ weight.T, atol=1e-4)


def test_using_sets_blas_threads_and_restores_them():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    linear = Linear(2)
    with threadpool_limits(limits=2, user_api="blas"):
        with linear.using("one"):
            assert set(blas_threads()) == {1} and linear.mode == "one"
        with linear.using("blas"):
            assert set(blas_threads()) == {2} and linear.mode == "blas"
        assert set(blas_threads()) == {2} and linear.mode == "split"


def test_one_core_never_splits_nor_starts_blas_threads():
    linear = Linear(1)
    with linear.using("blas"):
        assert linear.mode == "one"
    with pytest.raises(ValueError, match="mode must be one of"):
        with linear.using("fast"):
            pass


def _run(tuner, batch, times):
    """Feed step times; return the mode each step ran in."""
    modes = []
    for seconds in times:
        modes.append(tuner.mode(batch))
        tuner.record(batch, seconds)
    return modes


def test_tuner_tries_every_mode_and_keeps_the_fastest():
    tuner = ThreadTuner(workers=2, period=100, trial=2)
    speed = {"split": 1.0, "blas": 0.6, "one": 0.9}
    modes = []
    for _ in range(12):
        mode = tuner.mode(batch=1)
        modes.append(mode)
        tuner.record(1, speed[mode])
    assert set(modes) == set(MODES)  # each was measured
    assert tuner.mode(batch=1) == "blas" and modes[-4:] == ["blas"] * 4
    speed = {"split": 0.5, "blas": 1.0, "one": 0.9}  # the machine changes: splitting now wins
    for _ in range(200):
        tuner.record(1, speed[tuner.mode(batch=1)])
    assert tuner.mode(batch=1) == "split"


def test_tuner_keeps_the_current_mode_unless_another_is_clearly_faster():
    tuner = ThreadTuner(workers=2, period=100, trial=2)
    assert _run(tuner, 1, [1.0, 1.0, 0.97, 0.97]) == ["blas", "blas", "split", "split"]
    assert tuner.mode(batch=1) == "blas"  # 3% faster is within noise


def test_tuner_chooses_per_batch_size():
    tuner = ThreadTuner(workers=2, period=100, trial=2)
    speed = {1: {"split": 1.0, "blas": 0.5, "one": 0.9}, 8: {"split": 0.7, "blas": 1.5, "one": 1.4}}
    for _ in range(12):
        for batch in (1, 8):
            tuner.record(batch, speed[batch][tuner.mode(batch)])
    assert tuner.choices() == {1: "blas", 8: "split"}
    assert tuner.mode(batch=7) == "split"  # a new size starts from the nearest one measured


def _trial_starts(modes):
    return [i for i, mode in enumerate(modes) if mode != "blas" and (i == 0 or modes[i - 1] == "blas")]


def test_tuner_tries_again_ever_less_often_while_nothing_changes():
    tuner = ThreadTuner(workers=2, period=10, trial=2)
    modes = _run(tuner, 1, [1.0] * 400)  # nothing is faster: it stays, trying now and then
    starts = _trial_starts(modes)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert modes.count("split") >= 4 and modes.count("one") >= 4
    assert gaps == sorted(gaps) and gaps[-1] > 3 * gaps[1]  # the waits grow...
    assert max(gaps) <= 16 * 10 + 2 * 2  # ...up to 16 periods
    assert tuner.mode(batch=1) == "blas"


def test_tuner_tries_at_once_when_the_steps_slow_down():
    tuner = ThreadTuner(workers=2, period=10, trial=2)
    _run(tuner, 1, [1.0] * 60)  # settled, next trial far away
    modes = _run(tuner, 1, [2.0] * 4)  # another program started: steps twice as slow
    assert "split" in modes or "one" in modes


def test_tuner_does_nothing_with_one_worker():
    tuner = ThreadTuner(workers=1, trial=1)
    assert set(_run(tuner, 1, [1.0] * 5)) == {"one"}


def test_one_row_gives_exactly_the_same_numbers_in_every_mode():
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((960, 576)).astype(np.float32)
    x = rng.standard_normal((1, 576)).astype(np.float32)
    linear = Linear(2)
    outputs = []
    for mode in MODES:
        with linear.using(mode):
            outputs.append(linear(x, weight))
    assert all(np.array_equal(outputs[0], out) for out in outputs[1:])


def test_modes_change_several_row_products_only_by_rounding():
    rng = np.random.default_rng(4)
    weight = rng.standard_normal((576, 576)).astype(np.float32)
    x = rng.standard_normal((6, 576)).astype(np.float32)
    linear = Linear(2)
    outputs = []
    for mode in MODES:
        with linear.using(mode):
            outputs.append(linear(x, weight))
    assert all(np.allclose(outputs[0], out, rtol=0, atol=1e-4) for out in outputs[1:])
