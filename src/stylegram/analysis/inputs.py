"""Image sets for analysis: files, folders and samples in a fixed order, classes, and texture crops."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import images, optimize, samples
from ..color import gray
from ..errors import BackboneError, ImageError, OptionError, count, first_few, warn
from .equal import by_value

DEFAULT_SIZE = 256  # long side images are shrunk to (never enlarged) unless told otherwise
MAX_NAMED = 3  # images named in a message, then how many more
SAMPLE_CROPS, SAMPLE_CROP_SIZE = 16, 128  # a sample:NAME class: this many crops of this side that do not overlap


@dataclass
class ImageSet:
    """Images (each (1, 3, H, W) in [0, 1], sizes may differ) with names and integer class labels."""

    __eq__ = by_value  # arrays and tensors compared by value

    images: list[torch.Tensor]
    names: list[str]
    labels: np.ndarray
    classes: list[str]
    size: int | None = None  # the long side larger images were shrunk to when loaded (--size), if any

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        """'ImageSet(12 images: brick 6, grass 6)': the classes, not the pixels."""
        sizes = ", ".join(f"{name} {len(self.members(k))}" for k, name in enumerate(self.classes))
        return f"ImageSet({count(len(self), 'image')}: {sizes})"

    def members(self, label: int) -> list[int]:
        """Indices of the images of one class, in set order."""
        return [i for i, lab in enumerate(self.labels) if lab == label]

    def first_per_class(self, count: int) -> list[int]:
        """Up to ``count`` image indices from every class, class by class."""
        return [i for c in range(len(self.classes)) for i in self.members(c)[:count]]

    def check_fits(self, backbone, layers: Sequence[str], flag: str = "--layer") -> None:
        """Before any network pass: name the images too small for the deepest of ``layers``, and what to change
        (``flag``: the option that names the layers)."""
        need = backbone.min_input_size(list(layers))
        small = [i for i, x in enumerate(self.images) if min(x.shape[-2:]) < need]
        if not small:
            return
        sizes = ", ".join(f"{self.names[i]} is {self._size(i)}" for i in small[:MAX_NAMED])
        if len(small) > MAX_NAMED:
            sizes += f" (and {count(len(small) - MAX_NAMED, 'more image')} too small)"
        shortest = min(min(self.images[i].shape[-2:]) for i in small)
        if self.size is not None and any(max(self.images[i].shape[-2:]) == self.size for i in small):
            shrunk = [self.images[i].shape[-2:] for i in small if max(self.images[i].shape[-2:]) == self.size]
            needed = max(-(-need * max(hw) // min(hw)) for hw in shrunk)  # the long side whose short side is enough
            fix = (f"use --size {needed} or more, if the files are that large (their long side is shrunk to --size, "
                   "never enlarged), or larger images")  # 'a larger --size than 64' for a 300x20 file: none helps
        else:
            fix = "use larger images"
        reached = [name for name in backbone.layer_names() if backbone.min_input_size([name]) <= shortest]
        fix += f", or {flag} no deeper than {reached[-1]}" if reached else ""
        raise BackboneError(f"{sizes}: layer {backbone.check_layers(list(layers))[-1]} of {backbone.name} "
                            f"needs at least {need} px on each side; {fix}")

    def _size(self, i: int) -> str:
        height, width = self.images[i].shape[-2:]
        return f"{width}x{height} px" + (f" at --size {self.size}" if max(height, width) == self.size else "")

    @classmethod
    def from_classes(
        cls, classes: Mapping[str, Sequence[images.ImageLike]], names: Mapping[str, Sequence[str]] | None = None,
        size: int | None = None,
    ) -> ImageSet:
        """Build a labelled set from {class name: [images]} (class order as given; ``size`` as the field): tensors in
        [0, 1] (an (N, 3, H, W) one is N images), files, sample:NAME, PIL images or arrays, as the analyses take them.
        ``names``: {class name: a name per image}."""
        from ..features import image_items

        tensors, labels, image_names = [], [], []
        for label, (name, members) in enumerate(classes.items()):
            # an array's .dim() failed; a batch of 2 counted as one image, then as 2 rows of matrices for one label
            items = image_items(members) if len(members) else []
            own = list(names[name]) if names else [f"{name}/{i:02d}" for i in range(len(items))]
            if len(own) != len(items):
                raise OptionError(f"class {name} has {count(len(items), 'image')} (a batch tensor counts its images) "
                                  f"and {count(len(own), 'name')}; give one name per image")
            tensors += items
            labels += [label] * len(items)
            image_names += own
        return cls(tensors, image_names, np.asarray(labels, dtype=np.int64), list(classes), size)


def expand(paths: Sequence[str | os.PathLike[str]], set_of: bool = False) -> list[Path]:
    """Files in the order given, folders expanded to their images sorted by name, samples resolved, no repeats;
    ``set_of``: they make a set of images, where one given twice is warned of."""
    found = [Path(p) for p in images.list_images([samples.resolve(p) for p in paths], kind=("an image", "images"))]
    unique = list(dict.fromkeys(found))
    if set_of and len(unique) < len(found):  # said: 'for 1 image' was the only hint that one of two was dropped
        repeated = [p for p in unique if found.count(p) > 1]
        warn(f"{first_few([p.name for p in repeated], MAX_NAMED)} given more than once; each image is used once")
    if not unique:
        raise OptionError(f"no images found in {', '.join(map(str, paths))}; give image files or folders of images"
                          + images.subfolder_hint(paths, "folders are not searched inside; give the subfolders"))
    return unique


def listed(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files ``paths`` name, folders listed and samples resolved, without a word: what an output is checked
    against (the reading itself warns of an empty folder or a file left out, once)."""
    return images.list_images([samples.resolve(p) for p in paths])


