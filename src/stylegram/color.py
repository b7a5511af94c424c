"""Colour handling shared by every method: NTSC YIQ, luminance, and the colour-preservation modes.

All functions take (N, 3, H, W) RGB tensors in [0, 1]. The colour-preservation modes of Gatys et al.
2016 ("Preserving color in neural artistic style transfer") are built from these: 'match' moves each style
image's colours to the content's palette before transfer (the paper's colour histogram matching, a linear
transform of mean and covariance: ``match_colors``); 'original' keeps the content's chroma after transfer
(``keep_colors``); 'luminance' transfers on grey images whose style luminance is matched to the content's
(``gray``, ``match_luminance``) and puts the content's chroma back (``combine_luminance``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import stats

MODES = ("style", "match", "original", "luminance")  # --colors
# Names the classic tools and the paper give these modes (neural-style's -original_colors, "preserve color"): --colors
# preserve was offered the list alone
KNOWN_AS = {**dict.fromkeys(("preserve", "preserved", "keep", "content", "original-colors", "original_colors"),
                            "original (or luminance, which also keeps the content's colours)"),
            **dict.fromkeys(("luma", "yiq", "yuv", "luminance-only"), "luminance"),
            **dict.fromkeys(("histogram", "palette", "color-histogram"), "match")}

# Rows: Y, I, Q (the FCC NTSC matrix). The inverse is computed, not rounded by hand, so the round
# trip is exact to float precision.
_RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ],
    dtype=torch.float64,
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _apply(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-pixel 3x3 colour transform: y[n, o] = sum_c M[o, c] x[n, c]."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"expected an (N, 3, H, W) tensor, got shape {tuple(x.shape)}")
    return torch.einsum("oc,nchw->nohw", matrix.to(x.device, x.dtype), x)


def rgb_to_yiq(x: torch.Tensor) -> torch.Tensor:
    """NTSC YIQ of RGB: [Y, I, Q] = M [R, G, B], Y = 0.299 R + 0.587 G + 0.114 B."""
    return _apply(_RGB_TO_YIQ, x)


def yiq_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """RGB of NTSC YIQ: [R, G, B] = M^-1 [Y, I, Q] (the exact inverse of rgb_to_yiq; not clamped)."""
    return _apply(_YIQ_TO_RGB, x)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """The Y channel, (N, 1, H, W): Y = 0.299 R + 0.587 G + 0.114 B."""
    return rgb_to_yiq(x)[:, :1]


def gray(x: torch.Tensor) -> torch.Tensor:
    """The 3-channel grey image of x's luminance: R = G = B = Y (its own Y is Y again, its I = Q = 0)."""
    return luminance(x).expand(-1, 3, -1, -1).contiguous()


