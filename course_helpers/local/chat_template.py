"""The chat template: how a list of messages becomes the one string the model reads.

A chat model never sees "messages": it sees a single text in which each
message is wrapped in special markers. SmolLM2 uses the ChatML markers::

    <|im_start|>system
    You are a helpful assistant.<|im_end|>
    <|im_start|>user
    What is the capital of France?<|im_end|>
    <|im_start|>assistant

The template ships inside the GGUF file as a Jinja2 program
(``tokenizer.chat_template``); we render it exactly as Hugging Face does. The
model was trained before OpenAI's ``developer`` role existed, so a developer
message is rendered as a system message (what it means: instructions from
the application).

>>> template = ChatTemplate("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\\n{% endfor %}")
>>> template.render([{"role": "developer", "content": "Be brief."}], add_generation_prompt=False)
'[system] Be brief.\\n'

Used in: course_helpers/local/engine.py, notebooks/01_messages_and_roles.ipynb
"""

from __future__ import annotations

import re
import secrets

__all__ = ["ChatTemplate", "message_text"]

_ROLE_AS_TRAINED = {"developer": "system"}


def message_text(content) -> str:
    """The text of a message's content: a string, or a list of ``{"type": "text", "text": ...}`` parts.

    >>> message_text([{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}])
    'Hello there'
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type", "text") == "text")


class ChatTemplate:
    """A Jinja2 chat template, rendered in a sandbox the way Hugging Face renders it."""

    def __init__(self, source: str, bos_token: str = "", eos_token: str = ""):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        self._template = environment.from_string(source)
        self._tokens = {"bos_token": bos_token, "eos_token": eos_token}

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        """The prompt text for ``messages``, ending with the assistant's turn marker when asked."""
        return "".join(text for text, _ in self.render_pieces(messages, add_generation_prompt))

    def render_pieces(self, messages: list[dict], add_generation_prompt: bool = True) -> list[tuple[str, bool]]:
        """The prompt as (text, is_markup) pieces: the template's own text, and each message's content.

        The tokenizer may read special tokens such as ``<|im_end|>`` in the
        markup only; in a content they are plain text (see Tokenizer.encode_pieces).
        The template is rendered with a unique placeholder for each content,
        then each placeholder is put back as a piece of its own.

        >>> ChatTemplate("<s>{{ messages[0]['content'] }}</s>").render_pieces([{"role": "user", "content": "hi"}])
        [('<s>', True), ('hi', False), ('</s>', True)]
        """
        marker = f"\x00{secrets.token_hex(8)}:"  # cannot occur in the template's own text
        contents = [message_text(m.get("content")) for m in messages]
        placeholders = [
            {"role": _ROLE_AS_TRAINED.get(m["role"], m["role"]), "content": f"{marker}{i}\x00"}
            for i, m in enumerate(messages)
        ]
        rendered = self._template.render(
            messages=placeholders, add_generation_prompt=add_generation_prompt, **self._tokens
        )
        pieces: list[tuple[str, bool]] = []
        for index, part in enumerate(re.split(re.escape(marker) + r"(\d+)\x00", rendered)):
            if index % 2 == 0:
                if part:
                    pieces.append((part, True))
            else:
                pieces.append((contents[int(part)], False))
        if sum(not is_markup for _, is_markup in pieces) != len(messages):
            raise ValueError("the chat template changed or repeated a message's content")
        return pieces
