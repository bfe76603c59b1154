"""``POST /v1/responses`` on the local model: the Responses API for plain text.

The Responses API is OpenAI's newer interface next to Chat Completions. A
request carries ``input`` (a string, or a list of messages) and optional
``instructions``; the answer is a ``Response`` object whose ``output`` holds
one assistant message, and the SDK's ``response.output_text`` joins its text.
Streaming sends typed events (``response.created``,
``response.output_text.delta``, ..., ``response.completed``) instead of chunks.

The model, the sampler and the batching are the ones behind
``/v1/chat/completions`` (see :mod:`.chat`): this module only translates the
request into chat messages and the tokens into Response shapes.
``text.format`` (JSON mode, a JSON schema) constrains the reply as
``response_format`` does in chat, and the SDK's ``responses.parse()`` reads
it. Function tools work as in chat: a reply that calls them has
``function_call`` output items (``call_id``, ``name``, ``arguments``),
streamed as ``response.output_item.added``, ``response.function_call_arguments.delta``
and ``.done``, ``response.output_item.done``; their results come back as
``function_call_output`` input items, usually with ``previous_response_id``.
Features a small text model cannot honour (other tools, reasoning summaries,
images) get a 400 naming the parameter. A reasoning model's
``reasoning.effort`` is checked against its profile
(:mod:`.protocol.profiles`), echoed, and has no effect: the local model does
not reason (``usage.output_tokens_details.reasoning_tokens`` is 0). A response without ``max_output_tokens`` ends at
:data:`.chat_request.DEFAULT_MAX_OUTPUT_TOKENS` (status ``incomplete``).

Conversation state, as on OpenAI: a response is stored unless ``store=false``
(:mod:`.response_store`, in memory, bounded). ``previous_response_id``
continues a stored response: the model reads that response's input items and
output, then the new input; its ``instructions`` are not carried over (as
OpenAI documents: send them again to keep them). ``conversation`` reads a
conversation's items first and appends the new input and output to it
(:mod:`.conversations`). A streamed response is stored when its stream ends.

>>> request = parse_responses_request({"model": "gpt-6-luna", "input": "Hi",
...                                    "instructions": "Be brief."})
>>> request.chat.messages
[{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]

Used in: notebooks/06_beyond.ipynb
"""

from __future__ import annotations

import datetime
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..sampling_params import SamplingParams
from ..tool_calls import CallPiece, render_tool_messages
from .chat_engine import ChatEngine, Generation, GenerationEvent, engine_for
from .chat_request import ChatRequest, output_limit
from .chat_response import ChoiceState
from .errors import APIError
from .items import chat_messages, check_tool_outputs, function_call_item, new_id, output_part, stored_item
from .protocol.profiles import effective_effort, profile_for
from .protocol.responses import parse_responses
from .protocol.structured import constraint_for
from .protocol.tools import choice_name, function_specs, tools_constraint
from .request_moderation import RequestModeration
from .session import GenerationSession, open_session
from .streaming import sse_event
from .validation import read_json_object

__all__ = [
    "EventWriter",
    "ResponseBuilder",
    "ResponsesRequest",
    "continue_context",
    "keep_response",
    "response_usage",
    "parse_responses_request",
    "responses",
    "routes",
]


@dataclass
class ResponsesRequest:
    """A checked Responses request: the equivalent chat request plus what the Response echoes and keeps."""

    chat: ChatRequest
    instructions: str | None
    max_output_tokens: int | None
    metadata: dict[str, str]
    truncation: str = "disabled"  # "auto": drop the oldest input items until the prompt fits
    reasoning_effort: str | None = None  # echoed only: the local model does not reason
    input_items: list[dict[str, Any]] = field(default_factory=list)  # the new input, as stored items
    context_items: list[dict[str, Any]] = field(default_factory=list)  # what came before it (see continue_from)
    store: bool = True
    previous_response_id: str | None = None
    conversation_id: str | None = None
    text_format: dict[str, Any] = field(default_factory=lambda: {"type": "text"})  # echoed in the Response
    functions: list[dict[str, Any]] = field(default_factory=list)  # function tools (their checked specs)
    tool_choice: str = "auto"  # "auto", "none", "required" or a function's name
    tools: list[dict[str, Any]] = field(default_factory=list)  # echoed in the Response
    parallel_tool_calls: bool = True

    def continue_from(self, context_items: list[dict[str, Any]]) -> None:
        """Put earlier items (a previous response's, a conversation's) before the input, for the model to read."""
        self.context_items = list(context_items)
        items = [*self.context_items, *self.input_items]
        self.chat.messages = _messages(self.instructions, items, self.functions, self.tool_choice)

    def tool_choice_json(self) -> Any:
        """``tool_choice`` as the Response echoes it."""
        if self.tool_choice in ("auto", "none", "required"):
            return self.tool_choice
        return {"type": "function", "name": self.tool_choice}


