"""Tests for course_helpers/setup_checks.py: right answers pass, wrong ones get the hint that teaches."""

from __future__ import annotations

from types import SimpleNamespace

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion

from course_helpers import setup_checks as checks


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def completion(content="Hi there", finish_reason="stop", completion_tokens=3) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
            ],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": completion_tokens,
                "total_tokens": 9 + completion_tokens,
            },
        }
    )


def bad_request(param="temperature") -> openai.BadRequestError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": "Invalid value.", "type": "invalid_request_error", "param": param, "code": "invalid_value"}
    return openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=request), body=body)


def client_that(action):
    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=action)))


def raising(error):
    def create(**request):
        raise error

    return create


@pytest.mark.parametrize(
    ("mask", "hint"),
    [
        (lambda key: key, "that is the whole key"),
        (lambda key: "*" * 4 + key[-4:], "keep the length"),
        (lambda key: "*" * (len(key) - 4) + key[-4:], "8 characters or fewer are masked completely"),
        (lambda key: "*" * (len(key) - 3) + key[-3:], "key[-4:]"),
        (lambda key: None, "forget `return`"),
    ],
)
def test_check_mask_hints(capsys, mask, hint):
    checks.check_mask(mask)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_mask_passes_the_reference_and_waits_for_a_stub(capsys):
    checks.check_mask(checks._reference_mask)
    assert one_line(capsys).startswith("✅")
    checks.check_mask(...)
    assert one_line(capsys).startswith("⏳")


def test_check_first_request_passes_a_consistent_answer(capsys):
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 20}
    response = completion()
    checks.check_first_request(request, response, response.choices[0].message.content)
    assert one_line(capsys).startswith("✅")


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (lambda r, resp, reply: ({**r, "max_tokens": 500}, resp, reply), "from 1 to 50"),
        (lambda r, resp, reply: ({k: v for k, v in r.items() if k != "model"}, resp, reply), "no 'model' key"),
        (
            lambda r, resp, reply: ({**r, "messages": [{"role": "assistant", "content": "x"}]}, resp, reply),
            "last message",
        ),
        (lambda r, resp, reply: (r, reply, reply), "store the whole object"),
        (lambda r, resp, reply: (r, resp, resp.choices[0].message), "take its .content"),
        (lambda r, resp, reply: (r, resp, "other text"), "response.choices[0].message.content"),
        (lambda r, resp, reply: ({**r, "max_tokens": 2}, resp, reply), "did you send `request`"),
    ],
)
def test_check_first_request_hints(capsys, change, hint):
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 20}
    response = completion()
    checks.check_first_request(*change(request, response, response.choices[0].message.content))
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_response_fields(capsys):
    data = completion(finish_reason="length").model_dump(mode="json")
    checks.check_response_fields(data, "Hi there", "length", 12, True)
    assert one_line(capsys).startswith("✅")
    checks.check_response_fields(data, data["choices"][0]["message"], "length", 12, True)
    assert "one level deeper" in one_line(capsys)
    checks.check_response_fields(data, "Hi there", "length", 9, True)
    assert "only part of the usage" in one_line(capsys)
    checks.check_response_fields(data, "Hi there", "length", 12, "yes")
    assert "True or False" in one_line(capsys)
    checks.check_response_fields(data, "Hi there", "length", 12, False)
    assert "exactly when the finish reason is 'length'" in one_line(capsys)


@pytest.mark.parametrize(
    ("cost", "hint"),
    [
        (lambda p, c, m: p * checks.PRICES[m].input + c * checks.PRICES[m].output, "divide by 1_000_000"),
        (lambda p, c, m: (p * checks.PRICES[m].output + c * checks.PRICES[m].input) / 1e6, "swapped"),
        (lambda p, c, m: p * checks.PRICES[m].input / 1e6, "the completion tokens are billed too"),
        (lambda p, c, m: "cheap", "number of dollars"),
        (lambda p, c, m: (p * checks.PRICES[m].input + c * checks.PRICES[m].output) / 1000, "not per 1,000"),
        (lambda p, c, m: c * checks.PRICES[m].output / 1e6, "the prompt tokens are billed too"),
        (lambda p, c, m: (p + c) * checks.PRICES[m].input / 1e6, "completion tokens cost more"),
        (lambda p, c, m: (p + c) * checks.PRICES[m].output / 1e6, "prompt tokens cost less"),
        (lambda p, c, m: (p + c) * (checks.PRICES[m].input + checks.PRICES[m].output) / 1e6, "at both prices"),
        (lambda p, c, m: round((p * checks.PRICES[m].input + c * checks.PRICES[m].output) / 1e6, 2), "expected"),
    ],
)
def test_check_cost_function_hints(capsys, cost, hint):
    checks.check_cost_function(cost)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_cost_function_and_monthly_cost_pass(capsys):
    checks.check_cost_function(checks._reference_cost)
    assert one_line(capsys) == "✅ Correct: cost_usd(2000, 500, 'gpt-4o') == 0.01: one cent."
    checks.check_monthly_cost(19.8, 330.0)
    assert one_line(capsys).startswith("✅ Correct: $19.80 against $330.00")


def test_check_monthly_cost_names_the_missing_factor(capsys):
    checks.check_monthly_cost(19.8 / 30, 330.0)
    assert "the 30 days" in one_line(capsys)
    checks.check_monthly_cost(19.8, 330.0 / 2000)
    assert "2,000 requests a day" in one_line(capsys)


def test_check_bad_request_passes_a_returned_error(capsys):
    def bad_request_error(client, model):
        try:
            client.chat.completions.create(model=model, messages=[], temperature=5)
        except openai.BadRequestError as error:
            return error

    checks.check_bad_request(bad_request_error, client_that(raising(bad_request())), "m")
    assert one_line(capsys) == (
        "✅ Correct: a 400 BadRequestError that blames the parameter 'temperature' (in error.param)."
    )


