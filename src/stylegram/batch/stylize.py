"""Stylize folders of images and videos on a Dask cluster: plan the outputs, skip finished ones, run the rest.

Every output is written by this (the client) process, atomically (temporary file, then rename), so an
output that exists is complete: a re-run skips it, and a worker killed mid-task leaves nothing behind.
Images are independent tasks. A video's frames are decoded here, stylized as tasks and re-encoded here in
order: feed-forward frames run in parallel (optionally blended with the previous output to damp
flicker); Gatys frames run one after another, each optimization starting from the previous stylized
frame at the final scale only. A video's frames are kept as they are done (frames.FrameStore), so a video
stopped part-way goes on from there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import feedforward, files, gatys, images, labels, masks, optimize, samples, tiles
from ..backbones import load_backbone
from ..bars import bar, duration
from ..errors import KEYWORDS, ImageError, OptionError, StylegramError, check_choice, check_number, count, first_few, warn
from ..losses import blend_weights
from . import flow, tasks, video
from .cluster import check_cluster, open_client, quiet_shutdown
from .frames import FrameStore, folder_for, kept_frames
from .made import Made, key_difference, output_key, refusal, unrecorded
from .runner import Failure, Report, finished, one_line, threads_each, window_for
from .steps import FramePace, Running, StepHook, Steps

FrameHook = Callable[[int, "int | None", np.ndarray], None]  # (frames done, frames in all, the frame written)

KEYWORDS.update({"temporal", "temporal_weight", "scheduler", "workers"})  # stylize_batch's: its messages name them so


@dataclass(frozen=True)
class Item:
    """One input and the output it becomes."""

    source: Path
    output: Path

    @functools.cached_property
    def is_video(self) -> bool:
        """Stylized frame by frame (a video, or an animated picture: its header is read once)."""
        return video.is_video(self.source)

    @property
    def name(self) -> str:
        return str(self.source)


def plan(inputs: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], ext: str = ".png") -> list[Item]:
    """Inputs (images, videos, folders of either, sample:NAME) -> items with outputs OUT_DIR/<stem><ext>, a video's
    <stem>.mp4, an animated GIF, WebP or PNG's <stem> and its own suffix."""
    out = Path(out_dir).expanduser()
    if any(files.same_file(samples.resolve(e), out) for e in inputs):
        raise OptionError(f"-o {out_dir} is also an input folder, so a later run would take its outputs for inputs "
                          "(and where names differ only in case, e.g. photo.PNG, a first run would overwrite them); "
                          "choose another -o folder")
    items: list[Item] = []
    for source in _expand(inputs, out):
        spec = samples.spec_of(source)  # sample:hubble's output is hubble.png, not its file's hubble_deep_field.png
        stem = spec.removeprefix(samples.PREFIX) if spec else source.stem
        items.append(Item(source, out / (stem + (video.output_suffix(source) if video.is_video(source) else ext))))
    if not items:
        raise OptionError(f"no images or videos found in {', '.join(map(str, inputs))}"
                          + images.subfolder_hint([samples.resolve(e) for e in inputs],
                                                  "folders are not searched inside; give the subfolders"))
    seen: dict[Path, Path] = {}
    clashes = []
    for item in items:
        if files.same_file(item.output, item.source):
            raise OptionError(f"{item.source} would be overwritten by its own output; choose another -o folder")
        if item.output in seen:
            clashes.append(f"{seen[item.output]} and {item.source} would both be written to {item.output}")
        seen[item.output] = item.source
    if clashes:  # all of them at once, not one per run
        more = f" (and {len(clashes) - 3} more)" if len(clashes) > 3 else ""
        raise OptionError("; ".join(clashes[:3]) + more + "; rename one file of each pair, or stylize them in "
                          "separate runs")
    return items


def _expand(inputs: Sequence[str | os.PathLike[str]], out: Path) -> list[Path]:
    """Files in the order given; folders expanded to their images and videos, sorted by name; no repeats. A subfolder
    given too, or the output folder, is not named as left out."""
    found: list[Path] = []
    given = [Path(samples.resolve(entry)).expanduser() for entry in inputs]
    for path in given:
        if path.is_dir():
            found.extend(images.list_images([path], [*images.IMAGE_EXTENSIONS, *images.VIDEO_EXTENSIONS],
                                            ("an image or video", "images and videos"), besides=[*given, out]))
        elif path.exists():
            found.append(path)
        else:
            raise ImageError(f"{path}: no such file or folder; check the path")
    unique: dict[Path, Path] = {}
    for p in found:  # one file given twice, however spelled (./in/../in/a.png), is stylized once
        unique.setdefault(p.resolve(), p.absolute())
    return list(unique.values())


