"""`stylegram texture EXAMPLE [EXAMPLE ...] -o OUT.png --size WxH`: texture synthesis (Gatys et al. 2015)."""

from __future__ import annotations

import argparse
import dataclasses
import shlex

from . import SUMMARIES
from .. import labels
from ..backbones.base import PADDINGS
from ..precision import PRECISIONS
from ..synthesis import TextureOptions, prepare_texture, refuse_tileable_margin, resume_texture
from .common import add_dataclass_options
from .explain import add_explain_option, check_explain, explain_texture
from .runner import add_run_options, check_outputs, check_resume_alone, draw_seed, listed, run_job

# transfer's options that texture has not, and why: said where one is given (the closest flag misled: --alpha, did
# you mean --help?; --colors, did you mean --lr?)
_NO_CONTENT = "a texture has no content picture, only its examples"
NOT_TAKEN = {
    "--alpha": "texture has no --alpha: the style strength of adain and wct; a texture is all style, its examples' "
               "mix set by --blend",
    "--colors": "texture has no --colors: it has no content picture whose colours to keep; its colours are the "
                "examples'",
    "--method": "texture has no --method: it is Gatys et al.'s optimization; its statistic is --statistic",
    "--content-weight": f"texture has no --content-weight: {_NO_CONTENT}",
    "--content-layers": f"texture has no --content-layers: {_NO_CONTENT}",
    "--style-weight": "texture has no --style-weight: its terms are all style, weighted by --layers (and --blend)",
    "--style-scale": "texture's counterpart is --example-scale: the examples' size relative to their own pixels",
    "--init": "texture has no --init: it starts from noise around the examples' mean colour (--seed picks it)",
}

