"""`stylegram features IMAGE ... --layer L [--channels 3,4,14] -o grid.png`: feature maps of chosen channels, or with
--clusters grams.json of the channel clusters `stylegram grams` found (where each cluster fires)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import SUMMARIES
from ..errors import OptionError, count, warn
from .analysis_common import add_image_options, figure_output, image_size, say
from .common import add_backbone_options, backbone_from_args
from .dream import add_dream_options, dream_size

if TYPE_CHECKING:
    from ..analysis.cluster_file import ClusterFile


TOP = 6  # channels shown without --channels
MAX_ROWS = 64  # rows of one figure: more is a picture tens of thousands of px tall


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "features",
        help=SUMMARIES["features"],
        description="Show what channels of one layer respond to: images in columns (input on top), chosen channels "
        "in rows, one colour scale per row. Images may be files, folders, web addresses or sample:NAME.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, folders of images or sample:NAME "
                        "(the whole sample: rank-layers and report take 16 crops of it as a class)")
    parser.add_argument("--layer", help="layer name, e.g. relu3_1 (list them with 'stylegram layers'); with --clusters, "
                        "the cluster file's")
    parser.add_argument("--channels", help="channels to show, e.g. 3,4,14 or 0-5 (default: the strongest, see --top)")
    parser.add_argument("--clusters", metavar="FILE[:K,...]",
                        help="show channel clusters instead, the mean of each one's channel maps: where it fires; a "
                        "cluster file of 'stylegram grams' (its layer), all its clusters or those listed, e.g. "
                        "grams.json or grams.json:0,3")
    parser.add_argument("--top", type=int, default=None,
                        help=f"without --channels and --clusters: show this many channels of highest mean activation, "
                             f"at most {MAX_ROWS} (default: {TOP})")
    parser.add_argument("-o", "--output", required=True, help="output figure (.png, .jpg, .tif, .webp or .bmp)")
    add_dream_options(parser)
    add_image_options(parser)
    add_backbone_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import featuremaps, inputs, plots
    from ..deepdream import channels as channels_goal, dreams as dream_images

    cluster_file, wanted = _cluster_spec(args)
    if args.channels is not None and not args.channels.strip():  # the strongest were shown without a word (trial AV)
        raise OptionError("--channels is empty; give channel numbers such as 3,4,14 or 0-5, or leave it out for the "
                          "strongest (--top)")
    if args.top is not None and (args.channels or args.clusters):
        raise OptionError(f"--top picks the strongest channels, and {'--channels' if args.channels else '--clusters'} "
                          "chooses the rows, so it would be ignored; give one of them")
    output = figure_output(args.output, args.images)  # a figure, never the .json cluster file
    dream_side = dream_size(args)
    record: ClusterFile | None = None
    if cluster_file is not None:  # the file's network checked before weights are loaded (or downloaded)
        from ..analysis.cluster_file import ClusterFile, named_network

        record = ClusterFile.read(cluster_file)
        record.picked(wanted)
        record.check_network(named_network(args.backbone, args.weights))
    model = backbone_from_args(args)
    if record is not None:
        record.warn_mismatch(args.grey, model)
    layer, clusters = _clusters(args, record, wanted, model)
    width = model.info(layer).channels
    picked = featuremaps.parse_channels(args.channels, width) if args.channels else None
    top = TOP if args.top is None else args.top
    if picked is None and clusters is None and top < 1:
        raise OptionError(f"--top must be at least 1, not {top}")
    check_rows(len(clusters) if clusters is not None else len(picked) if picked else min(top, width),
               "--clusters" if clusters is not None else "--channels" if picked else f"--top {top}")
    if picked is None and clusters is None and top > width:  # --top 100 of relu1_1 drew 64 rows without a word
        warn(f"--top {top} is more than the {width} channels of {layer}: all {width} are shown")
    image_set = inputs.load_set(args.images, image_size(args), args.grey)
    image_set.check_fits(model, [layer])
    maps = featuremaps.maps(image_set.images, layer, model, args.batch_size)
    rows = featuremaps.cluster_rows(clusters) if clusters is not None else \
        featuremaps.channel_rows(picked or featuremaps.strongest(maps, min(top, width)))
    dreams = None
    if args.dreams:
        say(f"dreaming {count(len(rows), 'row')} of {layer}")
        dreams = dream_images([channels_goal(layer, cs, label) for label, cs in rows], model, size=dream_side,
                              grey=args.grey)  # as the maps beside them were read
    fig = plots.features_grid(image_set.images, maps, rows, image_set.names, layer, dreams)
    plots.save(fig, output)
    say(f"{', '.join(label for label, _ in rows)} of {layer} for {count(len(image_set), 'image')}")
    print(output)
    return 0


def check_rows(rows: int, chosen_by: str, fewer: str = ", or fewer --channels") -> None:
    """Refuse a figure of more than MAX_ROWS rows, one of the channels or clusters ``chosen_by`` each: --top 999 drew
    all 256 channels of relu3_1, a 341x45287 px picture, in 53 s (and report's --top 1000 sat in matplotlib's layout
    for minutes); ``fewer``: the other way to fewer rows."""
    if rows > MAX_ROWS:
        raise OptionError(f"{chosen_by} gives {rows} rows, a figure {rows} maps tall; show at most {MAX_ROWS} at once "
                          f"(--top {MAX_ROWS}{fewer})")


def _cluster_spec(args: argparse.Namespace) -> tuple[str | None, list[int] | None]:
    """--clusters FILE or FILE:K,K as (file, the clusters listed or None for all); (None, None) without it."""
    if not args.clusters:
        if not args.layer:
            raise OptionError("give --layer (e.g. --layer relu3_1), or --clusters with a cluster file of 'stylegram grams'")
        return None, None
    if args.channels:
        raise OptionError("--channels and --clusters both choose the rows; give one of them")
    path, colon, listed = args.clusters.rpartition(":")
    if not colon or not all(part.strip().isdigit() for part in listed.split(",")):
        return args.clusters, None  # no list: every cluster (a Windows drive's colon included)
    return path, [int(part) for part in listed.split(",")]


def _clusters(args: argparse.Namespace, record: ClusterFile | None, wanted: list[int] | None, model) -> tuple[str, dict | None]:
    """The layer, and the clusters {id: channels} of the cluster file ``record`` (analysis.cluster_file.ClusterFile) to show
    (None: show channels)."""
    if record is None:
        return args.layer, None
    record.check_network(model)
    if args.layer and args.layer != record.layer:
        raise OptionError(f"--layer {args.layer}, and {record.path} clusters the channels of {record.layer}; drop "
                          f"--layer or give --layer {record.layer}")
    picked = record.picked(wanted)
    record.check_channels(picked, model.info(record.layer).channels)  # dream refuses them too, by its objective
    return record.layer, picked
