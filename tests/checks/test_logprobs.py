"""Tests for course_helpers/checks/logprobs.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest
import math
from types import SimpleNamespace

import httpx2
import numpy as np
import openai
import pytest
from openai.types.chat import ChatCompletion

from course_helpers.checks import logprobs as logprob_checks
from course_helpers.checks import send
from course_helpers.checks.logprobs import (
    EXAMPLE_LOGPROBS,
    check_label_probabilities,
    check_logprobs_request,
    check_perplexity,
    check_reply_probability,
    check_route,
    check_text_from_bytes,
    reference_label_probabilities,
)
from course_helpers.probabilities import perplexity


def _line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def _entry(token_bytes: bytes, probability: float, alternatives=()):
    shown = (
        token_bytes.decode("utf-8", errors="strict")
        if _valid(token_bytes)
        else "bytes:" + "".join(f"\\x{b:02x}" for b in token_bytes)
    )
    return {
        "token": shown,
        "bytes": list(token_bytes),
        "logprob": math.log(probability),
        "top_logprobs": [{"token": t, "bytes": list(t.encode()), "logprob": math.log(p)} for t, p in alternatives],
    }


def _without(request: dict, key: str) -> dict:
    return {name: value for name, value in request.items() if name != key}


def _valid(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _completion(entries, completion_tokens=None):
    """A ChatCompletion with logprobs, built from test data (not a model's reply)."""
    text = b"".join(bytes(e["bytes"]) for e in entries).decode("utf-8", errors="replace")
    count = len(entries) if completion_tokens is None else completion_tokens
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "test",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                    "logprobs": {"content": entries},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": count, "total_tokens": 3 + count},
        }
    )


def test_docstring_examples():
    assert doctest.testmod(logprob_checks, extraglobs={"np": np}).failed == 0


def test_reply_probability(capsys):
    check_reply_probability(math.exp(sum(EXAMPLE_LOGPROBS)))
    assert _line(capsys).startswith("✅")
    check_reply_probability(sum(math.exp(x) for x in EXAMPLE_LOGPROBS))
    assert "multiply" in _line(capsys)


def test_perplexity(capsys):
    check_perplexity(perplexity)
    assert _line(capsys).startswith("✅")
    check_perplexity(lambda lps: math.exp(np.mean(lps)))
    assert "minus sign" in _line(capsys)
    check_perplexity(lambda lps: math.exp(-np.sum(lps)))
    assert "mean of the logprobs" in _line(capsys)


def test_logprobs_request(capsys):
    alternatives = [(t, 0.1) for t in "abcde"]
    response = _completion([_entry(b"Hi", 0.9, alternatives), _entry(b"!", 0.5, alternatives)])
    request = {
        "model": "gpt-6-luna",
        "reasoning_effort": "none",
        "messages": [],
        "logprobs": True,
        "top_logprobs": 5,
        "max_completion_tokens": 20,
    }
    check_logprobs_request(request, response)
    assert _line(capsys).startswith("✅")
    check_logprobs_request({**request, "logprobs": False}, response)
    assert "logprobs=True" in _line(capsys)
    check_logprobs_request({**request, "top_logprobs": 3}, response)
    assert "top_logprobs=5" in _line(capsys)


VERDICT_REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "My order arrived two weeks late."}],
    "temperature": 0,
    "max_completion_tokens": 1,
    "logprobs": True,
    "top_logprobs": 20,
}
EMOJI_REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "a rainy day"}],
    "temperature": 0,
    "max_completion_tokens": 8,
    "logprobs": True,
}
CLASSIFIER = _completion([_entry(b"positive", 0.6, [("positive", 0.6), (" Positive", 0.1), ("negative", 0.2)])])


def test_label_probabilities(capsys):
    check_label_probabilities(reference_label_probabilities, VERDICT_REQUEST, CLASSIFIER)
    assert _line(capsys).startswith("✅")


def test_label_probabilities_without_merging_spellings(capsys):
    def exact(top_logprobs, labels):
        return {label: sum(math.exp(a.logprob) for a in top_logprobs if a.token == label) for label in labels}

    check_label_probabilities(exact, VERDICT_REQUEST, CLASSIFIER)
    assert "strip().lower()" in _line(capsys)


def test_label_probabilities_missing_labels(capsys):
    check_label_probabilities(lambda tl, labels: {"positive": 1.0}, VERDICT_REQUEST, CLASSIFIER)
    assert "one entry per label" in _line(capsys)


@pytest.mark.parametrize(
    "route, hint",
    [
        (lambda p, t: max(p, key=p.get), "a human should decide"),
        (lambda p, t: max(p, key=p.get) if max(p.values()) > t else "human", "use >="),
    ],
)
def test_route_mistakes(capsys, route, hint):
    check_route(route)
    assert hint in _line(capsys)


