"""The page of a comparison (stylegram.analysis.compare): the results, their numbers, one layer's Gram matrices side
by side, and where each result's patches come from."""

from __future__ import annotations

import html

from . import plots
from .cluster import cluster_channels
from .compare import Comparison
from .explain import percent
from .explain_page import shown_r
from .matches import panels
from .report import Section, figure
from .report import page as report_page

TITLE = {False: "How these style transfers compare", True: "How these textures compare"}


def page(comparison: Comparison, settings: dict | None = None, stylesheet: str | None = None) -> str:
    """The whole page (report.page, ``stylesheet`` as there), with a table of ``settings``."""
    texture = comparison.texture
    return report_page(TITLE[texture], html.escape(_intro(comparison)), sections(comparison), settings or {},
                       stylesheet)


def _intro(c: Comparison) -> str:
    """What the page measures, in words, naming the target as the headline does (two styles read as one)."""
    first, noun = c.explained[0], "example" if c.texture else "style"
    source = f"the {noun}" if len(first.styles) == 1 else f"each {noun}"
    if c.texture:
        return (f"Each texture measured as stylegram explain --texture measures one, all at one size: how far its "
                f"Gram matrices have gone from the noise's towards {first.goal()}, and where its patches come from "
                f"in {source} (made anew, or copied).")
    return (f"Each result measured as stylegram explain measures one, all at one size: how far its Gram matrices have "
            f"gone from the content's towards {first.goal()}, how closely its feature maps at the content layer "
            f"follow the content's, and where its patches come from in {source}.")


def sections(c: Comparison) -> list[Section]:
    """The page's sections."""
    return [_pictures(c), _numbers(c), _matrices(c), _patches(c)]


def _pictures(c: Comparison) -> Section:
    first = c.explained[0]
    inputs = ([] if c.texture else [first.start]) + first.styles
    titles = ([] if c.texture else ["content"]) + c.styles_named()
    shown = [*inputs, *(e.result for e in c.explained)]
    size = c.measured_at()
    grid = plots.images_grid(shown, [*titles, *c.names], f"what they were made from, and the results ({size} px)",
                             columns=min(4, len(shown)), width=2.6)
    if c.texture:  # explain.prepared_texture
        words = (f"The example and the results: the results measured at {size} px, the example at its own pixels, "
                 "shrunk as much as they were (times --example-scale).")
    else:  # explain.prepared: the style at --style-scale times the result's long side
        styles = "style" if len(first.styles) == 1 else "styles"
        words = (f"The content, the {styles} and the results: the content and the results measured at {size} px, "
                 f"the {styles} at --style-scale times their long side.")
    return Section("The results", words, plots.to_webp(grid))


def _numbers(c: Comparison) -> Section:
    head = "".join(f"<th>{g.layer}{html.escape(f' over {g.part}', quote=False) if g.part else ''}</th>"
                   for g in c.explained[0].grams)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td><strong>{percent(e.moved)}</strong></td>"
        + "".join(f"<td>{percent(g.moved)}</td>" for g in e.grams)
        + ("" if c.texture else f"<td><strong>{shown_r(e.kept)}</strong></td>")
        + "".join(f"<td>{m.coherence:.2f}</td>" for m in e.matches) + "</tr>" for name, e in zip(c.names, c.explained))
    goal = c.explained[0].goal()
    several = len(c.explained[0].matches) > 1
    coherence = "".join(f"<th>coherence{html.escape(f' ({name})', quote=False) if several else ''}</th>"
                        for name in c.styles_named()[:len(c.explained[0].matches)])
    table = (f"<table><tr><th>result</th><th>of the way to {goal}</th>{head}"
             + ("" if c.texture else "<th>content r</th>") + f"{coherence}</tr>{rows}</table>")
    start = "noise's" if c.texture else "content's"
    words = (f"Per result, the share of the way its Gram matrices have gone from the {start} towards {goal} "
             "(mean over the layers, then each layer; 100 %: exactly), "
             + ("" if c.texture else "the mean Pearson r of its maps at the content layer with the content's "
                f"(the style's own maps: {shown_r(c.explained[0].chance)}, the level of chance), ")
             + "and the coherence of where its patches come from (the share of neighbouring patches paired with "
             "neighbours in the " + ("example: near 1 for a copy)." if c.texture else "style: high for pieces "
                                     "copied whole)."))
    warned = c.warnings()  # each result's content r is worked out again from its maps: once
    if warned:
        sentences = [text if text.endswith(("?", ".")) else f"{text}." for text in warned]  # not '...content?.'
        words += " <strong>Warnings:</strong> " + html.escape(" ".join(sentences), quote=False)
    if c.texture:
        return Section("The numbers", words, None, table)
    plot = plots.trade_off(c.names, [e.kept for e in c.explained], [100 * e.moved for e in c.explained],
                           c.explained[0].chance, goal)
    return Section("Style against content", words + " The plot puts the two aims against each other.",
                   plots.to_webp(plot), table)


