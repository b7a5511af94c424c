"""Why a style transfer or a texture looks as it does: a result measured against what made it, as one HTML page.

Gatys et al.'s style transfer asks of its result two things at once: the style's Gram matrices at the style layers
(with several styles, their blend, as the loss's target) and the content's feature maps at the content layer; their
texture synthesis asks only the first, of its examples. The page shows how far each was met. For every style layer,
the Gram matrices of the start (the content, or for a texture the noise it grows from), the result and the target
side by side (channels in the order of the target's clusters), and how far the result's moved from the start's
towards the target: 1 − ‖G(result) − G(target)‖ / ‖G(start) − G(target)‖ (100 %: the target's statistics exactly;
0 %: no nearer than the start). At the content layer, how closely the result's feature maps follow the content's
(Pearson r per channel, over positions), beside the styles' own maps (resized to the content's shape) as the chance
level. And where the result's patches come from in each style or example (stylegram.analysis.matches): a statistic
matched leaves their places scattered, a copy keeps them together.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import gatys, stats, synthesis
from ..backbones import Backbone, with_padding
from ..errors import OptionError, did_you_mean, warn
from ..images import STRAIGHT, ImageLike
from ..losses import blend_of_layer, blend_weights, layer_groups
from .equal import by_value
from .matches import Matches, matches_of, style_at
from .placed import Part, painted_by, parts_of, placed_layers

STYLE_LAYERS = tuple(gatys.STYLE_LAYERS.split(","))  # Gatys et al.'s, as a transfer's default
TEXTURE_LAYERS = tuple(synthesis.LAYERS.split(","))  # as texture synthesis's default
CONTENT_LAYER = "relu4_2"
MATCH_LAYER = "relu3_1"
ASPECT_TOLERANCE = 0.03  # a result's aspect may differ this much from its content's (rounded sides, an odd row cut)
UNRELATED = 0.1  # a result whose content r is within this of chance's was most likely made from another content
# a texture whose patches pair with their neighbours' neighbours this often is pieces of its example copied whole: a
# crop measures 1.00, textures grown anew 0.2-0.5 (a crop of the example read '85% of the way' and nothing else)
COPIED = 0.8
NOISE_SEED = 0  # of the noise a texture's result is measured from
PLACING = ("style_masks", "style_regions", "labels")  # options that place a transfer's styles in parts


@dataclass
class StyleLayer:
    """One style layer's Gram matrices (C x C) of the start, the result and the target, and their distances."""

    __eq__ = by_value  # arrays and tensors compared by value

    layer: str
    start: torch.Tensor  # the content's (a transfer) or the starting noise's (a texture)
    result: torch.Tensor
    target: torch.Tensor  # the style's, or the blend of the styles' that have this layer (the loss's target)
    part: str | None = None  # where a placed style paints (stylegram.analysis.placed): the matrices are over it

    @property
    def before(self) -> float:
        """‖G(start) − G(target)‖: how far the start's statistics are from the target's."""
        return float(torch.linalg.matrix_norm(self.start - self.target))

    @property
    def after(self) -> float:
        """‖G(result) − G(target)‖."""
        return float(torch.linalg.matrix_norm(self.result - self.target))

    @property
    def moved(self) -> float:
        """The share of the way from the start's Gram matrix to the target's that the result's has gone."""
        return 1.0 - self.after / self.before if self.before > 0 else 1.0


def prepared(content: torch.Tensor, styles: torch.Tensor | Sequence[torch.Tensor], result: torch.Tensor,
             size: int | None = None, style_scale: float = 1.0
             ) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
    """The images as the analysis takes them: the result at a long side of ``size`` (default: its own, at most 512),
    the content at the result's shape, each style at ``style_scale`` times the result's long side (at most twice
    its short side), as the transfer used it. Returns (content, styles, result)."""
    from ..optimize import resize

    check_made_from(content, result)
    result = _analysed(result, size)
    shape = tuple(result.shape[-2:])
    return resize(content, shape), [style_at(s, shape, style_scale) for s in _listed(styles)], result


def check_made_from(content: torch.Tensor, result: torch.Tensor) -> None:
    """Refuse a result whose aspect is not the content's: a transfer keeps its content's shape."""
    (ch, cw), (rh, rw) = content.shape[-2:], result.shape[-2:]
    if abs((cw / ch) / (rw / rh) - 1) > ASPECT_TOLERANCE:
        raise OptionError(f"the result is {rw}x{rh} px and the content {cw}x{ch}: a transfer keeps its content's "
                          "shape, so this result was not made from this content (or was cropped); give the content "
                          "it was made from")


