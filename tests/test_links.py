"""Links a learner clicks: every relative link in the README, the docs and the notebooks opens its target.

JupyterLab serves the folder it was started in; the README starts it at the
repository root (``jupyter lab notebooks/00_setup.ipynb``: a file, not a
folder), so a link works when its target exists inside the repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"")
_PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    + [path for folder in ("notebooks", "solutions", "exercises") for path in (ROOT / folder).glob("*.ipynb")]
)


def _text(path: Path) -> str:
    """What a reader sees as prose: a Markdown file, or a notebook's Markdown cells."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def relative_links(text: str) -> list[str]:
    """The targets of Markdown and HTML links that point into the repository (no anchors, no URLs).

    >>> relative_links("[a](../README.md#x) [b](https://x.org) <a href='#top'>c</a> [d](#here)")
    ['../README.md']
    """
    targets = [m.group(1) or m.group(2) for m in _LINK.finditer(text)]
    return [t.split("#")[0] for t in targets if not t.startswith(("http:", "https:", "mailto:", "#"))]


@pytest.mark.parametrize("page", _PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_opens_a_file_inside_the_repository(page):
    broken = []
    for target in relative_links(_text(page)):
        resolved = (page.parent / target).resolve()
        if not resolved.exists() or ROOT not in (resolved, *resolved.parents):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to what JupyterLab cannot open: {broken}"


def test_the_readme_starts_jupyterlab_at_the_repository_root():
    """``jupyter lab <folder>`` roots the file browser in that folder (links to ../ then fail); a file does not."""
    command = next(line for line in _text(ROOT / "README.md").splitlines() if "jupyter lab" in line)
    target = command.split("jupyter lab", 1)[1].split()[0]
    assert (ROOT / target).is_file(), f"the README starts JupyterLab on {target!r}: give it the first lesson's file"
