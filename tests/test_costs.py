"""Tests for course_helpers/costs.py: the price table and the cost estimate."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest
from openai.types import CompletionUsage
from openai.types.completion_usage import CompletionTokensDetails

from course_helpers import costs
from course_helpers.costs import PRICES, PRICES_CHECKED, Price, estimate_cost, price_of, show_prices


def test_doctests():
    assert doctest.testmod(costs).failed == 0


@pytest.mark.parametrize(
    ("model", "table_name"),
    [
        ("gpt-5.4-mini", "gpt-5.4-mini"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),
        ("gpt-5.4-nano-0317", "gpt-5.4-nano"),
        ("gpt-5.4", "gpt-5.4"),
        ("gpt-6-luna", "gpt-6-luna"),
        ("gpt-6-luna-2026-10-14", "gpt-6-luna"),
    ],
)
def test_price_of_resolves_dated_snapshots_to_the_longest_name(model, table_name):
    assert price_of(model) == PRICES[table_name]


@pytest.mark.parametrize(
    "model", ["SmolLM2-135M-Instruct", "gpt-4", "gpt-6lune", "gpt-4.1-nano", "gpt-6", "gpt-5.4-pro", "gpt-4o-mini"]
)
def test_price_of_an_unknown_model_names_the_known_ones(model):
    with pytest.raises(KeyError, match="gpt-6-luna"):
        price_of(model)


def test_output_costs_more_than_input_and_cached_input_less():
    for price in PRICES.values():
        assert price.cached_input < price.input < price.output


def test_estimate_cost_takes_the_sdk_usage_object():
    usage = CompletionUsage(prompt_tokens=1_000_000, completion_tokens=1_000_000, total_tokens=2_000_000)
    assert estimate_cost(usage, "gpt-6-luna") == pytest.approx(0.10 + 0.50)


def test_estimate_cost_bills_cached_prompt_tokens_at_the_cached_price():
    usage = {"prompt_tokens": 1000, "completion_tokens": 0, "prompt_tokens_details": {"cached_tokens": 400}}
    prices = {"m": Price(input=10.0, cached_input=1.0, output=100.0)}
    assert estimate_cost(usage, "m", prices) == pytest.approx((600 * 10.0 + 400 * 1.0) / 1e6)


def test_estimate_cost_treats_missing_details_as_zero():
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": None}
    assert estimate_cost(usage, "gpt-6-sol") == pytest.approx((10 * 2.0 + 5 * 10.0) / 1e6)


def test_show_prices_is_dated_and_lists_every_model():
    table = show_prices()
    html = table._repr_html_()
    assert PRICES_CHECKED in html and PRICES_CHECKED in repr(table)
    assert all(f"<code>{name}</code>" in html for name in PRICES)


def test_gpt_6_luna_has_the_official_price_of_2026_12():
    luna = PRICES["gpt-6-luna"]
    assert (luna.input, luna.cached_input, luna.output) == (0.10, 0.01, 0.50)
    assert luna.official and luna.source.startswith("https://developers.openai.com/")


def test_every_price_names_its_source_and_only_openai_pages_count_as_official():
    for name, price in PRICES.items():
        assert price.source, name
        assert price.official == price.source.startswith("https://developers.openai.com/"), name


def test_no_model_shuts_down_within_60_days_of_the_day_the_prices_were_checked():
    """Lesson 00 shows the whole table: it must hold no model the aging check would report."""
    horizon = date.fromisoformat(PRICES_CHECKED) + timedelta(days=60)
    assert [name for name, price in PRICES.items() if price.shutdown and price.shutdown <= horizon] == []


def test_no_model_in_the_table_is_deprecated_in_the_installed_sdk_within_60_days():
    from course_helpers.course.model_ages import shutdown_dates

    horizon = date.fromisoformat(PRICES_CHECKED) + timedelta(days=60)
    dates = shutdown_dates()
    assert [name for name in PRICES if name in dates and dates[name] <= horizon] == []


def test_reasoning_tokens_are_billed_once_as_part_of_the_completion():
    details = CompletionTokensDetails(reasoning_tokens=900)
    usage = CompletionUsage(
        prompt_tokens=0, completion_tokens=1000, total_tokens=1000, completion_tokens_details=details
    )
    assert estimate_cost(usage, "gpt-6-luna") == pytest.approx(1000 * 0.50 / 1e6)


def test_show_prices_marks_shutdowns_and_third_party_prices():
    text = repr(show_prices(["gpt-5.4-nano", "gpt-5.4-mini", "gpt-6-luna"]))
    assert "shuts down 2027-04-01; third-party" in text and "OpenAI" in text
