"""Aging models: which files of the course name a model whose shutdown is past or near.

OpenAI announces a shutdown date for each model it retires (the SDK lists them
in its "Deprecated values" docstrings). A lesson that still names such a model
stops working on that day. :func:`findings` scans files for model names as whole
tokens (``gpt-4o`` is not found inside ``gpt-4o-mini``; a dated snapshot such as
``gpt-4o-mini-2024-07-18`` counts as its model) and reports every one that shuts
down within ``horizon_days``, with OpenAI's replacement when it is known.

The shutdown dates are passed in (``{model: date}``), so the scan does not depend
on where they come from; ``python -m course_helpers aging`` takes them from the
installed SDK through ``course_helpers.course.model_ages``.

Notebooks are scanned in their cells' sources and in their stored outputs: an
output is what a learner reads first (``setup()``'s line, a printed ``response.model``),
and it goes stale with the code that made it.

A line that contains ``aging: allow`` is skipped: for code that must name an old
model on purpose (history in a lesson). A few files are skipped whole: this one,
``model_ages.py`` and the local server's model-profile tables, which name every old
model to answer it as OpenAI does.

>>> from datetime import date
>>> scan_text("model='gpt-4o-mini' # not gpt-4o-mini-tts", {"gpt-4o-mini": date(2027, 1, 14)})
[(1, 'gpt-4o-mini')]

Used in: CI (the course's own upkeep), and ``python -m course_helpers aging``
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

__all__ = [
    "ALLOW_MARKER",
    "DEFAULT_PATHS",
    "REPLACEMENTS",
    "Finding",
    "Replacement",
    "findings",
    "replacement_of",
    "report",
    "scan_text",
]

#: What the scan reads, relative to the course's root: lessons, solutions, exercise sheets, helpers, docs.
DEFAULT_PATHS = ("notebooks", "solutions", "exercises", "course_helpers", "docs", "README.md", ".env.example")
#: A line holding this text is not reported.
ALLOW_MARKER = "aging: allow"
_SUFFIXES = (".py", ".md", ".ipynb")
# Files that name old models on purpose, in whole: this file's replacement table, model_ages.py's SDK
# examples, and the local server's model-profile tables (they answer each old model as OpenAI does, 404 after its
# shutdown, so they must name it).
_PACKAGE = Path(__file__).resolve().parent.parent  # course_helpers/
_DELIBERATE = {
    _PACKAGE / "course" / "aging.py",
    _PACKAGE / "course" / "model_ages.py",
    _PACKAGE / "local" / "server" / "protocol" / "profiles.py",
    _PACKAGE / "local" / "server" / "protocol" / "audio_profiles.py",
}
_SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints", "my_work"}

# A model-name-shaped token: letters, digits, dots, dashes. Neighbouring quotes, spaces, `=`, `/`, `(` end it.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The date at the end of a snapshot's name: -2024-08-06, or -MMDD in older names (-0613).
_SNAPSHOT_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2}|(0[1-9]|1[0-2])\d{2})$")

_DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
# gpt-4o-mini -> gpt-6-luna: dev.to/max_bob (checked against GET /v1/models), dev.to/importstatic, codersera.com,
# github.com/orgs/cometapi-dev/discussions/151, all third-party copies of the deprecations page; the official
# row was cut off in every copy read. gpt-4o and gpt-4.1: gpt-6-luna on the first three, gpt-6.1-sol on cometapi.
_THIRD_PARTY = "third-party copies of the deprecations page agree"
_GPT_4O_CONFLICT = "sources conflict: gpt-6-luna or gpt-6.1-sol"
_NOT_FOUND = "not in the sources read on 2026-12-04"


@dataclass(frozen=True)
class Replacement:
    """OpenAI's recommended replacement for a model (None when unknown or disputed), and the source."""

    model: str | None
    source: str

    def __str__(self) -> str:
        return f"{self.model} ({self.source})" if self.model else f"unknown ({self.source}); see {_DEPRECATIONS}"


