"""Tests for course_helpers/checks/setup.py: right answers pass, wrong ones get the hint that teaches."""

from __future__ import annotations

import doctest
from types import SimpleNamespace

import httpx2
import openai
import pytest
from openai import NOT_GIVEN
from openai.types.chat import ChatCompletion

from course_helpers.checks import send
from course_helpers.checks import setup as checks


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def completion(content="Hi there", finish_reason="stop", completion_tokens=3, id="chatcmpl-1") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": id,
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


def bad_request(param="temperature", code="invalid_value") -> openai.BadRequestError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"message": "Invalid value.", "type": "invalid_request_error", "param": param, "code": code}
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


FIRST_REQUEST = {
    "model": "gpt-6-luna",
    "reasoning_effort": "none",
    "messages": [{"role": "user", "content": "Hi"}],
    "max_completion_tokens": 20,
}


def sent(request, **reply):
    """What send(client, request) returns for ``request`` from a client answering with ``completion(**reply)``."""
    sent.count = getattr(sent, "count", 0) + 1
    return send(client_that(lambda **_: completion(**reply, id=f"chatcmpl-sent-{sent.count}")), request)


@pytest.mark.parametrize("effort", ["none", NOT_GIVEN])
def test_check_first_request_passes_a_consistent_answer(capsys, effort):
    """info.effort is a string, or NOT_GIVEN for a model without efforts: both are right."""
    request = {**FIRST_REQUEST, "reasoning_effort": effort}
    checks.check_first_request(request, sent(request), "Hi there")
    assert one_line(capsys).startswith("✅")


def without(request: dict, key: str) -> dict:
    return {name: value for name, value in request.items() if name != key}


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (lambda r, resp, reply: ({**r, "max_completion_tokens": 500}, resp, reply), "from 1 to 50"),
        (lambda r, resp, reply: (without(r, "model"), resp, reply), "no 'model' key"),
        # the old name of the limit, instead of or beside the new one
        (lambda r, resp, reply: ({**without(r, "max_completion_tokens"), "max_tokens": 20}, resp, reply), "old name"),
        (lambda r, resp, reply: ({**r, "max_tokens": 20}, resp, reply), "unsupported_parameter"),
        (lambda r, resp, reply: (without(r, "max_completion_tokens"), resp, reply), "no 'max_completion_tokens'"),
        (lambda r, resp, reply: (without(r, "reasoning_effort"), resp, reply), '"reasoning_effort": info.effort'),
        (lambda r, resp, reply: ({**r, "reasoning_effort": None}, resp, reply), "use info.effort"),
        (
            lambda r, resp, reply: ({**r, "messages": [{"role": "assistant", "content": "x"}]}, resp, reply),
            "last message",
        ),
        (lambda r, resp, reply: (r, reply, reply), "store the whole object"),
        (lambda r, resp, reply: (r, resp, resp.choices[0].message), "take its .content"),
        (lambda r, resp, reply: (r, resp, "other text"), "response.choices[0].message.content"),
        (lambda r, resp, reply: ({**r, "max_completion_tokens": 2}, resp, reply), "did you send `request`"),
    ],
)
def test_check_first_request_hints(capsys, change, hint):
    response = sent(FIRST_REQUEST)
    checks.check_first_request(*change(FIRST_REQUEST, response, response.choices[0].message.content))
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def read_fields(data):
    return data["choices"][0]["message"]["content"], data["choices"][0]["finish_reason"], data["usage"]["total_tokens"]


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
def test_check_response_fields_passes_the_fields_read_from_the_json(capsys, finish_reason):
    data = completion(finish_reason=finish_reason).model_dump(mode="json")
    checks.check_response_fields(read_fields, data)
    assert one_line(capsys).startswith("✅")


