"""Tests for course_helpers/checks.py: one ✅/❌/⏳ line, a hint that teaches, never an exception."""

from types import SimpleNamespace

import httpx2
import openai
import pytest

from course_helpers.checks import (
    call,
    check_close,
    check_completion,
    check_equal,
    check_messages,
    checker,
    describe,
    expect,
    fail,
    is_stub,
    refused,
    send,
)


def _line(capsys):
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"a check prints exactly one line, got {out!r}"
    return out.rstrip("\n")


@checker
def check_double(function):
    result = call(function, 21)
    expect(result == 42, f"double(21) returned {result!r}; expected 42.")
    return "double(21) == 42"


@pytest.mark.parametrize("value", [..., None, [...], {"role": "user", "content": ...}])
def test_stubs_are_not_done_yet(value, capsys):
    check_equal(value, 42)
    assert _line(capsys).startswith("⏳ Not done yet")


def test_right_answer_passes(capsys):
    check_equal(42, 42)
    assert _line(capsys) == "✅ Correct!"


def test_success_remark_follows_correct(capsys):
    check_double(lambda x: 2 * x)
    assert _line(capsys) == "✅ Correct: double(21) == 42"


@pytest.mark.parametrize(
    "answer, hint",
    [
        ("42", "Expected an int, but your answer is a str: '42'."),
        ([1, 2], "Expected an int, but your answer is a list: [1, 2]."),
        (41, "Not quite: your answer is an int: 41."),
    ],
)
def test_wrong_answer_gets_a_specific_hint(answer, hint, capsys):
    check_equal(answer, 42)
    assert _line(capsys) == f"❌ {hint}"


def test_custom_hint_replaces_the_generic_one(capsys):
    check_equal(0.7, 0, hint="For the same answer every time, turn the randomness off.")
    assert _line(capsys) == "❌ For the same answer every time, turn the randomness off."


def test_exception_in_learner_code_is_a_hint_not_a_crash(capsys):
    check_double(lambda x: x / 0)
    assert _line(capsys) == "❌ Your code raised ZeroDivisionError: division by zero (when called with 21)."


def test_untouched_function_stub_is_not_done(capsys):
    def double(x): ...  # YOUR CODE HERE

    check_double(double)
    assert _line(capsys).startswith("⏳")


def test_function_without_return_is_told_to_return(capsys):
    def double(x):
        x * 2

    check_double(double)
    assert _line(capsys) == "❌ Your function returned None (when called with 21): did you forget `return`?"


def test_a_value_that_is_not_a_function(capsys):
    check_double(42)
    assert _line(capsys) == "❌ Expected a function, but got an int: 42."


def test_unexpected_error_inside_a_check_never_escapes(capsys):
    @checker
    def check_length(text):
        expect(len(text) == 3, "three letters")

    check_length(12)  # len() of an int raises TypeError inside the check itself
    assert _line(capsys).startswith("❌ Could not check your answer (TypeError:")


def test_multiline_hints_are_folded_into_one_line(capsys):
    @checker
    def check_anything(value):
        fail("first line\nsecond line")

    check_anything(1)
    assert _line(capsys) == "❌ first line second line"


def test_none_can_be_an_answer_when_the_check_says_so(capsys):
    @checker(none_is_stub=False)
    def check_is_none(value):
        expect(value is None, "It should be None.")

    check_is_none(None)
    assert _line(capsys) == "✅ Correct!"


def test_keyword_arguments_are_configuration_not_answers(capsys):
    check_equal(3, 3, hint=None)
    assert _line(capsys) == "✅ Correct!"


def test_check_returns_nothing_so_the_notebook_shows_only_the_line(capsys):
    assert check_equal(1, 1) is None


def test_check_keeps_its_name_and_docstring():
    assert check_messages.__name__ == "check_messages" and "messages" in check_messages.__doc__


SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "Hi"}


@pytest.mark.parametrize(
    "messages, line",
    [
        ([SYSTEM, USER], "✅ Correct: 2 messages with roles system, user."),
        ([USER, SYSTEM], "❌ Message 1 has role 'user', expected 'system': a system message must come first."),
        ([USER], "❌ Your list has 1 message; expected 2 (system, user)."),
        ("Hi", "❌ `messages` must be a list of dicts, but it is a str: 'Hi'."),
        ([], "❌ Your list is empty: a request needs at least one message."),
        ([SYSTEM, "Hi"], "❌ Message 2 must be a dict like {'role': 'user', 'content': '...'}, but it is a str: 'Hi'."),
        (
            [SYSTEM, {"role": "human", "content": "Hi"}],
            "❌ Message 2 has role 'human'; the roles are system, developer, user, assistant, tool.",
        ),
        ([SYSTEM, {"role": "user"}], "❌ Message 2 has no 'content' key."),
        ([SYSTEM, {"content": "Hi"}], "❌ Message 2 has no 'role' key."),
        ([SYSTEM, {"role": "user", "content": ""}], "❌ Message 2 has empty content."),
        (
            [SYSTEM, {"role": "user", "content": ...}],
            "⏳ Not done yet: replace the ... with your code, then run this cell again.",
        ),
    ],
)
def test_check_messages(messages, line, capsys):
    check_messages(messages, roles=["system", "user"])
    assert _line(capsys) == line


def test_check_messages_without_expected_roles(capsys):
    check_messages([USER])
    assert _line(capsys) == "✅ Correct!"


@pytest.mark.parametrize(
    "answer, line",
    [
        (0.3333, "✅ Correct!"),
        (0.5, "❌ Your answer is 0.5, off by 0.167."),
        ("0.33", "❌ Expected a number, but your answer is a str: '0.33'."),
        (float("nan"), "❌ Your answer is nan: look for a division by zero or a log of 0."),
    ],
)
def test_check_close(answer, line, capsys):
    check_close(answer, 1 / 3, tolerance=1e-3)
    assert _line(capsys) == line


def test_check_completion_accepts_a_real_sdk_object(capsys):
    from openai.types.chat import ChatCompletion

    response = ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}],
        }
    )
    check_completion(response)
    assert _line(capsys) == "✅ Correct: a ChatCompletion with 1 choice."
    check_completion(response, n=2)
    assert _line(capsys) == "❌ Your response has 1 choices; pass n=2 to get 2."


def test_check_completion_rejects_the_text_alone(capsys):
    check_completion("Hi")
    assert _line(capsys).startswith("❌ This is a str; store the whole object")


def test_helpers():
    assert describe("x" * 100).endswith("…") and len(describe("x" * 100)) < 80
    assert describe(3) == "an int: 3"
    assert is_stub((1, [2, ...])) and not is_stub([1, 2])


def _client(create):
    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


def _refuse(**request):
    http = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": "Invalid type for 'logprobs': expected a boolean.", "param": "logprobs"}
    raise openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=http), body=body)


def _create(model, messages, logprobs=False):
    return "a response"


@checker
def check_sent(response):
    refused(response)
    return "sent"


@pytest.mark.parametrize(
    ("client", "request_", "line"),
    [
        (_client(_refuse), {"model": "m", "logprobs": 5}, "❌ The API refused your request (400 BadRequestError: "),
        (_client(_create), {"model": "m", "messages": [], "top_logprob": 5}, "❌ The request was not sent: "),
        (_client(_create), {"model": "m", "messages": []}, "✅ Correct: sent"),
        (_client(_refuse), ..., "⏳ Not done yet"),
    ],
)
def test_send_returns_a_refusal_for_the_check_to_explain(capsys, client, request_, line):
    check_sent(send(client, request_))
    assert _line(capsys).startswith(line)
