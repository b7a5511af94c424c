"""What a web job runs: the page's settings turned into library options, a Job or a one-pass result.

The page offers a few settings per method; everything else keeps the library's defaults, which are read
from the options dataclasses so they live in one place. The parameters file of a result records every
option and the `stylegram` command line that makes the same image from the same files.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import shlex
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from .. import __version__, gatys, images, samples, synthesis, tiles
from ..backbones import Backbone, load_backbone
from ..errors import OptionError, check_choice, first_few, warnings_to
from ..job import Job, Result
from ..losses import blend_weights
from ..options import flag
from .uploads import Upload, UploadStore

METHODS = ("gatys", "adain", "wct", "texture")
# The settings the page offers for each method (library option names; the page's "style_blend" and "style_layers"
# are texture's "blend" and "layers").
FIELDS = {
    "gatys": ("size", "content_weight", "style_weight", "tv_weight", "colors", "init", "statistic", "seed",
              "iterations", "min_size", "style_blend", "style_scale", "style_layers", "upscale", "tile"),
    "adain": ("size", "alpha", "colors", "style_blend", "style_scale", "upscale"),
    "wct": ("size", "alpha", "colors", "style_blend", "style_scale", "upscale"),
    "texture": ("size", "height", "tileable", "tv_weight", "statistic", "seed", "iterations", "min_size", "style_blend",
                "style_scale", "style_layers"),
}
# The settings the page offers for a video as the content: those the `stylegram batch` command has (its frames
# start from the previous one, so not "Start from"), and how frames are kept steady (STEADY: batch's own options).
STEADY = {"gatys": ("temporal", "temporal_weight"), "adain": ("temporal",), "wct": ("temporal",)}
VIDEO_FIELDS = {method: (*(name for name in FIELDS[method] if name not in ("init", "tile")), *STEADY[method])
                for method in STEADY}
# settings that are no library option, and their default: texture's height (part of --size WxH), and gatys's tile
# (the command line's --tile: the run is stylegram.tiles's)
PAGE_ONLY = {"height": None, "tile": None}
RENAMED = {"texture": {"style_blend": "blend", "style_scale": "example_scale", "style_layers": "layers"}}
# The page's labels for the command-line flags its settings stand for: messages from the library name flags,
# and a page user should read the name of the setting in front of them instead.
PAGE_LABELS = {  # the fields' labels (a texture's --layers, --blend and --example-scale as the page shows them)
    "--size": "Size", "--iterations": "Iterations per scale", "--content-weight": "Content weight",
    "--style-weight": "Style weight", "--tv-weight": "Smoothness (TV) weight", "--alpha": "Style strength (alpha)",
    "--colors": "Colours", "--init": "Start from", "--seed": "Seed", "--style-blend": "Style blend",
    "--blend": "Example blend", "--min-size": "Coarsest scale (px)",
    "--upscale": "allow a size larger than the content", "--style-masks": "Masks", "--style-regions": "Regions",
    "--labels": "Label maps", "--style-scale": "Style scale", "--example-scale": "Example scale",
    "--statistic": "Style statistic",
    "--style-layers": "Style layers", "--layers": "Layers", "--tileable": "tileable",
    "--temporal": "Frame blend", "--temporal-weight": "Frame hold", "--tile": "Tile (px)", "--method": "Method",
}
MASK_BACKGROUND = (0, 0, 0)  # a mask's transparent pixels: no style there, as on the command line
REPORT_CSS = "/report.css"  # the explanation page's style sheet (the server's policy allows no inline style)


@dataclass
class Spec:
    """A job as submitted: the method, its complete options, and the uploads it reads.

    With masks (regions), ``options.style_masks`` (``style_regions``) names them as uploaded (for the parameters
    file and command line); ``start`` hands the decoded masks to the library.
    """

    method: str
    options: Any  # gatys.TransferOptions or synthesis.TextureOptions
    content: Upload | None
    styles: list[Upload]
    masks: list[Upload] = field(default_factory=list)  # one per style, or none
    regions: list[Upload] = field(default_factory=list)  # one per style, or none
    labels: list[Upload] = field(default_factory=list)  # the content's label map, then one per style, or none
    steady: dict[str, float] = field(default_factory=dict)  # a video's temporal and temporal_weight, where given
    tile: int | None = None  # gatys: made in tiles of this many px (stylegram.tiles), None: in one run

    @property
    def is_video(self) -> bool:
        """The content is a video or an animation: stylized frame by frame (stylegram.web.video)."""
        return self.content is not None and self.content.moves

    @property
    def uploads(self) -> list[Upload]:
        return [u for u in [self.content, *self.styles, *self.masks, *self.regions, *self.labels] if u is not None]


def video_defaults() -> dict[str, dict[str, float]]:
    """The defaults of the settings only a video has (STEADY), per method: those of stylegram batch."""
    from ..batch.stylize import TEMPORAL_WEIGHT, default_blend

    return {method: {"temporal": default_blend(method), **({"temporal_weight": TEMPORAL_WEIGHT} if method == "gatys"
                                                          else {})} for method in STEADY}


def defaults() -> dict[str, dict[str, Any]]:
    """The library's default for every setting the page offers, per method."""
    out = {}
    for method, names in FIELDS.items():
        opts = synthesis.TextureOptions() if method == "texture" else gatys.TransferOptions()
        out[method] = {name: PAGE_ONLY[name] if name in PAGE_ONLY else getattr(opts, RENAMED.get(method, {}).get(name, name))
                       for name in names}
    return out


