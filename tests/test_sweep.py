"""Sweeps: a transfer per combination of some options' values, on one contact sheet."""

import dataclasses
import os
import re
import signal

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFont

from stylegram import gatys, sweeps
from stylegram.cli import main
from stylegram.errors import OptionError
from stylegram.images import save_image, to_image
from stylegram.job import Result

TINY = dict(size=64, min_size=64, iterations="4")


def test_combinations_take_every_value_the_last_option_fastest():
    cells = sweeps.combinations({"style_weight": [1, 10], "statistic": ["gram", "mmd-poly", "meanstd"]})
    assert cells[:4] == [{"style_weight": 1, "statistic": "gram"}, {"style_weight": 1, "statistic": "mmd-poly"},
                         {"style_weight": 1, "statistic": "meanstd"}, {"style_weight": 10, "statistic": "gram"}]
    assert len(cells) == 6


@pytest.mark.parametrize("vary, words", [
    ({}, "at least one option to vary"),
    ({"style_wieght": [1, 2]}, "vary names 'style_wieght', and no transfer option has that name; did you mean "
                               "style_weight"),
    ({"style-weight": [1, 2]}, "did you mean style_weight"),  # the command line's spelling
    ({"style_weight": 5}, r"vary\['style_weight'\] needs a list of values, e.g. \[1, 10\], got 5"),  # was --vary
    ({"seed": list(range(9)), "style_weight": list(range(8))}, "72 runs, more than 64"),
])
def test_what_cannot_be_swept_is_named(vary, words):
    with pytest.raises(OptionError, match=words):
        sweeps.combinations(vary)


def test_each_value_takes_effect_and_a_network_is_loaded_once(vgg, chelsea):
    content = torch.nn.functional.interpolate(chelsea, size=(43, 64), mode="area")
    planned = sweeps.plan(content, "sample:swirls", {"style_weight": [0.01, 100.0], "pooling": ["max", "avg"]},
                          **TINY)
    networks = [p.job.problem.backbone for p in planned]
    assert networks[0] is networks[2] and networks[1] is networks[3] and networks[0] is not networks[1]
    cells = sweeps.sweep(content, "sample:swirls", {"style_weight": [0.01, 100.0]}, model=vgg, init="content", **TINY)
    assert [c.changes for c in cells] == [{"style_weight": 0.01}, {"style_weight": 100.0}]
    moved = [float((c.result.image - content).abs().mean()) for c in cells]
    assert moved[1] > 2 * moved[0]  # the heavier style pulls the picture much farther from the photo
    assert cells[1].caption.startswith("style-weight 100 · ") and cells[1].slug == "style-weight=100"


def test_progress_shows_the_command_lines_bar_and_is_off_by_default(vgg, chelsea, capsys):
    content = torch.nn.functional.interpolate(chelsea, size=(43, 64), mode="area")
    quiet = sweeps.sweep(content, "sample:swirls", {"style_weight": [0.01, 100.0]}, model=vgg, **TINY)
    assert capsys.readouterr().err == ""
    heard = []
    shown = sweeps.sweep(content, "sample:swirls", {"style_weight": [0.01, 100.0]}, model=vgg, progress=True,
                         on_progress=lambda number, record: heard.append(number), **TINY)
    lines = capsys.readouterr().err.strip().splitlines()  # off a terminal: log lines, at most one every 10 s
    assert lines[0].startswith("sweep: 0/2 pictures (0%)") and lines[-1].startswith("sweep: 2/2 pictures (100%)")
    assert heard == [0] * 4 + [1] * 4  # the caller's own listener still hears each iteration
    assert all(torch.equal(a.result.image, b.result.image) for a, b in zip(quiet, shown))  # the bar only watches


def test_varying_the_method_gives_each_only_what_it_reads_and_repeats_no_run(chelsea):
    content = torch.nn.functional.interpolate(chelsea, size=(64, 96), mode="area")
    planned = sweeps.plan(content, "sample:swirls", {"method": ["gatys", "adain"], "style_weight": [1.0, 50.0]},
                          **TINY)
    assert [p.changes for p in planned] == [{"method": "gatys", "style_weight": 1.0},
                                            {"method": "gatys", "style_weight": 50.0},
                                            {"method": "adain"}, {"method": "adain"}]
    assert planned[2].one_pass is not None and planned[3].same_as == 2  # AdaIN reads no style weight: one pass
    assert planned[3].repeats == "adain reads no style-weight" and not planned[2].repeats
    assert planned[0].job.options.style_weight == 1.0 and planned[1].job.options.style_weight == 50.0


def test_an_option_the_others_make_a_run_ignore_is_left_out_of_its_cells(chelsea):
    """Trial AT: '--vary history 5 20 --vary optimizer lbfgs adam' was refused whole (--history with adam); adam's
    cell reads no history, so it is made once and its second is the same picture, said so, as a method's would be."""
    content = torch.nn.functional.interpolate(chelsea, size=(64, 96), mode="area")
    planned = sweeps.plan(content, "sample:swirls", {"history": [5, 20], "optimizer": ["lbfgs", "adam"]}, **TINY)
    assert [p.changes for p in planned] == [{"history": 5, "optimizer": "lbfgs"}, {"optimizer": "adam"},
                                            {"history": 20, "optimizer": "lbfgs"}, {"optimizer": "adam"}]
    assert planned[3].same_as == 1 and planned[3].repeats == "optimizer adam reads no history"
    assert planned[1].job.options.history == gatys.TransferOptions.history  # as gatys takes it: unread, at its default
    assert planned[2].job.options.history == 20
    fixed = sweeps.plan(content, "sample:swirls", {"optimizer": ["lbfgs", "adam"]}, history=5, **TINY)  # for lbfgs
    assert [p.job.options.history for p in fixed] == [5, gatys.TransferOptions.history]
    with pytest.raises(OptionError, match=r"^history is varied, but optimizer adam reads no history, so its pictures "
                                          r"would be copies; drop the vary history$"):
        sweeps.plan(content, "sample:swirls", {"history": [5, 20]}, optimizer="adam", **TINY)


