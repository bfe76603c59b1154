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
        plain = [
            {"role": _ROLE_AS_TRAINED.get(m["role"], m["role"]), "content": message_text(m.get("content"))}
            for m in messages
        ]
        return self._template.render(messages=plain, add_generation_prompt=add_generation_prompt, **self._tokens)