def make_spec(
    method: str, settings: dict[str, Any], content: Upload | None, styles: list[Upload],
    masks: list[Upload | None] | None = None, regions: list[Upload | None] | None = None,
    labels: list[Upload | None] | None = None,
) -> Spec:
    """Complete options from the settings given (others keep their defaults); settings the method lacks are refused.

    ``masks`` and ``regions``: one per style (None where a style has none), as the page sends them; ``labels``: the
    content's label map, then one per style. Of each, all or none must be given.
    """
    check_choice("method", method, METHODS)
    if not styles:
        raise OptionError("add at least one style image" if method != "texture" else "add at least one example texture")
    if method != "texture" and content is None:
        raise OptionError(f"the {method} method needs a content image; add one")
    if method == "texture" and content is not None:
        raise OptionError("texture synthesis has no content image, only example textures; leave the content out")
    _check_videos(styles, [*(masks or []), *(regions or []), *(labels or [])])
    given = _check_attached(method, masks or [], styles, MASKS)
    lent = _check_attached(method, regions or [], styles, REGIONS)
    mapped = _check_attached(method, labels or [], [content, *styles], LABELS)
    if content is not None and content.moves:
        return _named(_video_spec(method, settings, content, styles), given, lent, mapped)
    _check_offered(method, [k for k, v in settings.items() if v is not None])
    chosen = {RENAMED.get(method, {}).get(k, k): v for k, v in settings.items() if k in FIELDS[method] and v is not None}
    if method == "texture":
        options = synthesis.TextureOptions().replace(**_texture_size(chosen, bool(mapped)))
        if mapped:  # a neural doodle: the output takes the doodle's shape, its long side the size asked for
            options = options.replace(labels=",".join(m.name for m in mapped), size=_doodle_size(mapped[0], options.size))
        return Spec(method, options, None, styles, labels=mapped)
    tile = chosen.pop("tile", None)
    options = gatys.TransferOptions().replace(method=method, **chosen)
    blend_weights(options.style_blend, len(styles))  # a clear error now rather than when the job runs
    if tile is not None:
        tiles.check_tiling(options, tile)
    return _named(Spec(method, options, content, styles, tile=tile), given, lent, mapped)


def _named(spec: Spec, masks: list[Upload], regions: list[Upload], labels: list[Upload]) -> Spec:
    """The spec with its masks, regions and label maps, its options naming them as uploaded."""
    spec = dataclasses.replace(spec, masks=masks, regions=regions, labels=labels)
    named = {option: ",".join(u.name for u in uploads) for option, uploads in attached(spec)}
    return dataclasses.replace(spec, options=spec.options.replace(**named))


def attached(spec: Spec) -> list[tuple[str, list[Upload]]]:
    """(option, uploads) for each of masks, regions and label maps that the spec has."""
    return [(option, uploads) for option, uploads in
            (("style_masks", spec.masks), ("style_regions", spec.regions), ("labels", spec.labels)) if uploads]


