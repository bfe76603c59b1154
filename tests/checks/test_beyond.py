"""The lesson 06 checks: right answers pass, typical mistakes get their hint, stubs are not done."""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from openai import NOT_GIVEN, OpenAI

from course_helpers.checks import beyond as checks
from course_helpers.local.server import start_in_thread


@pytest.fixture(scope="module")
def client():
    """The real SDK against a local server on the real model (replies are kept short)."""
    # gpt-4o-mini is shut down on 2027-01-14; these checks test the lesson, not the calendar
    with start_in_thread(api_key="sk-test-beyond", today=lambda: datetime.date(2026, 12, 4)) as handle:
        with OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0) as sdk:
            yield sdk


def _stand_in_engine():
    """The server tests' echoing stand-in engine (tests/local/server/fake_engine.py), loaded by path."""
    path = Path(__file__).parent.parent / "local" / "server" / "fake_engine.py"
    spec = importlib.util.spec_from_file_location("beyond_fake_engine", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.FakeEngine()


@pytest.fixture(scope="module")
def stand_in_client():
    """The SDK against a local server on the stand-in engine: fast, for checks that do not read the reply."""
    engine = _stand_in_engine()
    with start_in_thread(api_key="sk-test-beyond", engine=engine, today=lambda: datetime.date(2026, 12, 4)) as handle:
        with OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0) as sdk:
            yield sdk


def _line(capsys, check, *args, **kwargs):
    check(*args, **kwargs)
    return capsys.readouterr().out.strip()


def join_deltas(chunks):
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    return "".join(pieces), len(pieces)


def to_langchain(messages):
    kinds = {"system": SystemMessage, "developer": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    if any(m["role"] not in kinds for m in messages):
        raise ValueError("unknown role")
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def base_url_for(backend, host="localhost"):
    if backend not in checks.BASE_URLS:
        raise ValueError(backend)
    return checks.BASE_URLS[backend].format(host=host)


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (checks.check_join_deltas, join_deltas),
        (checks.check_to_langchain, to_langchain),
        (checks.check_base_url_for, base_url_for),
    ],
)
def test_right_answers_pass_and_stubs_are_not_done(capsys, check, answer):
    assert _line(capsys, check, answer).startswith("✅")
    assert _line(capsys, check, ...).startswith("⏳")


def test_counting_every_chunk_gets_a_hint(capsys):
    line = _line(capsys, checks.check_join_deltas, lambda chunks: (join_deltas(list(chunks))[0], 99))
    assert line.startswith("❌") and "Count only chunks" in line


def test_reading_choices_of_the_usage_chunk_gets_a_hint(capsys):
    def every_chunk(chunks):
        pieces = [c.choices[0].delta.content or "" for c in chunks]
        return "".join(pieces), len(pieces)

    line = _line(capsys, checks.check_join_deltas, every_chunk)
    assert line.startswith("❌") and "empty choices list" in line and "list_iterator" not in line


def test_joining_the_none_of_the_finish_chunk_gets_a_hint(capsys):
    def with_none(chunks):
        pieces = [c.choices[0].delta.content for c in chunks if c.choices]
        return "".join(pieces), len(pieces)

    line = _line(capsys, checks.check_join_deltas, with_none)
    assert line.startswith("❌") and "delta.content is None" in line


def responses_request(model, effort, question, instructions):
    request = {"model": model, "input": question, "instructions": instructions, "max_output_tokens": 30}
    if isinstance(effort, str):
        request["reasoning"] = {"effort": effort}
    return request


@pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
def test_responses_request_with_a_chat_limit_gets_a_hint(capsys, limit):
    def chat_limit(model, effort, question, instructions):
        request = responses_request(model, effort, question, instructions)
        request[limit] = request.pop("max_output_tokens")
        return request

    line = _line(capsys, checks.check_responses_request, chat_limit, object(), "gpt-6-luna", effort="none")
    assert line.startswith("❌") and "calls it 'max_output_tokens'" in line


def test_developer_as_human_message_gets_a_hint(capsys):
    def wrong(messages):
        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        return [kinds.get(m["role"], HumanMessage)(content=m["content"]) for m in messages]

    line = _line(capsys, checks.check_to_langchain, wrong)
    assert line.startswith("❌") and "developer" in line


