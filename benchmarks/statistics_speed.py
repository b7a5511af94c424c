"""Seconds per transfer iteration with each style statistic, relative to gram, at 512 px.

Run: OMP_NUM_THREADS=1 python benchmarks/statistics_speed.py [--size 512] [--iterations 8] [--statistics gram,w2]
One scale only (min_size = size; chelsea, 451 px, is upscaled to 512), L-BFGS, the default layers and
weights; the backbone is loaded once, outside the timing. "setup" is the time to the first iteration minus one iteration: the style targets
(histogram sorts, w2 square roots, MMD samples and bandwidths). "s/it" is the median over the iterations.
"""

from __future__ import annotations

import argparse
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram.features import default_backbone
from stylegram.gatys import prepare
from stylegram.statistics import STATISTICS


def seconds(name: str, size: int, iterations: int, model) -> tuple[float, float]:
    """(setup seconds, median seconds per iteration) of one single-scale transfer."""
    job = prepare("sample:chelsea", "sample:swirls", model=model, statistic=name, size=size, min_size=size,
                  iterations=str(iterations), tolerance=0, upscale=True)
    last = time.perf_counter()
    steps = []
    for _ in job:
        now = time.perf_counter()
        steps.append(now - last)
        last = now
    per_it = sorted(steps[1:])[len(steps[1:]) // 2]
    return steps[0] - per_it, per_it


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="output long side in px (default: %(default)s)")
    parser.add_argument("--iterations", type=int, default=8, help="iterations per statistic (default: %(default)s)")
    parser.add_argument("--statistics", default=",".join(STATISTICS), help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    names = args.statistics.split(",")
    if "gram" not in names:
        names.insert(0, "gram")
    model = default_backbone()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), chelsea x swirls at {args.size} px, "
          f"{args.iterations} iterations each")
    print(f"{'statistic':>11} {'setup s':>8} {'s/it':>7} {'x gram':>7}")
    seconds("gram", args.size, 2, model)  # warm-up: first-call allocations and caches, not timed
    results = {name: seconds(name, args.size, args.iterations, model) for name in names}
    base = results["gram"][1]
    for name, (setup, per_it) in results.items():
        print(f"{name:>11} {setup:>8.2f} {per_it:>7.2f} {per_it / base:>7.2f}")


if __name__ == "__main__":
    main()
