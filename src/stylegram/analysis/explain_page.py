"""The page of an explanation (stylegram.analysis.explain): its sections, in words and figures."""

from __future__ import annotations

import html

import torch.nn.functional as F

from . import placed, plots
from .cluster import cluster_channels
from .explain import Explanation, StyleLayer, percent, style_names
from .matches import panels
from .report import Section, figure
from .report import page as report_page

SHOWN_CHANNELS = 4  # the content layer's strongest channels shown as maps
TITLE = "Why this style transfer looks as it does"
TEXTURE_TITLE = "Why this texture looks as it does"
INTRO = ("The result measured against the two things Gatys et al.'s style transfer asks of it: the style's "
         "statistics (Gram matrices) at the style layers and the content's feature maps at the content layer; and "
         "where its patches come from in the style.")
TEXTURE_INTRO = ("The result measured against what Gatys et al.'s texture synthesis asks of it: the example's "
                 "statistics (Gram matrices) at every layer, grown from noise; and where its patches come from in the "
                 "example, which tells a texture made anew from a copy.")


def shown_r(value: float) -> str:
    """A correlation as the page writes it: two decimals, and 0.00 rather than -0.00."""
    return f"{0.0 if round(value, 2) == 0 else value:.2f}"


def page(explained: Explanation, settings: dict | None = None, stylesheet: str | None = None) -> str:
    """The whole page (report.page, ``stylesheet`` as there), with a table of ``settings``."""
    title, intro = (TEXTURE_TITLE, TEXTURE_INTRO) if explained.texture else (TITLE, INTRO)
    return report_page(title, html.escape(intro), sections(explained), settings or {}, stylesheet)


def sections(explained: Explanation) -> list[Section]:
    """The page's sections."""
    e = explained
    first = [e.start] if not e.texture else []
    images = [*first, *e.styles, e.result]
    framed = f", frame {e.frame}" if e.frame else ""  # a video's: the figure said only 'content' and 'result'
    titles = [f"{name}, {i.shape[-1]}x{i.shape[-2]} px" for name, i in
              zip([*([f"content{framed}"] * len(first)), *e.names(), f"result{framed}"], images)]
    masked = [p for p in e.parts or [] if p.mask is not None]
    images += [placed.shown(e.result, p.mask) for p in masked]
    titles += [f"the result over {p.name}" for p in masked]
    pictures = plots.images_grid(images, titles,
                                 "what it was made from, and the result", columns=min(4, len(e.styles) + 2),
                                 width=3.0)
    noun = "example" if e.texture else "style"
    what = ("The " if e.texture else "The content and the ") + (f"{noun}s" if len(e.styles) > 1 else noun)
    made = (f"{what} the result was made from, at the sizes they were measured at (their features' scale), and the "
            "result.")
    if len(e.styles) > 1 and not e.placed():
        made += " Percentages are the blend's weights" + (  # layer groups: a layer in one group takes that one alone
            f", where layers share {noun}s; each {noun} is measured on its own group of layers." if e.grouped else ".")
    elif len(e.styles) > 1 and not e.even():
        made += f" Percentages are the {noun}s' weights, each one's strength in its part."
    if masked:
        made += f" Then the part of the result each {noun} was placed in (its mask), where it is measured."
    return [Section("The pictures", made, plots.to_webp(pictures)), _style_section(e),
            *([] if e.texture else [_content_section(e)]), *([_matches_section(e)] if e.matches else [])]


def _style_section(e: Explanation) -> Section:
    start, target = "noise" if e.texture else "content", e.target()
    heading = "the example" if e.texture else "the style"
    by_part = any(g.part for g in e.grams)
    rows = "".join(f"<tr>{f'<td>{html.escape(g.part, quote=False)}</td>' if by_part else ''}<td>{g.layer}</td>"
                   f"<td>{g.before:.4g}</td><td>{g.after:.4g}</td><td>{percent(g.moved)}</td></tr>" for g in e.grams)
    table = (f"<table><tr>{'<th>part</th>' if by_part else ''}<th>layer</th><th>‖G({start}) − G(target)‖</th>"
             f"<th>‖G(result) − G(target)‖</th><th>of the way to {heading}</th></tr>{rows}</table>")
    panel = e.names()[0] if len(e.styles) == 1 else f"{heading.removeprefix('the ')}s blended"
    figures = "".join(figure(_gram_figure(g, start, panel, target, heading.removeprefix("the ")),
                             f"Gram matrices at {g.layer}" + (f" over {g.part}" if g.part else "")) for g in e.grams)
    blend = (f" With several {'examples' if e.texture else 'styles'} the target at a layer is the blend of their "
             "Gram matrices, weighted as they were, as the loss's target is." if len(e.styles) > 1 else "")
    if by_part:
        noun = heading.removeprefix("the ")
        blend = (f" Masks or label maps placed the {noun}s, so each part is measured as its loss asks: the {start}'s "
                 f"and the result's Gram matrices over the part (each position weighed by its mask) against its "
                 f"{noun}'s, over the {noun} image's region where one was given.")
    asks = ("Texture synthesis asks the result's Gram matrices (which channels fire together, wherever they do) to "
            "equal the example's, starting from noise." if e.texture else
            "The style loss asks the result's Gram matrices (which channels fire together, wherever they do) to equal "
            "the style's.")
    shown_target = target.removesuffix("'s")  # "the style", "the styles' blend", or "each part's style"
    return Section(
        "Style: the Gram matrices",
        f"{asks}{blend} Each row shows one layer's matrices of the {start}, the result and {shown_target}, "
        "channels in the "
        f"order of the target's clusters and on one colour scale: the result's should look like the target's, not "
        f"the {start}'s. On average over the layers the result has gone <strong>{percent(e.moved)}</strong> of the "
        f"way from the {start}'s statistics to {target} (100 %: exactly).",
        None, table + figures)


