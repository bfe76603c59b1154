"""Tool calls as the local model reads and writes them: one text convention, rendered and read back.

A chat model has no "tools" of its own: it reads the tool list, its earlier
calls and their results as text in the prompt, and it calls a tool by
writing text in an agreed form. SmolLM2's chat template has no tool section;
the form used here is SmolLM2's own function-calling convention (the
``instructions_function_calling.md`` of HuggingFaceTB/SmolLM2-1.7B-Instruct,
whose model card credits function calling to Argilla's Synth-APIGen data;
Ollama's ``smollm2`` template uses it for all three sizes). Whether the 135M
model's own fine-tuning data held it is NOT CONFIRMED: the grammar
(:func:`~course_helpers.local.constraints.tool_calls`) keeps its replies in
the form either way. What the model sees:

- the tool list, in the system message (after the request's own system or
  developer text), as ``<tools>[...]</tools>`` with the instructions;
- its calls, as one block: a JSON list of ``{"name", "arguments"}``::

      <tool_call>[
      {"name": "get_weather", "arguments": {"city": "Paris"}}
      ]</tool_call>

- each tool result, as a user turn ``<tool_response>\\n...\\n</tool_response>``.

>>> messages = render_tool_messages(
...     [{"role": "user", "content": "Weather in Paris?"}],
...     [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}])
>>> [m["role"] for m in messages], messages[0]["content"].splitlines()[-4]
(['system', 'user'], '<tool_call>[')
>>> [call.name for call in read_tool_calls('<tool_call>[\\n{"name": "f", "arguments": {}}\\n]</tool_call>')]
['f']

Used in: course_helpers/local/server (tools on Chat Completions and Responses), course_helpers/local/constraints.py
(``render_tool_messages`` is the one to show as "the prompt the model really saw")
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CALLS_CLOSE",
    "CALLS_OPEN",
    "CallPiece",
    "ToolCallScanner",
    "read_tool_calls",
    "render_call_block",
    "render_tool_messages",
]

CALLS_OPEN = "<tool_call>[\n"  # a reply that calls tools starts with exactly this ...
CALL_SEPARATOR = ",\n"  # ... separates the calls with this ...
CALLS_CLOSE = "\n]</tool_call>"  # ... and ends with this
_INTRO = (
    "You are an expert in composing functions. You are given a question and a set of possible functions.\n"
    "Based on the question, you will need to make one or more function/tool calls to achieve the purpose.\n"
)
_WHEN = {
    "auto": "If none of the functions can be used, answer the question in plain text instead.\n",
    "required": "You must call at least one of the functions.\n",
    "named": "You must call the function '{name}'.\n",
}
_FORMAT = (
    "If the given question lacks the parameters required by the function, also point it out.\n"
    "You have access to the following tools:\n<tools>{tools}</tools>\n"
    "To call functions, the output MUST strictly adhere to the following format, and NO other text MUST be "
    "included. Please make sure the parameter type is correct.\n"
    '<tool_call>[\n{{"name": "func_name1", "arguments": {{"argument1": "value1", "argument2": "value2"}}}},\n'
    "(more tool calls as required)\n]</tool_call>"
)


def render_tool_messages(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]], choice: str = "auto"
) -> list[dict[str, str]]:
    """The plain chat messages (role, content) the model reads for a conversation with tools.

    ``messages`` are Chat Completions messages (assistant messages may carry
    ``tool_calls``, ``tool`` messages answer them); ``tools`` are functions
    (``name``, ``description``, ``parameters``); ``choice`` is ``"auto"``,
    ``"required"``, ``"none"`` or a function's name (then only that function
    is listed). Under ``"none"`` no tool list is shown: the model answers in
    text, but still reads earlier calls and results.
    """
    rendered = [_plain(message) for message in messages]
    if choice == "none" or not tools:
        return rendered
    named = choice not in ("auto", "required")
    listed = [tool for tool in tools if tool["name"] == choice] if named else tools
    section = _INTRO + _WHEN["named" if named else choice].format(name=choice) + _FORMAT.format(tools=_dumps(listed))
    if rendered and rendered[0]["role"] in ("system", "developer"):
        first = rendered[0]
        return [{"role": first["role"], "content": f"{first['content']}\n\n{section}"}, *rendered[1:]]
    return [{"role": "system", "content": section}, *rendered]


def render_call_block(calls: list[tuple[str, str]]) -> str:
    """The text of a reply calling ``calls`` (name, arguments as a JSON string), as the model writes it.

    >>> render_call_block([("f", '{"x": 1}')])
    '<tool_call>[\\n{"name": "f", "arguments": {"x": 1}}\\n]</tool_call>'
    """
    items = [f'{{"name": {json.dumps(name)}, "arguments": {_compact(arguments)}}}' for name, arguments in calls]
    return CALLS_OPEN + CALL_SEPARATOR.join(items) + CALLS_CLOSE


def _plain(message: dict[str, Any]) -> dict[str, str]:
    content = message.get("content") or ""
    if message["role"] == "tool":
        return {"role": "user", "content": f"<tool_response>\n{content}\n</tool_response>"}
    calls = message.get("tool_calls") or []
    if calls:
        block = render_call_block([(call["function"]["name"], call["function"]["arguments"]) for call in calls])
        return {"role": "assistant", "content": f"{content}\n{block}" if content else block}
    return {"role": message["role"], "content": content}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _compact(arguments: str) -> str:
    """Arguments as the model writes them: one line of JSON (as given if they are not JSON)."""
    try:
        return _dumps(json.loads(arguments))
    except ValueError:
        return arguments


# ---------------------------------------------------------------- reading a reply back


@dataclass(frozen=True)
class CallPiece:
    """What a new piece of a reply says: ``text``, or the start of call ``index`` (``name``), or ``arguments``."""

    kind: str  # "text", "call" or "arguments"
    text: str = ""
    index: int = 0
    name: str = ""


@dataclass
class ReadCall:
    """A call read from a reply: its name and its arguments' JSON text, as the model wrote it."""

    name: str
    arguments: str = ""


