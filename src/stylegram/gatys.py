"""Style transfer after Gatys et al.: the content of one image, the feature statistics of others.

A TransferProblem tells the optimization loop (stylegram.optimize) which sizes to work at, what the loss
terms are at each size and how to start (stylegram.starts); ``prepare()`` wraps it in a Job (stylegram.job) that yields
progress, gives the result and checkpoints, and ``transfer()`` runs a job to the end.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from . import color, labels, masks, memory, optimize, params, precision, samples, statistics
from .job import Job, Result
from .starts import Starts
from .backbones import Backbone, build_options, check_model, load_backbone, reused
from .errors import OptionError, check_choice, check_number, check_seed, count, did_you_mean, warn
from .images import (IMAGE_EXTENSIONS, MAX_SIDE, STRAIGHT, ImageLike, check_side, image_list, kept_input, load_alpha,
                     load_input, same_aspect, warn_animated, warn_transparent)
from .options import Counts, Listed, Options, flag
from .losses import (Annealed, ContentTerm, KeptImage, Objective, StyleTerm, blend_of_layer, blend_weights,
                     layer_groups, normalized, parse_weighted)

INITS = ("content", "recolor", "noise", "gray", "adain", "auto")
CLASSIC_INITS = {"random": "noise", "uniform": "noise", "image": "content"}  # the classic tools' names for them
METHODS = ("gatys", "adain", "wct")
COLORS = color.MODES
# The options an AdaIN/WCT pass reads; the others steer the optimization (and its network) alone.
FEED_FORWARD_FIELDS = ("method", "alpha", "size", "style_scale", "style_blend", "style_masks", "style_regions", "labels",
                       "colors", "precision", "seed", "max_memory", "upscale")
PARAMETERIZATIONS = ("fourier", "pixels")

MAX_ENLARGEMENT = 4  # a style image enlarged more than this many times is warned of (its strokes blur)
THIN = 128  # px: a default output (no --size) shorter than this on its short side is warned of (a panorama's 512x34)
DEFAULT_SIDE = 512  # the output's long side without --size (at most the content's): about a minute on a CPU


@dataclass
class TransferOptions(Options):
    """Every option of a transfer, with the defaults that give the best picture per CPU minute.

    The reasons for the defaults are in docs/transfer.md.
    """

    kind = "transfer"  # not a field: names these options in errors (stylegram.options)
    several = "transfer(content, ['style1.jpg', 'style2.jpg'])"

    method: str = "gatys"  # gatys (optimization) | adain | wct (one feed-forward pass)
    alpha: float = 1.0  # adain/wct and --init adain: 1 = full style, 0 = the content reconstructed
    size: int | None = None  # long side of the output; None: the content's, at most DEFAULT_SIDE
    style_scale: float = 1.0  # style long side relative to the output's (at most 2x its short side), every scale
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 10.0
    content_layers: Listed = "relu4_2"
    style_layers: Listed = "auto"  # auto: STYLE_LAYERS (MRF_LAYERS for --statistic mrf alone); else like relu3_1:0.5
    style_blend: Listed | None = None  # e.g. "0.7,0.3" for two styles; equal weights when None
    style_masks: str | list | None = None  # "sky.png,ground.png" or (API) a list of images: per style, where it paints
    style_regions: str | list | None = None  # like style_masks: per style image, the part of it whose statistics it lends
    labels: str | list | None = None  # colour-coded maps, the content's then one per style image: like colours paint alike
    statistic: str = "gram"  # what "the same style" means: gram, mmd-poly, histogram, ... (docs/statistics.md)
    init: str | torch.Tensor = "auto"  # auto (content or recolor, by the style loss of each) | content | recolor | noise | gray | adain | an image
    init_weight: float = 0.0  # keep the output near an --init image: weight of the squared difference to it (0: off)
    init_mask: str | torch.Tensor | None = None  # where (white) the output keeps to the --init image; None: everywhere
    optimizer: str = "lbfgs"
    lr: float | None = None
    history: int = 20  # L-BFGS memory (iterations of curvature kept)
    parameterization: str = "fourier"  # what the optimizer changes: fourier (a preconditioned search) | pixels
    decay: float = 1.0  # fourier: the spectrum is scaled by 1 / f^decay
    polish: int = 40  # fourier: the finest scale's last this many iterations (at most half) search the pixels
    iterations: Counts = "auto"  # per scale, coarse to fine (extra coarse scales get the first); one number: all;
    # auto: see default_iterations
    min_size: int = 200  # long side of the coarsest scale
    scale_factor: float = 2.0  # ratio of one scale's size to the next
    detail: float = 1.0  # how much of the content's fine detail to add when moving to a finer scale
    content_boost: float = 1.3  # the finest scale starts with content weight x (1 + this), falling to x 1
    tolerance: float = 1e-3  # early stop when the loss improves by less than this fraction ...
    patience: int = 20  # ... over this many iterations (0 tolerance: never stop early)
    backbone: str = "vgg19"
    weights: str = "default"
    pooling: str = "max"
    padding: str | None = "replicate"  # replicate keeps the border rows' colour; None: the backbone's own
    precision: str = "auto"  # of the network pass: bfloat16 where the CPU has it natively, else winograd or float32
    colors: str = "style"  # style | original | luminance
    seed: int = 0
    max_memory: float | None = None  # GiB; None: what the system has available
    upscale: bool = False  # allow --size beyond the content's own size

    def __post_init__(self) -> None:
        """Also take images held in memory as --init, --style-masks and --style-regions (Python API), kept as tensors
        so that results and checkpoints hold them."""
        super().__post_init__()
        check_side(self.size)  # when the options are made, not only when they run (TransferOptions(size=-5))
        if isinstance(self.init, str) and self.init == "grey":  # as dream's --grey spells it: both are taken
            self.init = "gray"
        self.init = kept_input(self.init, "--init image")
        self.init_mask = None if self.init_mask is None else kept_input(self.init_mask, "--init-mask", (0, 0, 0))
        self.style_masks = masks.kept(masks.STYLE_MASKS, self.style_masks)
        self.style_regions = masks.kept(masks.STYLE_REGIONS, self.style_regions)
        self.labels = labels.kept(self.labels)


# Gatys et al.'s style layers: one per block covers strokes from fine to coarse.
STYLE_LAYERS = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"
# --statistic mrf's style layers when --style-layers is auto: Li and Wand's. With the default five, the few
# style patches the shallow layers can afford pulled chelsea's face (451 px, swirls) into one flat yellow (docs/statistics.md).
MRF_LAYERS = "relu3_1,relu4_1"


def style_layers(opts: TransferOptions) -> str:
    """The style layers a run uses: --style-layers, or for auto MRF_LAYERS with --statistic mrf alone, else STYLE_LAYERS."""
    if opts.style_layers.strip().lower() != "auto":
        return opts.style_layers
    parts = statistics.components(statistics.parse_statistic(opts.statistic))
    return MRF_LAYERS if [getattr(part, "name", None) for part, _ in parts] == ["mrf"] else STYLE_LAYERS


MAX_SCALES = 12  # a coarse-to-fine pyramid longer than this is a mistyped --scale-factor (1.01 made 97 scales)


def scale_sizes(
    shape: tuple[int, int], size: int, min_size: int, factor: float, min_side: int = 1
) -> list[tuple[int, int]]:
    """(H, W) of each scale, coarse to fine, keeping the aspect of ``shape``; the last has long side ``size``.

    Scales shrink by ``factor`` while the long side stays >= ``min_size`` and the short side >= ``min_side``.
    """
    if not factor > 1:  # NaN too
        raise OptionError(f"--scale-factor must be greater than 1, got {factor}")
    if not min_size >= 1:  # -5 and 0 ran, as small as the layers allowed
        raise OptionError(f"--min-size must be at least 1 px, got {min_size}")

    def fit(side: int) -> tuple[int, int]:
        return optimize.fit_long_side(shape, side)

    longs = [size]
    while True:
        smaller = round(longs[-1] / factor)
        if smaller < min_size or smaller >= longs[-1] or min(fit(smaller)) < min_side:
            break
        longs.append(smaller)
    if len(longs) > MAX_SCALES:
        least = math.ceil(100 * (size / min_size) ** (1 / (MAX_SCALES - 1))) / 100
        raise OptionError(
            f"--scale-factor {factor} makes {len(longs)} scales from {longs[-1]} to {size} px, each run to its own "
            f"iterations; at most {MAX_SCALES} are allowed: use --scale-factor {least} or more, or a larger --min-size"
        )
    return [fit(side) for side in reversed(longs)]


def default_iterations(precision_name: str) -> str:
    """What --iterations auto means: 20,90, or 20,180 where the network pass runs in bfloat16 on AMX.

    The default is sized to a share of the classic 300-iteration run's time (docs/transfer.md): with AMX a
    bfloat16 pass costs a quarter of a float32 one or less, so the same share buys twice the iterations.
    """
    return "20,180" if precision.resolve(precision_name) == "bfloat16" and precision.amx() else "20,90"


def _counts_given(spec: str | int | Sequence[int]) -> list[int]:
    """The counts --iterations gives ('100,60,40', 100 or [100, 60, 40]), checked."""
    try:
        parts = ([spec] if isinstance(spec, int) else [int(p) for p in spec.split(",")] if isinstance(spec, str)
                 else [int(p) for p in spec])
    except (TypeError, ValueError):
        raise OptionError(f"--iterations must be whole numbers per scale like 20,90, got '{spec}'") from None
    if any(n < 0 for n in parts):  # named as typed: the counts split for the polish would be others
        raise OptionError(f"--iterations must not be negative, got '{spec}'")
    return parts


def iteration_counts(spec: str | int | Sequence[int], scales: int) -> list[int]:
    """'100,60,40' -> per-scale counts; a single number applies to every scale; a longer list keeps its tail."""
    parts = _counts_given(spec)
    if len(parts) == 1:
        return parts * scales
    if len(parts) < scales:  # give the extra coarse scales the first count
        return [parts[0]] * (scales - len(parts)) + parts
    return parts[len(parts) - scales :]


def warn_dropped_counts(spec: str | int | Sequence[int], scales: int, stage: str = "scale") -> None:
    """Say that counts given beyond the run's scales are dropped (iteration_counts keeps the tail): '5,5,5,5,5' on
    a one-scale run ran 5 without a word. ``stage``: what a scale is called (a dream's octave)."""
    given = len(_counts_given(spec))
    if given > scales:
        kept = ",".join(map(str, iteration_counts(spec, scales)))
        warn(f"--iterations gives {given} counts and this run has {count(scales, stage)}, so the last "
             f"{'one' if scales == 1 else scales} ({kept}) {'is' if scales == 1 else 'are'} used")


class TransferProblem(Starts, optimize.Problem):
    """Gatys et al.'s objective at every scale: content terms, style terms, total variation."""

    def __init__(
        self,
        content: torch.Tensor,
        styles: list[torch.Tensor],
        opts: TransferOptions,
        backbone: Backbone,
        state: optimize.State | None = None,
        kept_pool: int = 1,
    ):
        self.opts, self.backbone = opts, backbone
        self.state = state  # read by terms_at: a sampled statistic resumed mid-scale draws the same positions
        self.kept_pool = kept_pool  # --init-weight compares at 1/kept_pool size (losses.KeptImage; stylegram.tiles)
        self.content_layers, self.style_groups = checked_layers(opts, len(styles), backbone)  # groups: per style
        self.style_layers = {name: w for group in self.style_groups for name, w in group.items()}  # all of them
        self.blend = blend_weights(opts.style_blend, len(styles))
        check_choice("--colors", opts.colors, COLORS, color.KNOWN_AS)
        check_choice("--parameterization", opts.parameterization, PARAMETERIZATIONS)
        self._fourier = params.fourier(opts.decay, "clamp")
        if not isinstance(opts.polish, int) or opts.polish < 0:
            raise OptionError(f"--polish must be a whole number of iterations, 0 or more, got {opts.polish}")
        self.content = content
        originals = styles  # as read: a label map may repeat them, --colors recolour them
        self.statistic = statistics.parse_statistic(opts.statistic, seed=opts.seed)
        if opts.labels is not None:  # before the masks are read: they are refused beside label maps
            labels.check_alone(opts.style_masks, opts.style_regions)
        self.masks = masks.load_masks(opts.style_masks, len(styles), tuple(content.shape[-2:]), opts.statistic)
        self.regions = masks.load_regions(opts.style_regions, [tuple(s.shape[-2:]) for s in styles], opts.statistic)
        self.labels = split = split_labels(opts, tuple(content.shape[-2:]), [tuple(s.shape[-2:]) for s in styles],
                                           self.blend)
        if split is not None:  # one entry per label colour and style image with it (stylegram.labels)
            styles = [styles[n] for n in split.styles]
            self.style_groups = [self.style_groups[n] for n in split.styles]
            self.masks, self.regions, self.blend = split.masks, split.regions, split.blend
        self.precision = precision.resolve(opts.precision)
        need, needer = statistics.input_need(self.statistic, backbone, [*self.content_layers, *self.style_layers],
                                             list(self.style_layers), "the layers asked for need")
        self._scales = scale_sizes(tuple(content.shape[-2:]), _output_side(content, opts), opts.min_size,
                                   opts.scale_factor, need)
        content = no_larger(content, self._scales[-1])  # a 12-megapixel photo for 512 px: 0.9 GB less, 2 s sooner
        if opts.colors == "luminance":
            styles = color.match_luminances(styles, content, self.regions, self.masks)
            content = color.gray(content)
        elif opts.colors == "match":  # each style in the content's palette, before its statistics are taken
            styles = color.match_palettes(styles, content, self.regions, self.masks)
        self.work_content, self.styles = content, styles
        self.kept = self._kept_start(tuple(self.content.shape[-2:]))  # a mask is checked against the content as given
        self.palettes = [s if r is None else masks.pixels_in(s, r) for s, r in zip(styles, self.regions or [None] * len(styles))]
        self._check_minimum(need, needer)
        warn_enlarged(originals, [self.style_size(s, self._scales[-1]) for s in originals])
        self._stages = self._plan_stages()
        self._cached_size, self._cached = None, None  # the last size's targets (_targets)

    def _kept_start(self, content_shape: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor | None] | None:
        """With --init-weight: the --init image (grey in luminance mode) and its --init-mask, or None."""
        if not self.opts.init_weight:
            return None
        mask = None if self.opts.init_mask is None else masks.read_mask(
            self.opts.init_mask, "--init-mask", content_shape, "the content",
            "a mask needs the content's aspect (it is scaled to the output)",
            "the output would keep to the --init image nowhere; white marks where it does")
        return self._init_image, mask

    def _plan_stages(self) -> list[tuple[tuple[int, int], str, int]]:
        """(size, parameterization, iterations) per stage: one stage per scale, except that with the spectrum
        search the finest scale's last ``polish`` iterations (at most half) form a stage of their own over the pixels.

        The spectrum moves coarse structure fast; a fresh pixel search from its (clamped) result then refines
        fine detail faster than more spectrum steps (docs/transfer.md).
        """
        counts = iteration_counts(self.opts.iterations, len(self._scales))
        stages = [(size, self.opts.parameterization, n) for size, n in zip(self._scales, counts)]
        polish = min(self.opts.polish, counts[-1] // 2)  # a short run stays mostly in the spectrum
        if self.opts.parameterization == "fourier" and polish:
            size, kind, n = stages.pop()
            stages += [(size, kind, n - polish), (size, "pixels", polish)]
        return stages

    def _check_minimum(self, need: int, needer: str) -> None:
        """Refuse a content or style image that the layers cannot see at the coarsest scale, naming what helps."""
        coarsest = self._scales[0]  # no smaller than ``need`` where the finest is not (scale_sizes)
        images_at = [("content", coarsest, _widening(tuple(self.content.shape[-2:]), need, min(coarsest))),
                     *[(f"style {i + 1}", self.style_size(s, coarsest),
                        _style_scale_fix(tuple(s.shape[-2:]), coarsest, need, "--min-size or --size"))
                       for i, s in enumerate(self.styles)]]
        _refuse_small(need, images_at, " at the coarsest scale", needer)

    def sizes(self) -> list[tuple[int, int]]:
        """The size of each stage: every scale once, the finest twice when it is polished over the pixels."""
        return [size for size, _, _ in self._stages]

    def iterations(self) -> list[int]:
        """Iterations per stage (``sizes()``): --iterations per scale, the finest split off for the polish."""
        return [n for _, _, n in self._stages]

    def polish_lr(self) -> dict[int, float]:
        """{pixel polish stage: its step size} where Adam's --lr is above its default: the polish takes at most that.

        Adam moves each pixel by about --lr a step; from 0.05 up the polish scattered the spectrum search's picture
        into noise (its loss 1.8 rose to 9.8 and ended at 5.9, at 128 px), where the search itself takes such steps
        well. L-BFGS scales its steps by the curvature it measures, and keeps --lr."""
        cap = optimize.DEFAULT_LR[self.opts.optimizer]
        if self.opts.optimizer == "lbfgs" or self.opts.lr is None or self.opts.lr <= cap:
            return {}
        return {n: cap for n, (_, kind, _) in enumerate(self._stages) if kind != self.opts.parameterization}

    def stage_name(self, index: int) -> str:
        """'scale 2 of 2' per scale; the finest scale's pixel stage after a spectrum search is 'scale 2 of 2, pixel polish'."""
        size, kind, _ = self._stages[index]
        name = f"scale {self._scales.index(size) + 1} of {len(self._scales)}"
        return f"{name}, pixel polish" if kind != self.opts.parameterization else name

    def parameterize(self, image: torch.Tensor, saved: list[torch.Tensor] | None) -> params.Parameterization:
        """The current stage's search space: the spectrum (clamped, so it starts exactly at ``image``) or the pixels.

        The spectrum is the L-BFGS search space by default: a step there moves coarse structure as easily as
        fine detail (docs/transfer.md).
        """
        kind = self._stages[self.state.scale][1] if self.state is not None else self.opts.parameterization
        return self._fourier(image, saved) if kind == "fourier" else params.pixels(image, saved)

    def memory_factor(self) -> float:
        """Floats the run holds per map value (memory.estimate's ``factor``): its statistic's measured one, the
        unmeasured ACTIVATION_FACTOR with three or more placed styles (two were measured, 4.52 KB a pixel)."""
        factor = statistics.activation_factor(self.statistic)
        return max(factor, memory.ACTIVATION_FACTOR) if self.masks is not None and len(self.masks) > 2 else factor

    def style_size(self, style: torch.Tensor, size: tuple[int, int]) -> tuple[int, int]:
        """(H, W) of a style image when the output is ``size``: its long side --style-scale times the output's (at
        most twice the output's short side: optimize.style_side)."""
        return optimize.fit_long_side(tuple(style.shape[-2:]), optimize.style_side(size, self.opts.style_scale))

    @torch.no_grad()
    def terms_at(self, size: tuple[int, int]) -> optimize.Terms:
        """The terms of one stage: content features and blended style statistics as targets.

        Terms are named "content.<layer>", "style.<layer>" (plain gram), "style.<statistic>.<layer>", or with
        --style-masks "style.<layer>.<n>" for style n.
        """
        content, per_style = self._targets(tuple(size))
        terms = {}
        for layer, w in normalized(self.content_layers).items():
            terms[f"content.{layer}"] = (self._content_term(layer, content[layer], size), self.opts.content_weight * w)
        style = self._masked_style_terms(per_style, size) if self.masks else self._blended_style_terms(per_style)
        return Objective(self.backbone, {**terms, **style}, self.opts.tv_weight, self.precision, self._kept_term(size))

    def _kept_term(self, size: tuple[int, int]) -> dict[str, tuple[KeptImage, float]]:
        """With --init-weight, the term "init" keeping the output near the --init image (inside --init-mask)."""
        if self.kept is None:
            return {}
        start, mask = self.kept
        weights = None if mask is None else optimize.resize(mask, size).clamp(0, 1)
        return {"init": (KeptImage(optimize.resize(start, size), weights, self.kept_pool), self.opts.init_weight)}

    def _blended_style_terms(self, per_style: list[dict[str, list]]) -> dict[str, tuple]:
        """One term per style layer (and statistic part) whose target blends the styles that have the layer."""
        step = self.state.step if self.state is not None else 0
        terms = {}
        for layer, w in normalized(self.style_layers).items():
            users, shares = blend_of_layer(self.style_groups, self.blend, layer)
            if not users:  # only styles blended at weight 0 have this layer
                continue
            for i, (stat, share) in enumerate(statistics.components(self.statistic)):
                target = stat.blend([per_style[n][layer][i] for n in users], shares)
                name = statistics.term_name("style", self.statistic, stat, layer)
                term = StyleTerm(layer, statistics.at_evaluation(target, step), stat)
                terms[name] = (term, self.opts.style_weight * w * share)
        return terms

    def masks_at(self, size: tuple[int, int]) -> list[torch.Tensor]:
        """The --style-masks scaled to ``size``, in [0, 1]."""
        return [optimize.resize(m, size).clamp(0, 1) for m in self.masks]

    def _masked_style_terms(self, per_style: list[dict[str, list]], size: tuple[int, int]) -> dict[str, tuple]:
        """With --style-masks, each style's own terms over its region (masks.style_terms)."""
        step = self.state.step if self.state is not None else 0
        return masks.style_terms("style", self.statistic, per_style, self.masks_at(size), self.style_groups,
                                 self.blend, self.opts.style_weight, step, [masks.strength(m) for m in self.masks])

    def _targets(self, size: tuple[int, int]) -> tuple[dict[str, torch.Tensor], list[dict[str, list]]]:
        """Content features and, per style, {layer: [target of each statistic part]} at ``size``.

        Computed once per size: the polish stage reuses its scale's (targets depend on the size alone).
        """
        if self._cached_size != size:
            content = self.backbone.extract(optimize.resize(self.work_content, size), list(self.content_layers))
            parts = statistics.components(self.statistic)
            passes = masks.source_features(self.backbone, self.styles, self.style_groups, self.regions,
                                           lambda style: self.style_size(style, size))
            per_style = [{layer: [statistics.target_of(stat, feats[layer], areas[layer]) for stat, _ in parts]
                          for layer in layers} for (feats, areas), layers in zip(passes, self.style_groups)]
            self._cached_size, self._cached = size, (content, per_style)
        return self._cached

    def _content_term(self, layer: str, target: torch.Tensor, size: tuple[int, int]) -> ContentTerm | Annealed:
        """The content term; over the finest scale (its polish included) annealed from (1 + content_boost) x its weight to 1 x.

        A short schedule ends before style and content have settled, and style settles first: the result
        is too far from the content. Starting the finest scale with more content weight and letting it fall
        to the set weight lands near the balance a long run reaches (measured in BENCHMARKS.md).
        """
        term = ContentTerm(layer, target)
        if not self.opts.content_boost or tuple(size) != self._scales[-1] or self.state is None:
            return term
        finest = [n if s == self._scales[-1] else 0 for s, _, n in self._stages]  # per stage, at the finest size
        done = sum(finest[: self.state.scale])  # run in earlier stages of the finest scale: one fall over both
        return Annealed(term, self.opts.content_boost, sum(finest), lambda: done + self.state.step)

    def inputs(self) -> dict[str, torch.Tensor]:
        """The content and style images as given, and their masks and regions."""
        return named_inputs(self.content, self.styles, self.masks, self.regions)

    def rescale(self, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Carry the previous scale's result to ``size``, adding back the content's own fine detail.

        Upsampling a coarse result loses the high frequencies the coarse scale could not hold; the content's
        band between the two scales (its Laplacian-pyramid level) fills them in, so the fine scale starts
        close to the content's structure instead of a blur.
        """
        up = optimize.resize(image, size)
        if not self.opts.detail or tuple(image.shape[-2:]) == tuple(size):
            return up
        content = optimize.resize(self.work_content, size)
        detail = content - optimize.resize(optimize.resize(content, tuple(image.shape[-2:])), size)
        return (up + self.opts.detail * detail).clamp(0, 1)

    def finish(self, image: torch.Tensor) -> torch.Tensor:
        if self.opts.colors == "original":
            return color.keep_colors(image, self.content)
        if self.opts.colors == "luminance":
            return color.combine_luminance(image, self.content)
        return image


def _check_init(init: str | torch.Tensor, content: torch.Tensor) -> None:
    """Refuse an --init that is neither a known start nor a readable image of the content's aspect, before any work,
    naming the closest start."""
    if isinstance(init, str) and init in INITS:
        return
    if isinstance(init, str) and not init.startswith(samples.PREFIX) and not os.path.isfile(init):
        if os.sep in init or "/" in init or Path(init).suffix.lower() in IMAGE_EXTENSIONS:  # meant as a file
            raise OptionError(f"--init '{init}': no such file; give an existing image, or one of {', '.join(INITS)}")
        raise OptionError(
            f"--init '{init}' is neither one of {', '.join(INITS)} nor an image file"
            + (f"; did you mean {CLASSIC_INITS[init]}?" if init in CLASSIC_INITS else did_you_mean(init, INITS))
        )
    image = load_input(init, "--init image")  # a corrupt file is named now, not after the style targets are computed
    (h, w), (ch, cw) = image.shape[-2:], content.shape[-2:]
    if not same_aspect((h, w), (ch, cw)):  # it would be stretched to every scale's size
        raise OptionError(f"the --init image is {w}x{h} px and the content {cw}x{ch}: a start image needs the "
                          "content's aspect, as an earlier result of this content has; give one of that shape")


def _check_default_layers(backbone: Backbone, opts: TransferOptions) -> None:
    """With another network than VGG, say which layer options to set rather than only that relu4_2 is missing."""
    unset = [field for field in ("content_layers", "style_layers") if field not in opts.changed()]  # style: auto
    backbone.check_defaults({flag(field): list(parse_weighted(
        style_layers(opts) if field == "style_layers" else opts.content_layers, field)) for field in unset})


def read_side(size: int | None) -> int:
    """The long side a transfer's content must keep as it is read (a JPEG may be decoded smaller): the output's at
    most, --size or else DEFAULT_SIDE."""
    return size or DEFAULT_SIDE


def no_larger(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``image`` shrunk to ``size`` where it is larger (the working copy of a content larger than the output: each
    scale, the start and the colour matching then read the output's pixels, not the photo's); else as it is."""
    h, w = image.shape[-2:]
    return optimize.resize(image, size) if h > size[0] and w > size[1] else image


def named_inputs(content: torch.Tensor, styles: Sequence[torch.Tensor], masks: Sequence[torch.Tensor] | None = None,
                 regions: Sequence[torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """The images a transfer depends on, by the names a checkpoint records their digests under ("style mask 2")."""
    return {"content": content, **{f"style {i + 1}": s for i, s in enumerate(styles)},
            **{f"style mask {i + 1}": m for i, m in enumerate(masks or [])},
            **{f"style region {i + 1}": r for i, r in enumerate(regions or [])}}


def warn_thin_default(content: tuple[int, int], opts: TransferOptions) -> None:
    """Warn when --size is unset and its default makes a wide (or tall) content's output thinner than THIN px on its
    short side, naming the --size that does not: a 12000x800 panorama came out 512x34, its detail lost."""
    if opts.size is not None:
        return
    h, w = optimize.fit_long_side(content, min(max(content), DEFAULT_SIDE))
    if min(h, w) >= THIN or min(content) < THIN:  # a content this thin itself is taken as meant
        return
    wanted = _smallest_long_side(content, THIN)
    across, short = ("wide as it is tall", "tall") if w >= h else ("tall as it is wide", "wide")
    warn(f"the output is {w}x{h} px: --size, its long side, is {DEFAULT_SIDE} px when not given, and the content is "
         f"{max(content) / min(content):.0f} times as {across}; give --size {wanted} for one {THIN} px {short}")


def _output_side(content: torch.Tensor, opts: TransferOptions) -> int:
    own = max(content.shape[-2:])
    if opts.size is None:
        return min(own, DEFAULT_SIDE)
    if opts.size > own and not opts.upscale:
        raise OptionError(
            f"--size {opts.size} is larger than the content image ({own} px on its long side); "
            f"pass --upscale to enlarge it, or a smaller --size"
        )
    if opts.size > MAX_ENLARGEMENT * own:  # a 1x1 content at --size 64 --upscale came out one flat grey, unwarned
        h, w = content.shape[-2:]
        warn(f"the content image is {w}x{h} px and is enlarged {opts.size / own:.0f}x to {opts.size} px on its long "
             "side (--size with --upscale), so what is stylized is the blur of the enlargement, not the picture's "
             "detail: give a larger content image, or a smaller --size")
    return opts.size


def _reusing(model: Backbone, opts: TransferOptions) -> tuple[Backbone, TransferOptions]:
    """A given model, padding as the options say (backbones.reused), and the options with its network in them (what
    results and checkpoints record); another backbone or weights named in the options is refused."""
    model = reused(model, opts.pooling, opts.padding)
    actual = {"backbone": model.name, "weights": getattr(model, "weights_source", opts.weights)}
    changed = opts.changed()
    for name, value in actual.items():
        asked = getattr(opts, name)
        if name in changed and asked != value:
            raise OptionError(f"the given model is {model.name} with {actual['weights']} weights, but the options "
                              f"ask for {name}={asked!r}; leave {name} out or load the model that way")
    return model, opts.replace(**actual, padding=getattr(model, "padding", opts.padding))


def check_numbers(opts: TransferOptions) -> None:
    """Refuse weights, and scales that are negative, NaN or infinite, naming the option, before any work."""
    for option, value in [("--content-weight", opts.content_weight), ("--style-weight", opts.style_weight),
                          ("--tv-weight", opts.tv_weight), ("--detail", opts.detail),
                          ("--content-boost", opts.content_boost), ("--tolerance", opts.tolerance),
                          ("--init-weight", opts.init_weight)]:
        check_number(option, value)
    check_choice("--optimizer", opts.optimizer, optimize.PICTURE_OPTIMIZERS)  # the command line's choices
    check_number("--style-scale", opts.style_scale, above=True)
    check_number("--scale-factor", opts.scale_factor, 1, above=True)
    check_seed(opts.seed)
    params.check_decay(opts.decay)
    if opts.upscale and opts.size is None:
        raise OptionError("--upscale enlarges the content to --size, and no --size is given, so it would be ignored; "
                          "add --size N or drop --upscale")
    if opts.method == "gatys" and opts.content_weight == opts.style_weight == opts.tv_weight == 0:
        raise OptionError("--content-weight, --style-weight and --tv-weight are all 0, so there is nothing to "
                          "optimize; give --style-weight (and --content-weight) a positive value")
    if opts.method == "gatys" and opts.content_weight == opts.style_weight == opts.init_weight == 0:
        raise OptionError("--content-weight and --style-weight are both 0, so only --tv-weight's smoothing is left and "
                          "it blurs the picture flat (a brown rectangle); give --style-weight (and --content-weight) a "
                          "positive value")


def warn_off_scale(opts: TransferOptions) -> None:
    """Warn of weights on the classic tools' scale: stylegram's terms are relative errors, each about 1 at the start,
    so the PyTorch tutorial's --style-weight 1e6 drowns the content, a --content-weight of 5e2 the style, and
    jcjohnson's --tv-weight 1e-3 does nothing."""
    if opts.content_weight > 0 and opts.style_weight >= OFF_SCALE * opts.content_weight:
        warn(f"--style-weight {opts.style_weight:g} is {opts.style_weight / opts.content_weight:.0e} times "
             f"--content-weight, and stylegram's terms are relative errors of about 1 each, so the content counts for "
             "next to nothing (as with --content-weight 0); the classic tools' weights do not carry over: try 1 to 100 "
             f"(default {TransferOptions.style_weight:g})")
    raised = opts.content_weight > TransferOptions.content_weight  # a low --style-weight alone is a choice (sweeps)
    if raised and opts.style_weight > 0 and opts.content_weight >= HEAVY_CONTENT * opts.style_weight:
        warn(f"--content-weight {opts.content_weight:g} is {opts.content_weight / opts.style_weight:g} times "
             f"--style-weight, and stylegram's terms are relative errors of about 1 each, so the style counts for "
             "little and the result stays near the photo; the classic tools' weights do not carry over: try 0.1 to 10 "
             f"(default {TransferOptions.content_weight:g}, with --style-weight {TransferOptions.style_weight:g})")
    if 0 < opts.tv_weight < TINY_TV:
        warn(f"--tv-weight {opts.tv_weight:g} is too small to smooth anything on stylegram's scale (its terms are "
             f"relative errors of about 1 each): 0 turns it off, and the default {TransferOptions.tv_weight:g} removes "
             "pixel noise")


def init_named(init: str | torch.Tensor) -> str:
    """'--init content', or '--init an image' for an image given (not a tensor's repr)."""
    return f"--init {init}" if isinstance(init, str) else "--init an image"


def seed_unused(method: str, init: object, statistic: str) -> str | None:
    """Why --seed changes nothing in a run of ``method`` from ``init`` with ``statistic`` (a one-pass method, or a
    start and statistic that draw no random number), or None where it matters (--init noise, a sampled statistic)."""
    if method != "gatys":
        return f"--method {method} makes one pass and draws no random number"
    sampled = any(part.name in statistics.SEEDED for part, _ in statistics.components(
        statistics.parse_statistic(statistic)))
    if init == "noise" or sampled:
        return None
    return (f"the start ({init_named(init)}) and --statistic {statistic} draw no random number, so every seed gives the "
            "same picture; it matters with --init noise or a statistic that samples (mmd-poly, mmd-gauss, mrf)")


OFF_SCALE = 1e4  # a style weight this many times the content's: the classic tools' scale, not stylegram's
TINY_TV = 0.01  # a --tv-weight below it smooths nothing (jcjohnson's default 1e-3)
# a content weight this many times the style's leaves the photo with faint texture (--content-weight 5e2 did, silently)
HEAVY_CONTENT = 10


def prepare(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: TransferOptions | None = None,
    *,
    model: Backbone | None = None,
    state: optimize.State | None = None,
    suggest_tiles: bool = False,
    kept_pool: int = 1,
    tile: tuple[int, int] | None = None,
    **changes,
) -> Job:
    """Load and check everything, then return a transfer Job ready to iterate (nothing optimized yet).

    ``model`` reuses an already loaded backbone: its weights, padding as the options say (a copy sharing them), its
    pooling the options' (else refused); the options then record its network (results and checkpoints name what
    ran), and options that ask for another backbone or weights are refused. ``suggest_tiles``: a size too large for
    the memory is answered with --tile as well (stylegram.tiles; the command line has it). ``kept_pool``:
    --init-weight holds the output to the --init image averaged over blocks of this many pixels (its layout, not its
    detail; the tiles of a tiled run). ``tile``: the largest tile (H, W) of the tiled run this whole first run begins
    (stylegram.tiles): the memory is checked for it, and a --tile that fits is named (a tile that did not fit failed
    after the first run).
    """
    opts = TransferOptions.given(options, **changes)
    if opts.method != "gatys":
        raise OptionError(f"method '{opts.method}' is one forward pass, not an optimization: call transfer()")
    check_numbers(opts)
    if state is None:  # a resumed run goes on with what its checkpoint recorded
        check_read(opts)
        warn_off_scale(opts)
    limit = memory.limit_bytes(opts.max_memory)
    typed = opts.iterations != "auto"  # the default's counts (20,90) are for the scales a run has
    if opts.iterations == "auto":  # resolved here, so checkpoints and results record the counts that ran
        opts = opts.replace(iterations=default_iterations(opts.precision))
    content_t, style_ts = _load_inputs(content, styles, read_side(opts.size), opts.style_scale,
                                       regions=state is not None or opts.style_regions is not None)
    if state is None or state.rng is None:  # a resumed run never reads its start again
        _check_init(opts.init, content_t)
    if state is None:
        warn_thin_default(tuple(content_t.shape[-2:]), opts)
    statistics.parse_statistic(opts.statistic)  # a clear error before a backbone is loaded
    if check_model(model) is not None:
        model, opts = _reusing(model, opts)
    else:
        model = load_model(opts)
    state = state or optimize.State()
    problem = TransferProblem(content_t, style_ts, opts, model, state, kept_pool)
    schedule = optimize.Schedule(
        problem.iterations(), opts.optimizer, opts.lr, opts.history, tolerance=opts.tolerance, patience=opts.patience,
        stage_lr=problem.polish_lr(),
    )
    if state.iteration == 0:  # not a resumed run's: it starts from its checkpoint's picture
        if typed:
            warn_dropped_counts(opts.iterations, len(dict.fromkeys(problem.sizes())))  # a polish shares its size
        optimize.warn_no_steps(schedule.iterations, opts.iterations, f"the start ({init_named(opts.init)})")
        optimize.warn_large_adam_step(schedule)
    layers = problem.backbone.check_layers([*problem.content_layers, *problem.style_layers])
    finest = problem.sizes()[-1]
    style_sizes = [problem.style_size(style, finest) for style in problem.styles]

    def held(size: tuple[int, int]) -> int:  # the statistic's own, at an output of ``size`` and its styles'
        styles = [problem.style_size(style, size) for style in problem.styles]
        return statistics.held_bytes(problem.statistic, model, list(problem.style_layers), size, styles)
    # the styles grow with --size too: the size named must fit them as well (304 was named, then its style refused)
    style_cap = min((memory.largest_side(memory.targets_bytes(model, layers, size), size, limit) * max(finest)
                     // max(size) // 16 * 16 for size in style_sizes), default=max(finest))
    whole = (lambda side: f"the largest size that fits is about --size {min(side, style_cap)}"
             + (f", or make this size in tiles: --tile {min(side, style_cap, 768)}" if suggest_tiles else ""))
    memory.check_fits(model, layers, tile or finest, limit, schedule.most_pairs(), what="tile" if tile else "run",
                      extra=held, factor=problem.memory_factor(), also=statistics.fewer_samples(problem.statistic),
                      fix=(lambda side: f"the largest tile that fits is about --tile {side}") if tile else whole)
    # --style-scale 128, crowsonkb's --style-size in px: 'the largest that fits is about 31.50' read as a fair value
    ratio = "; --style-scale is a ratio to the output's size (0.5 to 2 are typical), not pixels" \
        if opts.style_scale > 4 else ""
    for size in style_sizes:  # its targets take a forward pass at the style's own size
        memory.check_targets_fit(model, layers, size, limit, "style image",
                                 lambda side: f"the largest --style-scale that fits is about "
                                              f"{side / optimize.style_reference(finest):.2f}{ratio}")
    return Job(problem, schedule, opts, state, alpha=load_alpha(content))


def _load_inputs(content: ImageLike, styles: ImageLike | Sequence[ImageLike], side: int | None = None,
                 style_scale: float = 1.0, regions: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Load the content and every style image, naming which one fails, and warn of a transparent style (unless
    ``regions``, --style-regions, say what to lend); ``side``: the output's long side at most (read_side), so a large
    file may be read smaller (images.load_tensor), the content's long side still at least that and a style's at
    least ``style_scale`` times it. The same options read the same pixels, so a resumed run's digests match."""
    styles = image_list(styles)
    if not styles:
        raise OptionError("give at least one style image")
    style_side = None if side is None else math.ceil(side * style_scale)
    loaded = (load_input(content, "content image", STRAIGHT, at_least=side),
              [load_input(s, f"style image {i + 1}", at_least=style_side) for i, s in enumerate(styles)])
    warn_animated(styles)
    warn_animated([content], "the content", "stylegram batch stylizes every frame (--method gatys to optimize each)",
                  numbered=False)  # a GIF's first frame was stylized without a word
    if not regions:  # a style half cut out (RGBA) was put on white without a word: a washed-out, white picture
        warn_transparent(styles, "style image", "give an opaque style image, or (--method gatys) a --style-regions "
                         "mask of its opaque part")
    return loaded


def backbone_options(opts: TransferOptions) -> dict:
    """load_backbone keywords (padding, VGG pooling) from options that have backbone/pooling/padding."""
    return build_options(opts.backbone, opts.padding, opts.pooling)


def checked_layers(opts: TransferOptions, styles: int, backbone: Backbone
                   ) -> tuple[dict[str, float], list[dict[str, float]]]:
    """The content layers {layer: weight} and, per style, its style layers, each named layer checked against the
    backbone (the defaults named as the options whose defaults they are)."""
    content = parse_weighted(opts.content_layers, "content layer")
    groups = layer_groups(style_layers(opts), styles)
    _check_default_layers(backbone, opts)
    backbone.check_layers([*content, *(name for group in groups for name in group)])
    return content, groups


def check_layer_names(opts: TransferOptions, styles: int) -> tuple[int, str]:
    """Refuse a layer the options name that their network lacks, and an unknown statistic, before any work (the
    network's table, with random weights: nothing is read); for callers that load the network elsewhere (batch).
    Returns the smallest image side the layers and statistic need, and what needs it (statistics.input_need)."""
    statistic = statistics.parse_statistic(opts.statistic)
    backbone = load_backbone(opts.backbone, "random", **backbone_options(opts))
    content, groups = checked_layers(opts, styles, backbone)
    style = list(dict.fromkeys(name for group in groups for name in group))
    return statistics.input_need(statistic, backbone, [*content, *style], style, "the layers asked for need")


def load_model(opts: TransferOptions) -> Backbone:
    """The network options name (their backbone, weights, padding and pooling; a transfer's or a texture's), loaded."""
    return load_backbone(opts.backbone, opts.weights, **backbone_options(opts))


def transfer(content: ImageLike, styles: ImageLike | Sequence[ImageLike], options: TransferOptions | None = None, *,
             progress: bool = False, **changes) -> Result:
    """Run a style transfer to the end and return the Result; ``options`` (a TransferOptions) and/or its fields as
    keywords (size=256, style_weight=10, colors="luminance": help(stylegram.TransferOptions) lists and explains them
    all); ``progress``: a progress bar on stderr, as the command line shows.

    method='gatys' optimizes (the iterator form: prepare(), exported as stylegram.prepare_transfer); 'adain' and
    'wct' are one forward pass. A Ctrl-C raises stylegram.Interrupted, whose ``job`` holds the work so far.
    """
    model = changes.pop("model", None)
    opts = TransferOptions.given(options, **changes)
    if opts.method != "gatys":
        return feed_forward(content, styles, opts)
    return prepare(content, styles, opts, model=model).run(progress)


@functools.lru_cache(maxsize=1)
def feed_forward_model():
    """The AdaIN/WCT encoder-decoder, loaded once per process."""
    from .feedforward import FeedForward

    return FeedForward()


def feed_forward(content: ImageLike, styles: ImageLike | Sequence[ImageLike], opts: TransferOptions) -> Result:
    """AdaIN or WCT in one pass at the output size, styles scaled as for the Gatys method."""
    return prepare_feed_forward(content, styles, opts)()


@dataclass
class OnePass:
    """An AdaIN/WCT pass, loaded and checked: calling it runs it; ``labels``: what --labels were read as (None
    without them), for a line before the pass as an optimization's prints."""

    run: Callable[[], Result]
    labels: labels.Split | None = None

    def __call__(self) -> Result:
        return self.run()


def prepare_feed_forward(content: ImageLike, styles: ImageLike | Sequence[ImageLike], opts: TransferOptions) -> OnePass:
    """Load and check everything for an AdaIN/WCT pass (sizes, memory), then return what runs it (OnePass)."""
    from .feedforward import check_settings

    check_choice("--method", opts.method, METHODS)
    if opts.method == "gatys":
        raise OptionError("method 'gatys' optimizes rather than making one pass: call prepare() (stylegram.prepare_transfer)")
    check_numbers(opts)
    check_settings(opts.method, opts.alpha, opts.colors, opts.precision)
    check_gatys_only(opts)
    start = time.perf_counter()
    content_t, style_ts = _load_inputs(content, styles, read_side(opts.size), opts.style_scale)
    side = _output_side(content_t, opts)
    warn_thin_default(tuple(content_t.shape[-2:]), opts)
    size = optimize.fit_long_side(tuple(content_t.shape[-2:]), side)
    long = optimize.style_side(size, opts.style_scale)
    style_sizes = [optimize.fit_long_side(tuple(s.shape[-2:]), long) for s in style_ts]
    memory.check_feed_forward_fits(size, style_sizes, memory.limit_bytes(opts.max_memory), opts.method)
    model = feed_forward_model()
    _check_pass_sizes(model.min_size, size, style_sizes, [tuple(s.shape[-2:]) for s in style_ts])
    warn_enlarged(style_ts, style_sizes)
    check_masks_unblended(opts)
    where = masks.load_masks(opts.style_masks, len(style_ts), tuple(content_t.shape[-2:]))
    regions = masks.load_regions(opts.style_regions, [tuple(s.shape[-2:]) for s in style_ts])
    split = split_labels(opts, tuple(content_t.shape[-2:]), [tuple(s.shape[-2:]) for s in style_ts],
                         blend_weights(opts.style_blend, len(style_ts)))
    if split is not None:  # one entry per label colour and style image with it, each painting its part in full
        style_ts, style_sizes = [style_ts[n] for n in split.styles], [style_sizes[n] for n in split.styles]
        where, regions = split.masks, split.regions
    content_t = optimize.resize(content_t, size)
    style_ts = [optimize.resize(s, hw) for s, hw in zip(style_ts, style_sizes)]
    settings = dict(method=opts.method, alpha=opts.alpha, blend=None if split is not None else opts.style_blend,
                    colors=opts.colors, precision=opts.precision,
                    masks=[optimize.resize(m, size) for m in where] if where else None,
                    regions=[optimize.resize(r, hw) for r, hw in zip(regions, style_sizes)] if regions else None)

    alpha = load_alpha(content)

    def run() -> Result:
        image = model.stylize(content_t, style_ts, **settings)
        return Result(image, [], opts, time.perf_counter() - start, alpha)

    return OnePass(run, split)


def split_labels(opts: TransferOptions, content_shape: tuple[int, int], style_shapes: list[tuple[int, int]],
                 blend: list[float]) -> labels.Split | None:
    """--labels as entries (stylegram.labels) for a content and style images of these (H, W), or None without them;
    refused beside --style-masks or --style-regions, which they replace."""
    if opts.labels is None:
        return None
    labels.check_alone(opts.style_masks, opts.style_regions)
    masks.check_weighted(opts.statistic, "--labels")
    return labels.split(opts.labels, content_shape, style_shapes, blend)


def check_masks_unblended(opts: TransferOptions) -> None:
    """Refuse --style-blend with --style-masks (or --labels) in a one-pass method, where each style paints its region
    in full."""
    if (opts.style_masks or opts.labels) and opts.style_blend and opts.method != "gatys":
        given = "--style-masks" if opts.style_masks else "--labels"
        raise OptionError(f"--style-blend with {given} applies to --method gatys only; in one {opts.method} pass "
                          "each style paints its region in full: drop --style-blend")


def check_gatys_only(opts: TransferOptions, typed: Collection[str] = ()) -> None:
    """Refuse optimization options given to a one-pass method, which would ignore them: those set away from their
    defaults, and those ``typed`` on the command line at any value."""
    given = [flag(name) for name in dict.fromkeys([*opts.changed(), *sorted(typed)]) if name not in FEED_FORWARD_FIELDS]
    if given:
        one = len(given) == 1
        raise OptionError(f"{', '.join(given)} appl{'ies' if one else 'y'} to --method gatys only; --method "
                          f"{opts.method} makes one pass with its own VGG19 encoder and decoder: drop "
                          f"{'it' if one else 'them'}")


def check_read(opts: TransferOptions, typed: Collection[str] = ()) -> None:
    """Refuse an optimization option that the other options make it ignore: set away from its default, or ``typed``
    on the command line at any value."""
    changed = {*opts.changed(), *typed}
    if "alpha" in changed and opts.init != "adain":  # most likely --method adain forgotten, which it did not say
        raise OptionError(f"--alpha {opts.alpha} is the style strength of --method adain and wct (and of the AdaIN start, "
                          "--init adain), and this run optimizes (--method gatys) from another start, so it would be "
                          "ignored: add --method adain (or wct) for a one-pass picture, or --init adain, or drop it "
                          "(a gatys run's strength is --style-weight)")
    unread = [(name, why) for name, (why, _) in ignored_options(opts).items() if name in changed]
    if unread:
        name, why = unread[0]
        raise OptionError(f"{flag(name)} {why}, so it would be ignored; drop it or change that option")


def ignored_options(opts: TransferOptions) -> dict[str, tuple[str, str]]:
    """The optimization options that the others of ``opts`` make a Gatys run ignore, whatever their values: name ->
    (why, 'is L-BFGS's memory, and --optimizer is adam'; the option that makes it so, 'optimizer')."""
    return {name: (why, cause) for name, why, cause, ignored in [
        ("history", "is L-BFGS's memory, and --optimizer is adam", "optimizer", opts.optimizer == "adam"),
        ("decay", "shapes the spectrum search, and --parameterization is pixels", "parameterization",
         opts.parameterization == "pixels"),
        ("polish", "follows the spectrum search, and --parameterization is pixels", "parameterization",
         opts.parameterization == "pixels" and opts.polish != 0),  # 0 (off) is what pixels do
        ("init_weight", f"keeps the output near an --init image, and --init is {opts.init}", "init",
         not _image_start(opts.init)),
        ("init_mask", "says where the output keeps to the --init image, and --init-weight is 0", "init_weight",
         not opts.init_weight),
    ] if ignored}


def _image_start(init: str | torch.Tensor) -> bool:
    """Whether --init names an image (a file, a sample or a tensor) rather than a kind of start."""
    return not isinstance(init, str) or init not in INITS


def _widening(shape: tuple[int, int], need: int, short: int) -> str:
    """What gives a content of ``shape`` (H, W), ``short`` px on its short side as asked, ``need`` px there: the
    smallest --size that does (no --min-size helps), or shallower layers."""
    wanted = _smallest_long_side(shape, need)
    if wanted > MAX_SIDE:
        return (f"--size, though a picture this narrow stays under {need} px even at {MAX_SIDE}: crop it, or choose "
                "shallower layers")
    return (f"--size to at least {wanted}{' with --upscale' if wanted > max(shape) else ''} (its short side is now "
            f"{short} px), or choose shallower layers")


def warn_enlarged(styles: Sequence[torch.Tensor], sizes: Sequence[tuple[int, int]],
                  scaled_to: str = "the output's long side times --style-scale", noun: str = "style image",
                  fix: str = "a smaller --style-scale or --size") -> None:
    """Warn of each style image (or example: ``noun``) that its size at the finest scale (``sizes``) enlarges more
    than MAX_ENLARGEMENT times: what the network sees of it then is the blur of the enlargement, not its strokes."""
    for i, (style, (height, width)) in enumerate(zip(styles, sizes)):
        h, w = style.shape[-2:]
        factor = max(height, width) / max(h, w)
        if factor > MAX_ENLARGEMENT:
            warn(f"{noun} {i + 1} is {w}x{h} px and is enlarged {factor:.0f}x to {width}x{height} ({scaled_to}), "
                 f"so its strokes come out as blur: give a larger {noun}, or {fix}")


def _check_pass_sizes(need: int, content: tuple[int, int], styles: list[tuple[int, int]],
                      originals: list[tuple[int, int]]) -> None:
    """Name --size or --style-scale when the content or a style (``originals``: as read), as scaled to ``styles``,
    is too small for the encoder."""
    _refuse_small(need, [("content", content, "--size (with --upscale above the image's own size)"),
                         *[(f"style {i + 1}", hw, _style_scale_fix(shape, content, need, "--size"))
                           for i, (hw, shape) in enumerate(zip(styles, originals))]],
                  "", "the AdaIN/WCT encoder needs")


def _smallest_long_side(shape: tuple[int, int], need: int) -> int:
    """The smallest long side at which an image of ``shape`` (H, W) is at least ``need`` px on its short side."""
    side = math.floor((need - 0.5) * max(shape) / min(shape))
    while min(optimize.fit_long_side(shape, side)) < need:
        side += 1
    return side


def _style_scale_fix(shape: tuple[int, int], output: tuple[int, int], need: int, others: str) -> str:
    """What makes a style of ``shape`` (H, W) ``need`` px on its short side beside an output of size ``output``:
    the smallest --style-scale (to 0.01) that does, or the other options named."""
    scale = optimize.smallest_scale(round(optimize.style_reference(output)), _smallest_long_side(shape, need))
    return f"--style-scale to at least {scale:.2f}, or {others}"


def _refuse_small(need: int, images: list[tuple[str, tuple[int, int], str]], at: str, needer: str) -> None:
    """Name the first of ``images`` (name, (H, W), the options that would help) with a side under ``need`` px."""
    for name, (h, w), fix in images:
        if min(h, w) < need:
            raise OptionError(f"the {name} image would be {w}x{h} px{at}, but {needer} at least {need} px per side: "
                              f"raise {fix}")


def resume(path: str | os.PathLike, content: ImageLike, styles: ImageLike | Sequence[ImageLike], **overrides) -> Job:
    """A transfer Job that continues from a checkpoint written by Job.checkpoint()."""
    state, saved = optimize.State.load(path)
    optimize.check_image_count(state, saved, "style", len(image_list(styles)))
    saved.setdefault("parameterization", "pixels")  # checkpoints from before the option optimized pixels
    saved.setdefault("polish", 0)  # ... and those from before this one had no pixel stage
    opts = TransferOptions.restore(saved, path, overrides)
    return prepare(content, styles, opts, state=state, **overrides)
