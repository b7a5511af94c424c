"""`stylegram dream --layer relu4_1 --channels 3 -o out.png`: deep dream and feature visualization."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys

from . import SUMMARIES
from ..backbones.base import PADDINGS
from ..deepdream import OBJECTIVES, PARAMETERIZATIONS, DreamOptions, parse_cluster, prepare_dream, resume_dream
from ..errors import OptionError
from ..precision import PRECISIONS
from .common import add_dataclass_options, positive_int
from .runner import add_run_options, check_outputs, check_resume_alone, draw_seed, run_job


HELP = {
    "layer": "layer whose channels are maximized, e.g. relu4_1 (default: the cluster file's layer, else relu4_1)",
    "channels": "channels to maximize together, e.g. 3 or 3,7,12 or 0-5; without --channels and --cluster the "
    "whole layer is maximized (classic deep dream)",
    "cluster": "a cluster of a 'stylegram grams' cluster file, FILE:K, e.g. grams.json:4 (--cluster FILE lists its "
               "clusters and their sizes); its grey and pooling are the file's own to match",
    "objective": "activation: the channels' mean activation; correlation: the mean pairwise correlation of their "
    "feature maps, which rises when the channels switch on together in some places and off together in others, so "
    "its dream is their pattern in patches on a plain ground (default: %(default)s)",
    "image": "dream on this image (a file or sample:NAME) instead of starting from noise",
    "grey": "dream in grey: the network sees the image's luminance, as grams, features and report see --grey images "
    "(a colour dream shows colours their analysis never saw)",
    "size": "long side of the output in px (default: 224 from noise, the image's own at most 512)",
    "octaves": "number of scales, coarse to fine (default: %(default)s)",
    "octave_scale": "size ratio between octaves (default: %(default)s)",
    "iterations": "gradient steps per octave, coarse to fine; one number for all (default: 24 from noise, 10 on an image)",
    "parameterization": "fourier: decorrelated colours and a 1/f-scaled spectrum (smooth, natural colours); "
    "pixels: the pixels; auto: fourier from noise, pixels from an image (default: %(default)s)",
    "decay": "fourier: spectrum scaled by 1/f^DECAY; higher is smoother (default: %(default)s)",
    "optimizer": "adam, or sgd-normalized: steps of lr * g / mean|g|, as the original deep dream "
    "(default: %(default)s)",
    "lr": "step size (default: 0.05 for fourier, 0.005 for pixels)",
    "transforms": "no random pad, jitter, scale and rotation before each step (they make the patterns robust)",
    "jitter": "random shift in px (default: %(default)s)",
    "scale": "random zoom by up to this fraction (default: %(default)s)",
    "rotate": "random rotation by up to this many degrees (default: %(default)s)",
    "tile": "evaluate images larger than this many px per side in tiles, so they fit (default: %(default)s)",
    "pre_relu": "evaluate reluX_Y itself; by default its pre-ReLU tap convX_Y is used, because post-ReLU "
    "channels can be zero everywhere on a noise start and then never move",
    "backbone": "network: vgg19, vgg16 or inceptionv1 (default: %(default)s)",
    "weights": "default (embedded VGG19), torchvision, caffe (the original VGG, as neural-style uses; caffe:FILE for a "
                "local copy), random[:SEED], a file or a URL (default: %(default)s)",
    "pooling": "max or avg pooling in VGG (default: %(default)s)",
    "padding": "zeros, reflect, replicate or circular (default: the backbone's own)",
    "precision": "network arithmetic: auto (bfloat16 where the CPU has it natively, about 3x faster with AMX; else "
    "winograd on AVX2 CPUs), float32, bfloat16 or winograd (float32 with Winograd convolutions) (default: %(default)s)",
    "seed": "random seed; the same seed and options give the same bytes; -1 draws one and prints it "
    "(default: %(default)s)",
    "max_memory": "memory limit in GiB for the size check (default: what the system has free)",
}
# The options by what they are about, each group under its title in --help
GROUPS = {
    "what to dream": ("layer", "channels", "cluster", "objective", "image", "grey", "size", "seed"),
    "the optimization": ("octaves", "octave_scale", "iterations", "parameterization", "decay", "optimizer", "lr"),
    "random transforms": ("transforms", "jitter", "scale", "rotate"),
    "network and machine": ("pre_relu", "backbone", "weights", "pooling", "padding", "precision", "tile", "max_memory"),
}
CHOICES = {
    "objective": OBJECTIVES, "parameterization": PARAMETERIZATIONS, "optimizer": ("adam", "sgd-normalized"),
    "pooling": ("max", "avg"), "padding": PADDINGS, "precision": PRECISIONS,
}


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "dream",
        help=SUMMARIES["dream"],
        description="Gradient ascent on the image (multi-octave, from noise or a photo) to see what a channel, a "
        "cluster of channels (from 'stylegram grams') or a whole layer prefers, or to maximize the correlation "
        "of a cluster's feature maps. Examples: 'stylegram dream --layer relu4_1 --channels 3 -o out.png', "
        "'stylegram dream --cluster grams.json:4 --objective correlation -o out.png', "
        "'stylegram dream --image photo.jpg --layer relu4_1 -o out.png'.",
    )
    parser.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .tif, .webp or .bmp)")
    add_dataclass_options(parser, DreamOptions, HELP, CHOICES, groups=GROUPS)
    add_run_options(parser)
    return parser


DREAM_SIZE = 128  # side of each dream that features and report add with --dreams
MIN_DREAM_SIZE = 32  # px: smaller dreams show no pattern


def add_dream_options(parser: argparse.ArgumentParser) -> None:
    """--dreams, --dream-size: for commands that can add deep dreams to their figures (features, report)."""
    parser.add_argument("--dreams", action="store_true",
                        help="add deep dreams: what each shown channel (and, in a report, each cluster) responds to "
                             "most; about 10 s each")
    parser.add_argument("--dream-size", type=positive_int, help=f"side of each dream in px (default: {DREAM_SIZE})")


def dream_size(args: argparse.Namespace) -> int:
    """--dream-size, or its default; refused without --dreams, which it would not change."""
    if args.dream_size is not None and not args.dreams:
        raise OptionError(f"--dream-size {args.dream_size} sizes the deep dreams, and --dreams is not given; add --dreams "
                          "or drop --dream-size")
    if args.dream_size is not None and args.dream_size < MIN_DREAM_SIZE:
        raise OptionError(f"--dream-size {args.dream_size} draws dreams too small to show anything (8 px were flat "
                          f"blobs); give {MIN_DREAM_SIZE} or more")
    return args.dream_size or DREAM_SIZE


def _options(args: argparse.Namespace) -> dict:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(DreamOptions)}


def run(args: argparse.Namespace) -> int:
    draw_seed(args)
    cluster_file = parse_cluster(args.cluster)[0] if args.cluster else None
    output = check_outputs(args, [args.image, cluster_file, args.weights])
    job = resume_dream(args.resume) if args.resume else prepare_dream(**_options(args))
    if args.resume:
        check_resume_alone(args, job.options)
    problem = job.problem
    sizes = ", ".join(f"{w}x{h}" for h, w in problem.sizes())
    print(f"stylegram: dreaming {problem.asked.description}", file=sys.stderr)
    pairs = zip(problem.asked.parts, problem.objective.parts)
    moved = [f"{a.layer} -> {b.layer}" for a, b in pairs if a.layer != b.layer]
    if moved:
        print(f"stylegram: evaluated on the pre-ReLU tap ({', '.join(dict.fromkeys(moved))}): post-ReLU channels can "
              "be zero on a noise start and never move; --no-pre-relu keeps the layer as named", file=sys.stderr)
    print(f"stylegram: {problem.kind} parameterization, octaves {sizes}", file=sys.stderr)
    code = run_job(job, output, args, shlex.join(["stylegram", "dream", "-o", args.output]))  # the checkpoint holds the rest
    if code == 0:
        for line in job.notes():
            print(f"stylegram: {line}", file=sys.stderr)
    return code
