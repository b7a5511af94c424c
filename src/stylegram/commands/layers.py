"""`stylegram layers`: list a backbone's layer names with channels and stride."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from .common import add_backbone_options, backbone_from_args


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "layers", help=SUMMARIES["layers"],
        description="List a backbone's layers with channels and stride. The table does not depend on the weights, "
        "so none are read or downloaded unless --weights is given (which checks that they fit the network).",
    )
    add_backbone_options(parser)
    parser.set_defaults(weights=None)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.weights is None:
        args.weights = "random"  # the same layers, without a download
    model = backbone_from_args(args)
    print(f"{'layer':<36}{'channels':>9}{'stride':>8}")
    for info in model.infos:
        print(f"{info.name:<36}{info.channels:>9}{info.stride:>8}")
    return 0
