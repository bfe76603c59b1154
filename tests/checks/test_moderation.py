"""Tests for course_helpers/checks/moderation.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest

import pytest
from openai._models import construct_type
from openai.types import ModerationCreateResponse

from course_helpers.checks import moderation as moderation_checks
from course_helpers.checks.moderation import (
    ADULT_THRESHOLDS,
    INPUT_REFUSAL,
    OUTPUT_REFUSAL,
    check_batch_request,
    check_child_thresholds,
    check_flagged_categories,
    check_guarded_reply,
    check_input_flagged,
    check_moderated_request,
    check_scores_by_name,
    check_top_category,
)
from course_helpers.local.moderation.categories import CATEGORIES

TEXTS = ["first text", "second text"]


def _line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def _response(count: int) -> ModerationCreateResponse:
    """A moderation response built from test data (not a model's output)."""
    scores = {name: 0.01 * (i + 1) for i, name in enumerate(CATEGORIES)}
    result = {
        "flagged": False,
        "categories": {name: False for name in scores},
        "category_scores": scores,
        "category_applied_input_types": {name: ["text"] for name in scores},
    }
    # built as the SDK builds a real response (construct_type keeps the 8 JSON names with a slash as extras,
    # so model_dump() holds 21 keys, as on a real result)
    return construct_type(
        type_=ModerationCreateResponse,
        value={"id": "modr-1", "model": "omni-moderation-latest", "results": [result] * count},
    )


def test_docstring_examples():
    assert doctest.testmod(moderation_checks).failed == 0


def test_made_up_data_covers_every_category():
    assert list(moderation_checks.EXAMPLE_SCORES) == list(CATEGORIES)
    assert list(ADULT_THRESHOLDS) == list(CATEGORIES)


@pytest.mark.parametrize(
    "check",
    [check_top_category, check_flagged_categories, check_child_thresholds, check_guarded_reply, check_input_flagged],
)
def test_a_stub_is_not_done_yet(check, capsys):
    check(...)
    assert _line(capsys).startswith("⏳")


def test_top_category(capsys):
    check_top_category(lambda scores: max(scores, key=scores.get))
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda s: max(s.values()), "a score"),
        (lambda s: max(s.items(), key=lambda kv: kv[1]), "only the name"),
        (lambda s: min(s, key=s.get), "lowest"),
        (lambda s: list(s)[0], "expected"),
    ],
)
def test_top_category_mistakes(answer, hint, capsys):
    check_top_category(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_flagged_categories(capsys):
    check_flagged_categories(lambda scores, limits: [n for n, s in scores.items() if s >= limits[n]])
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda scores, limits: [n for n, s in scores.items() if s > limits[n]], "use >="),
        (lambda scores, limits: [n for n, s in scores.items() if s < limits[n]], "below their threshold"),
        (lambda scores, limits: [n for n, s in scores.items() if s >= 0.5], "its own threshold"),
        (lambda scores, limits: {n: s >= limits[n] for n, s in scores.items()}, "returned a dict"),
        # None when nothing is flagged
        (lambda scores, limits: [n for n, s in scores.items() if s >= limits[n]] or None, "return an empty list"),
    ],
)
def test_flagged_categories_mistakes(answer, hint, capsys):
    check_flagged_categories(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def _child(limits):
    return {n: min(v, 0.1) if n.split("/")[0] in ("sexual", "self-harm", "violence") else v for n, v in limits.items()}


def test_child_thresholds(capsys):
    check_child_thresholds(_child)
    assert _line(capsys).startswith("✅")


def _in_place(limits):
    limits.update(_child(limits))
    return limits


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_in_place, "changed the dict"),
        (
            lambda limits: {
                n: 0.1 if n.split("/")[0] in ("sexual", "self-harm", "violence") else v for n, v in limits.items()
            },
            "never be looser",
        ),
        (
            lambda limits: {
                n: min(v, 0.1) if n in ("sexual", "self-harm", "violence") else v for n, v in limits.items()
            },
            "split('/')",
        ),
        (lambda limits: {n: min(v, 0.1) for n, v in limits.items()}, "should keep their value"),
        (lambda limits: {n: v for n, v in _child(limits).items() if n != "hate"}, "missing: ['hate']"),
    ],
)
def test_child_thresholds_mistakes(answer, hint, capsys):
    check_child_thresholds(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_batch_request(capsys):
    check_batch_request({"model": "omni-moderation-latest", "input": TEXTS}, _response(2), TEXTS)
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "request_, response, hint",
    [
        ({"model": "text-moderation-latest", "input": TEXTS}, _response(2), "omni-moderation-latest"),
        ({"model": "omni-moderation-latest", "input": " ".join(TEXTS)}, _response(2), "the list itself"),
        ({"model": "omni-moderation-latest", "input": TEXTS[:1]}, _response(2), "pass all 2 texts in one request"),
        ({"model": "omni-moderation-latest", "input": TEXTS}, _response(1), "1 result for 2 texts"),
        ({"model": "omni-moderation-latest", "input": TEXTS}, "flagged", "should be what"),
        (
            {"model": "omni-moderation-latest", "input": [{"type": "text", "text": text} for text in TEXTS]},
            _response(1),
            "as ONE input",
        ),
        ({"model": "omni-moderation-latest", "input": TEXTS[::-1]}, _response(2), "in another order"),
        ({"model": "omni-moderation-latest", "input": [TEXTS]}, _response(1), "`input` has 1 item; pass all 2"),
        ({"input": TEXTS}, _response(2), "omni-moderation-latest"),
    ],
)
def test_batch_request_mistakes(request_, response, hint, capsys):
    check_batch_request(request_, response, TEXTS)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def test_batch_request_stub(capsys):
    check_batch_request(..., ..., TEXTS)
    assert _line(capsys).startswith("⏳")


