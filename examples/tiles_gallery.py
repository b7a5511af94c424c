"""Render README's picture of a transfer made in tiles: what the finer levels add to the whole picture's run.

    python examples/tiles_gallery.py [--size 1536] [--tile 512] [--full whole.png]

Chelsea with swirls at --size (enlarged past the photo's 451 px: --upscale) in tiles of --tile px. The figure shows
the whole result, and one crop of it beside the same crop of the tiled run's first, whole picture (at the tile
size) enlarged to the same size: the strokes the tiles paint at the style's own scale, where enlarging only blurs.
The command is printed, and the time.
"""

from __future__ import annotations

import argparse

import torch.nn.functional as F
from PIL import Image

from stylegram import images
from stylegram.tiles import TiledState, transfer_tiled
from transfer_gallery import OUT, labelled_row

CONTENT, STYLE = "chelsea", "swirls"
CROP = (0.42, 0.18, 0.22)  # the crop's left and top, and its side, as shares of the picture's width: an eye


def crop(picture: Image.Image) -> Image.Image:
    """The CROP of ``picture``."""
    left, top, side = (round(share * picture.width) for share in CROP)
    return picture.crop((left, top, left + side, top + side))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1536)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--full", help="also write the whole picture here, at its size")
    args = parser.parse_args()
    print(f"stylegram transfer sample:{CONTENT} sample:{STYLE} --size {args.size} --upscale --tile {args.tile} "
          "-o out.png", flush=True)
    whole = []

    def heard(state: TiledState) -> None:
        if state.level == 0 and state.first is None and state.total is None:  # the first, whole run done
            whole.append(state.image)

    result = transfer_tiled(f"sample:{CONTENT}", f"sample:{STYLE}", size=args.size, upscale=True, tile=args.tile,
                            on_state=heard)
    print(f"  {result.seconds:.0f}s", flush=True)
    tiled = images.to_image(result.image)
    if args.full:
        images.save_image(tiled, args.full)
    enlarged = images.to_image(F.interpolate(whole[0], size=result.image.shape[-2:], mode="bicubic",
                                             align_corners=False).clamp(0, 1))
    side = 384
    overview = tiled.resize((round(tiled.width * side / tiled.height), side), Image.LANCZOS)
    row = labelled_row([(f"in tiles of {args.tile} px: {tiled.width}x{tiled.height}", overview),
                        (f"crop: the whole run at {args.tile} px, enlarged", crop(enlarged)),
                        ("crop: in tiles", crop(tiled))], side)
    images.save_image(row, OUT / "tiles.jpg")
    print(OUT / "tiles.jpg")


if __name__ == "__main__":
    main()
