"""A self-contained HTML page (figures inlined as base64 lossless WebP) that walks through a Study.

Later analyses (e.g. deep dream images of each cluster) add themselves as extra ``Section``s.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import count
from ..files import write_bytes
from . import featuremaps, plots
from .matrices import LABELS
from .rank import LayerScore
from .study import Study

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
p { line-height: 1.5; } table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
code { background: #f4f4f4; padding: 0 0.2em; }
"""


@dataclass
class Section:
    """One step of the walk-through: a title, a short explanation, a figure and/or extra HTML."""

    title: str
    paragraph: str
    picture: bytes | None = None  # a figure as WebP (plots.to_webp) or PNG bytes
    html: str = ""

    def render(self) -> str:
        parts = [f"<section><h2>{html.escape(self.title)}</h2>", f"<p>{self.paragraph}</p>"]
        if self.picture:
            parts.append(figure(self.picture, self.title))
        parts.append(self.html)
        parts.append("</section>")
        return "\n".join(parts)


def figure(picture: bytes, alt: str) -> str:
    """A figure's WebP (plots.to_webp) or PNG bytes inlined as an HTML figure."""
    kind = "webp" if picture[:4] == b"RIFF" and picture[8:12] == b"WEBP" else "png"
    data = base64.b64encode(picture).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/{kind};base64,{data}"></figure>'


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def sections(study: Study, dreams: Sequence[torch.Tensor] | None = None) -> list[Section]:
    """The post's walk-through as sections, with the numbers of this study in the text.

    ``dreams``: one image per shown channel (its deep dream), added as a column of the feature-map figure.
    """
    s, r, best = study.images, study.ranking, study.score
    k = len(s.classes)
    out = [
        Section(
            "Inputs",
            f"{len(s)} images in {k} classes ({', '.join(html.escape(c) for c in s.classes)}). Each class is a "
            "kind of texture; the question is which layer of the network describes textures so that images of "
            "one class look alike and images of different classes do not.",
            plots.to_webp(plots.inputs_grid(s.images, s.names, s.labels, s.classes)),
        ),
        Section(
            f"Feature maps at {study.layer}",
            f"{len(study.channels)} channels of {study.layer} (rows) for {len(study.shown)} of the images (columns): "
            "the most active channel of each class in turn. Each channel responds to a pattern wherever it occurs; "
            "the Gram matrix throws away <em>where</em> and keeps <em>which channels fire together</em>. "
            "Every row has its own colour scale."
            + (" The last column is each channel's deep dream: the image that excites it most." if dreams else ""),
            plots.to_webp(plots.features_grid([s.images[i] for i in study.shown], study.feature_maps,
                                              featuremaps.channel_rows(study.channels),
                                              [s.names[i] for i in study.shown], study.layer, dreams)),
        ),
        Section(
            "Which layer tells the classes apart?",
            f"For each of {count(len(r.scores), 'layer')}, every image's {LABELS[r.kind]} matrix is compared with every other's "
            "(Pearson correlation of the matrix entries). The top bars are the leave-one-out accuracy of a "
            "nearest-centroid classifier: each image is assigned to the class whose mean matrix it resembles most, "
            "itself left out. The middle bars are the post's contrast score "
            "(on&nbsp;−&nbsp;off)&nbsp;/&nbsp;(on&nbsp;+&nbsp;off) of the mean within-class (on) and between-class "
            "(off) similarity (a negative mean counts as 0, so the score stays within ±1, and classes that "
            "anti-correlate score 1); the bottom bars the gap on&nbsp;−&nbsp;off, which goes on telling layers apart "
            "where the contrast is 1. The best layer has the highest accuracy, then contrast, then gap. "
            + ("The best of many layers scores above chance by luck on few images, so the classes are also shuffled "
               "and the best layer's accuracy on them drawn as the dotted line; the p-value is the share of shuffles "
               "that did as well. " if r.chance is not None else "")
            + f"It is <strong>{r.best.layer}</strong> (orange): {html.escape(r.verdict())}." + _studied(study),
            plots.to_webp(plots.rank_bars(r)),
        ),
        Section(
            f"Confusion matrix at {study.layer}",
            f"Rows are the true classes, columns the classes the leave-one-out classifier chose at {study.layer}; "
            f"the diagonal holds the correct answers ({int(best.confusion.trace())} of {len(s)}, "
            f"{_pct(best.accuracy)}; balanced over classes {_pct(best.balanced_accuracy)})"
            + (f"; undecided, equally near two classes: {count(int((best.predicted < 0).sum()), 'image')}, counted as "
               "misses and left out of the matrix." if (best.predicted < 0).any() else "."),
            plots.to_webp(plots.confusion_plot(best, s.classes, r.labels)),
        ),
        _clusters_section(study),
        _cluster_maps_section(study),
    ]
    return out


def _studied(study: Study) -> str:
    """' The sections below study relu4_1, the layer --layer names ...' where that is not the best layer (the page went
    from 'It is relu3_2' to a confusion matrix at relu4_1 without a word), else ''."""
    r = study.ranking
    if study.layer == r.best.layer:
        return ""
    ranked = [s.layer for s in sorted(r.scores, key=LayerScore.key, reverse=True)]
    where = (f", ranked {ranked.index(study.layer) + 1} of {len(ranked)}" if study.layer in ranked else
             ", which is not among the layers ranked here")
    return f" The sections below study <strong>{study.layer}</strong>, the layer <code>--layer</code> names{where}."