def stylize_batch(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    styles: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    method: str = "adain",
    temporal: float | None = None,
    temporal_weight: float | None = None,
    ext: str = ".png",
    overwrite: bool = False,
    client=None,
    scheduler: str | None = None,
    workers: int | None = None,
    quiet: bool = True,
    on_frame: FrameHook | None = None,
    on_step: StepHook | None = None,
    step_pictures: float | None = None,
    tile: int | None = None,
    **options,
) -> Report:
    """Stylize every image and video in ``inputs`` (a file or folder, or a list of them) into ``out_dir``; returns
    what was done, skipped and failed.

    ``options`` are TransferOptions (size, alpha, colors, iterations, ...); ``ext`` the pictures' format ('.jpg';
    the command line's --format). ``temporal`` blends each video frame with the previous output moved along the
    motion (None: 0.3 for adain and wct, 0 for gatys, whose frames are held instead); ``temporal_weight`` (Gatys
    only; None: 10) keeps each frame after the first near the previous output moved along the flow while it is
    optimized. Runs on ``client`` if given, else on the scheduler at ``scheduler``, else on a local cluster of
    ``workers`` processes (None: as many as the cores and memory allow).
    Outputs that exist are skipped unless ``overwrite``. Per-item errors land in Report.failed. ``on_frame(done,
    total, pixels)`` is called as each video frame is written (total: None where the container does not say;
    pixels: the frame, a uint8 H x W x 3 array); a
    BaseException it raises that is not an Exception stops the run (no item's failure handler takes it), and the
    frames done are kept for the next. ``on_step(frame, record)`` is called, in this thread, with each iteration's
    report while a Gatys video frame is optimized (see Progress.record; at most every REPORT_SECONDS, and its last);
    a BaseException it raises stops the run at once, without that frame. With ``step_pictures`` (seconds), a report
    that long after the last one with a picture carries the frame so far too, as JPEG bytes (``"picture"``).
    ``tile``: Gatys pictures made in tiles of this many px (stylegram.tiles), for sizes larger than the workers'
    memory holds at once; not for videos. A KeyboardInterrupt that stops the run carries the Report so far as its
    ``report`` attribute (the items that failed before it are listed there).
    """
    start = time.perf_counter()
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)  # 'photos/cat.png' read as p, h, ...
    if "format" in options:  # the command line's --format: 'unknown transfer option(s): format'
        raise OptionError(f"format is --format on the command line; here the pictures' format is ext="
                          f"'.{str(options['format']).lstrip('.')}'")
    if client is None:
        check_cluster(scheduler, workers)
    specs = _check_styles(styles)
    given = temporal is not None
    if not given:
        temporal = default_blend(method)
    said = None if quiet else lambda split: print(labels.describe(split), flush=True)  # as transfer prints it
    opts = _check_options(method, temporal, options, specs, said)
    hold = _check_hold(method, temporal_weight)
    ext = ext if ext.startswith(".") else f".{ext}"
    images.check_format(ext)
    folder = Path(out_dir).expanduser()
    if not folder.exists() and folder.suffix.lower() in (*images.IMAGE_EXTENSIONS, *images.VIDEO_EXTENSIONS):
        raise OptionError(f"-o {out_dir} looks like a file name, and -o names the folder the outputs go into "
                          "(each named after its input); give a folder such as styled/")
    files.check_folder(out_dir)  # before any work
    planned = plan(inputs, out_dir, ext)
    if tile is not None:
        _check_tile(tile, method, planned)
        _warn_made_whole(tile, opts.get("size"), bool(opts.get("upscale")), planned)
    if given and temporal and not any(i.is_video for i in planned):
        raise OptionError(f"--temporal {temporal} blends the frames of a video, and no input is a video; drop it")
    if temporal_weight is not None and not any(i.is_video for i in planned):  # it was taken, and did nothing
        raise OptionError(f"--temporal-weight {temporal_weight} holds the frames of a video to the one before, and no "
                          "input is a video; drop it")
    if any(i.is_video for i in planned):
        flow.check_available()  # frames follow the motion, and their steadiness is measured along it: OpenCV, now
    complete = {i for i in planned if not overwrite and i.output.exists()}  # written atomically, so complete
    every = dataclasses.asdict(gatys.TransferOptions().replace(**opts))  # the API and the CLI give different ones
    made, keys = Made(folder), {i: _made_from(i, specs, every, (temporal, hold), tile) for i in planned}
    stale = [i for i in planned if i in complete and made.differs(i.output.name, keys[i])]
    if stale:
        raise OptionError(refusal(out_dir, [i.output.name for i in stale],
                                  made.difference(stale[0].output.name, keys[stale[0]])))
    strangers = [i.output.name for i in planned if i in complete and made.unknown(i.output.name, keys[i])]
    if strangers:
        raise OptionError(unrecorded(out_dir, strangers))
    if not overwrite:
        _check_kept_frames([i for i in planned if i.is_video and i not in complete], specs, opts, hold)
    report = Report(skipped=[i.name for i in planned if i in complete])
    todo = _readable([i for i in planned if i not in complete], report)
    skipped = sum(not i.is_video for i in complete)
    if todo and not images.keeps_transparency(f"x{ext}"):  # the pictures to make, not those skipped as done
        _warn_transparency_lost(ext, todo)
    if todo:
        made.reserve({item.output.name: keys[item] for item in todo})  # before any work: claimed if the last write fails
        before = {item: _stat(item.output) for item in todo}
        with contextlib.nullcontext(client) if client is not None else open_client(scheduler, workers) as c:
            try:
                pictures = [i for i in todo if not i.is_video]
                if pictures:
                    _run_images(c, pictures, specs, opts if tile is None else {**opts, "tile": tile}, report, quiet,
                                skipped)
                for item in (i for i in todo if i.is_video):
                    _run_video(c, item, specs, opts, (temporal, hold), report, quiet, overwrite, on_frame, on_step,
                               step_pictures)
            except KeyboardInterrupt as err:
                quiet_shutdown()
                err.report = report  # what failed before the stop, which the caller would not hear of otherwise
                raise
            finally:  # what was written, stopped or not, is recorded with what made it (the rest's claims dropped)
                made.note({item.output.name: keys[item] for item in _written(todo, report, before)})
    report.seconds = time.perf_counter() - start
    report.out_dir = folder
    made_or_there = {*report.done, *report.skipped}
    report.outputs = {i.name: i.output for i in planned if i.name in made_or_there}
    return report


