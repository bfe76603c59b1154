"""Checks for the exercises of lesson 00 (keys, the first request, the response JSON, finish reasons, cost, errors).

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

import copy
import dis
import inspect
import math
import numbers
from typing import Any, NamedTuple

from ..costs import PRICES
from . import STUB_MARKER, NotDone, call, checker, describe, expect, fail, is_stub, refused, sent_request

__all__ = [
    "FINISH_REASONS",
    "check_bad_request",
    "check_cost_function",
    "check_first_request",
    "check_monthly_cost",
    "check_mask",
    "check_response_fields",
    "check_was_cut_off",
]

#: The hint for a request that still uses the old name of the length limit.
MAX_TOKENS_HINT = (
    "'max_tokens' is the old name of the length limit: newer models reject it with a 400 "
    "unsupported_parameter (\"Use 'max_completion_tokens' instead\"), and the local backend answers the same "
    "for gpt-6-luna. Use max_completion_tokens."
)


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


def check_first_request(request, response, reply) -> None:
    """Check the first-request exercise: the request dict, the ChatCompletion, and the reply text taken from it.

    The request is checked first, even while `response` is still a stub: a request the API refused (such as
    one with the old max_tokens) needs the hint, not ⏳. `response` must be what ``send(client, request)``
    returned for this very `request` (see :func:`course_helpers.checks.send`).

    >>> check_first_request({"model": "gpt-6-luna", "messages": [], "max_tokens": 20}, ..., ...)  # doctest: +ELLIPSIS
    ❌ `request` has the key 'max_tokens'. 'max_tokens' is the old name of the length limit: ...
    """
    _check_first_request(request, response=response, reply=reply)


@checker
def _check_first_request(request, *, response, reply):
    expect(
        isinstance(request, dict),
        f"`request` should be a dict of the arguments for create(), but it is {describe(request)}.",
    )
    if "max_tokens" in request:
        fail(f"`request` has the key 'max_tokens'. {MAX_TOKENS_HINT}")
    for key in ("model", "messages", "max_completion_tokens"):
        expect(
            key in request,
            f"`request` has no {key!r} key; it needs model, reasoning_effort, messages and max_completion_tokens.",
        )
    expect(
        "reasoning_effort" in request,
        "`request` has no 'reasoning_effort' key: add \"reasoning_effort\": info.effort. Without it, gpt-6-luna "
        "reasons at its default effort, medium, and its hidden reasoning can use up a 50-token limit before it "
        "writes a word.",
    )
    effort = request["reasoning_effort"]
    expect(
        isinstance(effort, str) or type(effort).__name__ in ("NotGiven", "Omit"),
        f"request['reasoning_effort'] is {describe(effort)}: use info.effort, the effort the course sends.",
    )
    expect(
        isinstance(request["model"], str) and request["model"],
        "request['model'] should be the model's name: use info.model.",
    )
    from . import hints

    info = getattr(hints, "_info", None)  # what setup() chose, if it ran
    chosen = getattr(info, "effort", None)
    if isinstance(effort, str) and isinstance(chosen, str) and request["model"] == getattr(info, "model", None):
        expect(
            effort == chosen,
            f"request['reasoning_effort'] is {effort!r}, but the course sends {chosen!r} with {request['model']}: "
            "use info.effort rather than typing an effort (setup() picks it for the backend and settings).",
        )
    problem = _message_problem(request["messages"])
    expect(problem is None, problem or "")
    expect(
        request["messages"][-1]["role"] == "user",
        "The last message should be the user's question (role 'user'): the model answers the last message.",
    )
    budget = request["max_completion_tokens"]
    expect(
        isinstance(budget, int) and not isinstance(budget, bool) and 1 <= budget <= 50,
        f"request['max_completion_tokens'] is {budget!r}: use a whole number from 1 to 50 (short replies are "
        "fast and cheap).",
    )
    if is_stub(response):
        raise NotDone()
    refused(response)  # send() returned the API's error: its reason, even while `reply` is still a stub
    if is_stub(reply):
        raise NotDone()
    expect(
        not isinstance(response, str),
        "`response` is a str: store the whole object that send(client, request) returns, and take the text "
        "from it in `reply`.",
    )
    expect(
        getattr(response, "object", None) == "chat.completion",
        f"`response` should be the ChatCompletion that send(client, request) returns, but it is {describe(response)}.",
    )
    sent = sent_request(response)
    expect(
        sent is not None,
        "`response` was not sent by send(client, request) in this run: did you send `request`? Write "
        "response = send(client, request), as the exercise shows, so the check can see what you sent (a "
        "response from another call, or left over from an earlier run, does not count).",
    )
    changed = sorted(key for key in {*request, *(sent or {})} if (sent or {}).get(key) != request.get(key))
    expect(
        not changed,
        f"`response` came from a request that differs from `request` in {', '.join(map(repr, changed))}: did you "
        "send `request`? Send it as it is, response = send(client, request), and run the cell again after "
        "changing it.",
    )
    content = response.choices[0].message.content
    expect(not hasattr(reply, "content"), "`reply` is the whole message object: take its .content.")
    expect(isinstance(reply, str), f"`reply` should be the reply's text (a str), but it is {describe(reply)}.")
    expect(reply == content, "`reply` is not the text of this response: it is response.choices[0].message.content.")
    return "a ChatCompletion, and its text is response.choices[0].message.content."


def _check_fields(data: dict, fields: Any, where: str) -> None:
    """Fail with a hint unless ``fields`` are the (text, finish, total) of the chat completion JSON ``data``."""
    expect(
        isinstance(fields, tuple) and len(fields) == 3,
        f"{where} returned {describe(fields)}; return the three values, `return text, finish, total`.",
    )
    text, finish, total = fields
    choice = data["choices"][0]
    expect(
        not isinstance(text, dict),
        f"{where}: `text` is a dict: that is the whole message. Go one level deeper, to its 'content'.",
    )
    expect(
        text == choice["message"]["content"],
        f"{where}: `text` is {describe(text)}; it is at data['choices'][0]['message']['content'] "
        "(choices is a list: take its element 0 first).",
    )
    if isinstance(finish, str) and finish in FINISH_REASONS and finish != choice["finish_reason"]:
        fail(
            f"{where}: `finish` is {finish!r}, but this response's finish reason is {choice['finish_reason']!r}: "
            "read it from the `data` argument, data['choices'][0]['finish_reason'], rather than typing a value."
        )
    expect(
        finish == choice["finish_reason"],
        f"{where}: `finish` is {describe(finish)}; the finish reason belongs to the "
        "choice, not to the message: data['choices'][0]['finish_reason'].",
    )
    usage = data["usage"]
    if total in (usage["prompt_tokens"], usage["completion_tokens"]) and total != usage["total_tokens"]:
        fail(
            f"{where}: `total` is {total}: that is only part of the usage. The total counts prompt and "
            "completion tokens."
        )
    expect(
        total == usage["total_tokens"] and isinstance(total, int),
        f"{where}: `total` is {describe(total)}; it is data['usage']['total_tokens'].",
    )


def _another_response(data: dict) -> dict:
    """A copy of ``data`` with another text, the other finish reason and other token counts: test data."""
    other = copy.deepcopy(data)
    choice = other["choices"][0]
    choice["message"]["content"] = "A different reply, made up by the check."
    choice["finish_reason"] = "stop" if choice["finish_reason"] == "length" else "length"
    usage = other["usage"]
    usage["prompt_tokens"] += 7
    usage["completion_tokens"] += 5
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return other


@checker
def check_response_fields(read_fields, data):
    """Check ``read_fields(data)``: the text, finish reason and token count read by hand from the JSON ``data``.

    It runs on the lesson's `data`, then on another response, so values typed in (or taken from another
    cell such as ``raw.parse()``) get a hint:

    >>> data = {"choices": [{"finish_reason": "length", "message": {"role": "assistant", "content": "Mars is"}}],
    ...         "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}}
    >>> check_response_fields(lambda data: (data["choices"][0]["message"]["content"], "length", 14), data)
    ❌ read_fields(another response) returned finish 'length' and total 14, but that response has finish 'stop' and total 26: read every value from the `data` argument, rather than typing it or taking it from another cell (such as raw.parse()).
    """
    expect(
        callable(read_fields),
        f"`read_fields` should be a function, def read_fields(data): ..., but it is {describe(read_fields)}.",
    )
    _check_fields(data, call(read_fields, copy.deepcopy(data)), "read_fields(data)")
    other = _another_response(data)
    got = call(read_fields, copy.deepcopy(other))
    expected = (
        other["choices"][0]["message"]["content"],
        other["choices"][0]["finish_reason"],
        other["usage"]["total_tokens"],
    )
    if isinstance(got, tuple) and len(got) == 3 and got != expected:
        names = [name for name, mine, right in zip(("text", "finish", "total"), got, expected) if mine != right]
        mine = " and ".join(
            f"{name} {value!r}" for name, value in zip(("text", "finish", "total"), got) if name in names
        )
        right = " and ".join(
            f"{name} {value!r}" for name, value in zip(("text", "finish", "total"), expected) if name in names
        )
        fail(
            f"read_fields(another response) returned {mine}, but that response has {right}: read every value "
            "from the `data` argument, rather than typing it or taking it from another cell (such as raw.parse())."
        )
    _check_fields(other, got, "read_fields(another response)")
    return "text, finish reason and token count read straight from the JSON, as any HTTP client would."


#: The finish reasons of a Chat Completions choice. Only 'length' means the reply hit the token limit.
FINISH_REASONS = ("stop", "length", "content_filter", "tool_calls")


def _probe(function: Any, argument: str) -> Any:
    """``function(argument)``, or None when it raises: for guessing a mistake, never for judging."""
    try:
        return function(argument)
    except Exception:
        return None


def _reads_its_argument(function: Any) -> bool | None:
    """Whether ``function``'s code reads its first parameter (None: no Python code to look at).

    >>> _reads_its_argument(lambda reason: reason == "length"), _reads_its_argument(lambda reason: True)
    (True, False)
    """
    code = getattr(function, "__code__", None)
    if code is None or code.co_argcount < 1:
        return None
    name = code.co_varnames[0]
    if name in code.co_cellvars:
        return True  # read by an inner function or comprehension
    for instruction in dis.get_instructions(code):
        value = instruction.argval
        if instruction.opname.startswith("LOAD_FAST") and (
            value == name or (isinstance(value, tuple) and name in value)
        ):
            return True
    return False


@checker
def check_was_cut_off(was_cut_off):
    """Check ``was_cut_off(finish_reason)``: True exactly when the finish reason is 'length'.

    >>> check_was_cut_off(lambda finish_reason: finish_reason != "stop")
    ❌ was_cut_off('content_filter') and was_cut_off('tool_calls') returned True, but no limit cut those replies ('content_filter': a content filter stopped the reply; 'tool_calls': the model called a tool). Only 'length' means the reply reached max_completion_tokens: return finish_reason == 'length'.
    """
    results = {reason: call(was_cut_off, reason) for reason in FINISH_REASONS}
    for reason, got in results.items():
        if isinstance(got, str):
            fail(
                f"was_cut_off({reason!r}) returned the string {got!r}: return True or False, the result of "
                "comparing finish_reason with the reason of a cut reply."
            )
        expect(
            isinstance(got, bool),
            f"was_cut_off({reason!r}) returned {describe(got)}: return True or False (a comparison gives one).",
        )
    if len(set(results.values())) == 1 and _reads_its_argument(was_cut_off) is not True:
        fail(
            f"was_cut_off returned {results['length']} for every finish reason ('stop', 'length', "
            "'content_filter', 'tool_calls'): it does not look at its argument. Compare the parameter "
            "finish_reason, not a variable from another cell (such as `data`)."
        )
    if results["length"] is False and any(
        _probe(was_cut_off, name) is True for name in ("max_tokens", "max_completion_tokens")
    ):
        fail(
            "was_cut_off('length') returned False: a finish reason is never the name of the parameter. A reply "
            "cut by max_completion_tokens (or the old max_tokens) has finish_reason 'length'."
        )
    expect(
        results["length"],
        "was_cut_off('length') returned False: a reply cut by max_completion_tokens has exactly the finish "
        "reason 'length' (lowercase).",
    )
    also = [reason for reason in FINISH_REASONS if reason != "length" and results[reason]]
    if also:
        why = {
            "stop": "the model ended its turn",
            "content_filter": "a content filter stopped the reply",
            "tool_calls": "the model called a tool",
        }
        fail(
            f"{' and '.join(f'was_cut_off({reason!r})' for reason in also)} returned True, but no limit cut "
            f"{'that reply' if len(also) == 1 else 'those replies'} "
            f"({'; '.join(f'{reason!r}: {why[reason]}' for reason in also)}). Only 'length' means the reply "
            "reached max_completion_tokens: return finish_reason == 'length'."
        )
    return "True for 'length' only: 'stop', 'content_filter' and 'tool_calls' are not a cut."


def _reference_cost(prompt_tokens: int, completion_tokens: int, model: str) -> float:
    price = PRICES[model]
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


class _Mistake(NamedTuple):
    value: float
    what: str


def _cost_mistakes(prompt_tokens: int, completion_tokens: int, model: str) -> list[_Mistake]:
    """What a wrong cost_usd(...) may have computed, and how to say it."""
    price = PRICES[model]
    tokens = prompt_tokens + completion_tokens
    both = prompt_tokens * price.input + completion_tokens * price.output
    return [
        _Mistake(both, "prices are per 1 million tokens, so divide by 1_000_000"),
        _Mistake(both / 1000, "a thousand times too much: the prices are per 1 million tokens, not per 1,000"),
        _Mistake(
            (prompt_tokens * price.output + completion_tokens * price.input) / 1e6,
            "prompt tokens are billed at price.input, completion tokens at price.output (you swapped them)",
        ),
        _Mistake(
            prompt_tokens * price.input / 1e6,
            "the prompt tokens alone; the completion tokens are billed too (completion_tokens × price.output)",
        ),
        _Mistake(
            completion_tokens * price.output / 1e6,
            "the completion tokens alone; the prompt tokens are billed too (prompt_tokens × price.input)",
        ),
        _Mistake(
            tokens * price.input / 1e6, "every token at price.input; completion tokens cost more, at price.output"
        ),
        _Mistake(tokens * price.output / 1e6, "every token at price.output; prompt tokens cost less, at price.input"),
        _Mistake(
            (price.input + price.output) * tokens / 1e6,
            "every token at both prices; a prompt token costs price.input, a completion token price.output",
        ),
    ]


@checker
def check_cost_function(cost_usd):
    """Check ``cost_usd(prompt_tokens, completion_tokens, model)`` against the list prices."""
    cases = [
        (1_000_000, 0, "gpt-6-luna"),
        (0, 1_000_000, "gpt-6-luna"),
        (2000, 500, "gpt-6-sol"),
        (1234, 567, "gpt-5.6-luna"),
    ]
    results = {}
    for prompt_tokens, completion_tokens, model in cases:
        where = f"cost_usd({prompt_tokens}, {completion_tokens}, {model!r})"
        got = call(cost_usd, prompt_tokens, completion_tokens, model)
        expect(
            isinstance(got, numbers.Real) and not isinstance(got, bool),
            f"{where} should return a number of dollars, but it returned {describe(got)}.",
        )
        results[prompt_tokens, completion_tokens, model] = float(got)
    wrong = [
        (case, got) for case, got in results.items() if not math.isclose(got, _reference_cost(*case), abs_tol=1e-15)
    ]
    if wrong:
        (prompt_tokens, completion_tokens, model), got = wrong[0]
        where = f"cost_usd({prompt_tokens}, {completion_tokens}, {model!r})"
        expected = _reference_cost(prompt_tokens, completion_tokens, model)
        # One case can fit several mistakes (with 0 completion tokens, forgetting them is right): name the
        # mistake that gives the learner's number on every case.
        for number, (_, what) in enumerate(_cost_mistakes(prompt_tokens, completion_tokens, model)):
            if all(
                math.isclose(value, _cost_mistakes(*case)[number].value, rel_tol=1e-9, abs_tol=1e-15)
                for case, value in results.items()
            ):
                fail(f"{where} returned {got:g}: {what}.")
        price = PRICES[model]
        fail(
            f"{where} returned {got:g}; expected {expected:g} = ({prompt_tokens} × {price.input} + "
            f"{completion_tokens} × {price.output}) / 1,000,000."
        )
    return "cost_usd(2000, 500, 'gpt-6-sol') == 0.009: almost one cent."


#: The support bot of the monthly-cost exercise: requests a month, prompt tokens, visible and reasoning tokens.
BOT_REQUESTS, BOT_PROMPT, BOT_VISIBLE, BOT_REASONING = 30 * 2000, 1200, 250, 750
BOT_MODEL = "gpt-6-luna"


@checker
def check_monthly_cost(monthly_none, monthly_medium):
    """Check the month of a support bot on gpt-6-luna, at effort none and at effort medium.

    2,000 requests a day for 30 days, 1,200 prompt tokens and a 250-token answer each; at medium, each answer
    also writes 750 reasoning tokens, which are completion tokens billed at the output price.
    """
    one_none = _reference_cost(BOT_PROMPT, BOT_VISIBLE, BOT_MODEL)
    one_medium = _reference_cost(BOT_PROMPT, BOT_VISIBLE + BOT_REASONING, BOT_MODEL)
    for value, one, name in [(monthly_none, one_none, "monthly_none"), (monthly_medium, one_medium, "monthly_medium")]:
        expect(
            isinstance(value, numbers.Real) and not isinstance(value, bool),
            f"`{name}` should be a number of dollars, but it is {describe(value)}.",
        )
        if math.isclose(value, BOT_REQUESTS * one, rel_tol=1e-6):
            continue
        for factor, missing in [
            (2000, "the 30 days of the month"),
            (30, "the 2,000 requests a day"),
            (1, "both the 2,000 requests a day and the 30 days"),
        ]:
            if math.isclose(value, one * factor, rel_tol=1e-6):
                fail(f"`{name}` is ${value:,.2f}: you left out {missing}.")
        completion = BOT_VISIBLE if name == "monthly_none" else BOT_VISIBLE + BOT_REASONING
        mistakes = [
            (_reference_cost(completion, BOT_PROMPT, BOT_MODEL), "the token counts swapped: prompt tokens first"),
            (
                _reference_cost(BOT_PROMPT, 0, BOT_MODEL),
                "the prompt tokens alone: the completion tokens are billed too",
            ),
        ]
        if name == "monthly_medium":
            mistakes += [
                (
                    one_none,
                    "the same as at effort none: the 750 reasoning tokens are billed too, as output. They are "
                    "completion tokens: 250 + 750 per answer",
                ),
                (
                    _reference_cost(BOT_PROMPT + BOT_REASONING, BOT_VISIBLE, BOT_MODEL),
                    "the reasoning tokens billed as prompt tokens: the model writes them, so they are completion "
                    "tokens at the output price (250 + 750 per answer)",
                ),
                (
                    _reference_cost(BOT_PROMPT, BOT_REASONING, BOT_MODEL),
                    "the reasoning tokens without the 250-token answer: both are completion tokens (250 + 750)",
                ),
                (
                    _reference_cost(BOT_PROMPT, BOT_VISIBLE + 2 * BOT_REASONING, BOT_MODEL),
                    "the 750 reasoning tokens counted twice: they are part of the 1,000 completion tokens once",
                ),
            ]
        for per_request, mistake in mistakes:
            if math.isclose(value, BOT_REQUESTS * per_request, rel_tol=1e-6):
                fail(f"`{name}` is ${value:,.2f}, {mistake}.")
        fail(
            f"`{name}` is ${value:,.2f}; expected ${BOT_REQUESTS * one:,.2f} = 30 × 2,000 × "
            f"cost_usd({BOT_PROMPT}, {completion}, {BOT_MODEL!r})."
        )
    return (
        f"${monthly_none:,.2f} at effort none against ${monthly_medium:,.2f} at medium: the hidden reasoning "
        f"makes the same answers cost {monthly_medium / monthly_none:.1f} times as much."
    )


def _still_a_stub(function: Any) -> bool:
    try:
        return STUB_MARKER in inspect.getsource(function)
    except (OSError, TypeError):
        return False


#: What a status other than 400 says about a request meant to have one parameter out of range.
_NOT_A_400 = {
    401: "the server refused the key (401) before it looked at your parameters; send the request with the "
    "`client` you are given",
    403: "the key may not do this (403), which says nothing about your parameters",
    404: "the server has no such model or endpoint (404); use the `model` you are given",
    422: "the server could not read the request (422); keep it valid except for one parameter value",
    429: "the server asked you to slow down (429), which says nothing about your parameters",
}


def _a_status_error(error: Any) -> str:
    return f"{type(error).__name__} (status {getattr(error, 'status_code', '?')})"


def _authentication_error() -> Any:
    """A 401 as the SDK raises it for a refused key (made here, no server involved)."""
    import openai
    from openai import _exceptions

    # the HTTP library the installed SDK uses (httpx, or httpx2 in newer SDKs)
    http: Any = getattr(_exceptions, "httpx2", None) or getattr(_exceptions, "httpx", None)
    request = http.Request("POST", "https://api.openai.com/v1/chat/completions")
    body = {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}
    return openai.AuthenticationError("Error code: 401", response=http.Response(401, request=request), body=body)


class _Namespace:
    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def _client_raising(error: Exception, sent: list[dict] | None = None) -> Any:
    """Looks like ``OpenAI()`` for chat completions; every request raises ``error`` (and is added to ``sent``)."""

    def create(**request: Any) -> Any:
        if sent is not None:
            sent.append(request)
        raise error

    return _Namespace(chat=_Namespace(completions=_Namespace(create=create)))


@checker
def check_bad_request(bad_request_error, client, model, effort):
    """Check ``bad_request_error(client, model, effort)``: it sends a request the API rejects, returns the exception."""
    import openai

    if is_stub(bad_request_error):
        raise NotDone()
    expect(callable(bad_request_error), f"Expected a function, but got {describe(bad_request_error)}.")
    try:
        result = bad_request_error(client, model, effort)
    except openai.BadRequestError as error:
        if error.param == "max_tokens":
            fail(f"The API rejected your request for max_tokens (and the exception escaped). {MAX_TOKENS_HINT}")
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
    if isinstance(result, openai.APIStatusError) and not isinstance(result, openai.BadRequestError):
        why = _NOT_A_400.get(result.status_code, "the request failed for another reason than a parameter value")
        fail(
            f"Your function returned {_a_status_error(result)}, not a 400 BadRequestError: {why}. "
            "Catch openai.BadRequestError itself, not a broad openai.APIError, so that only the error you "
            "meant is returned and any other one shows its traceback."
        )
    expect(
        isinstance(result, openai.BadRequestError),
        f"Return the exception object itself (an openai.BadRequestError), not {describe(result)}.",
    )
    expect(result.status_code == 400, f"The error's status_code is {result.status_code}; expected 400.")
    if result.param == "max_tokens":
        fail(
            f"Your request was refused for max_tokens, not for a value out of range. {MAX_TOKENS_HINT} Then make "
            "one value out of range, such as temperature=5."
        )
    expect(
        result.param,
        "The error does not name a parameter: make one parameter out of range "
        "(e.g. temperature=5) rather than breaking the request's structure.",
    )
    # The right error can come through a too broad except: would a wrong key come back as a "result" too?
    sent: list[dict] = []
    try:
        other = bad_request_error(_client_raising(_authentication_error(), sent), model, effort)
    except Exception:
        other = None  # it escaped, as it should (or the function needs more than the client we gave it)
    expect(
        not isinstance(other, openai.APIStatusError) or isinstance(other, openai.BadRequestError),
        f"With a client whose key is refused, your function returned {_a_status_error(other)} as if it were the "
        "400 you asked for: catch openai.BadRequestError itself, not a broad openai.APIError or Exception.",
    )
    if sent:  # the request your function sends, as the recording client saw it
        request = sent[0]
        expect(
            request.get("model") == model,
            f"Your request has model={request.get('model')!r}: send model=model, the argument the check gives.",
        )
        given = request.get("reasoning_effort", "left out")
        if type(effort).__name__ not in ("NotGiven", "Omit"):
            expect(
                given == effort,
                f"Your request has reasoning_effort={given!r}, not the `effort` argument ({effort!r}): send "
                "reasoning_effort=effort, so that only the one value you chose is out of range.",
            )
        problem = _message_problem(request.get("messages"))
        expect(
            problem is None,
            f"{problem} The request should be valid except for one parameter value out of its range.",
        )
    code = result.code if isinstance(result.code, str) else ""
    body = result.body if isinstance(result.body, dict) else {}
    message = str(body.get("message") or result)
    expect(
        code != "unsupported_value" and "Only the default" not in message,
        f"The 400 says {message!r}: that is a value this model does not take at this effort, not one out of "
        "range. Send reasoning_effort=effort, and a value outside the parameter's range (temperature=5: 0 to 2).",
    )
    return f"a 400 BadRequestError that blames the parameter {result.param!r} (in error.param)."
