"""A value built on first use, once per process, even when several threads ask at once.

The engine (a model loaded into memory) and the moderation probes (trained
or read from a file) are expensive to make and shared by every request, so
each is made the first time it is needed, under a lock: two requests
arriving together at a cold server wait for one load instead of starting two.

>>> calls = []
>>> answer = Lazy(lambda: calls.append("built") or 42)
>>> answer.get(), answer.get(), calls
(42, 42, ['built'])

Used in: course_helpers/local/engine.py, course_helpers/local/moderation/classifier.py
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Lazy"]

T = TypeVar("T")


class Lazy(Generic[T]):
    """Holds ``make()``'s result once it is first asked for; a failed ``make`` is tried again next time."""

    def __init__(self, make: Callable[[], T]):
        self._make = make
        self._value: T | None = None
        self._made = False
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value, made now if this is the first call (other threads wait for it)."""
        if not self._made:  # the lock only for the first calls: afterwards a plain read
            with self._lock:
                if not self._made:
                    self._value = self._make()
                    self._made = True
        return self._value  # type: ignore[return-value]  # made above