@pytest.mark.parametrize("vary, keywords, words", [
    ({"method": ["adain", "wct"], "style_weight": [1, 10]}, {},  # made each method's picture twice over
     "style_weight is varied, but no method varied (adain, wct) reads it, so its pictures would be copies"),
    ({"seed": [1, 2]}, {},  # the same picture twice from the content
     "seed is varied, but the start (init auto) and statistic gram draw no random number, so every seed gives the "
     "same picture; it matters with init noise or a statistic that samples (mmd-poly, mmd-gauss, mrf); drop the "
     "vary seed"),
    ({"seed": [1, 2]}, {"init": torch.full((1, 3, 43, 64), 0.5)}, "seed is varied, but the start (init an image)"),
    ({"style_weight": [1, 10]}, {"style_weight": 3},  # the keyword was dropped without a word
     "style_weight is given as a keyword (style_weight=3) and varied; drop one of them"),
])
def test_a_sweep_of_copies_or_of_a_value_given_twice_is_refused(vary, keywords, words, chelsea):
    """Trial U: each of these made a sheet whose pictures did not differ as their captions said."""
    with pytest.raises(OptionError, match=re.escape(words)):
        sweeps.plan(chelsea, "sample:swirls", vary, **{**TINY, **keywords})
    sweeps.plan(chelsea, "sample:swirls", {"seed": [1, 2]}, **{**TINY, "init": "noise"})  # there it matters


def test_options_no_method_varied_reads_are_refused(chelsea):
    """'--vary method adain wct --style-weight 100' ran, its sheet's header naming a weight neither picture used
    (transfer --method adain refuses it)."""
    with pytest.raises(OptionError, match=re.escape("style_weight, iterations are read by no method varied (adain, "
                                                    "wct), so they would change nothing; drop them")):
        sweeps.plan(chelsea, "sample:swirls", {"method": ["adain", "wct"]}, size=32, style_weight=100, iterations="3")
    with pytest.raises(OptionError, match=re.escape("alpha is read by no method varied (gatys)")):
        sweeps.plan(chelsea, "sample:swirls", {"method": ["gatys"], "style_weight": [1, 10]}, alpha=0.5, **TINY)
    planned = sweeps.plan(chelsea, "sample:swirls", {"method": ["adain", "gatys"]}, **TINY)  # gatys reads them
    assert planned[1].job.options.iterations == TINY["iterations"]


def test_files_of_one_name_in_two_folders_are_told_apart(tmp_path):
    """Both were captioned 'style swirls.png', and their cells shared one file, 'style=swirls.png.png'."""
    (tmp_path / "v1").mkdir(), (tmp_path / "v2").mkdir()
    for folder in ("v1", "v2"):
        save_image(torch.rand(1, 3, 32, 32), tmp_path / folder / "swirls.png")
    given = [str(tmp_path / "v1" / "swirls.png"), str(tmp_path / "v2" / "swirls.png"), "sample:mosaic"]
    cells = sweeps.combinations({"style": given}, inputs=["style"])
    assert [sweeps.values(c) for c in cells] == ["style v1/swirls.png", "style v2/swirls.png", "style sample:mosaic"]
    assert [sweeps.slug(c) for c in cells] == ["style=v1-swirls", "style=v2-swirls", "style=sample-mosaic"]
    assert [c["style"] for c in cells] == given  # the paths themselves, as given
    assert sweeps.values({"style": given[0]}) == "style swirls.png"  # one of its name: its name alone


def test_a_bad_value_is_refused_before_any_run_naming_it(chelsea):
    ran = []
    with pytest.raises(OptionError, match=r"size must be .* got 0 \(in the run with size 0\)"):
        sweeps.sweep(chelsea, "sample:swirls", {"size": [64, 0]}, on_cell=ran.append, min_size=64, iterations="2")
    assert ran == []
    with pytest.raises(OptionError, match=r"vary is a list; give a dict of option -> values"):  # was a TypeError
        sweeps.sweep(chelsea, "sample:swirls", [("style_weight", [1, 10])], on_cell=ran.append)


def _cell(colour: tuple[float, float, float], caption_seconds: float = 1.5) -> sweeps.Cell:
    image = torch.tensor(colour).view(1, 3, 1, 1).expand(1, 3, 20, 30).clone()
    return sweeps.Cell({"style_weight": caption_seconds}, Result(image, [], None, caption_seconds))


def test_the_sheet_puts_each_picture_in_its_row_and_column_above_its_caption():
    cells = [_cell((1, 0, 0)), _cell((0, 1, 0)), _cell((0, 0, 1))]
    sheet = np.asarray(sweeps.contact_sheet(cells, columns=2))
    m = sweeps.MARGIN
    width = (sheet.shape[1] - m) // 2 - m  # two columns, as wide as the word "style-weight" (the pictures: 30 px)
    assert 60 < width < 120 and sheet.shape[1] == m + 2 * (width + m)
    left = m + (width - 30) // 2  # each picture centred in its column
    assert tuple(sheet[m, left]) == (255, 0, 0) and tuple(sheet[m, left + width + m]) == (0, 255, 0)
    height = (sheet.shape[0] - m) // 2 - m  # two rows
    assert tuple(sheet[m + height + m, left]) == (0, 0, 255)
    caption = sheet[m + 20: m + height, m: m + width]
    assert caption.min() < 128 and (sheet[:, -m:] == 255).all()  # dark text under the picture, white margins
    assert (sheet[:, m + width: 2 * m + width] == 255).all()  # no caption runs into the next column
    five = sweeps.contact_sheet([_cell((1, 0, 0))] * 5)  # no columns given: rows of at most 4, filled evenly (3 + 2)
    assert five.width == m + 3 * (width + m) and five.height == sheet.shape[0]


