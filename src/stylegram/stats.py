"""Statistics of feature maps: Gram matrix, Pearson correlation, channel mean and standard deviation.

All functions take a batch of feature maps F of shape (N, C, H, W) and treat the M = H*W positions as
samples of a C-dimensional feature vector.

The one Gram normalization used everywhere in stylegram divides by the number of positions:

    G_ij = (1 / M) * sum_p F_ip F_jp

so a Gram matrix is the second moment E[f f^T] of the feature vectors. It does not depend on the image
size, and ||G(x) - G(y)||_F^2 is exactly the maximum mean discrepancy MMD^2 between the two feature
sets under the quadratic kernel k(a, b) = (a^T b)^2 (Li et al. 2017).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .errors import OptionError

EPS = 1e-8


def _maps(features: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Feature maps as a (N, C, H, W) tensor: a numpy array becomes one, (C, H, W) gains a batch axis; other shapes
    and types are named."""
    if isinstance(features, np.ndarray):
        features = torch.from_numpy(features if features.dtype.kind == "f" else features.astype(np.float32))
    if not isinstance(features, torch.Tensor):
        raise OptionError(f"feature maps are a tensor or a numpy array, not a {type(features).__name__}")
    if not features.is_floating_point():
        features = features.float()
    if features.dim() == 3:
        return features.unsqueeze(0)
    if features.dim() != 4:
        raise OptionError(f"feature maps are (N, C, H, W) or (C, H, W), not a tensor of shape {tuple(features.shape)}")
    return features


def _flat(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, M)."""
    features = _maps(features)
    n, c = features.shape[:2]
    return features.reshape(n, c, -1)


class _Gram(torch.autograd.Function):
    """F F^T / M with a one-product backward, dL/dF = (dG + dG^T) F / M.

    Autograd's own backward of ``f @ f.T`` takes two products and a transposed copy of F; this halves
    the Gram's share of a transfer iteration (about 18 % -> 9 % of a VGG19 pass at 256 px). A channels-last
    map (the bfloat16 pass, stylegram.backbones.conv3x3) is taken as the (M, C) rows of its memory, so neither
    direction copies F, and the gradient comes back in that layout.
    """

    @staticmethod
    def forward(ctx, features: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(features)
        return _gram_sum(features) / _positions(features)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (features,) = ctx.saved_tensors
        sym = (grad + grad.transpose(1, 2)) / _positions(features)  # scaled while small: a bfloat16 division of F costs 15x the product
        return _times(features, sym)


class _GramDistance(torch.autograd.Function):
    """relative_mse(gram(F), T) in one step: the Gram's products, with the loss's arithmetic on one C x C matrix.

    Composed of ``gram`` and ``relative_mse``, each style layer took eight elementwise passes over its Gram
    matrix and its gradient, and the target's energy anew at every evaluation: 1.5 ms a layer at 512
    channels, as long as its two products in bfloat16. Here the forward keeps D = G - T (float32 at least), and the
    backward is one product with D scaled.
    """

    @staticmethod
    def forward(ctx, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        diff = _gram_sum(features).to(target.dtype).mul_(1.0 / _positions(features)).sub_(target)
        scale = 1.0 / (diff.numel() * (squared_norm(target) / target.numel()).clamp_min(EPS))
        ctx.save_for_backward(features, diff, scale)
        return squared_norm(diff) * scale

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        features, diff, scale = ctx.saved_tensors
        # d loss / dG = 2 scale D, and the Gram's backward takes (dG + dG^T) / M = 4 scale D / M: G and T are
        # symmetric, and a transposed add of a 512 x 512 matrix took as long as a product
        sym = (diff * (grad * scale * (4.0 / _positions(features)))).to(features.dtype)
        return _times(features, sym), None


@dataclass(frozen=True)
class Region:
    """The positions of a feature map that a soft mask weighs: their indices in the map's (H W) order and their
    weights, summing to 1 (``region_of``)."""

    index: torch.Tensor  # (n,) int64
    weights: torch.Tensor  # (n, 1) float32


def region_of(mask: torch.Tensor) -> Region:
    """The positions a (1, 1, H, W) mask at a map's size weighs (those above 0) with their weights, summing to 1."""
    flat = mask.reshape(-1).float()
    index = torch.nonzero(flat > 0).reshape(-1)
    picked = flat[index]
    return Region(index, (picked / picked.sum().clamp_min(EPS)).unsqueeze(1))


def masked_gram_distances(features: torch.Tensor, regions: Sequence[Region], targets: torch.Tensor) -> torch.Tensor:
    """relative_mse(masked_gram(F, mask k), T_k) for every region k of one image's maps (1, C, H, W), as a (K,)
    tensor; one backward pass gives the map a single gradient (_MaskedGramDistances)."""
    return _MaskedGramDistances.apply(_maps(features), tuple(regions), targets.float())


