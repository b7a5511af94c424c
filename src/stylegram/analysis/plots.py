"""Figures of the analysis, drawn with matplotlib's object API (no pyplot state, no GUI backend).

matplotlib is imported inside the functions, so ``import stylegram.analysis.plots`` stays cheap.
Colour scales: a quantity that takes both signs (pre-ReLU maps, Pearson matrices) gets a diverging map
centred on 0 (RdBu_r, symmetric limits); a non-negative one gets 'magma' from 0 up.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import OptionError, count
from ..images import save_image
from . import featuremaps
from .cluster import Clustering
from .matrices import LABELS
from .rank import LayerScore, Ranking

DPI = 110


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _suptitle(fig, text: str) -> None:
    """The figure's title, each line wrapped to the figure's width (a one-image figure is narrower than its title,
    which was cut off at both sides)."""
    fig.suptitle(_fill(text, fig.get_figwidth(), 10), fontsize=10)


def _fill(text: str, inches: float, points: float) -> str:
    """``text`` with each line wrapped to ``inches`` of ``points``-pt text (some 0.6 em a character, with room to
    spare: 12 characters of 10 pt text per inch)."""
    width = max(16, int(inches * 72 / (0.6 * points)))
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def rendered(fig) -> Image.Image:
    """The figure drawn once with Agg, as an RGBA picture (savefig would lay it out and draw it twice)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0,
                            1).copy()


def to_png(fig) -> bytes:
    """The figure as PNG bytes (no timestamp, so the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    rendered(fig).save(buffer, format="PNG")
    return buffer.getvalue()


def to_webp(fig) -> bytes:
    """The figure as lossless WebP bytes, how pages inline it: the same pixels in about half of PNG's bytes."""
    buffer = io.BytesIO()
    rendered(fig).save(buffer, format="WEBP", lossless=True, method=2)
    return buffer.getvalue()


def save(fig, path: str | os.PathLike[str]) -> Path:
    """Write the figure in the format its extension names (.png, .jpg, .tif, .webp, .bmp), atomically."""
    return save_image(rendered(fig), path)


def _short(name: str, width: int = 22) -> str:
    """A file or class name for a label: its last ``width`` characters, shown as written.

    Matplotlib reads text between two '$' as maths: 'price $5 and $10' lost its dollars and '$\\bad{$' raised.
    """
    shown = name if len(name) <= width else "…" + name[-(width - 1):]
    return shown.replace("$", r"\$")


def _wrapped(name: str, width: int = 26, lines: int = 2) -> str:
    """A result's name for a label, broken between words (or after an underscore, as in a sweep's file names) into up
    to ``lines`` lines of ``width`` characters ('style-weight 100,' over 'colors luminance'); the end of a longer one
    (``_short``: 'style-weight=100_statistic=meanstd.png' lost its start, the part that told results apart)."""
    parts = [p.replace("_ ", "_") for p in textwrap.wrap(name.replace("_", "_ "), width, break_long_words=False)]
    if len(parts) > lines or any(len(p) > width for p in parts):
        return _short(name, width)
    return "\n".join(p.replace("$", r"\$") for p in parts)


