"""`stylegram grams IMAGES_OR_FOLDERS --layer L [--kind gram|pearson] [--clusters K|auto] -o grams.png`."""

from __future__ import annotations

import argparse

import numpy as np

from . import SUMMARIES
from ..errors import count
from ..files import write_atomically
from .analysis_common import (
    add_cluster_options,
    add_image_options,
    add_kind_option,
    companion,
    figure_output,
    image_size,
    say,
)
from .common import add_backbone_options, backbone_from_args, positive_int


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "grams",
        help=SUMMARIES["grams"],
        description="Compute every image's channel matrix at one layer, cluster the channels of the set average and "
        "show all matrices in that order on one colour scale with cluster borders. Also writes the matrices "
        "(OUTPUT.npz: 'matrices' per image in the channels' own order, their 'mean', the display 'order', each "
        "channel's cluster in 'labels' (-1: a channel that never fires), 'names', 'layer', 'kind') and the cluster "
        "membership (OUTPUT.json, for features --clusters and dream --cluster) next to the figure.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGES_OR_FOLDERS",
                        help="image files, folders or sample:NAME (the whole sample: rank-layers and report take 16 "
                             "crops of it as a class)")
    parser.add_argument("--layer", required=True, help="layer name, e.g. relu4_1 (list them with 'stylegram layers')")
    parser.add_argument("--columns", type=positive_int, default=6, help="panels per row of the figure (default: %(default)s)")
    parser.add_argument("-o", "--output", required=True,
                        help="output figure (.png, .jpg, .tif, .webp or .bmp); .npz and .json are written beside it")
    add_kind_option(parser)
    add_cluster_options(parser)
    add_image_options(parser)
    add_backbone_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import inputs, matrices, plots
    from ..analysis.cluster import check_count, cluster_channels
    from ..analysis.study import settings_of

    output = figure_output(args.output, args.images, beside=(".npz", ".json"))
    model = backbone_from_args(args)
    channels = model.info(args.layer).channels
    # before the matrices; too few active channels show only after them (cluster_channels)
    check_count(args.clusters, channels, f"the {channels} channels of {args.layer}")
    image_set = inputs.load_set(args.images, image_size(args), args.grey)
    image_set.check_fits(model, [args.layer])
    per_image = matrices.compute(image_set.images, [args.layer], model, args.kind, triangles=False,
                                 batch_size=args.batch_size)[args.layer]
    mean = per_image.mean(0).numpy()
    clustering = cluster_channels(mean, args.clusters, args.method, args.seed)
    panels = [("set mean", mean), *((n, m.numpy()) for n, m in zip(image_set.names, per_image))]
    fig = plots.matrices_grid(panels, clustering, args.kind, args.layer, columns=args.columns)
    plots.save(fig, output)
    write_atomically(companion(output, ".npz"), lambda f: np.savez_compressed(
        f, matrices=per_image.numpy(), mean=mean, order=clustering.order, labels=clustering.labels,
        names=np.array(image_set.names), layer=args.layer, kind=args.kind))
    clustering.save(companion(output, ".json"), args.layer,
                    settings_of(model, args.kind, [args.layer], seed=args.seed, size=args.size, grey=args.grey),
                    images=image_set.names, matrices=companion(output, ".npz").name)
    clusters = count(clustering.k, 'cluster')
    say(f"{count(len(image_set), 'image')}, {mean.shape[0]} channels of {args.layer} in {clusters}; the matrices "
        f"written to {companion(output, '.npz')}, the clusters (for features --clusters and dream --cluster FILE:K) "
        f"to {companion(output, '.json')}")
    print(output)
    return 0
