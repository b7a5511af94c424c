"""Seconds per transfer iteration with each style statistic, relative to gram, at 512 px.

Run: OMP_NUM_THREADS=1 python benchmarks/statistics_speed.py [--size 512] [--iterations 8] [--statistics gram,w2]
One scale only (min_size = size; chelsea, 451 px, is upscaled to 512), L-BFGS, the default layers and
weights; the backbone is loaded once, outside the timing. "setup" is the time to the first iteration minus one iteration: the style targets
(histogram sorts, w2 square roots, MMD samples and bandwidths). "s/it" is the median over the iterations.

--masks: the cost of spatial control per statistic. Each statistic runs chelsea with swirls and mosaic twice, blended
(the baseline) and with --style-masks (swirls on the left half, mosaic on the right: two sets of masked terms), the
two alternating; "x blended" is the masked run's s/it over the blended run's.
"""

from __future__ import annotations

import argparse
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram.features import default_backbone
from stylegram.gatys import prepare
from stylegram.statistics import STATISTICS


def halves() -> list[torch.Tensor]:
    """Masks of chelsea's left and right halves."""
    left = torch.zeros(1, 3, 300, 451)
    left[..., :225] = 1.0
    return [left, 1 - left]


def seconds(name: str, size: int, iterations: int, model, styles=("sample:swirls",), **options) -> tuple[float, float]:
    """(setup seconds, median seconds per iteration) of one single-scale transfer."""
    job = prepare("sample:chelsea", list(styles), model=model, statistic=name, size=size, min_size=size,
                  iterations=str(iterations), tolerance=0, upscale=True, **options)
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
    parser.add_argument("--masks", action="store_true", help="time two styles with and without --style-masks instead")
    args = parser.parse_args(argv)
    names = args.statistics.split(",")
    if "gram" not in names:
        names.insert(0, "gram")
    model = default_backbone()
    styles = "swirls and mosaic" if args.masks else "swirls"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), chelsea x {styles} at {args.size} px, "
          f"{args.iterations} iterations each")
    seconds("gram", args.size, 2, model)  # warm-up: first-call allocations and caches, not timed
    if args.masks:
        return print_masked(names, args.size, args.iterations, model)
    print(f"{'statistic':>11} {'setup s':>8} {'s/it':>7} {'x gram':>7}")
    results = {name: seconds(name, args.size, args.iterations, model) for name in names}
    base = results["gram"][1]
    for name, (setup, per_it) in results.items():
        print(f"{name:>11} {setup:>8.2f} {per_it:>7.2f} {per_it / base:>7.2f}")


def print_masked(names: list[str], size: int, iterations: int, model) -> None:
    """Per statistic: two styles blended, then each in its half (--style-masks), s/it and the ratio."""
    print(f"{'statistic':>11} {'blended s/it':>13} {'masked s/it':>12} {'x blended':>10}")
    two = ("sample:swirls", "sample:mosaic")
    for name in names:
        blended = seconds(name, size, iterations, model, two)[1]
        masked = seconds(name, size, iterations, model, two, style_masks=halves())[1]
        print(f"{name:>11} {blended:>13.3f} {masked:>12.3f} {masked / blended:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