class _MaskedGramDistances(torch.autograd.Function):
    """The Gram distances of K regions of one map, each from its own positions only.

    As K separate terms (the masked features' Gram, gram_distance), each region took products over the whole map,
    and autograd added K full-size gradients: with six label regions an iteration cost 1.8-2x one style's
    (BENCHMARKS.md). Label regions hardly overlap, so gathering each one's positions first costs about one map's
    products in all, and the gradients are added into one map in place.
    """

    @staticmethod
    def forward(ctx, features: torch.Tensor, regions: tuple, targets: torch.Tensor) -> torch.Tensor:
        rows = _rows_of(features)
        diffs, scales, losses = [], [], []
        for region, target in zip(regions, targets):
            picked = rows.index_select(0, region.index)  # (n, C), in the features' dtype
            gram = (picked * region.weights.to(picked.dtype)).T @ picked
            diff = gram.to(target.dtype) - target
            scale = 1.0 / (diff.numel() * (squared_norm(target) / target.numel()).clamp_min(EPS))
            diffs.append(diff)
            scales.append(scale)
            losses.append(squared_norm(diff) * scale)
        ctx.save_for_backward(features, torch.stack(diffs), torch.stack(scales))
        ctx.regions = regions
        return torch.stack(losses)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        features, diffs, scales = ctx.saved_tensors
        rows = _rows_of(features)
        out = torch.zeros(rows.shape, dtype=torch.promote_types(features.dtype, torch.float32))
        for region, diff, scale, g in zip(ctx.regions, diffs, scales, grad):
            if not g:
                continue
            picked = rows.index_select(0, region.index)
            # d loss / d f_p = 4 scale w_p D f_p (D symmetric), as _GramDistance's with w_p = 1 / M
            step = (picked @ (diff * (4.0 * g * scale)).to(picked.dtype)).to(out.dtype) * region.weights
            out.index_add_(0, region.index, step)
        n, c, h, w = features.shape
        return out.to(features.dtype).view(n, h, w, c).permute(0, 3, 1, 2), None, None


def _rows_of(features: torch.Tensor) -> torch.Tensor:
    """One image's (1, C, H, W) maps as (M, C) rows, a view of a channels-last map's memory, else a transposed view."""
    rows = _rows(features)
    return rows[0] if rows is not None else _flat(features)[0].T


def composed_relative_mse(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean((x - t)^2) / mean(t^2) in autograd's own operations (float32 at least): where the target needs a gradient."""
    return (x.float() - target).pow(2).mean() / target.pow(2).mean().clamp_min(EPS)


def squared_norm(t: torch.Tensor) -> torch.Tensor:
    """sum(t^2) as one dot product over t's memory (channels-last maps are read in place; the float32 sum is
    accurate to 1e-6 where torch.linalg.vector_norm's square was off by 4e-5 on a 1.4 M-value map)."""
    if t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last):
        t = t.permute(0, 2, 3, 1)
    flat = t.reshape(-1)
    return torch.dot(flat, flat)


def _positions(features: torch.Tensor) -> int:
    return features.shape[-1] * features.shape[-2]


def _gram_sum(features: torch.Tensor) -> torch.Tensor:
    """F F^T summed over positions (not yet divided by M): (N, C, H, W) -> (N, C, C), in F's dtype."""
    rows = _rows(features)
    if rows is not None:
        return torch.bmm(rows.transpose(1, 2), rows)
    f = _flat(features)
    return torch.bmm(f, f.transpose(1, 2))


def _times(features: torch.Tensor, sym: torch.Tensor) -> torch.Tensor:
    """The product F^T sym as a gradient of F's shape and layout: (N, C, H, W), (N, C, C) -> (N, C, H, W)."""
    rows = _rows(features)
    if rows is not None:
        n, c, h, w = features.shape
        return torch.bmm(rows, sym).view(n, h, w, c).permute(0, 3, 1, 2)
    return torch.bmm(sym, _flat(features)).view(features.shape)


