"""The model's context window as an error: its one definition, shared by the engine and the server.

The engine raises :class:`ContextLengthExceeded` when a prompt leaves no room
for a reply; the server answers it as OpenAI does, a 400
``context_length_exceeded`` whose message names what the learner sent
(``messages`` in chat completions, ``input`` in the Responses API). No numpy,
so the server and its tests can import it without the model.

>>> error = ContextLengthExceeded(prompt_tokens=9000, context_length=8192)
>>> error.message("input").split(". ")[1]
'However, your input resulted in 9000 tokens'

Used in: course_helpers/local/engine.py, course_helpers/local/server/session.py
"""

from __future__ import annotations

__all__ = ["ContextLengthExceeded"]


class ContextLengthExceeded(ValueError):
    """The prompt (plus at least one generated token) does not fit in the model's context."""

    def __init__(self, prompt_tokens: int, context_length: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.context_length = context_length
        super().__init__(self.message())

    def message(self, sent: str = "messages") -> str:
        """The API's wording, naming what was ``sent`` (the request parameter: ``messages`` or ``input``)."""
        return (
            f"This model's maximum context length is {self.context_length} tokens. However, your {sent} "
            f"resulted in {self.prompt_tokens} tokens. Please reduce the length of the messages."
        )
