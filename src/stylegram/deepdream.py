"""Deep dream and feature visualization: images that a channel, a cluster of channels or a layer prefers.

Gradient ascent on the input image, as the blog post "Understanding style transfer" did to see what single
feature maps and clusters of feature maps respond to, is one more configuration of the optimization loop
(stylegram.optimize): a DreamProblem whose loss terms are minus an Objective.

Objectives are small composable objects (after lucid/lucent): they add, subtract and scale, and describe
themselves::

    channel("conv4_1", 3) - 0.5 * channel("conv4_1", 7)     # "channel(conv4_1, 3) - 0.5 * channel(conv4_1, 7)"
    cluster("clusters.json", 4)                             # the mean activation of a cluster's channels
    cluster_correlation("conv4_1", [3, 7, 12])              # their mean pairwise Pearson correlation
    layer("conv4_1")                                        # classic deep dream: mean squared activation

What the loop is told (see DreamProblem): start from noise or a photo; move up octaves (scales 1.4x apart
by default), carrying a photo's dream detail onto the sharper photo at each octave, as in the original deep
dream; parameterize the image by pixels or by a decorrelated-colour 1/f spectrum (stylegram.params); before
every evaluation pad, jitter, scale and rotate the image at random (from the problem's own generator, which
the loop seeds from the run's seed and checkpoints); split images larger than ``tile`` px into tiles whose
gradients are computed one at a time, so large dreams fit in memory.

Pre-ReLU taps: a post-ReLU channel that is zero everywhere on the grey or noise start has zero gradient and
the dream never moves. So by default a channel, cluster or correlation objective on ``reluX_Y`` (VGG) or
``NAME`` (InceptionV1, where ``NAME_pre_relu`` exists) is evaluated on the matching pre-ReLU tap (``convX_Y``,
``NAME_pre_relu``): the same channels before the ReLU, which always have a gradient. A whole-layer objective
keeps its layer (see on_pre_relu_taps). ``pre_relu=False`` keeps every layer as named.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from . import memory, optimize, params, precision, stats
from .analysis.cluster_file import ClusterFile, named_network, read_cluster
from .color import gray
from .backbones import Backbone, check_model, load_backbone
from .errors import OptionError, check_choice, check_number, check_seed, count, missing_channels, warn
from .options import Counts, Options
from .gatys import iteration_counts, warn_dropped_counts
from .images import STRAIGHT, ImageLike, check_side, kept_input, load_alpha, load_input, one_colour
from .job import Job, Result

OBJECTIVES = ("activation", "correlation")
PARAMETERIZATIONS = ("auto", "fourier", "pixels")
# Std of the noise start around grey: small, as in feature-visualization libraries, so the result does not
# keep the white noise's own high frequencies (the optimizer hardly removes what no objective asks to remove).
NOISE = 0.02
# Adam's step on a photo's pixels (pixels parameterization): at 0.01 one channel's pattern covered the photo (the cat of
# `dream --image sample:chelsea --layer relu4_1 --channels 176` gone after 30 steps); at 0.005 its eyes and nose stay.
PIXEL_LR = 0.005
OBJECTIVE_INPUT = "objective (its layers and channels)"  # how a checkpoint names the objective among its inputs
optimize.RECORDED_LATER.add(OBJECTIVE_INPUT)

# ---------------------------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class Measure:
    """One quantity of one layer's features to maximize, averaged over the batch.

    kind: 'channels' (mean activation of the channels), 'layer' (mean squared activation of the whole layer)
    or 'correlation' (mean pairwise Pearson correlation of the channels' maps). ``label`` says how the
    channels were chosen (e.g. 'cluster 4 of clusters.json'); it is only used in descriptions.
    """

    kind: str
    layer: str
    channels: tuple[int, ...] = ()
    label: str = ""

    def value(self, features: torch.Tensor) -> torch.Tensor:
        """The measure of (N, C, H, W) features, a scalar."""
        if self.kind == "layer":
            return features.pow(2).mean()
        picked = features[:, list(self.channels)]
        if self.kind == "channels":
            return picked.mean()
        return mean_correlation(picked).mean()

    @property
    def name(self) -> str:
        """Short and unique, used as the loss term's name: 'channel(conv4_1, 3)'."""
        if self.kind == "layer":
            return f"layer({self.layer})"
        if self.kind == "channels" and len(self.channels) == 1 and not self.label:  # a one-channel cluster keeps its
            return f"channel({self.layer}, {self.channels[0]})"  # name ('cluster 0 of grams.json')
        what = self.label or _compact(self.channels)
        return f"{'channels' if self.kind == 'channels' else 'cluster_correlation'}({self.layer}, {what})"

    @property
    def meaning(self) -> str:
        """One readable line: what is measured."""
        which = f"{len(self.channels)} channels" + (f" ({self.label})" if self.label else "")
        if self.kind == "layer":
            return f"mean squared activation of {self.layer} (deep dream)"
        if self.kind == "channels" and len(self.channels) == 1:
            return f"mean activation of channel {self.channels[0]}{f' ({self.label})' if self.label else ''} of {self.layer}"
        if self.kind == "channels":
            return f"mean activation of {which} of {self.layer}"
        return f"mean pairwise Pearson correlation of the maps of {which} of {self.layer}"


def _compact(channels: Sequence[int]) -> str:
    if len(channels) <= 8:
        return "[" + ", ".join(map(str, channels)) + "]"
    return f"[{channels[0]}, {channels[1]}, ..., {channels[-1]}: {len(channels)} channels]"


def mean_correlation(features: torch.Tensor) -> torch.Tensor:
    """Mean over channel pairs i < j of the Pearson correlation of their maps: (N, C, H, W) -> (N,).

    Each channel is centred and divided by its standard deviation first (stylegram.stats.pearson), so
    neither brightness nor contrast can raise it: only maps that vary together can. C must be >= 2.
    """
    c = features.shape[1]
    if c < 2:
        raise OptionError("a correlation needs at least two channels; give a cluster of two or more")
    r = stats.pearson(features)
    return (r.sum((-2, -1)) - r.diagonal(dim1=-2, dim2=-1).sum(-1)) / (c * (c - 1))


class Objective:
    """A weighted sum of Measures, to maximize. Objectives add, subtract, negate and scale by numbers.

    ``terms(features)`` gives the weighted value of every measure by name; calling it gives their sum.
    """

    def __init__(self, parts: Mapping[Measure, float] | Iterable[tuple[Measure, float]] = ()):
        merged: dict[Measure, float] = {}
        for measure, weight in parts.items() if isinstance(parts, Mapping) else parts:
            merged[measure] = merged.get(measure, 0.0) + float(weight)
        self.parts = {m: w for m, w in merged.items() if w != 0}

    @property
    def layers(self) -> list[str]:
        return sorted({m.layer for m in self.parts})

    @property
    def description(self) -> str:
        """The formula: 'channel(conv4_1, 3) - 0.5 * channel(conv4_1, 7)'."""
        out = ""
        for measure, weight in self.parts.items():
            sign = "-" if weight < 0 else "+"
            size = abs(weight)
            term = measure.name if size == 1 else f"{size:g} * {measure.name}"
            out = f"{'-' if sign == '-' else ''}{term}" if not out else f"{out} {sign} {term}"
        return out or "0"

    def explain(self) -> str:
        """One line per measure: its weight and what it measures."""
        return "\n".join(f"{w:+g} x {m.meaning}" for m, w in self.parts.items())

    def terms(self, features: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {m.name: w * m.value(features[m.layer]) for m, w in self.parts.items()}

    def __call__(self, features: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return sum(self.terms(features).values(), torch.zeros(()))

    def __add__(self, other: Objective | float) -> Objective:
        if isinstance(other, (int, float)) and other == 0:  # so that sum([...]) works
            return self
        if not isinstance(other, Objective):
            return NotImplemented
        return Objective([*self.parts.items(), *other.parts.items()])

    __radd__ = __add__

    def __mul__(self, factor: float) -> Objective:
        if not isinstance(factor, (int, float)) or isinstance(factor, bool):
            return NotImplemented
        return Objective((m, w * factor) for m, w in self.parts.items())

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Objective:
        if not isinstance(divisor, (int, float)) or isinstance(divisor, bool):
            return NotImplemented
        return self * (1.0 / divisor)

    def __neg__(self) -> Objective:
        return self * -1

    def __sub__(self, other: Objective) -> Objective:
        return self + (-other) if isinstance(other, Objective) else NotImplemented

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Objective) and self.parts == other.parts

    __hash__ = None  # mutable-looking value object: compare, do not hash

    def __repr__(self) -> str:
        return f"Objective({self.description})"


def _channel_list(channels: int | Iterable[int], label: str = "") -> tuple[int, ...]:
    picked = (channels,) if isinstance(channels, int) else tuple(int(c) for c in channels)
    if not picked and label:  # an empty cluster of a file was told 'no channels given'
        raise OptionError(f"{label} has no channels; pick another cluster of that file")
    if not picked:
        raise OptionError("no channels given; name at least one, e.g. channels('conv4_1', [3, 7])")
    if any(c < 0 for c in picked):
        raise OptionError(f"channel numbers start at 0, got {min(picked)}")
    return tuple(dict.fromkeys(picked))


def channel(layer_name: str, c: int) -> Objective:
    """Maximize the mean activation of channel ``c`` of a layer."""
    return Objective([(Measure("channels", layer_name, _channel_list(c)), 1.0)])


def channels(layer_name: str, cs: Iterable[int], label: str = "") -> Objective:
    """Maximize the mean activation of several channels together (averaged over the channels)."""
    return Objective([(Measure("channels", layer_name, _channel_list(cs, label), label), 1.0)])


def layer(layer_name: str) -> Objective:
    """Classic deep dream: maximize the mean squared activation of a whole layer."""
    return Objective([(Measure("layer", layer_name), 1.0)])


def cluster_correlation(layer_name: str, cs: Iterable[int], label: str = "") -> Objective:
    """Maximize the mean pairwise Pearson correlation of the channels' feature maps (see mean_correlation)."""
    picked = _channel_list(cs, label)
    if len(picked) < 2 and label:  # a one-channel cluster was told to give more --channels
        raise OptionError(f"a correlation needs at least two channels, and {label} has one ({picked[0]}); pick a "
                          "larger cluster, or maximize its activation (--objective activation)")
    if len(picked) < 2:
        raise OptionError(f"a correlation needs at least two channels, got {list(picked)}; give more, e.g. --channels 3,7")
    return Objective([(Measure("correlation", layer_name, picked, label), 1.0)])


def cluster(path: str | os.PathLike, k: int, correlation: bool = False) -> Objective:
    """The mean activation (or, with ``correlation``, the correlation) of cluster ``k`` of a cluster file."""
    layer_name, cs = read_cluster(path, k)
    label = f"cluster {k} of {Path(path).name}"
    return cluster_correlation(layer_name, cs, label) if correlation else channels(layer_name, cs, label)


def parse_cluster(spec: str) -> tuple[str, int]:
    """'clusters.json:4' -> ('clusters.json', 4)."""
    path, colon, k = str(spec).rpartition(":")
    if not colon and Path(str(spec)).is_file():  # the file alone: which clusters it has, to pick one
        record = ClusterFile.read(spec)
        sizes = ", ".join(f"{c} ({count(len(channels), 'channel')})" for c, channels in sorted(record.clusters.items()))
        raise OptionError(f"--cluster {spec} names no cluster: give FILE:K, e.g. {spec}:{min(record.clusters)}; it "
                          f"has {count(len(record.clusters), 'cluster')} of {record.layer}: {sizes}")
    if not colon or not path or not k.strip().isdigit():
        raise OptionError(f"--cluster '{spec}' is not FILE:K, e.g. grams.json:4")
    return path, int(k)


def pre_relu_tap(backbone: Backbone, layer_name: str) -> str:
    """The tap holding the same channels before the ReLU: relu4_1 -> conv4_1, mixed4c_3x3 -> ..._pre_relu.

    Layers without one (convolutions, poolings, concatenations) are returned unchanged.
    """
    names = set(backbone.layer_names())
    backbone.info(layer_name)
    for candidate in (f"conv{layer_name[4:]}" if layer_name.startswith("relu") else "", f"{layer_name}_pre_relu"):
        if candidate in names:
            return candidate
    return layer_name


def _tapped(asked: Measure, measured: Measure) -> str:
    """' (relu3_1 before its ReLU)' where a measure was moved to its layer's pre-ReLU tap, else ''."""
    return f" ({asked.layer} before its ReLU)" if asked.layer != measured.layer else ""


def on_pre_relu_taps(objective: Objective, backbone: Backbone) -> Objective:
    """The objective with its channel and correlation measures moved to their layers' pre-ReLU taps.

    Whole-layer measures stay: a layer always has live channels, and the classic deep dream maximizes the
    post-ReLU activations (the squared pre-ReLU ones would also amplify what a channel strongly rejects).
    """
    return Objective(
        (m if m.kind == "layer" else dataclasses.replace(m, layer=pre_relu_tap(backbone, m.layer)), w)
        for m, w in objective.parts.items()
    )


# ---------------------------------------------------------------------------------------------- transforms


Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class Pad:
    """Reflect-pad every side by ``pixels``, so jitter and rotation do not always cut off the same border."""

    pixels: int

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        p = min(self.pixels, min(x.shape[-2:]) - 1)
        return F.pad(x, [p] * 4, mode="reflect") if p > 0 else x


@dataclass(frozen=True)
class Jitter:
    """Crop ``pixels`` px less on each axis at a random offset: a random translation by 0..pixels px."""

    pixels: int

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        d = min(self.pixels, min(x.shape[-2:]) // 4)
        if d <= 0:
            return x
        dy, dx = torch.randint(0, d + 1, (2,), generator=generator).tolist()
        h, w = x.shape[-2:]
        return x[..., dy : h - d + dy, dx : w - d + dx]


@dataclass(frozen=True)
class ScaleRotate:
    """Zoom by a random factor in [1 - scale, 1 + scale] and rotate by a random angle in [-degrees, degrees]."""

    scale: float
    degrees: float

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not self.scale and not self.degrees:
            return x
        u = torch.rand(2, generator=generator, dtype=torch.float64) * 2 - 1
        zoom, angle = 1 + self.scale * float(u[0]), math.radians(self.degrees) * float(u[1])
        h, w = x.shape[-2:]
        c, s = math.cos(angle) / zoom, math.sin(angle) / zoom
        # A rotation in pixels, written in the grid's [-1, 1] coordinates (which stretch a non-square image).
        theta = torch.tensor([[[c, -s * h / w, 0.0], [s * w / h, c, 0.0]]], dtype=x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def standard_transforms(jitter: int = 8, scale: float = 0.05, degrees: float = 5.0) -> list[Transform]:
    """Pad, jitter, scale and rotate, jitter a little again (the feature-visualization recipe)."""
    return [Pad(jitter + 4), Jitter(jitter), ScaleRotate(scale, degrees), Jitter(max(jitter // 2, 0))]


# ---------------------------------------------------------------------------------------------- the problem


@dataclass
class DreamOptions(Options):
    """Every option of a dream; the objective comes from layer/channels/cluster/objective unless given."""

    kind = "dream"  # not a field: names these options in errors (stylegram.options)

    layer: str | None = None  # None: the cluster file's layer, else relu4_1
    channels: str | int | Sequence[int] | None = None  # "3", "3,7,12", "0-5", 3 or [3, 7]: their mean activation
    cluster: str | None = None  # "grams.json:4": cluster 4 of a `stylegram grams` cluster file
    objective: str = "activation"  # activation | correlation (of the channels or the cluster)
    image: str | torch.Tensor | None = None  # start from this image (a file, sample:NAME or, from Python, an image); None: noise
    grey: bool = False  # dream in grey: the network sees the image's luminance, as the analyses' --grey images
    size: int | None = None  # long side of the output; None: 224 from noise, the photo's (at most 512) else
    octaves: int = 3  # scales, coarse to fine
    octave_scale: float = 1.4  # size ratio between octaves
    iterations: Counts | None = None  # per octave, coarse to fine, one number for all; None: 24 (noise), 10 (photo)
    parameterization: str = "auto"  # fourier | pixels | auto (fourier from noise, pixels from a photo)
    decay: float = 1.0  # fourier: spectrum scaled by 1 / f^decay
    optimizer: str = "adam"  # adam | sgd-normalized (step = lr * g / mean|g|, the original deep dream's)
    lr: float | None = None  # None: 0.05 for fourier, 0.005 for pixels (a photo: 0.01 covered it with the pattern)
    transforms: bool = True  # random pad, jitter, scale and rotation before every evaluation
    jitter: int = 8  # px
    scale: float = 0.05  # random zoom in [1 - scale, 1 + scale]
    rotate: float = 5.0  # random rotation in [-rotate, rotate] degrees
    tile: int = 512  # images larger than this (px per side) are evaluated in tiles
    pre_relu: bool = True  # evaluate reluX_Y objectives on convX_Y (see the module docstring)
    precision: str = "auto"  # of the network pass: bfloat16 where native, else winograd or float32 (stylegram.precision)
    backbone: str = "vgg19"
    weights: str = "default"
    pooling: str = "max"
    padding: str | None = None
    seed: int = 0
    max_memory: float | None = None  # GiB; None: what the system has available

    def __post_init__(self) -> None:
        """Also take an image held in memory as ``image`` (Python API), kept as a tensor so that checkpoints hold it."""
        super().__post_init__()
        check_side(self.size)  # refused when the options are made, not only when they run
        if self.image is not None:
            self.image = kept_input(self.image, "start image")


def objective_from(opts: DreamOptions, backbone: Backbone) -> Objective:
    """The objective the options describe: channels or a cluster (activation or correlation), else a layer."""
    check_choice("--objective", opts.objective, OBJECTIVES)
    if opts.channels is not None and opts.cluster is not None:
        raise OptionError("give --channels or --cluster, not both")
    correlation = opts.objective == "correlation"
    if opts.cluster is not None:
        path, k = parse_cluster(opts.cluster)
        record = ClusterFile.read(path)  # once: its network checked, its cluster taken, its settings compared
        record.check_network(backbone)
        name, cs = record.layer, record.picked([k])[k]
        record.warn_mismatch(opts.grey, backbone, "this dream is in")  # a colour dream of grey clusters
        if opts.layer not in (None, name):
            raise OptionError(f"--layer {opts.layer} differs from the cluster file's layer {name}; drop --layer")
        backbone.info(name)
        _check_channels(backbone, name, cs)
        label = f"cluster {k} of {Path(path).name}"
        return cluster_correlation(name, cs, label) if correlation else channels(name, cs, label)
    name = opts.layer or "relu4_1"
    if opts.layer is None:
        backbone.check_defaults({"--layer": [name]})
    backbone.info(name)
    if opts.channels is None:
        if correlation:
            raise OptionError("--objective correlation needs --channels or --cluster")
        return layer(name)
    from .analysis.featuremaps import parse_channels

    spec = opts.channels if isinstance(opts.channels, str) else ",".join(map(str, _channel_list(opts.channels)))
    cs = parse_channels(spec, backbone.info(name).channels)
    if correlation:
        return cluster_correlation(name, cs)
    return channel(name, cs[0]) if len(cs) == 1 else channels(name, cs)


SATURATED = 0.25  # share of a dream's pixels newly at 0 or 255 in a channel above which it is warned of (--lr 5: 99.7 %)


def saturated_share(image: torch.Tensor) -> float:
    """The share of a picture's pixels with a channel at 0 or 255."""
    return float(((image <= 0.5 / 255) | (image >= 254.5 / 255)).any(1).float().mean())


def warn_saturated(image: torch.Tensor, start: torch.Tensor, lr: float) -> None:
    """Warn when a dream is at full strength in some colour over much more of it than its ``start``: at --lr 5 99.7 %
    of its pixels had a channel at 0 or 255 (0 % at the default), a poster of flat colours, and nothing was said, as
    the objective had still risen. A start of flat colours (a drawing, a cut-out on white) has them already."""
    share = saturated_share(image)
    if share - saturated_share(start) > SATURATED:
        warn(f"{share:.0%} of the dream's pixels have a colour at 0 or 255: its steps overshoot and saturate it "
             f"into flat colours; lower --lr (this run: {lr:g})")


def _check_not_flat(start: torch.Tensor) -> None:
    """Refuse a one-colour start for a correlation: its maps do not vary, so no correlation (nor its gradient) exists
    and the dream stays flat (it became NaN at once, with advice to lower the learning rate)."""
    if one_colour(start):
        raise OptionError("the start image is one colour (within one level of 255 everywhere): its feature maps do not "
                          "vary, so they have no correlation "
                          "to raise and the dream would stay flat; start from noise (leave out --image) or "
                          "from a picture with some texture")


def _check_channels(backbone: Backbone, layer_name: str, cs: Sequence[int]) -> None:
    available = backbone.info(layer_name).channels
    bad = [c for c in cs if not 0 <= c < available]
    if bad:
        raise OptionError(missing_channels(bad, layer_name, available))


class DreamProblem(optimize.Problem):
    """Maximize an objective of the image's features: the loss terms are its negated, weighted measures."""

    def __init__(self, objective: Objective, opts: DreamOptions, backbone: Backbone, start: torch.Tensor | None):
        if not objective.parts:
            raise OptionError("the objective is empty (all weights are zero)")
        for m in objective.parts:
            if m.kind != "layer":
                _check_channels(backbone, m.layer, m.channels)
        if start is not None and any(m.kind == "correlation" for m in objective.parts):
            _check_not_flat(start)
        self.opts, self.backbone, self.start = opts, backbone, start
        self.asked = objective
        self.objective = on_pre_relu_taps(objective, backbone) if opts.pre_relu else objective
        self.layers = backbone.check_layers(self.objective.layers)
        self.need = backbone.min_input_size(self.layers)
        self.generator = torch.Generator()  # the transforms' randomness; the loop seeds and checkpoints it
        self.transforms = standard_transforms(opts.jitter, opts.scale, opts.rotate) if opts.transforms else []
        kind = opts.parameterization
        check_choice("--parameterization", kind, PARAMETERIZATIONS)
        self.kind = ("pixels" if start is not None else "fourier") if kind == "auto" else kind
        if self.kind == "pixels" and "decay" in opts.changed():  # the same bytes with it as without
            why = "--parameterization is pixels" if kind == "pixels" else "a dream on an --image searches the pixels"
            raise OptionError(f"--decay shapes the spectrum search, and {why}, so it would be ignored; drop it, or give "
                              "--parameterization fourier")
        self.parameterize = params.fourier(opts.decay) if self.kind == "fourier" else params.pixels
        self.precision = precision.resolve(opts.precision)
        if opts.tile < 2 * self.need:
            need = 2 * self.need
            raise OptionError(f"--tile {opts.tile} is too small: {self.layers[-1]} needs tiles of at least {need} px")
        self._sizes = self._plan()

    def _plan(self) -> list[tuple[int, int]]:
        opts = self.opts
        if opts.octaves < 1:
            raise OptionError(f"--octaves must be at least 1, got {opts.octaves}")
        h, w = self.start.shape[-2:] if self.start is not None else (1, 1)
        side = opts.size or (min(max(h, w), 512) if self.start is not None else 224)
        sizes = []
        for k in reversed(range(opts.octaves)):
            long = round(side / opts.octave_scale**k)
            size = optimize.fit_long_side((h, w), long)
            if min(size) >= self.need:
                sizes.append(size)
        if not sizes:
            raise OptionError(self._too_small(side))
        if len(sizes) < opts.octaves and "octaves" in opts.changed():  # --octaves 10 ran 5, said only by the sizes
            warn(f"--octaves {opts.octaves}: only {len(sizes)} fit, the smallest {sizes[0][1]}x{sizes[0][0]} px "
                 f"({self.layers[-1]} needs at least {self.need} px per side); the run has {len(sizes)}")
        return sizes

    def _too_small(self, side: int) -> str:
        """Why no octave fits: the --size, or (not given) the --image's own size, with the --size that would."""
        need = f"too small for {self.layers[-1]}, which needs at least {self.need} px per side"
        if self.start is None:
            return f"--size {side} is {need}; use a larger --size"
        h, w = self.start.shape[-2:]
        enough = math.ceil(self.need * max(h, w) / min(h, w))  # the long side whose short side is enough
        given = f"--size {side}" if self.opts.size else f"the --image, {w}x{h} px,"
        return f"{given} is {need}; use --size {enough} or more (it enlarges the image)"

    def sizes(self) -> list[tuple[int, int]]:
        return self._sizes

    def notes(self, image: torch.Tensor, seed: int, lr: float) -> list[str]:
        """The dream's ``gains``, or where one pass over it would not fit (larger than --tile), why they are not said:
        the line went missing without a word. A dream saturated far beyond its start is warned of (``lr``: the
        run's step)."""
        start = self.finish(self.initial_image(tuple(image.shape[-2:]), torch.Generator().manual_seed(seed)))
        warn_saturated(image, start, lr)
        if max(image.shape[-2:]) <= self.opts.tile:
            return self.gains(image, start, lr)
        h, w = image.shape[-2:]
        return [f"the objective is not measured on the dream: at {w}x{h} px it is larger than --tile {self.opts.tile}, "
                "and measuring takes one pass over the whole picture, which --tile is there to avoid"]

    def gains(self, image: torch.Tensor, start: torch.Tensor, lr: float) -> list[str]:
        """Each measure the run maximized, on its ``start`` and on ``image`` (the dream): 'mean pairwise Pearson
        correlation of ... of conv4_1: 0.11 on the start, 0.95 on the dream'. The progress bar shows the loss, minus
        these, so that a rising correlation read as falling. A measure the dream lowered is warned about (``lr``:
        the run's step, named in the fix): at --lr 1e6 a channel went from 0.03 to -1.08, unsaid."""
        before, after = measure(self.objective, start, self.backbone), measure(self.objective, image, self.backbone)
        shaken = " (on the picture as it is: the bar's objective was taken through random shifts and turns)" \
            if self.transforms else ""  # the bar ended at -26.1 where this said 28.2
        said = [f"{m.meaning}{_tapped(asked, m)}: {before[m.name]:.3g} on the start, {after[m.name]:.3g} on the "
                f"dream" for asked, m in zip(self.asked.parts, self.objective.parts)]
        for line, m in zip(said, self.objective.parts):
            if before[m.name] == after[m.name] == 0:  # a channel silent after its ReLU: no gradient to follow
                warn(f"the dream did not move what it was asked to raise ({line}): it is 0 on the start, and a ReLU "
                     "passes no gradient where it is 0; dream it before its ReLU (leave out --no-pre-relu), or start "
                     "from a photo (--image)")
            elif after[m.name] <= before[m.name]:
                warn(f"the dream did not raise what it was asked to ({line}): its steps overshot, or the start was "
                     f"already at a peak; lower --lr (this run: {lr:g})")
        return [line + shaken for line in said]

    def stage_name(self, index: int) -> str:
        """'octave 2 of 3': a dream's scales are its --octaves, as the bar and --log call them."""
        return f"octave {index + 1} of {len(self._sizes)}"

    def inputs(self) -> dict[str, torch.Tensor]:
        """The photo dreamed on, if any, and the objective's measures (a cluster file's channels may have changed
        since: a checkpoint keeps the file's name), as the bytes of their description."""
        measures = repr([(m.kind, m.layer, m.channels, w) for m, w in self.asked.parts.items()])
        objective = {OBJECTIVE_INPUT: torch.tensor(list(measures.encode()), dtype=torch.uint8)}
        return objective if self.start is None else {"start image": self.start, **objective}

    def initial_image(self, size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
        """The photo at this size, or grey with a little noise."""
        if self.start is not None:
            return optimize.resize(self.start, size)
        return (0.5 + NOISE * torch.randn((1, 3, *size), generator=generator)).clamp(0, 1)

    def rescale(self, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """To the next octave; from a photo: the sharper photo plus the dream's detail, enlarged (deep dream's way)."""
        if tuple(image.shape[-2:]) == tuple(size) or self.start is None:
            return optimize.resize(image, size)
        detail = image - optimize.resize(self.start, tuple(image.shape[-2:]))
        detail = F.interpolate(detail, size=size, mode="bicubic", align_corners=False)
        return (optimize.resize(self.start, size) + detail).clamp(0, 1)

    def finish(self, image: torch.Tensor) -> torch.Tensor:
        """The dream as the network saw it: grey with --grey."""
        return gray(image) if self.opts.grey else image

    def features(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """The objective's layers at --precision, as float32 (the measures are computed in float32)."""
        with precision.network_pass(self.precision):
            return {name: f.float() for name, f in self.backbone.extract(image, self.layers).items()}

    def terms_at(self, size: tuple[int, int]) -> optimize.Terms:
        """'dream.NAME' = -(weight x measure) per measure, on a randomly transformed copy of the image."""

        def evaluate(image: torch.Tensor) -> dict[str, torch.Tensor]:
            x = gray(image) if self.opts.grey else image
            for transform in self.transforms:
                x = transform(x, self.generator)
            if max(x.shape[-2:]) <= self.opts.tile:
                return {f"dream.{k}": -v for k, v in self.objective.terms(self.features(x)).items()}
            return self._tiled(x)

        return evaluate

    def _tiled(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The area-weighted mean of the terms over tiles, with the gradient of every tile computed on its own.

        The gradient with respect to ``x`` is gathered tile by tile (each tile's graph is freed at once) and
        handed back through a term whose value is 0: <x, g> - <x, g>.detach().
        """
        grad, totals = torch.zeros_like(x), {}
        h, w = x.shape[-2:]
        for top, bottom, left, right in _tiles(h, w, self.opts.tile):
            tile = x.detach()[..., top:bottom, left:right].requires_grad_(True)
            share = (bottom - top) * (right - left) / (h * w)
            terms = self.objective.terms(self.features(tile))
            (g,) = torch.autograd.grad(share * sum(terms.values()), tile)
            grad[..., top:bottom, left:right] += g
            for name, value in terms.items():
                totals[name] = totals.get(name, 0.0) + share * value.detach()
        out = {f"dream.{k}": -v for k, v in totals.items()}
        link = (x * grad).sum()
        first = next(iter(out))
        out[first] = out[first] - (link - link.detach())
        return out


def _tiles(h: int, w: int, tile: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of a grid of nearly equal tiles of at most ``tile`` px per side."""
    ys = torch.linspace(0, h, math.ceil(h / tile) + 1).round().long().tolist()
    xs = torch.linspace(0, w, math.ceil(w / tile) + 1).round().long().tolist()
    return [(ys[i], ys[i + 1], xs[j], xs[j + 1]) for i in range(len(ys) - 1) for j in range(len(xs) - 1)]


# ---------------------------------------------------------------------------------------------- front doors


def _backbone(opts: DreamOptions, model: Backbone | None) -> Backbone:
    if check_model(model) is not None:
        return model
    options = {"padding": opts.padding} if opts.padding else {}
    if opts.backbone.startswith("vgg"):
        options["pooling"] = opts.pooling
    return load_backbone(opts.backbone, opts.weights, **options)


def check_numbers(opts: DreamOptions) -> None:
    """Refuse scales and transform ranges that cannot work (negative, NaN, infinite), before any work (a size out of
    range is refused as the options are made)."""
    check_number("--octave-scale", opts.octave_scale, 1, above=True)
    check_number("--jitter", opts.jitter)
    check_number("--scale", opts.scale)
    if opts.scale >= 1:
        raise OptionError(f"--scale is a zoom range below 1 (0.05 zooms by up to 5 %), got {opts.scale}")
    check_number("--rotate", opts.rotate)
    shaping = [name for name in ("jitter", "scale", "rotate") if name in opts.changed()]
    if not opts.transforms and shaping:
        raise OptionError(f"--{shaping[0]} shapes the random transforms, and --no-transforms turns them off, so it "
                          f"would be ignored; drop one of them")
    check_seed(opts.seed)
    params.check_decay(opts.decay)


def prepare_dream(
    goal: Objective | None = None,
    options: DreamOptions | None = None,
    *,
    start: ImageLike | None = None,
    model: Backbone | None = None,
    state: optimize.State | None = None,
    **changes,
) -> Job:
    """Check everything and return a dream Job ready to iterate (nothing optimized yet).

    ``goal``: an Objective (e.g. ``channel("conv4_1", 3)``); None builds it from the options' layer,
    channels, cluster and objective (activation or correlation). ``start``: an image or tensor to dream on
    (default: the options' image, else noise). ``model`` reuses a loaded backbone.
    """
    if goal is not None and not isinstance(goal, Objective):
        raise OptionError(f"the goal (the first argument) is an Objective such as deepdream.channel('conv4_1', 3), "
                          f"not a {type(goal).__name__}; give an image to dream on as start= (or image=)")
    opts = DreamOptions.given(options, **changes)
    check_choice("--optimizer", opts.optimizer, ("adam", "sgd-normalized"))
    check_numbers(opts)
    limit = memory.limit_bytes(opts.max_memory)
    if model is None and goal is None and opts.cluster is not None:  # before weights are loaded (or downloaded)
        read_cluster(*parse_cluster(opts.cluster), named_network(opts.backbone, opts.weights))
    model = _backbone(opts, model)
    objective = goal if goal is not None else objective_from(opts, model)
    source = start if start is not None else opts.image
    start_t = load_input(source, "start image", STRAIGHT) if source is not None else None
    problem = DreamProblem(objective, opts, model, start_t)
    lr = opts.lr if opts.lr is not None else (0.05 if problem.kind == "fourier" else PIXEL_LR)
    asked = opts.iterations if opts.iterations is not None else ("10" if start_t is not None else "24")  # 0 is 0
    counts = iteration_counts(asked, len(problem.sizes()))
    if opts.iterations is not None and state is None:
        warn_dropped_counts(asked, len(problem.sizes()), "octave")
    if not any(counts):  # it wrote the start as the dream, exit 0, and two numbers as if a step had moved one
        raise OptionError(f"--iterations {opts.iterations} takes no step, so the dream would be its start; give at "
                          "least 1 (default: 24 from noise, 10 on an image)")
    schedule = optimize.Schedule(counts, opts.optimizer, lr, tolerance=0)
    check_dream_fits(model, problem, opts.tile, limit)
    alpha = load_alpha(source) if source is not None else None  # a transparent photo's stays so, as a transfer's does
    return Job(problem, schedule, opts, state or optimize.State(), alpha=alpha)


def check_dream_fits(model: Backbone, problem: DreamProblem, tile: int, limit: int | None) -> None:
    """Refuse a dream whose largest pass (the image, or one tile of it) would not fit, naming what to lower. A dream
    in tiles still holds its whole picture's copies (memory.image_bytes): at --size 16384 they were 40 GB, and the
    check of a tile alone let the kernel kill it."""
    largest = problem.sizes()[-1]
    tiled = max(largest) > tile  # then the pass is a tile's: a smaller --tile helps, unless the picture is too large
    piece = tuple(min(s, tile) for s in largest)
    if tiled:
        smallest = tuple(min(s, 2 * problem.need) for s in largest)  # the smallest tile --tile takes
        least = memory.estimate(model, problem.layers, smallest, history=2)
        memory.check_fits_at(lambda side: memory.image_bytes(memory.scaled(largest, side), 2) + least, largest, limit,
                             "dream", lambda side: f"the largest size that fits is about --size {side} (a dream in "
                             "tiles still holds its whole picture)")
    memory.check_fits(model, problem.layers, piece, limit, history=2, what="tile" if tiled else "run",
                      extra=memory.image_bytes(largest, 2) if tiled else 0, fix=lambda side: (
                          f"the largest tile that fits is about --tile {side}" if tiled else
                          f"the largest size that fits is about --size {side}, or keep the size with --tile {side}"))


def dream(goal: Objective | None = None, options: DreamOptions | None = None, *, progress: bool = False,
          **changes) -> Result:
    """Run a dream to the end and return the Result; ``options`` (a DreamOptions) and/or its fields as keywords
    (help(stylegram.DreamOptions) lists them; plus start=, model=); ``progress``: a progress bar on stderr, as the
    command line shows. A Ctrl-C raises stylegram.Interrupted, whose ``job`` holds the work so far."""
    job = prepare_dream(goal, options, **changes)
    result = job.run(progress)
    if progress:
        print("\n".join(result.notes), file=sys.stderr)
    return result


def resume_dream(path: str | os.PathLike, goal: Objective | None = None, **overrides) -> Job:
    """A dream Job that continues from a checkpoint written by Job.checkpoint().

    Pass the same ``goal`` (and ``start=`` tensor) when the run was not described by its options alone.
    """
    state, saved = optimize.State.load(path)
    saved.setdefault("precision", "float32")  # checkpoints from before the option ran in float32
    cluster_file = Path(parse_cluster(saved["cluster"])[0]) if goal is None and saved.get("cluster") else None
    if cluster_file is not None and not cluster_file.exists():  # 'resume from that folder' was said in it
        where = "" if cluster_file.is_absolute() else f" in {Path.cwd()} (the path is from the folder the run began in)"
        raise OptionError(f"checkpoint {path} dreams a cluster of {cluster_file}, which is not there{where}: it was "
                          "moved or deleted since, or the run began in another folder; put it back, or resume from "
                          "that folder")
    opts = DreamOptions.restore(saved, path, overrides)
    try:
        return prepare_dream(goal, opts, state=state, **overrides)
    except OptionError as err:
        if cluster_file is None or OBJECTIVE_INPUT not in err.flagged:
            raise
        raise OptionError(f"the channels of cluster {saved['cluster']} are not those the checkpoint {path} was "
                          f"dreaming: {cluster_file} has changed since; put the file back as it was, or start without "
                          "--resume") from None


def dreams(objectives: Sequence[Objective], model: Backbone, **options) -> list[torch.Tensor]:
    """One dream image per objective, with the same options and seed (for figures and reports)."""
    return [dream(o, model=model, **options).image for o in objectives]


@torch.no_grad()
def measure(objective: Objective, image: torch.Tensor, model: Backbone) -> dict[str, float]:
    """Every measure of the objective on an image (untransformed, exactly as named: no pre-ReLU swap)."""
    feats = model.extract(image, objective.layers)
    return {m.name: float(m.value(feats[m.layer])) for m in objective.parts}
