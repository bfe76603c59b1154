"""Checks for the exercises of lesson 07 (a strict JSON schema, tool arguments, dispatch, the tool loop, logit_bias).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done / ⏭️ skipped on a backend that
lacks what the exercise sends, and never raises (see :mod:`course_helpers.checks`). Answers are checked on their structure and on
the requests they make, never on the model's wording:

>>> check_book_schema({"type": "object", "properties": {"title": {"type": "str"}, "author": {"type": "string"},
...                    "year": {"type": "integer"}, "genres": {"type": "array"}}})
❌ properties.title has type 'str', a Python name: JSON Schema's types are string, integer, number, boolean, array, object and null.
>>> check_book_schema(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/07_structured_outputs_and_tools.ipynb (and exercises/07_structured_outputs_and_tools.ipynb)
"""

from __future__ import annotations

import copy
import inspect
import json
from typing import Any

from ..structured import CITIES, get_time, get_weather
from . import Hint, call, checker, describe, expect, fail

__all__ = [
    "BOOK_FIELDS",
    "TOOLS",
    "check_ask_with_tools",
    "check_ban_word",
    "check_book_schema",
    "check_parse_weather_arguments",
    "check_run_tool_call",
    "expected_ban",
    "tool_call",
]

#: The book exercise's fields and the JSON Schema each one needs.
BOOK_FIELDS: dict[str, dict[str, Any]] = {
    "title": {"type": "string"},
    "author": {"type": "string"},
    "year": {"type": "integer"},
    "genres": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
}
BOOK_TEXT = "Ursula K. Le Guin's novel The Dispossessed came out in 1974; it is science fiction and a utopia."
_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
_PYTHON_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
}

#: The exercises' tools by name: the functions of course_helpers.structured.
TOOLS = {"get_weather": get_weather, "get_time": get_time}


def _type_of(schema: Any, where: str) -> str:
    expect(isinstance(schema, dict), f"{where} is {describe(schema)}; each property's schema is a dict.")
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _PYTHON_TYPES:
        fail(
            f"{where} has type {kind!r}, a Python name: JSON Schema's types are {', '.join(_JSON_TYPES[:-1])} and null."
        )
    expect(kind in _JSON_TYPES, f"{where} has type {kind!r}; expected one of {', '.join(_JSON_TYPES)}.")
    return kind


