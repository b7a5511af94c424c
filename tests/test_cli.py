"""The CLI as a user meets it: exit codes, one-line errors, files written."""

import csv
import errno
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import stylegram
from stylegram.cli import main
from stylegram.errors import OptionError, in_python_words, warn, warnings_to
from stylegram.bars import Bar

FAST = ["--size", "64", "--min-size", "64", "--iterations", "3", "-q"]  # -q: --quiet, as most tools spell it short


def _png_claiming(path, width, height):
    """A valid 1x1 PNG whose IHDR then claims width x height (CRC fixed), without the pixels."""
    Image.new("RGB", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def bad_inputs(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("this is not a picture\n")
    Image.new("RGB", (1, 1)).save(tmp_path / "tiny.png")
    return {
        "zero-byte file": (tmp_path / "empty.png", "empty"),
        "truncated PNG": (truncated, "truncated"),
        "text file named .jpg": (tmp_path / "text.jpg", "not an image"),
        "1x1 image": (tmp_path / "tiny.png", "at least"),
        "40000x40000 header": (_png_claiming(tmp_path / "huge.png", 40000, 40000), "set STYLEGRAM_MAX_PIXELS=1600000000"),
        "missing path": (tmp_path / "nope.png", "no such file"),
        "ftp address": ("ftp://example.org/photo.png", "ftp://example.org/photo.png: stylegram fetches http:// and "
                        "https:// addresses, not ftp://; download it yourself"),  # was 'ftp:/example.org/...: no such'
    }


@pytest.mark.parametrize(
    "case",
    ["zero-byte file", "truncated PNG", "text file named .jpg", "1x1 image", "40000x40000 header", "missing path",
     "ftp address"],
)
def test_bad_content_image_is_one_line_and_exit_2(case, bad_inputs, tmp_path, capsys):
    path, words = bad_inputs[case]
    sizing = ["--iterations", "3", "--quiet"] if case == "1x1 image" else FAST  # no --size: the image's own
    code = main(["transfer", str(path), "sample:swirls", "-o", str(tmp_path / "out.png"), *sizing])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("stylegram: error:") and "\n" not in err and "Traceback" not in err
    assert words in err
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--backbone", "vgg91"], "did you mean vgg19"),
        (["--style-layers", "relu3_1,relu9_1"], "relu9_1"),
        (["--content-layers", "relu4_22"], "did you mean relu4_2"),
        (["--size", "0"], "--size"),
        (["--size", "100000", "--upscale"], "--size"),
        (["--style-blend", "1,2"], "2 weights for 1 style;"),
        (["--style-blend", "-1,2"], "2 weights for 1 style;"),  # a value: was "expected one argument"
        (["--checkpoint", "photo.png"], "--checkpoint photo.png is named as a picture (.png), and a checkpoint is not "
                                        "one: give a name such as run.ckpt"),  # it overwrote the picture with a zip
        (["--log", "keep.png"], "--log keep.png is named as a picture (.png), and the loss table (CSV) is not one: "
                                "give a name such as losses.csv"),  # it overwrote the picture with a table (trial Z)
        (["--weights", "nowhere.pth"], "does not exist"),
        (["--lr", "0"], "--lr must be a positive step size"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args, words, tmp_path, capsys):
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "o.png"), *FAST, *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and "\n" not in err


def test_a_transparent_content_stays_transparent_in_the_output_and_its_snapshots(tmp_path, capsys):
    pixels = np.zeros((48, 64, 4), np.uint8)
    pixels[12:36, 16:48] = (200, 60, 40, 255)  # an opaque red card on a clear ground
    Image.fromarray(pixels).save(tmp_path / "card.png")
    code = main(["transfer", str(tmp_path / "card.png"), "sample:swirls", "-o", str(tmp_path / "out.png"), *FAST,
                 "--save-every", "2"])
    assert code == 0, capsys.readouterr().err
    for made in (tmp_path / "out.png", tmp_path / "out_steps" / "iter_000002.png"):
        alpha = np.asarray(Image.open(made))[..., 3]
        assert alpha.shape == (48, 64) and alpha[0, 0] == 0 and alpha[24, 32] == 255, made
    steps = sorted(p.name for p in (tmp_path / "out_steps").iterdir())  # the last one too, not a multiple of 2 (trial R)
    assert steps == ["iter_000002.png", "iter_000003.png"]


def test_an_animated_content_is_stylized_from_its_first_frame_and_says_how_to_do_them_all(tmp_path, capsys):
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((200, 30, 30), (30, 30, 200))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    assert main(["transfer", str(tmp_path / "anim.gif"), "sample:swirls", "-o", str(tmp_path / "out.png"),
                 "--method", "adain", "--size", "64"]) == 0
    assert f"'stylegram batch {tmp_path / 'anim.gif'} --style STYLE -o FOLDER/' stylizes every frame" in \
        capsys.readouterr().err
    frames[0].save(tmp_path / "first.png")
    assert main(["transfer", str(tmp_path / "first.png"), "sample:swirls", "-o", str(tmp_path / "first_out.png"),
                 "--method", "adain", "--size", "64"]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), np.asarray(Image.open(tmp_path / "first_out.png")))


def test_samples_are_listed_with_their_kind_and_size_and_copied(tmp_path, capsys, monkeypatch):
    assert main(["samples", "--copy", str(tmp_path / "samples")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^sample:swirls +style +384x384  stylegram$", out, re.M)
    assert re.search(r"^sample:chelsea +photo +451x300  scikit-image$", out, re.M)
    assert re.search(r"^sample:gravel +texture +512x512", out, re.M)
    copied = sorted(tmp_path.joinpath("samples").iterdir())
    assert len(copied) == len(stylegram.samples.names()) and Image.open(tmp_path / "samples" / "chelsea.png").size == (451, 300)

    monkeypatch.setitem(sys.modules, "skimage.data", None)  # as if scikit-image were not installed
    assert stylegram.samples.available() == ["swirls", "mosaic"]
    assert main(["samples"]) == 0
    out = capsys.readouterr().out
    assert "sample:mosaic" in out and "sample:chelsea" not in out
    assert "not installed: chelsea, astronaut" in out and "pip install 'stylegram[samples]'" in out
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "o.png")]) == 2
    assert "comes from scikit-image, which is not installed; run: pip install 'stylegram[samples]' (in a clone of " \
           "stylegram: pip install -e '.[samples]')" in capsys.readouterr().err  # the extra, as samples names it


def test_the_api_names_keywords_where_the_cli_names_flags(tmp_path, capsys):
    """One mistake, worded for who made it: transfer(size=0) in Python, --size 0 on the command line."""
    with pytest.raises(OptionError) as err:
        stylegram.transfer("sample:chelsea", "sample:swirls", size=0)
    assert str(err.value) == "size must be between 1 and 16384 px, got 0"  # was "--size must ..."
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "o.png"), "--size", "0"])
    assert code == 2 and capsys.readouterr().err.strip() == "stylegram: error: --size must be between 1 and 16384 px, got 0"


@pytest.mark.parametrize("make, words", [
    (lambda: stylegram.TransferOptions(size=-5), "size must be between 1 and 16384 px, got -5"),
    (lambda: stylegram.TransferOptions().replace(size=0), "size must be between 1 and 16384 px, got 0"),
    (lambda: stylegram.DreamOptions(size=100000), "size must be between 1 and 16384 px, got 100000"),
    (lambda: stylegram.TextureOptions(size="0x64"), "size=0x64: width and height must be between 1 and 16384 px"),
])
def test_a_size_out_of_range_is_refused_when_the_options_are_made(make, words):
    """TransferOptions(size=-5) was taken, and refused only when a run began (maybe many lines later)."""
    with pytest.raises(OptionError) as err:
        make()
    assert str(err.value) == words


def test_only_flags_that_stand_for_options_are_renamed():
    text = "--scale-factor 1.01 makes 47 scales; use --init 'noise' or --tv-weight, or --resume ck.pt with --overwrite"
    assert in_python_words(text) == ("scale_factor=1.01 makes 47 scales; use init='noise' or tv_weight, "
                                     "or --resume ck.pt with --overwrite")
    quoted = "--size 9 is wrong; see 'stylegram layers --backbone vgg19 --weights x'"  # was 'stylegram layers backbone
    assert in_python_words(quoted) == "size=9 is wrong; see 'stylegram layers --backbone vgg19 --weights x'"  # vgg19'
    assert in_python_words("--alpha -0.1 must lie in [0, 1]; --size .5 too") == \
        "alpha=-0.1 must lie in [0, 1]; size=.5 too"  # was 'alpha -0.1', beside 'alpha=1.5'
    assert in_python_words("pass --upscale to enlarge it, or add --size N") == \
        "pass upscale=True to enlarge it, or add size=N"  # was 'pass upscale', 'add size N'
    assert in_python_words("--upscale must be True or False; drop --upscale") == \
        "upscale must be True or False; drop upscale"  # named, not set: as it was


