"""Tests for course_helpers/_old_names.py: module names from before course/ and checks/ still import.

A learner's my_work/ copy of a sheet made before the move imports the old names; they must give the very
same module objects (so the same check functions), in a fresh interpreter, and a whole sheet must still check.
"""

import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course_helpers
from course_helpers import _old_names
from course_helpers._old_names import OLD_NAMES
from course_helpers.course.notebooks import execute, is_check_cell, read

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(course_helpers.__file__).parent
NEW_TO_OLD = {new: old for old, new in OLD_NAMES.items()}
OLD_NAME = re.compile(
    r"course_helpers\.(" + "|".join(o.split(".")[1] for o in OLD_NAMES) + r")\b"
    r"|from course_helpers import [\w, ]*\b(" + "|".join(o.split(".")[1] for o in OLD_NAMES) + r")\b"
)


def _with_old_names(source: str) -> str:
    """A cell's source as it was written before the move (new dotted names back to old ones)."""
    for new in sorted(NEW_TO_OLD, key=len, reverse=True):
        source = re.sub(re.escape(new) + r"\b", NEW_TO_OLD[new], source)
    return source


def test_docstring_examples_run():
    assert doctest.testmod(_old_names).failed == 0


def test_every_moved_module_has_its_old_name():
    moved = {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for folder in ("course", "checks")
        for path in (PACKAGE / folder).glob("*.py")
        if path.name != "__init__.py"
    }
    born_here = {  # written after the move: no old name
        "course_helpers.checks.structured",  # lesson 07's checks
        "course_helpers.course.capabilities",  # the capability probe (issue 20)
        "course_helpers.course.grading",  # progress and the gradebook (issue 21)
        "course_helpers.course.grade_worker",
        "course_helpers.course.gradebook",
        "course_helpers.course.submissions",
    }
    assert set(OLD_NAMES.values()) == moved - born_here
    for old in OLD_NAMES:
        assert not (PACKAGE / f"{old.split('.')[1]}.py").exists(), f"{old} is both a file and an old name"


def test_old_names_import_the_same_objects_in_a_fresh_interpreter():
    program = """
import importlib, json
from course_helpers import _old_names
from course_helpers._old_names import OLD_NAMES
from course_helpers.message_checks import check_add_exchange
from course_helpers import setup_checks, settings
import course_helpers.checks.messages as messages
result = {
    "from_import": check_add_exchange is messages.check_add_exchange,
    "module_attributes": setup_checks is importlib.import_module("course_helpers.checks.setup")
        and settings is importlib.import_module("course_helpers.course.settings"),
    "same": {old: importlib.import_module(old) is importlib.import_module(new) for old, new in OLD_NAMES.items()},
    "names": {old: (importlib.import_module(old).__name__, importlib.import_module(old).__spec__.name)
              for old in OLD_NAMES},
}
print(json.dumps(result))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout)
    assert result["from_import"] and result["module_attributes"]
    assert all(result["same"].values()), result["same"]
    assert result["names"] == {old: [new, new] for old, new in OLD_NAMES.items()}
    assert done.stderr == ""  # silent: a learner's old sheet prints nothing extra


def test_python_dash_m_with_an_old_name_runs_the_new_module():
    done = subprocess.run(
        [sys.executable, "-m", "course_helpers.paths"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_an_unknown_name_is_still_an_ordinary_import_error():
    with pytest.raises(ModuleNotFoundError, match="course_helpers.no_such_checks"):
        __import__("course_helpers.no_such_checks")


def test_the_course_itself_uses_only_the_new_names():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    allowed = {"course_helpers/_old_names.py", "tests/test__old_names.py"}
    offenders = []
    for name in tracked.split():
        path = ROOT / name
        if name in allowed or path.suffix not in {".py", ".ipynb", ".md", ".toml"} or not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OLD_NAME.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_a_sheet_written_with_the_old_names_still_checks(tmp_path):
    # The lesson 01 sheet as a my_work/ copy made before the move: its imports use the old names.
    sheet = read(ROOT / "exercises" / "01_messages_and_roles.ipynb")
    old_sheet = nbformat.from_dict(json.loads(json.dumps(sheet)))
    for cell in old_sheet.cells:
        if cell.cell_type == "code":
            cell.source = _with_old_names(cell.source)
    assert "course_helpers.message_checks" in "".join(cell.source for cell in old_sheet.cells)
    execute(old_sheet, tmp_path, timeout=600)
    checked = [(old.outputs, new.outputs) for old, new in zip(old_sheet.cells, sheet.cells) if is_check_cell(new)]
    assert checked
    for ran, stored in checked:
        assert [o.get("text") for o in ran] == [o.get("text") for o in stored]
