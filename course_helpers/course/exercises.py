"""The exercise pipeline: exercise sheets are generated from the solutions, never edited by hand.

``solutions/NN_topic.ipynb`` is the source of truth. Its solution code sits
between two marker lines::

    def shout(text):
        ### BEGIN SOLUTION
        return text.upper() + "!"
        ### END SOLUTION

:func:`build` turns each region into a stub at the markers' indentation and
executes the sheet so its stored outputs show the check cells' ⏳ lines.
The stub rule:

- a region made only of assignments to names keeps them, with ``...`` as the
  value: ``messages = [...]`` becomes ``messages = ...  # YOUR CODE HERE``,
  so later cells that use ``messages`` still run (and their checks say ⏳);
- any other region becomes one line, ``...  # YOUR CODE HERE``.

>>> print(stub_source("x = 2\\ny = [\\n  3,\\n]"))
x = 2
y = [
  3,
]
>>> print(stub_source("### BEGIN SOLUTION\\nanswer = 6 * 7\\n### END SOLUTION\\ncheck(answer)"))
answer = ...  # YOUR CODE HERE
check(answer)
>>> print(stub_source("def f(x):\\n    ### BEGIN SOLUTION\\n    y = x * 2\\n    return y\\n    ### END SOLUTION"))
def f(x):
    ...  # YOUR CODE HERE

:func:`differences` tells whether ``exercises/`` is up to date: it compares
the cells' sources and, after running the sheet, the check cells' outputs
(model-generated text is never compared). ``python -m course_helpers
exercises build`` and ``exercises check`` run these.

Used in: every lesson's exercises (solutions/*.ipynb -> exercises/*.ipynb)
"""

from __future__ import annotations

import ast
import copy
import difflib
import textwrap
from pathlib import Path

import nbformat

from .notebooks import clean, execute, is_check_cell, read, write

__all__ = ["BEGIN", "END", "STUB", "ExerciseError", "build", "differences", "make_sheet", "stub_source"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "...  # YOUR CODE HERE"


class ExerciseError(ValueError):
    """A solution notebook's markers are malformed (the message says where)."""


def _assigned_names(code: str) -> list[str] | None:
    """The names a region assigns, if it does nothing but assign to names; else None."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    names: list[str] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            return None
        for target in targets:
            items = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            if not all(isinstance(item, ast.Name) for item in items):
                return None
            names += [item.id for item in items if isinstance(item, ast.Name) and item.id not in names]
    return names or None


def _stub_lines(body: list[str], indent: str) -> list[str]:
    names = _assigned_names(textwrap.dedent("\n".join(body)))
    if names:
        return [f"{indent}{name} = {STUB}" for name in names]
    return [f"{indent}{STUB}"]


def stub_source(source: str, where: str = "this cell") -> str:
    """Replace each solution region of a cell's source by its stub (see the module docstring)."""
    lines: list[str] = []
    region: list[str] | None = None
    indent, start = "", 0
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise ExerciseError(f"{where}, line {number}: {BEGIN} inside another solution region")
            region, indent, start = [], line[: len(line) - len(line.lstrip())], number
        elif marker == END:
            if region is None:
                raise ExerciseError(f"{where}, line {number}: {END} without {BEGIN}")
            lines += _stub_lines(region, indent)
            region = None
        elif region is not None:
            region.append(line)
        else:
            lines.append(line)
    if region is not None:
        raise ExerciseError(f"{where}, line {start}: {BEGIN} without {END}")
    return "\n".join(lines)


def make_sheet(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The exercise sheet for a solution notebook, not yet executed (no outputs)."""
    sheet = copy.deepcopy(solution)
    for number, cell in enumerate(sheet.cells, start=1):
        if cell.cell_type != "code":
            continue
        cell.source = stub_source(cell.source, where=f"{name}, cell {number}")
        cell.outputs = []
        cell.execution_count = None
    return clean(sheet)


def _run(sheet: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    return clean(execute(sheet, folder), drop_stderr=True)


def build(solution_path: str | Path, exercise_path: str | Path) -> Path:
    """Write the executed exercise sheet for ``solution_path`` to ``exercise_path``; return it."""
    solution_path, exercise_path = Path(solution_path), Path(exercise_path)
    sheet = make_sheet(read(solution_path), name=solution_path.name)
    exercise_path.parent.mkdir(parents=True, exist_ok=True)
    write(_run(sheet, exercise_path.parent), exercise_path)
    return exercise_path


def _check_output_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(str(output.data.get("text/plain", "")) + "\n")
    return "".join(parts)


def _render(nb: nbformat.NotebookNode, with_outputs: bool) -> list[str]:
    """The notebook as text lines for a diff: each cell's source, and check cells' outputs."""
    lines = []
    for number, cell in enumerate(nb.cells, start=1):
        lines.append(f"──── cell {number} ({cell.cell_type})")
        lines += cell.source.split("\n")
        if with_outputs and is_check_cell(cell):
            lines.append(f"──── cell {number} output")
            lines += _check_output_text(cell).rstrip("\n").split("\n")
    return lines


def differences(solution_path: str | Path, exercise_path: str | Path, *, run: bool = True) -> str:
    """A unified diff between the stored sheet and the one the solution gives (empty when up to date).

    With ``run=True`` the fresh sheet is executed and the check cells' outputs
    are compared too; ``run=False`` compares sources only (fast).
    """
    solution_path, exercise_path = Path(solution_path), Path(exercise_path)
    if not exercise_path.exists():
        return f"{exercise_path} is missing: run `python -m course_helpers exercises build`.\n"
    expected = make_sheet(read(solution_path), name=solution_path.name)
    if run:
        expected = _run(expected, exercise_path.parent)
    diff = difflib.unified_diff(
        _render(read(exercise_path), run),
        _render(expected, run),
        fromfile=f"{exercise_path} (stored)",
        tofile=f"{exercise_path} (built from {solution_path})",
        lineterm="",
    )
    return "\n".join(diff)
