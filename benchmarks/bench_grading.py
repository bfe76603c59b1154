"""Benchmark grading: seconds per sheet, with one shared local server or one server per kernel.

Grades the course's own sheets as ``progress --collect`` grades a learner's:
each lesson's solution (every exercise done: the model is asked as often as a
finished sheet asks it) and its exercise sheet (nothing done: kernel start,
imports and ``setup()`` only), each in a worker process and a fresh kernel.
It does so twice:

- ``shared``: one built-in server for the whole run, started once here
  (``gradebook.collect(..., shared=True)``): its start (loading the model) is
  paid once and printed apart, and each kernel reaches it as a ``server``
  backend (so its ``setup()`` and checks probe the server's endpoints);
- ``kernel``: no shared server; each kernel's ``setup()`` starts its own, as on
  a learner's machine (what ``progress`` does by default): each one maps the
  model's weights and warms up.

It prints each sheet's time and verdict counts, the mean per sheet in each
mode, and checks that every solution passes and every stub is "not done"
(a verdict that differs is printed: grading would be wrong).

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--lessons 00 01] [--modes shared kernel]

Figures are printed, not asserted: timings on a shared machine are noisy
(the machine's load average is printed next to them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter

from course_helpers.course.gradebook import Course, grade_sheet, grading_backend


def _run(course: Course, shared: bool, timeout: int) -> list[float]:
    started = time.monotonic()
    times = []
    with grading_backend(shared) as backend:
        if shared:
            print(f"  shared server started in {time.monotonic() - started:.1f} s", flush=True)
        for name in course.sheets:
            for folder, expected in (("solutions", "pass"), ("exercises", "todo")):
                data = (course.root / folder / name).read_bytes()
                graded = grade_sheet(data, name, course, backend, cell_timeout=timeout)
                times.append(graded.seconds)
                counts = Counter(result.status for result in graded.results)
                print(f"  {folder}/{name}: {graded.seconds:6.1f} s  {dict(counts)}", flush=True)
                for result in graded.results:
                    if result.status != expected:
                        print(f"    {result.exercise} {result.status} (expected {expected}): {result.detail}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", nargs="+", default=["00", "01"])
    parser.add_argument("--modes", nargs="+", choices=["shared", "kernel"], default=["shared", "kernel"])
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args()
    course = Course.load(lessons=args.lessons)
    print(f"lessons {', '.join(args.lessons)}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for mode in args.modes:
        print(f"{mode}:", flush=True)
        started = time.monotonic()
        times = _run(course, mode == "shared", args.timeout)
        print(
            f"{mode}: {len(times)} sheets in {time.monotonic() - started:.0f} s, "
            f"mean {statistics.mean(times):.1f} s per sheet (load average now {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