def load(path: str | os.PathLike[str], size: int | None = DEFAULT_SIZE, grey: bool = False) -> torch.Tensor:
    """One image (a file or sample:NAME) as (1, 3, H, W), long side shrunk to ``size`` (never enlarged), optionally
    made grey."""
    x = images.load_tensor(samples.resolve(path), size=size)
    return gray(x) if grey else x


def _load_each(files: Sequence[Path], size: int | None, grey: bool, unreadable: list[str]) -> list[torch.Tensor]:
    """``files`` loaded; each that cannot be read is added to ``unreadable`` (its error) and left out, so that every
    bad file of a set is named at once (a truncated one was refused, and an empty one only on the next run)."""
    loaded = []
    for f in files:
        try:
            loaded.append(load(f, size, grey))
        except ImageError as err:
            unreadable.append(err.flagged)
    return loaded


def _refuse_unreadable(unreadable: list[str]) -> None:
    if len(unreadable) == 1:
        raise ImageError(unreadable[0])
    if unreadable:
        raise ImageError(f"{count(len(unreadable), 'file')} cannot be read: {'; '.join(unreadable[:MAX_NAMED])}"
                         + (f"; and {len(unreadable) - MAX_NAMED} more" if len(unreadable) > MAX_NAMED else "")
                         + "; remove or replace them")


def load_set(paths: Sequence[str | os.PathLike[str]], size: int | None = DEFAULT_SIZE, grey: bool = False) -> ImageSet:
    """An unlabelled set (one class named 'images') from files, folders and sample:NAME specs."""
    files = expand(paths, set_of=True)
    unreadable: list[str] = []
    tensors = _load_each(files, size, grey, unreadable)
    _refuse_unreadable(unreadable)
    warn_read_otherwise(files)
    return ImageSet(tensors, display_names(files), np.zeros(len(files), np.int64), ["images"], size)


def display_names(files: Sequence[Path]) -> list[str]:
    """File names (a sample's as sample:NAME, as it was given), or folder/name for the others when two share a
    name."""
    bases = [samples.spec_of(f) or f.name for f in files]
    if len(set(bases)) == len(bases):
        return bases
    return [b if b.startswith(samples.PREFIX) else _with_folder(f) for f, b in zip(files, bases)]


