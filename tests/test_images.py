"""Tests for stylegram.images: formats, modes, 16-bit, EXIF, alpha, resizing, atomic saving, bad input."""

from __future__ import annotations

import io
import itertools
import re
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms

from stylegram import images, samples
from stylegram.errors import ImageError, OptionError
from stylegram.images import (
    DEFAULT_MAX_PIXELS,
    HEIF,
    IMAGE_EXTENSIONS,
    TransparencyLost,
    image_list,
    check_writable,
    is_animation,
    list_images,
    load_alpha,
    load_image,
    load_input,
    load_tensor,
    resize_long_side,
    resize_tensor,
    save_image,
    to_image,
    to_tensor,
)

RNG = np.random.default_rng(0)


def _rgb(h: int = 5, w: int = 7) -> np.ndarray:
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _write_png16(path: Path, values: np.ndarray) -> None:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB); rows alternate filters None/Sub."""
    h, w, c = values.shape
    raw = values.astype(">u2").view(np.uint8).reshape(h, -1).astype(np.int32)
    rows = []
    for y in range(h):
        shifted = np.concatenate([np.zeros(2 * c, np.int32), raw[y, : -2 * c]])
        data = raw[y] if y % 2 == 0 else (raw[y] - shifted) % 256
        rows.append(bytes([y % 2]) + data.astype(np.uint8).tobytes())
    header = struct.pack(">IIBBBBB", w, h, 16, {3: 2, 4: 6}[c], 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", zlib.compress(b"".join(rows))) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _message(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(int(v) for v in image.getpixel(xy))


# ------------------------------------------------------------------------------- formats and 16-bit


@pytest.mark.parametrize("ext", [".png", ".tif", ".tiff", ".bmp"])
def test_lossless_round_trip_is_exact(tmp_path, ext):
    x = torch.from_numpy(_rgb().transpose(2, 0, 1).astype(np.float32) / 255)[None]
    out = save_image(x, tmp_path / f"a{ext}")
    assert out == tmp_path.resolve() / f"a{ext}"
    y = load_tensor(out)
    assert y.dtype == torch.float32 and y.shape == (1, 3, 5, 7)
    assert torch.equal(y, x)


@pytest.mark.parametrize("ext", [".jpg", ".jpeg", ".webp"])
def test_lossy_round_trip_is_close(tmp_path, ext):
    ramp = np.linspace(0, 1, 16, dtype=np.float32)
    x = torch.from_numpy(np.stack([np.add.outer(ramp, ramp) / 2] * 3))[None]
    y = load_tensor(save_image(x, tmp_path / f"a{ext}", quality=95))
    assert y.shape == x.shape
    assert (y - x).abs().mean() < 0.03


def test_16bit_rgb_png_keeps_low_bits(tmp_path):
    values = (RNG.integers(0, 256, (4, 6, 3)) * 257 + RNG.integers(1, 200, (4, 6, 3))).astype(np.uint16)
    _write_png16(tmp_path / "deep.png", values)
    x = load_tensor(tmp_path / "deep.png")
    got = (x[0].permute(1, 2, 0).double() * 65535).round().numpy()
    assert np.array_equal(got, values)
    assert not np.allclose(x * 255, (x * 255).round(), atol=1e-3)  # not on the 8-bit grid
    assert np.array_equal(np.asarray(load_image(tmp_path / "deep.png")), np.rint(values / 257))


def test_16bit_rgba_png_is_composited_in_16_bits(tmp_path):
    values = np.array([[[1000, 40000, 65535, 65535], [1234, 5678, 9999, 0]]], dtype=np.uint16)
    _write_png16(tmp_path / "deep.png", values)
    got = (load_tensor(tmp_path / "deep.png")[0].permute(1, 2, 0).double() * 65535).round().numpy()
    assert np.array_equal(got, [[[1000, 40000, 65535], [65535, 65535, 65535]]])


def test_16bit_rgb_tiff_keeps_low_bits(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    values = np.array([[[1, 258, 65534], [40000, 40001, 40002]]], dtype=np.uint16)
    for order in "<>":
        tifffile.imwrite(tmp_path / f"deep{order == '>'}.tif", values, byteorder=order)
        got = load_tensor(tmp_path / f"deep{order == '>'}.tif")[0].permute(1, 2, 0).double() * 65535
        assert np.array_equal(got.round().numpy(), values)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_grey_keeps_low_bits(tmp_path, ext):
    values = np.array([[0, 1, 257, 40001, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / f"grey{ext}")
    x = load_tensor(tmp_path / f"grey{ext}")
    assert x.shape == (1, 3, 1, 5)
    assert torch.equal(x[0, 0], x[0, 2])
    assert np.array_equal((x[0, 0].double() * 65535).round().numpy(), values)
    assert load_image(tmp_path / f"grey{ext}").getpixel((3, 0)) == (156, 156, 156)  # 40001 / 257


# ------------------------------------------------------------------------------------ EXIF, modes


def test_exif_orientation_rotates(tmp_path):
    stored = np.zeros((8, 16, 3), dtype=np.uint8)
    stored[:4, :4] = (255, 0, 0)  # red mark at the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # display = stored rotated 90 degrees clockwise
    Image.fromarray(stored).save(tmp_path / "rot.jpg", exif=exif, quality=95)
    x = load_tensor(tmp_path / "rot.jpg")
    assert x.shape == (1, 3, 16, 8)
    assert x[0, 0, 1, 6] > 0.8 and x[0, 0, 1, 1] < 0.2  # the mark is now top-right
    assert load_image(tmp_path / "rot.jpg").size == (8, 16)


@pytest.mark.parametrize("width, height, factor", [(1024, 768, 8), (1001, 750, None)])
def test_a_large_jpeg_shrunk_on_reading_is_decoded_at_a_reduced_scale(width, height, factor, tmp_path, monkeypatch):
    """A photo read for a small size (the analysis commands' --size) is decoded at 1/8, 1/4 or 1/2 of its size by the
    JPEG decoder: the same size as a full decode and resize, pixels within a little of its, upright as EXIF says.
    A side the factor does not divide would stretch the picture by the partial block, so then it decodes in full."""
    from PIL import JpegImagePlugin

    rng = np.random.default_rng(0)
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, height // 32, width // 32), size=(height, width),
                                             mode="bicubic", align_corners=False).clamp(0, 1)
    noisy = (smooth[0].permute(1, 2, 0).numpy() * 255 + rng.normal(0, 4, (height, width, 3))).clip(0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # a phone held upright: shown turned a quarter
    Image.fromarray(noisy.astype(np.uint8)).save(tmp_path / "photo.jpg", exif=exif, quality=92)
    full = resize_tensor(load_tensor(tmp_path / "photo.jpg"), 96)
    drafted, real = [], JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft",
                        lambda self, mode, size: drafted.append(size) or real(self, mode, size))
    shrunk = load_tensor(tmp_path / "photo.jpg", size=96)
    assert shrunk.shape == full.shape and shrunk.shape[-2:] == (96, round(96 * height / width))
    assert drafted == ([(width // factor, height // factor)] if factor else [])
    difference = (shrunk - full).abs() * 255
    assert difference.mean() < 1.5 and difference.max() < 16, (difference.mean(), difference.max())  # here 0.9, 7


def test_a_large_png_read_for_a_small_size_is_averaged_down_before_it_becomes_floats(tmp_path, monkeypatch):
    """An opaque 8-bit PNG of more than BOX_FROM pixels read for a small output is averaged over blocks as decoded,
    as long as the resize after still halves it (a 48 MP PNG for 512 px peaked at 1.03 GB as floats, 0.40 so). A
    smaller one is read as before; a cut-out is read whole, as averaging its hidden colours would bleed."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.png")
    assert load_input(tmp_path / "big.png", "content image", at_least=32).shape == (1, 3, 192, 256)  # not large
    monkeypatch.setattr(images, "BOX_FROM", 192 * 256 - 1)
    x = load_input(tmp_path / "big.png", "content image", at_least=32)
    assert x.shape == (1, 3, 48, 64)  # 64 px: twice the 32 asked
    blocks = pixels.reshape(48, 4, 64, 4, 3).mean(axis=(1, 3))
    assert np.abs(x[0].permute(1, 2, 0).numpy() * 255 - blocks).max() <= 0.51  # the block means, rounded
    assert load_input(tmp_path / "big.png", "content image", at_least=33).shape == (1, 3, 96, 128)  # 64 is too few
    cut_out = np.dstack([pixels, np.full((192, 256), 128, np.uint8)])
    Image.fromarray(cut_out).save(tmp_path / "cut.png")
    assert load_input(tmp_path / "cut.png", "content image", at_least=32).shape == (1, 3, 192, 256)


