"""show_stream on chunks shaped as the API sends them (no server needed)."""

from __future__ import annotations

import time

from course_helpers.checks.beyond import sample_chunks
from course_helpers.streams import show_stream


def test_joins_text_and_counts_chunks():
    stats = show_stream(sample_chunks(["The", " sky", "."]), display=False)
    assert stats.text == "The sky."
    assert (stats.chunks, stats.text_chunks) == (6, 3)
    assert stats.finish_reason == "stop"


def test_usage_comes_from_the_last_chunk():
    stats = show_stream(sample_chunks(["a", "b"]), display=False)
    assert stats.usage.completion_tokens == 2


def test_time_to_first_token_counts_from_started():
    started = time.perf_counter() - 1.0  # as if the request had waited a second for its first token
    stats = show_stream(sample_chunks(["x"]), started, display=False)
    assert stats.first_token_seconds >= 1.0
    assert stats.total_seconds >= stats.first_token_seconds


def test_no_text_means_no_first_token():
    stats = show_stream(sample_chunks([]), display=False)
    assert stats.first_token_seconds is None and stats.text == ""


def test_live_display_outside_a_notebook_prints_the_final_text(capsys):
    stats = show_stream(sample_chunks(["Hello", " world"]))
    assert stats.text == "Hello world"
    assert "Hello world" in capsys.readouterr().out