@checker(needs=("json_schema",))
def check_book_schema(schema, client=None, request: dict | None = None):
    """Check a strict JSON schema for a book (title, author, year, genres); then, with a client, use it.

    ``request`` holds the model settings to send with it (``model``, ``reasoning_effort``, ``temperature``).
    """
    expect(isinstance(schema, dict), f"book_schema is {describe(schema)}; a JSON schema is a dict.")
    if "schema" in schema and "type" not in schema:
        fail(
            "This is the response_format's wrapper ({'name', 'schema', 'strict'}): book_schema is only what goes "
            "under 'schema', starting with {'type': 'object', ...}."
        )
    expect(schema.get("type") == "object", f"The schema's type is {schema.get('type')!r}: a book is an 'object'.")
    properties = schema.get("properties")
    expect(isinstance(properties, dict), "The schema has no 'properties' dict: list the book's fields there.")
    missing = [name for name in BOOK_FIELDS if name not in properties]
    expect(not missing, f"properties lacks {', '.join(missing)}: a book here has {', '.join(BOOK_FIELDS)}.")
    extra = [name for name in properties if name not in BOOK_FIELDS]
    expect(not extra, f"properties has {', '.join(extra)}, which the exercise does not ask for.")
    for name, expected in BOOK_FIELDS.items():
        kind = _type_of(properties[name], f"properties.{name}")
        if name == "year" and kind == "number":
            fail("year has type 'number', which allows 1974.5: a year is a whole number, 'integer'.")
        if name == "year" and kind == "string":
            fail("year has type 'string': then the model writes \"1974\" in quotes and you convert it. Say 'integer'.")
        expect(kind == expected["type"], f"properties.{name} has type {kind!r}; expected {expected['type']!r}.")
    items = properties["genres"].get("items")
    expect(
        isinstance(items, dict) and items.get("type") == "string",
        "genres is an array, but of what? Say it: {'type': 'array', 'items': {'type': 'string'}, ...}. Strict "
        "mode needs every value's type.",
    )
    if "maxLength" in properties["genres"] and "maxItems" not in properties["genres"]:
        fail(
            "genres has maxLength, a keyword for strings (their number of characters; strict mode refuses it): "
            "an array's bound is maxItems, 'maxItems': 3."
        )
    expect(
        properties["genres"].get("maxItems") == 3,
        f"genres has maxItems {properties['genres'].get('maxItems')!r}; the exercise asks for at most 3 genres: "
        "'maxItems': 3. Without a bound, a small model can list genres until the token limit cuts the JSON.",
    )
    expect(
        schema.get("additionalProperties") is False,
        "The schema does not say 'additionalProperties': False. Strict mode requires it on every object "
        "(the API answers a 400 without it): the model may write no key you did not list.",
    )
    required = schema.get("required")
    expect(isinstance(required, list), "The schema has no 'required' list. In strict mode every property is required.")
    not_required = [name for name in BOOK_FIELDS if name not in required]
    expect(
        not not_required,
        f"required lacks {', '.join(not_required)}: in strict mode every property must be listed in required "
        "(a field that may be absent is written as required with type [..., 'null']).",
    )
    if client is None:
        return "a strict schema: every property typed and required, no other keys allowed."
    response = client.chat.completions.create(
        **(request or {}),
        messages=[
            {"role": "system", "content": "Extract the book from the user's text."},
            {"role": "user", "content": BOOK_TEXT},
        ],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "book", "schema": copy.deepcopy(schema), "strict": True},
        },
        max_completion_tokens=80,
    )
    choice = response.choices[0]
    expect(
        choice.finish_reason == "stop",
        f"The reply was cut by the token limit (finish_reason {choice.finish_reason!r}): does every list have a bound?",
    )
    book = json.loads(choice.message.content)
    expect(set(book) == set(BOOK_FIELDS), f"The reply's keys are {sorted(book)}.")
    expect(isinstance(book["year"], int), f"The reply's year is {describe(book['year'])}.")
    return "a strict schema, and the API's reply fits it: every key present, year an integer, genres a list."


# ---------------------------------------------------------------- Exercise 2: untrusted arguments


def _uses_eval(function) -> bool:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return any(name in source for name in ("eval(", "exec(", "literal_eval("))


def _must_refuse(function, arguments: str, why: str) -> None:
    """``function(arguments)`` must raise ValueError; ``why`` says what is wrong with ``arguments``."""
    try:
        result = function(arguments)
    except ValueError:
        return
    except Exception as error:  # the learner's code: the wrong exception type is the lesson
        fail(
            f"parse_weather_arguments({arguments!r}) raised {type(error).__name__}: {error}. {why} Raise ValueError "
            "(json.JSONDecodeError is one), so the loop can catch one kind of error and tell the model."
        )
    fail(f"parse_weather_arguments({arguments!r}) returned {describe(result)}; {why} Raise ValueError.")


