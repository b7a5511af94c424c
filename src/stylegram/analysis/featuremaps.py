"""Feature maps of one layer for a set of images, which channels are worth showing, and rows of a figure: a channel's
map, or a cluster's (the mean of its channels' maps: where the cluster fires)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..backbones import Backbone
from ..errors import OptionError, missing_channels
from ..features import image_items
from ..images import ImageLike
from .matrices import BATCH, _batches


def maps(images: ImageLike | Sequence[ImageLike], layer: str, backbone: Backbone, batch_size: int = BATCH
         ) -> list[torch.Tensor]:
    """Per image, its (C, h, w) feature maps at ``layer`` (images as matrices.compute takes them; sizes free)."""
    backbone.check_layers([layer])
    images = image_items(images)
    out: list[torch.Tensor | None] = [None] * len(images)
    with torch.no_grad():
        for idx in _batches(images, batch_size, backbone, [layer]):
            features = backbone.extract(torch.cat([images[i] for i in idx]), [layer])[layer]
            for j, i in enumerate(idx):
                out[i] = features[j].clone()
    return out  # type: ignore[return-value]


Row = tuple[str, list[int]]  # a figure row's label and the channels whose maps it averages


def channel_rows(channels: Sequence[int]) -> list[Row]:
    """One row per channel."""
    return [(f"channel {c}", [c]) for c in channels]


def cluster_rows(clusters: dict[int, Sequence[int]]) -> list[Row]:
    """One row per cluster {id: channels}, labelled with its id and size."""
    return [(f"cluster {k} ({len(cs)} ch.)", list(cs)) for k, cs in clusters.items()]


def as_rows(rows: Sequence[int | Row]) -> list[Row]:
    """Rows as (label, channels); a bare channel number is that channel's row."""
    return [channel_rows([r])[0] if isinstance(r, int) else (r[0], list(r[1])) for r in rows]


def row_map(feature_map: torch.Tensor, channels: Sequence[int], layer: str = "the layer") -> torch.Tensor:
    """The (h, w) map of a row: the mean of ``channels`` of a (C, h, w) feature map (of ``layer``, for errors)."""
    check_channels(channels, feature_map.shape[0], layer)
    return feature_map[list(channels)].mean(0)


def check_channels(channels: Sequence[int], available: int, layer: str = "the layer") -> None:
    """Refuse channel numbers a layer of ``available`` channels lacks (torch's IndexError said it from inside)."""
    bad = [c for c in channels if not 0 <= c < available]
    if bad:
        raise OptionError(missing_channels(bad, layer, available))
    if not len(channels):
        raise OptionError("a row of no channels: give each row one channel number or more")


def strength(feature_maps: Sequence[torch.Tensor]) -> torch.Tensor:
    """Per channel, the mean positive activation max(f, 0) over positions, averaged over the images."""
    return torch.stack([f.clamp_min(0).mean((1, 2)) for f in feature_maps]).mean(0)


def strongest(feature_maps: Sequence[torch.Tensor], count: int) -> list[int]:
    """The ``count`` channels of highest ``strength``, strongest first (ties: lower index)."""
    s = strength(feature_maps)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:  # 0 gave [] without a word
        raise OptionError(f"the count of strongest channels must be a whole number of at least 1, not {count!r}")
    order = sorted(range(len(s)), key=lambda c: (-float(s[c]), c))
    return order[:count]


def strongest_per_class(feature_maps: Sequence[torch.Tensor], labels: Sequence[int], count: int) -> list[int]:
    """``count`` channels taken in turn from each class: its strongest channel not yet taken.

    Channels strongest over a whole set are often those of its busiest class (and black on the others);
    taking turns shows for every class a channel that responds to it.
    """
    classes = sorted(set(int(v) for v in labels))
    ranked = [strongest([f for f, lab in zip(feature_maps, labels) if lab == c], len(feature_maps[0])) for c in classes]
    picked: list[int] = []
    position = [0] * len(classes)
    while len(picked) < min(count, len(feature_maps[0])):
        for k, order in enumerate(ranked):
            while position[k] < len(order) and order[position[k]] in picked:
                position[k] += 1
            if position[k] < len(order) and len(picked) < count:
                picked.append(order[position[k]])
    return picked


def parse_channels(spec: str, channels: int) -> list[int]:
    """'3,4,14' or '0-3,9' -> channel indices, checked against the layer's channel count."""
    picked: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, dash, hi = part.partition("-")
        try:
            values = range(int(lo), int(hi) + 1) if dash else [int(lo)]
        except ValueError:
            if part.startswith("-"):  # '-1' parts as an empty range start: channels count from 0
                raise OptionError(f"channels '{spec}': channels are numbered from 0 up (the layer has {channels}: "
                                  f"0..{channels - 1}), so '{part}' names none") from None
            raise OptionError(f"channels '{spec}': '{part}' is not a number or a range like 3-6") from None
        if dash and not values:  # '5-2' said it named no channel
            raise OptionError(f"channels '{spec}': the range '{part}' runs backwards; give it low to high, {hi}-{lo}")
        picked.extend(values)
    if not picked:
        raise OptionError(f"channels '{spec}' names no channel; give e.g. --channels 3,4,14")
    bad = [c for c in picked if not 0 <= c < channels]
    if bad:
        raise OptionError(missing_channels(bad, "the layer", channels))
    return list(dict.fromkeys(picked))
