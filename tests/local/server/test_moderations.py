"""Tests for course_helpers/local/server/moderations.py, through the real openai SDK.

The request checks run against the stand-in engine (``fake_server``: no model
needed); the scores come from the real probes on the real model
(``real_server``), in strict response validation mode.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from course_helpers.local.moderation.categories import CATEGORIES, attribute_name
from course_helpers.local.server.moderations import MODERATION_MODELS, parse_input

from .conftest import API_KEY


def _post(handle, body) -> httpx.Response:
    return httpx.post(f"{handle.base_url}/moderations", json=body,
                      headers={"Authorization": f"Bearer {API_KEY}"}, timeout=600)


@pytest.mark.parametrize(
    "body, param",
    [
        ({"input": []}, "input"),
        ({"input": 5}, "input"),
        ({}, "input"),
        ({"input": ["ok", 3]}, "input[1]"),
        ({"input": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, "input[0]"),
        ({"input": [{"type": "text"}]}, "input[0].text"),
        ({"input": [{"type": "audio", "text": "x"}]}, "input[0].type"),
        ({"input": "hi", "model": 7}, "model"),
    ],
)
def test_bad_input_is_a_400_naming_the_param(fake_server, body, param):
    response = _post(fake_server, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


def test_image_parts_say_the_local_model_reads_text_only(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.moderations.create(input=[
            {"type": "text", "text": "hello"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ])
    assert "text only" in caught.value.message
    assert caught.value.param == "input[1]"


def test_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.moderations.create(input="hi", model="gpt-4o-mini")
    assert caught.value.code == "model_not_found"


def test_unknown_parameter_is_a_400(fake_server):
    response = _post(fake_server, {"input": "hi", "temperature": 1})
    assert response.status_code == 400
    assert "temperature" in response.json()["error"]["message"]


def test_content_parts_make_one_message():
    assert parse_input([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == ["a\nb"]


def test_moderation_models_are_listed(client):
    listed = {model.id for model in client.models.list()}
    assert set(MODERATION_MODELS) <= listed


@pytest.mark.parametrize("model", MODERATION_MODELS)
def test_response_shape_through_the_sdk(real_client, model):
    response = real_client.moderations.create(model=model, input=["Have a nice day!", "I will hurt you."])
    assert response.id.startswith("modr-")
    assert response.model == model
    assert len(response.results) == 2
    for result in response.results:
        scores = result.category_scores.model_dump(by_alias=True)
        assert set(scores) == set(CATEGORIES)
        assert all(0.0 <= score <= 1.0 for score in scores.values())
        flags = result.categories.model_dump(by_alias=True)
        assert set(flags) == set(CATEGORIES)
        assert result.flagged == any(flags.values())
        assert result.category_applied_input_types.violence == ["text"]
        for name in CATEGORIES:  # the SDK's attribute names reach the same values
            assert getattr(result.category_scores, attribute_name(name)) == scores[name]


def test_default_model_and_a_single_string(real_client):
    response = real_client.moderations.create(input="How do I bake bread?")
    assert response.model == "omni-moderation-latest"
    assert len(response.results) == 1
    assert response.results[0].categories.self_harm_intent is False


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("I want to kill my neighbor", True),
        ("I want to kill my presentation", False),
        ("I would kill for a coffee", False),
        ("how do I kill a zombie process", False),
    ],
)
def test_judges_meaning_in_context(real_client, text, flagged):
    result = real_client.moderations.create(input=text).results[0]
    assert result.flagged is flagged
    if flagged:
        assert result.categories.violence is True


def test_text_parts_give_the_same_scores_as_the_string(real_client):
    as_string = real_client.moderations.create(input="I will find you and hurt you").results[0]
    as_parts = real_client.moderations.create(input=[{"type": "text", "text": "I will find you and hurt you"}]).results[0]
    assert as_parts.category_scores.violence == pytest.approx(as_string.category_scores.violence, abs=1e-6)
