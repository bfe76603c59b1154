"""Reading learners' submissions into memory: one folder or zip per learner, never trusted.

``progress --collect DIR`` reads every learner's sheets into memory before any
of them runs, so a sheet that deletes files cannot touch another learner's
work, and nothing from a zip is ever extracted to disk (no path traversal):

- only files named like a course sheet (``01_messages_and_roles.ipynb``) are
  taken, by their base name, wherever they sit in the folder or zip;
- symbolic links are not followed; a member whose path is absolute or climbs
  out with ``..`` is skipped and noted;
- a zip with too many members, or a sheet larger than :data:`MAX_SHEET_BYTES`
  once decompressed (whatever its header claims: a zip bomb), is refused and
  noted.

>>> import io, zipfile
>>> data = io.BytesIO()
>>> with zipfile.ZipFile(data, "w") as archive:
...     archive.writestr("../../etc/01_a.ipynb", "{}")
...     archive.writestr("alice/01_a.ipynb", "{}")
>>> sheets, notes = read_zip(data, {"01_a.ipynb"})
>>> sorted(sheets), notes
(['01_a.ipynb'], ['skipped ../../etc/01_a.ipynb: its path leaves the archive'])

Used in: course_helpers/course/gradebook.py
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["MAX_SHEET_BYTES", "Submission", "fingerprint", "read_folder", "read_submissions", "read_zip"]

MAX_SHEET_BYTES = 20 * 1024 * 1024  # a sheet with plots is well under 5 MB
MAX_MEMBERS = 2000
MAX_ZIP_BYTES = 200 * 1024 * 1024  # what one learner's zip may decompress to, all sheets together


@dataclass
class Submission:
    """One learner's sheets (name -> bytes) and what reading them noticed."""

    learner: str
    sheets: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _take(name: str, data: bytes, sheets: dict[str, bytes], notes: list[str]) -> None:
    if name in sheets:
        notes.append(f"two files named {name}: graded the first")
    else:
        sheets[name] = data


def read_zip(source, wanted: set[str]) -> tuple[dict[str, bytes], list[str]]:
    """The sheets named in ``wanted`` from a zip file (a path or a file object), and notes on what was skipped."""
    sheets: dict[str, bytes] = {}
    notes: list[str] = []
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        return {}, [f"not a readable zip ({error})"]
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            return {}, [f"the zip has {len(members)} members (more than {MAX_MEMBERS}): not opened"]
        total = 0
        for member in members:
            path = PurePosixPath(member.filename.replace("\\", "/"))
            if member.is_dir() or path.name not in wanted:
                continue
            if path.is_absolute() or ".." in path.parts:
                notes.append(f"skipped {member.filename}: its path leaves the archive")
                continue
            try:
                with archive.open(member) as stream:
                    data = stream.read(MAX_SHEET_BYTES + 1)  # the real size, whatever the header says
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as error:  # RuntimeError: encrypted
                notes.append(f"could not read {member.filename} ({type(error).__name__}: {error})")
                continue
            if len(data) > MAX_SHEET_BYTES:
                notes.append(f"skipped {member.filename}: larger than {MAX_SHEET_BYTES // 2**20} MB uncompressed")
                continue
            total += len(data)
            if total > MAX_ZIP_BYTES:
                notes.append(f"stopped reading the zip: more than {MAX_ZIP_BYTES // 2**20} MB uncompressed")
                break
            _take(path.name, data, sheets, notes)
    return sheets, notes


def read_folder(folder: Path, wanted: set[str]) -> tuple[dict[str, bytes], list[str]]:
    """The sheets named in ``wanted`` anywhere under ``folder`` (symbolic links are not followed)."""
    sheets: dict[str, bytes] = {}
    notes: list[str] = []
    for root, folders, files in os.walk(folder):  # os.walk does not follow links to folders
        folders.sort()
        for name in sorted(files):
            path = Path(root) / name
            if name not in wanted:
                continue
            if path.is_symlink():
                notes.append(f"skipped {path.relative_to(folder)}: a symbolic link")
                continue
            if path.stat().st_size > MAX_SHEET_BYTES:
                notes.append(f"skipped {path.relative_to(folder)}: larger than {MAX_SHEET_BYTES // 2**20} MB")
                continue
            _take(name, path.read_bytes(), sheets, notes)
    return sheets, notes


def read_submissions(folder: Path, wanted: set[str]) -> list[Submission]:
    """One :class:`Submission` per learner: each sub-folder of ``folder`` and each ``*.zip`` in it, by name."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            found.append(Submission(entry.name, notes=["a symbolic link: not read"]))
        elif entry.is_dir():
            found.append(Submission(entry.name, *read_folder(entry, wanted)))
        elif entry.suffix.lower() == ".zip":
            found.append(Submission(entry.stem, *read_zip(entry, wanted)))
    return found


def fingerprint(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time: compared to notice changes."""
    seen = {}
    for root, _folders, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            try:
                stat = path.lstat()
            except FileNotFoundError:  # removed while we walked
                continue
            seen[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return seen
