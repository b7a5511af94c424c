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
from . import featuremaps, matrices
from .cluster import Clustering, cluster_channels
from .inputs import ImageSet
from .rank import Ranking, rank_layers


@dataclass
class Study:
    """Everything the report shows."""

    images: ImageSet
    ranking: Ranking
    layer: str
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
    return {"backbone": backbone.name, "weights": getattr(backbone, "weights_source", "?"), "kind": kind,
            "layers": len(layers), "stylegram": __version__, **extra}


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
    chosen = matrices.select_layers(backbone, layers)
    if layer is not None:
        backbone.info(layer)
        chosen = backbone.check_layers([*chosen, layer])
    image_set.check_fits(backbone, chosen)
    say(f"computing {kind} matrices of {len(image_set)} images at {len(chosen)} layers")
    tri = matrices.compute(image_set.images, chosen, backbone, kind, batch_size=batch_size,
                           progress=lambda d, n: say(f"  {d}/{n} images"))
    recorded = settings_of(backbone, kind, chosen, seed=seed, **(settings or {}))
    ranking = rank_layers(tri, image_set.labels, image_set.classes, image_set.names, kind, recorded)
    layer = layer or ranking.best.layer
    per_image = matrices.symmetric(tri[layer])
    del tri
    say(f"clustering the channels of {layer}")
    clustering = cluster_channels(per_image.mean(0).numpy(), clusters, method, seed)
    shown = image_set.first_per_class(per_class)
    maps = featuremaps.maps([image_set.images[i] for i in shown], layer, backbone, batch_size)
    return Study(image_set, ranking, layer, per_image, clustering, shown, maps,
                 featuremaps.strongest_per_class(maps, image_set.labels[shown], channels), recorded)
