"""What reading phone-size JPEGs at the analysis commands' size costs, with and without the decoder's own scaling.

Run: python benchmarks/load_speed.py [--count 24] [--size 256] [--repeats 3]
     python benchmarks/load_speed.py --png --width 8000 --count 2 --size 512   (large PNGs, averaged down as decoded)

Writes ``count`` 4032x3024 JPEGs (a photo of the samples enlarged, with sensor-like noise, quality 92; every other
one tagged to be shown turned a quarter, as a phone held upright stores it) and reads them all at ``size`` px, as
`stylegram report`, `grams`, `rank-layers` and `features` do, in two ways in the same run, interleaved, the faster of
``repeats`` each: ``images.load_tensor(path, size=...)``, which lets the JPEG decoder scale by 1/8, 1/4 or 1/2, against
the straightforward baseline of a full decode and a resize (the same function with that scaling turned off). Then
the pixels of the two: their mean and largest difference in 8-bit steps, and that the sizes agree. With ``--png``
the files are PNGs ``--width`` px wide (4:3, no noise), which a large opaque 8-bit image of any format is averaged
down by 2, 4 or 8 once decoded (images._box_reduced) before it becomes floats.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import numpy as np
import torch
from PIL import Image

from stylegram import images
from stylegram.samples import path

PHOTOS = ("chelsea", "astronaut", "coffee", "rocket")


def write_photos(folder: Path, count: int, width: int = 4032, png: bool = False) -> list[Path]:
    """``count`` JPEGs of the sample photos ``width`` px wide (4:3), noisy as a phone's, every other one stored turned;
    or ``png``: PNGs of them enlarged, as they are."""
    rng = np.random.default_rng(0)
    height = width * 3 // 4
    written = []
    for i in range(count):
        picture = Image.open(path(PHOTOS[i % len(PHOTOS)])).convert("RGB").resize((width, height), Image.BICUBIC)
        if png:
            picture.save(file := folder / f"photo_{i:02d}.png", compress_level=1)
            written.append(file)
            continue
        noisy = np.asarray(picture).astype(np.float32) + rng.normal(0, 3, (height, width, 3))
        exif = Image.Exif()
        if i % 2:
            exif[0x0112] = 6
        file = folder / f"photo_{i:02d}.jpg"
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(file, quality=92, exif=exif)
        written.append(file)
    return written


@contextlib.contextmanager
def full_decode():
    """The baseline: no reduced decoding, so each file is decoded in full and then resized."""
    kept = images._reduced
    images._reduced = lambda size, long_side: None
    try:
        yield
    finally:
        images._reduced = kept


def read_all(files: list[Path], size: int) -> tuple[float, list[torch.Tensor]]:
    """Seconds to read every file at ``size``, and the tensors."""
    start = time.perf_counter()
    read = [images.load_tensor(file, size=size) for file in files]
    return time.perf_counter() - start, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--width", type=int, default=4032)
    parser.add_argument("--png", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = write_photos(Path(folder), args.count, args.width, args.png)
        print(f"{args.count} {'PNG' if args.png else 'JPEG'}s of {args.width}x{args.width * 3 // 4} "
              f"({sum(f.stat().st_size for f in files) / 2**20:.0f} MB), read at {args.size} px, "
              f"{torch.get_num_threads()} threads", flush=True)
        reduced_times, full_times = [], []
        for _ in range(args.repeats):
            seconds, reduced = read_all(files, args.size)
            reduced_times.append(seconds)
            with full_decode():
                seconds, full = read_all(files, args.size)
            full_times.append(seconds)
    assert all(a.shape == b.shape for a, b in zip(reduced, full))
    difference = torch.cat([((a - b).abs() * 255).flatten() for a, b in zip(reduced, full)])
    best_reduced, best_full = min(reduced_times), min(full_times)
    print(f"decoded at a reduced scale: {best_reduced:.2f} s ({1000 * best_reduced / args.count:.0f} ms a photo)")
    print(f"full decode and resize:     {best_full:.2f} s ({1000 * best_full / args.count:.0f} ms a photo)")
    print(f"{best_full / best_reduced:.1f}x faster; the same sizes; pixels a mean {difference.mean():.2f} and at most "
          f"{difference.max():.1f} 8-bit steps apart")


if __name__ == "__main__":
    main()