_HEADER = re.compile(r'\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"arguments"\s*:\s*(\S)')  # and its 1st character
_LONGEST_HEADER = 200  # characters: a call's start longer than this is not a call (function names have <= 64)


@dataclass
class ToolCallScanner:
    """Reads a reply piece by piece: plain text, or a ``<tool_call>`` block whose calls it reports as written.

    ``feed`` returns the pieces that the new text completes; text that could
    still be the start of a call block is held back until it is clear. The
    reply's ``calls`` are complete (their arguments closed) once ``done``.

    >>> scanner = ToolCallScanner()
    >>> [piece.kind for text in ['<tool_', 'call>[\\n{"name": "f", "arg', 'uments": {"a": 1}}\\n]</tool_call>']
    ...  for piece in scanner.feed(text)]
    ['call', 'arguments']
    >>> scanner.calls, scanner.done
    ([ReadCall(name='f', arguments='{"a": 1}')], True)
    """

    mode: str = "undecided"  # "undecided", "text", "calls" (then ``state`` says where in the block)
    calls: list[ReadCall] = field(default_factory=list)
    done: bool = False  # the block is closed
    state: str = "next"
    _held: str = ""
    _depth: int = 0
    _in_string: bool = False
    _escaped: bool = False

    def feed(self, text: str) -> list[CallPiece]:
        """The pieces ``text`` (the reply's next characters) completes."""
        if self.mode == "text":
            return [CallPiece("text", text)] if text else []
        if self.mode == "undecided":
            self._held += text
            if CALLS_OPEN.startswith(self._held):
                return []  # may still become a call block
            if not self._held.startswith(CALLS_OPEN):
                self.mode, held, self._held = "text", self._held, ""
                return [CallPiece("text", held)]
            self.mode, text, self._held = "calls", self._held[len(CALLS_OPEN) :], ""
            self.state = "next"
        pieces: list[CallPiece] = []
        for character in text:
            self._read(character, pieces)
        return _merged(pieces)

    def finish(self) -> list[CallPiece]:
        """The pieces still held back when the reply ends (text that looked like a block's start)."""
        if self.mode == "undecided" and self._held:
            self.mode, held, self._held = "text", self._held, ""
            return [CallPiece("text", held)]
        return []

    def _read(self, character: str, pieces: list[CallPiece]) -> None:
        state = self.state
        if state == "next":  # a call starts
            if character == "{":
                self._held, self.state = character, "header"
            elif not character.isspace():
                self.state = "broken"
        elif state == "header":  # '{"name": "f", "arguments": ' of a call
            self._held += character
            match = _HEADER.fullmatch(self._held)
            if match:
                self.calls.append(ReadCall(json.loads(f'"{match.group(1)}"')))
                pieces.append(CallPiece("call", index=len(self.calls) - 1, name=self.calls[-1].name))
                self.state, self._depth = "arguments", 0
                self._read(match.group(2), pieces)
            elif len(self._held) > _LONGEST_HEADER:
                self.state = "broken"
        elif state == "arguments":
            self.calls[-1].arguments += character
            pieces.append(CallPiece("arguments", character, index=len(self.calls) - 1))
            if self._value_closed(character):
                self.state = "call_end"
        elif state == "call_end":  # the call's closing brace
            self.state = "after_call" if character == "}" else "call_end" if character.isspace() else "broken"
        elif state == "after_call":  # another call, or the block's end
            if character == ",":
                self.state = "next"
            elif CALLS_CLOSE.startswith(character):
                self._held, self.state = character, "closing"
            else:
                self.state = "broken"
        elif state == "closing":
            self._held += character
            if self._held == CALLS_CLOSE:
                self.done, self.state = True, "after"
            elif not CALLS_CLOSE.startswith(self._held):
                self.state = "broken"

    def _value_closed(self, character: str) -> bool:
        """Whether ``character`` ends the arguments' JSON value (strings and escapes are skipped)."""
        if self._in_string:
            if self._escaped:
                self._escaped = False
            elif character == "\\":
                self._escaped = True
            elif character == '"':
                self._in_string = False
            return False
        if character == '"':
            self._in_string = True
        elif character in "{[":
            self._depth += 1
        elif character in "}]":
            self._depth -= 1
            return self._depth == 0
        return False


def _merged(pieces: list[CallPiece]) -> list[CallPiece]:
    """Consecutive argument characters of one call as one piece."""
    merged: list[CallPiece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and piece.kind == last.kind == "arguments" and piece.index == last.index:
            merged[-1] = CallPiece("arguments", last.text + piece.text, index=piece.index)
        else:
            merged.append(piece)
    return merged


def read_tool_calls(text: str) -> list[ReadCall]:
    """The calls in a whole reply (none if it is plain text)."""
    scanner = ToolCallScanner()
    scanner.feed(text)
    scanner.finish()
    return scanner.calls
