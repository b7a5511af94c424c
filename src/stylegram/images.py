"""Read, write, resize and convert images; tensors are float32 (1, 3, H, W) RGB in [0, 1].

Reading goes through Pillow with four extra rules: EXIF orientation is applied, colours tagged with an ICC
profile of another colour space (a phone's Display P3, Adobe RGB, CMYK) are converted to sRGB, every colour
mode ends as RGB (alpha composited onto a background), and 16-bit sources keep 16 bits on the way to a tensor.
Pillow decodes 16-bit-per-channel RGB(A) only to 8 bits, so such files are decoded twice, once for the
high bytes and once (byte order swapped in the decoder's raw mode) for the low bytes.
Writing is atomic (stylegram.files): a temporary file in the target's folder is renamed onto the target.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageCms, ImageColor, ImageOps, UnidentifiedImageError

from . import files, samples
from .errors import ImageError, OptionError, StylegramWarning, warn

# Same value as Pillow's own default Image.MAX_IMAGE_PIXELS (1 GiB / 4 bytes / 3), fixed here so that
# another library lowering or raising Pillow's global does not change stylegram's default.
DEFAULT_MAX_PIXELS: int = 89_478_485
# Raises (or lowers) the default limit for every command and call that does not pass max_pixels itself.
MAX_PIXELS_ENV = "STYLEGRAM_MAX_PIXELS"
# Decoded pixels above which an image read for a smaller size is averaged down before it becomes floats
# (_box_reduced): a 48 MP PNG read for a 512 px output peaked at 1.03 GB, 0.40 so, and took 6.8 s, 1.5 s so.
BOX_FROM = 16_000_000

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".heic",
                                     ".heif", ".avif")
VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts")
ANIMATED_EXTENSIONS: tuple[str, ...] = (".gif", ".webp", ".png", ".apng")  # pictures that may hold several frames
VIDEO_HINT = ("videos are stylized frame by frame by 'stylegram batch VIDEO --style STYLE -o OUT_DIR/' (or as the content "
              "on the page of 'stylegram serve')")

STILL_HINT = ("only the content may be a video (in 'stylegram batch', or on the page of 'stylegram serve'); give a "
              "still picture here, such as one frame of it saved as PNG")

_SAVE_FORMATS = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
    ".webp": "WEBP", ".bmp": "BMP",
}
_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
# The brand an ISO media file names first (bytes 8-12, after its size and 'ftyp'): what kind of picture it holds.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}  # HEVC pictures: iPhones'
_AVIF_BRANDS = {b"avif", b"avis"}
_WHITE = (255, 255, 255)
UNDER = "under"  # as ``background``: keep the colour stored under transparent pixels (a transfer paints there too)
# As ``background``, a content's: a partly transparent pixel keeps its own colour, and only a clear one becomes white
# (its stored colour is often black or stray). The output takes the content's alpha, which then shows the stylized
# colour once: composited on white first, a half-clear black edge or shadow was stylized as light grey, and came out
# a milky halo on a dark page.
STRAIGHT = "straight"

# Raw modes whose samples are 16 bits; Pillow keeps only the high byte when unpacking them.
_WIDE_RAWMODES = {f"{m};16{e}" for m in ("RGB", "RGBA") for e in "BLN"}
_GUARD_LOCK = threading.Lock()


# ----------------------------------------------------------------------------------------- reading


def load_image(
    path: str | os.PathLike[str],
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    background: tuple[int, int, int] | str = _WHITE,
) -> Image.Image:
    """Read an image file as an upright 8-bit RGB image; alpha is composited onto ``background``."""
    return Image.fromarray(_to_uint8(_read_rgb(path, max_pixels, background)))


def load_tensor(
    path: str | os.PathLike[str],
    *,
    size: int | None = None,
    upscale: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    background: tuple[int, int, int] | str = _WHITE,
    at_least: int | None = None,
) -> torch.Tensor:
    """Read an image file as a float32 (1, 3, H, W) tensor in [0, 1], long side resized to ``size``; without
    ``size``, ``at_least`` lets a JPEG come back smaller (by a factor of 2, 4 or 8, its aspect exact) as long as its
    long side stays at least that: for a caller that shrinks it anyway.

    A JPEG to be shrunk is decoded at 1/8, 1/4 or 1/2 of its size where that is still at least ``size`` and divides
    its sides (the decoder's own scaling), then resized: a 4032x3024 photo for 256 px in a seventh of the time,
    pixels a mean 0.3/255 from the full decode's. Its aspect is exactly the file's, so the size it is resized to is
    the one the full decode gives (checked on 133,764 sizes). A large opaque 8-bit image of any format is also averaged
    down by such a factor once decoded, before it becomes floats (_box_reduced)."""
    if size is None:
        return to_tensor(_read_rgb(path, max_pixels, background, long_side=at_least))
    _check_size(size)
    x = to_tensor(_read_rgb(path, max_pixels, background, long_side=size))
    hw = _fit_long_side(x.shape[-2], x.shape[-1], size, upscale)
    return x if hw == tuple(x.shape[-2:]) else resize_tensor(x, hw)


def _read_rgb(path: str | os.PathLike[str], max_pixels: int | None, background,
              long_side: int | None = None) -> np.ndarray:
    """The file's pixels as an upright H x W x 3 array (uint8, uint16 or float32); a JPEG decoded at a smaller
    scale whose long side is still ``long_side`` or more, if given."""
    file = _existing_file(path)
    bg = _background(background)
    max_pixels = _limit(max_pixels)
    if max_pixels is not None and (isinstance(max_pixels, bool) or max_pixels < 1):
        raise OptionError(f"max_pixels must be a positive number of pixels or None, not {max_pixels!r}")
    with _decode_errors(file):
        return _flatten(_decode(file, max_pixels, long_side), bg)


def _limit(max_pixels: int | None) -> int | None:
    """``max_pixels``; where it is the default, the STYLEGRAM_MAX_PIXELS environment variable when that is set."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if max_pixels != DEFAULT_MAX_PIXELS or not text:
        return max_pixels
    if not text.isdigit() or int(text) < 1:
        raise OptionError(f"{MAX_PIXELS_ENV}={text!r} is not a positive whole number of pixels; fix or unset it")
    return int(text)


def _existing_file(path: str | os.PathLike[str]) -> Path:
    """The path as a Path, after checking that it names a non-empty regular file."""
    if not os.fspath(path).strip():  # Path("") is the current folder: "a folder" would puzzle
        raise ImageError("the file name is empty; give a path (in a comma-separated list, look for two commas in a "
                         "row or one at an end)")
    file = Path(path).expanduser()
    if file.is_dir():
        raise ImageError(f"{file} is a folder, not an image file; give the path of an image inside it")
    if not file.exists():  # ftp://x/y.png read as the path ftp:/x/y.png, no word of the address
        scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://", os.fspath(path))
        if scheme:
            raise ImageError(f"{os.fspath(path)}: stylegram fetches http:// and https:// addresses, not "
                             f"{scheme[1]}://; download it yourself and give the file's path")
        raise ImageError(f"{file}: no such file; check the path")
    if file.stat().st_size == 0:
        raise ImageError(f"{file} is empty (0 bytes); re-export or re-copy the image")
    return file


def _decode(file: Path, max_pixels: int | None, long_side: int | None = None) -> np.ndarray:
    """Pixels in the file's own layout (grey/colour, optional alpha last) and bit depth; ``long_side`` as in
    _read_rgb."""
    image, wide = _load_upright(file, max_pixels, long_side=long_side)
    if not wide:
        return _pixels(image, str(file))
    low, _ = _load_upright(file, max_pixels, low_bytes=True)
    return (np.asarray(image).astype(np.uint16) << 8) | np.asarray(low)


def _load_upright(file: Path, max_pixels: int | None, *, low_bytes: bool = False,
                  long_side: int | None = None) -> tuple[Image.Image, bool]:
    """Open, size-check, decode and EXIF-orient; also say whether samples were 16-bit RGB(A). ``long_side``: a JPEG
    may be decoded at a smaller scale whose long side is still that or more."""
    with _header(file) as image:
        _check_pixels(file, image.size, max_pixels)
        wide = _is_wide(image)
        if low_bytes:
            image.tile = [_swap_byte_order(t) for t in image.tile]
        reduced = _reduced(image.size, long_side) if long_side is not None and image.format == "JPEG" else None
        if reduced is not None:
            image.draft(None, reduced)
        with _pillow_guard_lifted() if _above_pillow(max_pixels) else contextlib.nullcontext():
            image.load()  # inside the try of _decode_errors, so truncated files fail here
        ImageOps.exif_transpose(image, in_place=True)
    return (image if long_side is None or wide else _box_reduced(image, long_side)), wide


def _box_reduced(image: Image.Image, long_side: int) -> Image.Image:
    """A decoded opaque 8-bit image of more than BOX_FROM pixels averaged down by 8, 4 or 2 (as a JPEG's decoder
    scales, _reduced) where its long side stays at least twice ``long_side``: the resize after it then halves it or
    more, so the box's blur stays finer than the picture's pixels."""
    reduced = _reduced(image.size, 2 * long_side) if image.width * image.height > BOX_FROM else None
    if reduced is None or image.mode not in ("L", "RGB") or "transparency" in image.info:
        return image  # averaging colours apart from their alpha would bleed a cut-out's hidden colours into its edge
    return image.reduce(image.size[0] // reduced[0])


def check_intact(path: str | os.PathLike[str]) -> None:
    """Refuse (ImageError, as reading it would) a file whose header Pillow cannot read, or a PNG cut short, without
    decoding its pixels (its chunks' checksums: about 10 ms): for a batch that names its bad files before the work."""
    file = _existing_file(path)
    with _decode_errors(file), _header(file) as image:
        if image.format == "PNG":
            image.verify()


def _reduced(size: tuple[int, int], long_side: int) -> tuple[int, int] | None:
    """The size a JPEG decoder's scaling by 1/8, 1/4 or 1/2 gives, the most that keeps the long side at least
    ``long_side`` and divides both sides (a partial block at the edge would stretch the picture); None for none."""
    for factor in (8, 4, 2):
        if size[0] % factor == 0 and size[1] % factor == 0 and max(size) // factor >= long_side:
            return size[0] // factor, size[1] // factor
    return None


def _above_pillow(max_pixels: int | None) -> bool:
    """Whether our limit is looser than Pillow's, whose checks during load() would then refuse too early."""
    pillow = Image.MAX_IMAGE_PIXELS
    return pillow is not None and (max_pixels is None or max_pixels > pillow)


def _header(file: str | os.PathLike[str]) -> Image.Image:
    """The file opened, its header read, without Pillow's pixel guard (and its DecompressionBombWarning printed
    to the user): stylegram's own limit is checked before the pixels are decoded (_check_pixels)."""
    with _pillow_guard_lifted():
        return Image.open(file)


@contextlib.contextmanager
def _pillow_guard_lifted() -> Iterator[None]:
    """Switch Pillow's global pixel guard off for this block only (stylegram's max_pixels governs)."""
    with _GUARD_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _check_pixels(file: Path, size: tuple[int, int], max_pixels: int | None) -> None:
    """Refuse an image whose header size exceeds ``max_pixels``, before anything is decoded."""
    w, h = size
    if max_pixels is not None and w * h > max_pixels:
        raise ImageError(
            f"{file} is {w}x{h} = {w * h:,} pixels, over the limit of {max_pixels:,} that guards against "
            f"decompression bombs; if you trust the file, raise the limit: set {MAX_PIXELS_ENV}={w * h} "
            "(max_pixels= in Python)"
        )


def _is_wide(image: Image.Image) -> bool:
    """Whether Pillow is about to unpack 16-bit RGB(A) samples (keeping only their high bytes)."""
    rawmodes = [_rawmode(t) for t in image.tile]
    return image.mode in ("RGB", "RGBA") and bool(rawmodes) and all(r in _WIDE_RAWMODES for r in rawmodes)


def _rawmode(tile) -> str:
    args = tile[3]
    return args if isinstance(args, str) else str(args[0]) if args else ""


def _swap_byte_order(tile):
    """The same tile, with its 16-bit raw mode read in the other byte order (yields the low bytes)."""
    raw = _rawmode(tile)
    native = "L" if sys.byteorder == "little" else "B"
    other = {"B": "L", "L": "B", "N": "B" if native == "L" else "L"}[raw[-1]]
    args = raw[:-1] + other if isinstance(tile[3], str) else (raw[:-1] + other, *tile[3][1:])
    return tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)


_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF",
               b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}  # BMP's BM: two letters a text file may begin with


