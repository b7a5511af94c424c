"""A texture's border rows with and without the margin (TextureOptions.margin) — the rim of saturated pixels.

    python benchmarks/texture_margin.py [--examples mosaic swirls] [--seeds 0 1 2] [--size 128] [--margin 4]

Without a margin the network sees fewer neighbours of the outermost rows and columns, and in a colour texture they
come out speckled with pixels stuck at 0 or 255: a 1-2 px coloured rim. With one the canvas is grown by the margin at
every scale and cropped at the end. For each example and seed both are run, interleaved (the machine is shared and
drifts, so compare within a row), with the default options otherwise. Printed per run: the share of saturated pixels
(a channel at 0 or 255) in the outer two rows and columns and inside (4 px in), their ratio, the seconds, and the
texture distance to the example (texture_speed's evaluator) of the whole picture and of its centre (8 px cropped off
each side); then the medians. A run without a margin is optimized at the very geometry the whole picture is scored
at, border rows included, and scores better there than on its own centre; the centre compares the two fairly.
"""

from __future__ import annotations

import argparse
import statistics
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import samples, synthesis
from stylegram.features import default_backbone
from stylegram.images import load_tensor

from texture_speed import texture_distance  # the benchmarks folder is on the path when run as a script


def saturated(image: torch.Tensor) -> tuple[float, float]:
    """The share of pixels with a channel at 0 or 1 in the outer two rows and columns, and 4 px in and beyond."""
    stuck = ((image <= 0) | (image >= 1)).any(1)[0].float()
    ring = torch.cat([stuck[:2].flatten(), stuck[-2:].flatten(), stuck[:, :2].flatten(), stuck[:, -2:].flatten()])
    return float(ring.mean()), float(stuck[4:-4, 4:-4].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["mosaic", "swirls"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--margin", type=int, default=synthesis.MARGIN)
    args = parser.parse_args()
    model = default_backbone("avg")
    rows: dict[int, list[tuple[float, ...]]] = {0: [], args.margin: []}
    print("| example | seed | margin | rim / inside saturated | ratio | seconds | distance, whole / centre |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.examples:
        example = load_tensor(samples.path(name))  # at its own pixels, as the command line reads it
        for seed in args.seeds:
            for margin in (0, args.margin):
                start = time.perf_counter()
                image = synthesis.texture(example, model=model, size=args.size, seed=seed, margin=margin).image
                seconds = time.perf_counter() - start
                rim, inside = saturated(image)
                far = texture_distance(image, example, model)
                centre = texture_distance(image[..., 8:-8, 8:-8], example, model)
                rows[margin].append((rim, inside, seconds, far, centre))
                print(f"| {name} | {seed} | {margin} | {rim:.3f} / {inside:.3f} | {rim / max(inside, 1e-3):.1f} | "
                      f"{seconds:.1f} | {far:.5f} / {centre:.5f} |", flush=True)
    for margin, got in rows.items():
        rim, inside, seconds, far, centre = (statistics.median(v) for v in zip(*got))
        print(f"margin {margin}: median rim {rim:.3f}, inside {inside:.3f} ({rim / max(inside, 1e-3):.1f}x), "
              f"{seconds:.1f} s, distance whole {far:.5f}, centre {centre:.5f}")
    plain, grown = (statistics.median(r[2] for r in rows[m]) for m in (0, args.margin))
    print(f"time with the margin: {grown / plain:.2f}x without")


if __name__ == "__main__":
    main()
