"""The blog post's whole analysis on a labelled image set, as one call: rank layers, pick the best,
show its feature maps, cluster its set-averaged matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import __version__
from ..backbones import Backbone
from ..errors import warn
from . import featuremaps, matrices
from .cluster import Clustering, check_count, cluster_channels
from .equal import by_value
from .inputs import ImageSet
from .rank import LayerScore, Ranking, rank_layers


@dataclass
class Study:
    """Everything the report shows."""

    __eq__ = by_value  # arrays and tensors compared by value

    images: ImageSet
    ranking: Ranking
    layer: str
    score: LayerScore  # of ``layer``: its ranking entry, or scored alone when it was not among the layers ranked
    matrices: torch.Tensor  # (N, C, C) per-image matrices at ``layer``, original channel order
    clustering: Clustering
    shown: list[int]  # images whose feature maps are shown
    feature_maps: list[torch.Tensor]
    channels: list[int]
    settings: dict = field(default_factory=dict)

    @property
    def mean(self) -> np.ndarray:
        """The set-averaged matrix at ``layer``."""
        return self.matrices.mean(0).numpy()

    def class_mean(self, label: int) -> np.ndarray:
        return self.matrices[self.images.members(label)].mean(0).numpy()


def settings_of(backbone: Backbone, kind: str, layers: Sequence[str], **extra) -> dict:
    """The settings recorded next to every result, so a run can be repeated."""
    network = {name: getattr(backbone, name) for name in ("pooling", "padding") if hasattr(backbone, name)}
    return {"backbone": backbone.name, "weights": getattr(backbone, "weights_source", "?"), **network, "kind": kind,
            "layer count": len(layers), "stylegram": __version__, **extra}


def run(
    image_set: ImageSet,
    backbone: Backbone,
    *,
    layers: str | Sequence[str] | None = None,
    kind: str = "gram",
    layer: str | None = None,
    clusters: int | str = "auto",
    method: str = "hierarchical",
    seed: int = 0,
    channels: int = 4,
    per_class: int = 2,
    batch_size: int = matrices.BATCH,
    settings: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> Study:
    """Rank ``layers`` (default: all), then study ``layer`` (default: the best) in detail."""
    say = progress or (lambda _msg: None)
    ranked = matrices.select_layers(backbone, layers)
    chosen = ranked if layer is None else backbone.check_layers([*ranked, layer])  # the studied layer's pass is shared
    _check_clusters(backbone, clusters, [layer] if layer is not None else ranked)
    image_set.check_fits(backbone, chosen, "--layers" if layer is None else "--layer")
    say(f"computing {kind} matrices of {len(image_set)} images at {len(chosen)} layers")
    tri = matrices.compute(image_set.images, chosen, backbone, kind, batch_size=batch_size,
                           progress=lambda d, n: say(f"  {d}/{n} images"))
    recorded = settings_of(backbone, kind, ranked, seed=seed, **(settings or {}))
    ranking = rank_layers({name: tri[name] for name in ranked}, image_set.labels, image_set.classes, image_set.names,
                          kind, recorded)
    layer = layer or ranking.best.layer
    warn_few_positions(backbone, layer, image_set.images)
    studied = ranking[layer] if layer in ranked else rank_layers({layer: tri[layer]}, image_set.labels, image_set.classes,
                                                                 image_set.names, kind, shuffles=0).scores[0]
    per_image = matrices.symmetric(tri[layer])
    del tri
    say(f"clustering the channels of {layer}")
    clustering = cluster_channels(per_image.mean(0).numpy(), clusters, method, seed, min_k=len(image_set.classes))
    recorded["clusters"] = f"{clustering.k} ({clusters}: the best silhouette)" if clusters == "auto" else clustering.k
    shown = image_set.first_per_class(per_class)
    maps = featuremaps.maps([image_set.images[i] for i in shown], layer, backbone, batch_size)
    return Study(image_set, ranking, layer, studied, per_image, clustering, shown, maps,
                 featuremaps.strongest_per_class(maps, image_set.labels[shown], channels), recorded)


FEW_POSITIONS = 8  # positions across the studied layer's maps on an image's short side below which it is warned of


def warn_few_positions(backbone: Backbone, layer: str, images: Sequence[torch.Tensor]) -> None:
    """Warn when the studied layer's maps are a few positions across on the smallest image: on 64 px crops relu5_4's
    were 4x4, so each Gram matrix rested on 16 positions and a cluster could fire on one image, without a word."""
    stride = backbone.info(layer).stride
    smallest = min(images, key=lambda x: min(x.shape[-2:]))
    h, w = smallest.shape[-2:]
    if min(h, w) // stride >= FEW_POSITIONS:
        return
    need = FEW_POSITIONS * stride
    warn(f"{layer}'s maps are {w // stride}x{h // stride} on the smallest image ({w}x{h} px), so its matrices rest on "
         f"a few positions and what they say may be chance; give images (or --size) of at least {need} px on the "
         f"short side, or study a shallower --layer")


def _check_clusters(backbone: Backbone, clusters: int | str, candidates: list[str]) -> None:
    """Before any pass: refuse more clusters than the studied layer (or, not yet chosen, any candidate) has channels."""
    widest = max(candidates, key=lambda name: backbone.info(name).channels)
    channels = backbone.info(widest).channels
    check_count(clusters, channels, f"the {channels} channels of {widest}" if len(candidates) == 1 else
                f"{channels} channels, the most of any layer ranked ({widest})")
