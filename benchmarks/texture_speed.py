"""Texture synthesis: the default (coarse to fine, early stop) against the paper's plain recipe, same evaluator.

Run: python benchmarks/texture_speed.py [--sizes 256] [--example sample:gravel] [--baseline-iterations 500]
The baseline is Gatys et al. 2015 as the classic tools run it: one scale at the output size, from white noise,
L-BFGS (memory 100), float32, a fixed number of iterations. The default is `stylegram texture` as shipped.
One fixed evaluator scores both: the mean over the paper's layers (conv1_1, pool1..pool4) of the relative
squared Gram error ||G(x) - G(e)||^2 / ||G(e)||^2 against the example at its own pixels, in float32.
The baseline's image is also scored when it has run as long as the default took (equal time).
Each synthesis takes minutes, so no repeats; the backbone is loaded once, outside the timing.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import extract, gram, synthesis
from stylegram.backbones import Backbone, load_backbone
from stylegram.images import load_input
from stylegram.synthesis import LAYERS, TextureOptions, prepare_texture


@torch.no_grad()
def texture_distance(image: torch.Tensor, example: torch.Tensor, model: Backbone) -> float:
    """Mean relative squared Gram error over the paper's layers (float32), image against example."""
    layers = LAYERS.split(",")
    ours, theirs = extract(image, layers, model), extract(example, layers, model)
    errors = []
    for layer in layers:
        target = gram(theirs[layer])
        errors.append(float(((gram(ours[layer]) - target) ** 2).sum() / (target**2).sum()))
    return sum(errors) / len(errors)


def white_noise(channels: int, size: tuple[int, int], generator: torch.Generator, wrap: bool = False) -> torch.Tensor:
    """The paper's start: normal noise drawn at the full size (stylegram draws it at half the size, smooth_noise)."""
    return torch.randn((1, channels, *size), generator=generator)


def synthesize(example: str, model: Backbone, options: TextureOptions, mark: float | None = None,
               paper_start: bool = False) -> dict:
    """One synthesis: image, seconds, iterations run, scales, and (with ``mark``) the image after ``mark`` seconds;
    ``paper_start``: from white noise."""
    job = prepare_texture(example, options, model=model)
    run: dict = {"marked": None}
    elapsed, last = 0.0, time.perf_counter()
    with mock.patch.object(synthesis, "smooth_noise", white_noise if paper_start else synthesis.smooth_noise):
        for progress in job:
            elapsed += time.perf_counter() - last
            if mark is not None and run["marked"] is None and elapsed >= mark:
                run["marked"] = (progress.image(), progress.iteration)
            last = time.perf_counter()
    run.update(image=job.result().image, seconds=elapsed, iterations=job.state.iteration,
               scales="->".join(str(max(s)) for s in job.problem.sizes()))
    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256", help="output sides in px, comma-separated")
    parser.add_argument("--example", default="sample:gravel", help="example texture")
    parser.add_argument("--baseline-iterations", type=int, default=500)
    args = parser.parse_args(argv)

    defaults = TextureOptions()
    model = load_backbone(defaults.backbone, defaults.weights, pooling=defaults.pooling)
    example = load_input(args.example, "example")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), example {args.example} "
          f"({example.shape[-1]}x{example.shape[-2]})")
    print(f"{'size':>5} {'run':>9} {'scales':>16} {'iterations':>11} {'seconds':>8} {'distance':>9}")
    for side in (int(s) for s in args.sizes.split(",")):
        ours = synthesize(args.example, model, defaults.replace(size=side))
        baseline = defaults.replace(size=side, min_size=side, iterations=str(args.baseline_iterations),
                                    precision="float32", tolerance=0.0)
        base = synthesize(args.example, model, baseline, mark=ours["seconds"], paper_start=True)
        for name, run in [("baseline", base), ("default", ours)]:
            run["distance"] = texture_distance(run["image"], example, model)
            print(f"{side:>5} {name:>9} {run['scales']:>16} {run['iterations']:>11} {run['seconds']:>8.1f} "
                  f"{run['distance']:>9.5f}")
        print(f"{side:>5} default: {base['seconds'] / ours['seconds']:.1f}x faster, distance "
              f"{100 * (ours['distance'] / base['distance'] - 1):+.0f} % of the baseline's")
        if base["marked"] is not None:
            image, iteration = base["marked"]
            print(f"{side:>5} baseline after the default's {ours['seconds']:.1f} s (iteration {iteration}): distance "
                  f"{texture_distance(image, example, model):.5f}")

if __name__ == "__main__":
    main()
