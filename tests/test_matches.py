"""Where a picture's patches come from in a style (stylegram.analysis.matches, `stylegram matches`)."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

from stylegram import mrf
from stylegram.analysis.matches import Matches, find_matches, panels
from stylegram.cli import main
from stylegram.errors import OptionError
from stylegram.images import load_tensor, save_image
from stylegram.samples import path


def test_a_crop_of_the_style_is_found_where_it_was_cut():
    torch.manual_seed(0)
    style = torch.rand(1, 6, 12, 15)
    positions = mrf.match_positions(style[..., 2:9, 3:11], style)
    assert positions.shape == (5, 6, 2)
    rows, cols = torch.meshgrid(torch.arange(5) + 2, torch.arange(6) + 3, indexing="ij")
    assert torch.equal(positions, torch.stack([rows, cols], -1))
    assert mrf.coherence(positions) == 1.0 and mrf.repetition(positions) == 0.0
    flat = mrf.match_positions(style[..., :1, :1].expand(1, 6, 5, 5).contiguous(), style)
    assert mrf.repetition(flat) == 1.0 and mrf.coherence(flat) == 0.0  # one patch everywhere: one match repeated


def test_the_search_in_chunks_finds_the_same_matches(monkeypatch):
    torch.manual_seed(1)
    style, picture = torch.rand(1, 5, 10, 10), torch.rand(1, 5, 9, 8)
    whole = mrf.match_positions(picture, style)
    monkeypatch.setattr(mrf, "PAIRS", 50)  # 42 picture patches: one style patch per pass
    assert torch.equal(mrf.match_positions(picture, style), whole)


def test_matches_within_a_mask_count_only_the_patches_inside():
    """The left half a copy of the style, the right half one patch repeated: within the left half's mask the numbers
    are the copy's (before, a masked style was scored over the whole picture)."""
    rows, cols = torch.meshgrid(torch.arange(4), torch.arange(8), indexing="ij")
    positions = torch.stack([rows, cols], -1)
    positions[:, 4:] = torch.tensor([3, 7])  # the right half: the style's last patch, repeated
    matches = Matches(positions, (4, 8), "relu3_1", 3)
    assert matches.coherence == pytest.approx(24 / 52) == matches.repetition and matches.used == pytest.approx(17 / 32)
    left = torch.zeros(1, 1, 6, 10)
    left[..., :5] = 1.0  # the map's 10 columns; patch centres 1..8, so centres 1..4 are inside
    inside = matches.within(left)
    assert inside.inside.tolist() == [[True] * 4 + [False] * 4] * 4
    assert inside.coherence == 1.0 and inside.repetition == 0.0 and inside.used == pytest.approx(16 / 32)
    assert matches.within(None) is matches
    painted = panels(torch.rand(1, 3, 6, 10), torch.rand(1, 3, 6, 10), inside)[2]
    assert float(painted[..., 6:].min()) == 1.0 and float(painted[..., :4].min()) < 1.0  # white where not paired


def test_coherence_of_scattered_matches_is_low():
    shuffled = torch.stack(torch.meshgrid(torch.arange(6), torch.arange(6), indexing="ij"), -1).reshape(36, 2)
    shuffled = shuffled[torch.randperm(36, generator=torch.Generator().manual_seed(3))].reshape(6, 6, 2)
    assert mrf.coherence(shuffled) < 0.1


def test_the_style_itself_is_matched_with_itself(vgg):
    style = load_tensor(path("swirls"), size=96)
    matches = find_matches(style, style, "relu2_1", vgg)
    assert matches.coherence > 0.95 and matches.used > 0.95
    coded, picture, painted = panels(style, style, matches)
    assert coded.shape == picture.shape == painted.shape == style.shape
    assert float(painted.std()) > 0.1  # the colours of many positions
    # matched with itself, every patch is painted the colour of its own place, where the style's overlay has it
    assert float((painted - (coded - 0.5 * style) / 0.5).abs().mean()) < 0.01
    colours = mrf.position_colours(*matches.style_grid)
    for y, x in [(40, 40), (20, 70), (90, 10)]:  # a pixel lies in map cell (y // 2, x // 2): patch centred there
        row, col = y // 2 - 1, x // 2 - 1  # relu2_1's stride is 2; a 3x3 patch's centre is one cell in
        if matches.positions[row, col].tolist() == [row, col]:
            assert torch.equal(painted[0, :, y, x], colours[:, row, col]), (y, x)


