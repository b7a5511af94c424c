"""`stylegram texture-sweep EXAMPLE [EXAMPLE ...] --vary OPTION VALUE [VALUE ...] -o SHEET.png`: a texture synthesis
per combination of values, side by side on a contact sheet (stylegram.sweeps)."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from .. import sweeps as S
from ..synthesis import TextureOptions
from .runner import listed
from .sweep import Kind, add_sweep_options, run_sweep
from .texture import CHOICES, GROUPS, HELP


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "texture-sweep",
        help=SUMMARIES["texture-sweep"],
        description="Synthesize a texture for every combination of the --vary values, the other options fixed, and "
        "lay the pictures side by side over their values and times: e.g. --vary statistic gram meanstd histogram "
        "--vary layers conv1_1,pool1 conv1_1,pool1,pool2,pool3,pool4 makes six. Every combination is checked before "
        "the first runs.",
    )
    parser.add_argument("examples", nargs="*", metavar="example", help="one or more example textures (blended), or "
                        "none with --vary example A B C: one texture per example")
    add_sweep_options(parser, TextureOptions, HELP, CHOICES, GROUPS, "statistic gram meanstd", "example")
    return parser


def run(args: argparse.Namespace) -> int:
    kind = Kind(TextureOptions, CHOICES, "example", args.examples, ["texture-sweep", *args.examples],
                [*args.examples, args.weights, *listed(args.masks, args.labels)],
                lambda vary, **kw: S.plan_texture(args.examples, vary, **kw))
    return run_sweep(args, kind)
