"""``python -m course_helpers start``: copy the exercise sheets into ``my_work/``.

``my_work/`` is git-ignored, so pulling course updates never touches the
learner's answers, and ``start`` never overwrites a sheet already there: run it
again after an update and it copies only the new sheets.

Used in: README.md ("Working on the exercises")
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .paths import course_root

__all__ = ["StartReport", "start"]


@dataclass
class StartReport:
    """What :func:`start` did: the sheets it copied and the ones it kept as they were."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"Your exercise folder: {self.folder}"]
        lines += [f"  copied {name}" for name in self.copied]
        lines += [f"  kept   {name} (yours, not overwritten)" for name in self.kept]
        if not self.copied and not self.kept:
            lines.append("  (there are no exercise sheets yet)")
        return "\n".join(lines)


def start(destination: str | Path | None = None, source: str | Path | None = None) -> StartReport:
    """Copy every ``exercises/*.ipynb`` into ``destination`` (default ``my_work/`` at the course root).

    Files that already exist there are kept untouched.
    """
    root = course_root()
    source = Path(source) if source else root / "exercises"
    folder = Path(destination) if destination else root / "my_work"
    folder.mkdir(parents=True, exist_ok=True)
    report = StartReport(folder=folder.resolve())
    for sheet in sorted(source.glob("*.ipynb")):
        target = folder / sheet.name
        if target.exists():
            report.kept.append(sheet.name)
        else:
            shutil.copy2(sheet, target)
            report.copied.append(sheet.name)
    return report
