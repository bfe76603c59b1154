"""Tests for course_helpers/checks/parameters.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest
from types import SimpleNamespace

import httpx2
import numpy as np
import openai
import pytest
from openai import NOT_GIVEN
from openai.types.chat import ChatCompletion

from course_helpers.checks import parameters as parameter_checks
from course_helpers.checks import send
from course_helpers.checks.parameters import (
    check_complete_replies,
    check_effort_request,
    check_reproducible,
    check_sampling,
    check_several_replies,
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


def _without(request: dict, key: str) -> dict:
    return {name: value for name, value in request.items() if name != key}


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
    "temperature": 1.0,
    "max_completion_tokens": 12,
}


def _replies(texts, fingerprint="fp_1", completion_tokens=5):
    """One single-choice response per text, each with its own id, as from one request per reply."""
    return [
        _completion([text], id=f"r{i}", fingerprint=fingerprint, completion_tokens=completion_tokens)
        for i, text in enumerate(texts)
    ]


def bad_request(param: str, message: str) -> openai.BadRequestError:
    """A 400 as the SDK raises it (made here, no server involved)."""
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": "unsupported_parameter"}
    return openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=request), body=body)


def client_raising(error):
    def create(**request):
        raise error

    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


# What the local server answers for gpt-6-luna (course_helpers/local/server/protocol/profiles.py).
N_REFUSED = bad_request("n", "Unsupported parameter: 'n' is not supported with this model.")
MAX_TOKENS_REFUSED = bad_request(
    "max_tokens",
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
)
TEMPERATURE_REFUSED = bad_request(
    "temperature",
    "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
)
MINIMAL_REFUSED = bad_request(
    "reasoning_effort",
    "Unsupported value: 'minimal' is not supported with the 'gpt-6-luna' model. "
    "Supported values are: 'none', 'low', 'medium', 'high', 'xhigh', and 'max'.",
)


def test_several_replies_pass(capsys):
    check_several_replies(REQUEST, _replies(["a", "b", "c", "d"]))
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"n": 4}, "Leave n out: gpt-6-luna rejects an explicit n, even n=1"),
        ({"n": 1}, "Leave n out"),
        ({"temperature": 0}, "above 0"),
        ({"max_completion_tokens": 100}, "between 1 and 12"),
        ({"max_tokens": 10}, "Use max_completion_tokens, not max_tokens"),
    ],
)
def test_several_replies_mistakes(capsys, change, hint):
    check_several_replies({**REQUEST, **change}, _replies(["a", "b", "c", "d"]))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_several_replies_without_a_limit(capsys):
    check_several_replies(_without(REQUEST, "max_completion_tokens"), _replies(["a", "b", "c", "d"]))
    assert "Cap each reply with max_completion_tokens=12" in _line(capsys)


@pytest.mark.parametrize(
    "responses, hint",
    [
        # one response with n=4 choices, as from an older model
        (_completion(["a", "b", "c", "d"]), "should be a list of the 4 responses"),
        (_replies(["a", "b"]), "send 4 requests"),
        ([_completion(["a"], id="same")] * 4, "Send one request per reply"),
        ([_completion(["a", "b"], id=f"r{i}") for i in range(4)], "each request should ask for one reply"),
        (_replies(["a", "b", "c", "d"], completion_tokens=20), "more than max_completion_tokens=12"),
        (["a", "b", "c", "d"], "keep the whole object"),
    ],
)
def test_several_replies_wrong_responses(capsys, responses, hint):
    check_several_replies(REQUEST, responses)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_several_replies_with_n_refused_by_the_api(capsys):
    # n sent anyway (the request dict without it, as if added in the create() call): the API's 400 explains it
    responses = [send(client_raising(N_REFUSED), REQUEST)] * 4
    check_several_replies(REQUEST, responses)
    line = _line(capsys)
    assert line.startswith("❌") and "'n' is not supported" in line and "Leave n out" in line


def test_several_replies_with_one_seed_for_all_on_the_built_in_backend(capsys):
    check_several_replies(REQUEST, _replies(["Crumbs"] * 4, fingerprint=LOCAL))
    assert "did every request carry the same seed" in _line(capsys)


def test_several_equal_replies_elsewhere_pass(capsys):
    # a confident model can give the same reply four times: only the built-in backend proves one seed was reused
    check_several_replies(REQUEST, _replies(["Crumbs"] * 4))
    assert _line(capsys).startswith("✅")


def test_several_replies_at_the_wrong_effort(capsys):
    responses = [send(client_raising(TEMPERATURE_REFUSED), REQUEST)] * 4
    check_several_replies(REQUEST, responses)
    line = _line(capsys)
    assert "only with reasoning_effort='none'" in line and "info.sampling.effort" in line


def _complete(responses):
    return [r.choices[0].message.content for r in responses if r.choices[0].finish_reason == "stop"]


def _cut(texts_and_reasons):
    return [_completion([text], [reason], id=f"r{i}") for i, (text, reason) in enumerate(texts_and_reasons)]


def test_complete_replies_passes_and_catches_cut_replies(capsys):
    responses = _cut([("done.", "stop"), ("cut", "length"), ("also done.", "stop")])
    check_complete_replies(_complete, responses)
    assert _line(capsys).startswith("✅")
    check_complete_replies(lambda rs: [r.choices[0].message.content for r in rs], responses)
    assert "finish_reason is 'length'" in _line(capsys)


def test_complete_replies_needs_a_cut_reply(capsys):
    check_complete_replies(lambda r: [], _cut([("done.", "stop"), ("ok.", "stop"), ("yes.", "stop")]))
    assert "small max_completion_tokens" in _line(capsys)


@pytest.mark.parametrize(
    "responses, hint",
    [
        (_completion(["a", "b"], ["stop", "length"]), "should be a list of responses"),
        ([], "should be a list of responses"),
        ([send(client_raising(MAX_TOKENS_REFUSED), REQUEST)], "Use max_completion_tokens, not max_tokens"),
    ],
)
def test_complete_replies_wrong_responses(capsys, responses, hint):
    check_complete_replies(_complete, responses)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_complete_replies_on_one_response_with_several_choices(capsys):
    # the n-era solution, response.choices, on a list of responses
    check_complete_replies(
        lambda r: [c.message.content for c in r.choices if c.finish_reason == "stop"],
        _cut([("done.", "stop"), ("cut", "length"), ("cut too", "length")]),
    )
    assert "AttributeError" in _line(capsys)


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


@pytest.mark.parametrize(
    "request_, hint",
    [
        (_without(LINE_REQUEST, "stop"), "Add stop="),
        (_without(LINE_REQUEST, "temperature"), "set temperature=0, as the exercise asks"),
        ({**LINE_REQUEST, "temperature": 0.7}, "set temperature=0, as the exercise asks"),
        (_without(LINE_REQUEST, "max_completion_tokens"), "Cap the reply with max_completion_tokens"),
        ({**LINE_REQUEST, "stop": ["."]}, "does not contain '\\n'"),
        ({**LINE_REQUEST, "stop": ["\n", "\n\n", ".", "!", "?"]}, "at most 4 stop sequences"),
        (
            {**_without(LINE_REQUEST, "max_completion_tokens"), "max_tokens": 30},
            "Use max_completion_tokens, not max_tokens",
        ),
        ({**LINE_REQUEST, "max_tokens": 30}, "Use max_completion_tokens, not max_tokens"),
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
    all_cut = _cut([("cut", "length"), ("cut too", "length"), ("cut 3", "length")])
    check_complete_replies(lambda r: [], all_cut)  # right on all-cut responses, wrong in general
    assert "made-up responses" in _line(capsys)
    check_complete_replies(lambda rs: [r for r in rs if r.choices[0].finish_reason == "stop"], all_cut)
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


def test_reproducible_with_max_tokens_or_a_refused_request(capsys):
    request = {**REQUEST, "seed": 42}
    check_reproducible({**request, "max_tokens": 10}, _completion(["x"], id="a"), _completion(["x"], id="b"))
    assert "Use max_completion_tokens, not max_tokens" in _line(capsys)
    refused = send(client_raising(TEMPERATURE_REFUSED), request)
    check_reproducible(request, refused, refused)
    line = _line(capsys)
    assert line.startswith("❌") and "Only the default (1) value" in line and "info.sampling.effort" in line


EFFORT_REQUEST = {
    "model": "gpt-6-luna",
    "reasoning_effort": "none",
    "messages": [{"role": "user", "content": "Suggest a name for a cat."}],
    "temperature": 0.5,
    "max_completion_tokens": 20,
}


# On a compatible server info.sampling is the server's model, with no effort (NOT_GIVEN: nothing is sent).
SERVER_REQUEST = {**EFFORT_REQUEST, "model": "llama3.2", "reasoning_effort": NOT_GIVEN}


@pytest.mark.parametrize(
    "request_",
    [EFFORT_REQUEST, SERVER_REQUEST, _without(SERVER_REQUEST, "reasoning_effort")],
)
def test_effort_request_passes(capsys, request_):
    check_effort_request(request_, _completion(["Mittens"]))
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "change, hint",
    [
        # kept the old name, or both names
        ({"max_tokens": 20}, "Use max_completion_tokens, not max_tokens"),
        ({"n": 1}, "Leave n out: gpt-6-luna rejects an explicit n, even n=1"),
        ({"temperature": 0}, "Keep temperature=0.5 (yours: 0)"),
        ({"reasoning_effort": "minimal"}, "gpt-6-luna has no 'minimal' effort"),
        (
            {"reasoning_effort": "low"},
            "At reasoning_effort='low' gpt-6-luna accepts temperature only at its default value (temperature 1)",
        ),
        ({"reasoning_effort": "medium"}, "only 'none' allows other values"),
        # the effort left out: gpt-6-luna's default is medium
        (
            {"reasoning_effort": NOT_GIVEN},
            "Without reasoning_effort, at its default effort ('medium'), gpt-6-luna accepts temperature only at its default",
        ),
        ({"model": "gpt-6-astra"}, "gpt-6-astra takes no temperature at any effort"),
        ({"max_completion_tokens": "20"}, "Cap the reply with max_completion_tokens"),
    ],
)
def test_effort_request_mistakes(capsys, change, hint):
    check_effort_request({**EFFORT_REQUEST, **change}, _completion(["Mittens"]))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_effort_request_without_temperature(capsys):
    check_effort_request(_without(EFFORT_REQUEST, "temperature"), _completion(["Mittens"]))
    assert "You removed the temperature" in _line(capsys)


def test_effort_request_renamed_only(capsys):
    old = {**_without(EFFORT_REQUEST, "max_completion_tokens"), "max_tokens": 20}
    check_effort_request(old, _completion(["Mittens"]))
    assert "Use max_completion_tokens, not max_tokens" in _line(capsys)


@pytest.mark.parametrize(
    "error, hint",
    [
        # effort left out: gpt-6-luna reasons at medium and refuses the temperature
        (TEMPERATURE_REFUSED, "at its default effort (medium), it accepts only the default value (temperature 1)"),
        (MINIMAL_REFUSED, "no 'minimal'"),
        (bad_request("model", "The model `gpt-6-lunar` does not exist."), "The API refused your request"),
    ],
)
def test_effort_request_refused_by_the_api(capsys, error, hint):
    request = SERVER_REQUEST  # rules the check does not know: the API's 400 tells
    check_effort_request(request, send(client_raising(error), request))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_effort_request_without_an_effort(capsys):
    check_effort_request(_without(EFFORT_REQUEST, "reasoning_effort"), _completion(["Mittens"]))
    assert "Without reasoning_effort, at its default effort ('medium')" in _line(capsys)


LUNA_AT_MEDIUM = {"model": "gpt-6-luna", "reasoning_effort": "medium"}


def test_several_replies_at_the_reasoning_effort(capsys):
    # temperature=1 at medium: the local server lets the default through, OpenAI's checklist says remove it
    check_several_replies({**REQUEST, **LUNA_AT_MEDIUM}, _replies(["a", "b", "c", "d"]))
    assert "At reasoning_effort='medium' gpt-6-luna accepts temperature only at its default value" in _line(capsys)


def test_stop_request_at_the_reasoning_effort(capsys):
    check_stop_request({**LINE_REQUEST, **LUNA_AT_MEDIUM}, _completion(["one line"]))
    assert "only 'none' allows other values" in _line(capsys)


def test_reproducible_on_gpt_6_luna_without_an_effort(capsys):
    request = {**REQUEST, "model": "gpt-6-luna", "seed": 1}
    check_reproducible(request, _completion(["x"], id="a"), _completion(["x"], id="b"))
    assert "Without reasoning_effort, at its default effort ('medium')" in _line(capsys)


def test_sampling_requests_at_effort_none_pass(capsys):
    check_several_replies({**REQUEST, "model": "gpt-6-luna", "reasoning_effort": "none"}, _replies("abcd"))
    assert _line(capsys).startswith("✅")


# Wrong answers an outside learner tried, each of which used to pass.


def client_returning(*responses):
    """A client whose create() returns the given responses in turn (test data), so send() records the requests."""
    queue = list(responses)

    def create(**request):
        return queue.pop(0)

    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


def _sent_replies(requests, fingerprint="fp_1"):
    replies = _replies([f"reply {i}" for i in range(len(requests))], fingerprint=fingerprint)
    client = client_returning(*replies)
    return [send(client, request) for request in requests]


def test_stop_request_cut_at_the_limit(capsys):
    check_stop_request({**LINE_REQUEST, "max_completion_tokens": 2}, _completion(["1."], ["length"]))
    line = _line(capsys)
    assert line.startswith("❌") and "finish_reason 'length'" in line and "max_completion_tokens=2" in line


@pytest.mark.parametrize(
    "seeds, hint",
    [([None] * 4, "its own whole-number seed"), ([7] * 4, "the same seed gives the same draws")],
)
def test_several_replies_without_their_own_seeds(capsys, seeds, hint):
    requests = [REQUEST if seed is None else {**REQUEST, "seed": seed} for seed in seeds]
    check_several_replies(REQUEST, _sent_replies(requests))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line and "or none" not in line


def test_several_replies_with_their_own_seeds_pass(capsys):
    check_several_replies(REQUEST, _sent_replies([{**REQUEST, "seed": seed} for seed in range(4)]))
    assert _line(capsys).startswith("✅")


def test_several_replies_at_a_low_temperature(capsys):
    check_several_replies({**REQUEST, "temperature": 0.1}, _replies(["a", "b", "c", "d"]))
    assert "replies come out (nearly) the same" in _line(capsys)


def test_complete_replies_keeping_content_filter(capsys):
    responses = _cut([("done.", "stop"), ("cut", "length"), ("also done.", "stop")])
    check_complete_replies(
        lambda rs: [r.choices[0].message.content for r in rs if r.choices[0].finish_reason != "length"], responses
    )
    assert "'content_filter'" in _line(capsys)


CUT_REQUEST = {"model": "gpt-6-luna", "reasoning_effort": "none", "max_completion_tokens": 8}


def _question(text):
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize(
    "requests, hint",
    [
        (
            [{**CUT_REQUEST, "max_completion_tokens": 80, "messages": _question(q)} for q in "abc"],
            "the exercise asks for 8",
        ),
        ([{**CUT_REQUEST, "temperature": 0, "messages": _question(q)} for q in "abc"], "no sampling parameter"),
        ([{**CUT_REQUEST, "messages": _question("a")} for _ in range(3)], "only 1 different message"),
    ],
)
def test_complete_replies_with_the_wrong_requests(capsys, requests, hint):
    responses = [
        send(client_returning(r), request)
        for r, request in zip(_cut([("a", "stop"), ("b", "length"), ("c", "stop")]), requests)
    ]
    check_complete_replies(_complete, responses)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_complete_replies_for_one_question_or_a_bigger_limit(capsys):
    check_complete_replies(_complete, _cut([("a", "length")]))
    assert "send one request for each of the 3 questions" in _line(capsys)
    responses = [
        _completion([t], [r], id=f"r{i}", completion_tokens=80)
        for i, (t, r) in enumerate([("a", "stop"), ("b", "length"), ("c", "stop")])
    ]
    check_complete_replies(_complete, responses)
    assert "max_completion_tokens=8" in _line(capsys)


def test_complete_replies_from_the_right_requests_pass(capsys):
    requests = [{**CUT_REQUEST, "messages": _question(q)} for q in "abc"]
    cut = _cut([("a", "stop"), ("b", "length"), ("c", "stop")])
    check_complete_replies(_complete, [send(client_returning(r), request) for r, request in zip(cut, requests)])
    assert _line(capsys).startswith("✅")


def test_reproducible_without_a_temperature(capsys):
    check_reproducible(
        {**_without(REQUEST, "temperature"), "seed": 1}, _completion(["x"], id="a"), _completion(["x"], id="b")
    )
    assert "Set a temperature above 0, as the exercise asks" in _line(capsys)


def test_effort_request_with_another_message(capsys):
    check_effort_request({**EFFORT_REQUEST, "messages": _question("Name a dog.")}, _completion(["Rex"]))
    assert "keep the same message" in _line(capsys)


def test_top_p_hint_counts_one_word(capsys):
    check_top_p(lambda p, top_p: np.array([1.0, 0, 0, 0]) if top_p == 0.8 else top_p_filter(p, top_p))
    assert "keeps 1 word;" in _line(capsys)


@pytest.mark.parametrize(
    ("check", "args"),
    [
        (check_several_replies, ({"model": "llama3.2", "seed": 0}, [])),
        (check_several_replies, (..., ...)),
        (check_reproducible, ({"model": "llama3.2", "seed": 123}, ValueError("refused"), ...)),
        (check_reproducible, (..., ..., ...)),
    ],
)
def test_seeded_exercises_are_skipped_on_a_backend_without_seed(capsys, backend_lacking, check, args):
    backend_lacking("seed")
    check(*args)
    assert _line(capsys).startswith("⏭️ Skipped on this backend: it has no seed (HTTP 400: seed is not supported)")


def test_exercises_without_seed_still_check_on_that_backend(capsys, backend_lacking):
    backend_lacking("seed")
    check_stop_request(..., ...)
    assert _line(capsys).startswith("⏳")
