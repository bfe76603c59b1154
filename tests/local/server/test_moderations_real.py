"""Tests for course_helpers/local/server/moderations.py on the real model, through the openai SDK.

The SDK runs in strict response validation mode, so every field of the
response must match its typed ``ModerationCreateResponse``.
"""

from __future__ import annotations

import pytest

from course_helpers.local.moderation import MODEL_NAME
from course_helpers.local.moderation.categories import CATEGORIES, attribute_name
from course_helpers.local.server.moderations import MODERATION_MODELS


@pytest.mark.parametrize("model", MODERATION_MODELS)
def test_response_shape_through_the_sdk(real_client, model):
    response = real_client.moderations.create(model=model, input=["Have a nice day!", "I will hurt you."])
    assert response.id.startswith("modr-")
    assert response.model == MODEL_NAME  # what answered, whichever model was asked for
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
    assert response.model == MODEL_NAME
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
    as_parts = real_client.moderations.create(input=[{"type": "text", "text": "I will find you and hurt you"}]).results[
        0
    ]
    assert as_parts.category_scores.violence == pytest.approx(as_string.category_scores.violence, abs=1e-6)