def _rows(features: torch.Tensor) -> torch.Tensor | None:
    """A channels-last (N, C, H, W) map as an (N, M, C) view of its memory; None for other layouts."""
    if features.is_contiguous() or not features.is_contiguous(memory_format=torch.channels_last):
        return None
    n, c = features.shape[:2]
    return features.permute(0, 2, 3, 1).reshape(n, -1, c)


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix G = F F^T / M per image: (N, C, H, W) -> (N, C, C)."""
    return _Gram.apply(_maps(features))


def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Gram matrix of the positions a soft mask selects: G = sum_p m_p f_p f_p^T / sum_p m_p, (N, C, C).

    The second moment of the feature vectors inside the region (Gatys et al. 2017, spatial control); with a mask
    of ones it is ``gram``. ``mask`` is (1, 1, H, W) or (N, 1, H, W) at the maps' size, values in [0, 1].
    """
    f = _flat(features).float()
    if tuple(mask.shape[-2:]) != tuple(_maps(features).shape[-2:]) or mask.numel() % (f.shape[-1] or 1):
        height, width = _maps(features).shape[-2:]
        raise OptionError(f"the mask is {tuple(mask.shape)} and the maps {height}x{width}: give a (1, 1, {height}, "
                          f"{width}) mask, or average it down to them first (stylegram.masks.area(mask, maps))")
    m = mask.reshape(mask.shape[0], 1, -1).to(f.dtype)
    return torch.bmm(f * m, f.transpose(1, 2)) / m.sum(dim=2, keepdim=True).clamp_min(EPS)


def gram_distance(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """relative_mse(gram(features), target) = mean((G - T)^2) / mean(T^2), fused (see _GramDistance); T needs no gradient."""
    features = _maps(features)
    if target.requires_grad or target.shape[0] not in (1, features.shape[0]):  # the composed form: autograd and broadcasting of its own
        return composed_relative_mse(gram(features), target)
    return _GramDistance.apply(features, target.to(torch.promote_types(features.dtype, torch.float32)))


def position_weights(weights: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A soft mask (1 or N, 1, H, W) at a map's size as weights of its positions, (1 or N, 1, M), summing to 1."""
    w = weights.reshape(weights.shape[0], 1, -1).to(dtype)
    return w / w.sum(-1, keepdim=True).clamp_min(EPS)


def mean_std(features: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (population) standard deviation over positions: two (N, C) tensors.

    ``weights``: a soft mask (1 or N, 1, H, W) at the maps' size; the moments of the positions it weighs.
    """
    f = _flat(features)
    if weights is None:
        mean = f.mean(-1)
        std = (f - mean.unsqueeze(-1)).pow(2).mean(-1).add(EPS).sqrt()
        return mean, std
    w = position_weights(weights, f.dtype)
    mean = (f * w).sum(-1)
    std = ((f - mean.unsqueeze(-1)).pow(2) * w).sum(-1).add(EPS).sqrt()
    return mean, std


def covariance(features: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Channel covariance (1 / M) sum_p (f_p - mu)(f_p - mu)^T: (N, C, H, W) -> (N, C, C); with ``weights``
    (as for ``mean_std``) sum_p w_p (f_p - mu_w)(f_p - mu_w)^T over weights summing to 1."""
    f = _flat(features)
    if weights is None:
        centered = f - f.mean(-1, keepdim=True)
        return centered @ centered.transpose(1, 2) / f.shape[-1]
    w = position_weights(weights, f.dtype)
    centered = f - (f * w).sum(-1, keepdim=True)
    return (centered * w) @ centered.transpose(1, 2)


CONSTANT = 1e-4  # a channel whose spread is below this fraction of its mean size is constant (float32 rounding)


def pearson(features: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of channels, r_ij = cov_ij / (std_i std_j): (N, C, H, W) -> (N, C, C).

    A channel that is constant over the image (e.g. dead after a ReLU) has no defined correlation;
    its row and column are 0, including the diagonal, so it cannot fake structure. Constant means a spread
    below CONSTANT times its mean size or the layer's (the mean over its channels), or a millionth of the liveliest
    channel's: a float32 mean of equal values is a little off them, and that rounding made every channel of a flat
    image correlate with every other at ±1. The layer's size: a flat picture resized is flat to float32's rounding,
    which deep layers carry on, and a nearly silent channel's rounding passed its own size (a flat 123x77 picture at
    64 px: 3 channels of relu3_1 alive, correlated at 0.62).
    """
    cov = covariance(features)
    var = cov.diagonal(dim1=1, dim2=2)
    std = var.detach().clamp_min(0).sqrt()
    size = _flat(features).detach().abs().mean(-1)
    level = size.mean(-1, keepdim=True)
    alive = (std > 1e-6 * std.amax(-1, keepdim=True).clamp_min(EPS)) & (std > CONSTANT * torch.maximum(size, level))
    # a constant channel's variance is swapped for 1 before the root: sqrt's slope at 0 is infinite, and a where()
    # that drops a value still multiplies its slope by 0 (a dream on a one-colour picture became NaN at once)
    inv = torch.where(alive, torch.where(alive, var, torch.ones_like(var)).rsqrt(), torch.zeros_like(var))
    return cov * inv.unsqueeze(-1) * inv.unsqueeze(-2)
