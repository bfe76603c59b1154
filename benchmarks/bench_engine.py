"""Speed of the local chat engine, measured against this machine's own limit. Prints figures.

    COURSE_MODEL_CACHE=... python benchmarks/bench_engine.py [--threads 1 2] [--tokens 128]

The limit ("roofline"): decoding one token must read every weight matrix
once, so we time exactly those matrix-vector products (the model's own
memory-mapped matrices, same shapes, same order, in GGUF's layout and
transposed, as the engine keeps both) with one BLAS thread and with all of
them, in the same run, and take the fastest. Then:

- decode speed of one 128-token reply, as a share of that limit (target >= 70%), after
  32-token replies until the engine has tried every way of sharing the cores (``explore``);
- 8 concurrent 128-token replies: total tokens/s against one reply's, both timed the same way, from
  submitting to the last token, prompts included, after warm-up rounds of 8 (the tuner's trials at
  that batch size) (target >= 2.5x); also against the decode speed above, which leaves the prompt out;
- time to first token of a short prompt (target < 0.5 s);
- start-up of a fresh process with the model cached, to its first token (target < 2 s);
- memory a process adds: its anonymous (own) pages; the weights are a memory-mapped file whose
  pages the OS shares between processes (target well under the weights' size).

Other processes using the CPU make every figure worse; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
from threadpoolctl import ThreadpoolController

from course_helpers.local.engine import Engine, SamplingParams

LONG_PROMPT = [{"role": "user", "content": "Write a long, detailed essay about the history of the Roman Empire."}]
SHORT_PROMPT = [{"role": "user", "content": "Hi!"}]
WARM_UP_TOKENS = 32  # a first reply, so that the decode figure is the steady speed (see ThreadTuner)


def roofline(engine: Engine, threads: int, repeats: int = 7) -> float:
    """Best time (s) of one pass of matrix-vector products over every weight matrix, in the faster layout."""
    matrices = engine.weights.matrices()
    transposed = [engine.weights.in_out[id(m)] for m in matrices]  # (in, out): x @ w
    vectors = {m.shape[1]: np.ones((1, m.shape[1]), np.float32) for m in matrices}
    best = float("inf")
    with ThreadpoolController().limit(limits=threads, user_api="blas"):
        for _ in range(repeats):  # the two layouts in turns
            start = time.perf_counter()
            for matrix in matrices:
                vectors[matrix.shape[1]] @ matrix.T
            middle = time.perf_counter()
            for matrix in transposed:
                vectors[matrix.shape[0]] @ matrix
            best = min(best, middle - start, time.perf_counter() - middle)
    return best


def decode_speed(engine: Engine, tokens: int) -> tuple[float, int]:
    """Tokens/s of one reply after its first token (prefill excluded), and the reply's length."""
    prompt = engine.encode(engine.render_chat(LONG_PROMPT))
    generation = engine.generate(prompt, SamplingParams(temperature=0.7, seed=1, max_tokens=tokens))
    stamps = [time.perf_counter() for _ in generation]
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]), generation.completion_tokens


def explore(engine: Engine, streams: int, most: int = 20) -> int:
    """Rounds of ``streams`` 32-token replies at once until the engine's tuner has measured every mode at
    that batch size (at most ``most``); how many it took. Measured here: ~90 decoding steps, 3 rounds."""
    prompt = engine.encode(engine.render_chat(LONG_PROMPT))
    rounds = 0
    while rounds < most and not engine._scheduler.tuner.explored(streams):
        together(engine, prompt, streams, lambda seed: SamplingParams(temperature=0.7, seed=seed, max_tokens=32))
        rounds += 1
    return rounds


def concurrent_speed(engine: Engine, streams: int, tokens: int) -> float:
    """Total tokens/s of ``streams`` requests of the long prompt submitted together (prefill included)."""
    prompt = engine.encode(engine.render_chat(LONG_PROMPT))
    return together(engine, prompt, streams, lambda seed: SamplingParams(temperature=0.7, seed=seed, max_tokens=tokens))


