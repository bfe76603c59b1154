"""Per-learner usage: requests, prompt and completion tokens, errors, rate-limited requests.

The room middleware (:mod:`.room`) counts every keyed request of a learner
here; tokens come from the reply's ``usage`` (JSON or the stream's last
usage), or from the local engine's own counts when a stream carried none
(:class:`Meter`). ``GET /course/usage`` and ``python -m course_helpers usage``
show :meth:`Usage.rows`; ``serve`` logs :meth:`Usage.summary` at shutdown and
on SIGUSR1. Names only, never keys.

>>> usage = Usage()
>>> usage.record("ada", prompt_tokens=12, completion_tokens=30, error=False)
>>> usage.record("ada", prompt_tokens=0, completion_tokens=0, error=True)
>>> print(usage.summary())
usage: ada requests=2 prompt_tokens=12 completion_tokens=30 errors=1 rate_limited=0
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["LearnerUsage", "Meter", "Usage", "format_table", "tokens_of"]


@dataclass
class LearnerUsage:
    """One learner's counts since the server started."""

    name: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: int = 0
    rate_limited: int = 0


class Usage:
    """Every learner's counts (thread-safe; the room's names listed even before their first request)."""

    def __init__(self) -> None:
        self._by_name: dict[str, LearnerUsage] = {}
        self._lock = threading.Lock()

    def _of(self, name: str) -> LearnerUsage:
        return self._by_name.setdefault(name, LearnerUsage(name))

    def record(self, name: str, *, prompt_tokens: int, completion_tokens: int, error: bool) -> None:
        """Count one answered request."""
        with self._lock:
            entry = self._of(name)
            entry.requests += 1
            entry.prompt_tokens += prompt_tokens
            entry.completion_tokens += completion_tokens
            entry.errors += int(error)

    def record_rate_limited(self, name: str) -> None:
        """Count one request refused by the rate limit (a 429: also an error)."""
        with self._lock:
            entry = self._of(name)
            entry.requests += 1
            entry.errors += 1
            entry.rate_limited += 1

    def rows(self, names: Sequence[str] = ()) -> list[dict[str, Any]]:
        """One dict per learner: ``names`` first (the roster, zeros for the quiet ones), then any other."""
        with self._lock:
            listed = list(dict.fromkeys([*names, *self._by_name]))
            return [asdict(self._by_name.get(name, LearnerUsage(name))) for name in listed]

    def summary(self, names: Sequence[str] = ()) -> str:
        """One log line per learner."""
        rows = self.rows(names)
        if not rows:
            return "usage: no learner requests yet"
        return "\n".join(
            "usage: " + row["name"] + "".join(f" {field}={value}" for field, value in row.items() if field != "name")
            for row in rows
        )


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table (``python -m course_helpers usage``)."""
    headers = ["name", "requests", "prompt_tokens", "completion_tokens", "errors", "rate_limited"]
    cells = [headers] + [[str(row.get(header, "")) for header in headers] for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths))
        )
        for line in cells
    )


def tokens_of(usage: Any) -> tuple[int, int] | None:
    """(prompt, completion) tokens of a Chat (prompt/completion) or Responses (input/output) usage object."""
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens", 0))
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return prompt, completion


class Meter:
    """One request's tokens and whether it failed, filled while it is answered (see :mod:`.room`)."""

    def __init__(self) -> None:
        self.tokens: tuple[int, int] | None = None
        self.failed = False
        self._pending = b""

    def engine_counted(self, prompt_tokens: int, completion_tokens: int) -> None:
        """The local engine's counts, used when the reply itself carried no usage."""
        if self.tokens is None:
            self.tokens = (prompt_tokens, completion_tokens)

    def read_json(self, body: bytes) -> None:
        """A JSON reply: its top-level ``usage``."""
        try:
            found = tokens_of(json.loads(body).get("usage"))
        except (ValueError, AttributeError):
            return
        if found is not None:
            self.tokens = found

    def take_usage_chunk(self, events: bytes) -> bytes:
        """Whole chat stream events without the usage-only chunk (``choices: []``), whose usage is kept here.

        For a stream the learner did not ask usage for, which the room asked the engine for anyway.

        >>> meter = Meter()
        >>> meter.take_usage_chunk(b'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7}}\\n\\n')
        b''
        >>> meter.tokens
        (5, 7)
        """
        kept = []
        for event in events.split(b"\n\n"):
            data = event.strip()
            if data.startswith(b"data:") and b'"usage"' in data:
                try:
                    chunk = json.loads(data[5:])
                except ValueError:
                    chunk = None
                if isinstance(chunk, dict) and chunk.get("choices") == [] and (found := tokens_of(chunk.get("usage"))):
                    self.tokens = found
                    continue
            kept.append(event)
        return b"\n\n".join(kept)

    def read_stream(self, piece: bytes) -> None:
        """Part of an event stream: the last usage any event carries; an error event marks a failure."""
        data = self._pending + piece
        lines = data.split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            if not line.startswith(b"data:") or (b'"usage"' not in line and b'"error"' not in line):
                continue
            try:
                event = json.loads(line[5:])
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if "error" in event or event.get("type") in ("error", "response.failed"):
                self.failed = True
            found = tokens_of(event.get("usage")) or tokens_of((event.get("response") or {}).get("usage"))
            if found is not None:
                self.tokens = found
