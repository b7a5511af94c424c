import pytest
import torch

from stylegram import stats
from stylegram.errors import OptionError


def test_gram_matches_hand_computation():
    # 2 channels, 2x2 positions: f0 = [1, 2, 3, 4], f1 = [0, 1, 0, -1]
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, -1.0]]]])
    expected = torch.tensor([[30.0, -2.0], [-2.0, 2.0]]) / 4
    assert torch.allclose(stats.gram(f)[0], expected)
    # a numpy array (once an AttributeError), integers included, gives the same matrix
    assert torch.allclose(stats.gram(f.numpy().astype("int64"))[0], expected)
    assert torch.allclose(stats.pearson(f.double().numpy()), stats.pearson(f).double())
    with pytest.raises(OptionError, match="a tensor or a numpy array, not a list"):
        stats.gram([[1.0, 2.0]])


def test_gram_is_batched_and_size_independent():
    f = torch.randn(3, 5, 4, 6)
    g = stats.gram(f)
    assert g.shape == (3, 5, 5)
    assert torch.allclose(g[1], stats.gram(f[1:2])[0])
    tiled = f.repeat(1, 1, 2, 2)  # the same statistics over four times the positions
    assert torch.allclose(stats.gram(tiled), g, atol=1e-6)


def test_mean_std_match_hand_computation():
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 5.0], [5.0, 5.0]]]])
    mean, std = stats.mean_std(f)
    assert torch.allclose(mean, torch.tensor([[2.5, 5.0]]))
    assert torch.allclose(std, torch.tensor([[1.25**0.5, 0.0]]), atol=2e-4)