@checker
def check_parse_weather_arguments(parse_weather_arguments):
    """Check ``parse_weather_arguments(arguments)``: the model's JSON text in, checked ``{city, unit}`` out."""
    expect(callable(parse_weather_arguments), f"Expected a function, got {describe(parse_weather_arguments)}.")
    if _uses_eval(parse_weather_arguments):
        fail(
            "Your function calls eval (or exec, or literal_eval). The arguments are text the model wrote, and a "
            "prompt can make it write anything, code included: read them with json.loads, which only reads data."
        )
    for arguments, expected in (
        ('{"city": "Paris", "unit": "celsius"}', {"city": "Paris", "unit": "celsius"}),
        ('{"city": "New York", "unit": "fahrenheit"}', {"city": "New York", "unit": "fahrenheit"}),
        ('{"city": "Rome"}', {"city": "Rome", "unit": "celsius"}),
    ):
        result = call(parse_weather_arguments, arguments)
        if result != expected and isinstance(result, dict) and "unit" not in result and expected["unit"]:
            fail(f"parse_weather_arguments({arguments!r}) returned {result!r}: without a unit, use 'celsius'.")
        expect(
            result == expected, f"parse_weather_arguments({arguments!r}) returned {result!r}; expected {expected!r}."
        )
    _must_refuse(
        parse_weather_arguments,
        "{'city': 'Paris'}",
        "That is a Python dict literal, not JSON (JSON strings take double quotes).",
    )
    _must_refuse(parse_weather_arguments, '{"city": "Paris", "unit": "kelvin"}', "'kelvin' is not an allowed unit.")
    _must_refuse(parse_weather_arguments, '{"unit": "celsius"}', "There is no city.")
    _must_refuse(parse_weather_arguments, '{"city": 42}', "The city is a number, not a string.")
    _must_refuse(
        parse_weather_arguments, '{"city": "Atlantis"}', f"Atlantis is not a known city ({', '.join(CITIES)})."
    )
    _must_refuse(
        parse_weather_arguments,
        '{"city": "Paris", "unit": "celsius", "api_key": "..."}',
        "It has a key the tool does not take (api_key).",
    )
    _must_refuse(parse_weather_arguments, '["Paris"]', "A list is not an object of named arguments.")
    return "json.loads, then every key, type and value checked: nothing the model writes runs as code."


# ---------------------------------------------------------------- Exercise 3: dispatch


def tool_call(name: str, arguments: str, id: str = "call_example1") -> Any:
    """A tool call as the SDK gives it in ``message.tool_calls`` (built from test data, not a model's reply).

    >>> tool_call("get_time", '{"city": "Rome"}').function.name
    'get_time'
    """
    from openai.types.chat import ChatCompletionMessageFunctionToolCall

    return ChatCompletionMessageFunctionToolCall.model_validate(
        {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}
    )


def _tool_message(run_tool_call, call_: Any) -> dict:
    where = f"run_tool_call(<a call of {call_.function.name} with {call_.function.arguments}>)"
    message = call(run_tool_call, call_)
    expect(isinstance(message, dict), f"{where} returned {describe(message)}; return the tool message, a dict.")
    expect(message.get("role") == "tool", f"{where}: role is {message.get('role')!r}; a tool result has role 'tool'.")
    expect(
        message.get("tool_call_id") == call_.id,
        f"{where}: tool_call_id is {message.get('tool_call_id')!r}; it must be the call's own id, "
        f"tool_call.id ({call_.id!r}), so the model knows which call this answers.",
    )
    content = message.get("content")
    expect(
        isinstance(content, str),
        f"{where}: content is {describe(content)}. A message's content is text: json.dumps the tool's result.",
    )
    return message


@checker
def check_run_tool_call(run_tool_call):
    """Check ``run_tool_call(tool_call)``: runs the named tool and returns the ``tool`` message with its result."""
    for name, arguments in (("get_weather", '{"city": "Tokyo", "unit": "celsius"}'), ("get_time", '{"city": "Rome"}')):
        call_ = tool_call(name, arguments, id=f"call_{name}")
        message = _tool_message(run_tool_call, call_)
        try:
            result = json.loads(message["content"])
        except ValueError:
            fail(
                f"The content for {name} is {message['content']!r}: not JSON. Use json.dumps(result), not str(result) "
                "(Python's repr has single quotes)."
            )
        expected = TOOLS[name](**json.loads(arguments))
        expect(result == expected, f"The result for {name}({arguments}) is {result!r}; expected {expected!r}.")
    for name, arguments, what in (
        ("get_stock_price", '{"symbol": "ACME"}', "a tool that does not exist"),
        ("get_weather", '{"city": "Paris", "unit": ', "arguments that are not JSON (cut by a token limit)"),
        ("get_weather", '{"town": "Paris"}', "an argument the function does not take"),
    ):
        call_ = tool_call(name, arguments, id="call_broken")
        try:
            message = _tool_message(run_tool_call, call_)
        except Hint as hint:
            cause = hint.__cause__
            if cause is not None:
                fail(
                    f"For {what}, your code raised {type(cause).__name__}: {cause}. A bad call must not crash the "
                    "loop: catch the error and return a tool message whose content says what went wrong, e.g. "
                    '{"error": "..."}; the model reads it and can try again.'
                )
            raise
        content = message["content"].lower()
        expect(
            "error" in content or "unknown" in content,
            f"For {what} the content is {message['content']!r}: say that it is an error (an 'error' key).",
        )
    return "each call runs its tool; a bad call becomes an error message for the model, not a crash."


