"""`stylegram batch INPUTS... --style S -o OUT_DIR`: stylize images, folders and videos on a Dask cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SUMMARIES
from .. import gatys as T
from .. import tiles
from ..errors import OptionError, count, status_of
from .common import add_dataclass_options, add_scheduler_options, given_fields
from .transfer import CHOICES, HELP

DEFAULTS = T.TransferOptions()
FORMATS = ("png", "jpg", "jpeg", "webp", "tif", "tiff", "bmp")  # the extension of each picture written
PARTLY = 1  # exit status of a run some of whose items failed, the rest done (2: refused before any work)
# transfer's options that batch takes as they are (its own: --size, --alpha, --iterations, ... with batch's words);
# not --init and --init-weight/--init-mask, which batch's video frames set themselves, nor the memory check's
TRANSFER_OPTIONS = ("style_scale", "content_weight", "style_weight", "tv_weight", "content_layers", "style_layers",
                    "statistic", "optimizer", "lr", "history", "parameterization", "decay", "polish", "min_size",
                    "scale_factor", "detail", "content_boost", "tolerance", "patience", "backbone", "weights",
                    "pooling", "padding", "precision", "seed")


def output_format(value: str) -> str:
    """--format, checked: one of FORMATS (a leading dot and capitals allowed); gif named as the animations' own."""
    from ..errors import did_you_mean

    typed = value.lower().lstrip(".")
    if typed in FORMATS:
        return typed
    if typed == "gif":
        raise argparse.ArgumentTypeError("gif: still pictures are written as " + ", ".join(FORMATS) + "; an animated "
                                         "GIF among the inputs is written as a GIF of its own accord")
    raise argparse.ArgumentTypeError(f"'{value}' is not one of {', '.join(FORMATS)}{did_you_mean(typed, FORMATS)}")


# transfer's options that batch has not, and why: said where one is given (the closest flag misled: --init, did you
# mean --min-size?)
_FRAMES = "each picture starts as transfer's --init auto starts it, and a video's frames from the one before, moved " \
          "along the motion"
NOT_TAKEN = {
    "--init": f"batch has no --init: {_FRAMES}",
    "--init-weight": f"batch has no --init-weight: {_FRAMES}, held there by --temporal-weight",
    "--init-mask": f"batch has no --init-mask: {_FRAMES}, held where the motion is reliable",
    "--log": "batch has no --log: each picture's losses are its own run's; make one with stylegram transfer --log",
    "--save-every": "batch has no --save-every: it writes each output once, whole",
    "--checkpoint": "batch has no --checkpoint: a stopped batch goes on from the outputs (and video frames) written",
    "--resume": "batch has no --resume: run the same command again; it goes on from the outputs written",
    "--explain": "batch has no --explain: stylegram explain CONTENT STYLE RESULT explains any output",
}

