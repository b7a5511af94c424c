"""Analysis of image sets: matrices, contrast, leave-one-out, clustering, figures, CLI and notebook."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylegram import stats
from stylegram.analysis import cluster, featuremaps, inputs, matrices, plots, rank, study
from stylegram.backbones import load_backbone
from stylegram.cli import main
from stylegram.errors import LayerError, OptionError, StylegramError, StylegramWarning

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------- helpers


def orthonormal_centred(dim: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` orthonormal vectors of length ``dim``, each with mean 0."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(dim, count))
    a -= a.mean(0)
    q, _ = np.linalg.qr(a)
    q -= q.mean(0)  # stays orthonormal: the columns were already centred
    return q.T


def as_triangles(vectors: np.ndarray, scale=1.0, offset=0.0) -> torch.Tensor:
    return torch.tensor(np.asarray(vectors) * np.asarray(scale).reshape(-1, 1) + offset, dtype=torch.float32)


# ------------------------------------------------------------------------------------------- matrices


def test_triangles_round_trip():
    m = torch.randn(3, 7, 7)
    m = m + m.transpose(1, 2)
    tri = matrices.upper(m)
    assert tri.shape == (3, 28)
    assert matrices.channels_of(tri) == 7
    assert torch.equal(matrices.symmetric(tri), m)


def test_pearson_matrices_are_invariant_to_channel_scaling():
    f = torch.randn(2, 6, 9, 9) + 0.3
    scales = torch.tensor([0.01, 1.0, 3.0, 50.0, 0.5, 7.0]).view(1, 6, 1, 1)
    p, p_scaled = matrices.of_features(f, "pearson"), matrices.of_features(f * scales, "pearson")
    assert torch.allclose(p, p_scaled, atol=1e-5)
    # ...which the Gram matrix is not, and the image-to-image similarity inherits the invariance
    assert not torch.allclose(matrices.of_features(f, "gram"), matrices.of_features(f * scales, "gram"), atol=1e-3)
    a = rank.similarity(rank.entries(matrices.upper(p), "pearson"))
    b = rank.similarity(rank.entries(matrices.upper(p_scaled), "pearson"))
    assert np.allclose(a, b, atol=1e-5)


def test_one_pass_matches_per_layer_statistics_for_mixed_sizes(vgg):
    images = [torch.rand(1, 3, 40, 40), torch.rand(1, 3, 36, 44), torch.rand(1, 3, 40, 40)]
    layers = ["relu1_1", "relu3_1"]
    tri = matrices.compute(images, layers, vgg, "gram", batch_size=2)
    for i, x in enumerate(images):
        with torch.no_grad():
            feats = vgg.extract(x, layers)
        for layer in layers:
            expected = stats.gram(feats[layer])[0]
            assert torch.allclose(matrices.symmetric(tri[layer][i : i + 1])[0], expected, rtol=1e-4, atol=1e-5)


def test_the_analyses_take_any_image_and_refuse_what_is_not_one(vgg):
    """A notebook passes PIL images, arrays, uint8 or float64 tensors and files: they failed deep in torch
    ('no attribute dim', 'Double'), and 0-255 floats or NaN gave wrong matrices without a word."""
    x = torch.rand(3, 40, 40)
    eight_bit = (x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    expected = matrices.compute([x], ["relu1_1"], vgg)["relu1_1"]
    same = [x[None], x.double(), torch.from_numpy(eight_bit).permute(2, 0, 1), Image.fromarray(eight_bit), eight_bit]
    for image in same:
        assert torch.allclose(matrices.compute(image, ["relu1_1"], vgg)["relu1_1"], expected, atol=2e-2), type(image)
    assert matrices.compute(torch.rand(2, 3, 40, 40), ["relu1_1"], vgg)["relu1_1"].shape[0] == 2  # a batch: 2 images
    maps = featuremaps.maps(["sample:brick", x], "relu2_1", vgg)
    assert [tuple(m.shape) for m in maps] == [(128, 256, 256), (128, 20, 20)]
    for bad, words in [(x * 255, "divide 0..255 values by 255"), (torch.full((3, 8, 8), float("nan")), "NaN"),
                       (x.permute(1, 2, 0), r"tensor.permute\(2, 0, 1\)"), ([], "no images given")]:
        with pytest.raises(StylegramError, match=words):
            matrices.compute(bad, ["relu1_1"], vgg)


def test_select_layers_takes_names_and_patterns(vgg):
    assert matrices.select_layers(vgg, "relu4_1,relu1_*") == ["relu1_1", "relu1_2", "relu4_1"]
    assert len(matrices.select_layers(vgg, None)) == len(vgg.layer_names())
    with pytest.raises(OptionError, match="matches no layer"):
        matrices.select_layers(vgg, "mixed4*")
    with pytest.raises(LayerError, match="does not exist in vgg19"):
        matrices.select_layers(vgg, "relu6_1")


# ------------------------------------------------------------------------------------------- contrast


@pytest.mark.parametrize("r", [0.0, 0.3, -0.2, -0.99])
def test_contrast_of_planted_matrices_has_the_known_value(r):
    # Class A: one matrix pattern u at different scales and offsets (similarity 1 among them); class B:
    # r u + sqrt(1 - r^2) w, so every between-class similarity is r: contrast = (1 - r) / (1 + r), where a
    # negative r counts as 0 (unclipped, r = -0.99 scored 199).
    u, w = orthonormal_centred(matrices.upper(torch.zeros(1, 6, 6)).shape[1], 2)
    b = r * u + np.sqrt(1 - r * r) * w
    tri = torch.cat([as_triangles([u] * 3, [1.0, 2.0, 0.5], 4.0), as_triangles([b] * 2, [3.0, 1.0], -1.0)])
    sim = rank.similarity(rank.entries(tri, "gram"))
    value, on, off = rank.contrast(sim, [0, 0, 0, 1, 1])
    assert on == pytest.approx(1.0, abs=1e-6)
    assert off == pytest.approx(r, abs=1e-6)
    assert value == pytest.approx((1 - max(r, 0)) / (1 + max(r, 0)), abs=1e-6)


def test_a_ranking_read_back_from_its_json_is_the_ranking_written(tmp_path):
    """rank-layers writes its ranking as JSON; it can be read back (Ranking.from_json, read_ranking) to plot, print or
    compare again without the images, its images in the order the confusion's predictions follow."""
    rng = np.random.default_rng(4)
    labels = np.array([1, 0, 1, 0, 0, 1, 1, 0])  # interleaved: read class by class, the predictions would not match
    apart = {f"layer{n}": as_triangles(rng.normal(size=(8, 30)) + n * rng.normal(size=(2, 30))[labels])
             for n in range(3)}
    ranking = rank.rank_layers(apart, labels, ["a", "b"], [f"i{n}" for n in range(8)], settings={"size": 64})
    written = json.loads(json.dumps(ranking.to_json()))
    back = rank.Ranking.from_json(written)

    def gapless(record: dict) -> dict:  # the gap is within - between, each rounded: it may move by 1e-6
        return {**record, "layers": [{k: v for k, v in s.items() if k != "gap"} for s in record["layers"]]}
    assert gapless(back.to_json()) == gapless(written) and back.names == ranking.names
    assert np.array_equal(back.labels, labels) and back["layer0"].gap == pytest.approx(ranking["layer0"].gap, abs=2e-6)
    assert back.best.layer == ranking.best.layer and back.headline() == ranking.headline()
    assert back.chance.p_value == pytest.approx(ranking.chance.p_value, abs=1e-6)
    assert np.array_equal(back["layer2"].predicted, ranking["layer2"].predicted)
    (tmp_path / "r.json").write_text(json.dumps(written))
    assert gapless(rank.read_ranking(tmp_path / "r.json").to_json()) == gapless(written)
    with pytest.raises(OptionError, match=r"r\.txt: no such file; give the \.json that rank-layers wrote"):
        rank.read_ranking(tmp_path / "r.txt")
    (tmp_path / "bad.json").write_text('{"layers": []}')
    with pytest.raises(OptionError, match=r"bad\.json is not a ranking written by rank-layers \(KeyError"):
        rank.read_ranking(tmp_path / "bad.json")


def test_the_best_of_many_layers_is_weighed_against_shuffled_classes():
    """Two folders of the same noise: conv4_3 was 'best layer' at 87.5 % of 16 images, worded as a finding. Shuffled
    classes reach as much at the best of the layers, and the verdict says so; classes that differ beat it."""
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], 8)
    same = {f"layer{n}": as_triangles(rng.normal(size=(16, 30))) for n in range(20)}
    ranking = rank.rank_layers(same, labels, ["a", "b"], [f"i{n}" for n in range(16)])
    chance = ranking.chance
    assert ranking.best.accuracy >= 0.6 and chance.shuffles == rank.SHUFFLES  # luck of the best of 20 layers
    assert chance.p_value > rank.CHANCE_P and not chance.beaten and chance.level >= 0.6
    assert ranking.verdict().endswith(f"shuffled classes reach {100 * chance.level:.1f}% at the best of 20 layers "
                                      f"(95th percentile of 200 shuffles), p = {chance.p_value:.3f}: the classes are "
                                      "not told apart beyond chance here, and this layer is best by luck; give more "
                                      "images a class, or classes that differ more")
    apart = {"layer0": as_triangles(rng.normal(size=(16, 30)) + 2.0 * rng.normal(size=(2, 30))[labels])}
    ranking = rank.rank_layers(apart, labels, ["a", "b"], [f"i{n}" for n in range(16)])
    assert ranking.best.accuracy == 1.0 and ranking.chance.p_value == pytest.approx(1 / 201)  # no shuffle did as well
    assert ranking.chance.beaten and ranking.to_json()["chance"]["p_value"] == round(1 / 201, 6)
    # by hand: the p-value counts the shuffles whose best layer did as well as the real best, the real one included
    sims = [rank.similarity(rank.entries(t, "gram")) for t in same.values()]
    shuffled = np.random.default_rng(0)
    orders = [shuffled.permutation(labels) for _ in range(50)]
    best = [max(rank.accuracy(sim, order) for sim in sims) for order in orders]
    found = rank.chance(sims, labels, 0.75, shuffles=50)
    assert found.p_value == pytest.approx((1 + sum(b >= 0.75 for b in best)) / 51)
    assert found.level == pytest.approx(np.quantile(best, 0.95, method="higher")) and found.level in best