def test_a_repeated_picture_is_left_out_of_the_sheet_and_its_caption_says_why():
    """--vary method gatys adain --vary alpha 0.5 1 showed gatys's picture twice, both captioned 'method gatys', as if
    two runs had made it: the repeat is an outline now, its caption saying why there is no picture of its own."""
    red = _cell((1, 0, 0), 3.0)
    repeat = dataclasses.replace(red, repeats="gatys reads no alpha")
    assert repeat.caption == "style-weight 3 · the same picture: gatys reads no alpha"  # not the earlier run's time
    assert red.caption == "style-weight 3 · 3.0s" and _cell((1, 0, 0), 0.04).caption.endswith("· 0.04s")  # not 0.0s
    sheet = np.asarray(sweeps.contact_sheet([red, repeat], columns=2))
    m = sweeps.MARGIN
    width = (sheet.shape[1] - m) // 2 - m
    left = m + (width - 30) // 2
    assert tuple(sheet[m + 10, left + 10]) == (255, 0, 0)
    inside = sheet[m + 1: m + 19, left + width + m + 1: left + width + m + 29]
    assert (inside == 255).all()  # no picture in the repeat's place ...
    assert tuple(sheet[m, left + width + m + 10]) == (200, 200, 200)  # ... only its outline


def test_captions_of_pictures_of_different_heights_stand_on_one_line():
    """--vary size 64 128 192 put each caption at its own height, just under its own picture (trial U)."""
    short, tall = _cell((1, 0, 0)), _cell((0, 0, 1))
    tall = dataclasses.replace(tall, result=Result(tall.result.image.repeat(1, 1, 3, 1), [], None, 1.5))  # 60 px
    sheet = np.asarray(sweeps.contact_sheet([short, tall], columns=2)).min(2)
    m, width = sweeps.MARGIN, (sheet.shape[1] - sweeps.MARGIN) // 2 - sweeps.MARGIN
    text = [np.nonzero((sheet[m + 61:, m + k * (width + m): (k + 1) * (width + m)] < 128).any(1))[0] for k in (0, 1)]
    assert text[0][0] == text[1][0] and len(text[0]) and np.array_equal(text[0], text[1])


@pytest.mark.parametrize("columns", [0, -2, 1.5, "3"])
def test_a_sheet_without_a_whole_number_of_columns_is_refused(columns):
    with pytest.raises(OptionError, match=re.escape(f"columns must be a whole number of at least 1, got {columns!r}")):
        sweeps.contact_sheet([_cell((1, 0, 0))], columns=columns)  # 0 was taken as 1


def test_a_caption_line_does_not_begin_with_the_separator():
    """A narrow column broke '· 1.2s · style 51%, content r 0.71' so that its lines began with '·'."""
    font = ImageFont.load_default(size=sweeps.CAPTION_FONT)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    parts = ["style-weight", "10", "· 1.2s", "· style 51%, content r 0.71"]
    lines = sweeps._wrapped(parts, measure, font, 90)
    assert lines[0] == "style-weight" and len(lines) >= 3 and not any(line.startswith("·") for line in lines)
    assert lines[-1] == "style 51%, content r 0.71"


@pytest.mark.parametrize("vary, across", [
    ({"seed": [1, 2, 3]}, 3), ({"seed": [1, 2, 3, 4, 5]}, 3), ({"seed": list(range(7))}, 4),
    ({"seed": list(range(9))}, 3),
    ({"seed": list(range(7)), "lr": [1, 2]}, 2),  # two options: the last one's values across, however many rows
])
def test_one_option_alone_fills_even_rows_of_up_to_four(vary, across):
    assert sweeps.columns(vary) == across


def test_the_heading_keeps_an_option_with_its_value():
    """The sheet's heading ended a line at -o, its file on the next (trial AU)."""
    words = "stylegram sweep a.png b.png --size 96 --upscale --vary history 5 20 -o s.png".split(" ")
    assert sweeps._flagged(words) == ["stylegram", "sweep", "a.png", "b.png", "--size 96", "--upscale",
                                      "--vary history", "5", "20", "-o s.png"]


def test_a_title_heads_the_sheet():
    cells = [_cell((1, 0, 0)), _cell((0, 1, 0))]
    bare = np.asarray(sweeps.contact_sheet(cells, columns=2))
    titled = np.asarray(sweeps.contact_sheet(cells, columns=2, title="stylegram sweep a.png b.png " + "x" * 20))
    grown = titled.shape[0] - bare.shape[0]
    assert grown >= 2 * sweeps.CAPTION_FONT and titled.shape[1] == bare.shape[1]  # two lines: wrapped to the width
    assert titled[:grown].min() < 160 and (titled[grown:] == bare).all()  # the title on top, the grid as before


