"""Where a transfer starts: the content (in the styles' palette where that pays: --init auto), grey, faint noise, an
image, or AdaIN's picture of it (stylegram.feedforward).

Each scale of a coarse-to-fine run starts from the previous one's result (TransferProblem.rescale); this is the first
scale's start. ``Starts`` is part of gatys.TransferProblem and reads what it holds: the options, the content as
optimized (``work_content``: grey in luminance mode), the styles, their palettes (pixels inside their --style-regions),
blend and masks, and the first scale's style targets, from which --init auto judges a recoloured start.
"""

from __future__ import annotations

import functools

import torch

from . import color, optimize, statistics
from .images import load_input
from .labels import colour_name
from .losses import Objective, StyleTerm, normalized

# --init noise: grey with faint white noise, so each --seed starts (and ends) elsewhere. Gatys's strong white noise
# (std 0.2 here once) left astronaut/swirls at 192 px dark (mean 0.24 against 0.37 from grey, 18 % of it near
# black): the spectrum search barely moves the fine noise it encodes, and clamped pixels that overshoot get no
# gradient back, which left coloured speckle in the pixel search.
NOISE_STD = 0.02
# --init auto recolours the start when that removes more than this share of its style loss (docs/transfer.md)
AUTO_RECOLOR_GAIN = 1 / 3