def _begins_as(file: Path) -> str | None:
    """The image format whose signature ``file`` begins with (a WebP: RIFF....WEBP), or None."""
    try:
        with open(file, "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for signature, kind in _SIGNATURES.items() if head.startswith(signature)), None)


def _brand(file: Path) -> bytes | None:
    """The major brand of an ISO media file (HEIC, AVIF, MP4 ...), or None for another kind of file."""
    with open(file, "rb") as f:
        head = f.read(12)
    return head[8:12] if head[4:8] == b"ftyp" else None


def _register_heif() -> bool:
    """Let Pillow read HEIC pictures where pillow-heif is installed (the heif extra); whether it can."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener(thumbnails=False)
    return True


HEIF = _register_heif()
# The formats a "not an image" message offers: HEIC only where pillow-heif is installed (as the web page says).
_READ_NAMES = "PNG, JPEG, TIFF, WebP, BMP, GIF" + (", AVIF or HEIC" if HEIF else " or AVIF")


@contextlib.contextmanager
def _decode_errors(file: Path) -> Iterator[None]:
    """Turn whatever Pillow raises on a bad file into a one-line ImageError that names the file."""
    try:
        yield
    except ImageError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageError(
            f"{file} is too large to decode safely ({files.one_line(err)}); "
            f"if you trust the file, raise the limit: set {MAX_PIXELS_ENV} to its width times height"
        ) from err
    except UnidentifiedImageError as err:
        if file.suffix.lower() in VIDEO_EXTENSIONS:
            raise ImageError(f"{file} is a video, not an image; {VIDEO_HINT}") from err
        brand = _brand(file)
        if brand in _HEIF_BRANDS and HEIF:
            raise ImageError(f"{file} is a HEIC picture that cannot be decoded; it may be damaged: copy it again, or "
                             "export it as JPEG") from err
        if brand in _HEIF_BRANDS:
            raise ImageError(f"{file} is a HEIC picture (as iPhones save photos), and reading one needs pillow-heif: "
                             "pip install 'stylegram[heif]' (or export it as JPEG)") from err
        if brand in _AVIF_BRANDS:
            raise ImageError(f"{file} is an AVIF picture, which this Pillow cannot read: pip install -U Pillow "
                             "(11.3 or later reads AVIF), or export it as PNG or JPEG") from err
        if brand is not None:  # an MP4 or MOV named .png was 'not an image (Pillow recognises no image format)'
            raise ImageError(f"{file} is a video (MP4 or MOV) named as an image ({file.suffix}), not an image; "
                             f"rename it {file.with_suffix('.mp4').name}: {VIDEO_HINT}") from err
        begun = _begins_as(file)
        if begun is not None:  # a PNG's first 40 bytes read 'not an image', where half a PNG read 'truncated'
            raise ImageError(f"{file} is truncated or corrupt (it begins as a {begun} file, and too little of one "
                             "follows to read); re-export or re-copy it") from err
        raise ImageError(
            f"{file} is not an image (Pillow recognises no image format in it); "
            f"give a {_READ_NAMES} file"
        ) from err
    except FileNotFoundError as err:
        raise ImageError(f"{file}: no such file; check the path") from err
    except PermissionError as err:
        raise ImageError(f"cannot read {file}: permission denied; check the file's permissions") from err
    except MemoryError as err:
        raise ImageError(f"not enough memory to decode {file}; use a smaller image") from err
    except Exception as err:  # Pillow's plugins raise many types on broken data
        raise ImageError(f"{file} is truncated or corrupt ({files.one_line(err)}); re-export or re-copy it") from err


# ------------------------------------------------------------------------------ modes and arrays

ImageLike = "str | os.PathLike | torch.Tensor | Image.Image | np.ndarray"  # what the Python API takes as an image (a Result too)
MAX_SIDE = 16384  # the largest output side (px) that transfer, texture and dream accept


def check_side(size: int | None) -> None:
    """Refuse a --size (the output's long side, None: unset) outside 1..MAX_SIDE px."""
    if size is not None and not 1 <= size <= MAX_SIDE:
        raise OptionError(f"--size must be between 1 and {MAX_SIDE} px, got {size}")
TENSOR_SLACK = 0.01  # image tensors a little outside [0, 1] (resampling overshoot) are clamped, not refused


def _pixels(image: Image.Image, name: str = "the image") -> np.ndarray:
    """An H x W (x C) array for any Pillow mode: grey or RGB (sRGB), alpha last, uint8/uint16/float32."""
    if image.mode in ("L", "RGB") and "transparency" in image.info:
        image = image.convert("RGBA")  # a tRNS colour key (before the colour conversion, which would move it)
    image = _in_srgb(image)
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(image)
    if mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16)  # also turns big-endian I;16B native
    if mode == "I":  # 32-bit integer; Pillow's name for 16-bit grey in older versions
        return np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
    if mode == "F":
        return _float_pixels(np.asarray(image, dtype=np.float32))
    target = {"1": "L", "PA": "RGBA", "La": "LA", "RGBa": "RGBA"}.get(mode, "RGB")
    if mode == "P" and ("transparency" in image.info or image.palette.mode == "RGBA"):
        target = "RGBA"
    try:
        return np.asarray(image.convert(target))
    except ValueError as err:
        raise ImageError(f"{name} has colour mode {mode}, which stylegram cannot convert; "
                         "save it as RGB first") from err


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_PROFILED_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB"}  # modes whose ICC profile is applied, and the result


def _in_srgb(image: Image.Image) -> Image.Image:
    """The image with its colours converted to sRGB when its ICC profile says they are in another space.

    Networks and the saved output (which carries no profile) take pixel values as sRGB; a phone photo in
    Display P3 read as sRGB came out duller than it is. Images without a profile, with an sRGB one, or
    with a profile that cannot be read are taken as they are (16-bit RGB files too: Pillow's colour
    management works on 8 bits).
    """
    data = image.info.get("icc_profile")
    if not data or image.mode not in _PROFILED_MODES:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        return ImageCms.profileToProfile(image, profile, _SRGB, outputMode=_PROFILED_MODES[image.mode])
    except (OSError, ImageCms.PyCMSError):  # a broken or unsupported profile: the values as they are
        return image


def _float_pixels(values: np.ndarray) -> np.ndarray:
    """Floating-point grey: taken as [0, 1] when it fits, else on Pillow's 0..255 scale."""
    values = np.nan_to_num(values)
    return values if values.size == 0 or values.max() <= 1.0 else values / np.float32(255)


def _flatten(pixels: np.ndarray, background: tuple[int, int, int] | str | None) -> np.ndarray:
    """H x W x 3 colour: grey is repeated, alpha is composited onto ``background`` (8-bit values; None: dropped;
    STRAIGHT: white under clear pixels alone)."""
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[2]
    colour, alpha = (pixels, None) if channels in (1, 3) else (pixels[..., :-1], pixels[..., -1:])
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    if alpha is None or background is None:
        return colour
    if background == STRAIGHT:
        alpha, background = np.where(alpha > 0, np.asarray(_full_scale(alpha.dtype), alpha.dtype), 0), _WHITE
    return _composite(colour, alpha, background)


def _composite(colour: np.ndarray, alpha: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """colour * a + background * (1 - a), in the array's own scale and dtype (rounded for integers)."""
    top = _full_scale(colour.dtype)
    a = alpha.astype(np.float32)
    bg = np.asarray(background, dtype=np.float32) * np.float32(top / 255)
    out = (colour.astype(np.float32) * a + bg * (np.float32(top) - a)) / np.float32(top)
    return np.rint(out).astype(colour.dtype) if colour.dtype.kind == "u" else out.astype(np.float32)


def _full_scale(dtype: np.dtype) -> float:
    return {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype), 1.0)


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    """8-bit copy of an H x W x 3 array, rounded (16-bit: v / 257; float: v * 255)."""
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    scaled = rgb.astype(np.float32) * np.float32(255 / _full_scale(rgb.dtype))
    return np.rint(np.clip(scaled, 0, 255)).astype(np.uint8)


def _background(value: tuple[int, int, int] | str) -> tuple[int, int, int] | str | None:
    """An (r, g, b) 8-bit colour from a tuple or a colour name such as 'white' or '#808080'; None for UNDER, STRAIGHT
    as it is."""
    if value == UNDER:
        return None
    if value == STRAIGHT:
        return STRAIGHT
    try:
        rgb = ImageColor.getrgb(value) if isinstance(value, str) else tuple(int(v) for v in value)
    except (ValueError, TypeError) as err:
        raise OptionError(f"background {value!r} is not a colour; use (r, g, b) or a name like 'white'") from err
    if len(rgb) < 3 or not all(0 <= v <= 255 for v in rgb[:3]):
        raise OptionError(f"background {value!r} is not an (r, g, b) colour with values 0..255")
    return rgb[0], rgb[1], rgb[2]


def to_tensor(image: Image.Image | np.ndarray, background: tuple[int, int, int] | str = _WHITE) -> torch.Tensor:
    """(1, 3, H, W) float32 in [0, 1] from a PIL image or an H x W x 3 uint8/uint16/float array; alpha is
    composited onto ``background``."""
    if isinstance(image, Image.Image):
        pixels = _pixels(image)
    elif isinstance(image, np.ndarray):
        pixels = _checked_array(image)
    else:
        raise ImageError(f"to_tensor takes a PIL image or a numpy array, not {type(image).__name__}")
    rgb = _flatten(pixels, _background(background))
    # planes first while still 8 or 16 bits, then one float copy scaled in place: a 12-megapixel photo's peak was
    # three float copies (430 MB), now one
    values = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32)
    values /= np.float32(_full_scale(rgb.dtype))
    if rgb.dtype.kind == "f":
        np.nan_to_num(values, copy=False)
        np.clip(values, 0.0, 1.0, out=values)
    return torch.from_numpy(values)[None]