def test_check_response_fields_waits_for_a_stub(capsys):
    def read_fields(data): ...  # YOUR CODE HERE

    checks.check_response_fields(read_fields, completion().model_dump(mode="json"))
    assert one_line(capsys).startswith("⏳")


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
    assert one_line(capsys) == "✅ Correct: cost_usd(2000, 500, 'gpt-6-sol') == 0.009: almost one cent."
    checks.check_monthly_cost(14.70, 37.20)
    assert one_line(capsys) == (
        "✅ Correct: $14.70 at effort none against $37.20 at medium: the hidden reasoning makes the same answers "
        "cost 2.5 times as much."
    )


def test_check_monthly_cost_names_the_missing_factor(capsys):
    checks.check_monthly_cost(14.70 / 30, 37.20)
    assert "the 30 days" in one_line(capsys)
    checks.check_monthly_cost(14.70, 37.20 / 2000)
    assert "2,000 requests a day" in one_line(capsys)


def test_check_bad_request_passes_a_returned_error(capsys):
    def bad_request_error(client, model, effort):
        try:
            client.chat.completions.create(
                model=model, reasoning_effort=effort, messages=[{"role": "user", "content": "Hi"}], temperature=5
            )
        except openai.BadRequestError as error:
            return error

    checks.check_bad_request(bad_request_error, client_that(raising(bad_request())), "m", "none")
    assert one_line(capsys) == (
        "✅ Correct: a 400 BadRequestError that blames the parameter 'temperature' (in error.param)."
    )


def test_check_bad_request_hints(capsys):
    def uncaught(client, model, effort):
        client.chat.completions.create(model=model)

    checks.check_bad_request(uncaught, client_that(raising(bad_request())), "m", "none")
    assert "escaped your function" in one_line(capsys)

    def accepted(client, model, effort):
        try:
            client.chat.completions.create(model=model)
        except openai.BadRequestError as error:
            return error

    checks.check_bad_request(accepted, client_that(lambda **request: completion()), "m", "none")
    assert "the API accepted your request" in one_line(capsys)

    checks.check_bad_request(
        lambda client, model, effort: "temperature", client_that(raising(bad_request())), "m", "none"
    )
    assert "Return the exception object itself" in one_line(capsys)


def test_check_bad_request_waits_for_a_stub(capsys):
    def bad_request_error(client, model, effort): ...  # YOUR CODE HERE

    checks.check_bad_request(bad_request_error, client_that(raising(bad_request())), "m", NOT_GIVEN)
    assert one_line(capsys).startswith("⏳")


