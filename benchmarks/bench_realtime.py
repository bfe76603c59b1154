"""Text to speech through the local Realtime API: time to first audio chunk and real-time factor. Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_realtime.py [--repeats 3]

(from a git worktree, put it first: ``PYTHONPATH=. python benchmarks/bench_realtime.py``)

Each run opens ``client.realtime.connect(model="gpt-realtime-2.1-mini")`` on
a real local server, sends the lesson's ``session.update`` and a
``response.create`` (``conversation: "none"``, text input), and times from
``response.create`` to:

- the first ``response.output_audio.delta`` (what a learner waits before
  the voice could start playing);
- ``response.done``; the real-time factor (RTF) is that time divided by the
  length of the audio received: below 1, the audio is made faster than it plays.

A short sentence and a paragraph are measured, with Piper's sentence cache
cleared before each run (the neural network runs every time). The first
connection also loads the voice and is not counted. Other processes using the
CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time
import warnings

import openai
from bench_audio import PARAGRAPH  # no numbers; five sentences, about 25 seconds spoken

from course_helpers.local.audio import speech
from course_helpers.local.server import start_in_thread

SHORT = "Hello! How are you today?"
SESSION = {
    "type": "realtime",
    "output_modalities": ["audio"],
    "audio": {"output": {"voice": "marin", "format": {"type": "audio/pcm", "rate": 24000}}},
    "instructions": "Read the user's text aloud exactly as written. Add nothing.",
}


def speak(client: openai.OpenAI, text: str) -> tuple[float, float, float, int]:
    """One Realtime response: (seconds to first audio chunk, seconds to response.done, seconds of audio, deltas)."""
    speech._piper_audio.cache_clear()  # time the neural network, not the cache of a repeated sentence
    message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    with client.realtime.connect(model="gpt-realtime-2.1-mini") as connection:
        connection.session.update(session=SESSION)
        for event in connection:
            if event.type == "session.updated":
                break
        start = time.perf_counter()
        connection.response.create(response={"conversation": "none", "input": [message]})
        first, pcm_bytes, deltas = None, 0, 0
        for event in connection:
            if event.type == "response.output_audio.delta":
                first = first if first is not None else time.perf_counter() - start
                pcm_bytes += len(base64.b64decode(event.delta))
                deltas += 1
            elif event.type == "error":
                raise RuntimeError(event.error.message)
            elif event.type == "response.done":
                break
        total = time.perf_counter() - start
    assert first is not None, "no audio arrived"
    return first, total, pcm_bytes / 2 / speech.SAMPLE_RATE, deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per text (the median is printed)")
    args = parser.parse_args()
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    # the SDK's sync Realtime client warns under websockets >= 17 (see tests/local/server/test_realtime.py)
    warnings.filterwarnings("ignore", message=r"connect\(\) must be used as a context manager")
    with start_in_thread(warm=False) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        start = time.perf_counter()
        speak(client, "Warming up.")
        print(f"first connection (loads the voice): {time.perf_counter() - start:.2f} s")
        for label, text in (("short", SHORT), ("paragraph", PARAGRAPH)):
            runs = [speak(client, text) for _ in range(args.repeats)]
            first = statistics.median(run[0] for run in runs)
            total = statistics.median(run[1] for run in runs)
            audio_seconds = runs[0][2]
            print(
                f"realtime {label:9s} ({len(text):3d} chars, {audio_seconds:4.1f} s of audio, {runs[0][3]:3d} deltas): "
                f"first audio chunk {first:.3f} s, response.done {total:.2f} s, RTF {total / audio_seconds:.3f}"
            )


if __name__ == "__main__":
    main()
