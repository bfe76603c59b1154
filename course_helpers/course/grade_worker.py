"""Run one prepared sheet in a fresh kernel: ``python -m course_helpers.course.grade_worker IN OUT --timeout S``.

The gradebook (:mod:`.gradebook`) starts this as a process of its own, in the
learner's temporary folder, with its own ``HOME`` and environment, so a sheet
that exits, crashes its kernel or loops costs this process only. It:

- caps the size of any file the kernel writes and turns core dumps off;
- writes the kernel's process id to ``OUT.pid`` as soon as the kernel runs
  (the gradebook kills that process group when this one runs past its time);
- runs the cells one by one with a time limit per cell: a cell past its time
  is interrupted and marked, and the next cells still run;
- stops at a dead kernel (``os._exit``, a segfault), or when the cell after an
  interrupted one runs past its time too (the interrupt did not stop it), and
  records the cell and why;
- writes ``{"notebook": ..., "stopped_at": ..., "why": ...}`` to ``OUT``;
- with ``--lifeline FD`` (a pipe's read end whose write end only the
  gradebook holds), kills its kernel's process group, removes the sheet's
  temporary folder and exits as soon as that pipe ends: the gradebook is
  gone, even killed with SIGKILL, which no cleanup of its own survives. (A
  watch of the parent's pid would work on POSIX too; a pipe needs no polling
  and no Linux-only ``prctl``.)

Used in: course_helpers/course/gradebook.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import nbformat

from .grading import TIMED_OUT
from .notebooks import client_options

__all__ = ["main"]

MAX_FILE_BYTES = 256 * 1024 * 1024  # a kernel writing more than this to one file gets SIGXFSZ
ORPHANED = 70  # exit status when the gradebook went away mid-sheet
_kernel_pid: int | None = None  # the running kernel's process id (its own process group)


def _die_with_the_gradebook(lifeline: int, scratch: Path) -> None:
    """Wait until the gradebook's end of ``lifeline`` closes, then kill the kernel's group, remove ``scratch``, exit."""
    with contextlib.suppress(OSError):
        while os.read(lifeline, 1):  # the gradebook never writes: only its end closing ends the wait
            pass
    if _kernel_pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(_kernel_pid, signal.SIGKILL)
    # the gradebook's temporary folder for this sheet (the learner's copy, the result): nobody else will remove it
    shutil.rmtree(scratch, ignore_errors=True)  # best effort: whatever cannot go, the OS's temp cleaning takes
    os._exit(ORPHANED)


def _limit_resources() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = MAX_FILE_BYTES if hard == resource.RLIM_INFINITY else min(MAX_FILE_BYTES, hard)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))


def _client(nb: nbformat.NotebookNode, timeout: int):
    from nbclient import NotebookClient

    class MarkingTimeouts(NotebookClient):
        """Marks a cell that ran past its time (the kernel is interrupted and the next cell runs)."""

        async def _async_handle_timeout(self, timeout, cell=None):
            if cell is not None:
                cell.metadata[TIMED_OUT] = True
            return await super()._async_handle_timeout(timeout, cell)

    return MarkingTimeouts(
        nb,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": f"the cell ran past {timeout} s", "traceback": []},
        shutdown_kernel="immediate",  # the gradebook kills what is left anyway
        **client_options(os.getcwd(), timeout),
    )


def _first_line(cell) -> str:
    line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return line if len(line) <= 60 else line[:59] + "…"


def run(notebook: Path, result: Path, timeout: int) -> None:
    """Execute ``notebook`` cell by cell (see the module docstring); write the outcome to ``result``."""
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(str(notebook), as_version=4)
    client = _client(nb, timeout)
    stopped_at, why, previous, previous_timed_out = None, None, None, False
    global _kernel_pid
    with client.setup_kernel():
        _kernel_pid = client.km.provisioner.pid
        Path(f"{result}.pid").write_text(str(_kernel_pid))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                stopped_at, why = index, f"the kernel died in the cell starting `{_first_line(cell)}`"
                break
            timed_out = bool(cell.metadata.get(TIMED_OUT))
            if timed_out and previous_timed_out:  # the interrupt did not stop the cell before
                stopped_at, why = (
                    index - 1,
                    f"the cell starting `{_first_line(previous)}` kept running after an interrupt",
                )
                break
            previous, previous_timed_out = cell, timed_out
    temporary = result.with_suffix(".part")
    temporary.write_text(json.dumps({"notebook": nb, "stopped_at": stopped_at, "why": why}))
    temporary.replace(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_helpers.course.grade_worker")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per cell")
    parser.add_argument("--lifeline", type=int, default=None, help="a pipe's read end: exit when it ends")
    args = parser.parse_args(argv)
    if args.lifeline is not None:
        scratch = args.result.resolve().parent  # the gradebook's temporary folder for this sheet
        threading.Thread(target=_die_with_the_gradebook, args=(args.lifeline, scratch), daemon=True).start()
    _limit_resources()
    run(args.notebook, args.result, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
