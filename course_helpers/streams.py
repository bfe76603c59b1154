"""Showing a streamed reply as it arrives, and measuring how fast it came.

With ``stream=True`` the SDK returns an iterator of ``ChatCompletionChunk``
objects; each carries a small piece of the reply in
``chunk.choices[0].delta.content``. :func:`show_stream` prints those pieces
into one notebook output that grows in place (an IPython display handle,
updated rather than appended to), and returns what a developer wants to know
afterwards: the whole text, how many chunks came, the time to the first
token, the total time and the usage (with ``stream_options={"include_usage":
True}`` it is on the last chunk, whose ``choices`` list is empty).

>>> from openai.types.chat import ChatCompletionChunk
>>> def piece(text):
...     return ChatCompletionChunk.model_validate({"id": "c", "object": "chat.completion.chunk", "created": 0,
...         "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
>>> stats = show_stream([piece("Hel"), piece("lo")], display=False)
>>> stats.text, stats.chunks, stats.text_chunks
('Hello', 2, 2)

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["LiveText", "StreamStats", "show_stream"]


class LiveText:
    """One notebook output that shows a growing text, redrawn at most every ``interval`` seconds.

    Redrawing on every token would flood the browser with updates; a tenth
    of a second looks live to a reader.
    """

    def __init__(self, interval: float = 0.1) -> None:
        from IPython import get_ipython
        from IPython.display import Pretty, display

        self.text = ""
        self.interval = interval
        self._last_draw = 0.0
        # Outside IPython (a plain console) there is no display to update: print the pieces instead.
        self._handle = display(Pretty("▌"), display_id=True) if get_ipython() is not None else None

    def append(self, delta: str) -> None:
        """Add ``delta`` to the text; redraw if the last redraw is old enough."""
        self.text += delta
        if self._handle is None:
            print(delta, end="", flush=True)
        elif time.perf_counter() - self._last_draw >= self.interval:
            self._draw("▌")

    def close(self) -> None:
        """Draw the final text (without the cursor)."""
        if self._handle is None:
            print()
        else:
            self._draw("")

    def _draw(self, cursor: str) -> None:
        from IPython.display import Pretty

        assert self._handle is not None  # only called with a display (see its callers)
        self._handle.update(Pretty(self.text + cursor))
        self._last_draw = time.perf_counter()


@dataclass
class StreamStats:
    """What one streamed reply gave: its text, chunk counts, timings (seconds) and usage."""

    text: str
    chunks: int
    text_chunks: int
    first_token_seconds: float | None
    total_seconds: float
    usage: Any = None
    finish_reason: str | None = None


def show_stream(stream: Iterable[Any], started: float | None = None, *, display: bool = True) -> StreamStats:
    """Show a chat completion stream live and return its :class:`StreamStats`.

    ``started`` is the ``time.perf_counter()`` taken just *before* the
    request: ``create(stream=True)`` itself waits for the first token, so the
    clock must start before it for the time to first token to be true.
    """
    started = time.perf_counter() if started is None else started
    live = LiveText() if display else None
    text, chunks, text_chunks = [], 0, 0
    first_token, usage, finish_reason = None, None, None
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:  # the last chunk with stream_options={"include_usage": True}
            usage = chunk.usage
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        finish_reason = choice.finish_reason or finish_reason
        delta = choice.delta.content
        if delta:
            if first_token is None:
                first_token = time.perf_counter() - started
            text_chunks += 1
            text.append(delta)
            if live is not None:
                live.append(delta)
    if live is not None:
        live.close()
    return StreamStats(
        "".join(text), chunks, text_chunks, first_token, time.perf_counter() - started, usage, finish_reason
    )
