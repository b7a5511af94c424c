"""Feature extraction: images in, a dict of named feature maps out."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

from .backbones import Backbone, load_backbone
from .errors import OptionError


@functools.lru_cache(maxsize=1)
def default_backbone() -> Backbone:
    """The embedded normalised VGG19 (max pooling, reflect padding), built once per process."""
    return load_backbone("vgg19", "default")


def as_batch(images: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """Stack images given as (3,H,W), (N,3,H,W) or a list of them into one (N,3,H,W) batch."""
    if isinstance(images, torch.Tensor):
        batch = images.unsqueeze(0) if images.dim() == 3 else images
    else:
        parts = [im.unsqueeze(0) if im.dim() == 3 else im for im in images]
        sizes = {tuple(p.shape[-2:]) for p in parts}
        if len(sizes) > 1:
            raise OptionError(
                f"images of different sizes {sorted(sizes)} cannot share a batch; resize them or extract one at a time"
            )
        batch = torch.cat(parts)
    if batch.dim() != 4 or batch.shape[1] != 3:
        raise OptionError(f"expected RGB images shaped (N, 3, H, W), got {tuple(batch.shape)}")
    return batch


def extract(
    images: torch.Tensor | Sequence[torch.Tensor],
    layers: Sequence[str],
    backbone: Backbone | None = None,
) -> dict[str, torch.Tensor]:
    """Feature maps {layer: (N, C, H', W')} of RGB images in [0, 1], computed only up to the deepest layer.

    Gradients flow when the input requires them; wrap the call in torch.no_grad() otherwise.
    """
    model = backbone or default_backbone()
    return model.extract(as_batch(images), list(layers))