def test_a_python_caller_is_told_the_python_way_out():
    """Messages written for the command line sent Python callers to 'stylegram layers', --no-transforms and
    'start without --resume'."""
    with pytest.raises(stylegram.errors.LayerError) as unknown:
        stylegram.load_backbone().info("relu9_1")
    assert str(unknown.value).endswith("(stylegram.load_backbone('vgg19').layer_names() lists them)")
    assert unknown.value.flagged.endswith("(run 'stylegram layers --backbone vgg19' to list them)")
    assert in_python_words("--jitter 4 shapes the random transforms, and --no-transforms turns them off") == (
        "jitter=4 shapes the random transforms, and transforms=False turns them off")
    assert in_python_words("give the same ones, or start without --resume") == (
        "give the same ones, or start a new run instead of resuming")


def test_unwritable_output_fails_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(blocker / "out.png"), *FAST])
    assert code == 2 and "cannot" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["transfer", "sample:chelsea", "missing.png", "-o", "{new}/out.png"],
    ["transfer", "sample:chelsea", "sample:swirls", "--size", "0", "-o", "{new}/out.png"],
    ["grams", "sample:chelsea", "--layer", "relu9_1", "-o", "{new}/grams.png"],
])
def test_a_refused_run_leaves_no_new_folder_behind(args, tmp_path):
    new = tmp_path / "new" / "deeper"
    assert main([a.format(new=new) for a in args]) == 2
    assert list(tmp_path.iterdir()) == []  # the folder is made when the picture is written


def test_a_finer_scales_higher_loss_is_not_called_divergence():
    """Scales' losses differ in size: a texture's 128 px scale began 40 times above the 64 px one's end, and one
    iteration there read as a run that diverged. Only the last size's own losses are compared: its last few against
    the lowest it reached, over all its stages (the pixel polish is one of its own at the finest size)."""
    from stylegram.job import Result

    def history(*stages: list[float]) -> list[dict]:
        losses = [(n, loss) for n, stage in enumerate(stages) for loss in stage]
        return [{"iteration": i + 1, "scale": n, "style": loss} for i, (n, loss) in enumerate(losses)]

    def said(records: list[dict], sizes=None) -> str:
        return Result(torch.zeros(1, 3, 4, 4), records, None, sizes=sizes).diverged()

    assert said(history([2.0, 1.5], [100.0, 90.0])) == ""
    assert said(history([2.0, 1.5], [100.0])) == ""  # one record of the last scale
    rising = history([2.0, 1.5], [100.0, 90.0, 300.0, 400.0, 500.0])
    assert "3.3 times above the lowest it reached (90, then 500 at the end)" in said(rising)
    assert said(rising).endswith("lower lr, or leave it at its default")  # Python's words (it said --lr)
    with pytest.warns(stylegram.errors.StylegramWarning,
                      match=r"no step lowered the loss .* so the picture is its start; lower lr, or ") as heard:
        stylegram.transfer("sample:chelsea", "sample:swirls", size=48, min_size=48, iterations="5", lr=1e6)
        # Python heard nothing of a run that painted noise
    assert heard[0].filename == __file__  # the call that made it, not a line of stylegram's own (job.py:147)
    with pytest.warns(stylegram.errors.StylegramWarning, match="seed -1 means a random seed") as drawn:
        stylegram.TransferOptions(seed=-1)
    assert drawn[0].filename == __file__  # not '<string>', the options dataclass's generated __init__
    polished = history([2.0, 1.5], [100.0, 90.0, 95.0, 92.0], [400.0, 1000.0, 2150.0])  # Adam --lr 10: 7 to 215
    assert "4.4 times above the lowest it reached (90, then 2.15e+03 at the end)" in said(
        polished, [(8, 8), (16, 16), (16, 16)])  # was '2 times higher', from the polish's own first loss
    fell_then_rose = history([7.0, 6.1, 71.0, 30.0, 15.0, 11.0])  # Adam --lr 0.3: noise, under twice its start
    assert "1.8 times above the lowest it reached (6.1, then 11 at the end)" in said(fell_then_rose)
    assert said(history([284.5, 175.9], [200.5, 198.6, 196.5, 512.4])) == ""  # L-BFGS's last step, undone: the
    # loss recorded is the rejected point's, and the picture is back near 196 (a 96 px run of the tests)
    assert "no step lowered the loss from where this size began (23.2): each went up (to 4.11e+03) and was undone" in \
        said(history([23.19, 379.2, 377.6], [23.19, 4106.0]), [(32, 48), (32, 48)])  # --lr 1e6: every step undone


def test_iteration_counts_beyond_the_runs_scales_are_said_to_be_dropped(tmp_path, capsys):
    """'5,5,5,5,5' on a one-scale run ran 5 without a word (the list keeps its tail); the defaults say nothing."""
    out = str(tmp_path / "out.png")
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", out, "--size", "48", "--iterations", "4,5,6",
                 "--quiet"]) == 0
    assert "warning: --iterations gives 3 counts and this run has 1 scale, so the last one (6) is used" in \
        capsys.readouterr().err
    assert main(["texture", "sample:brick", "-o", out, "--size", "48", "--iterations", "2,3", "--quiet"]) == 0
    assert "--iterations gives 2 counts and this run has 1 scale, so the last one (3) is used" in \
        capsys.readouterr().err
    assert main(["dream", "--layer", "relu2_1", "--size", "32", "--octaves", "1", "--iterations", "1,2", "-o", out,
                 "--quiet"]) == 0
    assert "--iterations gives 2 counts and this run has 1 octave, so the last one (2) is used" in \
        capsys.readouterr().err
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", out, "--size", "48", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err  # the default's two counts, on a one-scale run


def test_a_run_whose_loss_grows_is_written_with_a_warning(tmp_path, capsys):
    """A step size far too large painted noise with a finite loss, written with exit status 0 and no word; its steps
    are undone now, the last too (LBFGS.settle), and the picture is its start: said so."""
    out = tmp_path / "out.png"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), "--size", "48", "--min-size", "48",
                 "--iterations", "5", "--lr", "1e6", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert out.exists() and re.search(r"warning: no step lowered the loss .*; lower --lr", err)
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), "--size", "48", "--min-size", "48",
                 "--iterations", "5", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err and re.match(rf"wrote {re.escape(str(out))} \(48x32, 5 iterations, ", captured.out)
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), "--size", "48", "--min-size", "48",
                 "--iterations", "1", "--quiet"]) == 0
    assert "(48x32, 1 iteration, " in capsys.readouterr().out  # not "1 iterations"


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot create files in: its own, locked; as root (who may write anywhere), sysfs."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        yield locked
        locked.chmod(0o700)
        return
    try:
        handle, probe = tempfile.mkstemp(dir="/sys")
    except OSError:
        yield "/sys"  # sysfs refuses new files even to root
        return
    os.close(handle)
    os.unlink(probe)
    pytest.skip("no read-only folder here: root can write anywhere, /sys included")


