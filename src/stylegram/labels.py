"""Label maps: semantic style transfer from colour-coded maps of the content and the style images.

A label map is a picture of an image's aspect painted in a few flat colours, one per kind of thing (sky blue, grass
green, ...). Given one for the content and one for each style image (--labels photo_map.png,painting_map.png), each
colour of the content's map is painted by the parts of the style images that carry the same colour: the painting's
sky paints the photo's sky, its grass the grass (Gatys et al. 2017's guided Gram matrices; Champandard's "neural
doodle" draws such maps by hand). It is --style-masks and --style-regions made for you: one entry per colour and
style image that has it, the style image repeated, its mask the colour's part of the content and its region the
colour's part of the style image.

Painted maps are rarely clean (anti-aliased edges, JPEG noise), so a colour counts as a label only where it covers at
least ``MIN_SHARE`` of some map and lies ``MERGE`` or more from every more common label (JPEG shifts a flat colour by
a few levels); every pixel then joins the nearest label. A map has a label where it covers ``MIN_SHARE`` / 2 of it, or
less but in a solid patch (``SOLID`` px square, which edge noise does not make): an eye painted on 0.4 % of the
content's map is painted from the style's eye, not left to no style.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import OptionError
from .images import ImageLike, image_list, kept_input, load_input, same_aspect

MIN_SHARE = 0.01  # of a map: less than this is edge noise, not a label
MAX_LABELS = 16  # more colours than this is a photo, not a label map
MERGE = 40.0  # RGB distance (0-255) under which two colours are one label
SOLID = 5  # px: a smaller label counts where it fills a square this wide somewhere in a map
MIN_FLAT = 0.5  # of a map: at least this much must lie within MERGE of a label, or it is a photo, not a map
BACKGROUND = (0, 0, 0)  # a transparent pixel of a map: the black label

# Words for label colours in messages (and the web page's painter): a colour is called by the nearest of these.
COLOUR_NAMES = {
    "black": (0, 0, 0), "dark grey": (64, 64, 64), "grey": (128, 128, 128), "light grey": (192, 192, 192),
    "white": (255, 255, 255), "dark red": (128, 0, 0), "red": (220, 20, 60), "orange": (255, 140, 0),
    "yellow": (255, 215, 0), "olive": (128, 128, 0), "light green": (144, 238, 144), "green": (34, 139, 34),
    "dark green": (0, 80, 0), "teal": (0, 128, 128), "cyan": (0, 230, 230), "sky blue": (135, 206, 235),
    "blue": (30, 60, 220), "navy": (0, 0, 128), "indigo": (75, 0, 130), "purple": (140, 60, 170),
    "magenta": (230, 0, 230), "pink": (255, 160, 190), "brown": (139, 69, 19), "tan": (210, 180, 140),
}


@dataclass(frozen=True)
class Words:
    """Whose maps they are, in messages: the painted image (the content, or texture's output) and the sources."""

    target: str = "the content"
    source: str = "style image"

    @property
    def a_source(self) -> str:
        """'a style image', 'an example'."""
        return f"{'an' if self.source[0] in 'aeiou' else 'a'} {self.source}"


TRANSFER, TEXTURE = Words(), Words("the output", "example")


@dataclass
class Split:
    """What the label maps ask for, as entries of the existing machinery: one per colour and style image with it."""

    styles: list[int]  # per entry, the index of the style image it draws from
    masks: list[torch.Tensor]  # per entry, the colour's part of the content, (1, 1, H, W) in {0, 1}
    regions: list[torch.Tensor]  # per entry, the colour's part of its style image
    blend: list[float]  # per entry: each colour weighs alike, shared among its style images by --style-blend
    colours: list[str]  # per entry, the colour as #rrggbb
    words: Words = TRANSFER  # whose maps they were


def check_alone(masks: object, regions: object = None, words: Words = TRANSFER) -> None:
    """Refuse --labels beside the --style-masks and --style-regions (a texture's --masks) that it makes itself."""
    if words is TEXTURE and masks is not None:
        raise OptionError("--labels makes the masks from the label maps; give --labels or --masks, not both")
    if masks is not None or regions is not None:
        raise OptionError("--labels makes the masks and regions from the label maps; give --labels, or --style-masks "
                          "and --style-regions, not both")


def kept(value: str | list | None) -> str | list | None:
    """--labels as the options keep it: a string as given; maps held in memory as tensors."""
    if value is None or isinstance(value, str):
        return value
    return [kept_input(m, f"label map {n}", BACKGROUND) for n, m in enumerate(image_list(value), start=1)]


def split(spec: str | list | None, target_shape: tuple[int, int], source_shapes: list[tuple[int, int]],
          blend: list[float], words: Words = TRANSFER) -> Split | None:
    """The entries the label maps ``spec`` (the content's, then one per style image; for texture the output's, then
    one per example) ask for, or None without maps.

    ``blend``: the style images' --style-blend weights; a colour's entries share its weight in their proportion.
    """
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return None
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else list(spec)
    if len(names) != 1 + len(source_shapes):
        count = len(source_shapes)
        each = (f"one for the {words.source}" if count == 1
                else f"one for each of the {count} {words.source}s, in their order")
        raise OptionError(f"--labels gives {len(names)} map{'s' * (len(names) != 1)}, and {count + 1} are needed: "
                          f"{words.target}'s first, then {each}")
    owners = [words.target, *[f"{words.source} {n}" for n in range(1, len(source_shapes) + 1)]]
    maps = [_read(name, n, shape, owner) for n, (name, shape, owner)
            in enumerate(zip(names, [target_shape, *source_shapes], owners), start=1)]
    palette = _palette(maps)
    assigned = [_nearest(m, palette, _named(n, name), owner)
                for n, (m, name, owner) in enumerate(zip(maps, names, owners), start=1)]
    return _entries(assigned, palette, blend, words)


def colour_name(hex_colour: str) -> str:
    """A label colour in words, its code after it: "#87ceeb" -> "sky blue (#87ceeb)"."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    name = min(COLOUR_NAMES, key=lambda n: sum((a - b) ** 2 for a, b in zip(COLOUR_NAMES[n], rgb)))
    return f"{name} ({hex_colour})"


def parts(split: Split) -> list[dict]:
    """What the maps were read as, per label: its colour, its share of the content (output) and, per source image
    that has it, the image's number (1, 2, ...) and the label's share of that image."""
    read: dict[str, dict] = {}
    for source, mask, region, colour in zip(split.styles, split.masks, split.regions, split.colours):
        part = read.setdefault(colour, {"colour": colour, "name": colour_name(colour), "share": float(mask.mean()),
                                        "sources": []})
        part["sources"].append({"image": source + 1, "share": float(region.mean())})
    return list(read.values())


def describe(split: Split) -> str:
    """One line on what the maps were read as: each label, its share of the content (output), and its sources."""
    words, read = split.words, parts(split)
    labels = "; ".join(f"{p['name']} {percent(p['share'])} of {words.target} from "
                       + ", ".join(f"{percent(s['share'])} of {words.source} {s['image']}" for s in p["sources"])
                       for p in read)
    return f"--labels: {len(read)} label{'s' * (len(read) != 1)}: {labels}"


def _read(name: ImageLike, n: int, shape: tuple[int, int], owner: str) -> torch.Tensor:
    """One label map as (H, W, 3) 8-bit colours, of its image's aspect."""
    what = _named(n, name)
    image = load_input(name, what, background=BACKGROUND)
    h, w = image.shape[-2:]
    if not same_aspect((h, w), shape):
        doodle = "; give --size as one number, its long side, and the output takes its shape" \
            if owner == TEXTURE.target else ""
        raise OptionError(f"{what} is {w}x{h} px and {owner} {shape[1]}x{shape[0]}: a label map needs its image's "
                          f"aspect (it is scaled with it){doodle}")
    return (image[0].permute(1, 2, 0) * 255).round().to(torch.int64)


def _palette(maps: list[torch.Tensor]) -> torch.Tensor:
    """The label colours, (K, 3): those covering at least MIN_SHARE of some map, less near variants of commoner ones."""
    counts: dict[int, float] = {}
    for m in maps:
        packed = (m[..., 0] << 16) | (m[..., 1] << 8) | m[..., 2]
        values, numbers = torch.unique(packed, return_counts=True)
        for value, number in zip(values.tolist(), (numbers / packed.numel()).tolist()):
            if number >= MIN_SHARE:
                counts[value] = max(counts.get(value, 0.0), number)
    labels: list[torch.Tensor] = []
    for value in sorted(counts, key=lambda v: -counts[v]):  # the most common first: a near variant joins it
        colour = torch.tensor([(value >> 16) & 255, (value >> 8) & 255, value & 255], dtype=torch.int64)
        if all(float((colour - other).float().norm()) >= MERGE for other in labels):
            labels.append(colour)
    if not labels:
        raise OptionError("no colour covers 1 % or more of any label map, so the maps name no labels; paint each kind "
                          "of thing in one flat colour, in a PNG rather than a JPEG")
    if len(labels) > MAX_LABELS:
        raise OptionError(f"the label maps have {len(labels)} colours that each cover 1 % or more of a map; paint "
                          f"each kind of thing in one flat colour (at most {MAX_LABELS}), in a PNG rather than a JPEG")
    return torch.stack(labels)


def _named(n: int, name: ImageLike) -> str:
    """'label map 2 (sky.png)' in messages; the number alone for an image held in memory."""
    return f"label map {n}" + (f" ({name})" if isinstance(name, str) and name else "")


def _nearest(colours: torch.Tensor, palette: torch.Tensor, what: str, owner: str) -> torch.Tensor:
    """Each pixel's label: the index of the nearest palette colour, (H, W); refused when most pixels are far from
    every label (a photo given as a map, whose pixels would be split by colour at random)."""
    distance, nearest = torch.cdist(colours.reshape(-1, 3).float(), palette.float()).min(1)
    flat = float((distance < MERGE).float().mean())
    if flat < MIN_FLAT:
        raise OptionError(f"{what} has only {flat:.0%} of its pixels near a label colour, "
                          f"so it looks like a picture rather than {owner}'s label map; paint each kind of thing in "
                          "one flat colour, the same colours in every map")
    return nearest.reshape(colours.shape[:2])


def _entries(assigned: list[torch.Tensor], palette: torch.Tensor, blend: list[float], words: Words) -> Split:
    """One entry per label of the content's map and style image whose map has it."""
    content, styles = assigned[0], assigned[1:]
    out = Split([], [], [], [], [], words)
    shares = [float((content == k).float().mean()) for k in range(len(palette))]
    used = sorted((k for k in range(len(palette)) if _has(content, k)), key=lambda k: -shares[k])
    for k in used:  # the content's largest part first
        hex_colour = "#{:02x}{:02x}{:02x}".format(*palette[k].tolist())
        having = [s for s, m in enumerate(styles) if _has(m, k)]
        if not having:
            raise OptionError(f"label colour {colour_name(hex_colour)} covers {percent(shares[k])} of {words.target}'s "
                              f"map and no {words.source}'s map has it{_scattered(styles, k, words)}, so nothing would "
                              f"paint it; give it a part of {words.a_source}'s map, or paint that part of "
                              f"{words.target}'s map in a colour {words.a_source} has")
        total = sum(blend[s] for s in having)
        for s in having:
            out.styles.append(s)
            out.masks.append((content == k).float()[None, None])
            out.regions.append((styles[s] == k).float()[None, None])
            out.blend.append((blend[s] / total if total > 0 else 1 / len(having)) / len(used))
            out.colours.append(hex_colour)
    return out


def _has(assigned: torch.Tensor, k: int) -> bool:
    """Whether a map's labels ``assigned`` (H, W) have label ``k``: on MIN_SHARE / 2 of it, or in a SOLID square (a
    label on 0.49 % of the content's map was left to no style, without a word)."""
    part = (assigned == k).float()
    if float(part.mean()) >= MIN_SHARE / 2:
        return True
    if min(part.shape) < SOLID or not bool(part.any()):
        return False
    return bool((-F.max_pool2d(-part[None, None], SOLID, stride=1) > 0).any())  # eroded: a whole square left


def _scattered(styles: list[torch.Tensor], k: int, words: Words) -> str:
    """' (style image 1's has it only in scattered pixels, 0.2 %: ...)' where a source map has a few pixels of label
    ``k``; '' where none has any."""
    found = [(s, float((m == k).float().mean())) for s, m in enumerate(styles, start=1)]
    some = [(s, share) for s, share in found if share > 0]
    if not some:
        return ""
    s, share = max(some, key=lambda found: found[1])
    return (f" ({words.source} {s}'s has it only in scattered pixels, {percent(share)}: paint a patch of at least "
            f"{SOLID}x{SOLID} px)")


def percent(share: float) -> str:
    """A share of a map in words: '50%', or '0.4%' below 1 % (a small label read as '0%')."""
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{share:.1%}"
