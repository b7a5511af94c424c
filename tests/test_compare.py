"""Several results measured side by side (stylegram.analysis.compare, `stylegram compare`)."""

import re

import pytest
import torch

import stylegram
from stylegram.analysis.compare import names_of
from stylegram.cli import main
from stylegram.errors import OptionError, StylegramWarning
from stylegram.images import load_tensor, save_image
from stylegram.samples import path


def test_results_are_measured_at_one_size_and_named_by_their_files(vgg, tmp_path):
    content = load_tensor(path("chelsea"), size=96)
    painted = stylegram.transfer(content, "sample:swirls", model=vgg, size=96, min_size=96, iterations="20").image
    save_image(torch.nn.functional.interpolate(painted, scale_factor=2, mode="bilinear"), tmp_path / "big.png")
    compared = stylegram.compare(content, "sample:swirls", [content, str(tmp_path / "big.png")], model=vgg,
                                 style_layers="relu1_1,relu2_1")
    same, styled = compared.explained
    assert compared.names == ["result 1", "big"] and compared.layer == "relu2_1"
    assert compared.shrunk == ["big (192x128)"]  # named where the numbers are printed (trial U)
    assert same.result.shape == styled.result.shape == (1, 3, 64, 96)  # the smaller result's size, for both
    assert same.moved == pytest.approx(0.0, abs=1e-6) and same.kept == pytest.approx(1.0)
    assert styled.moved > 0.3 and styled.kept < 0.95
    page = compared.html()
    assert "How these style transfers compare" in page and page.count("<img") == 4  # pictures, plot, matrices, patches
    with pytest.raises(OptionError, match="layer relu4_1 is not among the layers measured"):
        stylegram.compare(content, "sample:swirls", [content, painted], model=vgg, style_layers="relu1_1",
                          layer="relu4_1")
    with pytest.raises(OptionError, match="result 2: the result is 64x64 px and the content 96x64"):
        stylegram.compare(content, "sample:swirls", [content, torch.rand(1, 3, 64, 64)], model=vgg)
    with pytest.raises(OptionError, match="result 2: the result is 20x20 px"):  # was "result 1: ... 20x13 px as
        stylegram.compare(content, "sample:swirls", [content, torch.rand(1, 3, 20, 20)], model=vgg)  # measured"
    with pytest.raises(OptionError, match=re.escape(  # the good result was named for the small one's size (trial AB)
            "all results are measured at the size of the smallest, result 2 (21x14 px): the result is 21x14 px as "
            "measured, but the layers relu1_1,relu2_1,relu3_1,relu4_1,relu5_1 need at least 32 px per side")):
        stylegram.compare(content, "sample:swirls", [content, torch.rand(1, 3, 14, 21)], model=vgg)
    with pytest.warns(StylegramWarning, match=re.escape(  # enlarged without a word, and read further from the style
            "size=128 enlarges result 1 (96x64) to be measured, and an enlarged picture's Gram matrices are a blurred "
            "one's, so it reads further from the style than it is")) as heard:
        stylegram.compare(content, "sample:swirls", [content, str(tmp_path / "big.png")], model=vgg, size=128,
                          style_layers="relu1_1")
    assert str(heard[0].message).endswith("; leave size out to measure all at the smallest's size")
    with pytest.raises(OptionError, match="a comparison needs two or more results, got 1"):
        stylegram.compare(content, "sample:swirls", [content], model=vgg)
    noise = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with pytest.warns(StylegramWarning, match=r"^noise: the result's relu4_2 maps follow the content's no better than "
                                              r"the style's own maps do .*was it made from this content\? If it was, "
                                              r"the style has wiped the content out$"):
        unrelated = stylegram.compare(content, "sample:swirls", [content, noise], names=["cat", "noise"], model=vgg,
                                      style_layers="relu1_1")  # compare said r 0.01 and nothing more (trial U)
    assert len(unrelated.warnings()) == 1 and "<strong>Warnings:</strong> noise: the result" in unrelated.html()
    with pytest.raises(OptionError, match="results is one path, 'out.png'; give a list of two or more"):
        stylegram.compare(content, "sample:swirls", "out.png", model=vgg)  # was "result 1: o: no such file"


