"""Grading sheets: a learner's own (``progress``) or a whole room's (``progress --collect DIR --csv FILE``).

Each sheet runs as :mod:`.grading` prepares it (the course's own checks, put
back before every check cell), in a process of its own (:mod:`.grade_worker`)
with its own kernel, in a fresh temporary folder that is its working folder
and its ``HOME``, with an environment stripped of keys and tokens. A sheet
that loops, exits or crashes its kernel costs its own verdicts only; the
process is killed (with its kernel's process group) when it runs past its time.

Each kernel runs on the built-in local backend, started by its own ``setup()``
as on a learner's machine (``COURSE_BACKEND=local``; no key reaches it): grading
is offline and free, whatever the learner's ``.env`` says, and the checks judge
exactly as in the learner's own run and in CI. One server shared by the whole
run (``shared=True``) was measured against it (``benchmarks/bench_grading.py``)
and was not faster: a kernel on a ``server`` backend probes the server's
endpoints in ``setup()`` and in its checks (a speech, a transcription, a
moderation, a generation per probed parameter), which costs what loading the
memory-mapped model in each kernel saves; and some checks judge more loosely on
a ``server`` backend (lesson 07's ``logit_bias`` check reads the local tokenizer), and a
solved lesson 03 exercise 3 failed there (the model a server lists is not the course's).

After each sheet the submissions folder and the course's own files are
compared with how they were: a sheet that changed them is named in its row's
notes (the other learners' sheets were read into memory before anything ran, so
their grades do not depend on it); a change to the course's own files stops
the run, because every later sheet would run against broken checks.

Stopping a run: Ctrl-C and ``SIGTERM`` (:func:`terminating_as_interrupt`) stop
the sheet being graded, its worker and kernel, remove its temporary folder and
write no CSV; a ``SIGKILL``ed gradebook cannot clean up, so each worker watches
a pipe from it and, when the gradebook is gone, kills its kernel and exits.

Used in: course_helpers/__main__.py (``progress``), course_helpers/progress.py
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .grading import NOT_GRADED, PASS, Result, course_checks, graded_notebook, not_graded, verdicts
from .submissions import Submission, fingerprint, read_submissions

__all__ = [
    "Course",
    "Graded",
    "Terminated",
    "collect",
    "grade_sheet",
    "grading_backend",
    "terminating_as_interrupt",
    "write_csv",
]

CELL_TIMEOUT = 60  # seconds a cell may run (a check that asks the local model several times takes ~10 s)
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


class Terminated(KeyboardInterrupt):
    """The gradebook got SIGTERM: it stops as on Ctrl-C (a KeyboardInterrupt, so every cleanup runs)."""


@contextlib.contextmanager
def terminating_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM raises :class:`Terminated` (in the main thread), as Ctrl-C raises KeyboardInterrupt."""

    def interrupt(signum, frame):
        raise Terminated("stopped by SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class CourseChanged(RuntimeError):
    """A sheet changed the course's own files: grading cannot go on (the message names the sheet)."""


@dataclass
class Course:
    """The course's exercise sheets, read into memory: name -> (notebook, lesson number, its checks)."""

    sheets: dict[str, tuple[nbformat.NotebookNode, str, list[tuple[str, str, str]]]]
    root: Path

    @classmethod
    def load(cls, root: Path | None = None, lessons: list[str] | None = None) -> Course:
        """The sheets of ``root/exercises`` (default: this course), only those starting with ``lessons`` if given."""
        from .notebooks import read
        from .paths import course_root

        root = root or course_root()
        sheets = {}
        for path in sorted((root / "exercises").glob("*.ipynb")):
            if lessons and not any(path.name.startswith(lesson) for lesson in lessons):
                continue
            sheet = read(path)
            lesson = path.name.split("_")[0]
            sheets[path.name] = (sheet, lesson, course_checks(sheet, lesson))
        return cls(sheets, root)

    def exercises(self) -> list[tuple[str, str]]:
        """Every (exercise id, title), in the course's order."""
        return [(exercise, title) for _sheet, _lesson, checks in self.sheets.values() for exercise, title, _ in checks]

    def guarded_files(self) -> dict[str, tuple[int, int]]:
        """The course's files whose change would break the grading of later sheets."""
        found = {}
        for folder in ("course_helpers", "exercises"):
            found.update({f"{folder}/{name}": value for name, value in fingerprint(self.root / folder).items()})
        return {name: value for name, value in found.items() if "__pycache__" not in name}


@dataclass
class Graded:
    """A sheet's verdicts, how long grading it took, and what went wrong on the way."""

    sheet: str
    results: list[Result]
    seconds: float
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def grading_backend(shared: bool = False) -> Iterator[dict[str, str]]:
    """The environment variables that point a grading kernel at the built-in local backend.

    By default each kernel's ``setup()`` starts its own, as on a learner's machine; ``shared``: one
    server for the whole run, in this process (started here, stopped at the end), which kernels reach
    as a ``server`` backend.
    """
    from ..local.store import CACHE_ENV, cache_dir

    common = {CACHE_ENV: str(cache_dir())}
    if not shared:
        yield {**common, "COURSE_BACKEND": "local"}
        return
    from ..local.server import start_in_thread

    handle = start_in_thread(host="127.0.0.1", port=0, api_key=secrets.token_urlsafe(24))
    try:
        yield {**common, "OPENAI_BASE_URL": handle.base_url, "OPENAI_API_KEY": handle.api_key}
    finally:
        handle.stop()


def _kernel_environment(backend: dict[str, str], home: Path) -> dict[str, str]:
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "COURSE_", "JUPYTER_")) and not _SECRET.search(name)
    }
    return {**keep, **backend, "HOME": str(home), "MPLCONFIGDIR": str(home / ".matplotlib")}


