"""What L-BFGS does after it undoes a step: a gradient step as long as the steps that worked, against the 1-norm step.

Run: python benchmarks/lbfgs_restart.py [--iterations 30,60,100] [--seeds 3] [--examples sample:swirls,sample:gravel]
      [--size 96]

stylegram's L-BFGS (lbfgs.py) undoes a step that raises the loss by more than 10 % and forgets its curvature memory.
It then takes a plain gradient step. Until 2026-12-06 that step had length 1 in the 1-norm (torch's first step), halved
after each further failure; now it is half the undone step's length, at most the last accepted step's, halved after
each further failure. Both rules run here on the same texture problems (one scale at --size, the default's options
otherwise, each seed's start shared), each to each count of iterations: reported are the median and the worst over
seeds of the loss at the end relative to the first loss and of texture_speed's Gram distance to the example, and the
steps undone (median). A stall happens on some seeds only, so the worst column is the one to read.
"""

from __future__ import annotations

import argparse
import statistics
from unittest import mock

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import optimize
from stylegram.backbones import load_backbone
from stylegram.images import load_input
from stylegram.lbfgs import LBFGS
from stylegram.synthesis import TextureOptions, prepare_texture
from texture_speed import texture_distance


class OneNormRestart(LBFGS):
    """The rule before: after an undone step, a gradient step of length lr in the 1-norm, halved per failure."""

    def step(self, closure):
        self.undone_before, self.damp = self.state["restarts"], getattr(self, "damp", 1.0)
        loss = super().step(closure)
        if self.state["restarts"] == self.undone_before:
            self.damp = 1.0
        return loss

    def _gradient_step(self, g: torch.Tensor) -> float:
        self.damp = self.damp / 2 if self.state["restarts"] > self.undone_before else 1.0
        size = float(g.abs().sum())
        return 0.0 if size == 0 else self.lr * min(1.0, 1.0 / size) * self.damp


def run(example: str, model, options: TextureOptions, rule: type[LBFGS]) -> dict:
    """One synthesis with the given L-BFGS class: first and last loss, steps undone, the image."""
    made: list[LBFGS] = []

    def make(*args, **kwargs):
        made.append(rule(*args, **kwargs))
        return made[-1]

    job = prepare_texture(example, options, model=model)
    with mock.patch.object(optimize, "LBFGS", make):
        losses = [sum(record.losses.values()) for record in job]
    return {"first": losses[0], "last": losses[-1], "undone": sum(o.state["restarts"] for o in made),
            "image": job.result().image}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", default="30,60,100")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--examples", default="sample:swirls,sample:gravel,sample:brick")
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    defaults = TextureOptions(size=args.size, min_size=args.size, tolerance=0.0)
    model = load_backbone(defaults.backbone, defaults.weights, pooling=defaults.pooling)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.size} px, one scale, "
          f"median of {args.seeds} seeds")
    print(f"{'example':>14} {'iters':>5} {'rule':>10} {'last/first loss, median / worst':>32} "
          f"{'distance, median / worst':>25} {'undone':>7}")
    for name in args.examples.split(","):
        example = load_input(name, "example")
        for count in (int(n) for n in args.iterations.split(",")):
            for label, rule in (("1-norm", OneNormRestart), ("as worked", LBFGS)):
                runs = [run(name, model, defaults.replace(iterations=str(count), seed=seed), rule)
                        for seed in range(args.seeds)]
                ratios = [r["last"] / r["first"] for r in runs]
                distances = [texture_distance(r["image"], example, model) for r in runs]
                undone = statistics.median(r["undone"] for r in runs)
                print(f"{name:>14} {count:>5} {label:>10} {statistics.median(ratios):>23.3f} / {max(ratios):<6.3f} "
                      f"{statistics.median(distances):>15.5f} / {max(distances):<7.5f} {undone:>7g}")


if __name__ == "__main__":
    main()