@pytest.mark.parametrize("change, words", [
    (lambda t, lab, n: (t, [*lab, 1], [*n, "x"]), r"layer a: the matrices must be \(images, entries\), one row per "
                                                   r"label \(5\), got shape \(4, 6\)"),
    (lambda t, lab, n: (t, lab[1:3], n[1:3]), r"one row per label \(2\)"),
    (lambda t, lab, n: (t, [0, 1, 2, 1], n), r"labels run from 0 to 2, but 2 classes are named"),
    (lambda t, lab, n: (t, lab, n[:3]), r"3 image names for 4 labels"),
    (lambda t, lab, n: ({"a": t["a"].flatten()}, lab, n), r"got shape \(24,\)"),
    (lambda t, lab, n: (t, [0.0, 0.0, 1.0, 1.0], n), r"one whole number per image"),
    (lambda t, lab, n: (t, [0, 0, 0], n[:3]), r"one row per label \(3\)"),  # was "needs at least two classes"
])
def test_rank_layers_names_labels_that_do_not_fit_the_matrices(change, words):
    """Python callers got numpy's IndexError (index 16 is out of bounds) or a matmul mismatch."""
    triangles, labels, names = change({"a": torch.rand(4, 6)}, [0, 0, 1, 1], list("pqrs"))
    with pytest.raises(OptionError, match=words):
        rank.rank_layers(triangles, np.asarray(labels), ["a", "b"], names)


def test_rank_layers_checks_its_kind_and_says_when_gram_matrices_look_like_pearson_ones():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 4)
    features = torch.from_numpy(rng.normal(size=(8, 5, 6, 6))).float() + torch.from_numpy(labels).float()[:, None, None, None]
    pearson = {"a": matrices.upper(matrices.of_features(features, "pearson"))}
    names = [f"i{n}" for n in range(8)]
    with pytest.raises(OptionError, match="matrix kind 'perason' is not one of"):  # it was taken, and named the ranking
        rank.rank_layers(pearson, labels, ["x", "y"], names, "perason", shuffles=0)
    with pytest.warns(StylegramWarning, match="look like Pearson correlations .* give kind='pearson'"):
        rank.rank_layers(pearson, labels, ["x", "y"], names, shuffles=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rank.rank_layers(pearson, labels, ["x", "y"], names, "pearson", shuffles=0)
        rank.rank_layers({"a": matrices.upper(matrices.of_features(features))}, labels, ["x", "y"], names, shuffles=0)


def test_one_colour_pictures_are_named_and_left_out_of_the_contrast_not_a_perfect_one():
    """Trial AD: four grey pictures against gravel, kind pearson: every layer read contrast 1.000, the grey row of the
    confusion matrix 0 0, and nothing said."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 1], 4)  # 4 one-colour pictures, 8 textured ones
    features = torch.from_numpy(rng.normal(size=(12, 5, 6, 6))).float()
    features[:4] = 0.5  # no channel varies: every correlation 0
    pearson = {"a": matrices.upper(matrices.of_features(features, "pearson"))}
    names = [f"i{n}" for n in range(12)]
    with pytest.warns(StylegramWarning, match=r"4 images \(i0, i1, i2 and 1 more\) have matrices with no variation at 1 "
                                              r"layer \(a\), as a one-colour picture's correlations do"):
        ranking = rank.rank_layers(pearson, labels, ["grey", "texture"], names, "pearson", shuffles=0)
    assert np.isnan(ranking.best.contrast)  # one class left to compare: no contrast, not 1.000
    assert (ranking.best.predicted[:4] == -1).all() and ranking.best.confusion[0].sum() == 0
    title = plots.confusion_plot(ranking.best, ranking.classes, ranking.labels).axes[0].get_title()
    assert "4 images undecided, left out (a miss each)" in title


def test_the_chance_line_of_unbalanced_classes_is_the_larger_classs_share():
    """2 against 20 images: the dashed line said 'chance, 50%' under bars of 90.9 % that put every image in the larger
    class (balanced accuracy 50 %)."""
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], [2, 20])
    triangles = {"a": torch.from_numpy(rng.normal(size=(22, 6))).float()}
    ranking = rank.rank_layers(triangles, labels, ["x", "y"], [f"i{n}" for n in range(22)], shuffles=0)
    assert ranking.majority == pytest.approx(20 / 22) and not ranking.balanced
    label = plots.rank_bars(ranking).axes[0].get_ylabel()
    assert "always the\nlarger class, 91%" in label
    fig = plots.confusion_plot(ranking.best, ranking.classes, ranking.labels)
    assert f"(balanced over classes {100 * ranking.best.balanced_accuracy:.1f}%)" in fig.axes[0].get_title()
    even = rank.rank_layers(triangles, np.repeat([0, 1], 11), ["x", "y"], [f"i{n}" for n in range(22)], shuffles=0)
    assert even.balanced and "chance, 50%" in plots.rank_bars(even).axes[0].get_ylabel()


def test_the_analyses_results_compare_by_value():
    """ranking == ranking2 raised 'the truth value of an array is ambiguous' (checking that a run repeats)."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 4)
    triangles = {"a": as_triangles(rng.normal(size=(8, 10)))}
    first, again = (rank.rank_layers(triangles, labels, ["x", "y"], list("abcdefgh"), shuffles=20) for _ in range(2))
    assert first == again and first.best == again.best
    assert first != rank.rank_layers(triangles, labels[::-1].copy(), ["x", "y"], list("abcdefgh"), shuffles=20)
    m, _ = planted_blocks()
    assert cluster.cluster_channels(m, 3) == cluster.cluster_channels(m, 3) != cluster.cluster_channels(m, 2)
    images = [torch.rand(1, 3, 8, 8)]
    one = inputs.ImageSet(images, ["p"], np.zeros(1, np.int64), ["c"])
    assert one == inputs.ImageSet([images[0].clone()], ["p"], np.zeros(1, np.int64), ["c"])
    assert one != inputs.ImageSet([images[0] * 0.5], ["p"], np.zeros(1, np.int64), ["c"])


def test_contrast_is_balanced_over_unequal_classes():
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    same = labels[:, None] == labels[None, :]
    within = np.array([0.9, 0.5, 0.7])[labels]
    sim = np.where(same, within[:, None], 0.1)
    sim[(labels[:, None] == 0) & (labels[None, :] == 2) | (labels[:, None] == 2) & (labels[None, :] == 0)] = 0.4
    np.fill_diagonal(sim, 1.0)
    value, on, off = rank.contrast(sim, labels)
    assert on == pytest.approx((0.9 + 0.5 + 0.7) / 3)  # each class counts once, whatever its size
    assert off == pytest.approx((0.1 + 0.4 + 0.1) / 3)  # each class pair counts once
    assert value == pytest.approx((on - off) / (on + off))


def test_layers_whose_classes_anticorrelate_are_told_apart_by_the_gap():
    """Every layer with a negative between-class similarity scores contrast 1: nine tied at 1.000 on clouds against
    cracked concrete and the first, the shallowest, was called best. The gap on - off tells them apart."""
    u, w = orthonormal_centred(40, 2, seed=1)
    noise = orthonormal_centred(40, 8, seed=2)[2:]
    labels = np.array([0, 0, 1, 1])

    def layer(r: float, spread: float) -> torch.Tensor:  # between-class similarity about r, within about 1 - spread
        b = r * u + np.sqrt(1 - r * r) * w
        return as_triangles([u + spread * noise[0], u + spread * noise[1], b + spread * noise[2], b + spread * noise[3]])

    triangles = {"shallow": layer(-0.1, 0.3), "deep": layer(-0.6, 0.1), "noisy": layer(0.2, 0.3)}
    ranking = rank.rank_layers(triangles, labels, ["a", "b"], list("pqrs"), "gram", shuffles=0)
    shallow, deep = ranking["shallow"], ranking["deep"]
    assert shallow.contrast == deep.contrast == 1.0 and shallow.accuracy == deep.accuracy == 1.0
    assert deep.gap == pytest.approx(deep.within - deep.between) and deep.gap > shallow.gap + 0.4
    assert ranking.best.layer == "deep"
    assert ranking.verdict() == (f"leave-one-out accuracy 100.0%, contrast 1.000, gap {deep.gap:.3f}; 1 other layer "
                                 "shares its accuracy and contrast, and it has the largest gap (on - off) of them; "
                                 "every layer sorts every image right, so accuracy does not tell the layers apart "
                                 "here and the contrast ranks them: classes harder to tell apart (or more of them) "
                                 "make the ranking say more")  # all three at 100 %: 'best' is the tie-breaks'
    mixed = rank.rank_layers({**triangles, "blind": as_triangles([u, w, u, w])}, labels, ["a", "b"], list("pqrs"))
    assert mixed["blind"].accuracy < 1.0 and "every layer sorts" not in mixed.verdict()
    assert ranking.to_json()["layers"][1]["gap"] == pytest.approx(deep.gap, abs=1e-6)
    alone = rank.rank_layers({"noisy": triangles["noisy"], "deep": triangles["deep"]}, labels, ["a", "b"], list("pqrs"))
    assert "share" not in alone.verdict()  # no tie: nothing to explain


# ---------------------------------------------------------------------------------- leave-one-out


def test_confusion_counts():
    counts = rank.confusion([0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 1, 2, 0, 2, 2], 3)
    assert counts.tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 3]]