def test_read_only_output_folder_fails_before_any_work(read_only_folder, capsys):
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", os.path.join(read_only_folder, "out.png"), *FAST])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is not writable" in err and "choose another output path" in err and "\n" not in err
    assert not os.path.exists(os.path.join(read_only_folder, "out.png"))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray((np.random.default_rng(1).random((48, 64, 3)) * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("command", [
    ["transfer", "{photo}", "sample:swirls", "-o", "{photo}"],  # wrote the result over the content photo
    ["transfer", "sample:chelsea", "{photo}", "-o", "{photo}"],
    ["transfer", "sample:chelsea", "sample:swirls", "--init", "{photo}", "-o", "{photo}"],
    ["texture", "{photo}", "-o", "{photo}"],
    ["dream", "--image", "{photo}", "-o", "{photo}"],
    ["transfer", "sample:chelsea", "sample:swirls", "-o", "{out}", "--log", "{photo}", "--resume", "{photo}"],
    # a weights file is read too: the log or checkpoint replaced 80 MB of weights
    ["transfer", "sample:chelsea", "sample:swirls", "--weights", "{photo}", "-o", "{out}", "--log", "{photo}"],
    ["texture", "sample:gravel", "--weights", "{photo}", "-o", "{out}", "--checkpoint", "{photo}"],
    # one file under two names: a hard link here, photo.PNG and photo.png on macOS and Windows
    ["transfer", "{photo}", "sample:swirls", "-o", "{link}"],
    # masks and regions are read too
    ["transfer", "sample:chelsea", "sample:swirls", "--style-masks", "{photo}", "-o", "{photo}"],
    ["transfer", "sample:chelsea", "sample:swirls", "--style-regions", "{photo}", "-o", "{out}", "--log", "{photo}"],
    ["transfer", "sample:chelsea", "sample:swirls", "--labels", "{photo},{photo}", "-o", "{photo}"],  # label maps too
])
def test_an_output_that_is_also_an_input_is_refused_before_any_work(command, photo, tmp_path, capsys):
    before = photo.read_bytes()
    os.link(photo, tmp_path / "link.png")
    args = [a.format(photo=photo, out=tmp_path / "out.png", link=tmp_path / "link.png") for a in command]
    assert main([*args, "--size", "48", "--iterations", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "is also an input" in err and "would be overwritten" in err and "\n" not in err.strip()
    assert photo.read_bytes() == before


@pytest.mark.parametrize("flags, words", [
    (["--log", "{out}"], "-o and --log name the same file"),  # the log replaced the picture at the end
    (["--checkpoint", "{out}"], "-o and --checkpoint name the same file"),
    (["--save-every", "1", "--save-dir", "{blocker}"], "is a file, not a folder"),  # failed at iteration 1
    (["--save-every", "50", "--save-dir", "{blocker}"], "blocker/iter_000050.png: "),  # its first (was iter_000001)
    (["--log", "{blocker}/losses.csv"], "is a file, not a folder"),  # failed after the whole run
    (["--save-every", "1", "--save-dir", "{out}"], "-o and --save-dir name the same file"),
    (["--save-dir", "{blocker}_steps"], "--save-dir is the folder of --save-every's images, and --save-every is not given"),  # the same, and kept the folder
])
def test_files_a_run_writes_are_checked_before_any_work(flags, words, tmp_path, capsys, monkeypatch):
    from stylegram import gatys

    monkeypatch.setattr(gatys, "load_backbone", lambda *a, **k: pytest.fail("work started before the check"))
    (tmp_path / "blocker").write_text("x")
    args = [f.format(out=tmp_path / "out.png", blocker=tmp_path / "blocker") for f in flags]
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "out.png"), *FAST, *args]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_resuming_a_checkpoint_of_another_kind_of_run_names_it(tmp_path, capsys):
    ckpt = tmp_path / "dream.ckpt"
    assert main(["dream", "--layer", "relu1_1", "--size", "32", "--octaves", "1", "--iterations", "1", "--quiet",
                 "--checkpoint", str(ckpt), "-o", str(tmp_path / "d.png")]) == 0
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "t.png"), "--resume", str(ckpt)]) == 2
    err = capsys.readouterr().err  # was a TypeError traceback
    assert f"written by a dream run, not by a transfer run; resume it with 'stylegram dream', the inputs and -o of that run, and --resume {ckpt}" in err
    with pytest.raises(OptionError, match=r"\(in Python: stylegram.resume_dream\)$"):
        stylegram.resume_transfer(ckpt, "sample:chelsea", "sample:swirls")
    assert stylegram.resume_dream is stylegram.deepdream.resume_dream  # a front door, as resume_transfer is
    assert stylegram.resume_texture is stylegram.synthesis.resume_texture


def _disk_full(path, data):
    """optimize.write_bytes on a full disk: the write itself fails, as ENOSPC does."""
    def fail(f):
        f.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")
    return stylegram.files.write_atomically(Path(path), fail)


def test_a_checkpoint_the_full_disk_refuses_is_warned_of_once_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    """A checkpoint written along the way that cannot be: the run was lost to a traceback; now it ends, with its picture."""
    monkeypatch.setattr(stylegram.optimize, "write_bytes", _disk_full)
    ckpt = tmp_path / "run.ckpt"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "out.png"), "--size", "48",
                 "--min-size", "48", "--iterations", "52", "--tolerance", "0", "--quiet", "--checkpoint", str(ckpt)]) == 0
    err = capsys.readouterr().err
    assert err.count("No space left on device") == 1, err  # iterations 25 and 50 and the end: said once
    assert f"cannot write {ckpt} (No space left on device)" in err and "MB free there" in err
    assert "the run goes on without it" in err
    assert (tmp_path / "out.png").exists() and not ckpt.exists()
    assert os.listdir(tmp_path) == ["out.png"]  # no temporary file left


def test_a_file_that_cannot_be_written_names_the_cause_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "run.ckpt"
    target.write_bytes(b"before")
    with pytest.raises(stylegram.errors.ImageError, match=r"cannot write .*run\.ckpt \(No space left on device\), "
                                                         r"[0-9.]+ MB free there; free some space"):
        _disk_full(target, b"after, and longer")
    assert target.read_bytes() == b"before" and os.listdir(tmp_path) == ["run.ckpt"]

    def cut_off(f):  # not the disk's error: a download's broken connection is left to the download to name
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    with pytest.raises(ConnectionResetError):
        stylegram.files.write_atomically(target, cut_off)
    assert target.read_bytes() == b"before" and os.listdir(tmp_path) == ["run.ckpt"]


def test_log_and_checkpoint_get_the_permissions_of_a_plain_write(tmp_path):
    old = os.umask(0o022)
    try:  # mkstemp's files are 0600: the log and checkpoint were readable by their owner only
        assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "out.png"), *FAST,
                     "--log", str(tmp_path / "losses.csv"), "--checkpoint", str(tmp_path / "run.ckpt")]) == 0
    finally:
        os.umask(old)
    for name in ("out.png", "losses.csv", "run.ckpt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_label_maps_are_described_before_the_run(tmp_path, capsys, monkeypatch):
    """What the maps were read as, on one line before the work: each label's share and its sources."""
    sky, ground = (135, 206, 235), (120, 110, 100)
    photo_map, art_map = np.full((40, 60, 3), ground, np.uint8), np.full((96, 96, 3), ground, np.uint8)  # chelsea: 3:2
    photo_map[:30], art_map[:48] = sky, sky
    Image.fromarray(photo_map).save(tmp_path / "photo_map.png")
    Image.fromarray(art_map).save(tmp_path / "art_map.png")
    args = ["transfer", "sample:chelsea", "sample:swirls", "--labels", f"{tmp_path / 'photo_map.png'},"
            f"{tmp_path / 'art_map.png'}", "-o", str(tmp_path / "out.png"), *[a for a in FAST if a != "-q"]]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("--labels: 2 labels: sky blue (#87ceeb) 75% of the content from 50% of style image 1; grey "
                          "(#786e64) 25% of the content from 50% of style image 1\n"), out
    assert main([*args, "--quiet"]) == 0 and "--labels" not in capsys.readouterr().out
    one_pass = [*args[:args.index("-o")], "-o", str(tmp_path / "adain.png"), "--size", "64", "--method", "adain"]
    assert main(one_pass) == 0  # the same line before a one-pass method: it printed only 'wrote'
    said = capsys.readouterr().out
    assert said.startswith("--labels: 2 labels: sky blue (#87ceeb) 75% of the content from ") and "wrote" in said, said
    from stylegram import tiles

    monkeypatch.setattr(tiles, "TILE_ITERATIONS", 2)
    tiled = [*args[:args.index("-o")], "-o", str(tmp_path / "tiled.png"), "--size", "160", "--min-size", "64",
             "--iterations", "2", "--tile", "128"]
    assert main(tiled) == 0  # and before a run in tiles, over the whole content
    said = capsys.readouterr().out
    assert said.startswith("--labels: 2 labels: sky blue (#87ceeb) 75% of the content from ") and "in tiles" in said, said


def test_transfer_writes_png_log_and_snapshots(tmp_path, capsys):
    out = tmp_path / "new" / "folder" / "out.png"
    log = tmp_path / "losses.csv"
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), *FAST, "--log", str(log),
                 "--save-every", "2", "--checkpoint", str(tmp_path / "run.ckpt")])
    assert code == 0 and "wrote" in capsys.readouterr().out
    image = Image.open(out)
    assert image.size == (64, 43) and np.asarray(image).std() > 5
    rows = log.read_text().splitlines()
    assert rows[0].startswith("iteration,stage,width,height,content.relu4_2") and len(rows) == 6
    table = list(csv.reader(rows[1:]))
    stages = [row[:4] for row in table]  # 3 iterations: the last over the pixels (--polish); each stage's end measured
    assert stages == [["1", "scale 1 of 1", "64", "43"], ["2", "scale 1 of 1", "64", "43"],
                      ["2", "scale 1 of 1, end", "64", "43"], ["3", "scale 1 of 1, pixel polish", "64", "43"],
                      ["3", "scale 1 of 1, pixel polish, end", "64", "43"]]
    totals = [float(row[-1]) for row in table]
    assert totals[2] == totals[3] and totals[4] < totals[0]  # the polish begins from the picture the search ended with
    assert sorted(p.name for p in (tmp_path / "new" / "folder" / "out_steps").iterdir()) == ["iter_000002.png", "iter_000003.png"]  # the last too
    assert (tmp_path / "run.ckpt").exists()