def _checked_array(array: np.ndarray) -> np.ndarray:
    """The array if it is H x W or H x W x {1, 3, 4} of uint8, uint16 or floats; booleans (a mask, left > 0) as 0
    and 1."""
    shape_ok = array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3, 4))
    if shape_ok and array.dtype == np.bool_:
        return array.astype(np.float32)
    if not shape_ok or not (array.dtype in (np.uint8, np.uint16) or array.dtype.kind == "f"):
        raise ImageError(
            f"cannot make an image of an array with shape {array.shape} and dtype {array.dtype}; "
            "give H x W x 3 (or grey H x W, or H x W x 4 with alpha) uint8, uint16 or float in [0, 1]"
            + _array_hint(array, shape_ok))
    return array


def _array_hint(array: np.ndarray, shape_ok: bool) -> str:
    """How to make an array an image: channels last, or a dtype the loader takes."""
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and not shape_ok:
        return "; a 3 x H x W array (channels first, as tensors hold them) is array.transpose(1, 2, 0)"
    if shape_ok and array.dtype.kind in "iu":  # int32 or int64 0..255 from arithmetic
        return "; whole numbers 0..255 are array.astype(np.uint8)"
    return ""


def image_tensor(x: torch.Tensor) -> torch.Tensor:
    """A tensor as a (1, 3, H, W) float32 image in [0, 1]; (3, H, W), one grey channel and uint8 are accepted."""
    t = batch_tensor(x.detach(), images=1)
    return t.float().clamp(0, 1)  # a new tensor, three channels of its own