def _written(todo: list[Item], report: Report, before: dict[Item, tuple | None]) -> list[Item]:
    """The items this run wrote: those done, and any whose output appeared or changed on disk though its item was not
    counted done (a Ctrl-C while the folder was synced after the rename: the file was there, unrecorded, and the
    rerun the message asked for refused it as a stranger). Outputs are written whole, so one there is finished."""
    done = set(report.done)
    return [item for item in todo
            if item.name in done or (item.output.is_file() and _stat(item.output) != before[item])]


def _stat(path: Path) -> tuple | None:
    """A file's inode, size and time of change (a rewrite with the same bytes differs); None if there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _readable(items: list[Item], report: Report) -> list[Item]:
    """The items less those that cannot be read, each listed as failed and warned of before the cluster starts: videos
    cut short or half-copied (found by reading their packets, which is quick, not after a worker opened them), and
    pictures whose header is not one or, for a PNG, whose chunks are cut short (a truncated PNG was named only after
    every other picture was made)."""
    kept = []
    for item in items:
        others = "the others go on" if len(items) > 1 else "there is nothing else to do"  # 'the others' of none
        try:
            if item.is_video and item.source.suffix.lower() in video.VIDEO_EXTENSIONS:
                video.timing(item.source)
            elif not item.is_video:
                images.check_intact(item.source)
        except ImageError as err:
            report.failed.append(Failure(item.name, one_line(err)))
            warn(f"{one_line(err)}; it is left out and listed as failed, {others}")
            continue
        kept.append(item)
    return kept


def _frames_key(item: Item, styles: list[str], opts: dict, hold: float) -> dict | None:
    """What a video's kept frames are made from (FrameStore's key): its source, the styles, the options."""
    return output_key(item.source, styles, {**opts, "temporal_weight": hold} if opts["method"] == "gatys" else opts)


def _check_kept_frames(videos: list[Item], styles: list[str], opts: dict, hold: float) -> None:
    """Refuse, before any work, to throw away the frames a stopped run kept for a video with other options: a rerun
    meant to go on from them, one option changed, deleted them without a word (Gatys frames take minutes each)."""
    found = []
    for item in videos:
        number, stored = kept_frames(item.output)
        key = _frames_key(item, styles, opts, hold)
        if number and stored is not None and key is not None and stored != key:
            found.append(f"{item.output.name}: {count(number, 'frame')} in {folder_for(item.output)}, made with "
                         f"{key_difference(stored, key)}")
    if found:
        raise OptionError(f"frames kept from a stopped run would be thrown away ({'; '.join(found)}); run with those "
                          "settings again to go on from them, or delete the folder (or give --overwrite, which also "
                          "makes every finished output again) to start afresh")


def _made_from(item: Item, styles: list[str], every: dict, steady: tuple[float, float], tile: int | None
               ) -> dict | None:
    """What an output is made from (made.output_key): ``every`` option, given or not, and a video's frames also by
    --temporal and --temporal-weight, a picture's by --tile."""
    if item.is_video:
        temporal, hold = steady
        return output_key(item.source, styles, {**every, "temporal": temporal, "temporal_weight": hold})
    return output_key(item.source, styles, every if tile is None else {**every, "tile": tile})


