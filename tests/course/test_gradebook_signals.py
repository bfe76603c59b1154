"""A gradebook stopped by SIGTERM or killed by SIGKILL leaves no worker or kernel behind.

A real ``python -m course_helpers progress --collect`` on a small course made for the test (one
sheet, no model calls), one learner whose sheet loops for ever: once its kernel runs the loop,
the gradebook gets a signal, and every process it started must be gone within a bounded wait.
Processes are found as descendants of that gradebook (``/proc``), never by name: other tests run
kernels too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")

LOOP = "import time\nwhile True:\n    time.sleep(0.05)"


def sheet(*cells: str) -> nbformat.NotebookNode:
    made = [nbformat.v4.new_markdown_cell("# 90 · Arithmetic: exercises")]
    made += [nbformat.v4.new_markdown_cell("## Exercise 1: two and two")]
    made += [nbformat.v4.new_code_cell(cell) for cell in cells]
    return nbformat.v4.new_notebook(cells=made)


def parents() -> dict[int, int]:
    """pid -> parent pid of every process now."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def descendants(pid: int) -> set[int]:
    tree, found, todo = parents(), set(), [pid]
    while todo:
        parent = todo.pop()
        children = {child for child, of in tree.items() if of == parent}
        found |= children
        todo += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


@pytest.fixture
def grading(tmp_path):
    """A gradebook grading an endless loop, once its worker and kernel run: (process, their pids)."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "exercises").mkdir()
    nbformat.write(
        sheet("answer = ...", "# NBVAL_CHECK_OUTPUT\nprint(answer)"), str(course / "exercises" / "90_a.ipynb")
    )
    learner = tmp_path / "room" / "ada"
    learner.mkdir(parents=True)
    nbformat.write(sheet(LOOP, "answer = 4"), str(learner / "90_a.ipynb"))
    command = [sys.executable, "-m", "course_helpers", "progress", "--collect", str(tmp_path / "room")]
    process = subprocess.Popen(
        [*command, "--csv", str(tmp_path / "grades.csv"), "--timeout", "600"],
        cwd=course,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    started: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        started = descendants(process.pid)
        if len(started) >= 2 and any(descendants(child) for child in started):  # a worker and its kernel
            break
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"the worker and kernel did not start: {process.communicate()}")
    time.sleep(3)  # the kernel is in the loop by now
    started = descendants(process.pid)
    yield process, started
    for pid in started:  # whatever a failed test left
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
    process.communicate()


def gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.2)
    return {pid for pid in pids if alive(pid)}


def test_sigterm_stops_the_sheet_its_worker_and_kernel_as_ctrl_c_does(grading, tmp_path):
    process, started = grading
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert gone_within(started, 30) == set()
    assert not (tmp_path / "grades.csv").exists()


def test_a_killed_gradebooks_worker_and_kernel_go_away_by_themselves(grading):
    process, started = grading
    [worker] = [pid for pid, parent in parents().items() if parent == process.pid]  # the gradebook's one child
    scratch = Path(os.readlink(f"/proc/{worker}/cwd")).parent  # the sheet's temporary folder
    assert (scratch / "sheet" / "90_a.ipynb").is_file()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert gone_within(started, 30) == set()
    assert not scratch.exists()  # the learner's copy does not stay behind in the temp folder
