"""`stylegram samples`: the pictures `sample:NAME` names, and a copy of them to open or edit."""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from . import SUMMARIES
from .. import files, images, samples


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "samples", help=SUMMARIES["samples"],
        description="List the images that 'sample:NAME' names in every command (e.g. 'stylegram transfer "
        "sample:chelsea sample:swirls -o out.png'): stylegram's own style images, and scikit-image's photos and "
        "textures when the samples extra is installed. With --copy, write them into a folder as PNG files.",
    )
    parser.add_argument("--copy", metavar="FOLDER", help="write every available sample into FOLDER as NAME.png")
    return parser


def run(args: argparse.Namespace) -> int:
    folder = Path(args.copy).expanduser() if args.copy else None
    if folder is not None:
        files.check_folder(folder)
    print(f"{'name':<18}{'kind':<9}{'size':>10}  from")
    installed = samples.available()
    missing = [name for name in samples.names() if name not in installed]  # scikit-image's, when it is not installed
    for name in installed:
        file = samples.path(name)
        with Image.open(file) as picture:
            size = f"{picture.width}x{picture.height}"
        origin = "stylegram" if name in samples.OWN else "scikit-image"
        print(f"{'sample:' + name:<18}{samples.kind(name):<9}{size:>10}  {origin}")
        if folder is not None:
            images.save_image(images.load_image(file), folder / f"{name}.png")
    if missing:
        print(f"not installed: {', '.join(missing)} (scikit-image's; pip install 'stylegram[samples]')")
    if folder is not None:
        print(f"copied {len(samples.names()) - len(missing)} samples to {folder}")
    return 0