def _pictures_across(sheet: np.ndarray) -> int:
    """How many pictures a row of a sheet holds: runs of columns with colour in them (the text is grey)."""
    rgb = sheet.astype(int)
    colourful = ((np.abs(rgb[..., 0] - rgb[..., 1]) + np.abs(rgb[..., 1] - rgb[..., 2])) > 30).any(0)
    return int((colourful[1:] & ~colourful[:-1]).sum() + colourful[0])


def test_the_command_writes_the_sheet_and_each_picture(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "0.01", "100",
                 "--size", "64", "--min-size", "64", "--iterations", "3", "--cells", str(tmp_path / "cells")]) == 0
    assert f"wrote {out} (2 pictures" in capsys.readouterr().out
    sheet = np.asarray(Image.open(out))
    assert _pictures_across(sheet) == 2 and sheet.std() > 10
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == ["style-weight=0.01.png", "style-weight=100.png",
                                                                      "stylegram-sweep.json"]


def test_seed_minus_one_draws_one_seed_for_the_whole_sheet_and_names_it(tmp_path, capsys):
    """As transfer's --seed -1: one seed drawn and printed, and the pictures made again from it are the same bytes."""
    run = ["sweep", "sample:chelsea", "sample:swirls", "--vary", "style-weight", "1", "100", "--size", "48",
           "--min-size", "48", "--iterations", "3", "--init", "noise", "-o", str(tmp_path / "sheet.png")]
    assert main([*run, "--seed", "-1", "--cells", str(tmp_path / "drawn")]) == 0
    drawn = re.search(r"--seed -1: drew --seed (\d+) ", capsys.readouterr().err)
    assert drawn, "the drawn seed is printed"
    assert main([*run, "--seed", drawn[1], "--cells", str(tmp_path / "again")]) == 0
    for name in ("style-weight=1.png", "style-weight=100.png"):
        assert (tmp_path / "drawn" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert main([*run, "--seed", str(int(drawn[1]) + 1), "--cells", str(tmp_path / "other")]) == 0
    assert (tmp_path / "other" / name).read_bytes() != (tmp_path / "again" / name).read_bytes()  # the seed counts


@pytest.mark.parametrize("args, words", [
    (["--vary", "style-wieght", "1", "10"], "no option --style-wieght; did you mean style-weight?"),
    # classic names (trial AT): image-size was 'did you mean min-size?'
    (["--vary", "image-size", "100", "128"], "no option --image-size; the output's long side is --size N"),
    (["--vary", "style-weights", "1", "10"], "no option --style-weights; each style's weight is --style-blend"),
    (["--vary", "upscale", "maybe"], "--upscale is on or off, so its values are off and on (or no/yes, false/true), "
                                     "got 'maybe'"),
    (["--upscale", "--vary", "upscale"], "--upscale is given a value and varied; drop --upscale or the --vary upscale"),
    (["--vary", "output", "a.png", "b.png"], "--vary output: a sweep's pictures are the cells of the one sheet -o "
                                             "writes; --cells DIR keeps each"),
    (["--vary", "style-weight"], "--vary style-weight needs values after it"),
    (["--vary", "style-weight", "strong"], "'strong' is not a number"),
    (["--vary", "method", "gatys", "adian"], "'adian' is not one of gatys, adain, wct; did you mean adain?"),
    (["--style-weight", "5", "--vary", "style-weight", "1", "10"], "--style-weight is given a value and varied"),
    (["--vary", "seed", "1", "--vary", "seed", "2"], "--vary seed is given twice"),
    (["--vary", "style-weight", "1", "10", "1.0"], "--vary style-weight gives 1.0 twice (as the option reads it)"),
    (["--vary", "colors", "style", "style"], "--vary colors gives style twice"),  # the same picture made twice
    ([], "a sweep needs at least one option to vary"),
    (["--vary", "style", "sample:mosaic"], "the styles are given and varied; give them in --vary style alone"),
    (["--vary", "style", "a.png", "--vary", "style", "b.png"], "--vary style is given twice"),
])
def test_mistakes_on_the_command_line_are_named_before_any_work(args, words, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), *args]) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_a_flag_typed_after_vary_is_named(capsys):
    """'--vary --style-weight 1 10' got argparse's 'expected at least one argument' alone (trial U)."""
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "sample:chelsea", "sample:swirls", "-o", "x.png", "--vary", "--style-weight", "1", "10"])
    assert stop.value.code == 2 and "argument --vary: expected at least one argument; name the option without its " \
        "dashes: --vary style-weight VALUE ..." in capsys.readouterr().err


def _interrupted_at_the_second_picture(real, sent: int = signal.SIGINT):
    """sweeps.run_planned with a real SIGINT (or ``sent``) sent at the second picture's second iteration."""
    def interrupted(planned, folder, on_progress, *args):
        def hook(number, record):
            on_progress(number, record)
            if number == 1 and record.iteration == 2:
                os.kill(os.getpid(), sent)
        return real(planned, folder, hook, *args)
    return interrupted


@pytest.mark.parametrize("sent, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_writes_the_sheet_of_the_pictures_so_far(sent, status, tmp_path, capsys, monkeypatch):
    """... and a SIGTERM too, whose exit status is 143 as transfer's (it was 130, as for Ctrl-C)."""
    monkeypatch.setattr(sweeps, "run_planned", _interrupted_at_the_second_picture(sweeps.run_planned, sent))
    out = tmp_path / "sheet.png"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "1", "10", "100",
                 "--size", "64", "--min-size", "64", "--iterations", "6"]) == status
    err = capsys.readouterr().err
    assert f"the sheet so far written to {out} (1 picture finished, 1 cut short, marked 'stopped')" in err
    assert "run it again with --cells DIR to keep" in err
    assert _pictures_across(np.asarray(Image.open(out))) == 2  # two of three
    whole = out.read_bytes()  # an earlier sheet is not written over by a stopped one (trial AV)
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "1", "10", "100",
                 "--size", "64", "--min-size", "64", "--iterations", "6"]) == status
    assert (f"the sheet so far written to {tmp_path / 'sheet.stopped.png'} (1 picture finished, 1 cut short, marked "
            f"'stopped') ({out}, there before this sweep, is kept)") in capsys.readouterr().err
    assert out.read_bytes() == whole and _pictures_across(np.asarray(Image.open(tmp_path / "sheet.stopped.png"))) == 2


