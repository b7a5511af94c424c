"""YIQ conversions and the colour-preservation modes."""

import pytest
import torch

from stylegram import color
from stylegram.color import (
    combine_luminance,
    gray,
    keep_colors,
    luminance,
    match_colors,
    match_luminance,
    rgb_to_yiq,
    yiq_to_rgb,
)


def rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def test_yiq_round_trip():
    x = rand(2, 3, 9, 7)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-6)
    assert torch.allclose(rgb_to_yiq(yiq_to_rgb(x)), x, atol=1e-6)


def test_luminance_is_the_y_row():
    x = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    assert luminance(x).shape == (1, 1, 1, 1)
    assert luminance(x).item() == pytest.approx(0.299)
    white = torch.ones(1, 3, 2, 2)
    assert torch.allclose(rgb_to_yiq(white), torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2), atol=1e-6)


def test_gray_has_no_chroma_and_same_luminance():
    x = rand(1, 3, 5, 5)
    g = gray(x)
    assert g.shape == x.shape
    assert torch.allclose(rgb_to_yiq(g)[:, 1:], torch.zeros(1, 2, 5, 5), atol=1e-6)
    assert torch.allclose(luminance(g), luminance(x), atol=1e-6)


def test_keep_colors_takes_y_of_stylized_and_chroma_of_content():
    # Mid-range images, so no pixel needs clamping.
    stylized = 0.3 + 0.4 * rand(1, 3, 8, 8, seed=1)
    content = 0.4 + 0.2 * rand(1, 3, 8, 8, seed=2)
    out = rgb_to_yiq(keep_colors(stylized, content))
    assert torch.allclose(out[:, :1], luminance(stylized), atol=1e-5)
    assert torch.allclose(out[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-2)


def test_keep_colors_resizes_content_and_clamps():
    stylized = rand(1, 3, 16, 12, seed=3)
    content = rand(1, 3, 32, 24, seed=4)
    out = keep_colors(stylized, content)
    assert out.shape == stylized.shape
    assert out.min() >= 0 and out.max() <= 1


def test_keep_colors_of_grey_content_is_grey():
    stylized = rand(1, 3, 8, 8, seed=5)
    content = gray(rand(1, 3, 8, 8, seed=6))
    out = keep_colors(stylized, content)
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-5)
    assert torch.allclose(out[:, 1], out[:, 2], atol=1e-5)


