"""Checks for the exercises of lesson 00 (keys, the first request, the response JSON, cost, errors).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done, and never raises (see
:mod:`course_helpers.checks`). Computation exercises are compared exactly with
the answers computed here from :mod:`course_helpers.costs`; API exercises are
checked on the request you built and the structure of the response, never on
the model's wording.

>>> check_mask(lambda key: key)
❌ mask('sk-proj-abcdefgh1234') returned 'sk-proj-abcdefgh1234': that is the whole key! Replace all but the last 4 characters with '*'.
>>> check_mask(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/00_setup.ipynb (and exercises/00_setup.ipynb)
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any

from .checks import STUB_MARKER, NotDone, call, checker, describe, expect, fail, is_stub
from .costs import PRICES

__all__ = [
    "check_bad_request",
    "check_cost_function",
    "check_first_request",
    "check_monthly_cost",
    "check_mask",
    "check_response_fields",
]


def _reference_mask(key: str) -> str:
    return "*" * len(key) if len(key) <= 8 else "*" * (len(key) - 4) + key[-4:]


@checker
def check_mask(mask):
    """Check ``mask(key)``: every character but the last 4 becomes ``*``; keys of 8 characters or fewer, all ``*``."""
    for key in ["sk-proj-abcdefgh1234", "sk-example-0123456789abcdefWXYZ", "12345678", "short", ""]:
        got = call(mask, key)
        expected = _reference_mask(key)
        expect(isinstance(got, str), f"mask({key!r}) should return a str, but it returned {describe(got)}.")
        expect(
            got != key or not key,
            f"mask({key!r}) returned {got!r}: that is the whole key! Replace all but the last 4 characters with '*'.",
        )
        if got == expected:
            continue
        expect(
            len(got) == len(key),
            f"mask({key!r}) returned {got!r}, {len(got)} characters for a key of "
            f"{len(key)}: keep the length, so you can still tell a complete key from a truncated one.",
        )
        if len(key) <= 8:
            fail(
                f"mask({key!r}) returned {got!r}: for a key this short, its last 4 characters would be half of "
                "it. Keys of 8 characters or fewer are masked completely."
            )
        fail(
            f"mask({key!r}) returned {got!r}; expected {expected!r} (the last 4 characters, "
            "everything before them as '*'). Slicing helps: key[-4:] is the last 4 characters."
        )
    return "mask('sk-proj-abcdefgh1234') == '****************1234', and short keys give nothing away."


def _message_problem(messages: Any) -> str | None:
    """Why ``messages`` is not a valid chat message list (None when it is)."""
    if not isinstance(messages, list) or not messages:
        return f"`messages` must be a non-empty list of dicts, but it is {describe(messages)}."
    for number, message in enumerate(messages, start=1):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            return (
                f"Message {number} must be a dict with 'role' and 'content', like "
                f"{{'role': 'user', 'content': '...'}}, but it is {describe(message)}."
            )
    return None


@checker
def check_first_request(request, response, reply):
    """Check the first-request exercise: the request dict, the ChatCompletion, and the reply text taken from it."""
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for create(), but it is {describe(request)}.",
    )
    for key in ("model", "messages", "max_tokens"):
        expect(key in request, f"`request` has no {key!r} key; it needs model, messages and max_tokens.")
    expect(
        isinstance(request["model"], str) and request["model"],
        "request['model'] should be the model's name: use info.model.",
    )
    problem = _message_problem(request["messages"])
    expect(problem is None, problem or "")
    expect(
        request["messages"][-1]["role"] == "user",
        "The last message should be the user's question (role 'user'): the model answers the last message.",
    )
    budget = request["max_tokens"]
    expect(
        isinstance(budget, int) and not isinstance(budget, bool) and 1 <= budget <= 50,
        f"request['max_tokens'] is {budget!r}: use a whole number from 1 to 50 (short replies are fast and cheap).",
    )
    expect(
        not isinstance(response, str),
        "`response` is a str: store the whole object that "
        "client.chat.completions.create(**request) returns, and take the text from it in `reply`.",
    )
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`response` should be the ChatCompletion from client.chat.completions.create(**request), "
        f"but it is {describe(response)}.",
    )
    expect(
        response.usage.completion_tokens <= budget,
        f"The response used {response.usage.completion_tokens} completion tokens, more than your max_tokens="
        f"{budget}: did you send `request`? Call client.chat.completions.create(**request).",
    )
    content = response.choices[0].message.content
    expect(not hasattr(reply, "content"), "`reply` is the whole message object: take its .content.")
    expect(isinstance(reply, str), f"`reply` should be the reply's text (a str), but it is {describe(reply)}.")
    expect(reply == content, "`reply` is not the text of this response: it is response.choices[0].message.content.")
    return "a ChatCompletion, and its text is response.choices[0].message.content."


@checker
def check_response_fields(data, text, finish, total, cut_off):
    """Check values read by hand from a chat completion's JSON (plain dicts and lists)."""
    choice = data["choices"][0]
    expect(
        not isinstance(text, dict),
        "`text` is a dict: that is the whole message. Go one level deeper, to its 'content'.",
    )
    expect(
        text == choice["message"]["content"],
        f"`text` is {describe(text)}; it is at data['choices'][0]['message']['content'] "
        "(choices is a list: take its element 0 first).",
    )
    expect(
        finish == choice["finish_reason"],
        f"`finish` is {describe(finish)}; the finish reason belongs to the "
        "choice, not to the message: data['choices'][0]['finish_reason'].",
    )
    usage = data["usage"]
    if total in (usage["prompt_tokens"], usage["completion_tokens"]) and total != usage["total_tokens"]:
        fail(f"`total` is {total}: that is only part of the usage. The total counts prompt and completion tokens.")
    expect(
        total == usage["total_tokens"] and isinstance(total, int),
        f"`total` is {describe(total)}; it is data['usage']['total_tokens'].",
    )
    expect(
        isinstance(cut_off, bool),
        f"`cut_off` should be True or False, but it is {describe(cut_off)}: compare the finish reason with 'length'.",
    )
    expect(
        cut_off == (choice["finish_reason"] == "length"),
        f"`cut_off` is {cut_off}, but the finish reason is {choice['finish_reason']!r}: a reply is cut off "
        "exactly when the finish reason is 'length' (max_tokens reached).",
    )
    return "text, finish reason and token count read straight from the JSON, as any HTTP client would."


