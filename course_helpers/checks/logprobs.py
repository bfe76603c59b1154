"""Checks for the exercises of lesson 03 (logprobs, top_logprobs, confidence, perplexity, bytes).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Math exercises are compared with numpy; API
exercises are checked on the request and the response's structure, never on
the model's wording. A request caps its reply with ``max_completion_tokens``
(the older ``max_tokens`` gets its own hint), and a refusal of logprobs or
temperature at a reasoning effort other than "none" names the fix, ``info.sampling``.

>>> check_reply_probability(-3.15)
❌ -3.15 is the sum of the logprobs, still a log: a probability is exp(sum) (and lies between 0 and 1).
>>> check_route(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/03_logprobs.ipynb (and exercises/03_logprobs.ipynb)
"""

from __future__ import annotations

import math

import numpy as np

from ..course.models import read_choices, server_choices
from ..course.settings import read_settings
from ..probabilities import perplexity
from . import Hint, call, checker, describe, expect, fail, refused

__all__ = [
    "EXAMPLE_LOGPROBS",
    "check_label_probabilities",
    "check_logprobs_request",
    "check_perplexity",
    "check_reply_probability",
    "check_route",
    "check_text_from_bytes",
    "reference_label_probabilities",
]

#: The logprobs of a 4-token reply, used by the first exercise.
EXAMPLE_LOGPROBS = [-0.1, -2.3, -0.05, -0.7]


def reference_label_probabilities(top_logprobs, labels) -> dict[str, float]:
    """For each label, the total probability of the tokens that spell it (case and spaces ignored).

    >>> from types import SimpleNamespace as T
    >>> probs = reference_label_probabilities([T(token="positive", logprob=math.log(0.5)),
    ...                                        T(token=" Positive", logprob=math.log(0.2)),
    ...                                        T(token="negative", logprob=math.log(0.1))], ["positive", "negative"])
    >>> {label: round(p, 3) for label, p in probs.items()}
    {'positive': 0.7, 'negative': 0.1}
    """
    totals = {label: 0.0 for label in labels}
    for alternative in top_logprobs:
        word = alternative.token.strip().lower()
        if word in totals:
            totals[word] += math.exp(alternative.logprob)
    return totals


@checker
def check_reply_probability(value):
    """Check the probability of the whole reply whose token logprobs are :data:`EXAMPLE_LOGPROBS`."""
    expected = math.exp(sum(EXAMPLE_LOGPROBS))
    if isinstance(value, (list, tuple, np.ndarray)) and np.size(value) == len(EXAMPLE_LOGPROBS):
        fail(
            "Your answer holds one number per token. The reply is all 4 tokens together: add up the "
            "logprobs into one number first, then take exp()."
        )
    expect(
        isinstance(value, (int, float, np.floating)) and not isinstance(value, bool),
        f"Expected a number, but your answer is {describe(value)}.",
    )
    value = float(value)
    if math.isclose(value, math.exp(-sum(EXAMPLE_LOGPROBS)), rel_tol=1e-6):
        fail(
            f"{value:.3g} is more than 1, so it is not a probability: mind the sign, it is exp(sum of "
            "logprobs), and the sum is negative."
        )
    if math.isclose(value, math.exp(float(np.mean(EXAMPLE_LOGPROBS))), rel_tol=1e-6):
        fail(
            f"{value:.3g} is exp(mean of the logprobs), the typical probability of one token. The whole "
            "reply needs every token to happen: exp(sum of the logprobs)."
        )
    if math.isclose(value, sum(EXAMPLE_LOGPROBS), rel_tol=1e-6):
        fail(
            f"{value:.3g} is the sum of the logprobs, still a log: a probability is exp(sum) "
            "(and lies between 0 and 1)."
        )
    if math.isclose(value, sum(math.exp(lp) for lp in EXAMPLE_LOGPROBS), rel_tol=1e-6):
        fail(
            f"{value:.3g} is the sum of the token probabilities (more than 1!). The tokens must all happen: "
            "multiply their probabilities, i.e. exp(sum of logprobs)."
        )
    if math.isclose(value, float(np.prod(EXAMPLE_LOGPROBS)), rel_tol=1e-6):
        fail(
            f"{value:.3g} is the product of the logprobs. Logs turn products into sums: add the logprobs, "
            "then take exp()."
        )
    expect(
        abs(value - expected) < 1e-9,
        f"Your answer is {value:.4g}; expected about {expected:.4g} = exp(-0.1 - 2.3 - 0.05 - 0.7).",
    )
    return f"exp(sum of logprobs) = {expected:.4f}: one unlikely token (logprob -2.3) drags the whole reply down."


