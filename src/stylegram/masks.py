"""Masks: where in the output a style (or an example texture) paints, and which part of a style image it lends.

One grey (1, 1, H, W) mask in [0, 1] per style, white where it applies, grey for a part; transparent pixels count
as black. A mask's brightest part sets its style's strength (``strength``: a mask at most 25 % grey paints at a
quarter of the style weight), and within it greyer positions count less in its statistics. They are given as
comma-separated files or sample names, or (Python) as a list of them and images.
Gatys et al. 2017's spatial control: the statistics of the positions a mask weighs (the Gram matrix: stats.masked_gram;
every statistic takes weights, see stylegram.statistics).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from . import optimize, statistics, stats
from .errors import OptionError, warn
from .images import ImageLike, image_list, kept_input, load_input, same_aspect
from .losses import StyleTerm, normalized

VISIBLE = 1 / 255  # a mask darker than this everywhere selects nothing


@dataclass(frozen=True)
class Kind:
    """One kind of mask option, in the words of its messages ({n}: the mask's number)."""

    option: str  # the flag
    label: str  # a mask's name in messages: "style mask", ...
    of: str  # what there is one mask per: "style", "example"
    against: str  # whose aspect a mask must have
    aspect: str  # the fix for another aspect
    empty: str  # what an all-black mask would mean


STYLE_MASKS = Kind("--style-masks", "style mask", "style", "the content",
                   "a mask needs the content's aspect (it is scaled to the output)",
                   "style {n} would paint nothing; white marks where a style goes")
STYLE_REGIONS = Kind("--style-regions", "style region", "style", "style image {n}",
                     "a region needs its style image's aspect (it is scaled with it)",
                     "style {n} would lend nothing; white marks the part of a style image to use")
TEXTURE_MASKS = Kind("--masks", "mask", "example", "the output",
                     "a mask needs the output's aspect (--size WxH; it is scaled to every scale's size)",
                     "example {n} would grow nowhere; white marks where an example grows")


def kept(kind: Kind, value: str | list | None) -> str | list | None:
    """A mask option as the options keep it: a string as given; a list of masks with those held in memory (PIL,
    arrays, tensors) as tensors, transparent as black, so that results and checkpoints hold them."""
    if value is None or isinstance(value, str):
        return value
    return [kept_input(mask, f"{kind.label} {n}", background=(0, 0, 0)) for n, mask in enumerate(image_list(value), start=1)]


def load(kind: Kind, spec: str | list | None, shapes: list[tuple[int, int]], statistic: str | None = None
         ) -> list[torch.Tensor] | None:
    """One grey (1, 1, H, W) mask in [0, 1] per entry of ``shapes`` (the (H, W) whose aspect it must have), or None.

    ``spec``: comma-separated paths or sample names, or a list of them and images (the options keep images in
    memory as tensors). A mask may have any size of its aspect; it is scaled as needed. Transparent pixels count
    as black, so a region painted on a clear layer works as drawn. ``statistic``: the optimization's
    --statistic, whose parts must take weights (None for a feed-forward pass).
    """
    names = mask_names(spec, len(shapes), kind.option, kind.label.split()[-1], kind.of)
    if names is None:
        return None
    check_weighted(statistic, kind.option)
    return [read_mask(name, f"{kind.label} {n}", shape, kind.against.format(n=n), kind.aspect, kind.empty.format(n=n))
            for n, (name, shape) in enumerate(zip(names, shapes), start=1)]


def load_masks(spec: str | list | None, styles: int, content_shape: tuple[int, int], statistic: str | None = None
               ) -> list[torch.Tensor] | None:
    """--style-masks: per style, white where it paints in the output (of the content's aspect)."""
    return load(STYLE_MASKS, spec, [content_shape] * styles, statistic)


def load_regions(spec: str | list | None, style_shapes: list[tuple[int, int]], statistic: str | None = None
                 ) -> list[torch.Tensor] | None:
    """--style-regions: per style image, white over the part of it whose statistics it lends (with --style-masks,
    a region of the output can take the sky of a painting and another its ground)."""
    return load(STYLE_REGIONS, spec, style_shapes, statistic)


def load_texture_masks(spec: str | list | None, examples: int, output_shape: tuple[int, int],
                       statistic: str | None = None) -> list[torch.Tensor] | None:
    """Texture --masks: per example, white where its texture grows in the output (of the output's aspect); a part
    that no mask covers is warned of: no loss reaches it, and it stayed the start's coloured noise, unsaid."""
    loaded = load(TEXTURE_MASKS, spec, [output_shape] * examples, statistic)
    if loaded is not None and (share := uncovered(loaded, output_shape)) > UNCOVERED:
        warn(f"the --masks leave {share:.0%} of the texture where no example grows, which stays the start's coloured "
             "noise; cover it with a mask (white where an example grows)")
    return loaded


UNCOVERED = 0.01  # a share of the output no mask covers above which it is warned of


def uncovered(masks: list[torch.Tensor], shape: tuple[int, int]) -> float:
    """The share of an output of ``shape`` (H, W) that every mask leaves black."""
    covered = torch.stack([torch.nn.functional.interpolate(m.float(), size=shape, mode="area")[0, 0] for m in masks])
    return float((covered.amax(0) < VISIBLE).float().mean())


def mask_names(spec: str | list | None, styles: int, option: str, noun: str, of: str = "style") -> list | None:
    """The masks named by ``spec`` (paths, samples or images), one per style (``of``), or None when none are given."""
    if spec is None or (isinstance(spec, str) and not spec):
        return None
    names = [name.strip() for name in spec.split(",")] if isinstance(spec, str) else list(spec)
    if len(names) != styles:
        raise OptionError(f"{option} names {len(names)} {noun}{'s' if len(names) != 1 else ''} for {styles} "
                          f"{of}{'s' if styles != 1 else ''}; give one per {of} image, in the same order")
    return names


def check_weighted(statistic: Any, option: str) -> None:
    """Masks and regions weigh positions: refuse a statistic (an object from Python) whose target or distance takes
    no weights. Every built-in one does."""
    if statistic is None:
        return
    for part, _ in statistics.components(statistics.parse_statistic(statistic)):
        if not all("weights" in inspect.signature(getattr(part, m)).parameters for m in ("target", "distance")):
            raise OptionError(f"{option} weighs the positions of each region, and the statistic {part!r} takes no "
                              "weights; give its target and distance a weights argument (see stylegram.statistics) "
                              "or use a built-in statistic")


def read_mask(name: ImageLike, what: str, shape: tuple[int, int], against: str, aspect: str, empty: str) -> torch.Tensor:
    """One mask as grey (1, 1, H, W) in [0, 1]: transparent is black; of the aspect of ``shape`` and not all black."""
    colours = load_input(name, what, background=(0, 0, 0))  # clear: not selected
    mask = colours.mean(dim=1, keepdim=True)
    h, w = mask.shape[-2:]
    what += f" ({name})" if isinstance(name, str) else ""
    if not same_aspect((h, w), shape):
        raise OptionError(f"{what} is {w}x{h} px and {against} {shape[1]}x{shape[0]}: {aspect}")
    if float(mask.max()) < VISIBLE:
        raise OptionError(f"{what} is black everywhere, so {empty}")
    _warn_coloured(colours, what)
    return mask


COLOURED = 0.05  # share of a mask's pixels with a colour (channels 0.2 or more apart) above which it is warned of


def _warn_coloured(image: torch.Tensor, what: str) -> None:
    """Say that a coloured mask is read as its brightness: a pure red one read as 33 % grey, without a word."""
    spread = image.amax(dim=1) - image.amin(dim=1)
    if float((spread >= 0.2).float().mean()) > COLOURED:
        warn(f"{what} is in colour; it is read as grey, each pixel the mean of its red, green and blue (pure red "
             "reads as 33 % grey, a third of white's weight): paint it in white, greys and black")


def strength(mask: torch.Tensor) -> float:
    """How strongly a mask's style paints, 0..1: its brightest value. A region's Gram matrix averages over its mask,
    so a mask grey everywhere asked for the same statistics as a white one, and a 25 % grey mask styled its part
    in full; now its term weighs a quarter (as a one-pass method blends a quarter of the style in)."""
    return float(mask.max())


def pixels_in(image: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """The pixels of ``image`` that ``region`` (at any size of its aspect) selects, as a (1, 3, 1, K) image: the
    palette of that part (half-selected pixels and more count)."""
    inside = optimize.resize(region, tuple(image.shape[-2:]))[0, 0] >= 0.5
    return image[..., inside].reshape(1, 3, 1, -1) if bool(inside.any()) else image


def area(mask: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
    """``mask`` averaged down to the size of a feature map."""
    return torch.nn.functional.interpolate(mask, size=tuple(feats.shape[-2:]), mode="area")


def source_features(backbone: Any, sources: list[torch.Tensor], groups: list[dict[str, float]],
                    regions: list[torch.Tensor] | None, size_of: Callable[[torch.Tensor], tuple[int, int]]
                    ) -> list[tuple[dict[str, torch.Tensor], dict[str, torch.Tensor | None]]]:
    """Per style image (example): its feature maps at the size ``size_of`` gives it, for the layers of its ``groups``
    entry, and its region averaged down to each map (None without regions).

    One network pass per distinct image: --labels repeats an image once per colour it lends.
    """
    passes: dict[tuple, tuple] = {}
    out = []
    for n, (source, layers) in enumerate(zip(sources, groups)):
        key = (id(source), tuple(layers))
        if key not in passes:
            small = optimize.resize(source, size_of(source))
            passes[key] = (tuple(small.shape[-2:]), backbone.extract(small, list(layers)))
        shape, feats = passes[key]
        region = optimize.resize(regions[n], shape).clamp(0, 1) if regions else None
        out.append((feats, {layer: None if region is None else area(region, feats[layer]) for layer in layers}))
    return out


def style_terms(prefix: str, statistic: statistics.Statistic, targets: list[dict[str, list]], masks: list[torch.Tensor],
                groups: list[dict[str, float]], blend: list[float], weight: float, step: int = 0,
                strengths: list[float] | None = None) -> dict[str, tuple]:
    """Each style's (example's) own terms over its mask, named "<prefix>.<layer>.<n>" for plain gram and
    "<prefix>.<statistic>.<layer>.<n>" otherwise.

    ``targets``: per style, {layer: [target of each statistic part]} for the layers of its ``groups`` entry. A style
    weighs its blend weight times the number of styles, so with equal weights each region is styled as strongly as
    a single style styles the whole picture, times its mask's ``strengths`` entry (the masks' own, as given: one
    scaled down can lose its brightest pixels; default 1). ``step``: the evaluation a sampled statistic resumes at.
    Plain Gram terms of one layer are computed together (RegionGrams) when GROUPED.
    """
    parts, terms = statistics.components(statistic), {}
    grouped = GROUPED and isinstance(statistic, statistics.GramStatistic)
    shared = {layer: RegionGrams(layer) for group in groups for layer in group} if grouped else {}
    strengths = strengths or [1.0] * len(masks)
    for n, (own, mask, share, strong) in enumerate(zip(targets, masks, blend, strengths), start=1):
        for layer, w in normalized(groups[n - 1]).items():
            for (part, part_share), target in zip(parts, own[layer]):
                target = statistics.at_evaluation(target, step)
                term = shared[layer].add(target, mask) if grouped else StyleTerm(layer, target, part, mask)
                terms[f"{statistics.term_name(prefix, statistic, part, layer)}.{n}"] = (
                    term, weight * w * share * len(targets) * part_share * strong)
    return terms


GROUPED = True  # masked Gram terms of a layer in one pass (RegionGrams); benchmarks/labels_speed.py turns it off


class RegionGrams:
    """The masked Gram distances of one layer's regions (one per style or label), computed together from each
    region's own positions (stats.masked_gram_distances) once per evaluation: each RegionTerm reads its entry."""

    def __init__(self, layer: str):
        self.layer = layer
        self.targets: list[torch.Tensor] = []
        self.masks: list[torch.Tensor] = []
        self._regions: dict[tuple[int, int], list[stats.Region]] = {}  # per map size, once per stage
        self._stacked: torch.Tensor | None = None  # the targets as one (K, C, C) tensor, once
        self._last: tuple[weakref.ref, torch.Tensor] | None = None  # the features last measured, their distances

    def add(self, target: torch.Tensor, mask: torch.Tensor) -> RegionTerm:
        """A term for one more region: its target Gram matrix (1, C, C) over its mask (any size of the output's)."""
        self.targets.append(target)
        self.masks.append(mask)
        return RegionTerm(self.layer, self, len(self.targets) - 1)

    def distances(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        """Every region's distance on these features, (K,): computed at the first term's call, then reused."""
        f = feats[self.layer]
        if self._last is not None and self._last[0]() is f:
            return self._last[1]
        size = tuple(f.shape[-2:])
        if size not in self._regions:
            self._regions[size] = [stats.region_of(area(m, f)) for m in self.masks]
        if f.shape[0] == 1:
            if self._stacked is None:
                self._stacked = torch.cat(self.targets)
            out = stats.masked_gram_distances(f, self._regions[size], self._stacked)
        else:  # a batch of images: each region's distance as StyleTerm takes it
            gram = statistics.GramStatistic()
            out = torch.stack([gram.distance(f, t, area(m, f)) for t, m in zip(self.targets, self.masks)])
        self._last = (weakref.ref(f), out)
        return out


@dataclass
class RegionTerm:
    """One region's masked Gram term of a layer, read from the distances its RegionGrams computes for all of them."""

    layer: str
    grams: RegionGrams
    index: int

    @property
    def target(self) -> torch.Tensor:
        """Its region's target Gram matrix (1, C, C), as a StyleTerm's."""
        return self.grams.targets[self.index]

    @property
    def mask(self) -> torch.Tensor:
        """Where it applies in the output, as a StyleTerm's."""
        return self.grams.masks[self.index]

    def __call__(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.grams.distances(feats)[self.index]