def _check_options(method: str, temporal: float, options: dict, specs: list[str],
                   said: Callable[[labels.Split], None] | None = None) -> dict:
    """Options for gatys.transfer, checked once here rather than failing once per item on the workers; ``said``
    hears what --labels were read as."""
    if options.get("seed") == -1:  # checked before the options draw one (TransferOptions: seed -1)
        raise OptionError("--seed -1 (draw a seed) is not for batch: a stopped batch goes on by making what is missing "
                          "with the same options, and a seed drawn anew would refuse what it made as made otherwise; "
                          "give a number, e.g. --seed 7")
    opts = gatys.TransferOptions().replace(method=method, **options)
    styles = len(specs)
    check_choice("--method", method, gatys.METHODS)
    if opts.upscale and opts.size is None:
        raise OptionError("--upscale enlarges the inputs smaller than --size to it, and --size is not given; "
                          "add --size or drop --upscale")
    if method == "gatys" and opts.alpha != gatys.TransferOptions.alpha and opts.init != "adain":  # init: API callers only
        raise OptionError("--alpha is the style strength of --method adain and wct, and --method is gatys; "
                          "drop --alpha (or lower --style-weight)")
    feedforward.check_alpha(opts.alpha)
    blend_weights(opts.style_blend, styles)
    gatys.check_numbers(opts)
    if method != "gatys":
        gatys.check_gatys_only(opts)
        gatys.check_masks_unblended(opts)
        need = None  # the encoder's, built only where a --size is to be checked (0.4 s)
    else:
        gatys.check_read(opts)
        need = gatys.check_layer_names(opts, styles)  # not once per item, on the workers, after the cluster started
    if opts.size is not None:
        _check_size_reachable(opts.size, *(need or _encoder_need()))
    if method == "gatys" and opts.iterations != "auto":  # 'auto' depends on the workers' CPU
        optimize.Schedule(gatys.iteration_counts(opts.iterations, 1), opts.optimizer, opts.lr, opts.history,
                          tolerance=opts.tolerance, patience=opts.patience)
    video.TemporalBlend(temporal)  # checks the weight
    if opts.style_masks:
        options = {**options, "style_masks": _check_masks(opts.style_masks, styles, masks.STYLE_MASKS)}
    if opts.style_regions or opts.labels:  # each against its style image, which is known here (an input is not)
        shapes = [tuple(images.load_input(spec, f"style image {n}").shape[-2:]) for n, spec in enumerate(specs, 1)]
    if opts.style_regions:
        options = {**options, "style_regions": _check_masks(opts.style_regions, styles, masks.STYLE_REGIONS)}
        masks.load_regions(options["style_regions"], shapes, opts.statistic if method == "gatys" else None)
    if opts.labels:
        options = {**options, "labels": _check_labels(opts, shapes, said)}
    return {"method": method, **options}


def _encoder_need() -> tuple[int, str]:
    """(smallest image side, what needs it) of the AdaIN/WCT encoder (its table, with random weights)."""
    return load_backbone("vgg19", "random").min_input_size([feedforward.LAYER]), "the AdaIN/WCT encoder needs"


def _check_size_reachable(size: int, need: int, needer: str) -> None:
    """Refuse a --size under what the network needs, which every input would fail (--size 8 failed each item on the
    workers, after the cluster started, exit 1, where transfer refuses it before any work)."""
    if size < need:
        raise OptionError(f"--size {size} makes outputs at most {size} px on the long side, but {needer} at least "
                          f"{need} px on each side: give --size {need} or more (more for pictures that are not square, "
                          "whose short side needs it)")