@checker
def check_perplexity(function):
    """Check ``perplexity(logprobs)`` = exp(-mean logprob) on a few cases."""
    cases = [[0.0, 0.0, 0.0], list(np.log([0.25, 0.25])), EXAMPLE_LOGPROBS, [-1.5]]
    for logprobs in cases:
        where = f"perplexity({[round(float(x), 3) for x in logprobs]})"
        got = call(function, list(logprobs))
        expect(
            isinstance(got, (int, float, np.floating)) and not isinstance(got, bool),
            f"{where} should return a number, but it returned {describe(got)}.",
        )
        got, expected = float(got), perplexity(logprobs)
        if math.isclose(got, expected, rel_tol=1e-6):
            continue
        if math.isclose(got, math.exp(float(np.mean(logprobs))), rel_tol=1e-6):
            fail(f"{where} returned {got:.4g}: mind the minus sign, perplexity = exp(-mean(logprobs)) is at least 1.")
        if math.isclose(got, math.exp(-float(np.sum(logprobs))), rel_tol=1e-6):
            fail(
                f"{where} returned {got:.4g}: use the mean of the logprobs, not their sum, so that long and "
                "short replies can be compared."
            )
        fail(f"{where} returned {got:.4g}; expected {expected:.4g}.")
    return "perplexity 1 means certain; 4 means as unsure as a choice between 4 equally likely tokens."


@checker(needs=("logprobs",))
def check_logprobs_request(request, response, top_logprobs: int = 5, max_completion_tokens: int = 20):
    """Check a request asking for logprobs with ``top_logprobs`` alternatives, and the response's logprobs."""
    _check_request(request, "request", top_logprobs=top_logprobs, temperature=None, tokens=None)
    limit = request.get("max_completion_tokens")
    expect(
        isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= max_completion_tokens,
        f"Cap the reply with max_completion_tokens (at most {max_completion_tokens}); yours: {limit!r}.",
    )
    _refused(response)
    model, sampling = request.get("model"), _sampling_models()
    expect(
        model in sampling,
        f"The request names model={model!r}; the task asks for the course's sampling model, "
        f"model=info.sampling.model ({sorted(sampling)[0]!r} in your setup), with "
        "reasoning_effort=info.sampling.effort: the course's choice, not a model of your own.",
    )
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`response` should be the ChatCompletion, but it is {describe(response)}.",
    )
    logprobs = response.choices[0].logprobs
    expect(
        logprobs is not None and logprobs.content is not None,
        "response.choices[0].logprobs is None: did you send this request? (Some servers ignore logprobs.)",
    )
    content = logprobs.content
    expect(
        len(content) == response.usage.completion_tokens,
        f"{len(content)} logprobs entries for {response.usage.completion_tokens} completion tokens: "
        "is this the response to your request?",
    )
    for position, entry in enumerate(content):
        expect(
            len(entry.top_logprobs) == top_logprobs,
            f"Position {position} has {len(entry.top_logprobs)} alternatives; expected {top_logprobs}.",
        )
    return f"every token of the reply has its logprob and {top_logprobs} alternatives."


def _sampling_models() -> set[str]:
    """What ``info.sampling.model`` can be in the learner's setup (the course's choice; a server's own model)."""
    models = {read_choices().sampling.model}
    try:
        settings = read_settings()
        if settings.wants_backend() == "server" and settings.model:
            models.add(server_choices(settings.model).sampling.model)
    except ValueError:  # misspelled settings: setup() said so already
        pass
    return models


