"""Decode speed of one reply, from the memory's limit to a streamed reply in the SDK. Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_decode.py [--tokens 128] [--rounds 5] [--streams 8]

Decoding one token reads every weight matrix once, so the limit is how fast
this machine multiplies a vector by all of the model's matrices. It is timed
in both memory layouts a matrix can have (rows of outputs, as GGUF stores it,
or rows of inputs: OpenBLAS reads them with different kernels, and which is
faster differs between CPUs), with one BLAS thread and with two; the limit is
the fastest of the four, whatever layout the engine itself uses. Then, in
rounds taken in turns (best of ``--rounds``, so that another program's burst
costs a round, not the figure):

- the engine's decode: one reply of ``--tokens`` tokens from ``Engine.generate`` in this process;
- one streamed reply through ``python -m course_helpers serve`` (another process) and the openai SDK,
  as a learner's notebook gets it (``stream=True``), the same prompt and length;

each as a share of the limit (target: the streamed reply >= 0.8). This VM's
memory speed drifts by tens of percent within minutes, so each round also
times the limit right before and right after each decode (best of 3 passes in
each of the four ways), and a decode is compared with the fastest of the
passes next to it: the share each round, then their median and best. The
share of the best decode against the fastest pass of the whole run is printed
too. Decode speeds count the tokens after the first one over the time after
the first one. Also:
time to first token of a short prompt through the server and the SDK (target
< 0.5 s), and ``--streams`` concurrent streamed replies against one (target >= 2.5x),
each timed from sending to the last token, after warm-up rounds at that batch size
(a server measures its ways of sharing the cores once per batch size, as for one reply).

Both the engine and the server stay idle while the other one decodes. Other
processes using the CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
import numpy as np
from bench_engine import explore
from openai import AsyncOpenAI, OpenAI
from threadpoolctl import ThreadpoolController

from course_helpers.local.engine import Engine, SamplingParams

API_KEY = "sk-bench-decode"
STORY = [{"role": "user", "content": "Write a long, detailed story about a dragon who learns to bake bread."}]
SHORT = [{"role": "user", "content": "Say hello."}]
MODEL = "gpt-6-luna"  # the course's chat model: its contract takes temperature and logit_bias at effort "none"
NO_END: dict[str, int] = {}  # end-of-turn tokens -> -100: every reply runs to its limit (set in main)


def limit_layouts(engine: Engine) -> dict[str, list[np.ndarray]]:
    """Every weight matrix a decoding step reads, in both layouts (the same (out, in) matrices)."""
    matrices = engine.weights.matrices()
    return {
        "out_in": [np.ascontiguousarray(m) for m in matrices],  # rows of outputs (GGUF's)
        "in_out": [np.ascontiguousarray(m.T).T for m in matrices],  # rows of inputs: the same (out, in) matrix
    }


def limit_seconds(layouts: dict[str, list[np.ndarray]], repeats: int = 7) -> dict[tuple[str, int], float]:
    """Best seconds of one vector times every weight matrix, per (layout, BLAS threads)."""
    vectors = {m.shape[1]: np.ones((1, m.shape[1]), np.float32) for m in layouts["out_in"]}
    best = {(layout, threads): float("inf") for layout in layouts for threads in (1, 2)}
    for threads in (1, 2):
        with ThreadpoolController().limit(limits=threads, user_api="blas"):
            for _ in range(repeats):
                for layout, weights in layouts.items():  # in turns
                    start = time.perf_counter()
                    for matrix in weights:
                        vectors[matrix.shape[1]] @ matrix.T
                    best[layout, threads] = min(best[layout, threads], time.perf_counter() - start)
    return best


def engine_decode(engine: Engine, tokens: int) -> float:
    """Tokens/s after the first token of one reply straight from the engine."""
    prompt = engine.encode(engine.render_chat(STORY))
    params = SamplingParams(temperature=0.8, seed=1, max_tokens=tokens, logit_bias={int(t): -100.0 for t in NO_END})
    stamps = [time.perf_counter() for event in engine.generate(prompt, params) if event.text]
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def streamed_decode(client: OpenAI, tokens: int, messages=STORY) -> tuple[float, float]:
    """(tokens/s after the first token, seconds to the first token) of one streamed reply via the SDK."""
    started = time.perf_counter()
    stamps = []
    stream = client.chat.completions.create(
        model=MODEL,
        reasoning_effort="none",
        messages=messages,
        max_completion_tokens=tokens,
        temperature=0.8,
        seed=1,
        logit_bias=NO_END,
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stamps.append(time.perf_counter())
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return rate, stamps[0] - started


async def together(base_url: str, streams: int, tokens: int) -> float:
    """Total tokens/s of ``streams`` streamed replies sent at once, from sending to the last token."""
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY, http_client=httpx.AsyncClient(timeout=600))

    async def one(seed: int) -> int:
        count = 0
        stream = await client.chat.completions.create(
            model=MODEL,
            reasoning_effort="none",
            messages=STORY,
            max_completion_tokens=tokens,
            temperature=0.8,
            seed=seed,
            logit_bias=NO_END,
            stream=True,
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
        return count

    start = time.perf_counter()
    counts = await asyncio.gather(*(one(seed) for seed in range(streams)))
    elapsed = time.perf_counter() - start
    await client.close()
    return sum(counts) / elapsed


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "course_helpers", "serve", "--port", str(port), "--api-key", API_KEY]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not answer within 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    engine = Engine(threads=2)
    NO_END.update({str(token): -100 for token in engine.end_tokens})
    layouts = "both layouts" if getattr(engine.weights, "in_out", None) else "out_in only"
    print(f"the engine's weights: {layouts}; its tuner measures which mode (linear.MODES) decodes fastest")
    layouts = limit_layouts(engine)
    limits = limit_seconds(layouts)
    for (layout, threads), seconds in limits.items():
        print(f"  all matrix-vector products, {layout}, {threads} BLAS thread(s): {1e3 * seconds:.1f} ms")
    print(f"limit at the start: {1 / min(limits.values()):.1f} tokens/s (the fastest of the four)")

    process, base_url = start_server()
    try:
        client = OpenAI(base_url=base_url, api_key=API_KEY)
        # warm-up: each engine tries every way of sharing the cores (see ThreadTuner); this one says when it
        # is done, the server's can't: 4 replies of 48 tokens, twice the steps this one needs here (~90)
        for _ in range(4):
            streamed_decode(client, 48)
        explore(engine, 1)
        engine_rates, streamed_rates, engine_shares, streamed_shares = [], [], [], []
        fastest_pass = min(limits.values())
        for _ in range(args.rounds):  # the limit timed next to each decode: the memory's speed drifts
            before = min(limit_seconds(layouts, repeats=3).values())
            engine_rates.append(engine_decode(engine, args.tokens))
            between = min(limit_seconds(layouts, repeats=3).values())
            streamed_rates.append(streamed_decode(client, args.tokens)[0])
            after = min(limit_seconds(layouts, repeats=3).values())
            engine_shares.append(engine_rates[-1] * min(before, between))
            streamed_shares.append(streamed_rates[-1] * min(between, after))
            fastest_pass = min(fastest_pass, before, between, after)
            print(
                f"  round: limit {1 / before:.1f}, {1 / between:.1f}, {1 / after:.1f} tokens/s; "
                f"engine {engine_rates[-1]:.1f} = {engine_shares[-1]:.2f}, streamed {streamed_rates[-1]:.1f} = "
                f"{streamed_shares[-1]:.2f} of the limit next to it"
            )
        print(f"modes the engine kept, per batch size: {engine._scheduler.tuner.choices()}")
        for what, rates, shares, target in (
            (f"engine decode, {args.tokens} tokens", engine_rates, engine_shares, ""),
            ("streamed reply through serve and the SDK", streamed_rates, streamed_shares, "   (target >= 0.8)"),
        ):
            print(
                f"{what}: {max(rates):.1f} tokens/s best of {args.rounds} (median {statistics.median(rates):.1f}); "
                f"share of the limit next to it: median {statistics.median(shares):.2f}, best {max(shares):.2f}; "
                f"best against the run's fastest pass ({1 / fastest_pass:.1f} tokens/s): "
                f"{max(rates) * fastest_pass:.2f}{target}"
            )
        ttfts = [streamed_decode(client, 2, SHORT)[1] for _ in range(5)]
        print(
            f"time to first token, short prompt, via the SDK: median {statistics.median(ttfts):.3f} s   (target < 0.5 s)"
        )
        # warm-up: the server's engine measures its ways of sharing the cores for a batch of this size too:
        # 3 rounds of 64 tokens, twice the steps an engine needs here (~90, bench_engine.explore)
        for _ in range(3):
            asyncio.run(together(base_url, args.streams, 64))
        ones, manys = [], []
        for _ in range(max(1, args.rounds // 2)):  # in turns, best of each, as above
            ones.append(asyncio.run(together(base_url, 1, args.tokens)))
            manys.append(asyncio.run(together(base_url, args.streams, args.tokens)))
        one, many = max(ones), max(manys)
        print(
            f"{args.streams} streamed replies at once, best of {len(manys)}: {many:.1f} tokens/s = {many / one:.2f}x one "
            f"({one:.1f} tokens/s, timed the same way)   (target >= 2.5x)"
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