#: Replacements as gathered on 2026-12-04 from copies of the deprecations page (see the sources above).
REPLACEMENTS: dict[str, Replacement] = {
    "gpt-4o-mini": Replacement("gpt-6-luna", _THIRD_PARTY),
    "gpt-5": Replacement("gpt-6.1-sol", "official deprecations page, zh-Hans copy"),
    "gpt-5-mini": Replacement("gpt-6.1-terra", "official deprecations page, zh-Hans copy"),
    "gpt-4o": Replacement(None, _GPT_4O_CONFLICT),
    "gpt-4.1": Replacement(None, _GPT_4O_CONFLICT),
    "gpt-4.1-mini": Replacement(None, _NOT_FOUND),
    "o4-mini": Replacement(None, _NOT_FOUND),
    "o3": Replacement(None, _NOT_FOUND),
    # The SDK's own words (resources/audio/speech.py): "migrate to gpt-realtime-2.1-mini through the Realtime API"
    "tts-1": Replacement("gpt-realtime-2.1-mini (Realtime API)", "the openai SDK's Speech docstring"),
    "tts-1-hd": Replacement("gpt-realtime-2.1-mini (Realtime API)", "the openai SDK's Speech docstring"),
    "gpt-4o-mini-tts": Replacement("gpt-realtime-2.1-mini (Realtime API)", "the openai SDK's Speech docstring"),
    "whisper-1": Replacement("gpt-transcribe", "OpenAI's speech-to-text guide"),
    "gpt-4o-transcribe": Replacement("gpt-transcribe", "OpenAI's speech-to-text guide"),
    "gpt-4o-mini-transcribe": Replacement("gpt-transcribe", "OpenAI's speech-to-text guide"),
}


@dataclass(frozen=True)
class Finding:
    """A model named in a file, line by line, that shuts down by the horizon.

    For a notebook, ``cell`` is the cell's index and ``line`` the line in its source
    (or, when ``in_output``, in one of its stored outputs); otherwise the file's line.
    """

    file: str
    line: int
    model: str
    shutdown: date
    replacement: str
    cell: int | None = None
    in_output: bool = False

    def where(self) -> str:
        """``file:line``, or ``file:cell N[ output]:line`` for a notebook."""
        if self.cell is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:cell {self.cell}{' output' if self.in_output else ''}:{self.line}"


def _base_name(model: str) -> str:
    return _SNAPSHOT_DATE.sub("", model)


def replacement_of(model: str, replacements: Mapping[str, Replacement] = REPLACEMENTS) -> str:
    """The replacement of ``model`` (or of the model a dated snapshot belongs to), as text.

    >>> replacement_of("gpt-4o-mini-2024-07-18").split(" (")[0]
    'gpt-6-luna'
    >>> replacement_of("o1")
    'unknown; see https://developers.openai.com/api/docs/deprecations'
    """
    found = replacements.get(model) or replacements.get(_base_name(model))
    return str(found) if found else f"unknown; see {_DEPRECATIONS}"


def scan_text(text: str, dates: Mapping[str, date]) -> list[tuple[int, str]]:
    """``(line, model)`` for every model of ``dates`` named in ``text`` (each model once per line).

    Lines holding :data:`ALLOW_MARKER` are skipped.

    >>> dates = {"gpt-4o": date(2027, 1, 14), "o3": date(2026, 12, 11)}
    >>> scan_text("use gpt-4o.\\ngpt-4o-mini, o3-mini, gpt-4o-2024-08-06 and o3", dates)
    [(1, 'gpt-4o'), (2, 'gpt-4o-2024-08-06'), (2, 'o3')]
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW_MARKER in line:
            continue
        seen = set()
        for match in _TOKEN.finditer(line):
            token = match.group().rstrip("._-")
            if (token in dates or _base_name(token) in dates) and token not in seen:
                seen.add(token)
                found.append((number, token))
    return found


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path  # named explicitly (README.md, .env.example): read whatever its suffix
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                inside = child.relative_to(path).parts
                if child.is_file() and child.suffix in _SUFFIXES and not _SKIPPED_FOLDERS.intersection(inside):
                    yield child


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _notebook_texts(path: Path) -> Iterator[tuple[int, bool, str]]:
    """``(cell, in_output, text)`` for each cell's source and each of its shown outputs."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook.get("cells", [])):
        yield index, False, _text(cell.get("source", ""))
        for output in cell.get("outputs", []):
            if "text" in output:  # print(), stderr
                yield index, True, _text(output["text"])
            for kind in ("text/plain", "text/markdown", "text/html"):
                if kind in output.get("data", {}):
                    yield index, True, _text(output["data"][kind])
            if "traceback" in output:
                yield index, True, "\n".join(output["traceback"])


