"""What a phone photo as the content costs a transfer at a small --size: memory and time, with the working copy of
the content shrunk to the output against the photo's own pixels.

Run: python benchmarks/large_content.py [--size 512] [--iterations 20] [--repeats 2]

Writes a 4032x3024 PNG of the chelsea sample (enlarged, with sensor-like noise) and runs a Gatys transfer of it in
the swirls style at ``size`` px (``--iterations`` at each of the default two scales), each run in a fresh process
so that its peak memory is its own, in two ways alternately, ``repeats`` each: as stylegram does it (each scale,
the start and the colour matching read a copy of the content no larger than the output: ``gatys.no_larger``)
against the straightforward baseline that reads the photo's own pixels for each (``no_larger`` made the identity).
Prints the seconds (prepare and run; the fewest of the repeats), the peak resident memory (the largest), and how far
apart the two pictures are in 8-bit steps.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

RUN = """
import json, resource, sys, time
import numpy as np
import stylegram
from stylegram import gatys
if sys.argv[1] == "baseline":
    gatys.no_larger = lambda image, size: image
start = time.perf_counter()
job = stylegram.prepare_transfer(sys.argv[2], "sample:swirls", size=int(sys.argv[3]), iterations=sys.argv[4], seed=0)
for _ in job:
    pass
seconds = time.perf_counter() - start
np.save(sys.argv[5], job.result().image.numpy())
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_photo(file: Path) -> None:
    """A 4032x3024 PNG of the chelsea sample, noisy as a phone's."""
    from stylegram.samples import path

    picture = Image.open(path("chelsea")).convert("RGB").resize((4032, 3024), Image.BICUBIC)
    noisy = np.asarray(picture).astype(np.float32) + np.random.default_rng(0).normal(0, 3, (3024, 4032, 3))
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(file)


def run(kind: str, photo: Path, size: int, iterations: int, out: Path) -> dict:
    """One transfer in a fresh process: its seconds and peak memory."""
    done = subprocess.run([sys.executable, "-c", RUN, kind, str(photo), str(size), str(iterations), str(out)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.png"
        write_photo(photo)
        found: dict[str, list[dict]] = {"stylegram": [], "baseline": []}
        for _ in range(args.repeats):
            for kind in found:
                found[kind].append(run(kind, photo, args.size, args.iterations, Path(tmp) / f"{kind}.npy"))
        pictures = {kind: np.load(Path(tmp) / f"{kind}.npy") * 255 for kind in found}
    apart = np.abs(pictures["stylegram"] - pictures["baseline"])
    best = {kind: min(r["seconds"] for r in runs) for kind, runs in found.items()}
    peak = {kind: max(r["peak_mb"] for r in runs) for kind, runs in found.items()}
    print(f"4032x3024 PNG content, swirls style, {args.size} px, {args.iterations} iterations a scale")
    for kind in found:
        print(f"  {kind:9s}  {best[kind]:6.2f} s  peak {peak[kind]:6.0f} MB")
    print(f"  ratio      {best['baseline'] / best['stylegram']:.2f}x faster, "
          f"{peak['baseline'] / peak['stylegram']:.2f}x less memory")
    print(f"  pictures apart: mean {apart.mean():.2f}, at most {apart.max():.1f} 8-bit steps")


if __name__ == "__main__":
    main()
