"""A room's learner keys: a CSV file of ``name,key`` rows, reread when it changes.

``serve --learners FILE`` gives every learner their own key. The server
looks keys up in a :class:`Roster`, which rereads the file whenever its
modification time or size changed (checked on every lookup: one ``stat``),
or when :meth:`Roster.reload` is called (``serve`` does on SIGHUP). Removing
a learner's row revokes their key at once; the others keep working. A file
that cannot be read or parsed keeps the previous keys (and says so in the log).

Keys are never logged or printed by the server: only names.

>>> rows = new_learners(2)
>>> [name for name, _ in rows], all(key.startswith("sk-room-") for _, key in rows)
(['learner01', 'learner02'], True)
>>> parse_learners("name,key\\nada,sk-room-abc\\n")
{'sk-room-abc': 'ada'}

Used in: course_helpers/local/server/room.py, ``python -m course_helpers learners new``
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import TextIO

__all__ = ["KEY_PREFIX", "Roster", "new_learners", "parse_learners", "write_learners"]

KEY_PREFIX = "sk-room-"
# Letters and digits that cannot be misread on paper (no 0/O, 1/l/I).
_KEY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_KEY_LENGTH = 24  # 31**24: about 119 bits

_log = logging.getLogger(__name__)


def new_learners(count: int, prefix: str = "learner") -> list[tuple[str, str]]:
    """``count`` (name, key) pairs with fresh random keys from :mod:`secrets`."""
    width = max(2, len(str(count)))
    return [
        (f"{prefix}{number:0{width}d}", KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_KEY_LENGTH)))
        for number in range(1, count + 1)
    ]


def write_learners(rows: list[tuple[str, str]], out: TextIO) -> None:
    """Write ``rows`` as the CSV ``serve --learners`` reads (with its ``name,key`` header)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "key"])
    writer.writerows(rows)


def parse_learners(text: str) -> dict[str, str]:
    """key -> name from the CSV text; raises ValueError (naming the line, never the key) if malformed."""
    keys: dict[str, str] = {}
    names: set[str] = set()
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line_number == 1 and [cell.lower() for cell in cells[:2]] == ["name", "key"]:
            continue
        if len(cells) != 2 or not all(cells):
            raise ValueError(f"line {line_number}: expected two cells, name,key")
        name, key = cells
        if key in keys:
            raise ValueError(f"line {line_number}: {name}'s key is also {keys[key]}'s")
        if name in names:
            raise ValueError(f"line {line_number}: the name {name!r} appears twice")
        keys[key] = name
        names.add(name)
    return keys


class Roster:
    """The learners' keys from ``path``, always as the file is now (see the module)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._keys: dict[str, str] = {}
        self._seen: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.reload(strict=True)

    def _signature(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def reload(self, strict: bool = False) -> None:
        """Reread the file now. ``strict``: raise ValueError if it cannot be read (at startup)."""
        with self._lock:
            signature = self._signature()
            try:
                keys = parse_learners(self.path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, ValueError) as error:
                if strict:
                    raise ValueError(f"Cannot read the learners file {self.path}: {error}") from None
                _log.warning(
                    "learners file %s unreadable (%s); keeping the previous %d keys", self.path, error, len(self._keys)
                )
                self._seen = signature
                return
            if self._seen is not None and keys.keys() != self._keys.keys():
                _log.info("learners file %s reread: %d learners", self.path, len(keys))
            self._keys, self._seen = keys, signature

    def name_for(self, key: str) -> str | None:
        """The learner whose key this is, or None (after rereading the file if it changed)."""
        if self._signature() != self._seen:
            self.reload()
        for known, name in self._keys.items():  # compare every key in constant time
            if secrets.compare_digest(known.encode(), key.encode()):
                return name
        return None

    @property
    def names(self) -> list[str]:
        """The learners' names, in the file's order."""
        return list(self._keys.values())