def _messages(
    instructions: str | None, items: list[dict[str, Any]], functions: list[dict[str, Any]], choice: str
) -> list[dict[str, str]]:
    """The chat messages the model reads: the instructions first, as a system message, then the items
    (with function tools, the tool list, calls and outputs as ``tool_calls.py`` renders them)."""
    messages = chat_messages(items)
    messages = [{"role": "system", "content": instructions}, *messages] if instructions else messages
    return render_tool_messages(messages, functions, choice)


def parse_responses_request(body: dict[str, Any], today: datetime.date | None = None) -> ResponsesRequest:
    """Check a Responses body and translate it into a chat request; raise APIError if invalid.

    ``today`` is the date the model's shutdown is judged on (default: today).

    >>> parse_responses_request({"model": "gpt-5.4", "input": "x", "tools": [{"type": "web_search"}]})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_helpers.local.server.errors.APIError: Unsupported value: 'tools[0]' is a tool of type 'web_search'. ...
    """
    request = parse_responses(body, today)
    input_items = [stored_item(item) for item in request.input]
    functions = function_specs([tool.function for tool in request.tools or []], "tools[{index}].parameters")
    choice = choice_name(request.tool_choice)
    tools = tools_constraint(functions, choice, request.parallel_tool_calls) if functions else None
    messages = _messages(request.instructions, input_items, functions, choice)
    text_format = request.text.format if request.text is not None else None
    sampling = SamplingParams(
        temperature=request.temperature,
        top_p=request.top_p,
        max_tokens=output_limit(request.max_output_tokens),
        constraint=tools or constraint_for(text_format, "text.format"),
    )
    chat = ChatRequest(
        model=request.model,
        messages=messages,
        stream=request.stream,
        sampling=sampling,
        moderation=request.moderation,
        calls_tools=tools is not None,
    )
    effort = effective_effort(profile_for(request.model), request.reasoning.effort if request.reasoning else None)
    return ResponsesRequest(
        chat,
        request.instructions,
        request.max_output_tokens,
        dict(request.metadata),
        request.truncation,
        effort,
        input_items=input_items,
        store=request.store,
        previous_response_id=request.previous_response_id,
        conversation_id=request.conversation_id,
        text_format=text_format.model_dump(by_alias=True, exclude_none=True) if text_format else {"type": "text"},
        functions=functions,
        tool_choice=choice,
        tools=[_tool_json(tool.function) for tool in request.tools or []],
        parallel_tool_calls=request.parallel_tool_calls is not False,
    )


def _tool_json(function: Any) -> dict[str, Any]:
    """A function tool as the Response echoes it (``FunctionTool``)."""
    return {
        "type": "function",
        "name": function.name,
        "description": function.description,
        "parameters": function.parameters,
        "strict": function.strict,
    }


