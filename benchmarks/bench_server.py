"""Benchmark the local server over HTTP: start-up, time to first token, 1 vs 8 streams.

Runs ``python -m course_helpers serve`` in a separate process (as a class
would), then streams chat completions through real HTTP with httpx:

- start-up: process start until ``GET /v1/models`` answers (model cached);
- time to first token (TTFT) for a short prompt, median of several requests;
- one stream: decode tokens per second of a long reply (after its first token);
- 8 concurrent streams: tokens per second of all streams together, and
  their ratio to one stream (the issue asks for at least 2.5x);
- for comparison, the same reply decoded by the engine in this process
  without HTTP (after the server has stopped): the server layer's cost.

Usage::

    COURSE_MODEL_CACHE=... .venv/bin/python benchmarks/bench_server.py [--streams 8] [--tokens 128]

Figures are printed, not asserted: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

API_KEY = "sk-bench"
STORY = [{"role": "user", "content": "Write a long, detailed story about a dragon who learns to bake bread."}]
SHORT = [{"role": "user", "content": "Say hello."}]


@dataclass
class StreamResult:
    """What one streamed request measured."""

    started: float
    first_token: float
    finished: float
    completion_tokens: int

    @property
    def ttft(self) -> float:
        return self.first_token - self.started

    @property
    def decode_rate(self) -> float:
        """Tokens per second after the first token."""
        span = self.finished - self.first_token
        return (self.completion_tokens - 1) / span if span > 0 else float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> tuple[subprocess.Popen, float]:
    """Start ``python -m course_helpers serve``; return it and the seconds until it answered."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "course_helpers", "serve", "--port", str(port), "--api-key", API_KEY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/v1/models"
    while True:
        if process.poll() is not None:
            raise RuntimeError("server exited: " + process.stderr.read().decode()[-2000:])
        try:
            if httpx.get(url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=1).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.05)


async def stream_once(http: httpx.AsyncClient, messages, max_tokens: int, seed: int) -> StreamResult:
    """One streamed chat completion; times its first content token and its end."""
    body = {
        "model": "gpt-6-luna",
        "reasoning_effort": "none",
        "messages": messages,
        "max_completion_tokens": max_tokens,
        "stream": True,
        "temperature": 0.8,
        "seed": seed,
        "stream_options": {"include_usage": True},
    }
    started = time.perf_counter()
    first_token = None
    tokens = 0
    async with http.stream("POST", "/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[len("data: ") :])
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content") and first_token is None:
                first_token = time.perf_counter()
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
    finished = time.perf_counter()
    return StreamResult(started, first_token or finished, finished, tokens)


async def run(port: int, streams: int, max_tokens: int, ttft_samples: int) -> None:
    limits = httpx.Limits(max_connections=streams + 2)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}/v1",
        limits=limits,
        timeout=600,
        headers={"Authorization": f"Bearer {API_KEY}"},
    ) as http:
        await stream_once(http, SHORT, 4, seed=0)  # warm-up (first prefill touches every page)

        ttfts = [(await stream_once(http, SHORT, 1, seed=i)).ttft for i in range(ttft_samples)]
        print(
            f"time to first token, short prompt: median {statistics.median(ttfts) * 1000:.0f} ms "
            f"(min {min(ttfts) * 1000:.0f}, max {max(ttfts) * 1000:.0f}, {ttft_samples} requests)"
        )

        single = await stream_once(http, STORY, max_tokens, seed=1)
        single_rate = single.completion_tokens / (single.finished - single.started)
        print(
            f"1 stream:  {single.completion_tokens} tokens, decode {single.decode_rate:.1f} tokens/s, "
            f"end to end {single_rate:.1f} tokens/s, TTFT {single.ttft * 1000:.0f} ms"
        )

        started = time.perf_counter()
        results = await asyncio.gather(*[stream_once(http, STORY, max_tokens, seed=10 + i) for i in range(streams)])
        wall = time.perf_counter() - started
        total = sum(r.completion_tokens for r in results)
        together = total / wall
        print(
            f"{streams} streams: {total} tokens in {wall:.1f} s = {together:.1f} tokens/s together, "
            f"{together / single_rate:.2f}x one stream (target >= 2.5x); "
            f"per stream decode {statistics.mean(r.decode_rate for r in results):.1f} tokens/s, "
            f"TTFT median {statistics.median(r.ttft for r in results) * 1000:.0f} ms, "
            f"max {max(r.ttft for r in results) * 1000:.0f} ms"
        )


def engine_direct(max_tokens: int) -> None:
    """The same long reply straight from the engine, no HTTP: what the server layer costs."""
    from course_helpers.local.engine import SamplingParams, get_engine

    engine = get_engine()
    prompt_ids = engine.encode(engine.render_chat(STORY))
    params = SamplingParams(temperature=0.8, seed=1, max_tokens=max_tokens)
    for _ in engine.generate(prompt_ids[:8], SamplingParams(max_tokens=2)):  # warm-up
        pass
    started = time.perf_counter()
    first = None
    generation = engine.generate(prompt_ids, params)
    for event in generation:
        if first is None and event.text:
            first = time.perf_counter()
    finished = time.perf_counter()
    tokens = generation.completion_tokens
    print(
        f"engine direct (no HTTP, same process): {tokens} tokens, decode "
        f"{(tokens - 1) / (finished - first):.1f} tokens/s, first token {(first - started) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=128, help="max_tokens of each long reply")
    parser.add_argument("--ttft-samples", type=int, default=5)
    parser.add_argument("--no-direct", action="store_true", help="skip the engine-without-HTTP figure")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    port = _free_port()
    process, startup = start_server(port)
    try:
        print(f"server start-up (process start to first answer, model cached): {startup:.2f} s")
        asyncio.run(run(port, args.streams, args.tokens, args.ttft_samples))
    finally:
        process.terminate()
        process.wait(timeout=30)
    if not args.no_direct:
        engine_direct(args.tokens)


if __name__ == "__main__":
    main()
