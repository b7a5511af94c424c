"""Estimate peak memory of an image-space optimization, or of a feed-forward pass, before starting it."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

from .backbones import Backbone
from .errors import OptionError, check_number

BYTES = 4  # float32
# Autograd keeps roughly each layer's input and output plus gradients of the same size: a float per map value
# times this, for a statistic that has not been measured (statistics.activation_factor has the measured ones).
ACTIVATION_FACTOR = 3.0
OVERHEAD = 400 * 2**20  # the interpreter, torch, the weights
SMALLEST = 32  # px: below this long side no network's deeper layers have anything to see
# An AdaIN/WCT pass (no autograd) per pixel: decoding holds 128- and 64-channel maps at full size (measured
# 1650-1810 B per content pixel, 0.7-6 Mpx, both methods); encoding a style to relu4_1 1060 B per style pixel.
# Measured in float32; a bfloat16 pass holds less, so the estimate errs on the safe side there.
DECODE_BYTES = 1900
ENCODE_BYTES = 1100
# A style image's (texture example's) targets: a forward pass without gradients and each layer's statistic, measured
# at 1.0-1.05x forward_bytes for gram, mmd, w2, meanstd and mrf, 1.2x for histogram's sort (1-4 Mpx, 2026-12-06);
# the estimate of an optimization's pass (``estimate``) had them 7x too large, and refused a 2048 px style that fit.
TARGETS_MARGIN = 1.25
# Pairing patches (explain's and matches' coherence) unfolds the style's map into every 3x3 patch: the unfolded
# copy, its float copy, the patches by offset and as unit-length filters. A 10 px texture measured at --size 64
# enlarged its 512 px example with it to 3277 px, and the pairing took the machine's 23 GB before the kernel killed it.
PATCH_COPIES = 4


def available_memory() -> int:
    """Bytes the system can still give us (MemAvailable), or 8 GiB when that is unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def positions(stride: int, size: tuple[int, int]) -> int:
    """How many positions a map of this stride has for an input of ``size`` (H, W)."""
    return math.ceil(size[0] / stride) * math.ceil(size[1] / stride)


def estimate(backbone: Backbone, layers: list[str], size: tuple[int, int], history: int = 100, extra: int = 0,
             factor: float = ACTIVATION_FACTOR) -> int:
    """Peak bytes for one forward+backward pass at ``size`` (H, W) plus an L-BFGS history of images, plus ``extra``
    bytes that the loss terms hold (stylegram.statistics.held_bytes); ``factor``: floats held per map value (the
    statistic's, statistics.activation_factor)."""
    deepest = backbone.check_layers(layers)[-1]
    h, w = size
    activations = 0
    for info in backbone.infos:
        activations += info.channels * positions(info.stride, size)
        if info.name == deepest:
            break
    return int(BYTES * factor * activations + image_bytes(size, history) + OVERHEAD + extra)


def image_bytes(size: tuple[int, int], history: int = 100) -> int:
    """The bytes of the copies of an image of ``size`` (H, W) a run holds: its parameters, gradient and optimizer
    state, and an L-BFGS history of ``history`` pairs."""
    h, w = size
    return BYTES * (2 * history + 8) * 3 * h * w


def forward_bytes(backbone: Backbone, layers: list[str], size: tuple[int, int], batch: int = 1) -> int:
    """Peak bytes of a forward pass without gradients over ``batch`` images of ``size`` (H, W).

    Without autograd a layer's input is freed once its output exists, so the peak is about the largest pair of
    consecutive maps up to the deepest layer asked for, plus the input (float32, twice for torch's workspace).
    """
    deepest = backbone.check_layers(layers)[-1]
    h, w = size
    maps = []
    for info in backbone.infos:
        maps.append(info.channels * positions(info.stride, size))
        if info.name == deepest:
            break
    pair = max((a + b for a, b in zip(maps, maps[1:])), default=maps[0])
    return int(BYTES * batch * (2 * pair + 3 * h * w) + OVERHEAD)


def targets_bytes(backbone: Backbone, layers: list[str], size: tuple[int, int]) -> int:
    """Peak bytes of a style image's (texture example's) targets at ``size`` (H, W): forward_bytes, with room for
    the statistics' own work (TARGETS_MARGIN)."""
    return int(TARGETS_MARGIN * (forward_bytes(backbone, layers, size) - OVERHEAD)) + OVERHEAD


def maps_bytes(backbone: Backbone, layers: list[str], size: tuple[int, int]) -> int:
    """Bytes of the maps at ``layers`` for an input of ``size`` (H, W), kept in float32 (an analysis keeps them)."""
    return sum(BYTES * info.channels * positions(info.stride, size) for info in map(backbone.info, set(layers)))


def patch_bytes(backbone: Backbone, layer: str, size: tuple[int, int], patch: int = 3) -> int:
    """Peak bytes of pairing a picture's patches with every ``patch`` x ``patch`` patch of a style of ``size`` (H, W)
    at ``layer`` (mrf.match_positions): the style's patches unfolded, by offset and as filters (PATCH_COPIES)."""
    info = backbone.info(layer)
    return PATCH_COPIES * BYTES * positions(info.stride, size) * info.channels * patch * patch


def check_targets_fit(backbone: Backbone, layers: list[str], size: tuple[int, int], limit: int | None, what: str,
                      fix: Callable[[int], str]) -> None:
    """check_fits for a style image's (example's) targets (targets_bytes): ``fix`` is given the largest long side
    at which they fit."""
    _check_need(targets_bytes(backbone, layers, size), size, limit, what, fix)


