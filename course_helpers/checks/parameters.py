"""Checks for the exercises of lesson 02 (temperature, top_p, several replies, max_completion_tokens, stop, seed,
reasoning_effort).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Math exercises are compared with the reference
implementations in :mod:`course_helpers.probabilities`; API exercises are
checked on the request you built and the structure of the response, never on
the model's wording. A request with a parameter today's models refuse gets a hint
before anything else, and so does a request the API refused (see
:func:`course_helpers.checks.send`), by the parameter it blamed:

>>> check_effort_request({"model": "gpt-6-luna", "messages": [], "temperature": 0.5, "max_tokens": 20}, "?")
❌ Use max_completion_tokens, not max_tokens: max_tokens is the old name of the limit, and today's models (gpt-6-luna among them) reject it with a 400.

>>> check_softmax(lambda logits, temperature: np.ones(len(logits)))
❌ softmax_with_temperature([2.0, 1.0, 0.1], 1.0) should add up to 1, but it adds up to 3.
>>> check_softmax(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/02_parameters.ipynb (and exercises/02_parameters.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..probabilities import sampling_probabilities, softmax, top_p_filter
from . import call, checker, describe, expect, fail, refused, sent_request

__all__ = [
    "check_complete_replies",
    "check_effort_request",
    "check_reproducible",
    "check_sampling",
    "check_several_replies",
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
                f"{where} keeps {kept} word{'s' if kept != 1 else ''}; expected {should}. Keep the word that crosses top_p too: "
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
    _sent(response)
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
        "`request` needs at least 'model' and 'messages' (use model=info.sampling.model).",
    )
    return request


MAX_TOKENS_HINT = (
    "Use max_completion_tokens, not max_tokens: max_tokens is the old name of the limit, and today's models "
    "(gpt-6-luna among them) reject it with a 400."
)
N_HINT = (
    'Leave n out: gpt-6-luna rejects an explicit n, even n=1 (the SDK: "Newer models reject an explicit `n`"). '
    "One request gives one reply; for several replies, send several requests."
)
# What to do when the API blamed one of these parameters (error.param of its 400).
_SAMPLING_HINT = (
    "gpt-6-luna takes {param} only with reasoning_effort='none'; at any other effort, and at its default effort "
    "(medium), it accepts only the default value (temperature 1). Send model=info.sampling.model with reasoning_effort=info.sampling.effort."
)
_PARAM_HINTS = {
    "max_tokens": MAX_TOKENS_HINT,
    "n": N_HINT,
    **{param: _SAMPLING_HINT for param in ("temperature", "top_p", "logprobs", "top_logprobs")},
    "reasoning_effort": (
        "Send the pair setup() chose, model=info.sampling.model with reasoning_effort=info.sampling.effort: "
        "gpt-6-luna's efforts are none, low, medium, high, xhigh and max (no 'minimal'), and a model that "
        "does not reason takes no reasoning_effort at all."
    ),
}


def _sent(response) -> None:
    """Stop with a hint when ``response`` is the API's refusal (from ``send``): what the blamed parameter needs."""
    param = getattr(response, "param", None)
    if isinstance(response, Exception) and param in _PARAM_HINTS:
        body = getattr(response, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        fail(f"The API refused your request ({message or response}). {_PARAM_HINTS[param].format(param=param)}")
    refused(response)


def _token_limit(request: dict) -> Any:
    """The request's max_completion_tokens; a hint for the old max_tokens, which today's models reject."""
    expect("max_tokens" not in request, MAX_TOKENS_HINT)
    return request.get("max_completion_tokens")


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SAMPLING_PARAMETERS = ("temperature", "top_p", "logprobs", "top_logprobs")


def _sampling_effort(request: dict) -> None:
    """A hint when the request sends temperature (top_p, logprobs) at an effort its model refuses them at.

    The rules are the local server's model profiles (OpenAI's deployment checklist for gpt-6-luna: only at
    effort "none"), so a request that passes here is one the local server accepts, and OpenAI should too.
    """
    from ..local.server.protocol.profiles import effective_effort, profile_for

    # temperature=0 is sent too (0 == False, hence `is`); logprobs=False is the same as leaving it out
    sent = [name for name in _SAMPLING_PARAMETERS if request.get(name) is not None and request.get(name) is not False]
    model = request.get("model")
    profile = profile_for(model) if isinstance(model, str) else None
    if not sent or profile is None or profile.sampling_efforts is None:
        return
    given = request.get("reasoning_effort")
    effort = effective_effort(profile, given if isinstance(given, str) else None)
    if effort in profile.sampling_efforts:
        return
    if given == "minimal" and "minimal" not in profile.efforts:
        fail(
            f"{model} has no 'minimal' effort (its efforts: {', '.join(profile.efforts)}), and only 'none' lets "
            f"it take {sent[0]}. Send reasoning_effort=info.sampling.effort."
        )
    if not profile.sampling_efforts:
        fail(
            f"{model} takes no {sent[0]} at any effort: send model=info.sampling.model, reasoning_effort=info.sampling.effort."
        )
    allowed = " or ".join(repr(value) for value in profile.sampling_efforts)
    at = (
        f"At reasoning_effort={given!r}"
        if isinstance(given, str)
        else f"Without reasoning_effort, at its default effort ({effort!r}),"
    )
    fail(
        f"{at} {model} accepts {sent[0]} only at its default value (temperature 1), and OpenAI's guide says to "
        f"leave it out: only {allowed} allows other values. Send model=info.sampling.model with "
        "reasoning_effort=info.sampling.effort."
    )


@checker(needs=("seed",))
def check_several_replies(request, responses, count: int = 4, max_tokens: int = 12):
    """Check ``count`` varied short replies from ``count`` requests: no n, a temperature above 0, a token limit."""
    request = _request(request)
    expect("n" not in request, N_HINT)
    temperature = request.get("temperature")
    expect(temperature is not None, "Set a temperature: the default (1) works, but say what you want.")
    expect(
        isinstance(temperature, (int, float)) and 0 < temperature <= 2,
        f"temperature={temperature!r}: to get varied replies it must be above 0 (and at most 2). "
        "At 0 all the replies would be the same.",
    )
    expect(
        temperature >= 0.7,
        f"temperature={temperature!r} is so low that nearly every draw is the most likely token, and the "
        "replies come out (nearly) the same: use a temperature that gives varied answers, 0.7 to 2 (1 is the default).",
    )
    _sampling_effort(request)
    limit = _token_limit(request)
    expect(limit is not None, f"Cap each reply with max_completion_tokens={max_tokens} (or less).")
    expect(
        _whole_number(limit) and 1 <= limit <= max_tokens,
        f"max_completion_tokens={limit!r}: keep it between 1 and {max_tokens}.",
    )
    expect(
        isinstance(responses, (list, tuple)),
        f"`responses` should be a list of the {count} responses, one request per reply, but it is "
        f"{describe(responses)}.",
    )
    expect(len(responses) == count, f"`responses` has {len(responses)} responses; send {count} requests.")
    for response in responses:
        choices = _choices(response)
        expect(len(choices) == 1, f"A response has {len(choices)} choices; each request should ask for one reply.")
        expect(
            response.usage.completion_tokens <= limit,
            f"A response used {response.usage.completion_tokens} completion tokens, more than "
            f"max_completion_tokens={limit}: is it the response to this request?",
        )
    expect(len({response.id for response in responses}) == count, "Send one request per reply, not the same one.")
    sent = [sent_request(response) for response in responses]
    if all(one is not None for one in sent):  # sent with send(): the seeds are known
        seeds = [one.get("seed") for one in sent if one is not None]
        expect(
            all(_whole_number(seed) for seed in seeds),
            f"The requests carried the seeds {seeds}: give each request its own whole-number seed, "
            '{**request, "seed": seed} for seed in range(4), as the exercise asks.',
        )
        expect(
            len(set(seeds)) == count,
            f"The requests carried the seeds {seeds}: the same seed gives the same draws. Give each request its "
            "own seed (seed=0, 1, 2, ...).",
        )
    texts = [response.choices[0].message.content for response in responses]
    if len(set(texts)) == 1 and responses[0].system_fingerprint in _exact_fingerprints():
        fail(
            f"The {count} replies are the same: did every request carry the same seed? The same seed gives the same "
            "draws, hence the same reply. Give each request its own seed (seed=0, 1, 2, ...)."
        )
    return f"{count} requests, one reply each: what n={count} did in one request on older models."


def _made_up_response(finish_reason: str, text: str, id: str = "made-up"):
    """A ChatCompletion built here, with one choice: test data, not model output."""
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": id,
            "object": "chat.completion",
            "created": 0,
            "model": "made-up",
            "choices": [
                {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": text}}
            ],
        }
    )


