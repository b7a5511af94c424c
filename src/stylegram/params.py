"""Image parameterizations: what the optimization loop actually changes, and how it becomes an image.

A parameterization holds leaf tensors (``params()``, handed to the optimizer) and turns them into an image
(``image()``, (1, 3, H, W) in [0, 1], the very image the loss is evaluated on). It is built from an image
(``from_image``), so the loop can move between scales (octaves) through images, whatever the kind.

- ``Pixels``: the pixels themselves, projected onto [0, 1] before every evaluation (the loop's default).
- ``Fourier``: the image's 2-D spectrum in a decorrelated colour space, the parameterization of the
  feature-visualization literature (Olah et al. 2017, "Feature Visualization"; lucid/lucent). Each
  frequency's coefficient is multiplied by 1/f^decay, so a gradient step changes coarse structure as
  easily as fine detail instead of mostly adding high-frequency noise; the colour channels are mixed by the
  square root of ImageNet's colour covariance, so a step moves along the directions in which natural images
  vary. A sigmoid (or a clamp) keeps the image in [0, 1].

A problem picks its parameterization with a ``parameterize(image, saved)`` method (``pixels`` is the
default). ``saved`` holds the raw parameters of a checkpoint (``Parameterization.saved()``): a resumed run
continues from exactly those numbers, not from an image re-encoded into them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch

from .errors import OptionError, check_choice, check_number

SQUASHES = ("sigmoid", "clamp")

# Square root of the 3x3 colour covariance of ImageNet pixels (RGB), from its eigen-decomposition; the
# columns are the decorrelated colour directions scaled by the square roots of their variances.
COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
# Scaled so the largest column has unit norm: one unit in the decorrelated space is at most one unit of RGB.
COLOR = COLOR_SQRT / COLOR_SQRT.norm(dim=0).max()
EPS = 1e-3  # how close to 0 and 1 a pixel may be when it is encoded through the sigmoid


class Parameterization(Protocol):
    """What the loop needs from a parameterization."""

    def params(self) -> list[torch.Tensor]:
        """The leaf tensors the optimizer changes."""

    def image(self) -> torch.Tensor:
        """The image (1, 3, H, W) in [0, 1] that the loss sees; differentiable in the params."""

    def carry(self) -> torch.Tensor:
        """The detached image the loop keeps: handed to the next scale, shown, returned (clamped to [0, 1]).

        A new tensor at every call, which later steps of the optimizer do not change."""

    def saved(self) -> list[torch.Tensor] | None:
        """What a checkpoint needs beyond ``carry()`` to resume exactly; None when ``carry()`` is enough."""


Parameterize = Callable[[torch.Tensor, "list[torch.Tensor] | None"], Parameterization]


class Pixels:
    """The pixels themselves, put back into [0, 1] before every evaluation.

    Only clamped in the loss, a value a step pushed past 0 or 1 got no gradient back and stayed there: 31 % of a
    192 px mosaic texture had a channel stuck at 0 or 255, seen as coloured grain in its flat cells (6 % now,
    the lead lines and the darkest glass). The projected point is what the optimizer then reads as its position.
    """

    def __init__(self, image: torch.Tensor):
        self.pixels = image.detach().clone().requires_grad_(True)

    @classmethod
    def from_image(cls, image: torch.Tensor) -> Pixels:
        return cls(image)

    def params(self) -> list[torch.Tensor]:
        return [self.pixels]

    def image(self) -> torch.Tensor:
        with torch.no_grad():  # projected onto [0, 1] before each evaluation (see the class docstring)
            self.pixels.clamp_(0, 1)
        return self.pixels.clamp(0, 1)  # a new tensor; the gradient passes at 0 and 1 too

    def carry(self) -> torch.Tensor:
        # The values as the optimizer left them, so a resumed or rescaled run continues from exactly what it had.
        return self.pixels.detach().clone()

    def saved(self) -> None:
        return None


def pixels(image: torch.Tensor, saved: list[torch.Tensor] | None = None) -> Pixels:
    """The loop's default parameterization (``saved`` is never needed: the carried image is the pixels)."""
    return Pixels(image)