def _interrupt_at(iteration: int, monkeypatch, sig: int = signal.SIGINT):
    """Make the progress bar deliver a terminal's Ctrl-C (or ``sig``) after ``iteration``; returns Bar.update as it was."""
    update = Bar.update

    def interrupting(self, progress):
        update(self, progress)
        if progress.iteration == iteration:
            signal.raise_signal(sig)

    monkeypatch.setattr(Bar, "update", interrupting)
    return update


def test_an_output_file_that_may_not_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """An immutable (or, for a user, read-only) output was found only when the finished run was written."""
    from stylegram import files

    out = tmp_path / "kept.png"
    out.write_bytes(b"the user's own picture")
    real = open

    def guarded(path, mode="r", *args, **kwargs):
        if Path(path) == out and mode != "rb":
            raise PermissionError(1, "Operation not permitted")
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", guarded, raising=False)
    assert main(["texture", "sample:gravel", "--size", "32", "--iterations", "2", "-o", str(out)]) == 2
    said = capsys.readouterr()
    assert (f"cannot write {out}: the file there may not be written (Operation not permitted); make it writable, or "
            "choose another output path") in said.err and "it (100%)" not in said.err  # before any iteration
    assert out.read_bytes() == b"the user's own picture"


def test_a_picture_that_cannot_be_written_after_the_work_goes_to_the_current_folder(tmp_path, capsys, monkeypatch):
    """The output's folder made a file (or removed unwritably) during the run: the finished picture, and a stopped
    run's picture and checkpoint, were lost with an error; now they go to the current folder, said, and exit 1."""
    from stylegram import images
    from stylegram.errors import ImageError
    from stylegram.job import Job

    out, here = tmp_path / "gone" / "t.png", tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    save, checkpoint = images.save_image, Job.checkpoint

    def failing(image, path, **kwargs):
        if Path(path).parent == out.parent:
            raise ImageError(f"cannot write {path}: {out.parent} is a file, not a folder; choose another output path")
        return save(image, path, **kwargs)

    monkeypatch.setattr(images, "save_image", failing)
    run = ["texture", "sample:gravel", "--size", "32", "--iterations", "3", "--quiet", "-o", str(out)]
    assert main(run) == 1
    said = capsys.readouterr()
    assert (f"{out.parent} is a file, not a folder; so as not to lose the work, the picture went to "
            f"{here / 't.rescued.png'} instead") in said.err and f"wrote {here / 't.rescued.png'} (32x32" in said.out
    assert Image.open(here / "t.rescued.png").size == (32, 32)
    monkeypatch.setattr(Job, "checkpoint", lambda self, path: failing(None, path) if Path(path).parent == out.parent
                        else checkpoint(self, path))
    _interrupt_at(2, monkeypatch)
    assert main([*run[:5], "6", *run[6:]]) == 130
    err = capsys.readouterr().err
    assert "the picture so far went to" in err and f"the checkpoint went to {here / 't.rescued.ckpt'}" in err
    assert err.strip().endswith("--resume t.rescued.ckpt")  # as the command's other paths: relative to here
    assert (here / "t.rescued-1.png").exists() and (here / "t.rescued.ckpt").exists()


def test_a_signal_after_the_work_is_done_ends_with_the_works_status():
    """A Ctrl-C while Dask's cluster shut down, after batch had printed '3 done', made the exit status 130."""
    code = ("import signal\nfrom stylegram import cli\ncli._end_with_on_signal(3)\nprint('said', flush=False)\n"
            "signal.raise_signal(signal.SIGINT)\nprint('not reached')")
    ended = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ended.returncode == 3 and ended.stdout == "said\n", ended


def test_a_resume_refusal_says_not_set_for_an_option_the_checkpoint_lacks():
    import argparse

    from stylegram.commands.runner import check_resume_alone
    from stylegram.deepdream import DreamOptions

    args = argparse.Namespace(channels="3,4", given={"channels"}, resume="e.ckpt")
    with pytest.raises(OptionError) as err:
        check_resume_alone(args, DreamOptions())
    assert "--channels 3,4 (checkpoint: not set): a resumed run" in err.value.flagged  # was "(checkpoint: None)"


def test_resume_refuses_other_options_and_the_hint_keeps_what_the_run_records(tmp_path, capsys, monkeypatch):
    """--resume used to ignore --size and the like without a word, and the printed command dropped --log (and
    --explain: following it wrote no page)."""
    update = _interrupt_at(2, monkeypatch)
    out, log, page = tmp_path / "out.png", tmp_path / "losses.csv", tmp_path / "why.html"
    run = ["transfer", "sample:chelsea", "sample:swirls", "--quiet", "-o", str(out)]
    assert main([*run, "--size", "64", "--min-size", "64", "--iterations", "4", "--log", str(log), "--save-every", "1",
                 "--explain", str(page)]) == 130
    hint = capsys.readouterr().err.split("continue with: ")[1].strip()
    ckpt = tmp_path / "out.ckpt"
    assert hint == (f"stylegram transfer sample:chelsea sample:swirls -o {out} --save-every 1 --log {log} "
                    f"--explain {page} --resume {ckpt}")
    assert not page.exists()  # written when the run ends
    monkeypatch.setattr(Bar, "update", update)
    assert main([*run, "--resume", str(ckpt), "--size", "32", "--style-weight", "100"]) == 2
    assert (f"--size 32 (checkpoint: 64), --style-weight 100.0 (checkpoint: 10.0): a resumed run goes on with the options in "
            f"its checkpoint {ckpt}; drop them" in capsys.readouterr().err)
    assert main([*run, "--resume", str(ckpt), "--iterations", "auto", "--tv-weight", "10"]) == 2  # defaults, typed
    assert "--iterations auto (checkpoint: 4): a resumed run goes on" in capsys.readouterr().err  # tv: as saved, 10
    assert main([*run, "--resume", str(ckpt), "--upscale"]) == 2
    assert "--upscale (checkpoint: without it): a resumed run" in capsys.readouterr().err  # was 'upscale=True'
    assert main([*run, "--resume", str(ckpt), "--size", "64", "--log", str(log), "--save-every", "1", "--explain",
                 str(page)]) == 0  # as printed
    assert re.search(r"4 iterations, \d+\.\ds in all, \d+\.\ds of it this run", capsys.readouterr().out)  # was the whole time alone
    rows = log.read_text().splitlines()  # a header and every iteration, both runs', and each stage's end
    assert len(rows) == 1 + 4 + 2 and [row.split(",")[0] for row in rows[1:]] == ["1", "2", "2", "3", "4", "4"], rows
    assert "of the way to the style" in page.read_text()
    assert len(list((tmp_path / "out_steps").glob("iter_*.png"))) == 4


