"""`stylegram rank-layers CLASS_FOLDER CLASS_FOLDER [...]`: which layer's matrices best separate image classes."""

from __future__ import annotations

import argparse
import json
import time

from . import SUMMARIES
from ..errors import count
from ..files import write_bytes
from .analysis_common import add_image_options, add_kind_option, companion, figure_output, image_size, say
from .common import add_backbone_options, add_scheduler_options, backbone_from_args


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "rank-layers",
        help=SUMMARIES["rank-layers"],
        description="One folder of images per class (two or more classes, any sizes). For every layer: the blog "
        "post's contrast score (on - off) / (on + off) of the mean within-class (on) and between-class (off) "
        "similarity, a negative mean counted as 0 (so classes that anti-correlate score 1), the gap on - off, and the "
        "leave-one-out nearest-centroid accuracy with its confusion matrix; the best layer has the highest accuracy, "
        "then contrast, then gap, and it is weighed against chance: the best layer's accuracy on the classes "
        "shuffled 200 times (a p-value; the best of many layers on few images scores well by luck). Writes a "
        "bar plot (-o rank.png), all numbers beside it (rank.json) and the best layer's confusion matrix "
        "(rank_confusion.png).",
    )
    parser.add_argument("classes", nargs="+", metavar="CLASS_FOLDER", help="one folder of images per class, or sample:NAME for "
                        "16 crops of a sample texture (e.g. sample:brick sample:grass sample:gravel)")
    parser.add_argument("--layers", default="all",
                        help="comma list of layers or patterns such as 'relu*' (default: all layers)")
    parser.add_argument("-o", "--output", default="rank_layers.png", help="bar plot (.png, .jpg, .tif, .webp or .bmp) (default: %(default)s)")
    add_kind_option(parser)
    add_image_options(parser)
    add_backbone_options(parser)
    add_scheduler_options(parser, local_default="none: compute in this process",
                          without="compute in this process, or on a local cluster with --workers")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import inputs, matrices, plots
    from ..analysis.rank import rank_layers
    from ..analysis.study import settings_of

    start = time.perf_counter()
    output = figure_output(args.output, args.classes, beside=(".json", "_confusion.png"))
    if _on_cluster(args):
        from ..batch import check_cluster

        check_cluster(args.scheduler, args.workers)
    model = backbone_from_args(args)
    layers = matrices.select_layers(model, args.layers)
    image_set = inputs.load_classes(args.classes, image_size(args), args.grey)
    image_set.check_fits(model, layers, "--layers")
    say(f"{len(image_set)} images in {len(image_set.classes)} classes, {count(len(layers), 'layer')} of {model.name}")
    tri = _matrices(args, image_set.images, layers, model)
    settings = settings_of(model, args.kind, layers, size=args.size, grey=args.grey)
    ranking = rank_layers(tri, image_set.labels, image_set.classes, image_set.names, args.kind, settings)
    best = ranking.best
    plots.save(plots.rank_bars(ranking), output)
    plots.save(plots.confusion_plot(best, ranking.classes, ranking.labels), companion(output, "_confusion.png"))
    write_bytes(companion(output, ".json"), (json.dumps(ranking.to_json(), indent=1) + "\n").encode())
    print(f"{'layer':<32}{'accuracy':>9}{'contrast':>10}{'gap':>8}")
    for s in ranking.scores:
        print(f"{s.layer:<32}{100 * s.accuracy:>8.1f}%{s.contrast:>10.3f}{s.gap:>8.3f}")
    print(f"best layer: {best.layer} ({ranking.verdict()})")
    print(f"wrote {output}, {companion(output, '.json')}, {companion(output, '_confusion.png')} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


def _on_cluster(args: argparse.Namespace) -> bool:
    return args.scheduler is not None or args.workers is not None


def _matrices(args: argparse.Namespace, tensors: list, layers: list[str], model) -> dict:
    """Per-image matrices in this process, or on a Dask cluster when --scheduler or --workers is given."""
    from ..analysis import matrices

    if not _on_cluster(args):
        return matrices.compute(tensors, layers, model, args.kind, batch_size=args.batch_size)
    from ..batch import backbone_spec, matrices_on_cluster, open_client

    spec = backbone_spec(args.backbone, args.weights, args.padding, args.pooling)
    with open_client(args.scheduler, args.workers) as client:
        return matrices_on_cluster(client, tensors, layers, spec, args.kind, batch_size=args.batch_size)
