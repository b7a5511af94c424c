"""`stylegram matches PICTURE STYLE -o matches.png`: where each patch of a picture comes from in a style image, as the
mrf loss pairs them (stylegram.analysis.matches)."""

from __future__ import annotations

import argparse

from . import SUMMARIES
from ..errors import warn
from .analysis_common import add_quiet_option, figure_output, say
from .common import add_backbone_options, backbone_from_args
from .explain import measured_scale, measuring_padding

LAYER = "relu3_1"  # the mrf loss's first layer
FEW_PATCHES = 16  # a picture with fewer patches than this (under 4x4) tells little: a 20x13 px one had 3, one colour
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
    parser.add_argument("picture", help="the picture to explain (a stylized result; a texture with --texture), a file "
                        "or sample:NAME")
    parser.add_argument("style", help="the style image (with --texture: the texture's example), a file or sample:NAME")
    parser.add_argument("-o", "--output", required=True, help="output figure (.png, .jpg, .tif, .webp or .bmp)")
    add_quiet_option(parser)
    parser.add_argument("--layer", default=None, help=f"layer whose patches are paired (default: {LAYER})")
    parser.add_argument("--patch", type=int, default=3, help="patch side in positions of the map, odd "
                        "(default: %(default)s, as --statistic mrf)")
    parser.add_argument("--size", type=int, default=None,
                        help=f"long side in px of the picture for the analysis, the style's scaled with it (default: "
                        f"the picture's, at most {SIDE})")
    parser.add_argument("--style-scale", type=float, default=None,
                        help="the style's long side relative to the picture's, as in transfer (default: 1)")
    parser.add_argument("--mask", default=None,
                        help="a mask of the picture's aspect, white where its patches count: where one style of a "
                        "masked transfer paints (its --style-masks file, or a part of the content's --labels map "
                        "painted white); the others are left white in the figure and out of its numbers "
                        "(default: every patch)")
    parser.add_argument("--texture", action="store_true",
                        help="the picture is a texture grown from the example (stylegram texture): the example is "
                        "taken at its own pixels, shrunk only as much as the picture is, through texture's network "
                        "(average pooling, the backbone's padding), as explain --texture pairs them; without it a "
                        "texture's example is scaled to the texture's size, and a copy of it looks made anew")
    parser.add_argument("--example-scale", type=float, default=None,
                        help="with --texture: the example's size relative to its own pixels, as the texture used it "
                        "(default: 1)")
    parser.add_argument("--tileable", action="store_true",
                        help="with --texture: made with --tileable, so paired as it was made (circular padding)")
    add_backbone_options(parser, pooling=None, padding="replicate, as a transfer's (and explain's patch map); with "
                         "--texture circular if --tileable, else the backbone's own")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import plots
    from ..analysis.explain import check_measure_fits, prepared_texture
    from ..analysis.matches import find_matches, panels, style_at
    from ..gatys import warn_enlarged
    from ..images import load_input
    from ..mrf import check_patch, check_patch_fits
    from ..optimize import fit_long_side, resize

    check_patch(args.patch, "--patch")
    scale = measured_scale(args)
    output = figure_output(args.output, [args.picture, args.style])
    args.pooling = args.pooling or ("avg" if args.texture else "max")
    args.padding = measuring_padding(args)  # the pairing explain shows for such a result
    model = backbone_from_args(args)
    model.check_defaults({} if args.layer else {"--layer": [LAYER]})
    args.layer = args.layer or LAYER
    model.check_layers([args.layer])
    picture, style = load_input(args.picture, "picture"), load_input(args.style, "style image")
    side = args.size or min(SIDE, max(picture.shape[-2:]))  # a small picture is not enlarged unless asked
    if args.texture:
        (style,), picture = prepared_texture(style, picture, side, scale)
    else:
        picture = resize(picture, fit_long_side(tuple(picture.shape[-2:]), side))
        scaled = style_at(style, tuple(picture.shape[-2:]), scale)
        warn_enlarged([style], [tuple(scaled.shape[-2:])], "the picture's long side times --style-scale")
        style = scaled
    source = "example" if args.texture else "style"
    names = tuple(f"{name} ({image.shape[-1]}x{image.shape[-2]} px as measured)"
                  for name, image in ((args.picture, picture), (args.style, style)))
    stride = model.info(args.layer).stride  # first: a --patch 999 was refused as needing 975 GiB
    for name, image in zip(names, (picture, style)):
        check_patch_fits(name, tuple(side // stride for side in image.shape[-2:]), args.patch)
    check_measure_fits(model, {"picture": (picture, [args.layer]), source: (style, [args.layer])}, [source],
                       args.layer, "picture", args.patch)  # a 512 px texture's pairing took 5.2 GB, unchecked
    matches = find_matches(picture, style, args.layer, model, args.patch, names).within(_mask(args.mask, picture))
    rows, cols = matches.positions.shape[:2]
    if rows * cols < FEW_PATCHES:
        warn(f"{args.picture} has {rows * cols} patch{'es' * (rows * cols != 1)} at {args.layer} as measured "
             f"({picture.shape[-1]}x{picture.shape[-2]} px), too few for the coherence and repetition to tell much; "
             "give a larger picture, or a larger --size")
    within = "" if matches.inside is None else f" within the mask ({int(matches.inside.sum())} of {rows * cols})"
    title = (f"{args.layer}, {args.patch}x{args.patch} patches{within}: coherence {matches.coherence:.2f}, repetition "
             f"{matches.repetition:.2f}, {matches.used:.0%} of the {source}'s patches used")
    titles = [f"{source}, each position its colour", "picture", "where each patch comes from"]
    plots.save(plots.images_grid(panels(picture, style, matches), titles, title, columns=3, width=3.2), output)
    say(title)
    print(output)
    return 0


def _mask(name: str | None, picture):
    """--mask read against the picture (as measured; only its aspect matters), or None without it."""
    if name is None:
        return None
    from ..masks import read_mask

    return read_mask(name, "--mask", tuple(picture.shape[-2:]), "the picture as measured",
                     "a mask needs the picture's aspect", "no patch would count; white marks the patches to pair")