def test_leave_one_out_on_a_constructed_case():
    u, w, v = orthonormal_centred(40, 3, seed=1)
    noise = orthonormal_centred(40, 12, seed=2)[3:] * 0.2
    # class 0: four images near u, plus one that looks exactly like class 1 (w); class 1: three near w
    vectors = [u + noise[0], u + noise[1], u + noise[2], u + noise[3], w, w + noise[4], w + noise[5], w + v * 0.3]
    labels = [0, 0, 0, 0, 0, 1, 1, 1]
    s = rank.score(rank.similarity(as_triangles(vectors)), labels, "test")
    assert s.predicted.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert s.confusion.tolist() == [[4, 1], [0, 3]]
    assert s.accuracy == pytest.approx(7 / 8)
    assert s.balanced_accuracy == pytest.approx((4 / 5 + 1) / 2)


def test_a_tie_between_centroids_is_a_miss():
    """All-zero similarities (a layer whose maps are all 0) once gave every image to class 0: accuracy 1/2 here."""
    s = rank.score(np.zeros((4, 4)), [0, 0, 1, 1], "dead")
    assert s.predicted.tolist() == [-1, -1, -1, -1]
    assert s.accuracy == s.balanced_accuracy == 0.0
    assert s.confusion.tolist() == [[0, 0], [0, 0]]
    assert rank.nearest(np.array([[0.2, 0.5, 0.5], [0.9, 0.1, 0.3]])).tolist() == [-1, 0]


def test_leave_one_out_scores_match_explicit_centroids():
    rng = np.random.default_rng(3)
    vectors = torch.tensor(rng.normal(size=(9, 15)))
    labels = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    scores = rank.loo_scores(rank.similarity(vectors), labels)
    z = rank.standardize(vectors).numpy()
    for i in range(9):
        for c in range(3):
            members = [j for j in range(9) if labels[j] == c and j != i]
            centroid = z[members].mean(0)
            expected = np.corrcoef(z[i], centroid)[0, 1]
            assert scores[i, c] == pytest.approx(expected, abs=1e-9)


def test_leave_one_out_needs_two_images_per_class():
    with pytest.raises(OptionError, match="at least two images"):
        rank.loo_scores(np.eye(3), [0, 0, 1])


# ------------------------------------------------------------------------------------------ clusters


def planted_blocks(sizes=(12, 10, 8), seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A correlation-like matrix with blocks of strongly related channels, channels randomly permuted."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(sizes)), sizes)
    m = np.where(truth[:, None] == truth[None, :], 0.7, 0.05) + rng.normal(0, 0.05, (len(truth),) * 2)
    m = (m + m.T) / 2
    np.fill_diagonal(m, 1.0)
    perm = rng.permutation(len(truth))
    return m[np.ix_(perm, perm)], truth[perm]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    def groups(labels: np.ndarray) -> set[frozenset[int]]:
        return {frozenset(np.flatnonzero(labels == k).tolist()) for k in set(labels.tolist())}

    return groups(a) == groups(b)


@pytest.mark.parametrize("method", cluster.METHODS)
@pytest.mark.parametrize("k", [3, "auto"])
def test_clustering_recovers_planted_blocks(method, k):
    m, truth = planted_blocks()
    result = cluster.cluster_channels(m, k, method, seed=0)
    assert result.k == 3
    assert same_partition(result.labels, truth)
    ordered = result.labels[result.order]  # each cluster is one contiguous run of the order
    assert (np.diff(ordered) != 0).sum() == 2
    assert sorted(result.order.tolist()) == list(range(len(truth)))
    assert [b - a for a, b in result.bounds()] == [len(c) for c in result.clusters()]


def test_auto_makes_at_least_min_k_clusters():
    """The report asks for one cluster per class at least: the silhouette's favourite count may be fewer."""
    m, truth = planted_blocks()
    assert cluster.cluster_channels(m, "auto").k == 3
    at_least = cluster.cluster_channels(m, "auto", min_k=5)
    assert at_least.k >= 5 and min(at_least.silhouettes) == 5 and max(at_least.silhouettes) == cluster.MAX_K
    assert cluster.cluster_channels(m[:4, :4], "auto", min_k=5).k == 3  # 4 channels: at most 3 clusters


def test_a_clustering_saved_from_python_is_a_cluster_file_dream_and_features_read(tmp_path):
    """json.dump(clustering.to_json()) made a file dream --cluster refused ('needs a "layer"'); a stack of matrices
    given for their mean failed with numpy's broadcast error."""
    from stylegram.analysis.cluster_file import ClusterFile, read_cluster

    m, truth = planted_blocks()
    found = cluster.cluster_channels(m, 3)
    file = found.save(tmp_path / "mine.json", "relu3_1", {"grey": True}, images=["a.png"])
    record = ClusterFile.read(file)
    assert record.layer == "relu3_1" and record.settings == {"grey": True}
    assert read_cluster(file, 1) == ("relu3_1", found.clusters()[1])
    assert json.loads(file.read_text())["images"] == ["a.png"]
    for wrong in (np.stack([m, m]), m[0]):
        with pytest.raises(OptionError, match=r"cluster_channels takes one C x C matrix \(a set's mean, "
                                              rf"matrices.symmetric\(...\).mean\(0\)\), not an array of shape "
                                              rf"{re.escape(str(wrong.shape))}"):
            cluster.cluster_channels(wrong, 3)


def test_channel_counts_and_ranges_that_name_nothing_are_refused():
    maps = [torch.rand(6, 5, 5)]
    with pytest.raises(OptionError, match="whole number of at least 1, not 0"):  # gave [] without a word
        featuremaps.strongest(maps, 0)
    assert len(featuremaps.strongest(maps, 100)) == 6  # as many as there are
    with pytest.raises(OptionError, match="^channels '5-2': the range '5-2' runs backwards; give it low to high, 2-5$"):
        featuremaps.parse_channels("5-2", 10)  # said '5-2' is not a number or a range
    assert featuremaps.parse_channels("2-4,4", 10) == [2, 3, 4]


def test_inactive_channels_are_left_out_and_put_last():
    m, truth = planted_blocks((6, 6))
    m = np.pad(m, ((0, 2), (0, 2)))  # two channels that never fire
    result = cluster.cluster_channels(m, 2)
    assert result.inactive() == [12, 13] and list(result.order[-2:]) == [12, 13]
    assert same_partition(result.labels[:12], truth)
    assert repr(cluster.cluster_channels(m, 1)) == "Clustering(14 channels in 1 hierarchical cluster of 12; 2 inactive)"
    with pytest.raises(OptionError, match="none of the 14 channels has a non-zero diagonal, so there is nothing to "
                                          "cluster"):  # a cluster file of no clusters was written, exit 0
        cluster.cluster_channels(np.zeros((14, 14)), "auto")


def test_a_notebook_shows_image_sets_rankings_and_clusterings_by_what_they_found():
    """Their repr names the classes, the best layer and the clusters instead of printing every array."""
    m, truth = planted_blocks((6, 6))
    clustering = cluster.cluster_channels(np.pad(m, ((0, 2), (0, 2))), 2)
    assert repr(clustering) == "Clustering(14 channels in 2 hierarchical clusters of 6, 6; 2 inactive)"
    images = inputs.ImageSet.from_classes({"a": [torch.rand(1, 3, 8, 8)] * 3, "b": [torch.rand(1, 3, 8, 8)]})
    assert repr(images) == "ImageSet(4 images: a 3, b 1)"
    u, w = orthonormal_centred(40, 2, seed=1)
    noise = orthonormal_centred(40, 8, seed=2)[2:] * 0.2
    triangles = {"near": as_triangles([u + noise[0], u + noise[1], w + noise[2], w + noise[3]]),
                 "far": as_triangles([u + noise[0], w + noise[1], u + noise[2], w + noise[3]])}
    ranking = rank.rank_layers(triangles, np.array([0, 0, 1, 1]), ["a", "b"], list("pqrs"), "gram")
    assert repr(ranking) == (f"Ranking(2 layers of 2 classes; best near: leave-one-out accuracy 100.0%, contrast "
                             f"{ranking['near'].contrast:.3f})")
    shown = Image.open(io.BytesIO(ranking._repr_png_()))  # a notebook draws the command's bar plot
    assert shown.width > 500 and len(np.unique(np.asarray(shown.convert("L")))) > 10


def test_kmeans_is_seeded():
    m, _ = planted_blocks((9, 9, 9, 9), seed=4)
    runs = [cluster.cluster_channels(m, 5, "kmeans", seed=7).labels for _ in range(2)]
    assert np.array_equal(*runs)
    with pytest.raises(OptionError, match="whole number"):
        cluster.cluster_channels(m, 0)


# ------------------------------------------------------------------------------------- feature maps


def test_strongest_channels_and_channel_parsing():
    maps = [torch.zeros(4, 3, 3), torch.zeros(4, 3, 3)]
    maps[0][2] += 5.0
    maps[1][1] += 2.0
    maps[1][3] -= 9.0  # negative: not "strong" (it would not pass a ReLU)
    assert featuremaps.strongest(maps, 2) == [2, 1]
    assert featuremaps.strongest_per_class(maps, [0, 1], 2) == [2, 1]
    assert featuremaps.parse_channels("3,1-2,3", 8) == [3, 1, 2]
    with pytest.raises(OptionError, match=r"^channel 9 does not exist: the layer has 8 channels \(0..7\)$"):
        featuremaps.parse_channels("9", 8)
    with pytest.raises(OptionError, match=r"^channels 8-700 do not exist: the layer"):  # was 'channel 8': one number
        featuremaps.parse_channels("2-700", 8)
    with pytest.raises(OptionError, match=r"^channels 8, 10-11, 20, 30 and 1 more do not exist"):
        featuremaps.parse_channels("1,8,10,11,20,30,40", 8)
    with pytest.raises(OptionError, match=r"channels are numbered from 0 up \(the layer has 8: 0..7\), so '-1' names"):
        featuremaps.parse_channels("-1", 8)  # was "'-1' is not a number"
    with pytest.raises(OptionError, match="'x' is not a number or a range like 3-6"):
        featuremaps.parse_channels("1,x", 8)


def test_figures_name_a_sample_as_it_was_given():
    """sample:brick was titled brick.png, a file the user never had; two files of one name get their folders."""
    from stylegram import samples

    files = [samples.path("swirls"), Path("x/a.png"), Path("y/a.png")]
    assert inputs.display_names(files) == ["sample:swirls", "x/a.png", "y/a.png"]
    assert inputs.display_names([Path("x/a.png"), Path("x/b.png")]) == ["a.png", "b.png"]
    assert inputs.display_names([Path("x/a.png"), Path("a.png")]) == ["x/a.png", "./a.png"]  # was '/a.png', a root path
    assert torch.equal(inputs.load("sample:brick", 64), inputs.load(samples.path("brick"), 64))  # was 'no such file'


# ------------------------------------------------------------------------------------------------ CLI


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> list[Path]:
    """Two texture classes of unequal size and mixed image sizes: 4 brick crops, 3 grass crops."""
    crops = inputs.texture_classes(("brick", "grass"), 4, 56, seed=0)
    crops["grass"] = [crops["grass"][0][..., :48, :], *crops["grass"][1:3]]
    return inputs.write_classes(crops, tmp_path_factory.mktemp("classes"))


def test_crops_do_not_overlap():
    """Free positions overlapped by up to 95 %, so leave-one-out partly matched pixels, not textures."""
    image = torch.arange(64 * 80, dtype=torch.float32).view(1, 1, 64, 80).expand(1, 3, 64, 80)  # every pixel distinct
    crops = inputs.random_crops(image, 6, 24, seed=5)  # the 2 x 3 grid of 24 px cells: all of it
    assert len(crops) == 6 and all(c.shape == (1, 3, 24, 24) for c in crops)
    seen = [set(c[0, 0].flatten().tolist()) for c in crops]
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1:])
    assert [torch.equal(a, b) for a, b in zip(crops, inputs.random_crops(image, 6, 24, seed=5))] == [True] * 6
    with pytest.raises(OptionError, match="7 crops of 24 px do not fit the 80x64 image without overlapping \\(6 do\\)"):
        inputs.random_crops(image, 7, 24)