def test_sigterm_stops_as_ctrl_c_does(tmp_path, capsys, monkeypatch):
    """kill, timeout or a batch system's SIGTERM ended the run at once: no image, no checkpoint."""
    _interrupt_at(2, monkeypatch, signal.SIGTERM)
    out = tmp_path / "out.png"
    before = signal.getsignal(signal.SIGTERM)
    assert main(["transfer", "sample:chelsea", "sample:swirls", "--size", "48", "--min-size", "48", "--iterations", "5",
                 "--quiet", "-o", str(out)]) == 143  # 128 + SIGTERM, as a shell reports it (was Ctrl-C's 130)
    err = capsys.readouterr().err
    assert "terminated (SIGTERM): stopping after this iteration (a second SIGTERM or Ctrl-C to abort at once)" in err
    assert "interrupted at iteration 2" in err  # its advice was "Ctrl-C again", though none had been given
    assert out.exists() and (tmp_path / "out.ckpt").exists()
    assert signal.getsignal(signal.SIGTERM) is before  # handed back


def test_ctrl_c_at_a_coarse_scale_says_the_image_is_smaller(tmp_path, capsys, monkeypatch):
    """The image so far is the coarse scale's; the message said nothing, and a 48 px file for --size 96 looked wrong."""
    _interrupt_at(2, monkeypatch)
    out = tmp_path / "out.png"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "--size", "96", "--min-size", "48", "--iterations", "3,3",
                 "--quiet", "-o", str(out)]) == 130
    assert "image so far (48x32, a coarser scale than the 96x64 the run ends at)" in capsys.readouterr().err
    assert Image.open(out).size == (48, 32)


def test_ctrl_c_keeps_the_files_that_were_there_before_the_run(tmp_path, capsys, monkeypatch):
    """Trial AV: Ctrl-C replaced a finished picture at -o with 2 iterations' one, and notes kept as OUT.ckpt with a
    checkpoint. They are kept, the picture so far and the checkpoint written beside them, and the printed command
    goes on from there: its end is written to -o, as asked, and its checkpoint removed."""
    run = ["transfer", "sample:chelsea", "sample:swirls", "--size", "64", "--min-size", "64", "--iterations", "6",
           "--tolerance", "0"]
    out, notes = tmp_path / "out.png", tmp_path / "out.ckpt"
    out.write_bytes(b"a finished picture"), notes.write_text("my notes")
    update = _interrupt_at(3, monkeypatch)
    assert main([*run, "-o", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"stylegram: note: {notes} is there, perhaps the checkpoint of a run stopped with -o out.png" in err
    assert (f"image so far (64x43) written to {tmp_path / 'out.stopped.png'}, checkpoint to {tmp_path / 'out-1.ckpt'} "
            f"({out} and {notes}, there before this run, are kept); continue with: ") in err
    assert out.read_bytes() == b"a finished picture" and notes.read_text() == "my notes"
    assert np.asarray(Image.open(tmp_path / "out.stopped.png")).shape == (43, 64, 3)
    _interrupt_at(5, monkeypatch)  # the printed command, stopped again: it goes on writing the checkpoint it read
    assert main([*run, "-q", "-o", str(out), "--resume", str(tmp_path / "out-1.ckpt")]) == 130
    assert (f"written to {tmp_path / 'out.stopped.png'}, checkpoint to {tmp_path / 'out-1.ckpt'} ({out}, there before "
            "the run it goes on from, is kept); continue with") in capsys.readouterr().err
    assert notes.read_text() == "my notes" and out.read_bytes() == b"a finished picture"
    monkeypatch.setattr(Bar, "update", update)
    assert main([*run, "-q", "-o", str(out), "--resume", str(tmp_path / "out-1.ckpt")]) == 0
    assert Image.open(out).size == (64, 43) and not (tmp_path / "out-1.ckpt").exists() and notes.exists()
    assert f"removed {tmp_path / 'out-1.ckpt'}: the run it continued has ended" in capsys.readouterr().out


def test_ctrl_c_keeps_the_image_and_a_checkpoint_and_resume_finishes_the_run(tmp_path, capsys, monkeypatch):
    """The first Ctrl-C stops after the current iteration: exit 130, the image so far and a checkpoint written, a
    message that says how to go on; --resume with that checkpoint then ends where an uninterrupted run ends."""
    run = ["transfer", "sample:chelsea", "sample:swirls", "--size", "64", "--min-size", "64", "--iterations", "6",
           "--tolerance", "0", "--quiet"]
    assert main([*run, "-o", str(tmp_path / "whole.png")]) == 0
    update = Bar.update

    def interrupt_at_third(self, progress):
        update(self, progress)
        if progress.iteration == 3:
            signal.raise_signal(signal.SIGINT)  # what a terminal's Ctrl-C delivers

    monkeypatch.setattr(Bar, "update", interrupt_at_third)
    out = tmp_path / "out.png"
    capsys.readouterr()
    assert main([*run, "-o", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted at iteration 3; image so far (64x43) written to" in err
    assert f"--resume {tmp_path / 'out.ckpt'}" in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C is the user's again
    so_far = np.asarray(Image.open(out))
    assert so_far.shape == (43, 64, 3) and so_far.std() > 5
    assert not np.array_equal(so_far, np.asarray(Image.open(tmp_path / "whole.png")))  # three iterations short
    monkeypatch.setattr(Bar, "update", update)
    shutil.copy(tmp_path / "out.ckpt", tmp_path / "copy.ckpt")
    assert main([*run, "-o", str(out), "--resume", str(tmp_path / "out.ckpt")]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(tmp_path / "whole.png")))
    assert f"removed {tmp_path / 'out.ckpt'}: the run it continued has ended" in capsys.readouterr().out
    assert not (tmp_path / "out.ckpt").exists()  # spent; a copy resumed from is the user's, and stays
    assert main([*run, "-o", str(tmp_path / "again.png"), "--resume", str(tmp_path / "copy.ckpt")]) == 0
    said = capsys.readouterr().out
    assert (tmp_path / "copy.ckpt").exists() and "removed" not in said
    assert f"kept {tmp_path / 'copy.ckpt'}: it is not this output's own checkpoint (again.ckpt)" in said  # unsaid


def test_a_run_that_blows_up_keeps_the_last_good_image_and_says_what_to_lower(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), *FAST, "--style-weight", "1e38"])
    err = capsys.readouterr().err.strip()
    warned, said = err.splitlines()  # the weight's scale is warned of first
    assert "warning: --style-weight 1e+38 is 1e+38 times --content-weight" in warned
    assert code == 2 and "lower the learning rate or the weights" in said
    assert f"image so far: {out}, checkpoint: {tmp_path / 'out.ckpt'}" in err
    kept = np.asarray(Image.open(out))
    assert kept.shape == (43, 64, 3) and kept.std() > 5 and (tmp_path / "out.ckpt").exists()
    # overflowed before any step: no step size is to blame (it said "lower the learning rate" too)
    code = main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "o.png"), *FAST,
                 "--style-weight", "1e40"])
    said = capsys.readouterr().err
    assert code == 2 and "; lower the weights: no step had been taken at this size yet" in said, said


def test_a_style_image_enlarged_many_times_is_warned_of_in_both_doors(tmp_path, capsys):
    """A 6 px style at an output of 64 px is enlarged 11x: the run goes on, but says its strokes will be blur (it
    used to finish silently with a flat, blurred picture); 16 px (4x) is not warned of."""
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(tmp_path / "tiny.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / "s.png")
    assert main(["transfer", "sample:chelsea", str(tmp_path / "tiny.png"), "-o", str(tmp_path / "out.png"), *FAST]) == 0
    assert capsys.readouterr().err.strip() == (
        "stylegram: warning: style image 1 is 6x6 px and is enlarged 11x to 64x64 (the output's long side times "
        "--style-scale), so its strokes come out as blur: give a larger style image, or a smaller --style-scale or "
        "--size")
    assert Image.open(tmp_path / "out.png").size == (64, 43)
    with pytest.warns(stylegram.errors.StylegramWarning, match=r"enlarged 5x to 32x32 .* a smaller style_scale or size"):
        stylegram.transfer("sample:chelsea", tmp_path / "tiny.png", size=64, style_scale=0.5, method="adain")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stylegram.transfer("sample:chelsea", tmp_path / "s.png", size=64, method="adain")


def test_a_warning_given_again_in_one_run_is_heard_once():
    """A run in tiles prepares a run per tile, and each warned of the same small style: five lines for five tiles."""
    heard = []
    with warnings_to(heard.append):
        for message in ["style image 1 is small", "style image 2 is small", "style image 1 is small"]:
            warn(message)
    assert heard == ["style image 1 is small", "style image 2 is small"]


@pytest.mark.parametrize("method", ["adain", "wct"])
def test_feed_forward_methods(method, tmp_path):
    out = tmp_path / f"{method}.png"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), "--method", method, "--size", "96"]) == 0
    assert Image.open(out).size == (96, 64)


