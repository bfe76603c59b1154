"""Tests for course_helpers/local/server/moderations.py, through the real openai SDK.

The request checks run against the stand-in engine (``fake_server``: no model
needed); the scores from the real model are tested in ``test_moderations_real.py``.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from course_helpers.local.server.moderations import MODERATION_MODELS, parse_input

from .conftest import API_KEY


def _post(handle, body) -> httpx.Response:
    return httpx.post(
        f"{handle.base_url}/moderations", json=body, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=600
    )


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
        client.moderations.create(
            input=[
                {"type": "text", "text": "hello"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ]
        )
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
