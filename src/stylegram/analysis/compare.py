"""Several results of one transfer (or texture) measured side by side: which went furthest towards the style's
statistics, which kept the most of the content, and which copied pieces whole.

Each result is measured as stylegram.analysis.explain measures one, all at one size (the smallest result's long side,
at most 512) so that their numbers compare: per style layer the share of the way from the content's Gram matrix (a
texture: the noise's) to the style's, the mean Pearson r of the content layer's maps with the content's, and the
coherence of where its patches come from. Results from any method or tool, e.g. Gatys against AdaIN against another
program's output.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..backbones import Backbone
from ..errors import KEYWORDS, OptionError, count, warn
from ..images import STRAIGHT, ImageLike
from . import explain as X
from .equal import by_value
from .explain import percent
from .placed import parts_of

KEYWORDS.add("names")  # compare's: its messages name --names, which a Python caller gives as names=
# What a comparison's one target is made of beside its input pictures, by option name (textures: True): results
# compare only where they agree on these (a sweep's --compare refuses to vary them, the web page compares jobs that
# share them), and made_with takes them from the first result's options
TARGET_OPTIONS = {False: ("style_scale", "style_blend", "style_masks", "style_regions", "labels"),
                  True: ("example_scale", "blend", "tileable", "masks", "labels")}
BLENDS = ("style_blend", "blend")  # the target options that weigh the styles (examples), in either spelling
DEFAULT_LAYER = {False: "relu2_1", True: "pool1"}  # whose Gram matrices are drawn: fine enough to show each result's


@dataclass
class Comparison:
    """The results' explanations (``explained``, in the order given) under their ``names``; ``html()`` is the page."""

    __eq__ = by_value  # arrays and tensors compared by value

    names: list[str]
    explained: list[X.Explanation]
    layer: str  # whose Gram matrices the page draws side by side
    style_names: Sequence[str] | None = None  # what the styles (examples) are called on the page: their files'
    shrunk: Sequence[str] = ()  # 'big (192x128)': the results larger than the size all are measured at

    @property
    def texture(self) -> bool:
        """Whether the results are textures."""
        return self.explained[0].texture

    def measured_at(self) -> str:
        """The size the results were measured at: '96x64', or for results of several shapes the long side they share,
        each keeping its own ('a long side of 64 (64x64, 64x43)'; a 96x64 texture was said measured at 64x64)."""
        shapes = list(dict.fromkeys(f"{e.result.shape[-1]}x{e.result.shape[-2]}" for e in self.explained))
        if len(shapes) == 1:
            return shapes[0]
        return f"a long side of {max(self.explained[0].result.shape[-2:])} ({', '.join(shapes)})"

    def styles_named(self) -> list[str]:
        """What the styles (examples) are called: by their files where known, else as explain names them ('style 1'),
        with their weights where blended unevenly ('style 1 (70%)')."""
        first = self.explained[0]
        if not self.style_names or len(self.style_names) != len(first.styles):
            return first.names()
        if len(first.styles) == 1 or first.even():
            return list(self.style_names)
        return [f"{name} ({percent(w)})" for name, w in zip(self.style_names, first.blend)]

    def html(self, settings: dict | None = None, stylesheet: str | None = None) -> str:
        """The page (stylegram.analysis.compare_page), with a table of ``settings``."""
        from .compare_page import page

        return page(self, settings, stylesheet)

    def warnings(self) -> list[str]:
        """'NAME: ... was it made from this content?' for each result that seems made from another content, or for a
        texture copied from its example in whole pieces (as explain warns of one)."""
        said = [(name, e.unrelated() or e.copied()) for name, e in zip(self.names, self.explained)]
        return [f"{name}: {text}" for name, text in said if text]

    def _repr_html_(self) -> str:
        """The page, as a notebook shows a comparison."""
        from .report import framed

        return framed(self.html())

    def __repr__(self) -> str:
        """Each result's headline numbers, not the tensors behind them."""
        noun = "example" if self.texture else "style"
        each = "; ".join(f"{name}: {noun} {percent(e.moved)}" + ("" if e.kept is None else f", content r {e.kept:.2f}")
                         for name, e in zip(self.names, self.explained))
        return f"Comparison({len(self.names)} {'textures' if self.texture else 'transfers'}: {each})"


def names_of(results: Sequence[ImageLike]) -> list[str]:
    """A short name per result: a file's name without its folder and suffix, else 'result N'; a name two files share
    gets their folders' names ('gatys/out', 'adain/out': runs written to one name in folders of their own), and where
    those do not tell them apart either, a number."""
    files = [isinstance(r, (str, Path)) and not str(r).startswith("sample:") for r in results]
    names = [Path(r).stem if file else str(r).removeprefix("sample:") if isinstance(r, str) else f"result {i + 1}"
             for i, (r, file) in enumerate(zip(results, files))]
    names = [f"{Path(r).parent.name}/{name}" if file and names.count(name) > 1 and Path(r).parent.name else name
             for r, name, file in zip(results, names, files)]
    return [f"{name} ({i + 1})" if names.count(name) > 1 else name for i, name in enumerate(names)]