def findings(
    paths: Iterable[str | Path],
    dates: Mapping[str, date],
    today: date,
    horizon_days: int = 60,
    *,
    root: str | Path | None = None,
    replacements: Mapping[str, Replacement] = REPLACEMENTS,
) -> list[Finding]:
    """Every model in ``paths`` whose shutdown (from ``dates``) is before ``today + horizon_days``.

    ``paths`` are files or folders (searched for .py, .md and .ipynb files); a dated snapshot
    without its own date takes its model's. Files are named relative to ``root`` when given.
    """
    horizon = today + timedelta(days=horizon_days)
    due = {}
    for model, shutdown in dates.items():
        if shutdown <= horizon:
            due[model] = shutdown

    def shutdown_of(name: str) -> date:
        return due[name] if name in due else due[_base_name(name)]

    found = []
    for path in _files(Path(p) for p in paths):
        if path.resolve() in _DELIBERATE:
            continue
        name = path.relative_to(root).as_posix() if root else path.as_posix()
        if path.suffix == ".ipynb":
            for cell, in_output, text in _notebook_texts(path):
                for line, model in scan_text(text, due):
                    finding = Finding(name, line, model, shutdown_of(model), replacement_of(model, replacements))
                    found.append(_in_cell(finding, cell, in_output))
        else:
            for line, model in scan_text(path.read_text(encoding="utf-8", errors="replace"), due):
                found.append(Finding(name, line, model, shutdown_of(model), replacement_of(model, replacements)))
    return found


def _in_cell(finding: Finding, cell: int, in_output: bool) -> Finding:
    return Finding(finding.file, finding.line, finding.model, finding.shutdown, finding.replacement, cell, in_output)


def report(found: list[Finding], today: date) -> str:
    """The findings, one line each, then the count per file and per model.

    >>> f = Finding("notebooks/00.ipynb", 2, "gpt-4o-mini", date(2027, 1, 14), "gpt-6-luna", cell=3)
    >>> print(report([f], date(2026, 12, 4)))
    notebooks/00.ipynb:cell 3:2: gpt-4o-mini shuts down 2027-01-14 (in 41 days); replacement: gpt-6-luna
    <BLANKLINE>
    1 finding(s) in 1 file(s):
      1  notebooks/00.ipynb
    per model:
      1  gpt-4o-mini (shuts down 2027-01-14)
    """
    if not found:
        return "No model in these files shuts down within the horizon."
    lines = []
    for item in found:
        days = (item.shutdown - today).days
        when = f"in {days} days" if days > 0 else ("today" if days == 0 else f"{-days} days ago")
        lines.append(
            f"{item.where()}: {item.model} shuts down {item.shutdown.isoformat()} ({when}); "
            f"replacement: {item.replacement}"
        )
    per_file = Counter(item.file for item in found)
    per_model = Counter(item.model for item in found)
    shutdowns = {item.model: item.shutdown for item in found}
    lines += ["", f"{len(found)} finding(s) in {len(per_file)} file(s):"]
    lines += [f"{count:>3}  {name}" for name, count in sorted(per_file.items())]
    lines.append("per model:")
    lines += [
        f"{count:>3}  {model} (shuts down {shutdowns[model].isoformat()})"
        for model, count in sorted(per_model.items(), key=lambda item: (shutdowns[item[0]], item[0]))
    ]
    return "\n".join(lines)