HELP = {
    "size": "output size, WIDTHxHEIGHT or one number for a square (with --labels: the doodle's shape, this its long "
    "side); larger or smaller than the examples (default: %(default)s)",
    "layers": "Gram layers, optionally weighted like pool2:2; for several examples, one group per example split "
              "by /, e.g. conv1_1,pool1/pool2,pool3,pool4: the first's fine grain, the second's coarse layout "
              "(default: %(default)s)",
    "blend": "weights of several examples, e.g. 0.7,0.3: each layer's statistics are their blend (not their "
             "areas: a bright, high-contrast example takes more of the picture than its weight says), and the "
             "start noise is in the blend's colour; with --layers groups a layer blends only the examples that "
             "have it (groups that share no layer: the blend sets the start's colour alone); with --masks, how "
             "strongly each example's region is held to it (default: equal)",
    "statistic": "style statistic: gram (the paper's), mmd-linear, mmd-poly(c=1,d=3), mmd-gauss, meanstd, w2, "
    "histogram, mrf (the example's 3x3 patches, Li and Wand 2016), or a weighted mix like gram:1,histogram:0.5 "
    "(see docs/statistics.md) (default: %(default)s)",
    "example_scale": "example size relative to its own pixels; 1 keeps its features' scale in the output "
    "(default: %(default)s)",
    "tv_weight": "weight of the total-variation smoothness term; the Gram terms' weights sum to 1 "
    "(default: %(default)s)",
    "optimizer": "lbfgs or adam (default: %(default)s)",
    "lr": "step size (default: 1 for L-BFGS, 0.02 for Adam)",
    "iterations": "iterations per scale, coarse to fine (a list longer than the scales runs its last counts: "
    "150,100 at a size with two scales; a shorter one repeats its first); one number for all scales "
    "(default: %(default)s)",
    "min_size": "long side of the coarsest scale (default: %(default)s)",
    "scale_factor": "size ratio between scales (default: %(default)s)",
    "tolerance": "stop a scale early when the loss improves by less than this fraction... (default: %(default)s)",
    "patience": "...over this many iterations (default: %(default)s)",
    "tileable": "make the output tile seamlessly (circular padding in the network and between scales)",
    "margin": "px grown beyond each border at every scale and cropped off, so that the outermost rows are as the "
    "inside (0: none, whose border rows come out speckled; none with --tileable) (default: %(default)s)",
    "backbone": "network: vgg19, vgg16 or inceptionv1 (default: %(default)s)",
    "weights": "default (embedded VGG19), torchvision, caffe (the original VGG, as neural-style uses; caffe:FILE for a "
                "local copy), random[:SEED], a file or a URL (default: %(default)s)",
    "pooling": "max or avg pooling in VGG (default: %(default)s, as in the paper)",
    "padding": "zeros, reflect, replicate or circular (default: circular with --tileable, else the backbone's own)",
    "precision": "network arithmetic: auto (bfloat16 where the CPU has it natively, else winograd on AVX2 CPUs), "
    "float32, bfloat16 or winograd (float32 with Winograd convolutions) (default: %(default)s)",
    "seed": "random seed of the starting noise; the same seed and inputs give the same bytes; -1 draws one and "
    "prints it (default: %(default)s)",
    "max_memory": "memory limit in GiB for the size check (default: what the system has free)",
    "labels": "label maps, the output's first (the doodle: the output takes its shape), then one per example, e.g. "
    "doodle.png,example_map.png: pictures painted in a few flat colours; each colour of the output's map grows the "
    "parts of the examples with that colour (Champandard's neural doodle; makes the masks for you)",
    "masks": "one mask per example, of the output's aspect, e.g. wall.png,lawn.png: each example's texture grows "
    "where its mask is white (default: every example everywhere)",
}
# The options by what they are about, each group under its title in --help
GROUPS = {
    "what to make": ("size", "tileable", "margin", "seed"),
    "the examples": ("layers", "blend", "statistic", "example_scale", "tv_weight"),
    "where each example grows": ("masks", "labels"),
    "the optimization": ("iterations", "min_size", "scale_factor", "optimizer", "lr", "tolerance", "patience"),
    "network and machine": ("backbone", "weights", "pooling", "padding", "precision", "max_memory"),
}
CHOICES = {"optimizer": ("lbfgs", "adam"), "pooling": ("max", "avg"), "padding": PADDINGS, "precision": PRECISIONS}


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "texture",
        help=SUMMARIES["texture"],
        description="Synthesize a texture whose Gram matrices match the EXAMPLE(s) (Gatys et al. 2015). "
        "Images may be files, web addresses (http:// or https://, downloaded once) or sample:NAME (e.g. sample:brick, "
        "sample:grass, sample:gravel).",
    )
    parser.add_argument("examples", nargs="+", metavar="example", help="one or more example textures")
    parser.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .tif, .webp or .bmp)")
    add_dataclass_options(parser, TextureOptions, HELP, CHOICES, groups=GROUPS)
    add_run_options(parser)
    add_explain_option(parser, "texture")
    return parser


def _options(args: argparse.Namespace) -> dict:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(TextureOptions)}


def run(args: argparse.Namespace) -> int:
    draw_seed(args)
    # typed at the default's value it was taken and ignored (the options cannot tell it from no --margin), where
    # --margin 8 was refused
    if args.tileable and "margin" in getattr(args, "given", ()) and args.margin:
        refuse_tileable_margin(args.margin)
    output = check_outputs(args, [*args.examples, args.weights, *listed(args.masks, args.labels)])
    page = check_explain(args)
    if args.resume:
        job = resume_texture(args.resume, args.examples)
        check_resume_alone(args, job.options)
    else:
        job = prepare_texture(args.examples, **_options(args))
    if job.problem.labels is not None and not args.quiet:  # what the maps were read as, before the minutes of work
        print(labels.describe(job.problem.labels), flush=True)
    hint = shlex.join(["stylegram", "texture", *args.examples, "-o", args.output])
    code = run_job(job, output, args, hint)
    if code == 0 and page is not None:
        return explain_texture(args.examples, output, job.options, page)
    return code