def spectrum_scale(size: tuple[int, int], decay: float = 1.0) -> torch.Tensor:
    """1 / max(f, 1/max(H, W))^decay per rfft2 coefficient (f in cycles per pixel), unit root-mean-square.

    The normalization makes one unit of a coefficient mean the same at every image size, so one learning
    rate serves every octave.
    """
    h, w = size
    fy = torch.fft.fftfreq(h).view(-1, 1)
    fx = torch.fft.rfftfreq(w).view(1, -1)
    f = (fy.pow(2) + fx.pow(2)).sqrt().clamp_min(1.0 / max(h, w))
    scale = f.pow(-decay)
    return scale / scale.pow(2).mean().sqrt()


class Fourier:
    """A decorrelated-colour, 1/f-scaled spectrum: image = squash(COLOR @ irfft2(scale * spectrum))."""

    def __init__(self, spectrum: torch.Tensor, size: tuple[int, int], decay: float = 1.0, squash: str = "sigmoid"):
        check_choice("squash", squash, SQUASHES)
        h, w = size
        if spectrum.shape[-3:] != (h, w // 2 + 1, 2):
            raise OptionError(f"a spectrum of shape {tuple(spectrum.shape)} does not fit an image of {w}x{h} px")
        self.size, self.decay, self.squash = (h, w), decay, squash
        self.scale = spectrum_scale(self.size, decay).unsqueeze(-1)  # (H, W//2+1, 1) over (re, im)
        self.spectrum = spectrum.detach().clone().requires_grad_(True)

    @classmethod
    def from_image(cls, image: torch.Tensor, decay: float = 1.0, squash: str = "sigmoid") -> Fourier:
        """The spectrum whose image is ``image`` (for the sigmoid, pixels within 1e-3 of 0 or 1 move that close)."""
        size = tuple(image.shape[-2:])
        image = image.detach().float()
        t = torch.logit(image.clamp(EPS, 1 - EPS)) if squash == "sigmoid" else image - 0.5
        x = torch.einsum("oc,nchw->nohw", torch.linalg.inv(COLOR), t)
        spectrum = torch.view_as_real(torch.fft.rfft2(x, norm="ortho")) / spectrum_scale(size, decay).unsqueeze(-1)
        return cls(spectrum, size, decay, squash)

    def params(self) -> list[torch.Tensor]:
        return [self.spectrum]

    def image(self) -> torch.Tensor:
        x = torch.fft.irfft2(torch.view_as_complex(self.spectrum * self.scale), s=self.size, norm="ortho")
        t = torch.einsum("oc,nchw->nohw", COLOR, x)
        return torch.sigmoid(t) if self.squash == "sigmoid" else (t + 0.5).clamp(0, 1)

    def carry(self) -> torch.Tensor:
        with torch.no_grad():
            return self.image()

    def saved(self) -> list[torch.Tensor]:
        return [self.spectrum.detach().clone()]


MAX_DECAY = 10.0  # the largest spectrum decay that still gives finite steps (1/f^20 made the first loss NaN)


def check_decay(decay: float) -> None:
    """Refuse a --decay that is negative, not a number, or so steep that the first step is NaN."""
    check_number("--decay", decay)
    if decay > MAX_DECAY:
        raise OptionError(f"--decay must be at most {MAX_DECAY:g} (the default is 1; 1.5 already favours coarse "
                          f"structure strongly), got {decay}")


def fourier(decay: float = 1.0, squash: str = "sigmoid") -> Parameterize:
    """A ``parameterize(image, saved)`` function for Fourier parameterizations with these settings."""
    check_choice("squash", squash, SQUASHES)
    check_decay(decay)

    def parameterize(image: torch.Tensor, saved: list[torch.Tensor] | None = None) -> Fourier:
        if saved is not None:
            return Fourier(saved[0], tuple(image.shape[-2:]), decay, squash)
        return Fourier.from_image(image, decay, squash)

    return parameterize