class ResponseBuilder:
    """The ``Response`` object of one request, as it is before, during and after generation."""

    def __init__(self, request: ResponsesRequest, model: str) -> None:
        self.request = request
        self.model = model
        self.id = new_id("resp_")
        self.message_id = new_id("msg_")
        self.created_at = int(time.time())
        self.reply = ChoiceState(0, logprobs=False, tools=request.chat.calls_tools)  # its text, or its calls
        self.call_item_ids: list[str] = []  # the function_call items' ids, one per call
        self.finish_reason: str | None = None
        self.moderation = RequestModeration.of(request.chat.moderation, api="responses")

    @property
    def text(self) -> str:
        return "".join(self.reply.text_parts)

    def read(self, event: GenerationEvent) -> list[CallPiece]:
        """The pieces an engine event completes (text, or a call's start or arguments)."""
        if event.finish_reason is not None:
            self.finish_reason = event.finish_reason
        pieces = self.reply.read(event.text or "", last=event.finish_reason is not None)
        self.call_item_ids += [new_id("fc_") for piece in pieces if piece.kind == "call"]
        return pieces

    def call_item(self, index: int, status: str) -> dict[str, Any]:
        """Function call ``index`` as an output item (its arguments so far)."""
        call = self.reply.tool_calls()[index]
        arguments = call["function"]["arguments"] if status != "in_progress" else ""
        item = function_call_item(call["id"], call["function"]["name"], arguments, self.call_item_ids[index])
        return {**item, "status": status}

    def output(self, status: str) -> list[dict[str, Any]]:
        """The ``output`` items: the function calls, or the message."""
        if self.reply.call_ids:
            return [self.call_item(index, status) for index in range(len(self.reply.call_ids))]
        return [self.message(status)]

    @property
    def incomplete(self) -> bool:
        return self.finish_reason in ("length", "content_filter")

    def part(self, text: str) -> dict[str, Any]:
        return output_part(text)

    def message(self, status: str) -> dict[str, Any]:
        content = [self.part(self.text)] if status != "in_progress" else []
        return {"id": self.message_id, "type": "message", "status": status, "role": "assistant", "content": content}

    def response(self, status: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        sampling = self.request.chat.sampling
        output = self.output(status) if status in ("completed", "incomplete") else []
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": self._incomplete_reason()} if status == "incomplete" else None,
            "instructions": self.request.instructions,
            "max_output_tokens": self.request.max_output_tokens,
            "max_tool_calls": None,
            "metadata": self.request.metadata,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": self.request.parallel_tool_calls,
            "previous_response_id": self.request.previous_response_id,
            "conversation": {"id": self.request.conversation_id} if self.request.conversation_id else None,
            "reasoning": {"effort": self.request.reasoning_effort, "summary": None},
            "service_tier": "default",
            "store": self.request.store,
            "temperature": sampling.temperature,
            "text": {"format": self.request.text_format, "verbosity": "medium"},
            "tool_choice": self.request.tool_choice_json(),
            "tools": self.request.tools,
            "top_logprobs": 0,
            "top_p": sampling.top_p,
            "truncation": self.request.truncation,
            "usage": usage,
            "user": None,
            **({"moderation": self.moderation.json()} if self.moderation and status != "in_progress" else {}),
        }

    def _incomplete_reason(self) -> str:
        return "content_filter" if self.finish_reason == "content_filter" else "max_output_tokens"

    def final_status(self) -> str:
        return "incomplete" if self.incomplete else "completed"


def response_usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """The Responses ``usage`` object (names differ from chat's prompt/completion tokens).

    >>> response_usage(12, 3)["total_tokens"]
    15
    """
    return {
        "input_tokens": int(input_tokens),
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": int(output_tokens),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": int(input_tokens) + int(output_tokens),
    }


def _usage(generation: Generation) -> dict[str, Any]:
    return response_usage(generation.prompt_tokens, generation.completion_tokens)


def _apply(event: GenerationEvent, builder: ResponseBuilder) -> None:
    builder.read(event)