def _check_videos(styles: list[Upload], attached: list[Upload | None]) -> None:
    """Refuse a video anywhere but the content."""
    for upload in [*styles, *attached]:
        if upload is not None and upload.is_video:
            raise OptionError(f"{upload.name} is a video; only the content can be a video, and style images, masks, "
                              "regions and label maps are pictures")


def _video_spec(method: str, settings: dict[str, Any], content: Upload, styles: list[Upload]) -> Spec:
    """A video's job: the settings `stylegram batch` has (VIDEO_FIELDS); a mask or label map of the content is one
    for every frame, painted on its first."""
    unused = [k for k, v in settings.items() if v is not None and k not in VIDEO_FIELDS[method]]
    others = [m for m in VIDEO_FIELDS if unused and all(k in VIDEO_FIELDS[m] for k in unused)]
    if others:  # temporal_weight with adain 'was not a setting of a video', and it is one, of gatys's
        one = len(unused) == 1
        raise OptionError(f"{', '.join(unused)} {'is a setting' if one else 'are settings'} of a {' or '.join(others)} "
                          f"video, and this one is {method}'s; leave {'it' if one else 'them'} out")
    if unused:
        raise OptionError(f"{', '.join(unused)} {'is not a setting' if len(unused) == 1 else 'are not settings'} of a "
                          f"video (the {method} method has {', '.join(VIDEO_FIELDS[method])} for one, as stylegram "
                          f"batch does); leave {'it' if len(unused) == 1 else 'them'} out")
    given = {k: v for k, v in settings.items() if v is not None}
    steady = {k: given.pop(k) for k in STEADY[method] if k in given}
    options = gatys.TransferOptions().replace(method=method, **given)
    blend_weights(options.style_blend, len(styles))
    return Spec(method, options, content, styles, steady=steady)


# What a style image can have attached, in the words of the messages: (noun, what it is for, why texture has none).
MASKS = ("mask", "where it paints", "masks place styles in the content's picture, and texture synthesis has none")
REGIONS = ("region", "the part of it whose style it lends",
           "regions choose the part of each style image to lend, and texture synthesis takes each example whole")
LABELS = ("label map", "flat colours, one per kind of thing", None)  # texture: the output's (a doodle) and the examples'


def _texture_size(chosen: dict[str, Any], doodle: bool) -> dict[str, Any]:
    """Texture's options with the page's size (the width) and height as --size WxH; without a height, a square."""
    height = chosen.pop("height", None)
    if height is None:
        return chosen
    if doodle:
        raise OptionError("a doodle gives the texture its shape (Size is its long side); leave Height empty")
    return {**chosen, "size": f"{chosen.get('size', synthesis.TextureOptions().size)}x{height}"}


def _doodle_size(doodle: Upload, size: str | int) -> str:
    """Texture's --size for a doodle: its shape, with the long side of ``size`` (synthesis.doodle_size), written out
    so that the parameters file's command names it."""
    return synthesis.doodle_size((doodle.height, doodle.width), size)


def _check_attached(method: str, uploads: list[Upload | None], images: list[Upload | None], words: tuple[str, str, str]
                    ) -> list[Upload]:
    """The masks (regions; label maps) if every style (and the content) has one, none if none has; a part of them is
    refused, naming the images without."""
    noun, purpose, texture = words
    given = [m for m in uploads if m is not None]
    if not given:
        return []
    if method == "texture" and texture:
        raise OptionError(f"{texture}; remove them")
    content = noun == "label map"  # the first image is the content's (texture: the output's, a doodle)
    first, source = ("the output", "example") if method == "texture" else ("the content", "style image")
    every = f"{first} and every {source}" if content else f"every {source}"
    if len(uploads) != len(images):
        raise OptionError(f"{len(uploads)} {noun}s for {len(images)} {'images' if content else source + 's'}; give "
                          f"one {noun} {f'to {first} and one ' if content else ''}per {source}")
    if len(given) != len(images):
        def named(n: int, image: Upload | None) -> str:  # texture's output has no upload, only its name
            whose = first if content and n == 0 else source
            return whose if image is None else f"{whose} {image.name}"

        bare = [named(n, image) for n, (image, m) in enumerate(zip(images, uploads)) if m is None]
        raise OptionError(f"{', '.join(bare)} {'have' if len(bare) > 1 else 'has'} no {noun}; give {every} a {noun} "
                          f"({purpose}), or remove the {noun}s")
    return given