def test_names_and_a_layer_to_draw_are_checked_before_any_measuring(monkeypatch, tmp_path, capsys):
    """Trial AB: --names A,A gave two rows both called A; '--names gives 1 names'; --layer relu3_2 was refused after
    the results were measured; -o a folder was told to end in .html."""
    from stylegram.analysis import explain

    monkeypatch.setattr(explain, "measure", lambda *a, **k: pytest.fail("measured before the refusal"))
    content = torch.rand(1, 3, 32, 48)
    for keywords, words in [({"names": ["A", "A"]}, "names gives 'A' to more than one result; give each its own name"),
                            ({"names": ["A"]}, "names gives 1 name for 2 results; give one per result"),
                            ({"layer": "relu3_2"}, "layer relu3_2 is not among the layers measured (relu1_1, relu2_1, "
                                                   "relu3_1, relu4_1, relu5_1); give one of them, or add it to "
                                                   "style_layers")]:
        with pytest.raises(OptionError, match=re.escape(words)):
            stylegram.compare(content, "sample:swirls", [content, content], **keywords)
    with pytest.raises(OptionError, match=re.escape("add it to layers")):
        stylegram.compare_textures("sample:gravel", [content, content], layer="relu3_2")
    assert main(["compare", "sample:chelsea", "sample:swirls", "--results", "a.png", "b.png", "-o", str(tmp_path)]) == 2
    assert f"cannot write {tmp_path}: it is a folder; give a file name" in capsys.readouterr().err


def test_names_are_file_names_and_a_shared_one_gets_its_folder():
    assert names_of(["out/gatys.png", "other/gatys.png", "sample:swirls", "adain.jpg"]) == [
        "out/gatys", "other/gatys", "swirls", "adain"]
    assert names_of(["a/x/out.png", "b/x/out.jpg", "out.png", "c/y.png"]) == [
        "x/out (1)", "x/out (2)", "out", "y"]  # folders of one name: numbered


def test_textures_compare_a_copy_against_noise(tmp_path):
    example = load_tensor(path("gravel"), size=128)
    crop, noise = example[..., 32:96, 32:96], torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with pytest.warns(StylegramWarning, match="^crop: the texture's patches come from the example in whole pieces"):
        compared = stylegram.compare_textures(example, [crop, noise], names=["crop", "noise"], layers="conv1_1,pool1")
    copied, scattered = compared.explained
    assert compared.layer == "pool1" and copied.matches[0].coherence > 0.9 > scattered.matches[0].coherence + 0.4
    assert copied.moved > scattered.moved and "How these textures compare" in compared.html()
    assert "the results measured at 64x64 px, the example at its own pixels" in compared.html()  # not 'all at 64'
    with pytest.warns(StylegramWarning, match="copied from the example"):  # crops, both
        wide = stylegram.compare_textures(example, [crop, example[..., 32:96, :]], names=["square", "wide"],
                                          layers="conv1_1,pool1")  # a 128x64 texture was said measured at 64x64
    assert wide.measured_at() == "a long side of 64 (64x64, 64x32)"
    assert "the results measured at a long side of 64 (64x64, 64x32) px" in wide.html()