def test_responses_request_with_messages_gets_a_hint(capsys):
    def chat_style(model, effort, question, instructions):
        return {"model": model, "messages": [{"role": "user", "content": question}]}

    line = _line(capsys, checks.check_responses_request, chat_style, object(), "gpt-6-luna", effort="none")
    assert line.startswith("❌") and "'input'" in line


# Today's default (gpt-4o-mini, no effort) and the course's next one (gpt-6-luna at effort none).
MODELS = [("gpt-4o-mini", NOT_GIVEN), ("gpt-6-luna", "none")]


@pytest.mark.parametrize(("model", "effort"), MODELS)
def test_join_deltas_on_a_real_stream(capsys, client, model, effort):
    line = _line(capsys, checks.check_join_deltas, join_deltas, client, model, effort=effort)
    assert line.startswith("✅")


@pytest.mark.parametrize(("model", "effort"), MODELS)
def test_responses_request_against_the_server(capsys, client, model, effort):
    line = _line(capsys, checks.check_responses_request, responses_request, client, model, effort=effort)
    assert line.startswith("✅")


def test_responses_request_stub_is_not_done(capsys):
    assert _line(capsys, checks.check_responses_request, ..., object(), "gpt-6-luna").startswith("⏳")


def read_twice(chunks):
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    count = sum(1 for c in chunks if c.choices and c.choices[0].delta.content)
    return text, count


def two_loops(chunks):
    pieces = []
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    count = 0
    for chunk in chunks:
        count += bool(chunk.choices and chunk.choices[0].delta.content)
    return "".join(pieces), count


def with_len(chunks):
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, len(chunks) - 3


@pytest.mark.parametrize(
    ("join", "hint"),
    [
        (read_twice, "a stream is read once"),
        (two_loops, "a stream is read once"),
        (with_len, "A stream is not a list"),
        (lambda chunks: (join_deltas(list(chunks))[0], 99), "Count only chunks"),
        (lambda chunks: join_deltas(list(chunks))[0], "return a pair"),
        (lambda chunks: (join_deltas(list(chunks))[1], join_deltas([])[0]), "join the deltas into one str"),
    ],
)
def test_join_deltas_wrong_answers(capsys, join, hint):
    line = _line(capsys, checks.check_join_deltas, join)
    assert line.startswith("❌") and hint in line and "you counted 0" not in line


def test_reading_a_kept_list_twice_is_right(capsys):
    def kept(chunks):
        return read_twice(list(chunks))

    assert _line(capsys, checks.check_join_deltas, kept).startswith("✅")


def _changed(**changes):
    """The right answer with some keys replaced (a value of None drops the key)."""

    def wrong(model, effort, question, instructions):
        request = responses_request(model, effort, question, instructions)
        for key, value in changes.items():
            request.pop(key, None)
            if value is not None:
                request[key] = value(model, effort, question) if callable(value) else value
        return request

    return wrong


def _always_reasoning(model, effort, question, instructions):
    return {**responses_request(model, effort, question, instructions), "reasoning": {"effort": effort}}


def _chat_effort(model, effort, question, instructions):
    return {**responses_request(model, NOT_GIVEN, question, instructions), "reasoning_effort": effort}


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_changed(input=lambda m, e, q: [{"role": "user", "content": q}]), "a plain string"),
        (_changed(max_output_tokens=10), "from 16"),
        (_changed(instructions=None), "no 'instructions' key"),
        (_changed(model="gpt-6-sol"), "use the `model` argument"),
        (_changed(reasoning=None), "sends no reasoning"),
        (_changed(reasoning=lambda m, e, q: e), "it is an object"),
        (_changed(reasoning=lambda m, e, q: {"reasoning_effort": e}), "expected {'effort': 'low'}"),
        (_changed(reasoning={"effort": "none"}), "the `effort` argument"),
        (_always_reasoning, "still sends an empty reasoning object"),
        (
            _changed(reasoning=lambda m, e, q: {"effort": e if isinstance(e, str) else "none"}),
            "but effort is NOT_GIVEN",
        ),
        (_chat_effort, "'reasoning_effort', the Chat Completions name"),
    ],
)
def test_responses_request_wrong_answers(capsys, wrong, hint):
    line = _line(capsys, checks.check_responses_request, wrong, object(), "gpt-6-luna", effort="none")
    assert line.startswith("❌") and hint in line