def batch_tensor(x: torch.Tensor, images: int | None = None) -> torch.Tensor:
    """A tensor as an (N, 3, H, W) float batch in [0, 1] with its gradients kept: (C, H, W) gains a batch axis, one grey
    channel becomes three, uint8 is divided by 255, and floats that are NaN or outside [0, 1] are refused.
    ``images``: the N it must have (``image_tensor`` asks for 1, and detaches first)."""
    t = x[None, None] if x.dim() == 2 else x[None] if x.dim() == 3 else x  # (H, W): grey, as an H x W array is
    if t.dim() != 4 or t.shape[1] not in (1, 3) or images not in (None, t.shape[0]):
        hint = ("; a tensor has no alpha channel here: give an RGBA picture as an H x W x 4 array or a PIL image "
                 "(its transparency kept), or the colours alone, tensor[:, :3]") if t.dim() == 4 and t.shape[1] == 4 \
            else "; an H x W x 3 tensor (channels last, as arrays hold them) is tensor.permute(2, 0, 1)" \
            if x.dim() == 3 and x.shape[-1] in (3, 4) else ""
        raise ImageError(f"a tensor of shape {tuple(x.shape)} is not an image; give ({images or 'N'}, 3, H, W), "
                         f"(3, H, W) or a grey (H, W){hint}")
    if 0 in t.shape[-2:]:
        raise ImageError(f"the tensor is empty ({t.shape[-1]}x{t.shape[-2]} px); give an image with pixels")
    if t.dtype == torch.uint8:
        t = t.float() / 255
    elif not t.is_floating_point():
        raise ImageError(f"a tensor of dtype {x.dtype} is not an image; give floats in [0, 1] or uint8")
    else:
        values = t.detach()
        if values.numel():
            _check_unit_range(values, bool(torch.isfinite(values).all()), "tensor")
    return t.expand(-1, 3, -1, -1) if t.shape[1] == 1 else t  # a grey image as three equal channels