def _reference_cost(prompt_tokens: int, completion_tokens: int, model: str) -> float:
    price = PRICES[model]
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


@checker
def check_cost_function(cost_usd):
    """Check ``cost_usd(prompt_tokens, completion_tokens, model)`` against the list prices."""
    cases = [
        (1_000_000, 0, "gpt-4o-mini"),
        (0, 1_000_000, "gpt-4o-mini"),
        (2000, 500, "gpt-4o"),
        (1234, 567, "gpt-6-luna"),
    ]
    for prompt_tokens, completion_tokens, model in cases:
        where = f"cost_usd({prompt_tokens}, {completion_tokens}, {model!r})"
        got = call(cost_usd, prompt_tokens, completion_tokens, model)
        expected = _reference_cost(prompt_tokens, completion_tokens, model)
        expect(
            isinstance(got, numbers.Real) and not isinstance(got, bool),
            f"{where} should return a number of dollars, but it returned {describe(got)}.",
        )
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15):
            continue
        price = PRICES[model]
        if expected and math.isclose(got, expected * 1_000_000, rel_tol=1e-9):
            fail(f"{where} returned {got:g}: prices are per 1 million tokens, so divide by 1_000_000.")
        swapped = (prompt_tokens * price.output + completion_tokens * price.input) / 1_000_000
        if math.isclose(got, swapped, rel_tol=1e-9):
            fail(
                f"{where} returned {got:g}: prompt tokens are billed at price.input, completion tokens at "
                "price.output (you swapped them)."
            )
        fail(
            f"{where} returned {got:g}; expected {expected:g} = ({prompt_tokens} × {price.input} + "
            f"{completion_tokens} × {price.output}) / 1,000,000."
        )
    return "cost_usd(2000, 500, 'gpt-4o') == 0.01: one cent."


@checker
def check_monthly_cost(monthly_mini, monthly_4o):
    """Check the month of a support bot: 2,000 requests a day for 30 days, 1,200 prompt + 250 completion tokens each."""
    requests = 30 * 2000
    for value, model, name in [(monthly_mini, "gpt-4o-mini", "monthly_mini"), (monthly_4o, "gpt-4o", "monthly_4o")]:
        expected = requests * _reference_cost(1200, 250, model)
        expect(
            isinstance(value, numbers.Real) and not isinstance(value, bool),
            f"`{name}` should be a number of dollars, but it is {describe(value)}.",
        )
        if math.isclose(value, expected, rel_tol=1e-6):
            continue
        one = _reference_cost(1200, 250, model)
        for factor, missing in [
            (2000, "the 30 days of the month"),
            (30, "the 2,000 requests a day"),
            (1, "both the 2,000 requests a day and the 30 days"),
        ]:
            if math.isclose(value, one * factor, rel_tol=1e-6):
                fail(f"`{name}` is ${value:,.2f}: you left out {missing}.")
        fail(f"`{name}` is ${value:,.2f}; expected ${expected:,.2f} = 30 × 2,000 × cost_usd(1200, 250, {model!r}).")
    return (
        f"${monthly_mini:,.2f} against ${monthly_4o:,.2f} a month: the bigger model costs "
        f"{monthly_4o / monthly_mini:.1f} times more for the same tokens."
    )


def _still_a_stub(function: Any) -> bool:
    try:
        return STUB_MARKER in inspect.getsource(function)
    except (OSError, TypeError):
        return False


@checker
def check_bad_request(bad_request_error, client, model):
    """Check ``bad_request_error(client, model)``: it sends a request the API rejects and returns the exception."""
    import openai

    if is_stub(bad_request_error):
        raise NotDone()
    expect(callable(bad_request_error), f"Expected a function, but got {describe(bad_request_error)}.")
    try:
        result = bad_request_error(client, model)
    except openai.BadRequestError as error:
        fail(
            f"The API rejected your request (param={error.param!r}), but the exception escaped your function: "
            "wrap the call in try: ... except openai.BadRequestError as error: return error."
        )
    except openai.APIError as error:
        fail(
            f"Your request failed with {type(error).__name__}, not with a 400 BadRequestError: "
            "keep the request valid except for one out-of-range parameter value."
        )
    except Exception as error:
        fail(f"Your code raised {type(error).__name__}: {error}.")
    if result is None or result is ...:
        if _still_a_stub(bad_request_error):
            raise NotDone()
        fail(
            "Your function returned None: either the API accepted your request (choose a value it must "
            "refuse, such as temperature=5, which must be from 0 to 2), or you forgot `return error`."
        )
    expect(
        isinstance(result, openai.BadRequestError),
        f"Return the exception object itself (an openai.BadRequestError), not {describe(result)}.",
    )
    expect(result.status_code == 400, f"The error's status_code is {result.status_code}; expected 400.")
    expect(
        result.param,
        "The error does not name a parameter: make one parameter out of range "
        "(e.g. temperature=5) rather than breaking the request's structure.",
    )
    return f"a 400 BadRequestError that blames the parameter {result.param!r} (in error.param)."
