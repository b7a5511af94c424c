"""The page of a comparison (stylegram.analysis.compare): the results, their numbers, one layer's Gram matrices side
by side, and where each result's patches come from."""

from __future__ import annotations

import html

from . import plots
from .cluster import cluster_channels
from .compare import Comparison
from .explain_page import shown_r
from .matches import panels
from .report import Section
from .report import page as report_page

TITLE = {False: "How these style transfers compare", True: "How these textures compare"}
INTRO = {False: "Each result measured as stylegram explain measures one, all at one size: how far its Gram matrices "
                "have gone from the content's towards the style's, how closely its feature maps at the content layer "
                "follow the content's, and where its patches come from in the style.",
         True: "Each texture measured as stylegram explain --texture measures one, all at one size: how far its Gram "
               "matrices have gone from the noise's towards the example's, and where its patches come from in the "
               "example (made anew, or copied)."}


def page(comparison: Comparison, settings: dict | None = None, stylesheet: str | None = None) -> str:
    """The whole page (report.page, ``stylesheet`` as there), with a table of ``settings``."""
    texture = comparison.texture
    return report_page(TITLE[texture], html.escape(INTRO[texture]), sections(comparison), settings or {}, stylesheet)


def sections(c: Comparison) -> list[Section]:
    """The page's sections."""
    return [_pictures(c), _numbers(c), _matrices(c), _patches(c)]


def _pictures(c: Comparison) -> Section:
    first = c.explained[0]
    inputs = ([] if c.texture else [first.start]) + first.styles
    titles = ([] if c.texture else ["content"]) + first.names()
    shown = [*inputs, *(e.result for e in c.explained)]
    size = f"{first.result.shape[-1]}x{first.result.shape[-2]}"
    grid = plots.images_grid(shown, [*titles, *c.names], f"what they were made from, and the results ({size} px)",
                             columns=min(4, len(shown)), width=2.6)
    if c.texture:  # explain.prepared_texture
        words = (f"The example and the results: the results measured at {size} px, the example at its own pixels, "
                 "shrunk as much as they were (times --example-scale).")
    else:  # explain.prepared: the style at --style-scale times the result's long side
        words = (f"The content, the style and the results: the content and the results measured at {size} px, the "
                 "style at --style-scale times their long side.")
    return Section("The results", words, plots.to_webp(grid))


def _numbers(c: Comparison) -> Section:
    head = "".join(f"<th>{g.layer}{html.escape(f' over {g.part}', quote=False) if g.part else ''}</th>"
                   for g in c.explained[0].grams)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td><strong>{100 * e.moved:.0f}%</strong></td>"
        + "".join(f"<td>{100 * g.moved:.0f}%</td>" for g in e.grams)
        + ("" if c.texture else f"<td><strong>{shown_r(e.kept)}</strong></td>")
        + f"<td>{e.matches[0].coherence:.2f}</td></tr>" for name, e in zip(c.names, c.explained))
    target = "example's" if c.texture else "style's"
    table = (f"<table><tr><th>result</th><th>of the way to the {target} Gram matrices</th>{head}"
             + ("" if c.texture else "<th>content r</th>") + f"<th>coherence</th></tr>{rows}</table>")
    start = "noise's" if c.texture else "content's"
    words = (f"Per result, the share of the way its Gram matrices have gone from the {start} towards the {target} "
             "(mean over the layers, then each layer; 100 %: exactly), "
             + ("" if c.texture else "the mean Pearson r of its maps at the content layer with the content's "
                f"(the style's own maps: {shown_r(c.explained[0].chance)}, the level of chance), ")
             + "and the coherence of where its patches come from (the share of neighbouring patches paired with "
             "neighbours in the " + ("example: near 1 for a copy)." if c.texture else "style: high for pieces "
                                     "copied whole)."))
    if c.texture:
        return Section("The numbers", words, None, table)
    plot = plots.trade_off(c.names, [e.kept for e in c.explained], [100 * e.moved for e in c.explained],
                           c.explained[0].chance)
    return Section("Style against content", words + " The plot puts the two aims against each other.",
                   plots.to_webp(plot), table)


def _matrices(c: Comparison) -> Section:
    grams = [next(g for g in e.grams if g.layer == c.layer) for e in c.explained]
    start, target = ("noise", "example") if c.texture else ("content", "style")
    over = f" over {grams[0].part}" if grams[0].part else ""  # placed: the first part's
    shown = [(start, grams[0].start.numpy()), *((name, g.result.numpy()) for name, g in zip(c.names, grams)),
             (target if len(c.explained[0].styles) == 1 or over else f"{target}s blended", grams[0].target.numpy())]
    figure = plots.matrices_grid(shown, cluster_channels(grams[0].target.numpy()), "gram", c.layer,
                                 columns=min(6, len(shown)), title=f"Gram matrices at {c.layer}{over}, channels in "
                                 f"the {target}'s clusters")
    return Section(f"The Gram matrices at {c.layer}{over}",
                   f"The {start}'s, each result's and the {target}'s, channels in the order of the {target}'s "
                   "clusters and on one colour scale: the nearer a result's looks to the last, the more of the "
                   f"{target}'s statistics it has.", plots.to_webp(figure))


def _patches(c: Comparison) -> Section:
    first = c.explained[0]
    maps = [panels(e.result, e.styles[0], e.matches[0]) for e in c.explained]
    shown = [maps[0][0], *(m[2] for m in maps)]
    titles = [f"{first.names()[0]}, each position its colour",
              *(f"{name}: coherence {e.matches[0].coherence:.2f}" for name, e in zip(c.names, c.explained))]
    grid = plots.images_grid(shown, titles, f"where each result's patches come from ({first.matches[0].layer})",
                             columns=min(4, len(shown)), width=2.6)
    source = first.names()[0]
    return Section("Where the patches come from",
                   f"Each patch of a result's map paired with the {source}'s most similar patch and painted with "
                   f"the colour of its place there: confetti for patches taken from all over, smooth areas for "
                   "pieces copied whole.", plots.to_webp(grid))
