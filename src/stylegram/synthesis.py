"""Texture synthesis after Gatys et al. 2015: an image whose Gram matrices match those of example textures.

A TextureProblem is one more configuration of the optimization loop (stylegram.optimize): start from
noise, match the examples' Gram matrices at conv1_1, pool1..pool4 of an average-pooling VGG19, coarse to
fine. ``prepare_texture()`` returns a Job (iterate it for progress), ``texture()`` runs one to the end.

Scale: by default an example keeps its own pixel scale (``example_scale=1``): a brick 40 px tall in the
example is 40 px tall in the output, whatever the output size, because the Gram matrices (normalized by
the number of positions, see stylegram.stats.gram) do not depend on the image size, only on the features,
and features depend on the pixel scale. At a coarser scale of the pyramid, output and examples shrink by
the same factor.

Tileable (``tileable=True``): circular padding in every convolution, a circular total variation and
wrap-around resampling between scales make the loss invariant to circular shifts, so the wrap-around
border is like any other line. It is exact when every scale's sides are multiples of the deepest layer's
stride (16 for pool4), as with the default pyramid for sizes that are multiples of 64.

Grey examples (all three channels equal, in all but GREY_EXCEPT of the pixels) give a grey texture.

``statistic`` swaps the Gram matrices for another style statistic (stylegram.statistics: MMD kernels,
mean/std, Wasserstein-2, histograms, or a weighted mix); their terms are then named "texture.<statistic>.<layer>".
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from . import labels, masks, memory, optimize, precision, statistics
from .backbones import Backbone, check_model, reused
from .errors import OptionError, check_choice, check_number, check_seed, warn
from .options import Counts, Listed, Options, whole_number
from .gatys import iteration_counts, load_model, scale_sizes, warn_dropped_counts, warn_enlarged
from .images import MAX_SIDE, ImageLike, image_list, load_input, one_colour, warn_transparent
from .job import Job, Result
from .losses import (Objective, StyleTerm, blend_of_layer, blend_weights, layer_groups, normalized,
                     tv_loss)

LAYERS = "conv1_1,pool1,pool2,pool3,pool4"
MARGIN = 4  # px: a texture's outermost three rows and columns came out speckled with saturated pixels (3x the
# inside's share, on mosaic at 128 px), the network seeing fewer of their neighbours; grown beyond the border and
# cropped off, they are as the inside (BENCHMARKS.md), for 13 % more pixels at 64 px and 3 % at 256


@dataclass
class TextureOptions(Options):
    """Every option of a texture synthesis; the defaults follow the paper (the reasons: comments in
    stylegram/synthesis.py)."""

    kind = "texture"  # not a field: names these options in errors (stylegram.options)
    several = "texture(['sample:gravel', 'sample:grass'])"

    size: str | int = 256  # output "WxH" or one number for a square; may be larger or smaller than the examples
    layers: Listed = LAYERS  # the paper's Gram layers; optionally weighted ("conv1_1,pool1,pool2:2"); per example: a/b
    blend: Listed | None = None  # weights of several examples, e.g. "0.7,0.3"; equal when None
    statistic: str = "gram"  # the paper's Gram matrices, or another style statistic (docs/statistics.md)
    example_scale: float = 1.0  # example size relative to its own pixels (1: same feature scale as the output)
    tv_weight: float = 0.0  # the paper has none; relative to the Gram terms, whose weights sum to 1
    optimizer: str = "lbfgs"  # the paper's
    lr: float | None = None
    iterations: Counts = "300,150,100"  # per scale, coarse to fine (extra coarse scales get the first count);
    # most at the cheap coarsest scale, where the noise start is shaped; the finer ones only add detail
    min_size: int = 64  # long side of the coarsest scale: pool4 still has 4x4 positions there
    scale_factor: float = 2.0
    tolerance: float = 1e-3  # early stop when the loss improves by less than this fraction ...
    patience: int = 20  # ... over this many iterations (0 tolerance: never stop early)
    tileable: bool = False  # circular padding in the network and between scales: the output tiles seamlessly
    margin: int = MARGIN  # px grown beyond each border at every scale and cropped off (none when tileable)
    backbone: str = "vgg19"
    weights: str = "default"
    pooling: str = "avg"  # the paper: average pooling gives smoother gradients and better textures
    padding: str | None = None  # None: circular when tileable, else the backbone's own (reflect for VGG)
    precision: str = "auto"  # of the network pass: bfloat16 where native, else winograd or float32 (stylegram.precision)
    seed: int = 0
    max_memory: float | None = None  # GiB; None: what the system has available
    masks: str | list | None = None  # one per example, of the output's aspect: where its texture grows (white)
    labels: str | list | None = None  # colour-coded maps, the output's then one per example: like colours grow alike

    def __post_init__(self) -> None:
        """Also take masks and label maps held in memory (Python API), kept as tensors so that checkpoints hold them."""
        super().__post_init__()
        parse_size(self.size)  # refused when the options are made, not only when they run
        self.masks = masks.kept(masks.TEXTURE_MASKS, self.masks)
        self.labels = labels.kept(self.labels)


GREY_EXCEPT = 0.01  # share of pixels with some colour that a grey example may have: 25 of a grey palette PNG's 16,384
# pixels a shade off grey made its texture multicoloured confetti, which the Gram matrices hardly weigh


def is_grey(image: torch.Tensor) -> bool:
    """Whether an example (1, 3, H, W) is grey: its channels equal (within 1/255) in all but GREY_EXCEPT of pixels."""
    coloured = (image.amax(1) - image.amin(1)) >= 1 / 255
    return float(coloured.float().mean()) < GREY_EXCEPT


def parse_size(spec: str | int | Sequence[int]) -> tuple[int, int]:
    """'320x200' -> (200, 320) as (H, W); '256' or 256 -> (256, 256); (W, H) sequences too."""
    if _number(spec):
        w = h = _whole(spec, spec)
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and all(map(_number, spec)):
        w, h = (_whole(v, spec) for v in spec)
    else:
        match = re.fullmatch(r"\s*(-?\d+)\s*(?:[xX×]\s*(-?\d+))?\s*", str(spec))  # -5: told the range
        if not match:
            raise OptionError(f"--size '{spec}' is not WIDTHxHEIGHT or one number of px, e.g. 256 or 320x200")
        w = int(match[1])
        h = int(match[2]) if match[2] else w
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        shown = f"{w}x{h}" if w != h or "x" in str(spec).lower() else f"{w}"  # as given: size=0, not size=0x0
        raise OptionError(f"--size {shown}: width and height must be between 1 and {MAX_SIDE} px")
    return h, w


def _fitting(final: tuple[int, int], side: int) -> str:
    """'712x534' for a WxH texture of ``final``'s (H, W) shape with long side ``side``; '712' for a square one (a bare
    number for a 4:3 texture made a square that did not fit)."""
    if final[0] == final[1]:
        return str(side)
    h, w = memory.scaled(final, side)
    return f"{w}x{h}"


def doodle_size(doodle: tuple[int, int], size: str | int | Sequence[int]) -> str | int | Sequence[int]:
    """--size for a texture whose --labels begin with a doodle of ``doodle`` (H, W) px: one number (the default
    too) becomes the doodle's shape with that long side ('256' and a 96x64 doodle: '256x171'); WIDTHxHEIGHT is
    kept as given, and the label maps check its aspect."""
    if not (_number(size) or re.fullmatch(r"\s*\d+\s*", str(size))):
        return size
    side = max(parse_size(size))
    h, w = doodle
    scale = side / max(h, w)
    return f"{max(1, round(w * scale))}x{max(1, round(h * scale))}"


def _doodled(opts: TextureOptions) -> TextureOptions:
    """The options with --size shaped by the doodle, the first of --labels (doodle_size); as they were without."""
    if opts.labels is None or (isinstance(opts.labels, str) and not opts.labels.strip()):
        return opts
    first = opts.labels.split(",")[0].strip() if isinstance(opts.labels, str) else opts.labels[0]
    return opts.replace(size=doodle_size(tuple(load_input(first, "label map 1").shape[-2:]), opts.size))


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _whole(value: numbers.Real, spec: object) -> int:
    """A side given as a number: 64 and 64.0 are 64 px; 64.5 (or NaN) is refused, not rounded."""
    if (side := whole_number(value)) is None:
        raise OptionError(f"--size {spec!r}: sides are whole numbers of px, e.g. 256 or 320x200")
    return side


def circular_tv(image: torch.Tensor) -> torch.Tensor:
    """tv_loss counting the neighbours across the wrap-around border too (for tileable outputs)."""
    dx = image - image.roll(1, -1)
    dy = image - image.roll(1, -2)
    return dx.pow(2).mean() + dy.pow(2).mean()


def checkerboard(image: torch.Tensor) -> float:
    """How hatched an image is: the mean pixel-to-pixel diagonal step of its grey over its mean step between
    neighbours (white noise about 0.7, photos and textures about 0.5); what chose smooth_noise as the start."""
    grey = image.mean(1, keepdim=True)
    diagonal = grey[..., 1:, 1:] - grey[..., 1:, :-1] - grey[..., :-1, 1:] + grey[..., :-1, :-1]
    return float((diagonal / 4).abs().mean() / ((grey[..., 1:] - grey[..., :-1]) / 2).abs().mean())


def smooth_noise(channels: int, size: tuple[int, int], generator: torch.Generator, wrap: bool = False
                 ) -> torch.Tensor:
    """(1, channels, *size) normal noise drawn at half the size and enlarged bilinearly: no checkerboard in it;
    ``wrap``: enlarged across the wrap-around border, for a texture that must tile."""
    half = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    noise = torch.randn((1, channels, *half), generator=generator)
    if not wrap:
        return F.interpolate(noise, size=size, mode="bilinear", align_corners=False)
    (h, w), tiled = size, noise.repeat(1, 1, 3, 3)  # the centre of a 3x3 tiling, enlarged: periodic
    return F.interpolate(tiled, size=(3 * h, 3 * w), mode="bilinear", align_corners=False)[..., h:2 * h, w:2 * w]


def start_colour(examples: Sequence[torch.Tensor], blend: Sequence[float], size: tuple[int, int],
                 placed: Sequence[torch.Tensor] | None = None, regions: Sequence[torch.Tensor | None] | None = None,
                 wrap: bool = False) -> torch.Tensor:
    """The colour the start noise is drawn around: the examples' blended mean, or with ``placed`` masks (one per
    example, any size of the output's aspect) each mask's part around its example's own mean (over its ``regions``
    entry where there is one), and what no mask covers around the blend's; (1, 3, 1, 1) or (1, 3, *size)."""
    mean = sum(w * e.mean((-2, -1), keepdim=True) for e, w in zip(examples, blend))
    if not placed:
        return mean
    weights = [optimize.resize(m, size, wrap=wrap).clamp(0, 1) for m in placed]
    colours = [(e if r is None else masks.pixels_in(e, r)).mean((-2, -1), keepdim=True)
               for e, r in zip(examples, regions or [None] * len(examples))]
    covered = sum(weights)
    painted = sum(m * c for m, c in zip(weights, colours))
    return (painted + (1 - covered).clamp_min(0) * mean) / covered.clamp_min(1)