def _side(results: list[torch.Tensor], size: int | None) -> int:
    """The long side all results are measured at: ``size``, else the smallest result's, at most 512."""
    return size or min(512, *(max(r.shape[-2:]) for r in results))


def _checked(results: Sequence[ImageLike], names: Sequence[str] | None, size: int | None, texture: bool
             ) -> tuple[list[torch.Tensor], list[str]]:
    """The results read (a transparent one as it was made) and named; those a --size enlarges said so."""
    check_counts(results, names)
    images = [X.load_result(r, f"result {i + 1}") for i, r in enumerate(results)]
    names = list(names) if names is not None else names_of(results)
    X.warn_enlarged(list(zip(names, images)), size, texture, "leave --size out to measure all at the smallest's size")
    return images, names


def check_counts(results: Sequence[ImageLike], names: Sequence[str] | None) -> None:
    """Refuse fewer than two results, or a number of names other than theirs."""
    if isinstance(results, (str, os.PathLike)):  # its characters would be read as paths
        raise OptionError(f"results is one path, {str(results)!r}; give a list of two or more, e.g. "
                          "['a.png', 'b.png'] (stylegram.explain measures one)")
    if len(results) < 2:
        raise OptionError(f"a comparison needs two or more results, got {len(results)}; `stylegram explain` measures "
                          "one")
    if names is not None and len(names) != len(results):
        raise OptionError(f"--names gives {count(len(names), 'name')} for {len(results)} results; give one per result")
    if names is not None and len(set(names)) < len(names):  # two rows of one name could not be told apart
        twice = next(name for name in names if list(names).count(name) > 1)
        raise OptionError(f"--names gives {twice!r} to more than one result; give each its own name")


def compare(content: ImageLike, styles: ImageLike | Sequence[ImageLike], results: Sequence[ImageLike], *,
            names: Sequence[str] | None = None, size: int | None = None, style_scale: float = 1.0,
            blend: str | Sequence[float] | None = None, layer: str | None = None, style_masks=None,
            style_regions=None, labels=None, style_names: Sequence[str] | None = None, model: Backbone | None = None,
            **layers) -> Comparison:
    """Measure each of ``results`` (two or more; files, sample:NAME or tensors) against the ``content`` and style (or
    list of styles, ``blend`` as --style-blend) they were made from, all at one size (``size``: the long side; default
    the smallest result's, at most 512). ``layer``: whose Gram matrices the page draws (default relu2_1);
    ``style_masks``, ``style_regions``, ``labels``: where they placed the styles, as explain.explain, their parts
    naming the styles ``style_names`` (default "style 1", "style 2", as placed.parts_of); ``layers``:
    style_layers, content_layer, match_layer as in explain.measure; the default model pads as a transfer's does)."""
    from ..features import default_backbone
    from ..gatys import TransferOptions
    from ..images import load_input

    X.check_measuring(size, style_scale, "--style-scale", layers, X.TRANSFER_KEYWORDS,
                      [*X.EXPLAIN_KEYWORDS, "style_names"])
    _check_drawn_early(layer, layers.get("style_layers", X.STYLE_LAYERS), styles)
    images, names = _checked(results, names, size, False)
    model = model or default_backbone("max", TransferOptions.padding)
    content_t, style_ts = load_input(content, "content image", STRAIGHT), X.loaded(styles, "style image")
    for name, image in zip(names, images):  # before the smallest one sets the size all are measured at
        with _naming(name):
            X.check_made_from(content_t, image)
    side, parts = _side(images, size), parts_of(content_t, style_ts, style_masks, style_regions, labels,
                                                names=style_names)
    explained, smallest = [], _smallest(names, images, size)
    for name, image in zip(names, images):
        with _naming(name, smallest):
            c, s, r = X.prepared(content_t, style_ts, image, side, style_scale)
            explained.append(X.measure(c, r, s, model, blend=blend, parts=parts, **layers))
    return _warned(Comparison(names, explained, _drawn(layer, explained, False), style_names, _shrunk(names, images,
                                                                                                       side)))


