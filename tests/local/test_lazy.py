"""Lazy: made once on first use, even when threads ask together; a failed attempt is tried again."""

from __future__ import annotations

import doctest
import threading
import time

import pytest

from course_helpers.local import lazy
from course_helpers.local.lazy import Lazy


def test_threads_asking_together_share_one_value_made_once():
    made = []

    def slow_make():
        time.sleep(0.05)  # long enough for every thread to arrive while it is being made
        made.append(object())
        return made[-1]

    value, start, results = Lazy(slow_make), threading.Barrier(4), []

    def ask():
        start.wait()
        results.append(value.get())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and results == made * 4


def test_a_failed_make_is_tried_again_on_the_next_call():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model file not there yet")
        return "loaded"

    value = Lazy(flaky)
    with pytest.raises(OSError):
        value.get()
    assert value.get() == "loaded" and value.get() == "loaded" and len(attempts) == 2


def test_docstring_examples():
    result = doctest.testmod(lazy)
    assert result.attempted > 0 and result.failed == 0
