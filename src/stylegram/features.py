"""Feature extraction: images in, a dict of named feature maps out."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import torch

from .backbones import Backbone, check_model, load_backbone, with_padding
from .errors import ImageError, OptionError
from .images import ImageLike, batch_tensor, image_list, load_input


@functools.lru_cache(maxsize=16)  # every pooling and padding (2 x 5): none evicted, none loaded twice
def default_backbone(pooling: str = "max", padding: str | None = None) -> Backbone:
    """The embedded normalised VGG19 with ``pooling`` (max, or avg as texture synthesis pools) and ``padding`` (None:
    its own, reflect), built once per process; paddings share one pooling's weights."""
    if padding is not None:
        return with_padding(default_backbone(pooling), padding)
    return load_backbone("vgg19", "default", pooling=pooling)


def as_batch(images: ImageLike | Sequence[ImageLike]) -> torch.Tensor:
    """Stack images into one (N, 3, H, W) batch: tensors (N, 3, H, W) or (3, H, W), files, sample:NAME, PIL
    images or arrays, one or a list of them (of one size)."""
    parts = [_part(im, f"image {i + 1}") for i, im in enumerate(image_list(images))]
    if not parts:
        raise OptionError("no images given")
    sizes = {tuple(p.shape[-2:]) for p in parts}
    if len(sizes) > 1:
        raise OptionError(
            f"images of different sizes {sorted(sizes)} cannot share a batch; resize them or extract one at a time"
        )
    batch = torch.cat(parts) if len(parts) > 1 else parts[0]
    if batch.dim() != 4 or batch.shape[1] != 3:
        raise OptionError(f"expected RGB images shaped (N, 3, H, W), got {tuple(batch.shape)}")
    return batch


def image_items(images: ImageLike | Sequence[ImageLike]) -> list[torch.Tensor]:
    """Each image as a (1, 3, H, W) float32 tensor in [0, 1], sizes free: tensors ((N, 3, H, W) split in N), files,
    sample:NAME, PIL images or arrays, one or a list (the analyses took float tensors only, and 0-255 or NaN
    silently)."""
    parts = [_part(im, f"image {i + 1}") for i, im in enumerate(image_list(images))]
    if not parts:
        raise OptionError("no images given")
    return [p[j : j + 1].float() for p in parts for j in range(p.shape[0])]


def _part(image: ImageLike, what: str) -> torch.Tensor:
    """One item of a batch: a tensor checked with its gradients kept, anything else loaded."""
    if not isinstance(image, torch.Tensor):
        return load_input(image, what)
    try:
        return batch_tensor(image)
    except ImageError as err:
        raise ImageError(f"{what}: {err.flagged}") from None


def extract(
    images: ImageLike | Sequence[ImageLike],
    layers: str | Iterable[str],
    backbone: Backbone | None = None,
) -> dict[str, torch.Tensor]:
    """Feature maps {layer: (N, C, H', W')} of RGB images in [0, 1], computed only up to the deepest layer.

    Gradients flow when the input requires them; wrap the call in torch.no_grad() otherwise.
    """
    model = check_model(backbone, "backbone") or default_backbone()
    return model.extract(as_batch(images), _names(layers))


def _names(layers: str | Iterable[str]) -> list[str]:
    if isinstance(layers, str):
        return [layers]
    names = list(layers) if isinstance(layers, Iterable) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise OptionError(f"layers are a name or a list of names, e.g. 'relu3_1' or ['relu1_1', 'relu2_1'], not {layers!r}")
    return names
