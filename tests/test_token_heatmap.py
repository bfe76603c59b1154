"""Tests for course_helpers/token_heatmap.py: colors, HTML that reads without colors, text fallback."""

from __future__ import annotations

import doctest
import math

from openai.types.chat.chat_completion_token_logprob import ChatCompletionTokenLogprob, TopLogprob

from course_helpers import token_heatmap as module
from course_helpers.token_heatmap import probability_color, token_heatmap


def _entry(token, probability, alternatives=()):
    return ChatCompletionTokenLogprob(
        token=token,
        bytes=list(token.encode()),
        logprob=math.log(probability),
        top_logprobs=[TopLogprob(token=t, bytes=list(t.encode()), logprob=math.log(p)) for t, p in alternatives],
    )


def test_docstring_examples():
    assert doctest.testmod(module).failed == 0


def test_colors_go_from_red_to_green():
    assert probability_color(0) == "hsl(0, 70%, 80%)"
    assert probability_color(0.5) == "hsl(60, 70%, 80%)"
    assert probability_color(2) == probability_color(1)


def test_html_shows_each_token_with_its_percentage():
    html = token_heatmap([_entry("Hello", 0.9), _entry(" world", 0.25)])._repr_html_()
    assert "Hello<sub" in html and ">90%</sub>" in html
    assert " world<sub" in html and ">25%</sub>" in html


def test_html_escapes_tokens_and_lists_alternatives():
    html = token_heatmap([_entry("<b>", 0.5, [("<b>", 0.5), ("&", 0.3)])])._repr_html_()
    assert "&lt;b&gt;<sub" in html
    assert "&#x27;&amp;&#x27; 30%" in html


def test_text_fallback_and_title():
    text = repr(token_heatmap([_entry("Hi", 0.999), _entry("\n", 0.004)], title="reply"))
    assert text == "reply\nHi(100%) '\\n'(<1%)"


def test_accepts_plain_dicts():
    assert "50%" in repr(token_heatmap([{"token": "a", "logprob": math.log(0.5), "top_logprobs": None}]))
