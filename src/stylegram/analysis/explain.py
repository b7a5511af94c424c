"""Why a style transfer looks as it does: its result measured against its content and style, as one HTML page.

Gatys et al. ask of the result two things at once: the style's Gram matrices at the style layers, and the content's
feature maps at the content layer. The page shows how far each was met. For every style layer, the Gram matrices of
the content, the result and the style side by side (channels in the order of the style's clusters), and how far the
result's moved from the content's towards the style's: 1 − ‖G(result) − G(style)‖ / ‖G(content) − G(style)‖
(100 %: the style's statistics exactly; 0 %: no nearer than the content). At the content layer, how closely the
result's feature maps follow the content's (Pearson r per channel, over positions), beside the style's own maps
(resized to the content's shape) as the chance level. And where the result's patches come from in the style
(stylegram.analysis.matches): a statistic matched leaves their places scattered.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import gatys, stats
from ..backbones import Backbone
from ..errors import OptionError
from ..images import ImageLike
from . import plots
from .cluster import cluster_channels
from .matches import Matches, find_matches, panels, style_at
from .report import Section, figure
from .report import page as report_page

STYLE_LAYERS = tuple(gatys.STYLE_LAYERS.split(","))  # Gatys et al.'s, as a transfer's default
CONTENT_LAYER = "relu4_2"
MATCH_LAYER = "relu3_1"
SHOWN_CHANNELS = 4  # the content layer's strongest channels shown as maps
ASPECT_TOLERANCE = 0.03  # a result's aspect may differ this much from its content's (rounded sides, an odd row cut)
TITLE = "Why this style transfer looks as it does"
INTRO = ("The result measured against the two things Gatys et al.'s style transfer asks of it: the style's "
         "statistics (Gram matrices) at the style layers and the content's feature maps at the content layer; and "
         "where its patches come from in the style.")


@dataclass
class StyleLayer:
    """One style layer's Gram matrices (C x C) of the content, the result and the style, and their distances."""

    layer: str
    content: torch.Tensor
    result: torch.Tensor
    style: torch.Tensor

    @property
    def before(self) -> float:
        """‖G(content) − G(style)‖: how far the content's statistics are from the style's."""
        return float(torch.linalg.matrix_norm(self.content - self.style))

    @property
    def after(self) -> float:
        """‖G(result) − G(style)‖."""
        return float(torch.linalg.matrix_norm(self.result - self.style))

    @property
    def moved(self) -> float:
        """The share of the way from the content's Gram matrix to the style's that the result's has gone."""
        return 1.0 - self.after / self.before if self.before > 0 else 1.0


def prepared(content: torch.Tensor, style: torch.Tensor, result: torch.Tensor, size: int | None = None,
             style_scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three images as the analysis takes them: the result at a long side of ``size`` (default: its own, at most
    512), the content at the result's shape, the style at ``style_scale`` times the result's long side, as the
    transfer used it. Returns (content, style, result)."""
    from ..optimize import fit_long_side, resize

    (ch, cw), (rh, rw) = content.shape[-2:], result.shape[-2:]
    if abs((cw / ch) / (rw / rh) - 1) > ASPECT_TOLERANCE:
        raise OptionError(f"the result is {rw}x{rh} px and the content {cw}x{ch}: a transfer keeps its content's "
                          "shape, so this result was not made from this content (or was cropped); give the content "
                          "it was made from")
    result = resize(result, fit_long_side(tuple(result.shape[-2:]), size or min(512, max(result.shape[-2:]))))
    return resize(content, tuple(result.shape[-2:])), style_at(style, max(result.shape[-2:]), style_scale), result


def gram_layers(content: torch.Tensor, result: torch.Tensor, style: torch.Tensor, backbone: Backbone,
                layers: Sequence[str] = STYLE_LAYERS) -> list[StyleLayer]:
    """The Gram matrices of the three images at each of ``layers``."""
    with torch.no_grad():
        feats = [backbone.extract(image, list(layers)) for image in (content, result, style)]
    return [StyleLayer(layer, *(stats.gram(f[layer].float())[0] for f in feats)) for layer in layers]


def channel_agreement(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per channel, the Pearson correlation over positions of two (C, h, w) maps of one shape (0 for a flat channel)."""
    x, y = (m.flatten(1) - m.flatten(1).mean(1, keepdim=True) for m in (a, b))
    spread = x.norm(dim=1) * y.norm(dim=1)
    return torch.where(spread > 0, (x * y).sum(1) / spread.clamp_min(1e-12), torch.zeros_like(spread))


def content_maps(content: torch.Tensor, result: torch.Tensor, style: torch.Tensor, backbone: Backbone,
                 layer: str = CONTENT_LAYER) -> list[torch.Tensor]:
    """The (C, h, w) maps at ``layer`` of the content, the result, and the style resized to the content's shape."""
    placed = F.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False)
    with torch.no_grad():
        return [backbone.extract(image, [layer])[layer][0].float() for image in (content, result, placed)]


