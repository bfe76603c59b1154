"""The tokenizer built from the GGUF vocabulary: round trips, digits, special tokens, bytes."""

from __future__ import annotations

import pytest

from course_helpers.local.engine import get_engine
from course_helpers.local.tokenizer import bytes_to_unicode, display_token


@pytest.fixture(scope="module")
def tokenizer():
    return get_engine().tokenizer


@pytest.mark.parametrize("text", [
    "Hello, world!",
    "In 2024 the price was 3.14159 euros.",
    "Café, naïve, Übermäßig, señor, 東京",
    "Robots 🤖 love emoji 👍🏽 and 🇫🇷 flags",
    "  leading spaces\n\ttabs and newlines\n",
])
def test_round_trip(tokenizer, text):
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_digits_are_one_token_each(tokenizer):
    ids = tokenizer.encode("12345")
    assert [tokenizer.decode([i]) for i in ids] == ["1", "2", "3", "4", "5"]


def test_known_words_are_single_tokens(tokenizer):
    assert len(tokenizer.encode(" Paris")) == 1


def test_special_tokens_are_matched_whole(tokenizer):
    ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
    assert ids[0] == 1 and ids[-1] == 2
    assert tokenizer.is_special(1) and not tokenizer.is_special(ids[1])


def test_token_bytes_join_to_utf8(tokenizer):
    text = "é🤖"
    ids = tokenizer.encode(text)
    assert b"".join(tokenizer.token_bytes(i) for i in ids) == text.encode("utf-8")


def test_emoji_is_split_into_incomplete_utf8_tokens(tokenizer):
    pieces = [tokenizer.token_bytes(i) for i in tokenizer.encode("🤖")]
    assert len(pieces) > 1
    assert display_token(pieces[0]).startswith("bytes:\\x")


def test_byte_table_is_a_bijection():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256


def test_display_token_of_incomplete_sequence():
    assert display_token(b"\xe2\x80") == "bytes:\\xe2\\x80"
    assert display_token(" naïve".encode()) == " naïve"
