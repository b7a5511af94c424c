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

texture_doodle.png is a neural doodle (--labels): rocket's label map (sky where blue outweighs red, as
control_gallery.py makes it) and a doodle of three towers on wavy ground grow a new launch pad; the row shows the
example, its map, the doodle and the result:

    stylegram texture sample:rocket -o doodle_out.png --size 384x256 --labels doodle.png,rocket_map.png

texture_depth.png shows why the paper takes Gram matrices from several depths: gravel grown from conv1_1 alone, then
from the layers up to pool1, pool2, pool3 and pool4 (the default). Each deeper layer sees a larger patch, so the
texture holds structure of a larger scale: colour noise, then grains, then whole stones:

    stylegram texture sample:gravel -o depth_pool2.png --size 192 --layers conv1_1,pool1,pool2

About 45 s per 256 px picture on one thread of the AMX machine with bfloat16 (80 s tileable, 71 s the doodle;
re-rendered 2026-12-05 after the start became smooth noise), 2 minutes on one core in float32.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch

from control_gallery import GROUND, SKY, sky_map
from stylegram.cli import main
from stylegram.images import load_image, load_tensor, save_image
from stylegram.samples import path
from transfer_gallery import labelled_row

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


def doodle(width: int, height: int) -> Image.Image:
    """A label map of a launch pad: sky, three tapering towers and wavy ground, in control_gallery's colours."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = SKY
    pixels[y > 0.78 * height + 15 * np.sin(x / 30)] = GROUND
    for centre in (0.16, 0.5, 0.8):
        pixels[(np.abs(x - centre * width) < 8 + 10 * y / height) & (y > 0.15 * height)] = GROUND
    return Image.fromarray(pixels)


def render_doodle() -> None:
    """Neural doodle: a new launch pad grown from rocket by its label map and a doodle."""
    width, height = 384, 256
    rocket = load_image(path("rocket"))
    maps = {"doodle.png": doodle(width, height), "rocket_map.png": sky_map(rocket)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, image in maps.items():
            image.save(Path(tmp) / name)
        out = Path(tmp) / "out.png"
        args = ["texture", "sample:rocket", "-o", str(out), "--size", f"{width}x{height}", "--labels",
                f"{Path(tmp) / 'doodle.png'},{Path(tmp) / 'rocket_map.png'}", "--quiet"]
        if main(args) != 0:
            raise SystemExit("texture doodle failed")
        tiles = [("example", rocket), ("its label map", maps["rocket_map.png"]), ("doodle", maps["doodle.png"]),
                 ("result", Image.open(out).convert("RGB"))]
        labelled_row(tiles, 192).save(GALLERY / "texture_doodle.png")


def render_depth() -> None:
    """Gravel from the Gram matrices of ever deeper layers: conv1_1 alone, then up to pool1 ... pool4."""
    depths = ["conv1_1", "pool1", "pool2", "pool3", "pool4"]
    tiles = [("example", load_image(path("gravel")))]
    with tempfile.TemporaryDirectory() as tmp:
        for n, deepest in enumerate(depths, 1):
            out = Path(tmp) / f"{deepest}.png"
            layers = ",".join(depths[:n])
            print(f"stylegram texture sample:gravel -o {out.name} --size 192 --layers {layers}", flush=True)
            if main(["texture", "sample:gravel", "-o", str(out), "--size", "192", "--layers", layers, "--quiet"]) != 0:
                raise SystemExit(f"texture depth {deepest} failed")
            tiles.append((f"up to {deepest}" if n > 1 else deepest, Image.open(out).convert("RGB")))
    labelled_row(tiles, 192).save(GALLERY / "texture_depth.png")


SPECIAL = {"gravel_in_grass": render_gravel_in_grass, "doodle": render_doodle, "depth": render_depth}

if __name__ == "__main__":
    names = sys.argv[1:] or [*COMMANDS, *SPECIAL]
    unknown = set(names) - set(COMMANDS) - set(SPECIAL)
    if unknown:
        raise SystemExit(f"unknown gallery picture(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join([*COMMANDS, *SPECIAL])}")
    for picture in names:
        SPECIAL[picture]() if picture in SPECIAL else render(picture)