def _matrices(c: Comparison) -> Section:
    at_layer = [[g for g in e.grams if g.layer == c.layer] for e in c.explained]  # a placed style's: one per part
    start, target = ("noise", "example") if c.texture else ("content", "style")
    figures = [_matrices_figure(c, [grams[k] for grams in at_layer], start, target) for k in range(len(at_layer[0]))]
    over = f" over {at_layer[0][0].part}" if len(figures) == 1 and at_layer[0][0].part else ""
    parts = f" over each part (each result's and the {start}'s weighed by its mask)" if len(figures) > 1 else ""
    aim = c.explained[0].target()  # "the style's", "the styles' blend", "each part's style's"
    words = (f"The {start}'s, each result's and {aim}{parts}, channels in the order of the target's clusters and on "
             f"one colour scale: the nearer a result's looks to the last, the more of the {target}'s statistics it "
             "has.")
    if len(figures) == 1:
        return Section(f"The Gram matrices at {c.layer}{over}", words, figures[0])
    return Section(f"The Gram matrices at {c.layer}", words, None,
                   "".join(figure(f, f"Gram matrices at {c.layer} over {g.part}") for f, g in zip(figures, at_layer[0])))


def _matrices_figure(c: Comparison, grams: list, start: str, target: str) -> bytes:
    """One part's Gram matrices at the page's layer (of the start, each result and the target), as WebP."""
    over = f" over {grams[0].part}" if grams[0].part else ""
    shown = [(start, grams[0].start.numpy()), *((name, g.result.numpy()) for name, g in zip(c.names, grams)),
             (target if len(c.explained[0].styles) == 1 else f"its {target}" if over else f"{target}s blended",
              grams[0].target.numpy())]
    grid = plots.matrices_grid(shown, cluster_channels(grams[0].target.numpy()), "gram", c.layer,
                               columns=min(6, len(shown)), title=f"Gram matrices at {c.layer}{over}, channels in "
                               f"the {target}'s clusters")
    return plots.to_webp(grid)


def _patches(c: Comparison) -> Section:
    first, names = c.explained[0], c.styles_named()
    several = len(first.matches) > 1
    grids = [_patches_figure(c, k, names[k], several) for k in range(len(first.matches))]
    noun = "example" if c.texture else "style"
    source = f"the {noun}'s" if len(grids) == 1 else f"each {noun}'s"
    words = (f"Each patch of a result's map paired with {source} most similar patch and painted with "
             f"the colour of its place there: confetti for patches taken from all over, smooth areas for "
             "pieces copied whole.")
    if len(grids) == 1:
        return Section("Where the patches come from", words, grids[0])
    return Section("Where the patches come from", words, None,
                   "".join(figure(g, f"where each result's patches come from in {name}") for g, name in
                           zip(grids, names)))


def _patches_figure(c: Comparison, k: int, name: str, named: bool) -> bytes:
    """Where each result's patches come from in the ``k``-th style (example), as WebP; ``named``: the style named in
    its title, one of several."""
    first = c.explained[0]
    maps = [panels(e.result, first.styles[k], e.matches[k]) for e in c.explained]
    shown = [maps[0][0], *(m[2] for m in maps)]
    titles = [f"{name}, each position its colour",
              *(f"{result}: coherence {e.matches[k].coherence:.2f}" for result, e in zip(c.names, c.explained))]
    where = f" in {name}" if named else ""
    grid = plots.images_grid(shown, titles, f"where each result's patches come from{where} ({first.matches[k].layer})",
                             columns=min(4, len(shown)), width=2.6)
    return plots.to_webp(grid)