def test_a_picture_in_two_classes_is_warned_of_and_an_empty_class_refused_once(classes, tmp_path, capsys):
    """The same 8 files in two folders scored 0 % on every layer without a word of why; an empty class folder was
    warned of as left out ('the others are used') and then refused."""
    copy = tmp_path / "copy"
    copy.mkdir()
    first = sorted(classes[0].iterdir())[0]
    (copy / "again.png").write_bytes(first.read_bytes())
    (copy / "other.png").write_bytes(sorted(classes[1].iterdir())[0].read_bytes())
    with pytest.warns(StylegramWarning, match=f"^the same picture is in two classes: {classes[0].name}/{first.name} "
                                              f"and copy/again.png \\(and 1 more\\); it counts against telling them "
                                              "apart, so give each class its own images$"):
        inputs.load_classes([classes[0], classes[1], copy])
    (tmp_path / "empty").mkdir()
    assert main(["rank-layers", str(classes[0]), str(tmp_path / "empty"), "-o", str(tmp_path / "r.png")]) == 2
    assert capsys.readouterr().err == "stylegram: error: class 'empty' has 0 images; every class needs at least two to compare\n"


def test_a_class_folder_given_twice_is_named(classes):
    twice = [classes[0], classes[1], classes[0] / ".." / classes[0].name]  # the same folder, spelled differently
    with pytest.raises(OptionError, match="is given twice"):  # was merged into one class, named only after loading
        inputs.load_classes(twice)


def test_sample_classes_are_crops_of_the_samples_that_do_not_overlap(classes):
    image_set = inputs.load_classes(["sample:brick", str(classes[0]), "sample:chelsea"], grey=True)
    assert image_set.classes == ["sample:brick", str(classes[0]), "sample:chelsea"]  # two "brick": named in full
    bricks, chelseas = image_set.members(0), image_set.members(2)
    assert len(bricks) == 16 and image_set.names[bricks[0]] == "sample:brick/crop00"
    assert all(image_set.images[i].shape == (1, 3, 128, 128) for i in bricks)
    assert len(chelseas) == 6  # 300x451: a grid of 2 x 3 crops of 128 px
    crop = image_set.images[chelseas[0]]
    assert torch.equal(crop[:, 0], crop[:, 1]) and torch.equal(crop[:, 1], crop[:, 2])  # --grey reaches them too
    assert len({image_set.images[i].sum().item() for i in bricks}) == 16  # sixteen different crops
    assert inputs.load_classes(["sample:gravel", "sample:grass"]).classes == ["gravel", "grass"]
    with pytest.raises(Exception, match="no sample named 'bricks'; did you mean brick"):
        inputs.load_classes(["sample:bricks", "sample:grass"])
    with pytest.raises(OptionError, match="or sample:NAME, such as sample:brick"):
        inputs.load_classes(["no-such-folder", "sample:grass"])


def test_a_folder_of_class_folders_is_answered_with_its_subfolders(classes, tmp_path):
    """The blog's layout (textures/clouds, textures/concrete) given as one folder: the messages name the subfolders."""
    parent = tmp_path / "textures"
    for folder in classes:
        (parent / folder.name).mkdir(parents=True)
    with pytest.raises(OptionError, match=re.escape(f"got 1 (one folder per class, such as its subfolders: "
                                                    f"{parent / classes[0].name} {parent / classes[1].name})")):
        inputs.load_classes([parent])
    with pytest.raises(OptionError, match=re.escape(f"folders are not searched inside; give the subfolders: {parent / classes[0].name}")):
        inputs.expand([parent])
    (tmp_path / "flat").mkdir()
    with pytest.raises(OptionError, match=r"give image files or folders of images$"):  # no subfolders, no hint
        inputs.expand([tmp_path / "flat"])


def test_files_left_out_of_a_folder_as_not_images_are_named(tmp_path):
    """A photo saved as .jfif, or notes beside the pictures, were left out without a word; the OS's own are not said."""
    folder = tmp_path / "clouds"
    folder.mkdir()
    for name in ("a.png", "b.PNG"):
        Image.new("RGB", (8, 8)).save(folder / name)
    for name in ("README.txt", "sky.jfif", "Thumbs.db", ".DS_Store"):
        (folder / name).write_bytes(b"x")
    with pytest.warns(StylegramWarning) as caught:
        found = inputs.expand([folder])
    assert [p.name for p in found] == ["a.png", "b.PNG"]
    assert [str(w.message) for w in caught] == [
        f"left out 2 files not named as an image ({folder / 'README.txt'}, {folder / 'sky.jfif'}); images end in .avif, "
        ".bmp, .gif, .heic, .heif, .jpeg, .jpg, .png, .tif, .tiff, .webp"]
    for name in ("README.txt", "sky.jfif"):
        (folder / name).unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs.expand([folder])  # only the OS's files and dotfiles beside the images: nothing said
    (tmp_path / "empty").mkdir()  # `grams clouds empty` went on with the clouds alone, without a word
    with pytest.warns(StylegramWarning, match=f"^{re.escape(str(tmp_path / 'empty'))} holds no images, so it adds "
                                              r"nothing \(a mistyped folder\?\); the others are used$"):
        assert len(inputs.expand([folder, tmp_path / "empty"])) == 2
    with pytest.raises(OptionError, match="no images found in"):
        inputs.expand([tmp_path / "empty"])  # alone: refused, as before


