"""Speed of structured outputs in the local engine (constrained decoding with llguidance). Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_structured.py [--tokens 128] [--streams 8] [--rounds 3]

- decode speed under a JSON schema as a share of free decode, same prompt, same length (both replies
  are kept going for exactly ``--tokens`` tokens: the schema asks for more lines than fit, the free
  reply's end-of-turn tokens get a -100 logit_bias), rounds taken in turns (target >= 0.9). Speeds
  are 1 / the median time between two tokens: on a shared machine a few steps take ten times longer
  (another program, or the engine's thread tuner trying a mode), and a mean would charge them to
  whichever reply they fell in;
- mask time per token: llguidance filling the bitmask of the allowed tokens and turning it into
  booleans (``Grammars.allowed``), and the sampler's mask step (``apply_mask``);
- grammar compile time for the lessons' kinds of schemas: building the grammar from the schema,
  checking it (as the server does for a 400), compiling it for the tokenizer and its first mask
  (target < 50 ms); compiled grammars are cached by their text (64 of them), so a repeated schema
  only copies one;
- 8 concurrent constrained streams: total tokens/s against one constrained stream, timed from
  submitting to the last token, prompts included (target >= 2.3x), and the same for free decode;
  rounds in turns, medians.

Other processes using the CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

import numpy as np
from bench_engine import explore, together
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

from course_helpers.local.constraints import grammar_error, json_object, json_schema
from course_helpers.local.engine import Engine, SamplingParams
from course_helpers.local.sampler import apply_mask

PROMPT = [{"role": "user", "content": "Write a long, detailed essay about the history of the Roman Empire, as JSON."}]
# More lines than --tokens can hold: the constrained reply cannot end before its limit.
LONG_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "lines": {"type": "array", "items": {"type": "string"}, "minItems": 200},
    },
    "required": ["title", "lines"],
    "additionalProperties": False,
}


# ---- schemas of the kinds a lesson uses ----------------------------------------------------


class Color(BaseModel):
    name: str
    hex: str


class ColorList(BaseModel):  # the SDK reference's colours example
    colors: list[Color]


class CalendarEvent(BaseModel):  # OpenAI's structured outputs guide's first example
    name: str
    date: datetime.date
    participants: list[str]


class Step(BaseModel):
    explanation: str
    output: str


class MathReasoning(BaseModel):  # the guide's chain of thought
    steps: list[Step]
    final_answer: str


def lesson_schemas() -> dict[str, dict | None]:
    """Name -> strict schema (None: JSON mode)."""
    schemas: dict[str, dict | None] = {"json_object (JSON mode)": None}
    for model in (ColorList, CalendarEvent, MathReasoning):
        schemas[model.__name__] = to_strict_json_schema(model)
    schemas["UI tree (the guide's recursive UI)"] = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/node"}},
        "required": ["root"],
        "additionalProperties": False,
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["div", "button", "header", "section", "field", "form"]},
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["type", "label", "children"],
                "additionalProperties": False,
            }
        },
    }
    schemas["long lines (this benchmark's)"] = LONG_SCHEMA
    return schemas


# ---- measurements --------------------------------------------------------------------------


def compile_times(engine: Engine, repeats: int = 5) -> None:
    """Best of ``repeats``: grammar text from the schema, the server's check, the compile for the tokenizer,
    and the first mask (llguidance builds parts of its lexer lazily, on first use)."""
    engine.grammars.matcher(json_object())  # the LLTokenizer is built on first use: not a compile cost
    print("grammar compile time, best of 5 (target < 50 ms):")
    for name, schema in lesson_schemas().items():
        times: dict[str, list[float]] = {"build": [], "check": [], "compile": [], "first mask": [], "cached": []}
        for _ in range(repeats):
            stamps = [time.perf_counter()]
            constraint = json_object() if schema is None else json_schema(schema, strict=True)
            stamps.append(time.perf_counter())
            assert grammar_error(constraint.grammar) == ""
            stamps.append(time.perf_counter())
            engine.grammars._compiled.clear()  # compile from scratch
            matcher = engine.grammars.matcher(constraint)
            stamps.append(time.perf_counter())
            engine.grammars.allowed([matcher])
            stamps.append(time.perf_counter())
            engine.grammars.allowed([engine.grammars.matcher(constraint)])  # the next request: a cached copy
            stamps.append(time.perf_counter())
            for spent, start, end in zip(times.values(), stamps, stamps[1:]):
                spent.append(end - start)
        best = {kind: 1e3 * min(spent) for kind, spent in times.items()}
        total = sum(value for kind, value in best.items() if kind != "cached")
        print(
            f"  {name:36s} {total:5.1f} ms = "
            + " + ".join(f"{kind} {value:.1f}" for kind, value in best.items() if kind != "cached")
            + f"; cached, copy and first mask: {best['cached']:.2f} ms"
        )


class MaskTimer:
    """Wraps the engine's ``Grammars.allowed`` to time every mask fill (one call per decoding step)."""

    def __init__(self, engine: Engine):
        self.engine, self.seconds, self.rows = engine, 0.0, 0
        self._original = engine.grammars.allowed

    def __enter__(self) -> MaskTimer:
        def timed(matchers):
            started = time.perf_counter()
            result = self._original(matchers)
            self.seconds += time.perf_counter() - started
            self.rows += len(matchers)
            return result

        self.engine.grammars.allowed = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        del self.engine.grammars.allowed  # back to the class's method