def together(engine: Engine, prompt: list[int], streams: int, params_for_seed) -> float:
    """Total tokens/s of ``streams`` requests of ``prompt`` submitted together from separate threads.

    Request ``i`` samples with ``params_for_seed(i)``. Timed from submitting to the last token of the
    last request, so the prompts' prefill is included.
    """
    counts = []

    def one(seed):
        generation = engine.generate(prompt, params_for_seed(seed))
        for _ in generation:
            pass
        counts.append(generation.completion_tokens)

    threads = [threading.Thread(target=one, args=(seed,)) for seed in range(streams)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def time_to_first_token(engine: Engine, repeats: int = 5) -> float:
    """Median seconds from generate() to the first event, short chat prompt."""
    prompt = engine.encode(engine.render_chat(SHORT_PROMPT))
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        generation = engine.generate(prompt, SamplingParams(seed=seed, max_tokens=4))
        next(generation)
        times.append(time.perf_counter() - start)
        generation.cancel()
    return float(np.median(times))


_CHILD = textwrap.dedent("""
    import time
    start = time.perf_counter()
    from course_helpers.local.engine import get_engine, SamplingParams
    engine = get_engine()
    generation = engine.generate(engine.encode(engine.render_chat([{"role": "user", "content": "Hi!"}])),
                                 SamplingParams(max_tokens=16, seed=0))
    next(generation)
    first = time.perf_counter() - start
    for _ in generation:
        pass
    fields = {}
    for line in open("/proc/self/smaps_rollup"):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    print(first, fields["Rss"], fields["Private_Clean"] + fields["Private_Dirty"], fields["Anonymous"])
""")


def fresh_process() -> tuple[float, float, float, float]:
    """Start-up to first token of a new process, and its memory (MB): rss, private, anonymous.

    Private counts file pages only this process has mapped so far, even though the OS would
    share them with the next process; anonymous memory is what a process really adds.
    """
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    start_up, rss, private, anonymous = (float(v) for v in out.stdout.split())
    return start_up, rss, private, anonymous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="engine threads for decoding")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    start_up, rss, private, anonymous = fresh_process()
    engine = Engine(threads=1)
    weights_mb = sum(m.nbytes for m in engine.weights.matrices()) / 2**20
    print(f"start-up to first token (fresh process, model cached): {start_up:.2f} s   (target < 2 s)")
    print(
        f"memory a process adds: {anonymous:.0f} MB of its own (anonymous) memory; its rss of {rss:.0f} MB "
        f"also counts the {weights_mb:.0f} MB of weights, file pages shared by every process   "
        "(target: well under the weights' size)"
    )
    engine.generate(engine.encode("warm up"), SamplingParams(max_tokens=8)).cancel()

    limits = {threads: roofline(engine, threads) for threads in (1, 2)}
    best_threads = min(limits, key=limits.get)
    limit_tps = 1 / limits[best_threads]
    print(
        "roofline (matrix-vector products over all weights): "
        + ", ".join(f"{t} thread(s) {1e3 * s:.1f} ms = {1 / s:.1f} tokens/s" for t, s in limits.items())
    )
    for threads in args.threads:
        engine = Engine(threads=threads)
        started = time.perf_counter()
        warm_up, _ = decode_speed(engine, WARM_UP_TOKENS)  # the tuner's first trials happen here
        print(
            f"engine threads={threads}: first reply of a fresh engine, {WARM_UP_TOKENS} tokens: {warm_up:.1f} "
            f"tokens/s ({time.perf_counter() - started:.1f} s, including the tuner's first trials); "
            f"{explore(engine, 1)} more replies until it had measured every mode"
        )
        speed, length = decode_speed(engine, args.tokens)
        print(
            f"decode, engine threads={threads}: {speed:.1f} tokens/s over {length} tokens = "
            f"{100 * speed / limit_tps:.0f}% of the roofline ({limit_tps:.1f} tokens/s)   (target >= 70%)"
        )
        explore(engine, args.streams)  # warm-up: the tuner's trials at this batch size
        one = concurrent_speed(engine, 1, args.tokens)
        many = concurrent_speed(engine, args.streams, args.tokens)
        print(
            f"  {args.streams} concurrent streams: {many:.1f} tokens/s = {many / one:.2f}x one stream measured the "
            f"same way ({one:.1f} tokens/s)   (target >= 2.5x); {many / speed:.2f}x the decode speed above"
        )
        print(f"  time to first token, short prompt: {time_to_first_token(engine):.3f} s   (target < 0.5 s)")
        modes = engine._scheduler.tuner.choices()
        print(
            "  how the cores shared the products (fastest measured, per batch size): "
            + ", ".join(f"{batch}: {mode}" for batch, mode in modes.items())
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
