"""Render README's style-transfer gallery from images that ship with installed packages.

    python examples/transfer_gallery.py [--size 384]

Each row is one content/style pair: Gatys (the default optimization), Gatys with --colors luminance,
AdaIN and WCT (one forward pass each). The CLI command for each picture is printed as it is made.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = []
    for content, style in PAIRS:
        tiles = [("content", images.load_image(path(content))), ("style", images.load_image(path(style)))]
        for name, options in VARIANTS.items():
            out = OUT / f"transfer_{content}_{style}_{name}.jpg"
            print(command(content, style, args.size, options, out), flush=True)
            result = transfer(f"sample:{content}", f"sample:{style}", size=args.size, **options)
            result.save(out)
            print(f"  {result.seconds:.0f}s", flush=True)
            tiles.append((name, images.to_image(result.image)))
        rows.append(labelled_row(tiles, 160))
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height + 6 for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height + 6
    images.save_image(sheet, OUT / "transfer.jpg")
    print(OUT / "transfer.jpg")


if __name__ == "__main__":
    main()
