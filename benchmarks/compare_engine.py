"""Decode speed of the engine at two git revisions, measured in one run, as ratios. Prints figures.

    python benchmarks/compare_engine.py --base e3e6569 [--rounds 3] [--tokens 128] [--streams 8]

A change to the engine must not cost decode speed, but a figure measured an
hour ago on a shared machine says little about one measured now. So this
script checks the base revision out into a temporary git worktree and runs
the same measurements (``bench_engine.decode_speed`` and
``concurrent_speed``, engine with 2 threads, after a warm-up reply) on the
base and on the working tree, alternately (who goes first alternates too), each in a
fresh process, and
prints the medians and the ratio working tree / base (1.00 = no change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, sys
sys.path.insert(0, {benchmarks!r})
import course_helpers
from bench_engine import WARM_UP_TOKENS, concurrent_speed, decode_speed
from course_helpers.local.engine import Engine
assert course_helpers.__file__.startswith({root!r}), course_helpers.__file__  # the revision asked for
engine = Engine(threads=2)
decode_speed(engine, WARM_UP_TOKENS)  # the thread tuner's trials happen here
decode, _ = decode_speed(engine, {tokens})
many = concurrent_speed(engine, {streams}, {tokens})
print(json.dumps({{"decode": decode, "streams": many}}))
"""


def measure(root: Path, tokens: int, streams: int) -> dict[str, float]:
    """One fresh process on the code under ``root``: decode tokens/s and the streams' total tokens/s."""
    code = _CHILD.format(benchmarks=str(ROOT / "benchmarks"), root=str(root), tokens=tokens, streams=streams)
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {root} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        base_root = Path(folder) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_root), args.base], check=True
        )
        try:
            sides: dict[str, list[dict[str, float]]] = {"base": [], "working tree": []}
            for round_number in range(args.rounds):
                order = [("base", base_root), ("working tree", ROOT)]
                for name, root in order if round_number % 2 == 0 else order[::-1]:  # neither side always first
                    figures = measure(root, args.tokens, args.streams)
                    sides[name].append(figures)
                    print(
                        f"round {round_number + 1}, {name}: decode {figures['decode']:.1f} tokens/s, "
                        f"{args.streams} streams {figures['streams']:.1f} tokens/s",
                        flush=True,
                    )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_root)], check=True)
    for key, label in (("decode", "decode of one reply"), ("streams", f"{args.streams} concurrent streams")):
        base = statistics.median(f[key] for f in sides["base"])
        new = statistics.median(f[key] for f in sides["working tree"])
        print(
            f"{label}: base {args.base} {base:.1f} tokens/s, working tree {new:.1f} tokens/s: "
            f"ratio {new / base:.3f} (medians of {args.rounds})"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
