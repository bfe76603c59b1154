"""GET /v1/models and /v1/models/{id} through the SDK."""

from __future__ import annotations

import openai
import pytest

from course_helpers.local.server.models import CHAT_MODEL_ID


def test_list_shows_the_local_chat_model(client):
    ids = [model.id for model in client.models.list()]
    assert CHAT_MODEL_ID in ids


def test_retrieve_local_model(client):
    model = client.models.retrieve(CHAT_MODEL_ID)
    assert model.id == CHAT_MODEL_ID and model.object == "model"


def test_retrieve_an_openai_chat_name_says_who_answers(client):
    model = client.models.retrieve("gpt-4o-mini")
    assert model.id == "gpt-4o-mini"
    assert CHAT_MODEL_ID in model.owned_by


def test_retrieve_unknown_non_chat_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("text-embedding-3-small")
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize("model", ["o4-mini", "dall-e-3"])
def test_retrieve_a_shut_down_model_is_404_as_chat_would_answer(client, model):
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve(model)
    assert caught.value.code == "model_not_found"
    assert caught.value.body["message"].startswith(f"The model `{model}` has been deprecated")
