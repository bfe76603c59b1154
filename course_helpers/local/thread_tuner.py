"""Which way of sharing the CPU's cores (linear.MODES) makes decoding fastest right now: measured.

The engine can run its matrix products on one core, split over our own
threads, or on BLAS's threads (see linear.py). Which is fastest depends on
the machine, the number of sequences decoded together and what else is
running, so the scheduler asks a ``ThreadTuner`` before each decoding step
and tells it afterwards how long the step took.

Used in: course_helpers/local/scheduler.py
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ThreadTuner"]


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
    settling: float = 0.0  # seconds of steps since the last switch, up to ``settle`` (not counted)
    tried: set[str] = field(default_factory=set)  # modes measured at this size (the first one included)
    second_looks: list[str] = field(default_factory=list)  # faster, but not clearly: to be tried once more
    looked_twice: set[str] = field(default_factory=set)


class ThreadTuner:
    """Chooses, for each batch size, the mode (MODES) whose decoding steps are fastest right now.

    Measured, not guessed: at each batch size, after ``trial`` steps in its
    current mode, the tuner tries each other mode for ``trial`` steps and keeps
    one only if its median step was clearly (10%) faster than the median of
    the last ``2 * trial`` steps before (medians, as single steps vary by
    10-20% here). The steps of the first ``settle`` seconds after a switch
    (to a trial, back, or at a new batch size) are not counted: the threads
    of the mode before still run for a while (OpenBLAS's spin for some 0.1 s
    after their last product; measured with 8 sequences: the first two split
    steps after BLAS's threads took 74-80 and 62-69 ms, the next ones 49-57).
    A mode that was faster, but not clearly, is tried once more before the
    tuner settles, as a trial of a few steps can fall on a burst of another
    program (seen in the server, 8 sequences: split 63 ms against 66 in one
    trial, 47-51 against 55-62 in others).
    Since other programs come and go, it tries one of the others again, in
    turn, after ``period`` steps; each trial that changes nothing doubles that
    wait (up to 16 periods), as trials of a slower mode cost time; and it
    tries at once when the steps become 25% slower than when it last compared
    (another program has started, say).

    Which mode wins differs between machines: on one of ours a one-row
    decoding step took 60 ms in "blas" mode and 91-96 ms in the others; on
    another, "split" was the faster; with 8 or 16 rows, "blas_in_out" beat
    every (out, in) mode by 13-15%; on a Zen 4 EPYC, one row is fastest in
    "blas_in_out" (19 ms) and 8 rows split (50 ms, against 61-65 ms with
    BLAS's threads in either layout). For one input row the modes of one
    layout give exactly the same numbers; the other layout, or several rows,
    round a little differently, by about 1e-5 in the logits, as different
    batch sizes do (the sampler's draw is made to shrug that off, sampler.py).

    >>> tuner = ThreadTuner(("blas", "split", "one"), period=8, trial=2, settle=0.0)
    >>> tuner.mode(batch=1)
    'blas'
    >>> for seconds in [1.0, 1.0, 0.5, 0.5]:  # two steps in "blas", then two steps of a trial: faster
    ...     tuner.record(batch=1, seconds=seconds)
    >>> tuner.mode(batch=1)
    'split'
    """

    def __init__(self, modes: tuple[str, ...], period: int = 64, trial: int = 5, settle: float = 0.15):
        self.modes = modes  # the first is where every batch size starts (Linear.modes(): BLAS's threads)
        self.period, self.trial, self.settle = period, trial, settle
        self._sizes: dict[int, _BatchSize] = {}

    def mode(self, batch: int) -> str:
        """The mode to run the next decoding step of ``batch`` sequences in."""
        size = self._size(batch)
        return size.trying or size.mode

    def record(self, batch: int, seconds: float) -> None:
        """Account for one decoding step of ``batch`` sequences that took ``seconds``."""
        size = self._size(batch)
        size.steps += 1
        if size.settling < self.settle:  # the first steps after a switch (to a trial or back): not counted
            size.settling += seconds
            return
        if size.trying is None:
            size.recent = (size.recent + [seconds])[-2 * self.trial :]
            typical = float(np.median(size.recent))
            due = size.steps >= size.next_trial or (size.reference and typical > 1.25 * size.reference)
            if len(self.modes) > 1 and len(size.recent) >= self.trial and due:
                others = [m for m in self.modes if m != size.mode]
                untried = [m for m in others if m not in size.tried]  # every mode first, in the modes' order
                if untried:
                    size.trying = untried[0]
                elif size.second_looks:  # never the kept mode: dropped from them when a trial ends
                    size.trying = size.second_looks.pop(0)
                else:
                    size.trying = others[size.trials % len(others)]
                size.tried.update((size.mode, size.trying))
                size.trials += 1
                size.baseline, size.trial_times, size.settling = typical, [], 0.0
            return
        size.trial_times.append(seconds)
        if len(size.trial_times) == self.trial:
            trial_typical = float(np.median(size.trial_times))
            if trial_typical < 0.9 * size.baseline:
                size.mode, size.reference, size.wait = size.trying, trial_typical, self.period
            else:
                size.reference = size.baseline
                size.wait = min(2 * size.wait, 16 * self.period)
                if trial_typical < size.baseline and size.trying not in size.looked_twice:  # a noisy sample?
                    size.looked_twice.add(size.trying)
                    size.second_looks.append(size.trying)
            size.trying, size.recent, size.settling = None, [], 0.0
            size.second_looks = [m for m in size.second_looks if m != size.mode]
            exploring = len(size.tried) < len(self.modes) or bool(size.second_looks)
            size.next_trial = size.steps + (self.trial if exploring else size.wait)

    def explored(self, batch: int) -> bool:
        """Whether every mode has been measured at this batch size (second looks included), none on trial now."""
        size = self._sizes.get(batch)
        if size is None or size.trying is not None or size.second_looks:
            return False
        return set(self.modes) <= size.tried | {size.mode}

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
