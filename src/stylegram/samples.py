"""Sample images for demos and tests: 'sample:NAME' names a picture shipped by an installed package.

stylegram ships its own procedural style images (swirls, mosaic); photos and textures come from
scikit-image's data folder when it is installed (pip install "stylegram[samples]").
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources
from pathlib import Path

from . import downloads
from .errors import ImageError, did_you_mean

OWN = {"swirls": "swirls.png", "mosaic": "mosaic.png"}
SKIMAGE = {
    "chelsea": "chelsea.png",
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "rocket": "rocket.jpg",
    "hubble": "hubble_deep_field.jpg",
    "motorcycle": "motorcycle_left.png",
    "brick": "brick.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "camera": "camera.png",
}
PREFIX = "sample:"
KINDS = {"swirls": "style", "mosaic": "style", "brick": "texture", "grass": "texture", "gravel": "texture"}  # else photo


def names() -> list[str]:
    """All sample names."""
    return [*OWN, *SKIMAGE]


def path(name: str) -> Path:
    """The file behind a sample name; ImageError with a suggestion or an install hint otherwise."""
    if name in OWN:
        return Path(str(resources.files("stylegram").joinpath("data", OWN[name])))
    if name in SKIMAGE:
        try:
            import skimage.data
        except ImportError:
            raise ImageError(
                f"sample '{name}' comes from scikit-image, which is not installed; run: pip install "
                "'stylegram[samples]' (in a clone of stylegram: pip install -e '.[samples]')"
            ) from None
        return Path(skimage.data.__file__).parent / SKIMAGE[name]
    raise ImageError(f"no sample named '{name}'{did_you_mean(name, names())} (samples: {', '.join(names())})")


def available() -> list[str]:
    """The sample names whose pictures are installed (scikit-image's come with the samples extra)."""
    installed = []
    for name in names():
        try:
            path(name)
        except ImageError:  # scikit-image is not installed
            continue
        installed.append(name)
    return installed


def kind(name: str) -> str:
    """What a sample is for: 'style' (an image to paint with), 'texture' (an example to grow) or 'photo' (a content)."""
    return KINDS.get(name, "photo")


def resolve(spec: str | Path) -> str | Path:
    """Turn 'sample:NAME' into a file path, and a web address into its downloaded copy (stylegram.downloads);
    anything else is returned unchanged."""
    if isinstance(spec, str) and spec.startswith(PREFIX):
        return path(spec[len(PREFIX) :])
    if downloads.is_url(spec):
        return downloads.fetch(spec)
    return spec


@functools.lru_cache(maxsize=1)
def _by_path() -> dict[Path, str]:
    return {path(name).resolve(): f"{PREFIX}{name}" for name in available()}


def spec_of(file: str | os.PathLike[str]) -> str | None:
    """'sample:brick' for the file behind a sample (as a figure names a picture given as one), else None."""
    return _by_path().get(Path(file).resolve())


@functools.lru_cache(maxsize=1)
def by_digest() -> dict[str, str]:
    """The installed samples by the SHA-256 of their files: a file with those bytes is that sample."""
    return {hashlib.sha256(path(name).read_bytes()).hexdigest(): name for name in available()}
