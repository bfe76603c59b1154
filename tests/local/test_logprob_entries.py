"""The logprobs records the API shows: token strings, bytes, distinct top alternatives."""

from __future__ import annotations

import numpy as np
import pytest

from course_helpers.local.logprob_entries import logprob_entry
from course_helpers.local.sampler import log_softmax


def test_logprob_entry_shows_incomplete_utf8_and_keeps_strings_distinct():
    vocab = [b"\xe2\x80", b"A", b"A", b"B"]  # two ids with the same text
    logprobs = log_softmax(np.log(np.array([0.4, 0.3, 0.2, 0.1], np.float32)))
    entry = logprob_entry(logprobs, 0, 3, lambda i: vocab[i])
    assert entry.token == "bytes:\\xe2\\x80" and entry.bytes == [0xE2, 0x80]
    assert [t.token for t in entry.top_logprobs] == ["bytes:\\xe2\\x80", "A", "B"]
    assert entry.top_logprobs[0].logprob == pytest.approx(np.log(0.4), abs=1e-5)