def test_scores_by_name(capsys):
    check_scores_by_name(lambda result: result.category_scores.model_dump(by_alias=True), _response(1))
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda result: result.category_scores.model_dump(), "by_alias=True"),
        (lambda result: result.model_dump(by_alias=True), "the whole result"),
        (
            lambda result: {k: round(v, 1) for k, v in result.category_scores.model_dump(by_alias=True).items()},
            "expected the score",
        ),
        # model_dump() holds 21 keys (13 attribute names, 8 JSON names kept as extras): 13 + 8 hyphenated keys
        (
            lambda result: {k.replace("_", "-"): v for k, v in result.category_scores.model_dump().items()},
            "'self-harm-intent', not the API's",
        ),
        (
            lambda result: {**result.category_scores.model_dump(by_alias=True), "junk": 0.0},
            "not category names: ['junk']",
        ),
    ],
)
def test_scores_by_name_mistakes(answer, hint, capsys):
    check_scores_by_name(answer, _response(1))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def _guard(
    client,
    model,
    effort,
    user_text,
    *,
    check_input=True,
    check_output=True,
    refuse_output=OUTPUT_REFUSAL,
    limit=None,
    send_effort=True,
):
    if check_input and client.moderations.create(model="omni-moderation-latest", input=user_text).results[0].flagged:
        return INPUT_REFUSAL
    limit = {"max_completion_tokens": 60} if limit is None else limit
    extra = {"reasoning_effort": effort} if send_effort else {}
    reply = (
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": user_text}], **extra, **limit)
        .choices[0]
        .message.content
    )
    if check_output and client.moderations.create(model="omni-moderation-latest", input=reply).results[0].flagged:
        return refuse_output
    return reply


def _own_threshold(client, model, effort, user_text):
    def over(text):
        scores = client.moderations.create(model="omni-moderation-latest", input=text).results[0].category_scores
        return max(scores.model_dump(by_alias=True).values()) > 0.5

    if over(user_text):
        return INPUT_REFUSAL
    reply = (
        client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[{"role": "user", "content": user_text}],
            max_completion_tokens=60,
        )
        .choices[0]
        .message.content
    )
    return OUTPUT_REFUSAL if over(reply) else reply


def _with_system_message(client, model, effort, user_text):
    class Client:
        moderations = client.moderations

        class chat:
            class completions:
                @staticmethod
                def create(**kwargs):
                    kwargs["messages"] = [{"role": "system", "content": "Be kind."}, *kwargs["messages"]]
                    return client.chat.completions.create(**kwargs)

    return _guard(Client, model, effort, user_text)