def array_tensor(array: np.ndarray, background: tuple[int, int, int] | str = _WHITE) -> torch.Tensor:
    """An H x W (x 1, 3 or 4) uint8, uint16 or float array as a (1, 3, H, W) image; floats must lie in [0, 1]."""
    if array.ndim >= 2 and 0 in array.shape[:2]:  # a ZeroDivisionError deep in the resizing, before
        raise ImageError(f"the array is empty ({array.shape[1]}x{array.shape[0]} px); give an image with pixels")
    if _checked_array(array).dtype.kind == "f" and array.size:
        _check_unit_range(array, bool(np.isfinite(array).all()), "array")
    if array.dtype == np.uint16 and array.size and 0 < int(array.max()) <= 255:  # read as 0..65535: all but black
        raise ImageError(f"the uint16 array's values run from {int(array.min())} to {int(array.max())}, which as "
                         "16-bit pixels (0..65535) is a black picture; for 8-bit values give array.astype(np.uint8)")
    return to_tensor(array, background)


def _check_unit_range(values: np.ndarray | torch.Tensor, finite: bool, what: str) -> None:
    """Refuse float pixels that are NaN, infinite or clearly outside [0, 1] (they were clipped to black or white)."""
    if not finite:
        raise ImageError(f"the {what} holds NaN or infinite values; an image {what} holds values in [0, 1]")
    low, high = float(values.min()), float(values.max())
    if low < -TENSOR_SLACK or high > 1 + TENSOR_SLACK:
        fix = ("divide 0..255 values by 255" if low >= -TENSOR_SLACK and high <= 255 + TENSOR_SLACK
               else "rescale them to [0, 1] (values in -1..1, as a network's normalized input: (x + 1) / 2)")
        raise ImageError(f"the {what}'s values run from {low:.4g} to {high:.4g}, but an image {what} of floats "
                         f"holds values in [0, 1]; {fix}")


def same_aspect(size: tuple[int, int], other: tuple[int, int], tolerance: float = 0.02) -> bool:
    """Whether two (H, W) sizes have one aspect, within ``tolerance`` (a mask or map scaled to its image's size)."""
    return abs(size[0] * other[1] / (size[1] * other[0]) - 1) <= tolerance


def _is_result(image: object) -> bool:
    """Whether ``image`` is a transfer's or texture's Result (stylegram.job; not imported here, which imports this)."""
    return type(image).__name__ == "Result" and isinstance(getattr(image, "image", None), torch.Tensor)


BYTES_HINT = ("the bytes of a file are not an image here; give the file's path, or the picture they hold: "
              "PIL.Image.open(io.BytesIO(data))")