def test_layers_lists_names_channels_strides(capsys):
    assert main(["layers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["layer", "channels", "stride"]
    assert "relu4_2 512 8" in [" ".join(line.split()) for line in lines]


@pytest.mark.parametrize("module", ["stylegram", "stylegram.cli"])  # python -m stylegram: what many users type first
def test_console_script_runs_as_a_process(tmp_path, module):
    """No traceback reaches a user of the installed command, and Ctrl-C-free runs exit 0."""
    proc = subprocess.run(
        [sys.executable, "-m", module, "transfer", str(tmp_path / "missing.png"), "sample:swirls", "-o",
         str(tmp_path / "o.png")], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no such file" in proc.stderr


@pytest.mark.parametrize("args", [
    ["grams", "sample:chelsea", "--layer", "relu1_1", "--columns", "0", "-o", "g.png"],  # was clamped to 1
    ["report", "a", "b", "--top", "0", "-o", "r.html"],  # the same option, named as in features
    ["features", "sample:chelsea", "--layer", "relu1_1", "--dreams", "--dream-size", "0", "-o", "f.png"],  # was 224
])
def test_counts_and_sizes_below_one_are_refused_by_the_parser(args, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert "'0' is not a whole number >= 1" in capsys.readouterr().err


def test_version_names_stylegram_torch_and_python(capsys):
    import platform

    import torch

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    first, second = capsys.readouterr().out.strip().split("\n")
    assert first == f"stylegram {stylegram.__version__} (torch {torch.__version__}, Python {platform.python_version()})"
    chosen = stylegram.precision.resolve("auto")
    assert second.startswith(f"this machine: --precision auto runs {chosen} (")
    threads = torch.get_num_threads()
    assert second.endswith(f"), {threads} thread{'s' * (threads != 1)}")  # '1 threads' under pytest -n 2


def test_ctrl_c_while_the_commands_load_is_one_line(capsys, monkeypatch):
    """Ctrl-C in a command's first second (its modules, torch, loading) printed an import's traceback."""
    import stylegram.cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(stylegram.cli, "build_parser", interrupted)
    assert main(["transfer", "a.png", "b.png", "-o", "c.png"]) == 130
    assert capsys.readouterr().err == "stylegram: interrupted\n"


def test_importing_stylegram_leaves_torch_until_a_front_door_is_used():
    code = "import sys, stylegram; print('torch' in sys.modules); stylegram.gram; print('torch' in sys.modules)"
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert said == ["False", "True"]


def test_the_list_of_commands_loads_no_command_and_a_command_only_its_own():
    """`stylegram --help` took 1.5 s importing every command's module and torch to print sixteen lines."""
    code = ("import sys\nfrom stylegram.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m.split('.')[-1] for m in sys.modules if m.startswith('stylegram.commands.')), "
            "'torch' in sys.modules, file=sys.stderr)")
    listed = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, check=True)
    assert listed.stderr == "[] False\n"
    assert "transfer     style transfer: the content" in listed.stdout and "rank-layers" in listed.stdout
    one = subprocess.run([sys.executable, "-c", code, "layers", "--help"], capture_output=True, text=True, check=True)
    # classic: the table of the classic tools' option names, read before a command's options are
    assert one.stderr.startswith("['classic', 'common', 'layers'] ") and "usage: stylegram layers" in one.stdout


@pytest.mark.parametrize("typed, said", [
    ("transfr", "unknown command 'transfr'; did you mean transfer?"),
    ("rank_layers", "unknown command 'rank_layers'; did you mean rank-layers?"),
    ("stylize", "unknown command 'stylize'; 'stylegram --help' lists the commands"),
    # the classic tools' way, with no command: it said 'did you mean samples?', or argparse's 'invalid choice'
    ("sample:chelsea", "sample:chelsea is a picture, not a command; name the command first: stylegram transfer CONTENT "
                       "STYLE -o OUT.png ('stylegram --help' lists the commands)"),
    ("photo.JPG", "photo.JPG is a picture, not a command; name the command first: stylegram transfer"),
    ("-content_image", "-content_image is an option, and the command comes first: stylegram transfer CONTENT STYLE -o "
                       "OUT.png ('stylegram --help' lists the commands); -content_image: images are given without a "
                       "flag"),
    ("--gpu", "--gpu is an option, and the command comes first: stylegram transfer"),
])
def test_a_mistyped_command_is_named_with_the_one_meant(typed, said, capsys):
    with pytest.raises(SystemExit) as stop:
        main([typed, "a.png", "-o", "b.png"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and f"stylegram: error: {said}" in err and err.endswith("\n"), err


def test_a_folder_as_the_content_points_to_batch(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    assert main(["transfer", str(tmp_path / "photos"), "sample:swirls", "-o", str(tmp_path / "o.png")]) == 2
    assert capsys.readouterr().err.strip().endswith(
        f"is a folder; give an image inside it, or stylize every image in it with 'stylegram batch "
        f"{tmp_path / 'photos'} --style sample:swirls --method gatys -o OUT_DIR/'")
    assert not (tmp_path / "o.png").exists()


def test_no_command_lists_the_commands_and_fails(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: stylegram")
    assert "transfer     style transfer" in err and "--version" in err


@pytest.mark.parametrize("args, said", [
    (["transfer", "a.png", "b.png", "-o", "o.png", "--sise", "64"], "arguments: --sise 64 (did you mean --size?)"),
    (["transfer", "a.png", "b.png", "-o", "o.png", "--style-weigth=3"], "arguments: --style-weigth=3 (did you mean --style-weight?)"),
    (["dream", "photo.jpg", "--layer", "relu4_1", "-o", "o.png"],
     "arguments: photo.jpg (a picture to start from is given as --image photo.jpg)"),
    (["dream", "--octavs", "2", "--layer", "relu4_1", "-o", "o.png"], "arguments: --octavs 2 (did you mean --octaves?)"),
    (["report", "a/", "b/", "--channels", "3,4", "-o", "r.html"],  # its old name for --top, a count
     "arguments: --channels 3,4 (report's --channels is now --top N, how many of the strongest channels it shows; "
     "chosen channels, e.g. 3,4, are shown by stylegram features --channels 3,4)"),
    (["batch", "in/", "--style", "s.png", "-o", "out", "--init", "adain"],
     "arguments: --init adain (batch has no --init: each picture starts as transfer's --init auto starts it, and a "
     "video's frames from the one before, moved along the motion)"),  # was: did you mean --min-size?
    (["texture", "sample:brick", "--style-layers", "relu1_1", "--style-masks", "m.png", "-o", "o.png"],
     "arguments: --style-layers relu1_1 --style-masks m.png (--style-layers: did you mean --layers?; "
     "--style-masks: did you mean --masks?)"),
])
def test_unknown_arguments_are_refused_by_the_command_with_what_was_meant(args, said, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.startswith(f"usage: stylegram {args[0]} ")  # was the top level's usage
    assert err.endswith(f"stylegram {args[0]}: error: unrecognized {said}\n'stylegram {args[0]} --help' lists every "
                        "option\n")


@pytest.mark.parametrize("typed, said", [
    (["--step-size", "0.02"], "unrecognized arguments: --step-size 0.02 (the step size is --lr, for pixels in 0..1: "
                              "a classic tool's Adam learning rate of 10, for 0..255, is 0.04 here"),  # was --size
    (["--style_blend_weights", "1,2"], "(each style's weight is --style-blend W1,W2, in the order of the styles)"),
    (["--gpu", "0"], "(stylegram runs on the CPU, in bfloat16 where the CPU has it ('stylegram --version' says "
                     "which), and has no GPU or device option: drop it)"),  # was: did you mean --output?
    (["--model_file", "vgg.pth"], "(a network's weights file is --weights FILE, and --backbone picks the network)"),
    (["--print_iter", "50"], "(the progress bar shows the losses (on a terminal each iteration, in a file a line "
                             "every 10 s), and --log CSV keeps every iteration's)"),
    (["--normalize_gradients"], "(stylegram has none: its loss terms are relative errors, each about 1 at the start"),
    (["-output_image", "out.png"], "error: -output_image: the output file is -o OUT.png"),  # was read as -o
    (["-gpu", "0"], "error: -gpu: stylegram runs on the CPU"),  # not how -style_weight is written (trial AJ)
    (["-style_weight", "5"], "error: -style_weight: stylegram's options are written with two dashes and hyphens "
                             "(--style-weight, not -style_weight); did you mean --style-weight?"),
    (["-seed", "3"], "did you mean --seed?"),
    (["-tv_weight", "3"], "two dashes and hyphens (--tv-weight, not -tv_weight)"),  # the word's own, not the example
    (["--brush-size", "5"], "(the strokes' size follows the style image's, --style-scale S times the output's: below 1 "
                            "finer, above 1 coarser)"),  # was: did you mean --size? (trial R)
    (["--strenght", "0.5"], "(the style's strength is --style-weight for --method gatys, --alpha (0 to 1) for adain "
                            "and wct)"),  # a slip of a classic name: was 'did you mean --tv-weight?' (trial S)
    (["--styles-weight", "5"], "(did you mean --style-weight?)"),
    (["--lbfgs"], "(the optimizer is --optimizer lbfgs (the default) or --optimizer adam)"),  # was: did you mean --log?  # ours first, not the classic style-weights
    (["--style-scale", "0.5,1"], "error: argument --style-scale: '0.5,1' is not a number; it takes one number, for "
                                 "every style (or example) alike"),  # was: invalid float value
    # crowsonkb's style-transfer-pytorch (trial AT): the closest spellings were --decay, --pooling and --iterations
    (["--avg-decay", "3"], "(stylegram writes the last iterate, not an average of them"),
    (["--proof", "p.png"], "(--save-every N writes the picture every N iterations, into --save-dir)"),
    (["--initial-iterations", "10"], "(the coarsest scale's iterations are the first count of --iterations FIRST,REST"),
    (["--web"], "(the browser page is a command of its own: stylegram serve)"),
    (["--style-size", "128"], "(the style's size is --style-scale, a ratio to the output's size (0.5 to 2 are "
                              "typical), not pixels)"),
])
def test_the_classic_tools_options_are_pointed_at_stylegrams(typed, said, capsys):
    """jcjohnson's and the PyTorch tutorial's names: the closest spelling had pointed --gpu at --output and
    --step-size at --size, and -output_image was read as -o with the value 'utput_image'."""
    with pytest.raises(SystemExit) as stop:
        main(["transfer", "a.png", "b.png", "-o", "o.png", *typed])
    assert stop.value.code == 2 and said in capsys.readouterr().err


@pytest.mark.parametrize("typed, said", [
    (["in", "--style-image", "sample:mosaic"], "required: --style (--style-image: the style images are --style S "
                                               "[S ...], and the pictures to stylize are given without a flag: "
                                               "stylegram batch INPUT [INPUT ...] --style S -o OUT_DIR)"),
    (["in", "sample:swirls"], "required: --style (the style images are given with --style S [S ...]; the names without "
                              "a flag are the pictures to stylize)"),  # it said no more (trial AT)
])
def test_batch_says_its_styles_are_given_with_style(typed, said, capsys):
    """transfer's hint, 'images are given without a flag: stylegram transfer CONTENT STYLE', was batch's too."""
    with pytest.raises(SystemExit) as stop:
        main(["batch", *typed, "-o", "out"])
    assert stop.value.code == 2 and said in capsys.readouterr().err


@pytest.mark.parametrize("typed, said", [
    (["--alpha", "0.5"], "--alpha 0.5 (texture has no --alpha: the style strength of adain and wct"),  # did you mean --help?
    (["--colors", "luminance"], "(texture has no --colors: it has no content picture whose colours to keep"),  # --lr?
    (["--style-scale", "2"], "(texture's counterpart is --example-scale"),
])
def test_transfers_options_given_to_texture_say_what_texture_has_instead(typed, said, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["texture", "sample:gravel", "-o", "t.png", *typed])
    assert stop.value.code == 2 and said in capsys.readouterr().err  # trial AA


def test_the_classic_tools_random_start_is_pointed_at_noise():
    with pytest.raises(OptionError, match="nor an image file; did you mean noise"):
        stylegram.prepare_transfer("sample:chelsea", "sample:swirls", init="random")


def test_a_misspelled_choice_gets_what_was_meant(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["transfer", "a.png", "b.png", "-o", "o.png", "--colors", "lumninance"])
    assert stop.value.code == 2 and "argument --colors: invalid choice: 'lumninance' (choose from " in \
        (err := capsys.readouterr().err) and err.splitlines()[1].endswith("'luminance'); did you mean luminance?")


@pytest.mark.parametrize("flag, value, meant", [
    ("--colors", "preserve", "original (or luminance, which also keeps the content's colours)"),  # got the list alone
    ("--colors", "yiq", "luminance"),
    ("--pooling", "average", "avg"),
])
def test_a_choice_named_as_other_tools_name_it_gets_stylegrams_name(flag, value, meant, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["transfer", "a.png", "b.png", "-o", "o.png", flag, value])
    assert stop.value.code == 2 and capsys.readouterr().err.splitlines()[1].endswith(f"; did you mean {meant}?")
    if flag == "--colors":  # Python's check says the same
        with pytest.raises(OptionError, match=re.escape(f"colors='{value}' is not one of style, match, original, "
                                                         f"luminance; did you mean {meant}?")):
            stylegram.prepare_transfer("sample:chelsea", "sample:swirls", colors=value, size=32)


@pytest.mark.parametrize("command", ["transfer", "dream"])
def test_a_width_and_height_for_a_long_side_say_what_size_means(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, *(["a.png", "b.png"] if command == "transfer" else ["--layer", "relu3_1"]), "-o", "o.png",
              "--size", "640x480"])
    assert stop.value.code == 2 and (f"stylegram {command}: error: argument --size: '640x480' gives a width and a "
                                      "height, but --size is the output's long side (its aspect is the picture's): "
                                      "give one number, e.g. 640\n") in capsys.readouterr().err


@pytest.mark.parametrize("args, usage, missing", [
    (["transfer", "sample:chelsea", "sample:swirls"], "transfer [-h] content style [style ...] -o OUTPUT [options]",
     "-o/--output"),
    (["batch", "clips/"], "batch [-h] INPUT [INPUT ...] --style STYLE -o OUT_DIR [options]", "--style, -o/--output"),
    (["explain", "a.png", "b.png", "c.png"], "explain [-h] CONTENT STYLE [STYLE ...] RESULT -o OUT.html [options]",
     "-o/--output"),  # a command's own usage where it has one
    (["grams", "sample:brick", "--layr", "relu3_1", "-o", "g.png"],
     "grams [-h] IMAGES_OR_FOLDERS [IMAGES_OR_FOLDERS ...] --layer LAYER -o OUTPUT [options]",
     "--layer (--layr: did you mean --layer?)"),  # the misspelling was not named: only the option it missed
])
def test_a_missing_argument_shows_a_short_usage_not_every_option(args, usage, missing, capsys):
    """A transfer without -o printed 35 lines of every option's usage before the one line that said what was missing."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    lines = capsys.readouterr().err.splitlines()
    assert stop.value.code == 2 and lines[0] == f"usage: stylegram {usage}"
    assert lines[-2:] == [f"stylegram {args[0]}: error: the following arguments are required: {missing}",
                          f"'stylegram {args[0]} --help' lists every option"]
    assert len(lines) <= 5


def test_no_help_text_shows_a_default_of_none():
    from stylegram.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict)).choices
    assert {"transfer", "texture", "dream", "batch", "report"} <= set(commands)
    for name, sub in commands.items():
        text = sub.format_help()
        assert "default: None" not in text, name  # say what happens instead (dream --iterations did not)


def test_help_that_lists_a_flags_choices_lists_all_of_them():
    """A help text that spells out the choices in words must not fall behind them (texture's --padding had)."""
    from stylegram.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict)).choices
    checked = 0
    for name, sub in commands.items():
        for action in sub._actions:
            words = set(re.findall(r"[\w-]+", (action.help or "").split("(default")[0]))
            if action.choices and len(set(action.choices) & words) >= 2:  # the text enumerates them
                missing = set(action.choices) - words
                assert not missing, f"{name} {action.option_strings[0]}: help omits {sorted(missing)}"
                checked += 1
    assert checked >= 10


def test_one_pass_methods_refuse_the_options_of_iterations(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["transfer", "sample:chelsea", "sample:swirls", "--method", "wct", "--log", str(tmp_path / "l.csv"),
                 "--checkpoint", str(tmp_path / "c.ckpt"), "-o", str(out)])
    assert code == 2 and not out.exists()
    assert ("--checkpoint and --log record iterations, and --method wct makes one pass without any; drop them or use "
            "--method gatys") in capsys.readouterr().err


def test_an_unread_option_typed_at_its_default_is_refused_too(tmp_path, capsys):
    """--method adain --style-weight 10 said nothing, since 10 is the default, where --style-weight 5 was refused; so
    did a Gatys run's --alpha 1 beside --alpha 0.5's refusal."""
    out = tmp_path / "out.png"
    one_pass = ["transfer", "sample:chelsea", "sample:swirls", "--method", "adain", "--size", "64", "-o", str(out)]
    assert main([*one_pass, "--style-weight", "10", "--init", "auto", "--alpha", "1"]) == 2 and not out.exists()
    assert ("--init, --style-weight apply to --method gatys only; --method adain makes one pass with its own VGG19 "
            "encoder and decoder: drop them") in capsys.readouterr().err  # --alpha is adain's own
    gatys = ["transfer", "sample:chelsea", "sample:swirls", "--size", "64", "--iterations", "2", "-o", str(out)]
    assert main([*gatys, "--alpha", "1"]) == 2 and not out.exists()
    assert "--alpha 1.0 is the style strength of --method adain and wct" in capsys.readouterr().err
    assert main([*gatys, "--optimizer", "adam", "--history", "100"]) == 2
    assert "--history is L-BFGS's memory, and --optimizer is adam, so it would be ignored" in capsys.readouterr().err
    assert main([*gatys, "--init", "adain", "--alpha", "1", "--style-weight", "10"]) == 0 and out.exists()


@pytest.mark.parametrize("command", ["transfer", "texture", "sweep", "texture-sweep", "dream"])
def test_help_lists_every_option_once_under_what_it_is_about(command, capsys):
    import dataclasses

    from stylegram.commands import dream, texture, transfer
    from stylegram.deepdream import DreamOptions
    from stylegram.gatys import TransferOptions
    from stylegram.synthesis import TextureOptions

    groups, options = {"transfer": (transfer.GROUPS, TransferOptions), "sweep": (transfer.GROUPS, TransferOptions),
                       "texture": (texture.GROUPS, TextureOptions), "texture-sweep": (texture.GROUPS, TextureOptions),
                       "dream": (dream.GROUPS, DreamOptions)}[command]
    grouped = [name for names in groups.values() for name in names]
    assert sorted(grouped) == sorted(f.name for f in dataclasses.fields(options))  # each in one group, none left out
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    sections = {part.split(":\n", 1)[0]: re.findall(r"^  (--[a-z-]+)", part, flags=re.M)
                for part in re.split(r"\n(?=[a-z][^\n]*:\n)", text)}  # {title: its flags}
    assert [title for title in sections if title in groups] == list(groups)  # the groups in their order
    for title, names in groups.items():
        defaults = options()
        assert sections[title] == [("--no-" if getattr(defaults, name) is True else "--") + name.replace("_", "-")
                                   for name in names], title


def test_a_second_ctrl_c_aborts_at_once_yet_keeps_the_picture_so_far(tmp_path, capsys, monkeypatch):
    """A second Ctrl-C (an iteration at 2048 px takes seconds) raised through the run and kept nothing, not even the
    picture of the iterations before it."""
    from stylegram.commands import runner

    update = Bar.update

    def interrupt_twice_at_third(self, progress):
        update(self, progress)
        if progress.iteration == 3:
            signal.raise_signal(signal.SIGINT)  # stop after this iteration...
            signal.raise_signal(signal.SIGINT)  # ...no: at once

    monkeypatch.setattr(Bar, "update", interrupt_twice_at_third)
    run = ["transfer", "sample:chelsea", "sample:swirls", "--size", "64", "--min-size", "64", "--iterations", "6",
           "--tolerance", "0", "--quiet"]
    out = tmp_path / "out.png"
    assert main([*run, "-o", str(out)]) == 130
    err = capsys.readouterr().err
    assert (f"aborted during iteration 4; the picture as it stood (64x43) written to {out}; no checkpoint, as the "
            "optimizer was mid-step") in err
    assert "interrupted at iteration" not in err and not (tmp_path / "out.ckpt").exists()
    so_far = np.asarray(Image.open(out))
    assert so_far.shape == (43, 64, 3) and so_far.std() > 5
    monkeypatch.setattr(runner, "CHECKPOINT_EVERY", 2)
    assert main([*run, "-o", str(out), "--checkpoint", str(tmp_path / "c.ckpt")]) == 130
    assert f"the checkpoint {tmp_path / 'c.ckpt'} holds an earlier iteration" in capsys.readouterr().err


def test_the_log_is_rewritten_as_the_run_goes(tmp_path, monkeypatch):
    """--log was written only at the end (or at Ctrl-C): a run killed, or aborted by a second Ctrl-C, left none."""
    from stylegram.commands import runner

    seen = []
    real = runner.write_log
    monkeypatch.setattr(runner, "CHECKPOINT_EVERY", 2)
    monkeypatch.setattr(runner, "write_log", lambda state, path, problem: (
        seen.append([row["iteration"] for row in state.history]), real(state, path, problem)))
    log = tmp_path / "losses.csv"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "out.png"), *FAST,
                 "--log", str(log)]) == 0
    assert seen == [[1, 2], [1, 2, 3]]  # at iteration 2, then at the end
    assert len(log.read_text().splitlines()) == 6  # and a row for each stage's end


def test_seed_minus_one_draws_a_seed_and_says_it(tmp_path, capsys):
    """The classic tools' -seed -1: a random seed, printed, so that the picture can be made again."""
    run = ["texture", "sample:gravel", "--size", "32", "--min-size", "32", "--iterations", "2", "--quiet"]
    assert main([*run, "--seed", "-1", "-o", str(tmp_path / "drawn.png")]) == 0
    drawn = re.search(r"--seed -1: drew --seed (\d+) \(give it to make the same picture again\)", capsys.readouterr().err)
    assert drawn is not None
    assert main([*run, "--seed", drawn[1], "-o", str(tmp_path / "again.png")]) == 0
    assert (tmp_path / "drawn.png").read_bytes() == (tmp_path / "again.png").read_bytes()
    assert main([*run, "--seed", "-2", "-o", str(tmp_path / "bad.png")]) == 2  # only -1 means 'draw one'
    assert "--seed must be a whole number from 0" in capsys.readouterr().err


def test_a_seed_that_changes_nothing_is_said(tmp_path, capsys):
    """--seed 1 and --seed 2 made the same bytes from the default start, and '--seed -1: drew --seed N' implied they
    would not (trial O); from noise, or with a statistic that samples, the seed matters and nothing is said."""
    run = ["transfer", "sample:chelsea", "sample:swirls", "--size", "48", "--min-size", "48", "--iterations", "1",
           "--quiet", "-o", str(tmp_path / "o.png")]
    assert main([*run, "--seed", "3"]) == 0
    assert ("warning: --seed 3 changes nothing here: the start (--init auto) and --statistic gram draw no random number, "
            "so every seed gives the same picture; it matters with --init noise") in capsys.readouterr().err
    assert main([*run, "--seed", "3", "--init", "noise"]) == 0
    assert main([*run, "--seed", "3", "--statistic", "mmd-gauss"]) == 0
    assert main(run) == 0  # the default seed, not typed
    assert "--seed" not in capsys.readouterr().err
    assert main([*run, "--seed", "-1"]) == 0  # drew a seed, asked to write it down, then said it did nothing (trial R)
    said = capsys.readouterr().err
    assert "warning: --seed -1 changes nothing here: the start (--init auto)" in said and "drew" not in said


def test_a_style_scale_in_pixels_is_said_to_be_a_ratio(tmp_path, capsys):
    """--style-scale 128 (crowsonkb's --style-size habit) was refused with 'the largest --style-scale that fits is
    about 30.00', which read as a fair value (trial AT)."""
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "o.png"), *FAST,
                 "--style-scale", "128", "--max-memory", "1"]) == 2
    err = capsys.readouterr().err
    assert "the largest --style-scale that fits is about" in err and err.rstrip().endswith(
        "; --style-scale is a ratio to the output's size (0.5 to 2 are typical), not pixels"), err
