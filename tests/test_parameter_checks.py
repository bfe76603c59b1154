"""Tests for course_helpers/parameter_checks.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from openai.types.chat import ChatCompletion

from course_helpers import parameter_checks
from course_helpers.parameter_checks import (
    check_complete_replies,
    check_reproducible,
    check_sampling,
    check_sampling_request,
    check_softmax,
    check_stop_request,
    check_top_p,
)
from course_helpers.probabilities import sampling_probabilities, softmax, top_p_filter


def _line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def _completion(texts, reasons=None, completion_tokens=5, fingerprint="fp_1", id="chatcmpl-1"):
    """A ChatCompletion built from test data (not a model's reply), to exercise the checks' logic."""
    reasons = reasons or ["stop"] * len(texts)
    return ChatCompletion.model_validate(
        {
            "id": id,
            "object": "chat.completion",
            "created": 0,
            "model": "test",
            "system_fingerprint": fingerprint,
            "choices": [
                {"index": i, "finish_reason": r, "message": {"role": "assistant", "content": t}}
                for i, (t, r) in enumerate(zip(texts, reasons))
            ],
            "usage": {
                "prompt_tokens": 3,
                "completion_tokens": completion_tokens,
                "total_tokens": 3 + completion_tokens,
            },
        }
    )


def test_docstring_examples():
    assert doctest.testmod(parameter_checks, extraglobs={"np": np}).failed == 0


@pytest.mark.parametrize(
    "check, right", [(check_softmax, softmax), (check_top_p, top_p_filter), (check_sampling, sampling_probabilities)]
)
def test_reference_implementations_pass(capsys, check, right):
    check(right)
    assert _line(capsys).startswith("✅")


def test_softmax_without_the_max_shift_overflows(capsys):
    check_softmax(lambda logits, t: np.exp(np.asarray(logits) / t) / np.exp(np.asarray(logits) / t).sum())
    assert "Subtract the largest logit" in _line(capsys)


def test_softmax_multiplying_by_the_temperature(capsys):
    check_softmax(lambda logits, t: softmax(logits, 1 / t))
    assert "divide the logits by the temperature" in _line(capsys)


def test_top_p_dropping_the_crossing_word(capsys):
    def strict(probabilities, top_p):
        kept = top_p_filter(probabilities, top_p)
        if np.count_nonzero(kept) > 1:
            kept[np.argmin(np.where(kept > 0, kept, np.inf))] = 0
        return kept / kept.sum()

    check_top_p(strict)
    assert "Keep the word that crosses top_p" in _line(capsys)


def test_top_p_forgetting_to_renormalize(capsys):
    check_top_p(lambda p, top_p: top_p_filter(p, top_p) * 0.9)
    assert "divide the kept probabilities by their sum" in _line(capsys)


def test_sampling_in_the_wrong_order(capsys):
    check_sampling(
        lambda logits, t, top_p: softmax(np.log(np.maximum(top_p_filter(softmax(logits), top_p), 1e-300)), t)
    )
    assert "top_p before temperature" in _line(capsys)


def test_a_stub_is_not_done(capsys):
    def stub(logits, temperature): ...  # YOUR CODE HERE

    check_softmax(stub)
    assert _line(capsys).startswith("⏳")


REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "n": 4,
    "temperature": 1.0,
    "max_completion_tokens": 12,
}


def test_sampling_request_passes(capsys):
    check_sampling_request(REQUEST, _completion(["a", "b", "c", "d"], completion_tokens=20))
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"n": 1}, "n=4"),
        ({"temperature": 0}, "above 0"),
        ({"max_completion_tokens": 100}, "between 1 and 12"),
        ({"max_tokens": 10}, "deprecated"),
    ],
)
def test_sampling_request_mistakes(capsys, change, hint):
    check_sampling_request({**REQUEST, **change}, _completion(["a", "b", "c", "d"]))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_complete_replies_passes_and_catches_cut_replies(capsys):
    response = _completion(["done.", "cut", "also done."], ["stop", "length", "stop"])
    check_complete_replies(lambda r: [c.message.content for c in r.choices if c.finish_reason == "stop"], response)
    assert _line(capsys).startswith("✅")
    check_complete_replies(lambda r: [c.message.content for c in r.choices], response)
    assert "finish_reason is 'length'" in _line(capsys)


def test_complete_replies_needs_a_cut_reply(capsys):
    check_complete_replies(lambda r: [], _completion(["done."]))
    assert "small max_completion_tokens" in _line(capsys)


LINE_REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "Write a poem."}],
    "temperature": 0,
    "max_completion_tokens": 30,
    "stop": ["\n"],
}


def test_stop_request(capsys):
    check_stop_request(LINE_REQUEST, _completion(["one line"]))
    assert _line(capsys).startswith("✅")


def _without(request: dict, key: str) -> dict:
    return {name: value for name, value in request.items() if name != key}


@pytest.mark.parametrize(
    "request_, hint",
    [
        (_without(LINE_REQUEST, "stop"), "Add stop="),
        (_without(LINE_REQUEST, "temperature"), "set temperature=0, as the exercise asks"),
        ({**LINE_REQUEST, "temperature": 0.7}, "set temperature=0, as the exercise asks"),
        (_without(LINE_REQUEST, "max_completion_tokens"), "Cap the reply with max_completion_tokens"),
        ({**LINE_REQUEST, "stop": ["."]}, "does not contain '\\n'"),
        ({**LINE_REQUEST, "stop": ["\n", "\n\n", ".", "!", "?"]}, "at most 4 stop sequences"),
    ],
)
def test_stop_request_wrong_answers(capsys, request_, hint):
    check_stop_request(request_, _completion(["one line"]))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_stop_request_with_a_newline_in_the_reply(capsys):
    check_stop_request(LINE_REQUEST, _completion(["one line\ntwo lines"]))
    assert "did you send this request" in _line(capsys)


def test_reproducible(capsys):
    request = {**REQUEST, "seed": 1}
    check_reproducible(request, _completion(["x"], id="a"), _completion(["x"], id="b"))
    assert "same reply" in _line(capsys)
    check_reproducible(request, _completion(["x"], id="a"), _completion(["y"], id="b", fingerprint="fp_2"))
    assert "fingerprints differ" in _line(capsys)
    check_reproducible(REQUEST, _completion(["x"], id="a"), _completion(["x"], id="b"))
    assert "integer seed" in _line(capsys)


def test_sampling_ignoring_the_temperature(capsys):
    check_sampling(lambda logits, t, top_p: top_p_filter(softmax(logits), top_p))
    assert "ignores the temperature" in _line(capsys)


def test_top_p_without_sorting(capsys):
    def unsorted(probabilities, top_p):
        kept = np.cumsum(probabilities) - probabilities < top_p
        filtered = np.where(kept, probabilities, 0.0)
        return filtered / filtered.sum()

    check_top_p(unsorted)
    assert "not in order" in _line(capsys)


def test_complete_replies_is_tried_on_mixed_finish_reasons(capsys):
    all_cut = _completion(["cut", "cut too"], ["length", "length"])
    check_complete_replies(lambda r: [], all_cut)  # right on an all-cut response, wrong in general
    assert "made-up response" in _line(capsys)
    check_complete_replies(lambda r: [c for c in r.choices if c.finish_reason == "stop"], all_cut)
    assert "list of strings" in _line(capsys)


def test_stop_with_a_backslash_n(capsys):
    check_stop_request({**REQUEST, "stop": [r"\n"]}, _completion(["one line"]))
    assert "backslash followed by n" in _line(capsys)


def test_reproducible_with_different_text_elsewhere_is_best_effort(capsys):
    check_reproducible({**REQUEST, "seed": 1}, _completion(["x"], id="a"), _completion(["y"], id="b"))
    line = _line(capsys)
    assert "best effort" in line and "local backend, which is exact" in line and "same seed" not in line


LOCAL = parameter_checks._exact_fingerprints().pop()


def test_the_built_in_backends_fingerprint_is_the_engines():
    from course_helpers.local import engine, store

    assert LOCAL == engine.fingerprint_of(store.MODELS[store.CHAT_MODEL])


def _prompt(tokens: int, response: ChatCompletion) -> ChatCompletion:
    usage = response.usage.model_copy(update={"prompt_tokens": tokens})
    return response.model_copy(update={"usage": usage})


@pytest.mark.parametrize(
    "request_, first, second, hint",
    [
        # seed=42 for `first`, seed=43 for `second`: on the built-in backend the texts differ
        (
            {**REQUEST, "seed": 43},
            _completion(["Smaug"], id="a", fingerprint=LOCAL),
            _completion(["Drogon"], id="b", fingerprint=LOCAL),
            "your two requests were not the same",
        ),
        # another prompt for the second request
        (
            {**REQUEST, "seed": 42},
            _completion(["Smaug"], id="a"),
            _prompt(9, _completion(["Smaug"], id="b")),
            "The two prompts differ",
        ),
        ({**REQUEST, "seed": 42, "temperature": 0}, _completion(["x"], id="a"), _completion(["x"], id="b"), "above 0"),
        ({**REQUEST, "seed": "42"}, _completion(["x"], id="a"), _completion(["x"], id="b"), "integer seed"),
        ({**REQUEST, "seed": 42}, _completion(["x"], id="a"), _completion(["x"], id="a"), "send the request twice"),
        ({**REQUEST, "seed": 42}, _completion(["x"], id="a"), "x", "should be a ChatCompletion"),
    ],
)
def test_reproducible_wrong_answers(capsys, request_, first, second, hint):
    check_reproducible(request_, first, second)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_reproducible_on_the_built_in_backend(capsys):
    request = {**REQUEST, "seed": 42}
    first, second = (_completion(["Smaug"], id=id, fingerprint=LOCAL) for id in "ab")
    check_reproducible(request, first, second)
    assert _line(capsys).startswith("✅")
