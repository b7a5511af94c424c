"""What each label of --labels costs: seconds per transfer iteration with K labels, against one style everywhere.

Run: python benchmarks/labels_speed.py [--size 256] [--iterations 30] [--labels 1,2,4,6]

Chelsea with swirls, one scale (min_size = size; upscaled beyond 451 px), the default options otherwise. K labels are K vertical stripes of
the content's map and K horizontal stripes of the style's, so each label pairs a stripe of the photo with a band of
the painting: K entries, each with its masked terms at every style layer. K = 1 is the plain transfer (no maps), the
baseline of the same run; each count runs twice and keeps the faster, with a layer's masked Gram terms computed
together (masks.RegionGrams, the default) and "apart", one term per region as before. Also timed: the style targets of the scale
(computed once per scale; a style image lending K labels goes through the network once, not K times).
"""

from __future__ import annotations

import argparse
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import images, masks
from stylegram.features import default_backbone
from stylegram.gatys import prepare
from stylegram.samples import path

COLOURS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (128, 128, 0)]


def stripes(height: int, width: int, count: int, across: bool) -> torch.Tensor:
    """A label map of ``count`` stripes in COLOURS, side by side (``across``) or stacked."""
    out = torch.zeros(1, 3, height, width)
    for k in range(count):
        colour = torch.tensor(COLOURS[k % len(COLOURS)]).view(1, 3, 1, 1) / 255
        if across:
            out[..., k * width // count:(k + 1) * width // count] = colour
        else:
            out[..., k * height // count:(k + 1) * height // count, :] = colour
    return out


def options_for(content, style, count: int, size: int, iterations: int, model) -> dict:
    """A one-scale transfer's options with ``count`` labels (1: none)."""
    options = dict(size=size, min_size=size, iterations=str(iterations), tolerance=0, model=model, upscale=True)
    if count > 1:
        options["labels"] = [stripes(*content.shape[-2:], count, True), stripes(*style.shape[-2:], count, False)]
    return options


def targets_time(content, style, count: int, size: int, model) -> float:
    """Seconds to compute the scale's content and style targets with ``count`` labels, the faster of two."""
    problem = prepare(content, style, **options_for(content, style, count, size, 1, model)).problem
    best = float("inf")
    for _ in range(2):
        problem._cached_size = None  # computed anew
        start = time.perf_counter()
        problem._targets(problem.sizes()[-1])
        best = min(best, time.perf_counter() - start)
    return best


def per_iteration(content, style, count: int, size: int, iterations: int, model) -> float:
    """Median seconds per iteration of a one-scale transfer with ``count`` labels (1: none)."""
    options = options_for(content, style, count, size, iterations, model)
    steps, last = [], time.perf_counter()
    for _ in prepare(content, style, **options):
        now = time.perf_counter()
        steps.append(now - last)
        last = now
    timed = sorted(steps[2:])  # the first ones compute the targets and warm up
    return timed[len(timed) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="output long side in px (default: %(default)s)")
    parser.add_argument("--iterations", type=int, default=30, help="iterations per run (default: %(default)s)")
    parser.add_argument("--labels", default="1,2,4,6", help="label counts, comma-separated (default: %(default)s)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.labels.split(",")]
    if 1 not in counts:
        counts.insert(0, 1)
    content, style = images.load_tensor(path("chelsea")), images.load_tensor(path("swirls"))
    model = default_backbone()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), chelsea x swirls at {args.size} px, "
          f"{args.iterations} iterations per run, the faster of two runs per count")
    best, apart = {}, {}
    for n in counts:  # the grouped masked terms (masks.RegionGrams) against one term per region, interleaved
        runs = {True: [], False: []}
        for _ in range(2):
            for grouped in (True, False) if n > 1 else (True,):
                masks.GROUPED = grouped
                runs[grouped].append(per_iteration(content, style, n, args.size, args.iterations, model))
        masks.GROUPED = True
        best[n], apart[n] = min(runs[True]), min(runs[False] or runs[True])
    setup = {n: targets_time(content, style, n, args.size, model) for n in counts}
    print(f"{'labels':>7} {'s/it':>7} {'x one style':>12} {'apart s/it':>11} {'x one style':>12} {'targets s':>10} "
          f"{'x one style':>12}")
    for n, seconds in best.items():
        print(f"{n:>7} {seconds:>7.3f} {seconds / best[1]:>12.2f} {apart[n]:>11.3f} {apart[n] / best[1]:>12.2f} "
              f"{setup[n]:>10.3f} {setup[n] / setup[1]:>12.2f}")

if __name__ == "__main__":
    main()
