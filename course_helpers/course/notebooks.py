"""Notebook files: keep them clean, find their check cells, execute them in this environment.

A clean notebook has no execution timing, no editor state (collapsed or
scrolled flags, VS Code or Colab metadata, widget state) and no embedded
audio; its outputs stay, because nbval compares the check cells' outputs.
:func:`problems` lists what is not clean (a test runs it over every notebook),
:func:`clean` fixes it (``python -m course_helpers clean NOTEBOOK...``).

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")], metadata={"kernelspec": KERNELSPEC})
>>> nb.cells[0].metadata["scrolled"] = True
>>> problems(nb)
['cell 1: editor metadata scrolled']
>>> problems(clean(nb))
[]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

__all__ = [
    "CHECK_MARKER",
    "KERNELSPEC",
    "clean",
    "execute",
    "this_python_kernel",
    "client_options",
    "is_check_cell",
    "problems",
    "read",
    "write",
]

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
# Metadata worth keeping: cell tags (nbval and Jupyter read them) and slide types.
CELL_METADATA = {"tags", "slideshow"}
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
# The kernel every lesson runs on, named exactly as ipykernel installs it: a stored spec that differs
# ("Python 3") makes JupyterLab rewrite it on opening, and then ask to save a lesson nobody changed.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_AUDIO_HTML = re.compile(r"<audio|data:audio/", re.IGNORECASE)


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook (nbformat 4)."""
    return nbformat.read(str(path), as_version=4)


def write(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook the way Jupyter does (1-space indent, trailing newline)."""
    nbformat.write(nb, str(path))


def is_check_cell(cell) -> bool:
    """True for a code cell whose output nbval compares (it has ``# NBVAL_CHECK_OUTPUT``)."""
    return cell.cell_type == "code" and CHECK_MARKER in cell.source


def _is_audio(output) -> bool:
    data = output.get("data", {})
    return any(mime.startswith("audio/") for mime in data) or bool(_AUDIO_HTML.search(str(data.get("text/html", ""))))


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps ``nb`` from being clean, one readable line per problem (empty when clean)."""
    found = [f"notebook metadata {key}" for key in sorted(set(nb.metadata) - NOTEBOOK_METADATA)]
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        found.append(f"notebook metadata kernelspec is not {KERNELSPEC} (JupyterLab would ask to save it)")
    extra_language_info = set(nb.metadata.get("language_info", {})) - {"name"}
    if extra_language_info:
        found.append(f"notebook metadata language_info.{sorted(extra_language_info)[0]} (machine-specific)")
    for number, cell in enumerate(nb.cells, start=1):
        found += [f"cell {number}: editor metadata {key}" for key in sorted(set(cell.metadata) - CELL_METADATA)]
        if cell.cell_type != "code":
            continue
        if any(_is_audio(output) for output in cell.outputs):
            found.append(f"cell {number}: embedded audio in the outputs")
        if is_check_cell(cell) and (cell.execution_count is None or not cell.outputs):
            found.append(f"cell {number}: a check cell without stored output (nbval would not compare it)")
    return found


def clean(nb: nbformat.NotebookNode, *, drop_stderr: bool = False) -> nbformat.NotebookNode:
    """Remove timing, editor metadata and embedded audio from ``nb`` (in place); return it.

    ``drop_stderr`` also removes stderr output (warnings, progress bars), which
    is noise in a generated exercise sheet.
    """
    nb.metadata = nbformat.NotebookNode({k: v for k, v in nb.metadata.items() if k in NOTEBOOK_METADATA})
    nb.metadata.kernelspec = nbformat.NotebookNode(KERNELSPEC)
    if "language_info" in nb.metadata:
        nb.metadata.language_info = nbformat.NotebookNode({"name": nb.metadata.language_info.get("name", "python")})
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode({k: v for k, v in cell.metadata.items() if k in CELL_METADATA})
        if cell.cell_type == "code":
            cell.outputs = [
                output
                for output in cell.outputs
                if not _is_audio(output) and not (drop_stderr and output.get("name") == "stderr")
            ]
    return nb


def this_python_kernel():
    """A kernel manager class whose kernel is this environment's own Python (as nbval's ``--nbval-current-env``)."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = ipykernel.kernelspec.get_kernel_dict()
            spec["argv"][0] = sys.executable
            return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    class ThisPythonKernel(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=ThisPython(), **kwargs)

    return ThisPythonKernel


def execute(
    nb: nbformat.NotebookNode, folder: str | Path, timeout: int = 600, allow_errors: bool = False
) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a fresh kernel of this Python, in ``folder``; return it.

    The kernel is this environment's own Python (as nbval's
    ``--nbval-current-env``), whatever Jupyter kernels the machine has.
    Raises ``nbclient.exceptions.CellExecutionError`` if a cell fails, unless
    ``allow_errors`` (then the error is the cell's last output).
    """
    from nbclient import NotebookClient

    # nbclient creates (and so shuts down and closes) the kernel itself.
    NotebookClient(nb, allow_errors=allow_errors, **client_options(folder, timeout)).execute()
    return nb


def client_options(folder: str | Path, timeout: int) -> dict:
    """What every nbclient ``NotebookClient`` of the course is given: this Python's kernel, run in ``folder``.

    No timing nor widget state is written into the notebook (a learner's sheet stays as they saved it).
    """
    return {
        "kernel_manager_class": this_python_kernel(),
        "kernel_name": "python3",
        "timeout": timeout,
        "record_timing": False,
        "store_widget_state": False,
        "resources": {"metadata": {"path": str(folder)}},
    }
