"""Channel clusters of a set-averaged matrix, and the channel order that shows them as diagonal blocks.

Channels are compared through the normalized matrix S_ij = M_ij / sqrt(M_ii M_jj) (for Gram matrices the
cosine of two channels' responses, for Pearson matrices the correlation itself). As in the blog post, each
channel is described by its row of S (its similarity to every channel), and channels whose rows are close
(Euclidean distance) belong together: two channels that fire with the same partners. Clustering S_ij
directly instead lets a few odd channels split off as singletons and leaves one huge cluster. Channels
with no energy anywhere in the set (M_ii ~ 0, e.g. dead after a ReLU) are left out, labelled -1, put last.

- ``hierarchical`` (default): Ward linkage of the rows with optimal leaf ordering (scipy.cluster.hierarchy);
  Ward minimizes the same within-cluster sum of squares as k-means, but is deterministic and gives a leaf
  order in which every cluster is a contiguous run and similar clusters sit next to each other.
- ``kmeans``: the post's choice; Lloyd's k-means with k-means++ starts from a seeded generator, best of
  several runs. Clusters are shown largest first, channels within a cluster by index.
- K = 'auto' takes the K in min_k..max_k with the highest mean silhouette (same row distances); ties: fewer.
  min_k is 2, or the number of classes where the images have them (the report). The silhouette mostly peaks at
  2 on the deep layers, and two clusters cannot give each of three classes a block of its own: on brick, grass
  and gravel (grey 128 px crops, and colour 256 px ones) one class had no cluster whose block is brightest in
  its images at relu4_2 and relu5_1 with two, and each class had one with three (58-92 % of the block's mean
  over the three class means). More clusters are no guarantee: at relu3_1 grass had none up to six.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import OptionError, check_choice
from .equal import by_value

METHODS = ("hierarchical", "kmeans")
MAX_K = 12


@dataclass
class Clustering:
    """Cluster labels per channel (-1: inactive) and the display order of channels."""

    __eq__ = by_value  # arrays and tensors compared by value

    labels: np.ndarray
    order: np.ndarray
    method: str
    silhouettes: dict[int, float] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.labels.max()) + 1 if (self.labels >= 0).any() else 0

    def __repr__(self) -> str:
        """'Clustering(512 channels in 7 hierarchical clusters of 80, 75, ...; 11 inactive)', not the arrays."""
        sizes, plural = ", ".join(str(len(c)) for c in self.clusters()), "s" * (self.k != 1)
        return (f"Clustering({len(self.labels)} channels in {self.k} {self.method} cluster{plural} of {sizes}; "
                f"{len(self.inactive())} inactive)")

    def clusters(self) -> list[list[int]]:
        """Channel indices of each cluster, in display order."""
        return [[int(c) for c in self.order if self.labels[c] == k] for k in range(self.k)]

    def inactive(self) -> list[int]:
        return [int(c) for c in self.order if self.labels[c] < 0]

    def bounds(self) -> list[tuple[int, int]]:
        """(start, stop) positions of each cluster along the display order."""
        ordered, out, start = self.labels[self.order], [], 0
        for k in range(self.k):
            size = int((ordered == k).sum())
            out.append((start, start + size))
            start += size
        return out

    def save(self, path: str | os.PathLike[str], layer: str, settings: Mapping | None = None, **extra) -> Path:
        """Write the cluster file `stylegram grams` writes (features --clusters and dream --cluster read it): these
        clusters of ``layer``'s channels (read back by cluster_file.ClusterFile), the ``settings`` they were found
        with (settings_of: the network, grey, pooling; dream and features check theirs against them) and ``extra``
        entries."""
        from ..files import write_bytes

        record = {"layer": layer, **extra, **self.to_json(), "settings": dict(settings or {})}
        target = Path(path)
        write_bytes(target, (json.dumps(record, indent=1) + "\n").encode())
        return target

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "k": self.k,
            "clusters": [{"id": i, "channels": ch} for i, ch in enumerate(self.clusters())],
            "inactive_channels": self.inactive(),
            "order": [int(c) for c in self.order],
            "silhouette_by_k": {str(k): round(v, 6) for k, v in self.silhouettes.items()},
        }


def channel_similarity(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S over the active channels, indices of the active channels) of a C x C set-averaged matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    m = (m + m.T) / 2
    d = np.clip(np.diag(m), 0, None)
    active = np.flatnonzero(d > 1e-6 * max(d.max(), 1e-30))
    scale = np.sqrt(d[active])
    s = m[np.ix_(active, active)] / scale[:, None] / scale[None, :]
    s = np.clip(s, -1.0, 1.0)
    np.fill_diagonal(s, 1.0)
    return s, active


def silhouette(distance: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (b - a) / max(a, b) from a precomputed distance matrix; singletons count 0."""
    k = int(labels.max()) + 1
    if k < 2:
        return -1.0
    onehot = (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)
    sizes = onehot.sum(0)
    sums = distance @ onehot
    own = onehot.astype(bool)
    own_size = sizes[labels] - 1
    a = np.where(own_size > 0, sums[own] / np.maximum(own_size, 1), 0.0)
    other = np.where(own, np.inf, sums / np.maximum(sizes, 1)[None, :])
    b = other.min(1)
    s = np.where(own_size > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def _relabel(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Cluster ids renumbered 0, 1, ... by first appearance along ``order``."""
    mapping: dict[int, int] = {}
    for c in order:
        mapping.setdefault(int(labels[c]), len(mapping))
    return np.array([mapping[int(v)] for v in labels], dtype=np.int64)


def _hierarchical(rows: np.ndarray, ks: list[int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    from scipy.cluster.hierarchy import fcluster, leaves_list, linkage

    tree = linkage(rows, method="ward", optimal_ordering=True)
    order = leaves_list(tree)
    return order, {k: _relabel(fcluster(tree, k, "maxclust") - 1, order) for k in ks}


def kmeans(points: np.ndarray, k: int, seed: int = 0, runs: int = 8, iterations: int = 100) -> np.ndarray:
    """Labels of Lloyd's k-means with k-means++ starts from a seeded generator; best of ``runs``."""
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(runs):
        centers = _plus_plus(points, k, rng)
        for _ in range(iterations):
            d = _sq_distances(points, centers)
            labels = d.argmin(1)
            new = np.array([points[labels == j].mean(0) if (labels == j).any() else points[d.min(1).argmax()]
                            for j in range(k)])
            if np.allclose(new, centers):
                break
            centers = new
        inertia = float(((points - centers[labels]) ** 2).sum())
        if inertia < best_inertia - 1e-12:
            best, best_inertia = labels, inertia
    return best


def _sq_distances(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """N x K squared distances, |x|^2 - 2 x.c + |c|^2 (a matrix product, not an N x K x D array)."""
    d = (points**2).sum(1)[:, None] - 2 * points @ centers.T + (centers**2).sum(1)[None, :]
    return np.clip(d, 0, None)


def _plus_plus(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centers = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        d = _sq_distances(points, np.array(centers)).min(1)
        total = d.sum()
        pick = rng.choice(len(points), p=d / total) if total > 0 else rng.integers(len(points))
        centers.append(points[pick])
    return np.array(centers)


def _kmeans_order(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clusters largest first (ties: lowest channel), channels by index; returns (order, relabelled)."""
    ids = sorted(set(labels.tolist()), key=lambda j: (-(labels == j).sum(), np.flatnonzero(labels == j)[0]))
    order = np.concatenate([np.flatnonzero(labels == j) for j in ids])
    return order, _relabel(labels, order)


def check_count(k: int | str, n: int, channels: str) -> None:
    """Refuse ``k`` clusters of ``n`` channels (described as ``channels``) when there are fewer channels than that."""
    if k != "auto" and k > n:
        raise OptionError(f"cannot make {k} clusters of {channels}; choose --clusters {n} or fewer")


def cluster_channels(
    matrix: np.ndarray, k: int | str = "auto", method: str = "hierarchical", seed: int = 0, max_k: int = MAX_K,
    min_k: int = 2,
) -> Clustering:
    """Cluster the channels of a C x C set-averaged matrix; 'auto' chooses K from min_k to max_k (see the module
    docstring)."""
    check_choice("clustering method", method, METHODS)
    if k != "auto" and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise OptionError(f"number of clusters must be 'auto' or a whole number >= 1, not {k!r}")
    shape = np.shape(matrix)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise OptionError(f"cluster_channels takes one C x C matrix (a set's mean, matrices.symmetric(...).mean(0)), "
                          f"not an array of shape {tuple(shape)}")
    c = shape[0]
    s, active = channel_similarity(matrix)
    n = len(active)
    if n == 0:  # a cluster file of no clusters was written without a word, and its figure blank
        raise OptionError(f"none of the {c} channels has a non-zero diagonal, so there is nothing to cluster: none fires "
                          "on these images, or (Pearson) none varies over them, as on pictures of one colour; give "
                          "images with some texture, or another layer")
    check_count(k, n, f"{n} active channels")
    from scipy.spatial.distance import pdist, squareform

    distance = squareform(pdist(s))
    most = min(max_k, n - 1)
    ks = list(range(min(max(2, min_k), most), most + 1)) if k == "auto" else [k]
    if not ks:  # too few channels to choose: one cluster
        ks = [1]
    if method == "hierarchical":
        order, by_k = _hierarchical(s, ks)
    else:
        by_k = {j: kmeans(s, j, seed) for j in ks}
    sil = {j: silhouette(distance, lab) for j, lab in by_k.items()} if len(ks) > 1 else {}
    chosen = max(ks, key=lambda j: (sil.get(j, 0.0), -j)) if sil else ks[0]
    labels = by_k[chosen]
    if method == "kmeans":
        order, labels = _kmeans_order(labels)
    full = np.full(c, -1, dtype=np.int64)
    full[active] = labels
    inactive = np.setdiff1d(np.arange(c), active)
    return Clustering(full, np.concatenate([active[order], inactive]), method, sil)
