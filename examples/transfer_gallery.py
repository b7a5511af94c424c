"""Render README's style-transfer gallery from images that ship with installed packages.

    python examples/transfer_gallery.py [--size 384] [--colors]

Each row is one content/style pair: Gatys (the default optimization), Gatys with --colors luminance,
AdaIN and WCT (one forward pass each). With --colors, Gatys in each --colors mode instead (transfer_colors.jpg).
The CLI command for each picture is printed as it is made.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from PIL import Image, ImageDraw

from stylegram import images
from stylegram.gatys import transfer
from stylegram.samples import path

OUT = Path(__file__).resolve().parent / "gallery"
PAIRS = [("chelsea", "swirls"), ("astronaut", "mosaic"), ("coffee", "swirls"), ("rocket", "mosaic")]
VARIANTS = {
    "gatys": {},
    "luminance": {"colors": "luminance"},
    "adain": {"method": "adain"},
    "wct": {"method": "wct"},
}
COLOR_PAIRS = [("chelsea", "swirls"), ("astronaut", "mosaic")]
COLOR_VARIANTS = {f"--colors {mode}": {"colors": mode} for mode in ("style", "match", "original", "luminance")}


def command(content: str, style: str, size: int, options: dict, out: Path) -> str:
    flags = "".join(f" --{k.replace('_', '-')} {v}" for k, v in options.items())
    return f"stylegram transfer sample:{content} sample:{style} --size {size}{flags} -o {out.name}"


def labelled_row(tiles: list[tuple[str, Image.Image]], height: int) -> Image.Image:
    """Tiles side by side, scaled to one height, each with a caption strip."""
    scaled = [(name, im.resize((round(im.width * height / im.height), height), Image.LANCZOS)) for name, im in tiles]
    row = Image.new("RGB", (sum(im.width for _, im in scaled) + 4 * (len(scaled) - 1), height + 16), "white")
    x = 0
    draw = ImageDraw.Draw(row)
    for name, im in scaled:
        row.paste(im, (x, 16))
        draw.text((x + 3, 2), name, fill="black")
        x += im.width + 4
    return row


def sheet(pairs: list[tuple[str, str]], variants: dict[str, dict], size: int, name: str, singles: bool = True) -> Path:
    """One row per pair (content, style, then each variant), each picture saved too with ``singles``; returns the
    sheet's path."""
    rows = []
    for content, style in pairs:
        tiles = [("content", images.load_image(path(content))), ("style", images.load_image(path(style)))]
        for variant, options in variants.items():
            out = OUT / f"transfer_{content}_{style}_{re.sub('[^a-z0-9]+', '-', variant).strip('-')}.jpg"
            print(command(content, style, size, options, out), flush=True)
            result = transfer(f"sample:{content}", f"sample:{style}", size=size, **options)
            if singles:
                result.save(out)
            print(f"  {result.seconds:.0f}s", flush=True)
            tiles.append((variant, images.to_image(result.image)))
        rows.append(labelled_row(tiles, 160))
    page = Image.new("RGB", (max(r.width for r in rows), sum(r.height + 6 for r in rows)), "white")
    y = 0
    for row in rows:
        page.paste(row, (0, y))
        y += row.height + 6
    images.save_image(page, OUT / name)
    return OUT / name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--colors", action="store_true", help="the --colors modes instead (transfer_colors.jpg)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.colors:
        print(sheet(COLOR_PAIRS, COLOR_VARIANTS, args.size, "transfer_colors.jpg", singles=False))
    else:
        print(sheet(PAIRS, VARIANTS, args.size, "transfer.jpg"))


if __name__ == "__main__":
    main()
