"""Render README's video picture (examples/gallery/video.webp): a pan across chelsea, stylized frame by frame.

    python examples/video_gallery.py [--frames 24] [--strip FILE]

The pan (256x192, 3 px a frame, made here) goes through `stylegram batch` twice, as a user would run it:

    stylegram batch pan.mp4 --style sample:swirls --method adain --temporal 0 -o alone/
    stylegram batch pan.mp4 --style sample:swirls --method adain --temporal 0.5 -o steady/

The animation shows the input, each frame stylized alone (AdaIN flickers: every frame's statistics differ a little)
and the frames blended along the optical flow with --temporal 0.5, side by side; --strip FILE also writes the
middle frame as a PNG. About 15 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)

from stylegram import images
from stylegram.batch import video
from stylegram.cli import main as cli

OUT = Path(__file__).parent / "gallery" / "video.webp"


def pan(path: Path, frames: int) -> Path:
    """A 256x192 pan across chelsea (451x300), 3 px right a frame."""
    photo = np.asarray(images.to_image(images.load_input("sample:chelsea", "photo")))
    return video.pan_video(path, photo, frames, (256, 192), fps=12, step=3, drift=0, origin=(20, 50))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--strip", type=Path, help="also write the middle frames side by side as this PNG")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = pan(Path(tmp) / "pan.mp4", args.frames)
        rows = {"input": list(video.frames(source))}
        for name, extra in [("alone", ["--temporal", "0"]), ("steady", ["--temporal", "0.5"])]:
            out = Path(tmp) / name
            code = cli(["batch", str(source), "--style", "sample:swirls", "--method", "adain", "-o", str(out),
                        "--workers", "1", "--quiet", *extra])
            if code:
                raise SystemExit(f"stylegram batch failed ({code})")
            rows[name] = list(video.frames(out / source.name))
    gap = np.full((192, 4, 3), 255, np.uint8)
    frames = [np.concatenate([rows["input"][i], gap, rows["alone"][i], gap, rows["steady"][i]], axis=1)
              for i in range(args.frames)]
    pictures = [Image.fromarray(f) for f in frames]
    pictures[0].save(OUT, save_all=True, append_images=pictures[1:], duration=1000 // 12, loop=0, quality=80)
    if args.strip:
        pictures[args.frames // 2].save(args.strip)
    print(f"{OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {args.frames} frames of {frames[0].shape[1]}x{frames[0].shape[0]})")


if __name__ == "__main__":
    main()
