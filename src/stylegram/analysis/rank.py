"""How well one layer's per-image matrices tell image classes apart.

Similarity of two images at a layer = the Pearson correlation of their matrices' distinct entries (the
upper triangle; for Pearson matrices the diagonal, which is 1 for every live channel, is left out). It is
blind to an overall scale of a matrix, so a brighter or more contrasted image of the same texture is not
penalized. With z_i = the entries of image i centred and scaled to unit length, sim(i, j) = z_i . z_j,
and every score below needs only the N x N matrix of these dot products.

- Contrast (the blog post's score): (on - off) / (on + off), with on = the mean within-class similarity
  and off = the mean between-class similarity. Both are balanced: ``on`` averages each class's mean over
  its pairs, ``off`` averages each class pair's mean, so a large class does not outweigh a small one.
  The post's similarities are not negative; correlations can be, so a negative mean counts as 0 in the
  score (classes that anti-correlate are as far apart as it measures: 1), which keeps it in [-1, 1].
  Unclipped, off = -0.04 against on = 0.05 scored 9, and a noisy layer's bar dwarfed every other.
- Leave-one-out nearest centroid: each image is compared with every class centroid (the mean z of the
  class, the image itself left out of its own class) by correlation and assigned the closest class (none,
  a miss, where two classes are equally close: a dead layer's all-zero similarities do not pick class 0). Its
  accuracy, balanced accuracy (mean per-class recall) and confusion matrix (rows: true class, columns:
  predicted) are reported.

- Gap: on - off, the within-class minus the between-class similarity. It does not saturate where the contrast
  does (every layer whose classes anti-correlate scores contrast 1: nine layers of clouds against cracked
  concrete did), so it tells those layers apart.

The best layer has the highest leave-one-out accuracy; ties go to the higher contrast, then to the larger gap.

- Chance: the best of many layers on few images scores well above 1/K by luck (two folders of the same noise:
  87.5 % at the best of 37 layers on 16 images). The classes are shuffled SHUFFLES times (their sizes kept) and each
  shuffle's best accuracy over all layers taken: the ranking's chance level is the 95th percentile of those, and
  its p-value the share of shuffles whose best layer did as well as the real best (a permutation test of the
  maximum, so choosing among the layers is paid for).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import OptionError, count, first_few, warn
from .equal import by_value
from .matrices import channels_of, check_kind, triu

EPS = 1e-12
SHUFFLES = 200  # label shuffles of the chance level: p-values in steps of 1/201, the 95th percentile within ~2 %
CHANCE_P = 0.05  # a best layer whose p-value is above this is within what shuffled classes reach


def entries(triangles: torch.Tensor, kind: str) -> torch.Tensor:
    """The entries similarity is computed on: the whole upper triangle, or its off-diagonal part for Pearson."""
    if kind != "pearson":
        return triangles
    rows, cols = triu(channels_of(triangles))
    return triangles[:, rows != cols]


def standardize(vectors: torch.Tensor) -> torch.Tensor:
    """Rows centred to mean 0 and scaled to unit length (a constant row becomes 0), in float64."""
    z = vectors.double()
    z = z - z.mean(1, keepdim=True)
    norm = z.norm(dim=1, keepdim=True)
    return torch.where(norm > EPS, z / norm.clamp_min(EPS), torch.zeros_like(z))


def similarity(vectors: torch.Tensor) -> np.ndarray:
    """N x N Pearson correlations between the rows of an (N, D) tensor."""
    return similarity_and_blanks(vectors)[0]


def similarity_and_blanks(vectors: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """``similarity``, and which rows do not vary (standardize made them 0; a one-colour picture's Pearson matrix):
    like no row and unlike none."""
    z = standardize(vectors)
    return (z @ z.T).numpy(), (~z.any(1)).numpy()


def _onehot(labels: np.ndarray) -> np.ndarray:
    classes = int(labels.max()) + 1
    return (labels[:, None] == np.arange(classes)[None, :]).astype(np.float64)


def contrast(sim: np.ndarray, labels: Sequence[int]) -> tuple[float, float, float]:
    """(contrast, on, off): the post's (on - off) / (on + off) with balanced within/between means, a negative
    mean counted as 0 in the score (it stays in [-1, 1]); on and off are returned as they are."""
    labels = np.asarray(labels)
    classes = int(labels.max()) + 1
    within, between = [], []
    for c in range(classes):
        a = np.flatnonzero(labels == c)
        if len(a) >= 2:
            block = sim[np.ix_(a, a)]
            within.append((block.sum() - np.trace(block)) / (len(a) * (len(a) - 1)))
        for d in range(c + 1, classes):
            b = np.flatnonzero(labels == d)
            if len(a) and len(b):
                between.append(sim[np.ix_(a, b)].mean())
    if not within or not between:
        raise OptionError("the contrast needs two classes and a class with at least two images")
    on, off = float(np.mean(within)), float(np.mean(between))
    a, b = max(on, 0.0), max(off, 0.0)
    score = (a - b) / (a + b) if a + b > EPS else math.nan
    return score, on, off


def loo_scores(sim: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """N x K correlation of each image with each class centroid, the image left out of its own class.

    With unit, centred z: corr(z_i, mean of z_j over j in S) = sum_{j in S} K_ij / sqrt(sum_{j,k in S} K_jk).
    """
    labels = np.asarray(labels)
    onehot = _onehot(labels)
    if (onehot.sum(0) < 2).any():
        raise OptionError("leave-one-out needs at least two images in every class")
    row = sim @ onehot  # sum of K_ij over each class
    block = (onehot * row).sum(0)  # sum over each class x class block
    own, diag = onehot.astype(bool), np.diag(sim)[:, None]
    num = row - own * diag
    den = block[None, :] - own * (2 * row - diag)
    return np.where(den > EPS, num / np.sqrt(np.clip(den, EPS, None)), 0.0)


def confusion(true: Sequence[int], predicted: Sequence[int], classes: int) -> np.ndarray:
    """classes x classes counts: row = true class, column = predicted class (an undecided -1 is left out)."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    decided = predicted >= 0
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true[decided], predicted[decided]), 1)
    return counts