def image_list(items: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    """One image (a path, sample, PIL image, array, tensor or Result) or a sequence of them, as a list."""
    single = (str, os.PathLike, torch.Tensor, Image.Image, np.ndarray)
    if isinstance(items, (bytes, bytearray, memoryview)):  # walked as a list of ints: 'a int is not an image'
        raise OptionError(BYTES_HINT)
    if isinstance(items, single) or _is_result(items):
        return [items]
    if not isinstance(items, Iterable):
        raise OptionError(f"expected an image (a path, sample:NAME, PIL image, array or tensor) or a list of them, "
                          f"not {items!r}")
    return list(items)


def load_input(image: ImageLike, what: str, background: tuple[int, int, int] | str = _WHITE,
               at_least: int | None = None) -> torch.Tensor:
    """A file, 'sample:NAME', PIL image, array or tensor as a (1, 3, H, W) image in [0, 1]; errors name ``what``.

    Transparent pixels (of a file, PIL image or H x W x 4 array) become ``background``. ``at_least``: a JPEG file
    may come back reduced, its long side still at least that (load_tensor).
    """
    try:
        if _is_result(image):
            image = image.image  # a transfer's or texture's Result (stylegram.job): its picture
        if isinstance(image, torch.Tensor):
            return image_tensor(image)
        if isinstance(image, np.ndarray):
            return array_tensor(image, background)
        if isinstance(image, Image.Image):
            return to_tensor(image, background)
        if isinstance(image, (bytes, bytearray, memoryview)):
            raise ImageError(BYTES_HINT)
        if not isinstance(image, (str, os.PathLike)):
            kind = type(image).__name__
            raise ImageError(f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind} is not an image; give a file path, "
                             "'sample:NAME', a PIL image, a numpy array or a tensor")
        return load_tensor(samples.resolve(image), background=background, at_least=at_least)
    except ImageError as err:
        message = err.flagged
        if not what.startswith("content"):  # a video as a style, example or mask: batch would not take it there either
            message = message.replace(VIDEO_HINT, STILL_HINT)
        raise ImageError(f"{what}: {message}") from None


def is_animation(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a GIF, WebP or PNG file of more than one frame (read as a picture: its first frame)."""
    path = Path(path)
    return path.suffix.lower() in ANIMATED_EXTENSIONS and path.is_file() and animated_suffix(path) is not None


def animated_suffix(path: str | os.PathLike[str]) -> str | None:
    """'.gif', '.webp' or '.png' for a file of that format with more than one frame, whatever its name; else None."""
    try:
        with _header(path) as image:
            animated = bool(getattr(image, "is_animated", False))
            return {"GIF": ".gif", "WEBP": ".webp", "PNG": ".png"}.get(image.format) if animated else None
    except Exception:  # not a picture Pillow can open: the loader names the problem when it reads it
        return None


def load_alpha(image: ImageLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> torch.Tensor | None:
    """The transparency of a file, 'sample:NAME', PIL image or array with alpha, as a (1, 1, H, W) tensor in [0, 1]
    (1: opaque); None for a tensor or an image that has no alpha channel or is opaque everywhere; a Result's own."""
    if _is_result(image):
        return image.alpha
    if isinstance(image, torch.Tensor):
        return None
    if isinstance(image, np.ndarray):
        pixels = _checked_array(image)
    elif isinstance(image, Image.Image):
        pixels = _pixels(image)
    else:
        file = _existing_file(samples.resolve(image))
        with _decode_errors(file):
            if not _may_be_transparent(file):  # most files: said by the header, without decoding the pixels
                return None
            pixels = _decode(file, _limit(max_pixels))
    if pixels.ndim != 3 or pixels.shape[2] not in (2, 4):
        return None
    alpha = np.clip(pixels[..., -1].astype(np.float32) / np.float32(_full_scale(pixels.dtype)), 0.0, 1.0)
    return None if alpha.min() >= 1.0 else torch.from_numpy(alpha)[None, None]


def warn_animated(sources: Sequence[ImageLike], noun: str = "style image",
                  fix: str = "give a still picture, such as the frame you want saved as PNG", numbered: bool = True
                  ) -> None:
    """Warn of each file among ``sources`` (named '{noun} N', or '{noun}' where not ``numbered``) that holds several
    frames, or a TIFF of several pages: only its first is read (an animated GIF was taken as a style without a word,
    where an MP4 is refused); ``fix`` says what to do instead."""
    for i, source in enumerate(sources):
        if not isinstance(source, (str, os.PathLike)):
            continue
        path, named = Path(source).expanduser(), f"{noun} {i + 1}" if numbered else noun
        if is_animation(path):
            warn(f"{named} ({path.name}) is animated, and only its first frame is read: {fix}")
        elif (count := tiff_pages(path)) > 1:  # read as its first page without a word (trial AV)
            warn(f"{named} ({path.name}) is a TIFF of {count} pages, and only its first is read: save the page you "
                 "want as a file of its own")


def tiff_pages(path: Path) -> int:
    """How many pages a TIFF file holds (1 for any other file, or one Pillow cannot open)."""
    if path.suffix.lower() not in (".tif", ".tiff") or not path.is_file():
        return 1
    try:
        with _header(path) as image:
            return int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1
    except Exception:  # the loader names the problem when it reads it
        return 1


def warn_transparent(sources: Sequence[ImageLike], noun: str, fix: str) -> None:
    """Warn of each of ``sources`` (named '{noun} N') that is more than 1 % transparent: it is read on white, so its
    statistics hold white it does not show; ``fix`` says what to do instead."""
    for i, source in enumerate(sources):
        if share := clear_part(source):
            warn(f"{noun} {i + 1} is {share:.0%} transparent, and its transparent part is read as white, which then "
                 f"counts as part of it: {fix}")


def _may_be_transparent(file: Path) -> bool:
    """Whether the file's header gives it an alpha channel or a transparent colour (tRNS)."""
    with _header(file) as image:
        return image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info


def kept_input(image: ImageLike, what: str, background: tuple[int, int, int] | str = _WHITE) -> str | torch.Tensor:
    """An image option as results and checkpoints keep it: a path or sample name as a string, an image held in
    memory (PIL, array, tensor) as a (1, 3, H, W) tensor (checkpoints hold tensors, never pickled objects)."""
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    return load_input(image, what, background)


def to_image(x: torch.Tensor) -> Image.Image:
    """An 8-bit RGB image from a (1, 3, H, W) or (3, H, W) tensor, clamped to [0, 1] and rounded."""
    t = x.detach()
    if t.dim() == 4 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 3 or t.shape[0] != 3:
        raise ImageError(f"to_image takes a (1, 3, H, W) or (3, H, W) tensor, not shape {tuple(x.shape)}; "
                         "pick one image of a batch with x[i]")
    t = torch.nan_to_num(t.float(), nan=0.0).clamp(0, 1).mul(255).round().to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(t.permute(1, 2, 0).cpu().numpy()))