def test_matches_command_counts_only_the_patches_a_mask_selects(tmp_path, capsys):
    """One style of a masked transfer, paired over the whole picture, was scored with the other style's half too."""
    out, left = tmp_path / "matches.png", torch.zeros(1, 3, 64, 64)
    left[..., :32] = 1.0
    save_image(left, tmp_path / "left.png")
    said = []
    for mask in ([], ["--mask", str(tmp_path / "left.png")]):
        assert main(["matches", "sample:swirls", "sample:swirls", "-o", str(out), "--size", "64", "--layer",
                     "relu2_1", "--weights", "random", *mask]) == 0
        said.append(capsys.readouterr().err)
    assert "within the mask" not in said[0] and "relu2_1, 3x3 patches within the mask (450 of 900): coherence" in said[1]
    used = [float(re.search(r"(\d+)% of the style's patches used", s)[1]) for s in said]
    assert used[1] < used[0] * 0.6  # half the picture's patches pair with about half as many of the style's
    figure = np.asarray(Image.open(out).convert("L"))
    assert (figure[:, figure.shape[1] * 5 // 6:] > 250).mean() > (figure[:, : figure.shape[1] // 3] > 250).mean()
    save_image(left[..., :40, :], tmp_path / "wide.png")
    assert main(["matches", "sample:swirls", "sample:swirls", "-o", str(out), "--size", "64", "--weights", "random",
                 "--mask", str(tmp_path / "wide.png")]) == 2
    assert "--mask (" in capsys.readouterr().err


def test_matches_command_writes_the_figure_and_names_bad_options(tmp_path, capsys, monkeypatch):
    out = tmp_path / "matches.png"
    assert main(["matches", "sample:swirls", str(tmp_path / "nope.png"), "-o", str(out)]) == 2
    assert f"style image: {tmp_path / 'nope.png'}: no such file" in capsys.readouterr().err  # its role was not named
    save_image(torch.rand(1, 3, 16, 24), tmp_path / "tiny.png")  # a 4x6 map: 2x4 patches, drawn as if they told much
    assert main(["matches", str(tmp_path / "tiny.png"), "sample:swirls", "-o", str(out), "--weights", "random"]) == 0
    assert "tiny.png has 8 patches at relu3_1 as measured (24x16 px), too few for the coherence and repetition to " \
           "tell much" in capsys.readouterr().err
    code = main(["matches", "sample:swirls", "sample:swirls", "-o", str(out), "--size", "64", "--layer", "relu2_1",
                 "--weights", "random"])
    err = capsys.readouterr().err
    assert code == 0 and "coherence" in err and "repetition" in err
    assert Image.open(out).size[0] > 300
    from stylegram.analysis import matches as M

    seen = []
    real = M.find_matches
    monkeypatch.setattr(M, "find_matches", lambda picture, style, layer, model, patch, names:
                        seen.append((picture.shape, model.padding)) or real(picture, style, layer, model, patch))
    save_image(torch.rand(1, 3, 40, 60), tmp_path / "small.png")
    assert main(["matches", str(tmp_path / "small.png"), "sample:swirls", "-o", str(out), "--weights", "random"]) == 0
    assert seen[-1][0][-2:] == (40, 60)  # its own size: it was enlarged to 256 px unless --size said otherwise
    assert seen[-1][1] == "replicate"  # as a transfer pads, and explain pairs its patches (was VGG's own, reflect)
    assert main(["matches", str(tmp_path / "small.png"), "sample:swirls", "-o", str(out), "--weights", "random",
                 "--padding", "reflect"]) == 0 and seen[-1][1] == "reflect"
    capsys.readouterr()
    for option, words in ((["--patch", "4"], "--patch must be an odd number"), (["--layer", "relu3_2x"], "relu3_2x"),
                          (["--size", "8"], "--size must be a whole number between 32")):
        code = main(["matches", "sample:swirls", "sample:swirls", "-o", str(out), *option, "--weights", "random"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and words in err and "\n" not in err
    from stylegram import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 2**30)  # a 160 px texture measured at --size 512
    save_image(torch.rand(1, 3, 128, 128), tmp_path / "grown.png")  # enlarged its example 3.2x, and took 5.2 GB
    assert main(["matches", str(tmp_path / "grown.png"), "sample:gravel", "--texture", "--size", "512", "-o", str(out),
                 "--weights", "random"]) == 2
    assert re.search(r"a 512x512 measurement \(its example measured at 2048x2048 px\) needs about \d+\.\d GiB but "
                     r"only 2.0 GiB is available; measure at a --size of about 1\d\d or less", capsys.readouterr().err)


def test_a_style_enlarged_many_times_is_warned_of(tmp_path, capsys):
    """A 10 px style for a 64 px picture was blown up 6x without a word, and its blur's matches reported as the style's."""
    save_image(torch.rand(1, 3, 10, 10), tmp_path / "tiny.png")
    out = tmp_path / "m.png"
    assert main(["matches", "sample:swirls", str(tmp_path / "tiny.png"), "-o", str(out), "--size", "64",
                 "--layer", "relu2_1", "--weights", "random"]) == 0
    assert "warning: style image 1 is 10x10 px and is enlarged 6x to 64x64 (the picture's long side times " \
           "--style-scale)" in capsys.readouterr().err
    assert main(["matches", "sample:swirls", "sample:swirls", "-o", str(out), "--size", "64", "--layer", "relu2_1",
                 "--weights", "random"]) == 0
    assert "warning" not in capsys.readouterr().err  # a style shrunk to the picture is not


def test_the_matches_command_names_the_file_whose_map_holds_no_patch(tmp_path, capsys):
    save_image(torch.rand(1, 3, 10, 10), tmp_path / "tiny.png")
    assert main(["matches", str(tmp_path / "tiny.png"), "sample:swirls", "-o", str(tmp_path / "m.png"),
                 "--weights", "random"]) == 2  # said "the picture's 2x2 map has no 3x3 patch" of no file
    assert (f"{tmp_path / 'tiny.png'} (10x10 px as measured) has a 2x2 map at this layer, with no 3x3 patch; use a "
            "larger image, a shallower layer or a smaller patch") in capsys.readouterr().err
    save_image(torch.rand(1, 3, 42, 64), tmp_path / "small.png")  # a patch far larger than the map: said so
    assert main(["matches", str(tmp_path / "small.png"), "sample:swirls", "-o", str(tmp_path / "m.png"), "--weights",
                 "random", "--patch", "999"]) == 2  # was: 'needs about 975.0 GiB ... free some memory'
    assert "small.png (64x42 px as measured) has a 16x10 map at this layer, with no 999x999 patch" in \
        capsys.readouterr().err


def test_a_map_without_a_patch_is_refused():
    with pytest.raises(OptionError, match="the picture has a 2x2 map at this layer, with no 3x3"):
        mrf.match_positions(torch.rand(1, 4, 2, 2), torch.rand(1, 4, 8, 8))
    with pytest.raises(OptionError, match="the style has a 8x1 map at this layer"):
        mrf.match_positions(torch.rand(1, 4, 8, 8), torch.rand(1, 4, 1, 8))


def test_matches_of_a_texture_take_the_example_at_its_own_pixels(tmp_path, capsys):
    """A 96 px crop of a 384 px example, paired as a texture (--texture: the example at its own size, as texture and
    explain --texture take it) is a copy, coherent throughout; without --texture the example is shrunk to the crop's
    size, and the same crop looked made anew (coherence 0.22 on gravel)."""
    crop = load_tensor(path("swirls"))[..., 100:196, 140:236]
    save_image(crop, tmp_path / "crop.png")
    out = tmp_path / "matches.png"

    def coherence(*options: str) -> float:
        assert main(["matches", str(tmp_path / "crop.png"), "sample:swirls", "-o", str(out), *options]) == 0
        return float(re.search(r"coherence (\S+),", capsys.readouterr().err)[1])

    as_texture, as_transfer = coherence("--texture"), coherence()
    assert as_texture > 0.9 and as_transfer < 0.6, (as_texture, as_transfer)
    for options, words in [(["--texture", "--style-scale", "2"], "--style-scale is for a transfer's style"),
                           (["--example-scale", "2"], "--example-scale is for a texture's example (--texture)"),
                           (["--texture", "--example-scale", "9"], "--example-scale must be between 0.05 and 4")]:
        assert main(["matches", str(tmp_path / "crop.png"), "sample:swirls", "-o", str(out), *options]) == 2
        assert words in capsys.readouterr().err
