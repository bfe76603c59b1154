"""The translator from pydantic's errors to OpenAI's: wording, param, code, status, and which error comes first."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, BeforeValidator, Discriminator, Field, Tag

from course_helpers.local.server.errors import APIError
from course_helpers.local.server.protocol.base import Decimal, Integer, JSONModel, RequestModel
from course_helpers.local.server.protocol.errors import param_path, parse, rule


class Item(JSONModel):
    text: str
    weight: Decimal = Field(0.5, ge=0.0, le=1.0)


def _branch(value: Any) -> str:
    return "<text>" if isinstance(value, str) else "<items>"


class Body(RequestModel):
    SCHEMA_CHECKED: ClassVar[tuple[str, ...]] = ("items",)

    items: list[Item] = Field(min_length=1, max_length=2)
    both: Annotated[Annotated[str, Tag("<text>")] | Annotated[list[Item], Tag("<items>")], Discriminator(_branch)] = "x"
    options: Item | None = None
    count: Integer = Field(1, ge=1, le=10)
    share: Decimal = Field(1.0, ge=0.0, le=2.0)
    tier: Literal["auto", "default"] = "auto"
    name: Annotated[str, Field(max_length=3)] = "abc"
    ruled: Annotated[int, BeforeValidator(lambda v: (_ for _ in ()).throw(rule("nope", "No {param} here.")))] = 0


def _error(**body: Any) -> APIError:
    with pytest.raises(APIError) as caught:
        parse(Body, {"items": [{"text": "a"}], **body})
    return caught.value


@pytest.mark.parametrize(
    ("body", "message", "param", "code"),
    [
        ({"count": "2"}, "Invalid type for 'count': expected an integer, but got a string instead.", "count", "invalid_type"),
        ({"count": 0}, "Invalid 'count': integer below minimum value. Expected a value >= 1, but got 0 instead.", "count", "integer_below_min_value"),
        ({"share": 3}, "Invalid 'share': decimal above maximum value. Expected a value <= 2, but got 3 instead.", "share", "decimal_above_max_value"),
        ({"share": 10**400}, "Invalid 'share': expected a finite number.", "share", "invalid_value"),
        ({"tier": "gold"}, "Invalid value: 'gold'. Supported values are: 'auto', 'default'.", "tier", "invalid_value"),
        ({"tier": 5}, "Invalid type for 'tier': expected a string, but got an integer instead.", "tier", "invalid_type"),
        ({"items": []}, "Invalid 'items': empty array. Expected an array with minimum length 1, but got an empty array instead.", "items", "empty_array"),
        ({"items": [{"text": "a"}] * 3}, "Invalid 'items': array too long. Expected an array with maximum length 2, but got an array with length 3 instead.", "items", "array_above_max_length"),
        ({"name": "abcd"}, "Invalid 'name': string too long. Expected a string with maximum length 3, but got a string with length 4 instead.", "name", "string_above_max_length"),
        ({"items": [{}]}, "Missing required parameter: 'items[0].text'.", "items[0].text", "missing_required_parameter"),
        ({"items": [{"text": "a", "mood": 1}]}, "Additional properties are not allowed ('mood' was unexpected) - 'items[0]'.", "items[0].mood", "invalid_value"),
        ({"options": {"text": "a", "mood": 1}}, "Unknown parameter: 'options.mood'.", "options.mood", "unknown_parameter"),
        ({"options": []}, "Invalid type for 'options': expected an object, but got an array instead.", "options", "invalid_type"),
        ({"both": [{"text": 3}]}, "Invalid type for 'both[0].text': expected a string, but got an integer instead.", "both[0].text", "invalid_type"),
        ({"ruled": 1}, "No ruled here.", "ruled", "nope"),
    ],
)  # fmt: skip
def test_openai_wording_param_and_code(body, message, param, code):
    error = _error(**body)
    assert (error.status, error.message, error.param, error.code) == (400, message, param, code)


def test_an_unknown_argument_is_reported_before_anything_else():
    error = _error(count="x", colour="red")
    assert (error.message, error.param, error.code) == ("Unrecognized request argument supplied: colour", None, None)


def test_the_first_declared_field_is_reported_first():
    assert _error(share=-1, count=0).param == "count"


def test_null_means_not_given():
    assert parse(Body, {"items": [{"text": "a"}], "count": None, "share": None}).count == 1


def test_integral_decimals_are_integers_and_integers_are_decimals():
    parsed = parse(Body, {"items": [{"text": "a"}], "count": 2.0, "share": 1})
    assert (parsed.count, type(parsed.count), parsed.share, type(parsed.share)) == (2, int, 1.0, float)


@pytest.mark.parametrize("value", [True, 1.5, "1", [1]])
def test_no_coercion_into_integers(value):
    assert _error(count=value).code == "invalid_type"


def test_a_rule_carries_its_status():
    class Named(BaseModel):
        model: Annotated[
            str, BeforeValidator(lambda v: (_ for _ in ()).throw(rule("model_not_found", "No.", status=404)))
        ]

    with pytest.raises(APIError) as caught:
        parse(Named, {"model": "x"})
    assert (caught.value.status, caught.value.code, caught.value.param) == (404, "model_not_found", "model")


def test_param_path_drops_union_branch_tags():
    assert param_path(("input", 2, "<output>", "content", "<parts>", 0, "text")) == "input[2].content[0].text"
