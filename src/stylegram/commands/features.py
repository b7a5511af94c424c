"""`stylegram features IMAGE ... --layer L [--channels 3,4,14] -o grid.png`: feature maps of chosen channels."""

from __future__ import annotations

import argparse

from ..errors import OptionError, count
from .analysis_common import add_image_options, figure_output, image_size, say
from .common import add_backbone_options, backbone_from_args
from .dream import add_dream_options, dream_size


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "features",
        help="grid of feature maps: images in columns, channels in rows",
        description="Show what channels of one layer respond to: images in columns (input on top), chosen channels "
        "in rows, one colour scale per row. Images may be files, folders or sample:NAME.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, folders of images or sample:NAME")
    parser.add_argument("--layer", required=True, help="layer name, e.g. relu3_1 (list them with 'stylegram layers')")
    parser.add_argument("--channels", help="channels to show, e.g. 3,4,14 or 0-5 (default: the strongest, see --top)")
    parser.add_argument("--top", type=int, default=6,
                        help="without --channels: show this many channels of highest mean activation "
                             "(default: %(default)s)")
    parser.add_argument("-o", "--output", required=True, help="output figure (.png, .jpg, .tif, .webp or .bmp)")
    add_dream_options(parser)
    add_image_options(parser)
    add_backbone_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..analysis import featuremaps, inputs, plots

    output = figure_output(args.output, args.images)
    dream_side = dream_size(args)
    model = backbone_from_args(args)
    channels = model.info(args.layer).channels
    picked = featuremaps.parse_channels(args.channels, channels) if args.channels else None
    if picked is None and args.top < 1:
        raise OptionError(f"--top must be at least 1, not {args.top}")
    image_set = inputs.load_set(args.images, image_size(args), args.grey)
    image_set.check_fits(model, [args.layer])
    maps = featuremaps.maps(image_set.images, args.layer, model, args.batch_size)
    picked = picked or featuremaps.strongest(maps, min(args.top, channels))
    dreams = None
    if args.dreams:
        from ..deepdream import channel, dreams as dream_images

        say(f"dreaming {len(picked)} channels of {args.layer}")
        dreams = dream_images([channel(args.layer, c) for c in picked], model, size=dream_side)
    fig = plots.features_grid(image_set.images, maps, picked, image_set.names, args.layer, dreams)
    plots.save(fig, output)
    say(f"{'channel' if len(picked) == 1 else 'channels'} {', '.join(map(str, picked))} of {args.layer} "
        f"for {count(len(image_set), 'image')}")
    print(output)
    return 0
