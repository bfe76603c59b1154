"""Text deltas from token bytes: UTF-8 split across tokens, stop strings across tokens."""

from __future__ import annotations

import pytest

from course_helpers.local.text_stream import ReplyText


def feed_all(stream, pieces):
    deltas = []
    for piece in pieces:
        delta, stopped = stream.feed(piece)
        deltas.append(delta)
        if stopped:
            return deltas, True
    deltas.append(stream.finish())
    return deltas, False


def test_incomplete_utf8_waits_for_the_rest():
    robot = "🤖".encode()
    stream = ReplyText()
    assert stream.feed(robot[:2]) == ("", False)
    assert stream.feed(robot[2:]) == ("🤖", False)


def test_stop_string_spanning_tokens_is_cut_out():
    deltas, stopped = feed_all(ReplyText(["\n\n"]), [b"Hello", b"\n", b"\nBye"])
    assert stopped and "".join(deltas) == "Hello"


def test_text_that_only_looks_like_a_stop_start_is_released():
    deltas, stopped = feed_all(ReplyText(["STOP"]), [b"ST", b"ART", b" now"])
    assert not stopped and "".join(deltas) == "START now"
    assert deltas[0] == ""  # held back while it could still become STOP


def test_earliest_of_several_stop_strings_wins():
    deltas, stopped = feed_all(ReplyText(["b", "a"]), [b"xxab"])
    assert stopped and "".join(deltas) == "xx"


@pytest.mark.parametrize("stop", [[], ["zz"], ["lo w"]])
def test_joined_deltas_equal_final_text(stop):
    stream = ReplyText(stop)
    deltas, _ = feed_all(stream, [b"Hel", b"lo", b" w", "örld".encode()])
    assert "".join(deltas) == stream.text
