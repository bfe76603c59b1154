"""Tests for course_helpers/tables.py."""

from __future__ import annotations

from course_helpers.tables import show_table


def test_cells_are_escaped_and_rows_kept_in_order():
    table = show_table(["a", "b"], [("<x>", 1), ("y", None)], title="T")
    html = table._repr_html_()
    assert "&lt;x&gt;" in html and "<x>" not in html
    assert html.index("&lt;x&gt;") < html.index(">y<")
    assert "<caption>T</caption>" in html
    assert repr(table).splitlines() == ["T", "a    b", "<x>  1", "y    None"]


def test_rows_can_be_any_iterable():
    assert show_table(["n"], ([i] for i in range(3))).rows == [("0",), ("1",), ("2",)]


def test_a_line_break_in_a_cell_keeps_its_row_on_one_line():
    table = show_table(["temperature", "reply"], [("2.0", "Whamalsa\nLab"), ("0", "Zebra")])
    lines = repr(table).splitlines()
    assert len(lines) == 3 and "Whamalsa\\nLab" in lines[1]
    assert "Whamalsa<br>Lab" in table._repr_html_()  # HTML shows the line break as one


def test_headers_are_aligned_like_their_left_aligned_cells():
    """JupyterLab right-aligns <th> by default; over left-aligned text that reads as a misplaced header."""
    rendered = show_table(["model", "reply"], [("m", "Hello there")])._repr_html_()
    assert rendered.count("<th style='text-align:left'>") == 2
