"""The MRF style loss of Li and Wand 2016: each patch of the image is pulled to its nearest patch of the style.

"Combining Markov random fields and convolutional neural networks for image synthesis" (CNNMRF) replaces the
Gram matrix, a statistic of the whole map, by a match of local neural patches: every k x k patch of the image's
feature map (a vector of C k^2 values) is paired with the style patch of the highest normalized cross-correlation,
and the loss is the squared distance between the two,

    distance = SCALE * mean_i ||x_i - t_NN(i)||^2 / E ||t||^2,

relative to the style patches' mean squared norm like every other term (stylegram.statistics). A gain (1 + e) of
the features keeps every match and costs e^2, but unlike a statistic the distance never gets near 0 (a picture with
the photo's layout is not made of the style's patches), so it keeps pulling: with SCALE = 4, the factor that gives
a gain a Gram term's cost, the default --style-weight left nothing of the photo, and SCALE is 0.4. The match is
recomputed at every evaluation and no gradient flows through it; as in Li and Wand's code, it is a convolution of
the image's map with the style's unit-length patches as filters. A transfer uses Li and Wand's layers, relu3_1 and
relu4_1, unless others are given (stylegram.gatys.MRF_LAYERS).

Where Gram matrices forget where things are, patches keep local arrangements (a stroke with its edge, an eye with
its lid), so the style's motifs are copied whole; the price is that only motifs the style has can appear, and the
match costs a product of (image patches x style patches x C k^2). So that it stays affordable, the style keeps at most
``patches`` patches per layer, in a random order seeded by ``seed``, and an evaluation matches against as many of
them as keep (image patches x style patches) within ``PAIRS``: on the shallow layers, whose maps have many positions
and whose patches hold little more than colour and edges, a few hundred of the style's patches.

It fits the statistic protocol (target, blend, distance): several styles are blended by taking a share of the
patches from each in proportion to its weight, and masks weigh each image patch by the mask at its centre and
keep the style patches whose centre the region covers at least half as much as its most covered position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import OptionError

EPS = 1e-8
PATCHES = 4096  # style patches kept per layer
PAIRS = 1 << 22  # image patches x style patches matched per evaluation, at most: a product of this x C k^2
LEAST = 64  # style patches matched however many image patches there are


@dataclass
class Patches:
    """A style's k x k patches at one layer, in a random order: their values by offset (k, k, P, C), unit-length
    copies as filters (P, C, k, k) for the match, each one's squared norm and their mean."""

    by_offset: torch.Tensor
    filters: torch.Tensor
    norms: torch.Tensor  # ||t_j||^2
    second: torch.Tensor  # E ||t||^2 over the patches

    @classmethod
    def of(cls, patches: torch.Tensor) -> Patches:
        """Patches from their values (P, C, k, k)."""
        norms = patches.float().pow(2).sum((1, 2, 3))
        filters = patches / norms.sqrt().clamp_min(EPS).to(patches.dtype).view(-1, 1, 1, 1)
        return cls(patches.permute(2, 3, 0, 1).contiguous(), filters, norms, norms.mean())

    @property
    def count(self) -> int:
        """How many patches there are."""
        return self.filters.shape[0]

    def values(self) -> torch.Tensor:
        """The patches' values (P, C, k, k)."""
        return self.by_offset.permute(2, 3, 0, 1)


def patches_of(feats: torch.Tensor, size: int) -> torch.Tensor:
    """Every size x size patch of (N, C, H, W) features: (N (H - size + 1) (W - size + 1), C, size, size)."""
    return F.unfold(feats, size).transpose(1, 2).reshape(-1, feats.shape[1], size, size)