def reading(**mistake):
    """A read_fields that reads the JSON right, except for the fields given as functions of `data`."""

    def read(data):
        fields = dict(zip(("text", "finish", "total"), read_fields(data)))
        return tuple(mistake[name](data) if name in mistake else value for name, value in fields.items())

    return read


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (reading(text=lambda data: data["choices"][0]["message"]), "one level deeper"),
        (reading(finish=lambda data: data["choices"][0]["message"]["role"]), "belongs to the choice, not to the"),
        (reading(total=lambda data: data["usage"]["completion_tokens"]), "only part of the usage"),
        (reading(total=lambda data: data["usage"]["prompt_tokens"]), "only part of the usage"),
        (reading(text=lambda data: "other text"), "data['choices'][0]['message']['content']"),
        (reading(total=lambda data: str(data["usage"]["total_tokens"])), "data['usage']['total_tokens']"),
        (lambda data: read_fields(data)[:2], "return the three values"),
    ],
)
def test_check_response_fields_wrong_answers(capsys, function, hint):
    checks.check_response_fields(function, completion(finish_reason="stop").model_dump(mode="json"))
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def returning_any_api_error(client, model, effort):
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
    checks.check_bad_request(returning_any_api_error, client, "m", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line and "Return the exception object itself" not in line


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda client, model, effort: client.chat.completions.create(model=model), "escaped your function"),
        (lambda client, model, effort: bad_request(param=None), "does not name a parameter"),
        (lambda client, model, effort: str(bad_request()), "Return the exception object itself"),
        (lambda client, model, effort: client and None, "forgot `return error`"),
        (lambda client, model: bad_request(), "TypeError"),  # the old signature, without effort
    ],
)
def test_check_bad_request_wrong_answers(capsys, function, hint):
    checks.check_bad_request(function, client_that(raising(bad_request())), "m", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def month(prompt_tokens: int, completion_tokens: int) -> float:
    """A 30-day month of 2,000 requests a day on gpt-6-luna, each of these token counts."""
    return 60_000 * checks._reference_cost(prompt_tokens, completion_tokens, "gpt-6-luna")


@pytest.mark.parametrize(
    ("monthly", "hint"),
    [
        ((14.70 / 2000, 37.20), "the 2,000 requests a day"),
        ((14.70 / 60_000, 37.20), "both the 2,000 requests a day and the 30 days"),
        ((14.70, "$37"), "should be a number of dollars"),
        ((month(250, 1200), 37.20), "the token counts swapped"),
        ((month(1200, 0), 37.20), "the completion tokens are billed too"),
        # the reasoning tokens: forgotten, billed as prompt, without the visible answer, counted twice
        ((14.70, 14.70), "the 750 reasoning tokens are billed too"),
        ((14.70, month(1950, 250)), "the reasoning tokens billed as prompt tokens"),
        ((14.70, month(1200, 750)), "without the 250-token answer"),
        ((14.70, month(1200, 1750)), "counted twice"),
        ((14.70, month(1000, 1000)), "expected $37.20"),
    ],
)
def test_check_monthly_cost_wrong_answers(capsys, monthly, hint):
    checks.check_monthly_cost(*monthly)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def max_tokens_rejected() -> openai.BadRequestError:
    """The 400 a newer model gives for the old max_tokens (the local backend gives it for gpt-6-luna)."""
    return bad_request(param="max_tokens", code="unsupported_parameter")


def test_check_bad_request_says_max_tokens_is_the_old_name(capsys):
    """A request refused for max_tokens is a 400 naming a parameter, but not the mistake the exercise asks for."""

    def with_max_tokens(client, model, effort):
        try:
            client.chat.completions.create(model=model, reasoning_effort=effort, max_tokens=5, temperature=5)
        except openai.BadRequestError as error:
            return error

    checks.check_bad_request(with_max_tokens, client_that(raising(max_tokens_rejected())), "gpt-6-luna", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and "old name" in line and "max_completion_tokens" in line


def test_check_bad_request_names_max_tokens_when_the_error_escapes(capsys):
    def uncaught(client, model, effort):
        client.chat.completions.create(model=model, max_tokens=5)

    checks.check_bad_request(uncaught, client_that(raising(max_tokens_rejected())), "gpt-6-luna", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and "old name" in line


def cut_by(reasons):
    return lambda finish_reason: finish_reason in reasons


def test_check_was_cut_off_passes_length_only(capsys):
    checks.check_was_cut_off(lambda finish_reason: finish_reason == "length")
    assert one_line(capsys).startswith("✅")


@pytest.mark.parametrize(
    ("was_cut_off", "hint"),
    [
        # anything but 'stop': a content filter or a tool call is not a cut
        (lambda finish_reason: finish_reason != "stop", "'content_filter': a content filter stopped the reply"),
        (lambda finish_reason: not finish_reason == "stop", "'tool_calls': the model called a tool"),
        (cut_by(("length", "content_filter")), "was_cut_off('content_filter') returned True"),
        (cut_by(("length", "stop")), "'stop': the model ended its turn"),
        # the string instead of a bool
        (lambda finish_reason: finish_reason, "returned the string 'stop'"),
        (lambda finish_reason: "length", "return True or False"),
        (lambda finish_reason: "yes" if finish_reason == "length" else "no", "returned the string 'no'"),
        (lambda finish_reason: int(finish_reason == "length"), "returned an int"),
        # the name of the parameter instead of the finish reason
        (lambda finish_reason: finish_reason == "max_tokens", "never the name of the parameter"),
        (lambda finish_reason: finish_reason == "max_completion_tokens", "never the name of the parameter"),
        # the argument ignored: a constant, or a variable of an earlier cell
        (lambda finish_reason: True, "does not look at its argument"),
        (lambda finish_reason: False, "does not look at its argument"),
        (lambda finish_reason: FINISH == "length", "not a variable from another cell (such as `data`)"),
        # a typo in the reason
        (lambda finish_reason: finish_reason == "Length", "exactly the finish reason 'length' (lowercase)"),
        (lambda finish_reason: None if finish_reason == "stop" else True, "did you forget `return`"),
    ],
)
def test_check_was_cut_off_wrong_answers(capsys, was_cut_off, hint):
    checks.check_was_cut_off(was_cut_off)
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


FINISH = "length"  # a learner's `finish` from the raw-JSON exercise, read by a function that ignores its argument


def test_check_was_cut_off_waits_for_a_stub(capsys):
    def was_cut_off(finish_reason): ...  # YOUR CODE HERE

    checks.check_was_cut_off(was_cut_off)
    assert one_line(capsys).startswith("⏳")
    checks.check_was_cut_off(...)
    assert one_line(capsys).startswith("⏳")


def test_check_first_request_hints_at_max_tokens_while_the_response_is_a_stub(capsys):
    """With max_tokens the API refuses the request, so `response` keeps its stub: the hint must still show."""
    request = {**without(FIRST_REQUEST, "max_completion_tokens"), "max_tokens": 20}
    checks.check_first_request(request, ..., ...)
    line = one_line(capsys)
    assert line.startswith("❌") and "old name" in line


@pytest.mark.parametrize("request_", [..., {**FIRST_REQUEST, "messages": ...}])
def test_check_first_request_waits_for_a_stub(capsys, request_):
    checks.check_first_request(request_, ..., ...)
    assert one_line(capsys).startswith("⏳")


def test_check_first_request_waits_for_the_response_of_a_right_request(capsys):
    checks.check_first_request(FIRST_REQUEST, ..., ...)
    assert one_line(capsys).startswith("⏳")


# Wrong answers an outside learner tried, each of which used to pass.

UNSUPPORTED_TEMPERATURE = openai.BadRequestError(
    "Error code: 400",
    response=httpx2.Response(400, request=httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")),
    body={
        "message": "Unsupported value: 'temperature' does not support 0.5 with this model. "
        "Only the default (1) value is supported.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_value",
    },
)


def _bad_request_sending(**arguments):
    def bad_request_error(client, model, effort):
        try:
            client.chat.completions.create(model=model, **arguments)
        except openai.BadRequestError as error:
            return error

    return bad_request_error


HI = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("function", "error", "hint"),
    [
        # no reasoning_effort, temperature=0.5: gpt-6-luna at medium takes only the default temperature
        (_bad_request_sending(messages=HI, temperature=0.5), UNSUPPORTED_TEMPERATURE, "not the `effort` argument"),
        # the effort argument ignored, temperature=5
        (_bad_request_sending(messages=HI, temperature=5), bad_request(), "send reasoning_effort=effort"),
        (_bad_request_sending(reasoning_effort="minimal", messages=HI, temperature=5), bad_request(), "'minimal'"),
        (_bad_request_sending(reasoning_effort="none", messages=[], temperature=5), bad_request(), "non-empty list"),
    ],
)
def test_check_bad_request_needs_the_tasks_request(capsys, function, error, hint):
    checks.check_bad_request(function, client_that(raising(error)), "gpt-6-luna", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and hint in line


def test_check_bad_request_with_an_unsupported_value(capsys):
    function = _bad_request_sending(reasoning_effort="none", messages=HI, temperature=0.5)
    checks.check_bad_request(function, client_that(raising(UNSUPPORTED_TEMPERATURE)), "gpt-6-luna", "none")
    line = one_line(capsys)
    assert line.startswith("❌") and "not one out of range" in line


@pytest.mark.parametrize("effort", ["medium", "low"])
def test_check_first_request_with_an_effort_typed_in(capsys, monkeypatch, effort):
    from course_helpers.checks import hints

    monkeypatch.setattr(hints, "_info", SimpleNamespace(model="gpt-6-luna", effort="none"))
    request = {**FIRST_REQUEST, "reasoning_effort": effort}
    checks.check_first_request(request, sent(request), "Hi there")
    line = one_line(capsys)
    assert line.startswith("❌") and "use info.effort rather than typing an effort" in line
    checks.check_first_request(FIRST_REQUEST, sent(FIRST_REQUEST), "Hi there")
    assert one_line(capsys).startswith("✅")


def test_check_first_request_with_a_response_from_a_bigger_limit(capsys):
    # another send() with max_completion_tokens=500 instead of `request`
    response = sent({**FIRST_REQUEST, "max_completion_tokens": 500}, completion_tokens=300)
    checks.check_first_request(FIRST_REQUEST, response, "Hi there")
    line = one_line(capsys)
    assert "did you send `request`" in line and "differs from `request` in 'max_completion_tokens'" in line


def test_check_first_request_with_a_response_from_another_call_within_the_limit(capsys):
    """A learner's wrong answer that used to pass: a response from another create() call, within the limit."""
    checks.check_first_request(FIRST_REQUEST, completion(completion_tokens=3), "Hi there")
    line = one_line(capsys)
    assert line.startswith("❌") and "`response` was not sent by send(client, request)" in line


def test_check_first_request_with_a_response_to_another_question(capsys):
    response = sent({**FIRST_REQUEST, "messages": [{"role": "user", "content": "Something else"}]})
    checks.check_first_request(FIRST_REQUEST, response, "Hi there")
    line = one_line(capsys)
    assert line.startswith("❌") and "differs from `request` in 'messages'" in line


def test_check_first_request_gives_the_apis_reason_for_a_refused_request(capsys):
    """send() returned the 400; the learner's next line failed, so `reply` is still the sheet's stub."""
    request = {**FIRST_REQUEST, "reasoning_effort": "minimal"}
    response = send(client_that(raising(bad_request("reasoning_effort", "unsupported_value"))), request)
    checks.check_first_request(request, response, ...)
    line = one_line(capsys)
    assert line.startswith("❌") and "The API refused your request (400" in line


def test_check_response_fields_with_a_wrong_finish_reason_typed_in(capsys):
    data = completion(finish_reason="length").model_dump(mode="json")
    checks.check_response_fields(reading(finish=lambda data: "stop"), data)
    line = one_line(capsys)
    assert line.startswith("❌") and "rather than typing a value" in line and "not to the message" not in line


@pytest.mark.parametrize(
    ("function", "what"),
    [
        # the real finish reason, typed in: right for this response only
        (reading(finish=lambda data: "length"), "finish 'length'"),
        (reading(total=lambda data: 12), "total 12"),
    ],
)
def test_check_response_fields_with_the_right_value_typed_in(capsys, function, what):
    """Wrong answers a learner tried that used to pass: the value equals the real one, but was typed in."""
    checks.check_response_fields(function, completion(finish_reason="length").model_dump(mode="json"))
    line = one_line(capsys)
    assert line.startswith("❌") and f"returned {what}" in line and "read every value from the `data` argument" in line


def test_check_response_fields_with_values_from_raw_parse(capsys):
    """A learner's answer that used to pass: the values taken from the SDK's parsed response, not from `data`."""
    parsed = completion(finish_reason="length")  # what raw.parse() returns for the lesson's request

    def from_parse(data):
        return parsed.choices[0].message.content, parsed.choices[0].finish_reason, parsed.usage.total_tokens

    checks.check_response_fields(from_parse, parsed.model_dump(mode="json"))
    line = one_line(capsys)
    assert line.startswith("❌") and "such as raw.parse()" in line


def test_docstring_examples():
    assert doctest.testmod(checks).failed == 0
