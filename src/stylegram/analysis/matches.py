"""Where each patch of a picture comes from in a style image: the pairing the mrf loss (stylegram.mrf) makes.

Every position of the style's map gets its own colour; the picture's map is painted, patch by patch, with the colour
of the style patch it is paired with. Areas of smoothly changing colour are pieces of the style copied whole;
confetti means every patch was found somewhere else, and a flat area one style patch repeated. Three numbers sum it
up: the coherence (the share of neighbouring patches whose matches are neighbours in the style too), the repetition
(the share paired with the very same patch) and the share of the style's patches that are used at all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import mrf
from ..backbones import Backbone
from .equal import by_value


@dataclass
class Matches:
    """The pairing of one picture's patches with a style's at one layer."""

    __eq__ = by_value  # arrays and tensors compared by value

    positions: torch.Tensor  # (rows, cols, 2): the style patch (row, column) each picture patch is paired with
    style_grid: tuple[int, int]  # how many patch positions the style's map has, (rows, cols)
    layer: str
    patch: int
    inside: torch.Tensor | None = None  # (rows, cols) bool: the picture's patches counted (where its style paints)

    @property
    def coherence(self) -> float:
        """The share of neighbouring patches whose matches are neighbours the same way in the style."""
        return mrf.coherence(self.positions, self.inside)

    @property
    def repetition(self) -> float:
        """The share of neighbouring patches paired with the very same style patch."""
        return mrf.repetition(self.positions, self.inside)

    @property
    def used(self) -> float:
        """The share of the style's patches that some patch of the picture (inside, if set) is paired with."""
        index = self.positions[..., 0] * self.style_grid[1] + self.positions[..., 1]
        return (index if self.inside is None else index[self.inside]).unique().numel() / (
            self.style_grid[0] * self.style_grid[1])

    def within(self, mask: torch.Tensor | None) -> Matches:
        """These matches counted only where ``mask`` (1, 1, H, W, any size of the picture's aspect) is at least half
        white: where a style placed by --style-masks or --labels paints (None: everywhere, as they are)."""
        if mask is None:
            return self
        inside = patches_inside(mask, tuple(self.positions.shape[:2]), self.patch)
        return dataclasses.replace(self, inside=inside)


def style_at(style: torch.Tensor, size: tuple[int, int], style_scale: float = 1.0) -> torch.Tensor:
    """The style beside a picture of ``size`` (H, W) at ``style_scale``, as a transfer with that --style-scale used it
    (optimize.style_side)."""
    from ..optimize import fit_long_side, resize, style_side

    return resize(style, fit_long_side(tuple(style.shape[-2:]), style_side(size, style_scale)))


def find_matches(image: torch.Tensor, style: torch.Tensor, layer: str, backbone: Backbone, patch: int = 3,
                 names: tuple[str, str] = ("the picture", "the style")) -> Matches:
    """Pair every patch of ``image``'s map at ``layer`` with the style's patch of highest normalized correlation;
    ``names`` name the two in the error for a map smaller than a patch."""
    with torch.no_grad():
        feats = backbone.extract(image, [layer])[layer].float()
        style_feats = backbone.extract(style, [layer])[layer].float()
    return matches_of(feats, style_feats, layer, patch, names)


def matches_of(feats: torch.Tensor, style_feats: torch.Tensor, layer: str, patch: int = 3,
               names: tuple[str, str] = ("the picture", "the style")) -> Matches:
    """``find_matches`` on maps already made: (1, C, h, w) of the picture and of the style at ``layer``."""
    positions = mrf.match_positions(feats, style_feats, patch, names)
    grid = (style_feats.shape[-2] - patch + 1, style_feats.shape[-1] - patch + 1)
    return Matches(positions, grid, layer, patch)


def panels(image: torch.Tensor, style: torch.Tensor, matches: Matches) -> list[torch.Tensor]:
    """The style with its positions' colours over it, the picture, and the picture painted with the colours of its
    matches (white outside ``matches.inside``), each (1, 3, H, W) at its image's size."""
    colours = mrf.position_colours(*matches.style_grid).unsqueeze(0)
    coded = 0.5 * style + 0.5 * laid_out(colours, matches.patch, tuple(style.shape[-2:]))
    rows, cols = matches.positions[..., 0], matches.positions[..., 1]
    painted = colours[0][:, rows, cols].unsqueeze(0)
    if matches.inside is not None:
        painted = torch.where(matches.inside, painted, torch.ones_like(painted))
    return [coded, image, laid_out(painted, matches.patch, tuple(image.shape[-2:]))]


def patches_inside(mask: torch.Tensor, grid: tuple[int, int], patch: int) -> torch.Tensor:
    """Which of a map's patch positions (``grid``: rows, cols of patch centres) lie where ``mask`` is at least half
    white: the mask averaged down to the map, less the border no patch is centred on."""
    half = patch // 2
    on_map = F.interpolate(mask, size=(grid[0] + 2 * half, grid[1] + 2 * half), mode="area")[0, 0]
    return on_map[half:half + grid[0], half:half + grid[1]] >= 0.5


def laid_out(grid: torch.Tensor, patch: int, size: tuple[int, int]) -> torch.Tensor:
    """A colour per patch position, (1, 3, rows, cols), over an image of ``size`` (H, W): each at its patch's centre
    (the map's border, which no patch is centred on, takes the nearest), enlarged without blending."""
    half = patch // 2
    return F.interpolate(F.pad(grid, (half, half, half, half), mode="replicate"), size=size, mode="nearest")