def _with_folder(file: Path) -> str:
    """'grass/00.png'; a file in the working folder as './x.png' (its empty folder name made '/x.png', a root path)."""
    return f"{file.parent.name or '.'}/{file.name}"


def load_classes(
    folders: Sequence[str | os.PathLike[str]], size: int | None = DEFAULT_SIZE, grey: bool = False
) -> ImageSet:
    """A labelled set: one class per folder (named after it), classes in the order given, images sorted; a class
    given as sample:NAME is crops of that sample (sample_class), so the analysis can be tried without any images."""
    if isinstance(folders, (str, os.PathLike)):  # 'sample:brick' was read as folders 's', 'a', ...
        raise OptionError(f"folders is one name, '{os.fspath(folders)}'; give a list of class folders, e.g. "
                          "['sample:brick', 'sample:grass']")
    if len(folders) < 2:
        raise OptionError(f"need at least two class folders to compare, got {len(folders)}"
                          + images.subfolder_hint(folders, "one folder per class, such as its subfolders"))
    resolved = [Path(f).resolve() for f in folders]
    twice = next((f for f, r in zip(folders, resolved) if resolved.count(r) > 1), None)
    if twice is not None:
        raise OptionError(f"class folder {twice} is given twice; give each class folder once")
    names = _class_names(folders)
    classes, image_names, read, unreadable = {}, {}, [], []
    for index, (name, folder) in enumerate(zip(names, folders)):
        if _is_sample(folder):
            crops = sample_class(str(folder)[len(samples.PREFIX):], seed=index)
            classes[name] = [gray(x) if grey else x for x in crops]
            image_names[name] = [f"{name}/crop{i:02d}" for i in range(len(classes[name]))]
            continue
        if not Path(folder).is_dir():
            raise OptionError(f"{folder}: not a folder; give one folder of images per class (or sample:NAME, such as "
                              "sample:brick, for crops of a sample texture)")
        files = images.list_images([folder], kind=("an image", "images"))  # an empty one: the count says it
        classes[name] = _load_each(files, size, grey, unreadable)  # named together after the folders are read
        if len(files) < 2:
            _refuse_unreadable(unreadable)  # a file that is not an image is named first, not counted as a class's one
            inside = images.subfolder_hint([folder], "folders are not searched inside; give the subfolders as classes")
            raise OptionError(f"class '{name}' has {count(len(files), 'image')}; every class needs at least two to "
                              f"compare{inside}")
        image_names[name] = [f"{name}/{f.name}" for f in files]
        read += files
    _refuse_unreadable(unreadable)
    _warn_shared(classes, image_names)
    warn_read_otherwise(read)
    return ImageSet.from_classes(classes, image_names, size)


def warn_read_otherwise(files: Sequence[Path]) -> None:
    """Say which images of a set are read otherwise than they show: partly transparent ones (``warn_transparent``)
    and animations, of which the first frame alone is read (an animated GIF was, unsaid)."""
    warn_transparent(files)
    moving = [f.name for f in files if images.is_animation(f)]
    if moving:
        one = len(moving) == 1
        warn(f"{first_few(moving)} {'is an animation' if one else 'are animations'}: only {'its' if one else 'each'} "
             "first frame is read; give stills (or stylize a video with 'stylegram batch')")


def warn_transparent(files: Sequence[Path]) -> None:
    """Say which images of a set are partly transparent: read on white, that white counts in their matrices (a half
    clear crop showed half white in the report, unsaid)."""
    clear = [(f, share) for f in files if (share := images.clear_part(f))]
    if clear:
        one = len(clear) == 1
        named = first_few([f"{f.name} {share:.0%}" for f, share in clear])
        warn(f"{count(len(clear), 'image')} {'is' if one else 'are'} partly transparent ({named}), and the transparent "
             f"part is read as white, which then counts in {'its' if one else 'their'} matrices; crop it away, or give "
             "opaque images")