# ---------------------------------------------------------------- Exercise 4: the loop


class _Recording:
    """A client whose chat.completions.create records each request's keyword arguments, then sends it."""

    def __init__(self, client: Any):
        self._client = client
        self.requests: list[dict] = []
        self.responses: list[Any] = []
        self.chat = self
        self.completions = self

    def create(self, **request: Any) -> Any:
        self.requests.append(copy.deepcopy({k: v for k, v in request.items() if k != "messages"}))
        self.requests[-1]["messages"] = [_as_dict(m) for m in request.get("messages", [])]
        self.responses.append(self._client.chat.completions.create(**request))
        return self.responses[-1]


def _as_dict(message: Any) -> dict:
    return message if isinstance(message, dict) else message.model_dump(exclude_none=True)


@checker(needs=("tools",))
def check_ask_with_tools(ask_with_tools, client, request: dict):
    """Check ``ask_with_tools(client, request, question)``: a call forced, the results sent back, an answer in text."""
    import openai

    recording = _Recording(client)
    try:
        result = call(ask_with_tools, recording, request, "What is the weather like in Tokyo?")
    except Hint as hint:
        error = hint.__cause__
        if recording.responses and not recording.responses[0].choices[0].message.tool_calls:
            fail(
                f"Your code raised {type(error).__name__}: {error}, after a first reply with no tool_calls "
                f"(its tool_choice was {recording.requests[0].get('tool_choice', 'auto')!r}). The first request "
                "must force a call: tool_choice='required' (the small model rarely calls under 'auto'); then "
                "message.tool_calls is a list."
            )
        if isinstance(error, openai.BadRequestError) and "tool" in str(error).lower():
            fail(
                f"The API refused a request: {error.body.get('message') if isinstance(error.body, dict) else error}. "
                "A tool message must come after the assistant message that asked for it: append the model's "
                "message first, then one tool message per call."
            )
        raise
    expect(
        isinstance(result, tuple) and len(result) == 2,
        f"ask_with_tools returned {describe(result)}; return (final, messages).",
    )
    final, messages = result
    sent = recording.requests
    expect(len(sent) >= 2, f"ask_with_tools sent {len(sent)} request(s): one that calls the tool, one for the answer.")
    first = sent[0]
    expect(
        first.get("tool_choice") == "required" or isinstance(first.get("tool_choice"), dict),
        f"The first request has tool_choice={first.get('tool_choice')!r}. Under 'auto' a 135M model mostly answers in "
        "text: force the call with tool_choice='required'.",
    )
    last = sent[-1]
    kinds = [m.get("role") for m in last["messages"]]
    expect(
        "tool" in kinds,
        "The last request holds no tool message: the model never saw the tool's result. Append one "
        "{'role': 'tool', 'tool_call_id': ..., 'content': ...} per call (run_tool_call).",
    )
    expect(
        kinds.index("tool") > 0 and last["messages"][kinds.index("tool") - 1].get("tool_calls"),
        "A tool message must follow the assistant message with the tool_calls it answers: append the model's message.",
    )
    expect(
        last.get("tool_choice") == "none",
        f"The last request has tool_choice={last.get('tool_choice')!r}: send the results with tool_choice='none', so "
        "the model answers in text instead of calling again (the small model often calls again under 'auto').",
    )
    expect(
        getattr(final, "object", None) == "chat.completion",
        f"The first value returned is {describe(final)}; return the final ChatCompletion.",
    )
    expect(
        final is not recording.responses[0],
        "You return the completion of the first request (the one that asks for the tool call): return the "
        "completion of the second request, the one sent with the tool results, which holds the answer in text.",
    )
    expect(isinstance(final.choices[0].message.content, str), "The final reply has no text.")
    expect(isinstance(messages, list) and len(messages) >= 3, "Return the messages too: question, call, result(s).")
    return "forced call, tool run, result sent back under tool_choice='none', answer in text: the whole loop."


