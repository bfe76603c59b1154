"""Matrix products in every mode (one core, our split, BLAS threads; either layout) give the numbers of one plain product."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from course_helpers.local.linear import MODES, Linear, blocked_matmul, matmul_transposed


@pytest.fixture(scope="module")
def weight():
    return np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)


def with_transposed(workers: int, *weights: np.ndarray) -> Linear:
    """A Linear that also has these weights transposed, (in, out), as the engine's has all of them."""
    return Linear(workers, {id(w): np.ascontiguousarray(w.T) for w in weights})


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


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 8, 20, 200])
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_the_plain_product(weight, rows, mode):
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32)
    linear = with_transposed(2, weight)
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


def test_one_row_gives_exactly_the_same_numbers_in_every_mode_of_one_layout():
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((960, 576)).astype(np.float32)
    x = rng.standard_normal((1, 576)).astype(np.float32)
    linear = with_transposed(2, weight)
    outputs = {}
    for mode in MODES:
        with linear.using(mode):
            outputs[mode] = linear(x, weight)
    assert np.array_equal(outputs["one"], outputs["split"]) and np.array_equal(outputs["one"], outputs["blas"])
    assert np.array_equal(outputs["one_in_out"], outputs["blas_in_out"])
    assert np.allclose(outputs["one"], outputs["one_in_out"], rtol=0, atol=1e-4)  # the other layout: rounding only


def test_the_in_out_modes_read_the_transposed_weights():
    weight = np.ones((128, 4), np.float32)
    linear = Linear(1, {id(weight): np.full((4, 128), 2.0, np.float32)})  # a stand-in that shows which was read
    with linear.using("one_in_out"):
        assert linear(np.ones((1, 4), np.float32), weight)[0, 0] == 8.0
        other = np.ones((128, 4), np.float32)  # no transposed copy: multiplied as it is
        assert linear(np.ones((1, 4), np.float32), other)[0, 0] == 4.0
    with linear.using("one"):
        assert linear(np.ones((1, 4), np.float32), weight)[0, 0] == 4.0


def test_modes_change_several_row_products_only_by_rounding():
    rng = np.random.default_rng(4)
    weight = rng.standard_normal((576, 576)).astype(np.float32)
    x = rng.standard_normal((6, 576)).astype(np.float32)
    linear = with_transposed(2, weight)
    outputs = []
    for mode in MODES:
        with linear.using(mode):
            outputs.append(linear(x, weight))
    assert all(np.allclose(outputs[0], out, rtol=0, atol=1e-4) for out in outputs[1:])


# a few rows (decoding) are split with blocks_into, more (prompts) with matmul_transposed
SPLIT_PARTS = [("blocks_into", 2), ("matmul_transposed", 20)]


@pytest.mark.parametrize("part, rows", SPLIT_PARTS)
def test_a_second_thread_gets_an_error_not_a_mixed_up_product(weight, monkeypatch, part, rows):
    import course_helpers.local.linear as linear_module

    inside, release = threading.Event(), threading.Event()
    plain = getattr(linear_module, part)

    def slow_first_block(*args):
        if threading.current_thread() is first:
            inside.set()
            release.wait(10)
        return plain(*args)

    monkeypatch.setattr(linear_module, part, slow_first_block)
    linear = Linear(2)
    x = np.ones((rows, 64), np.float32)
    results = []
    first = threading.Thread(target=lambda: results.append(linear(x, weight)))
    first.start()
    assert inside.wait(10)
    with pytest.raises(RuntimeError, match="two threads at once"):
        linear(x, weight)
    release.set()
    first.join(10)
    assert np.allclose(results[0], x @ weight.T, atol=1e-4)
    assert np.allclose(linear(x, weight), x @ weight.T, atol=1e-4)  # usable afterwards


@pytest.mark.parametrize("part, rows", SPLIT_PARTS)
def test_a_failing_own_block_still_waits_for_the_helper(weight, monkeypatch, part, rows):
    import course_helpers.local.linear as linear_module

    plain = getattr(linear_module, part)
    caller = threading.current_thread()
    calls = []

    def own_block_fails_once(*args):
        if threading.current_thread() is caller and not calls:
            calls.append(1)
            raise MemoryError("pretend")
        return plain(*args)

    monkeypatch.setattr(linear_module, part, own_block_fails_once)
    linear = Linear(2)
    x = np.random.default_rng(5).standard_normal((rows, 64)).astype(np.float32)
    with pytest.raises(MemoryError):
        linear(x, weight)
    assert calls  # the part under test was the one that failed
    for _ in range(20):  # the helper was idle again before its next block: every product is right
        assert np.allclose(linear(x, weight), x @ weight.T, atol=1e-4)


@pytest.mark.parametrize("rows", [1, 2, 8, 16])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_a_wide_matrix_in_cache_sized_blocks_gives_the_plain_product(rows, layout):
    # 2048 inputs: blocks of 64 weight rows, a stack of 15 of them and 40 rows left over; an
    # F-ordered weight cannot be viewed as a stack and goes block by block
    wide = np.asarray(np.random.default_rng(rows).standard_normal((1000, 2048)), np.float32, order=layout)
    x = np.random.default_rng(rows + 1).standard_normal((rows, 2048)).astype(np.float32)
    for out in (blocked_matmul(x, wide), Linear(2)(x, wide)):
        assert out.shape == (rows, 1000) and out.flags.c_contiguous
        assert np.allclose(out, x @ wide.T, atol=1e-3)


def test_two_or_three_rows_with_blas_threads_give_each_row_its_own_product(weight):
    x = np.random.default_rng(5).standard_normal((3, 64)).astype(np.float32)
    linear = Linear(2)
    with linear.using("blas"):
        together = linear(x, weight)
        alone = [linear(x[i : i + 1], weight)[0] for i in range(3)]
    assert np.array_equal(together, np.stack(alone))  # the same numbers as decoding each row alone


@pytest.mark.parametrize("slow", ["helper", "caller"])
def test_the_split_moves_rows_away_from_the_slower_thread(weight, monkeypatch, slow):
    import time

    import course_helpers.local.linear as linear_module

    plain = linear_module.blocks_into
    caller = threading.current_thread()

    def slowed(*args):
        if (threading.current_thread() is caller) == (slow == "caller"):
            time.sleep(0.005)  # another program on this core, say
        return plain(*args)

    monkeypatch.setattr(linear_module, "blocks_into", slowed)
    linear = Linear(2)
    x = np.random.default_rng(7).standard_normal((4, 64)).astype(np.float32)
    for _ in range(12):
        assert np.allclose(linear(x, weight), x @ weight.T, atol=1e-4)  # right whichever the share
    own = linear._own_rows[(1000, 64, 4)]
    first = 64 * (16 // 2)  # halves of whole 64-row tiles to start with: 512 of 1000 rows
    assert own > first + 100 if slow == "helper" else own < first - 100