def test_guarded_reply(capsys):
    check_guarded_reply(_guard)
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "env, model, effort",
    [
        ({"COURSE_MODEL": "model-from-env"}, "model-from-env", "none"),  # a model without an effort: "none" is tried
        ({"COURSE_MODEL": "gpt-6-luna", "COURSE_EFFORT": "low"}, "gpt-6-luna", "low"),
    ],
)
def test_guarded_reply_is_given_the_courses_chat_model_and_effort(monkeypatch, capsys, env, model, effort):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = []

    def guard(client, model, effort, user_text):
        seen.append((model, effort))
        return _guard(client, model, effort, user_text)

    check_guarded_reply(guard)
    # the course's model and effort on every path, then other ones, to see the arguments are used
    assert _line(capsys).startswith("✅") and (model, effort) in seen and len(set(seen)) == 2


def test_guarded_reply_accepts_the_courses_moderation_model(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODERATION_MODEL", "moderation-from-env")

    def guard(client, model, effort, user_text):
        if client.moderations.create(model="moderation-from-env", input=user_text).results[0].flagged:
            return INPUT_REFUSAL
        return _guard(client, model, effort, user_text, check_input=False)

    check_guarded_reply(guard)
    # the input check uses the course's model; the reply's check the literal omni-moderation-latest: both pass
    assert _line(capsys).startswith("✅")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda c, m, e, t: _guard(c, m, e, t, check_input=False), "first call should moderate"),
        (lambda c, m, e, t: _guard(c, m, e, t, check_output=False), "three calls"),
        (lambda c, m, e, t: _guard(c, m, e, t, refuse_output=INPUT_REFUSAL), "OUTPUT_REFUSAL"),
        (lambda c, m, e, t: _guard(c, "another-model", e, t), "Call the chat model given"),
        (lambda c, m, e, t: _guard(c, m, e, t, send_effort=False), "reasoning_effort=effort"),
        (lambda c, m, e, t: _guard(c, m, "medium", t), "reasoning_effort=effort"),
        # the notebook's own client instead of the one passed in
        (
            lambda c, m, e, t: _guard(moderation_checks._ScriptedClient(False, False), m, e, t),
            "no calls through the `client`",
        ),
        (lambda c, m, e, t: _guard(c, m, e, t, limit={}), "cap the reply at 60 tokens"),
        (lambda c, m, e, t: _guard(c, m, e, t, limit={"max_tokens": 500}), "cap the reply at 60 tokens"),
        (lambda c, m, e, t: _guard(c, m, e, t, limit={"max_tokens": 60}), "today's reject it"),
        (lambda c, m, e, t: _guard(c, m, e, t) and "I can't help with that.", "return the reply's text"),
        (lambda c, m, e, t: _guard(c, m, e, t, check_input=False, check_output=False), "first call should moderate"),
        # the notebook's info.model / info.effort instead of the arguments
        (lambda c, m, e, t: _guard(c, "gpt-6-luna", "none", t), "not the notebook's info.model"),
        # a threshold of its own instead of flagged
        (_own_threshold, "not on a threshold of your own"),
        # a system message where the task says one user message
        (_with_system_message, "one user message"),
        # the lesson's first signature, without the effort
        (lambda c, m, t: _guard(c, m, "none", t), "TypeError"),
    ],
)
def test_guarded_reply_mistakes(answer, hint, capsys):
    check_guarded_reply(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


# --- the moderation parameter ------------------------------------------------------------------------------


def _moderated_completion():
    return moderation_checks._made_up_moderated([False], [False])


def _request(**changes):
    """A right answer to the moderated-request exercise, with ``changes`` (None deletes a key)."""
    request = {
        "model": "gpt-6-luna",
        "reasoning_effort": "none",
        "messages": [{"role": "user", "content": "Tell me a joke about penguins."}],
        "max_completion_tokens": 60,
        "moderation": {
            "model": "omni-moderation-latest",
            "policy": {"input": {"mode": "block"}, "output": {"mode": "score"}},
        },
    }
    for key, value in changes.items():
        if value is None:
            del request[key]
        else:
            request[key] = value
    return request


def _policy(input_side=None, output_side=None, **extra):
    policy = {key: value for key, value in (("input", input_side), ("output", output_side)) if value is not None}
    return {"model": "omni-moderation-latest", "policy": {**policy, **extra}}


def test_moderated_request(capsys):
    check_moderated_request(_request(), _moderated_completion())
    assert _line(capsys).startswith("✅")


def test_moderated_request_with_no_effort_to_send(capsys):
    """A model without an effort (a compatible server's): the request holds the SDK's NOT_GIVEN, which is right."""
    from openai import NOT_GIVEN

    check_moderated_request(_request(model="llama3.2", reasoning_effort=NOT_GIVEN), _moderated_completion())
    assert _line(capsys).startswith("✅")


def test_moderated_request_stub(capsys):
    check_moderated_request(..., ...)
    assert _line(capsys).startswith("⏳")


def _refusal():
    import httpx
    import openai

    request = httpx.Request("POST", "http://test/v1/chat/completions")
    response = httpx.Response(400, request=request)
    return openai.BadRequestError("bad", response=response, body={"message": "Invalid value for 'moderation'."})


@pytest.mark.parametrize(
    "request_, completion, hint",
    [
        (_request(moderation=None), _moderated_completion(), "no moderation parameter"),
        (_request(moderation="omni-moderation-latest"), _moderated_completion(), "it is a dict"),
        (_request(moderation={"policy": _policy()["policy"]}), _moderated_completion(), "it is required"),
        (
            _request(moderation={**_request()["moderation"], "model": "gpt-6-luna"}),
            _moderated_completion(),
            "not the chat model",
        ),
        (_request(model="omni-moderation-latest"), _moderated_completion(), "the chat model, info.model"),
        (
            _request(moderation={**_request()["moderation"], "model": "text-moderation-latest"}),
            _moderated_completion(),
            "a retired text-only moderation model",
        ),
        (
            _request(model="gpt-4o-mini", reasoning_effort=None),
            _moderated_completion(),
            "names model='gpt-4o-mini' without an effort",
        ),
        (_request(moderation={"model": "omni-moderation-latest"}), _moderated_completion(), "Without a policy"),
        (_request(moderation=_policy({"mode": "score"}, {"mode": "score"})), _moderated_completion(), "still reaches"),
        (_request(moderation=_policy({"mode": "block"}, {"mode": "block"})), _moderated_completion(), "held back"),
        (_request(moderation=_policy({"mode": "block"})), _moderated_completion(), "says nothing about the reply"),
        (_request(moderation=_policy(None, {"mode": "score"})), _moderated_completion(), "about the question"),
        (_request(moderation=_policy("block", "score")), _moderated_completion(), "not 'block' alone"),
        (_request(moderation=_policy({"mode": "on"}, {"mode": "score"})), _moderated_completion(), "the modes are"),
        (
            _request(moderation=_policy({"mode": "block"}, {"mode": "score"}, inputs={})),
            _moderated_completion(),
            "two keys",
        ),
        (_request(reasoning_effort=None), _moderated_completion(), "reasoning_effort=info.effort"),
        (_request(max_completion_tokens=None, max_tokens=60), _moderated_completion(), "today's reject it"),
        (_request(max_completion_tokens=500), _moderated_completion(), "at most 60"),
        ({**_request(), "moderation": _request()["moderation"]}, _refusal(), "The API refused"),
        (_request(), "A made-up reply.", "should be the ChatCompletion"),
        (_request(), moderation_checks._made_up_completion("No verdicts."), "no moderation verdicts"),
    ],
)
def test_moderated_request_mistakes(request_, completion, hint, capsys):
    check_moderated_request(request_, completion)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def _input_flagged(completion):
    side = completion.moderation.input
    if side.type == "error":
        return None
    return any(result.flagged for result in side.results)


def test_input_flagged(capsys):
    check_input_flagged(_input_flagged)
    assert _line(capsys).startswith("✅")


def _no_error_handling(completion):
    return any(result.flagged for result in completion.moderation.input.results)


def _error_is_safe(completion):
    return _input_flagged(completion) or False


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda c: c.moderation.output.results[0].flagged, "the reply's verdict"),
        (lambda c: c.moderation.input.results[0].flagged, "results[0] is only the first"),
        (lambda c: c.moderation.input.flagged, "has no flagged of its own"),
        (lambda c: c.choices[0].finish_reason == "content_filter", "finish_reason only changes"),
        (lambda c: [r.flagged for r in c.moderation.input.results], "returned a list"),
        (lambda c: c.moderation.input.results[-1], "should return True or False"),
        (_no_error_handling, "check completion.moderation.input.type == 'error' first"),
        (_error_is_safe, "Unchecked is not the same as safe"),
        (lambda c: c.moderation.input and None, "did you forget `return`"),
        (lambda c: all(r.flagged for r in c.moderation.input.results), "all() asks for every result"),
        (lambda c: None if c.moderation.input["type"] == "error" else True, "SDK objects, not dicts"),
    ],
)
def test_input_flagged_mistakes(answer, hint, capsys):
    check_input_flagged(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line