@pytest.mark.parametrize("suffix", [".heic", ".avif"])
def test_phone_formats_are_read_and_listed_and_a_missing_reader_is_named(suffix, tmp_path, monkeypatch):
    """HEIC (iPhones' photos; the heif extra's pillow-heif reads it) and AVIF (Pillow 11.3 on) read like any picture,
    and folders list them; where the reader is missing, or the file is damaged, the error says which it is."""
    from PIL import features

    from stylegram import images

    if suffix == ".heic":
        pytest.importorskip("pillow_heif", reason="the heif extra is not installed")
    elif not features.check("avif"):
        pytest.skip("this Pillow reads no AVIF")
    ramp = np.zeros((48, 64, 3), np.uint8)
    ramp[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
    ramp[..., 2] = 200
    picture = tmp_path / f"photo{suffix}"
    Image.fromarray(ramp).save(picture, quality=95)
    x = load_tensor(picture)
    assert x.shape == (1, 3, 48, 64)
    assert (x[0].permute(1, 2, 0) * 255 - torch.from_numpy(ramp).float()).abs().mean() < 4  # lossy, but the picture
    assert list_images([tmp_path]) == [picture]
    if suffix == ".heic":  # its colour profile (an iPhone's is Display P3's) read as a JPEG's is: here red is green
        Image.fromarray(np.full((16, 16, 3), (220, 0, 0), np.uint8)).save(tmp_path / "tagged.heic", quality=95,
                                                                           icc_profile=_swapped_primaries_profile())
        assert load_tensor(tmp_path / "tagged.heic")[0, :, 8, 8].argmax() == 1
        (tmp_path / "tagged.heic").unlink()
    damaged = tmp_path / f"damaged{suffix}"
    damaged.write_bytes(picture.read_bytes()[:24] + bytes(40))
    reader = {".heic": "HEIF", ".avif": "AVIF"}[suffix]
    if suffix == ".heic":
        with pytest.raises(ImageError, match=f"{damaged} is a HEIC picture that cannot be decoded; it may be damaged"):
            load_tensor(damaged)
    Image.init()
    monkeypatch.setattr(Image, "ID", [name for name in Image.ID if name != reader])  # as if it were not installed
    monkeypatch.setattr(images, "HEIF", False)
    missing = {".heic": "is a HEIC picture (as iPhones save photos), and reading one needs pillow-heif: pip install "
                        "'stylegram[heif]'",
               ".avif": "is an AVIF picture, which this Pillow cannot read: pip install -U Pillow"}[suffix]
    with pytest.raises(ImageError, match=re.escape(missing)):
        load_tensor(picture)


def _swapped_primaries_profile() -> bytes:
    """An ICC profile like sRGB but with its red and green primaries swapped (and not named sRGB)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = int.from_bytes(data[128:132], "big")
    offsets = {bytes(data[132 + 12 * i : 136 + 12 * i]): int.from_bytes(data[136 + 12 * i : 140 + 12 * i], "big")
               for i in range(count)}
    r, g = offsets[b"rXYZ"], offsets[b"gXYZ"]
    data[r : r + 20], data[g : g + 20] = data[g : g + 20], data[r : r + 20]
    return bytes(data).replace(b"sRGB", b"swap").replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be"))


def test_icc_profile_colours_are_converted_to_srgb(tmp_path):
    values = np.zeros((4, 6, 3), dtype=np.uint8)
    values[:, :3] = (255, 0, 0)
    values[:, 3:] = (40, 200, 90)
    swapped = _swapped_primaries_profile()
    Image.fromarray(values).save(tmp_path / "swapped.png", icc_profile=swapped)
    x = load_tensor(tmp_path / "swapped.png")
    assert x[0, :, 0, 0].tolist() == [0.0, 1.0, 0.0]  # its red primary is sRGB's green
    assert abs(float(x[0, 0, 0, 5]) - 200 / 255) < 0.02 and abs(float(x[0, 1, 0, 5]) - 40 / 255) < 0.02
    rgba = np.dstack([values, np.full((4, 6), 255, np.uint8)])
    rgba[0, 0, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "swapped_rgba.png", icc_profile=swapped)
    y = load_tensor(tmp_path / "swapped_rgba.png")
    assert y[0, :, 0, 0].tolist() == [1.0, 1.0, 1.0]  # transparent: the white background, alpha kept through
    assert y[0, :, 1, 0].tolist() == [0.0, 1.0, 0.0]
    Image.fromarray(values).save(tmp_path / "swapped_key.png", icc_profile=swapped, transparency=(40, 200, 90))
    z = load_tensor(tmp_path / "swapped_key.png")  # a colour key is matched before the colours move
    assert z[0, :, 0, 5].tolist() == [1.0, 1.0, 1.0] and z[0, :, 0, 0].tolist() == [0.0, 1.0, 0.0]
    Image.fromarray(values).save(tmp_path / "api.png", icc_profile=swapped)
    with Image.open(tmp_path / "api.png") as opened:  # a PIL image handed to the Python API: the same
        assert torch.equal(to_tensor(opened), x)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = to_tensor(values)
    for name, profile in [("srgb.png", srgb), ("broken.png", b"not an ICC profile")]:
        Image.fromarray(values).save(tmp_path / name, icc_profile=profile)
        assert torch.equal(load_tensor(tmp_path / name), plain), name  # sRGB or unreadable: values as they are


SRGB_TO_XYZ_D50 = np.array([[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169],
                            [0.0139322, 0.0971045, 0.7141733]])


def _icc(header: bytes, tags: dict[bytes, bytes]) -> bytes:
    """An ICC profile from the header fields after its size and the bodies of its tags."""
    offset, table, bodies = 132 + 12 * len(tags), b"", b""
    for signature, body in tags.items():
        table += signature + struct.pack(">II", offset + len(bodies), len(body))
        bodies += body + b"\0" * (-len(body) % 4)
    return struct.pack(">I", offset + len(bodies)) + header + struct.pack(">I", len(tags)) + table + bodies


def _swapped_inks_profile(points: int = 5) -> bytes:
    """A CMYK profile whose cyan and magenta inks trade places: ink (c, m, y, k) prints the sRGB colour
    ((1 - m)(1 - k), (1 - c)(1 - k), (1 - y)(1 - k)); a lut16 table from the inks to XYZ."""
    grid, clut = np.linspace(0, 1, points), []
    for c, m, y, k in itertools.product(grid, repeat=4):
        rgb = np.array([1 - m, 1 - c, 1 - y]) * (1 - k)
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        clut.extend(np.rint(SRGB_TO_XYZ_D50 @ linear * 32768).astype(int))  # XYZ as u1Fixed15
    ramps = struct.pack(">HH", 2, 2) + struct.pack(">8H", *[0, 65535] * 4)  # identity curves before the table
    lut = (b"mft2\0\0\0\0" + bytes([4, 3, points, 0]) + struct.pack(">9i", *[65536, 0, 0, 0] * 2, 65536)
           + ramps + struct.pack(f">{len(clut)}H", *clut) + struct.pack(">6H", *[0, 65535] * 3))
    name = b"swapped inks\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 78
    white = b"XYZ \0\0\0\0" + struct.pack(">3i", 63190, 65536, 54061)  # D50
    header = (b"none" + bytes([2, 0x10, 0, 0]) + b"prtrCMYKXYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28
              + struct.pack(">3i", 63190, 65536, 54061) + b"\0" * 48)
    return _icc(header, {b"desc": desc, b"wtpt": white, b"A2B0": lut})


@pytest.mark.parametrize("ext", [".tif", ".jpg"])
def test_cmyk_with_a_profile_is_converted_through_it(tmp_path, ext):
    inks = np.array([[[255, 0, 0, 0], [0, 255, 0, 0], [0, 255, 255, 0], [128, 0, 0, 128], [0, 0, 0, 0]]], np.uint8)
    image = Image.fromarray(inks, "CMYK")
    image.save(tmp_path / f"profiled{ext}", icc_profile=_swapped_inks_profile(), quality=100)
    got = (load_tensor(tmp_path / f"profiled{ext}")[0].permute(1, 2, 0) * 255).round().int().tolist()[0]
    want = [(255, 0, 255), (0, 255, 255), (0, 255, 0), (127, 63, 127), (255, 255, 255)]
    assert all(max(abs(g - w) for g, w in zip(gp, wp)) <= 2 for gp, wp in zip(got, want)), got
    image.save(tmp_path / f"plain{ext}", quality=100)  # without a profile: Pillow's ink arithmetic, cyan is cyan
    plain = (load_tensor(tmp_path / f"plain{ext}")[0, :, 0, 0] * 255).round().int().tolist()
    assert plain == [0, 255, 255]


def _over(c: int, a: int, b: int) -> int:
    return int(np.rint((c * a + b * (255 - a)) / 255))


def test_rgba_is_composited_on_white_and_on_a_custom_background(tmp_path):
    rgba = np.array([[[200, 100, 0, 128], [10, 20, 30, 0], [1, 2, 3, 255]]], dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    white = load_image(tmp_path / "a.png")
    assert white.mode == "RGB"
    assert _pixel(white, (0, 0)) == (_over(200, 128, 255), _over(100, 128, 255), _over(0, 128, 255))
    assert _pixel(white, (0, 0)) == (227, 177, 127)
    assert _pixel(white, (1, 0)) == (255, 255, 255)
    assert _pixel(white, (2, 0)) == (1, 2, 3)
    blue = load_image(tmp_path / "a.png", background=(0, 0, 255))
    assert _pixel(blue, (0, 0)) == (100, 50, 127) and _pixel(blue, (1, 0)) == (0, 0, 255)
    x = load_tensor(tmp_path / "a.png", background="#0000ff")
    assert torch.equal((x[0, :, 0, 0] * 255).round(), torch.tensor([100.0, 50.0, 127.0]))


def test_palette_with_and_without_transparency(tmp_path):
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.putpixel((1, 0), 1)
    image.save(tmp_path / "p.png")
    image.save(tmp_path / "pt.png", transparency=1)
    assert _pixel(load_image(tmp_path / "p.png"), (1, 0)) == (0, 255, 0)
    clear = load_image(tmp_path / "pt.png", background=(9, 9, 9))
    assert _pixel(clear, (0, 0)) == (255, 0, 0) and _pixel(clear, (1, 0)) == (9, 9, 9)


def test_grey_alpha_cmyk_bilevel_and_colour_key(tmp_path):
    Image.fromarray(np.array([[[100, 128], [7, 255]]], dtype=np.uint8), "LA").save(tmp_path / "la.png")
    la = load_image(tmp_path / "la.png")
    assert _pixel(la, (0, 0)) == (177,) * 3 and _pixel(la, (1, 0)) == (7, 7, 7)
    Image.new("CMYK", (2, 2), (0, 255, 255, 0)).save(tmp_path / "cmyk.tif")
    assert _pixel(load_image(tmp_path / "cmyk.tif"), (1, 1)) == (255, 0, 0)
    bilevel = Image.new("1", (2, 1))
    bilevel.putpixel((1, 0), 1)
    bilevel.save(tmp_path / "one.png")
    assert torch.equal(load_tensor(tmp_path / "one.png")[0, :, 0], torch.tensor([[0.0, 1.0]] * 3))
    keyed = Image.fromarray(np.array([[[0, 0, 0], [5, 6, 7]]], dtype=np.uint8))
    keyed.save(tmp_path / "key.png", transparency=(0, 0, 0))
    assert _pixel(load_image(tmp_path / "key.png"), (0, 0)) == (255, 255, 255)
    assert _pixel(load_image(tmp_path / "key.png"), (1, 0)) == (5, 6, 7)


def test_gif_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (4, 3), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    image = load_image(tmp_path / "anim.gif")
    assert image.size == (4, 3) and _pixel(image, (2, 1)) == (255, 0, 0)


def test_to_tensor_accepts_modes_and_arrays():
    assert torch.allclose(to_tensor(Image.new("F", (2, 2), 0.25)), torch.full((1, 3, 2, 2), 0.25))
    deep = Image.fromarray(np.array([[300, 65535]], dtype=np.uint16))
    assert torch.allclose(to_tensor(deep)[0, 1, 0], torch.tensor([300 / 65535, 1.0]))
    assert torch.equal(to_tensor(Image.new("CMYK", (1, 1), (0, 0, 255, 0)))[0, :, 0, 0], torch.tensor([1.0, 1, 0]))
    rgb = _rgb(2, 3)
    assert torch.equal(to_tensor(rgb)[0].permute(1, 2, 0), torch.from_numpy(rgb.astype(np.float32) / 255))
    assert to_tensor(rgb.astype(np.uint16) * 257).sub(to_tensor(rgb)).abs().max() < 1e-6
    floats = np.array([[[-1.0, 0.5, 2.0]]])
    assert torch.equal(to_tensor(floats)[0, :, 0, 0], torch.tensor([0.0, 0.5, 1.0]))
    with pytest.raises(ImageError):
        to_tensor(np.zeros((2, 2, 5), np.uint8))


def test_to_image_rounds_and_clamps():
    x = torch.tensor([0.003, 0.999, 0.2, 1.5, -0.2, 0.502]).reshape(1, 3, 1, 2)
    image = to_image(x)
    assert image.mode == "RGB" and image.size == (2, 1)
    assert np.array_equal(np.asarray(image)[0].T, [[1, 255], [51, 255], [0, 128]])
    assert to_image(x[0]).size == (2, 1)
    with pytest.raises(ImageError, match="shape"):
        to_image(torch.zeros(2, 3, 4, 4))


# -------------------------------------------------------------------------------------- resizing


def test_load_tensor_resizes_long_side_and_does_not_upscale(tmp_path):
    Image.fromarray(_rgb(8, 20)).save(tmp_path / "wide.png")
    assert load_tensor(tmp_path / "wide.png", size=10).shape == (1, 3, 4, 10)
    assert load_tensor(tmp_path / "wide.png", size=40).shape == (1, 3, 8, 20)
    up = load_tensor(tmp_path / "wide.png", size=40, upscale=True)
    assert up.shape == (1, 3, 16, 40) and up.min() >= 0 and up.max() <= 1


def test_resize_long_side_on_images():
    image = Image.fromarray(_rgb(8, 20))
    assert resize_long_side(image, 10).size == (10, 4)
    assert resize_long_side(image, 40).size == (40, 16)
    assert resize_long_side(image, 40, upscale=False).size == (20, 8)
    tall = Image.fromarray(_rgb(30, 10))
    assert resize_long_side(tall, 15).size == (5, 15)


def test_resize_tensor_sizes_and_range():
    checker = torch.from_numpy(np.indices((8, 6)).sum(0) % 2).float().expand(1, 3, 8, 6)
    assert resize_tensor(checker, (5, 9)).shape == (1, 3, 5, 9)
    big = resize_tensor(checker, 24)
    assert big.shape == (1, 3, 24, 18) and big.min() >= 0 and big.max() <= 1
    assert resize_tensor(checker[0], 4).shape == (3, 4, 3)
    assert torch.allclose(resize_tensor(checker, 4, mode="bilinear").mean(), torch.tensor(0.5), atol=0.05)
    assert resize_tensor(checker, 8) is checker


# ---------------------------------------------------------------------------------------- saving


def test_save_creates_parent_folders_with_usual_permissions(tmp_path):
    out = save_image(Image.fromarray(_rgb()), tmp_path / "a" / "b" / "out.png")
    assert out.is_file() and np.array_equal(np.asarray(load_image(out)), np.asarray(Image.open(out)))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(out.parent) == ["out.png"]


def test_a_grey_picture_is_written_grey(tmp_path):
    """A grey texture was written as three equal channels (trial V); a colour one, or a grey one with alpha, as was."""
    grey = torch.rand(1, 1, 8, 12).expand(1, 3, 8, 12)
    for suffix in (".png", ".jpg", ".tif"):
        saved = Image.open(save_image(grey, tmp_path / f"grey{suffix}"))
        assert saved.mode == "L" and saved.size == (12, 8), suffix
    assert np.array_equal(np.asarray(Image.open(tmp_path / "grey.png")), np.asarray(to_image(grey))[..., 0])
    assert Image.open(save_image(torch.rand(1, 3, 8, 12), tmp_path / "colour.png")).mode == "RGB"
    with_alpha = save_image(grey, tmp_path / "cut.png", alpha=torch.ones(1, 1, 8, 12))
    assert Image.open(with_alpha).mode == "RGBA"


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(ImageError) as excinfo:
        save_image(Image.new("RGB", (2, 2)), tmp_path / "out.xyz")
    assert ".png" in _message(excinfo) and ".jpg" in str(excinfo.value)
    assert not (tmp_path / "out.xyz").exists()
    with pytest.raises(ImageError, match=r"it is a folder; give a file name such as .*out\.png"):  # said "no extension"
        save_image(Image.new("RGB", (2, 2)), tmp_path)
    with pytest.raises(ImageError, match="the path to write is NoneType, not a file name"):  # a TypeError of pathlib
        save_image(Image.new("RGB", (2, 2)), None)
    with pytest.raises(ImageError, match="the path to write is empty; give a file name such as 'out.png'"):
        save_image(Image.new("RGB", (2, 2)), "")  # 'cannot write .: it is a folder'
    from stylegram.job import Result

    noisy = Result(torch.rand(1, 3, 32, 32), [], None)
    sizes = [noisy.save(tmp_path / f"q{q}.jpg", quality=q).stat().st_size for q in (20, 95)]
    assert sizes[0] < sizes[1]  # a Result's save takes a JPEG's quality


def test_save_writes_rgba_jpeg_without_alpha(tmp_path):
    save_image(Image.new("RGBA", (2, 2), (255, 0, 0, 0)), tmp_path / "a.jpg")
    assert load_image(tmp_path / "a.jpg").getpixel((0, 0))[0] > 240


def test_the_alpha_of_files_pil_images_and_arrays_is_read_and_an_opaque_one_is_none(tmp_path):
    rgba = np.array([[[200, 100, 0, 128], [10, 20, 30, 0], [1, 2, 3, 255]]], dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    expected = torch.tensor([[[[128 / 255, 0.0, 1.0]]]])
    assert torch.allclose(load_alpha(tmp_path / "a.png"), expected)
    assert torch.allclose(load_alpha(Image.fromarray(rgba)), expected)
    assert torch.allclose(load_alpha(rgba), expected)
    Image.fromarray(np.array([[[100, 0], [7, 255]]], dtype=np.uint8), "LA").save(tmp_path / "la.png")
    assert load_alpha(tmp_path / "la.png").flatten().tolist() == [0.0, 1.0]
    keyed = Image.fromarray(np.array([[[0, 0, 0], [5, 6, 7]]], dtype=np.uint8))
    keyed.save(tmp_path / "key.png", transparency=(0, 0, 0))
    assert load_alpha(tmp_path / "key.png").flatten().tolist() == [0.0, 1.0]  # a tRNS colour key is transparency too
    opaque = rgba.copy()
    opaque[..., 3] = 255
    Image.fromarray(opaque).save(tmp_path / "opaque.png")
    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    assert load_alpha(tmp_path / "opaque.png") is None and load_alpha(tmp_path / "rgb.png") is None
    assert load_alpha(torch.rand(1, 3, 4, 4)) is None and load_alpha("sample:swirls") is None


def test_save_gives_alpha_formats_the_scaled_transparency_and_puts_a_jpeg_on_white(tmp_path):
    alpha = torch.zeros(1, 1, 8, 8)
    alpha[..., 2:6, 2:6] = 1.0  # an opaque square in a clear frame
    image = torch.full((1, 3, 16, 16), 0.5)
    for suffix in (".png", ".webp", ".tif"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # kept: nothing to say
            saved = Image.open(save_image(image, tmp_path / f"out{suffix}", alpha=alpha))
        assert saved.mode == "RGBA" and saved.size == (16, 16), suffix
        levels = np.asarray(saved)[..., 3]
        assert levels[0, 0] == 0 and levels[8, 8] == 255 and levels[3, 8] not in (0, 255), suffix  # edge: between
        assert np.asarray(saved)[8, 8, :3].tolist() == [128, 128, 128], suffix
    for suffix, fmt in ((".jpg", "JPEG"), (".bmp", "BMP")):  # no alpha to hold it: on white, as the content was read
        with pytest.warns(TransparencyLost) as said:  # (batch --format jpg showed the hidden ground, trial S); and said
            flat = np.asarray(Image.open(save_image(image, tmp_path / f"out{suffix}", alpha=alpha)))  # (it was not)
        assert str(said[0].message) == (f"out{suffix}: the content is 75% transparent, which a {fmt} cannot keep, so "
                                        "that part is white; write a .png or .webp to keep the transparency")
        assert flat.shape == (16, 16, 3) and flat[0, 0].tolist() == [255, 255, 255], suffix  # ground, trial S)
        assert abs(int(flat[8, 8, 0]) - 128) <= 2, suffix


def test_failed_save_leaves_no_target_and_no_temp_file(tmp_path, monkeypatch):
    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half written")
        raise OSError("disk full")

    save_image(Image.new("RGB", (2, 2), (1, 2, 3)), tmp_path / "old.png")
    before = (tmp_path / "old.png").read_bytes()
    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ImageError) as excinfo:
        save_image(Image.new("RGB", (2, 2)), tmp_path / "new.png")
    assert "disk full" in _message(excinfo) and "new.png" in str(excinfo.value)
    with pytest.raises(ImageError):
        save_image(torch.zeros(1, 3, 2, 2), tmp_path / "old.png")
    assert sorted(os.listdir(tmp_path)) == ["old.png"]
    assert (tmp_path / "old.png").read_bytes() == before


def test_check_writable_leaves_missing_folders_to_the_write_and_returns_resolved_path(tmp_path):
    """A run refused by a later check leaves no empty folder behind; the write makes it."""
    out = check_writable(tmp_path / "x" / ".." / "y" / "z" / "out.webp")
    assert out == tmp_path.resolve() / "y" / "z" / "out.webp"
    assert os.listdir(tmp_path) == []
    save_image(torch.rand(1, 3, 8, 8), out)
    assert os.listdir(tmp_path / "y" / "z") == ["out.webp"]
    with pytest.raises(ImageError, match=r"\.tiff"):
        check_writable(tmp_path / "out.txt")


def test_check_writable_refuses_a_parent_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "file" / "out.png", tmp_path / "file" / "deeper" / "out.png"):
        with pytest.raises(ImageError) as excinfo:
            check_writable(target)
        assert "is a file, not a folder" in _message(excinfo)
        assert str(excinfo.value).endswith("choose another output path")


def test_check_writable_reports_a_folder_that_refuses_new_files(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".x1y2.probe"))  # as mkstemp's name it

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(ImageError) as excinfo:
        check_writable(tmp_path / "out.png")
    assert f"folder {tmp_path.resolve()} is not writable (Permission denied); " in _message(excinfo)
    assert ".probe" not in _message(excinfo)  # a hidden file of its own, which the user never asked for
    assert str(excinfo.value).endswith("choose another output path")
    with pytest.raises(ImageError) as excinfo:  # a folder to make in one that refuses: /proc/new/out.png
        check_writable(tmp_path / "new" / "out.png")
    assert (f"folder {tmp_path.resolve() / 'new'} cannot be made: nothing can be created in {tmp_path.resolve()} "
            "(Permission denied); ") in _message(excinfo)
    monkeypatch.undo()
    if Path("/proc/self").is_dir():  # a folder that is there, whose files cannot be made: "No such file or directory"
        with pytest.raises(ImageError) as excinfo:
            check_writable(Path("/proc/out.png"))
        assert "folder /proc is not writable (nothing can be created in it); " in _message(excinfo)
        with pytest.raises(ImageError) as excinfo:  # said twice: '... in /proc (nothing can be created in it)'
            check_writable(Path("/proc/nope/out.png"))
        assert _message(excinfo).endswith("folder /proc/nope cannot be made: nothing can be created in /proc; choose "
                                          "another output path")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ImageError, match="not writable"):
            check_writable(locked / "out.png")
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------------------- listing


def test_list_images_expands_folders_and_keeps_file_order(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.PNG", "a.jpg", "d.JpEg", "c.txt", ".hidden.png", "sub/x.png", "e.tiff"):
        (folder / name).write_bytes(b"x")
    first, last = tmp_path / "z.png", tmp_path / "notes.txt"
    first.write_bytes(b"x")
    last.write_bytes(b"x")
    found = list_images([first, str(folder), last])
    assert [p.name for p in found] == ["z.png", "a.jpg", "b.PNG", "d.JpEg", "e.tiff", "notes.txt"]
    assert ".gif" in IMAGE_EXTENSIONS and list_images([]) == []
    with pytest.raises(ImageError, match="no such file or folder"):
        list_images([folder, tmp_path / "missing"])


# ------------------------------------------------------------------------------------- bad input


def test_missing_folder_and_empty_files(tmp_path):
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "nope.png")
    assert "nope.png: no such file" in _message(excinfo)
    with pytest.raises(ImageError) as excinfo:
        load_tensor(tmp_path)
    assert "is a folder" in _message(excinfo)
    with pytest.raises(ImageError, match="the file name is empty; give a path"):  # "." is a folder, it said
        load_tensor("")
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    with pytest.raises(ImageError, match=r"clip.mp4 is a video, not an image; videos are stylized frame by frame by "
                                         r"'stylegram batch VIDEO --style STYLE -o OUT_DIR/' \(or as the content on "
                                         r"the page of 'stylegram serve'\)"):
        load_tensor(tmp_path / "clip.mp4")
    with pytest.raises(ImageError, match=r"^style image 1: .*clip.mp4 is a video, not an image; only the content may be "
                                         r"a video \(in 'stylegram batch'.*give a still picture here"):
        load_input(str(tmp_path / "clip.mp4"), "style image 1")  # batch does not take a video as a style either
    with pytest.raises(ImageError, match=r"^content: .*videos are stylized frame by frame by 'stylegram batch"):
        load_input(str(tmp_path / "clip.mp4"), "content")
    with pytest.raises(ImageError, match=r"extension '.mp4' is not a format stylegram writes; .*\(videos are stylized"):
        save_image(torch.zeros(1, 3, 4, 4), tmp_path / "out.mp4")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "empty.png")
    assert "empty.png is empty" in _message(excinfo)


def test_truncated_png(tmp_path):
    Image.fromarray(_rgb(32, 32)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as excinfo:
        load_tensor(tmp_path / "cut.png")
    assert "cut.png is truncated or corrupt (" in _message(excinfo)
    for head, kind in ((40, "PNG"), (8, "PNG")):  # its signature and header alone read 'not an image'
        (tmp_path / "head.png").write_bytes(data[:head])
        with pytest.raises(ImageError, match=rf"head.png is truncated or corrupt \(it begins as a {kind} file, and too "
                                             r"little of one follows to read\); re-export or re-copy it"):
            load_tensor(tmp_path / "head.png")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("this is not a picture\n")
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "notes.jpg")
    assert "notes.jpg is not an image (" in _message(excinfo)
    assert excinfo.value.__cause__ is not None
    # HEIC is offered only where pillow-heif can read it (the heif extra)
    offered = "GIF, AVIF or HEIC file" if HEIF else "GIF or AVIF file"
    assert offered in _message(excinfo)


def _huge_header_png(path: Path) -> None:
    Image.new("RGB", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", 40000, 40000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def test_pixel_limit_is_checked_from_the_header(tmp_path):
    _huge_header_png(tmp_path / "bomb.png")
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "bomb.png")
    text = _message(excinfo)
    assert "40000x40000" in text and "1,600,000,000" in text and f"{DEFAULT_MAX_PIXELS:,}" in text
    assert "raise the limit: set STYLEGRAM_MAX_PIXELS=1600000000 (max_pixels= in Python)" in text
    assert Image.MAX_IMAGE_PIXELS == before


def test_the_environment_sets_the_default_pixel_limit(tmp_path, monkeypatch):
    """The advice for a large trusted file works on the command line too (it named a --max-pixels no command had)."""
    Image.new("RGB", (40, 30)).save(tmp_path / "small.png")
    monkeypatch.setenv("STYLEGRAM_MAX_PIXELS", "1000")
    with pytest.raises(ImageError, match="= 1,200 pixels, over the limit of 1,000"):
        load_image(tmp_path / "small.png")
    assert load_image(tmp_path / "small.png", max_pixels=2000).size == (40, 30)  # an explicit limit wins
    monkeypatch.setenv("STYLEGRAM_MAX_PIXELS", "many")
    with pytest.raises(OptionError, match="STYLEGRAM_MAX_PIXELS='many' is not a positive whole number"):
        load_image(tmp_path / "small.png")


def test_pixel_limit_is_ours_and_pillow_global_is_restored(tmp_path, monkeypatch):
    Image.fromarray(_rgb(10, 10)).save(tmp_path / "ten.tif")
    with pytest.raises(ImageError, match="over the limit of 99"):
        load_tensor(tmp_path / "ten.tif", max_pixels=99)
    assert load_tensor(tmp_path / "ten.tif", max_pixels=100).shape == (1, 3, 10, 10)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # Pillow alone would refuse this TIFF in load()
    assert load_tensor(tmp_path / "ten.tif", max_pixels=None).shape == (1, 3, 10, 10)
    assert load_image(tmp_path / "ten.tif").size == (10, 10)
    assert Image.MAX_IMAGE_PIXELS == 20


def test_a_file_over_pillows_limit_prints_no_warning_of_pillows(tmp_path, monkeypatch):
    """Between Pillow's limit and twice it, Pillow's own header check printed a DecompressionBombWarning (with its
    source line) before stylegram's message, or before a run the user had allowed with STYLEGRAM_MAX_PIXELS."""
    import warnings

    Image.fromarray(_rgb(10, 10)).save(tmp_path / "ten.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60)  # 100 pixels: Pillow warns (it refuses over 120)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert load_tensor(tmp_path / "ten.png").shape == (1, 3, 10, 10)
        assert not is_animation(tmp_path / "ten.png") and load_alpha(tmp_path / "ten.png") is None
        with pytest.raises(ImageError, match="over the limit of 99"):
            load_tensor(tmp_path / "ten.png", max_pixels=99)
    assert [str(w.message) for w in warned] == []


def test_one_pixel_image_loads(tmp_path):
    Image.new("RGB", (1, 1), (10, 20, 30)).save(tmp_path / "dot.png")
    assert torch.equal((load_tensor(tmp_path / "dot.png") * 255).round().flatten(), torch.tensor([10.0, 20, 30]))


def test_a_files_bytes_are_refused_with_the_two_ways_to_give_them():
    """texture(open('x.png', 'rb').read()) said 'example 1: a int is not an image': the bytes walked as a list."""
    data = samples.path("swirls").read_bytes()
    with pytest.raises(OptionError, match=r"^the bytes of a file are not an image here; give the file's path, or the "
                                          r"picture they hold: PIL.Image.open\(io.BytesIO\(data\)\)$"):
        image_list(data)
    with pytest.raises(ImageError, match=r"^style image: the bytes of a file are not an image here"):
        load_input(bytearray(data), "style image")
    assert load_input(Image.open(io.BytesIO(data)), "style image").shape == (1, 3, 384, 384)  # the way it names


def test_a_folder_that_refuses_the_rename_names_the_output_not_its_temporary_file(tmp_path, monkeypatch):
    """Result.save in a folder that refused it quoted '.../ro/.22m73mvt.png', a name the user never gave."""
    import errno

    def refused(source, target):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(source))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(ImageError, match=r"^cannot write .*x.png \(Operation not permitted\); choose another output "
                                         r"path$"):
        save_image(torch.rand(1, 3, 8, 8), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []  # the temporary file removed too


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0)])
def test_straight_keeps_a_partly_clear_pixels_colour_and_whitens_a_clear_one(dtype, top):
    """A content's reading (images.STRAIGHT): its alpha goes on the output, so its colours are not put on white."""
    from stylegram.images import STRAIGHT, array_tensor

    rgba = np.zeros((1, 3, 4), dtype)
    rgba[0, :, :3] = 0.2 * top  # dark grey under each of the alphas below
    rgba[0, :, 3] = np.asarray([1.0, 0.5, 0.0]) * top
    straight, on_white = array_tensor(rgba, STRAIGHT)[0, 0, 0], array_tensor(rgba)[0, 0, 0]
    assert straight.tolist() == pytest.approx([0.2, 0.2, 1.0], abs=1e-3)  # opaque, half clear: its own; clear: white
    assert on_white.tolist() == pytest.approx([0.2, 0.6, 1.0], abs=1e-3)  # composited: half way to white


def test_arrays_a_python_user_makes_are_taken_or_told_how():
    """Boolean masks (left > 0) were refused, and a channels-first or int64 array had no word on the fix."""
    from stylegram.images import load_input

    mask = np.zeros((4, 6), bool)
    mask[:, :3] = True
    loaded = load_input(mask, "style mask 1")
    assert loaded.shape == (1, 3, 4, 6) and (loaded[..., :3] == 1).all() and (loaded[..., 3:] == 0).all()
    with pytest.raises(ImageError, match=r"a 3 x H x W array \(channels first, as tensors hold them\) is "
                                         r"array.transpose\(1, 2, 0\)$"):
        load_input(np.zeros((3, 8, 8), np.uint8), "content")
    with pytest.raises(ImageError, match=r"whole numbers 0..255 are array.astype\(np.uint8\)$"):
        load_input(np.zeros((8, 8, 3), np.int64), "content")
    with pytest.raises(ImageError, match="^content: an int is not an image"):  # 'a int'
        load_input(5, "content")