# ---------------------------------------------------------------------------------------- resizing


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise OptionError(f"size must be a positive number of pixels, not {size!r}")


def _fit_long_side(height: int, width: int, size: int, upscale: bool) -> tuple[int, int]:
    """(H, W) with the long side equal to ``size`` and the aspect kept; unchanged if small and not upscale."""
    long = max(height, width)
    if long == size or (long < size and not upscale):
        return height, width
    scale = size / long
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_long_side(image: Image.Image, size: int, *, upscale: bool = True) -> Image.Image:
    """Resize so the long side is ``size`` px, aspect kept (LANCZOS to shrink, BICUBIC to enlarge)."""
    _check_size(size)
    h, w = _fit_long_side(image.height, image.width, size, upscale)
    if (h, w) == (image.height, image.width):
        return image.copy()
    shrink = h * w < image.height * image.width
    return image.resize((w, h), Image.Resampling.LANCZOS if shrink else Image.Resampling.BICUBIC)


def resize_tensor(x: torch.Tensor, size: int | tuple[int, int], *, mode: str = "bicubic") -> torch.Tensor:
    """Resize (N, C, H, W) or (C, H, W) to long side ``size`` or to (H, W); antialiased, clamped to [0, 1]."""
    if mode not in ("bicubic", "bilinear"):
        raise OptionError(f"resize mode {mode!r} is not supported; use 'bicubic' or 'bilinear'")
    h, w = x.shape[-2:]
    if isinstance(size, int):
        _check_size(size)
        size = _fit_long_side(h, w, size, upscale=True)
    if tuple(size) == (h, w):
        return x
    batch = x if x.dim() == 4 else x[None]
    out = F.interpolate(batch, size=tuple(size), mode=mode, align_corners=False, antialias=True).clamp(0, 1)
    return out if x.dim() == 4 else out[0]


# ----------------------------------------------------------------------------------------- writing


def _output(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The target path (folder resolved) and its Pillow format, checked against known extensions."""
    if not isinstance(path, (str, os.PathLike)):  # Path(None) raised a TypeError from pathlib
        raise ImageError(f"the path to write is {type(path).__name__}, not a file name; give one such as 'out.png'")
    if not str(path).strip():  # Path("") is the current folder: 'cannot write .: it is a folder'
        raise ImageError("the path to write is empty; give a file name such as 'out.png'")
    target = Path(path).expanduser()
    if target.is_dir():
        raise ImageError(f"cannot write {target}: it is a folder; give a file name such as {target / 'out.png'}")
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        ext = f"extension '{target.suffix}' is not a format stylegram writes" if target.suffix else "no extension"
        video = f" ({VIDEO_HINT})" if target.suffix.lower() in VIDEO_EXTENSIONS else ""
        raise ImageError(f"cannot write {target}: {ext}; end the name with one of {', '.join(_SAVE_FORMATS)}{video}")
    return target.parent.resolve() / target.name, fmt


def check_format(ext: str) -> str:
    """The Pillow format an output extension ('.png', '.jpg', ...) is written in, or a clear error."""
    if ext.lower() not in _SAVE_FORMATS:
        raise OptionError(f"'{ext}' is not a format stylegram writes; use one of {', '.join(_SAVE_FORMATS)}")
    return _SAVE_FORMATS[ext.lower()]


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Check before long work that ``path`` can be written (extension, folder, permission); return it."""
    target, _ = _output(path)
    return files.check_can_write(target)


def save_image(image: Image.Image | torch.Tensor, path: str | os.PathLike[str], *, quality: int = 95,
               alpha: torch.Tensor | None = None) -> Path:
    """Write an image atomically (temp file in the same folder, fsync, rename); format from the extension.

    ``alpha`` (1, 1, h, w) in [0, 1], scaled to the image, becomes its transparency where the format stores one (PNG,
    TIFF, WebP); a JPEG or BMP is put on white by it, as the content was read (it showed the stylized ground the
    content's transparency hid)."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise OptionError(f"quality must be an integer from 1 to 100, not {quality!r}")
    target, fmt = _output(path)
    picture = to_image(image) if isinstance(image, torch.Tensor) else image
    if isinstance(image, torch.Tensor) and alpha is None and _all_grey(picture):
        picture = picture.convert("L")  # a grey texture was written as three equal channels, 3x the bytes (trial V)
    if alpha is not None:
        picture = with_alpha(picture, alpha)
    if alpha is not None and fmt not in _ALPHA_FORMATS:
        _warn_transparency_lost(target, fmt, alpha)
    picture = _savable(picture, fmt)  # RGBA to a format without alpha: composited onto white
    files.make_folder(target.parent, target)
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    _write_atomically(picture, target, fmt, options)
    return target


class TransparencyLost(StylegramWarning):
    """A transparent picture written to a format that keeps no transparency (a batch says so once, before the work)."""


def keeps_transparency(path: str | os.PathLike[str]) -> bool:
    """Whether the format ``path``'s extension names stores transparency (PNG, TIFF, WebP)."""
    return _SAVE_FORMATS.get(Path(path).suffix.lower()) in _ALPHA_FORMATS


TRANSPARENT = 0.01  # a picture more than this share clear (alpha under 0.5) is warned of as transparent


def transparent_share(alpha: torch.Tensor | None) -> float:
    """The share of a picture's pixels more transparent than opaque (0 for None)."""
    return 0.0 if alpha is None else float((alpha < 0.5).float().mean())


def one_colour(image: torch.Tensor) -> bool:
    """Whether a (1, C, H, W) picture in [0, 1] is one colour: every channel within one level of 255 everywhere."""
    return (image.amax((-2, -1)) - image.amin((-2, -1))).max().item() < 1 / 255


def clear_part(source: ImageLike) -> float:
    """The share of ``source`` (a file, array, PIL image or Result) more transparent than opaque, where it is over
    TRANSPARENT, the share warned of; else 0 (a tensor has no transparency)."""
    share = transparent_share(load_alpha(source))
    return share if share > TRANSPARENT else 0.0


def _warn_transparency_lost(target: Path, fmt: str, alpha: torch.Tensor) -> None:
    """Say that a picture more than 1 % transparent is put on white in ``target`` (it was, without a word)."""
    share = transparent_share(alpha)
    if share > TRANSPARENT:
        warn(f"{target.name}: the content is {share:.0%} transparent, which a {fmt} cannot keep, so that part is "
             "white; write a .png or .webp to keep the transparency", TransparencyLost)


def _all_grey(picture: Image.Image) -> bool:
    """Whether an RGB picture's three channels are equal at every pixel."""
    if picture.mode != "RGB":
        return False
    pixels = np.asarray(picture)
    return bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all())


