"""Message lists and conversations: show a message list, keep a chat's memory, a chat widget.

The Chat Completions API is stateless: the model sees exactly the messages of
the request, nothing else. A chat "remembers" only because the program sends
the whole history again every turn. :class:`Conversation` is that program in
a dozen lines (open it and read it), :func:`chat_app` puts it in an
ipywidgets chat window, and :func:`show_messages` draws a message list as a
table with one row per message.

>>> print(show_messages([{"role": "system", "content": "Be brief."},
...                      {"role": "user", "content": "Hi!"}]))
0  system     Be brief.
1  user       Hi!

Used in: notebooks/01_messages_and_roles.ipynb
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["ROLE_ICONS", "ChatApp", "Conversation", "chat_app", "local_prompt_text", "show_messages"]

#: An icon per role, so a message list reads at a glance (also where colors are stripped, as on GitHub).
ROLE_ICONS = {"system": "⚙️", "developer": "🛠️", "user": "🧑", "assistant": "🤖"}
_ROLE_COLORS = {"system": "#fff3cd", "developer": "#fde2c8", "user": "#dbeafe", "assistant": "#dcfce7"}


def _role_and_text(message: Any) -> tuple[str, str]:
    """Role and text of a message given as a dict or as an SDK message object."""
    if hasattr(message, "model_dump"):
        message = message.model_dump()
    role = str(message.get("role", "?"))
    content = message.get("content")
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return role, "" if content is None else str(content)


class _MessageTable:
    """A message list as an HTML table (one colored row per message) or as text."""

    def __init__(self, rows: list[tuple[str, str]], title: str = "") -> None:
        self.rows = rows
        self.title = title

    def _repr_html_(self) -> str:
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        body = "".join(
            f"<tr style='background:{_ROLE_COLORS.get(role, '#eee')};color:#111'>"
            f"<td>{i}</td><td style='white-space:nowrap'>{ROLE_ICONS.get(role, '')} <b>{html.escape(role)}</b></td>"
            f"<td style='text-align:left;white-space:pre-wrap'>{html.escape(text)}</td></tr>"
            for i, (role, text) in enumerate(self.rows)
        )
        head = "<tr><th>#</th><th style='text-align:left'>role</th><th style='text-align:left'>content</th></tr>"
        return f"<table>{caption}{head}{body}</table>"

    def __repr__(self) -> str:
        lines = [self.title] if self.title else []
        lines += [f"{i}  {role:<10} {text}" for i, (role, text) in enumerate(self.rows)]
        return "\n".join(lines)


def show_messages(messages: list[Any], title: str = "") -> _MessageTable:
    """A message list as a table: index, role (with an icon) and content, one row per message.

    Accepts dicts (what you send) and SDK message objects (what comes back in
    ``response.choices[0].message``), so a history mixing both shows fine.
    """
    return _MessageTable([_role_and_text(message) for message in messages], title)


def local_prompt_text(messages: list[dict]) -> str:
    """The one text the built-in local model reads for ``messages``: its chat template applied.

    A model never sees a list: the server joins the messages into one text with
    special markers around each, ending where the assistant's reply begins. This
    renders the local model's own template (OpenAI does not publish the ones of
    its models). Needs the local model downloaded (``python -m course_helpers
    pull``); otherwise returns a sentence saying so.
    """
    from .local import store

    if not store.is_cached(store.CHAT_MODEL):
        return (
            "(The local model is not downloaded, so its chat template cannot be shown: "
            "run `python -m course_helpers pull` once to see it.)"
        )
    from .local.engine import get_engine  # already loaded when the local backend is in use

    return get_engine().render_chat([dict(m) for m in messages])


class Conversation:
    """A chat with memory: the history is a plain list, sent in full with every request.

    >>> chat = Conversation(client=None, model="gpt-6-luna", system="Be brief.")
    >>> chat.messages
    [{'role': 'system', 'content': 'Be brief.'}]

    ``max_turns`` keeps only the last user/assistant exchanges (plus the system
    message): without it every turn sends more tokens than the one before, until
    the history no longer fits the model's context window.
    ``params`` go to every request (``reasoning_effort=``, ``max_completion_tokens=``, ...).
    """

    def __init__(
        self, client: Any, model: str, system: str | None = None, *, max_turns: int | None = None, **params: Any
    ) -> None:
        self.client = client
        self.model = model
        self.system = system
        self.max_turns = max_turns
        self.params = params
        self.messages: list[dict[str, str]] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything except the system message."""
        self.messages = [{"role": "system", "content": self.system}] if self.system else []
        self.last_response = None
        self.last_sent: list[dict[str, str]] = []  # the messages of the last request

    def to_send(self) -> list[dict[str, str]]:
        """The messages the next request sends: the system message and the last ``max_turns`` turns.

        >>> chat = Conversation(None, "m", system="S", max_turns=1)
        >>> for role, text in zip(["user", "assistant"] * 2 + ["user"], "abcde"):
        ...     chat.messages.append({"role": role, "content": text})
        >>> [m["content"] for m in chat.to_send()]  # the last full turn and the new question
        ['S', 'c', 'd', 'e']
        """
        head = self.messages[:1] if self.system else []
        turns = self.messages[len(head) :]
        if self.max_turns is not None:
            # a turn is a user message and the reply to it; the pending question is kept too
            keep = 2 * self.max_turns + (len(turns) % 2)
            turns = turns[-keep:] if keep else []
        return head + turns

    def ask(self, text: str) -> str:
        """Add ``text`` as a user message, send the history, remember and return the reply."""
        self.messages.append({"role": "user", "content": text})
        sending = self.to_send()
        try:
            response = self.client.chat.completions.create(model=self.model, messages=sending, **self.params)
        except Exception:
            self.messages.pop()  # the question was never answered: do not keep it
            raise
        reply = response.choices[0].message.content or ""
        self.messages.append({"role": "assistant", "content": reply})
        self.last_response = response
        self.last_sent = sending
        return reply


