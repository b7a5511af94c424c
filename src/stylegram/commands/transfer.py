"""`stylegram transfer CONTENT STYLE [STYLE ...] -o OUT.png`: style transfer (Gatys et al.)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import shlex
import sys
import time
from pathlib import Path

from . import SUMMARIES
from ..backbones.base import PADDINGS
from ..precision import PRECISIONS
from .. import gatys as T
from .. import images, labels, samples, tiles
from ..bars import bar, describe, duration, recount
from ..errors import OptionError, warn
from .common import add_dataclass_options, add_scheduler_options, given_fields
from .explain import add_explain_option, check_explain, explain_transfer
from .progress import stop_on_interrupt
from .runner import (add_run_options, check_outputs, check_resume_alone, draw_seed, drop_spent_checkpoint, listed,
                     resume_command, run_job, stop_paths, time_taken)

CHECKPOINT_SECONDS = 60  # --checkpoint with --tile: the latest tile written at most this often (and at each level)


HELP = {
    "method": "gatys: optimize (best quality); adain or wct: one feed-forward pass (seconds) (default: %(default)s)",
    "alpha": "adain/wct and --init adain: style strength, 1 = full style, 0 = the content as the decoder rebuilds it "
             "(the layout and colours, with fine detail such as faces redrawn) (default: %(default)s)",
    "size": "long side of the output in px (default: the content's, at most 512)",
    "style_scale": "style image size relative to the output: its long side this times the output's long side, or "
                   "twice the short side where that is less (a panorama's strokes keep to its height); smaller "
                   "makes finer strokes (default: %(default)s)",
    "content_weight": "weight of the content terms; every term is a relative error, about 1 at the start, so the "
    "classic tools' weights (a style weight of 1e6) do not carry over (default: %(default)s)",
    "style_weight": "weight of the style terms, on the same scale: 1 to 100 is the useful range (default: %(default)s)",
    "tv_weight": "weight of the total-variation smoothness term, on the same scale; 0 turns it off "
    "(default: %(default)s)",
    "content_layers": "content layers, optionally weighted: relu4_2 or relu4_2:1,relu5_2:0.5 (default: %(default)s)",
    "style_layers": "style layers, optionally weighted like relu3_1:0.5; for several styles, one group per style "
                    "split by /, e.g. relu1_1,relu2_1/relu3_1,relu4_1,relu5_1: the first style's fine texture, the "
                    "second's coarse structure (default: auto: relu1_1,relu2_1,relu3_1,relu4_1,relu5_1, or relu3_1,relu4_1 for "
                    "--statistic mrf alone)",
    "style_blend": "weights of several style images, e.g. 0.7,0.3; with --statistic mrf they share out the patches on "
                   "offer, not the picture (docs/statistics.md) (default: equal)",
    "style_masks": "one mask image per style, e.g. sky.png,land.png: each style paints where its mask is white "
    "(grey: partly), matching its statistics (Gram matrices, or --statistic) inside that region (default: every "
    "style everywhere)",
    "style_regions": "one mask per style image, e.g. painting_sky.png,painting_ground.png: each style lends the "
    "statistics of the part of its image where its mask is white; with --style-masks, the sky of a painting can "
    "paint the sky of the photo and its ground the ground (default: the whole style image)",
    "labels": "label maps, the content's first, then one per style image, e.g. photo_map.png,painting_map.png: "
    "pictures of their images' aspect painted in a few flat colours (sky blue, grass green, ...); each colour of the "
    "content's map is painted by the parts of the style images with that colour (makes --style-masks and "
    "--style-regions for you; docs/transfer.md)",
    "statistic": "style statistic: gram, mmd-linear, mmd-poly(c=1,d=3), mmd-gauss, meanstd, w2, histogram, mrf (the "
    "style's 3x3 patches, Li and Wand 2016, on their relu3_1,relu4_1 while --style-layers is auto), "
    "or a weighted mix like gram:1,histogram:0.5 (see docs/statistics.md) (default: %(default)s)",
    "init": "starting image: auto (recolor where that removes more than a third of the start's style loss, else content), content, recolor (the content in the style's colour palette), noise (grey with faint noise: each --seed gives another picture), gray, adain (the AdaIN result) or an image file of the content's aspect, such as an earlier result (default: %(default)s)",
    "init_weight": "keep the output near the --init image (a file): weight of the squared difference to it, e.g. 5 "
    "to restyle an earlier result keeping its layout, 20 to 100 to keep more of its strokes; 0 turns it off "
    "(default: %(default)s)",
    "init_mask": "where the output keeps to the --init image: a grey mask of the content's aspect, white where it "
    "does (default: everywhere)",
    "optimizer": "lbfgs or adam (default: %(default)s)",
    "lr": "step size (default: 1 for L-BFGS, 0.02 for Adam; Adam's pixel polish takes at most 0.02, as larger steps "
    "scatter the pixels into noise)",
    "history": "L-BFGS memory: how many past steps shape the next one; --optimizer adam has none (default: %(default)s)",
    "parameterization": "what the optimizer changes: fourier (the image's spectrum, 1/f-scaled, in decorrelated "
    "colours: coarse structure moves as easily as fine detail, so fewer iterations reach a given quality) or "
    "pixels (the classic recipe) (default: %(default)s)",
    "decay": "fourier: the spectrum is scaled by 1/f^DECAY; higher favours coarse structure (default: %(default)s)",
    "polish": "fourier: the finest scale's last N iterations (at most half) search the pixels instead, a fresh search that "
    "refines fine detail; 0 turns it off (default: %(default)s)",
    "iterations": "iterations per scale, coarse to fine (a list longer than the scales runs its last counts, a shorter one "
    "repeats its first); one number for all scales; auto: 20,90, or 20,180 where the network "
                  "runs in bfloat16 on AMX, whose pass costs a quarter of float32's (default: %(default)s)",
    "min_size": "long side of the coarsest scale, at least what the layers need (about 16 px on the short side for relu5_1) (default: %(default)s)",
    "scale_factor": "size ratio between scales (default: %(default)s)",
    "detail": "when moving to a finer scale, add this much of the content's fine detail (default: %(default)s)",
    "content_boost": "the finest scale starts with the content weight (1 + this) times higher, falling to the "
    "set weight by its last iteration; 0 turns it off (default: %(default)s)",
    "tolerance": "stop a scale early when the loss improves by less than this fraction... (default: %(default)s)",
    "patience": "...over this many iterations (default: %(default)s)",
    "backbone": "network: vgg19, vgg16 or inceptionv1 (default: %(default)s)",
    "weights": "default (embedded VGG19), torchvision, caffe (the original VGG, as neural-style uses; caffe:FILE for a "
                "local copy), random[:SEED], a file or a URL (default: %(default)s)",
    "pooling": "max or avg pooling in VGG (default: %(default)s)",
    "padding": "zeros, reflect, replicate or circular (default: %(default)s)",
    "precision": "network arithmetic: auto (bfloat16 where the CPU has it natively, 1.6x faster, 3-5x with AMX; else "
    "winograd on AVX2 CPUs, float32 with Winograd convolutions, about 1.4x faster at 512 px), float32, bfloat16 "
    "or winograd (default: %(default)s)",
    "colors": "style: the style's colours; match: the style images moved to the content's palette first (their "
    "colours' mean and covariance); original: the content's colours put back afterwards; "
    "luminance: transfer on luminance only (default: %(default)s)",
    "seed": "random seed; the same seed and inputs give the same bytes; -1 draws one and prints it "
    "(default: %(default)s)",
    "max_memory": "memory limit in GiB for the size check (default: what the system has free)",
    "upscale": "allow --size larger than the content image",
}
# The options by what they are about, each group under its title in --help
GROUPS = {
    "what to make": ("method", "alpha", "size", "upscale", "colors", "seed"),
    "style and content": ("style_scale", "content_weight", "style_weight", "tv_weight", "content_layers",
                          "style_layers", "style_blend", "statistic"),
    "where each style paints": ("style_masks", "style_regions", "labels"),
    "where it starts": ("init", "init_weight", "init_mask"),
    "the optimization": ("iterations", "min_size", "scale_factor", "optimizer", "lr", "history", "parameterization",
                         "decay", "polish", "detail", "content_boost", "tolerance", "patience"),
    "network and machine": ("backbone", "weights", "pooling", "padding", "precision", "max_memory"),
}
CHOICES = {"method": T.METHODS, "optimizer": ("lbfgs", "adam"), "pooling": ("max", "avg"), "colors": T.COLORS, "padding": PADDINGS,
           "precision": PRECISIONS, "parameterization": T.PARAMETERIZATIONS}


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "transfer",
        help=SUMMARIES["transfer"],
        description="Paint CONTENT in the style of STYLE (Gatys et al.). Images may be files, web addresses (http:// "
        "or https://, downloaded once) or sample:NAME.",
    )
    parser.add_argument("content", help="content image (a file, a web address, or sample:chelsea etc.)")
    parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    parser.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .tif, .webp or .bmp)")
    add_dataclass_options(parser, T.TransferOptions, HELP, CHOICES, groups=GROUPS)
    parser.add_argument("--tile", type=int, metavar="PX",
                        help="make a --size larger than memory allows: the whole picture at PX, then each doubling "
                        f"refined in overlapping tiles of PX, at least {tiles.MIN_TILE} (e.g. --size 3000 --upscale "
                        "--tile 768); Ctrl-C, or --checkpoint at each level and every minute, keeps its place for "
                        "--resume")
    add_scheduler_options(parser, "one per core", "make the tiles here, one after another; with --tile only")
    add_run_options(parser)
    add_explain_option(parser, "transfer")
    return parser


def _options(args: argparse.Namespace) -> dict:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(T.TransferOptions)}


def _check_unread(args: argparse.Namespace) -> None:
    """Refuse options the run would not read, typed at any value (an option at its default said nothing): those of an
    iterative run with --method adain or wct, which make one pass; in a Gatys run those other options rule out."""
    if args.resume:
        return
    opts = T.TransferOptions.given(None, **_options(args))
    typed = given_fields(args, T.TransferOptions)  # at any value: at a default too
    if args.method == "gatys":
        T.check_read(opts, typed)  # --alpha 1 said nothing where --alpha 0.5 was refused
        return
    T.check_gatys_only(opts, typed)
    given = _given(args, ["--save-every", "--save-dir", "--checkpoint", "--log"])
    if given:
        raise OptionError(f"{' and '.join(given)} record{'s' * (len(given) == 1)} iterations, and --method "
                          f"{args.method} makes one pass without any; drop {_them(given)} or use --method gatys")


def _given(args: argparse.Namespace, flags: list[str]) -> list[str]:
    """Those of ``flags`` (such as '--save-every') given a value on the command line."""
    return [f for f in flags if getattr(args, f[2:].replace("-", "_"))]


def _them(given: list[str]) -> str:
    return "it" if len(given) == 1 else "them"


def run(args: argparse.Namespace) -> int:
    unused = T.seed_unused(args.method, args.init, args.statistic) if args.seed and not args.resume else None
    if unused:  # '--seed -1: drew --seed 2000161742' and --seed 1 made the same bytes (0, the default, is not said)
        warn(f"--seed {args.seed} changes nothing here: {unused}")
        args.seed = 0 if args.seed == -1 else args.seed  # no seed drawn to be written down, then said to do nothing
    draw_seed(args)
    if Path(args.content).expanduser().is_dir():
        styles = " ".join(f"--style {shlex.quote(style)}" for style in args.styles)
        raise OptionError(f"content image: {args.content} is a folder; give an image inside it, or stylize every image "
                          f"in it with 'stylegram batch {shlex.quote(args.content)} {styles} --method {args.method} -o "
                          "OUT_DIR/'")
    _check_unread(args)
    maps = listed(args.style_masks, args.style_regions, args.labels)
    output = check_outputs(args, [args.content, *args.styles, args.init, args.weights, *maps])
    page = check_explain(args)
    code, options = _transfer(args, output)
    if code == 0 and page is not None:
        return explain_transfer(args.content, args.styles, output, options, page)
    return code


def _transfer(args: argparse.Namespace, output: Path) -> tuple[int, T.TransferOptions]:
    """The run the options ask for, to its end or to Ctrl-C; (exit status, the options it ran with)."""
    if images.is_animation(samples.resolve(args.content)) and not args.quiet:
        print(f"stylegram: {args.content} is animated, and this stylizes its first frame; 'stylegram batch "
              f"{shlex.quote(args.content)} --style STYLE -o FOLDER/' stylizes every frame into an animation",
              file=sys.stderr)
    cluster = args.scheduler is not None or args.workers is not None
    if cluster and args.tile is None:
        raise OptionError(f"{'--scheduler' if args.scheduler is not None else '--workers'} makes the tiles of --tile "
                          "side by side on a Dask cluster, and without --tile the transfer is one run; add --tile PX "
                          "or drop it")
    if args.tile is not None:
        if cluster:
            from ..batch import check_cluster

            check_cluster(args.scheduler, args.workers)  # before any work: the batch extra installed, --workers a count
        return _run_tiled(args, output)
    if args.method != "gatys" and not args.resume:
        one_pass = T.prepare_feed_forward(args.content, args.styles, T.TransferOptions.given(None, **_options(args)))
        if one_pass.labels is not None and not args.quiet:  # as for an optimization, though this pass takes seconds
            print(labels.describe(one_pass.labels), flush=True)
        result = one_pass()
        result.save(output)
        print(f"wrote {output} ({result.image.shape[-1]}x{result.image.shape[-2]}, {args.method}, {result.seconds:.1f}s)")
        return 0, result.options
    if args.resume:
        job = T.resume(args.resume, args.content, args.styles)
        check_resume_alone(args, job.options)
    else:
        job = T.prepare(args.content, args.styles, suggest_tiles=True, **_options(args))
    if job.problem.labels is not None and not args.quiet:  # what the maps were read as, before the minutes of work
        print(labels.describe(job.problem.labels), flush=True)
    hint = shlex.join(["stylegram", "transfer", args.content, *args.styles, "-o", args.output])
    return run_job(job, output, args, hint), job.options


def _run_tiled(args: argparse.Namespace, output) -> tuple[int, T.TransferOptions]:
    """--tile: the tiled run (stylegram.tiles), a line per tile; Ctrl-C writes the picture so far and a checkpoint
    (--resume goes on from it), as --checkpoint does now and then."""
    given = _given(args, ["--save-every", "--log"])
    if given:
        raise OptionError(f"{' and '.join(given)} with --tile: a tiled run keeps no iterations; drop {_them(given)} or "
                          "--tile")
    state, options = None, T.TransferOptions(**_options(args))
    if args.resume:
        state, options, tile = tiles.TiledState.load(args.resume)
        check_resume_alone(args, options)
        if tile != args.tile:
            raise OptionError(f"--tile {args.tile} (checkpoint: {tile}): a resumed run goes on in the tiles of its "
                              f"checkpoint {args.resume}; give --tile {tile}")
    stopped, checkpoint, spared = stop_paths(args, output)
    kept = Kept(checkpoint, args.checkpoint is not None, options.saved(), args.tile)
    with _tile_maker(args) as maker, stop_on_interrupt() as stop, contextlib.ExitStack() as shown:
        @functools.cache
        def progress():  # opened at the first iteration, after the checks of transfer_tiled
            return shown.enter_context(bar(None, "tile", args.quiet, name="whole picture", counted=False))  # its size: in describe

        def read(split: labels.Split) -> None:  # what the maps were read as, as a run in one piece prints
            if not args.quiet:
                print(labels.describe(split), flush=True)

        def first(record) -> None:
            progress().set_postfix_str(f"{record.stage}, iteration {record.iteration}: {describe(record)}")  # its time
            # left counts the tiles to come

        def step(where: tiles.TileStep) -> None:
            progress().set_description(f"level {where.level} of {where.levels} ({where.size[1]}x{where.size[0]})",
                                     refresh=False)
            progress().set_postfix_str(f"tile {where.tile} of {where.tiles} | ~{duration(where.estimated_left)} left",
                                       refresh=False)
            recount(progress(), where.done, where.count)  # of all levels' tiles, those before a resume too

        result = tiles.transfer_tiled(args.content, args.styles, tile=args.tile, on_step=step, on_first=first,
                                      on_state=kept.heard, state=state, stop=lambda: stop.requested, options=options,
                                      maker=maker, on_labels=read)
    result.save(stopped if stop.requested else output)
    size = f"{result.image.shape[-1]}x{result.image.shape[-2]}"
    if stop.requested:
        hint = shlex.join(["stylegram", "transfer", args.content, *args.styles, "-o", args.output, "--tile",
                           str(args.tile)])
        if max(result.image.shape[-2:]) < result.options.size:  # the level below the one being made, not enlarged
            size += f", a coarser level than the {result.options.size} px asked for"  # (options.size: None for own)
        went_on = (f"checkpoint to {checkpoint}{spared}; continue with: {resume_command(hint, args, checkpoint)}"
                   if kept.write() else "it stopped before its first iteration, so there is nothing to go on from"
                   f"{spared}")
        print(f"stylegram: interrupted; the picture so far ({size}) written to {stopped}, {went_on}", file=sys.stderr)
        return stop.status, options
    if args.checkpoint:
        kept.write()
    tiled = f"in tiles of {args.tile} px" if max(result.image.shape[-2:]) > args.tile else "made whole, no tiles"
    took = time_taken(result.seconds, state.seconds if state is not None else 0.0)  # resumed: it said its own part
    print(f"wrote {output} ({size}, {tiled}, {took})")
    drop_spent_checkpoint(args, checkpoint)
    return 0, options


@contextlib.contextmanager
def _tile_maker(args: argparse.Namespace):
    """The TileMaker of --scheduler or --workers (stylegram.batch.tiles), its cluster open while the run lasts; None
    (the tiles made here) without them."""
    if args.scheduler is None and args.workers is None:
        yield None
        return
    from ..batch import open_client
    from ..batch.tiles import made_on

    with open_client(args.scheduler, args.workers) as client:
        yield made_on(client)


class Kept:
    """A tiled run's checkpoint: the latest TiledState heard, written now and then (``often``: --checkpoint given),
    and when the run stops."""

    def __init__(self, path: Path, often: bool, options: dict, tile: int) -> None:
        self.path, self.often, self.options, self.tile = path, often, options, tile  # options: as saved()
        self.latest: tiles.TiledState | None = None
        self.written = time.monotonic()

    def heard(self, state: tiles.TiledState) -> None:
        """Where the run stands now; written if --checkpoint asks and a level just ended or a while has passed."""
        self.latest = state
        level_done = state.tiles_done == 0 and state.first is None
        if self.often and (level_done or time.monotonic() - self.written >= CHECKPOINT_SECONDS):
            self.write()

    def write(self) -> bool:
        """Write the latest state heard, if any; whether there was one."""
        if self.latest is None:
            return False
        self.latest.save(self.path, self.options, self.tile)
        self.written = time.monotonic()
        return True
