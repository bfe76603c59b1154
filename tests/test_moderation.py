"""Tests for course_helpers/moderation.py: scores as dicts, the bar chart, the tables, the labeled examples."""

from __future__ import annotations

import doctest

import matplotlib
import pytest
from openai.types import Moderation

from course_helpers import moderation
from course_helpers.local.moderation.categories import CATEGORIES
from course_helpers.moderation import (
    CATEGORY_MEANINGS,
    category_table,
    flags_of,
    labeled_examples,
    plot_scores,
    scores_of,
    scores_table,
    top_categories,
)

matplotlib.use("Agg")


def _result(violence: float = 0.9, flagged: bool = True) -> Moderation:
    """An SDK Moderation object built from test data (not a model's output)."""
    scores = {name: 0.0 for name in CATEGORIES} | {"violence": violence, "self-harm/intent": 0.2}
    return Moderation.model_validate(
        {
            "flagged": flagged,
            "categories": {name: flagged and name == "violence" for name in CATEGORIES},
            "category_scores": scores,
            "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
        }
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_docstring_examples():
    assert doctest.testmod(moderation).failed == 0


def test_every_category_has_a_meaning_and_a_table_row():
    assert list(CATEGORY_MEANINGS) == list(CATEGORIES)
    table = category_table()
    assert [row[0] for row in table.rows] == list(CATEGORIES)
    assert ("self-harm/intent", "self_harm_intent") == table.rows[CATEGORIES.index("self-harm/intent")][:2]


@pytest.mark.parametrize("form", ["sdk", "json", "scores"])
def test_scores_of_uses_the_api_names_in_every_form(form):
    result = _result()
    value = {
        "sdk": result,
        "json": result.model_dump(by_alias=True),
        "scores": result.model_dump(by_alias=True)["category_scores"],
    }[form]
    scores = scores_of(value)
    assert list(scores) == list(CATEGORIES)
    assert scores["self-harm/intent"] == 0.2 and scores["violence"] == 0.9


def test_flags_of_and_top_categories():
    assert flags_of(_result())["violence"] is True
    assert sum(flags_of(_result(flagged=False)).values()) == 0
    assert top_categories(scores_of(_result()), 2) == [("violence", 0.9), ("self-harm/intent", 0.2)]


def test_scores_of_rejects_what_is_not_a_result():
    with pytest.raises(TypeError):
        scores_of(42)


def test_plot_marks_flagged_categories_red_and_draws_thresholds():
    figure = plot_scores(
        {"flagged": _result(), "not": _result(0.1, flagged=False)}, thresholds={"violence": 0.5, "hate": 0.3}
    )
    left, right = figure.axes
    assert len(left.patches) == len(right.patches) == len(CATEGORIES)
    red = matplotlib.colors.to_rgba("tab:red")
    colors = [bar.get_facecolor() for bar in left.patches]
    assert colors[CATEGORIES.index("violence")] == red and colors.count(red) == 1
    assert red not in [bar.get_facecolor() for bar in right.patches]
    assert len(left.lines) == 2  # one mark per category given a threshold
    assert [label.get_text() for label in left.get_yticklabels()] == list(CATEGORIES)


def test_plot_of_one_result_has_one_panel_and_a_line_per_category():
    figure = plot_scores(_result(), thresholds=0.25, title="one")
    assert len(figure.axes) == 1 and len(figure.axes[0].lines) == len(CATEGORIES)
    assert figure._suptitle.get_text() == "one"


def test_scores_table_escapes_text_and_bolds_flagged_scores():
    table = scores_table(["<b>kill</b>", "fine"], [_result(), _result(0.05, flagged=False)], columns=["violence"])
    html = table._repr_html_()
    assert "&lt;b&gt;kill&lt;/b&gt;" in html
    assert "<b>0.90</b>" in html and "<b>0.05</b>" not in html
    assert repr(table).splitlines()[1].split()[-2:] == ["yes", "0.90*"]


def test_scores_table_picks_the_highest_categories_and_checks_lengths():
    table = scores_table(["a"], [_result()], columns=2)
    assert table.columns == ["violence", "self-harm/intent"]
    with pytest.raises(ValueError):
        scores_table(["a", "b"], [_result()])


def test_labeled_examples_are_the_held_out_set_with_both_labels():
    texts, harmful = labeled_examples()
    assert len(texts) == len(harmful) > 100
    assert any(harmful) and not all(harmful)
    sample, sample_harmful = labeled_examples(every=4)
    assert sample == texts[::4] and sample_harmful == harmful[::4]
