"""Linear layers (``x @ weight.T``), optionally split across CPU cores by our own threads.

Decoding one token is a chain of matrix-vector products whose cost is reading
the weights from memory. Two cores read memory faster than one, but letting
the BLAS library start its threads for each of the ~120 small products of a
token costs more than it saves (its threads also spin, and lose badly when
another program is busy). So ``Linear`` splits each weight matrix into row
blocks, once per product hands one block to a helper thread that stays alive,
computes the other block itself (BLAS limited to one thread), and joins the
two halves. numpy releases the GIL during the products, so both run at once.

>>> linear = Linear(workers=1)
>>> linear(np.ones((1, 2), np.float32), np.array([[1, 2], [3, 4]], np.float32))
array([[3., 7.]], dtype=float32)

Used in: course_helpers/local/transformer.py
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["Linear", "SplitTuner", "matmul_transposed", "blocked_matmul"]

_MIN_SPLIT_ROWS = 512  # smaller matrices are not worth a hand-off to another thread
_MAX_STREAMED_ROWS = 96  # up to this many input rows, weight @ x.T is the faster form
_MAX_BLOCKED_ROWS = 16  # up to this many input rows, weight blocks are faster still (see blocked_matmul)
_SMALL_PRODUCT = 2**20  # rows * in * block: products up to this size are OpenBLAS's fast "small" ones


def matmul_transposed(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x @ weight.T`` for x (rows, in) and weight (out, in) -> (rows, out), contiguous.

    For a batch of a few rows, OpenBLAS is much faster at ``weight @ x.T``
    (measured here: 8 rows in 60% of the time, 32 rows in 80%) than at
    ``x @ weight.T``: the big matrix is then its left operand, which it
    streams instead of packing. From about 100 rows on (prompts), the plain
    form wins again (256 rows: 65% of the time).

    >>> matmul_transposed(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    if x.shape[0] == 1 or x.shape[0] > _MAX_STREAMED_ROWS:
        return x @ weight.T
    if x.shape[0] <= _MAX_BLOCKED_ROWS:
        return blocked_matmul(x, weight)
    return np.ascontiguousarray((weight @ np.ascontiguousarray(x.T)).T)


def blocked_matmul(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x @ weight.T`` for a few rows of x, taking the weight a block of rows at a time.

    Measured here over all the model's matrices, one BLAS thread: 8 rows took
    75% of the time of one ``weight @ x.T``, 2 rows 55%, 16 rows 95%. OpenBLAS
    multiplies small matrices (about a million multiply-adds or fewer) with
    kernels that read them as they are; for larger ones it first copies
    ("packs") the big matrix, which for a handful of rows costs about as much
    as the multiplication itself. Blocks are whole 64-row tiles.
    x: (rows, in), weight: (out, in) -> (rows, out), contiguous

    >>> blocked_matmul(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    rows, d_in = x.shape
    block = max(64, _SMALL_PRODUCT // (rows * d_in) // 64 * 64)  # weight rows per product
    x_t = np.ascontiguousarray(x.T)  # (in, rows)
    out = np.empty((weight.shape[0], rows), np.result_type(x, weight))  # (out, rows)
    for start in range(0, weight.shape[0], block):
        np.matmul(weight[start:start + block], x_t, out=out[start:start + block])
    return np.ascontiguousarray(out.T)


class _Helper(threading.Thread):
    """A thread that computes one block of a product whenever it is handed one."""

    def __init__(self):
        super().__init__(name="course-engine-linear", daemon=True)
        self._go = threading.Event()
        self._done = threading.Event()
        self._task = None
        self._result = None
        self._error: BaseException | None = None
        self.start()

    def submit(self, x: np.ndarray, weight_block: np.ndarray) -> None:
        self._task = (x, weight_block)
        self._done.clear()
        self._go.set()

    def result(self) -> np.ndarray:
        self._done.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._result

    def run(self) -> None:
        while True:
            self._go.wait()
            self._go.clear()
            x, weight_block = self._task
            try:
                self._result = matmul_transposed(x, weight_block)
            except BaseException as error:  # handed back to the caller by result()
                self._error = error
            self._task = None
            self._done.set()


class Linear:
    """``x @ weight.T`` for (rows, in) inputs and (out, in) weights, on ``workers`` threads.

    Only one thread at a time may call a given ``Linear`` (the engine's
    decoding thread does).
    """

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self._helpers = [_Helper() for _ in range(self.workers - 1)]
        self._bounds: dict[int, list[int]] = {}  # rows of each block, per matrix height
        self.split = self.workers > 1  # SplitTuner turns this off while splitting does not pay

    def __call__(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        rows_out = weight.shape[0]
        if not self.split or rows_out < _MIN_SPLIT_ROWS:
            return matmul_transposed(x, weight)
        bounds = self._bounds.get(rows_out)
        if bounds is None:
            tiles = -(-rows_out // 64)  # blocks of whole 64-row tiles (cache-line and kernel friendly)
            bounds = [min(rows_out, 64 * (tiles * i // self.workers)) for i in range(self.workers + 1)]
            self._bounds[rows_out] = bounds
        for helper, start, stop in zip(self._helpers, bounds[1:-1], bounds[2:]):
            helper.submit(x, weight[start:stop])
        parts = [matmul_transposed(x, weight[: bounds[1]])]  # (rows, block): our own block
        parts += [helper.result() for helper in self._helpers]
        return np.concatenate(parts, axis=1)


class SplitTuner:
    """Decides while decoding whether splitting the products over threads pays off right now.

    On a quiet machine two threads read the weights faster than one; when
    other programs keep the cores busy, waiting for the slower half costs
    more than it saves. So every ``period`` decoding steps the tuner tries the
    other setting for a few steps of the same batch size and keeps whichever
    was faster: measured, not guessed. (For one input row both settings give
    identical numbers; for several rows BLAS rounds a little differently, by
    about 1e-5 in the logits, as it does for different batch sizes.)

    >>> tuner = SplitTuner(Linear(workers=2), period=4, trial=2, first_trial=2)
    >>> for seconds in [1.0, 1.0, 0.5, 0.5]:  # two steps split, then a trial without: faster
    ...     tuner.record(batch=1, seconds=seconds)
    >>> tuner.linear.split
    False
    """

    def __init__(self, linear: Linear, period: int = 64, trial: int = 4, first_trial: int = 8):
        self.linear = linear
        self.period, self.trial = period, trial
        self._next_trial = first_trial  # step count at which the next trial starts
        self._steps = 0
        self._recent: list[float] = []  # last step times of the current setting, same batch size
        self._batch = None
        self._baseline: float | None = None  # mean step time before the trial, None when not trying
        self._trial_times: list[float] = []

    def record(self, batch: int, seconds: float) -> None:
        """Account for one decoding step of ``batch`` sequences that took ``seconds``."""
        if self.linear.workers < 2:
            return
        if batch != self._batch:  # a different batch size is not comparable: start over
            if self._baseline is not None:
                self.linear.split = not self.linear.split  # abandon the trial
            self._batch, self._recent, self._baseline, self._trial_times = batch, [], None, []
        self._steps += 1
        if self._baseline is None:
            self._recent = (self._recent + [seconds])[-self.trial:]
            if self._steps >= self._next_trial and len(self._recent) == self.trial:
                self._baseline = sum(self._recent) / self.trial
                self._trial_times = []
                self.linear.split = not self.linear.split
            return
        self._trial_times.append(seconds)
        if len(self._trial_times) == self.trial:
            if sum(self._trial_times) / self.trial >= 0.95 * self._baseline:
                self.linear.split = not self.linear.split  # not clearly faster: go back
            self._baseline, self._recent = None, []
            self._next_trial = self._steps + self.period
