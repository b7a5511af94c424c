"""Per-image channel matrices (Gram or Pearson) of many layers, from one forward pass per image batch.

The matrices are those of stylegram.stats: ``gram`` is G = F F^T / (H W) (the one normalization used
everywhere in stylegram), ``pearson`` is the channel correlation r_ij = cov_ij / (std_i std_j) with dead
channels' rows set to 0. Because both divide by the number of positions, images of different sizes give
comparable matrices; images are batched only with others of the same size.

Sets of many layers are stored as their upper triangles (diagonal included), (N, C (C + 1) / 2) per
layer, which halves memory and rebuilds exactly with ``symmetric``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence

import torch

from .. import memory, stats
from ..backbones import Backbone
from ..errors import OptionError, check_choice
from ..features import image_items
from ..images import ImageLike

KINDS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"gram": stats.gram, "pearson": stats.pearson}
LABELS = {"gram": "Gram", "pearson": "Pearson"}  # how a kind is written in figures and text
BATCH = 8


def check_kind(kind: str) -> str:
    """The kind if known, else OptionError."""
    check_choice("matrix kind", kind, KINDS)
    return kind


def of_features(features: torch.Tensor, kind: str = "gram") -> torch.Tensor:
    """(N, C, H, W) feature maps -> (N, C, C) matrices of the given kind."""
    return KINDS[check_kind(kind)](features)


def triu(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of the upper triangle, diagonal included, row by row."""
    rows, cols = torch.triu_indices(channels, channels)
    return rows, cols


def upper(matrices: torch.Tensor) -> torch.Tensor:
    """(N, C, C) symmetric matrices -> (N, C (C + 1) / 2) upper triangles."""
    rows, cols = triu(matrices.shape[-1])
    return matrices[:, rows, cols]


def channels_of(triangles: torch.Tensor) -> int:
    """C from the length D = C (C + 1) / 2 of upper-triangle vectors."""
    d = triangles.shape[-1]
    c = int(round(((8 * d + 1) ** 0.5 - 1) / 2))
    if c * (c + 1) // 2 != d or triangles.dim() > 2 and triangles.shape[-2] == d:
        raise OptionError(f"matrices of shape {tuple(triangles.shape)} are not upper triangles (N, C (C + 1) / 2): "
                          "give compute()'s default output, not that of triangles=False")
    return c


def symmetric(triangles: torch.Tensor) -> torch.Tensor:
    """(N, C (C + 1) / 2) upper triangles -> (N, C, C) symmetric matrices (inverse of ``upper``)."""
    c = channels_of(triangles)
    rows, cols = triu(c)
    out = triangles.new_zeros(triangles.shape[0], c, c)
    out[:, rows, cols] = triangles
    out[:, cols, rows] = triangles
    return out


def select_layers(backbone: Backbone, spec: str | Sequence[str] | None = None) -> list[str]:
    """Layers named by a comma list of names or shell patterns ('relu*', 'mixed4*_pre_relu'), shallow to deep.

    None or 'all' selects every layer of the backbone.
    """
    names = backbone.layer_names()
    if spec is None or spec == "all":
        return names
    parts = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else spec) if p.strip()]
    picked: list[str] = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            matched = fnmatch.filter(names, part)
            if not matched:
                raise OptionError(f"layer pattern '{part}' matches no layer of {backbone.name}; "
                                  f"run 'stylegram layers --backbone {backbone.name}' to list them")
            picked.extend(matched)
        else:
            picked.append(part)
    if not picked:
        raise OptionError("no layers selected; give names like relu3_1,relu4_1 or a pattern like 'relu*'")
    return backbone.check_layers(picked)


def stored_bytes(backbone: Backbone, layers: Sequence[str], count: int, triangles: bool = True) -> int:
    """Bytes the float32 matrices of ``count`` images at ``layers`` take."""
    per_image = 0
    for layer in layers:
        c = backbone.info(layer).channels
        per_image += c * (c + 1) // 2 if triangles else c * c
    return 4 * per_image * count


def _batches(images: Sequence[torch.Tensor], batch_size: int, backbone: Backbone | None = None,
             layers: Sequence[str] = ()) -> list[list[int]]:
    """Index batches of same-sized images, in order of first appearance; with a backbone, checked to fit in memory."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, x in enumerate(images):
        groups.setdefault(tuple(x.shape[-2:]), []).append(i)
    if backbone is not None:
        for size, idx in groups.items():
            memory.check_forward_fits(backbone, list(layers), size, min(batch_size, len(idx)))
    return [idx[s : s + batch_size] for idx in groups.values() for s in range(0, len(idx), batch_size)]


def compute(
    images: ImageLike | Sequence[ImageLike],
    layers: Sequence[str],
    backbone: Backbone,
    kind: str = "gram",
    *,
    triangles: bool = True,
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, torch.Tensor]:
    """{layer: per-image matrices} of images (tensors in [0, 1], files, sample:NAME, PIL images or arrays; sizes free).

    Every batch runs the backbone once, up to the deepest layer asked for, and computes all layers'
    matrices with batched matrix products. Returns (N, C (C + 1) / 2) upper triangles when ``triangles``
    (see ``symmetric``), else (N, C, C) matrices. ``progress(done, total)`` is called after each batch.
    """
    check_kind(kind)
    layers = backbone.check_layers([layers] if isinstance(layers, str) else list(layers))  # 'relu3_1': 'r', 'e', ...
    images = image_items(images)
    need, have = stored_bytes(backbone, layers, len(images), triangles), memory.available_memory()
    if need > 0.7 * have:
        raise OptionError(
            f"the matrices of {len(images)} images at {len(layers)} layers need about {need / 2**30:.1f} GiB but only "
            f"{have / 2**30:.1f} GiB is free; choose fewer layers (--layers) or fewer/smaller images"
        )
    out: dict[str, torch.Tensor] = {}
    for layer in layers:
        c = backbone.info(layer).channels
        out[layer] = torch.empty((len(images), c * (c + 1) // 2) if triangles else (len(images), c, c))
    batches, done = _batches(images, batch_size, backbone, layers), 0
    with torch.no_grad():
        for idx in batches:
            backbone.check_fits(tuple(images[idx[0]].shape[-2:]), layers, f"image {idx[0] + 1}")  # named: which one
            features = backbone.extract(torch.cat([images[i] for i in idx]), layers)
            for layer in layers:
                m = of_features(features.pop(layer).float(), kind)
                out[layer][idx] = upper(m) if triangles else m
            done += len(idx)
            if progress:
                progress(done, len(images))
    return out


def mean(triangles_or_matrices: torch.Tensor) -> torch.Tensor:
    """The set-averaged (C, C) matrix of per-image upper triangles or matrices."""
    m = triangles_or_matrices
    full = symmetric(m) if m.dim() == 2 else m
    return full.mean(0)