# ---------------------------------------------------------------- Exercise 5: logit_bias


def _spellings(word: str) -> list[str]:
    return list(dict.fromkeys([word, " " + word, word.capitalize(), " " + word.capitalize()]))


def expected_ban(word: str, token_ids) -> dict[int, int]:
    """The reference answer: -100 for each spelling of ``word`` that is one token.

    >>> expected_ban("paris", {"paris": [1], " paris": [2, 3], "Paris": [4], " Paris": [5]}.get)
    {1: -100, 4: -100, 5: -100}
    """
    bias = {}
    for spelling in _spellings(word):
        ids = token_ids(spelling)
        if len(ids) == 1:
            bias[int(ids[0])] = -100
    return bias


@checker(needs=("tokenize",))
def check_ban_word(ban_word, token_ids, client=None, request: dict | None = None):
    """Check ``ban_word(word, token_ids)``: a ``logit_bias`` with -100 on each one-token spelling of ``word``.

    With a ``client`` (the local backend), the bias is sent and the reply's tokens are read back.
    """
    word = "paris"
    bias = call(ban_word, word, token_ids)
    expected = expected_ban(word, token_ids)
    expect(isinstance(bias, dict), f"ban_word returned {describe(bias)}; logit_bias is a dict {{token id: bias}}.")
    if any(isinstance(key, str) and not key.strip().isdigit() for key in bias):
        fail(
            f"The keys of your dict are words ({list(bias)[:3]}); logit_bias takes token ids: use token_ids(spelling)."
        )
    given = {int(key): value for key, value in bias.items()}
    values = set(given.values())
    if any(not isinstance(value, bool) and isinstance(value, int | float) and value > 0 for value in values):
        fail(
            f"Your biases are {sorted(values)}. A positive bias pushes a token up: +100 FORCES it, the opposite "
            "of banning. -100 bans it."
        )
    if values and values != {-100}:
        fail(
            f"Your biases are {sorted(values)}. A bias is added to the logit: -1 or -10 only makes the token less likely; "
            "-100 bans it."
        )
    extra = set(given) - set(expected)
    if extra:
        fail(
            f"You ban token(s) {sorted(extra)}, pieces of a spelling that takes several tokens. Banning a piece bans "
            "every word that starts or ends with it: ban only spellings that are a single token."
        )
    missing = [s for s in _spellings(word) if len(token_ids(s)) == 1 and int(token_ids(s)[0]) not in given]
    expect(
        not missing,
        f"Not banned: {', '.join(repr(s) for s in missing)}. Each spelling is another token: with a space before it "
        "(the word inside a sentence) and with a capital letter.",
    )
    if client is None:
        return "-100 on every one-token spelling: the sampler can never draw them."
    response = client.chat.completions.create(
        **(request or {}),
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        logit_bias={str(key): value for key, value in given.items()},
        logprobs=True,
        max_completion_tokens=20,
    )
    tokens = [entry.token for entry in response.choices[0].logprobs.content]
    banned = [s for s in _spellings(word) if len(token_ids(s)) == 1]
    expect(not set(tokens) & set(banned), "A banned token came back: did you send this bias?")
    return "-100 on every one-token spelling: the reply never uses them (logprobs show its tokens)."
