"""YIQ conversions and the colour-preservation modes."""

import pytest
import torch

from stylegram.color import (
    combine_luminance,
    gray,
    keep_colors,
    luminance,
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