@checker
def check_complete_replies(function, responses, count: int = 3, limit: int = 8):
    """Check ``complete_replies(responses)``: the texts of the responses whose reply ended with finish_reason 'stop'."""
    expect(
        isinstance(responses, (list, tuple)) and responses,
        f"`cut_responses` should be a list of responses, one per request, but it is {describe(responses)}.",
    )
    reasons = [_choices(response)[0].finish_reason for response in responses]
    expect(
        len(responses) == count and len({response.id for response in responses}) == count,
        f"`cut_responses` holds {len(responses)} response(s) from {len({r.id for r in responses})} request(s): "
        f"send one request for each of the {count} questions.",
    )
    for response in responses:
        used = response.usage.completion_tokens if response.usage else None
        expect(
            used is None or used <= limit,
            f"A reply used {used} completion tokens, more than the exercise's max_completion_tokens={limit}: "
            f"send each question with max_completion_tokens={limit}.",
        )
    sent = [sent_request(response) for response in responses]
    if all(one is not None for one in sent):  # sent with send(): the requests are known
        requests = [one for one in sent if one is not None]
        for one in requests:
            expect(
                one.get("max_completion_tokens") == limit,
                f"A request has max_completion_tokens={one.get('max_completion_tokens')!r}: the exercise asks "
                f"for {limit}, so that some replies are cut.",
            )
            given = [name for name in _SAMPLING_PARAMETERS if name in one and one[name] is not False]
            expect(
                not given,
                f"A request sends {given[0] if given else ''}: this exercise sends no sampling parameter (not even "
                "temperature=0); use model=info.model, reasoning_effort=info.effort and leave it out.",
            )
        messages = [repr(one.get("messages")) for one in requests]
        expect(
            len(set(messages)) == count,
            f"Your {count} requests carry only {len(set(messages))} different message(s): send one request for "
            "each of the questions.",
        )
    expect(
        "length" in reasons,
        f"Make at least one reply hit the limit: use a small max_completion_tokens (the finish_reasons are {reasons}).",
    )
    # On a small model every reply may be cut, and then [] is right whatever the function does: try it on
    # made-up responses (not model output) that mix both finish_reasons, then on yours.
    made_up = [
        _made_up_response("stop", "A made-up reply that ended.", "a"),
        _made_up_response("length", "A made-up reply that was", "b"),
        _made_up_response("content_filter", "A made-up reply that was filt", "d"),
        _made_up_response("stop", "Another one that ended.", "c"),
    ]
    got = call(function, made_up)
    expect(
        isinstance(got, list) and all(isinstance(text, str) for text in got),
        f"complete_replies should return a list of strings (response.choices[0].message.content), but on "
        f"made-up responses it returned {describe(got)}.",
    )
    if got != ["A made-up reply that ended.", "Another one that ended."]:
        if "A made-up reply that was" in got:
            fail(
                "On made-up responses with finish_reasons ['stop', 'length', 'content_filter', 'stop'], your list "
                "contains the reply whose finish_reason is 'length': it was cut off at the limit. Keep only the "
                "replies whose finish_reason == 'stop'."
            )
        if "A made-up reply that was filt" in got:
            fail(
                "On made-up responses with finish_reasons ['stop', 'length', 'content_filter', 'stop'], your list "
                "contains the reply whose finish_reason is 'content_filter': it was cut off by the content filter. "
                "Keep the replies whose finish_reason == 'stop', rather than leaving out 'length' only."
            )
        fail(
            f"On made-up responses with finish_reasons ['stop', 'length', 'content_filter', 'stop'] you returned {got!r}; "
            "expected the texts of the 2 'stop' replies, in order."
        )
    got = call(function, responses)
    expect(isinstance(got, list), f"complete_replies should return a list of strings, but it returned {describe(got)}.")
    expected = [r.choices[0].message.content for r in responses if r.choices[0].finish_reason == "stop"]
    if got != expected:
        cut = [r.choices[0].message.content for r in responses if r.choices[0].finish_reason == "length"]
        if any(text in got for text in cut):
            fail(
                "Your list contains a reply whose finish_reason is 'length': it was cut off at the limit. "
                "Keep only the replies whose finish_reason == 'stop'."
            )
        fail(
            f"complete_replies returned {len(got)} texts; {len(expected)} of your responses ended with "
            "finish_reason 'stop'. Loop over the responses and keep response.choices[0].message.content."
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
    _sampling_effort(request)
    limit = _token_limit(request)
    expect(
        _whole_number(limit) and limit >= 1,
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
        expect(
            choice.finish_reason == "stop",
            f"The reply {choice.message.content!r} has finish_reason {choice.finish_reason!r}: it was cut at "
            f"max_completion_tokens={limit} before the stop sequence came. Raise the limit so that the newline "
            "ends the reply (finish_reason 'stop').",
        )
    return (
        f"the reply ends before the first {stop!r}; finish_reason 'stop' covers both a natural end and a stop sequence."
    )


def _exact_fingerprints() -> set[str]:
    """The system_fingerprints of backends where a seeded request always gives the same text: the built-in one."""
    from ..local import store
    from ..local.engine import fingerprint_of

    return {fingerprint_of(store.MODELS[store.CHAT_MODEL])}


@checker(needs=("seed",))
def check_reproducible(request, first, second):
    """Check two responses to the same seeded request: same seed, same system_fingerprint, same text (offline)."""
    request = _request(request)
    expect(isinstance(request.get("seed"), int), f"Put an integer seed in the request (seed={request.get('seed')!r}).")
    temperature = request.get("temperature")
    expect(
        temperature is not None,
        "Set a temperature above 0, as the exercise asks (say temperature=1.0): say what you want.",
    )
    expect(
        isinstance(temperature, (int, float)) and temperature > 0,
        f"temperature={temperature!r}: use a temperature above 0. At 0 there is no randomness to reproduce, "
        "the seed would not matter.",
    )
    _sampling_effort(request)
    _token_limit(request)
    for name, response in (("first", first), ("second", second)):
        _sent(response)
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


@checker
def check_effort_request(request, response, temperature: float = 0.5, message: str = "Suggest a name for a cat."):
    """Check an old request rewritten for gpt-6-luna: max_completion_tokens, no n, the same temperature at effort none."""
    request = _request(request)
    limit = _token_limit(request)
    expect("n" not in request, N_HINT)
    expect(
        request["messages"] == [{"role": "user", "content": message}],
        f"new_request has messages={request['messages']!r}: keep the same message, "
        f"[{{'role': 'user', 'content': {message!r}}}]; change only what gpt-6-luna refuses.",
    )
    given = request.get("temperature")
    expect(
        given is not None,
        f"You removed the temperature. That works, but the exercise keeps temperature={temperature}: gpt-6-luna "
        "takes it with reasoning_effort='none'.",
    )
    expect(given == temperature, f"Keep temperature={temperature} (yours: {given!r}); change what the model refuses.")
    _sampling_effort(request)
    expect(
        _whole_number(limit) and limit >= 1,
        f"Cap the reply with max_completion_tokens (a whole number); yours: {limit!r}.",
    )
    _choices(response)
    return (
        f"temperature={temperature} at reasoning_effort 'none', max_completion_tokens instead of max_tokens, and no n: "
        "a request gpt-6-luna accepts."
    )