def test_route_right(capsys):
    check_route(lambda p, t: max(p, key=p.get) if max(p.values()) >= t else "human")
    assert _line(capsys).startswith("✅")


def test_text_from_bytes_with_a_split_emoji(capsys):
    pizza = "🍕".encode()
    response = _completion([_entry(b"Hi ", 0.9), _entry(pizza[:2], 0.5), _entry(pizza[2:], 0.8)])
    check_text_from_bytes(
        lambda c: b"".join(bytes(e.bytes) for e in c).decode("utf-8", errors="replace"), EMOJI_REQUEST, response
    )
    assert _line(capsys).startswith("✅")
    check_text_from_bytes(lambda c: "".join(e.token for e in c), EMOJI_REQUEST, response)
    assert "joined the token strings" in _line(capsys)
    check_text_from_bytes(
        lambda c: "".join(bytes(e.bytes).decode("utf-8", errors="replace") for e in c), EMOJI_REQUEST, response
    )
    assert "decode once" in _line(capsys)


@pytest.mark.parametrize(
    "value, hint",
    [
        (math.exp(float(np.mean(EXAMPLE_LOGPROBS))), "exp(mean"),
        (math.exp(-sum(EXAMPLE_LOGPROBS)), "mind the sign"),
        (np.exp(EXAMPLE_LOGPROBS), "one number per token"),
    ],
)
def test_reply_probability_mistakes(capsys, value, hint):
    check_reply_probability(value)
    assert hint in _line(capsys)


def _summed(key, combine=lambda total, p: total + p, convert=math.exp):
    def label_probabilities(top_logprobs, labels):
        totals = {label: 0.0 for label in labels}
        for alternative in top_logprobs:
            word = key(alternative.token)
            if word in totals:
                totals[word] = combine(totals[word], convert(alternative.logprob))
        return totals

    return label_probabilities


@pytest.mark.parametrize(
    "function, hint",
    [
        (_summed(str.strip), ".lower()"),
        (_summed(str.lower), ".strip()"),
        (_summed(lambda t: t.strip().lower(), combine=lambda total, p: p), "+="),
    ],
)
def test_label_probabilities_spelling_mistakes(capsys, function, hint):
    check_label_probabilities(function, VERDICT_REQUEST, CLASSIFIER)
    assert hint in _line(capsys)


def test_label_probabilities_drops_absent_labels(capsys):
    def only_seen(top_logprobs, labels):
        totals = {}
        for alternative in top_logprobs:
            word = alternative.token.strip().lower()
            if word in labels:
                totals[word] = totals.get(word, 0.0) + math.exp(alternative.logprob)
        return totals

    check_label_probabilities(only_seen, VERDICT_REQUEST, CLASSIFIER)
    assert "with 0.0" in _line(capsys)


def test_label_probabilities_without_alternatives(capsys):
    no_alternatives = _completion([_entry(b"positive", 0.6)])
    check_label_probabilities(reference_label_probabilities, VERDICT_REQUEST, no_alternatives)
    assert "top_logprobs=20" in _line(capsys)


def test_text_from_bytes_without_errors_replace(capsys):
    pizza = "🍕".encode()
    response = _completion([_entry(pizza[:2], 0.9), _entry(pizza[2:], 0.9)])
    check_text_from_bytes(
        lambda content: b"".join(bytes(e.bytes) for e in content).decode("utf-8"), EMOJI_REQUEST, response
    )
    assert "errors='replace'" in _line(capsys)


def bad_request(param: str, message: str, code: str | None = None) -> openai.BadRequestError:
    """A 400 as the SDK raises it (made here, no server involved)."""
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=request), body=body)


def client_raising(error):
    def create(**request):
        raise error

    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


REQUEST = {"model": "m", "messages": [], "logprobs": True, "top_logprobs": 5, "max_completion_tokens": 20}
REFUSED = bad_request("model", "The model `m` does not exist.")


@pytest.mark.parametrize(
    "request_, hint",
    [
        # the API's own 400, returned by send() instead of raised: a hint, not NameError: response
        ({**REQUEST, "logprobs": 5, "top_logprobs": None}, "logprobs is a switch, True or False"),
        ({**REQUEST, "logprobs": None}, "Set logprobs=True"),
        ({**REQUEST, "top_logprobs": 20}, "top_logprobs=5 (yours: 20)"),
        ({**REQUEST, "max_completion_tokens": 100}, "at most 20"),
        (_without(REQUEST, "max_completion_tokens"), "at most 20"),
        (
            {**REQUEST, "model": "m"},
            "The API refused your request (400 BadRequestError: The model `m` does not exist.)",
        ),
    ],
)
def test_logprobs_request_wrong_answers(capsys, request_, hint):
    response = send(client_raising(REFUSED), request_)
    check_logprobs_request(request_, response)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