def test_a_run_that_fails_mid_sweep_keeps_the_pictures_before_it(tmp_path, capsys, monkeypatch):
    real = sweeps._run

    def failing(planned, on_progress, stop):
        if planned.changes["style_weight"] == 100:
            raise OptionError("the loss became NaN")
        return real(planned, on_progress, stop)

    monkeypatch.setattr(sweeps, "_run", failing)
    out, cells = tmp_path / "sheet.png", tmp_path / "cells"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "1", "100",
                 "--size", "64", "--min-size", "64", "--iterations", "2", "--cells", str(cells)]) == 2
    assert f"the loss became NaN; the 1 picture made before it written to {out}" in capsys.readouterr().err
    assert _pictures_across(np.asarray(Image.open(out))) == 1 and [p.name for p in cells.glob("*.png")] == [
        "style-weight=1.png"]


def test_cells_named_as_the_sheet_are_refused_before_any_work(tmp_path, capsys):
    """Trial AV: --cells same.png -o same.png made a folder of that name, ran every picture, then failed to write
    the sheet ('it is a folder')."""
    same = tmp_path / "same.png"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(same), "--cells", str(same), "--vary",
                 "style-weight", "1", "10", "--size", "64", "--iterations", "2"]) == 2
    assert (f"--cells {same} is the folder each picture is written to, and -o {same} the sheet: give them different "
            "names") in capsys.readouterr().err
    assert not same.exists()


def test_a_sweep_refused_before_any_work_leaves_no_cells_folder(tmp_path, capsys):
    cells = tmp_path / "cells"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "s.png"), "--vary", "size", "0",
                 "--cells", str(cells)]) == 2
    assert "size must be between" in capsys.readouterr().err and not cells.exists()


def _counting_runs(monkeypatch) -> list[dict]:
    """Record the values of every cell actually run (not taken from a cells folder)."""
    real, ran = sweeps._run, []

    def counted(planned, on_progress, stop):
        ran.append(planned.changes)
        return real(planned, on_progress, stop)

    monkeypatch.setattr(sweeps, "_run", counted)
    return ran


@pytest.mark.filterwarnings("ignore:style_weight=10000 is")  # a third value, chosen far
def test_a_cells_folder_gives_back_what_it_holds_and_only_what_is_new_runs(vgg, tmp_path, monkeypatch):
    content, cells = tmp_path / "photo.png", tmp_path / "cells"
    save_image(torch.rand(1, 3, 43, 64), content)
    ran = _counting_runs(monkeypatch)
    first = sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0, 100.0]}, model=vgg, cells=cells, **TINY)
    assert len(ran) == 2 and (cells / "stylegram-sweep.json").is_file()

    again = sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0, 100.0, 1e4]}, model=vgg, cells=cells,
                         **TINY)
    assert ran[2:] == [{"style_weight": 1e4}]  # one more value: only it runs
    assert [c.reused for c in again] == [True, True, False]
    for old, new in zip(first, again):  # the pictures as written (8 bits), with the seconds they took
        assert np.array_equal(np.asarray(to_image(new.result.image)), np.asarray(to_image(old.result.image)))
        assert new.result.seconds == pytest.approx(old.result.seconds, abs=1e-3)

    sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0]}, model=vgg, cells=cells,
                 **{**TINY, "iterations": "3"})
    os.utime(content, ns=(2, 2))  # touched, the same bytes: still the picture made from it
    assert [c.reused for c in sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0]}, model=vgg,
                                           cells=cells, **{**TINY, "iterations": "3"})] == [True]
    # one more option varied: its cells are named by two values, and one at the default is a picture made (style
    # weight 100; weight 1's was made again with 3 iterations) (trial AT: all four were made again)
    wider = sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0, 100.0], "colors": ["style", "original"]},
                         model=vgg, cells=cells, **TINY)
    assert [c.reused for c in wider] == [False, False, True, False] and len(ran) == 7
    assert (cells / f"{wider[2].slug}.png").read_bytes() == (cells / f"{first[1].slug}.png").read_bytes()
    assert [c.reused for c in sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0, 100.0], "colors": [
        "style", "original"]}, model=vgg, cells=cells, **TINY)] == [True] * 4
    save_image(torch.rand(1, 3, 43, 64), content)  # the content edited
    os.utime(content, ns=(1, 1))
    sweeps.sweep(str(content), "sample:swirls", {"style_weight": [1.0]}, model=vgg, cells=cells, **TINY)
    assert len(ran) == 8  # another option, then another content: made again


