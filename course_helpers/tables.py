"""Small tables of results: HTML in Jupyter (plain enough to read on GitHub too), aligned text elsewhere.

>>> print(show_table(["word", "tokens"], [("hello", 1), ("Καλημέρα", 4), ("two\\nlines", 3)]))
word        tokens
hello       1
Καλημέρα    4
two\\nlines  3

Used in: notebooks/01_messages_and_roles.ipynb, notebooks/02_parameters.ipynb, notebooks/03_logprobs.ipynb
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["show_table"]


def _html_cell(text: str) -> str:
    """A cell's text for HTML: escaped, and a line break shown as one (HTML would make it a space)."""
    return html.escape(text).replace("\n", "<br>")


class _Table:
    """Headers and rows of cells, rendered as an HTML table or as aligned text."""

    def __init__(self, headers: Sequence[str], rows: list[tuple[str, ...]], title: str = "") -> None:
        self.headers = list(headers)
        self.rows = rows
        self.title = title

    def _repr_html_(self) -> str:
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        # left, like the cells below: JupyterLab right-aligns headers by default, over left-aligned text
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{_html_cell(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows
        )
        return f"<table>{caption}<tr>{head}</tr>{body}</table>"

    def __repr__(self) -> str:
        # a line break inside a cell (a model's reply may have one) is shown as \n, so each row stays one line
        rows = [[cell.replace("\n", "\\n") for cell in row] for row in [self.headers, *self.rows]]
        widths = [max(len(cell) for cell in column) for column in zip(*rows)]
        lines = [self.title] if self.title else []
        for row in rows:
            lines.append("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)).rstrip())
        return "\n".join(lines)


def show_table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "") -> _Table:
    """A table with one row per item of ``rows``; every cell is shown with ``str()``.

    Cells are HTML-escaped, so model replies and user text are shown as they are.
    """
    return _Table(headers, [tuple(str(cell) for cell in row) for row in rows], title)