def nearest(scores: np.ndarray) -> np.ndarray:
    """The class of each row's highest score; -1 where two or more classes share it (a miss, not the first of them).

    Taking the first of equals credited a layer whose features are all zero with every image of class 0.
    """
    top = scores.max(1, keepdims=True)
    return np.where((scores == top).sum(1) > 1, -1, scores.argmax(1))


@dataclass
class LayerScore:
    """How well one layer separates the classes."""

    __eq__ = by_value  # arrays and tensors compared by value

    layer: str
    contrast: float
    within: float
    between: float
    accuracy: float
    balanced_accuracy: float
    confusion: np.ndarray
    predicted: np.ndarray

    @property
    def gap(self) -> float:
        """on - off: how much more alike images of one class are than images of two (the contrast's tie-break)."""
        return self.within - self.between

    def key(self) -> tuple[float, float, float]:
        """Sort key of 'better': accuracy first, then contrast, then the gap (NaN counts as worst)."""
        worst = lambda v: -math.inf if math.isnan(v) else v  # noqa: E731
        return (self.accuracy, worst(self.contrast), worst(self.gap))

    def ties(self, others: Sequence[LayerScore]) -> list[LayerScore]:
        """The others with this one's accuracy and contrast: those the gap alone told apart from it."""
        return [s for s in others if s is not self and s.key()[:2] == self.key()[:2]]

    def to_json(self) -> dict:
        nan = lambda v: None if math.isnan(v) else round(float(v), 6)  # noqa: E731
        return {
            "layer": self.layer,
            "contrast": nan(self.contrast),
            "gap": nan(self.gap),
            "within_similarity": nan(self.within),
            "between_similarity": nan(self.between),
            "accuracy": round(self.accuracy, 6),
            "balanced_accuracy": round(self.balanced_accuracy, 6),
            "confusion": self.confusion.tolist(),
            "predicted": self.predicted.tolist(),
        }

    @classmethod
    def from_json(cls, record: dict) -> LayerScore:
        """A score as ``to_json`` wrote it (the gap follows from within and between)."""
        nan = lambda v: math.nan if v is None else float(v)  # noqa: E731
        return cls(record["layer"], nan(record["contrast"]), nan(record["within_similarity"]),
                   nan(record["between_similarity"]), float(record["accuracy"]), float(record["balanced_accuracy"]),
                   np.asarray(record["confusion"], dtype=np.int64), np.asarray(record["predicted"], dtype=np.int64))