@pytest.mark.parametrize("command", [["features", "--layer", "relu1_1"], ["grams", "--layer", "relu1_1"]])
def test_an_output_that_is_an_input_image_is_refused(command, classes, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    photo.write_bytes((classes[0] / "00.png").read_bytes())
    before = photo.read_bytes()
    assert main([command[0], str(photo), str(classes[1] / "00.png"), *command[1:], "-o", str(photo)]) == 2
    assert "is also an input image and would be overwritten" in capsys.readouterr().err  # the figure replaced it
    os.link(photo, tmp_path / "link.png")  # one file under two names (photo.PNG and photo.png on macOS and Windows)
    assert main([command[0], str(photo), str(classes[1] / "00.png"), *command[1:], "-o", str(tmp_path / "link.png")]) == 2
    assert "is also an input image and would be overwritten" in capsys.readouterr().err
    assert photo.read_bytes() == before


def test_rank_layers_refuses_an_output_in_place_of_an_input_or_its_companions(classes, tmp_path, capsys):
    """rank-layers -o class/00.png replaced that picture with its bar chart and wrote 00.json beside it."""
    victim = classes[0] / "00.png"
    before = victim.read_bytes()
    assert main(["rank-layers", *map(str, classes), "--layers", "relu1_1", "-o", str(victim)]) == 2
    assert "is also an input image and would be overwritten" in capsys.readouterr().err
    assert victim.read_bytes() == before and not (classes[0] / "00.json").exists()
    assert main(["rank-layers", *map(str, classes), "--layers", "relu1_1", "-o", str(classes[0] / "rank.png")]) == 2
    assert "is inside the image folder" in capsys.readouterr().err  # the next run would take it for a brick
    assert not (classes[0] / "rank.png").exists()
    (tmp_path / "rank_confusion.png").mkdir()  # in the way of the file written beside the figure: said before the work
    assert main(["rank-layers", *map(str, classes), "--layers", "relu1_1", "-o", str(tmp_path / "rank.png")]) == 2
    said = capsys.readouterr().err  # it said to give 'a file name such as .../rank_confusion.png/out.png'
    assert f"rank_confusion.png, which is written beside -o {tmp_path / 'rank.png'}, is a folder; give -o another " \
           "name, or move that folder" in said and "such as" not in said
    assert not (tmp_path / "rank.png").exists()


def test_the_analysis_commands_take_quiet_as_the_picture_commands_do(classes, tmp_path, capsys):
    """A script's -q, which transfer, texture and batch take, failed on rank-layers ('unrecognized arguments: -q')."""
    files = [str(classes[0] / "00.png"), str(classes[1] / "00.png")]
    run = ["features", *files, "--layer", "relu1_1", "--top", "1", "-o", str(tmp_path / "grid.png")]
    assert main(run) == 0
    assert "relu1_1 for 2 images" in capsys.readouterr().err  # its note of the work
    assert main([*run, "-q"]) == 0
    said = capsys.readouterr()
    assert said.err == "" and said.out.strip() == str(tmp_path / "grid.png")  # what it wrote still shows
    rank = tmp_path / "rank.png"
    assert main(["rank-layers", *map(str, classes), "--layers", "relu1_1", "-o", str(rank), "--quiet"]) == 0
    said = capsys.readouterr()
    assert said.err == "" and "best layer: relu1_1" in said.out and f"wrote {rank}" in said.out


def test_figures_are_written_in_the_format_their_name_asks_for(classes, tmp_path):
    files = [str(classes[0] / "00.png"), str(classes[1] / "00.png")]
    for suffix, fmt in [(".jpg", "JPEG"), (".tif", "TIFF"), (".webp", "WEBP"), (".png", "PNG")]:
        out = tmp_path / f"grid{suffix}"
        assert main(["features", *files, "--layer", "relu1_1", "--top", "1", "-o", str(out)]) == 0
        with Image.open(out) as written:  # every one was a PNG, whatever the name said
            assert written.format == fmt and written.size[0] > 100


def test_a_gram_grid_says_where_its_colour_scale_clips():
    """The scale ends at the 99th percentile of |G|: entries up to 760 against a top colour of 12, unsaid."""
    values = np.ones((20, 20))
    values[0, 0] = 500.0  # 1 entry of 400 beyond the scale
    fig = plots.matrices_grid([("a", values)], cluster.cluster_channels(values), "gram", "relu1_1")
    assert fig._suptitle.get_text().replace("\n", " ").endswith("; 0.2% of entries beyond the colour scale, up to 500")
    assert fig.axes[-1]._colorbar.extend == "max"  # the colour bar's arrow at its top
    plain = plots.matrices_grid([("a", np.ones((20, 20)))], cluster.cluster_channels(np.ones((20, 20))), "gram", "x")
    assert "beyond" not in plain._suptitle.get_text() and plain.axes[-1]._colorbar.extend == "neither"


def test_a_figure_drawn_once_has_savefigs_pixels_and_inlines_as_webp_or_png():
    """Pages draw each figure once and encode it straight to lossless WebP: the very pixels matplotlib's savefig
    writes (which draws it twice), and report.figure names the format it is given."""
    import io

    from stylegram.analysis.report import figure

    values = np.outer(np.arange(12.0), np.arange(12.0))

    def drawn():
        return plots.matrices_grid([("a", values), ("b", 2 * values)], cluster.cluster_channels(values), "gram",
                                   "relu1_1", columns=2, title="t")

    saved = io.BytesIO()
    drawn().savefig(saved, format="png", metadata={"Software": None})
    expected = np.asarray(Image.open(saved))
    webp, png = plots.to_webp(drawn()), plots.to_png(drawn())
    for data, fmt in ((webp, "WEBP"), (png, "PNG")):
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == fmt and np.array_equal(np.asarray(picture.convert("RGBA")), expected)
        inlined = re.fullmatch(r'<figure><img alt="a &amp; b" src="data:image/(\w+);base64,([^"]+)"></figure>',
                               figure(data, "a & b"))
        assert inlined[1] == fmt.lower() and base64.b64decode(inlined[2]) == data
    assert len(webp) < len(png) and expected[..., :3].std() > 10  # a figure, not a blank canvas


def test_names_with_dollar_signs_are_labels_not_maths(classes, tmp_path, capsys):
    """Matplotlib read '$...$' in a file name as maths: 'q$\\bad{$.png' raised, '$5 and $10' lost its dollars."""
    folder = tmp_path / "cost$5"
    folder.mkdir()
    for name in ("q$\\bad{$.png", "price $5 and $10.png"):
        (folder / name).write_bytes((classes[0] / "00.png").read_bytes())
    out = tmp_path / "grid.png"
    assert main(["features", str(folder), "--layer", "relu1_1", "--top", "1", "-o", str(out)]) == 0, capsys.readouterr().err
    assert plots._short("price $5 and $10.png", 40) == r"price \$5 and \$10.png"  # matplotlib shows \$ as $


def test_a_long_result_name_is_broken_between_words_or_underscores_and_a_longer_one_keeps_its_end():
    """A sweep's picture names ('style-weight 100, colors luminance') keep their start on a plot; a long file name
    without spaces keeps its end, where the names of one folder's files differ."""
    assert plots._wrapped("style-weight 100, colors luminance") == "style-weight 100, colors\nluminance"
    assert plots._wrapped("style 1") == "style 1"
    assert plots._wrapped("run_of_the_fourth_of_december_final.png") == "run_of_the_fourth_of_\ndecember_final.png"
    assert plots._wrapped("style-weight=100_statistic=meanstd.png") == "style-weight=100_\nstatistic=meanstd.png"  # a
    # sweep's cell, was cut to '…ght=100_statistic=meanstd': the start tells results apart as much as the end
    assert plots._wrapped("a_long_file_name_of_a_result_made_on_the_fourth.png") == "…lt_made_on_the_fourth.png"
    assert plots._wrapped("one two three four five six seven eight nine ten eleven twelve") == \
        "…ht nine ten eleven twelve"  # three lines: its end
    assert plots._wrapped("cost $5 and more words here") == "cost \\$5 and more words\nhere"


def test_the_labels_of_close_points_on_the_trade_off_plot_do_not_overlap():
    """A sweep's results often land close together; each label moves beside its point until it overlaps no other."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    names = [f"style-weight {w}, colors {c}" for c in ("luminance", "style") for w in (100, 10, 1)]
    fig = plots.trade_off(names, [0.53, 0.75, 0.94, 0.50, 0.72, 0.90], [19, 18, 10, 93, 86, 58], 0.01)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    boxes = [text.get_window_extent(renderer) for text in fig.axes[0].texts]
    assert len(boxes) == 6
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(fig.bbox.x0 <= b.x0 and b.x1 <= fig.bbox.x1 for b in boxes)
    # each tied to its point by a line: a label just below one point read as the next's (style-weight 100 and 1000)
    assert all(text.arrow_patch is not None and tuple(text.xy) == xy for text, xy in
               zip(fig.axes[0].texts, zip([0.53, 0.75, 0.94, 0.50, 0.72, 0.90], [19, 18, 10, 93, 86, 58])))


def test_points_too_close_to_name_apart_are_numbered_with_a_key():
    """A sweep's six results in three touching pairs: a label floated away from its point and another sat on a
    neighbour's. Touching points get numbers, and their names a key under the plot."""
    names = [f"style-weight {w}, statistic {s}" for w in (1, 10, 100) for s in ("gram", "meanstd")]
    fig = plots.trade_off(names, [0.80, 0.75, 0.67, 0.66, 0.45, 0.47], [40, 52, 76, 77, 90, 91], 0.02)
    assert [text.get_text() for text in fig.axes[0].texts] == ["1", "2", "3", "4", "5", "6"]
    assert [text.get_text() for text in fig.legends[0].get_texts()] == [f"{i}  {n}" for i, n in enumerate(names, 1)]
    apart = plots.trade_off(names[:2], [0.80, 0.45], [40, 90], 0.02)  # far apart: named beside them
    assert [text.get_text() for text in apart.axes[0].texts] == [plots._wrapped(n) for n in names[:2]] and not apart.legends


def test_an_image_too_small_for_the_layer_is_named(classes, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "big.png").write_bytes((classes[0] / "00.png").read_bytes())
    Image.new("RGB", (80, 20), (90, 120, 30)).save(folder / "thin.png")
    assert main(["grams", str(folder), "--layer", "relu5_1", "-o", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err
    assert "thin.png is 80x20 px: layer relu5_1 of vgg19 needs at least 32 px on each side; use larger images, or " \
           "--layer no deeper than pool4" in err, err
    for name, size in [("wide.png", (600, 40)), ("tiny.png", (8, 8))]:  # each named with its own size
        Image.new("RGB", size, (90, 120, 30)).save(folder / name)
    assert main(["grams", str(folder), "--layer", "relu5_1", "-o", str(tmp_path / "g.png")]) == 2
    assert "thin.png is 80x20 px, tiny.png is 8x8 px, wide.png is 256x17 px at --size 256: layer relu5_1 of vgg19 " \
           "needs at least 32 px on each side; use --size 482 or more, if the files are that large (their long " \
           "side is shrunk to --size, never enlarged), or larger images, or --layer no deeper than pool3" in \
        capsys.readouterr().err  # it said 'a larger --size than 256', and any larger than 600 finds no more pixels
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "notes.png").write_text("not a picture")  # named as not an image, not counted as a class's one image
    assert main(["rank-layers", str(classes[0]), str(fake), "-o", str(tmp_path / "r.png")]) == 2
    err = capsys.readouterr().err
    assert "notes.png is not an image" in err and "has 1 image" not in err


def test_grams_refuses_more_clusters_than_channels_before_the_work(classes, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(matrices, "compute", None)  # never reached
    assert main(["grams", str(classes[0]), "--layer", "relu1_1", "--clusters", "100", "-o", str(tmp_path / "g.png")]) == 2
    assert "cannot make 100 clusters of the 64 channels of relu1_1; choose --clusters 64 or fewer" in capsys.readouterr().err


def test_every_unreadable_file_of_the_classes_is_named_at_once(classes, tmp_path):
    """A truncated file was refused, and an empty one in another class only on the next run."""
    import shutil

    broken = [tmp_path / name for name in ("brick", "grass")]
    for source, folder in zip(classes, broken):
        shutil.copytree(source, folder)
    whole = (broken[0] / "00.png").read_bytes()
    (broken[0] / "00.png").write_bytes(whole[: len(whole) // 2])
    (broken[1] / "empty.png").write_bytes(b"")
    with pytest.raises(StylegramError) as refused:
        inputs.load_classes(broken, size=None)
    said = str(refused.value)
    assert said.startswith("2 files cannot be read: ") and said.endswith("; remove or replace them"), said
    assert "00.png is truncated or corrupt" in said and "empty.png is empty (0 bytes)" in said
    with pytest.raises(StylegramError, match=r"empty.png is empty \(0 bytes\)"):
        inputs.load_set([broken[1]], size=None)


def test_class_folders_name_transparent_images_and_subfolders(classes, tmp_path):
    """Trial AD: a half-clear crop was read on white without a word; a class folder holding only subfolders said
    'class has 0 images' where grams pointed at the subfolders."""
    from PIL import Image

    clear = tmp_path / "clear"
    clear.mkdir()
    for n in range(2):
        rgba = np.full((32, 32, 4), 200, np.uint8)
        rgba[:, :16, 3] = 0
        Image.fromarray(rgba).save(clear / f"half{n}.png")
    with pytest.warns(StylegramWarning, match=r"2 images are partly transparent \(half0.png 50%, half1.png 50%\), and "
                                              r"the transparent part is read as white"):
        inputs.load_classes([classes[0], clear], size=32)
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    frames[0].save(clear / "moving.gif", save_all=True, append_images=frames[1:])
    with pytest.warns(StylegramWarning, match=r"moving.gif is an animation: only its first frame is read"):
        inputs.load_set([clear / "moving.gif"], size=32)  # read as its first frame, unsaid
    nested = tmp_path / "nested"
    (nested / "inner").mkdir(parents=True)
    with pytest.raises(OptionError, match=r"class 'nested' has 0 images; every class needs at least two to compare "
                                          r"\(folders are not searched inside; give the subfolders as classes: "):
        inputs.load_classes([classes[0], nested], size=32)


def test_features_cli(classes, tmp_path, capsys):
    out = tmp_path / "grid.png"
    files = [str(classes[0] / "00.png"), str(classes[1] / "00.png")]
    assert main(["features", files[0], files[0], "--layer", "conv2_1", "--top", "2", "-o", str(out)]) == 0
    assert "stylegram: warning: 00.png given more than once; each image is used once" in capsys.readouterr().err
    assert main(["features", *files, "--layer", "conv2_1", "--channels", "3,4,14", "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["features", *files, "--layer", "relu2_1", "--top", "2", "-o", str(out)]) == 0
    assert main(["features", *files, "--layer", "relu2_1", "--channels", "128", "-o", str(out)]) == 2
    capsys.readouterr()
    for rows, words in [(["--top", "999"], "--top 999 gives 128 rows"), (["--channels", "0-99"], "--channels gives 100 rows")]:
        assert main(["features", *files, "--layer", "relu2_1", *rows, "-o", str(out)]) == 2  # each a 300-px row
        err = capsys.readouterr().err
        assert f"{words}, a figure" in err and "show at most 64 at once" in err
    assert main(["features", *files, "--layer", "relu1_1", "--top", "100", "-o", str(out)]) == 0
    assert "warning: --top 100 is more than the 64 channels of relu1_1: all 64 are shown" in capsys.readouterr().err


def test_a_cluster_row_is_the_mean_of_its_channels_maps():
    maps = torch.arange(4 * 2 * 3, dtype=torch.float32).view(4, 2, 3)
    assert torch.equal(featuremaps.row_map(maps, [1, 3]), (maps[1] + maps[3]) / 2)
    assert featuremaps.cluster_rows({0: [1, 3], 4: [2]}) == [("cluster 0 (2 ch.)", [1, 3]), ("cluster 4 (1 ch.)", [2])]
    assert featuremaps.channel_rows([5]) == featuremaps.as_rows([5]) == [("channel 5", [5])]


def test_the_feature_grid_puts_each_input_over_its_maps():
    torch.manual_seed(0)
    pictures = [torch.rand(1, 3, 64, 64), torch.rand(1, 3, 48, 96)]
    maps = [torch.rand(8, 16, 16), torch.rand(8, 12, 24)]
    fig = plots.features_grid(pictures, maps, [0, 3], ["square", "wide"], "relu3_1")
    plots.rendered(fig)  # lays it out
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    columns = [[round(ax.get_position().x0, 3) for ax in grid[row * 2:row * 2 + 2]] for row in range(3)]
    assert columns[0] == columns[1] == columns[2], columns  # the input row had no colour bar and its own columns
    fig = plots.features_grid([pictures[0]] * 4, [maps[0]] * 4, [0, 3], list("abcd"), "relu3_1",
                              [torch.rand(1, 3, 32, 32)] * 2)  # as a report shows four images and their dreams
    plots.rendered(fig)
    shown = [ax.get_position() for ax in fig.axes if ax.get_visible() and ax.images]
    last_row = sorted((p for p in shown if p.y0 == min(q.y0 for q in shown)), key=lambda p: p.x0)
    last_map, dream = last_row[-2], last_row[-1]
    assert dream.x0 - last_map.x1 < 0.7 * last_map.width  # the dream beside the colour bar (was 0.86 of a column off)


def test_many_images_wrap_into_bands_of_the_feature_grid_with_one_colour_scale_a_row(tmp_path):
    """30 images made one row 50 inches wide; now bands of at most GRID_COLUMNS (here 3 of 10), each with every
    row, one scale per row."""
    torch.manual_seed(0)
    pictures = [torch.rand(1, 3, 32, 32) for _ in range(30)]
    maps = [torch.rand(8, 8, 8) * (1 + i) for i in range(30)]  # the last images' maps the strongest
    fig = plots.features_grid(pictures, maps, [0, 3], [f"p{i}" for i in range(30)], "relu3_1",
                              [torch.rand(1, 3, 16, 16)] * 2)
    width, height = fig.get_size_inches()
    assert width < 1.7 * (10 + 1) + 1.5 and height > 3 * 3 * 0.95  # three bands of 3 rows
    plots.rendered(fig)
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert sum(ax.get_title() .startswith("p") for ax in shown) == 30 and len(shown) == 30 * 3 + 2  # and 2 dreams
    scales = {(ax.images[0].norm.vmin, ax.images[0].norm.vmax) for ax in shown if ax.get_ylabel() == "channel 3"}
    assert len(scales) == 1 and max(scales)[1] > 29  # every band's row on the strongest maps' scale
    plots.save(fig, tmp_path / "bands.png")


def test_features_cli_shows_where_the_clusters_of_a_grams_file_fire(classes, tmp_path, capsys, monkeypatch):
    grams = tmp_path / "grams.png"
    assert main(["grams", *map(str, classes), "--layer", "relu2_1", "--clusters", "3", "-o", str(grams)]) == 0
    assert f"the matrices written to {tmp_path / 'grams.npz'}, the clusters" in capsys.readouterr().err  # unsaid
    clusters = {c["id"]: c["channels"] for c in json.loads(grams.with_suffix(".json").read_text())["clusters"]}
    shown = []
    original = plots.features_grid
    monkeypatch.setattr(plots, "features_grid", lambda *a, **k: shown.append(a[2]) or original(*a, **k))
    files = [str(classes[0] / "00.png"), str(classes[1] / "00.png")]
    out = tmp_path / "where.png"
    capsys.readouterr()
    assert main(["features", *files, "--clusters", str(grams.with_suffix(".json")), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000 and shown[-1] == featuremaps.cluster_rows(clusters)  # every cluster, at relu2_1
    assert "clusters were found" not in capsys.readouterr().err  # both in colour: nothing to say
    assert main(["features", *files, "--clusters", str(grams.with_suffix(".json")), "--grey", "-o", str(out)]) == 0
    assert (f"{grams.with_suffix('.json')}'s clusters were found on colour images and these are read in grey; drop "
            "--grey to see them as the clusters were found") in capsys.readouterr().err
    assert main(["features", *files, "--clusters", str(grams.with_suffix(".json")), "--pooling", "avg", "-o",
                 str(out)]) == 0  # went on without a word
    assert (f"{grams.with_suffix('.json')}'s clusters were found with pooling max and this network has pooling avg; "
            "give --pooling max to see them as the clusters were found") in capsys.readouterr().err
    assert main(["features", *files, "--clusters", f"{grams.with_suffix('.json')}:2,0", "-o", str(out)]) == 0
    assert [label for label, _ in shown[-1]] == [f"cluster 2 ({len(clusters[2])} ch.)", f"cluster 0 ({len(clusters[0])} ch.)"]
    capsys.readouterr()
    for options, message in [
        (["--clusters", f"{grams.with_suffix('.json')}:7"], "cluster 7 does not exist: " + str(grams.with_suffix(".json")) + " has 3 clusters (0, 1, 2)"),
        (["--clusters", str(grams.with_suffix(".json")), "--layer", "relu1_1"],
         "--layer relu1_1, and " + str(grams.with_suffix(".json")) + " clusters the channels of relu2_1"),
        (["--clusters", str(grams.with_suffix(".json")), "--channels", "3"], "--channels and --clusters both choose"),
        ([], "give --layer (e.g. --layer relu3_1), or --clusters"),
        (["--clusters", str(tmp_path / "none.json")], "cluster file " + str(tmp_path / "none.json") + " does not exist"),
        (["--clusters", str(grams.with_suffix(".json")), "--top", "2"], "--top picks the strongest channels, and "
                                                                         "--clusters chooses the rows"),
        (["--layer", "relu1_1", "--channels", "3", "--top", "2"], "and --channels chooses the rows, so it would be "
                                                                  "ignored"),
    ]:
        assert main(["features", *files, *options, "-o", str(tmp_path / "bad.png")]) == 2
        assert message in capsys.readouterr().err, options
    assert not (tmp_path / "bad.png").exists()
    edited = tmp_path / "edited.json"  # trial AC: a traceback (600, or another layer's), or a wrong row drawn (-3, [])
    for channels, message in [([600], "cluster 0 of EDITED: channel 600 does not exist: relu2_1 has 128 channels "
                                      "(0..127); was the file edited, or made for another layer?"),
                              ([-3], "cluster 0 of EDITED lists -3, which is not a channel number"),
                              ([3.7], "cluster 0 of EDITED lists 3.7, which is not a channel number"),
                              ([True], "cluster 0 of EDITED lists true, which is not a channel number"),
                              ([], "cluster 0 of EDITED has no channels; pick another cluster of that file")]:
        edited.write_text(json.dumps({"layer": "relu2_1", "clusters": [{"id": 0, "channels": channels}]}))
        assert main(["features", *files, "--clusters", f"{edited}:0", "-o", str(tmp_path / "bad.png")]) == 2
        assert message.replace("EDITED", str(edited)) in capsys.readouterr().err, channels


@pytest.mark.parametrize("command", [["features", "--layer", "relu1_1"], ["report"]])
def test_dream_size_without_dreams_is_refused(command, classes, tmp_path, capsys):
    """--dream-size alone was dropped without a word: the page had no dreams."""
    out = tmp_path / ("out.html" if command == ["report"] else "out.png")
    assert main([command[0], *map(str, classes), *command[1:], "--dream-size", "64", "-o", str(out)]) == 2
    assert "--dream-size 64 sizes the deep dreams, and --dreams is not given" in capsys.readouterr().err
    assert main([command[0], *map(str, classes), *command[1:], "--dreams", "--dream-size", "8", "-o", str(out)]) == 2
    assert "--dream-size 8 draws dreams too small to show anything" in capsys.readouterr().err  # flat 8 px blobs
    assert not out.exists()


def test_grams_cli_is_reproducible(classes, tmp_path):
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run / "grams.png"
        options = ["--layer", "relu2_1", "--clusters", "3", "--method", "kmeans", "-o", str(out)]
        assert main(["grams", *map(str, classes), *options]) == 0
        outputs.append(out)
    record = json.loads(outputs[0].with_suffix(".json").read_text())
    assert record["k"] == 3 and record["layer"] == "relu2_1"
    channels = sorted(c for group in record["clusters"] for c in group["channels"]) + record["inactive_channels"]
    assert sorted(channels) == list(range(128))
    saved = np.load(outputs[0].with_suffix(".npz"))
    assert saved["matrices"].shape == (7, 128, 128) and list(saved["order"]) == record["order"]
    for suffix in (".json", ".png"):
        assert outputs[0].with_suffix(suffix).read_bytes() == outputs[1].with_suffix(suffix).read_bytes()
    assert sorted(p.name for p in outputs[0].parent.iterdir()) == ["grams.json", "grams.npz", "grams.png"]  # no temp


def test_rank_layers_cli(classes, tmp_path, capsys):
    out = tmp_path / "rank.png"
    assert main(["rank-layers", *map(str, classes), "--layers", "relu1_1,relu2_1,pool2,relu3_1", "-o", str(out)]) == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert [layer["layer"] for layer in result["layers"]] == ["relu1_1", "relu2_1", "pool2", "relu3_1"]
    assert [len(c["images"]) for c in result["classes"]] == [4, 3]
    best = next(layer for layer in result["layers"] if layer["layer"] == result["best_layer"])
    assert np.array(best["confusion"]).sum(1).tolist() == [4, 3]
    assert (tmp_path / "rank_confusion.png").exists()
    assert f"best layer: {result['best_layer']}" in capsys.readouterr().out
    assert main(["rank-layers", str(classes[0]), "-o", str(out)]) == 2  # one class only


def test_a_report_stopped_by_ctrl_c_says_that_nothing_was_written(classes, tmp_path, capsys, monkeypatch):
    """'stylegram: interrupted' alone left the user to look for a part of the page."""
    from stylegram.analysis import study

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "run", stop)
    out = tmp_path / "report.html"
    assert main(["report", *map(str, classes), "--layers", "relu1_1", "-o", str(out)]) == 130
    assert capsys.readouterr().err.endswith(f"stylegram: nothing was written: the page is written whole once "
                                            f"everything on it is measured ({out})\nstylegram: interrupted\n")
    assert not out.exists()


def test_report_cli_inlines_every_figure(classes, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", *map(str, classes), "--layers", "relu1_*,relu2_1", "--grey", "-o", str(out)]) == 0
    page = out.read_text()
    pictures = re.findall(r'src="data:image/webp;base64,([^"]+)"', page)
    assert len(pictures) == 6
    assert all(base64.b64decode(p)[8:12] == b"WEBP" for p in pictures)
    assert 'src="http' not in page and "<link" not in page and "<script" not in page  # self-contained
    for heading in ("Inputs", "Feature maps", "Which layer", "Confusion matrix", "Channel clusters",
                    "Where each cluster fires"):
        assert heading in page
    assert "<td>grey</td><td>yes</td>" in page  # a switch in words, not Python's True
    assert re.search(r"<td>size</td><td>256 px at most \(smaller images are not enlarged\); the images(&#x27;|') long "
                     r"sides: 56 px</td>", page)  # it said 'size 256' of 56 px crops (trial AD)
    for row in ("<td>layers asked</td><td>relu1_*,relu2_1</td>", "<td>top</td><td>4</td>", "<td>dreams</td><td>no</td>",
                "<td>pooling</td><td>max</td>"):  # what was asked, so the page can be made again
        assert row in page
    assert f"clusters, the count from {len(classes)} (at least one per class) to 12 whose clusters are most" in page
    assert re.search(r"<td>clusters</td><td>\d+ \(auto: the best silhouette\)</td>", page)  # what auto chose
    assert "<td>layer count</td><td>3</td>" in page and "<td>layers</td>" not in page  # 'layers 3' beside 'layers asked'
    assert "the best layer's accuracy on them drawn as the dotted line" in page
    assert re.search(r"shuffled classes reach \d+\.\d% at the best of 3 layers \(95th percentile of 200 shuffles\), "
                     r"p = \d\.\d{3}", page)  # the best of a few layers weighed against chance
    assert "beyond chance (p = " not in page and "different blocks between classes" in page  # brick and grass differ
    from stylegram.analysis.cluster_file import ClusterFile  # the page's clusters, for dream --cluster (grams had to run again)

    written = ClusterFile.read(out.with_suffix(".json"))
    layer = re.search(r"Channel clusters at (\w+)", page)[1]
    assert written.layer == layer and written.settings["grey"] is True and len(written.clusters) >= len(classes)
    assert all(f"<td>{k}</td><td>{len(ch)}</td>" in page for k, ch in written.clusters.items())


def test_a_report_of_classes_at_chance_says_so_beyond_the_ranking(tmp_path, capsys):
    """Two folders of one noise: the page went on studying 'the best layer', its clusters 'different blocks between
    classes', and the terminal's last line said 'best layer: relu3_1 (leave-one-out accuracy 75.0%)' alone."""
    rng = np.random.default_rng(0)
    noise = {name: [torch.from_numpy(rng.random((1, 3, 40, 40))).float() for _ in range(4)] for name in ("a", "b")}
    folders = inputs.write_classes(noise, tmp_path / "in")
    out = tmp_path / "report.html"
    assert main(["report", *map(str, folders), "--layers", "relu1_1,relu1_2", "-o", str(out)]) == 0
    assert re.search(r"best layer: relu1_\d \(leave-one-out accuracy \d+\.\d%; not beyond chance, p = 0\.\d{3}\)",
                     capsys.readouterr().out)
    page = out.read_text()
    assert "Here no layer tells the classes apart beyond chance (p = 0." in page
    assert "expect the same blocks in every class" in page and "different blocks between classes" not in page


def test_report_studies_a_layer_without_ranking_it(classes, tmp_path, capsys):
    """--layer was added to the layers ranked, so it could be named the best of layers the user never asked for."""
    out = tmp_path / "report.html"
    assert main(["report", *map(str, classes), "--layers", "relu1_1", "--layer", "relu2_1", "-o", str(out)]) == 0
    assert "best layer: relu1_1 (leave-one-out accuracy" in (printed := capsys.readouterr().out)
    assert "; studied: relu2_1 (--layer)" in printed
    page = out.read_text()
    assert "For each of 1 layer, " in page and "Confusion matrix at relu2_1" in page
    # it went from 'It is relu1_1' to relu2_1's confusion matrix without a word
    assert "The sections below study <strong>relu2_1</strong>, the layer <code>--layer</code> names, which is not " \
           "among the layers ranked here." in page and "channel clusters of the best layer (here relu2_1, as " in page
    assert main(["report", *map(str, classes), "--layers", "relu1_1,relu2_1", "--layer", "relu1_1", "-o",
                 str(out)]) == 0  # relu2_1 the best (contrast 0.30)
    assert "<strong>relu1_1</strong>, the layer <code>--layer</code> names, ranked 2 of 2." in out.read_text()


def test_a_studied_layer_of_few_positions_is_warned_of(classes, tmp_path, capsys):
    """On 64 px crops the report studied relu5_4, its maps 4x4: each matrix on 16 positions, without a word."""
    assert main(["report", *map(str, classes), "--layers", "relu1_1", "--layer", "relu4_1", "-o",
                 str(tmp_path / "report.html")]) == 0
    assert re.search(r"warning: relu4_1's maps are 7x6 on the smallest image \(56x48 px\), so its matrices rest on a "
                     r"few positions .* at least 64 px on the short side, or study a shallower --layer",
                     capsys.readouterr().err)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StylegramWarning)
        study.warn_few_positions(load_backbone("vgg19", "random"), "relu2_1", [torch.zeros(1, 3, 48, 56)])


def test_report_checks_clusters_and_sizes_before_any_pass(classes, tmp_path, capsys, monkeypatch):
    """--clusters 600 was refused after every matrix was computed; a --size too small named the files, not --size."""
    monkeypatch.setattr(matrices, "compute", lambda *a, **k: pytest.fail("computed matrices before the checks"))
    out = str(tmp_path / "report.html")
    assert main(["report", *map(str, classes), "--layer", "relu1_1", "--clusters", "65", "-o", out]) == 2
    assert "cannot make 65 clusters of the 64 channels of relu1_1; choose --clusters 64 or fewer" in capsys.readouterr().err
    assert main(["report", *map(str, classes), "--layers", "relu1_1,relu2_1", "--clusters", "129", "-o", out]) == 2
    assert "128 channels, the most of any layer ranked (relu2_1)" in capsys.readouterr().err
    assert main(["report", *map(str, classes), "--layers", "relu5_1", "--size", "12", "-o", out]) == 2
    assert "use --size 39 or more, if the files are that large (their long side is shrunk to --size, never " \
           "enlarged), or larger images, or --layers no deeper than pool3" in capsys.readouterr().err
    assert main(["report", *map(str, classes), "--top", "1000", "-o", out]) == 2  # sat in matplotlib's layout
    assert "--top 1000 gives 1000 rows, a figure 1000 maps tall; show at most 64 at once (--top 64)" in capsys.readouterr().err
    small = tmp_path / "small"
    for name in ("a", "b"):  # 12 px on disk: a larger --size would not help, so it is not suggested
        inputs.write_classes({name: [torch.rand(1, 3, 12, 12)] * 2}, small)
    assert main(["report", str(small / "a"), str(small / "b"), "--layers", "relu5_1", "-o", out]) == 2
    assert "use larger images, or --layers no deeper than pool3" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- notebook


def test_notebook_runs_at_tiny_size():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(ROOT / "examples" / "understanding_style_transfer.ipynb", as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell("SIZE = 40\nCROPS = 3\nCLUSTERS = 3\nITERATIONS = 15")
    injected.metadata["tags"] = ["injected-parameters"]
    notebook.cells.insert(index + 1, injected)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 11
    dreams = next(c for c in notebook.cells if c.cell_type == "code" and "cluster_correlation" in c.source)
    said = re.search(r"on the start, (-?[0-9.]+) on the activation dream, (-?[0-9.]+) on the correlation dream",
                     "".join(o.get("text", "") for o in dreams.outputs))
    assert said and float(said[2]) > float(said[1])  # the correlation objective raised what it is named for
    assert "grey=True)" in dreams.source  # the clusters were found on grey images: a colour dream was speckle
    painted = next(c for c in notebook.cells if "display(painted)" in c.source)
    shown = [o["data"]["image/png"] for o in painted.outputs if "image/png" in o.get("data", {})]
    first = Image.open(io.BytesIO(base64.b64decode(shown[0])))
    assert len(shown) == 2 and first.size == (80, 53)  # the transfer's picture (80 px at SIZE 40), then its matrices


def test_a_forward_pass_too_large_for_memory_is_refused_before_it_starts(vgg, monkeypatch):
    from stylegram import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 600 * 2**20)  # 600 MiB free
    monkeypatch.setattr(vgg, "extract", lambda *a, **k: pytest.fail("a forward pass started"))
    eight = [torch.rand(1, 3, 256, 256)] * 8  # about 0.9 GiB as one batch, 0.45 GiB one at a time
    with pytest.raises(OptionError, match=r"8 image\(s\) of 256x256 px needs about 0.9 GiB but only 0.6 GiB is "
                                          r"available; use --batch-size [1-7] or fewer"):
        featuremaps.maps(eight, "relu1_1", vgg, batch_size=8)
    one = [torch.rand(1, 3, 1024, 1024)]  # a larger --size was an out-of-memory kill, not a message
    with pytest.raises(OptionError, match=r"use a size of about \d+ px or less"):
        matrices.compute(one, ["relu2_1"], vgg)
    forward = memory.forward_bytes(vgg, ["relu2_1"], (1024, 1024))
    assert forward == memory.forward_bytes(vgg, ["relu5_1"], (1024, 1024))  # the peak is at the full-size layers
    assert memory.forward_bytes(vgg, ["relu2_1"], (1024, 1024), 2) - memory.OVERHEAD == 2 * (forward - memory.OVERHEAD)


def test_a_grids_long_titles_wrap_to_their_pictures_width():
    """compare's patch maps are titled by each result's settings; a long one ran into its neighbour's title."""
    long = [f"{n}: size 192, iterations auto, min-size 100000: coherence 0.36" for n in range(1, 4)]
    fig = plots.images_grid([torch.rand(1, 3, 60, 90)] * 3, long, "where the patches come from", columns=3, width=2.6)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # the layout placed as it is saved
    renderer = canvas.get_renderer()
    boxes = [(ax.get_window_extent(renderer), ax.title.get_window_extent(renderer)) for ax in fig.axes]
    assert all("\n" in ax.title.get_text() for ax in fig.axes)
    assert all(title.x0 >= picture.x0 - 2 and title.x1 <= picture.x1 + 2 for picture, title in boxes)
    assert all(a[1].x1 < b[1].x0 for a, b in zip(boxes, boxes[1:]))  # side by side, apart


def test_the_analysis_helpers_refuse_a_users_mistakes_in_their_own_words(vgg):
    """Trial AI: each of these ended in a raw IndexError, ValueError or AttributeError from inside, or a wrong count."""
    picture, array = torch.rand(1, 3, 64, 64), (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    maps = featuremaps.maps([picture, array], "relu3_1", vgg)
    with pytest.raises(OptionError, match=r"^channel 999 does not exist: relu3_1 has 256 channels \(0\.\.255\)$"):
        plots.features_grid([picture, array], maps, [1, 999], ["a", "b"], "relu3_1")
    with pytest.raises(OptionError, match=r"^1 image, 0 feature maps and 1 name: give one map and one name per image"):
        plots.features_grid([picture], [], [1], ["a"], "relu3_1")
    with pytest.raises(OptionError, match=r"^2 images, 2 feature maps and 1 name"):
        plots.features_grid([picture, array], maps, [1], ["a"], "relu3_1")
    with pytest.raises(OptionError, match=r"^channels 300-301 do not exist: the layer has 256 channels"):
        featuremaps.row_map(maps[0], [300, 301])
    # arrays are images here as everywhere; a batch tensor is as many images, each labelled
    images = inputs.ImageSet.from_classes({"a": [array, torch.rand(2, 3, 32, 32)], "b": ["sample:brick"]})
    assert repr(images) == "ImageSet(4 images: a 3, b 1)" and images.labels.tolist() == [0, 0, 0, 1]
    with pytest.raises(OptionError, match=r"^class a has 2 images \(a batch tensor counts its images\) and 1 name"):
        inputs.ImageSet.from_classes({"a": [torch.rand(2, 3, 32, 32)], "b": [picture]}, names={"a": ["x"], "b": ["y"]})
    with pytest.raises(OptionError, match=r"^folders is one name, 'sample:brick'; give a list of class folders"):
        inputs.load_classes("sample:brick")
    grams = matrices.compute([picture, array, picture], "relu1_1", vgg)  # one layer as a string: not 'r', 'e', ...
    assert list(grams) == ["relu1_1"] and grams["relu1_1"].shape == (3, 64 * 65 // 2)
    with pytest.raises(OptionError, match=r"are not upper triangles .*: give compute\(\)'s default output"):
        matrices.symmetric(matrices.compute([picture], "relu1_1", vgg, triangles=False)["relu1_1"])
    with pytest.raises(StylegramError, match=r"^image 2 is 20x20 px; layer relu5_4 of vgg19 needs at least 32 px"):
        matrices.compute([picture, torch.rand(1, 3, 20, 20)], ["relu5_4"], vgg)
    with pytest.raises(OptionError, match=r"^no layers to rank"):
        rank.rank_layers({}, [0, 1], ["a", "b"], ["p", "q"])
    with pytest.warns(StylegramWarning, match=r"^the matrices look like Gram matrices .* ranked as Pearson correlations, "
                                              r"their diagonal dropped; give kind='gram' if they are"):
        rank.rank_layers({"relu1_1": grams["relu1_1"][[0, 1, 2, 1]]}, [0, 1, 0, 1], ["a", "b"], list("pqrs"), "pearson",
                         shuffles=0)


@pytest.mark.parametrize("command, said", [
    (["features", "sample:brick", "--layer", "relu1_1", "--channels", "", "-o", "f.png"],
     "--channels is empty; give channel numbers such as 3,4,14 or 0-5, or leave it out for the strongest (--top)"),
    (["explain", "sample:chelsea", "sample:swirls", "sample:mosaic", "--layers", " ", "-o", "w.html"],
     "--style-layers is empty; give layer names such as relu1_1,relu3_1, or leave it out for the defaults"),
])
def test_an_empty_list_is_refused_not_read_as_the_default(command, said, tmp_path, capsys, monkeypatch):
    """Trial AV: features --channels "" showed the strongest channels and explain --layers "" measured the default
    layers without a word, where report --layers "" is refused."""
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    assert said in capsys.readouterr().err and not any(tmp_path.iterdir())
