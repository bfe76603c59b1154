"""Checks for the exercises of lesson 06 (streaming, the Responses API and its stored state, LangChain, base URLs).

Each prints one line, ✅ / ❌ with a hint / ⏳ not done / ⏭️ skipped on a backend that
lacks what the exercise sends, and never raises (see :mod:`course_helpers.checks`). Answers are checked on their structure and on
the requests they make, never on the model's wording.

>>> check_base_url_for(lambda backend, host="localhost": "http://localhost:11434")
❌ base_url_for('openai') returned 'http://localhost:11434'; expected 'https://api.openai.com/v1'.
>>> check_base_url_for(...)
⏳ Not done yet: replace the ... with your code, then run this cell again.

Used in: solutions/06_beyond.ipynb (and exercises/06_beyond.ipynb)
"""

from __future__ import annotations

from typing import Any, Literal

from openai import NOT_GIVEN, NotGiven

from . import Hint, NotDone, call, checker, counted, describe, expect, fail, is_stub

__all__ = [
    "BASE_URLS",
    "CHAIN_QUESTIONS",
    "OPENING_HOURS",
    "TOOL_QUESTION",
    "check_ask_in_a_chain",
    "check_ask_with_tool",
    "check_base_url_for",
    "check_join_deltas",
    "check_responses_request",
    "check_to_langchain",
    "opening_hours_tool",
    "sample_chunks",
]

#: Where each kind of OpenAI-compatible server listens by default (lesson 06, section 5).
BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://{host}:11434/v1",
    "vllm": "http://{host}:8000/v1",
    "course": "http://{host}:8000/v1",
}


def _chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> Any:
    from openai.types.chat import ChatCompletionChunk

    return ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-example",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "example",
            "choices": choices,
            "usage": usage,
        }
    )