class Starts:
    """The first scale's start image of a gatys.TransferProblem (``initial_image``), by --init."""

    state: optimize.State | None = None  # the run's (gatys.TransferProblem's): its ``start`` says what --init auto
    # chose, once the run has started ('' before), and a checkpoint keeps it for the resumed run

    def initial_image(self, size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
        """The first scale's start at ``size``, by --init (``generator`` draws the noise of --init noise)."""
        init = self.opts.init
        if init in ("content", "recolor", "auto"):
            return self._photo_start(init, size)
        if init == "gray":
            return torch.full((1, 3, *size), 0.5)
        if init == "noise":  # faint: at std 0.2 the result came out dark and speckled (NOISE_STD)
            return (0.5 + NOISE_STD * torch.randn((1, 3, *size), generator=generator)).clamp(0, 1)
        if init == "adain":
            return optimize.resize(self._adain_start(), size)
        return optimize.resize(self._init_image, size)

    @functools.cached_property
    def _init_image(self) -> torch.Tensor:
        """The --init image (grey in luminance mode), read once: it starts every scale, and --init-weight keeps to it.
        A resumed run reads it only for --init-weight (the checkpoint holds where it had got to)."""
        image = load_input(self.opts.init, "--init image")
        return color.gray(image) if self.opts.colors == "luminance" else image

    def _photo_start(self, init: str, size: tuple[int, int]) -> torch.Tensor:
        """The content at ``size``; recoloured for 'recolor', and for 'auto' where ``recolor_pays`` (with
        --style-masks: each region where ``recolor_pays_alone`` for its style)."""
        content = optimize.resize(self.work_content, size)
        if init == "content":
            return content
        if init == "recolor":
            return self._recolored(content, size)
        if self.masks:
            which = [self.recolor_pays_alone(n, content) for n in range(len(self.styles))]
            self._started(self._regions_named([n for n, recolor in enumerate(which) if recolor]))
            return self._recolored(content, size, which)
        recolored = self._recolored(content, size)
        pays = self.recolor_pays(content, recolored)
        self._started("the content in the style's palette" if pays else "the content in its own colours")
        return recolored if pays else content

    def _regions_named(self, paid: list[int]) -> str:
        """What a masked auto start recoloured: 'the content with the regions of styles 1, 2 recoloured', or with
        --labels by label ('the content with its parts labelled blue (#1e3cdc) recoloured'), whose entries are not the
        style images (two style images made 'styles 1, 2, 3')."""
        if not paid:
            return "the content in its own colours"
        split = getattr(self, "labels", None)
        if split is not None:
            names = list(dict.fromkeys(colour_name(split.colours[n]) for n in paid))
            return f"the content with its part{'s' * (len(names) > 1)} labelled {', '.join(names)} recoloured"
        plural = "s" * (len(paid) > 1)
        return f"the content with the region{plural} of style{plural} {', '.join(str(n + 1) for n in paid)} recoloured"

    def _started(self, words: str) -> None:
        """Record what --init auto chose in the run's state: a checkpoint keeps it for the resumed run's line."""
        if self.state is not None:
            self.state.start = words

    def chosen(self) -> str:
        """'--init auto chose the content in the style's palette as the start', once it has chosen (a resumed run:
        as its checkpoint recorded)."""
        said = self.state.start if self.state is not None else ""
        return f"--init auto chose {said} as the start" if said else ""

    def _recolored(self, content: torch.Tensor, size: tuple[int, int], which: list[bool] | None = None) -> torch.Tensor:
        """The content in the styles' palette at ``size``; with --style-masks, each region in its own style's
        (``which``: the styles whose regions are recoloured; the others keep the content's colours)."""
        if not self.masks:
            return optimize.resize(color.match_colors(self.work_content, self.palettes, self.blend), size)
        which = which or [True] * len(self.styles)
        painted, covered = torch.zeros_like(content), torch.zeros_like(content[:, :1])
        for palette, m, recolor in zip(self.palettes, self.masks_at(size), which):
            painted += m * (optimize.resize(color.match_colors(self.work_content, [palette]), size) if recolor else content)
            covered += m
        return (painted + (1 - covered).clamp_min(0) * content) / covered.clamp_min(1)  # uncovered: the content

    @torch.no_grad()
    def recolor_pays(self, content: torch.Tensor, recolored: torch.Tensor) -> bool:
        """--init auto's choice: whether ``recolored`` has less than (1 - AUTO_RECOLOR_GAIN) of ``content``'s style loss.

        Where the palette is a large part of what separates photo and style, starting in the style's colours
        saves the iterations that would repaint them (and lets channels the photo never fires start); where it
        is not, the colour change only costs content distance (BENCHMARKS.md).
        """
        objective = self.terms_at(tuple(content.shape[-2:]))  # the targets the first scale computes anyway
        return _recoloring_pays(objective, content, recolored)

    @torch.no_grad()
    def recolor_pays_alone(self, n: int, content: torch.Tensor) -> bool:
        """--init auto with --style-masks: whether style ``n``'s palette over the whole ``content`` leaves less than
        (1 - AUTO_RECOLOR_GAIN) of its style loss.

        Judged per style on the whole picture, since the masked terms of a recoloured start also count the seams
        between regions: deep layers see both sides of one, features neither style has (red and blue flat styles
        at 96 px: relu5_1's term rose from 1.3 to 10 while every other fell, so auto kept the grey content and
        20 iterations left it grey).
        """
        size = tuple(content.shape[-2:])
        targets = self._targets(size)[1][n]
        parts = statistics.components(self.statistic)
        terms = {f"style.{layer}.{i}": (StyleTerm(layer, targets[layer][i], stat), w * share)
                 for layer, w in normalized(self.style_groups[n]).items() for i, (stat, share) in enumerate(parts)}
        objective = Objective(self.backbone, terms, 0.0, self.precision)
        recolored = optimize.resize(color.match_colors(self.work_content, [self.palettes[n]]), size)
        return _recoloring_pays(objective, content, recolored)

    def _adain_start(self) -> torch.Tensor:
        """The AdaIN stylization at the final size (each style in its mask, with --style-masks, and from its region,
        with --style-regions), in the colour space being optimized."""
        final = self._scales[-1]
        styles = [optimize.resize(s, self.style_size(s, final)) for s in self.styles]
        regions = [optimize.resize(r, tuple(s.shape[-2:])) for r, s in zip(self.regions, styles)] if self.regions else None
        from .gatys import feed_forward_model  # (gatys imports this module)

        out = feed_forward_model().stylize(
            optimize.resize(self.work_content, final), styles, method="adain", alpha=self.opts.alpha,
            blend=self.blend if len(styles) > 1 else None,  # one style's [1.0] read as a --style-blend given to it
            precision=self.opts.precision, masks=self.masks_at(final) if self.masks else None, regions=regions,
        )
        return color.gray(out) if self.opts.colors == "luminance" else out


def _style_loss(objective: Objective, image: torch.Tensor) -> float:
    """The sum of the objective's style terms on ``image``."""
    return sum(float(value) for name, value in objective(image).items() if name.startswith("style."))


def _recoloring_pays(objective: Objective, content: torch.Tensor, recolored: torch.Tensor) -> bool:
    """Whether ``recolored`` has less than (1 - AUTO_RECOLOR_GAIN) of ``content``'s style loss."""
    return _style_loss(objective, recolored) < (1 - AUTO_RECOLOR_GAIN) * _style_loss(objective, content)