_LAYERS_COMMAND = re.compile(r"run 'stylegram layers --backbone ([\w.-]+)' to list them")


@functools.cache
def layer_names(backbone: str) -> str:
    """A backbone's layer names, shallow to deep, for a message (its table does not depend on the weights)."""
    return ", ".join(load_backbone(backbone, "random").layer_names())


def with_upload_names(spec: Spec, text: str) -> str:
    """A library message with each upload's stored file called by the name it came with: 'style image 1
    (h6Gp2zKgPYIfw9m2.gif) is animated' named a file the user never saw."""
    for upload in spec.uploads:
        text = text.replace(str(upload.path), upload.name).replace(upload.path.name, upload.name)
    return text


def page_message(text: str) -> str:
    """A library message in the page's words: the flags the page offers by their labels on the page, in quotes, and
    the layers themselves where the command line would list them with a command the page has not."""
    text = _LAYERS_COMMAND.sub(lambda m: f"{m[1]}'s layers, shallow to deep: {layer_names(m[1])}", text)
    text = re.sub(r"\b(?:pass|give) (--upscale|--tileable)\b", r"tick \1", text)  # a box on the page
    return re.sub(r"--[a-z][a-z-]*", lambda m: f'"{PAGE_LABELS[m[0]]}"' if m[0] in PAGE_LABELS else m[0], text)


def _check_offered(method: str, names: list[str]) -> None:
    """Refuse settings the method does not read, as the command line does, rather than drop them unseen."""
    unused = [name for name in names if name not in FIELDS[method]]
    if unused:
        verb = "is not a setting" if len(unused) == 1 else "are not settings"
        raise OptionError(f"{', '.join(unused)} {verb} of the {method} method (it has {', '.join(FIELDS[method])}); "
                          f"leave {'it' if len(unused) == 1 else 'them'} out or choose another method")


class Models:
    """The default VGG19 per pooling and padding kind (features.default_backbone: paddings share one pooling's
    weights), loaded once and shared by every job; the jobs' threads load it one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def get(self, pooling: str, padding: str | None = None) -> Backbone:
        """The network a job's options ask for (padding None: the backbone's own)."""
        from ..features import default_backbone

        with self._lock:
            return default_backbone(pooling, padding)


@dataclass
class Tiled:
    """A run in tiles (stylegram.tiles) with its inputs decoded and its network chosen, to ``run``."""

    content: torch.Tensor
    styles: list[torch.Tensor]
    options: gatys.TransferOptions
    tile: int
    model: Backbone
    alpha: torch.Tensor | None

    def run(self, on_first: Callable, on_step: Callable, on_state: Callable, stop: Callable[[], bool],
            on_labels: Callable | None = None) -> Result:
        """The tiled run, with tiles.transfer_tiled's hooks; its Result keeps the content's transparency."""
        result = tiles.transfer_tiled(self.content, self.styles, self.options, tile=self.tile, model=self.model,
                                      on_first=on_first, on_step=on_step, on_state=on_state, stop=stop,
                                      on_labels=on_labels)
        return dataclasses.replace(result, alpha=self.alpha)


def decoded_options(spec: Spec, store: UploadStore):
    """The job's options with its masks, regions and label maps decoded (its options name them as uploaded)."""
    return spec.options.replace(**{option: [store.decode(u, MASK_BACKGROUND) for u in uploads]
                                   for option, uploads in attached(spec)})


