"""A sweep on a local Dask cluster of single-threaded workers against the same sweep in one process, one at a time.

Run: python benchmarks/sweep_speed.py [--size 200] [--values 1 10 100 1000] [--workers 2]
Both make the same pictures (chelsea in the style of swirls, --vary style-weight VALUES, the default schedule): the
baseline is `stylegram sweep` as it runs without --workers (each picture in turn, on every core); the other is
`--workers N` (N pictures at once, one thread each). Reported: wall seconds of each, from the plan to the last
picture (the cluster's start included), their ratio, and how far apart the two runs' pictures are (mean absolute
difference in [0, 1]: thread counts change the float sums a little).
"""

from __future__ import annotations

import argparse
import time

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import sweeps
from stylegram.batch import open_client
from stylegram.batch.sweep import run_on_cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--values", type=float, nargs="+", default=[1.0, 10.0, 100.0, 1000.0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    vary = {"style_weight": args.values}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads here; {len(args.values)} pictures at "
          f"{args.size} px")

    start = time.perf_counter()
    here = sweeps.sweep("sample:chelsea", ["sample:swirls"], vary, size=args.size)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    planned = sweeps.plan("sample:chelsea", ["sample:swirls"], vary, size=args.size)
    with open_client(workers=args.workers) as client:
        there = run_on_cluster(client, planned)
    side_by_side = time.perf_counter() - start

    apart = max(float((a.result.image - b.result.image).abs().mean()) for a, b in zip(here, there))
    print(f"one process, one picture at a time: {serial:6.1f} s")
    print(f"{args.workers} workers, side by side:        {side_by_side:6.1f} s   {serial / side_by_side:.2f}x faster")
    print(f"pictures apart by at most {apart:.4f} (mean absolute difference)")


if __name__ == "__main__":
    main()
