"""Grading one exercise sheet: the course's own check cells put into a learner's sheet, and their verdicts read back.

A learner's copy of ``exercises/NN_topic.ipynb`` is not trusted as it is: its
stored outputs may be old or typed in, its check cells may be edited, and its
code may replace a check by one that always passes. So :func:`graded_notebook`
builds the notebook that is really run:

- the learner's cells, in the learner's order, except their check cells;
- in each exercise's section (from its ``## Exercise N`` heading to the next),
  the course's OWN check cells, taken from the course's sheet, where the
  learner's check cells were (or at the section's end when they were deleted);
- before any learner code, a cell that keeps the interpreter's built-ins and
  output streams; each check cell first puts them back, drops every
  ``course_helpers.checks`` module (and the helper modules they use) from
  ``sys.modules`` and imports the checks afresh, so a check monkey-patched in an
  earlier cell is the course's own again when it runs.

:func:`verdicts` reads the one ✅/❌/⏳/⏭️ line of each of those check cells
from the executed notebook. Running it is :mod:`.grade_worker`'s job, in a
process and kernel of its own.

>>> course = [("01.1", "a translation request", "check_translation_messages(translation_messages)")]
>>> [result.exercise for result in not_graded(course, "no sheet")]
['01.1']

Used in: course_helpers/course/gradebook.py (``progress`` and ``progress --collect``)
"""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass

import nbformat

from .notebooks import KERNELSPEC, is_check_cell

__all__ = ["Result", "course_checks", "graded_notebook", "not_graded", "verdicts"]

PASS, FAIL, TODO, SKIP = "pass", "fail", "todo", "skip"
NOT_GRADED = "not graded"
SYMBOLS = {"✅": PASS, "❌": FAIL, "⏳": TODO, "⏭️": SKIP}
HEADING = re.compile(r"^##\s+Exercise\s+(\d+)\s*:?\s*(.*)$", re.MULTILINE)
MARK = "course_grading"  # the cell metadata key of the cells grading adds
TIMED_OUT = "course_grading_timed_out"  # set on a cell by the worker when it ran past its time

# Modules the checks are made of: dropped and imported afresh before every check cell.
# course_helpers.local (the server) and course_helpers.course (setup()'s state) stay.
_FRESH = r"^course_helpers\.(checks|anatomy|audio|conversation|costs|moderation|probabilities|streams|structured|tables|token_heatmap)(\.|$)"

_GUARD = """\
def __course_grading_guard(imports):
    import builtins, importlib, re, sys

    shell = get_ipython()
    kept_builtins, kept_streams, user_ns = dict(vars(builtins)), (sys.stdout, sys.stderr), shell.user_ns
    b = kept_builtins  # every built-in below is the kept one: a learner's global `exec = ...` must not replace it

    def restore():
        for name, value in kept_builtins.items():
            b["setattr"](builtins, name, value)
        sys.stdout, sys.stderr = kept_streams
        shell.set_parent(shell.get_parent())  # the kept streams missed this cell's header while replaced: give it
        # what the learner's earlier cells sent or set up, which some checks read
        old = {name: sys.modules.get(name) for name in ("course_helpers.checks", "course_helpers.checks.audio",
                                                        "course_helpers.checks.hints")}
        sent = b["dict"](b["getattr"](old["course_helpers.checks"], "SENT", {}))
        realtime_sent = b["list"](b["getattr"](old["course_helpers.checks.audio"], "REALTIME_SENT", []))
        info = b["getattr"](old["course_helpers.checks.hints"], "_info", None)
        for name in [name for name in sys.modules if re.match(FRESH_MODULES, name)]:
            del sys.modules[name]
        b["exec"](imports, user_ns)
        importlib.import_module("course_helpers.checks").SENT.update(sent)
        importlib.import_module("course_helpers.checks.audio").REALTIME_SENT.extend(realtime_sent)
        backends = importlib.import_module("course_helpers.course.backends")
        if b["isinstance"](info, backends.BackendInfo):
            importlib.import_module("course_helpers.checks.hints")._info = info

    return restore


__course_grading_restore = __course_grading_guard(COURSE_IMPORTS)
del __course_grading_guard
"""


@dataclass(frozen=True)
class Result:
    """One exercise's verdict: ``status`` is pass, fail, todo, skip or "not graded"; ``detail`` says why."""

    exercise: str  # "01.3": the lesson's number and the exercise's
    title: str
    status: str
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _sections(nb: nbformat.NotebookNode) -> list[tuple[int | None, list]]:
    """The notebook's cells split at ``## Exercise N`` headings: (N or None before the first, cells)."""
    sections: list[tuple[int | None, list]] = [(None, [])]
    for cell in nb.cells:
        found = HEADING.findall(cell.source) if cell.cell_type == "markdown" else []
        if found:
            sections.append((int(found[-1][0]), []))
        sections[-1][1].append(cell)
    return sections


