"""Your progress: which exercises of your sheets in ``my_work/`` pass, which fail, which are not done yet.

``python -m course_helpers progress`` prints it as a table; in a notebook,
``course_helpers.progress.show()`` draws it as a chart. Either way each sheet is
run from the top in a fresh kernel, on the built-in local model, with the
course's own checks (see :mod:`course_helpers.course.gradebook`): what you see
is what your sheet does now, not what its stored outputs say. A sheet that has
not changed since the last run is not run again (the results are kept in
``my_work/.progress.json``).

>>> from course_helpers.course.grading import Result
>>> from course_helpers.course.gradebook import Graded
>>> print(table([Graded("01_messages.ipynb", [Result("01.1", "a request", "pass"),
...                                          Result("01.2", "a history", "fail", "Message 2 has no 'role' key.")], 9.0)]))
sheet              ✅  ❌  ⏳  ⏭️  not graded
01_messages.ipynb   1   1   0   0           0
  ❌ 01.2 a history: Message 2 has no 'role' key.

Used in: README.md ("Your progress")
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from .course.grading import FAIL, NOT_GRADED, PASS, SKIP, TODO, Result

__all__ = ["grade", "show", "table"]

CACHE_FILE = ".progress.json"
_COLUMNS = ((PASS, "✅"), (FAIL, "❌"), (TODO, "⏳"), (SKIP, "⏭️"), (NOT_GRADED, "not graded"))


def _key(data: bytes, course_sheet) -> str:
    return hashlib.sha256(data + json.dumps(course_sheet, sort_keys=True).encode()).hexdigest()


def grade(folder: str | Path | None = None, *, cell_timeout: int | None = None, again: bool = False, say=print):
    """Grade every course sheet in ``folder`` (default ``my_work/``); return a list of ``Graded``, one per sheet.

    ``again`` runs every sheet even when it has not changed since the last run.
    """
    from .course.gradebook import CELL_TIMEOUT, Course, Graded, grade_sheet, grading_backend

    course = Course.load()
    folder = Path(folder) if folder else course.root / "my_work"
    cache_path = folder / CACHE_FILE
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() and not again else {}
    names = [name for name in course.sheets if (folder / name).is_file()]
    if not names:
        say(f"No exercise sheets in {folder}: run `python -m course_helpers start` to copy them there.")
        return []
    graded = []
    keys = {name: _key((folder / name).read_bytes(), course.sheets[name][0]) for name in names}
    to_run = [name for name in names if cache.get(name, {}).get("key") != keys[name]]
    backend: contextlib.AbstractContextManager[dict[str, str]] = (
        grading_backend() if to_run else contextlib.nullcontext({})
    )
    with backend as environment:
        for name in names:
            if name in to_run:
                say(f"Running {name} in a fresh kernel ...")
                outcome = grade_sheet(
                    (folder / name).read_bytes(), name, course, environment, cell_timeout=cell_timeout or CELL_TIMEOUT
                )
                cache[name] = {"key": keys[name], "results": [r.to_dict() for r in outcome.results]}
                graded.append(outcome)
            else:
                graded.append(Graded(name, [Result(**r) for r in cache[name]["results"]], 0.0))
    cache_path.write_text(json.dumps({name: cache[name] for name in names}, indent=1))
    return graded


def table(graded) -> str:
    """The terminal table: a row per sheet with its counts, then a line per failing or ungraded exercise."""
    width = max([len("sheet"), *(len(outcome.sheet) for outcome in graded)]) + 2
    lines = [f"{'sheet':<{width}}" + "  ".join(title for _status, title in _COLUMNS)]
    for outcome in graded:
        counts = [sum(r.status == status for r in outcome.results) for status, _title in _COLUMNS]
        cells = [f"{count:>{max(2, len(title))}}" for count, (_status, title) in zip(counts, _COLUMNS)]
        lines.append(f"{outcome.sheet:<{width}}" + "  ".join(cells).rstrip())
    for outcome in graded:
        for result in outcome.results:
            if result.status in (FAIL, NOT_GRADED):
                mark = "❌" if result.status == FAIL else "(not graded)"
                lines.append(f"  {mark} {result.exercise} {result.title}: {result.detail}")
    return "\n".join(lines)


def show(folder: str | Path | None = None, *, again: bool = False):
    """In a notebook: grade your sheets (unchanged ones are not run again), print the table, draw the chart."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    graded = grade(folder, again=again)
    if not graded:
        return None
    print(table(graded))
    colors = {PASS: "#2e7d32", FAIL: "#c62828", TODO: "#bdbdbd", SKIP: "#90caf9", NOT_GRADED: "#6d4c41"}
    labels = {PASS: "passes", FAIL: "fails", TODO: "not done", SKIP: "skipped here", NOT_GRADED: "not graded"}
    figure, axes = plt.subplots(figsize=(8, 0.5 * len(graded) + 1.6))
    names = [outcome.sheet.removesuffix(".ipynb") for outcome in graded]
    left = [0] * len(graded)
    for status, _title in _COLUMNS:
        counts = [sum(r.status == status for r in outcome.results) for outcome in graded]
        if any(counts):
            axes.barh(names, counts, left=left, color=colors[status], label=labels[status])
            left = [a + b for a, b in zip(left, counts)]
    axes.invert_yaxis()
    axes.set_xlabel("exercises")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Your exercises")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=5, fontsize="small", frameon=False)
    figure.tight_layout()
    return figure
