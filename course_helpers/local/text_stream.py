"""Turning a stream of token bytes into text deltas, with stop strings cut out.

Two things make this less obvious than joining token strings:

- a token may be only part of a UTF-8 character (an emoji is often 2-3
  tokens), so bytes wait in an incremental decoder until the character is
  complete;
- a stop string may span several tokens, so text that could be the start of
  a stop string is held back until we know; when a stop string appears, the
  text before it is released and generation ends. The stop string itself is
  never returned.

Joining every delta gives exactly the final text.

>>> stream = ReplyText(stop=["END"])
>>> [stream.feed(b) for b in [b"Hi E", b"N", b"D more"]]
[('Hi ', False), ('', False), ('', True)]
>>> stream.text
'Hi '

Used in: course_helpers/local/engine.py
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

__all__ = ["ReplyText"]


class ReplyText:
    """The text of one reply as it grows token by token."""

    def __init__(self, stop: Sequence[str] | None = None):
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = [s for s in (stop or []) if s]
        self._held = ""  # decoded text not released yet (could start a stop string)
        self.text = ""  # everything released so far
        self.stopped = False

    def feed(self, token_bytes: bytes) -> tuple[str, bool]:
        """Add one token's bytes; return (text to release now, whether a stop string was hit)."""
        if self.stopped:
            return "", True
        pending = self._held + self._decoder.decode(token_bytes)
        cut = min((i for i in (pending.find(s) for s in self._stop) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._held = ""
            return self._release(pending[:cut]), True
        keep = self._longest_stop_prefix_suffix(pending)
        self._held = pending[len(pending) - keep :] if keep else ""
        return self._release(pending[: len(pending) - keep]), False

    def finish(self) -> str:
        """Release whatever is still held (the reply ended without a stop string)."""
        if self.stopped:
            return ""
        pending = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        cut = min((i for i in (pending.find(s) for s in self._stop) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            pending = pending[:cut]
        return self._release(pending)

    def _release(self, text: str) -> str:
        self.text += text
        return text

    def _longest_stop_prefix_suffix(self, text: str) -> int:
        """Length of the longest end of ``text`` that is the beginning of a stop string."""
        best = 0
        for stop in self._stop:
            for length in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:length]):
                    best = length
                    break
        return best