def _kill_group(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return  # the kernel never started
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already: nothing to stop
        os.killpg(pid, signal.SIGKILL)


def grade_sheet(
    data: bytes,
    name: str,
    course: Course,
    backend: dict[str, str],
    *,
    cell_timeout: int = CELL_TIMEOUT,
    sheet_timeout: float | None = None,
) -> Graded:
    """Grade one learner's copy of the course sheet ``name`` (its bytes) in a worker process of its own."""
    sheet, lesson, checks = course.sheets[name]
    started = time.monotonic()
    try:
        learner = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(learner)
    except Exception as error:  # a sheet that is not a notebook: whatever the parser raised says why
        why = f"not a readable notebook ({type(error).__name__}: {' '.join(str(error).split())[:120]})"
        return Graded(name, not_graded(checks, why), time.monotonic() - started)
    nb = graded_notebook(learner, sheet, lesson)
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    sheet_timeout = sheet_timeout or 60 + cell_timeout * code_cells
    with tempfile.TemporaryDirectory(prefix="course-grading-") as scratch:
        folder, home = Path(scratch) / "sheet", Path(scratch) / "home"
        folder.mkdir()
        home.mkdir()
        nbformat.write(nb, str(folder / name))
        result = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "course_helpers.course.grade_worker", name, str(result)]
        log = Path(scratch) / "worker.log"  # the worker's and the kernel's stderr: its last line says why it failed
        # a pipe only this process writes to: when it ends, killed even, the worker reads its end of file (see there)
        lifeline, lifeline_end = os.pipe()
        try:
            with open(log, "wb") as stderr:
                worker = subprocess.Popen(
                    [*command, "--timeout", str(cell_timeout), "--lifeline", str(lifeline)],
                    cwd=folder,
                    env=_kernel_environment(backend, home),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,
                    pass_fds=(lifeline,),
                )
        except BaseException:
            os.close(lifeline_end)
            raise
        finally:
            os.close(lifeline)
        notes = []
        try:
            worker.wait(timeout=sheet_timeout)
        except subprocess.TimeoutExpired:
            notes.append(f"stopped after {sheet_timeout:.0f} s")
        finally:  # also on Ctrl-C: the worker and its kernel run in sessions of their own, which it does not reach
            with contextlib.suppress(ProcessLookupError):  # the worker had ended
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            _kill_group(Path(f"{result}.pid"))  # whatever the kernel left running
            os.close(lifeline_end)
        seconds = time.monotonic() - started
        if not result.is_file():
            last = next((line for line in reversed(_tail(log).splitlines()) if line.strip()), "")
            why = notes[0] if notes else f"the grading process ended with status {worker.returncode}: {last[:160]}"
            return Graded(name, not_graded(checks, why), seconds, notes)
        outcome = json.loads(result.read_text())
    executed = nbformat.from_dict(outcome["notebook"])
    stopped = (outcome["stopped_at"], outcome["why"]) if outcome["stopped_at"] is not None else None
    return Graded(name, verdicts(executed, checks, stopped), seconds, notes)