def _check_tile(tile: int, method: str, planned: list[Item]) -> None:
    """--tile: a Gatys run, and pictures only (a video's frames each start from the one before, whole)."""
    tiles.check_tiling(gatys.TransferOptions(method=method), tile)
    videos = [item.name for item in planned if item.is_video]
    if videos:
        raise OptionError(f"--tile makes pictures in tiles, and {', '.join(videos)} "
                          f"{'is a video' if len(videos) == 1 else 'are videos'}, whose frames are made whole; "
                          "run the videos without --tile")


def _warn_made_whole(tile: int, size: int | None, upscale: bool, planned: list[Item]) -> None:
    """Say before the work which pictures a --tile no smaller than them makes whole, with no tile (--tile 128 with
    --size 100 went on without a word; the workers keep stylegram.tiles's own warning to themselves, tasks)."""
    whole = []
    for item in planned:
        try:
            with Image.open(item.source) as header:
                own = max(header.size)
        except (OSError, ValueError):
            continue  # unreadable: its own error comes in its turn
        side = min(own, gatys.DEFAULT_SIDE) if size is None else tasks.bounded_side(size, upscale, own)
        if side <= tile:
            whole.append(item.name)
    if whole:
        warn(f"--tile {tile} is not smaller than {count(len(whole), 'picture')} at this size ({first_few(whole)}), so "
             f"{'it is' if len(whole) == 1 else 'they are'} made whole, in one run, and no tile is made: drop --tile, "
             "or ask for a larger --size (with --upscale)")


def _warn_transparency_lost(ext: str, planned: list[Item]) -> None:
    """Say before the work which pictures are transparent, which ``ext``'s format cannot keep (each was put on white
    without a word; images.save_image's own warning, once per picture, is kept to the run)."""
    clear = []
    for item in (i for i in planned if not i.is_video):
        try:
            if images.clear_part(item.source):
                clear.append(item.name)
        except StylegramError:
            continue  # unreadable: its own error comes in its turn
    if clear:
        one = len(clear) == 1
        warn(f"{count(len(clear), 'picture')} ({first_few([Path(n).name for n in clear])}) {'is' if one else 'are'} "
             f"transparent, which {ext} cannot keep, so {'its' if one else 'their'} transparent part is white in the "
             "output; give --format png or webp to keep it")


def _check_labels(opts: gatys.TransferOptions, style_shapes: list[tuple[int, int]],
                  said: Callable[[labels.Split], None] | None = None) -> str:
    """--labels as the workers can open them; the maps' colours checked here (what they were read as to ``said``),
    each input's aspect on the workers."""
    names = [n.strip() for n in opts.labels.split(",")] if isinstance(opts.labels, str) else [str(n) for n in opts.labels]
    inputs_map = images.load_input(names[0], "label map 1", labels.BACKGROUND)  # stands in for the inputs' shape
    split = gatys.split_labels(opts.replace(labels=names), tuple(inputs_map.shape[-2:]), style_shapes,
                               blend_weights(opts.style_blend, len(style_shapes)))
    if said is not None:
        said(split)
    return _resolved(names)


def _resolved(names: list[str]) -> str:
    """Comma-separated names the workers can open: existing files as absolute paths, samples as they are."""
    paths = [Path(name).expanduser() for name in names]
    return ",".join(str(path.resolve()) if path.exists() else name for name, path in zip(names, paths))