def test_a_stopped_sweep_given_its_cells_folder_again_finishes_what_was_cut_short(tmp_path, capsys, monkeypatch):
    command = ["sweep", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "sheet.png"), "--vary", "style-weight",
               "1", "10", "100", "--size", "64", "--min-size", "64", "--iterations", "4", "--cells",
               str(tmp_path / "cells")]
    with monkeypatch.context() as patched:
        patched.setattr(sweeps, "run_planned", _interrupted_at_the_second_picture(sweeps.run_planned))
        assert main(command) == 130
    # the one cut short under a name of its own: under the finished name it looked finished
    assert sorted(p.name for p in (tmp_path / "cells").glob("*.png")) == ["style-weight=1.png",
                                                                          "style-weight=10.stopped.png"]
    err = capsys.readouterr().err
    assert f"run the same command again to make the rest: {tmp_path / 'cells'} keeps the pictures finished" in err
    last_bar = [line for line in err.splitlines() if line.startswith("sweep: ")][-1]
    assert "1/3 pictures" in last_bar and "style-weight 10: stopped" in last_bar  # the one cut short is not counted
    ran = _counting_runs(monkeypatch)
    assert main(command) == 0
    assert [r["style_weight"] for r in ran] == [10, 100]  # the picture cut short is made again, the finished one not
    assert "3 pictures: 2 made in" in (said := capsys.readouterr().out)
    assert f"1 taken from {tmp_path / 'cells'} (an earlier sweep made it)" in said  # not "made them"
    assert sorted(p.name for p in (tmp_path / "cells").glob("*.png")) == [  # the stopped one replaced by its picture
        "style-weight=1.png", "style-weight=10.png", "style-weight=100.png"]
    assert _pictures_across(np.asarray(Image.open(tmp_path / "sheet.png"))) == 3


def test_a_damaged_cells_record_or_picture_is_made_again(tmp_path, monkeypatch):
    ran, cells = _counting_runs(monkeypatch), tmp_path / "cells"
    sweep = ["sweep", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "s.png"), "--vary", "seed", "1", "2",
             "--init", "noise", "--size", "48", "--min-size", "48", "--iterations", "2", "--cells", str(cells)]
    assert main(sweep) == 0 and len(ran) == 2
    (cells / "seed=1.png").write_bytes(b"\x89PNG cut")
    assert main(sweep) == 0 and [r["seed"] for r in ran[2:]] == [1]
    (cells / "stylegram-sweep.json").write_text("{not json")
    assert main(sweep) == 0 and len(ran) == 5


def test_a_texture_sweep_shares_the_network_and_each_value_takes_effect(tmp_path):
    planned = sweeps.plan_texture("sample:gravel", {"statistic": ["gram", "meanstd"], "seed": [1, 2]}, size=48,
                                  example_scale=0.25, iterations="3")
    assert len({id(p.job.problem.backbone) for p in planned}) == 1
    assert [p.job.options.statistic for p in planned] == ["gram", "gram", "meanstd", "meanstd"]
    cells = sweeps.texture_sweep("sample:gravel", {"seed": [1, 2]}, size=48, example_scale=0.25, iterations="3",
                                 cells=tmp_path)
    assert [c.slug for c in cells] == ["seed=1", "seed=2"]
    assert float((cells[0].result.image - cells[1].result.image).abs().mean()) > 0.02  # another start, another texture
    again = sweeps.texture_sweep("sample:gravel", {"seed": [1, 2]}, size=48, example_scale=0.25, iterations="3",
                                 cells=tmp_path)
    assert all(c.reused for c in again)