def compare_textures(examples: ImageLike | Sequence[ImageLike], results: Sequence[ImageLike], *,
                     names: Sequence[str] | None = None, size: int | None = None, example_scale: float = 1.0,
                     blend: str | Sequence[float] | None = None, layer: str | None = None, tileable: bool = False,
                     masks=None, labels=None, example_names: Sequence[str] | None = None,
                     model: Backbone | None = None, **layers) -> Comparison:
    """``compare`` for textures grown from ``examples`` (``example_scale``, ``tileable``, ``masks``, ``labels`` as
    explain.explain_texture, ``example_names`` as compare's ``style_names``; ``layers``: layers, match_layer as in
    explain.measure_texture; ``layer`` default pool1; the default model pools by average)."""
    from ..features import default_backbone

    X.check_measuring(size, example_scale, "--example-scale", layers, X.TEXTURE_KEYWORDS,
                      [*X.TEXTURE_EXPLAIN_KEYWORDS, "example_names"])
    _check_drawn_early(layer, layers.get("layers", X.TEXTURE_LAYERS), examples, "--layers")
    images, names = _checked(results, names, size, True)
    model = model or default_backbone("avg", "circular" if tileable else None)
    example_ts, side = X.loaded(examples, "example"), _side(images, size)
    parts = parts_of(images[0], example_ts, style_masks=masks, labels=labels, texture=True,
                     names=example_names)  # over the outputs' shape
    explained, smallest = [], _smallest(names, images, size)
    for name, image in zip(names, images):
        with _naming(name, smallest):
            e, r = X.prepared_texture(example_ts, image, side, example_scale)
            explained.append(X.measure_texture(e, r, model, blend=blend, tileable=tileable, parts=parts, **layers))
    return _warned(Comparison(names, explained, _drawn(layer, explained, True), example_names, _shrunk(names, images,
                                                                                                         side)))


def _shrunk(names: Sequence[str], images: Sequence[torch.Tensor], side: int) -> list[str]:
    """'big (192x128)' for each result larger than ``side``, the long side all are measured at (one smaller result
    moved every number, and the line said only 'the smallest result's size')."""
    return [f"{name} ({image.shape[-1]}x{image.shape[-2]})" for name, image in zip(names, images)
            if max(image.shape[-2:]) > side]


def _warned(comparison: Comparison) -> Comparison:
    """The comparison, each of its warnings said (compare named a blank picture's r 0.01 and nothing more)."""
    for text in comparison.warnings():
        warn(text)
    return comparison


def made_with(inputs: dict, results: Sequence[ImageLike], options, names: Sequence[str] | None = None,
              layer: str | None = None, model: Backbone | None = None,
              style_names: Sequence[str] | None = None) -> Comparison:
    """Results made from ``inputs`` by role ({"content", "styles"}, or {"examples"} for textures) with ``options`` (a
    TransferOptions or TextureOptions whose scale, blend, placing and padding they share) compared on the default
    network and layers, whatever network and layers each was made on (``model``: that network, padded as ``options``
    ask, if already loaded): a sweep's pictures, the web page's jobs. ``style_names``: what its placed parts call the
    styles (examples), as compare's."""
    from ..features import default_backbone
    from ..synthesis import TextureOptions

    texture = isinstance(options, TextureOptions)
    model = model or default_backbone("avg" if texture else "max", options.padding)
    target = {"blend" if name in BLENDS else name: getattr(options, name) for name in TARGET_OPTIONS[texture]}
    if texture:
        return compare_textures(inputs["examples"], results, names=names, layer=layer, model=model,
                                example_names=style_names, **target)
    return compare(inputs["content"], inputs["styles"], results, names=names, layer=layer, model=model,
                   style_names=style_names, **target)


@contextlib.contextmanager
def _naming(name: str, smallest: str | None = None):
    """A measuring error, with the result it is about named; one of size, with ``smallest``, the result whose size all
    are measured at (a good result was blamed for a 20x13 px one's size)."""
    try:
        yield
    except OptionError as err:
        if smallest is not None and " px as measured" in err.flagged:
            raise type(err)(f"all results are measured at the size of the smallest, {smallest}: {err.flagged}; or "
                            f"leave {smallest} out") from None
        raise type(err)(f"{name}: {err.flagged}") from None


def _smallest(names: Sequence[str], images: Sequence[torch.Tensor], size: int | None) -> str | None:
    """The result whose long side sets the size all are measured at (None where --size sets it)."""
    if size is not None:
        return None
    name, image = min(zip(names, images), key=lambda pair: max(pair[1].shape[-2:]))
    return f"{name} ({image.shape[-1]}x{image.shape[-2]} px)"


def _drawn(layer: str | None, explained: list[X.Explanation], texture: bool) -> str:
    """The layer whose matrices the page draws: ``layer`` if measured, else the default or the first measured."""
    measured = [g.layer for g in explained[0].grams]
    _check_drawn(layer, measured, "--layers" if texture else "--style-layers")
    return layer or (DEFAULT_LAYER[texture] if DEFAULT_LAYER[texture] in measured else measured[0])


def _check_drawn_early(layer: str | None, layers: Sequence[str] | str, styles: ImageLike | Sequence[ImageLike],
                       option: str = "--style-layers") -> None:
    """``_check_drawn`` before the measuring, from the layers asked for (it was refused after seconds of work)."""
    if layer is not None:
        count = len(styles) if isinstance(styles, (list, tuple)) else 1
        _check_drawn(layer, X.grouped(layers, count)[1], option)


def _check_drawn(layer: str | None, measured: Sequence[str], option: str) -> None:
    """Refuse a --layer to draw that is not among the layers measured (checked before the measuring, too)."""
    if layer is not None and layer not in measured:
        raise OptionError(f"--layer {layer} is not among the layers measured ({', '.join(measured)}); give one of "
                          f"them, or add it to {option}")
