"""Tool calling on the local engine: how often the 135M model's calls are valid, and what the grammar costs.

    COURSE_MODEL_CACHE=... python benchmarks/bench_tools.py [--tries 20] [--temperature 1.0] [--max-tokens 200]

- valid calls: for each prompt below, ``--tries`` replies under ``tool_choice="required"`` at
  ``--temperature`` (decoded together, one seeded generator each), how many the token limit cut
  (at temperature 1 the model can write a long string or call after call), and the complete ones read
  back as calls and checked against their function's parameters with jsonschema (the grammar should
  make this 100%), and the share whose function and arguments are the ones the prompt asks for;
  under ``"auto"``, the same for the replies that call a tool at all (the model may answer in text);
- grammar compile time for 1 and 3 tools: building the Lark grammar, checking it (as the server does),
  compiling it for the tokenizer and its first mask; compiled grammars are cached by their text;
- mask time per token while a call block is written (``Grammars.allowed``, one matcher).

Other processes using the CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time

import jsonschema

from course_helpers.local.constraints import grammar_error, tool_calls
from course_helpers.local.engine import Engine, SamplingParams
from course_helpers.local.tool_calls import read_tool_calls, render_call_block, render_tool_messages

WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME = {
    "name": "get_time",
    "description": "Get the current local time in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
CONVERT = {
    "name": "convert_currency",
    "description": "Convert an amount of money from one currency to another.",
    "parameters": {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "source": {"type": "string", "description": "ISO code, e.g. USD"},
            "target": {"type": "string", "description": "ISO code, e.g. EUR"},
        },
        "required": ["amount", "source", "target"],
        "additionalProperties": False,
    },
    "strict": True,
}
TOOLS = [WEATHER, TIME, CONVERT]
# (prompt, the function it asks for, the arguments a right call has: key -> expected value, compared loosely)
PROMPTS = [
    ("What's the weather like in Paris?", "get_weather", {"city": "paris"}),
    ("Is it cold in Oslo right now? Give me the temperature in fahrenheit.", "get_weather", {"city": "oslo"}),
    ("What time is it in Tokyo?", "get_time", {"city": "tokyo"}),
    ("Convert 100 US dollars to euros.", "convert_currency", {"amount": 100, "source": "usd", "target": "eur"}),
]


def replies(engine: Engine, messages: list[dict], params: SamplingParams, n: int) -> list[tuple[str, str]]:
    """``n`` replies to one prompt, decoded together (each choice has its own seeded generator): (text, finish)."""
    generation = engine.generate(engine.encode_chat(messages), params, n=n)
    texts, finishes = [""] * n, [""] * n
    for event in generation:
        texts[event.index] += event.text
        if event.finish_reason is not None:
            finishes[event.index] = event.finish_reason
    return list(zip(texts, finishes, strict=True))


def is_right(name: str, arguments: dict, wanted_name: str, wanted: dict) -> bool:
    if name != wanted_name:
        return False
    for key, value in wanted.items():
        got = arguments.get(key)
        if isinstance(value, str) and (not isinstance(got, str) or value not in got.lower()):
            return False
        if not isinstance(value, str) and got != value:
            return False
    return True


def valid_calls(text: str) -> list[tuple[str, dict]] | None:
    """The calls of a reply if every one validates against its function's parameters, else None."""
    by_name = {tool["name"]: tool for tool in TOOLS}
    calls = []
    for call in read_tool_calls(text):
        try:
            arguments = json.loads(call.arguments)
            jsonschema.validate(arguments, by_name[call.name]["parameters"])
        except (ValueError, KeyError, jsonschema.ValidationError):
            return None
        calls.append((call.name, arguments))
    return calls or None


def measure_calls(engine: Engine, tries: int, temperature: float, choice: str, max_tokens: int) -> None:
    constraint = tool_calls(TOOLS, required=choice == "required", parallel=True)
    calling = cut = complete = valid = right = total = 0
    started = time.perf_counter()
    for prompt, wanted_name, wanted in PROMPTS:
        messages = render_tool_messages([{"role": "user", "content": prompt}], TOOLS, choice)
        params = SamplingParams(temperature=temperature, seed=0, max_tokens=max_tokens, constraint=constraint)
        for text, finish in replies(engine, messages, params, tries):
            total += 1
            if not text.startswith("<tool_call>"):
                continue
            calling += 1
            if finish == "length":
                cut += 1
                continue
            complete += 1
            calls = valid_calls(text)
            if calls is not None:
                valid += 1
                right += any(is_right(name, arguments, wanted_name, wanted) for name, arguments in calls)
    seconds = time.perf_counter() - started
    print(
        f'tool_choice="{choice}", temperature {temperature}, {max_tokens} tokens at most: {calling}/{total} replies '
        f"call tools, {cut} of them cut by the token limit; of the {complete} complete ones {valid} valid "
        f"({100 * valid / max(complete, 1):.0f}%), {right} with the right function and arguments "
        f"({100 * right / max(complete, 1):.0f}%) [{seconds:.0f} s in all]",
        flush=True,
    )


def measure_grammar(engine: Engine) -> None:
    for tools in ([WEATHER], TOOLS):
        started = time.perf_counter()
        constraint = tool_calls(tools, required=False, parallel=True)
        assert grammar_error(constraint.grammar) == ""
        engine.grammars._compiled.pop(constraint.grammar, None)  # measure a compile, not a cached copy
        matcher = engine.grammars.matcher(constraint)
        engine.grammars.allowed([matcher])
        print(
            f"compile, check and first mask, {len(tools)} tool(s): {1000 * (time.perf_counter() - started):.1f} ms",
            flush=True,
        )
    block = render_call_block(
        [("get_weather", '{"city": "Paris", "unit": "celsius"}'), ("get_time", '{"city": "Oslo"}')]
    )
    matcher = engine.grammars.matcher(tool_calls(TOOLS, required=False, parallel=True))
    times = []
    for token in engine.encode(block, special=False):
        started = time.perf_counter()
        engine.grammars.allowed([matcher])
        times.append(time.perf_counter() - started)
        matcher.consume_token(token)
    print(
        f"mask per token while writing a call block: median {1000 * statistics.median(times):.2f} ms "
        f"({len(times)} tokens, max {1000 * max(times):.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20, help="replies per prompt and tool_choice")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--max-tokens", type=int, default=200, help="each reply's token limit")
    args = parser.parse_args()
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    engine = Engine()
    engine.grammars.matcher(tool_calls([WEATHER], required=True, parallel=False))  # the LLTokenizer, built once
    measure_grammar(engine)
    measure_calls(engine, args.tries, args.temperature, "required", args.max_tokens)
    measure_calls(engine, args.tries, args.temperature, "auto", args.max_tokens)


if __name__ == "__main__":
    main()
