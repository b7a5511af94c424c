"""Transfer in tiles (`--tile`) against one run at the same size, where one run still fits in memory.

Run: python benchmarks/tiles_speed.py [--pair sample:chelsea sample:swirls] [--size 900] [--tile 320]
The baseline is `stylegram transfer --size SIZE --upscale` as shipped (the default schedule in one piece); the tiled run
is `--tile TILE`. Both use the same options and backbone (loaded once, outside the timing). Reported: seconds (and the
ratio), the memory estimate of the largest pass each makes (stylegram.memory), and how visible the tiles' seams are:
the mean colour step across the columns and rows where a tile begins or ends, over the mean step everywhere (1.0: no
seam; a hard cut between unlike tiles shows as 2 or more). The pictures are written to --save for a look.

With --workers N the baseline is the tiled run in this process instead, against the same run with each level's tiles
made side by side on a local Dask cluster of N single-threaded workers (`--tile TILE --workers N`; the cluster's start
and the workers' model loads inside the timing), and how far apart the two pictures are (mean absolute difference in
[0, 1]: a tile on one thread sums its floats in another order).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram import gatys, memory, optimize, tiles
from stylegram.features import default_backbone
from stylegram.images import load_input, save_image

LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2"]


def seam_ratio(image: torch.Tensor, tile: int) -> float:
    """Mean step across the tiles' edges of the last level over the mean step everywhere, columns and rows."""
    height, width = image.shape[-2:]
    overlap = tiles.overlap_of(tile)
    ratios = []
    for axis, length in ((-1, width), (-2, height)):
        steps = (image.diff(dim=axis)).abs().mean(dim=[d for d in range(4) if d != image.dim() + axis])
        edges = {e - 1 for start, end in tiles.boxes(length, tile, overlap) for e in (start, end) if 0 < e < length}
        if edges:
            ratios.append(float(steps[sorted(edges)].mean() / steps.mean()))
    return max(ratios) if ratios else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pair", nargs=2, default=["sample:chelsea", "sample:swirls"])
    parser.add_argument("--size", type=int, default=900)
    parser.add_argument("--tile", type=int, default=320)
    parser.add_argument("--save", default="/tmp/stylegram-tiles")
    parser.add_argument("--workers", type=int, help="compare the tiles made here with those made on N workers")
    args = parser.parse_args()
    if args.workers:
        return on_cluster(args)
    model = default_backbone()
    content, style = args.pair
    shape = optimize.fit_long_side(tuple(load_input(content, "content").shape[-2:]), args.size)
    tile_shape = optimize.fit_long_side(shape, args.tile)
    Path(args.save).mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    whole = gatys.transfer(content, style, model=model, size=args.size, upscale=True)
    whole_seconds = time.perf_counter() - start
    start = time.perf_counter()
    tiled = tiles.transfer_tiled(content, style, model=model, size=args.size, upscale=True, tile=args.tile)
    tiled_seconds = time.perf_counter() - start
    save_image(whole.image, Path(args.save) / "whole.png")
    save_image(tiled.image, Path(args.save) / "tiled.png")

    gib = 2**30
    print(f"{content} in the style of {style}, {shape[1]}x{shape[0]}, tiles of {args.tile} px")
    print(f"one run: {whole_seconds:7.1f} s   largest pass ~{memory.estimate(model, LAYERS, shape) / gib:.2f} GiB")
    print(f"tiled:   {tiled_seconds:7.1f} s   largest pass ~{memory.estimate(model, LAYERS, tile_shape) / gib:.2f} GiB"
          f"   time ratio {whole_seconds / tiled_seconds:.2f}x")
    print(f"seams: step across tile edges / step everywhere = {seam_ratio(tiled.image, args.tile):.2f} "
          f"(the one run, at the same columns and rows: {seam_ratio(whole.image, args.tile):.2f})")
    print(f"pictures in {args.save}")


def on_cluster(args: argparse.Namespace) -> None:
    """The tiled run here against the same run with its tiles on a local cluster of ``args.workers`` workers."""
    from stylegram.batch import open_client
    from stylegram.batch.tiles import made_on

    model = default_backbone()
    content, style = args.pair
    options = dict(size=args.size, upscale=True, tile=args.tile, model=model)
    start = time.perf_counter()
    here = tiles.transfer_tiled(content, style, **options)
    here_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with open_client(workers=args.workers) as client:
        there = tiles.transfer_tiled(content, style, maker=made_on(client), **options)
    there_seconds = time.perf_counter() - start
    print(f"{content} in the style of {style}, {here.image.shape[-1]}x{here.image.shape[-2]}, tiles of {args.tile} px, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads here")
    print(f"tiles here, one after another:        {here_seconds:7.1f} s")
    print(f"tiles on {args.workers} workers, side by side:      {there_seconds:7.1f} s   "
          f"ratio {here_seconds / there_seconds:.2f}x")
    print(f"pictures apart: {float((here.image - there.image).abs().mean()):.4f}")


if __name__ == "__main__":
    main()