def _check_masks(spec: str | list, styles: int, kind: masks.Kind) -> str:
    """--style-masks or --style-regions (``kind``) as the workers can open them (absolute paths), each decoded once
    here; one per style."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [str(n) for n in spec]
    noun = kind.label.split()[-1]
    if len(names) != styles:
        raise OptionError(f"{kind.option} names {len(names)} {noun}{'s' * (len(names) != 1)} for {styles} "
                          f"style{'s' * (styles != 1)}; give one per --style, in the same order")
    for n, name in enumerate(names, start=1):
        images.load_input(name, f"{kind.label} {n}")
    return _resolved(names)


def _check_styles(styles) -> list[str]:
    """Style specs the workers can open: files as absolute paths, sample:NAME as is; each decoded once here."""
    styles = [styles] if isinstance(styles, (str, os.PathLike)) else list(styles)
    if not styles:
        raise OptionError("give at least one style image (--style)")
    specs = []
    images.warn_animated(styles)
    for i, spec in enumerate(styles):
        images.load_input(spec, f"style image {i + 1}")
        path = Path(spec).expanduser()
        specs.append(str(path.resolve()) if path.exists() else str(spec))
    return specs


def _run_images(client, items: list[Item], styles: list[str], opts: dict, report: Report, quiet: bool,
                skipped: int) -> None:
    threads = threads_each(client, len(items))  # fewer pictures than workers: each uses the idle cores too
    with bar(len(items) + skipped, "image", quiet, initial=skipped) as progress, \
            Running(client, progress, on=not quiet and opts["method"] == "gatys") as running:
        payloads = [(str(item.source), styles, opts, None, threads, running.reporting(k))
                    for k, item in enumerate(items)]
        for k, future in finished(client, tasks.stylize, payloads, window_for(client)):
            item = items[k]
            running.ended(k)
            try:
                answer = future.result()
                report.count_loads(answer.worker, answer.loads)
                with warnings.catch_warnings():  # said once for the batch, before the work (_warn_transparency_lost)
                    warnings.simplefilter("ignore", images.TransparencyLost)
                    images.save_image(Image.fromarray(answer.checked()), item.output,
                                      alpha=images.load_alpha(item.source))
                report.done.append(item.name)
            except Exception as err:  # one item's failure must not stop the others
                report.failed.append(Failure(item.name, one_line(err)))
            progress.update()


def _run_video(client, item: Item, styles: list[str], opts: dict, steady: tuple[float, float], report: Report,
               quiet: bool, overwrite: bool = False, on_frame: FrameHook | None = None,
               on_step: StepHook | None = None, step_pictures: float | None = None) -> None:
    """Stylize one video frame by frame into its output; the frames done are kept until it is written (FrameStore).

    ``steady``: (--temporal, the blend of each output with the previous one; --temporal-weight, Gatys frames' hold
    on it while they are optimized)."""
    temporal, hold = steady
    kept = None
    try:
        meter, steadiness, blend = video.Flicker(), flow.WarpError(), video.TemporalBlend(temporal)
        detail = video.Detail()
        key = _frames_key(item, styles, opts, hold)
        kept = FrameStore(item.output, key or {"unkeyable": True}, fresh=overwrite or key is None)
        if kept.damaged:  # said even with --quiet: frames a run had made are made again
            warn(f"{item.source.name}: {kept.damaged}, a frame kept from a stopped run in {kept.folder}; it and "
                 f"those after it are made again, the {count(kept.count, 'frame')} before it are used")
        elif kept.count and not quiet:  # the bar jumped from 0 to the frames kept without a word
            print(f"{item.source.name}: going on from the {count(kept.count, 'frame')} a stopped run kept in "
                  f"{kept.folder}", file=sys.stderr, flush=True)
        pace, written_at = FramePace(), time.monotonic()  # how long the frames made took; when the latest was written
        with video.writer(item.output, item.source) as writer, \
                bar(writer.frames or None, "frame", quiet, initial=kept.count, name=item.source.name) as progress:
            def step(number: int, record: dict) -> None:  # a Gatys frame's iterations, beside the bar's frames
                left = pace.left(record, number, writer.frames) if writer.frames else None
                whole = "" if left is None else f", ~{duration(left)} left in the video"
                progress.set_postfix_str(f"frame {number}: iteration {record['iteration']}/{record['total']}{whole}")
                if on_step is not None:
                    on_step(number, record)

            reported, style_losses = on_step is not None or not quiet, []
            frames = _gatys_frames(client, item.source, styles, opts, report, kept, hold, step if reported else None,
                                   step_pictures if on_step is not None else None, style_losses) \
                if opts["method"] == "gatys" else _parallel_frames(client, item.source, styles, opts, report, kept)
            prior = None
            for i, (source, stylized) in enumerate(frames):
                if i >= kept.count:
                    kept.add(i, stylized)
                    pace.done(time.monotonic() - written_at)
                    written_at = time.monotonic()
                motion = None if prior is None else flow.motion(prior, source, _size_of(stylized))
                out, prior = blend(stylized, motion), source
                writer.write(out)
                meter.add(source, out)
                steadiness.add(out, motion)
                detail.add(stylized, out)
                if i >= kept.count:  # a kept frame is counted from the start (the rate was theirs, read not made)
                    progress.set_postfix_str("", refresh=False)  # the next frame's iterations, when it reports them
                    progress.update()
                if on_frame is not None:
                    on_frame(i + 1, writer.frames or None, out)
        kept.remove()
        report.flicker[item.name], report.warp_error[item.name] = meter.value, steadiness.value
        report.detail[item.name] = detail.value
        fading = fading_style(style_losses) if opts["method"] == "gatys" else ""
        if fading:
            warn(f"{item.source.name}: {fading}")
        report.done.append(item.name)
    except Exception as err:
        report.failed.append(Failure(item.name, one_line(err)))
    finally:  # failed or stopped before its first frame: no empty folder left behind
        if kept is not None:
            kept.remove_if_empty()


def _kept_frames(decoded: Iterator[np.ndarray], kept: FrameStore) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(input frame, stylized frame) for the frames an earlier run finished, taken from ``decoded`` in order."""
    for i, frame in zip(range(kept.count), decoded):  # range first: the frame after the kept ones stays unread
        yield frame, kept.load(i)


