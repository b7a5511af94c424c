"""A transfer whose styles are placed measured part by part: --style-masks, --style-regions and --labels (and a
texture's examples placed by --masks and --labels).

A mask puts a style in a part of the picture, and its loss asks the result's Gram matrix over that part (each
position weighed by the mask, stats.masked_gram) to equal the style's; a region lends the statistics of a part of
the style image instead of all of it; label maps make both from their colours (stylegram.labels). So each part is
measured as its loss asks: the content's and the result's Gram matrices over its mask against its style's over its
region. With regions alone the styles are still blended everywhere, and the target is the blend of the regions'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from .. import stats
from ..errors import OptionError, count
from ..losses import blend_of_layer
from .equal import by_value


@dataclass
class Part:
    """Where one style paints (its mask over the content; None: everywhere) and what of its style image it lends (its
    region; None: all of it)."""

    __eq__ = by_value  # arrays and tensors compared by value

    style: int  # which style image, from 0
    mask: torch.Tensor | None  # (1, 1, H, W) of the content's aspect, in [0, 1]
    region: torch.Tensor | None  # (1, 1, h, w) of its style image's aspect, in [0, 1]
    name: str  # on the page: "style 1's mask", or "label sky blue (#87ceeb) from style 1"


def file_names(inputs: Sequence[str]) -> list[str] | None:
    """What parts call styles given as files or samples, as the web page names its uploads: each file's name without
    its folder, a sample's NAME; None (style 1, style 2) when two share one."""
    return distinct([str(i).removeprefix("sample:") if str(i).startswith("sample:") else Path(i).name for i in inputs])


def distinct(names: list[str]) -> list[str] | None:
    """``names`` if no two are alike, else None: parts named by them could not be told apart (style 1, style 2
    then)."""
    return names if len(set(names)) == len(names) else None


def parts_of(picture: torch.Tensor, styles: Sequence[torch.Tensor], style_masks=None, style_regions=None,
             labels=None, texture: bool = False, names: Sequence[str] | None = None) -> list[Part] | None:
    """The parts that --style-masks, --style-regions or --labels (files, sample:NAME or images, as a transfer takes
    them) place the ``styles`` in over a ``picture`` of the content's shape, or None without them. ``texture``: a
    texture's --masks (as ``style_masks``) and --labels, placing its examples in a picture of the output's shape.
    ``names``: what the parts call the styles (the web page: their files' names); by default "style 1", "style 2" or
    "the style" (as the --labels line numbers them)."""
    from .. import labels as label_maps
    from .. import masks

    content_shape, style_shapes = tuple(picture.shape[-2:]), [tuple(s.shape[-2:]) for s in styles]
    noun = "example" if texture else "style"
    if names is None:
        names = [f"{noun} {n + 1}" for n in range(len(style_shapes))] if len(style_shapes) > 1 else [f"the {noun}"]
    if len(names) != len(style_shapes):
        raise OptionError(f"{count(len(names), 'name')} for {count(len(style_shapes), noun)}: give one name per {noun}")
    if labels is not None:
        label_maps.check_alone(style_masks, style_regions, label_maps.TEXTURE if texture else label_maps.TRANSFER)
        equal = [1 / len(styles)] * len(styles)  # the entries' loss weights, which the measure does not use
        split = label_maps.split(labels, content_shape, style_shapes, equal,
                                 label_maps.TEXTURE if texture else label_maps.TRANSFER)
        return [Part(s, m, r, f"label {label_maps.colour_name(colour)} from {names[s]}")  # as the --labels line
                for s, m, r, colour in zip(split.styles, split.masks, split.regions, split.colours)]
    kind = dataclasses.replace(masks.TEXTURE_MASKS if texture else masks.STYLE_MASKS, against="the result")  # of
    # whose shape: the content is read at the result's size, and 'the content 128x85' misstated a 451x300 photo
    where = masks.load(kind, style_masks, [content_shape] * len(style_shapes))
    lent = masks.load_regions(style_regions, style_shapes)
    if where is None and lent is None:
        return None
    return [Part(n, where[n] if where else None, lent[n] if lent else None, f"{name}'s mask")
            for n, name in enumerate(names)]


def painted_by(parts: list[Part] | None, styles: int) -> list[torch.Tensor | None]:
    """Per style, where it paints: the union (the brightest) of its parts' masks; None where it paints everywhere
    (no parts, or regions alone)."""
    out: list[torch.Tensor | None] = [None] * styles
    for n in range(styles):
        masks = [p.mask for p in parts or [] if p.style == n]
        if masks and all(m is not None for m in masks):  # label maps' masks share one size: the content map's
            size = tuple(masks[0].shape[-2:])
            out[n] = torch.stack([F.interpolate(m, size=size, mode="area") for m in masks]).amax(0)
    return out


def placed_layers(start: dict[str, torch.Tensor], result: dict[str, torch.Tensor],
                  styles: Sequence[dict[str, torch.Tensor]], groups: list[dict[str, float]], blend: Sequence[float],
                  parts: list[Part], layer_names: list[str]) -> list:
    """Per part and layer of its style's group, a StyleLayer of the start's and the result's Gram matrices over the
    part's mask and its style's over its region (named by the part); with regions alone, per layer one StyleLayer
    whose target blends the regions' Gram matrices, as the loss's does."""
    from .explain import StyleLayer

    if all(p.mask is None for p in parts):
        layers = []
        for layer in layer_names:
            users, shares = blend_of_layer(groups, blend, layer)
            if users:
                target = sum(w * gram_over(styles[n][layer], parts[n].region) for n, w in zip(users, shares))
                layers.append(StyleLayer(layer, gram_over(start[layer]), gram_over(result[layer]), target))
        return layers
    return [StyleLayer(layer, gram_over(start[layer], p.mask), gram_over(result[layer], p.mask),
                       gram_over(styles[p.style][layer], p.region), p.name)
            for p in parts if blend[p.style] > 0 for layer in groups[p.style]]


def gram_over(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The (C, C) Gram matrix of (1, C, h, w) maps, over the positions ``mask`` (any size of their aspect) weighs, as
    the masked loss takes it (the mask averaged down to the maps); all of them without one."""
    from ..masks import area

    return stats.gram(features)[0] if mask is None else stats.masked_gram(features, area(mask, features))[0]


def shown(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``image`` where ``mask`` (any size of its aspect) is, faded to white elsewhere: a part as the page shows it."""
    from ..optimize import resize

    weight = resize(mask, tuple(image.shape[-2:])).clamp(0, 1)
    return weight * image + (1 - weight) * (0.75 + 0.25 * image)
