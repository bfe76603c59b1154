"""Benchmark ``serve --upstream``: what the course's server adds per streamed token, and with 32 streams.

Three processes, as in a room: a stand-in engine (this script with ``--engine``: a
Starlette app that streams chat chunks of a real chunk's size, as fast as asked,
each stamped with the time it was sent), ``python -m course_helpers serve
--upstream`` in front of it, and the client (httpx, reading the events). Each
figure is measured against the engine directly and through the front server:

- paced: one stream, a token every ``--pace-ms`` (a real engine's rhythm): how
  long a token takes from the engine's send to the client, median and 99th
  percentile; the difference is the proxy's added latency per token (target < 1 ms);
- flat out: one stream as fast as the engine can send: time per token;
- 32 streams at once, flat out: tokens per second of all of them together;
- the front server's CPU time per forwarded token (from /proc), the figure least
  moved by other load: on a machine of its own, the proxy's ceiling is about
  1 / that many tokens per second per core.

The stand-in engine does no model work, so the proxy's cost is not hidden behind
a model's. Usage::

    python benchmarks/bench_upstream.py [--tokens 400] [--streams 32] [--pace-ms 5]

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
from pathlib import Path

import httpx

API_KEY = "sk-bench-front"
ENGINE_KEY = "sk-bench-engine"


def _engine_app():
    """The stand-in engine: streams ``max_completion_tokens`` chunks, ``pace_ms`` apart, each with ``sent_at``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "stand-in", "object": "model", "owned_by": "bench"}]})

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        tokens, pace = int(body["max_completion_tokens"]), float(body.get("pace_ms", 0)) / 1000

        async def events():
            for index in range(tokens):
                if pace:
                    await asyncio.sleep(pace)
                chunk = {
                    "id": "chatcmpl-bench",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "stand-in",
                    "system_fingerprint": "fp_bench",
                    "choices": [{"index": 0, "delta": {"content": f" word{index}"}, "logprobs": None}],
                    "sent_at": time.perf_counter(),  # CLOCK_MONOTONIC: comparable between processes on Linux
                }
                yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(base_url: str, key: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} did not start")


async def _stream(http: httpx.AsyncClient, base_url: str, key: str, tokens: int, pace_ms: float) -> list[float]:
    """One streamed request; the delay of each token from the engine's send to its arrival here (seconds)."""
    body = {"model": "stand-in", "messages": [{"role": "user", "content": "go"}], "stream": True}
    body |= {"max_completion_tokens": tokens, "pace_ms": pace_ms}
    delays = []
    headers = {"Authorization": f"Bearer {key}"}
    async with http.stream("POST", base_url + "/chat/completions", json=body, headers=headers) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                delays.append(time.perf_counter() - json.loads(line[6:])["sent_at"])
    assert len(delays) == tokens, f"{len(delays)} of {tokens} tokens arrived"
    return delays


async def _measure(base_url: str, key: str, tokens: int, streams: int, pace_ms: float) -> dict[str, float]:
    limits = httpx.Limits(max_connections=streams + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await _stream(http, base_url, key, 20, 0)  # warm the connections
        paced = await _stream(http, base_url, key, tokens, pace_ms)
        started = time.perf_counter()
        await _stream(http, base_url, key, tokens, 0)
        flat = (time.perf_counter() - started) / tokens
        started = time.perf_counter()
        await asyncio.gather(*(_stream(http, base_url, key, tokens, 0) for _ in range(streams)))
        together = streams * tokens / (time.perf_counter() - started)
    paced.sort()
    return {
        "median": statistics.median(paced),
        "p99": paced[int(0.99 * (len(paced) - 1))],
        "flat": flat,
        "together": together,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--pace-ms", type=float, default=5.0)
    parser.add_argument("--engine", type=int, metavar="PORT", help=argparse.SUPPRESS)  # run as the stand-in engine
    args = parser.parse_args()
    if args.engine:
        import uvicorn

        uvicorn.run(_engine_app(), host="127.0.0.1", port=args.engine, log_level="warning")
        return

    engine_port, front_port = _free_port(), _free_port()
    engine_url, front_url = f"http://127.0.0.1:{engine_port}/v1", f"http://127.0.0.1:{front_port}/v1"
    env = {**os.environ, "BENCH_ENGINE_KEY": ENGINE_KEY}
    engine = subprocess.Popen([sys.executable, Path(__file__).resolve(), "--engine", str(engine_port)], env=env)
    front_command = ["serve", "--port", str(front_port), "--api-key", API_KEY]
    front_command += ["--upstream", engine_url, "--upstream-key-env", "BENCH_ENGINE_KEY"]
    front = subprocess.Popen(
        [sys.executable, "-m", "course_helpers", *front_command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(engine_url, ENGINE_KEY)
        _wait_ready(front_url, API_KEY)
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared: figures are noisy)")
        print(
            f"{args.tokens} tokens a stream; paced: a token every {args.pace_ms:g} ms; {args.streams} streams at once"
        )
        direct = asyncio.run(_measure(engine_url, ENGINE_KEY, args.tokens, args.streams, args.pace_ms))
        cpu_before = _cpu_seconds(front.pid)
        proxied = asyncio.run(_measure(front_url, API_KEY, args.tokens, args.streams, args.pace_ms))
        front_cpu = _cpu_seconds(front.pid) - cpu_before
    finally:
        for process in (front, engine):
            process.terminate()
            process.wait(10)
    print(f"{'':34} {'direct':>10} {'via serve':>10} {'added':>10}")
    rows = [
        ("paced: engine to client, median", "median", 1000, "ms"),
        ("paced: engine to client, p99", "p99", 1000, "ms"),
        ("flat out: time per token", "flat", 1000, "ms"),
    ]
    for label, name, scale, unit in rows:
        a, b = direct[name] * scale, proxied[name] * scale
        print(f"{label:34} {a:8.3f}{unit} {b:8.3f}{unit} {b - a:8.3f}{unit}")
    a, b = direct["together"], proxied["together"]
    print(f"{f'{args.streams} streams: tokens/s together':34} {a:10.0f} {b:10.0f} {b / a:9.2f}x")
    forwarded = 20 + args.tokens * (2 + args.streams)
    print(f"front server's CPU per forwarded token: {front_cpu / forwarded * 1000:.3f} ms ({forwarded} tokens)")


if __name__ == "__main__":
    main()