def _parallel_frames(client, source: Path, styles: list[str], opts: dict, report: Report, kept: FrameStore):
    """(input frame, stylized frame) in order; frames are stylized in parallel, reordered as they finish."""
    decoded = video.frames(source)
    yield from _kept_frames(decoded, kept)
    inputs: dict[int, np.ndarray] = {}

    def payloads():
        for i, frame in enumerate(decoded):
            inputs[i] = frame
            yield frame, styles, opts

    ready: dict[int, np.ndarray] = {}
    following = 0
    for i, future in finished(client, tasks.stylize, payloads(), window_for(client)):
        answer = future.result()
        report.count_loads(answer.worker, answer.loads)
        ready[i] = answer.checked()
        while following in ready:
            yield inputs.pop(following), ready.pop(following)
            following += 1


def _gatys_frames(client, source: Path, styles: list[str], opts: dict, report: Report, kept: FrameStore,
                  hold: float = 0.0, on_step: StepHook | None = None, pictures: float | None = None,
                  style_losses: list | None = None):
    """(input frame, stylized frame) in order; each frame's optimization starts from the previous result moved on.

    The first frame runs the full coarse-to-fine schedule; later frames start at the final size and run half the
    finest scale's iterations (_warm), since most of the picture is done. Their start is the previous output moved
    along the optical flow plus what changed in the content beyond the motion: started from the previous output
    alone, a square that moved 8 px a frame stayed where it was for all 8 frames of a 20-iteration run. With
    ``hold`` they are kept near it where the flow is reliable (_warm). One frame runs at a time, so it uses every
    core of its worker (a local cluster's workers are single-threaded for pictures, which run side by side).
    With ``on_step``, each frame's iterations are reported as it runs (Steps; ``pictures``: the seconds between those
    that carry the frame so far). ``style_losses`` gets each frame's final style loss (None for a frame kept from
    before), for fading_style.
    """
    previous = start = before = None
    decoded = video.frames(source)
    number = 0
    losses = [] if style_losses is None else style_losses
    for before, previous in _kept_frames(decoded, kept):
        number += 1
        losses.append(None)
        yield before, previous
    with Steps(client, pictures) if on_step is not None else contextlib.nullcontext() as steps:
        for frame in decoded:
            number += 1
            start, frame_opts = frame_start(previous, before, frame, opts, hold)
            reported = steps.for_task(number) if steps else None
            threads = 0  # every core of its worker
            future = client.submit(tasks.stylize, frame, styles, frame_opts, start, threads, reported, pure=False)
            answer = steps.follow(future, number, on_step) if steps else future.result()
            report.count_loads(answer.worker, answer.loads)
            previous, before = answer.checked(), frame
            losses.append(answer.style)
            yield frame, previous


CUT = 0.25  # a frame whose flow from the one before is reliable on less than this share follows a scene cut


def frame_start(previous: np.ndarray | None, before: np.ndarray | None, frame: np.ndarray, opts: dict,
                hold: float = 0.0) -> tuple[np.ndarray | None, dict]:
    """A Gatys video frame's start and options: the previous output moved on, warm (_warm), or none and the whole
    schedule for the first frame and after a scene cut (the flow reliable on under CUT of the frame; measured on
    pans and moving shapes 0.78-1.00, across cuts 0.00-0.01). Warm across a cut, the frame kept a ghost of the scene
    before to the clip's end, and with the hold its all-black --init-mask failed the video."""
    if previous is None:
        return None, opts
    motion = flow.motion(before, frame, _size_of(previous))
    if float(motion.reliable.mean()) < CUT:
        return None, opts
    return moved(previous, before, frame, motion), _warm(opts, previous, motion, hold)


FADING = 2.0  # a first frame whose style loss is this many times the later frames' was still far from its style