def dropping(messages):
    kinds = {"system": SystemMessage, "developer": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages if m["role"] in kinds]


def key_error(messages):
    kinds = {"system": SystemMessage, "developer": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


@pytest.mark.parametrize(
    ("convert", "hint"),
    [
        (dropping, "rather than dropping the message silently"),
        (key_error, "raise ValueError, not KeyError"),
        (lambda messages: [HumanMessage(content=m["content"]) for m in messages], "expected SystemMessage"),
        (lambda messages: [m["content"] for m in messages], "became str"),
        (lambda messages: [type(m)(content=m.content.strip()) for m in key_error(messages)], "exactly as it is"),
    ],
)
def test_to_langchain_wrong_answers(capsys, convert, hint):
    line = _line(capsys, checks.check_to_langchain, convert)
    assert line.startswith("❌") and hint in line


@pytest.mark.parametrize(
    ("base_url", "hint"),
    [
        (lambda backend, host="localhost": base_url_for(backend, host).removesuffix("/v1"), "answer under /v1"),
        (lambda backend, host="localhost": base_url_for(backend), "a classroom machine"),
        (lambda backend, host="localhost": checks.BASE_URLS.get(backend, "").format(host=host), "did not raise"),
        (lambda backend, host="localhost": base_url_for(backend, host).replace("https", "http"), "expected"),
    ],
)
def test_base_url_for_wrong_answers(capsys, base_url, hint):
    line = _line(capsys, checks.check_base_url_for, base_url)
    assert line.startswith("❌") and hint in line


def ask_in_a_chain(client, request, questions):
    responses = [client.responses.create(**request, input=questions[0])]
    for question in questions[1:]:
        responses.append(client.responses.create(**request, input=question, previous_response_id=responses[-1].id))
    return responses


@pytest.mark.parametrize(("model", "effort"), MODELS)
def test_ask_in_a_chain_right_answer_passes(capsys, client, model, effort):
    line = _line(capsys, checks.check_ask_in_a_chain, ask_in_a_chain, client, model, effort=effort)
    assert line.startswith("✅")


def test_ask_in_a_chain_right_answer_passes_on_the_stand_in(capsys, stand_in_client):
    """The wrong answers below run on the stand-in: the right one must pass there too."""
    line = _line(capsys, checks.check_ask_in_a_chain, ask_in_a_chain, stand_in_client, "gpt-6-luna", effort="none")
    assert line.startswith("✅")


def test_ask_in_a_chain_stub_is_not_done(capsys, stand_in_client):
    def stub(client, request, questions): ...  # YOUR CODE HERE

    line = _line(capsys, checks.check_ask_in_a_chain, stub, stand_in_client, "gpt-6-luna", effort="none")
    assert line.startswith("⏳")


def _unchained(client, request, questions):
    return [client.responses.create(**request, input=question) for question in questions]


def _all_to_the_first(client, request, questions):
    responses = [client.responses.create(**request, input=questions[0])]
    for question in questions[1:]:
        responses.append(client.responses.create(**request, input=question, previous_response_id=responses[0].id))
    return responses


def _history_by_hand(client, request, questions):
    responses = [client.responses.create(**request, input=questions[0])]
    for number in range(1, len(questions)):
        asked = [{"role": "user", "content": question} for question in questions[: number + 1]]
        responses.append(client.responses.create(**request, input=asked, previous_response_id=responses[-1].id))
    return responses


def _whole_response(client, request, questions):
    responses = [client.responses.create(**request, input=questions[0])]
    for question in questions[1:]:
        responses.append(client.responses.create(**request, input=question, previous_response_id=responses[-1]))
    return responses


def _not_stored(client, request, questions):
    responses = [client.responses.create(**request, input=questions[0], store=False)]
    for question in questions[1:]:
        response = client.responses.create(
            **request, input=question, previous_response_id=responses[-1].id, store=False
        )
        responses.append(response)
    return responses


def _texts(client, request, questions):
    return [response.output_text for response in ask_in_a_chain(client, request, questions)]


def _in_a_conversation(client, request, questions):
    conversation = client.conversations.create()
    return [client.responses.create(**request, input=q, conversation=conversation.id) for q in questions]


def _both(client, request, questions):
    conversation = client.conversations.create()
    responses = [client.responses.create(**request, input=questions[0], conversation=conversation.id)]
    for question in questions[1:]:
        responses.append(
            client.responses.create(
                **request, input=question, conversation=conversation.id, previous_response_id=responses[-1].id
            )
        )
    return responses


def _without_request(client, request, questions):
    settings = {"model": request["model"], "reasoning": request.get("reasoning", NOT_GIVEN)}
    responses = [client.responses.create(**settings, input=questions[0], max_output_tokens=20)]
    for question in questions[1:]:
        responses.append(
            client.responses.create(
                **settings, input=question, previous_response_id=responses[-1].id, max_output_tokens=20
            )
        )
    return responses


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_unchained, "its previous_response_id is None"),
        (_all_to_the_first, "continues response 1, not response 2"),
        (_history_by_hand, "send only the new question"),
        (_whole_response, "not the Response itself"),
        (_not_stored, "store=False cannot be continued"),
        (_texts, "not their output_text"),
        (_in_a_conversation, "went through a conversation"),
        (_both, "both conversation and previous_response_id"),
        (_without_request, "Send the settings in `request`"),
    ],
)
def test_ask_in_a_chain_wrong_answers(capsys, stand_in_client, wrong, hint):
    """The chain's mistakes are in the requests, not in what the model says: the stand-in engine answers."""
    line = _line(capsys, checks.check_ask_in_a_chain, wrong, stand_in_client, "gpt-6-luna", effort="none")
    assert line.startswith("❌") and hint in line, line


