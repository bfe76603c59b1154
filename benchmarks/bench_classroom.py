"""Benchmark a classroom: one shared ``serve`` answering many learners at once.

Starts one real ``python -m course_helpers serve`` process on 127.0.0.1 (a
free port, an API key), as an instructor would for a room, then runs N
simulated learners: threads, each with its own ``openai.OpenAI`` client,
sending the lessons' typical short requests for a bounded number of rounds:

- a short chat question (``max_completion_tokens`` 40, temperature 0.7),
- a classification with ``logprobs`` and ``top_logprobs`` (``max_completion_tokens`` 20,
  temperature 0, as in lesson 03),
- a streamed reply (``max_completion_tokens`` 60, usage in the last chunk, as in lesson 06),
- a multi-turn conversation with a system message (``max_completion_tokens`` 50, seeded),
- a cheap call: ``/v1/moderations`` when the server has it, else ``/v1/models``.

It prints the errors (must be 0), how many 429s the SDK retried by itself,
requests per second, completion tokens per second, and latency percentiles
(p50/p90/p99) of full replies per request kind and of the time to first token
of the streamed ones. The server is stopped at the end, whatever happens, and
every learner stops after ``--rounds`` rounds or ``--max-seconds``.

Learners here send their next request as soon as the last one is answered (no
reading or typing time), so this is a harsher load than a real class.

``--greedy`` measures fair share (``serve --learners``, each learner its own
key): the same learners run twice on one server, first alone, then with one
more learner who is greedy (``--greedy-threads`` loops of long requests:
a long prompt and ``--greedy-tokens`` completion tokens each, until the
others finish). It prints each learner's p50/p95 and errors in both runs,
and the others' p95 with the greedy one over their p95 without (target:
at most 1.5, with 0 errors).

Usage::

    COURSE_MODEL_CACHE=... .venv/bin/python benchmarks/bench_classroom.py [--learners 16] [--rounds 3]
    .venv/bin/python benchmarks/bench_classroom.py --greedy --learners 32 --rounds 1

Figures are printed, not asserted: timings on a shared machine are noisy
(the machine's load average is printed next to them).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np
from openai import OpenAI

from course_helpers.local.server.learners import new_learners, write_learners

API_KEY = "sk-classroom-bench"
MODEL = "gpt-6-luna"  # what the lessons pass; the local server answers with its own model
EFFORT = "none"  # as the lessons send it: gpt-6-luna takes temperature and logprobs only at effort none

QUESTIONS = [
    "What is a token in a language model? Answer in one sentence.",
    "Give me three tips for writing a good prompt.",
    "Explain temperature in one short paragraph.",
    "Write a haiku about Python.",
    "What is the capital of France?",
    "Suggest a name for a pet robot.",
]
REVIEWS = [
    "The battery died after two days. Terrible.",
    "Great screen and fast delivery, I love it!",
    "It works. Nothing special.",
    "Best purchase of the year.",
]
MODERATION_INPUTS = [
    "I want to kill my presentation tomorrow.",
    "How do I bake sourdough bread?",
]


@dataclass
class Sample:
    """One finished request."""

    kind: str
    seconds: float
    completion_tokens: int = 0
    ttft: float | None = None
    learner: int = -1


@dataclass
class Tally:
    """What all learners measured, guarded by a lock."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log, timeout: float, extra: Sequence[str] = ()) -> tuple[subprocess.Popen, float]:
    """Start ``python -m course_helpers serve`` on loopback; return it and its start-up seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "course_helpers",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,  # a file, not a pipe: a full pipe would stall the server
    )
    url = f"http://127.0.0.1:{port}/v1/models"
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=2).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise TimeoutError(f"the server did not answer within {timeout:.0f} s")


def has_moderations(base_url: str) -> bool:
    """True when the server serves ``POST /v1/moderations`` (a 404 means it does not)."""
    response = httpx.post(
        f"{base_url}/moderations", json={"input": "hello"}, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=300
    )
    return response.status_code == 200


class Learner:
    """One learner's kernel: its own client, the lessons' requests in turn."""

    def __init__(self, index: int, base_url: str, tally: Tally, moderation: bool, api_key: str = API_KEY) -> None:
        self.index = index
        self.tally = tally
        self.moderation = moderation

        def count(response: httpx.Response) -> None:
            tally.status(response.status_code)

        # max_retries as the SDK's default (2): a 429 from a busy server is retried, as in class
        self.http = httpx.Client(event_hooks={"response": [count]}, timeout=600)
        self.client = OpenAI(base_url=base_url, api_key=api_key, http_client=self.http)
        self.tasks = [self.chat, self.logprobs, self.stream, self.conversation, self.cheap]

    def run(self, rounds: int, deadline: float) -> None:
        try:
            for round_number in range(rounds):
                for step in range(len(self.tasks)):
                    if time.monotonic() > deadline:
                        return
                    # learners start at different tasks, so each moment sees a mix
                    task = self.tasks[(self.index + step) % len(self.tasks)]
                    started = time.perf_counter()
                    try:
                        sample = task(round_number)
                    except Exception as error:  # counted, never hidden
                        self.tally.error(f"learner {self.index} {task.__name__}: {type(error).__name__}: {error}")
                        continue
                    sample.seconds = time.perf_counter() - started
                    sample.learner = self.index
                    self.tally.add(sample)
        finally:
            self.http.close()

    def chat(self, round_number: int) -> Sample:
        question = QUESTIONS[(self.index + round_number) % len(QUESTIONS)]
        reply = self.client.chat.completions.create(
            model=MODEL,
            reasoning_effort=EFFORT,
            messages=[{"role": "user", "content": question}],
            max_completion_tokens=40,
            temperature=0.7,
        )
        assert reply.choices[0].message.content is not None
        return Sample("chat", 0.0, reply.usage.completion_tokens)

    def logprobs(self, round_number: int) -> Sample:
        review = REVIEWS[(self.index + round_number) % len(REVIEWS)]
        reply = self.client.chat.completions.create(
            model=MODEL,
            reasoning_effort=EFFORT,
            max_completion_tokens=20,
            temperature=0,
            logprobs=True,
            top_logprobs=5,
            messages=[
                {"role": "system", "content": "Classify the review as positive, negative or neutral."},
                {"role": "user", "content": review},
            ],
        )
        content = reply.choices[0].logprobs.content
        assert len(content) == reply.usage.completion_tokens
        return Sample("logprobs", 0.0, reply.usage.completion_tokens)

    def stream(self, round_number: int) -> Sample:
        started = time.perf_counter()
        first = None
        tokens = 0
        stream = self.client.chat.completions.create(
            model=MODEL,
            reasoning_effort=EFFORT,
            max_completion_tokens=60,
            temperature=0.8,
            stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Tell me a very short story about a cat."}],
        )
        for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter() - started
            if chunk.usage is not None:
                tokens = chunk.usage.completion_tokens
        assert tokens > 0, "no usage in the last chunk"
        return Sample("stream", 0.0, tokens, ttft=first)

    def conversation(self, round_number: int) -> Sample:
        reply = self.client.chat.completions.create(
            model=MODEL,
            reasoning_effort=EFFORT,
            max_completion_tokens=50,
            temperature=0.7,
            seed=self.index,
            messages=[
                {"role": "system", "content": "You are a patient tutor. Answer briefly."},
                {"role": "user", "content": "What is an API?"},
                {"role": "assistant", "content": "A way for programs to talk to each other."},
                {"role": "user", "content": "Give me an example."},
            ],
        )
        return Sample("conversation", 0.0, reply.usage.completion_tokens)

    def cheap(self, round_number: int) -> Sample:
        if self.moderation:
            result = self.client.moderations.create(
                model="omni-moderation-latest", input=MODERATION_INPUTS[round_number % len(MODERATION_INPUTS)]
            )
            assert len(result.results) == 1
            return Sample("moderation", 0.0)
        models = self.client.models.list()
        assert models.data
        return Sample("models", 0.0)


LONG_PROMPT = "Summarise this text in detail, point by point.\n\n" + " ".join(
    f"Paragraph {number}: the course teaches the OpenAI API with small local models, one lesson at a time."
    for number in range(12)
)


class Greedy:
    """A learner in a tight loop of long requests, from several threads at once, until told to stop."""

    def __init__(self, base_url: str, api_key: str, threads: int, tokens: int) -> None:
        self.base_url, self.api_key, self.tokens = base_url, api_key, tokens
        self.stop = threading.Event()
        self.tally = Tally()
        self.threads = [threading.Thread(target=self._loop, name=f"greedy-{i}") for i in range(threads)]

    def _loop(self) -> None:
        with OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=600) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    reply = client.chat.completions.create(
                        model=MODEL,
                        reasoning_effort=EFFORT,
                        max_completion_tokens=self.tokens,
                        temperature=0.8,
                        messages=[{"role": "user", "content": LONG_PROMPT}],
                    )
                except Exception as error:  # counted, never hidden
                    self.tally.error(f"greedy: {type(error).__name__}: {error}")
                    continue
                self.tally.add(Sample("greedy", time.perf_counter() - started, reply.usage.completion_tokens))

    def __enter__(self) -> Greedy:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def _run_learners(learners: list[Learner], rounds: int, max_seconds: float) -> float:
    """Run every learner's rounds in its own thread; return the wall time."""
    deadline = time.monotonic() + max_seconds
    threads = [threading.Thread(target=learner.run, args=(rounds, deadline)) for learner in learners]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def report_fair_share(alone: Tally, crowded: Tally, greedy: Greedy, walls: tuple[float, float], learners: int) -> None:
    """Each learner's p50/p95 and errors without and with the greedy learner, and the ratio of the others' p95."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {load}; CPUs: {os.cpu_count()} (shared machine: figures are noisy)")
    print(
        f"{learners} learners with their own keys; run 1 alone ({walls[0]:.0f} s), run 2 with a greedy one ({walls[1]:.0f} s)"
    )
    print(f"{'learner':<10}{'p50 alone':>10}{'p95 alone':>10}{'p50 greedy':>11}{'p95 greedy':>11}")
    for index in range(learners):
        before = [s.seconds for s in alone.samples if s.learner == index]
        after = [s.seconds for s in crowded.samples if s.learner == index]
        print(
            f"learner{index + 1:02d} {_p(before, 50):9.0f} {_p(before, 95):9.0f} {_p(after, 50):10.0f} {_p(after, 95):10.0f}"
        )
    without = [s.seconds for s in alone.samples]
    with_greedy = [s.seconds for s in crowded.samples]
    print(
        f"others, all requests: p50 {_p(without, 50):.0f} ms -> {_p(with_greedy, 50):.0f} ms, "
        f"p95 {_p(without, 95):.0f} ms -> {_p(with_greedy, 95):.0f} ms"
    )
    per_learner = [
        (
            _p([s.seconds for s in alone.samples if s.learner == i], 95),
            _p([s.seconds for s in crowded.samples if s.learner == i], 95),
        )
        for i in range(learners)
    ]
    print(
        f"median of the learners' own p95: {np.median([a for a, _ in per_learner]):.0f} ms -> "
        f"{np.median([b for _, b in per_learner]):.0f} ms"
    )
    print(f"others' p95 with the greedy learner / without: {_p(with_greedy, 95) / _p(without, 95):.2f} (target <= 1.5)")
    print(
        f"errors: others alone {len(alone.errors)}, others with greedy {len(crowded.errors)}, greedy {len(greedy.tally.errors)}"
    )
    for line in (alone.errors + crowded.errors + greedy.tally.errors)[:10]:
        print(f"  error: {line}")
    tokens = sum(s.completion_tokens for s in greedy.tally.samples)
    print(
        f"greedy: {len(greedy.tally.samples)} long requests answered ({tokens} completion tokens) "
        f"from {len(greedy.threads)} loops; p50 {_p([s.seconds for s in greedy.tally.samples], 50):.0f} ms"
    )
    print(f"HTTP statuses seen by the others: alone {dict(alone.statuses)}, with greedy {dict(crowded.statuses)}")


def fair_share(args: argparse.Namespace) -> int:
    """Run the learners alone, then beside a greedy learner, on one ``serve --learners`` server."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    keys = new_learners(args.learners + 1)  # the last is the greedy one
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as log:
        roster = os.path.join(folder, "learners.csv")
        with open(roster, "w", encoding="utf-8") as out:
            write_learners(keys, out)
        process, startup = start_server(port, log, args.startup_timeout, ["--learners", roster])
        print(f"server at {base_url} (serve --learners, start-up {startup:.1f} s)")
        try:
            moderation = has_moderations(base_url)
            tallies = []
            walls = []
            greedy = Greedy(base_url, keys[-1][1], args.greedy_threads, args.greedy_tokens)
            for crowded in (False, True):
                tally = Tally()
                learners = [Learner(i, base_url, tally, moderation, keys[i][1]) for i in range(args.learners)]
                if crowded:
                    with greedy:
                        time.sleep(2)  # the greedy loops are running before the others start
                        walls.append(_run_learners(learners, args.rounds, args.max_seconds))
                else:
                    walls.append(_run_learners(learners, args.rounds, args.max_seconds))
                tallies.append(tally)
            usage = httpx.get(
                base_url.removesuffix("/v1") + "/course/usage", headers={"Authorization": f"Bearer {API_KEY}"}
            )
            greedy_usage = next(row for row in usage.json()["data"] if row["name"] == keys[-1][0])
            print(f"the server's usage for the greedy learner: {greedy_usage}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    report_fair_share(tallies[0], tallies[1], greedy, (walls[0], walls[1]), args.learners)
    errors = len(tallies[0].errors) + len(tallies[1].errors)
    return 1 if errors else 0


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    p50, p90, p99 = np.percentile(np.array(values) * 1000, [50, 90, 99])
    return f"p50 {p50:6.0f} ms  p90 {p90:6.0f} ms  p99 {p99:6.0f} ms  ({len(values)} requests)"


def report(tally: Tally, wall: float, learners: int, startup: float) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    samples = tally.samples
    tokens = sum(s.completion_tokens for s in samples)
    print(f"load average (1, 5, 15 min) at the end: {load}; CPUs: {os.cpu_count()}")
    print(f"server start-up (process start to first answer): {startup:.1f} s")
    print(f"{learners} learners, {len(samples)} requests answered, errors: {len(tally.errors)}")
    for line in tally.errors[:10]:
        print(f"  error: {line}")
    print(
        f"HTTP statuses seen by the clients: {dict(sorted(tally.statuses.items()))} "
        f"(429 = server busy, retried by the SDK)"
    )
    print(f"wall time {wall:.1f} s: {len(samples) / wall:.2f} requests/s, {tokens / wall:.1f} completion tokens/s")
    by_kind = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample.seconds)
    print("full reply latency:")
    print(f"  {'all':<13}{_percentiles([s.seconds for s in samples])}")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:<13}{_percentiles(values)}")
    print("time to first token (streamed):")
    print(f"  {'stream':<13}{_percentiles([s.ttft for s in samples if s.ttft is not None])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the five requests per learner")
    parser.add_argument(
        "--max-seconds", type=float, default=1200, help="no learner starts a request after this many seconds"
    )
    parser.add_argument("--startup-timeout", type=float, default=600)
    parser.add_argument(
        "--greedy", action="store_true", help="fair share: the learners alone, then beside a greedy one"
    )
    parser.add_argument("--greedy-threads", type=int, default=6, help="the greedy learner's concurrent loops")
    parser.add_argument("--greedy-tokens", type=int, default=120, help="completion tokens of each greedy request")
    args = parser.parse_args()
    if args.greedy:
        return fair_share(args)

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile() as log:
        process, startup = start_server(port, log, args.startup_timeout)
        try:
            moderation = has_moderations(base_url)
            print(f"server at {base_url}; /v1/moderations {'served' if moderation else 'absent: /v1/models instead'}")
            tally = Tally()
            learners = [Learner(i, base_url, tally, moderation) for i in range(args.learners)]
            deadline = time.monotonic() + args.max_seconds
            threads = [
                threading.Thread(target=learner.run, args=(args.rounds, deadline), name=f"learner-{i}")
                for i, learner in enumerate(learners)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.returncode not in (0, -15):
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:])
    report(tally, wall, args.learners, startup)
    return 1 if tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())
