"""The OpenAI error shape that every endpoint of the local server shares."""

from __future__ import annotations

import json

from course_helpers.local.server.errors import APIError, error_response, invalid_request, not_found


def test_body_has_the_four_fields():
    body = APIError(400, "Bad.", param="n", code="invalid_type").body()
    assert body == {"error": {"message": "Bad.", "type": "invalid_request_error", "param": "n", "code": "invalid_type"}}


def test_error_response_status_headers_and_json():
    response = error_response(429, "Busy.", type="requests", headers={"x-should-retry": "true"})
    assert response.status_code == 429
    assert response.headers["x-should-retry"] == "true"
    assert json.loads(response.body)["error"] == {"message": "Busy.", "type": "requests", "param": None, "code": None}


def test_helpers_pick_the_status():
    assert invalid_request("x").status == 400
    assert not_found("x", code="model_not_found").status == 404
    assert str(invalid_request("the message")) == "the message"