def test_check_bad_request_hints(capsys):
    def uncaught(client, model):
        client.chat.completions.create(model=model)

    checks.check_bad_request(uncaught, client_that(raising(bad_request())), "m")
    assert "escaped your function" in one_line(capsys)

    def accepted(client, model):
        try:
            client.chat.completions.create(model=model)
        except openai.BadRequestError as error:
            return error

    checks.check_bad_request(accepted, client_that(lambda **request: completion()), "m")
    assert "the API accepted your request" in one_line(capsys)

    checks.check_bad_request(lambda client, model: "temperature", client_that(raising(bad_request())), "m")
    assert "Return the exception object itself" in one_line(capsys)


def test_check_bad_request_waits_for_a_stub(capsys):
    def bad_request_error(client, model): ...  # YOUR CODE HERE

    checks.check_bad_request(bad_request_error, client_that(raising(bad_request())), "m")
    assert one_line(capsys).startswith("⏳")


def shell_with(cell: str, data: dict):
    """An IPython-like shell whose last cells are the learner's `cell`, then the check cell."""
    finish = data["choices"][0]["finish_reason"]
    return SimpleNamespace(user_ns={"In": ["", cell, "check_response_fields(...)"], "data": data, "finish": finish})


READ_FIELDS = (
    'text = data["choices"][0]["message"]["content"]\n'
    'finish = data["choices"][0]["finish_reason"]\n'
    'total = data["usage"]["total_tokens"]\n'
)


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
@pytest.mark.parametrize(
    "cut_off",
    [
        'finish != "stop"',
        'data["choices"][0]["finish_reason"] != "stop"',
        'finish in ("length", "content_filter")',
        'not finish == "stop"',
    ],
)
def test_check_response_fields_tries_cut_off_on_every_finish_reason(capsys, finish_reason, cut_off):
    data = completion(finish_reason=finish_reason).model_dump(mode="json")
    shell = shell_with(READ_FIELDS + f"cut_off = {cut_off}\n", data)
    checks.check_response_fields(data, "Hi there", finish_reason, 12, finish_reason == "length", shell=shell)
    line = one_line(capsys)
    assert line.startswith("❌") and "were not cut by the limit" in line and "finish == 'length'" in line


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
@pytest.mark.parametrize(
    "cut_off",
    ['finish == "length"', 'data["choices"][0]["finish_reason"] == "length"', "True if finish == 'length' else False"],
)
def test_check_response_fields_passes_every_right_cut_off(capsys, finish_reason, cut_off):
    data = completion(finish_reason=finish_reason).model_dump(mode="json")
    shell = shell_with(READ_FIELDS + f"cut_off = {cut_off}\n", data)
    checks.check_response_fields(data, "Hi there", finish_reason, 12, finish_reason == "length", shell=shell)
    assert one_line(capsys).startswith("✅")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ({"text": {"role": "assistant", "content": "Hi there"}}, "one level deeper"),
        ({"finish": "assistant"}, "belongs to the choice, not to the message"),
        ({"total": 3}, "only part of the usage"),
        ({"cut_off": "length"}, "True or False"),
        ({"cut_off": True}, "exactly when the finish reason is 'length'"),
    ],
)
def test_check_response_fields_wrong_answers(capsys, answer, hint):
    data = completion(finish_reason="stop").model_dump(mode="json")
    fields = {"text": "Hi there", "finish": "stop", "total": 12, "cut_off": False, **answer}
    checks.check_response_fields(data, *fields.values(), shell=SimpleNamespace(user_ns={}))
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def returning_any_api_error(client, model):
    try:
        return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], temperature=5)
    except openai.APIError as error:
        return error


def authentication_error() -> openai.AuthenticationError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}
    return openai.AuthenticationError("Error code: 401", response=httpx2.Response(401, request=request), body=body)


@pytest.mark.parametrize(
    ("client", "hint"),
    [
        # a 401 (a client made with a wrong key) caught as APIError and returned
        (client_that(raising(authentication_error())), "refused the key (401) before it looked at your parameters"),
        # the right 400, but through an except that would also return a wrong key's 401
        (client_that(raising(bad_request())), "catch openai.BadRequestError itself, not a broad openai.APIError"),
    ],
)
def test_check_bad_request_with_a_broad_except(capsys, client, hint):
    checks.check_bad_request(returning_any_api_error, client, "m")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line and "Return the exception object itself" not in line


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda client, model: client.chat.completions.create(model=model, temperature=5), "escaped your function"),
        (lambda client, model: bad_request(param=None), "does not name a parameter"),
        (lambda client, model: str(bad_request()), "Return the exception object itself"),
        (lambda client, model: client and None, "forgot `return error`"),
    ],
)
def test_check_bad_request_wrong_answers(capsys, function, hint):
    checks.check_bad_request(function, client_that(raising(bad_request())), "m")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


@pytest.mark.parametrize(
    ("monthly", "hint"),
    [
        ((19.8 / 2000, 330.0), "the 2,000 requests a day"),
        ((19.8 / 60_000, 330.0), "both the 2,000 requests a day and the 30 days"),
        ((19.8, "$330"), "should be a number of dollars"),
        ((60_000 * checks._reference_cost(250, 1200, "gpt-4o-mini"), 330.0), "the token counts swapped"),
        ((60_000 * checks._reference_cost(1200, 0, "gpt-4o-mini"), 330.0), "the 250 completion tokens are billed too"),
        ((19.8, 19.8), "the prices of gpt-4o-mini: this one is for gpt-4o"),
    ],
)
def test_check_monthly_cost_wrong_answers(capsys, monthly, hint):
    checks.check_monthly_cost(*monthly)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line
