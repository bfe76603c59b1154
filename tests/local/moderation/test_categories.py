"""Tests for course_helpers/local/moderation/categories.py."""

from __future__ import annotations

from openai.types.moderation import Categories, CategoryScores

from course_helpers.local.moderation.categories import CATEGORIES, PARENT, THRESHOLDS, attribute_name


def test_the_13_categories_are_the_sdks():
    aliases = {field.alias or name for name, field in Categories.model_fields.items()}
    assert set(CATEGORIES) == aliases
    assert len(CATEGORIES) == 13


def test_attribute_names_are_the_sdks_field_names():
    assert {attribute_name(name) for name in CATEGORIES} == set(CategoryScores.model_fields)


def test_every_category_has_a_probability_threshold():
    assert set(THRESHOLDS) == set(CATEGORIES)
    assert all(0.0 < value < 1.0 for value in THRESHOLDS.values())


def test_parents_are_categories_themselves():
    assert PARENT["self-harm/intent"] == "self-harm"
    assert set(PARENT.values()) <= set(CATEGORIES)