def _check_request(request, name: str, top_logprobs: int | None, temperature: float | None, tokens: int | None) -> None:
    """Fail with a hint unless ``request`` asks for logprobs with these settings (None: any value will do)."""
    expect(
        isinstance(request, dict),
        f"`{name}` should be a dict of the arguments for client.chat.completions.create(**{name}), "
        f"but it is {describe(request)}.",
    )
    logprobs = request.get("logprobs")
    if isinstance(logprobs, int) and not isinstance(logprobs, bool):
        fail(
            f"logprobs={logprobs}: logprobs is a switch, True or False; the number of alternatives per token "
            f"goes in top_logprobs (logprobs=True, top_logprobs={top_logprobs or logprobs})."
        )
    expect(logprobs is True, f"Set logprobs=True in `{name}`: without it the response has no logprobs.")
    if top_logprobs is not None:
        expect(
            request.get("top_logprobs") == top_logprobs,
            f"Ask for {top_logprobs} alternatives per token with top_logprobs={top_logprobs} "
            f"(yours: {request.get('top_logprobs')!r}).",
        )
    if temperature is not None:
        expect(
            request.get("temperature") == temperature,
            f"`{name}` has temperature={request.get('temperature')!r}; the exercise asks for "
            f"temperature={temperature}, so that the reply is the model's most likely token and the same on "
            "every run.",
        )
    if "max_tokens" in request:
        fail(
            f"`{name}` caps the reply with max_tokens, the older name: today's models (gpt-6-luna) refuse it with a "
            "400. Use max_completion_tokens instead."
        )
    limit = request.get("max_completion_tokens")
    expect(
        tokens is None or (limit == tokens and not isinstance(limit, bool)),
        f"`{name}` has max_completion_tokens={limit!r}; the exercise asks for max_completion_tokens={tokens}.",
    )
    effort = request.get("reasoning_effort")
    if isinstance(effort, str) and effort not in ("none", read_choices().sampling.effort):
        fail(
            f"`{name}` sends reasoning_effort={effort!r}: gpt-6-luna accepts logprobs and temperature only with "
            "reasoning_effort='none'. Use model=info.sampling.model, reasoning_effort=info.sampling.effort."
        )


# The parameters a reasoning model refuses at an effort other than "none" (course_helpers/local/server/protocol/profiles.py).
_SAMPLING_PARAMETERS = ("temperature", "top_p", "logprobs", "top_logprobs")


def _refused(response: object) -> None:
    """Like :func:`~course_helpers.checks.refused`, with the fix when the model refused logprobs or temperature."""
    param = getattr(response, "param", None) if isinstance(response, Exception) else None
    # "unsupported_...": the model does not take the parameter now; a value out of range has another code.
    if param in _SAMPLING_PARAMETERS and str(getattr(response, "code", "")).startswith("unsupported_"):
        body = getattr(response, "body", None)
        message = body.get("message") if isinstance(body, dict) else response
        fail(
            f"The API refused {param} ({message}): gpt-6-luna takes logprobs and temperature only at "
            "reasoning_effort='none', and its default is medium. Send model=info.sampling.model, "
            "reasoning_effort=info.sampling.effort."
        )
    refused(response)


def _fake_alternatives(pairs):
    from openai.types.chat.chat_completion_token_logprob import TopLogprob

    return [TopLogprob(token=token, bytes=list(token.encode()), logprob=math.log(p)) for token, p in pairs]