def decode_rate(engine: Engine, params: SamplingParams, tokens: int) -> float:
    """Tokens/s of one reply after its first token (prefill excluded): 1 / the median time between tokens."""
    generation = engine.generate(engine.encode_chat(PROMPT), params)
    stamps = [time.perf_counter() for _ in generation]
    assert generation.completion_tokens == tokens, f"the reply ended early: {generation.completion_tokens} tokens"
    return 1 / float(np.median(np.diff(stamps)))


def free_params(tokens: int, seed: int) -> SamplingParams:
    no_end = {token: -100.0 for token in (0, 1, 2)}  # SmolLM2's end-of-turn tokens: the reply runs to its limit
    return SamplingParams(temperature=0.7, seed=seed, max_tokens=tokens, logit_bias=no_end)


def constrained_params(tokens: int, seed: int) -> SamplingParams:
    constraint = json_schema(LONG_SCHEMA, strict=True)
    return SamplingParams(temperature=0.7, seed=seed, max_tokens=tokens, constraint=constraint)


def concurrent_rate(engine: Engine, streams: int, make_params, tokens: int) -> float:
    """Total tokens/s of ``streams`` requests submitted together, from submitting to the last token."""
    return together(engine, engine.encode_chat(PROMPT), streams, lambda seed: make_params(tokens, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("COURSE_ENGINE_THREADS", "0")) or None)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="free and constrained replies, taken in turns")
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    engine = Engine(threads=args.threads)
    started = time.perf_counter()
    engine.grammars.matcher(json_object())
    print(f"LLTokenizer for the model's 49,152 tokens, built once per engine: {time.perf_counter() - started:.2f} s")
    compile_times(engine)

    explore(engine, 1)  # warm up: the thread tuner tries every mode
    free, constrained = [], []
    with MaskTimer(engine) as masks:
        for round_ in range(args.rounds):
            free.append(decode_rate(engine, free_params(args.tokens, round_), args.tokens))
            constrained.append(decode_rate(engine, constrained_params(args.tokens, round_), args.tokens))
    free_speed, constrained_speed = statistics.median(free), statistics.median(constrained)
    print(
        f"decode, {args.tokens} tokens, median of {args.rounds} rounds: free {free_speed:.1f} tokens/s, under a schema "
        f"{constrained_speed:.1f} tokens/s = {constrained_speed / free_speed:.2f} of free   (target >= 0.9)"
    )
    logits = np.random.default_rng(0).standard_normal(engine.vocab_size).astype(np.float32)
    allowed = np.random.default_rng(1).random(engine.vocab_size) < 0.01
    best = min(_timed(lambda: apply_mask(logits, allowed)) for _ in range(200))
    print(
        f"mask per token: {1e3 * masks.seconds / masks.rows:.2f} ms to fill it (llguidance, {masks.rows} masks), "
        f"{1e3 * best:.2f} ms for the sampler's mask step"
    )

    kinds = {"constrained": constrained_params, "free": free_params}
    rates: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for name, make in kinds.items():
            for streams in (args.streams, 1):
                rates.setdefault((name, streams), []).append(concurrent_rate(engine, streams, make, args.tokens))
    for name in kinds:
        one, many = (statistics.median(rates[name, streams]) for streams in (1, args.streams))
        target = "   (target >= 2.3x)" if name == "constrained" else ""
        print(
            f"{args.streams} concurrent {name} streams, median of {args.rounds}: {many:.1f} tokens/s = "
            f"{many / one:.2f}x one stream ({one:.1f} tokens/s){target}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