def test_pearson_matches_hand_computation():
    # f1 = 2 * f0 + 1 -> r = 1; f2 = -f0 -> r = -1; f3 constant -> row of zeros
    f0 = torch.tensor([1.0, 2.0, 4.0, 7.0])
    f = torch.stack([f0, 2 * f0 + 1, -f0, torch.full((4,), 3.0)]).reshape(1, 4, 2, 2)
    r = stats.pearson(f)[0]
    expected = torch.tensor(
        [[1.0, 1.0, -1.0, 0.0], [1.0, 1.0, -1.0, 0.0], [-1.0, -1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    )
    assert torch.allclose(r, expected, atol=1e-5)


def test_pearson_of_a_flat_image_is_all_zero():
    """Constant channels whose float32 mean is a little off their value (0.1, 3.3, ...) correlated at ±1 with each
    other when every channel was constant (a flat grey picture): each channel's residue looked like its variation."""
    constant = torch.tensor([0.1, 0.7, 3.3, 12.345]).reshape(1, 4, 1, 1).expand(1, 4, 64, 64).contiguous()
    assert torch.equal(stats.pearson(constant), torch.zeros(1, 4, 4))
    lively = torch.cat([constant, torch.randn(1, 2, 64, 64)], 1)
    r = stats.pearson(lively)[0]
    assert torch.equal(r[:4], torch.zeros(4, 6)) and torch.allclose(r[4:, 4:].diagonal(), torch.ones(2))


def test_pearson_of_a_flat_picture_resized_is_all_zero_deep_in_the_network(vgg):
    """A flat picture resized is flat to float32's rounding, which the layers carry on: a nearly silent channel's
    rounding passed its own size, and rank-layers sorted 'flat' images by it (3 channels of relu3_1, r 0.62)."""
    from stylegram.images import resize_tensor

    flat = torch.tensor([200, 30, 60]).view(1, 3, 1, 1).expand(1, 3, 77, 123) / 255
    resized = resize_tensor(flat.contiguous(), (40, 64))
    assert 0 < float(resized.flatten(2).std(-1).max()) < 1e-6  # not quite flat
    maps = vgg.extract(resized, ["relu3_1", "relu4_1"])
    assert all(torch.equal(stats.pearson(m), torch.zeros_like(stats.pearson(m))) for m in maps.values())
    lively = vgg.extract(torch.rand(1, 3, 40, 64, generator=torch.Generator().manual_seed(0)), ["relu3_1"])["relu3_1"]
    assert int((stats.pearson(lively)[0].diagonal() > 0).sum()) > 200  # a real picture's channels stay


def test_pearson_of_constant_channels_has_a_finite_gradient():
    """sqrt's infinite slope at 0 reached the gradient through a where() that dropped the value: NaN for all."""
    constant = [torch.zeros(1, 1, 8, 8), torch.full((1, 1, 8, 8), 0.5)]  # variances exactly 0
    features = torch.cat([*constant, torch.randn(1, 2, 8, 8)], 1).requires_grad_()
    stats.pearson(features).sum().backward()
    assert torch.isfinite(features.grad).all() and features.grad[:, 2:].abs().sum() > 0


def test_pearson_is_invariant_to_channel_scaling_and_shift():
    f = torch.randn(2, 6, 5, 5)
    scale = torch.rand(1, 6, 1, 1) * 10 + 0.1
    shift = torch.randn(1, 6, 1, 1) * 5
    assert torch.allclose(stats.pearson(f * scale + shift), stats.pearson(f), atol=1e-5)
    assert not torch.allclose(stats.gram(f * scale), stats.gram(f), atol=1e-3)


def test_covariance_against_numpy():
    f = torch.randn(1, 4, 3, 5, dtype=torch.float64)
    expected = torch.from_numpy(__import__("numpy").cov(f.reshape(4, -1).numpy(), bias=True))
    assert torch.allclose(stats.covariance(f)[0], expected)


@pytest.mark.parametrize("fn", [stats.gram, stats.pearson, stats.covariance])
def test_matrices_are_symmetric(fn):
    m = fn(torch.randn(2, 7, 4, 4))
    assert torch.allclose(m, m.transpose(1, 2), atol=1e-6)


def test_gram_backward_is_the_exact_derivative():
    f = torch.randn(2, 5, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(stats.gram, (f,))
    # d/dF of sum(W * G) = (W + W^T) F / M, by hand
    w = torch.randn(2, 5, 5, dtype=torch.float64)
    (stats.gram(f) * w).sum().backward()
    flat = f.detach().reshape(2, 5, 12)
    assert torch.allclose(f.grad.reshape(2, 5, 12), (w + w.transpose(1, 2)) @ flat / 12)


def test_gram_of_a_channels_last_map_is_the_same_and_keeps_its_layout():
    f = torch.randn(2, 5, 3, 4, dtype=torch.float64)
    last = f.contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert not last.is_contiguous()
    assert torch.autograd.gradcheck(stats.gram, (last,))
    assert torch.allclose(stats.gram(last), stats.gram(f))
    w = torch.randn(2, 5, 5, dtype=torch.float64)
    (stats.gram(last) * w).sum().backward()
    flat = f.reshape(2, 5, 12)
    assert torch.allclose(last.grad.reshape(2, 5, 12), (w + w.transpose(1, 2)) @ flat / 12)
    assert last.grad.is_contiguous(memory_format=torch.channels_last)  # no copy into the other layout


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_gram_distance_is_the_relative_error_of_the_gram_and_its_exact_derivative(layout):
    f = torch.randn(2, 5, 3, 4, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_(True)
    target = stats.gram(torch.randn(1, 5, 6, 2, dtype=torch.float64))
    by_hand = (stats.gram(f) - target).pow(2).mean() / target.pow(2).mean()
    assert torch.allclose(stats.gram_distance(f, target), by_hand)
    assert torch.autograd.gradcheck(lambda x: stats.gram_distance(x, target), (f,))
    (grad,) = torch.autograd.grad(stats.gram_distance(f, target), f)
    assert grad.is_contiguous(memory_format=layout)


def test_gram_distance_in_bfloat16_is_close_to_float32_and_answers_in_bfloat16():
    f = torch.randn(1, 16, 12, 10).relu()
    target = stats.gram(torch.randn(1, 16, 8, 8).relu())
    low = f.bfloat16().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    high = f.clone().requires_grad_(True)
    d_low, d_high = stats.gram_distance(low, target), stats.gram_distance(high, target)
    assert d_low.dtype == torch.float32 and abs(float(d_low.detach()) / float(d_high.detach()) - 1) < 0.02
    (g_low,), (g_high,) = torch.autograd.grad(d_low, low), torch.autograd.grad(d_high, high)
    assert g_low.dtype == torch.bfloat16
    assert float((g_low.float() - g_high).norm() / g_high.norm()) < 0.02


def test_gram_distance_to_a_target_that_needs_a_gradient_passes_it_on():
    f = torch.randn(1, 4, 3, 3)
    target = stats.gram(torch.randn(1, 4, 3, 3)).requires_grad_(True)
    stats.gram_distance(f, target).backward()
    assert target.grad is not None and target.grad.abs().sum() > 0


def test_gram_distance_of_one_map_to_a_batch_of_targets_is_their_mean():
    f = torch.randn(1, 4, 3, 3, dtype=torch.float64)
    targets = stats.gram(torch.randn(3, 4, 3, 3, dtype=torch.float64))
    by_hand = (stats.gram(f) - targets).pow(2).mean() / targets.pow(2).mean()
    assert torch.allclose(stats.gram_distance(f, targets), by_hand)


@pytest.mark.parametrize("shape", [(4, 5), (1, 2, 3, 4, 5)])
def test_feature_maps_of_another_rank_are_named(shape):
    from stylegram.errors import OptionError

    with pytest.raises(OptionError, match=r"feature maps are \(N, C, H, W\) or \(C, H, W\)"):
        stats.gram(torch.rand(shape))  # a (4, 5) tensor came back as four 5 x 5 "Gram matrices"
    with pytest.raises(OptionError, match="not a tensor of shape"):
        stats.mean_std(torch.rand(shape))


def test_masked_gram_is_the_second_moment_inside_the_mask():
    f = torch.randn(1, 3, 4, 5)
    mask = torch.zeros(1, 1, 4, 5)
    mask[..., :2, :] = 1.0
    mask[..., 3, 4] = 0.5
    vectors = f[0].reshape(3, -1).T  # (positions, channels)
    weights = mask.reshape(-1)
    hand = sum(w * torch.outer(v, v) for v, w in zip(vectors, weights)) / weights.sum()
    assert torch.allclose(stats.masked_gram(f, mask)[0], hand, atol=1e-6)
    assert torch.allclose(stats.masked_gram(f, torch.ones(1, 1, 4, 5)), stats.gram(f), atol=1e-6)
    with pytest.raises(OptionError, match=r"the mask is \(1, 1, 8, 10\) and the maps 4x5: give a \(1, 1, 4, 5\) mask"):
        stats.masked_gram(f, torch.ones(1, 1, 8, 10))  # the picture's mask, not the map's: a raw RuntimeError


def test_region_gram_distances_equal_each_masked_term_with_their_gradients(monkeypatch):
    """A layer's masked Gram terms computed together (masks.RegionGrams: each region from its own positions, one
    gradient) give each region's relative error of its masked Gram matrix, and the gradient of their weighted sum,
    as separate terms do; overlapping soft masks, both memory layouts, a zero weight, one evaluation reused."""
    from stylegram import masks
    from stylegram.losses import StyleTerm
    from stylegram.statistics import GramStatistic

    torch.manual_seed(0)
    left = torch.zeros(1, 1, 24, 40)
    left[..., :17] = 1
    ramp = torch.linspace(0, 1, 40).expand(1, 1, 24, 40).contiguous()
    regions = [left, 1 - left, ramp]
    targets = [stats.gram(torch.rand(1, 8, 5, 5)) for _ in regions]

    def evaluated(grouped: bool, features: torch.Tensor) -> tuple[list[float], torch.Tensor]:
        monkeypatch.setattr(masks, "GROUPED", grouped)
        f = features.clone().requires_grad_(True)
        terms = masks.style_terms("style", GramStatistic(), [{"x": [t]} for t in targets], regions,
                                  [{"x": 1.0}] * 3, [0.5, 0.0, 0.5], 2.0)
        values = [term({"x": f}) for term, _ in terms.values()]
        sum(w * v for (_, w), v in zip(terms.values(), values)).backward()
        return [float(v.detach()) for v in values], f.grad

    for layout in (torch.contiguous_format, torch.channels_last):
        features = torch.rand(1, 8, 6, 10).contiguous(memory_format=layout)
        (apart, apart_grad), (together, together_grad) = evaluated(False, features), evaluated(True, features)
        assert together == pytest.approx(apart, rel=1e-5) and apart[0] != pytest.approx(apart[1], rel=1e-2)
        assert torch.allclose(together_grad, apart_grad, rtol=1e-4, atol=1e-7)
        small = torch.nn.functional.interpolate(left, size=(6, 10), mode="area")
        hand = stats.composed_relative_mse(stats.masked_gram(features, small), targets[0])
        assert together[0] == pytest.approx(float(hand), rel=1e-5)
    grams = masks.RegionGrams("x")
    first, second = grams.add(targets[0], left), grams.add(targets[1], 1 - left)
    feats = {"x": torch.rand(1, 8, 6, 10)}
    assert first(feats) is not second(feats) and grams.distances(feats) is grams.distances(feats)  # one evaluation
    assert grams.distances({"x": feats["x"].clone()}) is not grams.distances(feats)  # new features: measured anew
    batch = {"x": torch.rand(2, 8, 6, 10)}  # two images: each region as a StyleTerm measures it
    separate = [StyleTerm("x", t, GramStatistic(), m)(batch) for t, m in zip(targets[:2], [left, 1 - left])]
    assert torch.allclose(grams.distances(batch), torch.stack(separate))


def test_masked_style_term_is_the_relative_error_of_the_masked_gram():
    from stylegram.losses import StyleTerm
    from stylegram.statistics import GramStatistic

    f, mask = torch.rand(1, 8, 6, 10), torch.rand(1, 1, 12, 20)
    target = stats.gram(torch.rand(1, 8, 5, 5))
    small = torch.nn.functional.interpolate(mask, size=(6, 10), mode="area")
    hand = stats.composed_relative_mse(stats.masked_gram(f, small), target)
    assert torch.allclose(StyleTerm("x", target, GramStatistic(), mask)({"x": f}), hand, rtol=1e-5)
