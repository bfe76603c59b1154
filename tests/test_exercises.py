"""Tests for course_helpers/exercises.py: stubs from solutions, built sheets, drift detection.

The end-to-end tests build the fixture solution in tests/fixtures/ into an
exercise sheet, run nbval on both, and make the sheet drift.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_helpers.exercises import ExerciseError, build, differences, make_sheet, stub_source
from course_helpers.notebooks import is_check_cell, problems, read, write

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "solutions" / "99_fixture.ipynb"
SANITIZER = ROOT / ".ci" / "nbval_sanitize.cfg"


@pytest.mark.parametrize("solution, stub", [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "x = ...  # YOUR CODE HERE"),
    ("### BEGIN SOLUTION\nmessages = [\n    {'role': 'user', 'content': 'Hi'},\n]\n### END SOLUTION",
     "messages = ...  # YOUR CODE HERE"),
    ("### BEGIN SOLUTION\na = 1\nb: int = 2\nc, d = 3, 4\n### END SOLUTION",
     "a = ...  # YOUR CODE HERE\nb = ...  # YOUR CODE HERE\nc = ...  # YOUR CODE HERE\nd = ...  # YOUR CODE HERE"),
    ("### BEGIN SOLUTION\nfor i in range(3):\n    print(i)\n### END SOLUTION", "...  # YOUR CODE HERE"),
    ("### BEGIN SOLUTION\nx = 1\nprint(x)\n### END SOLUTION", "...  # YOUR CODE HERE"),
    ("### BEGIN SOLUTION\nresponse.x = 1\n### END SOLUTION", "...  # YOUR CODE HERE"),
    ("def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n    ### END SOLUTION\n\nf(2)",
     "def f(x):\n    ...  # YOUR CODE HERE\n\nf(2)"),
    ("if True:\n    ### BEGIN SOLUTION\n    z = 3\n    ### END SOLUTION", "if True:\n    z = ...  # YOUR CODE HERE"),
    ("print('no markers')", "print('no markers')"),
    ("### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n### BEGIN SOLUTION\nc = 3\n### END SOLUTION",
     "a = ...  # YOUR CODE HERE\nb = 2\nc = ...  # YOUR CODE HERE"),
])
def test_stub_rule(solution, stub):
    assert stub_source(solution) == stub
    compile(stub, "<stub>", "exec")  # every stub is valid Python


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "line 1: ### BEGIN SOLUTION without ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2: ### BEGIN SOLUTION inside another"),
])
def test_malformed_markers_say_where(source, problem):
    with pytest.raises(ExerciseError, match=f"01_x.ipynb, cell 3, {problem}"):
        stub_source(source, where="01_x.ipynb, cell 3")


def test_sheet_keeps_text_and_cell_ids_and_drops_solutions():
    solution = read(FIXTURE)
    sheet = make_sheet(solution)
    assert [c.id for c in sheet.cells] == [c.id for c in solution.cells]
    assert [c.source for c in sheet.cells if c.cell_type == "markdown"] == [
        c.source for c in solution.cells if c.cell_type == "markdown"]
    code = "\n".join(c.source for c in sheet.cells)
    assert "BEGIN SOLUTION" not in code and "text.upper()" not in code and "6 * 7" not in code
    assert all(not c.outputs for c in sheet.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A tiny course folder: the fixture solution and the sheet built from it."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "solutions").mkdir()
    shutil.copy(FIXTURE, folder / "solutions" / FIXTURE.name)
    (folder / "pytest.ini").write_text("[pytest]\n")  # keep the repository's settings out of nbval runs
    build(folder / "solutions" / FIXTURE.name, folder / "exercises" / FIXTURE.name)
    return folder


def _nbval(folder: Path, *paths: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
               "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZER), *paths]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)


def test_built_sheet_shows_not_done_in_every_check_cell(course):
    sheet = read(course / "exercises" / FIXTURE.name)
    checks = [c for c in sheet.cells if is_check_cell(c)]
    assert len(checks) == 3
    for cell in checks:
        assert [o.text for o in cell.outputs] == [
            "⏳ Not done yet: replace the ... with your code, then run this cell again.\n"]
    assert problems(sheet) == []


def test_solution_and_sheet_both_pass_nbval(course):
    result = _nbval(course, "solutions", "exercises")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "passed" in result.stdout


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


def test_stale_check_output_is_drift_and_fails_nbval(course, tmp_path):
    stale = tmp_path / "exercises"
    stale.mkdir()
    sheet = read(course / "exercises" / FIXTURE.name)
    check = next(c for c in sheet.cells if is_check_cell(c))
    check.outputs[0].text = "⏳ An old message.\n"
    write(sheet, stale / FIXTURE.name)
    diff = differences(course / "solutions" / FIXTURE.name, stale / FIXTURE.name)
    assert "-⏳ An old message." in diff and "+⏳ Not done yet" in diff
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = _nbval(tmp_path, "exercises")
    assert result.returncode == 1 and "⏳ An old message." in result.stdout


def test_cli_check_fails_on_drift_and_passes_when_rebuilt(course, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(course, folder)
    solution = read(folder / "solutions" / FIXTURE.name)
    solution.cells[0].source += "\nAn extra sentence."
    write(solution, folder / "solutions" / FIXTURE.name)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "course_helpers", "exercises", *args], cwd=folder,
                              capture_output=True, text=True, timeout=300)

    drift = cli("check", "--quick")
    assert drift.returncode == 1 and "+An extra sentence." in drift.stdout
    assert "run `python -m course_helpers exercises build`" in drift.stdout
    assert cli("build").returncode == 0
    assert cli("check", "--quick").returncode == 0


def test_sheet_without_solution_is_reported(course, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(course, folder)
    shutil.copy(folder / "exercises" / FIXTURE.name, folder / "exercises" / "98_orphan.ipynb")
    result = subprocess.run([sys.executable, "-m", "course_helpers", "exercises", "check", "--quick"],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "exercises/98_orphan.ipynb has no solutions/98_orphan.ipynb" in result.stdout


def test_build_refuses_a_solution_with_broken_markers(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1")])
    write(nb, tmp_path / "01_broken.ipynb")
    with pytest.raises(ExerciseError, match="01_broken.ipynb, cell 1, line 1"):
        build(tmp_path / "01_broken.ipynb", tmp_path / "out.ipynb")