class TextureProblem(optimize.Problem):
    """Match the blended Gram matrices of the examples at every scale, starting from noise."""

    def __init__(
        self, examples: list[torch.Tensor], opts: TextureOptions, backbone: Backbone, state: optimize.State | None = None
    ):
        self.opts, self.backbone, self.examples = opts, backbone, examples
        self.state = state  # read by terms_at: a sampled statistic resumed mid-scale draws the same positions
        self.groups = layer_groups(opts.layers, len(examples), "--layers", "example")  # per example: {layer: weight}
        self.layers = {name: w for group in self.groups for name, w in group.items()}  # all of them
        if opts.layers == LAYERS:
            backbone.check_defaults({"--layers": list(self.layers)})
        self.ordered = backbone.check_layers(list(self.layers))
        self.blend = blend_weights(opts.blend, len(examples), noun="example", option="--blend")
        check_number("--example-scale", opts.example_scale, above=True)
        check_number("--tv-weight", opts.tv_weight)
        check_seed(opts.seed)
        self.wrap = opts.tileable
        if isinstance(opts.margin, bool) or not isinstance(opts.margin, int) or not 0 <= opts.margin <= 64:
            raise OptionError(f"--margin must be a whole number of px from 0 to 64, got {opts.margin!r}")
        if self.wrap and opts.margin not in (0, MARGIN):  # was taken and ignored without a word (trial V); the
            refuse_tileable_margin(opts.margin)  # default's value only the command line can tell from none
        self.margin = 0 if self.wrap else opts.margin  # a tiling texture has no border
        # Grey examples give a grey texture: the loss sees the channel mean, so the gradient (and the image
        # started as grey noise) stay grey instead of collecting faint colour speckles.
        self.grey = all(is_grey(e) for e in examples)
        self.statistic = statistics.parse_statistic(opts.statistic, seed=opts.seed)
        self.precision = precision.resolve(opts.precision)
        self.need, self.needer = statistics.input_need(self.statistic, backbone, self.ordered, self.ordered,
                                                       f"the layers {','.join(self.ordered)} need")
        self.final = parse_size(opts.size)
        self.masks = masks.load_texture_masks(opts.masks, len(examples), self.final, opts.statistic)
        self.regions = None  # per example, the part of it that grows (--labels)
        self.labels = self._take_labels()
        self._sizes = self._plan(self.final)

    def _take_labels(self) -> labels.Split | None:
        """--labels as entries (stylegram.labels): one per colour of the output's map and example with it, each
        growing the colour's part of its example in the colour's part of the output (Champandard's neural doodle)."""
        if self.opts.labels is None:
            return None
        labels.check_alone(self.opts.masks, words=labels.TEXTURE)
        masks.check_weighted(self.opts.statistic, "--labels")
        split = labels.split(self.opts.labels, self.final, [tuple(e.shape[-2:]) for e in self.examples], self.blend,
                             labels.TEXTURE)
        self.examples = [self.examples[n] for n in split.styles]
        self.groups = [self.groups[n] for n in split.styles]
        self.masks, self.regions, self.blend = split.masks, split.regions, split.blend
        return split

    def _plan(self, final: tuple[int, int]) -> list[tuple[int, int]]:
        """Scales coarse to fine, dropping coarse ones at which an example would fall below the minimum."""
        if min(final) < self.need:
            raise OptionError(
                f"--size {final[1]}x{final[0]} is too small: {self.needer} at least {self.need} px per side; use a "
                "larger --size or shallower --layers"
            )
        sizes = scale_sizes(final, max(final), self.opts.min_size, self.opts.scale_factor, self.need)
        for i, example in enumerate(self.examples):
            h, w = self.example_size(example, final)
            if min(h, w) < self.need:
                raise OptionError(
                    f"example {i + 1} is {w}x{h} px (after --example-scale), but {self.needer} at least "
                    f"{self.need} px per side: use a larger example, "
                    f"--example-scale {optimize.smallest_scale(min(example.shape[-2:]), self.need):.2f} or more, "
                    "or shallower --layers"
                )
        return [s for s in sizes if all(min(self.example_size(e, s)) >= self.need for e in self.examples)]

    def sizes(self) -> list[tuple[int, int]]:
        return self._sizes

    def example_size(self, example: torch.Tensor, size: tuple[int, int]) -> tuple[int, int]:
        """The example's (H, W) at the scale whose output is ``size``: shrunk as much as the output is."""
        factor = self.opts.example_scale * max(size) / max(self.final)
        h, w = example.shape[-2:]
        return max(1, round(h * factor)), max(1, round(w * factor))

    @torch.no_grad()
    def targets(self, size: tuple[int, int]) -> dict:
        """The blend of the examples' statistics per layer (Gram matrices by default), for output ``size``."""
        per_example = self._per_example(size)
        targets = {}
        for layer in self.ordered:  # each layer blends the examples that have it (all, without groups in --layers)
            users, shares = blend_of_layer(self.groups, self.blend, layer)
            if users:
                targets[layer] = self.statistic.blend([per_example[n][layer] for n in users], shares)
        return targets

    @torch.no_grad()
    def _per_example(self, size: tuple[int, int]) -> list[dict]:
        """Each example's statistics per layer of its group, for output ``size``."""
        passes = masks.source_features(self.backbone, self.examples, self.groups, self.regions,
                                       lambda example: self.example_size(example, size))
        return [{layer: statistics.target_of(self.statistic, feats[layer], areas[layer]) for layer in layers}
                for (feats, areas), layers in zip(passes, self.groups)]

    def _blended_terms(self, size: tuple[int, int]) -> dict[str, tuple]:
        """One term per layer and statistic part, on the blend of the examples that have the layer."""
        targets = self.targets(size)
        parts = statistics.components(self.statistic)
        step = self.state.step if self.state is not None else 0
        terms = {}
        for layer, weight in normalized(self.layers).items():
            if layer not in targets:  # only examples blended at weight 0 have it
                continue
            own = targets[layer] if len(parts) > 1 else (targets[layer],)
            for (stat, share), target in zip(parts, own):
                name = statistics.term_name("texture", self.statistic, stat, layer)
                terms[name] = (StyleTerm(layer, statistics.at_evaluation(target, step), stat), weight * share)
        return terms

    def canvas(self, size: tuple[int, int]) -> tuple[int, int]:
        """What is optimized for an output of ``size`` (H, W): it grown by the margin on every side."""
        return size[0] + 2 * self.margin, size[1] + 2 * self.margin

    def masks_at(self, size: tuple[int, int]) -> list[torch.Tensor]:
        """The --masks scaled to ``size`` (across the wrap-around border when tileable), in [0, 1], and drawn out
        over the margin as the canvas is."""
        m = self.margin
        return [F.pad(optimize.resize(mask, size, wrap=self.wrap).clamp(0, 1), (m, m, m, m), mode="replicate")
                for mask in self.masks]

    def _masked_terms(self, size: tuple[int, int]) -> dict[str, tuple]:
        """With --masks, each example's own terms over its region, "texture.<layer>.<n>" (as transfer's style masks)."""
        several = len(statistics.components(self.statistic)) > 1  # a Combination's target is a tuple of its parts'
        targets = [{layer: list(t) if several else [t] for layer, t in own.items()} for own in self._per_example(size)]
        step = self.state.step if self.state is not None else 0
        return masks.style_terms("texture", self.statistic, targets, self.masks_at(size), self.groups, self.blend, 1.0,
                                 step, [masks.strength(m) for m in self.masks])

    def terms_at(self, size: tuple[int, int]) -> optimize.Terms:
        """One term per layer and statistic, weights summing to 1, plus "tv" when asked for.

        Named "texture.pool2" for the default Gram statistic, "texture.<statistic>.pool2" otherwise, and with
        --masks "texture.pool2.<n>" for example n.
        """
        terms = self._masked_terms(size) if self.masks else self._blended_terms(size)
        objective = Objective(self.backbone, terms, precision=self.precision)
        tv, weight = (circular_tv if self.wrap else tv_loss), self.opts.tv_weight

        def evaluate(image: torch.Tensor) -> dict[str, torch.Tensor]:
            if self.grey:
                image = image.mean(1, keepdim=True).expand_as(image)
            out = objective(image)
            if weight:
                out["tv"] = weight * tv(image)
            return out

        return evaluate

    def inputs(self) -> dict[str, torch.Tensor]:
        """The example images (and masks) as given."""
        masks = {f"mask {i + 1}": m for i, m in enumerate(self.masks or [])}
        regions = {f"region {i + 1}": r for i, r in enumerate(self.regions or [])}
        return {**{f"example {i + 1}": e for i, e in enumerate(self.examples)}, **masks, **regions}

    def initial_image(self, size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
        """Noise around the examples' mean colour, grey for grey examples; drawn at half the size and enlarged.

        The paper starts from white noise at full size; the Gram loss does not pull its pixel-to-pixel checkerboard
        away but sharpens it, so a texture made in one scale (up to 127 px by default) came out hatched. Coarse to
        fine, the finer scales smooth it away, and there this start changes nothing measurable (BENCHMARKS.md).
        """
        placed = self.masks_at(size) if self.masks else None
        size = self.canvas(size)
        colour = start_colour(self.examples, self.blend, size, placed, self.regions, self.wrap)
        return (colour + 0.2 * smooth_noise(1 if self.grey else 3, size, generator, self.wrap)).clamp(0, 1)

    def rescale(self, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Resize to the next scale's canvas, across the wrap-around border when the output must tile.

        With a margin the picture is enlarged by the scales' own ratio and the next canvas cut from it: the margin
        is the same px at every scale, so resizing canvas to canvas (72 to 136 px from 64 to 128) shrank the picture
        by 6 % and moved it 3.5 px inwards at each step, and the masks (drawn out over the margin) no longer lay
        where their regions had been painted.
        """
        m = self.margin
        if not m:
            return optimize.resize(image, self.canvas(size), wrap=self.wrap)
        picture = (image.shape[-2] - 2 * m, image.shape[-1] - 2 * m)
        grown = [round(m * new / old) for new, old in zip(size, picture)]  # the coarse margin in the next scale's px
        enlarged = optimize.resize(image, (size[0] + 2 * grown[0], size[1] + 2 * grown[1]))
        top, left = grown[0] - m, grown[1] - m
        return enlarged[..., top:top + size[0] + 2 * m, left:left + size[1] + 2 * m]

    def finish(self, image: torch.Tensor) -> torch.Tensor:
        """The picture: the canvas with its margin cropped off, grey for grey examples."""
        m = self.margin
        image = image[..., m:image.shape[-2] - m, m:image.shape[-1] - m] if m else image
        return image.mean(1, keepdim=True).expand_as(image).contiguous() if self.grey else image


def refuse_tileable_margin(margin: int) -> None:
    """Refuse a --margin given with --tileable: a texture that tiles has no border to grow beyond."""
    raise OptionError(f"--margin {margin} grows a texture beyond its borders, and a --tileable one has none: drop "
                      "--margin")


def tiling_padding(padding: str | None, tileable: bool) -> str | None:
    """The network padding a texture is made and measured with: circular when it tiles (--tileable), else
    ``padding``."""
    if tileable and padding not in (None, "circular"):
        raise OptionError(f"--tileable needs circular padding, as a texture that tiles is made and measured, but "
                          f"--padding is '{padding}'; drop --padding")
    return "circular" if tileable else padding


def _backbone_for(opts: TextureOptions, model: Backbone | None) -> Backbone:
    """The options' backbone; a given model is reused, copied when it needs another padding."""
    padding = tiling_padding(opts.padding, opts.tileable)
    if check_model(model) is None:
        return load_model(opts.replace(padding=padding))
    return reused(model, opts.pooling, padding)


def prepare_texture(
    examples: ImageLike | Sequence[ImageLike],
    options: TextureOptions | None = None,
    *,
    model: Backbone | None = None,
    state: optimize.State | None = None,
    **changes,
) -> Job:
    """Load and check everything, then return a texture Job ready to iterate (nothing optimized yet).

    ``examples``: image files, 'sample:NAME' or (1, 3, H, W) tensors in [0, 1]. ``model`` reuses a loaded
    backbone of the options' kind (it is copied, sharing weights, when it needs another padding).
    """
    opts = TextureOptions.given(options, **changes)
    parse_size(opts.size)  # a clear error before any image is read
    check_choice("--optimizer", opts.optimizer, optimize.PICTURE_OPTIMIZERS)  # the command line's choices
    opts = _doodled(opts)
    examples = image_list(examples)
    if not examples:
        raise OptionError("give at least one example texture")
    tensors = [load_input(e, f"example {i + 1}") for i, e in enumerate(examples)]
    if state is None:
        warn_transparent(examples, "example", "give an opaque example (crop its transparent part away)")
    statistics.parse_statistic(opts.statistic)
    limit = memory.limit_bytes(opts.max_memory)
    backbone = _backbone_for(opts, model)
    state = state or optimize.State()
    problem = TextureProblem(tensors, opts, backbone, state)
    counts = iteration_counts(opts.iterations, len(problem.sizes()))
    schedule = optimize.Schedule(counts, opts.optimizer, opts.lr, tolerance=opts.tolerance, patience=opts.patience)
    if state.iteration == 0:
        if "iterations" in opts.changed():
            warn_dropped_counts(opts.iterations, len(problem.sizes()))
        optimize.warn_no_steps(counts, opts.iterations, "the start (smooth noise in the examples' colours)")
        optimize.warn_large_adam_step(schedule)
    final = problem.sizes()[-1]

    def held(size: tuple[int, int]) -> int:  # the statistic's own, at a canvas of ``size`` and its examples'
        examples = [problem.example_size(example, size) for example in problem.examples]
        return statistics.held_bytes(problem.statistic, backbone, problem.ordered, size, examples)
    for example in problem.examples:  # its targets take a forward pass at the example's own size, whatever --size:
        size = problem.example_size(example, final)  # checked first, as no --size would make it fit
        memory.check_targets_fit(backbone, problem.ordered, size, limit, "example", lambda side, long=max(size):
                                 f"the largest --example-scale that fits is about {opts.example_scale * side / long:.2f}")
    m = problem.margin  # the canvas is the picture and its margin: 5008 px was named for --size 5000 (trial V)
    memory.check_fits(backbone, problem.ordered, problem.canvas(final), limit, schedule.most_pairs(), extra=held,
                      what=f"run (the {final[1]}x{final[0]} texture and its {m} px margin)" if m else "run",
                      fix=lambda side: f"the largest size that fits is about --size {_fitting(final, side - 2 * m)}",
                      also=statistics.fewer_samples(problem.statistic))
    warn_enlarged(tensors, [problem.example_size(e, final) for e in tensors], "--example-scale", "example",
                  "a smaller --example-scale")  # as transfer warns of a style image (once it is sure to run)
    warn_slow_examples(problem, counts)
    warn_small_examples(problem)
    warn_flat_examples(problem.examples)
    return Job(problem, schedule, opts, state)


# measuring the examples against the synthesis, in pixels passed (both ~9-10 s a megapixel here), above which it is
# said: at 1 a 128 px texture was told it 'takes about 1x as long'
SLOW_EXAMPLES = 2.0
SLOW_MEASURE = 2e6  # pixels measured below which it is said of no run: 10-20 s (a short preview measures longer)


SMALL_EXAMPLE_MAP = 4  # positions across an example's deepest maps below which its statistics there say little


def _deepest(problem: TextureProblem) -> tuple[str, int]:
    """The deepest of the problem's layers and its stride."""
    deepest = max(problem.ordered, key=lambda name: problem.backbone.info(name).stride)
    return deepest, problem.backbone.info(deepest).stride


def _enough_scale(problem: TextureProblem, size: tuple[int, int]) -> float:
    """The --example-scale at which an example read at ``size`` (H, W) now would give the deepest layer's maps
    SMALL_EXAMPLE_MAP positions on its short side."""
    return problem.opts.example_scale * SMALL_EXAMPLE_MAP * _deepest(problem)[1] / min(size)


def warn_small_examples(problem: TextureProblem) -> None:
    """Say beforehand when an example is so small that its deepest layer's maps are a few positions across: a 32 px
    mosaic grown to 128 px came out as coloured confetti, without a word (its pool4 maps were 2x2)."""
    deepest, stride = _deepest(problem)
    for i, example in enumerate(problem.examples):
        h, w = problem.example_size(example, problem.sizes()[-1])
        if min(h, w) // stride >= SMALL_EXAMPLE_MAP:
            continue
        which = f"example {i + 1}" if len(problem.examples) > 1 else "the example"
        need = SMALL_EXAMPLE_MAP * stride
        asked = _enough_scale(problem, (h, w))  # 'enlarged' was said of 0.043: less shrunk, at a 1500 px example
        how = "enlarged, so blurred" if asked > 1 else "more of its own pixels"
        warn(f"{which} is read at {w}x{h} px, so its {deepest} maps are {w // stride}x{h // stride}: too few to tell "
             f"the material's larger forms, and the texture may come out as noise; give an example of at least {need} "
             f"px on its short side, or --example-scale {asked:.2g} ({how})")


def warn_flat_examples(examples: Sequence[torch.Tensor]) -> None:
    """Say when an example is one colour: it has no texture to copy, and a flat (200,30,30) came out mottled, 14
    levels of noise about its colour, without a word."""
    for i, example in enumerate(examples):
        if not one_colour(example):
            continue
        which = f"example {i + 1}" if len(examples) > 1 else "the example"
        colour = ",".join(str(round(v * 255)) for v in example.mean((-2, -1))[0].tolist())
        warn(f"{which} is one colour ({colour}): it has no texture to copy, so the result is that colour with a "
             "faint noise the optimization leaves; give a picture of a material")


def warn_slow_examples(problem: TextureProblem, counts: Sequence[int]) -> None:
    """Say beforehand when measuring the examples at their own pixel scale takes longer than the synthesis: a
    4032x3024 photo for a 128 px texture took 173 s (the synthesis 24) and 15.9 GB, without a word of why."""
    sizes = problem.sizes()
    measured = sum(math.prod(problem.example_size(e, size)) for size in sizes for e in problem.examples)
    synthesized = sum(math.prod(problem.canvas(size)) * n for size, n in zip(sizes, counts))
    ratio = measured / max(synthesized, 1)
    if ratio <= SLOW_EXAMPLES or measured < SLOW_MEASURE:
        return
    largest = max(problem.examples, key=lambda e: math.prod(problem.example_size(e, sizes[-1])))
    h, w = problem.example_size(largest, sizes[-1])
    scale = problem.opts.example_scale
    smaller = max(0.01, math.floor(100 * scale * math.sqrt(0.25 / ratio)) / 100)  # a quarter of the synthesis
    enough = math.ceil(100 * _enough_scale(problem, (h, w))) / 100  # warn_small_examples's floor: 0.03 was offered,
    smaller = max(smaller, enough)  # and then called too small for pool4
    sh, sw = (max(1, round(side * smaller / scale)) for side in (h, w))
    which = f"example {problem.examples.index(largest) + 1}" if len(problem.examples) > 1 else "the example"
    said = f"{which} is read at {w}x{h} px (--example-scale {scale:g} of its own pixels), so measuring the examples " \
           f"takes about {ratio:.0f}x as long as the synthesis itself"
    warn(said + (f"; --example-scale {smaller:g} reads it at {sw}x{sh} (its grain {scale / smaller:.0f}x smaller in "
                 "the texture)" if smaller < scale else "; a crop of it would measure faster"))


def texture(examples: ImageLike | Sequence[ImageLike], options: TextureOptions | None = None, *,
            progress: bool = False, **changes) -> Result:
    """Synthesize a texture to the end and return the Result; ``options`` (a TextureOptions) and/or its fields as
    keywords (help(stylegram.TextureOptions) lists them); ``progress``: a progress bar on stderr, as the command line
    shows. A Ctrl-C raises stylegram.Interrupted, whose ``job`` holds the work so far."""
    return prepare_texture(examples, options, **changes).run(progress)


def resume_texture(path: str | os.PathLike, examples: ImageLike | Sequence[ImageLike], **overrides) -> Job:
    """A texture Job that continues from a checkpoint written by Job.checkpoint()."""
    state, saved = optimize.State.load(path)
    optimize.check_image_count(state, saved, "example", len(image_list(examples)))
    saved.setdefault("margin", 0)  # checkpoints from before the margin grew none
    opts = TextureOptions.restore(saved, path, overrides)
    return prepare_texture(examples, opts, state=state, **overrides)