def _resized(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """x resized to (H, W) with antialiased bilinear interpolation; unchanged when already that size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def combine_luminance(y_source: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """RGB with Y = luminance(y_source) and I, Q of content (resized to y_source's size), clamped to [0, 1]."""
    chroma = rgb_to_yiq(_resized(content, tuple(y_source.shape[-2:])))[:, 1:]
    return yiq_to_rgb(torch.cat([luminance(y_source), chroma], dim=1)).clamp(0, 1)


def keep_colors(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The 'original' colours mode: Y of stylized, I and Q of content, clamped to [0, 1]."""
    return combine_luminance(stylized, content)


def _mean_cov(x: torch.Tensor, region: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (3,) and population covariance (3, 3) of the RGB values of all pixels of an (N, 3, H, W) image, or of
    one image's pixels weighted by ``region`` ((1, 1, H, W) in [0, 1] at any size of its aspect)."""
    if region is None:
        return _moments(x.transpose(0, 1).reshape(3, -1))  # every pixel of the batch as one image
    weights = F.interpolate(region.double(), size=tuple(x.shape[-2:]), mode="area")
    mean, _ = stats.mean_std(x.double(), weights)
    return mean[0], stats.covariance(x.double(), weights)[0]


MOMENT_CHUNK = 1 << 20  # pixels summed in float64 at a time: a 12-megapixel style image was copied whole (288 MB)


def _moments(pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (3,) and population covariance (3, 3) of (3, P) values, summed in float64 a chunk at a time."""
    total, outer = torch.zeros(3, dtype=torch.float64), torch.zeros(3, 3, dtype=torch.float64)
    for start in range(0, pixels.shape[1], MOMENT_CHUNK):
        part = pixels[:, start:start + MOMENT_CHUNK].double()
        total += part.sum(1)
        outer += part @ part.T
    mean = total / pixels.shape[1]
    return mean, outer / pixels.shape[1] - torch.outer(mean, mean)


def _power(cov: torch.Tensor, power: float, floor: float) -> torch.Tensor:
    """cov^power of a symmetric 3x3 covariance, eigenvalues floored at ``floor`` first."""
    values, vectors = torch.linalg.eigh(cov)
    return vectors @ torch.diag(values.clamp_min(floor).pow(power)) @ vectors.T


def match_colors(
    image: torch.Tensor, references: list[torch.Tensor], weights: list[float] | None = None, floor: float = 1e-4, *,
    region: torch.Tensor | None = None, reference_regions: list | None = None,
) -> torch.Tensor:
    """The image's colours moved to the references' palette: x' = C_r^1/2 C_x^-1/2 (x - m_x) + m_r, clamped.

    m and C are the RGB mean and covariance over all pixels; several references are pooled as one mixture with
    ``weights`` (default equal). A linear colour transfer: the layout and the shading stay, the palette becomes
    the references' (the whitening-colouring transform that ``feedforward.wct`` applies to features, here on
    RGB and with a blend of references). Covariance eigenvalues are floored at ``floor`` (a spread of 0.01), so
    a nearly grey image does not have its noise blown up into colours. With ``region`` (``reference_regions``, one
    per reference or None), the moments of the image's (each reference's) pixels weighted by it; the whole image is
    moved by the transform they give.
    """
    weights = weights or [1.0 / len(references)] * len(references)
    moments = [_mean_cov(r, w) for r, w in zip(references, reference_regions or [None] * len(references))]
    mean = sum(w * m for w, (m, _) in zip(weights, moments))
    second = sum(w * (c + torch.outer(m, m)) for w, (m, c) in zip(weights, moments))  # E[x x^T] of the mixture
    cov = second - torch.outer(mean, mean)
    own_mean, own_cov = _mean_cov(image, region)
    transform = _power(cov, 0.5, floor) @ _power(own_cov, -0.5, floor)
    centred = image.double() - own_mean.view(1, 3, 1, 1)
    out = torch.einsum("oc,nchw->nohw", transform, centred) + mean.view(1, 3, 1, 1)
    return out.to(image.dtype).clamp(0, 1)


def match_palettes(styles: list[torch.Tensor], content: torch.Tensor, regions: list | None = None,
                   masks: list | None = None) -> list[torch.Tensor]:
    """--colors match: each style moved to the content's palette (``match_colors``); with --style-regions and
    --style-masks, the lent part of the style to the part of the content it paints (a painting's sky to the photo's)."""
    regions, masks = regions or [None] * len(styles), masks or [None] * len(styles)
    return [match_colors(s, [content], region=r, reference_regions=[m]) for s, r, m in zip(styles, regions, masks)]


def match_luminance(style: torch.Tensor, content: torch.Tensor, eps: float = 1e-8, *,
                    style_region: torch.Tensor | None = None,
                    content_region: torch.Tensor | None = None) -> torch.Tensor:
    """Grey style for luminance-only transfer: Y' = (Y_s - mean_s) * std_c / std_s + mean_c, clamped.

    Means and (population) standard deviations are taken per image over all pixels of the luminance, or, where
    a region (1, 1, H, W) in [0, 1] at any size of the image's aspect is given, over the pixels it weighs: with
    --style-regions the part of the style that is lent, with --style-masks the part of the content it paints.
    The result is 3-channel grey (R = G = B = Y').
    """
    y_style, y_content = luminance(style), luminance(content)
    mean_s, std_s = _weighted_mean_std(y_style, style_region)
    mean_c, std_c = _weighted_mean_std(y_content, content_region)
    matched = (y_style - mean_s) * (std_c / (std_s + eps)) + mean_c
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def match_luminances(styles: list[torch.Tensor], content: torch.Tensor, regions: list | None = None,
                     masks: list | None = None) -> list[torch.Tensor]:
    """``match_luminance`` for each style: over its region of the style image (--style-regions) and matched to
    the part of the content its mask paints (--style-masks), where they are given."""
    regions, masks = regions or [None] * len(styles), masks or [None] * len(styles)
    return [match_luminance(s, content, style_region=r, content_region=m) for s, r, m in zip(styles, regions, masks)]


def _weighted_mean_std(y: torch.Tensor, region: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, the mean and population standard deviation of the luminance (N, 1, H, W), weighted by region."""
    if region is None:
        return y.mean((1, 2, 3), keepdim=True), y.std((1, 2, 3), correction=0, keepdim=True)
    mean, std = stats.mean_std(y, F.interpolate(region.to(y.dtype), size=tuple(y.shape[-2:]), mode="area"))
    return mean.view(-1, 1, 1, 1), std.view(-1, 1, 1, 1)
