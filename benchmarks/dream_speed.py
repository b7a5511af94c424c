"""Seconds of a default deep dream at float32 and at --precision auto (bfloat16 where native), interleaved.

Run: python benchmarks/dream_speed.py [--layer relu4_1] [--channel 176] [--repeats 3]
Both dream the same channel from the same seed (224 px, 3 octaves, 24 steps each); the channel's mean
activation on each result is measured in float32, so the faster arithmetic is also checked for what it reaches.
"""

from __future__ import annotations

import argparse
import statistics
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import deepdream
from stylegram.features import default_backbone
from stylegram.precision import resolve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="relu4_1")
    parser.add_argument("--channel", type=int, default=176)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model, goal = default_backbone(), deepdream.channel(args.layer, args.channel)
    precisions = ["float32"] + [p for p in [resolve("auto")] if p != "float32"]
    times: dict[str, list[float]] = {p: [] for p in precisions}
    reached: dict[str, float] = {}
    for _ in range(args.repeats):
        for p in precisions:
            start = time.perf_counter()
            result = deepdream.dream(goal, model=model, precision=p)
            times[p].append(time.perf_counter() - start)
            reached[p] = deepdream.measure(goal, result.image, model)[goal.description]

    print(f"dream of {goal.description}, 224 px, 3 octaves x 24 steps, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}, interleaved")
    for p in precisions:
        print(f"{p:10s}{statistics.median(times[p]):8.2f} s   channel mean activation reached {reached[p]:.3f}")
    if len(precisions) > 1:
        print(f"float32 / {precisions[1]}: {statistics.median(times['float32']) / statistics.median(times[precisions[1]]):.2f}x")


if __name__ == "__main__":
    main()