@pytest.mark.parametrize(
    "change, hint",
    [
        # the learners' verdict: five alternatives and no temperature
        ({"top_logprobs": 5, "temperature": None}, "top_logprobs=20 (yours: 5)"),
        ({"temperature": None}, "temperature=None; the exercise asks for temperature=0"),
        ({"temperature": 1}, "the exercise asks for temperature=0"),
        ({"max_completion_tokens": 5}, "the exercise asks for max_completion_tokens=1"),
        ({"logprobs": 20}, "logprobs is a switch"),
        ({"logprobs": None}, "Set logprobs=True in `verdict_request`"),
    ],
)
def test_label_probabilities_wrong_requests(capsys, change, hint):
    request = {key: value for key, value in {**VERDICT_REQUEST, **change}.items() if value is not None}
    check_label_probabilities(reference_label_probabilities, request, CLASSIFIER)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_label_probabilities_after_a_refused_request(capsys):
    verdict = send(client_raising(bad_request("top_logprobs", "top_logprobs must be at most 20.")), VERDICT_REQUEST)
    check_label_probabilities(reference_label_probabilities, VERDICT_REQUEST, verdict)
    assert "The API refused your request (400" in _line(capsys)


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"logprobs": None}, "Set logprobs=True in `emoji_request`"),
        ({"temperature": None}, "the exercise asks for temperature=0"),
        ({"max_completion_tokens": 20}, "the exercise asks for max_completion_tokens=8"),
    ],
)
def test_text_from_bytes_wrong_requests(capsys, change, hint):
    request = {key: value for key, value in {**EMOJI_REQUEST, **change}.items() if value is not None}
    response = _completion([_entry(b"Hi", 0.9)])
    check_text_from_bytes(
        lambda c: b"".join(bytes(e.bytes) for e in c).decode("utf-8", errors="replace"), request, response
    )
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_a_stub_request_stays_a_stub(capsys):
    check_logprobs_request(..., send(client_raising(REFUSED), ...))
    assert _line(capsys).startswith("⏳")


def local_refusal(request: dict) -> openai.BadRequestError:
    """The 400 the built-in local backend answers for ``request`` (its OpenAI rules, no model involved)."""
    from course_helpers.local.server.errors import APIError
    from course_helpers.local.server.protocol.chat import parse_chat_completion

    with pytest.raises(APIError) as refusal:
        parse_chat_completion(request)
    error = refusal.value.body()["error"]
    return bad_request(error["param"], error["message"], code=error["code"])


LUNA = {"model": "gpt-6-luna", "reasoning_effort": "none"}
ASKED = {**REQUEST, "messages": [{"role": "user", "content": "What is the largest planet?"}]}


@pytest.mark.parametrize(
    "check, request_",
    [
        (lambda request, response: check_logprobs_request(request, response), {**ASKED, **LUNA}),
        (
            lambda request, response: check_label_probabilities(reference_label_probabilities, request, response),
            {**VERDICT_REQUEST, **LUNA},
        ),
        (
            lambda request, response: check_text_from_bytes(lambda content: "", request, response),
            {**EMOJI_REQUEST, **LUNA},
        ),
    ],
)
def test_max_tokens_gets_its_own_hint(capsys, check, request_):
    """The older name, as a learner from an older tutorial writes it: the hint names max_completion_tokens."""
    limit = request_.pop("max_completion_tokens")
    request_["max_tokens"] = limit
    check(request_, send(client_raising(local_refusal(request_)), request_))
    line = _line(capsys)
    assert line.startswith("❌") and "max_tokens, the older name" in line and "max_completion_tokens" in line


@pytest.mark.parametrize("effort", ["low", "medium"])
def test_an_effort_other_than_none_gets_the_sampling_hint(capsys, monkeypatch, effort):
    monkeypatch.delenv("COURSE_SAMPLING_EFFORT", raising=False)
    request = {**VERDICT_REQUEST, "model": "gpt-6-luna", "reasoning_effort": effort}
    check_label_probabilities(reference_label_probabilities, request, send(client_raising(REFUSED), request))
    line = _line(capsys)
    assert line.startswith("❌") and "reasoning_effort='none'" in line and "info.sampling" in line


@pytest.mark.parametrize(
    "check, request_",
    [
        # gpt-6-luna without reasoning_effort runs at medium: the local backend refuses logprobs, or temperature first
        (lambda request, response: check_logprobs_request(request, response), {**ASKED, "model": "gpt-6-luna"}),
        (
            lambda request, response: check_label_probabilities(reference_label_probabilities, request, response),
            {**VERDICT_REQUEST, "model": "gpt-6-luna"},
        ),
        (
            lambda request, response: check_text_from_bytes(lambda content: "", request, response),
            {**EMOJI_REQUEST, "model": "gpt-6-luna"},
        ),
    ],
)
def test_a_forgotten_effort_gets_the_sampling_hint(capsys, check, request_):
    check(request_, send(client_raising(local_refusal(request_)), request_))
    line = _line(capsys)
    assert line.startswith("❌") and "The API refused" in line and "reasoning_effort=info.sampling.effort" in line