def test_the_texture_sweep_command_writes_its_sheet_and_names_options_texture_lacks(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sheet.png"
    assert main(["texture-sweep", "sample:mosaic", "--size", "48", "--example-scale", "0.25", "--iterations", "3",
                 "--vary", "layers", "conv1_1,pool1", "conv1_1,pool1,pool2", "-o", str(out)]) == 0
    assert f"wrote {out} (2 pictures" in capsys.readouterr().out
    assert _pictures_across(np.asarray(Image.open(out))) == 2
    assert main(["texture-sweep", "sample:gravel", "--vary", "style-weight", "1", "10", "-o", str(out)]) == 2
    assert "texture has no option --style-weight" in capsys.readouterr().err
    titles, real = [], sweeps.contact_sheet
    monkeypatch.setattr(sweeps, "contact_sheet", lambda *args: titles.append(args[2]) or real(*args))
    assert main(["texture-sweep", "sample:gravel", "--size", "48", "--example-scale", "0.25", "--iterations", "3",
                 "--vary", "tileable", "-o", str(out), "--cells", str(tmp_path / "cells")]) == 0  # off, then on
    assert sorted(p.name for p in (tmp_path / "cells").glob("*.png")) == ["tileable=false.png", "tileable=true.png"]
    # the heading is the command as typed: true, not True, and the --cells it was given
    assert titles == [f"stylegram texture-sweep sample:gravel --size 48 --example-scale 0.25 --iterations 3 --vary "
                      f"tileable false true "
                      f"--cells {tmp_path / 'cells'} -o {out}"]


def test_one_content_with_each_of_several_styles(vgg, chelsea, tmp_path):
    content = torch.nn.functional.interpolate(chelsea, size=(43, 64), mode="area")
    cells = sweeps.sweep(content, [], {"style": ["sample:swirls", "sample:brick"]}, model=vgg, **TINY)
    assert [c.changes for c in cells] == [{"style": "sample:swirls"}, {"style": "sample:brick"}]
    swirls, brick = (c.result.image for c in cells)
    chroma = [float((image.amax(1) - image.amin(1)).mean()) for image in (swirls, brick)]
    assert chroma[0] > 1.5 * chroma[1], chroma  # the blue swirls' colour against the grey brick's
    with pytest.raises(OptionError, match="give at least one style image"):
        sweeps.sweep(content, [], {"seed": [1, 2]}, model=vgg, init="noise", **TINY)


@pytest.mark.parametrize("words, missing", [
    (["sweep", "--vary", "style-weight", "1", "10", "sample:chelsea", "photo.jpg"], "give the content image first"),
    (["sweep", "sample:chelsea", "--vary", "seed", "1", "2", "sample:swirls"], "give one or more style images"),
    (["texture-sweep", "--vary", "statistic", "gram", "mrf", "sample:gravel"], "give one or more example images"),
])
def test_images_typed_after_a_vary_list_are_named(words, missing, tmp_path, capsys):
    """argparse gives a --vary every word up to the next option, images included: the message says so."""
    assert main([*words, "-o", str(tmp_path / "sheet.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert missing in err and "came after --vary" in err and "give the images before --vary" in err
    assert words[-1] in err and "\n" not in err
    assert not (tmp_path / "sheet.png").exists()


def test_the_commands_want_an_image_given_or_varied(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["sweep", "sample:chelsea", "--vary", "seed", "1", "2", "-o", str(out)]) == 2
    assert "give one or more style images, or one per picture with --vary style A.jpg B.jpg" in capsys.readouterr().err
    assert main(["texture-sweep", "--vary", "example", "sample:brick", "sample:mosaic", "--size", "48",
                 "--iterations", "2", "-o", str(out)]) == 0
    assert _pictures_across(np.asarray(Image.open(out))) == 1  # the grey brick has no colour to count; the mosaic


def test_measured_pictures_show_the_trade_off_between_style_and_content(vgg, chelsea):
    content = torch.nn.functional.interpolate(chelsea, size=(43, 64), mode="area")
    cells = sweeps.sweep(content, "sample:swirls", {"style_weight": [0.01, 100]}, model=vgg, measure=True,
                         size=64, min_size=64, iterations="15")
    words = [c.measured for c in cells]
    numbers = [tuple(float(n) for n in re.fullmatch(r"style (-?\d+)%, content r ([\d.]+)", w).groups()) for w in words]
    (faint, faint_r), (strong, strong_r) = numbers
    assert [(round(100 * c.explained.moved), round(c.explained.kept, 2)) for c in cells] == numbers  # the numbers too    assert strong > faint + 10 and faint_r > strong_r  # more style weight: nearer the style's Gram matrices, less content
    assert cells[1].caption.endswith(f"· {words[1]}")
    varied = sweeps.sweep(content, [], {"style": ["sample:swirls", "sample:brick"]}, model=vgg, measure=True,
                          size=64, min_size=64, iterations="3")
    assert all(re.fullmatch(r"style -?\d+%, content r [\d.]+", c.measured) for c in varied)  # each on its own style
    layered = sweeps.sweep(content, "sample:swirls", {"content_layers": ["relu2_2", "relu4_2"]}, model=vgg,
                           measure=True, size=64, min_size=64, iterations="3")
    assert re.fullmatch(r"style -?\d+%, content r [\d.]+ at relu4_2", layered[0].measured)  # not relu2_2's own r
    assert re.fullmatch(r"style -?\d+%, content r [\d.]+", layered[1].measured)
    textures = sweeps.texture_sweep("sample:gravel", {"seed": [1]}, size=48, example_scale=0.25, iterations="20",
                                    measure=True)
    assert re.fullmatch(r"-?\d+% to the example", textures[0].measured)  # not 'example 91%': a value of --vary example
    left = torch.zeros(1, 1, 48, 48)
    left[..., :24] = 1.0
    two = ["sample:gravel", "sample:grass"]
    for placed, to in (({}, "the examples' blend"), ({"masks": [left, 1 - left]}, "each part's example")):
        cells = sweeps.texture_sweep(two, {"seed": [1]}, size=48, example_scale=0.25, iterations="5", measure=True,
                                     **placed)  # two examples: not 'to the example'
        assert re.fullmatch(rf"-?\d+% to {to}", cells[0].measured), cells[0].measured


def test_the_sweep_command_measures_placed_styles_part_by_part(tmp_path, capsys):
    """A transfer's masked styles (and a texture's masked examples) are measured where their masks put them."""
    out, mask = tmp_path / "sheet.png", tmp_path / "mask.png"
    save_image(torch.ones(1, 3, 64, 96), mask)
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "1", "10",
                 "--size", "64", "--min-size", "64", "--iterations", "3", "--style-masks", str(mask), "--measure"]) == 0
    assert "measuring the 2 pictures" in capsys.readouterr().err and _pictures_across(np.asarray(Image.open(out))) == 2
    save_image(torch.ones(1, 3, 48, 48), mask)
    assert main(["texture-sweep", "sample:swirls", "-o", str(out), "--vary", "seed", "1", "2", "--masks", str(mask),
                 "--size", "48", "--iterations", "5", "--measure"]) == 0
    assert "measuring the 2 pictures" in capsys.readouterr().err and _pictures_across(np.asarray(Image.open(out))) == 2


def test_the_sweep_command_compares_its_pictures_on_one_page(tmp_path, capsys):
    """--compare writes the `compare` page of the pictures, each named by its values, a picture repeated (AdaIN reads
    no --style-weight) shown once; more style weight goes further towards the style's Gram matrices."""
    out, page = tmp_path / "sheet.png", tmp_path / "compare.html"
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "0.01", "100",
                 "--vary", "method", "gatys", "adain", "--size", "64", "--min-size", "64", "--iterations", "15",
                 "--compare", str(page)]) == 0
    captured = capsys.readouterr()
    assert "comparing the 4 pictures" in captured.err and f"wrote {page}" in captured.out
    text = page.read_text()
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td><strong>(-?\d+)%</strong></td>", text))
    assert sorted(rows) == ["method adain", "style-weight 0.01, method gatys", "style-weight 100, method gatys"], rows
    assert int(rows["style-weight 100, method gatys"]) > int(rows["style-weight 0.01, method gatys"]) + 10
    assert "--compare" in text and "vgg19 (default, max pooling, replicate padding)" in text
    texture_page = tmp_path / "textures.html"
    assert main(["texture-sweep", "sample:gravel", "sample:brick", "-o", str(out), "--vary", "seed", "1", "2", "--size",
                 "48", "--example-scale", "0.25", "--iterations", "5", "--compare", str(texture_page)]) == 0
    text = texture_page.read_text()
    assert "seed 2" in text and "towards the blend of the examples&#x27; Gram matrices" in text
    assert "<th>coherence (gravel)</th><th>coherence (brick)</th>" in text  # named by file, each example's patches
    assert 'alt="where each result&#x27;s patches come from in brick"' in text  # drawn, not the first's alone


