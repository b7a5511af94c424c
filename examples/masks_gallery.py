"""Render README's spatial-control picture: two styles, each in its own region of one photo (--style-masks).

    python examples/masks_gallery.py [--size 384]

The masks are made here: the left of chelsea for swirls, the right for mosaic, with a soft seam between (grey
is a part of each). The command for the picture is printed as it is made.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from stylegram import images
from stylegram.gatys import transfer
from stylegram.samples import path
from transfer_gallery import OUT, labelled_row

CONTENT, STYLES = "chelsea", ("swirls", "mosaic")
SEAM = 0.15  # the soft seam's width, as a share of the image's width


def split_masks(width: int, height: int) -> list[np.ndarray]:
    """Left and right masks (8-bit grey) that sum to white, with a linear ramp of SEAM x width at the middle."""
    x = (np.arange(width) / (width - 1) - 0.5) / SEAM + 0.5
    left = np.clip(1 - x, 0, 1)
    return [np.rint(255 * np.tile(m, (height, 1))).astype(np.uint8) for m in (left, 1 - left)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    args = parser.parse_args()
    content = images.load_image(path(CONTENT))
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for style, mask in zip(STYLES, split_masks(*content.size)):
            names.append(str(Path(tmp) / f"{style}_mask.png"))
            Image.fromarray(mask).save(names[-1])
        masks = ",".join(names)
        print(f"stylegram transfer sample:{CONTENT} {' '.join(f'sample:{s}' for s in STYLES)} --size {args.size} "
              f"--style-masks {','.join(Path(n).name for n in names)} -o masks.jpg", flush=True)
        result = transfer(f"sample:{CONTENT}", [f"sample:{s}" for s in STYLES], size=args.size, style_masks=masks)
        print(f"  {result.seconds:.0f}s", flush=True)
        tiles = [("content", content), (f"mask: {STYLES[0]}", ImageOps.expand(Image.open(names[0]).convert("RGB"), 2, "gray")),
                 *[(s, images.load_image(path(s))) for s in STYLES], ("result", images.to_image(result.image))]
    images.save_image(labelled_row(tiles, 160), OUT / "transfer_masks.jpg")
    print(OUT / "transfer_masks.jpg")


if __name__ == "__main__":
    main()