@pytest.fixture(scope="module")
def connection(client):
    """Where the check's ChatOpenAI sends its requests: the real local server of `client`."""
    return {"base_url": str(client.base_url), "api_key": client.api_key}


def ask_with_tool(llm, tool, question):
    history = [HumanMessage(question)]
    history.append(llm.bind_tools([tool], tool_choice="required").invoke(history))
    history += [tool.invoke(tool_call) for tool_call in history[-1].tool_calls]
    history.append(llm.bind_tools([tool], tool_choice="none").invoke(history))
    return history


@pytest.mark.parametrize(("model", "effort"), MODELS)
def test_ask_with_tool_right_answer_passes(capsys, connection, model, effort):
    line = _line(capsys, checks.check_ask_with_tool, ask_with_tool, model, effort=effort, **connection)
    assert line.startswith("✅"), line


def test_ask_with_tool_forcing_the_tool_by_name_passes(capsys, connection):
    def by_name(llm, tool, question):
        history = [HumanMessage(question)]
        history.append(llm.bind_tools([tool], tool_choice=tool.name).invoke(history))
        history += [tool.invoke(tool_call) for tool_call in history[-1].tool_calls]
        history.append(llm.invoke(history))  # no tools on the answer: the history alone is fine
        return history

    line = _line(capsys, checks.check_ask_with_tool, by_name, "gpt-6-luna", effort="none", **connection)
    assert line.startswith("✅"), line


def test_ask_with_tool_stub_is_not_done(capsys):
    def stub(llm, tool, question): ...  # YOUR CODE HERE

    nowhere = {"base_url": "http://127.0.0.1:9/v1", "api_key": "sk-test-unused"}  # a stub sends nothing
    assert _line(capsys, checks.check_ask_with_tool, stub, "gpt-6-luna", effort="none", **nowhere).startswith("⏳")


def _unforced(llm, tool, question):
    history = [HumanMessage(question)]
    history.append(llm.bind_tools([tool]).invoke(history))
    history += [tool.invoke(tool_call) for tool_call in history[-1].tool_calls]
    history.append(llm.bind_tools([tool], tool_choice="none").invoke(history))
    return history


def _unbound(llm, tool, question):
    return [HumanMessage(question), llm.invoke([HumanMessage(question)])]


def _only_the_text(llm, tool, question):
    history = [HumanMessage(question)]
    history.append(llm.bind_tools([tool], tool_choice="required").invoke(history))
    history += [tool.invoke(tool_call["args"]) for tool_call in history[-1].tool_calls]
    history.append(llm.bind_tools([tool], tool_choice="none").invoke(history))
    return history