class ChatApp:
    """An ipywidgets chat window around a :class:`Conversation`; ``send(text)`` also works from code.

    Type a message and press Enter (or Send). "New conversation" clears the
    memory. Under the transcript, a line shows how many messages and prompt
    tokens the last request sent: watch it grow turn after turn.
    """

    def __init__(self, conversation: Conversation) -> None:
        import ipywidgets as widgets  # only the app needs widgets; the rest works without

        self.conversation = conversation
        self.transcript = widgets.HTML()
        self.status = widgets.HTML()
        self.text = widgets.Text(
            placeholder="Type a message and press Enter", continuous_update=False, layout=widgets.Layout(width="70%")
        )
        self.send_button = widgets.Button(description="Send", button_style="primary")
        self.reset_button = widgets.Button(description="New conversation")
        self.text.observe(self._on_text, names="value")
        self.send_button.on_click(lambda _: self._on_text({"new": self.text.value}))
        self.reset_button.on_click(lambda _: self.reset())
        self.widget = widgets.VBox(
            [self.transcript, widgets.HBox([self.text, self.send_button, self.reset_button]), self.status]
        )
        self._render()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.mimebundle(), raw=True)

    def mimebundle(self) -> dict[str, Any]:
        """The window for Jupyter, with a readable fallback where widgets do not render.

        GitHub, nbviewer and a notebook opened before its kernel runs show
        ``text/html`` (or ``text/plain``): the transcript so far and a line
        saying where the window comes alive, instead of a raw ``VBox(...)``.
        """
        note = "(A chat window: run this cell in Jupyter to type messages.)"
        table = show_messages(self.conversation.messages)
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/html"] = f"{table._repr_html_()}<p>{self.status.value}</p><p><i>{note}</i></p>"
        bundle["text/plain"] = f"{table!r}\n{note}"
        return bundle

    def _on_text(self, change: dict) -> None:
        text = (change.get("new") or "").strip()
        if text:
            self.text.value = ""
            self.send(text)

    def send(self, text: str) -> str | None:
        """Send ``text`` as the user; show and return the reply (None if the request failed)."""
        self.send_button.disabled = True
        self.status.value = "<i>thinking…</i>"
        try:
            reply = self.conversation.ask(text)
        except Exception as error:  # an API error is shown in the window, the app keeps working
            self.status.value = f"<b>{type(error).__name__}</b>: {html.escape(str(error))}"
            return None
        finally:
            self.send_button.disabled = False
        self._render()
        return reply

    def reset(self) -> None:
        """Start a new conversation (the system message stays)."""
        self.conversation.reset()
        self._render()

    def _render(self) -> None:
        self.transcript.value = show_messages(self.conversation.messages)._repr_html_()
        response = self.conversation.last_response
        if response is None:
            self.status.value = "<i>No request sent yet.</i>"
        else:
            sent = len(self.conversation.last_sent)
            usage = response.usage  # some OpenAI-compatible servers leave it out
            tokens = (
                f": prompt_tokens={usage.prompt_tokens}, completion_tokens={usage.completion_tokens}"
                if usage is not None
                else ""
            )
            cut = response.choices[0].finish_reason == "length"
            note = " The reply was cut by the token limit (finish_reason='length')." if cut else ""
            self.status.value = f"Last request sent {sent} message{'' if sent == 1 else 's'}{tokens}.{note}"


def chat_app(
    client: Any, model: str, system: str | None = None, *, max_turns: int | None = None, **params: Any
) -> ChatApp:
    """A chat window with memory (ipywidgets); ``params`` go to every request, e.g. ``max_completion_tokens=``.

    The returned app also answers from code: ``app.send("Hi")`` returns the
    reply, and ``app.conversation.messages`` is the history it sends.
    """
    return ChatApp(Conversation(client, model, system, max_turns=max_turns, **params))
