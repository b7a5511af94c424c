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

from .. import stats
from ..backbones import Backbone
from . import plots
from .cluster import cluster_channels
from .matches import find_matches, panels
from .report import Section, figure
from .report import page as report_page

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"
MATCH_LAYER = "relu3_1"
SHOWN_CHANNELS = 4  # the content layer's strongest channels shown as maps


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

    result = resize(result, fit_long_side(tuple(result.shape[-2:]), size or min(512, max(result.shape[-2:]))))
    side = max(1, round(max(result.shape[-2:]) * style_scale))
    return resize(content, tuple(result.shape[-2:])), resize(style, fit_long_side(tuple(style.shape[-2:]), side)), result


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


def sections(content: torch.Tensor, result: torch.Tensor, style: torch.Tensor, backbone: Backbone,
             style_layers: Sequence[str] = STYLE_LAYERS, content_layer: str = CONTENT_LAYER,
             match_layer: str = MATCH_LAYER) -> list[Section]:
    """The page's sections for a result made from ``content`` and ``style`` (the content at the result's size)."""
    backbone.check_layers([*style_layers, content_layer, match_layer])
    grams = gram_layers(content, result, style, backbone, style_layers)
    return [
        Section("The pictures", "The content and the style the result was made from, and the result.",
                plots.to_png(plots.images_grid([content, style, result], ["content", "style", "result"],
                                               "content, style and result", columns=3, width=3.0))),
        _style_section(grams),
        _content_section(content_maps(content, result, style, backbone, content_layer), content, result, style,
                         content_layer),
        _matches_section(result, style, backbone, match_layer),
    ]


def _style_section(grams: list[StyleLayer]) -> Section:
    rows = "".join(f"<tr><td>{g.layer}</td><td>{g.before:.4g}</td><td>{g.after:.4g}</td><td>{100 * g.moved:.0f}%</td>"
                   "</tr>" for g in grams)
    table = ("<table><tr><th>layer</th><th>‖G(content) − G(style)‖</th><th>‖G(result) − G(style)‖</th>"
             f"<th>of the way to the style</th></tr>{rows}</table>")
    figures = "".join(figure(_gram_figure(g), f"Gram matrices at {g.layer}") for g in grams)
    mean = sum(g.moved for g in grams) / len(grams)
    return Section(
        "Style: the Gram matrices",
        "The style loss asks the result's Gram matrices (which channels fire together, wherever they do) to equal "
        "the style's. Each row shows one layer's matrices of the content, the result and the style, channels in the "
        "order of the style's clusters and on one colour scale: the result's should look like the style's, not the "
        f"content's. On average over the layers the result has gone <strong>{100 * mean:.0f}%</strong> of the way "
        "from the content's statistics to the style's (100 %: the style's exactly).",
        None, table + figures)


def _gram_figure(g: StyleLayer) -> bytes:
    """One layer's three Gram matrices, channels in the order of the style's clusters, as PNG."""
    return plots.to_png(plots.matrices_grid(
        [("content", g.content.numpy()), ("result", g.result.numpy()), ("style", g.style.numpy())],
        cluster_channels(g.style.numpy()), "gram", g.layer, columns=3,
        title=f"Gram matrices at {g.layer}: {100 * g.moved:.0f}% of the way to the style's"))


def _content_section(maps: list[torch.Tensor], content: torch.Tensor, result: torch.Tensor, style: torch.Tensor,
                     layer: str) -> Section:
    kept, chance = channel_agreement(maps[0], maps[1]), channel_agreement(maps[0], maps[2])
    active = maps[0].flatten(1).std(1) > 0
    strongest = sorted(range(len(maps[0])), key=lambda c: -float(maps[0][c].clamp_min(0).mean()))[:SHOWN_CHANNELS]
    grid = plots.features_grid([content, result, style], maps, strongest, ["content", "result", "style (resized)"],
                               layer)
    return Section(
        f"Content: the feature maps at {layer}",
        f"The content loss asks the result's maps at {layer} to equal the content's: where things are, not how "
        f"they are drawn. Over its {int(active.sum())} active channels the result's maps correlate with the "
        f"content's at a mean Pearson r of <strong>{float(kept[active].mean()):.2f}</strong>; the style's own maps, "
        f"resized to the content's shape, at {float(chance[active].mean()):.2f}, the level of chance. Below, the "
        f"content's {len(strongest)} strongest channels on each picture.",
        plots.to_png(grid))


def _matches_section(result: torch.Tensor, style: torch.Tensor, backbone: Backbone, layer: str) -> Section:
    matches = find_matches(result, style, layer, backbone)
    grid = plots.images_grid(panels(result, style, matches), ["style, each position its colour", "result",
                                                               "where each patch comes from"],
                             f"{layer}, 3x3 patches", columns=3, width=3.0)
    return Section(
        "Where the result's patches come from",
        f"Each 3x3 patch of the result's map at {layer} paired with the style's most similar patch (normalized "
        "correlation), painted with the colour of that patch's place in the style. A Gram matrix keeps no places, "
        "so a result made by matching statistics takes its patches from all over the style: coherence "
        f"{matches.coherence:.2f} (the share of neighbours paired with neighbours), repetition "
        f"{matches.repetition:.2f}, {matches.used:.0%} of the style's patches used. <code>--statistic mrf</code> "
        "pairs patches on purpose and copies larger pieces whole.",
        plots.to_png(grid))


TITLE = "Why this style transfer looks as it does"
INTRO = ("The result measured against the two things Gatys et al.'s style transfer asks of it: the style's "
         "statistics (Gram matrices) at the style layers and the content's feature maps at the content layer; and "
         "where its patches come from in the style.")


def page(content: torch.Tensor, result: torch.Tensor, style: torch.Tensor, backbone: Backbone,
         settings: dict | None = None, stylesheet: str | None = None, **layers) -> str:
    """The whole HTML page (report.page, ``stylesheet`` as there); ``layers``: style_layers, content_layer and
    match_layer as in sections."""
    return report_page(TITLE, html.escape(INTRO), sections(content, result, style, backbone, **layers), settings or {},
                       stylesheet)
