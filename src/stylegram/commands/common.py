"""Options shared by several subcommands, declared once."""

from __future__ import annotations

import argparse

from ..backbones.base import PADDINGS


def add_backbone_options(parser: argparse.ArgumentParser, pooling: str = "max") -> None:
    """--backbone, --weights, --pooling, --padding."""
    parser.add_argument("--backbone", default="vgg19", help="network whose features are used (default: vgg19)")
    parser.add_argument(
        "--weights",
        default="default",
        help="'default' (embedded normalised VGG19), 'torchvision', 'random[:SEED]', a .pth/.safetensors file or a URL",
    )
    parser.add_argument("--pooling", choices=("max", "avg"), default=pooling, help=f"VGG pooling (default: {pooling})")
    parser.add_argument(
        "--padding",
        choices=PADDINGS,
        default=None,
        help="conv padding (default: the backbone's own: reflect for VGG, zeros for InceptionV1)",
    )


def backbone_from_args(args: argparse.Namespace):
    """Load the backbone the options name."""
    from ..backbones import load_backbone

    options = {"padding": args.padding} if args.padding else {}
    if args.backbone.startswith("vgg"):
        options["pooling"] = args.pooling
    return load_backbone(args.backbone, args.weights, **options)
