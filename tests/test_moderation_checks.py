"""Tests for course_helpers/moderation_checks.py: right answers pass, typical mistakes get their hint."""

from __future__ import annotations

import doctest

import pytest
from openai.types import ModerationCreateResponse

from course_helpers import moderation_checks
from course_helpers.local.moderation.categories import CATEGORIES
from course_helpers.moderation_checks import (
    ADULT_THRESHOLDS,
    INPUT_REFUSAL,
    OUTPUT_REFUSAL,
    check_batch_request,
    check_child_thresholds,
    check_flagged_categories,
    check_guarded_reply,
    check_scores_by_name,
    check_top_category,
)

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
    return ModerationCreateResponse.model_validate(
        {"id": "modr-1", "model": "omni-moderation-latest", "results": [result] * count}
    )


def test_docstring_examples():
    assert doctest.testmod(moderation_checks).failed == 0


def test_made_up_data_covers_every_category():
    assert list(moderation_checks.EXAMPLE_SCORES) == list(CATEGORIES)
    assert list(ADULT_THRESHOLDS) == list(CATEGORIES)


@pytest.mark.parametrize(
    "check", [check_top_category, check_flagged_categories, check_child_thresholds, check_guarded_reply]
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
    ],
)
def test_scores_by_name_mistakes(answer, hint, capsys):
    check_scores_by_name(answer, _response(1))
    line = _line(capsys)
    assert line.startswith("❌") and hint in line


def _guard(client, model, user_text, *, check_input=True, check_output=True, refuse_output=OUTPUT_REFUSAL, limit=None):
    if check_input and client.moderations.create(model="omni-moderation-latest", input=user_text).results[0].flagged:
        return INPUT_REFUSAL
    limit = {"max_completion_tokens": 60} if limit is None else limit
    reply = (
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": user_text}], **limit)
        .choices[0]
        .message.content
    )
    if check_output and client.moderations.create(model="omni-moderation-latest", input=reply).results[0].flagged:
        return refuse_output
    return reply


def test_guarded_reply(capsys):
    check_guarded_reply(_guard)
    assert _line(capsys).startswith("✅")


def test_guarded_reply_is_given_the_courses_chat_model(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODEL", "model-from-env")
    seen = []

    def guard(client, model, user_text):
        seen.append(model)
        return _guard(client, model, user_text)

    check_guarded_reply(guard)
    assert _line(capsys).startswith("✅") and set(seen) == {"model-from-env"}


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda c, m, t: _guard(c, m, t, check_input=False), "first call should moderate"),
        (lambda c, m, t: _guard(c, m, t, check_output=False), "three calls"),
        (lambda c, m, t: _guard(c, m, t, refuse_output=INPUT_REFUSAL), "OUTPUT_REFUSAL"),
        (lambda c, m, t: _guard(c, "gpt-4o", t), "Call the chat model given"),
        # the notebook's own client instead of the one passed in
        (
            lambda c, m, t: _guard(moderation_checks._ScriptedClient(False, False), m, t),
            "no calls through the `client`",
        ),
        (lambda c, m, t: _guard(c, m, t, limit={}), "cap the reply at 60 tokens"),
        (lambda c, m, t: _guard(c, m, t, limit={"max_tokens": 500}), "cap the reply at 60 tokens"),
        (lambda c, m, t: _guard(c, m, t) and "I can't help with that.", "return the reply's text"),
        (lambda c, m, t: _guard(c, m, t, check_input=False, check_output=False), "first call should moderate"),
    ],
)
def test_guarded_reply_mistakes(answer, hint, capsys):
    check_guarded_reply(answer)
    line = _line(capsys)
    assert line.startswith("❌") and hint in line