def patches_at(feats: torch.Tensor, size: int, index: torch.Tensor) -> torch.Tensor:
    """The patches of ``patches_of`` at ``index`` alone, cut out without unfolding the whole map: (P, C, size, size)."""
    n, _, height, width = feats.shape
    rows, cols = height - size + 1, width - size + 1
    image, rest = index // (rows * cols), index % (rows * cols)
    offsets = torch.arange(size)
    ys = (rest // cols).unsqueeze(1) + offsets  # (P, size)
    xs = (rest % cols).unsqueeze(1) + offsets
    picked = feats[image.view(-1, 1, 1), :, ys.unsqueeze(2), xs.unsqueeze(1)]  # indexed dims first: (P, size, size, C)
    return picked.permute(0, 3, 1, 2)


def centre_weights(weights: torch.Tensor, size: int) -> torch.Tensor:
    """A mask (1, 1, H, W) at each patch's centre, in the order of ``patches_of``: (H - size + 1, W - size + 1)."""
    r = size // 2
    return weights[0, 0, r : weights.shape[-2] - size + 1 + r, r : weights.shape[-1] - size + 1 + r]


def check_patch(patch: int, name: str) -> None:
    """Refuse a patch side that is not an odd whole number of positions (``name`` is how the user gave it)."""
    if patch < 1 or patch % 2 == 0:
        raise OptionError(f"{name} must be an odd number of positions (1, 3, 5, ...), got {patch}")


def shuffled(count: int, keep: int, seed: int) -> torch.Tensor:
    """``keep`` of the indices range(count) in a random order seeded by ``seed`` (all of them when keep >= count)."""
    return torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:keep]


