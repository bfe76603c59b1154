"""When OpenAI shuts a model down, read from the installed openai SDK's own type files.

The SDK's generated types end each list of model names with a "Deprecated
values" docstring, one entry per group of names::

    - "gpt-4o-mini", "gpt-4o-mini-2024-07-18": Announced shutdown date: 2027-01-14. See ...
    - "gpt-image-1": GPT Image 1 was shut down on October 23, 2026. Use ...

:func:`shutdown_dates` reads every such docstring under ``openai/types`` that
documents a model (the string after a ``model`` field or a ``...Model`` type
alias), so the dates follow the SDK the learner has installed instead of a
copy in this course that would go stale. Entries without a date ("Not a
supported model ID") are left out.

>>> import datetime
>>> shutdown_dates()["o4-mini"]
datetime.date(2026, 10, 23)
>>> is_shut_down("o4-mini", today=datetime.date(2026, 12, 4)), is_shut_down("my-local-model")
(True, False)

Used in: course_helpers/local/server/protocol/profiles.py (the local server's 404 for a shut-down model)
"""

from __future__ import annotations

import ast
import datetime
import functools
import re
from pathlib import Path

__all__ = [
    "deprecation_docstrings",
    "is_shut_down",
    "parse_deprecated_values",
    "shutdown_dates",
]

_MARKER = "Deprecated values:"
_ISO_DATE = re.compile(r"Announced shutdown date: (\d{4}-\d{2}-\d{2})")
_PROSE_DATE = re.compile(r"(?:was shut down|was retired) on ([A-Z][a-z]+ \d{1,2}, \d{4})")
_ENTRY_START = re.compile(r'^\s*- "')  # an entry's first line; its names and text may wrap onto the next ones
_ENTRY = re.compile(r'- ((?:"[^"]+",?\s*)+):(.*)')


def _types_folder() -> Path:
    import openai

    return Path(openai.__file__).parent / "types"


def _names_a_model(target: ast.expr) -> bool:
    """``model: ...`` in a params class or ``ChatModel: TypeAlias = ...``: a docstring about model names."""
    name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
    return "model" in name.lower()


def deprecation_docstrings(source: str) -> list[str]:
    """The "Deprecated values" docstrings of ``source`` (a module's text) that document model names.

    >>> deprecation_docstrings('model: str\\n\\"\\"\\"Deprecated values:\\n\\n- \\"m\\": Gone.\\n\\"\\"\\"')
    ['Deprecated values:\\n\\n- "m": Gone.\\n']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement, following in zip(body, body[1:]):
            target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            is_string = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            docstring = following.value.value if is_string else None
            if target is not None and isinstance(docstring, str) and _MARKER in docstring and _names_a_model(target):
                found.append(docstring[docstring.index(_MARKER) :])
    return found


def parse_deprecated_values(docstring: str) -> dict[str, datetime.date]:
    """Each model name of one "Deprecated values" docstring and its shutdown date.

    >>> parse_deprecated_values('''Deprecated values:
    ... - "gpt-5", "gpt-5-mini": Announced shutdown
    ...   date: 2026-12-11. See https://developers.openai.com/api/docs/deprecations.
    ... - "gpt-5.1-mini": Not a supported model ID. Retained for SDK compatibility.
    ... - "dall-e-2": This model was retired on May 12, 2026. Use a GPT image model instead.''')
    {'gpt-5': datetime.date(2026, 12, 11), 'gpt-5-mini': datetime.date(2026, 12, 11), 'dall-e-2': datetime.date(2026, 5, 12)}
    """
    entries: list[str] = []
    for line in docstring.splitlines():
        if _ENTRY_START.match(line):
            entries.append(line.strip())
        elif entries and line.strip():
            entries[-1] += " " + line.strip()
    dates = {}
    for entry in entries:
        match = _ENTRY.fullmatch(entry)
        day = _entry_date(match.group(2)) if match else None
        if match and day is not None:
            dates.update(dict.fromkeys(re.findall(r'"([^"]+)"', match.group(1)), day))
    return dates


def _entry_date(text: str) -> datetime.date | None:
    if match := _ISO_DATE.search(text):
        return datetime.date.fromisoformat(match.group(1))
    if match := _PROSE_DATE.search(text):
        return datetime.datetime.strptime(match.group(1), "%B %d, %Y").date()
    return None


@functools.cache
def shutdown_dates() -> dict[str, datetime.date]:
    """Every model the installed SDK marks deprecated with a date, and the date it shuts (or shut) down.

    Read once per process (about 40 of the SDK's files mention deprecated values;
    only those are parsed) and cached: treat the result as read-only. Where
    two files disagree on a name, the earlier date wins.

    >>> shutdown_dates()["gpt-4o-mini"]
    datetime.date(2027, 1, 14)
    """
    dates: dict[str, datetime.date] = {}
    for path in sorted(_types_folder().rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if _MARKER not in source:
            continue
        for docstring in deprecation_docstrings(source):
            for name, day in parse_deprecated_values(docstring).items():
                dates[name] = min(day, dates.get(name, day))
    return dates


def is_shut_down(model: str, today: datetime.date | None = None) -> bool:
    """Whether OpenAI's announced shutdown date of ``model`` is past (``today``: the date to judge on).

    The date must be past: on the announced day itself the model still counts as served.

    >>> is_shut_down("gpt-5", today=datetime.date(2026, 12, 11)), is_shut_down("gpt-5", today=datetime.date(2026, 12, 12))
    (False, True)
    """
    shutdown = shutdown_dates().get(model)
    return shutdown is not None and (today or datetime.date.today()) > shutdown
