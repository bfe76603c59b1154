"""Checks for the exercises of lesson 02 (temperature, top_p, n, max_completion_tokens, stop, seed).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Math exercises are compared with the reference
implementations in :mod:`course_helpers.probabilities`; API exercises are
checked on the request you built and the structure of the response, never on
the model's wording.

>>> check_softmax(lambda logits, temperature: np.ones(len(logits)))
❌ softmax_with_temperature([2.0, 1.0, 0.1], 1.0) should add up to 1, but it adds up to 3.
>>> check_softmax(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/02_parameters.ipynb (and exercises/02_parameters.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import call, checker, describe, expect, fail
from .probabilities import sampling_probabilities, softmax, top_p_filter

__all__ = [
    "check_complete_replies",
    "check_reproducible",
    "check_sampling",
    "check_sampling_request",
    "check_softmax",
    "check_stop_request",
    "check_top_p",
]

TOY_PROBABILITIES = [0.6, 0.25, 0.1, 0.05]  # apple, banana, cherry, donut


def _as_array(result: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        fail(f"{what} should return an array of numbers, but it returned {describe(result)}.")
    expect(array.ndim == 1, f"{what} should return a 1-D array, but it returned shape {array.shape}.")
    return array


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in np.asarray(values, dtype=float)) + "]"


@checker
def check_softmax(function):
    """Check ``softmax_with_temperature(logits, temperature)`` against :func:`probabilities.softmax`."""
    cases = [
        ([2.0, 1.0, 0.1], 1.0),
        ([2.0, 1.0, 0.1], 0.5),
        ([2.0, 1.0, 0.1], 2.0),
        ([0.0, 0.0, 0.0, 0.0], 0.7),
        ([1000.0, 999.0, 0.0], 1.0),
    ]
    for logits, temperature in cases:
        where = f"softmax_with_temperature({logits}, {temperature})"
        with np.errstate(all="ignore"):  # an overflow shows up as inf/nan below, with a hint, not as a warning
            got = _as_array(call(function, np.array(logits), temperature), where)
        expected = softmax(logits, temperature)
        expect(
            got.shape == expected.shape,
            f"{where} returned {got.size} numbers; expected one per logit ({expected.size}).",
        )
        expect(
            np.all(np.isfinite(got)),
            f"{where} returned {_fmt(got)}: exp(1000) overflows. Subtract the "
            "largest logit before exp(): the result is the same, and the biggest exponent becomes exp(0) = 1.",
        )
        expect(abs(got.sum() - 1) < 1e-6, f"{where} should add up to 1, but it adds up to {got.sum():.3g}.")
        if not np.allclose(got, expected, atol=1e-6):
            flat = softmax(logits, 1.0 / temperature) if temperature != 1 else None
            if flat is not None and np.allclose(got, flat, atol=1e-6):
                fail(f"{where} returned {_fmt(got)}: divide the logits by the temperature (you multiplied).")
            fail(
                f"{where} returned {_fmt(got)}; expected {_fmt(expected)}. "
                "Compute exp(logits / temperature), then divide by its sum."
            )
    return "low temperatures sharpen the distribution, high ones flatten it."


@checker
def check_top_p(function):
    """Check ``top_p_filter(probabilities, top_p)`` against :func:`probabilities.top_p_filter`."""
    cases = [
        (TOY_PROBABILITIES, 0.8),
        (TOY_PROBABILITIES, 0.5),
        (TOY_PROBABILITIES, 0.9),
        (TOY_PROBABILITIES, 1.0),
        ([0.1, 0.3, 0.2, 0.4], 0.65),
    ]
    for probabilities, top_p in cases:
        where = f"top_p_filter({probabilities}, {top_p})"
        got = _as_array(call(function, np.array(probabilities), top_p), where)
        expected = top_p_filter(probabilities, top_p)
        expect(
            got.shape == expected.shape,
            f"{where} returned {got.size} numbers; keep one per word, in the "
            "same order, with 0 for the words left out.",
        )
        if np.allclose(got, expected, atol=1e-6):
            continue
        kept, should = int(np.count_nonzero(got > 1e-12)), int(np.count_nonzero(expected))
        if kept == should and not np.isclose(got.sum(), 1):
            fail(
                f"{where} keeps the right words but adds up to {got.sum():.3g}: divide the kept "
                "probabilities by their sum, so they add up to 1 again."
            )
        if kept == should - 1:
            fail(
                f"{where} keeps {kept} words; expected {should}. Keep the word that crosses top_p too: "
                "the nucleus is the smallest set whose probabilities reach top_p."
            )
        if probabilities != sorted(probabilities, reverse=True):
            fail(
                f"{where} returned {_fmt(got)}; expected {_fmt(expected)}. These probabilities are not in "
                "order: sort them (most likely first, np.argsort(-probabilities)) before adding up, then put "
                "the results back in the original order."
            )
        fail(f"{where} returned {_fmt(got)}; expected {_fmt(expected)}.")
    return "top_p keeps the most likely words until they reach top_p, then renormalizes."


@checker
def check_sampling(function):
    """Check ``sampling_distribution(logits, temperature, top_p)``: temperature first, then top_p."""
    logits = np.log(TOY_PROBABILITIES)
    cases = [(1.0, 1.0), (2.0, 0.5), (0.5, 0.9), (1.5, 0.8)]
    results = {}
    for temperature, top_p in cases:
        where = f"sampling_distribution(log(probabilities), {temperature}, {top_p})"
        results[temperature, top_p] = _as_array(call(function, logits.copy(), temperature, top_p), where)

    def matches_everywhere(reference) -> bool:
        return all(
            got.shape == reference(t, p).shape and np.allclose(got, reference(t, p), atol=1e-6)
            for (t, p), got in results.items()
        )

    # Two mistakes that give the same numbers on some cases: tell them apart over all the cases.
    if matches_everywhere(lambda t, p: top_p_filter(softmax(logits), p)):
        fail(
            "sampling_distribution ignores the temperature: it gives the same result at every temperature. "
            "Divide the logits by the temperature (your softmax_with_temperature) before top_p."
        )
    if matches_everywhere(lambda t, p: softmax(np.log(np.maximum(top_p_filter(softmax(logits), p), 1e-300)), t)):
        fail(
            "You applied top_p before temperature. The sampler divides by the temperature first, then "
            "picks the nucleus from the tempered probabilities."
        )
    for (temperature, top_p), got in results.items():
        expected = sampling_probabilities(logits, temperature, top_p)
        if got.shape == expected.shape and np.allclose(got, expected, atol=1e-6):
            continue
        where = f"sampling_distribution(log(probabilities), {temperature}, {top_p})"
        if got.shape == expected.shape and np.allclose(got, top_p_filter(softmax(logits / temperature), 1.0)):
            fail(
                f"{where} returned {_fmt(got)}; expected {_fmt(expected)}. The temperature is right, but "
                "top_p was not applied: pass the tempered probabilities through your top_p_filter."
            )
        fail(
            f"{where} returned {_fmt(got)}; expected {_fmt(expected)}. Temperature first "
            "(softmax_with_temperature), then top_p_filter on its result."
        )
    return "temperature reshapes the distribution, then top_p cuts its tail."


def _choices(response) -> list:
    expect(
        not isinstance(response, str),
        "This is a str; keep the whole object returned by client.chat.completions.create(...), not its text.",
    )
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`response` should be the ChatCompletion returned by client.chat.completions.create(**request), "
        f"but it is {describe(response)}.",
    )
    return response.choices


def _request(request) -> dict:
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments you pass to "
        f"client.chat.completions.create(**request), but it is {describe(request)}.",
    )
    expect(
        "model" in request and "messages" in request,
        "`request` needs at least 'model' and 'messages' (use model=info.model).",
    )
    return request


def _token_limit(request: dict) -> int | None:
    return request.get("max_completion_tokens", request.get("max_tokens"))


@checker
def check_sampling_request(request, response, n: int = 4, max_tokens: int = 12):
    """Check a request for ``n`` varied short replies: n, a temperature above 0, a token limit, and the response."""
    request = _request(request)
    expect(
        request.get("n") == n,
        f"Ask for {n} replies in one request with n={n} (your request has n={request.get('n')!r}).",
    )
    temperature = request.get("temperature")
    expect(temperature is not None, "Set a temperature: the default (1) works, but say what you want.")
    expect(
        isinstance(temperature, (int, float)) and 0 < temperature <= 2,
        f"temperature={temperature!r}: to get varied replies it must be above 0 (and at most 2). "
        "At 0 all the replies would be the same.",
    )
    limit: Any = _token_limit(request)
    expect(limit is not None, f"Cap each reply with max_completion_tokens={max_tokens} (or less).")
    expect(
        "max_tokens" not in request,
        "Prefer max_completion_tokens: max_tokens is deprecated, and reasoning models reject it.",
    )
    expect(
        isinstance(limit, int) and 1 <= limit <= max_tokens,
        f"max_completion_tokens={limit!r}: keep it between 1 and {max_tokens}.",
    )
    choices = _choices(response)
    expect(len(choices) == n, f"The response has {len(choices)} choices; expected {n}. Did you send this request?")
    expect(
        response.usage.completion_tokens <= n * limit,
        f"The response used {response.usage.completion_tokens} completion tokens, more than n × "
        f"max_completion_tokens = {n * limit}: is it the response to this request?",
    )
    return f"{n} choices from one request; usage counts the tokens of all of them."


def _made_up_response(choices: list[tuple[str, str]]):
    """A ChatCompletion built here, with the given (finish_reason, text) choices: test data, not model output."""
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "made-up",
            "object": "chat.completion",
            "created": 0,
            "model": "made-up",
            "choices": [
                {"index": i, "finish_reason": reason, "message": {"role": "assistant", "content": text}}
                for i, (reason, text) in enumerate(choices)
            ],
        }
    )


@checker
def check_complete_replies(function, response):
    """Check ``complete_replies(response)``: the texts of the choices that ended with finish_reason 'stop'."""
    choices = _choices(response)
    reasons = [choice.finish_reason for choice in choices]
    expect(
        "length" in reasons,
        f"Make at least one reply hit the limit: use a small max_completion_tokens (the finish_reasons are {reasons}).",
    )
    # On a small model every reply may be cut, and then [] is right whatever the function does: try it on
    # a made-up response (not model output) that mixes both finish_reasons, then on yours.
    made_up = _made_up_response(
        [
            ("stop", "A made-up reply that ended."),
            ("length", "A made-up reply that was"),
            ("stop", "Another one that ended."),
        ]
    )
    got = call(function, made_up)
    expect(
        isinstance(got, list) and all(isinstance(text, str) for text in got),
        f"complete_replies should return a list of strings (choice.message.content), but on a made-up "
        f"response it returned {describe(got)}.",
    )
    if got != ["A made-up reply that ended.", "Another one that ended."]:
        if "A made-up reply that was" in got:
            fail(
                "On a made-up response with finish_reasons ['stop', 'length', 'stop'], your list contains "
                "the reply whose finish_reason is 'length': it was cut off at the limit. Keep only the choices whose "
                "finish_reason == 'stop'."
            )
        fail(
            f"On a made-up response with finish_reasons ['stop', 'length', 'stop'] you returned {got!r}; "
            "expected the texts of the 2 'stop' choices, in order."
        )
    got = call(function, response)
    expect(isinstance(got, list), f"complete_replies should return a list of strings, but it returned {describe(got)}.")
    expected = [choice.message.content for choice in choices if choice.finish_reason == "stop"]
    if got != expected:
        cut = [choice.message.content for choice in choices if choice.finish_reason == "length"]
        if any(text in got for text in cut):
            fail(
                "Your list contains a reply whose finish_reason is 'length': it was cut off at the limit. "
                "Keep only the choices whose finish_reason == 'stop'."
            )
        fail(
            f"complete_replies returned {len(got)} texts; the response has {len(expected)} choices with "
            "finish_reason 'stop'. Loop over response.choices and keep choice.message.content."
        )
    # The counts vary from run to run (sampling), so the remark does not show them.
    return "only the replies with finish_reason 'stop' are kept; the 'length' ones were cut off."


@checker
def check_stop_request(request, response, stop: str = "\n"):
    """Check a request that ends the reply at the first ``stop`` string (a newline by default)."""
    request = _request(request)
    given = request.get("stop")
    expect(given is not None, f"Add stop={[stop]!r} to the request.")
    stops = [given] if isinstance(given, str) else list(given)
    if stop == "\n" and "\\n" in stops:
        fail(
            f"stop={given!r} holds a backslash followed by n (a raw string, or a doubled backslash), "
            'which the model never writes. A newline is "\\n" in ordinary quotes.'
        )
    expect(stop in stops, f"stop={given!r} does not contain {stop!r}.")
    expect(len(stops) <= 4, f"OpenAI accepts at most 4 stop sequences; you gave {len(stops)}.")
    temperature = request.get("temperature")
    expect(
        temperature == 0,
        f"The request has temperature={temperature!r}: set temperature=0, as the exercise asks, so the "
        "reply is the model's most likely one and the same on every run (the default, 1, samples).",
    )
    limit = _token_limit(request)
    expect(
        isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1,
        f"Cap the reply with max_completion_tokens (a whole number of your choice); yours: {limit!r}. The stop "
        "sequence may never come, and then the limit ends the reply.",
    )
    choices = _choices(response)
    for choice in choices:
        expect(
            stop not in (choice.message.content or ""),
            f"A reply contains {stop!r}: did you send this "
            "request? The stop sequence ends the reply and is not part of it.",
        )
    return (
        f"the reply ends before the first {stop!r}; finish_reason 'stop' covers both a natural end and a stop sequence."
    )


def _exact_fingerprints() -> set[str]:
    """The system_fingerprints of backends where a seeded request always gives the same text: the built-in one."""
    from .local import store
    from .local.engine import fingerprint_of

    return {fingerprint_of(store.MODELS[store.CHAT_MODEL])}


@checker
def check_reproducible(request, first, second):
    """Check two responses to the same seeded request: same seed, same system_fingerprint, same text (offline)."""
    request = _request(request)
    expect(isinstance(request.get("seed"), int), f"Put an integer seed in the request (seed={request.get('seed')!r}).")
    temperature = request.get("temperature", 1)
    expect(
        isinstance(temperature, (int, float)) and temperature > 0,
        f"temperature={temperature!r}: use a temperature above 0. At 0 there is no randomness to reproduce, "
        "the seed would not matter.",
    )
    for name, response in (("first", first), ("second", second)):
        expect(
            getattr(response, "object", None) == "chat.completion",
            f"`{name}` should be a ChatCompletion, but it is {describe(response)}.",
        )
    expect(first.id != second.id, "`first` and `second` are the same response: send the request twice.")
    if first.usage and second.usage and first.usage.prompt_tokens != second.usage.prompt_tokens:
        fail(
            f"The two prompts differ ({first.usage.prompt_tokens} and {second.usage.prompt_tokens} tokens): "
            "send seeded_request, unchanged, both times; only the same request can give the same reply."
        )
    same_text = [a.message.content for a in first.choices] == [b.message.content for b in second.choices]
    if first.system_fingerprint != second.system_fingerprint:
        return (
            "the system_fingerprints differ: the provider changed its backend between your calls, so "
            "the seed cannot promise the same text."
        )
    if same_text:
        return "same seed and same system_fingerprint gave the same reply."
    if first.system_fingerprint in _exact_fingerprints():
        fail(
            "The two replies differ, on the built-in backend, where the same seeded request always gives the "
            "same text: your two requests were not the same (a different seed, or another setting changed "
            "between them?). Send seeded_request, unchanged, both times."
        )
    return (
        "same system_fingerprint, different text: if you sent seeded_request unchanged both times, this is "
        "OpenAI's seed being best effort, not a guarantee (a different seed in the second request would "
        "also explain it). On the built-in local backend, which is exact, the two replies are the same."
    )
