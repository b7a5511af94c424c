"""`stylegram matches PICTURE STYLE -o matches.png`: where each patch of a picture comes from in a style image, as the
mrf loss pairs them (stylegram.analysis.matches)."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from .analysis_common import check_against_style, figure_output, say
from .common import add_backbone_options, backbone_from_args

LAYER = "relu3_1"  # the mrf loss's first layer
SIDE = 256  # px: the long side a picture is analysed at, at most, without --size


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "matches",
        help=SUMMARIES["matches"],
        description="Pair every patch of a picture's feature map with the style image's patch of highest normalized "
        "correlation, as --statistic mrf does, and show where each comes from: every position of the style gets its "
        "own colour, and the picture is painted with the colours of its matches. Smoothly changing areas are pieces "
        "of the style copied whole; flat ones, one style patch repeated; confetti, patches found all over it.",
    )
    parser.add_argument("picture", help="the picture to explain (a stylized result, a texture), a file or sample:NAME")
    parser.add_argument("style", help="the style image (or texture example), a file or sample:NAME")
    parser.add_argument("-o", "--output", required=True, help="output figure (.png, .jpg, .tif, .webp or .bmp)")
    parser.add_argument("--layer", default=None, help=f"layer whose patches are paired (default: {LAYER})")
    parser.add_argument("--patch", type=int, default=3, help="patch side in positions of the map, odd "
                        "(default: %(default)s, as --statistic mrf)")
    parser.add_argument("--size", type=int, default=None,
                        help=f"long side in px of the picture for the analysis, the style's scaled with it (default: "
                        f"the picture's, at most {SIDE})")
    parser.add_argument("--style-scale", type=float, default=1.0,
                        help="the style's long side relative to the picture's, as in transfer (default: %(default)s)")
    add_backbone_options(parser, padding="replicate, as a transfer's (and explain's patch map)")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import plots
    from ..analysis.matches import find_matches, panels, style_at
    from ..gatys import TransferOptions
    from ..images import load_input
    from ..mrf import check_patch
    from ..optimize import fit_long_side, resize

    check_patch(args.patch, "--patch")
    check_against_style(args.size, args.style_scale)
    output = figure_output(args.output, [args.picture, args.style])
    args.padding = args.padding or TransferOptions.padding  # the pairing explain shows for a transfer's result
    model = backbone_from_args(args)
    model.check_defaults({} if args.layer else {"--layer": [LAYER]})
    args.layer = args.layer or LAYER
    model.check_layers([args.layer])
    picture, style = load_input(args.picture, "picture"), load_input(args.style, "style image")
    side = args.size or min(SIDE, max(picture.shape[-2:]))  # a small picture is not enlarged unless asked
    picture = resize(picture, fit_long_side(tuple(picture.shape[-2:]), side))
    style = style_at(style, side, args.style_scale)
    matches = find_matches(picture, style, args.layer, model, args.patch)
    title = (f"{args.layer}, {args.patch}x{args.patch} patches: coherence {matches.coherence:.2f}, repetition "
             f"{matches.repetition:.2f}, {matches.used:.0%} of the style's patches used")
    titles = ["style, each position its colour", "picture", "where each patch comes from"]
    plots.save(plots.images_grid(panels(picture, style, matches), titles, title, columns=3, width=3.2), output)
    say(title)
    print(output)
    return 0