def with_alpha(picture: Image.Image, alpha: torch.Tensor) -> Image.Image:
    """An RGBA copy of ``picture`` whose transparency is ``alpha`` (1, 1, h, w) in [0, 1], scaled to its size."""
    width, height = picture.size
    scaled = resize_tensor(alpha.float(), (height, width), mode="bilinear")
    levels = (scaled[0, 0] * 255).round().to(torch.uint8).numpy()
    rgba = picture.convert("RGBA")
    rgba.putalpha(Image.fromarray(levels, "L"))
    return rgba


def _savable(image: Image.Image, fmt: str) -> Image.Image:
    """The image in a mode every target format takes: L, RGB, or RGBA where alpha can be stored."""
    if image.mode in ("L", "RGB") or (image.mode == "RGBA" and fmt in _ALPHA_FORMATS):
        return image
    return Image.fromarray(_to_uint8(_flatten(_pixels(image), _WHITE)))


def _write_atomically(image: Image.Image, target: Path, fmt: str, options: dict) -> None:
    """Save through files.write_atomically; a failure after the temp file exists is named with its cause."""
    try:
        files.write_atomically(target, lambda f: image.save(f, format=fmt, **options))
    except ImageError:
        raise
    except Exception as err:
        raise ImageError(f"cannot write {target} ({files.one_line(err)}); "
                         "check free disk space or choose another output path") from err


# ----------------------------------------------------------------------------------------- listing


OS_FILES = ("thumbs.db", "desktop.ini")  # what Windows leaves in a folder of pictures (macOS's are dotfiles)


def list_images(paths: Iterable[str | os.PathLike[str]], extensions: Sequence[str] = IMAGE_EXTENSIONS,
                kind: tuple[str, str] | None = None, besides: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Files kept in order; folders expanded to their files named with ``extensions`` (not recursive, by name, no
    dotfiles). ``kind`` (what is taken, one and many: ('an image', 'images')): a warning names the folders' other
    files (a photo saved as .jfif, notes.txt were dropped without a word), OS_FILES left out unsaid, and their
    subfolders, but not those given too, nor ``besides`` (batch's other inputs and its -o folder, which it then
    refused as an input)."""
    paths = [Path(item).expanduser() for item in paths]
    found: list[Path] = []
    skipped: list[Path] = []
    empty: list[Path] = []
    inside: list[Path] = []  # subfolders, not searched
    named = [*paths, *(Path(b).expanduser() for b in besides)]
    for p in paths:
        if p.is_dir():
            inside += [s for s in subfolders(p) if not any(files.same_file(s, n) for n in named)]
            entries = sorted((c for c in p.iterdir() if c.is_file() and not c.name.startswith(".")), key=lambda c: c.name)
            taken = [c for c in entries if c.suffix.lower() in extensions]
            found.extend(taken)
            skipped.extend(c for c in entries if c.suffix.lower() not in extensions and c.name.lower() not in OS_FILES)
            empty += [] if taken else [p]
        elif p.exists():
            found.append(p)
        else:
            raise ImageError(f"{p}: no such file or folder; check the path")
    if kind and skipped:
        _warn_left_out(skipped, extensions, kind)
    if kind and inside and found:  # in/sub/rocket.png was left out without a word, notes.txt with one
        shown = ", ".join(map(str, inside[:3])) + (" ..." if len(inside) > 3 else "")
        warn(f"left out {len(inside)} subfolder{'s' * (len(inside) > 1)} ({shown}): folders are not searched inside; "
             f"give {'it' if len(inside) == 1 else 'them'} too to take {'its' if len(inside) == 1 else 'their'} "
             f"{kind[1]}")
    if kind and empty and found:  # all of them empty: the caller's "no images found" says it
        warn(f"{', '.join(map(str, empty))} {'holds' if len(empty) == 1 else 'hold'} no {kind[1]}, so "
             f"{'it adds' if len(empty) == 1 else 'they add'} nothing (a mistyped folder?); the others are used")
    return found


def subfolders(folder: Path) -> list[Path]:
    """The folders inside ``folder`` (not hidden ones), by name."""
    return sorted((c for c in folder.iterdir() if c.is_dir() and not c.name.startswith(".")), key=lambda c: c.name)


def subfolder_hint(paths: Iterable[str | os.PathLike[str]], advice: str) -> str:
    """' (advice, e.g. a/x a/y)' when some of ``paths`` are folders holding folders; '' otherwise."""
    subs = [c for p in paths if Path(p).expanduser().is_dir() for c in subfolders(Path(p).expanduser())]
    if not subs:
        return ""
    return f" ({advice}: {' '.join(map(str, subs[:4]))}{' ...' if len(subs) > 4 else ''})"


def _warn_left_out(skipped: Sequence[Path], extensions: Sequence[str], kind: tuple[str, str], most: int = 3) -> None:
    """Name the files a folder held that were not taken."""
    shown = ", ".join(str(c) for c in skipped[:most]) + (" ..." if len(skipped) > most else "")
    warn(f"left out {len(skipped)} file{'' if len(skipped) == 1 else 's'} not named as {kind[0]} ({shown}); "
         f"{kind[1]} end in {', '.join(sorted(set(extensions)))}")
