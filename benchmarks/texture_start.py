"""Texture synthesis from smooth noise (stylegram's start) against white noise (the paper's), same options otherwise.

Run: python benchmarks/texture_start.py [--sizes 96,256] [--seeds 3] [--examples sample:gravel,sample:brick,...]
Both start from noise around the example's mean colour with the same seed; stylegram draws it at half the size and
enlarges it (synthesis.smooth_noise), the paper draws it at full size. Reported per example and size: the median over
seeds of texture_speed's Gram distance to the example (lower is better), and the checkerboard measure: the
pixel-to-pixel diagonal step over the step between neighbours, of the output and of the example at its own pixels
(white noise scores about 0.7; a hatched texture scores above its example). At 96 px the default runs one scale, so
the start shows; at 256 px it runs three.
"""

from __future__ import annotations

import argparse
import statistics

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)

from stylegram.backbones import load_backbone
from stylegram.images import load_input
from stylegram.synthesis import TextureOptions, checkerboard
from texture_speed import synthesize, texture_distance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="96,256")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--examples", default="sample:gravel,sample:brick,sample:grass")
    args = parser.parse_args()
    defaults = TextureOptions()
    model = load_backbone(defaults.backbone, defaults.weights, pooling=defaults.pooling)
    print(f"{'example':>14} {'size':>5} {'start':>6} {'distance (median)':>18} {'checkerboard':>13} "
          f"{'example':>8} {'seconds':>8}")
    for name in args.examples.split(","):
        example = load_input(name, "example")
        for side in (int(s) for s in args.sizes.split(",")):
            for start in ("white", "smooth"):
                runs = [synthesize(name, model, defaults.replace(size=side, seed=seed), paper_start=start == "white")
                        for seed in range(args.seeds)]
                distance = statistics.median(texture_distance(r["image"], example, model) for r in runs)
                hatch = statistics.mean(checkerboard(r["image"]) for r in runs)
                seconds = statistics.mean(r["seconds"] for r in runs)
                print(f"{name:>14} {side:>5} {start:>6} {distance:>18.5f} {hatch:>13.2f} {checkerboard(example):>8.2f} "
                      f"{seconds:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