def _numbered_checks(sheet: nbformat.NotebookNode, lesson: str) -> list[tuple[int | None, str, str, str]]:
    """(section number, exercise id, title, source) of each check cell of a course sheet."""
    titles = {int(number): title.strip() for number, title in HEADING.findall("\n".join(c.source for c in sheet.cells))}
    found = []
    for number, cells in _sections(sheet):
        checks = [cell for cell in cells if is_check_cell(cell)]
        for position, cell in enumerate(checks):
            suffix = "" if position == 0 else chr(ord("a") + position)
            name = f"{lesson}.{number if number is not None else 0}{suffix}"
            found.append((number, name, titles.get(number, "") if number is not None else "", cell.source))
    return found


def course_checks(sheet: nbformat.NotebookNode, lesson: str) -> list[tuple[str, str, str]]:
    """The course sheet's check cells as (exercise id, exercise title, source), in order.

    The id is ``lesson.N``; a second check in the same exercise is ``lesson.Nb``.
    """
    return [(name, title, source) for _number, name, title, source in _numbered_checks(sheet, lesson)]


def _course_imports(sheet: nbformat.NotebookNode) -> str:
    """The sheet's ``from course_helpers... import ...`` statements, which bind the check functions."""
    lines = []
    for cell in sheet.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_helpers"):
                lines.append(ast.unparse(node))
    return "\n".join(lines)


def _check_cell(exercise: str, source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(f"__course_grading_restore()\n{source}")
    cell.metadata[MARK] = {"exercise": exercise}
    return cell


def graded_notebook(learner: nbformat.NotebookNode, sheet: nbformat.NotebookNode, lesson: str) -> nbformat.NotebookNode:
    """The notebook to run: the learner's cells with the course's check cells in place of theirs (module docstring)."""
    checks: dict[int | None, list[tuple[str, str]]] = {}
    for number, exercise, _title, source in _numbered_checks(sheet, lesson):
        checks.setdefault(number, []).append((exercise, source))
    guard = nbformat.v4.new_code_cell(
        _GUARD.replace("FRESH_MODULES", repr(_FRESH)).replace("COURSE_IMPORTS", repr(_course_imports(sheet)))
    )
    guard.metadata[MARK] = {"guard": True}
    cells = [guard]
    for number, section in _sections(learner):
        waiting = list(checks.pop(number, []))
        for cell in section:
            if is_check_cell(cell) or (cell.cell_type == "code" and MARK in cell.metadata):
                if waiting:
                    cells.append(_check_cell(*waiting.pop(0)))
                continue  # a learner's own check cell (or a forged grading cell) is never run
            cells.append(nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code" else cell)
        cells += [_check_cell(*check) for check in waiting]
    for remaining in checks.values():  # exercises whose heading the learner deleted
        cells += [_check_cell(*check) for check in remaining]
    graded = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
    return graded


def _stdout(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.get("name") == "stdout")


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict(cell, exercise: str, title: str, stopped: tuple[int, str] | None, index: int) -> Result:
    if stopped is not None and index >= stopped[0]:
        return Result(exercise, title, NOT_GRADED, stopped[1])
    if cell.metadata.get(TIMED_OUT):
        return Result(exercise, title, FAIL, "the check ran past its time limit")
    errors = [output for output in cell.outputs if output.get("output_type") == "error"]
    lines = [line.strip() for line in _stdout(cell).splitlines()]
    verdict_lines = [line for line in lines if line[:1] in SYMBOLS or line[:2] in SYMBOLS]
    if verdict_lines and not errors:
        line = verdict_lines[-1]
        symbol = line[:2] if line[:2] in SYMBOLS else line[:1]
        return Result(exercise, title, SYMBOLS[symbol], _one_line(line[len(symbol) :]))
    if errors:
        error = errors[-1]
        if "__course_grading_restore" in str(error.get("evalue", "")):
            return Result(exercise, title, NOT_GRADED, "the sheet's code removed the grading's own function")
        return Result(exercise, title, FAIL, _one_line(f"the check cell raised {error.ename}: {error.evalue}"))
    return Result(exercise, title, NOT_GRADED, "the check printed no verdict")


def verdicts(
    executed: nbformat.NotebookNode, course: list[tuple[str, str, str]], stopped: tuple[int, str] | None = None
) -> list[Result]:
    """Each course check's result, read from the grading cells of the ``executed`` notebook, in the course's order.

    ``stopped`` is (the index of the cell where the run stopped, why), None when it ran to the end.
    """
    titles = {exercise: title for exercise, title, _source in course}
    found: dict[str, Result] = {}
    for index, cell in enumerate(executed.cells):
        exercise = cell.metadata.get(MARK, {}).get("exercise") if cell.cell_type == "code" else None
        if exercise in titles and exercise not in found:
            found[exercise] = _verdict(cell, exercise, titles[exercise], stopped, index)
    guard = next((cell for cell in executed.cells if cell.metadata.get(MARK, {}).get("guard")), None)
    broken = guard is None or any(output.get("output_type") == "error" for output in guard.outputs)
    results = []
    for exercise, title, _source in course:
        if broken:
            results.append(Result(exercise, title, NOT_GRADED, "the grading cell did not run"))
        else:
            results.append(found.get(exercise) or Result(exercise, title, NOT_GRADED, "its check cell never ran"))
    return results


def not_graded(course: list[tuple[str, str, str]], why: str) -> list[Result]:
    """Every exercise of a sheet marked "not graded", with the reason."""
    return [Result(exercise, title, NOT_GRADED, why) for exercise, title, _source in course]