def test_the_compare_command_writes_a_row_per_result(tmp_path, capsys):
    content = load_tensor(path("chelsea"), size=64)
    save_image(content, tmp_path / "cat.png")
    save_image(torch.flip(content, dims=[-1]), tmp_path / "mirrored.png")
    out = tmp_path / "compare.html"
    assert main(["compare", str(tmp_path / "cat.png"), "sample:swirls", "--results", str(tmp_path / "cat.png"),
                 str(tmp_path / "mirrored.png"), "--style-layers", "relu1_1,relu2_1", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"^cat: 0% of the way to the style's Gram matrices, content r 1.00, coherence", said, re.M)
    assert re.search(r"^wrote .*; the results measured at 64x43 px \(the smallest result's size, at most 512; the numbers "
                     r"depend on it, --size sets it\):$", said, re.M), said
    left = torch.zeros(1, 3, 43, 64)
    left[..., :32] = 1
    save_image(left, tmp_path / "left.png")
    save_image(1 - left, tmp_path / "right.png")
    masks = f"{tmp_path / 'left.png'},{tmp_path / 'right.png'}"
    assert main(["compare", str(tmp_path / "cat.png"), "sample:swirls", "sample:mosaic", "--results",
                 str(tmp_path / "cat.png"), str(tmp_path / "mirrored.png"), "--style-layers", "relu1_1", "--style-masks",
                 masks, "-o", str(tmp_path / "placed.html")]) == 0  # each style measured where its mask puts it
    placed = (tmp_path / "placed.html").read_text()
    assert "<th>relu1_1 over swirls's mask</th><th>relu1_1 over mosaic's mask</th>" in placed  # was 'style 1's'
    assert f"<td>--style-masks</td><td>{masks}</td>" in placed
    # each part's matrices and each style's patches drawn, not the first's alone; the words name both styles' aims
    assert 'alt="Gram matrices at relu1_1 over swirls&#x27;s mask"' in placed
    assert 'alt="Gram matrices at relu1_1 over mosaic&#x27;s mask"' in placed
    assert 'alt="where each result&#x27;s patches come from in mosaic"' in placed and placed.count("<img") == 6
    assert "<th>coherence (swirls)</th><th>coherence (mosaic)</th>" in placed
    assert "towards each part&#x27;s style&#x27;s Gram matrices" in placed and "the style&#x27;s" not in placed
    assert re.search(r"^cat: -?\d+% of the way to each part's style's Gram matrices, content r 1.00, coherence "
                     r"[\d.]+ in swirls, coherence [\d.]+ in mosaic$", capsys.readouterr().out, re.M)
    page = out.read_text()
    rows = re.findall(r"<tr><td>(\w+)</td><td><strong>(-?\d+)%</strong></td>", page)
    assert [name for name, _ in rows] == ["cat", "mirrored"] and rows[0][1] == "0"
    assert main(["compare", "sample:chelsea", "sample:swirls", "--results", str(tmp_path / "cat.png"), "-o",
                 str(out)]) == 2
    said = capsys.readouterr().err  # refused before the work begins
    assert "a comparison needs two or more results, got 1" in said and "measuring" not in said
    (tmp_path / "notes.png").write_text("not a picture")
    for second, words in [(tmp_path / "gone.png", f"result 2: {tmp_path / 'gone.png'}: no such file; check the path"),
                          (tmp_path / "notes.png", "result 2: " + str(tmp_path / "notes.png") + " is not an image")]:
        assert main(["compare", "sample:chelsea", "sample:swirls", "--results", str(tmp_path / "cat.png"),
                     str(second), "-o", str(out)]) == 2
        said = capsys.readouterr().err  # it was said after "measuring 2 results", the first measured
        assert words in said and "measuring" not in said, said
    assert main(["compare", "sample:chelsea", "sample:swirls", "--results", "a.png", "b.png", "--names", "one", "-o",
                 str(out)]) == 2
    assert "--names gives 1 name for 2 results" in capsys.readouterr().err
    assert main(["compare", "sample:chelsea", "--results", "a.png", "b.png", "-o", str(out)]) == 2
    assert "give the content, the style (or styles), in that order: got 1 image" in capsys.readouterr().err
    gravel = load_tensor(path("gravel"), size=128)
    save_image(gravel[..., :64, :64], tmp_path / "crop.png")
    assert main(["compare", "--texture", "sample:gravel", "--results", str(tmp_path / "crop.png"),
                 str(tmp_path / "cat.png"), "--layers", "conv1_1,pool1", "--example-scale", "0.25", "-o",
                 str(out)]) == 0
    said = capsys.readouterr()
    assert re.search(r"^crop: \d+% of the way to the example's Gram matrices, coherence 1.00$", said.out, re.M), said
    assert "warning: crop: the texture's patches come from the example in whole pieces" in said.err  # as explain's
    assert "How these textures compare" in out.read_text()
