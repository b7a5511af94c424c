"""Style statistics: what "the same style" means, one small class each, chosen by name.

Li et al. 2017 ("Demystifying neural style transfer") showed that matching Gram matrices minimizes the
maximum mean discrepancy (MMD) between the two images' feature distributions under the quadratic kernel,
and that other kernels and the per-channel mean and standard deviation transfer style too; later work
matched the mean and covariance (Wasserstein-2 between Gaussians) or whole per-channel histograms
(Risser et al. 2017). Each of them is a statistic here:

    gram        G = F F^T / M (stylegram.stats.gram)            ||G(x) - G(t)||^2 / ||G(t)||^2
    mmd-linear  k(a, b) = a^T b                                  MMD^2 / E k(t, t')  = ||mu_x - mu_t||^2 / ||mu_t||^2
    mmd-poly    k(a, b) = (a^T b / s + c)^d, s = E ||t||^2       MMD^2 / E k(t, t')
    mmd-gauss   k(a, b) = exp(-||a - b||^2 / (2 h)), h = median ||t - t'||^2     MMD^2 / E k(t, t')
    meanstd     per-channel (mu, sigma)                          ||(mu, sigma)_x - (mu, sigma)_t||^2 / ||(mu, sigma)_t||^2
    w2          N(mu, Sigma) of the feature vectors              W2^2(N_x, N_t) / E ||t||^2
    histogram   per-channel sorted values (quantile function)    sum_c W2^2(x_c, t_c) / E ||t||^2
    mrf         the style's k x k patches (Li and Wand 2016)      mean_i ||x_i - t_NN(i)||^2 / E ||t||^2 (stylegram.mrf)

F is one layer's (C, M) feature map, the M = H*W positions are samples of a C-dimensional vector, t and t'
are feature vectors of the style, E means over positions. Every distance is *relative* to the size of the
target, like every other loss term (stylegram.losses): the MMD family divides by E k(t, t'), the squared
norm of the style's mean embedding (for the quadratic kernel that is ||G(t)||^2, so ``gram`` *is*
``mmd-poly(c=0,d=2)``, whose gain is 1); the transport family (meanstd, w2, histogram) divides by the style's
second moment E ||t||^2 (for meanstd that is ||mu_t||^2 + ||sigma_t||^2).

Scale. A uniform gain of the features, F -> (1 + e) F, costs the Gram term (2e)^2 but the transport
terms and mmd-linear only e^2, and the kernel MMDs Q e^2 for a Q that depends on the kernel (d^2 for
mmd-poly with c = 0). So that one --style-weight serves every statistic, each distance is multiplied by
a factor that makes that cost 4 e^2 for all of them: the constant ``SCALE`` = 4 of meanstd, histogram
and mmd-linear (w2: 1 and mrf: 0.4, see their classes), and for mmd-poly/mmd-gauss the ``gain`` 4 / Q computed once per target from the
style's own sample (exactly, by autograd; ``_KernelMMD._gain``).

Every MMD is the V-statistic (the diagonal k(a, a) is kept): the squared distance between the two empirical
mean embeddings, >= 0 and exactly 0 for identical sets. mmd-poly and mmd-gauss cost O(M^2) in the number of
positions, so they use at most ``samples`` positions of each side per evaluation: the style's are drawn
once per target, the image's afresh at every evaluation from a generator seeded by (seed, layer shape,
evaluation index), so the same seed gives the same bytes, and a resumed run draws the same positions
(see ``at_evaluation``). The self terms E k(x, x') and E k(t, t') are estimated without bias from the
samples (``_self_mean``), so sampling adds noise but no floor. Memory per term is O(samples^2), whatever
the image size. mmd-linear needs no sampling: its MMD is the distance between the means.

Several style images are blended as the *mixture* of their feature distributions with the blend weights
(``blend``): Gram matrices and means are weighted sums, mean/std and covariance are the mixture's moments,
histograms the mixture's quantiles, and MMD sample sets take a share of positions from each style in
proportion to its weight.

A statistic has ``name``, ``target(feats, weights=None)`` (computed once, under no_grad, from (N, C, H, W)
features: the N images' positions are pooled), ``blend(targets, weights)`` and ``distance(feats, target,
weights=None)`` (a scalar tensor, averaged over the batch of the features).

Spatial control (--style-masks, --style-regions, texture --masks; Gatys et al. 2017) gives ``weights``: a soft mask
(1, 1, H, W) at the map's size, so that a statistic describes the positions it weighs, each by its weight. Gram
matrices, means, standard deviations and covariances become weighted moments, histograms weighted quantiles, and the
kernel MMDs weigh the image's positions in their kernel means (sampling among the weighed positions only); a style
region lends a kernel MMD the positions it covers at least half as much as its most covered one (``_selected``), so
that its sample blends as before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from . import stats
from .errors import OptionError, check_choice
from .losses import relative_mse
from .memory import positions
from .mrf import MRFStatistic

EPS = 1e-8
SAMPLES = 1024  # positions per side and evaluation for mmd-poly and mmd-gauss
# positions of the style's sample that its kernel constants (the gain, mmd-gauss's median) are taken from: with
# samples=1e9 they were taken from all (9,216 at relu1_1 for a 96 px style), ten float64 copies of a 9,216^2 matrix
# for the gain's second derivative, 6.8 GB
CONSTANT_SAMPLES = SAMPLES
TARGET_COPIES, KERNEL_COPIES = 4, 3  # float32 kernel matrices held while a target is made, and for the backward


class Statistic(Protocol):
    """What a style loss needs: a target computed once, a blend of targets, a distance to a target."""

    name: str

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> Any: ...

    def blend(self, targets: Sequence[Any], weights: Sequence[float]) -> Any: ...

    def distance(self, feats: torch.Tensor, target: Any, weights: torch.Tensor | None = None) -> torch.Tensor: ...


def _pooled(feats: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N*H*W, C): every position of every image, as one set of feature vectors."""
    if feats.dim() == 3:
        feats = feats.unsqueeze(0)
    return feats.transpose(0, 1).reshape(feats.shape[1], -1).t()