def _warn_shared(classes: Mapping[str, Sequence[torch.Tensor]], names: Mapping[str, Sequence[str]]) -> None:
    """Warn of a picture that is in two classes: it can only be sorted wrong (the same 8 files in two folders
    scored 0 % on every layer, without a word of why)."""
    seen: dict[str, tuple[str, str]] = {}
    shared = []
    for name, members in classes.items():
        for shown, key in optimize.digests(dict(zip(names[name], members))).items():  # a checkpoint's digests
            if key in seen and seen[key][0] != name:
                shared.append(f"{seen[key][1]} and {shown}")
            seen.setdefault(key, (name, shown))
    if shared:
        more = f" (and {len(shared) - 1} more)" if len(shared) > 1 else ""
        warn(f"the same picture is in two classes: {shared[0]}{more}; it counts against telling them apart, so "
             "give each class its own images")


def _is_sample(spec: str | os.PathLike[str]) -> bool:
    return isinstance(spec, str) and spec.startswith(samples.PREFIX)


def sample_class(name: str, seed: int = 0) -> list[torch.Tensor]:
    """A class made of one sample: up to SAMPLE_CROPS crops of SAMPLE_CROP_SIZE px that do not overlap (fewer where
    the picture holds fewer), seeded."""
    image = images.load_tensor(samples.path(name))
    height, width = image.shape[-2:]
    side = min(SAMPLE_CROP_SIZE, min(height, width) // 2)
    cells = (height // side) * (width // side) if side else 0
    if cells < 2:
        raise OptionError(f"sample '{name}' ({width}x{height}) is too small to cut into two crops for a class")
    return random_crops(image, min(SAMPLE_CROPS, cells), side, seed)


def _class_names(folders: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Folder base names and sample names, or the whole paths and sample:NAME specs when two of those collide."""
    bases = [str(f)[len(samples.PREFIX):] if _is_sample(f) else Path(f).resolve().name or str(f) for f in folders]
    return bases if len(set(bases)) == len(bases) else [str(f) for f in folders]


def random_crops(image: torch.Tensor, count: int, size: int, seed: int = 0) -> list[torch.Tensor]:
    """``count`` square crops of side ``size`` that do not overlap, from seeded random cells of a (1, 3, H, W) image.

    The image is cut into a grid of ``size`` cells (the grid itself at a seeded offset) and ``count`` cells are
    drawn. Crops at free positions overlapped (up to 95 % for 16 crops of 128 px from 512 px), and a
    leave-one-out test then partly recognised the same pixels rather than the same texture.
    """
    h, w = image.shape[-2:]
    if size > min(h, w):
        raise OptionError(f"crop size {size} is larger than the {w}x{h} image")
    rows, cols = h // size, w // size
    if count > rows * cols:
        raise OptionError(f"{count} crops of {size} px do not fit the {w}x{h} image without overlapping "
                          f"({rows * cols} do); take fewer or smaller crops")
    rng = np.random.default_rng(seed)
    top, left = int(rng.integers(0, h - rows * size + 1)), int(rng.integers(0, w - cols * size + 1))
    cells = rng.choice(rows * cols, count, replace=False)
    return [image[..., top + r * size : top + (r + 1) * size, left + c * size : left + (c + 1) * size].clone()
            for r, c in (divmod(int(cell), cols) for cell in cells)]


def texture_classes(
    names: Sequence[str] = ("brick", "grass", "gravel"), count: int = 16, size: int = 128, seed: int = 0
) -> dict[str, list[torch.Tensor]]:
    """{sample name: ``count`` random crops that do not overlap} of textures shipped with scikit-image (seeded per class)."""
    return {
        name: random_crops(images.load_tensor(samples.path(name)), count, size, seed + i)
        for i, name in enumerate(names)
    }


def write_classes(classes: Mapping[str, Sequence[torch.Tensor]], folder: str | os.PathLike[str]) -> list[Path]:
    """Save {class: images} as folder/class/NN.png; return the class folders in order."""
    out = []
    for name, members in classes.items():
        target = Path(folder) / name
        for i, x in enumerate(members):
            images.save_image(x, target / f"{i:02d}.png")
        out.append(target)
    return out
