"""Wall time of `stylegram rank-layers` over every VGG19 layer on three real texture classes.

Run: OMP_NUM_THREADS=1 python benchmarks/rank_layers_speed.py [--count 16] [--size 128] [--kind gram] [--grey]
Cuts ``count`` seeded random crops of ``size`` px from each of scikit-image's brick, grass and gravel
photos, writes them as one folder per class, and times the whole command (loading, one forward pass per
batch up to pool5, 37 layers of matrices, scoring, figures, JSON). Prints the time, the best layer and its
leave-one-out accuracy. The target is < 60 s for 48 images on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from stylegram.analysis import inputs
from stylegram.cli import main


def run(count: int, size: int, kind: str, grey: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folders = inputs.write_classes(inputs.texture_classes(("brick", "grass", "gravel"), count, size), tmp)
        output = Path(tmp) / "rank.png"
        argv = ["rank-layers", *map(str, folders), "--kind", kind, "-o", str(output), *(["--grey"] if grey else [])]
        start = time.perf_counter()
        code = main(argv)
        seconds = time.perf_counter() - start
        if code:
            raise SystemExit(code)
        result = json.loads(output.with_suffix(".json").read_text())
    return {"seconds": seconds, "best": result["best_layer"], "accuracy": result["best_accuracy"],
            "layers": len(result["layers"]), "images": 3 * count}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16, help="crops per class (default: 16)")
    parser.add_argument("--size", type=int, default=128, help="crop side in px (default: 128)")
    parser.add_argument("--kind", choices=("gram", "pearson"), default="gram")
    parser.add_argument("--grey", action="store_true")
    args = parser.parse_args()
    r = run(args.count, args.size, args.kind, args.grey)
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(f"rank-layers: {r['images']} images x {r['layers']} VGG19 layers at {args.size} px ({args.kind}, "
          f"OMP_NUM_THREADS={threads}): {r['seconds']:.1f} s; best layer {r['best']}, "
          f"leave-one-out accuracy {100 * r['accuracy']:.1f}%")


if __name__ == "__main__":
    cli()
