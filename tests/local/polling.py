"""Waiting in tests for something another thread does (a batch slot freed, a generation cancelled)."""

from __future__ import annotations

import time


def wait_for(condition, timeout=5.0) -> bool:
    """Poll ``condition()`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