SEED_HELP = "random seed; the same seed and inputs give the same bytes, which a stopped batch needs to go on (so not " \
            "transfer's -1) (default: %(default)s)"


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "batch",
        help=SUMMARIES["batch"],
        description="Stylize every image and video in INPUTS into OUT_DIR (OUT_DIR/<name>.png, videos as "
        "OUT_DIR/<name>.mp4 with the source's frame times and audio, an animated GIF, WebP or PNG as an animation of "
        "its kind with its frame durations; folders are read one level deep). Outputs already in OUT_DIR are skipped, so "
        "an interrupted run resumes where it stopped (a video it cut off goes on from the frames it had finished, "
        "kept in OUT_DIR/.<name>.mp4.frames until the video is written; a rerun with other options is refused rather "
        "than throw them away); an output made with other styles, options "
        "or inputs (OUT_DIR/.stylegram-made.json records what made each), or a file there the record does not hold (a "
        "photo copied in), is refused as done, to be made again with --overwrite; "
        "items that fail are listed at the end (exit status 1; 2 is a refusal before any work).",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, video files, folders of them, or sample:NAME")
    parser.add_argument("--style", action="append", required=True, metavar="STYLE",
                        help="style image (a file or sample:NAME); repeat for several styles, blended into each output "
                             "(--style-blend weighs them); for one output per style, run once per style, each into "
                             "its own -o folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="folder for the outputs")
    parser.add_argument("--method", choices=T.METHODS, default="adain",
                        help="adain or wct: one feed-forward pass per image, a second or two each, which at --alpha 1 "
                        "keeps little of a small picture's content (--alpha 0.6 to 0.8, or a larger --size, keeps "
                        "more); gatys: optimization, transfer's pictures, a minute or so each at 512 px "
                        "(default: %(default)s)")
    parser.add_argument("--size", type=int, default=None, help="largest long side of the outputs in px: larger inputs "
                        "are shrunk to it, smaller ones kept; video frames lose an odd last row or column, as 4:2:0 "
                        "video needs even sides (default: each input's own, at most 512)")
    parser.add_argument("--upscale", action="store_true", help="enlarge the inputs smaller than --size to it too")
    parser.add_argument("--alpha", type=float, default=DEFAULTS.alpha,
                        help="adain/wct style strength, 1 = full style (default: %(default)s)")
    parser.add_argument("--colors", choices=T.COLORS, default=DEFAULTS.colors,
                        help="style, match (each style image in the input's palette first), original (keep the "
                        "input's colours) or luminance (default: %(default)s)")
    parser.add_argument("--style-blend", default=None, help="weights of several styles, e.g. 0.7,0.3")
    parser.add_argument("--style-masks", default=None, metavar="MASKS",
                        help="one mask per --style, e.g. sky.png,land.png: each style paints where its mask is white; "
                        "every input needs the masks' aspect (a video's frames, photos of one shape)")
    parser.add_argument("--style-regions", default=None, metavar="REGIONS",
                        help="one mask per --style, each of its style image's aspect, e.g. sky.png,ground.png: each "
                        "style lends the statistics of the part of its image where its mask is white (with "
                        "--style-masks: a painting's sky for the inputs' sky, its ground for their ground)")
    parser.add_argument("--labels", default=None, metavar="MAPS",
                        help="label maps, the inputs' first (every input needs its aspect: a video's frames), then one "
                        "per --style, e.g. street_map.png,painting_map.png: each colour of the inputs' map is painted "
                        "by the parts of the styles with that colour (as transfer --labels)")
    parser.add_argument("--iterations", default=DEFAULTS.iterations,
                        help="gatys: iterations per scale; video frames after the first start from the previous one "
                        "and run half the last number (default: %(default)s)")
    parser.add_argument("--temporal", type=float, default=None, metavar="B",
                        help="video: blend each output frame with the previous one moved along the optical flow, "
                        "out = (1-B) new + B previous, except where the flow cannot be trusted (what moving things "
                        "uncover), to reduce flicker without trails; 0 = off (default: 0.3 for adain and wct; 0 for "
                        "gatys, whose frames are held near the previous one instead, see --temporal-weight)")
    parser.add_argument("--temporal-weight", type=float, default=None, metavar="W",
                        help="gatys video: keep each frame after the first near the previous output moved along the "
                        "optical flow while it is optimized, where the flow is reliable (Ruder et al.); the weight of "
                        "that term, 0 = off (default: 10)")
    parser.add_argument("--tile", type=int, metavar="PX", help="gatys pictures larger than the memory holds at once: "
                        "the whole picture at PX px, then each doubling of the size refined in overlapping tiles of PX "
                        f"(at least {tiles.MIN_TILE}, as transfer --tile; not for videos)")
    transfer = parser.add_argument_group("the options of stylegram transfer", "(most are gatys's: see transfer --help)")
    add_dataclass_options(transfer, T.TransferOptions, {**HELP, "seed": SEED_HELP}, CHOICES, only=TRANSFER_OPTIONS)
    parser.add_argument("--format", type=output_format, default="png", metavar="{" + ",".join(FORMATS) + "}",
                        help="format of each still picture written; an animated GIF, WebP or PNG keeps its own, and a "
                             "video is written as MP4 (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true",
                        help="redo outputs that already exist, and videos from their first frame")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    add_scheduler_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..batch import stylize_batch

    options = {"size": args.size, "upscale": args.upscale, "alpha": args.alpha, "colors": args.colors,
               "style_blend": args.style_blend, "style_masks": args.style_masks, "style_regions": args.style_regions,
               "labels": args.labels}
    if args.method != "gatys":  # typed at any value, a default too (--style-weight 10 said nothing, 5 was refused)
        try:
            T.check_gatys_only(T.TransferOptions(method=args.method), given_fields(args, T.TransferOptions))
        except OptionError as err:  # batch's own default, which transfer's is not: '--iterations ... drop it' blamed
            if "method" in getattr(args, "given", ()):  # chosen: its own message (trial AV)
                raise
            raise OptionError(f"{err.flagged}; batch's --method is adain unless given (transfer's is gatys): add "
                              "--method gatys to optimize each picture") from None
    if args.method == "gatys" or args.iterations != DEFAULTS.iterations:  # adain/wct refuse it, rather than ignore it
        options["iterations"] = args.iterations
    options.update({name: getattr(args, name) for name in TRANSFER_OPTIONS  # only those given: adain refuses gatys's
                    if getattr(args, name) != getattr(DEFAULTS, name)})
    if len(args.style) > 1 and not (args.style_masks or args.labels):  # two --style read as one output each
        print(f"stylegram: {count(len(args.style), 'style')} blended into each output ({_blend_said(args)}); for one "
              "output per style, run once per style into its own -o folder", file=sys.stderr)
    before = finished_outputs(args.output)
    try:
        report = stylize_batch(
            args.inputs, args.style, args.output, method=args.method, temporal=args.temporal,
            temporal_weight=args.temporal_weight, ext=f".{args.format}",
            overwrite=args.overwrite, scheduler=args.scheduler, workers=args.workers, quiet=args.quiet, tile=args.tile,
            **options,
        )
    except KeyboardInterrupt as err:
        failed = err.report.failed if hasattr(err, "report") else []
        for failure in failed:  # they were listed only at the end of a run, which a stop never reached
            print(f"stylegram: {failure}", file=sys.stderr)
        retried = " and retry what failed" if failed else ""
        print(f"stylegram: interrupted; {_interrupted_note(args.output, before)}; run the same command again to do the "
              f"rest{retried}, finished outputs are skipped", file=sys.stderr)
        return status_of(err)
    for name in report.flicker:
        print(f"{name}: {report.steadiness(name)}")
    there = " (the skipped were there already; --overwrite makes them again)" if report.skipped else ""
    print(report.summary().splitlines()[0] + there)
    for failure in report.failed:
        print(f"stylegram: {failure}", file=sys.stderr)
    return 0 if report.ok else PARTLY  # 2 is a refusal before any work: a script could not tell the two apart


def _blend_said(args: argparse.Namespace) -> str:
    """'swirls 0.50, mosaic 0.50': each --style's name and weight in the blend."""
    from ..losses import blend_weights

    weights = blend_weights(args.style_blend, len(args.style), option="--style-blend")
    return ", ".join(f"{Path(str(s)).stem.removeprefix('sample:')} {w:.2f}" for s, w in zip(args.style, weights))


def finished_outputs(out_dir: str) -> set[str]:
    """The outputs a batch has finished in ``out_dir`` (by its record of what it made)."""
    from ..batch.made import Made

    folder = Path(out_dir).expanduser()
    return {name for name in Made(folder).keys if (folder / name).is_file()} if folder.is_dir() else set()


def _interrupted_note(out_dir: str, before: set[str] = frozenset()) -> str:
    """What a stop leaves in ``out_dir``: how many outputs are finished there (it said 'the outputs finished so far
    are in OUT' of a folder that did not exist), how many of them this run made (``before``: those there when it
    began; 10 were counted as finished 3 s into a rerun), the frames each video cut off kept, and the pictures under
    way dropped (a batch keeps no checkpoint of a picture)."""
    from ..batch.frames import kept_frames, kept_videos

    folder = Path(out_dir).expanduser()
    finished = finished_outputs(out_dir)
    new = len(finished - set(before))
    this_run = f", {new} of them by this run" if before and finished else ""
    said = (f"{count(len(finished), 'output')} finished so far {'is' if len(finished) == 1 else 'are'} in {out_dir} "
            f"(each written whole or not at all{this_run})" if finished else f"no output was finished in {out_dir}")
    for name, frames in kept_videos(out_dir).items():
        said += (f", and {count(kept_frames(folder / name)[0], 'frame')} of {name} done so far in {frames} (the video "
                 "goes on from there)")
    return said + "; a picture under way is made again from its start"
