"""`stylegram sweep CONTENT STYLE [STYLE ...] --vary OPTION VALUE [VALUE ...] -o SHEET.png`: a transfer per
combination of values, side by side on a contact sheet (stylegram.sweeps)."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
import typing
from pathlib import Path

from . import SUMMARIES
from .. import files, images, memory
from .. import gatys as T
from .. import sweeps as S
from ..bars import bar
from ..errors import OptionError, StylegramError, check_choice, did_you_mean, status_of
from ..options import Options, flag
from ..sweep_folder import CellFolder
from .classic import classic_hint
from .common import add_dataclass_options, add_scheduler_options, argument_type
from .progress import stop_on_interrupt
from .runner import check_outputs, draw_seed, listed
from .transfer import CHOICES, GROUPS, HELP

if typing.TYPE_CHECKING:
    from ..analysis.compare import Comparison


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "sweep",
        help=SUMMARIES["sweep"],
        description="Run a transfer for every combination of the --vary values, the other options fixed, and lay the "
        "pictures side by side over their values and times: e.g. --vary style-weight 1 10 100 --vary statistic gram "
        "mmd-poly makes six. Every combination is checked before the first runs. For textures: texture-sweep.",
    )
    parser.add_argument("content", nargs="?", help="content image (a file, or sample:chelsea etc.)")  # checked in run
    parser.add_argument("styles", nargs="*", metavar="style", help="one or more style images (blended), or none "
                        "with --vary style A B C: one picture per style")
    add_sweep_options(parser, T.TransferOptions, HELP, CHOICES, GROUPS, "style-weight 1 10 100", "style")
    return parser


def add_sweep_options(parser: argparse.ArgumentParser, options: type[Options], helps: dict, choices: dict,
                      groups: dict[str, tuple[str, ...]], example: str, image: str) -> None:
    """-o, --vary, --cells, every option of the run swept (under ``groups``' titles), --quiet."""
    parser.add_argument("-o", "--output", required=True, help="the contact sheet (.png, .jpg, .tif, .webp or .bmp)")
    switch = next(f.name for f in dataclasses.fields(options) if isinstance(f.default, bool))  # upscale, tileable
    parser.add_argument("--vary", action="append", nargs="+", metavar=("OPTION", "VALUE"),
                        help=f"an option of {options.kind} and its values, e.g. --vary {example}, or --vary {image} "
                        f"and {image} images, one per picture; give it again to vary another (its values make the "
                        "sheet's columns, the first's its rows; one option alone fills rows of up to 4; an on/off "
                        f"option given no values, e.g. --vary {switch}, runs off and on); at most {S.MAX_CELLS} "
                        "pictures in all")
    parser.add_argument("--cells", metavar="DIR", help="also write each picture to DIR, named by its values; a "
                        "sweep given the same DIR again takes the pictures made there from the same inputs and "
                        "options instead of making them again (stopped, or given one more value: only what is new "
                        "runs)")
    add_dataclass_options(parser, options, helps, choices, groups=groups)
    parser.add_argument("--measure", action="store_true",
                        help="measure each picture as `stylegram explain` does, by one yardstick for all (VGG19's "
                        f"default layers), and add it to its caption: how far its Gram matrices have gone to the "
                        f"{image}'s" + (", and how closely its relu4_2 maps follow the content's (r)"
                                        if image == "style" else ""))
    parser.add_argument("--compare", metavar="PAGE.html",
                        help="also write the page `stylegram compare` makes of the pictures: each measured against the "
                        f"{image}'s Gram matrices on one yardstick (VGG19's default layers), in a table"
                        + (", a plot of style against content" if image == "style" else "")
                        + ", one layer's Gram matrices side by side and where their patches come from; not with a "
                        f"--vary that changes what they are measured against (the {image}, its scale, blend or "
                        "placing)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_scheduler_options(parser, "none: the pictures are made here, one after another",
                          "make the pictures here, one after another; --workers N: on a local cluster, N at once")
    parser.set_defaults(save_every=0, save_dir=None, checkpoint=None, log=None, resume=None)  # for check_outputs


def run(args: argparse.Namespace) -> int:
    if args.content is None:
        raise OptionError("give the content image first, then the style images and the options: stylegram sweep "
                          "CONTENT STYLE --vary OPTION VALUE ..." + late_images(args))
    maps = listed(args.style_masks, args.style_regions, args.labels)
    kind = Kind(T.TransferOptions, CHOICES, "style", args.styles, ["sweep", args.content, *args.styles],
                [args.content, *args.styles, args.init, args.weights, *maps],
                lambda vary, **kw: S.plan(args.content, args.styles, vary, **kw))
    return run_sweep(args, kind)


@dataclasses.dataclass(frozen=True)
class Kind:
    """What a sweep command runs: its options, their choices, the input it may vary (``image``: "style") and those
    given of it, the command's words before the options (for the title), the files it reads, and the sweep
    (``plan(vary, folder=..., **options)``)."""

    options: type[Options]
    choices: dict
    image: str
    images: list[str]  # those given in place of --vary IMAGE
    words: list[str]
    reads: list[str | None]
    plan: typing.Callable[..., list[S.Planned]]


def run_sweep(args: argparse.Namespace, kind: Kind) -> int:
    """A sweep from the command line: checked, run with a progress bar, its sheet written even when stopped."""
    if not kind.images and kind.image not in [name.lstrip("-") for name, *_ in args.vary or []]:
        raise OptionError(f"give one or more {kind.image} images, or one per picture with --vary {kind.image} A.jpg "
                          "B.jpg" + late_images(args))
    vary = varied(args, kind)
    cells = S.combinations(vary, kind.options, [kind.image])
    given = [v for values in vary.values() for v in values if isinstance(v, str)]
    output = check_outputs(args, [*kind.reads, *given])
    if args.cells and files.same_file(args.cells, output):  # made a folder of that name, then failed to write the sheet
        raise OptionError(f"--cells {args.cells} is the folder each picture is written to, and -o {args.output} the "
                          "sheet: give them different names")
    # a sweep stopped or failed part way writes its sheet beside one there before it, not over it (trial AV)
    partial = files.unused_name(files.stopped_name(output)) if output.exists() else output
    spared = f" ({output}, there before this sweep, is kept)" if partial != output else ""
    page = _check_compare(args, vary)
    new_folder = args.cells is not None and not Path(args.cells).exists()
    folder = files.check_folder(args.cells) if args.cells else None
    if "seed" not in vary:
        draw_seed(args)  # one seed for every picture; the sheet's command names it
    fixed = {f.name: getattr(args, f.name) for f in dataclasses.fields(kind.options) if f.name not in vary}
    on_cluster = args.scheduler is not None or args.workers is not None
    if on_cluster:  # before any work: the batch extra installed, --workers a count
        from ..batch import check_cluster

        check_cluster(args.scheduler, args.workers)
    made: list[S.Cell] = []
    try:
        cell_folder = CellFolder(folder) if folder is not None else None
        planned = kind.plan(vary, folder=cell_folder, **fixed)  # every combination checked before the bar shows
        if page is not None:
            S.check_distinct(planned)
        run = _on_cluster if on_cluster else _in_process
        start = time.perf_counter()
        status = run(args, planned, cell_folder, cells, made)  # 130 or 143 where a stop ended it, else None
        undone = _undone(args, page) if status is not None else ""  # stopped while the pictures were made
        wall = time.perf_counter() - start if on_cluster else None
    except StylegramError as err:  # a run that failed mid-sweep: the pictures made before it are kept
        if not made:
            raise
        _write_sheet(made, vary, args, kind, partial)
        raise type(err)(f"{err.flagged}; the {_pictures(len(made))} made before it written to {partial}{spared}") \
            from None
    finally:
        if new_folder and folder is not None and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # nothing was made: no empty folder left behind
    stopped_in = ""  # what Ctrl-C stopped after the pictures were made: measuring or comparing them
    comparison = None  # with --compare and --measure: the page's numbers are the captions'
    if made and args.measure and status is None:
        _say(args, f"measuring the {_pictures(len(made))}")
        try:
            if page is not None and "padding" not in vary and _one_size(made):  # compared as the first is padded,
                comparison = S.compared(made, planned)  # and at the smallest's size: their own numbers where all match
            made = S.measured(made, planned, comparison)
        except KeyboardInterrupt as err:
            status, stopped_in = status_of(err), " while measuring (the sheet has no numbers)"
    sheet = output if status is None else partial  # whole before the page is compared, which a stop leaves whole
    if made:
        _write_sheet(made, vary, args, kind, sheet)
    if page is not None and status is None:
        _say(args, f"comparing the {_pictures(len(made))}")
        try:
            _write_comparison(comparison or S.compared(made, planned), planned, vary, args, kind, page)
        except KeyboardInterrupt as err:
            status, stopped_in = status_of(err), f" while comparing (no {page} written)"
    if status is not None:
        kept = f"the sheet so far written to {sheet} ({_finished(made)}){spared if sheet != output else ''}" \
            if made else "nothing was made, so nothing was written"
        print(f"stylegram: interrupted{stopped_in}; {kept}{undone}; {_going_on(folder)}", file=sys.stderr)
        return status  # 143 after SIGTERM, as transfer's
    print(f"wrote {output} ({_made(made, folder, wall)})" + (f" and each to {folder}" if folder else ""))
    if page is not None:
        print(f"wrote {page}")
    return 0


def _finished(made: list) -> str:
    """'2 pictures finished, 1 cut short, marked 'stopped'': 'the 1 picture made so far' read as one finished."""
    short = sum(cell.stopped for cell in made)
    done = len(made) - short
    return (f"{_pictures(done)} finished" if done else "none finished") + \
        (f", {short} cut short, marked 'stopped'" if short else "")


def _undone(args: argparse.Namespace, page: Path | None) -> str:
    """What --measure and --compare leave undone when Ctrl-C stops the pictures: they come after the last one."""
    undone = [words for words, asked in [("not measured", args.measure), (f"no {page} written", page is not None)]
              if asked]
    return f"; {' and '.join(undone)} (they come after the last picture)" if undone else ""


def _going_on(folder: Path | None) -> str:
    """How a stopped sweep goes on: its --cells folder keeps the pictures finished, or it had none."""
    if folder is not None:
        return (f"run the same command again to make the rest: {folder} keeps the pictures finished, and those cut "
                "short (NAME.stopped.png there) are made again")
    return "run it again with --cells DIR to keep each finished picture, so that a sweep stopped goes on from them"


def _say(args: argparse.Namespace, text: str) -> None:
    """A step after the pictures, on stderr unless --quiet."""
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _one_size(made: list[S.Cell]) -> bool:
    """Whether the pictures are all of one size: the compare page measures them at the smallest's, so only then are its
    numbers each picture's own (--vary size 64 128: the 128 px picture's 78 % read 65 % on the sheet)."""
    return len({tuple(cell.result.image.shape[-2:]) for cell in made}) == 1


def _check_compare(args: argparse.Namespace, vary: dict[str, list]) -> Path | None:
    """Before any work: --compare's page can be written and the pictures compare; its path, or None without it."""
    if not args.compare:
        return None
    from .analysis_common import writable

    S.check_comparable(vary)
    return writable(args.compare, (".html", ".htm"), "--compare")


def _write_comparison(compared: Comparison, planned: list[S.Planned], vary: dict[str, list],
                      args: argparse.Namespace, kind: Kind, page: Path) -> None:
    """--compare: the pictures made measured side by side (S.compared), headed by the sweep's inputs, masks or label
    maps, command, size and the network they were measured on."""
    from ..analysis.explain import PLACING
    from ..analysis.report import write_page
    from ..features import default_backbone
    from .explain import inputs_named, network_row

    texture = kind.image == "example"
    placed = {flag(name): getattr(args, name) for name in (*PLACING, "masks")  # a texture's are --masks
              if getattr(args, name, None) is not None}
    first_made = planned[0].options  # whose padding and tiling the pictures are measured with
    measured_on = argparse.Namespace(weights="default", pooling="avg" if texture else "max",
                                     padding=first_made.padding, tileable=getattr(first_made, "tileable", False))
    rows = {**inputs_named(kind.words[1:], texture), **placed, "sweep": command(args, vary, kind),
            "size": compared.measured_at(),
            **network_row(measured_on, default_backbone(measured_on.pooling))}
    write_page(compared.html(rows), page)


def _in_process(args: argparse.Namespace, planned: list[S.Planned], folder: CellFolder | None,
                cells: list[dict], made: list[S.Cell]) -> int | None:
    """Run the combinations here, one after another, each showing its iterations; the exit status where Ctrl-C or
    SIGTERM stopped them (the picture being made kept as it stood), else None."""
    with stop_on_interrupt() as stop:
        S.run_shown(planned, folder, made.append, lambda: stop.requested, args.quiet)
    return stop.status if stop.requested else None


def _on_cluster(args: argparse.Namespace, planned: list[S.Planned], folder: CellFolder | None,
                cells: list[dict], made: list[S.Cell]) -> int | None:
    """Run the combinations on a Dask cluster (--scheduler, or a local one of --workers), side by side; the exit
    status where Ctrl-C or SIGTERM stopped them, else None (the pictures being made kept as they stood, as batch.sweep.run_on_cluster hands them back)."""
    from ..batch import open_client
    from ..batch.cluster import quiet_shutdown, usable_cores
    from ..batch.steps import Running
    from ..batch.sweep import check_side_by_side, run_on_cluster

    if args.scheduler is None:  # a local cluster: its workers share this machine's memory
        check_side_by_side(planned, args.workers or usable_cores(), memory.limit_bytes(args.max_memory))
    try:
        with open_client(args.scheduler, args.workers) as client, \
                bar(len(cells), "picture", args.quiet, name="sweep") as progress, \
                Running(client, progress, on=not args.quiet) as running:
            def on_cell(cell: S.Cell) -> None:
                made.append(cell)
                if not cell.stopped:  # a picture cut short by Ctrl-C is not one done ("2/4" said with none finished)
                    progress.update()

            run_on_cluster(client, planned, folder, on_cell, running)
    except KeyboardInterrupt as err:
        quiet_shutdown()
        return status_of(err)
    return None


def _write_sheet(made: list[S.Cell], vary: dict[str, list], args: argparse.Namespace, kind: Kind,
                 output: Path) -> None:
    """The contact sheet of the pictures made, headed by the command, written whole."""
    in_order = sorted(made, key=lambda cell: cell.number)  # a cluster hands them over as they end
    images.save_image(S.contact_sheet(in_order, S.columns(vary), command(args, vary, kind)), output)


def _made(made: list[S.Cell], folder: Path | None, wall: float | None = None) -> str:
    """'6 pictures, 41.2s' or '6 pictures: 2 made in 41.2s, 4 taken from cells/ (an earlier sweep made them)'; made
    on a cluster (``wall``: the seconds it took): '6 pictures, 41.2s (80.1s of work on the cluster)', which may be one
    worker ('side by side' was said of --workers 1)."""
    ran = {id(cell.result): cell.result.seconds for cell in made if not cell.reused}  # a picture shown twice: once
    work = f"{sum(ran.values()):.1f}s"
    seconds = work if wall is None else f"{wall:.1f}s ({work} of work on the cluster)"
    taken = len({id(cell.result) for cell in made if cell.reused})
    if not taken:
        return f"{_pictures(len(made))}, {seconds}"
    made_now = f"{len(ran)} made in {seconds}, {taken}" if ran else "all"
    them = "it" if taken == 1 else "them"
    return f"{_pictures(len(made))}: {made_now} taken from {folder} (an earlier sweep made {them})"


def _pictures(count: int) -> str:
    return f"{count} picture{'s' * (count != 1)}"


def command(args: argparse.Namespace, vary: dict[str, list], kind: Kind) -> str:
    """The command that makes this sheet: inputs, the options away from their defaults, the --vary lists, -o."""
    words = ["stylegram", *kind.words]
    for name, default in dataclasses.asdict(kind.options()).items():
        value = getattr(args, name)
        if name not in vary and value != default:
            words += [flag(name)] if isinstance(value, bool) else [flag(name), _word(value)]
    for name, values in vary.items():
        words += ["--vary", flag(name)[2:], *(_word(v) for v in values)]
    if args.measure:
        words.append("--measure")
    if args.compare:
        words += ["--compare", args.compare]
    if args.cells:
        words += ["--cells", args.cells]
    if args.workers is not None:  # one thread a picture there: not the same pixels as here
        words += ["--workers", str(args.workers)]
    if args.scheduler is not None:
        words += ["--scheduler", args.scheduler]
    return shlex.join([*words, "-o", args.output])


def _word(value: object) -> str:
    """A value as it is typed: 10 rather than 10.0, true rather than True."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def late_images(args: argparse.Namespace) -> str:
    """For a message about missing images: the images typed after a --vary list, which argparse gave it as values
    (a --vary takes every word up to the next option), if there are any ('' if not)."""
    for name, *values in args.vary or []:
        late = [v for v in values if v.startswith("sample:") or Path(v).suffix.lower() in images.IMAGE_EXTENSIONS]
        if late and name.lstrip("-") not in S.VARIED_INPUTS:
            return (f"; {', '.join(late)} came after --vary {name}, which takes every word up to the next option as "
                    "its values: give the images before --vary")
    return ""


def varied(args: argparse.Namespace, kind: Kind) -> dict[str, list]:
    """--vary as {option name: values typed as the option's own flag types them}; every mistake named."""
    hints, defaults = typing.get_type_hints(kind.options), kind.options()
    vary: dict[str, list] = {}
    for name, *values in args.vary or []:
        field = name.lstrip("-").replace("-", "_")
        shown = flag(field)[2:]
        if field in vary:
            raise OptionError(f"--vary {shown} is given twice; give all its values once")
        if field == kind.image:
            vary[field] = _images(field, values)
            _check_distinct_values(shown, values, values)
            continue
        if field in ("output", "o"):
            raise OptionError(f"--vary {name}: a sweep's pictures are the cells of the one sheet -o writes; --cells "
                              "DIR keeps each as a file of its own")
        if field not in hints:  # a classic tool's name first: --vary image-size was 'did you mean min-size?'
            classic = classic_hint(name, [flag(h) for h in hints])
            raise OptionError(f"--vary {name}: {kind.options.kind} has no option --{name.lstrip('-')}" +
                              (f"; {classic}" if classic else
                               did_you_mean(shown, [flag(h)[2:] for h in [*hints, kind.image]])))
        switch = isinstance(getattr(defaults, field), bool)
        if not values and not switch:
            raise OptionError(f"--vary {shown} needs values after it, e.g. --vary {shown} A B")
        if str(getattr(args, field)) != str(getattr(defaults, field)):
            given = f"--{shown}" if switch else f"--{shown} {getattr(args, field)}"
            raise OptionError(f"--{shown} is given a value and varied; drop {given} or the --vary {shown}")
        vary[field] = _switches(shown, values) if switch else [
            _typed(field, text, argument_type(hints[field]), kind.choices) for text in values]
        _check_distinct_values(shown, values, vary[field])
    return vary


def _check_distinct_values(shown: str, typed: list[str], values: list) -> None:
    """Refuse a value given twice (1 and 1, or 1 and 1.0): the same picture made twice, side by side."""
    twice = next((text for k, (text, value) in enumerate(zip(typed, values)) if value in values[:k]), None)
    if twice is not None:
        raise OptionError(f"--vary {shown} gives {twice} twice (as the option reads it); give each value once")


SWITCH = {"off": False, "no": False, "false": False, "0": False, "on": True, "yes": True, "true": True, "1": True}


def _switches(shown: str, values: list[str]) -> list[bool]:
    """--vary of an on/off option: its values as typed (on/off, yes/no, true/false), or without values off then on."""
    unknown = [v for v in values if v.lower() not in SWITCH]
    if unknown:
        raise OptionError(f"--vary {shown}: --{shown} is on or off, so its values are off and on (or no/yes, "
                          f"false/true), got {unknown[0]!r}; --vary {shown} alone gives both")
    return [SWITCH[v.lower()] for v in values] or [False, True]


def _images(field: str, values: list[str]) -> list[str]:
    """--vary style's images, each a file or sample:NAME, checked when the sweep is planned."""
    if not values:
        raise OptionError(f"--vary {field} needs images after it, e.g. --vary {field} A.jpg B.jpg")
    return values


def _typed(field: str, text: str, type_: type, choices: dict) -> object:
    """One --vary value as its option's flag reads it, checked against the option's ``choices``."""
    shown = flag(field)[2:]
    try:
        value = type_(text)
    except (ValueError, argparse.ArgumentTypeError):  # the flag's own type (common.one_number) says why
        raise OptionError(f"--vary {shown}: {text!r} is not a {'whole number' if type_ is int else 'number'}") from None
    if field in choices:
        check_choice(f"--vary {shown}", value, choices[field])
    return value