def _tail(path: Path, size: int = 4096) -> str:
    with open(path, "rb") as file:
        file.seek(max(0, path.stat().st_size - size))
        return file.read().decode("utf-8", errors="replace")


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def grade_submission(
    submission: Submission, course: Course, backend: dict[str, str], folder: Path | None = None, **options
) -> list[Graded]:
    """Grade every sheet of one learner; a sheet that changed ``folder`` (the submissions) or the course is noted.

    Raises :class:`CourseChanged` when a sheet changed the course's own files.
    """
    graded = []
    for name in course.sheets:
        if name not in submission.sheets:
            results = not_graded(course.sheets[name][2], "no such sheet in the submission")
            graded.append(Graded(name, [Result(r.exercise, r.title, "todo", r.detail) for r in results], 0.0))
            continue
        watched_before = fingerprint(folder) if folder else {}
        course_before = course.guarded_files()
        outcome = grade_sheet(submission.sheets[name], name, course, backend, **options)
        changed = _changed(watched_before, fingerprint(folder)) if folder else []
        if changed:
            outcome.notes.append(f"changed files outside its copy: {', '.join(changed[:3])}")
        course_changed = _changed(course_before, course.guarded_files())
        if course_changed:
            raise CourseChanged(
                f"{submission.learner}/{name} changed the course's own files ({', '.join(course_changed[:3])}): "
                "restore them (git checkout) and grade the rest in a sandbox (docs/instructors.md)."
            )
        graded.append(outcome)
    return graded


def collect(folder: Path, course: Course, *, shared: bool = False, progress=print, **options) -> list[dict]:
    """Grade every learner under ``folder``; one row (a dict) per learner, as :func:`write_csv` writes them."""
    submissions = read_submissions(folder, set(course.sheets))
    rows = []
    with grading_backend(shared) as backend:
        for submission in submissions:
            graded = grade_submission(submission, course, backend, folder, **options)
            for outcome in graded:
                if outcome.seconds:
                    progress(f"{submission.learner}/{outcome.sheet}: graded in {outcome.seconds:.1f} s")
            rows.append(_row(submission, graded))
    return rows


def _row(submission: Submission, graded: list[Graded]) -> dict:
    row: dict = {"learner": submission.learner}
    results = [result for outcome in graded for result in outcome.results]
    for result in results:
        row[result.exercise] = "" if result.status == NOT_GRADED else int(result.status == PASS)
    count = {status: sum(r.status == status for r in results) for status in (PASS, "fail", "todo", "skip", NOT_GRADED)}
    row.update(
        passed=count[PASS],
        failed=count["fail"],
        not_done=count["todo"],
        skipped=count["skip"],
        not_graded=count[NOT_GRADED],
        total=len(results),
        percent=round(100 * count[PASS] / len(results), 1) if results else 0.0,
    )
    notes = list(submission.notes)
    for outcome in graded:
        ungraded = [r for r in outcome.results if r.status == NOT_GRADED]
        reasons = sorted({r.detail for r in ungraded})
        if ungraded:
            notes.append(f"{outcome.sheet}: {len(ungraded)} not graded ({'; '.join(reasons)})")
        notes += [f"{outcome.sheet}: {note}" for note in outcome.notes if note not in reasons]
    row["notes"] = " | ".join(notes)
    return row


def write_csv(rows: list[dict], course: Course, path: Path) -> None:
    """Write the gradebook: a row per learner, a column per exercise (1 passes, 0 does not, empty: not graded)."""
    columns = ["learner", *(exercise for exercise, _title in course.exercises())]
    columns += ["passed", "failed", "not_done", "skipped", "not_graded", "total", "percent", "notes"]
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    shutil.move(temporary, path)