def fading_style(losses: list[float | None]) -> str:
    """What to say when a Gatys video's first frame ended far from its style (its style loss more than FADING times
    the later frames' median): each frame goes on from the one before, so the clip fades from photo to painting,
    or the style snaps on part-way (--iterations 5,10: frames 1-3 nearly the photo, the style on from frame 4; at
    --iterations 10 and 64 px a pan's frame 8 changed as much as its first, and only a fade was said);
    '' otherwise, or when the first frame's loss is unknown (kept from before a resume)."""
    if len(losses) < 3 or losses[0] is None:
        return ""
    later = sorted(x for x in losses[len(losses) // 2:] if x is not None)
    median = later[len(later) // 2] if later else 0.0
    if not losses[0] > FADING * median > 0:
        return ""
    return (f"the first frame ended with {losses[0] / median:.0f} times the style loss of the later "
            "frames, which each went on from the one before: the video grows more stylized as it plays, gradually "
            "or in a jump part-way; give more --iterations (the default, auto, settles the first frame)")


def moved(output: np.ndarray, before: np.ndarray, now: np.ndarray, motion: flow.Motion | None = None) -> np.ndarray:
    """``output`` (stylized from the frame ``before``) plus the change from ``before`` to ``now``, at the output's size;
    with the ``motion`` from ``before`` to ``now`` (at that size), ``output`` and ``before`` first moved along it, so
    that what moved is carried to where it went and the change is what the motion does not explain."""
    before, now = (flow.at_size(f, _size_of(output)) for f in (before, now))
    if motion is not None:  # what entered the frame starts as the style looked nearby (mirrored), not streaks
        output, before = flow.warp(output, motion.flow, mirrored=True), flow.warp(before, motion.flow, mirrored=True)
    change = now.astype(np.int16) - before.astype(np.int16)
    return (output.astype(np.int16) + change).clip(0, 255).astype(np.uint8)


def _size_of(image: np.ndarray) -> tuple[int, int]:
    """(W, H) of an H x W x 3 image, as PIL and the flow take sizes."""
    return image.shape[1], image.shape[0]


TEMPORAL_BLEND = 0.3  # --temporal's default for adain and wct videos: each frame blended with the last one moved on
WARM_SHARE = 0.5  # of the finest scale's iterations, for a frame that starts from the previous one moved along the flow
TEMPORAL_WEIGHT = 10.0  # --temporal-weight's default: a warm Gatys frame's hold on the previous output (see _warm)


def _warm(opts: dict, previous: np.ndarray, motion: flow.Motion | None = None, hold: float = 0.0) -> dict:
    """Options for a warm-started frame: one scale at the output size, half the finest scale's iterations, and with
    ``hold`` > 0 its --init-weight: kept near its start (the previous output moved along the ``motion``) where the
    flow is reliable (Ruder et al. 2016's temporal consistency term).

    Started from the previous output moved along the flow, most of the picture is done: on benchmarks/
    video_temporal.py's clip, half the iterations (90 of 180) took half the time, left the style loss 6 % and the
    content loss 1.5 % higher (no difference to see) and the change beyond the motion 21 % lower.
    """
    iterations = max(1, round(finest_iterations(opts) * WARM_SHARE))
    warm = {**opts, "min_size": max(previous.shape[:2]), "iterations": str(iterations)}
    if hold and motion is not None:
        reliable = np.repeat((motion.reliable[..., None] * 255).astype(np.uint8), 3, axis=-1)
        warm.update(init_weight=hold, init_mask=reliable)
    return warm


def default_blend(method: str) -> float:
    """--temporal's default: TEMPORAL_BLEND for the one-pass methods; 0 for Gatys, whose frames are held instead
    (--temporal-weight)."""
    return TEMPORAL_BLEND if method != "gatys" else 0.0


def _check_hold(method: str, weight: float | None) -> float:
    """--temporal-weight, checked: Gatys frames' hold on the previous output (TEMPORAL_WEIGHT when not given)."""
    if weight is None:
        return TEMPORAL_WEIGHT if method == "gatys" else 0.0
    check_number("--temporal-weight", weight)
    if method != "gatys":
        raise OptionError(f"--temporal-weight keeps Gatys frames near the previous output while they are optimized, "
                          f"and --method {method} makes one pass; drop it (--temporal blends any method's frames)")
    return weight


def finest_iterations(opts: dict) -> int:
    """The finest scale's iteration count of a batch's Gatys options ("auto" as it resolves on this machine; a
    remote worker's CPU may resolve it otherwise)."""
    spec = str(opts.get("iterations", gatys.TransferOptions.iterations))
    if spec == "auto":
        spec = gatys.default_iterations(opts.get("precision", gatys.TransferOptions.precision))
    return int(spec.split(",")[-1])