def _gram_figure(g: StyleLayer, start: str, panel: str, target: str, noun: str) -> bytes:
    """One layer's three Gram matrices (the target's panel titled ``panel``; ``noun``: style or example), channels in
    the order of the target's clusters, as WebP."""
    over, target = (f" over {g.part}", f"its {noun}'s") if g.part else ("", target)
    there = " there" if g.part else ""
    panels = [(start + there, g.start.numpy()), ("result" + there, g.result.numpy()),
              (f"its {noun}" if g.part else panel, g.target.numpy())]
    return plots.to_webp(plots.matrices_grid(panels, cluster_channels(g.target.numpy()), "gram", g.layer, columns=3,
                                             title=f"Gram matrices at {g.layer}{over}: {percent(g.moved)} of the way "
                                                   f"to {target}"))


def _content_section(e: Explanation) -> Section:
    strongest = sorted(range(len(e.maps[0])), key=lambda c: -float(e.maps[0][c].clamp_min(0).mean()))[:SHOWN_CHANNELS]
    seen = F.interpolate(e.styles[0], size=e.start.shape[-2:], mode="bilinear", align_corners=False)  # as measured
    grid = plots.features_grid([e.start, e.result, seen], e.maps[:3], strongest,
                               ["content", "result", f"{style_names(len(e.styles))[0]} (resized)"], e.content_layer)
    own = "the style's own maps" if len(e.styles) == 1 else "the styles' own maps (the mean over them)"
    active = int((e.maps[0].flatten(1).std(1) > 0).sum())
    return Section(
        f"Content: the feature maps at {e.content_layer}",
        f"The content loss asks the result's maps at {e.content_layer} to equal the content's: where things are, not "
        f"how they are drawn. Over its {active} active channels the result's maps correlate with the "
        f"content's at a mean Pearson r of <strong>{shown_r(e.kept)}</strong>; {own}, resized to the "
        f"content's shape, at {shown_r(e.chance)}, the level of chance. Below, the content's {len(strongest)} "
        "strongest channels on each picture.",
        plots.to_webp(grid))


def _matches_section(e: Explanation) -> Section:
    figures, numbers = [], []
    for name, style, m in zip(e.names(), e.styles, e.matches):
        grid = plots.images_grid(panels(e.result, style, m), [f"{name}, each position its colour", "result",
                                                              "where each patch comes from"],
                                 f"{name}: {m.layer}, {m.patch}x{m.patch} patches", columns=3, width=3.0)
        figures.append(figure(plots.to_webp(grid), f"where the result's patches come from in the {name}"))
        numbers.append(f"{'' if len(e.styles) == 1 else name + ': '}coherence {m.coherence:.2f}, repetition "
                       f"{m.repetition:.2f}, {m.used:.0%} of its patches used")
    m, noun = e.matches[0], "example" if e.texture else "style"
    source = f"the {noun}'s" if len(e.styles) == 1 else f"each {noun}'s"
    copies = ("A texture made anew takes its patches from all over the example; a copy keeps large pieces of the "
              "example together (areas of smoothly changing colour)." if e.texture else
              "A Gram matrix keeps no places, so a result made by matching statistics takes its patches from all over "
              "the style; <code>--statistic mrf</code> pairs patches on purpose and copies larger pieces whole.")
    placed = ("" if all(m.inside is None for m in e.matches) else
              f" A {noun} placed by masks or label maps is paired only where it paints: elsewhere its last picture is "
              "left white, and its numbers count only the patches inside.")
    return Section(
        "Where the result's patches come from",
        f"Each {m.patch}x{m.patch} patch of the result's map at {m.layer} paired with {source} most similar patch "
        f"(normalized correlation), painted with the colour of that patch's place in the {noun}. {copies}{placed} The "
        "coherence is the share of neighbouring patches paired with neighbours, the repetition the share paired with "
        f"the very same patch: {'; '.join(numbers)}.",
        None, "".join(figures))
