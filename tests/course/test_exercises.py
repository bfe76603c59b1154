"""Tests for course_helpers/course/exercises.py: stubs from solutions, built sheets, drift detection.

The end-to-end tests build the fixture solution in tests/fixtures/ into an
exercise sheet, run nbval on both, and make the sheet drift.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_helpers.__main__ import main
from course_helpers.course.exercises import ExerciseError, build, differences, make_sheet, stub_source
from course_helpers.course.notebooks import is_check_cell, problems, read, write

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent.parent / "fixtures" / "solutions" / "99_fixture.ipynb"
SANITIZER = ROOT / ".ci" / "nbval_sanitize.cfg"


@pytest.mark.parametrize(
    "solution, stub",
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "x = ...  # YOUR CODE HERE"),
        (
            "### BEGIN SOLUTION\nmessages = [\n    {'role': 'user', 'content': 'Hi'},\n]\n### END SOLUTION",
            "messages = ...  # YOUR CODE HERE",
        ),
        (
            "### BEGIN SOLUTION\na = 1\nb: int = 2\nc, d = 3, 4\n### END SOLUTION",
            "a = ...  # YOUR CODE HERE\nb = ...  # YOUR CODE HERE\nc = ...  # YOUR CODE HERE\nd = ...  # YOUR CODE HERE",
        ),
        ("### BEGIN SOLUTION\nfor i in range(3):\n    print(i)\n### END SOLUTION", "...  # YOUR CODE HERE"),
        ("### BEGIN SOLUTION\nx = 1\nprint(x)\n### END SOLUTION", "...  # YOUR CODE HERE"),
        ("### BEGIN SOLUTION\nresponse.x = 1\n### END SOLUTION", "...  # YOUR CODE HERE"),
        (
            "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n    ### END SOLUTION\n\nf(2)",
            "def f(x):\n    ...  # YOUR CODE HERE\n\nf(2)",
        ),
        (
            "if True:\n    ### BEGIN SOLUTION\n    z = 3\n    ### END SOLUTION",
            "if True:\n    z = ...  # YOUR CODE HERE",
        ),
        ("print('no markers')", "print('no markers')"),
        (
            "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n### BEGIN SOLUTION\nc = 3\n### END SOLUTION",
            "a = ...  # YOUR CODE HERE\nb = 2\nc = ...  # YOUR CODE HERE",
        ),
    ],
)
def test_stub_rule(solution, stub):
    assert stub_source(solution) == stub
    compile(stub, "<stub>", "exec")  # every stub is valid Python


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1", "line 1: ### BEGIN SOLUTION without ### END SOLUTION"),
        ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2: ### BEGIN SOLUTION inside another"),
    ],
)
def test_malformed_markers_say_where(source, problem):
    with pytest.raises(ExerciseError, match=f"01_x.ipynb, cell 3, {problem}"):
        stub_source(source, where="01_x.ipynb, cell 3")


def test_sheet_keeps_text_and_cell_ids_and_drops_solutions():
    solution = read(FIXTURE)
    sheet = make_sheet(solution)
    assert [c.id for c in sheet.cells] == [c.id for c in solution.cells]
    assert [c.source for c in sheet.cells if c.cell_type == "markdown"] == [
        c.source for c in solution.cells if c.cell_type == "markdown"
    ]
    code = "\n".join(c.source for c in sheet.cells)
    assert "BEGIN SOLUTION" not in code and "text.upper()" not in code and "6 * 7" not in code
    assert all(not c.outputs for c in sheet.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A tiny course folder: the fixture solution and the sheet built from it."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "solutions").mkdir()
    shutil.copy(FIXTURE, folder / "solutions" / FIXTURE.name)
    build(folder / "solutions" / FIXTURE.name, folder / "exercises" / FIXTURE.name)
    return folder


def _stale_copy(sheet_path: Path, folder: Path) -> Path:
    """The sheet, with the stored output of its first check cell out of date."""
    sheet = read(sheet_path)
    check = next(c for c in sheet.cells if is_check_cell(c))
    check.outputs[0].text = "⏳ An old message.\n"
    folder.mkdir(exist_ok=True)
    write(sheet, folder / sheet_path.name)
    return folder / sheet_path.name


@pytest.fixture(scope="module")
def nbval_run(course, tmp_path_factory):
    """One nbval run (as `python -m pytest` runs it) over the solution, the sheet and a stale sheet."""
    folder = tmp_path_factory.mktemp("nbval")
    for name in ["solutions", "exercises", "stale"]:
        (folder / name).mkdir()
    # Distinct names: nbval reports items by file name.
    shutil.copy(course / "solutions" / FIXTURE.name, folder / "solutions" / "99_solution.ipynb")
    shutil.copy(course / "exercises" / FIXTURE.name, folder / "exercises" / "99_sheet.ipynb")
    _stale_copy(course / "exercises" / FIXTURE.name, folder / "stale").rename(folder / "stale" / "99_stale.ipynb")
    (folder / "pytest.ini").write_text("[pytest]\n")  # keep the repository's settings out of this run
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-v",
        "-p",
        "no:cacheprovider",
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(SANITIZER),
        "solutions",
        "exercises",
        "stale",
    ]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600).stdout


def test_built_sheet_shows_not_done_in_every_check_cell(course):
    sheet = read(course / "exercises" / FIXTURE.name)
    checks = [c for c in sheet.cells if is_check_cell(c)]
    assert len(checks) == 3
    for cell in checks:
        assert [o.text for o in cell.outputs] == [
            "⏳ Not done yet: replace the ... with your code, then run this cell again.\n"
        ]
    assert problems(sheet) == []


@pytest.mark.parametrize("name", ["99_solution.ipynb", "99_sheet.ipynb"])
def test_solution_and_sheet_both_pass_nbval(nbval_run, name):
    results = [line for line in nbval_run.splitlines() if f"{name}::Cell " in line]
    assert len(results) == 9 and all(" PASSED" in line for line in results), nbval_run[-3000:]


def test_stale_check_output_fails_nbval(nbval_run):
    failed = re.findall(r"(\w+\.ipynb::Cell \d+) FAILED", nbval_run)
    assert failed == ["99_stale.ipynb::Cell 2"], nbval_run[-3000:]
    assert "⏳ An old message." in nbval_run


def test_fresh_sheet_has_no_differences(course):
    assert differences(course / "solutions" / FIXTURE.name, course / "exercises" / FIXTURE.name) == ""


def test_edited_solution_shows_as_a_readable_diff(course, tmp_path):
    solution = read(course / "solutions" / FIXTURE.name)
    solution.cells[4].source = solution.cells[4].source.replace('roles=["system", "user"]', 'roles=["user"]')
    changed = tmp_path / FIXTURE.name
    write(solution, changed)
    diff = differences(changed, course / "exercises" / FIXTURE.name, run=False)
    assert '-check_messages(messages, roles=["system", "user"])' in diff
    assert '+check_messages(messages, roles=["user"])' in diff
    assert "──── cell 5 (code)" in diff


def test_stale_check_output_is_drift(course, tmp_path):
    stale = _stale_copy(course / "exercises" / FIXTURE.name, tmp_path / "exercises")
    diff = differences(course / "solutions" / FIXTURE.name, stale)
    assert "-⏳ An old message." in diff and "+⏳ Not done yet" in diff


def test_cli_check_fails_on_drift_and_passes_when_rebuilt(course, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "course"
    shutil.copytree(course, folder)
    monkeypatch.chdir(folder)
    solution = read(folder / "solutions" / FIXTURE.name)
    solution.cells[0].source += "\nAn extra sentence."
    write(solution, folder / "solutions" / FIXTURE.name)
    assert main(["exercises", "check", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "+An extra sentence." in out and "run `python -m course_helpers exercises build`" in out
    assert main(["exercises", "build", "99_fixture"]) == 0
    assert capsys.readouterr().out == f"built exercises/{FIXTURE.name} from solutions/{FIXTURE.name}\n"
    assert main(["exercises", "check", "--quick"]) == 0


def test_sheet_without_solution_is_reported(course, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "course"
    shutil.copytree(course, folder)
    monkeypatch.chdir(folder)
    shutil.copy(folder / "exercises" / FIXTURE.name, folder / "exercises" / "98_orphan.ipynb")
    assert main(["exercises", "check", "--quick"]) == 1
    assert "exercises/98_orphan.ipynb has no solutions/98_orphan.ipynb" in capsys.readouterr().out


def test_build_refuses_a_solution_with_broken_markers(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1")])
    write(nb, tmp_path / "01_broken.ipynb")
    with pytest.raises(ExerciseError, match="01_broken.ipynb, cell 1, line 1"):
        build(tmp_path / "01_broken.ipynb", tmp_path / "out.ipynb")


SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_course_exercise_sheets_are_up_to_date(solution):
    """Each sheet in exercises/ is what its solution builds (sources; nbval checks the outputs)."""
    diff = differences(solution, ROOT / "exercises" / solution.name, run=False)
    assert not diff, f"run `python -m course_helpers exercises build {solution.stem}`:\n{diff}"
