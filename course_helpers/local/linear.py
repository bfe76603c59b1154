"""Linear layers (``x @ weight.T``), and how the CPU's cores share them.

Decoding one token is a chain of about 120 matrix-vector products whose cost
is reading the weights from memory. Two cores read memory faster than one,
and there are two ways to put both to work:

- ``"blas"``: let the BLAS library (OpenBLAS under numpy) run its own threads
  in every product. Its threads spin while they wait for the next product, so
  they answer at once on a quiet machine, and lose badly when another program
  keeps the cores busy.
- ``"split"``: split each weight matrix into row blocks and hand one block to
  a helper thread of ours that stays alive, while the calling thread computes
  the other (BLAS at one thread in each; numpy releases the GIL during the
  products, so both run at once). Its threads sleep between products, which
  is polite to other programs but costs a wake-up per product (some 50 us
  on our 2-core AMD EPYC, hidden by giving the calling thread a larger part:
  ``Linear._split_few_rows``).

Or ``"one"``: a single core, BLAS at one thread.

And the same weights can be read in two layouts: GGUF's ``(out, in)``, where
a product is ``x @ weight.T``, or transposed, ``(in, out)``, where it is
``x @ weight`` (gguf_weights.py keeps both, the second in a file that is read
only if used). OpenBLAS reads them with different kernels. Measured on our
2-core AMD EPYC over all the model's matrices in a real decoding step: one
row with BLAS's threads, 41.5 ms (out, in) against 48.9 ms (in, out); 8 rows
126 against 102 ms, 16 rows 180 against 154; one row on one core 63 against
50 ms. So ``"one_in_out"`` and ``"blas_in_out"`` are modes too. (On a later
machine of the same kind, a Zen 4 EPYC: one row with BLAS's threads 20.7
against 18.7 ms, on one core 35.2 against 24.4 ms; 8 rows, "split" first.)

Which mode is fastest depends on the machine, on how many rows are
multiplied at once and on what else is running, so the scheduler's
``ThreadTuner`` (thread_tuner.py) measures it while decoding.

>>> linear = Linear(workers=1)
>>> linear(np.ones((1, 2), np.float32), np.array([[1, 2], [3, 4]], np.float32))
array([[3., 7.]], dtype=float32)

Used in: course_helpers/local/transformer.py, course_helpers/local/scheduler.py
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from typing import cast

import numpy as np

__all__ = ["Linear", "MODES", "matmul_transposed", "blocked_matmul"]

MODES = ("one", "split", "blas", "one_in_out", "blas_in_out")  # how the cores share the products, in which layout
_MIN_SPLIT_ROWS = 512  # smaller matrices are not worth a hand-off to another thread
_MAX_STREAMED_ROWS = 96  # up to this many input rows, weight @ x.T is the faster form
_MAX_BLOCKED_ROWS = 16  # up to this many input rows, weight blocks are faster still (see blocked_matmul)
_MAX_ROW_BY_ROW = 3  # with BLAS's threads, up to this many rows go faster one matrix-vector product each
# rows * in * block: products up to about this size run in OpenBLAS's fast kernels for small matrices; just
# above it they are packed first: on a 2-core AMD EPYC (Zen 4), 4 rows in blocks of 448 weight rows (1.03
# million multiply-adds, under 2**20) took 1.45x the time of blocks of 384 (all the model's matrices, one core)
_SMALL_PRODUCT = 10**6
_BALANCE_ROWS = 16  # weight rows moved at a time between our part and the helper's (see _split_few_rows)
_BLOCK_BYTES = 2**20  # a weight block should stay in the core's own cache (L2, 1-2 MB) while it is used


def matmul_transposed(x: np.ndarray, weight: np.ndarray, blocked: bool = True) -> np.ndarray:
    """``x @ weight.T`` for x (rows, in) and weight (out, in) -> (rows, out), contiguous.

    For a batch of a few rows, OpenBLAS is much faster at ``weight @ x.T``
    (measured here: 8 rows in 60% of the time, 32 rows in 80%) than at
    ``x @ weight.T``: the big matrix is then its left operand, which it
    streams instead of packing. From about 100 rows on (prompts), the plain
    form wins again (256 rows: 65% of the time). ``blocked``: take up to 16
    rows a weight block at a time (see blocked_matmul); that pays only when
    BLAS runs one thread, as its small-matrix kernels do. With BLAS's own
    threads, 2 or 3 rows go faster as one matrix-vector product per row
    (measured here over all the model's matrices: 2 rows in 34 ms against 48
    ms for ``weight @ x.T``, 3 rows in 42 against 55; 4 rows tie; the matrix
    read for the first row is still in the cache for the next).

    >>> matmul_transposed(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    rows = x.shape[0]
    if rows == 1 or rows > _MAX_STREAMED_ROWS:
        return x @ weight.T
    if blocked and rows <= _MAX_BLOCKED_ROWS:
        return blocked_matmul(x, weight)
    if rows <= _MAX_ROW_BY_ROW:  # one matrix-vector product per row: the matrix is still cached for the next
        out = np.empty((rows, weight.shape[0]), np.result_type(x, weight))
        for row in range(rows):
            np.matmul(weight, x[row], out=out[row])
        return out
    return np.ascontiguousarray((weight @ np.ascontiguousarray(x.T)).T)


def blocked_matmul(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x @ weight.T`` for a few rows of x, taking the weight a block of rows at a time.

    OpenBLAS multiplies small matrices (about a million multiply-adds or
    fewer) with kernels that read them as they are; for larger ones it first
    copies ("packs") the big matrix, which for a handful of rows costs about
    as much as the multiplication itself. And a block that fits in the core's
    own cache is read from memory once, however many rows use it. Measured
    here over all the model's matrices, one BLAS thread: 2 rows in 1.05x the
    time of one row's matrix-vector products with blocks of at most 1 MB,
    1.7x with blocks of 2 MB (the cache's whole size). Blocks are whole
    64-row tiles.

    The blocks are one numpy call, a stack of products (the weight viewed as
    (blocks, block, in)), not a Python loop: numpy then holds the GIL once per
    matrix instead of once per block, which matters when our helper thread
    multiplies the other half of the matrix at the same time ("split" mode):
    measured on a 2-core AMD EPYC (Zen 4) over all the model's matrices, 8
    rows, each half in its own thread: 29.5 ms stacked against 33-41 ms with
    a loop over the blocks (one half alone: 28-29 ms either way).
    x: (rows, in), weight: (out, in) -> (rows, out), contiguous

    >>> blocked_matmul(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    x_t = np.ascontiguousarray(x.T)  # (in, rows)
    out = np.empty((weight.shape[0], x.shape[0]), np.result_type(x, weight))  # (out, rows)
    blocks_into(x_t, weight, out)
    return np.ascontiguousarray(out.T)


def blocks_into(x_t: np.ndarray, weight: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = weight @ x_t``, a cache-sized block of weight rows at a time (see blocked_matmul).

    x_t: (in, rows), contiguous; weight: (out, in); out: (out, rows), contiguous. One row is one
    matrix-vector product, which needs no blocks.
    """
    d_in, rows = x_t.shape
    height = weight.shape[0]
    if rows == 1:
        np.matmul(weight, x_t[:, 0], out=out[:, 0])
        return
    fits = min(_SMALL_PRODUCT // (rows * d_in), _BLOCK_BYTES // (d_in * weight.itemsize))
    block = max(64, fits // 64 * 64)  # weight rows per product
    whole = height // block * block  # rows in whole blocks
    if whole and weight.flags.c_contiguous:  # a view as (blocks, block, in), no copy
        np.matmul(weight[:whole].reshape(-1, block, d_in), x_t, out=out[:whole].reshape(-1, block, rows))
    else:
        whole = 0
    for start in range(whole, height, block):  # what is left, or every block of a strided weight
        np.matmul(weight[start : start + block], x_t, out=out[start : start + block])


class _Helper(threading.Thread):
    """A thread that computes one part of a product whenever it is handed one."""

    def __init__(self):
        super().__init__(name="course-engine-linear", daemon=True)
        self._go = threading.Event()
        self._done = threading.Event()
        self._task: tuple | None = None
        self._result = None
        self._error: BaseException | None = None
        self.finished = 0.0  # time.perf_counter() when the last part was done
        self.start()

    def submit(self, function, *args) -> None:
        """Start ``function(*args)`` on this thread."""
        self._task = (function, args)
        self._done.clear()
        self._go.set()

    def outcome(self) -> tuple[np.ndarray | None, BaseException | None]:
        """Wait for the part; what the function returned, or the error it raised."""
        self._done.wait()
        outcome = (self._result, self._error)
        self._result = self._error = None
        return outcome

    def run(self) -> None:
        while True:
            self._go.wait()
            self._go.clear()
            function, args = cast(tuple, self._task)
            try:
                self._result = function(*args)
            except BaseException as error:  # handed back to the caller by outcome()
                self._error = error
            self._task = None
            self.finished = time.perf_counter()
            self._done.set()


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # finding the BLAS libraries takes a few ms: once per process


class Linear:
    """``x @ weight.T`` for (rows, in) inputs and (out, in) weights, on ``workers`` cores.

    ``mode`` (one of MODES) says how the cores share a product; set it for a
    stretch of work with ``using(mode)``, which also sets BLAS's threads.
    ``in_out``: the transposed weights, by ``id()`` of each ``(out, in)``
    weight (``ModelWeights.in_out``), for the "_in_out" modes; a weight
    without one is multiplied in its own layout.
    Only one thread at a time may call a given ``Linear`` (the engine's
    decoding thread does); a second one gets a RuntimeError, never a silently
    mixed-up product.
    """

    def __init__(self, workers: int = 1, in_out: dict[int, np.ndarray] | None = None):
        self.workers = max(1, int(workers))
        self.in_out = in_out or {}
        self._helpers = [_Helper() for _ in range(self.workers - 1)]
        self._bounds: dict[int, list[int]] = {}  # rows of each block, per matrix height
        self._own_rows: dict[tuple[int, ...], int] = {}  # our part with one helper, per (out, in, input rows)
        self._in_use = threading.Lock()  # held during a product: a second caller is an error
        self.mode = "split" if self.workers > 1 else "one"

    def modes(self) -> tuple[str, ...]:
        """The modes worth measuring here: those with several cores only if there are, "_in_out" only with its weights.

        In the order the tuner tries them at a new batch size (likeliest fastest first, as measured here:
        BLAS's threads in either layout, then our split, then one core), so a short run still finds the best.
        """
        several = ("blas", "blas_in_out", "split", "one_in_out", "one") if self.workers > 1 else ("one", "one_in_out")
        return tuple(mode for mode in several if self.in_out or not mode.endswith("_in_out"))

    @contextlib.contextmanager
    def using(self, mode: str):
        """Run the products in ``mode`` inside the ``with`` block (BLAS's threads restored after)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if self.workers == 1:  # one core: BLAS's threads and our split are one core too
            mode = "one_in_out" if mode.endswith("_in_out") else "one"
        previous, self.mode = self.mode, mode
        blas_threads = self.workers if self.mode.startswith("blas") else 1
        try:
            with _blas_controller().limit(limits=blas_threads, user_api="blas"):
                yield self
        finally:
            self.mode = previous

    def __call__(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        if not self._in_use.acquire(blocking=False):
            raise RuntimeError(
                "a Linear was called from two threads at once; run the model on one thread "
                "(the engine's decoding thread: Engine.generate, Engine.hidden_states)"
            )
        try:
            return self._product(x, weight)
        finally:
            self._in_use.release()

    def _product(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        if self.mode.endswith("_in_out") and id(weight) in self.in_out:
            return x @ self.in_out[id(weight)]  # (rows, in) @ (in, out)
        rows_out = weight.shape[0]
        if self.mode != "split" or rows_out < _MIN_SPLIT_ROWS:
            return matmul_transposed(x, weight, blocked=not self.mode.startswith("blas"))
        bounds = self._bounds.get(rows_out)
        if bounds is None:
            tiles = -(-rows_out // 64)  # blocks of whole 64-row tiles (cache-line and kernel friendly)
            bounds = [min(rows_out, 64 * (tiles * i // self.workers)) for i in range(self.workers + 1)]
            self._bounds[rows_out] = bounds
        if x.shape[0] <= _MAX_BLOCKED_ROWS:  # decoding: every part written into one output, no concatenation
            return self._split_few_rows(x, weight, bounds)
        tasks = [(matmul_transposed, x, weight[start:stop]) for start, stop in zip(bounds[1:-1], bounds[2:])]
        own, theirs = self._in_parts(lambda: matmul_transposed(x, weight[: bounds[1]]), tasks)
        return np.concatenate([own, *theirs], axis=1)  # (rows, block) each

    def _in_parts(self, own, tasks: list[tuple]) -> tuple:
        """``own()`` on this thread while helper i runs ``tasks[i]`` (a function and its arguments).

        Returns what own() returned and the list of what the helpers' functions returned. Every helper
        has finished when this returns, even if a part failed (its error is raised then), so none is
        still busy when it gets its next task.
        """
        for helper, task in zip(self._helpers, tasks):
            helper.submit(*task)
        try:
            result = own()
        finally:
            outcomes = [helper.outcome() for helper in self._helpers]
        for _, error in outcomes:
            if error is not None:
                raise error
        return result, [theirs for theirs, _ in outcomes]

    def _split_few_rows(self, x: np.ndarray, weight: np.ndarray, bounds: list[int]) -> np.ndarray:
        """A split product of a few rows, each part written into one output.

        With one helper, how many weight rows the calling thread takes is
        balanced as it goes, per matrix shape and row count: a helper starts
        its part some 50 us after it is handed it (it must wake up and get the
        GIL), and the caller that then waits for it must wake up too. So the
        caller takes 16 rows more whenever it had to wait, and 16 fewer when
        the helper sat idle for longer than 16 rows take; the caller then ends
        just after the helper. Measured on a 2-core AMD EPYC (Zen 4), 8 rows,
        best share per matrix shape against halves in 64-row tiles: the
        576 x 576 matrices 4.6 -> 3.6 ms a step, the 576 x 1536 ones 7.9 -> 6.4.
        """
        rows_out, rows = weight.shape[0], x.shape[0]
        balanced, key = len(self._helpers) == 1, (rows_out, weight.shape[1], rows)
        own = self._own_rows.get(key, bounds[1]) if balanced else bounds[1]
        x_t = np.ascontiguousarray(x.T)  # (in, rows)
        out = np.empty((rows_out, rows), np.result_type(x, weight))  # (out, rows)
        parts = [own, *bounds[2:]] if balanced else bounds[1:]  # where each helper's part starts and stops
        tasks = [(blocks_into, x_t, weight[a:b], out[a:b]) for a, b in zip(parts, parts[1:])]

        def own_part() -> tuple[float, float]:
            started = time.perf_counter()
            blocks_into(x_t, weight[:own], out[:own])
            return started, time.perf_counter()

        (started, ended), _ = self._in_parts(own_part, tasks)
        if balanced:
            idle = ended - self._helpers[0].finished  # < 0: we waited for the helper
            step = (ended - started) * _BALANCE_ROWS / max(own, 1)  # the time our 16 rows took
            if idle < 0:
                own = min(own + _BALANCE_ROWS, rows_out - _BALANCE_ROWS)
            elif idle > 1.5 * step:
                own = max(own - _BALANCE_ROWS, _BALANCE_ROWS)
            self._own_rows[key] = own
        return np.ascontiguousarray(out.T)
