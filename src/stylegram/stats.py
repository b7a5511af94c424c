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

import torch

EPS = 1e-8


def _flat(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, M)."""
    if features.dim() == 3:
        features = features.unsqueeze(0)
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
        rows = _rows(features)
        if rows is not None:
            return torch.bmm(rows.transpose(1, 2), rows) / rows.shape[1]
        f = _flat(features)
        return torch.bmm(f, f.transpose(1, 2)) / f.shape[-1]

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (features,) = ctx.saved_tensors
        rows = _rows(features)
        positions = features.shape[-1] * features.shape[-2]
        sym = (grad + grad.transpose(1, 2)) / positions  # scaled while small: a bfloat16 division of F costs 15x the product
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
    if features.dim() == 3:
        features = features.unsqueeze(0)
    return _Gram.apply(features)


def mean_std(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (population) standard deviation over positions: two (N, C) tensors."""
    f = _flat(features)
    mean = f.mean(-1)
    std = (f - mean.unsqueeze(-1)).pow(2).mean(-1).add(EPS).sqrt()
    return mean, std


def covariance(features: torch.Tensor) -> torch.Tensor:
    """Channel covariance (1 / M) sum_p (f_p - mu)(f_p - mu)^T: (N, C, H, W) -> (N, C, C)."""
    f = _flat(features)
    centered = f - f.mean(-1, keepdim=True)
    return centered @ centered.transpose(1, 2) / f.shape[-1]


def pearson(features: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of channels, r_ij = cov_ij / (std_i std_j): (N, C, H, W) -> (N, C, C).

    A channel that is constant over the image (e.g. dead after a ReLU) has no defined correlation;
    its row and column are 0, including the diagonal, so it cannot fake structure.
    """
    cov = covariance(features)
    std = cov.diagonal(dim1=1, dim2=2).clamp_min(0).sqrt()
    alive = std > 1e-6 * std.amax(-1, keepdim=True).clamp_min(EPS)
    inv = torch.where(alive, 1.0 / std.clamp_min(EPS), torch.zeros_like(std))
    return cov * inv.unsqueeze(-1) * inv.unsqueeze(-2)
