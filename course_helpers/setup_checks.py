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

import ast
import copy
import inspect
import math
import numbers
from typing import Any, NamedTuple

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


#: Why a reply can end, besides the token limit ('length'): the other finish reasons of Chat Completions.
OTHER_FINISH_REASONS = ("stop", "content_filter", "tool_calls")


def _ipython() -> Any:
    """The running IPython shell, or None in a plain script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _last_assigned(name: str, shell: Any) -> ast.expr | None:
    """The expression last assigned to ``name`` at the top level of a notebook cell (None outside IPython).

    >>> shell = type("Shell", (), {"user_ns": {"In": ["", "x = 1", "x = y + 1", "print(x)"]}})()
    >>> ast.unparse(_last_assigned("x", shell))
    'y + 1'
    """
    for cell in reversed(list(getattr(shell, "user_ns", {}).get("In", []))):
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for statement in reversed(tree.body):
            if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == name for target in statement.targets
            ):
                return statement.value
    return None


def _other_reasons_cut_off(expression: ast.expr | None, data: dict, shell: Any) -> list[str]:
    """The finish reasons other than 'length' for which ``expression`` (a learner's `cut_off`) is True.

    The expression is evaluated with ``finish`` and ``data`` standing for a reply with each reason; an
    expression that depends on neither, or fails, gives [] (nothing to tell).
    """
    if expression is None or isinstance(expression, ast.Constant):
        return []  # a constant gets its hint from the response itself, when it is the wrong one
    namespace = dict(getattr(shell, "user_ns", None) or {})
    results = {}
    for reason in ("length", *OTHER_FINISH_REASONS):
        variant = copy.deepcopy(data)
        variant["choices"][0]["finish_reason"] = reason
        try:
            results[reason] = eval(  # the learner's own expression, from their own cell
                compile(ast.Expression(expression), "<cut_off>", "eval"),
                {**namespace, "finish": reason, "data": variant},
            )
        except Exception:
            return []
    if results["length"] is not True:
        return []
    return [reason for reason in OTHER_FINISH_REASONS if results[reason] is True]


@checker
def check_response_fields(data, text, finish, total, cut_off, shell: Any = None):
    """Check values read by hand from a chat completion's JSON (plain dicts and lists).

    ``shell`` is the IPython shell whose cells hold the learner's code (default: the running one): the
    expression of `cut_off` is tried on every finish reason, since one response shows only one.
    """
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
    # One response shows one finish reason, where `finish != "stop"` and `finish == "length"` agree: try the
    # learner's expression on the other reasons too.
    shell = shell if shell is not None else _ipython()
    also_true = _other_reasons_cut_off(_last_assigned("cut_off", shell), data, shell)
    if also_true:
        fail(
            f"Your `cut_off` would also be True for finish_reason {' or '.join(map(repr, also_true))}, and those "
            "replies were not cut by the limit (a content filter, a tool call). Only 'length' means max_tokens was "
            "reached: compare with it, finish == 'length'."
        )
    return "text, finish reason and token count read straight from the JSON, as any HTTP client would."


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
        (1_000_000, 0, "gpt-4o-mini"),
        (0, 1_000_000, "gpt-4o-mini"),
        (2000, 500, "gpt-4o"),
        (1234, 567, "gpt-6-luna"),
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
        other = "gpt-4o" if model == "gpt-4o-mini" else "gpt-4o-mini"
        for per_request, mistake in [
            (_reference_cost(250, 1200, model), "the token counts swapped: cost_usd(1200, 250, ...), prompt first"),
            (_reference_cost(1200, 0, model), "the prompt tokens alone: the 250 completion tokens are billed too"),
            (_reference_cost(1200, 250, other), f"the prices of {other}: this one is for {model}"),
        ]:
            if math.isclose(value, requests * per_request, rel_tol=1e-6):
                fail(f"`{name}` is ${value:,.2f}, {mistake}.")
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


def _client_raising(error: Exception) -> Any:
    """Looks like ``OpenAI()`` for chat completions; every request raises ``error``."""

    def create(**request: Any) -> Any:
        raise error

    return _Namespace(chat=_Namespace(completions=_Namespace(create=create)))


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
    expect(
        result.param,
        "The error does not name a parameter: make one parameter out of range "
        "(e.g. temperature=5) rather than breaking the request's structure.",
    )
    # The right error can come through a too broad except: would a wrong key come back as a "result" too?
    try:
        other = bad_request_error(_client_raising(_authentication_error()), model)
    except Exception:
        other = None  # it escaped, as it should (or the function needs more than the client we gave it)
    expect(
        not isinstance(other, openai.APIStatusError) or isinstance(other, openai.BadRequestError),
        f"With a client whose key is refused, your function returned {_a_status_error(other)} as if it were the "
        "400 you asked for: catch openai.BadRequestError itself, not a broad openai.APIError or Exception.",
    )
    return f"a 400 BadRequestError that blames the parameter {result.param!r} (in error.param)."