def test_the_sampling_effort_from_env_is_accepted(capsys, monkeypatch):
    """A learner who chose another sampling effort in .env is not told to use 'none'."""
    monkeypatch.setenv("COURSE_SAMPLING_EFFORT", "low")
    request = {**VERDICT_REQUEST, "model": "gpt-6-luna", "reasoning_effort": "low"}
    check_label_probabilities(reference_label_probabilities, request, CLASSIFIER)
    assert _line(capsys).startswith("✅")


def test_a_temperature_out_of_range_is_not_blamed_on_the_effort(capsys):
    request = {**ASKED, **LUNA, "temperature": 3}
    check_logprobs_request(request, send(client_raising(local_refusal(request)), request))
    line = _line(capsys)
    assert "The API refused your request (400" in line and "info.sampling" not in line


def test_route_first_label_over_a_low_threshold(capsys):
    """The first label that reaches a threshold below 0.5 is not the best one."""
    check_route(lambda p, t: next((label for label, q in p.items() if q >= t), "human"))
    line = _line(capsys)
    assert line.startswith("❌") and "the first label that reaches the threshold" in line


def _label_answer(convert):
    def label_probabilities(top_logprobs, labels):
        totals = reference_label_probabilities(top_logprobs, labels)
        return convert(totals)

    return label_probabilities


@pytest.mark.parametrize(
    "function, hint",
    [
        # labels hard-coded, the argument ignored
        (
            lambda top_logprobs, labels: reference_label_probabilities(
                top_logprobs, ["positive", "negative", "neutral"]
            ),
            "ignores its `labels` argument",
        ),
        (_label_answer(lambda totals: {k: 100 * v for k, v in totals.items()}), "that is a percentage"),
        (_label_answer(lambda totals: {k: v / sum(totals.values()) for k, v in totals.items()}), "you normalised"),
    ],
)
def test_label_probabilities_wrong_scales_and_labels(capsys, function, hint):
    check_label_probabilities(function, VERDICT_REQUEST, CLASSIFIER)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_logprobs_request_names_the_sampling_model(capsys, monkeypatch):
    """A model of the learner's own (gpt-4o-mini, no effort) instead of info.sampling.model fails."""
    alternatives = [(t, 0.1) for t in "abcde"]
    response = _completion([_entry(b"Hi", 0.9, alternatives)])
    request = {"model": "gpt-4o-mini", "messages": [], "logprobs": True, "top_logprobs": 5, "max_completion_tokens": 20}
    check_logprobs_request(request, response)
    line = _line(capsys)
    assert line.startswith("❌") and "model=info.sampling.model ('gpt-6-luna' in your setup)" in line
    # another sampling model chosen in .env is the learner's info.sampling.model: accepted
    monkeypatch.setenv("COURSE_SAMPLING_MODEL", "gpt-4o-mini")
    check_logprobs_request(request, response)
    assert _line(capsys).startswith("✅")


def test_text_from_bytes_with_the_alternatives_bytes(capsys):
    """e.top_logprobs[0].bytes: the request asked for no alternatives, so the list is empty."""
    response = _completion([_entry(b"Hi ", 0.9), _entry(b"there", 0.5)])
    check_text_from_bytes(
        lambda c: b"".join(bytes(e.top_logprobs[0].bytes) for e in c).decode(), EMOJI_REQUEST, response
    )
    line = _line(capsys)
    assert line.startswith("❌") and "entry.bytes" in line


@pytest.mark.parametrize(
    ("check", "args"),
    [
        (check_logprobs_request, ({"model": "llama3.2", "logprobs": True}, ValueError("refused"))),
        (check_logprobs_request, (..., ...)),
        (check_label_probabilities, (reference_label_probabilities, {"logprobs": True}, ValueError("refused"))),
        (check_text_from_bytes, (lambda content: "", {"logprobs": True}, ValueError("refused"))),
    ],
)
def test_logprob_exercises_are_skipped_on_a_backend_without_logprobs(capsys, backend_lacking, check, args):
    backend_lacking("logprobs")
    check(*args)
    assert _line(capsys).startswith("⏭️ Skipped on this backend: it has no logprobs / top_logprobs (HTTP 400")


def test_exercises_without_logprobs_still_check_on_that_backend(capsys, backend_lacking):
    backend_lacking("logprobs")
    check_perplexity(perplexity)
    assert _line(capsys).startswith("✅")