class EventWriter:
    """Responses stream events, numbered by ``sequence_number`` in the order they are written."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return b"event: " + kind.encode() + b"\n" + sse_event(payload)

    def error(self, error: APIError) -> bytes:
        """A failure after the headers, as the Responses API streams it (its ``code`` is the error's type)."""
        return self("error", code=error.type, message=error.message, param=error.param)


def _call_done(builder: ResponseBuilder, emit: EventWriter, index: int, status: str) -> list[bytes]:
    """The events that end function call ``index``: its whole arguments, then the whole item."""
    item = builder.call_item(index, status)
    return [
        emit(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=index,
            arguments=item["arguments"],
        ),
        emit("response.output_item.done", output_index=index, item=item),
    ]


async def _events(
    builder: ResponseBuilder, session: GenerationSession, emit: EventWriter, keep: Callable[[dict[str, Any]], None]
) -> AsyncGenerator[bytes, None]:
    """The streamed reply as Responses events: a message's text deltas, or each function call's item and
    argument deltas (with tools, what the reply is becomes clear with its first characters)."""
    where = {"item_id": builder.message_id, "output_index": 0, "content_index": 0}
    yield emit("response.created", response=builder.response("in_progress"))
    yield emit("response.in_progress", response=builder.response("in_progress"))
    message_started = False

    def start_message() -> list[bytes]:
        nonlocal message_started
        message_started = True
        return [
            emit("response.output_item.added", output_index=0, item=builder.message("in_progress")),
            emit("response.content_part.added", part=builder.part(""), **where),
        ]

    if not builder.request.chat.calls_tools:
        for frame in start_message():
            yield frame
    async for event in session.events():
        for piece in builder.read(event):
            if piece.kind == "text":
                for frame in [] if message_started else start_message():
                    yield frame
                yield emit("response.output_text.delta", delta=piece.text, logprobs=[], **where)
            elif piece.kind == "call":
                if piece.index > 0:
                    for frame in _call_done(builder, emit, piece.index - 1, "completed"):
                        yield frame
                item = builder.call_item(piece.index, "in_progress")
                yield emit("response.output_item.added", output_index=piece.index, item=item)
            else:
                item_id = builder.call_item_ids[piece.index]
                yield emit(
                    "response.function_call_arguments.delta",
                    item_id=item_id,
                    output_index=piece.index,
                    delta=piece.text,
                )
    status = builder.final_status()
    if builder.reply.call_ids:
        for frame in _call_done(builder, emit, len(builder.reply.call_ids) - 1, status):
            yield frame
    else:
        for frame in [] if message_started else start_message():
            yield frame
        yield emit("response.output_text.done", text=builder.text, logprobs=[], **where)
        yield emit("response.content_part.done", part=builder.part(builder.text), **where)
        yield emit("response.output_item.done", output_index=0, item=builder.message(status))
    final = builder.response(status, _usage(session.generation))
    keep(final)  # before the last event: a client that reads it can continue the response at once
    yield emit(f"response.{status}", response=final)


def fit_to_context(engine: ChatEngine, messages: list[dict[str, str]], keep_first: bool) -> list[dict[str, str]]:
    """``truncation="auto"``: drop the oldest messages until the prompt leaves room for a reply.

    The instructions (the first message, when ``keep_first``) and the last
    message always stay; if they alone are too long, the request fails as
    without truncation.
    """
    kept = list(messages)
    first = 1 if keep_first else 0
    while len(kept) - first > 1 and len(engine.encode_chat(kept)) + 1 > engine.context_length:
        del kept[first]
    return kept


def continue_context(state: State, parsed: ResponsesRequest) -> None:
    """Read what the request continues: its conversation's items (404 if unknown), or a stored response's
    input and output (400 if unknown), so the model sees them before the new input."""
    if parsed.conversation_id is not None:
        parsed.continue_from(state.conversations.get(parsed.conversation_id, param="conversation").items)
    elif parsed.previous_response_id is not None:
        parsed.continue_from(state.responses.previous(parsed.previous_response_id).context)


def keep_response(state: State, parsed: ResponsesRequest, response: dict[str, Any]) -> None:
    """What a finished response leaves: itself, unless ``store=false``, and its turn in its conversation."""
    if parsed.store:
        state.responses.add(response, [*parsed.context_items, *parsed.input_items])
    if parsed.conversation_id is not None and parsed.conversation_id in state.conversations:  # not deleted meanwhile
        state.conversations.get(parsed.conversation_id).items.extend([*parsed.input_items, *response["output"]])


async def responses(request: Request) -> Response:
    """``POST /v1/responses``: check, read the state it continues, generate, keep, answer (a Response, or events)."""
    state = request.app.state
    parsed = parse_responses_request(await read_json_object(request), today=state.today())
    continue_context(state, parsed)
    check_tool_outputs([*parsed.context_items, *parsed.input_items])
    chat = parsed.chat
    engine = await engine_for(request)
    if parsed.truncation == "auto":
        chat.messages = await anyio.to_thread.run_sync(fit_to_context, engine, chat.messages, bool(parsed.instructions))
    builder = ResponseBuilder(parsed, engine.model_name)
    start = {"start": builder.moderation.start} if builder.moderation else {}
    session = await open_session(request, engine, chat.messages, chat.sampling, chat.n, param="input", **start)

    def keep(response: dict[str, Any]) -> None:
        keep_response(state, parsed, response)

    if chat.stream:
        emit = EventWriter()
        return session.event_stream(_events(builder, session, emit, keep), report=emit.error)
    if await session.gather(request, lambda event: _apply(event, builder)):
        return Response(status_code=204)  # nobody is listening; the generation is already cancelled
    response = builder.response(builder.final_status(), _usage(session.generation))
    keep(response)
    return JSONResponse(response)


routes = [Route("/v1/responses", responses, methods=["POST"])]
