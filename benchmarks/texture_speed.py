"""Seconds per texture with the default options (Gatys et al. 2015 layers, L-BFGS, coarse to fine) at 256 and 512 px.

Run: OMP_NUM_THREADS=1 python benchmarks/texture_speed.py [--sizes 256,512] [--example sample:gravel]
One synthesis per size (each takes minutes, so no repeats); the backbone is loaded once, outside the timing.
Early stopping is on, as by default, so the iterations actually run are printed next to the time.
"""

from __future__ import annotations

import argparse
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram.backbones import load_backbone
from stylegram.synthesis import TextureOptions, prepare_texture


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512", help="output sides in px, comma-separated")
    parser.add_argument("--example", default="sample:gravel", help="example texture")
    args = parser.parse_args(argv)

    defaults = TextureOptions()
    model = load_backbone(defaults.backbone, defaults.weights, pooling=defaults.pooling)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), example {args.example}")
    print(f"{'size':>6} {'scales':>16} {'iterations':>12} {'seconds':>8} {'s/it (finest)':>14}")
    for side in (int(s) for s in args.sizes.split(",")):
        job = prepare_texture(args.example, model=model, size=side)
        start = time.perf_counter()
        finest: list[float] = []
        last = start
        for progress in job:
            now = time.perf_counter()
            if progress.scale == len(job.problem.sizes()) - 1:
                finest.append(now - last)
            last = now
        seconds = time.perf_counter() - start
        scales = "->".join(str(max(s)) for s in job.problem.sizes())
        per_it = sorted(finest)[len(finest) // 2] if finest else float("nan")
        print(f"{side:>6} {scales:>16} {job.state.iteration:>12} {seconds:>8.1f} {per_it:>14.2f}")


if __name__ == "__main__":
    main()