def test_measure_with_compare_reads_the_pages_numbers_instead_of_measuring_again(tmp_path, monkeypatch):
    """--measure and --compare measure each picture once (the page's measures give the captions), and the captions
    are those --measure alone gives."""
    from stylegram.analysis import explain

    yardsticks, captions = [], []
    measure_alone, measured = explain.yardstick, sweeps.measured

    def counted(*args, **kwargs):
        yardsticks.append(1)
        return measure_alone(*args, **kwargs)

    def recorded(*args):
        cells = measured(*args)
        captions.append([cell.measured for cell in sorted(cells, key=lambda cell: cell.number)])
        return cells

    monkeypatch.setattr(explain, "yardstick", counted)
    monkeypatch.setattr(sweeps, "measured", recorded)
    out, page = tmp_path / "sheet.png", tmp_path / "compare.html"
    args = ["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "seed", "1", "2", "--init", "noise",
            "--size", "64", "--min-size", "64", "--iterations", "5", "--measure", "--quiet"]
    assert main([*args, "--compare", str(page)]) == 0 and not yardsticks
    shown = dict(re.findall(r"<tr><td>([^<]+)</td><td><strong>(-?\d+)%</strong></td>", page.read_text()))
    assert [f"style {shown['seed 1']}%", f"style {shown['seed 2']}%"] == [c.split(",")[0] for c in captions[0]]
    assert main(args) == 0 and len(yardsticks) == 2
    assert captions[0] == captions[1] and all(re.fullmatch(r"style \d+%, content r [\d.]+", c) for c in captions[0])


def test_measure_with_compare_gives_pictures_of_different_sizes_their_own_numbers(tmp_path, monkeypatch):
    """The compare page measures every picture at the smallest's size; with --vary size its numbers became the
    captions, and a 128 px picture's 78 % read 65 % on the sheet, with no word. Each is measured at its own size now."""
    captions = []
    measured = sweeps.measured

    def recorded(*args):
        cells = measured(*args)
        captions.append({cell.name: cell.measured for cell in cells})
        return cells

    monkeypatch.setattr(sweeps, "measured", recorded)
    args = ["sweep", "sample:chelsea", "sample:swirls", "-o", str(tmp_path / "sheet.png"), "--vary", "size", "48", "64",
            "--min-size", "48", "--iterations", "5", "--measure", "--quiet"]
    assert main([*args, "--compare", str(tmp_path / "compare.html")]) == 0 and main(args) == 0
    assert captions[0] == captions[1] and len(captions[0]) == 2


@pytest.mark.parametrize("args, words", [
    (["--vary", "style-scale", "0.5", "1"], "--compare measures every picture against one target, but --vary "
                                            "style-scale changes what each is measured against"),
    (["--vary", "style-weight", "1"], "--compare needs two or more different pictures, but these values make one;"),
    (["--vary", "style-weight", "1", "10", "--vary", "method", "adain"],
     "--style-weight is varied, but no method varied (adain) reads it, so its pictures would be copies"),
    (["--vary", "seed", "1", "2", "--compare", "page.png"], "--compare page.png should end in .html or .htm"),
])
def test_a_comparison_that_cannot_be_made_is_refused_before_any_work(args, words, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    page = [] if "--compare" in args else ["--compare", str(tmp_path / "page.html")]
    assert main(["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), *args, *page]) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_ctrl_c_while_measuring_or_comparing_still_writes_the_sheet(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out, page = tmp_path / "sheet.png", tmp_path / "compare.html"
    args = ["sweep", "sample:chelsea", "sample:swirls", "-o", str(out), "--vary", "style-weight", "1", "10", "--size",
            "64", "--min-size", "64", "--iterations", "2"]
    with monkeypatch.context() as patched:
        patched.setattr(sweeps, "measured", interrupted)
        assert main([*args, "--measure"]) == 130
    said = f"interrupted while measuring (the sheet has no numbers); the sheet so far written to {out} (2 pictures finished)"
    assert said in capsys.readouterr().err and _pictures_across(np.asarray(Image.open(out))) == 2
    out.unlink()
    with monkeypatch.context() as patched:
        patched.setattr(sweeps, "compared", interrupted)
        assert main([*args, "--compare", str(page)]) == 130
    assert f"interrupted while comparing (no {page} written); the sheet so far" in capsys.readouterr().err
    assert out.exists() and not page.exists()


def test_a_caption_names_an_on_off_value_as_the_command_line_does():
    """'tileable False' under the picture, where the sheet's header and --vary say 'tileable false'."""
    from stylegram.sweeps import values

    assert values({"tileable": False, "tv_weight": 1000.0, "size": 96}) == "tileable false, tv-weight 1000, size 96"
    assert values({"tileable": True}) == "tileable true"
