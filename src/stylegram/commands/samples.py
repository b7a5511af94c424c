"""`stylegram samples`: the pictures `sample:NAME` names, and a copy of them to open or edit."""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from . import SUMMARIES
from .. import downloads, files, images, samples


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "samples", help=SUMMARIES["samples"],
        description="List the images that 'sample:NAME' names in every command (e.g. 'stylegram transfer "
        "sample:chelsea sample:swirls -o out.png'): stylegram's own style images, and scikit-image's photos and "
        "textures when the samples extra is installed. With --copy, write them into a folder as PNG files; with "
        "--downloads, list the pictures fetched by web address instead.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--copy", metavar="FOLDER", help="write every available sample into FOLDER as NAME.png")
    which.add_argument("--downloads", action="store_true",
                       help="list the pictures fetched by web address instead, with the address of each, and where "
                            "they are kept")
    which.add_argument("--clear-downloads", action="store_true",
                       help="remove the pictures fetched by web address (a later run fetches them again)")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.downloads or args.clear_downloads:
        return _downloads(clear=args.clear_downloads)
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


def _downloads(clear: bool) -> int:
    """List (or remove) the pictures fetched by web address, with the folder they are kept in."""
    folder = downloads.cache_dir()
    pictures = downloads.clear() if clear else downloads.kept()
    total = files.megabytes(sum(p.size for p in pictures))
    if clear:
        print(f"removed {len(pictures)} picture{'s' * (len(pictures) != 1)} ({total}) from {folder}")
        return 0
    if not pictures:
        print(f"no pictures fetched by web address yet (they are kept in {folder})")
        return 0
    print(f"{len(pictures)} picture{'s' * (len(pictures) != 1)} fetched by web address ({total}), kept in {folder}:")
    for picture in pictures:
        name = picture.path.relative_to(folder)
        print(f"  {str(name):<40}{files.megabytes(picture.size):>9}  {picture.address or '(address not recorded)'}")
    print("'stylegram samples --clear-downloads' removes them; a later run fetches a picture again")
    return 0
