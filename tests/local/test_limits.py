"""Tests for course_helpers/local/limits.py: the context-length error and its wording."""

from __future__ import annotations

import pytest

from course_helpers.local.limits import ContextLengthExceeded


def test_carries_both_counts():
    error = ContextLengthExceeded(prompt_tokens=70, context_length=64)
    assert (error.prompt_tokens, error.context_length) == (70, 64)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("sent", ["messages", "input"])
def test_message_names_what_was_sent(sent):
    message = ContextLengthExceeded(70, 64).message(sent)
    assert message.startswith("This model's maximum context length is 64 tokens.")
    assert f"your {sent} resulted in 70 tokens" in message


def test_str_is_the_chat_wording():
    assert str(ContextLengthExceeded(70, 64)) == ContextLengthExceeded(70, 64).message("messages")
