"""Where the course's folders are: the repository root and its notebook folders.

The root is the nearest folder, from the current one upward, that holds both
``solutions/`` and ``exercises/``; failing that, the folder this package was
installed from (``pip install -e .`` keeps it in the repository).

>>> (course_root() / "course_helpers").is_dir() or (course_root() / "solutions").is_dir()
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["course_root"]


def course_root(start: str | os.PathLike | None = None) -> Path:
    """The course repository's root folder (see the module docstring for how it is found)."""
    folder = Path(start or os.getcwd()).resolve()
    for candidate in [folder, *folder.parents]:
        if (candidate / "solutions").is_dir() and (candidate / "exercises").is_dir():
            return candidate
    return Path(__file__).resolve().parents[2]