def start(spec: Spec, store: UploadStore, models: Models) -> Job | Tiled | gatys.OnePass:
    """Decode and check the uploads; return an optimization Job to iterate, a Tiled run, or a one-pass run
    (gatys.OnePass)."""
    styles, opts = [store.decode(u) for u in spec.styles], decoded_options(spec, store)
    images.warn_animated([u.path for u in spec.styles], "example" if spec.method == "texture" else "style image")
    if spec.method == "texture":  # (decoded, their first frames were taken without a word)
        return synthesis.prepare_texture(styles, opts, model=models.get(opts.pooling))
    # a phone's JPEG: a quarter, say
    content = store.decode(spec.content, images.STRAIGHT, at_least=gatys.read_side(opts.size))
    alpha = store.alpha(spec.content)  # the result keeps the content's transparency, as the CLI's does
    if spec.method != "gatys":
        one_pass = gatys.prepare_feed_forward(content, styles, opts)
        return dataclasses.replace(one_pass, run=lambda: dataclasses.replace(one_pass(), alpha=alpha))
    model = models.get(opts.pooling, opts.padding)
    if spec.tile is not None:
        return Tiled(content, styles, opts, spec.tile, model, alpha)
    job = gatys.prepare(content, styles, opts, model=model, suggest_tiles=True)
    job.alpha = alpha
    return job


def measured(spec: Spec, picture: torch.Tensor, store: UploadStore, models: Models, patches: bool = True,
             frame: int | None = None):
    """A job's picture measured (stylegram.analysis.explain) from its uploads as the job read them, on the layers,
    blend and network its losses used; ``patches``: with the pairing of patches, which costs most; ``frame``: a
    video job's frame (from 0), measured against that frame of the video."""
    from ..analysis import explain

    opts, styles = decoded_options(spec, store), [store.decode(u) for u in spec.styles]
    model = models.get(opts.pooling, opts.padding if spec.method != "texture" else None)  # a texture's: as it started
    if spec.method == "texture":
        return explain.of_texture(styles, picture, opts, model, patches, names=upload_names(spec))
    content = store.decode(spec.content, images.STRAIGHT, frame=frame or 0,
                           at_least=gatys.read_side(opts.size))  # as the job read it
    return explain.of_transfer(content, styles, picture, opts, model, patches, names=upload_names(spec))


def upload_names(spec: Spec) -> list[str] | None:
    """What a job's measured parts call its styles: their uploads' names ("label sky blue (#87ceeb) from swirls.png",
    as the page's line of what the labels were read as names them), or None (style 1, style 2) when two share one."""
    from ..analysis.placed import distinct

    return distinct([u.name for u in spec.styles])


def explained(spec: Spec, picture: torch.Tensor, store: UploadStore, models: Models, frame: int | None = None,
              frames: int | None = None) -> str:
    """The explanation page (stylegram.analysis.explain) of a job's picture (``measured``; a video job's ``frame``
    of its ``frames``)."""
    from . import video

    made = measured(spec, picture, store, models, frame=frame)
    names = ", ".join(u.name for u in spec.styles)
    several = len(spec.styles) > 1
    named = ({"examples" if several else "example": names} if spec.method == "texture" else
             {"content": spec.content.name, "styles" if several else "style": names})
    image = made.result
    shown = {} if frame is None else {"frame": f"{frame + 1} of {frames}" if frames else str(frame + 1)}
    settings = {**named, **shown, "method": spec.method, "size": f"{image.shape[-1]}x{image.shape[-2]}",
                "command": video.command_line(spec) if spec.is_video else command_line(spec)}
    return made.html(settings, REPORT_CSS)


def comparable(a: Spec, b: Spec) -> bool:
    """Whether two jobs' pictures compare on one page (stylegram.analysis.compare): made from the same pictures (by
    digest), both transfers or both textures, and measured against one target (video jobs: at their last frames)."""
    def same(u: Upload | None, v: Upload | None) -> bool:
        return (u is None) == (v is None) and (u is None or u.sha256 == v.sha256)

    return ((a.method == "texture") == (b.method == "texture") and same(a.content, b.content)
            and len(a.styles) == len(b.styles) and all(same(u, v) for u, v in zip(a.styles, b.styles))
            and _yardstick(a) == _yardstick(b))