# the layer keywords of measure and measure_texture, and the other keywords of the functions that take them
TRANSFER_KEYWORDS, TEXTURE_KEYWORDS = ("style_layers", "content_layer", "match_layer"), ("layers", "match_layer")
EXPLAIN_KEYWORDS = ("size", "style_scale", "blend", "style_masks", "style_regions", "labels", "model", "names", "layer")
TEXTURE_EXPLAIN_KEYWORDS = ("size", "example_scale", "blend", "tileable", "masks", "labels", "model", "names", "layer")
MEASURE_SIZES = (32, 2048)  # px: the long side an analysis may run at
SCALES = (0.05, 4.0)  # a style's (example's) scale relative to the result's


def check_measuring(size: int | None, scale: float, flag: str = "--style-scale", given: dict | None = None,
                    allowed: Sequence[str] = (), named: Sequence[str] = ()) -> None:
    """A measurement's ``size`` (where given) and style or example ``scale`` (``flag``), and the layer keywords
    ``given`` (those ``allowed``; ``named``: the function's other keywords, for the closest name), before any work."""
    unknown = sorted(set(given or {}) - set(allowed))
    if unknown:
        raise OptionError(f"unknown keyword(s): {', '.join(unknown)}{did_you_mean(unknown[0], [*allowed, *named])}")
    low, high = MEASURE_SIZES
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not low <= size <= high):
        raise OptionError(f"--size must be a whole number between {low} and {high} px, got {size!r}")
    low, high = SCALES
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not low <= scale <= high:
        raise OptionError(f"{flag} must be between {low:g} and {high:g}, got {scale!r}")


