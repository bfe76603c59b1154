"""The tuner tries every way of sharing the cores, keeps the fastest per batch size, and re-tries."""

from __future__ import annotations

import numpy as np

from course_helpers.local.linear import MODES, Linear
from course_helpers.local.thread_tuner import ThreadTuner

THREE = ("blas", "split", "one")  # the modes of two cores without transposed weights


def _run(tuner, batch, times):
    """Feed step times; return the mode each step ran in."""
    modes = []
    for seconds in times:
        modes.append(tuner.mode(batch))
        tuner.record(batch, seconds)
    return modes


def _run_speeds(tuner, speed, steps, batch=1):
    """Run ``steps`` steps whose time is ``speed[mode]``; return the mode each step ran in."""
    modes = []
    for _ in range(steps):
        modes.append(tuner.mode(batch))
        tuner.record(batch, speed[modes[-1]])
    return modes


def test_tuner_tries_every_mode_and_keeps_the_fastest():
    tuner = ThreadTuner(THREE, period=100, trial=2, settle=0.0)
    speed = {"split": 1.0, "blas": 0.6, "one": 0.9}
    modes = []
    for _ in range(12):
        mode = tuner.mode(batch=1)
        modes.append(mode)
        tuner.record(1, speed[mode])
    assert set(modes) == set(THREE)  # each was measured
    assert tuner.mode(batch=1) == "blas" and modes[-4:] == ["blas"] * 4
    speed = {"split": 0.5, "blas": 1.0, "one": 0.9}  # the machine changes: splitting now wins
    for _ in range(200):
        tuner.record(1, speed[tuner.mode(batch=1)])
    assert tuner.mode(batch=1) == "split"


def test_tuner_keeps_the_current_mode_unless_another_is_clearly_faster():
    tuner = ThreadTuner(THREE, period=100, trial=2, settle=0.0)
    assert _run(tuner, 1, [1.0, 1.0, 0.97, 0.97]) == ["blas", "blas", "split", "split"]
    assert tuner.mode(batch=1) == "blas"  # 3% faster is within noise


def test_tuner_chooses_per_batch_size():
    tuner = ThreadTuner(THREE, period=100, trial=2, settle=0.0)
    speed = {1: {"split": 1.0, "blas": 0.5, "one": 0.9}, 8: {"split": 0.7, "blas": 1.5, "one": 1.4}}
    for _ in range(12):
        for batch in (1, 8):
            tuner.record(batch, speed[batch][tuner.mode(batch)])
    assert tuner.choices() == {1: "blas", 8: "split"}
    assert tuner.mode(batch=7) == "split"  # a new size starts from the nearest one measured


def _trial_starts(modes):
    return [i for i, mode in enumerate(modes) if mode != "blas" and (i == 0 or modes[i - 1] == "blas")]


def test_tuner_tries_again_ever_less_often_while_nothing_changes():
    tuner = ThreadTuner(THREE, period=10, trial=2)
    modes = _run(tuner, 1, [1.0] * 400)  # nothing is faster: it stays, trying now and then
    starts = _trial_starts(modes)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert modes.count("split") >= 4 and modes.count("one") >= 4
    assert gaps == sorted(gaps) and gaps[-1] > 3 * gaps[1]  # the waits grow...
    assert max(gaps) <= 16 * 10 + 2 * 2  # ...up to 16 periods
    assert tuner.mode(batch=1) == "blas"


def test_tuner_tries_at_once_when_the_steps_slow_down():
    tuner = ThreadTuner(THREE, period=10, trial=2)
    _run(tuner, 1, [1.0] * 60)  # settled, next trial far away
    modes = _run(tuner, 1, [2.0] * 4)  # another program started: steps twice as slow
    assert "split" in modes or "one" in modes


def test_tuner_does_nothing_with_one_worker():
    tuner = ThreadTuner(("one",), trial=1)
    assert set(_run(tuner, 1, [1.0] * 5)) == {"one"}


def test_the_modes_to_measure_follow_the_cores_and_the_weights():
    transposed = {1: None}  # stands for ModelWeights.in_out
    assert Linear(2).modes() == THREE
    assert Linear(2, transposed).modes() == ("blas", "blas_in_out", "split", "one_in_out", "one")
    assert Linear(1, transposed).modes() == ("one", "one_in_out")
    assert set(Linear(2, transposed).modes()) == set(MODES)  # every mode is measured on a machine that has it