@dataclass
class Explanation:
    """A result measured against its content and style (``measure``): the Gram matrices of each style layer, the
    content layer's maps, and the pairing of the result's patches with the style's; ``html()`` is the page."""

    content: torch.Tensor
    style: torch.Tensor
    result: torch.Tensor
    grams: list[StyleLayer]
    content_layer: str
    maps: list[torch.Tensor]  # at the content layer: the content's, the result's, the style's resized to the content
    matches: Matches

    @property
    def moved(self) -> float:
        """The mean over the style layers of the share of the way the result's Gram matrices have gone."""
        return sum(g.moved for g in self.grams) / len(self.grams)

    @property
    def kept(self) -> float:
        """The mean Pearson r of the result's content-layer maps with the content's, over its active channels."""
        return float(channel_agreement(self.maps[0], self.maps[1])[self._active].mean())

    @property
    def chance(self) -> float:
        """The same r for the style's own maps (resized to the content's shape): what no likeness gives."""
        return float(channel_agreement(self.maps[0], self.maps[2])[self._active].mean())

    @property
    def _active(self) -> torch.Tensor:
        return self.maps[0].flatten(1).std(1) > 0

    def html(self, settings: dict | None = None, stylesheet: str | None = None) -> str:
        """The whole page (report.page, ``stylesheet`` as there), with a table of ``settings``."""
        return report_page(TITLE, html.escape(INTRO), sections(self), settings or {}, stylesheet)


def measure(content: torch.Tensor, result: torch.Tensor, style: torch.Tensor, backbone: Backbone,
            style_layers: Sequence[str] = STYLE_LAYERS, content_layer: str = CONTENT_LAYER,
            match_layer: str = MATCH_LAYER) -> Explanation:
    """``result`` measured against the ``content`` (at the result's size) and ``style`` it was made from."""
    backbone.check_layers([*style_layers, content_layer, match_layer])
    return Explanation(content, style, result, gram_layers(content, result, style, backbone, style_layers),
                       content_layer, content_maps(content, result, style, backbone, content_layer),
                       find_matches(result, style, match_layer, backbone))


def sections(explained: Explanation) -> list[Section]:
    """The page's sections."""
    e = explained
    return [
        Section("The pictures", "The content and the style the result was made from, and the result.",
                plots.to_png(plots.images_grid([e.content, e.style, e.result], ["content", "style", "result"],
                                               "content, style and result", columns=3, width=3.0))),
        _style_section(e),
        _content_section(e),
        _matches_section(e),
    ]


