"""Animated GIF, WebP and PNG in and out with Pillow: frames in order, each frame's duration and the loop kept.

``stylegram batch`` takes an animated picture (images.is_animation) as a short video (video.is_video): its frames
are stylized in order, following the motion, and written as the same kind of animation. A GIF's frames share one
palette made from the stylized frames themselves, so colours do not jump between frames; the file is written whole
through a temporary file. A transparent animation (a sticker, a cut-out) is stylized on white, as a still picture is,
and written with each frame's transparency: WebP and PNG keep it as it was, GIF (one bit of it) where a pixel is
at least half transparent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from .. import files
from ..errors import ImageError

_FORMATS = {".gif": "GIF", ".webp": "WEBP", ".png": "PNG", ".apng": "PNG"}
DEFAULT_DURATION = 100  # ms a frame is shown when the file does not say
PALETTE_SAMPLES = 16  # frames whose colours make a GIF's shared palette


def frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """The frames in order, each H x W x 3 uint8 RGB, transparency on white (as still pictures are read)."""
    for frame in _decoded(path):
        rgba = np.asarray(frame.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:] / 255
        yield np.rint(rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)


def timing(path: str | os.PathLike[str]) -> tuple[list[int], int | None]:
    """Each frame's duration in ms, and the loop count (0: forever; None: the file plays once)."""
    durations, loop, _ = _scanned(path, with_alpha=False)
    return durations, loop


def _scanned(path: str | os.PathLike[str], with_alpha: bool = True
             ) -> tuple[list[int], int | None, list[Image.Image] | None]:
    """Durations and loop count (see timing) and, ``with_alpha``, each frame's alpha as an 8-bit grey image (255:
    opaque), None when every frame is opaque; in one decoding of the file."""
    durations, loop, alphas = [], None, []
    for frame in _decoded(path):  # WebP states a frame's duration once it is decoded
        durations.append(int(frame.info.get("duration") or DEFAULT_DURATION))
        loop = frame.info.get("loop", loop)
        if with_alpha:
            alphas.append(frame.convert("RGBA").getchannel("A"))
    opaque = all(alpha.getextrema()[0] == 255 for alpha in alphas)
    return durations, loop, None if opaque else alphas


def _decoded(path: str | os.PathLike[str]) -> Iterator[Image.Image]:
    """The file's frames in order, each decoded; a broken one is an ImageError that names it."""
    with _opened(path) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), 1):
            try:
                frame.load()
            except Exception as err:  # Pillow's plugins raise many types on broken data
                raise ImageError(f"{path}: cannot decode frame {number} ({files.one_line(err)}); the file may be "
                                 "damaged") from None
            yield frame


def _opened(path: str | os.PathLike[str]) -> Image.Image:
    try:
        return Image.open(path)
    except Exception as err:
        raise ImageError(f"{path}: cannot open as an animation ({files.one_line(err)}); check the file") from None


class AnimationWriter(files.WholeOrNothing):
    """Collect RGB frames and write them as an animation of the target's kind (GIF, WebP, PNG) with the source's
    durations and loop; nothing is written unless the block ends without an error. Same use as video.VideoWriter."""

    def __init__(self, target: str | os.PathLike[str], source: str | os.PathLike[str]):
        self.target, self.source = Path(target), Path(source)
        self.durations, self.loop, self.alphas = _scanned(source)
        self.pictures: list[Image.Image] = []

    @property
    def frames(self) -> int:
        """How many frames the source holds."""
        return len(self.durations)

    def write(self, pixels: np.ndarray) -> None:
        """Add the next frame (H x W x 3 uint8)."""
        self.pictures.append(Image.fromarray(np.ascontiguousarray(pixels)))

    def close(self) -> Path:
        """Write the animation onto the target, atomically."""
        if not self.pictures:
            raise ImageError(f"{self.source}: no frames were decoded, so there is no animation to write")
        fmt = _FORMATS[self.target.suffix.lower()]
        alphas = None if self.alphas is None else [self.alphas[min(i, len(self.alphas) - 1)].resize(p.size)
                                                   for i, p in enumerate(self.pictures)]
        options: dict = {}
        if fmt != "GIF":
            shown = self.pictures if alphas is None else [_with_alpha(p, a) for p, a in zip(self.pictures, alphas)]
        elif alphas is None:
            shown = _on_one_palette(self.pictures)
        else:  # the palette's last entry is transparent, and each frame replaces the last (disposal 2)
            shown = [_clear_where(p, a) for p, a in zip(_on_one_palette(self.pictures, 255), alphas)]
            options = {"transparency": 255, "disposal": 2}
        durations = [self.durations[min(i, len(self.durations) - 1)] for i in range(len(shown))]
        options.update({"save_all": True, "append_images": shown[1:], "duration": durations})
        if self.loop is not None:
            options["loop"] = self.loop
        if fmt == "WEBP":
            options["quality"] = 90
        self.target.parent.mkdir(parents=True, exist_ok=True)
        return files.write_atomically(self.target, lambda f: shown[0].save(f, format=fmt, **options))

    def abort(self) -> None:
        self.pictures.clear()


def _with_alpha(picture: Image.Image, alpha: Image.Image) -> Image.Image:
    """``picture`` with ``alpha`` (of its size) as its transparency."""
    rgba = picture.convert("RGBA")
    rgba.putalpha(alpha)
    return rgba


def _clear_where(picture: Image.Image, alpha: Image.Image) -> Image.Image:
    """A frame on the shared palette with the pixels at least half transparent in ``alpha`` set to entry 255."""
    indices = np.array(picture)
    indices[np.asarray(alpha) < 128] = 255
    clear = Image.fromarray(indices, "P")
    palette = picture.getpalette() or []
    clear.putpalette(palette + [255] * (768 - len(palette)))  # entry 255 exists (white, shown as transparent)
    return clear


def _on_one_palette(pictures: list[Image.Image], colours: int = 256) -> list[Image.Image]:
    """The frames quantized to one palette of ``colours`` made from a sample of them, dithered (GIF holds 256 colours;
    a palette per frame makes the colours of still parts jump)."""
    step = max(1, len(pictures) // PALETTE_SAMPLES)
    sample = pictures[::step][:PALETTE_SAMPLES]
    width, height = sample[0].size
    strip = Image.new("RGB", (width, height * len(sample)))
    for i, picture in enumerate(sample):
        strip.paste(picture.resize((width, height)), (0, i * height))
    palette = strip.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    return [p.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for p in pictures]