def sample_chunks(pieces: list[str]) -> list[Any]:
    """The chunks of a stream with ``include_usage``, as the API sends them, for ``pieces`` of text.

    A role chunk with empty content first, one chunk per piece, a finish chunk
    whose content is None, and a usage chunk with no choices.

    >>> [chunk.choices[0].delta.content if chunk.choices else "usage" for chunk in sample_chunks(["Hi", "!"])]
    ['', 'Hi', '!', None, 'usage']
    """
    chunks = [_chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
    chunks += [_chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}]) for piece in pieces]
    chunks.append(_chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    usage = {"prompt_tokens": 5, "completion_tokens": len(pieces), "total_tokens": 5 + len(pieces)}
    chunks.append(_chunk([], usage))
    return chunks


class _Stream:
    """Chunks the way the SDK's Stream gives them: read once, as they arrive; a second read finds nothing.

    It remembers whether someone tried to read it again after the end, so the check can say so.

    >>> stream = _Stream(["a", "b"])
    >>> [c for c in stream], [c for c in stream], stream.read_again
    (['a', 'b'], [], True)
    """

    def __init__(self, chunks) -> None:
        self._chunks = iter(chunks)
        self.finished = False
        self.read_again = False

    def __iter__(self):
        if self.finished:
            self.read_again = True
        return self

    def __next__(self):
        try:
            return next(self._chunks)
        except StopIteration:
            self.finished = True
            raise


def _call_on_stream(join_deltas, chunks, where: str):
    """``call`` on a :class:`_Stream` of ``chunks``, with a hint for what reading a stream like a list causes."""
    stream = _Stream(chunks)
    try:
        result = call(join_deltas, stream)
    except Hint as hint:
        error = hint.__cause__
        if isinstance(error, TypeError) and ("len()" in str(error) or "subscriptable" in str(error)):
            fail(
                f"{where} raised TypeError: {error}. A stream is not a list: it has no len() and no [i], its "
                "chunks arrive one after the other. Loop over it once (or first keep them: list(chunks))."
            )
        if isinstance(error, IndexError):
            fail(
                f"{where} raised IndexError: {error}. The usage chunk at the end has an empty choices list, "
                "so chunk.choices[0] fails on it: skip chunks without choices (`if chunk.choices`)."
            )
        if isinstance(error, TypeError) and "NoneType" in str(error):
            fail(
                f"{where} raised TypeError: {error}. The finish chunk's delta.content is None: "
                'skip it, or use `delta.content or ""`.'
            )
        raise
    if stream.read_again:
        fail(
            f"{where} reads `chunks` a second time (a second loop, or a sum(...) over it after the join), but a "
            "stream is read once: its chunks arrive once and are gone, so the second pass finds none. Join "
            "and count in the same loop, or keep the chunks first: chunks = list(chunks)."
        )
    return result


@checker(needs=("streaming",))
def check_join_deltas(join_deltas, client=None, model=None, effort: str | NotGiven = NOT_GIVEN):
    """Check ``join_deltas(chunks)``: returns (the joined text, the number of chunks that carried text).

    With a ``client``, also on a real stream from ``model`` at ``effort`` (``info.model``, ``info.effort``).
    """
    for pieces in (["The", " sky", " is", " blue", "."], ["Hello"], []):
        where = f"join_deltas(<a stream of {len(pieces)} text chunks>)"
        result = _call_on_stream(join_deltas, sample_chunks(pieces), where)
        expect(
            isinstance(result, tuple) and len(result) == 2,
            f"{where} returned {describe(result)}; return a pair: (text, number of chunks with text).",
        )
        text, count = result
        expect(
            isinstance(text, str),
            f"{where}: the text is {describe(text)}; join the deltas into one str. "
            "The finish chunk's delta.content is None: skip it.",
        )
        expect(text == "".join(pieces), f"{where}: the text is {text!r}; expected {''.join(pieces)!r}.")
        expect(
            count == len(pieces),
            f"{where}: you counted {count!r} text chunks; expected {len(pieces)}. "
            "Count only chunks whose delta.content is a non-empty string (not the role chunk, the finish "
            "chunk or the usage chunk, whose choices list is empty).",
        )
    if client is not None:
        stream = client.chat.completions.create(
            model=model,
            reasoning_effort=effort,
            messages=[{"role": "user", "content": "Say hello."}],
            max_completion_tokens=12,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        text, count = _call_on_stream(join_deltas, chunks, "join_deltas(<a real stream>)")
        expected = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        expect(text == expected, "On a real stream your text differs from the joined deltas.")
        expect(
            count <= chunks[-1].usage.completion_tokens + 1,
            "On a real stream you counted more text chunks than the reply has tokens.",
        )
    return "the deltas joined, and only the chunks that carry text counted."


def _check_reasoning(request: dict[str, Any], where: str, effort: str | NotGiven) -> None:
    """The effort on Responses: ``reasoning={"effort": effort}``, or no ``reasoning`` at all without one."""
    expect(
        "reasoning_effort" not in request,
        f"{where} has 'reasoning_effort', the Chat Completions name: on Responses the effort goes inside "
        "an object, reasoning={'effort': effort}.",
    )
    reasoning = request.get("reasoning", NOT_GIVEN)
    if not isinstance(effort, str):
        if isinstance(reasoning, dict) and set(reasoning) == {"effort"} and isinstance(reasoning["effort"], NotGiven):
            fail(
                f"{where} has reasoning={{'effort': NOT_GIVEN}}: the SDK leaves out NOT_GIVEN but still sends "
                "an empty reasoning object. With no effort to send, leave reasoning out (or pass NOT_GIVEN)."
            )
        expect(
            isinstance(reasoning, NotGiven),
            f"{where} has reasoning={reasoning!r}, but effort is NOT_GIVEN: there is no effort to send, so "
            "leave reasoning out (or pass NOT_GIVEN).",
        )
        return
    expect(
        not isinstance(reasoning, NotGiven),
        f"{where} sends no reasoning: put the effort in it, reasoning={{'effort': {effort!r}}}. Without it a "
        "reasoning model thinks at its own default effort (medium for gpt-6-luna).",
    )
    expect(
        isinstance(reasoning, dict),
        f"{where}: reasoning is {describe(reasoning)}; it is an object: reasoning={{'effort': {effort!r}}}.",
    )
    expect(
        reasoning == {"effort": effort},
        f"{where}: reasoning is {reasoning!r}; expected {{'effort': {effort!r}}} (the `effort` argument).",
    )


def _check_request_dict(
    request: Any, where: str, model: str, effort: str | NotGiven, question: str, instructions: str
) -> None:
    expect(
        isinstance(request, dict),
        f"{where} returned {describe(request)}; return a dict of keyword "
        "arguments for client.responses.create(**request).",
    )
    expect(
        "messages" not in request,
        f"{where} has a 'messages' key: that is Chat Completions. The Responses "
        "API takes 'input' (and 'instructions').",
    )
    for chat_name, what in (
        ("max_tokens", "the old Chat Completions name"),
        ("max_completion_tokens", "Chat Completions' name"),
    ):
        expect(
            chat_name not in request,
            f"{where} has {chat_name!r}, {what} for the limit: the Responses API calls it 'max_output_tokens'.",
        )
    for key in ("model", "input", "instructions", "max_output_tokens"):
        expect(
            key in request, f"{where} has no {key!r} key; expected model, input, instructions and max_output_tokens."
        )
    expect(request["model"] == model, f"{where}: model is {request['model']!r}; use the `model` argument.")
    _check_reasoning(request, where, effort)
    expect(
        request["input"] == question,
        f"{where}: input is {describe(request['input'])}; send the question itself, a plain string, as input.",
    )
    expect(
        request["instructions"] == instructions,
        f"{where}: instructions is {describe(request['instructions'])}; "
        "pass the `instructions` argument unchanged (it is the Responses API's system message).",
    )
    budget = request["max_output_tokens"]
    expect(
        isinstance(budget, int) and 16 <= budget <= 100,
        f"{where}: max_output_tokens is {budget!r}; use an int from 16 (the API's minimum) to 100.",
    )


@checker(needs=("responses",))
def check_responses_request(responses_request, client, model, effort: str | NotGiven = NOT_GIVEN):
    """Check ``responses_request(model, effort, question, instructions)``: the dict for an effort and for
    none, then a real request with ``model`` and ``effort`` (``info.model``, ``info.effort``)."""
    question, instructions = "What is the capital of Italy?", "Answer in one short sentence."
    request: Any = None
    for tried in ("low", NOT_GIVEN, effort):
        where = f"responses_request(model, {tried!r}, {question!r}, {instructions!r})"
        request = call(responses_request, model, tried, question, instructions)
        if is_stub(request):
            raise NotDone()
        _check_request_dict(request, where, model, tried, question, instructions)
    response = client.responses.create(**request)
    expect(
        response.object == "response" and isinstance(response.output_text, str),
        "The request went through but did not return a Response.",
    )
    expect(
        response.usage.output_tokens <= request["max_output_tokens"],
        "The reply is longer than max_output_tokens: did you send the limit?",
    )
    return "a working Responses request: input, instructions, the effort inside reasoning (or none) and a limit."


#: The questions of the chain exercise: each makes sense only after the ones before.
CHAIN_QUESTIONS = ("Pick a colour.", "Why did you pick it?", "Name a fruit of that colour.")


def _chain_error_hint(error: BaseException) -> None:
    """A hint for the API errors a chain gets wrong (``error`` is what the learner's code raised)."""
    import openai

    if not isinstance(error, openai.APIStatusError):
        return
    body = error.body if isinstance(error.body, dict) else {}
    code, param, message = body.get("code"), body.get("param"), body.get("message", str(error))
    if code == "mutually_exclusive_parameters":
        fail(
            "A request sent both conversation and previous_response_id, which the API refuses (400). A chain "
            "needs only previous_response_id=<the response before>.id."
        )
    if code == "previous_response_not_found":
        fail(
            f"A request continues a response the server does not have ({message}). Pass the id of the "
            "response before (response.id, 'resp_...'), and leave store at its default: a response sent "
            "with store=False cannot be continued."
        )
    if param == "previous_response_id":
        fail(
            f"The API refused previous_response_id ({error.status_code}: {message}). It takes the earlier "
            "response's id, response.id (a str), not the Response itself."
        )


@checker(needs=("stored_responses",))
def check_ask_in_a_chain(ask_in_a_chain, client, model, effort: str | NotGiven = NOT_GIVEN):
    """Check ``ask_in_a_chain(client, request, questions)``: each question continues the response before it.

    Sends :data:`CHAIN_QUESTIONS` through the learner's function with ``model`` at ``effort``, then reads
    back, from the server, the items the last response was generated from.
    """
    request: dict[str, Any] = {"model": model, "max_output_tokens": 16}
    if isinstance(effort, str):
        request["reasoning"] = {"effort": effort}
    questions = list(CHAIN_QUESTIONS)
    where = "ask_in_a_chain(client, request, <3 questions>)"
    try:
        responses = call(ask_in_a_chain, client, dict(request), list(questions))
    except Hint as hint:
        if hint.__cause__ is not None:
            _chain_error_hint(hint.__cause__)
        raise
    expect(
        isinstance(responses, (list, tuple)),
        f"{where} returned {describe(responses)}; return a list with the Response of each question.",
    )
    expect(
        len(responses) == len(questions),
        f"{where} returned {len(responses)} items for {len(questions)} questions; return one Response each.",
    )
    for number, response in enumerate(responses, start=1):
        expect(
            not isinstance(response, str),
            f"Item {number} is a str; return the Responses themselves (their .id is what the chain needs), "
            "not their output_text.",
        )
        expect(
            getattr(response, "object", None) == "response",
            f"Item {number} is {describe(response)}; expected the Response from client.responses.create.",
        )
    expect(
        responses[0].previous_response_id is None,
        "The first question continues an earlier response; it starts the chain, so send it without "
        "previous_response_id.",
    )
    for number in range(1, len(responses)):
        response, before = responses[number], responses[number - 1]
        if response.previous_response_id == before.id:
            continue
        if response.previous_response_id is None and response.conversation is not None:
            fail(
                f"Response {number + 1} went through a conversation. That keeps state too, but this exercise "
                "asks for a chain: previous_response_id=<the response before>.id."
            )
        if response.previous_response_id is None:
            fail(
                f"Response {number + 1} does not continue response {number}: its previous_response_id is None. "
                "Pass previous_response_id=<the response before>.id, and the server adds the earlier turns."
            )
        if number > 1 and response.previous_response_id == responses[0].id:
            fail(
                f"Response {number + 1} continues response 1, not response {number}: the chain skips the turns "
                "in between. Always pass the id of the latest response."
            )
        fail(f"Response {number + 1} continues {response.previous_response_id!r}, not response {number}.")
    items = list(client.responses.input_items.list(responses[-1].id, order="asc"))
    asked = [item.content[0].text for item in items if item.type == "message" and item.role == "user"]
    expect(
        asked == questions,
        f"The last response was generated from these questions: {asked!r}; expected each question once, in "
        "order. With previous_response_id the server adds the earlier turns itself: send only the new question "
        "as input.",
    )
    expect(
        all(response.max_output_tokens == request["max_output_tokens"] for response in responses),
        "Send the settings in `request` with every question: client.responses.create(**request, input=...).",
    )
    return "each question continued the response before it; the server added the earlier turns itself."


@checker
def check_to_langchain(to_langchain):
    """Check ``to_langchain(messages)``: role dicts become SystemMessage / HumanMessage / AIMessage."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "developer", "content": "Use French."},
        {"role": "user", "content": " Thanks, bye "},  # spaces kept: a converter must not edit the text
    ]
    expected = [SystemMessage, HumanMessage, AIMessage, SystemMessage, HumanMessage]
    result = call(to_langchain, [dict(m) for m in messages])
    expect(isinstance(result, list), f"to_langchain(messages) returned {describe(result)}; return a list.")
    expect(
        len(result) == len(messages),
        f"to_langchain(messages) returned {counted(len(result), 'message')} for {counted(len(messages), 'dict')}; convert each one.",
    )
    for number, (message, got, kind) in enumerate(zip(messages, result, expected)):
        expect(
            type(got) is kind,
            f"Message {number} (role {message['role']!r}) became {type(got).__name__}; "
            f"expected {kind.__name__}."
            + (" LangChain has no developer message: use SystemMessage." if message["role"] == "developer" else ""),
        )
        expect(
            got.content == message["content"],
            f"Message {number}: the content is {got.content!r}; expected {message['content']!r}: "
            "pass each message's text on exactly as it is.",
        )
    try:
        to_langchain([{"role": "tool", "content": "42"}])
    except ValueError:
        pass
    except Exception as error:
        fail(f"For an unknown role ('tool') raise ValueError, not {type(error).__name__}.")
    else:
        fail(
            "to_langchain([{'role': 'tool', ...}]) did not raise: raise ValueError for a role you cannot "
            "convert, rather than dropping the message silently."
        )
    return "system and developer → SystemMessage, user → HumanMessage, assistant → AIMessage."


#: The pretend service behind the tool of the exercise on bind_tools: today's opening hours of three museums.
OPENING_HOURS = {"Louvre": "9:00-18:00", "Prado": "10:00-20:00", "Uffizi": "closed today"}

#: The question the check sends through the learner's ``ask_with_tool``.
TOOL_QUESTION = "When is the Prado open today?"


def opening_hours_tool() -> Any:
    """The exercise's tool: ``opening_hours(museum)`` as a LangChain tool (name, description, schema).

    >>> tool = opening_hours_tool()
    >>> tool.name, tool.invoke({"museum": "Prado"})
    ('opening_hours', '10:00-20:00')
    """
    from langchain_core.tools import tool  # (Literal is imported at the top: @tool reads the hints there)

    @tool
    def opening_hours(museum: Literal["Louvre", "Prado", "Uffizi"]) -> str:
        """Today's opening hours of a museum."""
        return OPENING_HOURS[museum]

    return opening_hours


class _Requests:
    """A LangChain callback that keeps the parameters of every request a chat model makes (tools, tool_choice)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def handler(self) -> Any:
        from langchain_core.callbacks import BaseCallbackHandler

        sent = self.sent

        class Recorder(BaseCallbackHandler):
            def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
                sent.append(dict(kwargs.get("invocation_params") or {}))

        return Recorder()


def _forces(choice: Any, name: str) -> bool:
    """Whether a request's ``tool_choice`` (as LangChain sent it) forces a call of the tool ``name``."""
    if choice == "required":
        return True
    return isinstance(choice, dict) and choice.get("function", {}).get("name") == name


def _tool_error_hint(error: BaseException, where: str) -> str:
    """The hint for what the learner's code raised, naming the 400s a tool history gets wrong.

    LangChain sends a GPT-6 request with tools through the Responses API, others through Chat Completions:
    the API's wording differs (both as OpenAI's; see the local server's protocol/chat.py and items.py).
    """
    message = str(error)
    if "must be followed by tool messages" in message or "No tool output found" in message:
        return (
            "The API refused the history: the AIMessage with the tool call is not followed by a ToolMessage "
            "answering it. tool.invoke(call), with the whole call from reply.tool_calls, runs the tool and gives "
            "a ToolMessage carrying the call's id; tool.invoke(call['args']) gives only the text (a str, which "
            "LangChain sends as a user message)."
        )
    if "must be a response to a preceeding message" in message or "No tool call found" in message:
        return (
            "The API refused the history: a ToolMessage answers a tool call, so the model's reply that asked "
            "for it (the AIMessage with tool_calls) must come before it. Append that reply to the history first."
        )
    if "tool_call_id" in message:
        return (
            "The API refused the history: a ToolMessage's tool_call_id must be the id of the call it answers "
            "(call['id']); tool.invoke(call) sets it for you."
        )
    return f"{where} raised {type(error).__name__}: {message[:300]}"


@checker(needs=("tools", "responses"))
def check_ask_with_tool(ask_with_tool, model, effort: str | NotGiven = NOT_GIVEN, **connection: Any):
    """Check ``ask_with_tool(llm, tool, question)``: a forced call, the tool run, its result sent, the answer.

    The check makes the ``llm`` (``ChatOpenAI`` for ``model`` at ``effort``, temperature 0: pass
    ``info.sampling.model``, ``info.sampling.effort``) and records the requests it sends; ``connection``
    (``base_url``, ``api_key``) goes to ``ChatOpenAI``, which otherwise reads them from the environment.
    """
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_openai import ChatOpenAI

    requests = _Requests()
    llm = ChatOpenAI(
        model=model,
        reasoning_effort=effort if isinstance(effort, str) else None,
        temperature=0,
        max_completion_tokens=60,
        max_retries=0,
        callbacks=[requests.handler()],
        **connection,
    )
    tool = opening_hours_tool()
    where = f"ask_with_tool(llm, opening_hours, {TOOL_QUESTION!r})"
    try:
        history = call(ask_with_tool, llm, tool, TOOL_QUESTION)
    except Hint as hint:  # said again with `where`: the llm's repr, in the arguments, runs to a page
        if hint.__cause__ is not None:
            raise Hint(_tool_error_hint(hint.__cause__, where)) from hint.__cause__
        if "did you forget `return`" not in str(hint):
            raise
        fail(f"{where} returned None: did you forget `return history`?")
    if isinstance(history, AIMessage):
        fail(f"{where} returned one AIMessage; return the whole history, a list: the question, ... , the answer.")
    expect(
        isinstance(history, list) and history,
        f"{where} returned {describe(history)}; return the history, a list of messages ending with the answer.",
    )
    expect(requests.sent, "Your function sent no request through `llm`: use the llm it is given.")
    first = requests.sent[0]
    names = [spec.get("function", {}).get("name") for spec in first.get("tools") or []]
    expect(
        tool.name in names,
        "The first request had no tools: bind the tool, llm.bind_tools([tool], tool_choice=...), and invoke what "
        "bind_tools returns (a new runnable: llm itself stays without tools).",
    )
    choice = first.get("tool_choice")
    expect(
        _forces(choice, tool.name),
        f"The first request sent tool_choice={choice!r}, so the model could answer in text instead of calling the "
        "tool, and a small model (the local one) mostly does. Force the call: tool_choice='required' (or the "
        "tool's name).",
    )
    expect(
        len(requests.sent) >= 2,
        "You sent one request: after the tool ran, send the history with its result back (a second invoke), so "
        "the model can answer from it.",
    )
    last = history[-1]
    expect(
        isinstance(last, AIMessage),
        f"The history ends with {type(last).__name__}, not the answer: append the model's reply to the last "
        "request (an AIMessage).",
    )
    expect(
        not last.tool_calls,
        f"The last reply is another tool call, not the answer: the last request sent "
        f"tool_choice={requests.sent[-1].get('tool_choice')!r}. Send the result with tool_choice='none' (the "
        "tool stays bound, but the model may not call it) to get the answer in text.",
    )
    calls = [c for message in history[:-1] if isinstance(message, AIMessage) for c in message.tool_calls]
    expect(
        calls,
        "The history has no AIMessage with tool_calls before the answer: append the model's reply to the first "
        "request (the AIMessage that asks for the tool) to the history.",
    )
    answers = {message.tool_call_id: message for message in history if isinstance(message, ToolMessage)}
    for tool_call in calls:
        answer = answers.get(tool_call["id"] or "")
        expect(
            answer is not None,
            "The history has no ToolMessage for the model's call: run the tool on each call, "
            "tool.invoke(call), and append the ToolMessage it returns.",
        )
        got, expected = getattr(answer, "content", None), tool.invoke(tool_call["args"])
        expect(
            got == expected,
            f"The ToolMessage says {got!r}, but the tool answers {expected!r} for the call's arguments "
            f"{tool_call['args']!r}: send the tool's own result for the arguments the model chose.",
        )
    expect(
        last.text.strip(),
        "The last AIMessage has no text: the answer is the reply to the request that carries the ToolMessage.",
    )
    return "a forced call, the tool's result as a ToolMessage with the call's id, then the answer in text."


@checker
def check_base_url_for(base_url_for):
    """Check ``base_url_for(backend, host="localhost")`` on every backend of the lesson."""
    if is_stub(base_url_for):
        raise NotDone()
    for backend, template in BASE_URLS.items():
        expected = template.format(host="localhost")
        got = call(base_url_for, backend)
        if isinstance(got, str) and got.rstrip("/") + "/v1" == expected:
            fail(
                f"base_url_for({backend!r}) returned {got!r}; expected {expected!r}: the SDK adds the endpoint "
                "(/chat/completions) to the base URL, and OpenAI-compatible servers answer under /v1."
            )
        expect(got == expected, f"base_url_for({backend!r}) returned {got!r}; expected {expected!r}.")
    got = call(base_url_for, "ollama", host="10.0.0.7")
    expect(
        got == "http://10.0.0.7:11434/v1",
        f"base_url_for('ollama', host='10.0.0.7') returned {got!r}; "
        "expected 'http://10.0.0.7:11434/v1' (a classroom machine).",
    )
    got = call(base_url_for, "openai", host="10.0.0.7")
    expect(
        got == BASE_URLS["openai"],
        f"base_url_for('openai', host='10.0.0.7') returned {got!r}; OpenAI's address does not depend on host.",
    )
    try:
        base_url_for("nonsense")
    except ValueError:
        pass
    except Exception as error:
        fail(f"For an unknown backend raise ValueError, not {type(error).__name__}.")
    else:
        fail("base_url_for('nonsense') did not raise: raise ValueError for an unknown backend.")
    return "one function, every backend: only OPENAI_BASE_URL changes between them."
