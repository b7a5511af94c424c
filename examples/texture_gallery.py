"""Regenerate the texture gallery (examples/gallery/texture_*.png) with the default options.

    OMP_NUM_THREADS=1 python examples/texture_gallery.py [NAME ...]

Each picture is one CLI command (256 px, default options: conv1_1,pool1..pool4 Gram matrices of an
average-pooling VGG19, noise start, L-BFGS, coarse to fine 64 -> 128 -> 256, seed 0):

    stylegram texture sample:brick -o examples/gallery/texture_brick.png --size 256
    stylegram texture sample:grass -o examples/gallery/texture_grass.png --size 256
    stylegram texture sample:gravel -o examples/gallery/texture_gravel.png --size 256
    stylegram texture sample:swirls -o examples/gallery/texture_swirls.png --size 256
    stylegram texture sample:brick -o examples/gallery/texture_brick_tileable.png --size 256 --tileable

texture_brick_tileable_2x2.png is the last one tiled 2x2 (512 px), to show that it has no seams.
texture_gravel_in_grass.png grows gravel in a disc and grass around it (--masks; the masks are made here):

    stylegram texture sample:gravel sample:grass -o texture_gravel_in_grass.png --size 288x192 --masks disc.png,rest.png
About 30 s per picture on 2 CPU cores with bfloat16 (measured 2026-11-25), 2 minutes on one core in float32.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from stylegram.cli import main
from stylegram.images import load_tensor, save_image

GALLERY = Path(__file__).resolve().parent / "gallery"
COMMANDS = {
    "brick": "sample:brick --size 256",
    "grass": "sample:grass --size 256",
    "gravel": "sample:gravel --size 256",
    "swirls": "sample:swirls --size 256",
    "brick_tileable": "sample:brick --size 256 --tileable",
}


def render(name: str) -> None:
    """Run one gallery command; a tileable result also gets its 2x2 tiling."""
    output = GALLERY / f"texture_{name}.png"
    example, *options = COMMANDS[name].split()
    if main(["texture", example, "-o", str(output), *options, "--quiet"]) != 0:
        raise SystemExit(f"texture {name} failed")
    if "--tileable" in options:
        tile = load_tensor(output)
        save_image(torch.cat([torch.cat([tile, tile], -1)] * 2, -2), GALLERY / f"texture_{name}_2x2.png")


def render_gravel_in_grass() -> None:
    """Gravel in a soft-edged disc, grass around it: one mask per example."""
    width, height = 288, 192
    y, x = np.mgrid[0:height, 0:width]
    disc = Image.fromarray((((x - width / 2) ** 2 + (y - height / 2) ** 2 < (0.35 * height) ** 2) * 255).astype(np.uint8))
    disc = disc.filter(ImageFilter.GaussianBlur(3))
    with tempfile.TemporaryDirectory() as tmp:
        disc.save(Path(tmp) / "disc.png")
        Image.fromarray(255 - np.asarray(disc)).save(Path(tmp) / "rest.png")
        args = ["texture", "sample:gravel", "sample:grass", "-o", str(GALLERY / "texture_gravel_in_grass.png"),
                "--size", f"{width}x{height}", "--masks", f"{Path(tmp) / 'disc.png'},{Path(tmp) / 'rest.png'}", "--quiet"]
        if main(args) != 0:
            raise SystemExit("texture gravel_in_grass failed")


SPECIAL = {"gravel_in_grass": render_gravel_in_grass}

if __name__ == "__main__":
    names = sys.argv[1:] or [*COMMANDS, *SPECIAL]
    unknown = set(names) - set(COMMANDS) - set(SPECIAL)
    if unknown:
        raise SystemExit(f"unknown gallery picture(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join([*COMMANDS, *SPECIAL])}")
    for picture in names:
        SPECIAL[picture]() if picture in SPECIAL else render(picture)
