"""Render one content/style pair with each style statistic, and a labelled side-by-side sheet.

    OMP_NUM_THREADS=1 python examples/statistics_gallery.py [NAME ...] [--style sample:swirls] [--sheet-only]

Writes examples/gallery/statistics_<name>.png (256 px: style weight 10, L-BFGS over pixels, 128 -> 256 px
with 40 + 75 iterations, seed 0 -- the transfer defaults when the gallery was made; only --statistic
changes) and examples/gallery/statistics.png, the content, the style and every statistic's result side by
side. Each picture is the CLI command

    stylegram transfer sample:chelsea sample:swirls -o examples/gallery/statistics_<name>.png --size 256
        --parameterization pixels --min-size 128 --iterations 40,75 --statistic <name>

About a minute per picture on one CPU core. What each looks like: docs/statistics.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch
from PIL import Image, ImageDraw, ImageFont

from stylegram import optimize
from stylegram.features import default_backbone
from stylegram.gatys import load_input, transfer
from stylegram.images import load_tensor, to_image
from stylegram.statistics import STATISTICS

GALLERY = Path(__file__).resolve().parent / "gallery"
CONTENT, SIZE = "sample:chelsea", 256
PINNED = dict(parameterization="pixels", min_size=128, iterations="40,75")  # the settings the sheet was made with


def render(name: str, style: str, model) -> Path:
    """One transfer with the given statistic and otherwise default options."""
    output = GALLERY / f"statistics_{name}.png"
    result = transfer(CONTENT, style, model=model, size=SIZE, statistic=name, **PINNED)
    result.save(output)
    print(f"{name:>11}: {output.name}, {len(result.history)} iterations, {result.seconds:.0f} s", flush=True)
    return output


def _thumb(image: torch.Tensor, height: int) -> Image.Image:
    h, w = image.shape[-2:]
    return to_image(optimize.resize(image, (height, round(w * height / h))))


def sheet(style: str, columns: int = 5) -> Path:
    """Content, style and each statistic's picture in a labelled grid (a 256-colour PNG, to stay small)."""
    content = load_input(CONTENT, "content")
    tiles = [("content", content), ("style", load_input(style, "style"))]
    tiles += [(name, load_tensor(GALLERY / f"statistics_{name}.png")) for name in STATISTICS]
    height, label = 160, 18
    pictures = [(name, _thumb(image, height)) for name, image in tiles]
    width = max(p.width for _, p in pictures)
    rows = -(-len(pictures) // columns)
    canvas = Image.new("RGB", (columns * width, rows * (height + label)), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for i, (name, picture) in enumerate(pictures):
        x, y = (i % columns) * width, (i // columns) * (height + label)
        canvas.paste(picture, (x + (width - picture.width) // 2, y + label))
        draw.text((x + 4, y + 3), name, fill="black", font=font)
    output = GALLERY / "statistics.png"
    canvas.quantize(256, dither=Image.Dither.NONE).save(output, optimize=True)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"statistics to render (default: all of {', '.join(STATISTICS)})")
    parser.add_argument("--style", default="sample:swirls", help="style image (default: %(default)s)")
    parser.add_argument("--sheet-only", action="store_true", help="only rebuild the side-by-side sheet")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(STATISTICS)
    if unknown:
        raise SystemExit(f"unknown statistic(s) {', '.join(sorted(unknown))}; choose from {', '.join(STATISTICS)}")
    if not args.sheet_only:
        model = default_backbone()
        for name in args.names or STATISTICS:
            render(name, args.style, model)
    print(f"sheet: {sheet(args.style)}")


if __name__ == "__main__":
    main()