def _yardstick(spec: Spec) -> tuple:
    """What a picture's measure depends on beside its pictures (stylegram.analysis.compare.TARGET_OPTIONS): the styles'
    scale, blend weights and the masks, regions or label maps that place them (by digest; a texture's examples', and
    whether it tiles), which a comparison's one target takes from its first job."""
    from ..analysis.compare import BLENDS, TARGET_OPTIONS
    from ..losses import blend_weights

    digests = {option: tuple(u.sha256 for u in uploads) for option, uploads in attached(spec)}

    def value(name: str) -> Any:
        if name in digests:
            return digests[name]
        if name in BLENDS:
            return tuple(round(w, 6) for w in blend_weights(getattr(spec.options, name), len(spec.styles)))
        return getattr(spec.options, name)

    return tuple(value(name) for name in TARGET_OPTIONS[spec.method == "texture"])


def compared(specs: list[Spec], pictures: list[torch.Tensor], store: UploadStore, models: Models,
             frame: int | None = None, stopped: Sequence[str] = ()) -> str:
    """The comparison page (stylegram.analysis.compare) of comparable jobs' pictures, each named by the settings in
    which the jobs differ (and where it stopped early, ``stopped``: '' for one that ran to its end), measured on the
    default layers at their one style scale, blend and placing (engine.comparable), and the first job's padding;
    video jobs' ``frame`` (from 0) against that frame of the video."""
    from ..analysis import compare
    from . import video

    first, names = specs[0], compared_names(specs, stopped)
    styles = [store.decode(u) for u in first.styles]
    inputs = {"examples": styles} if first.method == "texture" else {
        "content": store.decode(first.content, images.STRAIGHT, frame=frame or 0), "styles": styles}
    opts = decoded_options(first, store)
    with warnings_to(lambda message: None):  # its page names them (Comparison.warnings), not the server's log
        done = compare.made_with(inputs, pictures, opts, names, style_names=upload_names(first),
                                 model=models.get("avg" if first.method == "texture" else "max", opts.padding))
    commands = {name: video.command_line(spec) if spec.is_video else command_line(spec)
                for name, spec in zip(names, specs)}
    return done.html({**({} if frame is None else {"frame": str(frame + 1)}), **commands}, REPORT_CSS)


def compared_names(specs: list[Spec], stopped: Sequence[str] = ()) -> list[str]:
    """Each job's name on a comparison: its number and the settings in which the jobs differ, those its method reads,
    and where it was stopped, if it was (``stopped``, by job: 'stopped after 37 iterations'), since its settings name
    the iterations asked for ('2: adain, alpha 0.5'; '1: iterations 500 (stopped after 37 iterations)')."""
    from ..sweeps import unread_by

    options = [{**dataclasses.asdict(spec.options), **spec.steady} for spec in specs]  # a video's frame blend too
    differing = [name for name in dict.fromkeys(k for o in options for k in o)
                 if len({repr(o.get(name)) for o in options}) > 1]
    names = []
    for n, (spec, chosen) in enumerate(zip(specs, options), start=1):
        read = [k for k in differing if spec.method == "texture" or k not in unread_by(spec.options)]
        words = [str(chosen[k]) if k == "method" else f"{flag(k)[2:]} {chosen.get(k, 'default')}" for k in read[:3]]
        note = stopped[n - 1] if n <= len(stopped) else ""
        names.append(f"{n}: {', '.join(words) if words else spec.method}" + (f" ({note})" if note else ""))
    return names


def command_line(spec: Spec, options: Any = None) -> str:
    """The `stylegram` command that makes the same image from the same files (named as uploaded).

    ``options``: what the run used (``--iterations auto`` resolved), else the spec's.
    """
    options = spec.options if options is None else _as_named(spec, options)
    names = [as_given(u) for u in [spec.content, *spec.styles] if u is not None]
    words = ["stylegram", "texture" if spec.method == "texture" else "transfer", *names, "-o", "result.png"]
    for name, value in options.changed().items():
        words += [flag(name)] if value is True else [flag(name), str(value)]
    if spec.tile is not None:
        words += ["--tile", str(spec.tile)]
    return shlex.join(words)


def settings_text(spec: Spec, most: int = 4) -> str:
    """The settings a job changed from the defaults, short, for a list of results: 'size 200, iterations 400'."""
    changed = {**spec.options.changed(), **({"tile": spec.tile} if spec.tile is not None else {})}
    words = [flag(name)[2:] if value is True else f"{flag(name)[2:]} {value}" for name, value in changed.items()
             if name != "method" and not hasattr(value, "shape")]  # the method is named beside; masks by upload
    return first_few(words, most)


