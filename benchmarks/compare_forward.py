"""The forward pass of one decoding step at a git revision against the working tree's, interleaved. Prints ratios.

    python benchmarks/compare_forward.py [--base main] [--batches 1 8] [--rounds 30]

The matrix products dominate a decoding step, and the machine's memory speed
drifts by tens of percent within minutes (more when other programs run), so
two separate runs cannot show a few percent won on the small steps around
the products. This script loads ``transformer.py`` as it was at ``--base``
next to the working tree's, both on the same weights, and times one decoding
step of each in turns (who goes first alternates), with ``--batches``
sequences of a typical length, in each way of sharing the cores (linear.MODES).
It prints, per batch size and mode, the best step of each (milliseconds) and
the ratio working tree / base (below 1.00: faster), and the same ratio of
the calling thread's CPU time, which other programs disturb less (the small
steps all run on that thread; in "blas" and "split" modes it also includes
its share of the products). Also the largest difference of the logits and
whether 32 greedy tokens are the same, and the small steps alone: each
matrix product replaced by a copy of its result (``--small-only``: just these).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from course_helpers.local.engine import Engine
from course_helpers.local.linear import MODES

ROOT = Path(__file__).resolve().parent.parent
PROMPT = [{"role": "user", "content": "Write a long, detailed story about a dragon who learns to bake bread."}]


def base_transformer(revision: str):
    """The module ``course_helpers/local/transformer.py`` as it was at ``revision``, importable beside today's."""
    source = subprocess.run(
        ["git", "show", f"{revision}:course_helpers/local/transformer.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    name = "course_helpers.local._base_transformer"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "course_helpers.local"  # its relative imports find today's gguf_weights and linear
    sys.modules[name] = module
    exec(compile(source, f"{revision}:transformer.py", "exec"), module.__dict__)
    return module


class ReplayedProducts:
    """Stands in for a model's Linear to time the small steps alone: each product is computed once, then replayed.

    Every later call with the same weight and number of rows gets a copy of
    that first result (real numbers of the right shape, so the small steps
    see realistic values); the copy costs the same on both sides.
    """

    def __init__(self, linear):
        self.linear, self.results = linear, {}
        self.workers = linear.workers

    def using(self, mode: str):
        return self.linear.using(mode)

    def __call__(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        key = (id(weight), x.shape[0])
        if key not in self.results:
            self.results[key] = self.linear(x, weight)
        return self.results[key].copy()


def step_seconds(model, caches, batch: int) -> tuple[float, float]:
    """Seconds of one decoding step (one new token for each of ``batch`` sequences): elapsed, and CPU of this thread.

    The caches step back after it: the next step overwrites the same position, so every step does the same work.
    """
    lengths = [cache.length for cache in caches]
    start, cpu_start = time.perf_counter(), time.thread_time()
    model.forward([[100]] * batch, caches)
    seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    for cache, length in zip(caches, lengths, strict=True):
        cache.length = length
    return seconds


def interleaved_best(models: dict, caches: dict, batch: int, rounds: int, steps: int) -> dict[str, list[float]]:
    """Best (elapsed, CPU) step of each side ("base", "new"), taken in turns, who goes first alternating."""
    best = {side: [float("inf")] * 2 for side in models}
    for round_ in range(rounds):
        for side in list(models)[:: 1 if round_ % 2 else -1]:
            for _ in range(steps):
                best[side] = list(map(min, best[side], step_seconds(models[side], caches[side], batch)))
    return best


def greedy_tokens(model, prompt: list[int], count: int) -> list[int]:
    """The ``count`` tokens that always taking the most likely one gives after ``prompt``."""
    cache, tokens = model.new_cache(), []
    logits = model.forward([prompt], [cache])[0]
    for _ in range(count):
        tokens.append(int(np.argmax(logits)))
        logits = model.forward([tokens[-1:]], [cache])[0]
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the git revision to compare the working tree with")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--small-only", action="store_true", help="only the small steps (see below)")
    parser.add_argument("--steps", type=int, default=3, help="steps per round and side")
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    engine = Engine(threads=2)
    new = engine.model
    old = base_transformer(args.base).Transformer(engine.weights, workers=2)
    prompt = engine.encode(engine.render_chat(PROMPT))
    for batch in [] if args.small_only else args.batches:
        prompts = [prompt + [1000 + s] for s in range(batch)]  # the sequences differ a little
        caches = {side: [model.new_cache() for _ in prompts] for side, model in (("base", old), ("new", new))}
        with new.linear.using("one"), old.linear.using("one"):
            logits = {side: model.forward(prompts, caches[side]) for side, model in (("base", old), ("new", new))}
        difference = max(float(np.abs(a - b).max()) for a, b in zip(logits["base"], logits["new"], strict=True))
        print(f"batch {batch}: largest logit difference, base against working tree: {difference:.2e}")
        if batch == 1:
            with new.linear.using("one"), old.linear.using("one"):
                same = greedy_tokens(old, prompt, 32) == greedy_tokens(new, prompt, 32)
            print(f"  32 greedy tokens, base and working tree: {'the same' if same else 'DIFFERENT'}")
        for mode in MODES:
            with new.linear.using(mode), old.linear.using(mode):
                best = interleaved_best({"base": old, "new": new}, caches, batch, args.rounds, args.steps)
            (base, base_cpu), (ours, ours_cpu) = best["base"], best["new"]
            print(
                f"  {mode:5s}: base {1e3 * base:6.2f} ms, working tree {1e3 * ours:6.2f} ms per step: "
                f"ratio {ours / base:.3f};  CPU time of the calling thread: ratio {ours_cpu / base_cpu:.3f}"
            )
    print("the small steps alone (each matrix product replaced by a copy of its result), one core:")
    for model in (old, new):
        model.linear = ReplayedProducts(model.linear)
    for batch in args.batches:
        caches = {side: [model.new_cache() for _ in range(batch)] for side, model in (("base", old), ("new", new))}
        for side, model in (("base", old), ("new", new)):
            model.forward([prompt + [1000 + s] for s in range(batch)], caches[side])
        with new.linear.using("one"):
            best = interleaved_best({"base": old, "new": new}, caches, batch, 4 * args.rounds, args.steps)
        (base, base_cpu), (ours, ours_cpu) = best["base"], best["new"]
        print(
            f"  batch {batch}: base {1e3 * base:6.2f} ms, working tree {1e3 * ours:6.2f} ms per step: "
            f"ratio {ours / base:.3f};  CPU time: ratio {ours_cpu / base_cpu:.3f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