def _style_section(e: Explanation) -> Section:
    rows = "".join(f"<tr><td>{g.layer}</td><td>{g.before:.4g}</td><td>{g.after:.4g}</td><td>{100 * g.moved:.0f}%</td>"
                   "</tr>" for g in e.grams)
    table = ("<table><tr><th>layer</th><th>‖G(content) − G(style)‖</th><th>‖G(result) − G(style)‖</th>"
             f"<th>of the way to the style</th></tr>{rows}</table>")
    figures = "".join(figure(_gram_figure(g), f"Gram matrices at {g.layer}") for g in e.grams)
    return Section(
        "Style: the Gram matrices",
        "The style loss asks the result's Gram matrices (which channels fire together, wherever they do) to equal "
        "the style's. Each row shows one layer's matrices of the content, the result and the style, channels in the "
        "order of the style's clusters and on one colour scale: the result's should look like the style's, not the "
        f"content's. On average over the layers the result has gone <strong>{100 * e.moved:.0f}%</strong> of the way "
        "from the content's statistics to the style's (100 %: the style's exactly).",
        None, table + figures)


def _gram_figure(g: StyleLayer) -> bytes:
    """One layer's three Gram matrices, channels in the order of the style's clusters, as PNG."""
    return plots.to_png(plots.matrices_grid(
        [("content", g.content.numpy()), ("result", g.result.numpy()), ("style", g.style.numpy())],
        cluster_channels(g.style.numpy()), "gram", g.layer, columns=3,
        title=f"Gram matrices at {g.layer}: {100 * g.moved:.0f}% of the way to the style's"))


def _content_section(e: Explanation) -> Section:
    strongest = sorted(range(len(e.maps[0])), key=lambda c: -float(e.maps[0][c].clamp_min(0).mean()))[:SHOWN_CHANNELS]
    grid = plots.features_grid([e.content, e.result, e.style], e.maps, strongest,
                               ["content", "result", "style (resized)"], e.content_layer)
    return Section(
        f"Content: the feature maps at {e.content_layer}",
        f"The content loss asks the result's maps at {e.content_layer} to equal the content's: where things are, not "
        f"how they are drawn. Over its {int(e._active.sum())} active channels the result's maps correlate with the "
        f"content's at a mean Pearson r of <strong>{e.kept:.2f}</strong>; the style's own maps, resized to the "
        f"content's shape, at {e.chance:.2f}, the level of chance. Below, the content's {len(strongest)} strongest "
        "channels on each picture.",
        plots.to_png(grid))


def _matches_section(e: Explanation) -> Section:
    m = e.matches
    grid = plots.images_grid(panels(e.result, e.style, m), ["style, each position its colour", "result",
                                                             "where each patch comes from"],
                             f"{m.layer}, {m.patch}x{m.patch} patches", columns=3, width=3.0)
    return Section(
        "Where the result's patches come from",
        f"Each {m.patch}x{m.patch} patch of the result's map at {m.layer} paired with the style's most similar patch "
        "(normalized correlation), painted with the colour of that patch's place in the style. A Gram matrix keeps "
        "no places, so a result made by matching statistics takes its patches from all over the style: coherence "
        f"{m.coherence:.2f} (the share of neighbours paired with neighbours), repetition {m.repetition:.2f}, "
        f"{m.used:.0%} of the style's patches used. <code>--statistic mrf</code> pairs patches on purpose and copies "
        "larger pieces whole.",
        plots.to_png(grid))


def explain(content: ImageLike, style: ImageLike, result: ImageLike, *, size: int | None = None,
            style_scale: float = 1.0, model: Backbone | None = None, **layers) -> Explanation:
    """Measure a transfer's ``result`` against the ``content`` and ``style`` it was made from (files, sample:NAME or
    tensors; ``size`` and ``style_scale`` as in ``prepared``; ``layers``: style_layers, content_layer, match_layer as
    in ``measure``); ``.html()`` of it is the page `stylegram explain` writes."""
    from ..backbones import load_backbone
    from ..images import load_input

    content, style, result = prepared(load_input(content, "content image"), load_input(style, "style image"),
                                      load_input(result, "result"), size, style_scale)
    return measure(content, result, style, model or load_backbone("vgg19", "default"), **layers)