class _MatchedDistance(torch.autograd.Function):
    """sum_p cover_p ||F_p||^2 - 2 <F, placed> + matched, with placed (N, H, W, C) and cover (N, H, W, 1) channels
    last. The gradient, 2 (cover F - placed), is formed only in the backward pass: autograd's own graph would hold F,
    F^2 and the products in float32 for every style layer."""

    @staticmethod
    def forward(ctx, feats: torch.Tensor, placed: torch.Tensor, cover: torch.Tensor, matched: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(feats, placed, cover)
        f = feats.permute(0, 2, 3, 1).to(placed.dtype).reshape(-1)  # a view where feats are channels last
        return torch.dot(f, (f.view_as(placed) * cover).reshape(-1)) - 2 * torch.dot(f, placed.reshape(-1)) + matched

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        feats, placed, cover = ctx.saved_tensors
        g = feats.permute(0, 2, 3, 1).to(placed.dtype, copy=True).mul_(cover).sub_(placed).mul_(2 * grad)
        return g.permute(0, 3, 1, 2).to(feats.dtype), None, None, None


class MRFStatistic:
    """Nearest-patch matching (Li and Wand 2016): the style's k x k neural patches, not a statistic of them."""

    name = "mrf"
    SCALE = 0.4
    low_precision = True  # the match runs in the network's bfloat16; the distance is summed in float32

    def __init__(self, patch: int = 3, patches: int = PATCHES, seed: int = 0):
        check_patch(patch, "mrf: patch")
        if patches < 1:
            raise OptionError(f"mrf: patches must be at least 1, got {patches}")
        self.patch, self.patches, self.seed = int(patch), int(patches), seed

    def held_bytes(self, channels: int, image_positions: int, style_positions: int) -> int:
        """Bytes one layer's term holds at most (float32): the style's patches and their unit copies, and the placed
        matches and cover map kept for the backward pass (stylegram.memory's estimate)."""
        patches = min(self.patches, style_positions) * channels * self.patch**2
        return 4 * (2 * patches + 2 * channels * image_positions)

    def _check(self, feats: torch.Tensor) -> None:
        if min(feats.shape[-2:]) < self.patch:
            raise OptionError(f"mrf: a {feats.shape[-1]}x{feats.shape[-2]} feature map has no {self.patch}x{self.patch} "
                              f"patch; use a larger image, a shallower layer or mrf(patch=1)")

    def target(self, feats: torch.Tensor, weights: torch.Tensor | None = None) -> Patches:
        """At most ``patches`` of the style's patches, shuffled; with ``weights``, of the positions the mask covers at
        least half as much as its most covered one."""
        self._check(feats)
        n, _, height, width = feats.shape
        candidates = torch.arange(n * (height - self.patch + 1) * (width - self.patch + 1))
        if weights is not None:
            w = centre_weights(weights, self.patch).reshape(-1).repeat(n)
            candidates = candidates[w >= w.max() / 2] if w.max() > 0 else candidates
        chosen = candidates[shuffled(candidates.numel(), self.patches, self.seed)]
        return Patches.of(patches_at(feats, self.patch, chosen))

    def blend(self, targets: Sequence[Patches], weights: Sequence[float]) -> Patches:
        """A share of each style's patches in proportion to its blend weight (one style: its target as it is)."""
        if len(targets) == 1:
            return targets[0]
        total = min(self.patches, sum(t.count for t in targets))
        parts = torch.cat([t.values()[: max(1, round(w * total))] for t, w in zip(targets, weights) if w > 0])
        return Patches.of(parts[shuffled(parts.shape[0], parts.shape[0], self.seed)])

    def distance(self, feats: torch.Tensor, target: Patches, weights: torch.Tensor | None = None) -> torch.Tensor:
        """SCALE * the mean (weighted by the mask at each patch's centre) squared distance of each image patch to
        its best-matching style patch (among as many as ``PAIRS`` allows), relative to the style patches' mean
        squared norm.

        Written on the map rather than on its patches: sum_i w_i ||P_i F - T_i||^2 = sum_p cover_p ||F_p||^2
        - 2 <F, placed> + sum_i w_i ||T_i||^2, where P_i cuts patch i out of F, T_i is its match, placed puts each
        w_i T_i back where its patch lies (summing where they overlap) and cover_p sums the weights of the patches
        over position p. The matches are constants, so the gradient is the same, and the products with F are on the
        map, k^2 times smaller than its patches.
        """
        self._check(feats)
        if feats.shape[1] != target.filters.shape[1]:
            raise OptionError(f"mrf: the image's map has {feats.shape[1]} channels and the style's {target.filters.shape[1]}")
        with torch.no_grad():
            placed, cover, matched, total_weight = self._matches(feats.detach(), target, weights)
        sum_ = _MatchedDistance.apply(feats, placed, cover, matched)
        return self.SCALE * sum_ / (total_weight * target.second.clamp_min(EPS))

    def _matches(self, feats: torch.Tensor, target: Patches, weights: torch.Tensor | None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """placed (N, H, W, C), cover (N, H, W, 1) and sum_i w_i ||T_i||^2 for the patches' weights w (1 without a
        mask), and the sum of the weights."""
        k, (n, c, height, width) = self.patch, feats.shape
        rows, cols = height - k + 1, width - k + 1
        count = min(target.count, max(LEAST, PAIRS // (n * rows * cols)))
        filters = target.filters[:count]
        best = F.conv2d(feats.to(filters.dtype), filters).argmax(1).reshape(-1)  # the highest correlation per patch
        dtype = torch.promote_types(feats.dtype, torch.float32)  # sums in float32 at least
        w = None if weights is None else centre_weights(weights, k).to(dtype).expand(n, -1, -1).reshape(-1, 1)
        placed = torch.zeros(n, height, width, c, dtype=dtype)
        cover = torch.zeros(n, height, width, 1, dtype=dtype)
        for dy in range(k):
            for dx in range(k):
                part = target.by_offset[dy, dx, :count][best]
                placed[:, dy : dy + rows, dx : dx + cols] += (part if w is None else part * w).view(n, rows, cols, c)
                cover[:, dy : dy + rows, dx : dx + cols] += 1 if w is None else w.view(n, rows, cols, 1)
        norms = target.norms[:count][best].to(dtype)
        if w is None:
            return placed, cover, norms.sum(), torch.tensor(float(norms.numel()), dtype=dtype)
        return placed, cover, (norms * w[:, 0]).sum(), w.sum().clamp_min(EPS)

    def __repr__(self) -> str:
        return "mrf"


# ------------------------------------------------------------------------------ where the patches come from


def check_patch_fits(name: str, shape: tuple[int, int], patch: int) -> None:
    """Refuse a map of ``shape`` (H, W) at the layer paired, ``name``'s, smaller than a ``patch`` x ``patch`` patch."""
    if min(shape) < patch:
        raise OptionError(f"{name} has a {shape[1]}x{shape[0]} map at this layer, with no {patch}x{patch} patch; use "
                          "a larger image, a shallower layer or a smaller patch")


def match_positions(feats: torch.Tensor, style: torch.Tensor, patch: int = 3,
                    names: tuple[str, str] = ("the picture", "the style")) -> torch.Tensor:
    """For every patch of one image's map (1, C, H, W), the (row, column) in the style's map (1, C, H', W') of the
    patch the mrf loss pairs it with, searched among all the style's patches: (H - patch + 1, W - patch + 1, 2).
    ``names`` name the two images in the error for a map smaller than a patch."""
    for name, map_ in zip(names, (feats, style)):
        check_patch_fits(name, tuple(map_.shape[-2:]), patch)
    cols = style.shape[-1] - patch + 1
    filters = Patches.of(patches_of(style, patch)).filters
    image_patches = (feats.shape[-2] - patch + 1) * (feats.shape[-1] - patch + 1)
    step = max(1, PAIRS // image_patches)  # style patches compared at once
    best_value, best = None, None
    for start in range(0, filters.shape[0], step):
        value, index = F.conv2d(feats, filters[start : start + step]).max(1)
        if best is None:
            best_value, best = value, index + start
        else:
            better = value > best_value
            best_value, best = torch.where(better, value, best_value), torch.where(better, index + start, best)
    return torch.stack([best[0] // cols, best[0] % cols], -1)


def coherence(positions: torch.Tensor, inside: torch.Tensor | None = None) -> float:
    """The share of neighbouring patches (left-right and up-down) whose matches are neighbours the same way in the
    style: 1 when the picture is one piece of the style copied whole, near 0 when every patch comes from elsewhere.
    ``inside`` (rows, cols): only the pairs of neighbours both inside it count (None: all)."""
    return _neighbours_share(positions, (0, 1), (1, 0), inside)


def repetition(positions: torch.Tensor, inside: torch.Tensor | None = None) -> float:
    """The share of neighbouring patches paired with the very same style patch: one patch repeated over an area
    (``inside`` as in coherence)."""
    return _neighbours_share(positions, (0, 0), (0, 0), inside)


def _neighbours_share(positions: torch.Tensor, right_step: tuple[int, int], down_step: tuple[int, int],
                      inside: torch.Tensor | None = None) -> float:
    """The share of left-right and up-down neighbours (both ``inside``, if given) whose matches differ by these steps
    (row, column)."""
    right = (positions[:, 1:] - positions[:, :-1] == torch.tensor(right_step)).all(-1)
    down = (positions[1:] - positions[:-1] == torch.tensor(down_step)).all(-1)
    if inside is None:
        return float((right.sum() + down.sum()) / max(1, right.numel() + down.numel()))
    right_in, down_in = inside[:, 1:] & inside[:, :-1], inside[1:] & inside[:-1]
    pairs = int(right_in.sum() + down_in.sum())
    return float(((right & right_in).sum() + (down & down_in).sum()) / max(1, pairs))


def position_colours(rows: int, cols: int) -> torch.Tensor:
    """A colour for every position of a rows x cols grid, (3, rows, cols) in [0, 1]: red grows to the right, green
    downwards, blue towards the top left, so every position's colour is its own."""
    y = torch.linspace(0, 1, rows).view(rows, 1).expand(rows, cols)
    x = torch.linspace(0, 1, cols).view(1, cols).expand(rows, cols)
    return torch.stack([x, y, 1 - (x + y) / 2])