def _cluster_maps_section(study: Study) -> Section:
    s, clusters = study.images, study.clustering.clusters()
    return Section(
        f"Where each cluster fires at {study.layer}",
        "The mean feature map of each cluster's channels (rows) on the images of the feature-map figure (columns): "
        "a cluster is a pattern the network sees, and this is where it sees it. A cluster whose block lights up in "
        "one class's matrices should light up here on that class's images. Every row has its own colour scale.",
        plots.to_webp(plots.features_grid([s.images[i] for i in study.shown], study.feature_maps,
                                          featuremaps.cluster_rows(dict(enumerate(clusters))),
                                          [s.names[i] for i in study.shown], study.layer)),
    )


def _clusters_section(study: Study) -> Section:
    s, c = study.images, study.clustering
    panels = []
    for label, name in enumerate(s.classes):
        panels.append((f"{name}: mean", study.class_mean(label)))
        panels.extend((s.names[i], study.matrices[i].numpy()) for i in s.members(label)[:4])
    per_row = 1 + max(min(4, len(s.members(lab))) for lab in range(len(s.classes)))
    rows = "".join(
        f"<tr><td>{i}</td><td>{len(ch)}</td><td>{html.escape(', '.join(map(str, ch)))}</td></tr>"
        for i, ch in enumerate(c.clusters())
    )
    inactive = c.inactive()
    if inactive:
        listed = html.escape(", ".join(map(str, inactive)))
        rows += f"<tr><td>inactive</td><td>{len(inactive)}</td><td>{listed}</td></tr>"
    table = f"<table><tr><th>cluster</th><th>channels</th><th>channel indices</th></tr>{rows}</table>"
    sil = c.silhouettes
    chosen = (f", the count from {min(sil)} (at least one per class) to {max(sil)} whose clusters are most distinct: "
              f"mean silhouette {sil[c.k]:.2f}" if sil else "")
    return Section(
        f"Channel clusters at {study.layer}",
        f"The set-averaged {LABELS[study.ranking.kind]} matrix of {study.layer} was clustered ({c.method}, "
        f"{count(c.k, 'cluster')}{chosen}) and the channels of every matrix reordered by cluster (borders drawn), so "
        "channels that fire together sit side by side: their products make a block on the diagonal, and a cluster that "
        "fires strongly also lights its rows and columns across the others (more so in Gram matrices than in Pearson "
        "ones, which divide out each channel's strength). Each row shows a class mean and some of its images on one "
        "shared colour scale: " + ("these classes are not told apart beyond chance, so expect the same blocks in "
                                   "every class; the clusters describe the images as a whole, not what separates "
                                   "them. " if study.ranking.at_chance else
                                   "the same blocks light up within a class, different blocks between classes. ")
        + "The cluster membership below is what deep dream on a cluster uses (<code>stylegram report</code> writes it beside "
        "this page, as a .json file of the page's name, for <code>stylegram dream --cluster FILE:K</code>).",
        plots.to_webp(plots.matrices_grid(panels, c, study.ranking.kind, study.layer, columns=per_row)),
        table,
    )


TITLE = "Understanding style: what a network sees in your textures"


def render(
    study: Study, extra: Sequence[Section] = (), title: str = TITLE, dreams: Sequence[torch.Tensor] | None = None
) -> str:
    """The whole HTML page; ``dreams`` as in ``sections``."""
    r = study.ranking  # at chance, the page went on studying 'the best layer' as a finding
    luck = (f" <strong>Here no layer tells the classes apart beyond chance (p = {r.chance.p_value:.3f}):</strong> the "
            f"layer studied below is best by luck, and what it shows describes the images, not their differences; "
            "give more images a class, or classes that differ more." if r.at_chance else "")
    return page(title, "This page repeats the analysis of the blog post “Understanding style transfer” on your own "
                "images: feature maps, how well each layer's channel matrices separate the image classes, and the "
                "channel clusters of the best layer" + ("" if study.layer == r.best.layer else
                                                        f" (here {study.layer}, as <code>--layer</code> asks)")
                + "." + luck, [*sections(study, dreams), *extra], study.settings)


def page(title: str, intro: str, parts: Sequence[Section], settings: dict, stylesheet: str | None = None) -> str:
    """A self-contained HTML page: the title, an introduction (HTML), the sections and a table of the settings; its
    STYLE inline, or linked from ``stylesheet`` (a server whose policy forbids inline styles)."""
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_setting(v))}</td></tr>"
                   for k, v in settings.items())
    body = "\n".join(section.render() for section in parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        + (f'<link rel="stylesheet" href="{html.escape(stylesheet)}">' if stylesheet else f"<style>{STYLE}</style>")
        + "</head><body>"
        f"<h1>{html.escape(title)}</h1><p>{intro}</p>"
        f"{body}{f'<h2>Settings</h2><table>{rows}</table>' if rows else ''}</body></html>\n"
    )


def framed(text: str) -> str:
    """A page in an iframe that grows to its height: how a notebook shows it, the page's stylesheet kept off the
    notebook's."""
    grow = "this.style.height = this.contentDocument.documentElement.scrollHeight + 'px'"
    return (f'<iframe srcdoc="{html.escape(text, quote=True)}" style="width: 100%; height: 80vh; border: 0" '
            f'onload="{grow}"></iframe>')


def _setting(value) -> str:
    """A setting as the table shows it: yes or no for a switch."""
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def write(
    study: Study,
    path: str | os.PathLike[str],
    extra: Sequence[Section] = (),
    dreams: Sequence[torch.Tensor] | None = None,
) -> Path:
    """Render and write the page atomically; ``dreams`` as in ``sections``."""
    return write_page(render(study, extra, dreams=dreams), path)


def write_page(text: str, path: str | os.PathLike[str]) -> Path:
    """Write an HTML page atomically (a page half written is never left at ``path``)."""
    return write_bytes(path, text.encode("utf-8"))
