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
  is polite to other programs but costs a wake-up per product.

Or ``"one"``: a single core, BLAS at one thread. Which is fastest depends on
the machine, on how many rows are multiplied at once and on what else is
running, so ``ThreadTuner`` measures it while decoding (see below).

>>> linear = Linear(workers=1)
>>> linear(np.ones((1, 2), np.float32), np.array([[1, 2], [3, 4]], np.float32))
array([[3., 7.]], dtype=float32)

Used in: course_helpers/local/transformer.py, course_helpers/local/scheduler.py
"""

from __future__ import annotations

import contextlib
import functools
import threading
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Linear", "ThreadTuner", "MODES", "matmul_transposed", "blocked_matmul"]

MODES = ("one", "split", "blas")  # how the cores share the products (see the module's docstring)
_MIN_SPLIT_ROWS = 512  # smaller matrices are not worth a hand-off to another thread
_MAX_STREAMED_ROWS = 96  # up to this many input rows, weight @ x.T is the faster form
_MAX_BLOCKED_ROWS = 16  # up to this many input rows, weight blocks are faster still (see blocked_matmul)
_SMALL_PRODUCT = 2**20  # rows * in * block: products up to this size are OpenBLAS's fast "small" ones
_BLOCK_BYTES = 2**20  # a weight block should stay in the core's own cache (L2, 1-2 MB) while it is used


def matmul_transposed(x: np.ndarray, weight: np.ndarray, blocked: bool = True) -> np.ndarray:
    """``x @ weight.T`` for x (rows, in) and weight (out, in) -> (rows, out), contiguous.

    For a batch of a few rows, OpenBLAS is much faster at ``weight @ x.T``
    (measured here: 8 rows in 60% of the time, 32 rows in 80%) than at
    ``x @ weight.T``: the big matrix is then its left operand, which it
    streams instead of packing. From about 100 rows on (prompts), the plain
    form wins again (256 rows: 65% of the time). ``blocked``: take up to 16
    rows a weight block at a time (see blocked_matmul); that pays only when
    BLAS runs one thread, as its small-matrix kernels do.

    >>> matmul_transposed(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    if x.shape[0] == 1 or x.shape[0] > _MAX_STREAMED_ROWS:
        return x @ weight.T
    if blocked and x.shape[0] <= _MAX_BLOCKED_ROWS:
        return blocked_matmul(x, weight)
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
    x: (rows, in), weight: (out, in) -> (rows, out), contiguous

    >>> blocked_matmul(np.ones((2, 3), np.float32), np.eye(3, dtype=np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    rows, d_in = x.shape
    fits = min(_SMALL_PRODUCT // (rows * d_in), _BLOCK_BYTES // (d_in * weight.itemsize))
    block = max(64, fits // 64 * 64)  # weight rows per product
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


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # finding the BLAS libraries takes a few ms: once per process


class Linear:
    """``x @ weight.T`` for (rows, in) inputs and (out, in) weights, on ``workers`` cores.

    ``mode`` (one of MODES) says how the cores share a product; set it for a
    stretch of work with ``using(mode)``, which also sets BLAS's threads.
    Only one thread at a time may call a given ``Linear`` (the engine's
    decoding thread does).
    """

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self._helpers = [_Helper() for _ in range(self.workers - 1)]
        self._bounds: dict[int, list[int]] = {}  # rows of each block, per matrix height
        self.mode = "split" if self.workers > 1 else "one"

    @contextlib.contextmanager
    def using(self, mode: str):
        """Run the products in ``mode`` inside the ``with`` block (BLAS's threads restored after)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        previous, self.mode = self.mode, mode if self.workers > 1 else "one"
        blas_threads = self.workers if self.mode == "blas" else 1
        try:
            with _blas_controller().limit(limits=blas_threads, user_api="blas"):
                yield self
        finally:
            self.mode = previous

    def __call__(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        rows_out = weight.shape[0]
        if self.mode != "split" or rows_out < _MIN_SPLIT_ROWS:
            return matmul_transposed(x, weight, blocked=self.mode != "blas")
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


@dataclass
class _BatchSize:
    """What the tuner knows about the decoding steps of one batch size."""

    mode: str  # the fastest mode measured so far
    wait: int  # steps until the next trial, once every mode has been tried
    steps: int = 0
    trials: int = 0  # trials started so far
    next_trial: int = 0  # step count from which the next trial may start
    recent: list[float] = field(default_factory=list)  # last (up to 2 * trial) step times in ``mode``
    reference: float = 0.0  # typical step time of ``mode`` when last compared with another mode
    trying: str | None = None  # the mode on trial, if any
    baseline: float = 0.0  # typical (median) step time in ``mode`` just before the trial
    trial_times: list[float] = field(default_factory=list)


class ThreadTuner:
    """Chooses, for each batch size, the mode (MODES) whose decoding steps are fastest right now.

    Measured, not guessed: at each batch size, after ``trial`` steps in its
    current mode, the tuner tries each other mode for ``trial`` steps and keeps
    one only if its median step was clearly (10%) faster than the median of
    the last ``2 * trial`` steps before (medians, as single steps vary by
    10-20% here and the first step after a switch is slow).
    Since other programs come and go, it tries one of the others again, in
    turn, after ``period`` steps; each trial that changes nothing doubles that
    wait (up to 16 periods), as trials of a slower mode cost time; and it
    tries at once when the steps become 25% slower than when it last compared
    (another program has started, say).

    Which mode wins differs between machines: on one of ours a one-row
    decoding step took 60 ms in "blas" mode and 91-96 ms in the others; on
    another, "split" was the faster. For one input row every mode gives
    exactly the same numbers; for several rows BLAS rounds a little
    differently, by about 1e-5 in the logits, as it does for different batch
    sizes.

    >>> tuner = ThreadTuner(workers=2, period=8, trial=2)
    >>> tuner.mode(batch=1)
    'blas'
    >>> for seconds in [1.0, 1.0, 0.5, 0.5]:  # two steps in "blas", then two steps of a trial: faster
    ...     tuner.record(batch=1, seconds=seconds)
    >>> tuner.mode(batch=1)
    'split'
    """

    def __init__(self, workers: int, period: int = 64, trial: int = 5):
        self.modes = ("blas", "split", "one") if workers > 1 else ("one",)
        self.period, self.trial = period, trial
        self._sizes: dict[int, _BatchSize] = {}

    def mode(self, batch: int) -> str:
        """The mode to run the next decoding step of ``batch`` sequences in."""
        size = self._size(batch)
        return size.trying or size.mode

    def record(self, batch: int, seconds: float) -> None:
        """Account for one decoding step of ``batch`` sequences that took ``seconds``."""
        size = self._size(batch)
        size.steps += 1
        if size.trying is None:
            size.recent = (size.recent + [seconds])[-2 * self.trial:]
            typical = float(np.median(size.recent))
            due = size.steps >= size.next_trial or (size.reference and typical > 1.25 * size.reference)
            if len(self.modes) > 1 and len(size.recent) >= self.trial and due:
                others = [m for m in self.modes if m != size.mode]
                size.trying = others[size.trials % len(others)]
                size.trials += 1
                size.baseline, size.trial_times = typical, []
            return
        size.trial_times.append(seconds)
        if len(size.trial_times) == self.trial:
            trial_typical = float(np.median(size.trial_times))
            if trial_typical < 0.9 * size.baseline:
                size.mode, size.reference, size.wait = size.trying, trial_typical, self.period
            else:
                size.reference = size.baseline
                size.wait = min(2 * size.wait, 16 * self.period)
            size.trying, size.recent = None, []
            exploring = size.trials < len(self.modes) - 1  # some mode not tried yet at this size
            size.next_trial = size.steps + (self.trial if exploring else size.wait)

    def choices(self) -> dict[int, str]:
        """The mode currently kept for each batch size seen so far."""
        return {batch: size.mode for batch, size in sorted(self._sizes.items())}

    def _size(self, batch: int) -> _BatchSize:
        size = self._sizes.get(batch)
        if size is None:  # start from the mode of the nearest batch size measured so far
            nearest = min(self._sizes, key=lambda known: abs(known - batch), default=None)
            size = _BatchSize(self.modes[0] if nearest is None else self._sizes[nearest].mode, self.period)
            self._sizes[batch] = size
        return size
