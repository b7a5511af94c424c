"""Render README's pictures of Gatys et al. 2017's controls with two styles on one photo.

    python examples/control_gallery.py [--size 384] [--only masks|scales|labels]

Spatial control (--style-masks): swirls on the left of chelsea, mosaic on the right, with a soft seam between
(grey is a part of each); the masks are made here. Scale control (--style-layers with one group per style): one
style's fine layers with the other's coarse ones, both ways round. Semantic control (--labels): rocket's sky from
the swirls half of one painting and everything else from its mosaic half, by label maps made here (the sky: where
blue outweighs red; the painting: its top and bottom halves). The command for each picture is printed as it is made.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from stylegram import images
from stylegram.gatys import transfer
from stylegram.samples import path
from transfer_gallery import OUT, labelled_row

CONTENT, STYLES = "chelsea", ("swirls", "mosaic")
SEAM = 0.15  # the soft seam's width, as a share of the image's width
FINE, COARSE = "relu1_1,relu2_1", "relu3_1,relu4_1,relu5_1"
SKY, GROUND = (135, 206, 235), (120, 110, 100)  # the label maps' two colours


def split_masks(width: int, height: int) -> list[np.ndarray]:
    """Left and right masks (8-bit grey) that sum to white, with a linear ramp of SEAM x width at the middle."""
    x = (np.arange(width) / (width - 1) - 0.5) / SEAM + 0.5
    left = np.clip(1 - x, 0, 1)
    return [np.rint(255 * np.tile(m, (height, 1))).astype(np.uint8) for m in (left, 1 - left)]


def made(styles: tuple[str, ...], size: int, flags: str, **options) -> Image.Image:
    """One transfer of chelsea with ``styles``, its command printed first (``flags`` as typed) and its time after."""
    print(f"stylegram transfer sample:{CONTENT} {' '.join(f'sample:{s}' for s in styles)} --size {size} {flags} "
          "-o out.jpg", flush=True)
    result = transfer(f"sample:{CONTENT}", [f"sample:{s}" for s in styles], size=size, **options)
    print(f"  {result.seconds:.0f}s", flush=True)
    return images.to_image(result.image)


def spatial(size: int) -> None:
    """transfer_masks.jpg: content, the first mask, the styles, the result."""
    content = images.load_image(path(CONTENT))
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for style, mask in zip(STYLES, split_masks(*content.size)):
            names.append(str(Path(tmp) / f"{style}_mask.png"))
            Image.fromarray(mask).save(names[-1])
        flags = f"--style-masks {','.join(Path(n).name for n in names)}"
        result = made(STYLES, size, flags, style_masks=",".join(names))
        tiles = [("content", content), (f"mask: {STYLES[0]}", ImageOps.expand(Image.open(names[0]).convert("RGB"), 2, "gray")),
                 *[(s, images.load_image(path(s))) for s in STYLES], ("result", result)]
    images.save_image(labelled_row(tiles, 160), OUT / "transfer_masks.jpg")
    print(OUT / "transfer_masks.jpg")


def scale(size: int) -> None:
    """transfer_scales.jpg: the styles, then fine from the first and coarse from the second, and the reverse."""
    tiles = [(s, images.load_image(path(s))) for s in STYLES]
    for fine, coarse in (STYLES, STYLES[::-1]):
        layers = f"{FINE}/{COARSE}"
        tiles.append((f"fine {fine}, coarse {coarse}", made((fine, coarse), size, f"--style-layers {layers}",
                                                             style_layers=layers)))
    images.save_image(labelled_row(tiles, 160), OUT / "transfer_scales.jpg")
    print(OUT / "transfer_scales.jpg")


def sky_map(photo: Image.Image) -> Image.Image:
    """A label map of a photo: SKY where blue outweighs red by 0.12, GROUND elsewhere, specks removed."""
    pixels = np.asarray(photo.convert("RGB"), float) / 255
    bluish = Image.fromarray(((pixels[..., 2] - pixels[..., 0] > 0.12) * 255).astype(np.uint8))
    sky = np.asarray(bluish.filter(ImageFilter.MedianFilter(7))) > 127
    return Image.fromarray(np.where(sky[..., None], SKY, GROUND).astype(np.uint8))


def semantic(size: int) -> None:
    """transfer_labels.jpg: the photo and its map, the painting and its map, the result."""
    photo, halves = images.load_image(path("rocket")), [np.asarray(images.load_image(path(s))) for s in STYLES]
    top = halves[0].shape[0] // 2
    painting = Image.fromarray(np.concatenate([halves[0][:top], halves[1][top:]]))
    painting_map = np.zeros_like(np.asarray(painting))
    painting_map[:top], painting_map[top:] = SKY, GROUND
    files = {"rocket_map.png": sky_map(photo), "painting.png": painting, "painting_map.png": Image.fromarray(painting_map)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, image in files.items():
            image.save(Path(tmp) / name)
        print(f"stylegram transfer sample:rocket painting.png --size {size} --labels rocket_map.png,painting_map.png "
              "-o out.jpg", flush=True)
        result = transfer("sample:rocket", str(Path(tmp) / "painting.png"), size=size,
                          labels=f"{Path(tmp) / 'rocket_map.png'},{Path(tmp) / 'painting_map.png'}")
        print(f"  {result.seconds:.0f}s", flush=True)
    tiles = [("content", photo), ("its label map", files["rocket_map.png"]), ("style", painting),
             ("its label map", files["painting_map.png"]), ("result", images.to_image(result.image))]
    images.save_image(labelled_row(tiles, 160), OUT / "transfer_labels.jpg")
    print(OUT / "transfer_labels.jpg")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--only", choices=("masks", "scales", "labels"), help="make one of the pictures")
    args = parser.parse_args()
    for name, make in (("masks", spatial), ("scales", scale), ("labels", semantic)):
        if args.only in (None, name):
            make(args.size)


if __name__ == "__main__":
    main()