def _without_the_call(llm, tool, question):
    asked = llm.bind_tools([tool], tool_choice="required").invoke([HumanMessage(question)])
    history = [HumanMessage(question), *(tool.invoke(tool_call) for tool_call in asked.tool_calls)]
    history.append(llm.bind_tools([tool], tool_choice="none").invoke(history))
    return history


def _forced_twice(llm, tool, question):
    forced = llm.bind_tools([tool], tool_choice="required")
    history = [HumanMessage(question)]
    history.append(forced.invoke(history))
    history += [tool.invoke(tool_call) for tool_call in history[-1].tool_calls]
    history.append(forced.invoke(history))
    return history


def _made_up_result(llm, tool, question):
    history = [HumanMessage(question)]
    history.append(llm.bind_tools([tool], tool_choice="required").invoke(history))
    history += [ToolMessage("open all day", tool_call_id=call["id"]) for call in history[-1].tool_calls]
    history.append(llm.bind_tools([tool], tool_choice="none").invoke(history))
    return history


def _the_answer_alone(llm, tool, question):
    return ask_with_tool(llm, tool, question)[-1]


def _no_return(llm, tool, question):
    ask_with_tool(llm, tool, question)  # the history is built, and not returned


@pytest.mark.parametrize(("model", "effort"), MODELS)
@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_only_the_text, "tool.invoke(call['args']) gives only the text"),
        (_without_the_call, "must come before it"),
    ],
)
def test_ask_with_tool_history_mistakes_on_both_apis(capsys, connection, model, effort, wrong, hint):
    """LangChain sends gpt-6-luna's tool requests through Responses, gpt-4o-mini's through Chat Completions:
    the API's 400 is worded differently, the hint is the same."""
    line = _line(capsys, checks.check_ask_with_tool, wrong, model, effort=effort, **connection)
    assert line.startswith("❌") and hint in line, line


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_unforced, "Force the call: tool_choice='required'"),
        (_unbound, "The first request had no tools"),
        (_forced_twice, "Send the result with tool_choice='none'"),
        (_made_up_result, "send the tool's own result"),
        (_the_answer_alone, "return the whole history"),
        (_no_return, "did you forget `return history`"),
    ],
)
def test_ask_with_tool_wrong_answers(capsys, connection, wrong, hint):
    """Each mistake is in the requests or the history, whatever the model says: the hint names it."""
    line = _line(capsys, checks.check_ask_with_tool, wrong, "gpt-6-luna", effort="none", **connection)
    assert line.startswith("❌") and hint in line, line


@pytest.fixture
def stateless_backend(monkeypatch):
    """A server backend (as setup() describes one) lacking streaming, stored responses and tools."""
    from course_helpers.course import capabilities
    from course_helpers.course.backends import BackendInfo
    from course_helpers.local.server.without import parse_without

    monkeypatch.setattr(capabilities, "_cache", {})
    without = parse_without("streaming,stored_responses,tools")
    engine = _stand_in_engine()
    with start_in_thread(
        api_key="sk-test-beyond", engine=engine, today=lambda: datetime.date(2026, 12, 4), without=without
    ) as handle:
        monkeypatch.setenv("OPENAI_API_KEY", handle.api_key)
        monkeypatch.setattr(
            "course_helpers.checks.hints._info", BackendInfo("server", "gpt-4o-mini", handle.base_url, "…", None)
        )
        with OpenAI(base_url=handle.base_url, api_key=handle.api_key, max_retries=0) as sdk:
            yield sdk


def test_checks_skip_on_a_backend_without_what_they_send(capsys, stateless_backend):
    checks.check_join_deltas(join_deltas, stateless_backend, "gpt-4o-mini")
    checks.check_ask_in_a_chain(..., stateless_backend, "gpt-4o-mini")
    checks.check_ask_with_tool(..., "gpt-4o-mini")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("⏭️ Skipped on this backend: it has no streaming (stream=True) (HTTP 400")
    assert lines[1].startswith("⏭️ Skipped on this backend: it has no stored responses (previous_response_id) (HTTP 404")
    assert lines[2].startswith("⏭️ Skipped on this backend: it has no tools (function calling) (HTTP 400")
    assert len(lines) == 3
    checks.check_base_url_for(base_url_for)  # needs nothing from the backend: checked as anywhere
    assert capsys.readouterr().out.startswith("✅")
