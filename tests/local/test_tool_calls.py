"""The tool-call convention: the prompt the model reads, and its replies read back (whole or streamed)."""

from __future__ import annotations

import doctest
import json

import pytest

from course_helpers.local import tool_calls
from course_helpers.local.tool_calls import ToolCallScanner, read_tool_calls, render_call_block, render_tool_messages

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
TIME = {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}


def test_docstring_examples():
    assert doctest.testmod(tool_calls).failed == 0


def test_the_tool_list_follows_the_requests_own_system_message():
    messages = render_tool_messages(
        [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}], [WEATHER]
    )
    system = messages[0]["content"]
    assert messages[0]["role"] == "developer" and system.startswith("Be brief.\n\n")
    listed = json.loads(system.split("<tools>")[1].split("</tools>")[0])
    assert listed == [WEATHER]
    assert "plain text" in system, "under auto the model is told it may answer in text"


def test_a_named_choice_lists_only_that_function_and_none_lists_nothing():
    named = render_tool_messages([{"role": "user", "content": "Hi"}], [WEATHER, TIME], "get_time")
    assert "get_weather" not in named[0]["content"] and "You must call the function 'get_time'" in named[0]["content"]
    plain = render_tool_messages([{"role": "user", "content": "Hi"}], [WEATHER], "none")
    assert plain == [{"role": "user", "content": "Hi"}]


def test_earlier_calls_and_their_results_are_rendered_in_the_history():
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
    ]
    messages = render_tool_messages(history, [WEATHER])
    assert messages[2] == {
        "role": "assistant",
        "content": '<tool_call>[\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n]</tool_call>',
    }
    assert messages[3] == {"role": "user", "content": "<tool_response>\n18 C, sunny\n</tool_response>"}


def test_a_call_block_reads_back_as_written():
    block = render_call_block([("get_weather", '{"city": "Paris"}'), ("get_time", '{"zone": "Europe/Paris"}')])
    calls = read_tool_calls(block)
    assert [(call.name, json.loads(call.arguments)) for call in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"zone": "Europe/Paris"}),
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_streamed_pieces_add_up_to_the_calls_whatever_the_chunking(size):
    block = render_call_block([("get_weather", '{"city": "Pa\\"ris}"}'), ("get_time", '{"zone": {"a": [1, 2]}}')])
    scanner = ToolCallScanner()
    pieces = [piece for start in range(0, len(block), size) for piece in scanner.feed(block[start : start + size])]
    names = [piece.name for piece in pieces if piece.kind == "call"]
    arguments = ["".join(p.text for p in pieces if p.kind == "arguments" and p.index == i) for i in range(2)]
    assert names == ["get_weather", "get_time"] and scanner.done
    assert arguments == ['{"city": "Pa\\"ris}"}', '{"zone": {"a": [1, 2]}}']
    assert not [piece for piece in pieces if piece.kind == "text"]


def test_text_is_held_back_only_while_it_could_start_a_call_block():
    scanner = ToolCallScanner()
    assert scanner.feed("<tool") == []
    assert [piece.text for piece in scanner.feed("s are fun")] == ["<tools are fun"]
    assert [piece.text for piece in scanner.feed(" indeed")] == [" indeed"] and scanner.calls == []


def test_a_reply_ending_on_what_looked_like_a_block_start_is_text():
    scanner = ToolCallScanner()
    assert scanner.feed("<tool_") == []
    assert [piece.text for piece in scanner.finish()] == ["<tool_"]


def test_a_block_cut_short_keeps_the_calls_started_and_is_not_done():
    calls = ToolCallScanner()
    calls.feed('<tool_call>[\n{"name": "get_weather", "arguments": {"ci')
    assert [call.name for call in calls.calls] == ["get_weather"] and not calls.done
