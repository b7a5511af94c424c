"""`stylegram report CLASS_FOLDER ... -o report.html`: the blog post's analysis of your images, as one page."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from ..analysis.report_dreams import CLUSTER_OBJECTIVES
from ..errors import OptionError
from .analysis_common import (
    add_cluster_options,
    add_image_options,
    add_kind_option,
    companion,
    image_size,
    say,
    writable,
)
from .common import add_backbone_options, backbone_from_args, positive_int
from .dream import add_dream_options, dream_size
from .features import MAX_ROWS, check_rows


# options report has not, and why (cli: said where one is given)
NOT_TAKEN = {"--channels": "report's --channels is now --top N, how many of the strongest channels it shows; chosen "
                           "channels, e.g. 3,4, are shown by stylegram features --channels 3,4"}


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "report",
        help=SUMMARIES["report"],
        description="Walk through the analysis of 'Understanding style transfer' on your own images: one folder "
        "per class (two or more). The page inlines every figure, so it can be mailed or archived as one file; the "
        "channel clusters it shows are also written beside it (OUTPUT.json), for dream --cluster and features "
        "--clusters.",
    )
    parser.add_argument("classes", nargs="+", metavar="CLASS_FOLDER", help="one folder of images per class, or sample:NAME for "
                        "16 crops of a sample texture (e.g. sample:brick sample:grass sample:gravel)")
    parser.add_argument("-o", "--output", required=True, help="output page (.html)")
    parser.add_argument("--layers", default="all", help="layers to rank: names or patterns (default: all layers)")
    parser.add_argument("--layer", help="layer to study in detail (default: the best-ranked one)")
    parser.add_argument("--top", dest="channels", type=positive_int, default=4, metavar="N",
                        help="show the feature maps of this many channels of highest mean activation, as features "
                             f"--top does, at most {MAX_ROWS} (default: %(default)s)")
    add_dream_options(parser)
    parser.add_argument("--dream-objective", choices=CLUSTER_OBJECTIVES, default="activation",
                        help="with --dreams, what each cluster's dream raises: the mean activation of its channels, "
                             "their correlation (the structure its Gram block records: the pattern in patches on a "
                             "plain ground), or both, as two sections (default: %(default)s)")
    add_kind_option(parser)
    add_cluster_options(parser, classes=True)
    add_image_options(parser)
    add_backbone_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import inputs

    output = writable(args.output, (".html", ".htm"))
    check_rows(args.channels, f"--top {args.channels}", fewer="")
    dream_side = dream_size(args)
    if args.dream_objective != "activation" and not args.dreams:
        raise OptionError(f"--dream-objective {args.dream_objective} chooses what the clusters' deep dreams raise, and "
                          "--dreams is not given; add --dreams or drop --dream-objective")
    model = backbone_from_args(args)
    image_set = inputs.load_classes(args.classes, image_size(args), args.grey)
    try:
        return _report(args, model, image_set, output, dream_side)
    except KeyboardInterrupt:  # 'interrupted' alone: was a part of the page kept?
        say(f"stylegram: nothing was written: the page is written whole once everything on it is measured ({output})")
        raise


def _sizes_said(size: int, images: list) -> str:
    """--size as the page says it: the long side larger images were shrunk to, and the sides the images have (64 px
    images read 'size 256', as if measured at 256)."""
    sides = sorted({max(image.shape[-2:]) for image in images})
    have = f"{sides[0]} px" if len(sides) == 1 else f"{sides[0]} to {sides[-1]} px"
    shrunk = f"{size} px at most (smaller images are not enlarged)" if size else "0: images as they are"
    return f"{shrunk}; the images' long sides: {have}"


def _report(args: argparse.Namespace, model, image_set, output, dream_side: int) -> int:
    """Measure, draw and write the page."""
    from ..analysis import report, study

    result = study.run(
        image_set, model, layers=args.layers, kind=args.kind, layer=args.layer, clusters=args.clusters,
        method=args.method, seed=args.seed, channels=args.channels, batch_size=args.batch_size,
        settings={"size": _sizes_said(args.size, image_set.images), "grey": args.grey, "method": args.method, "layers asked": args.layers,
                  "top": args.channels,
                  "dreams": f"{dream_side} px, objective: {args.dream_objective}" if args.dreams else "no"},
        progress=say,
    )
    extra, channel_dreams = [], None
    if args.dreams:
        from ..analysis.report_dreams import study_dreams

        channel_dreams, sections = study_dreams(result, model, progress=say, objective=args.dream_objective,
                                                size=dream_side, seed=args.seed, grey=args.grey)
        extra.extend(sections)
    report.write(result, output, extra, channel_dreams)
    clusters = result.clustering.save(companion(output, ".json"), result.layer, result.settings, page=output.name)
    say(f"the clusters of {result.layer} (for dream --cluster {clusters.name}:K and features --clusters) written to "
        f"{clusters}")  # to dream a cluster of the page, grams had to be run again
    ranking = result.ranking  # the verdict on chance too: two folders of one noise read 'best layer: relu3_1 (75%)'
    print(f"best layer: {ranking.headline()}"
          + ("" if result.layer == ranking.best.layer else f"; studied: {result.layer} (--layer)"))
    print(output)
    return 0
