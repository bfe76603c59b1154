"""Exercise checks: one line of feedback, ✅ right, ❌ wrong with a hint that teaches, ⏳ not done yet.

Every exercise ends with a check cell such as ``check_messages(messages,
roles=["system", "user"])``. A check prints exactly one line and never raises,
so "Run All" works on a fresh exercise sheet:

>>> check_equal(..., 4)
⏳ Not done yet: replace the ... with your code, then run this cell again.
>>> check_equal(2 + 2, 4)
✅ Correct!
>>> check_equal("4", 4)
❌ Expected an int, but your answer is a str: '4'.

Lessons write their own checks in one place with :func:`checker`, which
handles the stub and exception cases; the body only says what is wrong with
:func:`expect` (or :func:`fail`) and may return a short success remark:

>>> @checker
... def check_temperature(value):
...     expect(isinstance(value, (int, float)), f"A temperature is a number, not {describe(value)}.")
...     expect(value == 0, f"With temperature={value} the model can still pick less likely tokens.")
...     return "temperature 0 always picks the most likely token."
>>> check_temperature(0.7)
❌ With temperature=0.7 the model can still pick less likely tokens.
>>> check_temperature(0)
✅ Correct: temperature 0 always picks the most likely token.

A learner's function is called with :func:`call`: an exception inside it
becomes a hint, and a function that still has its ``# YOUR CODE HERE`` stub
counts as not done.

Output lines never contain model-generated text, so nbval can compare them.

Each lesson's checks are a module here named after its topic: ``setup`` (00),
``messages`` (01), ``parameters`` (02), ``logprobs`` (03), ``moderation`` (04),
``audio`` (05), ``beyond`` (06), ``structured`` (07). ``hints`` explains a failing call's set-up problem;
``quizzes`` shows the quizzes whose texts are in ``quiz_bank``.

Used in: every lesson's exercises (exercises/*.ipynb)
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
from collections.abc import Callable

from . import hints

__all__ = [
    "Hint",
    "NotDone",
    "call",
    "check_close",
    "check_completion",
    "check_equal",
    "check_messages",
    "checker",
    "describe",
    "expect",
    "fail",
    "is_stub",
    "refused",
    "skip_reason",
    "send",
]

PASS, FAIL, TODO, SKIP = "✅", "❌", "⏳", "⏭️"
NOT_DONE = "Not done yet: replace the ... with your code, then run this cell again."
STUB_MARKER = "YOUR CODE HERE"
ROLES = ("system", "developer", "user", "assistant", "tool")


class Hint(Exception):
    """Raised inside a check to report a wrong answer; its message is the hint."""


class NotDone(Exception):
    """Raised inside a check when the learner has not started yet."""


def expect(condition: object, hint: str) -> None:
    """Inside a check: stop with ❌ ``hint`` unless ``condition`` holds."""
    if not condition:
        raise Hint(hint)


def fail(hint: str) -> None:
    """Inside a check: stop with ❌ ``hint``."""
    raise Hint(hint)


def _a(noun: str) -> str:
    """The noun with its article: ``a list``, ``an int``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def counted(number: int, noun: str) -> str:
    """``1 message``, ``3 messages``: a count for a hint, in the singular when it is one.

    >>> counted(1, "message"), counted(0, "message")
    ('1 message', '0 messages')
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


def describe(value: object, limit: int = 60) -> str:
    """A short description of a value for a hint: its type and a clipped repr.

    >>> describe("hello")
    "a str: 'hello'"
    >>> describe(None)
    'None'
    """
    if value is None or value is ...:
        return repr(value)
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{_a(type(value).__name__)}: {text}"


def is_stub(value: object) -> bool:
    """True for an untouched stub: ``...`` or None, or ``...`` inside a list, tuple or dict.

    >>> is_stub(...), is_stub([1, ...]), is_stub({"role": "user", "content": ...}), is_stub(0)
    (True, True, True, False)
    """
    if value is None or value is ...:
        return True
    if isinstance(value, (list, tuple)):
        return any(item is ... or (isinstance(item, (list, tuple, dict)) and is_stub(item)) for item in value)
    if isinstance(value, dict):
        return any(item is ... or (isinstance(item, (list, tuple, dict)) and is_stub(item)) for item in value.values())
    return False


def _still_a_stub(function: Callable) -> bool:
    try:
        return STUB_MARKER in inspect.getsource(function)
    except (OSError, TypeError):
        return True  # no source to look at: give the benefit of the doubt


def call(function: object, *args, **kwargs):
    """Call the learner's ``function``; turn what can go wrong into a hint or "not done".

    >>> @checker
    ... def check_double(double):
    ...     expect(call(double, 2) == 4, "double(2) should be 4.")
    >>> check_double(lambda x: x / 0)
    ❌ Your code raised ZeroDivisionError: division by zero (when called with 2).
    """
    if is_stub(function):
        raise NotDone()
    if not callable(function):
        raise Hint(f"Expected a function, but got {describe(function)}.")
    arguments = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    try:
        result = function(*args, **kwargs)
    except Exception as error:  # the learner's code: any error becomes a hint
        raise Hint(f"Your code raised {type(error).__name__}: {error} (when called with {arguments}).") from error
    if result is None or result is ...:
        if _still_a_stub(function):
            raise NotDone()
        raise Hint(f"Your function returned {result!r} (when called with {arguments}): did you forget `return`?")
    return result


def send(client, request):
    """``client.chat.completions.create(**request)``, with a refused request returned instead of raised.

    An exercise cell ends with ``response = send(client, request)``: when the API refuses the request (a
    400 for a value out of range) or the SDK does (an unknown parameter), the error becomes the value of
    ``response``, and the check cell after it turns it into a hint instead of failing on a name that was
    never assigned. A stub request stays a stub:

    >>> send(None, ...)
    Ellipsis
    """
    import openai

    if is_stub(request) or not isinstance(request, dict):
        return request  # not done yet, or not a dict: the check says which
    try:
        response = client.chat.completions.create(**request)
    except (openai.APIStatusError, TypeError) as error:
        return error
    response_id = getattr(response, "id", None)
    if isinstance(response_id, str):  # so a check can tell which request gave this response
        sent = dict(request)
        if isinstance(sent.get("messages"), list):  # as sent, even if the learner's list changes later
            sent["messages"] = copy.deepcopy(sent["messages"])
        SENT[response_id] = (response, sent)
    return response


SENT: dict[str, tuple[object, dict]] = {}
"""The responses :func:`send` got and the requests it sent for them, by the id of the response."""


def sent_request(response: object) -> dict | None:
    """The request :func:`send` sent to get ``response``, or None when it did not send it."""
    response_id = getattr(response, "id", None)
    got, request = SENT.get(response_id, (None, None)) if isinstance(response_id, str) else (None, None)
    return request if got is response else None


def refused(response: object) -> None:
    """Inside a check: stop with ❌ and the API's own words when ``response`` is the error :func:`send` returned.

    >>> @checker
    ... def check_response(response):
    ...     refused(response)
    >>> check_response(TypeError("create() got an unexpected keyword argument 'top_logprob'"))
    ❌ The request was not sent: create() got an unexpected keyword argument 'top_logprob'. Check the parameter names, then run the request's cell again.
    """
    if isinstance(response, TypeError):
        fail(f"The request was not sent: {response}. Check the parameter names, then run the request's cell again.")
    if isinstance(response, Exception):
        body = getattr(response, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        status = getattr(response, "status_code", "?")
        fail(
            f"The API refused your request ({status} {type(response).__name__}: {message or response}). "
            "Fix the request, then run its cell again."
        )


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def skip_reason(features: tuple[str, ...]) -> str | None:
    """Why an exercise needing ``features`` cannot run on this backend, or None when it can.

    Asks the capability probe (:func:`course_helpers.course.capabilities.capabilities`, cached per backend)
    about the backend of the last ``setup()``.
    """
    from ..course.capabilities import NO, TITLES, WHERE, capabilities

    if not features or hints.current_info() is None:  # no backend chosen yet: nothing to skip for
        return None
    found = capabilities(features=features)
    for feature in features:
        if found.status(feature) == NO:
            where = WHERE.get(feature, "the built-in backend and the OpenAI API have it")
            return f"it has no {TITLES[feature]} ({found.findings[feature].reason}); {where}."
    return None


def checker(function: Callable | None = None, *, none_is_stub: bool = True, needs: tuple[str, ...] = ()):
    """Turn ``function`` into an exercise check that prints one ✅/❌/⏳/⏭️ line and never raises.

    The check is ⏳ when any positional argument is a stub (see :func:`is_stub`; pass
    ``none_is_stub=False`` when None is a meaningful answer). Inside, use
    :func:`expect`/:func:`fail` for wrong answers and :func:`call` for the
    learner's functions; return a short remark (or None) for a right one.
    The wrapped check returns None, so nothing else shows in the notebook.

    ``needs`` names the features the exercise uses that some backends lack (as
    :mod:`course_helpers.course.capabilities` names them); on a backend without one the check
    prints "⏭️ Skipped on this backend: ..." instead of ⏳ or ❌. Wiring a check is one line::

        @checker(needs=("moderations",))
        def check_flagged(result): ...
    """
    if function is None:
        return functools.partial(checker, none_is_stub=none_is_stub, needs=needs)

    @functools.wraps(function)
    def check(*args, **kwargs) -> None:
        # Positional arguments are the learner's values; keyword arguments configure the check.
        stubbed = any(is_stub(v) if (v is not None or none_is_stub) else False for v in args)
        try:
            skipped = skip_reason(needs)
        except Exception as error:  # the probe itself failed: say so, and let the check run
            skipped = None
            print(f"(could not ask the backend what it has: {type(error).__name__})")
        if skipped:
            print(f"{SKIP} Skipped on this backend: {_one_line(skipped)}")
            return None
        try:
            if stubbed:
                raise NotDone()
            remark = function(*args, **kwargs)
        except NotDone:
            line = f"{TODO} {NOT_DONE}"
        except Hint as hint:
            line = f"{FAIL} {_one_line(hint)}"
        except Exception as error:  # a value the check did not foresee: still a hint, never a crash
            line = f"{FAIL} Could not check your answer ({type(error).__name__}: {_one_line(error)})."
        else:
            line = f"{PASS} Correct: {_one_line(remark)}" if remark else f"{PASS} Correct!"
        print(line)

    check.needs = needs  # type: ignore[attr-defined]  # what it skips without (tests list them)
    return check


@checker
def check_equal(answer, expected, hint: str | None = None) -> None:
    """Check that ``answer == expected``; ``hint`` replaces the generic hint for a wrong value.

    >>> check_equal([1, 2], [1, 2, 3])
    ❌ Your answer has 2 items; expected 3.
    """
    if (
        hint is None
        and type(answer) is not type(expected)
        and not (
            isinstance(answer, (int, float)) and isinstance(expected, (int, float)) and not isinstance(answer, bool)
        )
    ):
        fail(f"Expected {_a(type(expected).__name__)}, but your answer is {describe(answer)}.")
    if answer == expected:
        return None
    if hint:
        fail(hint)
    if isinstance(expected, (list, tuple, dict, str)) and len(answer) != len(expected):
        unit = "characters" if isinstance(expected, str) else "items"
        fail(f"Your answer has {len(answer)} {unit}; expected {len(expected)}.")
    fail(f"Not quite: your answer is {describe(answer)}.")


@checker
def check_close(answer, expected: float, tolerance: float = 1e-6, hint: str | None = None) -> None:
    """Check a number to within ``tolerance`` (absolute), e.g. a probability computed by hand.

    >>> check_close(0.3333, 1 / 3, tolerance=1e-3)
    ✅ Correct!
    >>> check_close(0.5, 1 / 3)
    ❌ Your answer is 0.5, off by 0.167.
    """
    expect(
        isinstance(answer, numbers.Real) and not isinstance(answer, bool),
        f"Expected a number, but your answer is {describe(answer)}.",
    )
    value = float(answer)
    expect(math.isfinite(value), f"Your answer is {value}: look for a division by zero or a log of 0.")
    if abs(value - expected) > tolerance:
        fail(hint or f"Your answer is {value:.4g}, off by {abs(value - expected):.3g}.")


@checker
def check_messages(messages, roles: list[str] | None = None):
    """Check a chat ``messages`` list: dicts with a known ``role`` and a ``content``; optionally the roles in order.

    >>> check_messages([{"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}],
    ...                roles=["system", "user"])
    ❌ Message 1 has role 'user', expected 'system': a system message must come first.
    >>> check_messages([{"role": "user", "content": "Hi"}], roles=["system", "user"])
    ❌ Your list has 1 message; expected 2 (system, user).
    """
    expect(isinstance(messages, list), f"`messages` must be a list of dicts, but it is {describe(messages)}.")
    expect(messages, "Your list is empty: a request needs at least one message.")
    for number, message in enumerate(messages, start=1):
        expect(
            isinstance(message, dict),
            f"Message {number} must be a dict like "
            f"{{'role': 'user', 'content': '...'}}, but it is {describe(message)}.",
        )
        expect("role" in message, f"Message {number} has no 'role' key.")
        expect(
            message["role"] in ROLES,
            f"Message {number} has role {message['role']!r}; the roles are {', '.join(ROLES)}.",
        )
        expect("content" in message, f"Message {number} has no 'content' key.")
        content = message["content"]
        expect(
            isinstance(content, (str, list)) or (content is None and message["role"] == "assistant"),
            f"The content of message {number} must be a string, but it is {describe(content)}.",
        )
        expect(content is None or len(content) > 0, f"Message {number} has empty content.")
    if roles is not None:
        count = f"{len(messages)} message{'s' if len(messages) != 1 else ''}"
        expect(len(messages) == len(roles), f"Your list has {count}; expected {len(roles)} ({', '.join(roles)}).")
        for number, (message, role) in enumerate(zip(messages, roles), start=1):
            if message["role"] != role:
                why = {"system": ": a system message must come first"}.get(role, "") if number == 1 else ""
                fail(f"Message {number} has role {message['role']!r}, expected {role!r}{why}.")
        return f"{count} with roles {', '.join(roles)}."
    return None


@checker
def check_completion(response, n: int | None = None):
    """Check that ``response`` is the ChatCompletion object returned by ``client.chat.completions.create``.

    >>> check_completion("Paris")
    ❌ This is a str; store the whole object returned by client.chat.completions.create(...), not its text.
    """
    expect(
        not isinstance(response, str),
        "This is a str; store the whole object returned by client.chat.completions.create(...), not its text.",
    )
    expect(
        getattr(response, "object", None) == "chat.completion" and hasattr(response, "choices"),
        f"Expected the ChatCompletion from client.chat.completions.create(...), but got {describe(response)}.",
    )
    if n is not None:
        expect(len(response.choices) == n, f"Your response has {len(response.choices)} choices; pass n={n} to get {n}.")
    return f"a ChatCompletion with {len(response.choices)} choice{'s' if len(response.choices) != 1 else ''}."
