"""`stylegram transfer CONTENT STYLE [STYLE ...] -o OUT.png`: style transfer (Gatys et al.)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .. import images, optimize
from .. import transfer as T
from ..errors import OptionError
from .progress import Bar, save_snapshot, stop_on_interrupt, write_log

DEFAULTS = T.TransferOptions()

HELP = {
    "size": "long side of the output in px (default: the content's, at most 512)",
    "style_scale": "style image size relative to the output (default: %(default)s)",
    "content_weight": "weight of the content terms (default: %(default)s)",
    "style_weight": "weight of the style terms (default: %(default)s)",
    "tv_weight": "weight of the total-variation smoothness term (default: %(default)s)",
    "content_layers": "content layers, optionally weighted: relu4_2 or relu4_2:1,relu5_2:0.5 (default: %(default)s)",
    "style_layers": "style layers, optionally weighted like relu3_1:0.5 (default: %(default)s)",
    "style_blend": "weights of several style images, e.g. 0.7,0.3 (default: equal)",
    "init": "starting image: content, noise, gray or an image file (default: %(default)s)",
    "optimizer": "lbfgs or adam (default: %(default)s)",
    "lr": "step size (default: 1 for L-BFGS, 0.02 for Adam)",
    "iterations": "iterations per scale, coarse to fine; one number for all scales (default: %(default)s)",
    "min_size": "long side of the coarsest scale (default: %(default)s)",
    "scale_factor": "size ratio between scales (default: %(default)s)",
    "tolerance": "stop a scale early when the loss improves by less than this fraction... (default: %(default)s)",
    "patience": "...over this many iterations (default: %(default)s)",
    "backbone": "network: vgg19, vgg16 or inceptionv1 (default: %(default)s)",
    "weights": "default (embedded VGG19), torchvision, random[:SEED], a file or a URL (default: %(default)s)",
    "pooling": "max or avg pooling in VGG (default: %(default)s)",
    "padding": "zeros, reflect or circular (default: the backbone's own)",
    "colors": "style: the style's colours; original: the content's colours put back afterwards; "
    "luminance: transfer on luminance only (default: %(default)s)",
    "seed": "random seed; the same seed and inputs give the same bytes (default: %(default)s)",
    "max_memory": "memory limit in GiB for the size check (default: what the system has free)",
    "upscale": "allow --size larger than the content image",
}
CHOICES = {"optimizer": ("lbfgs", "adam"), "pooling": ("max", "avg"), "colors": T.COLORS, "padding": ("zeros", "reflect", "circular")}


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "transfer",
        help="style transfer: the content of one image in the style of others",
        description="Paint CONTENT in the style of STYLE (Gatys et al.). Images may be files or sample:NAME.",
    )
    parser.add_argument("content", help="content image (a file, or sample:chelsea etc.)")
    parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    parser.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .tif, .webp)")
    for option in dataclasses.fields(T.TransferOptions):
        flag = "--" + option.name.replace("_", "-")
        default = getattr(DEFAULTS, option.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", help=HELP[option.name])
        else:
            kind = {"int": int, "float": float}.get(type(default).__name__, str)
            if option.name in ("size", "max_memory", "lr"):
                kind = {"size": int, "max_memory": float, "lr": float}[option.name]
            parser.add_argument(flag, type=kind, default=default, choices=CHOICES.get(option.name), help=HELP[option.name])
    parser.add_argument("--save-every", type=int, default=0, metavar="N", help="save the image every N iterations as "
                        "iter_000N.png in --save-dir (default folder: OUTPUT's name + '_steps')")
    parser.add_argument("--save-dir", help="folder for --save-every images")
    parser.add_argument("--checkpoint", metavar="FILE", help="write a checkpoint here every 25 iterations and at the end of each scale")
    parser.add_argument("--resume", metavar="FILE", help="continue from a checkpoint (its options are used)")
    parser.add_argument("--log", metavar="CSV", help="write the loss of every term at every iteration to a CSV file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _options(args: argparse.Namespace) -> dict:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(T.TransferOptions)}


def run(args: argparse.Namespace) -> int:
    output = images.check_writable(args.output)
    if args.resume:
        job = T.resume(args.resume, args.content, args.styles)
    else:
        job = T.prepare(args.content, args.styles, **_options(args))
    snapshots = Path(args.save_dir) if args.save_dir else output.with_name(output.stem + "_steps")
    checkpoint = Path(args.checkpoint) if args.checkpoint else output.with_suffix(".ckpt")
    if args.save_every < 0:
        raise OptionError(f"--save-every must be 0 (off) or positive, got {args.save_every}")
    bar = Bar(sum(job.schedule.iterations), args.quiet)
    try:
        with stop_on_interrupt() as stop:
            for progress in job:
                bar.update(progress)
                if args.save_every and progress.iteration % args.save_every == 0:
                    save_snapshot(progress, snapshots)
                if args.checkpoint and (progress.iteration % 25 == 0):
                    job.checkpoint(checkpoint)
                if stop.requested:
                    return _interrupted(job, output, checkpoint, args)
    except optimize.NonFiniteLoss as err:
        bar.close()
        job.checkpoint(checkpoint)
        images.save_image(job.problem.finish(err.image), output)
        raise OptionError(f"{err} (image so far: {output}, checkpoint: {checkpoint})") from None
    finally:
        bar.close()
    result = job.result()
    result.save(output)
    if args.checkpoint:
        job.checkpoint(checkpoint)
    if args.log:
        write_log(result.history, args.log)
    print(f"wrote {output} ({result.image.shape[-1]}x{result.image.shape[-2]}, {len(result.history)} iterations, "
          f"{result.seconds:.1f}s)")
    return 0


def _interrupted(job: T.Transfer, output: Path, checkpoint: Path, args: argparse.Namespace) -> int:
    job.result().save(output)
    job.checkpoint(checkpoint)
    if args.log:
        write_log(job.state.history, args.log)
    print(
        f"stylegram: interrupted at iteration {job.state.iteration}; image so far written to {output}, "
        f"checkpoint to {checkpoint}; continue with: stylegram transfer {args.content} {' '.join(args.styles)} "
        f"-o {args.output} --resume {checkpoint}",
        file=sys.stderr,
    )
    return 130