def test_a_machine_that_reads_the_other_layout_faster_gets_it():
    # on our machine one row was faster in GGUF's layout; where the transposed one wins, the tuner finds it
    tuner = ThreadTuner(Linear(2, {1: None}).modes(), period=100, trial=2)
    speed = {"blas": 1.0, "split": 1.2, "one": 1.4, "blas_in_out": 0.8, "one_in_out": 1.1}
    for _ in range(20):
        tuner.record(1, speed[tuner.mode(batch=1)])
    assert tuner.mode(batch=1) == "blas_in_out"


def test_a_size_that_changes_mode_while_exploring_still_tries_every_mode():
    # as measured on a 2-core Zen 4: 8 sequences are fastest split; a new size of 1 starts from that
    # mode, its first trial ("blas") wins at once, and the best ("blas_in_out") must still be tried
    # while exploring, not only at a periodic trial much later
    five = Linear(2, {0: np.zeros(1)}).modes()
    assert five == ("blas", "blas_in_out", "split", "one_in_out", "one")
    tuner = ThreadTuner(five, period=1000, trial=2, settle=0.0)
    speed = {
        8: {"blas": 1.2, "blas_in_out": 1.2, "split": 1.0, "one_in_out": 2.0, "one": 1.3},
        1: {"blas": 0.25, "blas_in_out": 0.19, "split": 0.4, "one_in_out": 0.33, "one": 0.36},
    }
    for _ in range(24):
        tuner.record(8, speed[8][tuner.mode(8)])
    assert tuner.mode(batch=8) == "split" and tuner.mode(batch=1) == "split"
    modes = []
    for _ in range(20):
        modes.append(tuner.mode(1))
        tuner.record(1, speed[1][modes[-1]])
    assert set(modes) == set(five) and tuner.mode(batch=1) == "blas_in_out"


def test_a_mode_faster_but_not_clearly_gets_one_second_look():
    tuner = ThreadTuner(THREE, period=1000, trial=2, settle=0.0)
    noisy = iter([0.95, 0.95])  # split's first trial falls on another program's burst
    modes = []
    for _ in range(16):
        mode = tuner.mode(1)
        modes.append(mode)
        seconds = {"blas": 1.0, "one": 1.2}.get(mode) or next(noisy, 0.8)
        tuner.record(1, seconds)
    assert modes.count("split") >= 4 and tuner.mode(batch=1) == "split"  # two trials, then kept


def test_a_mode_only_a_little_faster_is_looked_at_twice_then_left():
    tuner = ThreadTuner(THREE, period=1000, trial=2, settle=0.0)
    modes = _run_speeds(tuner, {"blas": 1.0, "split": 0.95, "one": 1.2}, 60)
    assert modes.count("split") == 4 and modes.count("one") == 2  # then it waits a period
    assert tuner.mode(batch=1) == "blas"


def test_the_first_steps_after_a_switch_are_not_counted():
    # split is the faster mode, but its first steps after BLAS's threads are slow (their spin)
    tuner = ThreadTuner(THREE, period=1000, trial=3, settle=0.1)
    modes, since_switch = [], 0
    for _ in range(40):
        mode = tuner.mode(1)
        since_switch = since_switch + 1 if modes and modes[-1] == mode else 0
        modes.append(mode)
        steady = {"blas": 0.06, "split": 0.05, "one": 0.09}[mode]
        tuner.record(1, 0.09 if since_switch < 2 else steady)  # two slow steps after each switch
    assert tuner.mode(batch=1) == "split"
    assert ThreadTuner(THREE).settle == 0.15  # the default: about two decoding steps of 8 sequences


def test_explored_once_every_mode_and_second_look_is_done():
    tuner = ThreadTuner(THREE, period=1000, trial=2, settle=0.0)
    assert not tuner.explored(1)  # nothing measured yet
    speed = {"blas": 1.0, "split": 0.95, "one": 1.2}  # split: a second look is due
    modes = []
    while not tuner.explored(1):
        modes.append(tuner.mode(1))
        tuner.record(1, speed[modes[-1]])
    assert modes.count("split") == 4 and modes.count("one") == 2 and tuner.mode(1) == "blas"
    assert ThreadTuner(("one",)).explored(1) is False
