"""Loss terms over a feature dict, composed into one named objective.

Every feature term is a *relative* squared error, ||x - t||^2 / ||t||^2 (means over elements), so a term
of 1.0 means "as far off as the target is large", whatever the layer, backbone or image size. Weights
are then comparable across layers and networks.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from .backbones import Backbone
from .errors import OptionError, count
from .precision import network_pass
from .stats import composed_relative_mse, squared_norm

if TYPE_CHECKING:
    from .statistics import Statistic

EPS = 1e-8


def relative_mse(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean((x - t)^2) / mean(t^2), averaged over the batch; computed in float32 (or float64) whatever x's precision."""
    if target.requires_grad:
        return composed_relative_mse(x, target)
    return _RelativeMSE.apply(x, target.to(torch.promote_types(x.dtype, torch.float32)))


class _RelativeMSE(torch.autograd.Function):
    """relative_mse against a fixed target, with one pass over the maps each way.

    Composed of autograd's operations it made seven passes over a map (cast, subtract, square, mean and their
    gradients) and the target's energy anew at every evaluation; for the content term at 512 px, a
    bfloat16 map of 1.4 M values, that was 4 ms of an iteration.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        diff = torch.sub(x, target)  # bfloat16 - float32 is float32, in x's memory layout
        scale = 1.0 / (diff.numel() * (squared_norm(target) / target.numel()).clamp_min(EPS))
        ctx.save_for_backward(diff, scale)
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return squared_norm(diff) * scale

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        diff, scale = ctx.saved_tensors
        g = diff * (2.0 * grad * scale)
        return g.sum_to_size(ctx.shape).to(ctx.dtype), None


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Squared total variation: mean of squared differences between horizontal and vertical neighbours."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


@dataclass
class ContentTerm:
    """Keep the features of one layer close to the content image's: relative_mse(F, P)."""

    layer: str
    target: torch.Tensor

    def __call__(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        f = feats[self.layer]
        if f.is_contiguous(memory_format=torch.channels_last) and not self.target.is_contiguous(memory_format=torch.channels_last):
            self.target = self.target.contiguous(memory_format=torch.channels_last)  # once: a mixed-layout difference is slow
        return relative_mse(f, self.target)


@dataclass
class StyleTerm:
    """Match a statistic of one layer's features to a target computed once from the style image(s).

    With a ``mask`` (1, 1, H, W) in [0, 1], given at any size of the output's aspect, only the positions inside it
    count (Gatys et al. 2017's spatial control): it is averaged down to the layer's map, so each feature vector
    weighs as much of its cell as the region covers, and the statistic gets those weights.
    """

    layer: str
    target: Any  # whatever the statistic's target() returns
    statistic: Statistic
    mask: torch.Tensor | None = None
    _weights: dict = field(default_factory=dict, repr=False)  # per map size: the mask averaged down to it

    def __call__(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        f = feats[self.layer]
        if f.dtype != torch.float32 and not getattr(self.statistic, "low_precision", False):
            f = f.float()  # sorting, eigen-decompositions and kernels need float32
        if self.mask is None:
            return self.statistic.distance(f, self.target)
        size = tuple(f.shape[-2:])
        if size not in self._weights:  # once per stage: the mask is fixed
            self._weights[size] = torch.nn.functional.interpolate(self.mask, size=size, mode="area")
        return self.statistic.distance(f, self.target, self._weights[size])


@dataclass
class KeptImage:
    """Keep the image near a target image: mean(w (x - t)^2) / mean(t^2), with w a mask (1, 1, H, W) in [0, 1] of the
    image's size (None: 1 everywhere). Over a part, the term shrinks with the part's area (Ruder et al. 2016's
    temporal consistency of video frames, with the previous frame moved along the flow as the target).

    ``pool`` > 1 compares both averaged over ``pool`` x ``pool`` blocks: the target's layout is kept and the detail
    finer than the blocks is free (a tile of a tiled run adds detail to an enlarged picture this way, stylegram.tiles).
    """

    target: torch.Tensor
    weights: torch.Tensor | None = None
    pool: int = 1

    def __post_init__(self) -> None:
        self._target = self._pooled(self.target)
        self._weights = None if self.weights is None else self._pooled(self.weights)

    def _pooled(self, image: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.avg_pool2d(image, self.pool, ceil_mode=True) if self.pool > 1 else image

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        squared = (self._pooled(image) - self._target).pow(2)
        if self._weights is not None:
            squared = squared * self._weights
        return squared.mean() / self._target.pow(2).mean().clamp_min(EPS)


@dataclass
class Annealed:
    """A term whose weight starts ``1 + boost`` times higher and falls linearly to 1 over ``steps`` iterations.

    ``clock()`` gives the current iteration (from 0), so a resumed run follows the same schedule.
    """

    term: ContentTerm
    boost: float
    steps: int
    clock: Callable[[], int]

    @property
    def layer(self) -> str:
        return self.term.layer

    def factor(self) -> float:
        return 1.0 + self.boost * max(0.0, 1.0 - self.clock() / max(self.steps, 1))

    def __call__(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.factor() * self.term(feats)


def __getattr__(name: str):
    # GramStatistic moved to stylegram.statistics (which imports this module); still importable from here
    if name == "GramStatistic":
        from .statistics import GramStatistic

        return GramStatistic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


FeatureLoss = Callable[[dict[str, torch.Tensor]], torch.Tensor]


@dataclass
class Objective:
    """A weighted sum of named terms, evaluated with one forward pass of the backbone.

    ``terms`` maps names such as "style.relu3_1" to (loss on features, weight); ``tv_weight`` adds "tv", and
    ``image_terms`` (loss on the image, weight) more terms on the pixels, such as "init" (KeptImage).
    Calling it returns the weighted terms by name; their sum is the loss to minimize.
    """

    backbone: Backbone
    terms: dict[str, tuple[FeatureLoss, float]]
    tv_weight: float = 0.0
    precision: str = "float32"  # of the network pass only (stylegram.precision); losses stay float32
    image_terms: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], float]] = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        return sorted({term.layer for term, _ in self.terms.values()})

    def __call__(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        with network_pass(self.precision):  # features come out in that precision; each term casts as it needs
            feats = self.backbone.extract(image, self.layers) if self.terms else {}
        out = {name: weight * term(feats) for name, (term, weight) in self.terms.items() if weight}
        if self.tv_weight:
            out["tv"] = self.tv_weight * tv_loss(image)
        for name, (term, weight) in self.image_terms.items():
            out[name] = weight * term(image)
        return out


def parse_weighted(spec: str | dict[str, float] | list[str] | tuple[str, ...], what: str = "layer") -> dict[str, float]:
    """'relu3_1:0.5,relu4_1' -> {'relu3_1': 0.5, 'relu4_1': 1.0}; dicts and lists pass through."""
    if isinstance(spec, dict):
        items = list(spec.items())
    else:
        parts = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else list(spec)
        items = []
        for part in filter(None, parts):
            name, _, value = part.partition(":")
            try:
                items.append((name.strip(), float(value) if value else 1.0))
            except ValueError:
                raise OptionError(f"{what} weight '{value}' in '{part}' is not a number") from None
    if not items:
        raise OptionError(f"no {what}s given")
    for name, weight in items:
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise OptionError(f"{what} weight for '{name}' must be a number, got {weight!r}")
        if not math.isfinite(weight) or weight < 0:
            raise OptionError(f"{what} weight for '{name}' must be a non-negative number, got {weight}")
    if sum(w for _, w in items) <= 0:
        raise OptionError(f"the {what} weights are all zero; give at least one a positive weight")
    weights: dict[str, float] = {}
    for name, weight in items:  # relu3_1:0.5,relu3_1:3 ran with the last alone
        if weights.setdefault(name, weight) != weight:
            raise OptionError(f"{what} {name} is given twice, with weights {weights[name]:g} and {weight:g}; give it "
                              "once")
    return weights


def layer_groups(spec: str | dict[str, float] | list[str] | tuple[str, ...], inputs: int, option: str = "--style-layers",
                 noun: str = "style") -> list[dict[str, float]]:
    """Layers per input image: 'relu1_1,relu2_1/relu3_1:0.5' gives the first image relu1_1 and relu2_1 and the
    second relu3_1 ('/' separates the groups: Gatys et al. 2017's control of scale, one image's fine texture with
    another's coarse structure); without '/', every image gets every layer.

    A layer in several groups must have one weight there. ``option`` and ``noun`` name them in errors.
    """
    what = f"{noun} layer"
    if not isinstance(spec, str) or "/" not in spec:
        return [parse_weighted(spec, what)] * inputs
    groups = [parse_weighted(part, what) for part in spec.split("/")]
    if len(groups) != inputs:
        raise OptionError(f"{option} gives {len(groups)} groups split by '/' for {inputs} {noun}"
                          f"{'s' if inputs != 1 else ''}; give one group per {noun} image, in their order, or one "
                          "list for all of them")
    merged: dict[str, float] = {}
    for group in groups:
        for name, weight in group.items():
            if merged.setdefault(name, weight) != weight:
                raise OptionError(f"{what} {name} has weight {merged[name]:g} in one group of {option} and "
                                  f"{weight:g} in another; give it one weight")
    return groups


def blend_of_layer(groups: list[dict[str, float]], blend: Sequence[float], layer: str) -> tuple[list[int], list[float]]:
    """The inputs whose group has ``layer`` and their blend weights among themselves (the weights as given when
    every input has it); none when those weights are all 0."""
    users = [n for n, group in enumerate(groups) if layer in group]
    shares = [blend[n] for n in users]
    if sum(shares) <= 0:
        return [], []
    if len(users) < len(groups):
        shares = [share / sum(shares) for share in shares]
    return users, shares


def normalized(weights: dict[str, float]) -> dict[str, float]:
    """Scale weights to sum to 1."""
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}


def blend_weights(spec: str | Sequence[float] | None, n: int, *, noun: str = "style",
                  option: str = "style blend") -> list[float]:
    """Weights of ``n`` style images (``noun``: or examples) as '0.7,0.3' or a sequence, checked, summing to 1."""
    if spec is None or spec == "":
        return [1.0 / n] * n
    try:
        values = [float(v) for v in spec.split(",")] if isinstance(spec, str) else [float(v) for v in spec]
    except ValueError:
        raise OptionError(f"{option} '{spec}' is not a list of numbers like 0.7,0.3") from None
    if len(values) != n:
        raise OptionError(f"{option} has {count(len(values), 'weight')} for {count(n, noun)}; "
                          f"give one weight per {noun}")
    if n == 1:  # it was taken and ignored: a weight of 0.01 made the same picture as none
        strength = " (a style's strength is --style-weight, or --alpha for adain and wct)" if noun == "style" else ""
        raise OptionError(f"{option} '{spec}' weighs several {noun}s against each other, and there is one {noun}: "
                          f"drop it{strength}")
    weights = parse_weighted({f"{noun} {i + 1}": v for i, v in enumerate(values)}, option)
    return list(normalized(weights).values())
