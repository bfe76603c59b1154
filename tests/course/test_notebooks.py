"""Tests for course_helpers/course/notebooks.py, and the notebook-cleanliness check over every notebook in git."""

import subprocess
from pathlib import Path

import nbformat
import pytest

from course_helpers.course.notebooks import KERNELSPEC, clean, problems, read

ROOT = Path(__file__).resolve().parents[2]


def _tracked_notebooks() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in listed.stdout.splitlines()]


@pytest.mark.parametrize("path", _tracked_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_is_clean(path):
    """No execution timing or editor metadata, no embedded audio, check cells with their outputs."""
    found = problems(read(path))
    assert not found, f"{path.name}: {found}; fix with `python -m course_helpers clean {path.relative_to(ROOT)}`"


def _messy_notebook():
    cell = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint('✅ Correct!')", execution_count=1)
    cell.metadata.update(
        {"execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"}, "collapsed": False, "tags": ["keep-me"]}
    )
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="✅ Correct!\n"),
        nbformat.v4.new_output("display_data", data={"audio/wav": "UklGRg=="}),
        nbformat.v4.new_output("display_data", data={"text/html": '<audio controls src="data:audio/mpeg;base64,AAA">'}),
        nbformat.v4.new_output("stream", name="stderr", text="100%|██████| 3/3\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata.update(
        {
            "widgets": {},
            "vscode": {},
            "kernelspec": {"name": "python3", "display_name": "P"},
            "language_info": {"name": "python", "version": "3.11.7"},
        }
    )
    return nb


def test_problems_names_each_kind_of_mess():
    found = problems(_messy_notebook())
    assert "cell 1: editor metadata execution" in found and "cell 1: editor metadata collapsed" in found
    assert "cell 1: embedded audio in the outputs" in found
    assert "notebook metadata widgets" in found and "notebook metadata vscode" in found
    assert any("language_info.version" in line for line in found)


def test_clean_keeps_tags_and_outputs_nbval_needs():
    nb = clean(_messy_notebook())
    cell = nb.cells[0]
    assert problems(nb) == []
    assert cell.metadata == {"tags": ["keep-me"]}
    assert [o.get("text") for o in cell.outputs] == ["✅ Correct!\n", "100%|██████| 3/3\n"]
    assert nb.metadata.kernelspec.name == "python3"


def test_clean_can_drop_stderr():
    cell = clean(_messy_notebook(), drop_stderr=True).cells[0]
    assert [o.name for o in cell.outputs] == ["stdout"]


def test_a_check_cell_without_output_is_a_problem():
    cell = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck_equal(x, 1)")
    assert problems(nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": KERNELSPEC})) == [
        "cell 1: a check cell without stored output (nbval would not compare it)"
    ]


def test_a_kernelspec_jupyterlab_would_rewrite_is_a_problem_that_clean_fixes():
    """A stored "Python 3" makes JupyterLab call an untouched lesson changed; clean stores ipykernel's own name."""
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    )
    assert [p for p in problems(nb) if "kernelspec" in p]
    assert problems(clean(nb)) == [] and nb.metadata.kernelspec == KERNELSPEC
