"""A texture's coarse-to-fine step with a margin: the picture enlarged by the scales' ratio (TextureProblem.rescale)
against the canvas resized to the next canvas, as it was.

    python benchmarks/texture_rescale.py [--examples gravel mosaic] [--seeds 0 1] [--sizes 128 256]

The margin (TextureOptions.margin) is the same px at every scale, so resizing the whole canvas to the next one (72 to
136 px from 64 to 128) shrank the picture by 6 % and moved it 3.5 px inwards at each step. Both are run with the
default options otherwise, interleaved (the machine is shared and drifts, so compare within a row). Printed per run:
the seconds, the iterations run (the early stop ends each scale) and the texture distance to the example
(texture_speed's evaluator) of the whole picture and of its centre (8 px cropped off each side); then the medians and
the ratio of the times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import optimize, samples, synthesis
from stylegram.features import default_backbone
from stylegram.images import load_tensor

from texture_speed import texture_distance  # the benchmarks folder is on the path when run as a script


def canvas_to_canvas(problem: synthesis.TextureProblem, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The old step: the whole canvas resized to the next scale's canvas, margin and picture alike."""
    return optimize.resize(image, problem.canvas(size), wrap=problem.wrap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["gravel", "mosaic"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256])
    args = parser.parse_args()
    model = default_backbone("avg")
    steps = {"enlarged": synthesis.TextureProblem.rescale, "canvas": canvas_to_canvas}
    rows: dict[str, list[tuple[float, ...]]] = {name: [] for name in steps}
    print("| example | size | seed | step | seconds | iterations | distance, whole / centre |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.examples:
        example = load_tensor(samples.path(name))  # at its own pixels, as the command line reads it
        for size in args.sizes:
            for seed in args.seeds:
                for step, rescale in steps.items():
                    with mock.patch.object(synthesis.TextureProblem, "rescale", rescale):
                        start = time.perf_counter()
                        result = synthesis.texture(example, model=model, size=size, seed=seed)
                        seconds, image = time.perf_counter() - start, result.image
                    iterations = result.history[-1]["iteration"]
                    far = texture_distance(image, example, model)
                    centre = texture_distance(image[..., 8:-8, 8:-8], example, model)
                    rows[step].append((seconds, iterations, far, centre))
                    print(f"| {name} | {size} | {seed} | {step} | {seconds:.1f} | {iterations} | {far:.5f} / "
                          f"{centre:.5f} |", flush=True)
    for step, got in rows.items():
        seconds, iterations, far, centre = (statistics.median(v) for v in zip(*got))
        print(f"{step}: median {seconds:.1f} s, {iterations:.0f} iterations, distance whole {far:.5f}, centre "
              f"{centre:.5f}")
    better = [new[2] < old[2] for new, old in zip(rows["enlarged"], rows["canvas"])]
    print(f"enlarged closer (whole picture) in {sum(better)} of {len(better)} runs; time "
          f"{statistics.median(r[0] for r in rows['enlarged']) / statistics.median(r[0] for r in rows['canvas']):.2f}x")


if __name__ == "__main__":
    main()
