"""Options and output handling shared by the analysis subcommands (features, grams, rank-layers, report)."""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import files
from ..errors import OptionError


def add_image_options(parser: argparse.ArgumentParser) -> None:
    """--size, --grey, --batch-size, --quiet."""
    parser.add_argument("--size", type=int, default=256,
                        help="shrink images so the long side is at most this many px; 0 keeps them as they are "
                             "(default: %(default)s)")
    parser.add_argument("--grey", "--gray", action="store_true",
                        help="analyse the images' luminance only, so colour does not dominate (as the blog post did)")
    parser.add_argument("--batch-size", type=int, default=8, help="images per forward pass (default: %(default)s)")
    add_quiet_option(parser)


def add_kind_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=("gram", "pearson"), default="gram",
                        help="gram: F F^T / (H W); pearson: channel correlation (default: %(default)s)")


def add_cluster_options(parser: argparse.ArgumentParser, classes: bool = False) -> None:
    """--clusters, --method, --seed; ``classes``: the images come in classes, and 'auto' makes at least one cluster
    per class."""
    fewest = "the number of classes" if classes else "2"
    parser.add_argument("--clusters", type=clusters_value, default="auto",
                        help=f"number of channel clusters, or 'auto' (the best silhouette for {fewest} to 12 "
                             "clusters) (default: %(default)s)")
    parser.add_argument("--method", choices=("hierarchical", "kmeans"), default="hierarchical",
                        help="hierarchical: Ward linkage with optimal leaf ordering; kmeans: the blog post's "
                             "choice, seeded (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)")


def clusters_value(text: str) -> int | str:
    """'auto' or a positive whole number."""
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is neither 'auto' nor a whole number >= 1")
    return int(text)


def image_size(args: argparse.Namespace) -> int | None:
    if args.size < 0:
        raise OptionError(f"--size must be 0 (keep) or a positive number of px, not {args.size}")
    if args.batch_size < 1:
        raise OptionError(f"--batch-size must be at least 1, not {args.batch_size}")
    return args.size or None


def writable(path: str | os.PathLike[str], suffixes: tuple[str, ...], what: str = "output") -> Path:
    """Check before long work that ``path`` has one of ``suffixes`` and its folder can be written; ``what``: the
    path's name in the message (an option such as --explain)."""
    target = Path(path).expanduser()
    if target.suffix.lower() not in suffixes and not target.is_dir():  # a folder: said so by check_can_write
        raise OptionError(f"{what} {target} should end in {' or '.join(suffixes)}")
    return files.check_can_write(target)


def figure_output(path: str | os.PathLike[str], images_given: Sequence[str | os.PathLike[str]],
                  beside: Sequence[str] = ()) -> Path:
    """Check before any work that the figure ``path`` and the files written beside it (``companion`` suffixes)
    can be written and that none of them is an input image; return the figure's path."""
    from .. import images
    from ..analysis import inputs

    output = images.check_writable(path)
    # once for every file written: folders are listed, samples resolved; a missing one is left to the reading, which
    # names its role ('style image: nope.png: no such file')
    read = inputs.listed([p for p in images_given if str(p).startswith("sample:") or Path(p).expanduser().exists()])
    _not_an_input(output, read, f"-o {output}")
    folders = [Path(f).expanduser() for f in images_given if Path(f).expanduser().is_dir()]
    inside = next((f for f in folders if files.same_file(output.parent, f)), None)
    if inside is not None:  # the figure would be read as one of the images next time
        raise OptionError(f"-o {output} is inside the image folder {inside}, so a later run on that folder would "
                          "read the figure as one of its images; write it elsewhere")
    for suffix in beside:
        extra = companion(output, suffix)
        if extra.is_dir():  # its name is made from -o's: 'give a file name such as y_confusion.png/out.png' misled
            raise OptionError(f"{extra}, which is written beside -o {output}, is a folder; give -o another name, or "
                              "move that folder")
        checked = images.check_writable(extra) if extra.suffix == ".png" else files.check_can_write(extra)
        _not_an_input(checked, read, f"{extra} (written beside -o {output})")
    return output


def _not_an_input(output: Path, read: Sequence[Path], shown: str) -> None:
    """Refuse an output path that is one of the input images ``read`` (writing it would destroy that image)."""
    if any(files.same_file(output, f) for f in read):
        raise OptionError(f"{shown} is also an input image and would be overwritten; choose another output path")


def companion(path: Path, suffix: str) -> Path:
    """A file saved next to the main output: grams.png -> grams.json, rank.png -> rank_confusion.png."""
    return path.with_name(path.stem + suffix) if suffix.startswith("_") else path.with_suffix(suffix)


QUIET = contextvars.ContextVar("quiet", default=False)  # -q: no notes of the work (say)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """-q/--quiet, as the commands that make pictures have it (a script's -q failed on rank-layers)."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no notes of the work on stderr; the results, "
                        "warnings, errors and what was written still show")


@contextlib.contextmanager
def notes(shown: bool) -> Iterator[None]:
    """``say``'s notes shown, or (-q) not, for the duration of a command."""
    token = QUIET.set(not shown)
    try:
        yield
    finally:
        QUIET.reset(token)


def say(message: str) -> None:
    """Progress for the user, on stderr so stdout stays for results; nothing under -q."""
    if not QUIET.get():
        print(message, file=sys.stderr, flush=True)