def _picture(x: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) in [0, 1] -> H x W x 3 for imshow."""
    x = x[0] if x.dim() == 4 else x
    return x.clamp(0, 1).permute(1, 2, 0).numpy()


def _colours(low: float, high: float, signed: bool | None = None) -> dict:
    """imshow arguments of the house colour scale for values in [low, high]."""
    signed = low < -1e-6 * max(abs(high), 1e-12) if signed is None else signed
    if signed:
        m = max(abs(low), abs(high), 1e-12)
        return {"cmap": "RdBu_r", "vmin": -m, "vmax": m}
    return {"cmap": "magma", "vmin": 0.0, "vmax": max(high, 1e-12)}


def _no_ticks(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def features_grid(
    images: Sequence[torch.Tensor],
    feature_maps: Sequence[torch.Tensor],
    rows: Sequence[int | tuple[str, Sequence[int]]],
    names: Sequence[str],
    layer: str,
    dreams: Sequence[torch.Tensor] | None = None,
):
    """Images in columns (input on top), one row per channel, or cluster of channels (the mean of their maps), with
    its own colour scale and colour bar; ``rows``: channel numbers or (label, channels), see featuremaps.cluster_rows.
    More than GRID_COLUMNS images wrap into bands as even as can be (14: two of 7), one under another, each with all
    the rows.

    ``dreams``: optionally one image per row (e.g. its deep dream, stylegram.deepdream), shown in a last column.
    """
    rows = featuremaps.as_rows(rows)
    _check_grid(images, feature_maps, names, rows, layer, dreams)
    across = math.ceil(len(images) / math.ceil(len(images) / GRID_COLUMNS))
    bands = [range(start, min(start + across, len(images))) for start in range(0, len(images), across)]
    cols, per_band = len(bands[0]), len(rows) + 1
    aspect = float(np.median([x.shape[-2] / x.shape[-1] for x in images]))  # a 600x40 picture: a strip in a square
    width, height = max(0.6, 1.7 * min(1.0, 1 / aspect)), max(0.95, 1.6 * min(1.0, aspect))  # a row: its label's room
    fig = _figure(width * (cols + (dreams is not None)) + 1.4, height * per_band * len(bands) + 0.5)
    bars = None  # with dreams, the colour bars get a narrow column of their own before the dreams' (they took room
    # from the maps alone, and the dreams stood apart behind a column's width of white)
    if dreams is not None:
        grid = fig.subplots(per_band * len(bands), cols + 2, squeeze=False,
                            gridspec_kw={"width_ratios": [1.0] * cols + [0.07, 1.0]})
        axes, bars, beside = grid[:, :cols], grid[:, cols], grid[:, -1]
        for ax in [*beside, *bars[::per_band]]:
            ax.set_visible(False)
        for r, dream in enumerate(dreams, start=1):  # beside the first band's rows
            beside[r].set_visible(True)
            beside[r].imshow(_picture(dream))
            _no_ticks(beside[r])
        beside[1].set_title("its dream", fontsize=8)
    else:
        axes = fig.subplots(per_band * len(bands), cols, squeeze=False)
    maps = [[featuremaps.row_map(f, channels, layer).numpy() for f in feature_maps] for _, channels in rows]
    styles = [_colours(min(v.min() for v in row), max(v.max() for v in row)) for row in maps]  # over every band
    for b, band in enumerate(bands):
        block = axes[b * per_band:(b + 1) * per_band]
        _band(fig, block, [images[i] for i in band], [names[i] for i in band], rows, [[row[i] for i in band]
              for row in maps], styles, None if bars is None else bars[b * per_band:(b + 1) * per_band])
    what = "Mean feature maps of channel clusters" if any(len(cs) > 1 for _, cs in rows) else "Feature maps"
    _suptitle(fig, f"{what} at {layer} (one colour scale per row)")
    return fig


GRID_COLUMNS = 12  # images side by side in a features grid; more wrap into bands (40 made a figure 70 inches wide)


def _check_grid(images: Sequence[torch.Tensor], feature_maps: Sequence[torch.Tensor], names: Sequence[str],
                rows: Sequence[tuple[str, Sequence[int]]], layer: str, dreams: Sequence[torch.Tensor] | None) -> None:
    """Refuse a features grid whose lists do not match or whose rows name channels the layer lacks (min() of no
    maps, an IndexError of a name, or torch's own IndexError said it)."""
    if not len(images) or len(feature_maps) != len(images) or len(names) != len(images):
        raise OptionError(f"{count(len(images), 'image')}, {count(len(feature_maps), 'feature map')} and "
                          f"{count(len(names), 'name')}: give one map and one name per image, for one image or more")
    if not rows:
        raise OptionError("no rows: give channel numbers, or (label, channels) for a row of several")
    for _, channels in rows:
        featuremaps.check_channels(channels, feature_maps[0].shape[0], layer)
    if dreams is not None and len(dreams) != len(rows):
        raise OptionError(f"{count(len(dreams), 'dream')} for {count(len(rows), 'row')}: give one per row")


def _band(fig, axes, images: Sequence[torch.Tensor], names: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]],
          maps: Sequence[Sequence[np.ndarray]], styles: Sequence[dict], bars) -> None:
    """One band of a features grid: its images over their maps, a row each, in ``axes``; columns past the images
    (the last band's) are left empty; ``bars``: the colour bars' own axes, or None to take room from the rows."""
    for j in range(len(images), axes.shape[1]):
        for ax in axes[:, j]:
            ax.set_visible(False)
    for j, (x, name) in enumerate(zip(images, names)):
        axes[0, j].imshow(_picture(x))
        axes[0, j].set_title(_short(name), fontsize=8)
        _no_ticks(axes[0, j])
    axes[0, 0].set_ylabel("input", fontsize=9)
    if bars is None:
        _bar_space(fig, axes[0])  # as the rows below give up to their colour bars, so the columns line up
    for r, ((label, _), row, style) in enumerate(zip(rows, maps, styles), start=1):
        for j, values in enumerate(row):
            im = axes[r, j].imshow(values, interpolation="nearest", **style)
            _no_ticks(axes[r, j])
        axes[r, 0].set_ylabel(label, fontsize=9)
        bar = fig.colorbar(im, ax=list(axes[r]), shrink=0.85, pad=0.01, aspect=12) if bars is None else \
            fig.colorbar(im, cax=bars[r])
        bar.ax.tick_params(labelsize=7)


