"""Style transfer larger than memory allows: a whole picture at the tile size, then finer levels refined tile by tile.

The run at ``tile`` px (the usual coarse-to-fine schedule) fixes the picture's layout. Each finer level (twice the
size, up to the one asked for) starts from the level below, enlarged, and refines it in overlapping tiles: every tile is
a short Gatys run of its own (the same loop, options and style targets), started from its part of the enlarged picture
and held to its part of the content and, averaged over blocks of HOLD_POOL px, to its start: the layout stays and
the tile adds detail finer than the blocks. The tiles are blended across their overlaps with linear ramps, so no seam
shows. The style images stay at the size the first run used them at, so each level adds brush work at the style's own
scale rather than enlarging the strokes: the detail a print needs. Memory is bounded by the tile, not by the output.

What places styles in the picture (--style-masks, --labels) is read once over the whole content and cut to each tile
(Places): a tile's job gets its part of every mask, a style with no part in the tile is left out of it, and the style
weight is scaled so that each style paints as strongly as it does in one run. --init-weight and --init-mask act in
the first run, which fixes the layout that every tile is then held to.

A run of many tiles keeps its place (TiledState: the level below and the sums of the tiles done, a checkpoint), and
one started from it goes on with the next tile and ends with the same picture as a run never stopped.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from . import gatys, images, labels, masks, optimize
from .backbones import Backbone
from .errors import OptionError, StylegramWarning, warn
from .images import ImageLike
from .job import Result
from .losses import blend_weights, layer_groups

TILE_ITERATIONS = 40  # each tile's iterations: it starts from a picture that is already painted
# Each tile is held to its start (the level below, enlarged) averaged over HOLD_POOL px blocks, at weight HOLD_WEIGHT:
# the layout stays and only finer detail is added. Without it every level repainted the style at its own scale over
# the last: chelsea with swirls at 1536 px from 192 px tiles (three levels) came out as swirls of every size with the
# cat barely there; with it (4, 100) the cat is as clear as at 192 px and the swirls are sharp (BENCHMARKS.md).
HOLD_POOL, HOLD_WEIGHT = 4, 100.0
MIN_TILE = 128
KIND = "transfer in tiles"  # what a tiled run's checkpoint says it is (a plain transfer's holds an optimizer State)


@dataclass
class TiledState:
    """Where a tiled run stands, enough to go on from there: the picture of the last level finished (``level`` 0: the
    first, whole run), the first run's loss history, and of the level being made, the tiles done (in order) and the
    sums of their feathered pictures and weights, full size (``total``, ``weight``).

    Stopped in its first run, the run has no level finished: ``first`` holds that run's optimizer state as a plain
    checkpoint does (optimize.State's fields and the torch RNG), and ``image`` is None."""

    level: int
    image: torch.Tensor | None
    history: list
    tiles_done: int = 0
    total: torch.Tensor | None = None
    weight: torch.Tensor | None = None
    first: dict | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # digests of the whole content, styles and masks
    seconds: float = 0.0  # the run's time until it was heard, every session of it (checkpoints before it: 0)

    @classmethod
    def in_first_run(cls, state: optimize.State) -> TiledState:
        """Where a run stands that is still in its first, whole run."""
        return cls(0, None, list(state.history), first=dict(state.__dict__))

    def first_state(self) -> optimize.State:
        """The first run's optimizer state (``first`` given)."""
        fields = dict(self.first)
        fields.pop("torch_rng", None)  # older checkpoints set torch's global generator, which no step draws from
        return optimize.State(**fields)

    def picture(self) -> torch.Tensor | None:
        """The picture as it stands: the tiles done blended over the level below, enlarged; None in the first run."""
        if self.image is None or self.total is None:
            return self.image
        start = enlarged(self.image, tuple(self.total.shape[-2:]))
        return blended(self.total, self.weight, start)

    def save(self, path: str | os.PathLike, options: dict, tile: int) -> None:
        """Write it as a checkpoint, atomically, with the run's options and tile size."""
        optimize.write_checkpoint(path, {"kind": KIND, "tile": tile, "options": options, **self.__dict__})

    @classmethod
    def load(cls, path: str | os.PathLike) -> tuple[TiledState, gatys.TransferOptions, int]:
        """A checkpoint read back: the state, the run's options and its tile size; one of a run not in tiles named."""
        payload = optimize.read_checkpoint(path)
        if payload.get("kind") != KIND:
            raise OptionError(f"checkpoint {path} was not written by a run in tiles; resume it without --tile")
        options = gatys.TransferOptions.restore(payload.pop("options", {}), path)
        try:
            tile = int(payload.pop("tile"))
            payload.pop("kind")
            return cls(**payload), options, tile
        except (KeyError, TypeError, ValueError):
            raise OptionError(f"checkpoint {path} could not be read: a run in tiles wrote it, but parts of it are "
                              "missing; start without --resume") from None


@dataclass(frozen=True)
class TileStep:
    """Where a tiled run is: a tile of a level done (``tile`` from 1 of ``tiles``) at ``size`` (H, W); ``done`` of
    ``count``: the tiles done of all the levels'; ``seconds`` since the run began, ``estimated_left`` till its end."""

    level: int
    levels: int
    tile: int
    tiles: int
    size: tuple[int, int]
    seconds: float
    done: int = 0
    count: int = 0
    estimated_left: float = 0.0


def boxes(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) of tiles of ``tile`` px along ``length`` px, each overlapping the next by at least ``overlap``
    (and at most ``tile`` - ``overlap``: the tiles are spread evenly)."""
    if length <= tile:
        return [(0, length)]
    count = -(-(length - overlap) // (tile - overlap))
    step = (length - tile) / (count - 1)
    return [(round(i * step), round(i * step) + tile) for i in range(count)]


def feather(length: int, before: bool, after: bool, overlap: int) -> torch.Tensor:
    """A tile's weights along one side: rising over its first ``overlap`` px where a tile lies ``before`` it,
    falling over its last where one lies ``after``, 1 elsewhere (never 0, so every pixel has weight)."""
    weights = torch.ones(length)
    ramp = torch.linspace(0, 1, overlap + 2)[1:-1]
    if before:
        weights[:overlap] = ramp
    if after:
        weights[length - overlap:] = torch.minimum(weights[length - overlap:], ramp.flip(0))
    return weights


def levels(base: int, size: int) -> list[int]:
    """The long sides of the tiled levels: doubling from ``base`` until ``size``, which is the last."""
    sides = []
    side = base
    while side < size:
        side = min(size, side * 2)
        sides.append(side)
    return sides


def level_boxes(shape: tuple[int, int], tile: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The rows and the columns of tiles (boxes) of a level of ``shape`` (H, W), tiles of ``tile`` px."""
    return boxes(shape[0], tile, overlap_of(tile)), boxes(shape[1], tile, overlap_of(tile))


def overlap_of(tile: int) -> int:
    """How far neighbouring tiles of ``tile`` px overlap at least, blended across it: an eighth, at most 64 px."""
    return min(64, tile // 8)


def tile_counts(shape: tuple[int, int], sides: Sequence[int], tile: int) -> list[int]:
    """How many tiles each level of ``sides`` (long sides) has, for a content of ``shape`` (H, W)."""
    counts = []
    for side in sides:
        rows, columns = level_boxes(optimize.fit_long_side(shape, side), tile)
        counts.append(len(rows) * len(columns))
    return counts


def tiles_cost(shape: tuple[int, int], sides: Sequence[int], tile: int) -> int:
    """What all the tiles of the levels ``sides`` cost, in iteration_cost (each TILE_ITERATIONS iterations), for a
    content of ``shape`` (H, W)."""
    cost = 0
    for side in sides:
        rows, columns = level_boxes(optimize.fit_long_side(shape, side), tile)
        cost += sum(optimize.iteration_cost((bottom - top, right - left)) for top, bottom in rows
                    for left, right in columns)
    return cost * TILE_ITERATIONS


def check_tiling(opts: gatys.TransferOptions, tile: int) -> None:
    """Refuse what a tiled run cannot do, before any work."""
    if opts.method != "gatys":
        raise OptionError(f"--tile refines a Gatys run tile by tile, and --method is {opts.method}, which makes one "
                          "pass; drop --tile")
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < MIN_TILE:
        raise OptionError(f"--tile must be a whole number of pixels, at least {MIN_TILE}, got {tile}")


class MadeWhole(StylegramWarning):
    """A --tile no smaller than the picture: it is made in one run, with no tile (a batch says so once, before)."""


@dataclass(frozen=True)
class Places:
    """What places styles in the picture, read once over the whole content and cut to each tile.

    One entry per style, or with --labels per label colour and style image that has it (stylegram.labels): its style
    image, its mask over the content (None without masks), the part of its style image it lends, its blend weight and
    its layers.
    """

    styles: list[int]
    masks: list[torch.Tensor] | None
    regions: list[torch.Tensor] | None
    blend: list[float]
    groups: list[dict[str, float]]
    labels: labels.Split | None = None  # what --labels were read as, for the line before the work

    def at(self, shape: tuple[int, int]) -> Places:
        """The masks scaled to a level of ``shape`` (H, W)."""
        def scaled(mask: torch.Tensor) -> torch.Tensor:
            return optimize.resize(mask, shape).clamp(0, 1)
        return Places(self.styles, None if self.masks is None else [scaled(m) for m in self.masks], self.regions,
                      self.blend, self.groups)


def places(content: torch.Tensor, styles: list[torch.Tensor], opts: gatys.TransferOptions) -> Places:
    """The Places of a run's options over ``content``: the masks and label maps read and checked as one run reads them."""
    shape, shapes = tuple(content.shape[-2:]), [tuple(s.shape[-2:]) for s in styles]
    blend, groups = blend_weights(opts.style_blend, len(styles)), layer_groups(gatys.style_layers(opts), len(styles))
    split = gatys.split_labels(opts, shape, shapes, blend)
    if split is not None:
        return Places(split.styles, split.masks, split.regions, split.blend, [groups[n] for n in split.styles], split)
    return Places(list(range(len(styles))), masks.load_masks(opts.style_masks, len(styles), shape, opts.statistic),
                  masks.load_regions(opts.style_regions, shapes, opts.statistic), blend, groups)


def cut(where: Places, styles: list[torch.Tensor], opts: gatys.TransferOptions, box: tuple[int, int, int, int]
        ) -> tuple[list[torch.Tensor], gatys.TransferOptions] | None:
    """The style images and options of the tile ``box`` (top, bottom, left, right) of a level ``where`` is scaled to:
    every mask cut to the tile, the styles with no part in it left out, and the style weight scaled so that each style
    left weighs what it weighs in the whole picture: its mask's part brightened to the whole mask's strength (a
    tile on the grey edge of a soft mask would weigh it less, masks.strength; the statistics over it are the same, a
    masked Gram matrix being the same for a mask times any number). With none left, the tile keeps to its content alone (None when
    the content has no weight either: the tile has nothing to do)."""
    top, bottom, left, right = box

    def part(mask: torch.Tensor) -> torch.Tensor:
        return mask[..., top:bottom, left:right].clone()  # its own: a view would carry the level's whole mask along

    def as_strong(mask: torch.Tensor) -> torch.Tensor:
        own = part(mask)
        return own * (masks.strength(mask) / max(masks.strength(own), 1e-12))

    changes: dict = {"labels": None, "style_masks": None}
    if where.masks is None:
        return styles, opts.replace(**changes)
    inside = [n for n, mask in enumerate(where.masks)
              if where.blend[n] > 0 and float(part(mask).max()) >= masks.VISIBLE]
    if not inside:
        if not opts.content_weight:
            return None
        return styles[:1], opts.replace(**changes, style_weight=0.0, style_regions=None, style_blend=None,
                                        style_layers=_spelled([where.groups[0]]))
    share = sum(where.blend[n] for n in inside)  # each entry weighs blend x entries (masks.style_terms)
    changes.update(style_masks=[as_strong(where.masks[n]) for n in inside],
                   style_regions=None if where.regions is None else [where.regions[n] for n in inside],
                   style_blend=",".join(repr(where.blend[n]) for n in inside) if len(inside) > 1 else None,
                   style_layers=_spelled([where.groups[n] for n in inside]),
                   style_weight=opts.style_weight * len(where.masks) * share / len(inside))
    return [styles[where.styles[n]] for n in inside], opts.replace(**changes)


def _spelled(groups: list[dict[str, float]]) -> str:
    """Layer groups as --style-layers spells them, one per style split by '/' (one group alone when all are alike)."""
    spelled = [",".join(f"{layer}:{weight!r}" for layer, weight in group.items()) for group in groups]
    return spelled[0] if len(set(spelled)) == 1 else "/".join(spelled)


def transfer_tiled(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: gatys.TransferOptions | None = None,
    *,
    tile: int = 512,
    model: Backbone | None = None,
    on_step: Callable[[TileStep], None] | None = None,
    on_first: Callable[[optimize.Progress], None] | None = None,
    on_state: Callable[[TiledState], None] | None = None,
    state: TiledState | None = None,
    stop: Callable[[], bool] | None = None,
    maker: TileMaker | None = None,
    on_labels: Callable[[labels.Split], None] | None = None,
    **changes,
) -> Result:
    """A Gatys transfer at ``size`` made in tiles of ``tile`` px (see the module); ``on_first`` hears of every iteration
    of the first, whole run, ``on_step`` of every tile done after it, and ``stop`` returning True ends the run after the
    iteration or tile being made, the picture so far in the Result.

    ``on_state`` hears where the run stands (TiledState) after the first run and after every tile, for a checkpoint;
    ``state``, one heard so, makes the run go on from there (the options and tile it was made with). ``maker``: what
    makes each level's tiles (TileMaker; default: this process, one after another; stylegram.batch.tiles.made_on a
    Dask cluster, side by side). ``on_labels`` hears what --labels were read as over the whole content, before any
    work. The options' iterations are the first run's; each tile runs TILE_ITERATIONS (40) from a picture already
    painted. The Result's history is the first run's, and its ``tiles`` the tiles refined after it."""
    opts = gatys.TransferOptions.given(options, **changes)
    check_tiling(opts, tile)
    start = time.perf_counter()
    regions = state is not None or opts.style_regions is not None  # no transparency warning then
    whole, styles = gatys._load_inputs(content, styles, gatys.read_side(opts.size), opts.style_scale,
                                       regions=regions)  # read once, not once per tile
    size = gatys._output_side(whole, opts)
    if size <= tile and state is None:  # it said "whole picture at 512 px: 0 tiles" and "in tiles of 512 px"
        warn(f"--tile {tile} is not smaller than the picture ({size} px on its long side), so it is made whole, in one "
             "run, and no tile is made: drop --tile, or ask for a larger --size (--upscale for a small content)",
             MadeWhole)
    model = model or gatys.load_model(opts)
    base = min(size, tile)
    where = places(whole, styles, opts)  # the masks and maps read and checked before any work
    if on_labels is not None and where.labels is not None:
        on_labels(where.labels)
    steps = levels(base, size)
    inputs = optimize.digests(gatys.named_inputs(whole, styles, where.masks, where.regions))  # masks: whole content's
    if state is not None:  # a checkpoint's picture from other images would be carried on, or fail to fit
        optimize.check_digests(state.inputs, inputs)
    earlier = state.seconds if state is not None else 0.0  # a resumed run's time before this session
    if on_state is not None:
        on_state = _recording(on_state, inputs, lambda: earlier + time.perf_counter() - start)
    if state is None or state.first is not None:
        going = None if state is None else state.first_state()
        final = optimize.fit_long_side(tuple(whole.shape[-2:]), size)
        largest = (min(tile, final[0]), min(tile, final[1])) if size > tile else None  # checked before the first run
        later = tiles_cost(tuple(whole.shape[-2:]), steps, tile)
        image, history = _first_run(whole, styles, opts.replace(size=base, upscale=True), model, on_first, stop,
                                    on_state, going, largest, later)
        if on_state is not None and not (stop is not None and stop()):  # stopped: the first run's state was heard
            on_state(TiledState(0, image, history))
    else:
        _check_state(state, whole, base, steps)
        image, history = state.image, state.history
    first = optimize.fit_long_side(tuple(whole.shape[-2:]), base)
    style_side = optimize.style_side(first, opts.style_scale)  # the styles stay at the first run's size
    tally = _Tally(tile_counts(tuple(whole.shape[-2:]), steps, tile), state)
    for number, side in enumerate(steps, 1):
        if state is not None and number <= state.level:
            continue  # made before the checkpoint
        if stop is not None and stop():
            break
        shape = optimize.fit_long_side(tuple(whole.shape[-2:]), side)
        below = image
        start_image = enlarged(below, shape)
        going_on = state if state is not None and number == state.level + 1 and state.tiles_done else None

        def done(tile_done: int, count: int, total: torch.Tensor, weight: torch.Tensor) -> None:
            tally.reached(number, tile_done)
            if on_state is not None:
                on_state(TiledState(number - 1, below, history, tile_done, total, weight))
            if on_step is not None:
                on_step(tally.step(number, tile_done, count, shape, time.perf_counter() - start))
        image = _refine(images.resize_tensor(whole, shape), styles, where.at(shape), start_image, opts,
                        maker or made_here(model), tile, style_side, done, stop, going_on)
        if on_state is not None and not (stop is not None and stop()):
            on_state(TiledState(number, image, history))
    alpha = images.load_alpha(content)
    return Result(image, history, opts.replace(size=size), earlier + time.perf_counter() - start, alpha,
                  tiles=tally.made)


def _recording(on_state: Callable[[TiledState], None], inputs: dict[str, str],
               clock: Callable[[], float]) -> Callable[[TiledState], None]:
    """``on_state`` hearing each TiledState with the digests of the run's ``inputs`` and its time (``clock``)."""
    def heard(state: TiledState) -> None:
        on_state(dataclasses.replace(state, inputs=inputs, seconds=clock()))
    return heard


class _Tally:
    """The tiles of every level (``counts``), and the pace of those made in this run (after a checkpoint's ``state``):
    a TileStep's count of tiles and time left."""

    def __init__(self, counts: list[int], state: TiledState | None) -> None:
        self.counts, self.began = counts, time.perf_counter()
        self.before = sum(counts[:state.level]) + state.tiles_done if state is not None else 0
        self.made = self.before  # tiles made so far, those before a checkpoint counted (the Result's ``tiles``)

    def reached(self, level: int, tile: int) -> None:
        """Tile ``tile`` of ``level`` (from 1) is done."""
        self.made = sum(self.counts[:level - 1]) + tile

    def step(self, level: int, tile: int, tiles: int, size: tuple[int, int], seconds: float) -> TileStep:
        """Tile ``tile`` of ``tiles`` of ``level`` (from 1), the one ``reached`` last."""
        done, count = self.made, sum(self.counts)
        pace = (time.perf_counter() - self.began) / max(done - self.before, 1)
        return TileStep(level, len(self.counts), tile, tiles, size, seconds, done, count, pace * (count - done))


def _first_run(whole: torch.Tensor, styles: list[torch.Tensor], opts: gatys.TransferOptions, model: Backbone,
               on_first: Callable[[optimize.Progress], None] | None, stop: Callable[[], bool] | None,
               on_state: Callable[[TiledState], None] | None, state: optimize.State | None,
               largest: tuple[int, int] | None = None, later: int = 0) -> tuple[torch.Tensor, list]:
    """The whole picture at the tile size, the usual schedule (going on from ``state`` if given): its image and loss
    history. ``on_state`` hears where it stands after every iteration, ``on_first`` each Progress with the time the
    tiles (``later``: their iteration_cost in all) will take in its time left; ``largest``: the largest tile (H, W)
    to come, whose memory is checked before this run (it failed after it, the whole first picture lost)."""
    first = gatys.prepare(whole, styles, opts, model=model, state=state, tile=largest)
    own = sum(optimize.iteration_cost(size) * n for size, n in zip(first.problem.sizes(), first.schedule.iterations))
    for progress in first:
        if on_first is not None:  # the tiles at the first run's pace (it said "0.0 s left" before minutes of tiles)
            pace = (progress.elapsed + progress.estimated_left) / max(own, 1)
            on_first(dataclasses.replace(progress, estimated_left=progress.estimated_left + pace * later))
        if on_state is not None:
            on_state(TiledState.in_first_run(first.state))
        if stop is not None and stop():
            break
    made = first.result(so_far=True)  # stopped, the picture so far is the one wanted
    return made.image, list(made.history)


def _check_state(state: TiledState, whole: torch.Tensor, base: int, steps: list[int]) -> None:
    """A checkpoint that fits this content and size: its picture the size its level has here."""
    sides = [base, *steps]
    expected = optimize.fit_long_side(tuple(whole.shape[-2:]), sides[state.level]) if state.level < len(sides) else None
    if expected is None or tuple(state.image.shape[-2:]) != tuple(expected):
        raise OptionError("the checkpoint was made from another content image (or another --size); resume with the "
                          "inputs it was made with, or start without --resume")


def _refine(content: torch.Tensor, styles: list[torch.Tensor], where: Places, start: torch.Tensor,
            opts: gatys.TransferOptions, maker: TileMaker, tile: int, style_side: int,
            done: Callable[[int, int, torch.Tensor, torch.Tensor], None], stop: Callable[[], bool] | None,
            going_on: TiledState | None = None) -> torch.Tensor:
    """One level: every tile of ``start`` refined against its part of ``content`` (by ``maker``), blended across the
    overlaps in order; tiles not reached when ``stop`` says so keep ``start``. ``going_on``: the tiles done before,
    with their sums."""
    height, width = content.shape[-2:]
    overlap = overlap_of(tile)
    rows, columns = level_boxes((height, width), tile)
    total = going_on.total.clone() if going_on is not None else torch.zeros_like(start)
    weight = going_on.weight.clone() if going_on is not None else torch.zeros(1, 1, height, width)
    placed = [(r, c) for r in rows for c in columns]
    first = going_on.tiles_done if going_on is not None else 0
    works = ((n, tile_work(content, styles, where, start, opts, style_side, (*placed[n][0], *placed[n][1])))
             for n in range(first, len(placed)))
    for n, made in maker(works, stop):
        (top, bottom), (left, right) = placed[n]
        i, j = n // len(columns), n % len(columns)
        w = (feather(bottom - top, i > 0, i < len(rows) - 1, overlap)[:, None]
             * feather(right - left, j > 0, j < len(columns) - 1, overlap)[None])
        total[..., top:bottom, left:right] += made * w
        weight[..., top:bottom, left:right] += w
        done(n + 1, len(placed), total, weight)
    return blended(total, weight, start)


def enlarged(below: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """The level below at the size (H, W) of the next: where its tiles start."""
    return F.interpolate(below, size=shape, mode="bicubic", align_corners=False).clamp(0, 1)


def blended(total: torch.Tensor, weight: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """A level's tiles blended across their overlaps (sums of feathered tiles and of their weights); ``start`` where
    no tile has been made."""
    return torch.where(weight > 0, total / weight.clamp(min=1e-8), start).clamp(0, 1)


@dataclass
class TileWork:
    """One tile's short Gatys run with all it needs cut out of the level, to make here or on a Dask worker: its part
    of the content, its styles, and its options (its start, the hold on it, its masks); no options: a tile with
    nothing to do, which keeps its ``start``."""

    content: torch.Tensor
    styles: list[torch.Tensor]
    options: gatys.TransferOptions | None
    start: torch.Tensor

    def make(self, model: Backbone, stop: Callable[[], bool] | None = None) -> torch.Tensor | None:
        """The tile refined with ``model``; None when ``stop`` says so before it is done (Ctrl-C does not wait for a
        tile's last iterations: a resumed run makes the tile again)."""
        if self.options is None:
            return self.start
        job = gatys.prepare(self.content, self.styles, self.options, model=model, kept_pool=HOLD_POOL)
        for _ in job:
            if stop is not None and stop():
                return None
        return job.result().image


def tile_work(content: torch.Tensor, styles: list[torch.Tensor], where: Places, start: torch.Tensor,
              opts: gatys.TransferOptions, style_side: int, box: tuple[int, int, int, int]) -> TileWork:
    """The tile ``box`` (top, bottom, left, right) of a level: a short Gatys run from its part of ``start``, held to
    its part of ``content``, with the masks cut to it (cut)."""
    top, bottom, left, right = box
    # copies of their own: a view would carry the whole level along to a worker (stylegram.batch.tiles)
    part, begun = content[..., top:bottom, left:right].clone(), start[..., top:bottom, left:right].clone()
    given = cut(where, styles, opts, box)
    if given is None:
        return TileWork(part, [], None, begun)
    its_styles, its_opts = given
    side = max(bottom - top, right - left)  # the styles at the first run's size: style_side, whatever the tile's shape
    return TileWork(part, its_styles, its_opts.replace(
        size=side, min_size=side, iterations=str(TILE_ITERATIONS), init=begun, init_weight=HOLD_WEIGHT, init_mask=None,
        alpha=gatys.TransferOptions.alpha, style_scale=style_side / optimize.style_reference((bottom - top, right - left)),
        upscale=True), begun)


# What makes a level's tiles: given (number, TileWork) in order and the stop, (number, picture) in the same order,
# none after the stop says so. made_here makes them one after another; stylegram.batch.tiles on a Dask cluster.
TileMaker = Callable[[Iterator[tuple[int, TileWork]], "Callable[[], bool] | None"], Iterator[tuple[int, torch.Tensor]]]


def made_here(model: Backbone) -> TileMaker:
    """The TileMaker that makes the tiles in this process, one after another."""
    def make(works: Iterator[tuple[int, TileWork]], stop: Callable[[], bool] | None
             ) -> Iterator[tuple[int, torch.Tensor]]:
        for n, work in works:
            made = None if stop is not None and stop() else work.make(model, stop)
            if made is None:
                return
            yield n, made
    return make