def prepared_texture(examples: torch.Tensor | Sequence[torch.Tensor], result: torch.Tensor, size: int | None = None,
                     example_scale: float = 1.0) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The examples and a texture as the analysis takes them: the texture at a long side of ``size`` (default: its
    own, at most 512), each example at ``example_scale`` times its own pixels, shrunk as much as the texture was (as
    texture synthesis's --example-scale). Returns (examples, result)."""
    from ..optimize import resize

    analysed = _analysed(result, size)
    factor = example_scale * max(analysed.shape[-2:]) / max(result.shape[-2:])
    return [resize(e, tuple(max(1, round(n * factor)) for n in e.shape[-2:])) for e in _listed(examples)], analysed


def _analysed(result: torch.Tensor, size: int | None) -> torch.Tensor:
    from ..optimize import fit_long_side, resize

    return resize(result, fit_long_side(tuple(result.shape[-2:]), size or min(512, max(result.shape[-2:]))))


def warn_enlarged(named: Sequence[tuple[str, torch.Tensor]], size: int | None, texture: bool, fix: str) -> None:
    """Say which results a --size larger than their own enlarges to be measured, and ``fix``: an enlarged picture's
    Gram matrices are a blurred one's (a 64 px result went 69 % of the way at its size and 4 % at 256 px, unsaid)."""
    enlarged = [f"{name} ({image.shape[-1]}x{image.shape[-2]})" for name, image in named
                if size is not None and size > max(image.shape[-2:])]
    if enlarged:
        several = len(enlarged) > 1
        warn(f"--size {size} enlarges {', '.join(enlarged)} to be measured, and an enlarged picture's Gram matrices "
             f"are a blurred one's, so {'they read' if several else 'it reads'} further from the "
             f"{'example' if texture else 'style'} than {'they are' if several else 'it is'}; {fix}")


def _listed(images: torch.Tensor | Sequence[torch.Tensor]) -> list[torch.Tensor]:
    return [images] if isinstance(images, torch.Tensor) else list(images)


def grouped(layers: Sequence[str] | str, count: int, option: str = "--style-layers", noun: str = "style"
            ) -> tuple[list[dict[str, float]], list[str]]:
    """``layers`` per each of ``count`` styles (losses.layer_groups: a list, or groups split by '/'), and every layer
    named, in order, once."""
    groups = layer_groups(layers if isinstance(layers, str) else list(layers), count, option, noun)
    return groups, list(dict.fromkeys(name for group in groups for name in group))


def gram_layers(start: dict[str, torch.Tensor], result: dict[str, torch.Tensor],
                styles: Sequence[dict[str, torch.Tensor]], blend: Sequence[float], layers: Sequence[str] | str
                ) -> list[StyleLayer]:
    """Per style layer, the Gram matrices of the start's and the result's features and the loss's target: the blend
    of the styles that have the layer (``layers``: a list, or as --style-layers with groups split by '/')."""
    groups, names = grouped(layers, len(styles))
    grams = []
    for layer in names:
        users, shares = blend_of_layer(groups, blend, layer)
        if users:  # a layer only styles of weight 0 have is not in the loss
            target = sum(w * stats.gram(styles[n][layer])[0] for n, w in zip(users, shares))
            grams.append(StyleLayer(layer, stats.gram(start[layer])[0], stats.gram(result[layer])[0], target))
    return grams


SAME_STATISTICS = 1e-3  # a content whose Gram matrix is this near the target's (relative) has no way to go to it


def check_way_to_go(grams: Sequence[StyleLayer]) -> None:
    """Refuse a content that already has the target's Gram matrices (the style itself given as the content): there is
    no way from one to the other, and every layer read '100% of the way' whatever the result was."""
    there = [g.layer + (f" over {g.part}" if g.part else "") for g in grams
             if g.before <= SAME_STATISTICS * float(torch.linalg.matrix_norm(g.target))]
    if there:
        where = "every layer" if len(there) == len(grams) else ", ".join(there)
        raise OptionError(f"the content already has the style's Gram matrices at {where} (are the content "
                          "and the style the same picture?), so there is no way from one to the other to measure the "
                          "result along; give the content and the style the result was made from")


def channel_agreement(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per channel, the Pearson correlation over positions of two (C, h, w) maps of one shape (0 for a flat channel)."""
    x, y = (m.flatten(1) - m.flatten(1).mean(1, keepdim=True) for m in (a, b))
    spread = x.norm(dim=1) * y.norm(dim=1)
    return torch.where(spread > 0, (x * y).sum(1) / spread.clamp_min(1e-12), torch.zeros_like(spread))


@dataclass
class Explanation:
    """A result measured against what made it (``measure``, ``measure_texture``): the Gram matrices of each style
    layer, for a transfer the content layer's maps, and the pairing of the result's patches with each style's;
    ``html()`` is the page."""

    __eq__ = by_value  # arrays and tensors compared by value

    start: torch.Tensor  # the content (a transfer) or the noise a texture synthesis grows from
    styles: list[torch.Tensor]  # or examples
    blend: list[float]
    result: torch.Tensor
    grams: list[StyleLayer]
    matches: list[Matches]  # one per style
    content_layer: str | None = None  # None for a texture
    maps: list[torch.Tensor] | None = None  # at the content layer: the content's, the result's, each style's resized
    parts: list[Part] | None = None  # where masks or label maps placed the styles (placed.parts_of)
    grouped: bool = False  # each style (example) on its own group of layers ('a/b'), not all on every layer
    frame: str | None = None  # of a video: the frame the content and result are ('3 of 6'), for the pictures' titles

    @property
    def texture(self) -> bool:
        """Whether the result is a texture (no content)."""
        return self.maps is None

    @property
    def moved(self) -> float:
        """The mean over the style layers of the share of the way the result's Gram matrices have gone."""
        return sum(g.moved for g in self.grams) / len(self.grams)

    @property
    def kept(self) -> float | None:
        """The mean Pearson r of the result's content-layer maps with the content's, over its active channels (None
        for a texture)."""
        return None if self.maps is None else self._agreement(self.maps[1])

    @property
    def chance(self) -> float | None:
        """The same r for the styles' own maps (resized to the content's shape; the mean over the styles): what no
        likeness gives (None for a texture)."""
        return None if self.maps is None else sum(map(self._agreement, self.maps[2:])) / len(self.maps[2:])

    def _agreement(self, maps: torch.Tensor) -> float:
        active = self.maps[0].flatten(1).std(1) > 0
        return float(channel_agreement(self.maps[0], maps)[active].mean())

    def numbers(self) -> dict:
        """The headline numbers as plain data: ``moved`` and per layer ``layers`` ('relu1_1', or 'relu1_1 over style
        1's mask' for a placed style) and per placed part ``parts`` (the mean over its layers; empty unless placed),
        ``kept`` and ``chance`` (None for a texture), each style's patches' ``coherence`` where they were paired, and
        the ``goal`` measured against in words (Explanation.goal)."""
        parts: dict[str, list[float]] = {}
        for g in self.grams:
            if g.part:
                parts.setdefault(g.part, []).append(g.moved)
        return {"texture": self.texture, "moved": self.moved,
                "layers": {g.layer + (f" over {g.part}" if g.part else ""): g.moved for g in self.grams},
                "parts": {part: sum(moved) / len(moved) for part, moved in parts.items()},
                "kept": self.kept, "chance": self.chance, "coherence": [m.coherence for m in self.matches],
                "goal": self.goal()}

    def headline(self, coherence: bool = True) -> str:
        """The two numbers in words, as the commands print them: '86% of the way to the style's Gram matrices,
        content r 0.63'; a texture's first part, then (``coherence``) its patches' coherence, which tells a copy (a
        straight crop reads 91 % as a texture grown anew does)."""
        start = "noise" if self.texture else "content"
        moved = f"{percent(self.moved)} of the way to {self.goal()}"
        astray = self.astray()
        if astray:  # one layer's -1296% made the mean of 99, 97, 94, 69 % read as a failed run
            behind = ", ".join(f"{g.layer} ({percent(g.moved)})" for g in astray)
            began = "noise it started from" if self.texture else "content"  # a transfer may start from another picture
            option = "--layers" if self.texture else "--style-layers"
            moved = (f"{moved} on average, pulled down by {behind}, further from {self.target()} than the {began}, "
                     f"while the middle layer went {percent(self.middle)}: a layer the run did not match (was it in "
                     f"{option}?) drifts so")
        elif self.moved < 0 and self.unrelated():  # 'more iterations may help' beside 'was it made from this content?'
            moved = f"further from {self.goal()} than the {start} ({moved}), as a picture not made from it would be"
        elif self.moved < 0 and self.texture:  # '-167% of the way' said it in a riddle
            moved = (f"further from {self.goal()} than the {start} it started from ({moved}): the run "
                     "stopped before it settled, or went astray; more iterations may help (unless it was not grown "
                     "from this example)")
        elif self.moved < 0:  # a transfer goes towards its styles from the first steps: 'more iterations may help'
            # sent one measured against the wrong style, or masks swapped, the wrong way
            moved = (f"further from {self.goal()} than the {start} ({moved}): was it made with {self._made_with()}? "
                     "A transfer moves towards its style's from the first steps; if it was, the run went astray")
        if not self.texture:
            return f"{moved}, content r {self.kept:.2f}"
        copy = self.coherence()
        return moved if copy is None or not coherence else f"{moved}, patches' coherence {copy:.2f} (near 1 for a copy)"

    def astray(self) -> list[StyleLayer]:
        """The layers that went further from the target than the start, when the middle layer went at least half the
        way: what drags a negative mean down in a run that matched the rest (typically layers it did not optimize)."""
        if self.moved >= 0 or self.middle < 0.5:
            return []
        return [g for g in self.grams if g.moved < 0]

    @property
    def middle(self) -> float:
        """The median of the layers' ``moved``: the typical layer, which one layer gone astray does not drag."""
        return statistics.median(g.moved for g in self.grams)

    def unrelated(self) -> str | None:
        """A warning when the result's content maps follow the content's no better than the style's own maps do
        (r within UNRELATED of chance): it was made from another content, or the style wiped this one out (coffee in
        gravel by AdaIN: r 0.09, and only the second cause was true); None otherwise."""
        if self.texture or self.kept - self.chance >= UNRELATED:
            return None
        return (f"the result's {self.content_layer} maps follow the content's no better than the style's own maps do "
                f"(r {self.kept:.2f} against {self.chance:.2f}): was it made from this content? If it was, the style "
                "has wiped the content out")

    def coherence(self) -> float | None:
        """The highest coherence of where the result's patches come from, over the styles (examples); near 1 for a
        copy; None where the patches were not paired."""
        return max(m.coherence for m in self.matches) if self.matches else None

    def copied(self) -> str | None:
        """A warning when a texture's patches come from its example in whole pieces (coherence of at least COPIED):
        much of it is copied, not made anew; None otherwise (and for a transfer)."""
        coherence = self.coherence()
        if not self.texture or coherence is None or coherence < COPIED:
            return None
        return (f"the texture's patches come from the example in whole pieces (coherence {coherence:.2f}, where one "
                "grown anew is near 0.2-0.5): much of it is copied from the example, not made anew")

    def names(self) -> list[str]:
        """The styles' (examples') names on the page: 'style', or 'style 1 (70%)', ... with several."""
        noun = "example" if self.texture else "style"
        if len(self.styles) == 1:
            return [noun]
        if self.placed() and self.even():  # each in its own part, in full: no blend to show
            return [f"{noun} {i + 1}" for i in range(len(self.styles))]
        return [f"{noun} {i + 1} ({percent(w)})" for i, w in enumerate(self.blend)]

    def placed(self) -> bool:
        """Whether the styles (examples) were each put in a part of the result by masks or label maps."""
        return any(p.mask is not None for p in self.parts or [])

    def even(self) -> bool:
        """Whether the styles' (examples') weights are all alike (no --style-blend, or an even one)."""
        return max(self.blend) - min(self.blend) < 1e-6

    def target(self) -> str:
        """What the Gram matrices are measured against, in words."""
        noun = "example" if self.texture else "style"
        if any(g.part for g in self.grams):
            return f"each part's {noun}'s"
        if self.grouped:
            return f"each layer's {noun}s'"
        return f"the {noun}'s" if len(self.styles) == 1 else f"the {noun}s' blend"

    def _made_with(self) -> str:
        """The inputs a transfer further from its target than its content may not have been made with, in words."""
        several = len(self.styles) > 1
        with_what = ["these styles" if several else "this style"]
        if any(g.part for g in self.grams):
            with_what.append("these masks")
        if several and not any(g.part for g in self.grams):
            with_what.append("this blend")
        return " and ".join(with_what)

    def goal(self) -> str:
        """The Gram matrices measured against, as the headline names them: "the style's Gram matrices", "the blend
        of the styles' Gram matrices" or "each part's style's Gram matrices" (two styles read as one)."""
        noun = "example" if self.texture else "style"
        if any(g.part for g in self.grams):
            return f"each part's {noun}'s Gram matrices"
        if self.grouped:  # 'a/b': a layer's target is the blend of the styles whose group has it (often one)
            return f"the Gram matrices of each layer's {noun}s"
        return f"the {noun}'s Gram matrices" if len(self.styles) == 1 else f"the blend of the {noun}s' Gram matrices"

    def html(self, settings: dict | None = None, stylesheet: str | None = None) -> str:
        """The whole page (stylegram.analysis.explain_page), with a table of ``settings``."""
        from .explain_page import page

        return page(self, settings, stylesheet)

    def _repr_html_(self) -> str:
        """The page, as a notebook shows an explanation."""
        from .report import framed

        return framed(self.html())

    def __repr__(self) -> str:
        """The headline numbers in words, not the tensors behind them."""
        layers = ", ".join(dict.fromkeys(g.layer for g in self.grams))
        moved = (f"{percent(self.moved)} of the way from the {'noise' if self.texture else 'content'}'s Gram "
                 f"matrices to {self.target()} over {layers}")
        if self.texture:
            return f"Explanation(texture: {moved})"
        return (f"Explanation(transfer: {moved}; {self.content_layer} maps r {self.kept:.2f} with the content's, "
                f"{self.chance:.2f} with the style's)")


def measure(content: torch.Tensor, result: torch.Tensor, styles: torch.Tensor | Sequence[torch.Tensor],
            backbone: Backbone, style_layers: Sequence[str] | str = STYLE_LAYERS, content_layer: str = CONTENT_LAYER,
            match_layer: str = MATCH_LAYER, blend: str | Sequence[float] | None = None, patches: bool = True,
            parts: list[Part] | None = None) -> Explanation:
    """``result`` measured against the ``content`` (at the result's size) and the style or styles it was made from
    (``blend``: their weights as --style-blend, equal by default; ``style_layers`` may be grouped per style as
    --style-layers; ``patches`` False: without the pairing of patches, which costs most; ``parts``: where masks,
    regions or label maps placed the styles, placed.parts_of)."""
    styles = _listed(styles)
    weights = blend_weights(blend, len(styles))
    groups, gram_names = grouped(style_layers, len(styles))
    backbone.check_layers([*gram_names, content_layer, match_layer])
    named = {name: (s, [*group, match_layer]) for name, s, group in zip(style_names(len(styles)), styles, groups)}
    _check_sizes(backbone, {"result": (result, gram_names), "content": (content, [*gram_names, content_layer])}, named)
    check_measure_fits(backbone, {"content": (content, [*gram_names, content_layer]),
                                  "result": (result, [*gram_names, content_layer, match_layer]), **named},
                       list(named) if patches else [], match_layer)
    content_f = _features(backbone, content, [*gram_names, content_layer])
    result_f = _features(backbone, result, [*gram_names, content_layer, match_layer])
    style_f = [_features(backbone, s, [*group, match_layer]) for s, group in zip(styles, groups)]
    placed = [_features(backbone, F.interpolate(s, size=content.shape[-2:], mode="bilinear", align_corners=False),
                        [content_layer])[content_layer] for s in styles]
    matches = [matches_of(result_f[match_layer], f[match_layer], match_layer).within(where)
               for f, where in zip(style_f, painted_by(parts, len(styles)))] if patches else []
    maps = [content_f[content_layer][0], result_f[content_layer][0], *(p[0] for p in placed)]
    grams = (gram_layers(content_f, result_f, style_f, weights, style_layers) if parts is None else
             placed_layers(content_f, result_f, style_f, groups, weights, parts, gram_names))
    check_way_to_go(grams)
    return Explanation(content, styles, weights, result, grams, matches, content_layer, maps, parts,
                       grouped=_grouped(groups))


def measure_texture(examples: torch.Tensor | Sequence[torch.Tensor], result: torch.Tensor, backbone: Backbone,
                    layers: Sequence[str] | str = TEXTURE_LAYERS, match_layer: str = MATCH_LAYER,
                    blend: str | Sequence[float] | None = None, patches: bool = True, tileable: bool = False,
                    parts: list[Part] | None = None) -> Explanation:
    """A texture ``result`` measured against the example or examples it was grown from (``blend`` as --blend), from
    the noise texture synthesis starts with (``patches`` as in ``measure``); ``tileable``: made to tile, so measured
    as it was made, the network padding circularly and the noise drawn across the wrap-around border; ``parts``:
    where --masks or --labels grew the examples (placed.parts_of with texture=True)."""
    examples = _listed(examples)
    weights = blend_weights(blend, len(examples), noun="example", option="--blend")
    groups, gram_names = grouped(layers, len(examples), "--layers", "example")
    backbone.check_layers([*gram_names, match_layer])
    if tileable:
        backbone = with_padding(backbone, "circular")
    noise = start_noise(examples, weights, tuple(result.shape[-2:]), tileable, parts)
    named = {name: (e, [*group, match_layer])
             for name, e, group in zip(style_names(len(examples), "example"), examples, groups)}
    _check_sizes(backbone, {"result": (result, [*gram_names, match_layer])}, named)
    check_measure_fits(backbone, {"result": (result, [*gram_names, match_layer]), **named},
                       list(named) if patches else [], match_layer)
    result_f = _features(backbone, result, [*gram_names, match_layer])
    example_f = [_features(backbone, e, [*group, match_layer]) for e, group in zip(examples, groups)]
    noise_f = _features(backbone, noise, gram_names)
    grams = (gram_layers(noise_f, result_f, example_f, weights, layers) if parts is None else
             placed_layers(noise_f, result_f, example_f, groups, weights, parts, gram_names))
    return Explanation(noise, examples, weights, result, grams,
                       [matches_of(result_f[match_layer], f[match_layer], match_layer).within(where)
                        for f, where in zip(example_f, painted_by(parts, len(examples)))]
                       if patches else [], parts=parts, grouped=_grouped(groups))


def _grouped(groups: Sequence[Sequence[str]]) -> bool:
    """Whether layer groups ('a/b') put the styles (examples) on different layers."""
    return len({tuple(group) for group in groups}) > 1


def start_noise(examples: Sequence[torch.Tensor], blend: Sequence[float], size: tuple[int, int],
                wrap: bool = False, parts: list[Part] | None = None) -> torch.Tensor:
    """Noise of ``size`` as texture synthesis starts from (a fixed seed): around the examples' blended mean colour,
    or with ``parts`` placed by masks each part around its example's colour (synthesis.start_colour); ``wrap``: as a
    tileable texture's, across the wrap-around border."""
    if parts and all(p.mask is not None for p in parts):
        colour = synthesis.start_colour([examples[p.style] for p in parts], [blend[p.style] for p in parts], size,
                                        [p.mask for p in parts], [p.region for p in parts], wrap)
    else:
        colour = synthesis.start_colour(examples, blend, size)
    generator = torch.Generator().manual_seed(NOISE_SEED)
    return (colour + 0.2 * synthesis.smooth_noise(3, size, generator, wrap)).clamp(0, 1)


def check_measure_fits(backbone: Backbone, images: dict[str, tuple[torch.Tensor, list[str]]], paired: Sequence[str],
                       match_layer: str, result: str = "result", patch: int = 3) -> None:
    """Refuse, before any work, a measurement that free memory will not hold: each image's pass (one at a time), the
    maps all of them keep, and pairing the ``result``'s ``patch`` x ``patch`` patches with those of each image named
    in ``paired`` at ``match_layer``. Every image is measured in proportion to the result, so the size named is the
    result's."""
    from .. import memory

    sizes = {name: tuple(image.shape[-2:]) for name, (image, _) in images.items()}
    largest = max(sizes, key=lambda name: sizes[name][0] * sizes[name][1])

    def need_at(side: int) -> int:
        scale = side / max(sizes[result])
        at = {name: (max(1, round(h * scale)), max(1, round(w * scale))) for name, (h, w) in sizes.items()}
        passes = max(memory.targets_bytes(backbone, layers, at[name]) for name, (_, layers) in images.items())
        kept = sum(memory.maps_bytes(backbone, layers, at[name]) for name, (_, layers) in images.items())
        return passes + kept + sum(memory.patch_bytes(backbone, match_layer, at[name], patch) for name in paired)

    h, w = sizes[largest]
    what = "measurement" if largest == result else f"measurement (its {largest} measured at {w}x{h} px)"
    memory.check_fits_at(need_at, sizes[result], None, what,
                         lambda side: f"measure at a --size of about {side} or less")
    _warn_slow_pairing(backbone, sizes, paired, match_layer, result, patch)


SLOW_PAIRING = 4e12  # multiply-adds of pairing patches: a minute or more on 2 cores (about 80 G a second measured)


def _warn_slow_pairing(backbone: Backbone, sizes: dict[str, tuple[int, int]], paired: Sequence[str], match_layer: str,
                       result: str, patch: int) -> None:
    """Say beforehand when pairing patches will take minutes: it grows with the fourth power of the size, and
    explain --texture --size 1024 sat 307 s without a word."""
    from .. import memory

    if not paired:
        return
    info = backbone.info(match_layer)
    ours = memory.positions(info.stride, sizes[result])
    theirs = sum(memory.positions(info.stride, sizes[name]) for name in paired)
    work = ours * theirs * info.channels * patch * patch
    if work >= SLOW_PAIRING:
        whose = f"the {paired[0]}" if len(paired) == 1 else " and ".join(paired)
        warn(f"pairing the {result}'s {ours:,} patches at {match_layer} with {theirs:,} of {whose} is "
             f"{work / 1e12:.0f} trillion multiply-adds, a minute or more on a CPU; --size {max(sizes[result]) // 2} "
             f"pairs 16 times fewer")


def _features(backbone: Backbone, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """One pass of ``image`` through the network, its maps at ``layers`` in float32."""
    with torch.no_grad():
        return {name: f.float() for name, f in backbone.extract(image, list(dict.fromkeys(layers))).items()}


def style_names(count: int, noun: str = "style") -> list[str]:
    return [noun] if count == 1 else [f"{noun} {i + 1}" for i in range(count)]


def _check_sizes(backbone: Backbone, *named: dict[str, tuple[torch.Tensor, list[str]]]) -> None:
    """Refuse an image too small for the deepest layer it is measured at, naming it and the size it needs."""
    for name, (image, layers) in (item for group in named for item in group.items()):
        need = backbone.min_input_size(layers)
        if min(image.shape[-2:]) < need:
            h, w = image.shape[-2:]
            scale = {"style": "--style-scale", "example": "--example-scale"}.get(name.split()[0], "--size")
            raise OptionError(f"the {name} is {w}x{h} px as measured, but the layers {','.join(layers)} need at least "
                              f"{need} px per side: use a larger {scale} (or a larger image), or shallower layers")


def placing(options: gatys.TransferOptions | synthesis.TextureOptions, picture: torch.Tensor,
            styles: Sequence[torch.Tensor], names: Sequence[str] | None = None) -> list[Part] | None:
    """The parts a transfer's --style-masks, --style-regions or --labels placed its styles in (a texture's --masks or
    --labels its examples), over a ``picture`` of the content's (output's) shape, the styles called ``names``
    (placed.parts_of); None without them."""
    if isinstance(options, synthesis.TextureOptions):
        return parts_of(picture, styles, style_masks=options.masks, labels=options.labels, texture=True, names=names)
    return parts_of(picture, styles, **{name: getattr(options, name) for name in PLACING}, names=names)


def of_transfer(content: torch.Tensor, styles: Sequence[torch.Tensor], result: torch.Tensor,
                options: gatys.TransferOptions, model: Backbone, patches: bool = True,
                own_layers: bool = True, names: Sequence[str] | None = None) -> Explanation:
    """A transfer's result measured as it was made: at its style scale, against its styles' blend, where they were
    placed, on the layers its losses used (a one-pass method's, or with ``own_layers`` False: the defaults);
    ``patches`` as in ``measure``; ``names``: what the placed parts call the styles (placed.parts_of)."""
    content, styles, result = prepared(content, styles, result, style_scale=options.style_scale)
    return measure(content, result, styles, model, blend=options.style_blend, patches=patches,
                   parts=placing(options, content, styles, names), **(layers_of(options) if own_layers else {}))


def layers_of(options: gatys.TransferOptions) -> dict[str, str]:
    """The layers a transfer's losses used, as ``measure``'s keywords: its style layers (auto resolved, groups kept)
    and first content layer; none for a one-pass method, measured on the defaults."""
    from ..losses import parse_weighted

    if options.method != "gatys":
        return {}
    return {"style_layers": gatys.style_layers(options),
            "content_layer": next(iter(parse_weighted(options.content_layers, "content layer")))}


def of_texture(examples: Sequence[torch.Tensor], result: torch.Tensor, options: synthesis.TextureOptions,
               model: Backbone, patches: bool = True, own_layers: bool = True,
               names: Sequence[str] | None = None) -> Explanation:
    """A texture measured as it was made: its examples at its example scale, blended, placed (the parts calling them
    ``names``), on its layers (with ``own_layers`` False: the defaults)."""
    examples, result = prepared_texture(examples, result, example_scale=options.example_scale)
    return measure_texture(examples, result, model, layers=options.layers if own_layers else TEXTURE_LAYERS,
                           blend=options.blend, patches=patches, tileable=options.tileable,
                           parts=placing(options, result, examples, names))


def yardstick(inputs: dict, result: torch.Tensor, options: gatys.TransferOptions | synthesis.TextureOptions,
              model: Backbone) -> Explanation:
    """One measure for many pictures made with different options (a sweep's): ``result`` against its ``inputs`` by
    role ({"content", "styles"} or {"examples"}: files, sample:NAME or tensors) blended and scaled as ``options``
    made it, on the default layers whatever layers it used, and without the patches."""
    from ..images import load_input

    if "examples" in inputs:
        return of_texture(loaded(inputs["examples"], "example"), result, options, model, False, own_layers=False)
    return of_transfer(load_input(inputs["content"], "content image", STRAIGHT),
                       loaded(inputs["styles"], "style image"), result,
                       options, model, False, own_layers=False)


def load_result(image: ImageLike, what: str = "result") -> torch.Tensor:
    """A result as it was made: a transparent one's colours under its transparent part too, which the run painted
    (read on white, a transfer from a 31 % transparent content read 28 % of the way for the 64 % its colours went),
    said so."""
    from ..images import UNDER, clear_part, load_input

    loaded_image = load_input(image, what, background=UNDER)
    if share := clear_part(image):
        warn(f"{what} is {share:.0%} transparent: it is measured on the colours stored under its transparent part, "
             "as the run made them, though a viewer shows that part see-through")
    return loaded_image


def loaded(images: ImageLike | Sequence[ImageLike], what: str) -> list[torch.Tensor]:
    """One image or a list of them (files, sample:NAME, tensors...) as a list of tensors; errors name ``what`` N."""
    from ..images import load_input

    listed = list(images) if isinstance(images, (list, tuple)) else [images]
    return [load_input(image, f"{what} {i + 1}") for i, image in enumerate(listed)]


def percent(share: float) -> str:
    """'53%' of a share, rounded to a whole percent ('0%', not '-0%', for a share a hair below 0)."""
    return f"{round(100 * share)}%"


def explain(content: ImageLike, style: ImageLike | Sequence[ImageLike], result: ImageLike, *,
            size: int | None = None, style_scale: float = 1.0, blend: str | Sequence[float] | None = None,
            style_masks=None, style_regions=None, labels=None, style_names: Sequence[str] | None = None,
            model: Backbone | None = None, progress: Callable[[str], None] | None = None, **layers) -> Explanation:
    """Measure a transfer's ``result`` against the ``content`` and style (or list of styles, ``blend`` as
    --style-blend) it was made from (files, sample:NAME or tensors; ``size`` and ``style_scale`` as in ``prepared``;
    ``style_masks``, ``style_regions``, ``labels`` as the transfer took them: each style measured where they put it,
    its parts naming the styles ``style_names`` (default "style 1", "style 2": placed.parts_of); ``layers``:
    style_layers, content_layer, match_layer as in ``measure``; the default model pads as a transfer's does,
    replicate); ``.html()`` of it is the page `stylegram explain` writes. A result that seems made from another content
    (``Explanation.unrelated()`` says so) is warned of. ``progress`` is told when the inputs are read and the
    measuring begins."""
    from ..features import default_backbone
    from ..images import load_input

    check_measuring(size, style_scale, "--style-scale", layers, TRANSFER_KEYWORDS, [*EXPLAIN_KEYWORDS, "style_names"])
    result = load_result(result)
    warn_enlarged([("the result", result)], size, False, "leave --size out to measure it at its own size")
    content, styles, result = prepared(load_input(content, "content image", STRAIGHT), loaded(style, "style image"),
                                       result,
                                       size, style_scale)
    parts = parts_of(content, styles, style_masks, style_regions, labels, names=style_names)
    if progress is not None:
        progress("measuring the Gram matrices, content maps and patches")
    measured = measure(content, result, styles, model or default_backbone("max", gatys.TransferOptions.padding),
                       blend=blend, parts=parts, **layers)
    warning = measured.unrelated()
    if warning:
        warn(warning)
    return measured


def explain_texture(examples: ImageLike | Sequence[ImageLike], result: ImageLike, *, size: int | None = None,
                    example_scale: float = 1.0, blend: str | Sequence[float] | None = None, tileable: bool = False,
                    masks=None, labels=None, example_names: Sequence[str] | None = None,
                    model: Backbone | None = None, progress: Callable[[str], None] | None = None,
                    **layers) -> Explanation:
    """Measure a texture ``result`` against the example (or list of examples, ``blend`` as --blend) it was grown from
    (``example_scale``, ``tileable``, ``masks`` and ``labels`` as texture synthesis took them, ``example_names`` as
    explain's ``style_names``; ``layers``: layers, match_layer as in ``measure_texture``; the default model pools by
    average, as texture synthesis does); ``.html()`` is the page `stylegram explain --texture` writes. A texture
    copied in whole pieces from its example (``Explanation.copied()`` says so) is warned of; ``progress`` as
    explain's."""
    from ..features import default_backbone

    check_measuring(size, example_scale, "--example-scale", layers, TEXTURE_KEYWORDS,
                    [*TEXTURE_EXPLAIN_KEYWORDS, "example_names"])
    if not isinstance(tileable, bool):  # "yes" or "no" would both read as true
        raise OptionError(f"tileable must be True or False, got {tileable!r}")
    result = load_result(result)
    warn_enlarged([("the result", result)], size, True, "leave --size out to measure it at its own size")
    examples, result = prepared_texture(loaded(examples, "example"), result, size,
                                        example_scale)
    parts = parts_of(result, examples, style_masks=masks, labels=labels, texture=True, names=example_names)
    model = model or default_backbone("avg", "circular" if tileable else None)
    if progress is not None:
        progress("measuring the Gram matrices and patches")
    measured = measure_texture(examples, result, model, blend=blend, tileable=tileable, parts=parts, **layers)
    warning = measured.copied()
    if warning:
        warn(warning)
    return measured