def _bar_space(fig, row) -> None:
    """An invisible colour bar beside a row that has none, taking the room the other rows' bars take."""
    from matplotlib.cm import ScalarMappable

    fig.colorbar(ScalarMappable(), ax=list(row), shrink=0.85, pad=0.01, aspect=12).ax.set_visible(False)


def matrix_style(values: Sequence[np.ndarray], kind: str) -> dict:
    """One shared colour scale for a set of matrices: [-1, 1] for Pearson, else the 99th percentile of |G|."""
    if kind == "pearson":
        return {"cmap": "RdBu_r", "vmin": -1.0, "vmax": 1.0}
    flat = np.concatenate([np.asarray(v).ravel() for v in values])
    high = float(np.percentile(np.abs(flat), 99)) or 1.0
    if flat.min() < -0.01 * high:
        return {"cmap": "RdBu_r", "vmin": -high, "vmax": high}
    return {"cmap": "magma", "vmin": 0.0, "vmax": high}


def _borders(ax, bounds: Sequence[tuple[int, int]], colour: str, labels: bool) -> None:
    from matplotlib.patches import Rectangle

    for k, (start, stop) in enumerate(bounds):
        # over the axes' frame, where the first box's top and left edges lie
        ax.add_patch(Rectangle((start - 0.5, start - 0.5), stop - start, stop - start, fill=False, edgecolor=colour,
                               linewidth=0.9, zorder=3, clip_on=False))
        if labels and stop - start >= max(2, bounds[-1][1] // 40):
            ax.text(-1, (start + stop - 1) / 2, str(k), ha="right", va="center", fontsize=6, clip_on=False)  # left
            # of the matrix: above it they pushed its title up, out of line with the others'


def matrices_grid(
    panels: Sequence[tuple[str, np.ndarray]],
    clustering: Clustering,
    kind: str,
    layer: str,
    columns: int = 6,
    title: str | None = None,
):
    """Matrices with channels in cluster order, one shared colour scale, cluster borders drawn."""
    order = clustering.order
    shown = [(name, np.asarray(m)[np.ix_(order, order)]) for name, m in panels]
    style = matrix_style([m for _, m in shown], kind)
    cols = min(columns, len(shown))
    rows = -(-len(shown) // cols)
    fig = _figure(1.9 * cols + 1.0, 1.95 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    border = "black" if style["cmap"] == "RdBu_r" else "cyan"
    for ax, (name, m) in zip(axes.flat, shown):
        im = ax.imshow(m, interpolation="nearest", **style)
        _borders(ax, clustering.bounds(), border, labels=ax is axes.flat[0])
        ax.set_title(_wrapped(name, lines=3), fontsize=7, pad=3)  # compare's '1: style-weight 10.0, iterations 20, ..'
        _no_ticks(ax)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    values = np.concatenate([m.ravel() for _, m in shown])
    above, below = values > style["vmax"], values < style["vmin"]  # the scale ends at the 99th percentile of |G|
    extend = {(True, True): "both", (True, False): "max", (False, True): "min"}.get((above.any(), below.any()),
                                                                                   "neither")
    bar = fig.colorbar(im, ax=list(axes.flat), shrink=0.6, pad=0.01, aspect=30, extend=extend)
    bar.ax.tick_params(labelsize=7)
    bar.set_label("Pearson r" if kind == "pearson" else "Gram  F Fᵀ / (H·W)", fontsize=8)
    clipped = float((above | below).mean())  # an arrow, and the share, where the brightest entries pass the scale
    beyond = f"; {clipped:.1%} of entries beyond the colour scale, up to {np.abs(values).max():.3g}" if clipped else ""
    inactive, word = len(clustering.inactive()), "constant" if kind == "pearson" else "inactive"  # they fire, flat
    note = f", {inactive} {word} channel{'s' * (inactive != 1)} last" if inactive else ""
    _suptitle(fig, (title or f"{LABELS[kind]} matrices at {layer}: {len(order)} channels in {clustering.k} "
                             f"{clustering.method} cluster{'s' * (clustering.k != 1)}{note}") + beyond)
    return fig


def rank_bars(ranking: Ranking):
    """Leave-one-out accuracy (top), contrast score and gap (below) for every layer; the best layer in orange."""
    scores = ranking.scores
    n = len(scores)
    fig = _figure(max(8.0, 0.2 * n + 2.0), 7.4)
    top, middle, bottom = fig.subplots(3, 1, sharex=True)
    best = ranking.best.layer
    colours = ["tab:orange" if s.layer == best else "tab:blue" for s in scores]
    x = np.arange(n)
    top.bar(x, [100 * s.accuracy for s in scores], color=colours)
    chance = 100 * ranking.majority  # 2 against 20 images: always guessing the larger class is right 91 % of the time
    top.axhline(chance, color="0.25", linestyle="--", linewidth=0.9, zorder=3)
    said = "chance" if ranking.balanced else "always the\nlarger class"
    label = f"leave-one-out\naccuracy (%)\n(dashed: {said}, {chance:.0f}%"
    if ranking.chance is not None:  # what the best of all these layers reaches on shuffled classes
        top.axhline(100 * ranking.chance.level, color="tab:red", linestyle=":", linewidth=1.1, zorder=3)
        label += f";\ndotted: best layer on\nshuffled classes, {100 * ranking.chance.level:.0f}%"
    top.set_ylim(0, 105)
    top.set_ylabel(label + ")", fontsize=9)  # a label on the line hid a bar
    for ax, values, label in [(middle, [s.contrast for s in scores], "contrast\n(on − off) / (on + off)\n(a negative mean as 0)"),
                              (bottom, [s.gap for s in scores], "gap\non − off")]:
        ax.bar(x, [0.0 if np.isnan(v) else v for v in values], color=colours)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel(label, fontsize=9)
    bottom.set_xticks(x, [s.layer for s in scores], rotation=90, fontsize=7 if n < 60 else 5)
    for ax in (top, middle, bottom):
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", linewidth=0.3, alpha=0.6)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.7, n - 0.3)
    b = ranking.best
    fig.suptitle(f"How well each layer's {LABELS[ranking.kind]} matrices separate {len(ranking.classes)} classes "
                 f"({len(ranking.labels)} images)\nbest: {b.layer}, {100 * b.accuracy:.1f}% accuracy, "
                 f"contrast {b.contrast:.3f}, gap {b.gap:.3f}" + _chance_said(ranking),
                 fontsize=10)  # two lines: one was wider than the 8-inch figure
    return fig


def _chance_said(ranking: Ranking) -> str:
    """', p = 0.005 against shuffled classes', and where that is not beaten, that this is luck."""
    if ranking.chance is None:
        return ""
    said = f", p = {ranking.chance.p_value:.3f} against shuffled classes"
    return said if ranking.chance.beaten else said + " (no better than chance)"


def confusion_plot(score: LayerScore, classes: Sequence[str], labels: np.ndarray | None = None):
    """Counts of true (rows) against predicted (columns) classes, annotated, each shaded by its share of its true
    class (one scale for all left a small class's correct answers nearly white); with ``labels`` (each image's true
    class, the ranking's), images left undecided, and so out of the matrix, said in the title."""
    counts = score.confusion
    k = len(classes)
    sizes = counts.sum(1) if labels is None else np.bincount(np.asarray(labels), minlength=k)
    shares = counts / np.maximum(sizes, 1)[:, None]
    fig = _figure(1.1 * k + 2.6, 0.95 * k + 1.9)
    ax = fig.subplots()
    im = ax.imshow(100 * shares, cmap="Blues", vmin=0, vmax=100)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=10,
                    color="white" if shares[i, j] > 0.55 else "black")
    ax.set_xticks(range(k), [_short(c, 16) for c in classes], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(k), [_short(c, 16) for c in classes], fontsize=8)
    ax.set_xlabel("predicted class", fontsize=9)
    ax.set_ylabel("true class", fontsize=9)
    undecided = int(sizes.sum() - counts.sum())
    left_out = f"\n{count(undecided, 'image')} undecided, left out (a miss each)" if undecided else ""
    balanced = "" if len(set(sizes[sizes > 0].tolist())) == 1 else \
        f"\n(balanced over classes {100 * score.balanced_accuracy:.1f}%)"  # 2 against 20: 90.9 %, balanced 50 %
    ax.set_title(f"{score.layer}: leave-one-out accuracy {100 * score.accuracy:.1f}%{balanced}{left_out}", fontsize=10)
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label("% of the true class", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


TITLE_POINTS = 7  # images_grid's titles


def images_grid(
    images: Sequence[torch.Tensor], titles: Sequence[str], title: str, columns: int = 8, width: float = 1.6
):
    """Images (e.g. deep dreams) in rows of ``columns``, each with a small title wrapped to its width (long ones ran
    into their neighbours')."""
    cols = max(1, min(columns, len(images)))
    rows = -(-len(images) // cols)
    titles = [_fill(t, width, TITLE_POINTS).replace("$", r"\$") for t in titles]
    lines = max((t.count("\n") + 1 for t in titles), default=1)
    fig = _figure(width * cols + 0.2, (width + 0.13 + 0.12 * lines) * rows + 0.45)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, x, name in zip(axes.flat, images, titles):
        ax.set_visible(True)
        ax.imshow(_picture(x))
        ax.set_title(name, fontsize=TITLE_POINTS)
        _no_ticks(ax)
    _suptitle(fig, title)
    return fig


def inputs_grid(images: Sequence[torch.Tensor], names: Sequence[str], labels: Sequence[int],
                classes: Sequence[str], per_class: int = 8):
    """Up to ``per_class`` thumbnails of every class, one class per row."""
    labels = np.asarray(labels)
    rows = [[i for i in np.flatnonzero(labels == c)] for c in range(len(classes))]
    cols = max(1, min(per_class, max(len(r) for r in rows)))
    fig = _figure(1.5 * cols + 0.8, 1.55 * len(classes) + 0.5)
    axes = fig.subplots(len(classes), cols, squeeze=False)
    for r, members in enumerate(rows):
        for j in range(cols):
            ax = axes[r, j]
            _no_ticks(ax)
            if j < len(members):
                ax.imshow(_picture(images[members[j]]))
            else:
                ax.set_visible(False)
        shown = f"{cols} of {len(members)}" if len(members) > cols else str(len(members))
        axes[r, 0].set_ylabel(f"{_short(classes[r], 16)}\n({shown} images)", fontsize=11)  # 8 pt was hard to read
    _suptitle(fig, "Input images, one class per row")
    return fig


def trade_off(names: Sequence[str], kept: Sequence[float], moved: Sequence[float], chance: float,
              goal: str = "the style's Gram matrices"):
    """Results as points: how closely each follows the content (x: mean Pearson r at the content layer) against how
    far its Gram matrices have gone to ``goal`` (y, %); the style's own r (``chance``) as a dashed line."""
    fig = _figure(5.2, 3.6)
    ax = fig.subplots()
    ax.scatter(kept, moved, s=36, color="tab:blue", zorder=3)
    leader = dict(arrowstyle="-", color="0.55", linewidth=0.5, shrinkA=1, shrinkB=3)  # each label tied to its point
    labels = [ax.annotate(_wrapped(name), (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8,
                          arrowprops=leader) for name, x, y in zip(names, kept, moved)]
    ax.axvline(chance, color="0.4", linestyle="--", linewidth=0.9)
    ax.axvline(1.0, color="0.7", linewidth=0.6)
    ax.axhline(100, color="0.7", linewidth=0.6)
    ax.set_xlim(min(chance, *kept) - 0.05, 1.05)
    ax.set_ylim(min(0.0, *moved) - 5, 108)
    ax.set_xlabel("content kept: mean Pearson r with the content's maps\n(dashed: the style's own, chance)", fontsize=8)
    ax.set_ylabel(textwrap.fill(f"of the way to {goal} (%)", 28), fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(linewidth=0.3, alpha=0.6)
    fig.suptitle("Style against content: up and to the right is both", fontsize=10)
    if not _apart(fig, labels):  # long names of close points: numbers beside them, the names in a key below
        _numbered(fig, labels, names)
    return fig


def _numbered(fig, labels: list, names: Sequence[str]) -> None:
    """Each point's label made its number, and a key of the numbers' names under the plot (six sweep results close
    together left a label far from its point and one on another's)."""
    from matplotlib.lines import Line2D

    for number, label in enumerate(labels, 1):
        label.set_text(str(number))
    # the names' own numbers kept ('1: seed 0' was keyed '1  1: seed 0'); two columns where they fit the width (a
    # name of 58 characters ran out of the figure), else one, long names wrapped
    keys = [name if name.startswith(f"{i}:") else f"{i}  {name}" for i, name in enumerate(names, 1)]
    blank, columns = Line2D([], [], linestyle="none"), 2 if len(names) >= 5 and max(map(len, keys)) <= 44 else 1
    keys = [textwrap.fill(key, 88, subsequent_indent="    ").replace("$", r"\$") for key in keys]
    fig.legend([blank] * len(names), keys, loc="outside lower left", fontsize=7, frameon=False, handlelength=0,
               handletextpad=0, ncols=columns)
    lines = sum(key.count("\n") + 1 for key in keys)
    fig.set_figheight(fig.get_figheight() + 0.14 * ((lines + 1) // columns))
    _apart(fig, labels)


LABEL_PLACES = [((5, 4), "left", "bottom"), ((5, -4), "left", "top"), ((-5, 4), "right", "bottom"),
                ((-5, -4), "right", "top"), ((0, 9), "center", "bottom"), ((0, -9), "center", "top"),
                ((5, 22), "left", "bottom"), ((5, -22), "left", "top"), ((-5, 22), "right", "bottom"),
                ((-5, -22), "right", "top")]  # beside a point, nearest first: (offset in points, alignment)


def _apart(fig, labels: list) -> bool:
    """Move each point's label (top to bottom) to the first place beside its point (LABEL_PLACES) where it stays inside
    the figure and overlaps no label placed before it nor another point; where none does, to the place it overlaps
    least. Returns whether every label found a place of its own (never when two points touch: no place beside one
    is clearly its own)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # the constrained layout, as the picture will have it
    dots = {id(label): Bbox.from_extents(*(label.axes.transData.transform(label.xy) + [[-5], [5]]).ravel())
            for label in labels}  # each point's marker, a box of 10 px: a label on another's point misnamed it
    boxes = list(dots.values())
    placed, alone = [], not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # points touching
    for label in sorted(labels, key=lambda a: -a.xy[1]):
        costs = []
        others = [dot for key, dot in dots.items() if key != id(label)]
        for place in LABEL_PLACES:
            _put(label, place)
            box = label.get_window_extent(renderer)
            outside = box.width * box.height - _overlap(box, fig.bbox)
            costs.append(10 * outside + sum(_overlap(box, other) for other in [*placed, *others]))
            if not costs[-1]:
                break
        _put(label, LABEL_PLACES[costs.index(min(costs))])
        placed.append(label.get_window_extent(renderer))
        alone = alone and min(costs) == 0
    return alone


def _put(label, place: tuple) -> None:
    (label.xyann, across, up) = place
    label.set_horizontalalignment(across)
    label.set_verticalalignment(up)


def _overlap(a, b) -> float:
    """The area two display boxes share."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
