"""Tests for course_helpers/course/gradebook.py: a room's submissions graded into a CSV, cell by cell.

The course here is a small one made for the test (two sheets whose checks are the course's own
``check_equal`` and ``check_close``, no model calls), so the whole room grades in about a minute on
two cores: one kernel per sheet. The learners: solved, half done, broken, and each hostile kind
(forged outputs, a monkey-patched check, endless loops, ``sys.exit``, ``os._exit``, a segfault, a
cell deleting another learner's folder, a zip bomb, a zip member climbing out with ``..``).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_helpers.course.gradebook import Course, collect, write_csv

CHECK = "# NBVAL_CHECK_OUTPUT\n"
IMPORTS = "from course_helpers.checks import check_close, check_equal"


def notebook(*cells: str) -> nbformat.NotebookNode:
    """Cells from strings: a title (``# 9``) or a heading (``## ``) is markdown, the others code."""
    made = [
        nbformat.v4.new_markdown_cell(text) if text.startswith(("# 9", "## ")) else nbformat.v4.new_code_cell(text)
        for text in cells
    ]
    return nbformat.v4.new_notebook(cells=made)


def arith(one="...", two="...", three="...", *, checks=None, before_two="") -> nbformat.NotebookNode:
    checks = checks or [
        "check_equal(answer, 4)",
        "check_close(third, 1 / 3, tolerance=1e-3)",
        "check_equal(numbers, [1, 2, 3])",
    ]
    return notebook(
        "# 90 · Arithmetic: exercises",
        IMPORTS,
        "## Exercise 1: two and two",
        f"answer = {one}",
        CHECK + checks[0],
        "## Exercise 2: a third",
        f"{before_two}third = {two}",
        CHECK + checks[1],
        "## Exercise 3: a list",
        f"numbers = {three}",
        CHECK + checks[2],
    )


def text(one="...", two="...", *, first="") -> nbformat.NotebookNode:
    return notebook(
        "# 91 · Text: exercises",
        IMPORTS + "\n" + first,
        "## Exercise 1: a greeting",
        f"greeting = {one}",
        CHECK + 'check_equal(greeting, "hello")',
        "## Exercise 2: its length",
        f"count = {two}",
        CHECK + "check_equal(count, 5)",
    )


SOLVED = (arith("2 + 2", "1 / 3", "[1, 2, 3]"), text('"hello"', 'len("hello")'))
MONKEY_PATCH = """
import builtins, course_helpers.checks
def always(*args, **kwargs):
    builtins.print("✅ Correct!")
course_helpers.checks.check_equal = always
check_equal = always
real_print = builtins.print
builtins.print = lambda *args, **kwargs: real_print("✅ Correct!")
import sys
class Forge:
    def __init__(self, stream):
        self.stream = stream
    def write(self, text):
        return self.stream.write(text.replace("❌", "✅"))
    def flush(self):
        self.stream.flush()
sys.stdout = Forge(sys.stdout)
exec = lambda *args, **kwargs: None  # the grading's restore must not use this one
"""
IGNORES_INTERRUPTS = """
import time
while True:
    try:
        time.sleep(0.1)
    except KeyboardInterrupt:
        pass
"""


def write(folder: Path, *sheets: nbformat.NotebookNode) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet in sheets:
        name = {"90": "90_arith.ipynb", "91": "91_text.ipynb"}[sheet.cells[0].source[2:4]]
        nbformat.write(sheet, str(folder / name))


def zipped(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """The course, the submissions folder, and the rows grading gave (graded once for every test)."""
    root = tmp_path_factory.mktemp("course")
    write(root / "exercises", arith(), text())
    room = tmp_path_factory.mktemp("room")
    write(room / "alice", *SOLVED)
    half = nbformat.writes(arith("2 + 2", "0.5"))  # 1 right, 2 wrong, 3 not done; no 91 at all
    zipped(room / "bob.zip", {"bob/90_arith.ipynb": half.encode(), "../../91_text.ipynb": b"{}"})
    forged = arith(checks=['print("✅ Correct!")'] * 3)  # stubs, with the checks replaced by a print
    write(room / "carol", forged, text('"goodbye"', "4", first=MONKEY_PATCH))
    write(room / "dave", arith("2 + 2", "1 / 3", "[1, 2, 3]", before_two="while True:\n    pass\n"))
    write(room / "dora", arith("2 + 2", "1 / 3", "[1, 2, 3]", before_two=IGNORES_INTERRUPTS))
    write(
        room / "erin",
        arith("4\nimport sys\nsys.exit()", "1 / 3\nimport os\nos._exit(3)", "[1, 2, 3]"),
        text('"hello"\nimport ctypes\nctypes.string_at(0)', "5"),
    )
    victim = room / "zoe"
    write(room / "frank", arith(f"2 + 2\nimport shutil\nshutil.rmtree({str(victim)!r})", "1 / 3", "[1, 2, 3]"))
    (room / "gina").mkdir()
    (room / "gina" / "90_arith.ipynb").write_text('{"cells": [ this is not json')
    zipped(room / "hank.zip", {"90_arith.ipynb": b"{" + b" " * (30 * 2**20) + b"}"})
    write(victim, *SOLVED)
    course = Course.load(root)
    rows = collect(room, course, cell_timeout=15, progress=lambda line: None)
    write_csv(rows, course, room.parent / "grades.csv")
    with open(room.parent / "grades.csv", newline="", encoding="utf-8") as file:
        table = {row["learner"]: row for row in csv.DictReader(file)}
    return room, table


EXERCISES = ["90.1", "90.2", "90.3", "91.1", "91.2"]


@pytest.mark.parametrize(
    ("learner", "cells"),
    [
        ("alice", ["1", "1", "1", "1", "1"]),  # solved
        ("bob", ["1", "0", "0", "0", "0"]),  # half done, from a zip; no 91 sheet
        ("carol", ["0", "0", "0", "0", "0"]),  # forged check cells; a patched check, print, stdout, exec
        ("dave", ["1", "0", "1", "0", "0"]),  # an endless loop in exercise 2: interrupted, the rest runs
        ("dora", ["1", "", "", "0", "0"]),  # a loop that ignores interrupts: the sheet is stopped there
        ("erin", ["1", "", "", "", ""]),  # sys.exit (harmless), then os._exit; a segfault in 91
        ("frank", ["1", "1", "1", "0", "0"]),  # deleted zoe's folder: graded, and noted
        ("gina", ["", "", "", "0", "0"]),  # not a notebook
        ("hank", ["0", "0", "0", "0", "0"]),  # a zip bomb: refused
        ("zoe", ["1", "1", "1", "1", "1"]),  # graded from memory though frank deleted her folder
    ],
)
def test_each_cell_of_the_gradebook(room, learner, cells):
    _folder, table = room
    assert [table[learner][exercise] for exercise in EXERCISES] == cells


def test_totals_count_each_status(room):
    _folder, table = room
    alice, bob, erin = table["alice"], table["bob"], table["erin"]
    assert (alice["passed"], alice["total"], alice["percent"]) == ("5", "5", "100.0")
    assert (bob["passed"], bob["failed"], bob["not_done"], bob["not_graded"]) == ("1", "1", "3", "0")
    assert (erin["passed"], erin["not_graded"], erin["percent"]) == ("1", "4", "20.0")


@pytest.mark.parametrize(
    ("learner", "note"),
    [
        ("bob", "skipped ../../91_text.ipynb: its path leaves the archive"),
        ("dora", "90_arith.ipynb: 2 not graded (the cell starting `import time` kept running after an interrupt)"),
        ("erin", "90_arith.ipynb: 2 not graded (the kernel died in the cell starting `third = 1 / 3`)"),
        ("erin", '91_text.ipynb: 2 not graded (the kernel died in the cell starting `greeting = "hello"`)'),
        ("frank", "90_arith.ipynb: changed files outside its copy: zoe/90_arith.ipynb"),
        ("gina", "90_arith.ipynb: 3 not graded (not a readable notebook"),
        ("hank", "skipped 90_arith.ipynb: larger than 20 MB uncompressed"),
    ],
)
def test_what_could_not_be_graded_is_noted(room, learner, note):
    _folder, table = room
    assert note in table[learner]["notes"]


def test_the_learners_who_did_nothing_wrong_have_no_notes(room):
    _folder, table = room
    assert [name for name in ("alice", "carol", "dave", "zoe") if table[name]["notes"]] == []


def test_a_hostile_sheet_really_ran(room):
    folder, _table = room
    assert not (folder / "zoe").exists()  # frank's cell did delete it: the gradebook noticed, zoe kept her grade
