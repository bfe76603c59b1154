"""Tests for course_helpers/progress.py: a learner's own progress, as a table and as a chart.

A small course made for the test (one sheet, the course's own ``check_equal`` and ``check_close``),
so one kernel run is all it costs.
"""

from __future__ import annotations

import nbformat
import pytest

from course_helpers import progress


def _sheet(answer: str, third: str) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# 90 · Arithmetic: exercises"),
        nbformat.v4.new_code_cell("from course_helpers.checks import check_close, check_equal"),
        nbformat.v4.new_markdown_cell("## Exercise 1: two and two"),
        nbformat.v4.new_code_cell(f"answer = {answer}"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck_equal(answer, 4)"),
        nbformat.v4.new_markdown_cell("## Exercise 2: a third"),
        nbformat.v4.new_code_cell(f"third = {third}"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck_close(third, 1 / 3, tolerance=1e-3)"),
        nbformat.v4.new_markdown_cell("## Exercise 3: not started"),
        nbformat.v4.new_code_cell("numbers = ...  # YOUR CODE HERE"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck_equal(numbers, [1, 2, 3])"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture
def course(tmp_path, monkeypatch):
    for folder in ("exercises", "solutions", "my_work"):
        (tmp_path / folder).mkdir()
    nbformat.write(_sheet("...", "..."), str(tmp_path / "exercises" / "90_arith.ipynb"))
    nbformat.write(_sheet("2 + 2", "0.5"), str(tmp_path / "my_work" / "90_arith.ipynb"))
    monkeypatch.chdir(tmp_path)  # the course root is found from the current folder
    return tmp_path


def test_progress_runs_the_sheet_and_lists_what_fails(course):
    said = []
    graded = progress.grade(cell_timeout=60, say=said.append)
    assert [(r.exercise, r.status) for r in graded[0].results] == [("90.1", "pass"), ("90.2", "fail"), ("90.3", "todo")]
    lines = progress.table(graded).splitlines()
    assert lines[1].split() == ["90_arith.ipynb", "1", "1", "1", "0", "0"]
    assert lines[2] == "  ❌ 90.2 a third: Your answer is 0.5, off by 0.167."
    assert said == ["Running 90_arith.ipynb in a fresh kernel ..."]


def test_an_unchanged_sheet_is_not_run_again_and_a_changed_one_is(course):
    progress.grade(cell_timeout=60, say=lambda line: None)
    said = []
    again = progress.grade(cell_timeout=60, say=said.append)
    assert said == [] and [r.status for r in again[0].results] == ["pass", "fail", "todo"]
    nbformat.write(_sheet("2 + 2", "1 / 3"), str(course / "my_work" / "90_arith.ipynb"))
    changed = progress.grade(cell_timeout=60, say=said.append)
    assert said and [r.status for r in changed[0].results] == ["pass", "pass", "todo"]


def test_show_draws_a_bar_per_sheet_coloured_by_verdict(course, capsys):
    figure = progress.show()
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_legend().get_texts()] == ["passes", "fails", "not done"]
    assert [patch.get_width() for patch in axes.patches] == [1, 1, 1]
    assert "90_arith.ipynb" in capsys.readouterr().out


def test_no_sheets_says_how_to_get_them(course):
    (course / "my_work" / "90_arith.ipynb").unlink()
    said = []
    assert progress.grade(say=said.append) == []
    assert "python -m course_helpers start" in said[0]