def test_match_luminance_hand_checked():
    # Style luminance [0.2, 0.4] (mean 0.3, std 0.1); content luminance [0.5, 0.5, 0.7, 0.7] (mean 0.6,
    # std 0.1 too) -> the style maps to 0.6 + (y - 0.3) = [0.5, 0.7].
    style = torch.tensor([0.2, 0.4]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
    content = torch.tensor([0.5, 0.5, 0.7, 0.7]).view(1, 1, 2, 2).expand(1, 3, 2, 2)
    out = match_luminance(style, content)
    assert out.shape == style.shape
    assert torch.allclose(out, torch.tensor([0.5, 0.7]).view(1, 1, 1, 2).expand(1, 3, 1, 2), atol=1e-6)
    # Content [0.1, 0.9] (mean 0.5, std 0.4): the style's deviations of +-0.1 scale by 4.
    content = torch.tensor([0.1, 0.9]).view(1, 1, 1, 2).expand(1, 3, 1, 2)
    assert torch.allclose(match_luminance(style, content)[0, 0, 0], torch.tensor([0.1, 0.9]), atol=1e-6)


def test_match_luminance_over_regions_hand_checked():
    # The style's region is its first two pixels [0.2, 0.4] (mean 0.3, std 0.1), the content's its last two
    # [0.5, 0.7] (mean 0.6, std 0.1): y -> y + 0.3, so [0.2, 0.4, 1.0, 1.0] -> [0.5, 0.7, 1 (clamped), 1].
    style = torch.tensor([0.2, 0.4, 1.0, 1.0]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    content = torch.tensor([0.1, 0.1, 0.5, 0.7]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    first, last = torch.tensor([1.0, 1, 0, 0]).view(1, 1, 1, 4), torch.tensor([0.0, 0, 1, 1]).view(1, 1, 1, 4)
    out = match_luminance(style, content, style_region=first, content_region=last)
    assert torch.allclose(out[0, 0, 0], torch.tensor([0.5, 0.7, 1.0, 1.0]), atol=1e-6)
    # without the regions the whole images' statistics give another answer
    assert not torch.allclose(match_luminance(style, content)[0, 0, 0], out[0, 0, 0], atol=0.05)
    # a region at twice the size of its image is averaged down to it
    wide = first.repeat_interleave(2, -1).repeat_interleave(2, -2)
    assert torch.allclose(match_luminance(style, content, style_region=wide, content_region=last), out, atol=1e-6)


def test_match_luminance_matches_mean_and_std():
    style = rand(1, 3, 16, 16, seed=7)
    content = 0.45 + 0.1 * rand(1, 3, 12, 20, seed=8)
    y = luminance(match_luminance(style, content))
    yc = luminance(content)
    assert y.mean().item() == pytest.approx(yc.mean().item(), abs=1e-5)
    assert y.std(correction=0).item() == pytest.approx(yc.std(correction=0).item(), rel=1e-4)


def test_combine_luminance():
    source = gray(0.3 + 0.4 * rand(1, 3, 8, 8, seed=9))
    content = 0.4 + 0.2 * rand(1, 3, 8, 8, seed=10)
    out = rgb_to_yiq(combine_luminance(source, content))
    assert torch.allclose(out[:, :1], luminance(source), atol=1e-5)
    assert torch.allclose(out[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-2)


def _mean_and_cov(x):
    pixels = x.double().transpose(0, 1).reshape(3, -1)
    return pixels.mean(1), torch.cov(pixels, correction=0)


def test_match_colors_takes_the_references_mean_and_covariance():
    image = 0.4 + 0.1 * rand(1, 3, 40, 50, seed=1)  # mid-range, so nothing is clamped
    image[:, 0] += 0.05 * image[:, 1]  # correlated channels
    style = torch.stack([0.3 + 0.2 * rand(30, 30, seed=2), 0.6 + 0.05 * rand(30, 30, seed=3), 0.5 + 0.1 * rand(30, 30, seed=4)]).unsqueeze(0)
    out = match_colors(image, [style])
    mean, cov = _mean_and_cov(out)
    want_mean, want_cov = _mean_and_cov(style)
    assert torch.allclose(mean, want_mean, atol=1e-5)
    assert torch.allclose(cov, want_cov, atol=1e-5)
    # the layout stays: each output channel is an affine map of the input's colours, so luminance correlates
    corr = torch.corrcoef(torch.stack([luminance(image).flatten(), luminance(out).flatten()]))[0, 1]
    assert corr > 0.5


def test_match_colors_pools_several_references_as_a_mixture():
    image = 0.3 + 0.4 * rand(1, 3, 20, 20, seed=5)
    red = torch.tensor([0.7, 0.3, 0.3]).view(1, 3, 1, 1) + 0.05 * rand(1, 3, 16, 16, seed=6)
    blue = torch.tensor([0.3, 0.3, 0.7]).view(1, 3, 1, 1) + 0.05 * rand(1, 3, 16, 16, seed=7)
    mean, _ = _mean_and_cov(match_colors(image, [red, blue], [0.75, 0.25]))
    want = 0.75 * _mean_and_cov(red)[0] + 0.25 * _mean_and_cov(blue)[0]
    assert torch.allclose(mean, want, atol=1e-3)


def test_match_colors_of_a_grey_image_stays_finite_and_in_range():
    grey = gray(rand(1, 3, 16, 16, seed=8))
    out = match_colors(grey, [rand(1, 3, 16, 16, seed=9)])
    assert torch.isfinite(out).all() and 0 <= out.min() and out.max() <= 1


def test_match_colors_of_a_region_takes_the_moments_of_the_region_of_the_reference():
    image = torch.stack([0.3 + 0.2 * rand(40, 40, seed=5), 0.5 + 0.1 * rand(40, 40, seed=6),
                         0.4 + 0.15 * rand(40, 40, seed=7)]).unsqueeze(0)
    reference = 0.5 + 0.1 * rand(1, 3, 30, 60, seed=8)
    reference[..., :15, :] = reference[..., :15, :] * 0.5 + torch.tensor([0.4, 0.1, 0.0]).view(1, 3, 1, 1)  # a red top
    left, top = torch.zeros(1, 1, 40, 40), torch.zeros(1, 1, 30, 60)
    left[..., :20], top[..., :15, :] = 1, 1
    out = match_colors(image, [reference], region=left, reference_regions=[top])
    mean, cov = _mean_and_cov(out[..., :20])  # the image's left half now has the reference top's moments
    want_mean, want_cov = _mean_and_cov(reference[..., :15, :])
    assert torch.allclose(mean, want_mean, atol=1e-4) and torch.allclose(cov, want_cov, atol=1e-4)


def test_palette_moments_are_summed_a_chunk_at_a_time_and_equal_the_whole(monkeypatch):
    """A 12-megapixel style image was copied whole in float64 for its colour moments (+560 MB at --size 128)."""
    x = torch.rand(2, 3, 30, 41)
    pixels = x.double().transpose(0, 1).reshape(3, -1)
    centred = pixels - pixels.mean(1, keepdim=True)
    monkeypatch.setattr(color, "MOMENT_CHUNK", 100)  # 2,460 pixels in 25 chunks, the last one short
    mean, cov = color._mean_cov(x)
    assert torch.allclose(mean, pixels.mean(1), atol=1e-12)
    assert torch.allclose(cov, centred @ centred.T / pixels.shape[1], atol=1e-12)