def accuracy(sim: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out nearest-centroid accuracy alone (the chance level's shuffles)."""
    return float((nearest(loo_scores(sim, labels)) == labels).mean())


@dataclass
class Chance:
    """What the best layer reaches on shuffled classes: ``level`` the 95th percentile of its accuracy over the
    shuffles, ``p_value`` the share (with the real labels counted in) of shuffles doing as well as ``observed``."""

    shuffles: int
    level: float
    p_value: float

    @property
    def beaten(self) -> bool:
        """Whether the real classes are told apart beyond what shuffled ones reach (p <= CHANCE_P)."""
        return self.p_value <= CHANCE_P

    def to_json(self) -> dict:
        return {"shuffles": self.shuffles, "best_accuracy_95th_percentile": round(self.level, 6),
                "p_value": round(self.p_value, 6),
                "how": "classes shuffled (sizes kept), the best leave-one-out accuracy over all layers taken each "
                       "time; p = (1 + shuffles doing as well as the real best) / (1 + shuffles)"}

    @classmethod
    def from_json(cls, record: dict) -> Chance:
        """The chance level as ``to_json`` wrote it."""
        return cls(int(record["shuffles"]), float(record["best_accuracy_95th_percentile"]), float(record["p_value"]))


def chance(sims: Sequence[np.ndarray], labels: np.ndarray, observed: float, shuffles: int = SHUFFLES,
           seed: int = 0) -> Chance:
    """The best accuracy over layers (``sims``: one similarity matrix each) with the classes shuffled ``shuffles``
    times, against ``observed`` (the real best)."""
    rng = np.random.default_rng(seed)
    best = np.zeros(shuffles)
    for n in range(shuffles):
        shuffled = rng.permutation(labels)
        best[n] = max(accuracy(sim, shuffled) for sim in sims)
    p_value = (1 + int((best >= observed - EPS).sum())) / (1 + shuffles)
    # 'higher': an accuracy some shuffle reached (32 images score in steps of 3.125 %; interpolated, it read 75.2 %)
    return Chance(shuffles, float(np.quantile(best, 0.95, method="higher")), p_value)


def score(sim: np.ndarray, labels: Sequence[int], layer: str = "", blank: np.ndarray | None = None) -> LayerScore:
    """Contrast and leave-one-out nearest-centroid results from an N x N similarity matrix; ``blank``: the images
    whose entries do not vary (``similarity_and_blanks``), like nothing and unlike nothing: left out of the contrast (four
    one-colour pictures read as a perfect 1.000 at every layer), undecided for the classifier."""
    labels = np.asarray(labels)
    classes = int(labels.max()) + 1
    if blank is not None and blank.any():
        kept = ~blank
        try:
            value, on, off = contrast(sim[np.ix_(kept, kept)], labels[kept])
        except OptionError:  # too few images left to compare
            value = on = off = math.nan
    else:
        value, on, off = contrast(sim, labels)
    predicted = nearest(loo_scores(sim, labels))
    counts = confusion(labels, predicted, classes)
    recall = np.diag(counts) / np.bincount(labels, minlength=classes)
    accuracy = float(np.trace(counts) / len(labels))
    return LayerScore(layer, value, on, off, accuracy, float(recall.mean()), counts, predicted)


@dataclass
class Ranking:
    """Scores of every layer (in network order) and the best one."""

    __eq__ = by_value  # arrays and tensors compared by value

    scores: list[LayerScore]
    classes: list[str]
    names: list[str]
    labels: np.ndarray
    kind: str
    settings: dict = field(default_factory=dict)
    chance: Chance | None = None  # the best layer's accuracy on shuffled classes (rank_layers's shuffles)

    @property
    def best(self) -> LayerScore:
        return max(self.scores, key=LayerScore.key)  # max keeps the first (shallowest) of equals

    @property
    def majority(self) -> float:
        """The accuracy of always guessing the largest class: chance's, 1 / classes, where they are of one size."""
        return float(np.bincount(self.labels).max() / len(self.labels))

    @property
    def balanced(self) -> bool:
        """Whether every class has as many images."""
        sizes = np.bincount(self.labels)
        return bool((sizes[sizes > 0] == sizes.max()).all())

    @property
    def at_chance(self) -> bool:
        """Whether shuffled classes did as well as the best layer (then no layer tells these classes apart)."""
        return self.chance is not None and not self.chance.beaten

    def headline(self) -> str:
        """'relu3_1 (leave-one-out accuracy 75.0%; not beyond chance, p = 0.343)': the best layer in a line."""
        best = self.best
        luck = f"; not beyond chance, p = {self.chance.p_value:.3f}" if self.at_chance else ""
        return f"{best.layer} (leave-one-out accuracy {100 * best.accuracy:.1f}%{luck})"

    def verdict(self) -> str:
        """Why the best layer is best: 'leave-one-out accuracy 100.0%, contrast 1.000, gap 0.912', and where others
        share its accuracy and contrast, how many, and that the gap chose."""
        best = self.best
        said = f"leave-one-out accuracy {100 * best.accuracy:.1f}%, contrast {best.contrast:.3f}, gap {best.gap:.3f}"
        tied = best.ties(self.scores)
        if tied:
            one = len(tied) == 1
            said += (f"; {len(tied)} other layer{'' if one else 's'} share{'s' if one else ''} its accuracy and "
                     "contrast, and it has the largest gap (on - off) of them")
        if len(self.scores) > 1 and all(s.accuracy == 1.0 for s in self.scores):  # crops of one photo a class: even
            said += ("; every layer sorts every image right, so accuracy does not tell the layers apart here and the "
                     "contrast ranks them: classes harder to tell apart (or more of them) make the ranking say more")
        return said + self._against_chance()  # random weights scored 100 % everywhere, and 'best' read as a finding

    def _against_chance(self) -> str:
        """'; shuffled classes: 68.8 % at the best layer (95th percentile of 200), p = 0.005', and where the best is
        no better than that, that these classes are not told apart."""
        if self.chance is None:
            return ""
        c, layers = self.chance, f"the best of {len(self.scores)} layers" if len(self.scores) > 1 else "this layer"
        said = (f"; shuffled classes reach {100 * c.level:.1f}% at {layers} (95th percentile of {c.shuffles} "
                f"shuffles), p = {c.p_value:.3f}")
        if not c.beaten:
            said += (": the classes are not told apart beyond chance here, and this layer is best by luck; give more "
                     "images a class, or classes that differ more")
        return said

    def __repr__(self) -> str:
        """'Ranking(37 layers of 3 classes; best relu4_2: ...)', not every layer's arrays."""
        best = self.best
        return (f"Ranking({len(self.scores)} layers of {len(self.classes)} classes; best {best.layer}: leave-one-out "
                f"accuracy {100 * best.accuracy:.1f}%, contrast {best.contrast:.3f})")

    def _repr_png_(self) -> bytes:
        """The bar plot `stylegram rank-layers` draws, as a notebook shows a ranking."""
        from . import plots

        return plots.to_png(plots.rank_bars(self))

    def __getitem__(self, layer: str) -> LayerScore:
        for s in self.scores:
            if s.layer == layer:
                return s
        raise KeyError(layer)

    def to_json(self) -> dict:
        return {
            "best_layer": self.best.layer,
            "best_accuracy": round(self.best.accuracy, 6),
            "kind": self.kind,
            "similarity": "Pearson correlation of the matrices' upper-triangle entries"
            + (" (diagonal left out)" if self.kind == "pearson" else " (diagonal included)"),
            "contrast": "(on - off) / (on + off); on = mean over classes of the mean within-class similarity, "
            "off = mean over class pairs of the mean between-class similarity; a negative on or off counts as 0 "
            "here, so classes that anti-correlate score 1",
            "gap": "on - off, which breaks ties of accuracy and contrast",
            "classifier": ("leave-one-out nearest centroid by correlation; confusion rows = true, columns = predicted; "
                           "an image equally near two centroids is a miss (predicted -1, not in the confusion)"),
            "classes": [{"name": c, "images": [n for n, lab in zip(self.names, self.labels) if lab == i]}
                        for i, c in enumerate(self.classes)],
            "images": [{"name": n, "class": int(lab)} for n, lab in zip(self.names, self.labels)],  # in the order of
            # the confusion's 'predicted'
            "settings": self.settings,
            "chance": None if self.chance is None else self.chance.to_json(),
            "layers": [s.to_json() for s in self.scores],
        }

    @classmethod
    def from_json(cls, record: dict) -> Ranking:
        """A ranking as ``to_json`` wrote it (scores rounded to 6 decimals there); one written before the images'
        order was kept takes them class by class, as image folders are read."""
        classes = [c["name"] for c in record["classes"]]
        images = record.get("images") or [{"name": n, "class": i} for i, c in enumerate(record["classes"])
                                          for n in c["images"]]
        chance = None if record.get("chance") is None else Chance.from_json(record["chance"])
        return cls([LayerScore.from_json(s) for s in record["layers"]], classes, [i["name"] for i in images],
                   np.asarray([i["class"] for i in images], dtype=np.int64), record["kind"],
                   dict(record.get("settings") or {}), chance)


def read_ranking(path: str | os.PathLike) -> Ranking:
    """A ranking as `stylegram rank-layers` (or ``Ranking.to_json``) wrote it, to plot or compare again without the
    images: Ranking.from_json of the file's JSON, its errors named."""
    try:
        return Ranking.from_json(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        raise OptionError(f"{path}: no such file; give the .json that rank-layers wrote beside its plot") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as err:
        raise OptionError(f"{path} is not a ranking written by rank-layers ({type(err).__name__}: {err})") from None


def rank_layers(
    triangles: Mapping[str, torch.Tensor],
    labels: Sequence[int],
    classes: Sequence[str],
    names: Sequence[str],
    kind: str = "gram",
    settings: dict | None = None,
    progress: Callable[[str], None] | None = None,
    shuffles: int = SHUFFLES,
) -> Ranking:
    """Score every layer of {layer: (N, C (C + 1) / 2) upper triangles}; layers keep the mapping's order.
    ``shuffles``: how many label shuffles measure the chance level (Chance); 0 for none."""
    labels = np.asarray(labels)
    check_kind(kind)  # 'perason' was taken, and named the ranking
    if not triangles:  # max() of no scores, later
        raise OptionError("no layers to rank: give {layer: matrices} for one layer or more (matrices.compute)")
    _check_labels(triangles, labels, classes, names)
    _warn_other_kind(triangles, kind)
    scores, sims, blank_at = [], [], {}
    for layer, tri in triangles.items():
        sim, blank = similarity_and_blanks(entries(tri, kind))
        if blank.any():
            blank_at[layer] = blank
        sims.append(sim)
        scores.append(score(sim, labels, layer, blank))
        if progress:
            progress(layer)
    _warn_featureless(blank_at, names, kind)
    ranking = Ranking(scores, list(classes), list(names), labels, kind, dict(settings or {}))
    if shuffles:
        ranking.chance = chance(sims, labels, ranking.best.accuracy, shuffles)
    return ranking


def _check_labels(triangles: Mapping[str, torch.Tensor], labels: np.ndarray, classes: Sequence[str],
                  names: Sequence[str]) -> None:
    """Refuse labels that do not fit the matrices (numpy's IndexError or matmul mismatch said it before), and fewer
    than two classes."""
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise OptionError(f"labels must be one whole number per image, got an array of shape {labels.shape} "
                          f"and dtype {labels.dtype}")
    for layer, tri in triangles.items():  # first: 5 labels for 16 images were 'needs at least two classes'
        if tri.dim() != 2 or tri.shape[0] != len(labels):
            raise OptionError(f"layer {layer}: the matrices must be (images, entries), one row per label "
                              f"({len(labels)}), got shape {tuple(tri.shape)}")
    if len(names) != len(labels):
        raise OptionError(f"{len(names)} image names for {len(labels)} labels; give one name per image")
    if len(set(labels.tolist())) < 2:
        raise OptionError("ranking layers needs at least two classes")
    if labels.min() < 0 or labels.max() >= len(classes):
        raise OptionError(f"labels run from {labels.min()} to {labels.max()}, but {len(classes)} classes are named: "
                          f"each label is a class's index, 0 to {len(classes) - 1}")


def _warn_featureless(blank_at: Mapping[str, np.ndarray], names: Sequence[str], kind: str) -> None:
    """Say which images had no variation to compare at some layers: they vanished from the confusion matrix, unsaid."""
    if not blank_at:
        return
    blank = np.any(list(blank_at.values()), axis=0)
    which = first_few([names[i] for i in np.flatnonzero(blank)])
    layers = first_few(list(blank_at))
    fix = "; --kind gram counts them" if kind == "pearson" else ""
    warn(f"{count(int(blank.sum()), 'image')} ({which}) {'has' if blank.sum() == 1 else 'have'} matrices with no "
         f"variation at {count(len(blank_at), 'layer')} ({layers}), as a one-colour picture's correlations do: like "
         f"no image and unlike none, so {'it is' if blank.sum() == 1 else 'they are'} left out of the contrast there "
         f"and counted as undecided, a miss{fix}")


def _warn_other_kind(triangles: Mapping[str, torch.Tensor], kind: str) -> None:
    """Say so where the diagonals are all 1 or 0, as Pearson matrices' are, and Gram matrices are asked for: their
    diagonal then counted as entries, and the ranking changed (relu4_1 best where kind pearson found relu5_3); or
    the other way round, where the Gram matrices' diagonal was dropped without a word."""
    if not triangles:
        return
    tri = next(iter(triangles.values()))
    try:
        rows, cols = triu(channels_of(tri))
    except ValueError:  # vectors of other entries (a test's, or a caller's own): no diagonal to look at
        return
    diagonal = tri[:, rows == cols]
    ones = (diagonal - 1).abs() < 1e-4
    correlations = bool(ones.any() and (ones | (diagonal == 0)).all())
    if kind == "gram" and correlations:
        warn("the matrices look like Pearson correlations (every diagonal entry is 1 or 0) and are ranked as Gram "
             "matrices, their diagonal counted; give kind='pearson' if they are")
    elif kind == "pearson" and not correlations and bool((diagonal != 0).any()):
        warn("the matrices look like Gram matrices (their diagonal entries are not 1 or 0) and are ranked as Pearson "
             "correlations, their diagonal dropped; give kind='gram' if they are")