def _pooled_weights(feats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """A soft mask (1 or N, 1, H, W) as the weights (N*H*W,) of ``_pooled``'s positions, summing to 1."""
    if feats.dim() == 3:
        feats = feats.unsqueeze(0)
    w = weights.expand(feats.shape[0], 1, *feats.shape[-2:]).transpose(0, 1).reshape(-1).float()
    return w / w.sum().clamp_min(EPS)


def _per_image(feats: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, M, C)."""
    return stats._flat(feats).transpose(1, 2)


def _single(targets: Sequence[Any]) -> Any | None:
    """The target itself when there is one style, so a single style's target is kept bit for bit."""
    return targets[0] if len(targets) == 1 else None


# ---------------------------------------------------------------------------------------------- gram


class GramStatistic:
    """Gram matrices G = F F^T / M (stylegram.stats.gram), compared by relative squared Frobenius error.

    ||G(x) - G(t)||^2 / ||G(t)||^2 = MMD^2(x, t) / E k(t, t') for k(a, b) = (a^T b)^2: Li et al.'s identity,
    with the relative normalization as the documented constant.
    """

    memory_factor = 2.0  # floats held per map value (memory.estimate): 3.96 KB per output pixel measured, 5.5 estimated

    name = "gram"
    SCALE = 1.0
    low_precision = True  # bfloat16 features welcome: the product accumulates in float32, only G is rounded

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """The Gram matrix (of the weighed positions: stats.masked_gram) averaged over the batch: (1, C, C)."""
        if weights is not None:
            return stats.masked_gram(feats, weights).mean(0, keepdim=True)
        return stats.gram(feats).mean(0, keepdim=True)

    def blend(self, targets: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
        """The mixture's second moment: the weighted sum of the Gram matrices."""
        return sum(w * t for t, w in zip(targets, weights))

    def distance(self, feats: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """relative_mse(G(x), G_t), fused (stats.gram_distance).

        With ``weights`` (1, 1, H, W), the Gram distance of F * sqrt(w M / sum w): the plain Gram of those scaled
        features, sum_p (w_p M / sum w) f_p f_p^T / M, is the masked one, so the term runs on gram_distance's
        products (bfloat16 where the network pass is) instead of float32 copies.
        """
        if weights is not None:
            feats = feats * (weights * (weights.numel() / weights.sum().clamp_min(1e-8))).sqrt().to(feats.dtype)
        return stats.gram_distance(feats, target)

    def __repr__(self) -> str:
        return "gram"


# ---------------------------------------------------------------------------------- transport family


class MeanStdStatistic:
    """Per-channel mean and standard deviation (batch-norm statistics, Li et al. 2017; AdaIN's statistics).

    distance = SCALE * (||mu_x - mu_t||^2 + ||sigma_x - sigma_t||^2) / (||mu_t||^2 + ||sigma_t||^2): the sum
    over channels of the W2^2 between 1-D Gaussians, relative to the style's second moment E ||t||^2.
    """

    memory_factor = 2.3  # 4.96 KB per pixel measured, 6.2 estimated (memory.estimate)

    name = "meanstd"
    SCALE = 4.0  # a gain (1 + e) of the features costs e^2 unscaled; Gram's (2e)^2 with it

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(1, 2, C): the pooled (weighed) positions' channel means and standard deviations."""
        w = None if weights is None else _pooled_weights(feats, weights)[None, None, :, None]
        mean, std = stats.mean_std(_pooled(feats).t()[None, :, :, None], w)
        return torch.stack([mean, std], 1)

    def blend(self, targets: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
        """The mixture's mean and standard deviation."""
        if (one := _single(targets)) is not None:
            return one
        mean = sum(w * t[:, 0] for t, w in zip(targets, weights))
        second = sum(w * (t[:, 1] ** 2 + t[:, 0] ** 2) for t, w in zip(targets, weights))
        return torch.stack([mean, (second - mean**2).clamp_min(0).add(stats.EPS).sqrt()], 1)

    def distance(self, feats: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        mean, std = stats.mean_std(feats, weights)
        return self.SCALE * relative_mse(torch.stack([mean, std], 1), target)

    def __repr__(self) -> str:
        return "meanstd"


@dataclass
class GaussianTarget:
    """Mean (C,), covariance (C, C), the covariance's square root (float64) and E ||t||^2."""

    mean: torch.Tensor
    cov: torch.Tensor
    root: torch.Tensor
    second: torch.Tensor


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric PSD matrix (float64)."""
    values, vectors = torch.linalg.eigh(matrix.double())
    return (vectors * values.clamp_min(0).sqrt().unsqueeze(-2)) @ vectors.transpose(-1, -2)


def w2_squared(mean_a: torch.Tensor, cov_a: torch.Tensor, mean_b: torch.Tensor, cov_b: torch.Tensor) -> torch.Tensor:
    """W2^2 between N(mean_a, cov_a) and N(mean_b, cov_b), symmetric in a and b:

    ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_b^1/2 S_a S_b^1/2)^1/2). Batched over leading dimensions of a.
    """
    return _w2(mean_a, cov_a, mean_b, cov_b, _sqrtm_psd(cov_b))


def _w2(mean_a, cov_a, mean_b, cov_b, root_b) -> torch.Tensor:
    cross = root_b @ cov_a.double() @ root_b
    values = torch.linalg.eigvalsh((cross + cross.transpose(-1, -2)) / 2)
    # sqrt has an infinite slope at 0: floor the eigenvalues at (1e-6 of the mean variance)^2, which changes
    # the distance by at most 1e-6 of E ||t||^2 and keeps the gradient finite for dead channels
    floor = (1e-6 * cov_b.diagonal(dim1=-2, dim2=-1).double().mean().clamp_min(EPS)) ** 2
    trace = cov_a.diagonal(dim1=-2, dim2=-1).sum(-1) + cov_b.diagonal(dim1=-2, dim2=-1).sum(-1)
    transport = trace.double() - 2 * values.clamp_min(floor).sqrt().sum(-1)
    return (mean_a - mean_b).pow(2).sum(-1) + transport.to(mean_a.dtype)


class W2Statistic:
    """The Wasserstein-2 distance between Gaussians fitted to the feature vectors (mean and covariance).

    distance = SCALE * W2^2(N(mu_x, S_x), N(mu_t, S_t)) / E ||t||^2 with E ||t||^2 = ||mu_t||^2 + tr S_t;
    see ``w2_squared`` for the formula. Unlike Gram it separates the mean from the correlations.

    SCALE = 1, not the gain law's 4: the square-root term pulls hard along the feature directions the image
    lacks (its slope grows like 1 / sqrt(eigenvalue)), and with 4 the default style weight painted over the
    subject (chelsea x swirls, 256 px); with 1 the content term ends at 0.73, Gram's at 0.80.
    """

    memory_factor = 2.3  # 4.76 KB per pixel measured, 6.2 estimated (memory.estimate)

    name = "w2"
    SCALE = 1.0

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> GaussianTarget:
        return self._fit(_pooled(feats), None if weights is None else _pooled_weights(feats, weights))

    @staticmethod
    def _fit_moments(mean: torch.Tensor, cov: torch.Tensor) -> GaussianTarget:
        second = mean.pow(2).sum() + cov.diagonal().sum()
        return GaussianTarget(mean, cov, _sqrtm_psd(cov), second)

    def _fit(self, vectors: torch.Tensor, weights: torch.Tensor | None = None) -> GaussianTarget:
        """Mean and covariance of the (M, C) vectors, each weighed by ``weights`` (M,) summing to 1 if given."""
        if weights is None:
            mean = vectors.mean(0)
            centered = vectors - mean
            return self._fit_moments(mean, centered.t() @ centered / vectors.shape[0])
        mean = weights @ vectors
        centered = vectors - mean
        return self._fit_moments(mean, (centered * weights[:, None]).t() @ centered)

    def blend(self, targets: Sequence[GaussianTarget], weights: Sequence[float]) -> GaussianTarget:
        """The mixture's mean and covariance."""
        if (one := _single(targets)) is not None:
            return one
        mean = sum(w * t.mean for t, w in zip(targets, weights))
        second = sum(w * (t.cov + torch.outer(t.mean, t.mean)) for t, w in zip(targets, weights))
        return self._fit_moments(mean, second - torch.outer(mean, mean))

    def distance(self, feats: torch.Tensor, target: GaussianTarget, weights: torch.Tensor | None = None) -> torch.Tensor:
        f = stats._flat(feats)
        mean = f.mean(-1) if weights is None else (f * stats.position_weights(weights, f.dtype)).sum(-1)
        cov = stats.covariance(feats, weights)
        w2 = _w2(mean, cov, target.mean, target.cov, target.root)
        return self.SCALE * w2.mean() / target.second.clamp_min(EPS)

    def __repr__(self) -> str:
        return "w2"


@dataclass
class Quantiles:
    """Per-channel sorted values (C, P) of the style: its quantile function at levels (i + 0.5) / P."""

    values: torch.Tensor
    second: torch.Tensor  # E ||t||^2 = sum over channels of the mean square
    _cache: dict = field(default_factory=dict, repr=False)

    def at(self, count: int) -> torch.Tensor:
        """The quantile function at ``count`` levels (j + 0.5) / count, by linear interpolation: (C, count)."""
        if count not in self._cache:
            self._cache[count] = resample_sorted(self.values, count)
        return self._cache[count]


def resample_sorted(values: torch.Tensor, count: int) -> torch.Tensor:
    """Sorted (C, P) values at ``count`` evenly spaced quantile levels, linearly interpolated: (C, count)."""
    p = values.shape[-1]
    if p == count:
        return values
    pos = ((torch.arange(count, dtype=torch.float64) + 0.5) * p / count - 0.5).clamp(0, p - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp_max(p - 1)
    frac = (pos - lo).to(values.dtype)
    return values[:, lo] * (1 - frac) + values[:, hi] * frac


class HistogramStatistic:
    """Whole per-channel histograms (Risser et al. 2017), matched by sorting (differentiable through sort).

    Each channel's M values are sorted and compared with the style's quantile function at M levels:
    distance = SCALE * sum_c ||sort(x_c) - q_t,c||^2 / M / E ||t||^2, i.e. the summed 1-D W2^2 of the channel
    histograms relative to the style's second moment. It is 0 exactly when the sorted values are equal.
    """

    name = "histogram"
    SCALE = 4.0

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> Quantiles:
        """Each channel's sorted values; with ``weights``, the weighted quantile function at as many levels."""
        if weights is None:
            values = _pooled(feats).t().sort(-1).values
        else:
            w = _pooled_weights(feats, weights)
            pooled = _pooled(feats).t()[:, w > 0]  # the weighed positions only: the others are no levels
            sort = pooled.sort(-1)
            levels = _weighted_levels(w[w > 0].expand_as(pooled).gather(-1, sort.indices))
            wanted = (torch.arange(pooled.shape[-1], dtype=torch.float64) + 0.5) / pooled.shape[-1]
            values = _interpolate(levels.double(), sort.values, wanted.expand(pooled.shape[0], -1))
        return Quantiles(values, values.pow(2).mean(-1).sum())

    def blend(self, targets: Sequence[Quantiles], weights: Sequence[float]) -> Quantiles:
        """The mixture's quantiles: each style contributes a share of quantile points equal to its weight."""
        if (one := _single(targets)) is not None:
            return one
        total = sum(t.values.shape[-1] for t in targets)
        parts = [resample_sorted(t.values, max(1, round(w * total))) for t, w in zip(targets, weights) if w > 0]
        values = torch.cat(parts, -1).sort(-1).values
        return Quantiles(values, values.pow(2).mean(-1).sum())

    def distance(self, feats: torch.Tensor, target: Quantiles, weights: torch.Tensor | None = None) -> torch.Tensor:
        f = stats._flat(feats)
        if weights is None:
            q = target.at(f.shape[-1])
            return self.SCALE * (f.sort(-1).values - q).pow(2).mean((-1, -2)).mean() * f.shape[1] / target.second.clamp_min(EPS)
        # weighted: each sorted value at the middle of its weight's share of the levels, against the style's
        # quantile function there: sum_c sum_i w_i (x_c,(i) - q_t,c(u_i))^2, the weighted 1-D W2^2 of each channel;
        # only the weighed positions are sorted (two masks cost one whole map's sort)
        w = stats.position_weights(weights[:1], f.dtype)[0, 0]
        inside = w > 0
        sort = f[..., inside].sort(-1)
        w = w[inside].expand_as(sort.values).gather(-1, sort.indices)
        (n, c, m) = sort.values.shape
        q = _quantile_at(target.values.repeat(n, 1), _weighted_levels(w).reshape(n * c, m)).view(n, c, m)
        return self.SCALE * ((sort.values - q).pow(2) * w).sum(-1).sum(-1).mean() / target.second.clamp_min(EPS)

    def __repr__(self) -> str:
        return "histogram"


def _weighted_levels(weights: torch.Tensor) -> torch.Tensor:
    """The quantile level of each sorted value: the middle of its weight's share, (cumsum - w / 2) / sum."""
    total = weights.sum(-1, keepdim=True).clamp_min(EPS)
    return (weights.cumsum(-1) - weights / 2) / total


def _quantile_at(values: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Per row, the quantile function of sorted ``values`` (R, P) (value j at level (j + 0.5) / P, linear between,
    flat beyond the ends) at ``levels`` (R, K)."""
    p = values.shape[-1]
    pos = (levels * p - 0.5).clamp(0, p - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp_max(p - 1)
    frac = (pos - lo).to(values.dtype)
    return values.gather(-1, lo) * (1 - frac) + values.gather(-1, hi) * frac


def _interpolate(levels: torch.Tensor, values: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
    """Per row, the piecewise-linear function through (levels, values) (levels ascending) at ``wanted``,
    constant beyond the ends: (R, K) x (R, K) x (R, P) -> (R, P)."""
    k = levels.shape[-1]
    hi = torch.searchsorted(levels.contiguous(), wanted.contiguous()).clamp(1, max(k - 1, 1))
    lo = hi - 1 if k > 1 else hi
    l0, l1 = levels.gather(-1, lo), levels.gather(-1, hi)
    frac = ((wanted - l0) / (l1 - l0).clamp_min(1e-12)).clamp(0, 1).to(values.dtype)
    return values.gather(-1, lo) * (1 - frac) + values.gather(-1, hi) * frac


# ------------------------------------------------------------------------------------------ MMD family


class MMDLinearStatistic:
    """MMD with the linear kernel k(a, b) = a^T b: MMD^2 = ||mu_x - mu_t||^2, so it matches channel means.

    distance = SCALE * ||mu_x - mu_t||^2 / ||mu_t||^2 (E k(t, t') = ||mu_t||^2), exact, without sampling.
    """

    name = "mmd-linear"
    SCALE = 4.0

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        if weights is not None:
            return (_pooled_weights(feats, weights) @ _pooled(feats)).unsqueeze(0)
        return _pooled(feats).mean(0, keepdim=True)

    def blend(self, targets: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
        return sum(w * t for t, w in zip(targets, weights))

    def distance(self, feats: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        f = stats._flat(feats)
        mean = f.mean(-1) if weights is None else (f * stats.position_weights(weights, f.dtype)).sum(-1)
        return self.SCALE * relative_mse(mean, target)

    def __repr__(self) -> str:
        return "mmd-linear"


def _mix(*numbers: int) -> int:
    """A 63-bit seed from integers (splitmix64 steps), the same on every run and platform."""
    state = 0x9E3779B97F4A7C15
    for n in numbers:
        state = (state ^ (n & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 31
    return state & 0x7FFFFFFFFFFFFFFF


@dataclass
class Sampler:
    """Positions for the image side of a sampled MMD: evaluation k draws from a generator seeded (seed, k)."""

    seed: int
    calls: int = 0

    def draw(self, count: int, limit: int) -> torch.Tensor | None:
        """``limit`` distinct indices out of ``count`` (None when count <= limit: use them all)."""
        index = self.calls
        self.calls += 1
        if count <= limit:
            return None
        generator = torch.Generator().manual_seed(_mix(self.seed, index))
        return torch.randperm(count, generator=generator)[:limit]


@dataclass
class SampleSet:
    """The style's side of a sampled MMD: feature vectors (n, C) in random order and kernel constants."""

    vectors: torch.Tensor
    scale: torch.Tensor  # s = E ||t||^2 (mmd-poly) or h = median ||t - t'||^2 (mmd-gauss)
    self_term: torch.Tensor  # E k(t, t') over all the style's positions, estimated from the sample
    sampler: Sampler
    positions: int  # how many positions the style had (the sample's population)
    gain: torch.Tensor  # the factor that makes a gain (1 + e) of the features cost 4 e^2, as for Gram


class _KernelMMD:
    """gain * MMD^2 / E k(t, t') with a kernel over at most ``samples`` positions per side."""

    name = ""

    def __init__(self, samples: int = SAMPLES, seed: int = 0):
        if samples < 2:
            raise OptionError(f"{self.name}: samples must be at least 2, got {samples}")
        self.samples, self.seed = int(samples), seed

    def kernel(self, a: torch.Tensor, b: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def kernel_scale(self, vectors: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _set(self, vectors: torch.Tensor, positions: int, seed: int) -> SampleSet:
        scale = self.kernel_scale(vectors)
        self_term = _self_mean(self.kernel(vectors, vectors, scale), positions)
        gain = self._gain(_spread(vectors, CONSTANT_SAMPLES), scale)
        return SampleSet(vectors, scale, self_term, Sampler(seed), positions, gain)

    def held_bytes(self, channels: int, image_positions: int, style_positions: int) -> int:
        """Bytes one layer's term holds at most (float32): the style's sample and its n x n self kernel while the
        target is made, and the kernels between the image's sample and both sides kept for the backward pass
        (stylegram.memory's estimate; the default 1,024 samples hold a few MB, samples=1e9 held GB)."""
        n, m = min(self.samples, image_positions), min(self.samples, style_positions)
        return 4 * (m * channels + max(TARGET_COPIES * m * m, KERNEL_COPIES * (n * n + n * m)))

    def _gain(self, vectors: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """4 / Q, where a gain (1 + e) of the style's own sample costs Q e^2 (to second order) unscaled.

        Q is the exact second derivative at e = 0 (autograd, float64), so the scaled cost of a gain is 4 e^2,
        as for Gram; for c = 0 polynomials Q = d^2, so mmd-poly(c=0,d=2) keeps a gain of exactly 1.
        """
        t, s = vectors.double(), scale.double()
        with torch.enable_grad():
            e = torch.zeros((), dtype=torch.float64, requires_grad=True)
            x = (1 + e) * t
            tt = self.kernel(t, t, s).mean()
            cost = (self.kernel(x, x, s).mean() + tt - 2 * self.kernel(x, t, s).mean()) / tt.clamp_min(EPS)
            (slope,) = torch.autograd.grad(cost, e, create_graph=True)
            (curvature,) = torch.autograd.grad(slope, e)
        return (8 / curvature.clamp_min(1e-12)).float()

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> SampleSet:
        """At most ``samples`` of the pooled positions (those ``weights`` selects: ``_selected``), in a random order
        seeded by (seed, layer shape)."""
        vectors = _pooled(feats) if weights is None else _selected(_pooled(feats), _pooled_weights(feats, weights))
        seed = _mix(self.seed, *feats.shape[1:])
        order = torch.randperm(vectors.shape[0], generator=torch.Generator().manual_seed(seed))
        return self._set(vectors[order[: self.samples]], vectors.shape[0], seed)

    def blend(self, targets: Sequence[SampleSet], weights: Sequence[float]) -> SampleSet:
        """A share of each style's (randomly ordered) positions in proportion to its blend weight."""
        if (one := _single(targets)) is not None:
            return one
        total = sum(t.vectors.shape[0] for t in targets)
        size = min(self.samples, total)
        parts = [t.vectors[: max(1, round(w * size))] for t, w in zip(targets, weights) if w > 0]
        return self._set(torch.cat(parts), sum(t.positions for t in targets), targets[0].sampler.seed)

    def distance(self, feats: torch.Tensor, target: SampleSet, weights: torch.Tensor | None = None) -> torch.Tensor:
        if weights is not None:
            return self._weighted_distance(feats, target, weights)
        x = _per_image(feats)
        positions = x.shape[1]
        index = target.sampler.draw(positions, self.samples)
        if index is not None:
            x = x[:, index]
        t = target.vectors.unsqueeze(0)
        xx = _self_mean(self.kernel(x, x, target.scale), positions)
        xt = self.kernel(x, t, target.scale).mean((-1, -2))
        mmd2 = xx + target.self_term - 2 * xt
        return target.gain * mmd2.mean() / target.self_term.clamp_min(EPS)

    def _weighted_distance(self, feats: torch.Tensor, target: SampleSet, weights: torch.Tensor) -> torch.Tensor:
        """The image's kernel means weighted by a (1, 1, H, W) mask: E_w k(x, x') = sum_ij w_i w_j k(x_i, x_j) and
        E_w k(x, t) = sum_i w_i E_t k(x_i, t), from at most ``samples`` of the weighed positions (w > 0), drawn
        uniformly and scaled to be unbiased (exact when all are used)."""
        x = _per_image(feats)
        w = stats.position_weights(weights[:1], x.dtype)[0, 0]
        support = torch.nonzero(w > 0).squeeze(1)
        count = support.numel()
        index = target.sampler.draw(count, self.samples)
        if index is not None:
            support = support[index]
        x, w, used = x[:, support], w[support], support.numel()
        t = target.vectors.unsqueeze(0)
        xx = _weighted_self_mean(self.kernel(x, x, target.scale), w, count)
        xt = (count / used) * (self.kernel(x, t, target.scale).mean(-1) @ w)
        mmd2 = xx + target.self_term - 2 * xt
        return target.gain * mmd2.mean() / target.self_term.clamp_min(EPS)

    def _samples(self) -> str:
        """',samples=N' where not the default (repr: a run with more samples was shown as the default's)."""
        return f",samples={self.samples}" if self.samples != SAMPLES else ""

    def __repr__(self) -> str:
        return f"{self.name}({self._samples()[1:]})" if self._samples() else self.name


# mmd-gauss's h over the median heuristic's: beyond, the kernel is 0 or 1. Below 0.1 it is near 0 between most
# features and the deep terms do not move (chelsea/swirls, 128 px: relu5_1 ended at 96 % of its start at 0.05, 100 %
# at 0.01, 63 % at 0.1, 9 % at 0.5; the picture was nearly the photo), where 0.01 was allowed, unwarned (trial AA)
MIN_BANDWIDTH, MAX_BANDWIDTH = 0.1, 100.0
MAX_POLY_C = 100.0  # the style against its own sample: 5.6e-5 at c=100, 6.0e-3 at 1e4 (float32), NaN at 1e30
MAX_POLY_DEGREE = 8  # chelsea/swirls at 128 px, relu5_1's term over relu1_1's: 2 at d=2, 39 at 6, 330 at 8, 60,000 at 16


class MMDPolyStatistic(_KernelMMD):
    """MMD with the polynomial kernel k(a, b) = (a^T b / s + c)^d, s = E ||t||^2 of the style (scale-free c).

    With c = 0, d = 2 it equals ``gram`` (s cancels in the relative normalization, the gain is 1). The
    default c = 1, d = 3 adds the linear and quadratic (Gram) terms to the cubic one: with c = 0 the cubic
    term alone is ruled by the strongest activations and leaves weakly active regions of the picture with
    the content's colours (seen in the gallery). Scaled by the per-target gain (4 / d^2 when c = 0).
    """

    name = "mmd-poly"

    def __init__(self, c: float = 1.0, d: int = 3, samples: int = SAMPLES, seed: int = 0):
        if d != int(d) or d < 1:
            raise OptionError(f"mmd-poly: d must be a whole number >= 1, got {d}")
        if d > MAX_POLY_DEGREE:
            raise OptionError(f"mmd-poly: d must be at most {MAX_POLY_DEGREE}, got {d}: a higher power leaves the loss "
                              "to the few strongest activations of the deepest layer (at d=16 relu5_1's term is "
                              "60,000x relu1_1's) and overflows near d=40, which stopped runs with a NaN loss")
        if c < 0:
            raise OptionError(f"mmd-poly: c must not be negative (the kernel would not be positive definite), got {c}")
        if c > MAX_POLY_C:
            raise OptionError(f"mmd-poly: c must be at most {MAX_POLY_C:g}, got {c:g}: a larger c makes the kernel "
                              "nearly constant, and its MMD is lost to rounding (the style against itself measured 6e-3 at "
                              "c=1e4 where it is 0) or overflows to a NaN loss")
        super().__init__(samples, seed)
        self.c, self.d = float(c), int(d)

    def kernel_scale(self, vectors: torch.Tensor) -> torch.Tensor:
        return vectors.pow(2).sum(-1).mean().clamp_min(EPS)

    def kernel(self, a, b, scale):
        return (a @ b.transpose(-1, -2) / scale + self.c).pow(self.d)

    def __repr__(self) -> str:
        return f"mmd-poly(c={self.c:g},d={self.d}{self._samples()})"


class MMDGaussStatistic(_KernelMMD):
    """MMD with the Gaussian kernel k(a, b) = exp(-||a - b||^2 / (2 h)), h = ``bandwidth`` times the median of
    ||t - t'||^2 over pairs of the style's sampled positions (the median heuristic, per layer, computed once per
    target); a wider kernel (bandwidth > 1) weighs the coarse shape of the distribution, a narrower one its detail.

    Scaled by the per-target gain, which on VGG19 features with the median heuristic comes out 6 to 9.
    """

    memory_factor = 2.3  # 4.46 KB per pixel measured, 6.2 estimated (memory.estimate)

    name = "mmd-gauss"

    def __init__(self, samples: int = SAMPLES, bandwidth: float = 1.0, seed: int = 0):
        if not MIN_BANDWIDTH <= bandwidth <= MAX_BANDWIDTH:
            low = (": a narrower kernel is near 0 between most features, and the deep layers' style does not move"
                   if 0 < bandwidth < MIN_BANDWIDTH else "")
            raise OptionError(f"mmd-gauss: bandwidth must be between {MIN_BANDWIDTH:g} and {MAX_BANDWIDTH:g} (times "
                              f"the median squared distance of the style's features), got {bandwidth:g}{low}")
        super().__init__(samples, seed)
        self.bandwidth = float(bandwidth)

    def kernel_scale(self, vectors: torch.Tensor) -> torch.Tensor:
        vectors = _spread(vectors, CONSTANT_SAMPLES)
        d2 = _sq_dist(vectors, vectors)
        off = d2[~torch.eye(d2.shape[0], dtype=torch.bool)]
        median = off.median().clamp_min(EPS) if off.numel() else torch.tensor(1.0)
        return self.bandwidth * median

    def __repr__(self) -> str:
        given = (f"bandwidth={self.bandwidth:g}" if self.bandwidth != 1 else "") + self._samples()
        return f"{self.name}({given.lstrip(',')})" if given else self.name

    def kernel(self, a, b, scale):
        return torch.exp(-_sq_dist(a, b) / (2 * scale))


def _spread(vectors: torch.Tensor, count: int) -> torch.Tensor:
    """At most ``count`` of the vectors, evenly spaced: the sample is in random order, and a blend's is its styles'
    samples one after another, so each keeps its share."""
    if vectors.shape[0] <= count:
        return vectors
    return vectors[torch.linspace(0, vectors.shape[0] - 1, count).round().long()]


def _self_mean(kernel: torch.Tensor, positions: int) -> torch.Tensor:
    """E k(x, x') over all pairs of the image's ``positions`` positions, from a sample's (.., n, n) kernel.

    (1/M) mean k(x, x) + (1 - 1/M) mean_{i != j} k(x_i, x_j): unbiased for the whole image's V-statistic
    when the n positions are a sample of the M, and exactly it when n = M (no sampling floor in the loss).
    """
    n = kernel.shape[-1]
    diagonal = kernel.diagonal(dim1=-2, dim2=-1).mean(-1)
    if n == 1:
        return diagonal
    off = (kernel.sum((-1, -2)) - n * diagonal) / (n * (n - 1))
    return diagonal / positions + (1 - 1 / positions) * off


def _weighted_self_mean(kernel: torch.Tensor, weights: torch.Tensor, positions: int) -> torch.Tensor:
    """sum_ij w_i w_j k(x_i, x_j) over all ``positions`` weighed positions (weights summing to 1 over them), from a
    uniform sample's (.., n, n) kernel and its weights (n,): the diagonal scaled by M / n and the rest by
    M (M - 1) / (n (n - 1)), unbiased, and exact when n = M."""
    n = kernel.shape[-1]
    diagonal = kernel.diagonal(dim1=-2, dim2=-1) @ weights.pow(2)
    whole = (kernel @ weights) @ weights
    if n == positions:
        return whole
    return diagonal * (positions / n) + (whole - diagonal) * (positions * (positions - 1) / (n * (n - 1)))


def _selected(vectors: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The vectors weighed at least half as much as the most weighed one (a style region's sample set)."""
    return vectors[weights >= weights.max() / 2]


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise squared distances ||a_i - b_j||^2, (.., n, C) x (.., m, C) -> (.., n, m)."""
    d2 = a.pow(2).sum(-1, keepdim=True) + b.pow(2).sum(-1).unsqueeze(-2) - 2 * a @ b.transpose(-1, -2)
    return d2.clamp_min(0)


# ----------------------------------------------------------------------------------------- combining


class Combination:
    """A weighted sum of statistics: distance = sum_i w_i d_i with the weights normalized to sum 1.

    Targets are tuples, one entry per part. Front ends turn each part into its own named loss term.
    """

    def __init__(self, parts: Sequence[tuple[Statistic, float]]):
        total = sum(w for _, w in parts)
        self.parts = [(s, w / total) for s, w in parts]
        self.name = ",".join(f"{s.name}:{w:g}" for s, w in self.parts)

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> tuple:
        return tuple(s.target(feats, weights) for s, _ in self.parts)

    def blend(self, targets: Sequence[tuple], weights: Sequence[float]) -> tuple:
        return tuple(s.blend([t[i] for t in targets], weights) for i, (s, _) in enumerate(self.parts))

    def distance(self, feats: torch.Tensor, target: tuple, weights: torch.Tensor | None = None) -> torch.Tensor:
        return sum(w * s.distance(feats, t, weights) for (s, w), t in zip(self.parts, target))

    def __repr__(self) -> str:
        return ",".join(f"{s!r}:{w:g}" for s, w in self.parts)


STATISTICS: dict[str, Callable[..., Statistic]] = {
    "gram": GramStatistic,
    "mmd-linear": MMDLinearStatistic,
    "mmd-poly": MMDPolyStatistic,
    "mmd-gauss": MMDGaussStatistic,
    "meanstd": MeanStdStatistic,
    "w2": W2Statistic,
    "histogram": HistogramStatistic,
    "mrf": MRFStatistic,
}
PARAMETERS = {"mmd-poly": {"c": float, "d": int, "samples": int}, "mmd-gauss": {"samples": int, "bandwidth": float},
              "mrf": {"patch": int, "patches": int}}
EXAMPLES = {"mmd-poly": "mmd-poly(c=1,d=3)", "mmd-gauss": "mmd-gauss(samples=2048)", "mrf": "mrf(patch=5)"}  # for messages
SEEDED = ("mmd-poly", "mmd-gauss", "mrf")

_PART = re.compile(r"\s*([A-Za-z0-9_\-]+)\s*(?:\(([^()]*)\))?\s*(?::\s*(.*?))?\s*")


def _split(spec: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in spec:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise OptionError(f"statistic '{spec}' has an unmatched ')'")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if depth:
        raise OptionError(f"statistic '{spec}' has an unmatched '('")
    return [*parts, current]


def _parameters(name: str, text: str | None) -> dict:
    allowed = PARAMETERS.get(name, {})
    params = {}
    for item in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        key, eq, value = (s.strip() for s in item.partition("="))
        if not eq or key not in allowed:
            takes = f"it takes {', '.join(allowed)}, e.g. {EXAMPLES[name]}" if allowed else f"it takes none: write {name}"
            raise OptionError(f"statistic {name} has no parameter '{item}'; {takes}")
        if key in params:  # 'mmd-poly(c=1,c=2)' ran with c=2, where a statistic given twice is refused
            raise OptionError(f"statistic {name} is given {key} twice in '{name}({text})'; give each parameter once")
        kind = "whole number" if allowed[key] is int else "number"
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (allowed[key] is int and number != int(number)):
            raise OptionError(f"{name} parameter {key}={value} is not a {kind}")  # 2.5 was cut to 2, nan passed
        params[key] = int(number) if allowed[key] is int else number
    return params


# What a statistic is called elsewhere: 'gaussian' got no suggestion, and 'mmd-rbf' was offered mrf (trial AA)
KNOWN_AS = {**dict.fromkeys(("gaussian", "gauss", "rbf", "mmd-rbf", "mmd-gaussian", "gaussian-mmd"), "mmd-gauss"),
            **dict.fromkeys(("polynomial", "poly", "mmd-polynomial"), "mmd-poly"), "quadratic": "gram",
            **dict.fromkeys(("linear", "mmd"), "mmd-linear"), **dict.fromkeys(("mean-std", "adain"), "meanstd"),
            **dict.fromkeys(("wasserstein", "wasserstein2", "bures"), "w2"),
            **dict.fromkeys(("patch", "patches", "cnnmrf"), "mrf")}


def _check_name(name: str) -> None:
    check_choice("--statistic", name, STATISTICS, KNOWN_AS)


def make_statistic(name: str, seed: int = 0, **params) -> Statistic:
    """One statistic by registry name; unknown names are an OptionError with a suggestion."""
    _check_name(name)
    if name in SEEDED:
        params["seed"] = seed
    return STATISTICS[name](**params)


def parse_statistic(spec: str | Statistic, seed: int = 0) -> Statistic:
    """'gram', 'mmd-poly(c=1,d=3)', 'gram:1,histogram:0.5' -> a Statistic (a Combination for several).

    Weights default to 1 and are normalized to sum 1; ``seed`` seeds the sampled MMDs' positions.
    """
    if not isinstance(spec, str):
        if not all(callable(getattr(spec, m, None)) for m in ("target", "blend", "distance")):
            raise OptionError(f"statistic must be a name such as 'gram' or 'gram:1,histogram:0.5', or an object with "
                              f"target, blend and distance methods, not {spec!r}")
        return spec
    parts: list[tuple[Statistic, float]] = []
    for text in filter(str.strip, _split(spec)):
        match = _PART.fullmatch(text)
        if not match:
            raise OptionError(f"statistic '{text.strip()}' is not NAME, NAME:WEIGHT or NAME(PARAM=VALUE):WEIGHT")
        name, params, weight = match[1].lower(), match[2], match[3]
        _check_name(name)
        statistic = make_statistic(name, seed, **_parameters(name, params))
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            hint = f"; parameters go in parentheses, e.g. {name}({weight})" if "=" in weight else ""
            raise OptionError(f"statistic weight '{weight}' in '{text.strip()}' is not a number{hint}") from None
        if not math.isfinite(value) or value < 0:
            raise OptionError(f"statistic weight for '{name}' must be a non-negative number, got {weight}"
                              + (", which is too large to be a number" if math.isinf(value) and "inf" not in
                                 weight.lower() else ""))  # '1e400' read as if it were negative
        if any(s.name == name for s, _ in parts):
            raise OptionError(f"statistic '{name}' is given twice in '{spec}'; give each once")
        parts.append((statistic, value))
    if not parts:
        raise OptionError(f"no statistic given; choose from {', '.join(STATISTICS)}")
    parts = [(s, w) for s, w in parts if w > 0]
    if not parts:
        raise OptionError("the statistic weights are all zero; give at least one a positive weight")
    return parts[0][0] if len(parts) == 1 else Combination(parts)


def activation_factor(statistic: Statistic) -> float:
    """Floats an optimization holds per map value with this statistic (memory.estimate's ``factor``): the largest of
    its parts' measured ``memory_factor``, memory.ACTIVATION_FACTOR for a part not measured."""
    from .memory import ACTIVATION_FACTOR

    return max(getattr(part, "memory_factor", ACTIVATION_FACTOR) for part, _ in components(statistic))


def components(statistic: Statistic) -> list[tuple[Statistic, float]]:
    """(statistic, weight) of each part: a Combination's normalized parts, else the statistic with 1."""
    return list(statistic.parts) if isinstance(statistic, Combination) else [(statistic, 1.0)]


def input_need(statistic: Statistic, backbone: Any, layers: Sequence[str], style_layers: Sequence[str],
               needer: str) -> tuple[int, str]:
    """(smallest image side, what needs it): the network's own for ``layers`` (``needer``), or where the statistic's
    k x k patches need more, k times the deepest style layer's stride (mrf: a 24 px content passed the layers' 16,
    then had a 2x3 map at relu4_1 with no 3x3 patch)."""
    need = backbone.min_input_size(list(layers))
    patch = max((getattr(part, "patch", 1) for part, _ in components(statistic)), default=1)
    if patch <= 1 or not style_layers:
        return need, needer
    deepest = max(style_layers, key=lambda name: backbone.info(name).stride)
    patched = patch * backbone.info(deepest).stride
    return (patched, f"mrf's {patch}x{patch} patches at {deepest} need") if patched > need else (need, needer)


def held_bytes(statistic: Statistic, backbone: Any, layers: Sequence[str], size: tuple[int, int],
               style_sizes: Sequence[tuple[int, int]]) -> int:
    """Bytes the style terms hold beyond the network's pass, for an output of ``size`` and styles of ``style_sizes``
    (H, W): what a part with ``held_bytes(channels, image positions, style positions)`` reports (mrf), else 0."""
    total = 0
    for part, _ in components(statistic):
        if (held := getattr(part, "held_bytes", None)) is not None:
            for info in map(backbone.info, layers):
                total += sum(held(info.channels, positions(info.stride, size), positions(info.stride, style))
                             for style in style_sizes)
    return total


def fewer_samples(statistic: Statistic) -> str:
    """', or fewer samples: mmd-gauss(samples=1024)' for a kernel MMD given more than the default samples (its
    memory grows with their square), else ''."""
    many = [part for part, _ in components(statistic) if isinstance(part, _KernelMMD) and part.samples > SAMPLES]
    if not many:
        return ""
    return f", or fewer samples: {many[0].name}(samples={SAMPLES}) (their memory grows with their square)"


def target_of(statistic: Statistic, feats: torch.Tensor, weights: torch.Tensor | None = None) -> Any:
    """``statistic.target`` of the features, of the positions ``weights`` weighs if given (a statistic from Python
    need not take weights where no mask is used)."""
    return statistic.target(feats) if weights is None else statistic.target(feats, weights)


def term_name(prefix: str, statistic: Statistic, part: Statistic, layer: str) -> str:
    """'style.relu3_1' for plain gram (the historical names), else 'style.<statistic>.relu3_1'."""
    if isinstance(statistic, GramStatistic):
        return f"{prefix}.{layer}"
    return f"{prefix}.{part.name}.{layer}"


def at_evaluation(target: Any, index: int) -> Any:
    """Make a sampled target draw the positions of evaluation ``index`` next (resuming mid-scale)."""
    if isinstance(target, SampleSet):
        target.sampler.calls = index
    elif isinstance(target, tuple):
        for t in target:
            at_evaluation(t, index)
    return target