def check_forward_fits(backbone: Backbone, layers: list[str], size: tuple[int, int], batch: int) -> None:
    """Raise OptionError, naming --batch-size or --size, when a forward pass would not fit in free memory."""
    limit = available_memory()
    need, one = forward_bytes(backbone, layers, size, batch), forward_bytes(backbone, layers, size, 1)
    if need <= limit:
        return
    h, w = size
    if batch > 1 and one <= limit:
        fix = f"use --batch-size {max(1, batch * (limit - OVERHEAD) // (need - OVERHEAD))} or fewer"
    else:
        scale = math.sqrt(max(limit - OVERHEAD, 0) / max(one - OVERHEAD, 1))
        fix = f"use {'--batch-size 1 and ' if batch > 1 else ''}a --size of about {int(max(h, w) * scale) // 16 * 16} px or less"
    raise OptionError(f"a forward pass over {batch} image(s) of {w}x{h} px needs about {gib(need)} GiB but only "
                      f"{gib(limit)} GiB is available; {fix}")


def limit_bytes(max_memory: float | None) -> int | None:
    """--max-memory (GiB) as bytes, None for what the system has; refused unless a positive number."""
    if max_memory is None:
        return None
    check_number("--max-memory", max_memory, above=True)
    return int(max_memory * 2**30)


def check_fits(
    backbone: Backbone, layers: list[str], size: tuple[int, int], limit: int | None, history: int = 100,
    what: str = "run", fix: Callable[[int], str] | None = None, extra: int | Callable[[tuple[int, int]], int] = 0,
    factor: float = ACTIVATION_FACTOR, also: str = "",
) -> None:
    """Raise OptionError naming the largest size that fits when the estimate exceeds the limit.

    ``what`` names the image in the message ("a 640x480 run"); ``fix`` says what to do, given the largest long side
    that fits (default: name that --size); ``extra`` and ``factor`` as in ``estimate``, ``extra`` also as the bytes
    at a size (H, W), for terms that shrink with the picture (a kernel MMD's or mrf's); ``also``: more advice, ", or
    ..." (statistics.fewer_samples).
    """
    def need_at(side: int) -> int:  # a fixed ``extra`` as at the size asked
        at = scaled(size, side)
        return estimate(backbone, layers, at, history, extra(at) if callable(extra) else extra, factor)

    _check_need(need_at(max(size)), size, limit, what, fix, need_at, also)


def check_fits_at(need_at: Callable[[int], int], size: tuple[int, int], limit: int | None, what: str,
                  fix: Callable[[int], str]) -> None:
    """check_fits for a need given by ``need_at`` (the bytes at a long side) for work at ``size`` (H, W)."""
    _check_need(need_at(max(size)), size, limit, what, fix, need_at)


def scaled(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` (H, W) with its long side ``side``, the aspect kept."""
    h, w = size
    return max(1, round(h * side / max(size))), max(1, round(w * side / max(size)))


def feed_forward_bytes(content: tuple[int, int], styles: list[tuple[int, int]]) -> int:
    """Peak bytes of an AdaIN/WCT pass: encoding the largest style, or encoding and decoding the content (H, W)."""
    largest_style = max((h * w for h, w in styles), default=0)
    return int(max(DECODE_BYTES * content[0] * content[1], ENCODE_BYTES * largest_style) + OVERHEAD)


def check_feed_forward_fits(content: tuple[int, int], styles: list[tuple[int, int]], limit: int | None,
                            method: str) -> None:
    """Raise OptionError naming the largest --size that fits when an AdaIN/WCT pass would exceed the limit."""
    _check_need(feed_forward_bytes(content, styles), content, limit, f"{method} pass")


def _check_need(
    need: int, size: tuple[int, int], limit: int | None, what: str, fix: Callable[[int], str] | None = None,
    need_at: Callable[[int], int] | None = None, also: str = "",
) -> None:
    """Refuse a run of ``size`` (H, W) that needs ``need`` bytes when the limit (None: what is free) is lower.

    The largest size that fits takes memory to grow with the image's area, then, given ``need_at`` (the bytes at a
    long side), steps down until that says it fits: a part that does not shrink (the Gram targets) made the size
    named too large to run.
    """
    given = limit is not None
    limit = limit or available_memory()
    if need <= limit:
        return
    h, w = size
    room_for = limit if given else int(FREE_HEADROOM * limit)  # what is free moves: 1720 was named, then refused
    fits = largest_side(need, size, room_for)
    while need_at is not None and fits >= SMALLEST and need_at(fits) > room_for:
        fits -= 16
    room = f"--max-memory allows {gib(limit)} GiB" if given else f"only {gib(limit)} GiB is available"
    if fits >= SMALLEST:
        advice = fix(fits) if fix else f"the largest size that fits is about --size {fits}"
    else:
        advice = "no useful size fits in that; " + ("raise --max-memory" if given else
                                                    "free some memory (close other programs) and try again")
    raise OptionError(f"a {w}x{h} {what} needs about {gib(need)} GiB but {room}; {advice}{also}")


FREE_HEADROOM = 0.9  # the share of the memory free now that a size named to fit it is sized for


def largest_side(need: int, size: tuple[int, int], limit: int | None) -> int:
    """The long side (a multiple of 16) at which a run of ``size`` (H, W) that needs ``need`` bytes would fit in
    ``limit`` (None: what is free), taking memory to grow with the image's area; ``size``'s own when it fits."""
    limit = limit or available_memory()
    if need <= limit:
        return max(size)
    scale = math.sqrt(max(limit - OVERHEAD, 0) / max(need - OVERHEAD, 1))
    return int(max(size) * scale) // 16 * 16


def gib(n: int) -> str:
    """Bytes as GiB for a message: one decimal, or two significant digits below 0.1."""
    x = n / 2**30
    return f"{x:.1f}" if x >= 0.1 else f"{x:.2g}"