@checker(needs=("logprobs",))
def check_label_probabilities(function, request, response, labels=("positive", "negative", "neutral")):
    """Check the classifier's ``request`` and ``label_probabilities(top_logprobs, labels)`` (spellings add up)."""
    labels = list(labels)
    # A made-up distribution (not model output) with the spellings a label can take.
    made_up = _fake_alternatives(
        [("positive", 0.5), ("Positive", 0.2), (" positive", 0.1), ("negative", 0.05), ("pos", 0.04), ("Neutral", 0.01)]
    )
    got = call(function, made_up, labels)
    expect(
        isinstance(got, dict),
        f"label_probabilities should return a dict label -> probability, but it returned {describe(got)}.",
    )
    expect(
        sorted(got) == sorted(labels),
        f"Return one entry per label, {labels}, even when a label does not "
        f"appear (probability 0); your keys: {sorted(got)}.",
    )
    expected = reference_label_probabilities(made_up, labels)
    if not all(math.isclose(float(got[label]), expected[label], abs_tol=1e-9) for label in labels):
        positive = float(got["positive"])
        spellings = "With alternatives 'positive' 0.5, 'Positive' 0.2 and ' positive' 0.1, 'positive' should get 0.8"
        if math.isclose(positive, 0.5, abs_tol=1e-9):
            fail(f"{spellings}: compare token.strip().lower() with the label.")
        if math.isclose(positive, 0.6, abs_tol=1e-9):
            fail(f"{spellings}, you gave 0.6: 'Positive' was missed. Compare in lower case (.lower()).")
        if math.isclose(positive, 0.7, abs_tol=1e-9):
            fail(
                f"{spellings}, you gave 0.7: ' positive' (with a leading space) was missed. Remove the "
                "spaces with .strip() before comparing."
            )
        if math.isclose(positive, 0.5 * 0.2 * 0.1, abs_tol=1e-9):
            fail(
                f"{spellings}, you gave 0.01 = 0.5 × 0.2 × 0.1: adding logprobs and then taking exp() "
                "multiplies the probabilities. The spellings are alternatives, so add the probabilities: "
                "exp() each logprob first."
            )
        if math.isclose(positive, 0.1, abs_tol=1e-9):
            fail(
                f"{spellings}, you gave 0.1, the last spelling alone: add each one to the total (+=) "
                "instead of replacing it."
            )
        if math.isclose(positive, 100 * expected["positive"], rel_tol=1e-6):
            fail(
                f"{spellings}, you gave {positive:g}: that is a percentage. Return probabilities between 0 and 1, "
                "math.exp(logprob), without multiplying by 100."
            )
        total = sum(expected.values())
        if math.isclose(sum(float(got[label]) for label in labels), 1.0, abs_tol=1e-6) and not math.isclose(
            total, 1.0, abs_tol=1e-6
        ):
            fail(
                f"{spellings}; your values add up to 1: you normalised them. Return each label's own probability "
                f"(here they add up to {total:.2f}, the rest going to other tokens): do not divide by the total."
            )
        if float(got["positive"]) > 0.8 + 1e-9:
            fail(
                "'positive' got more than 0.8: a partial word such as 'pos' is not the label; compare the "
                "whole stripped token."
            )
        if any(float(got[label]) < 0 for label in labels):
            fail("A probability is negative: convert each logprob with exp() before adding.")
        fail(f"On a made-up example you returned {got}; expected { {k: round(v, 3) for k, v in expected.items()} }.")
    # Other labels: the function must use its `labels` argument, not a list of its own.
    other = ["yes", "no"]
    answer = call(function, _fake_alternatives([("yes", 0.6), ("Yes", 0.1), ("no", 0.2), ("positive", 0.05)]), other)
    if not (isinstance(answer, dict) and sorted(answer) == sorted(other)):
        fail(
            f"With labels={other} your function returned {describe(answer)}: it ignores its `labels` argument. "
            "Loop over the labels it is given, not a list written into the function."
        )
    expect(
        math.isclose(float(answer["yes"]), 0.7, abs_tol=1e-9) and math.isclose(float(answer["no"]), 0.2, abs_tol=1e-9),
        f"With labels={other} and alternatives 'yes' 0.6, 'Yes' 0.1, 'no' 0.2 you returned {answer}; expected "
        "{'yes': 0.7, 'no': 0.2}. Use the labels you are given.",
    )
    # A label that does not appear among the alternatives still gets its entry, with 0.0.
    absent = call(function, _fake_alternatives([("negative", 0.7), ("Negative", 0.2)]), labels)
    expect(
        isinstance(absent, dict)
        and sorted(absent) == sorted(labels)
        and all(float(absent[label]) == 0.0 for label in labels if label != "negative"),
        "When a label does not appear among the alternatives it should still be in the dict, with 0.0; "
        f"with only 'negative' and 'Negative' you returned {absent!r}.",
    )
    _check_request(request, "verdict_request", top_logprobs=20, temperature=0, tokens=1)
    _refused(response)
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`verdict` should be the classifier's ChatCompletion, but it is {describe(response)}.",
    )
    logprobs = response.choices[0].logprobs
    expect(
        logprobs is not None and logprobs.content,
        "The response has no logprobs: send it with logprobs=True and top_logprobs=20.",
    )
    first = logprobs.content[0].top_logprobs
    expect(
        first,
        "The response's first token has no alternatives: send it with top_logprobs=20, so that "
        "every spelling of every label has a chance to be counted.",
    )
    real = call(function, first, labels)
    reference = reference_label_probabilities(first, labels)
    expect(
        all(math.isclose(float(real[label]), reference[label], abs_tol=1e-9) for label in labels),
        "Your function is right on the made-up example but not on the real response: does it rely on "
        "the order of the alternatives?",
    )
    return "every spelling of a label is added up, on a made-up example and on your response."