def as_given(upload: Upload) -> str:
    """An input as the command line takes it: 'sample:gravel' for the bytes of an installed sample (the page uploads
    a sample chosen as a file, gravel.png, which the command would not find), else its name as uploaded."""
    sample = samples.by_digest().get(upload.sha256)
    return f"{samples.PREFIX}{sample}" if sample else upload.name


def gone(spec: Spec) -> Upload | None:
    """The first of a job's uploads no longer on the server (deleted from the page, or pruned as the oldest), if
    any: its picture can no longer be measured against its inputs, nor its inputs downloaded."""
    return next((u for u in spec.uploads if not u.path.is_file()), None)


def rerun_files(spec: Spec) -> dict[str, Upload]:
    """The files a job's command names, by the names it gives them: its uploads but those of installed samples (which
    the command reads as sample:NAME); two different files under one name are refused, the command could not tell
    them apart."""
    pictures = [u for u in [spec.content, *spec.styles] if u is not None]
    files: dict[str, Upload] = {}
    for upload in spec.uploads:
        name = as_given(upload) if upload in pictures else upload.name
        if name.startswith(samples.PREFIX):
            continue
        if name in files and files[name].sha256 != upload.sha256:
            raise OptionError(f"two different inputs of this job are both named {name}, which its command cannot tell "
                              "apart; rename one, upload it again and run the job again to download its inputs")
        files[name] = upload
    return files


def inputs_zip(spec: Spec, params_file: dict, params_name: str) -> bytes:
    """A zip of the job's inputs under the names its command gives them, and its parameters file (``params_name``):
    unzipped, the command in the parameters file runs there as it is (its inputs on the server: ``gone``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # pictures and videos are compressed already: stored as they are
        entry = zipfile.ZipInfo(params_name, time.localtime()[:6])
        entry.external_attr = 0o644 << 16  # as the pictures' (writestr's default, 0600, read as private)
        archive.writestr(entry, json.dumps(params_file, indent=2), compress_type=zipfile.ZIP_DEFLATED)
        for name, upload in rerun_files(spec).items():
            archive.write(upload.path, name)
    return buffer.getvalue()


def params(spec: Spec, result: Result | None, state: str) -> dict:
    """Everything that made the result: options, inputs (name, size, SHA-256), the command line, the outcome."""
    used = result.options if result is not None and type(result.options) is type(spec.options) else spec.options
    used = _as_named(spec, used)
    return {
        "stylegram": __version__,
        "method": spec.method,
        "state": state,
        "options": dataclasses.asdict(used),
        **({"tile": spec.tile} if spec.tile is not None else {}),
        "inputs": inputs(spec),
        "command": command_line(spec, used),
        "iterations": len(result.history) if result else 0,
        "seconds": round(result.seconds, 3) if result else 0.0,
        "final_losses": result.final_losses if result else {},
        "output": {"width": result.image.shape[-1], "height": result.image.shape[-2]} if result else None,
    }


def _as_named(spec: Spec, options: Any) -> Any:
    """Options as the page's records show them: the masks, regions and label maps a run read as images named as
    uploaded."""
    return options.replace(**{option: getattr(spec.options, option) for option, _ in attached(spec)})


def inputs(spec: Spec) -> dict:
    """A job's inputs as its parameters file records them (see described)."""
    return {
        "content": described(spec.content) if spec.content else None,
        "styles" if spec.method != "texture" else "examples": [described(u) for u in spec.styles],
        **({"masks": [described(u) for u in spec.masks]} if spec.masks else {}),
        **({"regions": [described(u) for u in spec.regions]} if spec.regions else {}),
        **({"labels": [described(u) for u in spec.labels]} if spec.labels else {}),
    }


def described(upload: Upload) -> dict:
    """An input as a parameters file records it: name, size, SHA-256, and a video's frame count."""
    return {"name": upload.name, "width": upload.width, "height": upload.height, "sha256": upload.sha256,
            **({"frames": upload.frames} if upload.moves else {})}
