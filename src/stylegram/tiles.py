"""Style transfer larger than memory allows: a whole picture at the tile size, then finer levels refined tile by tile.

The run at ``tile`` px (the usual coarse-to-fine schedule) fixes the picture's layout. Each finer level (twice the
size, up to the one asked for) starts from the level below, enlarged, and refines it in overlapping tiles: every tile is
a short Gatys run of its own (the same loop, options and style targets), started from its part of the enlarged picture
and held to its part of the content; the tiles are blended across their overlaps with linear ramps, so no seam shows.
The style images stay at the size the first run used them at, so each level adds brush work at the style's own scale
rather than enlarging the strokes: the detail a print needs. Memory is bounded by the tile, not by the output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from . import gatys, images, optimize
from .backbones import Backbone, load_backbone
from .errors import OptionError
from .images import ImageLike
from .job import Result
from .options import flag

TILE_ITERATIONS = 40  # each tile's iterations: it starts from a picture that is already painted
MIN_TILE = 128
UNTILED = ("style_masks", "style_regions", "labels", "init_mask")  # options that name places in the whole picture


@dataclass(frozen=True)
class TileStep:
    """Where a tiled run is: a tile of a level done (``tile`` from 1 of ``tiles``) at ``size`` (H, W)."""

    level: int
    levels: int
    tile: int
    tiles: int
    size: tuple[int, int]
    seconds: float


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


def check_tiling(opts: gatys.TransferOptions, tile: int) -> None:
    """Refuse what a tiled run cannot do, before any work."""
    if opts.method != "gatys":
        raise OptionError(f"--tile refines a Gatys run tile by tile, and --method is {opts.method}, which makes one "
                          "pass; drop --tile")
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < MIN_TILE:
        raise OptionError(f"--tile must be a whole number of pixels, at least {MIN_TILE}, got {tile}")
    given = [flag(name) for name in UNTILED if getattr(opts, name) is not None]
    if given:
        raise OptionError(f"{', '.join(given)} with --tile: a tiled run does not take options that place things in "
                          "the picture yet; drop --tile (and a smaller --size) or drop them")


def transfer_tiled(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: gatys.TransferOptions | None = None,
    *,
    tile: int = 512,
    model: Backbone | None = None,
    on_step: Callable[[TileStep], None] | None = None,
    on_first: Callable[[optimize.Progress], None] | None = None,
    stop: Callable[[], bool] | None = None,
    **changes,
) -> Result:
    """A Gatys transfer at ``size`` made in tiles of ``tile`` px (see the module); ``on_first`` hears of every iteration
    of the first, whole run, ``on_step`` of every tile done after it, and ``stop`` returning True ends the run after the
    iteration or tile being made, the picture so far in the Result."""
    opts = gatys.TransferOptions.given(options, **changes)
    check_tiling(opts, tile)
    start = time.perf_counter()
    whole, styles = gatys._load_inputs(content, styles)  # read once, not once per tile
    size = gatys._output_side(whole, opts)
    model = model or load_backbone(opts.backbone, opts.weights, **gatys.backbone_options(opts))
    base = min(size, tile)
    first = gatys.prepare(whole, styles, opts.replace(size=base, upscale=True), model=model)
    for progress in first:
        if on_first is not None:
            on_first(progress)
        if stop is not None and stop():
            break
    image, history = first.result().image, list(first.result().history)
    style_side = max(1, round(base * opts.style_scale))  # the styles stay at the first run's size
    steps = levels(base, size)
    for number, side in enumerate(steps, 1):
        if stop is not None and stop():
            break
        shape = optimize.fit_long_side(tuple(whole.shape[-2:]), side)
        start_image = F.interpolate(image, size=shape, mode="bicubic", align_corners=False).clamp(0, 1)
        image = _refine(images.resize_tensor(whole, shape), styles, start_image, opts, model, tile, style_side,
                        lambda done, count: on_step and on_step(TileStep(number, len(steps), done, count, shape,
                                                                         time.perf_counter() - start)), stop)
    alpha = images.load_alpha(content)
    return Result(image, history, opts.replace(size=size), time.perf_counter() - start, alpha)


def _refine(content: torch.Tensor, styles, start: torch.Tensor, opts: gatys.TransferOptions, model: Backbone,
            tile: int, style_side: int, done: Callable[[int, int], None], stop: Callable[[], bool] | None
            ) -> torch.Tensor:
    """One level: every tile of ``start`` refined against its part of ``content``, blended across the overlaps; tiles
    not reached when ``stop`` says so keep ``start``."""
    height, width = content.shape[-2:]
    overlap = min(64, tile // 8)
    rows, columns = boxes(height, tile, overlap), boxes(width, tile, overlap)
    total = torch.zeros_like(start)
    weight = torch.zeros(1, 1, height, width)
    count = len(rows) * len(columns)
    for n, ((top, bottom), (left, right)) in enumerate((r, c) for r in rows for c in columns):
        if stop is not None and stop():
            break
        side = max(bottom - top, right - left)
        part = gatys.prepare(content[..., top:bottom, left:right], styles, opts.replace(
            size=side, min_size=side, iterations=str(TILE_ITERATIONS), init=start[..., top:bottom, left:right],
            alpha=gatys.TransferOptions.alpha, style_scale=style_side / side, upscale=True), model=model)
        for _ in part:
            pass
        i, j = n // len(columns), n % len(columns)
        w = (feather(bottom - top, i > 0, i < len(rows) - 1, overlap)[:, None]
             * feather(right - left, j > 0, j < len(columns) - 1, overlap)[None])
        total[..., top:bottom, left:right] += part.result().image * w
        weight[..., top:bottom, left:right] += w
        done(n + 1, count)
    return torch.where(weight > 0, total / weight.clamp(min=1e-8), start).clamp(0, 1)