@checker
def check_route(function):
    """Check ``route(label_probs, threshold)``: the best label when it is confident enough, else 'human'."""
    cases = [
        ({"positive": 0.9, "negative": 0.05, "neutral": 0.05}, 0.7, "positive"),
        ({"positive": 0.5, "negative": 0.3, "neutral": 0.2}, 0.7, "human"),
        ({"positive": 0.1, "negative": 0.75, "neutral": 0.1}, 0.7, "negative"),
        ({"positive": 0.7, "negative": 0.2, "neutral": 0.1}, 0.7, "positive"),
        ({"positive": 0.2, "negative": 0.2, "neutral": 0.2}, 0.3, "human"),
        # a threshold below 0.5: the first label that reaches it is not the best one
        ({"positive": 0.3, "negative": 0.45, "neutral": 0.25}, 0.25, "negative"),
    ]
    for probs, threshold, expected in cases:
        got = call(function, dict(probs), threshold)
        if got != expected:
            first = next((label for label, p in probs.items() if p >= threshold), None)
            if got == first and first != expected:
                fail(
                    f"route({probs}, {threshold}) returned {got!r}, the first label that reaches the threshold; "
                    f"the most probable is {expected!r}. Take the best label first, max(label_probs, "
                    "key=label_probs.get), then compare its probability with the threshold."
                )
            if expected == "human":
                fail(
                    f"route({probs}, {threshold}) returned {got!r}: the best label has only "
                    f"{max(probs.values()):.0%}, below the threshold, so a human should decide."
                )
            if got == "human" and max(probs.values()) == threshold:
                fail(
                    f"route({probs}, {threshold}) returned 'human': a confidence equal to the threshold is "
                    "enough (use >=)."
                )
            fail(f"route({probs}, {threshold}) returned {got!r}; expected {expected!r} (the most probable label).")
    return "confident answers go through, doubtful ones go to a person."


@checker(needs=("logprobs",))
def check_text_from_bytes(function, request, response):
    """Check ``text_from_bytes(content)`` on a real reply: joining every token's bytes gives the reply's text."""
    _check_request(request, "emoji_request", top_logprobs=None, temperature=0, tokens=8)
    _refused(response)
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`response` should be the ChatCompletion, but it is {describe(response)}.",
    )
    content = response.choices[0].logprobs.content if response.choices[0].logprobs else None
    expect(content, "The response has no logprobs: send it with logprobs=True.")
    expected = bytes(b for entry in content for b in entry.bytes).decode("utf-8", errors="replace")
    try:
        got = call(function, content)
    except Hint as hint:
        if isinstance(hint.__cause__, IndexError):
            fail(
                f"Your code raised IndexError: {hint.__cause__}. This request asked for no alternatives, so each "
                "entry's top_logprobs is empty; the token's own bytes are entry.bytes, a list of ints."
            )
        raise
    expect(isinstance(got, str), f"text_from_bytes should return a str, but it returned {describe(got)}.")
    if got != expected:
        if got == "".join(entry.token for entry in content):
            fail(
                "You joined the token strings; tokens that hold part of a character show as 'bytes:\\x..'. "
                "Join the entries' .bytes (lists of ints) into one bytes object, then .decode('utf-8')."
            )
        fail(
            "Your text differs from the reply's bytes decoded together. Build bytes(...) from all the "
            "entries first, then decode once: a character can be split across tokens."
        )
    # A reply cut by the token limit can end inside a character: try the first token alone when it is one.
    first = bytes(content[0].bytes)
    try:
        first.decode("utf-8")
    except UnicodeDecodeError:
        try:
            got = function([content[0]])
        except UnicodeDecodeError:
            fail(
                "Your function raises UnicodeDecodeError on a reply cut in the middle of a character (its first "
                "token alone): decode with errors='replace', which shows the incomplete character as '\ufffd'."
            )
        except Exception:  # any other problem with the cut reply: the main check above already passed
            got = None
        expect(
            got is None or got == first.decode("utf-8", errors="replace"),
            "On the first token alone (half a character), your function should return the replacement "
            f"character '\ufffd'; it returned {describe(got)}.",
        )
    return "the reply rebuilt from its tokens' bytes, decoded once."
