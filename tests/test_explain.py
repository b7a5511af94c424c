"""A style transfer's result measured against its inputs (stylegram.analysis.explain, `stylegram explain`)."""

import dataclasses
import re
import warnings

import numpy as np
import pytest
import torch

import stylegram
from stylegram import stats
from stylegram.analysis.explain import channel_agreement, gram_layers
from stylegram.cli import main
from stylegram.errors import OptionError, StylegramWarning
from stylegram.features import default_backbone
from stylegram.images import load_tensor, save_image
from stylegram.samples import path


def grams_at(layers, start, result, styles, vgg, blend=None):
    """gram_layers over the images' features at ``layers`` (a list, or grouped per style with '/')."""
    names = [n for n in layers.replace("/", ",").split(",")] if isinstance(layers, str) else layers
    feats = [vgg.extract(image, names) for image in (start, result, *styles)]
    return gram_layers(feats[0], feats[1], feats[2:], blend or [1 / len(styles)] * len(styles), layers)


def test_the_share_of_the_way_is_0_at_the_content_and_1_at_the_style(vgg):
    content, style = load_tensor(path("chelsea"), size=64), load_tensor(path("swirls"), size=64)
    halfway = 0.5 * content[..., :, :64] + 0.5 * style[..., :content.shape[-2], :]
    at_content, at_style, between = (grams_at(["relu2_1"], content[..., :, :64], result, [style], vgg)[0]
                                     for result in (content[..., :, :64], style, halfway))
    assert at_content.moved == pytest.approx(0.0) and at_style.moved == pytest.approx(1.0)
    assert 0.0 < between.moved < 1.0
    features = vgg.extract(style, ["relu2_1"])["relu2_1"]
    by_hand = features[0].flatten(1) @ features[0].flatten(1).T / features[0][0].numel()
    assert torch.allclose(at_style.target, by_hand, rtol=1e-4, atol=1e-5)  # the loss's own Gram normalization
    assert torch.equal(at_style.target, stats.gram(features)[0])


def test_several_styles_are_measured_against_their_blend_as_the_loss_targets_it(vgg):
    content, swirls, mosaic = (load_tensor(path(name), size=64) for name in ("chelsea", "swirls", "mosaic"))
    gram = {name: stats.gram(vgg.extract(image, ["relu1_1"])["relu1_1"])[0]
            for name, image in (("swirls", swirls), ("mosaic", mosaic))}
    blended = grams_at(["relu1_1"], content, content, [swirls, mosaic], vgg, [0.7, 0.3])[0]
    assert torch.allclose(blended.target, 0.7 * gram["swirls"] + 0.3 * gram["mosaic"], rtol=1e-5, atol=1e-6)
    # a layer only the second style has (groups split by '/'): its target is that style's alone
    grouped = grams_at("relu1_1/relu1_1,relu2_1", content, content, [swirls, mosaic], vgg, [0.7, 0.3])
    assert [g.layer for g in grouped] == ["relu1_1", "relu2_1"]
    assert torch.equal(grouped[1].target, stats.gram(vgg.extract(mosaic, ["relu2_1"])["relu2_1"])[0])


def test_channel_agreement_is_the_pearson_correlation_of_each_channel():
    a = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]])
    b = torch.stack([2 * a[0] + 1, -a[1], a[0]])
    assert torch.allclose(channel_agreement(a, b), torch.tensor([1.0, -1.0, 0.0]))  # flat: 0, not NaN


def test_the_explain_command_writes_a_page_that_measures_the_result(tmp_path, capsys):
    content = load_tensor(path("chelsea"), size=96)
    save_image(content, tmp_path / "cat.png")
    out = tmp_path / "why.html"
    # the content itself as the result: no way gone to the style, its maps the content's own
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--style-layers", "relu1_1,relu2_1"]) == 0
    page = out.read_text()
    assert re.findall(r"<td>(relu\d_1)</td><td>[\d.e+]+</td><td>[\d.e+]+</td><td>(-?\d+)%</td>", page) == [
        ("relu1_1", "0"), ("relu2_1", "0")]
    assert "mean Pearson r of <strong>1.00</strong>" in page and page.count("<img") == 5
    said = capsys.readouterr()
    assert said.out.strip() == f"wrote {out} (0% of the way to the style's Gram matrices, content r 1.00)"
    assert "warning" not in said.err
    noise = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))  # the cat's shape, nothing of it
    save_image(noise, tmp_path / "noise.png")
    assert main(["explain", str(tmp_path / "noise.png"), "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--style-layers", "relu1_1"]) == 0
    assert re.search(r"warning: the result's relu4_2 maps follow the content's no better than the style's own maps "
                     r"do \(r -?0.0\d against -?0.\d\d\): was it made from this content\?", capsys.readouterr().err)
    with pytest.warns(StylegramWarning, match="was it made from this content"):  # Python hears it too
        stylegram.explain(noise, "sample:swirls", tmp_path / "cat.png", style_layers="relu1_1")
    with pytest.warns(StylegramWarning, match="was it made from this content"):
        flat = stylegram.explain(tmp_path / "cat.png", "sample:swirls", torch.full((1, 3, 64, 96), 0.5),
                                 style_layers="relu1_1,relu2_1")
    # a blank picture was also told 'the run stopped before it settled ... more iterations may help' (trial U)
    assert flat.moved < 0 and "as a picture not made from it would be" in flat.headline()
    assert "more iterations" not in flat.headline()
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o",
                 str(tmp_path / "why.png")]) == 2
    assert "should end in .html or .htm" in capsys.readouterr().err
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--content-layer", "relu4_3x"]) == 2
    assert "relu4_3x" in capsys.readouterr().err
    # several styles: measured against their blend, each with its own patches
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", "sample:mosaic", str(tmp_path / "cat.png"),
                 "-o", str(out), "--style-layers", "relu1_1", "--style-blend", "0.7,0.3"]) == 0
    page = out.read_text()
    assert "style 1 (70%): coherence" in page and "style 2 (30%): coherence" in page and page.count("<img") == 5
    assert "<td>blend</td><td>0.70, 0.30</td>" in page
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--style-blend", "0.7,0.3"]) == 2
    assert "style blend has 2 weights for 1 style" in capsys.readouterr().err
    assert main(["explain", "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out)]) == 2
    assert "give the content, the style (or styles) and the result, in that order: got 2 images (for a texture" in \
        capsys.readouterr().err
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--example-scale", "0.5"]) == 2
    assert "--example-scale is for a texture's example (--texture)" in capsys.readouterr().err
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "cat.png"), "-o", str(out),
                 "--style-scale", "0.5"]) == 2
    assert "--style-scale measure a transfer; a texture has no content" in capsys.readouterr().err
    save_image(torch.rand(1, 3, 12, 12), tmp_path / "speck.png")
    assert main(["explain", "--texture", str(tmp_path / "speck.png"), str(tmp_path / "cat.png"), "-o", str(out)]) == 2
    assert "the example is 12x12 px as measured, but the layers conv1_1,pool1,pool2,pool3,pool4,relu3_1 need at " \
        "least 16 px per side: use a larger --example-scale (or a larger image)" in capsys.readouterr().err
    save_image(torch.rand(1, 3, 8, 8), tmp_path / "tiny.png")  # the texture: --size, not a style's scale
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "tiny.png"), "-o", str(out)]) == 2
    assert "the result is 8x8 px as measured, but the layers conv1_1,pool1,pool2,pool3,pool4,relu3_1 need at least " \
        "16 px per side: use a larger --size (or a larger image), or shallower layers" in capsys.readouterr().err
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "cat.png"), "-o", str(out),
                 "--example-scale", "0.01"]) == 2
    assert "--example-scale must be between 0.05 and 4, got 0.01" in capsys.readouterr().err
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "cat.png"), "-o", str(out),
                 "--example-scale", "0"]) == 2  # was taken as 1 (`or 1.0`)
    assert "--example-scale must be between 0.05 and 4, got 0" in capsys.readouterr().err
    save_image(torch.rand(1, 3, 64, 64), tmp_path / "square.png")
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", str(tmp_path / "square.png"), "-o",
                 str(out)]) == 2
    said = capsys.readouterr().err
    assert "the result is 64x64 px and the content 96x64: a transfer keeps its content's shape" in said
    assert "measuring" not in said  # "measuring the Gram matrices ..." came first, then the refusal
    (tmp_path / "broken.png").write_bytes(b"junk")
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", str(tmp_path / "broken.png"), "-o",
                 str(out)]) == 2
    said = capsys.readouterr().err
    assert "result: " in said and "broken.png is not an image" in said and "measuring" not in said


def test_the_python_api_measures_without_writing_a_page(vgg):
    import stylegram

    content = load_tensor(path("chelsea"), size=64)
    same = stylegram.explain(content, "sample:swirls", content, model=vgg, style_layers=["relu1_1", "relu3_1"])
    assert [g.layer for g in same.grams] == ["relu1_1", "relu3_1"] and same.moved == pytest.approx(0.0, abs=1e-6)
    assert same.kept == pytest.approx(1.0) and abs(same.chance) < 0.2
    painted = stylegram.transfer(content, "sample:swirls", model=vgg, size=64, min_size=64, iterations="20")
    measured = stylegram.explain(content, "sample:swirls", painted, model=vgg)  # a Result is its picture
    assert measured.moved > 0.3 and 0.2 < measured.kept < 1.0  # towards the style, the layout still there
    assert 0 < measured.matches[0].used <= 1 and measured.html().count("<img") == 8


@pytest.mark.parametrize("keywords, words", [
    ({"sise": 64}, "unknown keyword(s): sise; did you mean size?"),  # was a TypeError from measure()
    ({"style_layer": "relu1_1"}, "unknown keyword(s): style_layer; did you mean style_layers?"),
    ({"size": 0}, "size must be a whole number between 32 and 2048 px, got 0"),  # was the default size, silently
    ({"size": "64"}, "size must be a whole number between 32 and 2048 px, got '64'"),  # was a TypeError
    ({"size": 100000}, "size must be a whole number between 32 and 2048 px"),  # was an allocation of 80 GB
    ({"style_scale": -1}, "style_scale must be between 0.05 and 4, got -1"),  # was 'the style is 1x1 px'
])
def test_the_python_api_names_a_wrong_keyword_or_size_before_any_work(keywords, words, monkeypatch):
    from stylegram.analysis import explain as X

    monkeypatch.setattr(X, "measure", lambda *a, **k: pytest.fail("measured before the check"))
    for call in (lambda: stylegram.explain("sample:chelsea", "sample:swirls", "sample:chelsea", **keywords),
                 lambda: stylegram.compare("sample:chelsea", "sample:swirls", ["sample:chelsea"] * 2, **keywords)):
        with pytest.raises(OptionError) as err:
            call()
        assert words in str(err.value)


def test_explain_texture_takes_tileable_only_as_true_or_false(monkeypatch):
    from stylegram.analysis import explain as X

    monkeypatch.setattr(X, "measure_texture", lambda *a, **k: pytest.fail("measured before the check"))
    with pytest.raises(OptionError, match="tileable must be True or False, got 'yes'"):  # "no" would have been true
        stylegram.explain_texture("sample:gravel", "sample:gravel", tileable="yes")


def test_a_stylized_video_is_explained_frame_by_frame_against_the_same_frame_of_the_video(tmp_path, capsys,
                                                                                          monkeypatch):
    """With a video as the content and its stylized video as the result, --frame N measures frame N of each (the
    last by default): a clip measured against itself keeps its content's maps exactly at every frame, which a
    frame measured against another frame of a moving clip would not."""
    from PIL import Image

    frames = [load_tensor(path("chelsea"), size=64).roll(8 * k, dims=-1) for k in range(4)]  # a pan
    clip = tmp_path / "pan.gif"
    pictures = [Image.fromarray((255 * f[0].permute(1, 2, 0)).round().byte().numpy()) for f in frames]
    pictures[0].save(clip, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    out = tmp_path / "why.html"
    words = ["explain", str(clip), "sample:swirls", str(clip), "-o", str(out), "--style-layers", "relu1_1"]
    from stylegram.analysis import explain_page

    grid, titled = explain_page.plots.images_grid, []
    monkeypatch.setattr(explain_page.plots, "images_grid", lambda images, titles, *a, **k:
                        titled.append(titles) or grid(images, titles, *a, **k))
    for frame, shown in ((["--frame", "2"], "2 of 4"), ([], "4 of 4")):
        assert main([*words, *frame]) == 0
        page = out.read_text()
        assert f"<td>frame</td><td>{shown}</td>" in page and "mean Pearson r of <strong>1.00</strong>" in page
        assert capsys.readouterr().out.rstrip().endswith(f" of frame {shown})")  # the line names it too
        assert [f"content, frame {shown}, 64x43 px", "style, 64x64 px", f"result, frame {shown}, 64x43 px"] in titled
        titled.clear()  # the pictures' titles say it too
    first = tmp_path / "first.png"
    pictures[0].save(first)
    assert main(["explain", str(first), "sample:swirls", str(clip), "-o", str(out), "--style-layers", "relu1_1"]) == 2
    assert f"{first} has no frame 4, but its stylized video {clip} has 4: give the video it was made from" in \
        capsys.readouterr().err
    assert main([*words, "--frame", "5"]) == 2 and f"--frame 5: {clip} has 4 frames" in capsys.readouterr().err
    short = tmp_path / "short.gif"
    pictures[0].save(short, save_all=True, append_images=pictures[1:3], duration=100, loop=0)
    assert main(["explain", str(clip), "sample:swirls", str(short), "-o", str(out)]) == 2  # measured frame 3 of 3
    assert (f"{short} has 3 frames and the content {clip} 4: a stylized video has its content's frames; give the "
            "video it was made from") in capsys.readouterr().err
    assert main(["explain", str(first), "sample:swirls", str(first), "-o", str(out), "--frame", "1"]) == 2
    assert f"--frame picks a frame of a stylized video, and the result {first} is a picture" in capsys.readouterr().err
    # compare: one frame of each stylized video, against that frame of the video
    shifted = tmp_path / "shifted.gif"
    pictures[1].save(shifted, save_all=True, append_images=[*pictures[2:], pictures[0]], duration=100, loop=0)
    page = tmp_path / "compare.html"
    compare = ["compare", str(clip), "sample:swirls", "--results", str(clip), str(shifted), "-o", str(page),
               "--style-layers", "relu1_1"]
    assert main([*compare, "--frame", "3"]) == 0
    printed = capsys.readouterr().out
    kept = dict(re.findall(r"^(\w+): .*content r ([\d.]+)", printed, re.MULTILINE))
    assert float(kept["pan"]) == 1.0 and float(kept["shifted"]) < 0.95, printed  # frame 3 of each against frame 3
    assert "<td>frame</td><td>3 of 4</td>" in page.read_text()
    shorter = tmp_path / "shorter.gif"
    pictures[0].save(shorter, save_all=True, append_images=pictures[1:3], duration=100, loop=0)
    for frame in ([], ["--frame", "2"]):  # not the 'give --frame N' that let another clip's frame 2 be compared
        assert main([*compare[:5], str(shorter), *compare[6:], *frame]) == 2
        assert f"{shorter} has 3 frames and the content {clip} 4: a stylized video has its content's frames" in \
            capsys.readouterr().err
    assert main([*compare[:4], str(clip), str(first), *compare[6:]]) == 2
    assert f"{first} is a picture and {clip} a video" in capsys.readouterr().err
    (tmp_path / "clip.mp4").write_bytes(b"")  # a video content with a picture as the result: said so, not 'not an image'
    assert main(["explain", str(tmp_path / "clip.mp4"), "sample:swirls", str(first), "-o", str(page)]) == 2
    assert f"the content {tmp_path / 'clip.mp4'} is a video and the result {first} a picture: give the video " \
           "stylized from it" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "clip.mp4"), "sample:swirls", "--results", str(first), str(first),
                 "-o", str(page)]) == 2
    assert "is a video and the results pictures" in capsys.readouterr().err


def test_the_texture_line_says_the_coherence_that_tells_a_copy(tmp_path, capsys):
    """A straight crop of the example read '91% of the way', as a real texture does; only the page told them apart."""
    save_image(load_tensor(path("gravel"), size=128)[..., :64, :64], tmp_path / "crop.png")
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "crop.png"), "--example-scale", "0.25",
                 "--layers", "conv1_1,pool1", "-o", str(tmp_path / "why.html")]) == 0
    said = capsys.readouterr()
    assert re.search(r"^wrote .*why.html \(\d+% of the way to the example's Gram matrices, patches' coherence 1.00 "
                     r"\(near 1 for a copy\)\)$", said.out, re.M), said.out
    assert "much of it is copied from the example" in said.err


def test_a_texture_is_measured_from_its_noise_and_a_copy_of_the_example_is_caught(vgg):
    import stylegram

    example = load_tensor(path("gravel"), size=96)
    with pytest.warns(StylegramWarning, match=r"the texture's patches come from the example in whole pieces "
                                              r"\(coherence 1.00, .*\): much of it is copied"):  # it said no more
        copy = stylegram.explain_texture(example, example, model=vgg, layers="relu1_1,relu2_1")  # than 100 %
    assert copy.texture and copy.kept is None and copy.moved == pytest.approx(1.0)
    assert copy.matches[0].coherence > 0.9  # every patch paired with itself: neighbours with neighbours
    assert copy.headline() == "100% of the way to the example's Gram matrices, patches' coherence 1.00 (near 1 for a " \
                              "copy)"  # as the command line says it (Python's left the coherence out: trial AB)
    assert copy.copied() is not None and "not grown from this example" in dataclasses.replace(
        copy, grams=[dataclasses.replace(g, result=3 * g.start - 2 * g.target) for g in copy.grams]).headline()  # -200%
    grown = stylegram.texture(example, model=vgg, pooling="max", size=64, min_size=64, iterations="40",
                             layers="relu1_1,relu2_1")
    made = stylegram.explain_texture(example, grown.image, model=vgg, layers="relu1_1,relu2_1")
    assert made.moved > 0.5 and made.matches[0].coherence < 0.5  # near the statistics, its patches from all over
    assert made.copied() is None
    page = made.html()
    assert "Why this texture looks as it does" in page and "G(noise)" in page and "feature maps at" not in page
    assert page.count("<img") == 4  # pictures, two Gram layers, matches
    brick = load_tensor(path("brick"), size=96)  # one's grain, the other's layout: not a blend (trial V)
    both = stylegram.explain_texture([example, brick], grown.image, model=vgg, layers="relu1_1/relu2_1")
    assert both.grouped and both.goal() == "the Gram matrices of each layer's examples"
    assert "each example is measured on its own group of layers" in both.html()
    assert not made.grouped and made.goal() == "the example's Gram matrices"


def test_transfer_and_texture_write_their_explanation_with_explain(tmp_path, capsys):
    out, page = tmp_path / "cat.png", tmp_path / "why.html"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "sample:mosaic", "--style-blend", "0.7,0.3", "--size",
                 "64", "--min-size", "64", "--iterations", "10", "--style-layers", "relu1_1,relu2_1", "-o", str(out),
                 "--explain", str(page), "--quiet"]) == 0
    said = capsys.readouterr().out
    moved = re.search(r"wrote .*why.html \(why it looks as it does: (\d+)% of the way to the blend of the styles' Gram "
                      r"matrices, content r ([\d.]+)\)", said)  # was 'the style's', of two
    assert moved and 0 < int(moved[1]) < 100 and 0 < float(moved[2]) < 1, said
    text = page.read_text()  # measured as it was made: on its two layers, against the blend
    assert [m for m in re.findall(r"<td>(relu\d_1)</td><td>[\d.e+]+</td>", text)] == ["relu1_1", "relu2_1"]
    assert "style 2 (30%): coherence" in text and f"<td>{out}</td>" in text
    assert "<td>vgg19 (default, max pooling, replicate padding)</td>" in text  # the network as the run had it
    assert "<td>statistic</td>" not in text  # gram: what the page measures
    texture = tmp_path / "gravel.png"
    assert main(["texture", "sample:gravel", "--size", "64", "--example-scale", "0.25", "--iterations", "10", "-o",
                 str(texture), "--explain", str(page), "--quiet"]) == 0
    assert "Why this texture looks as it does" in page.read_text()
    assert main(["texture", "sample:gravel", "--size", "64", "--example-scale", "0.25", "--iterations", "5", "-o",
                 str(texture), "--statistic", "meanstd", "--explain", str(page), "--quiet"]) == 0
    assert ("<td>statistic</td><td>meanstd (made with it; measured here by Gram matrices, one yardstick for every "
            "picture)</td>") in page.read_text()  # a page of a meanstd picture said nothing of meanstd
    # a texture's examples placed by masks: each measured where it grows
    left = torch.zeros(1, 3, 64, 64)
    left[..., :32] = 1
    save_image(left, tmp_path / "left.png")
    save_image(1 - left, tmp_path / "right.png")
    assert main(["texture", "sample:gravel", "sample:swirls", "--masks", f"{tmp_path / 'left.png'},"
                 f"{tmp_path / 'right.png'}", "--size", "64", "--example-scale", "0.25", "--iterations", "10", "-o",
                 str(tmp_path / "masked.png"), "--explain", str(page), "--quiet"]) == 0
    assert "<td>example 2's mask</td><td>pool4</td>" in page.read_text()
    assert main(["texture", "sample:gravel", "-o", str(tmp_path / "g2.png"), "--explain", str(tmp_path / "w.txt")]) == 2
    assert "--explain " + str(tmp_path / "w.txt") + " should end in .html or .htm" in capsys.readouterr().err


def test_ctrl_c_while_measuring_for_explain_keeps_the_picture_and_says_how_to_measure_it_later(tmp_path, capsys,
                                                                                             monkeypatch):
    import shlex

    from stylegram.analysis import explain

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out, page = tmp_path / "cat.png", tmp_path / "why.html"
    left = torch.zeros(1, 3, 2, 3)
    left[..., :1] = 1
    save_image(left, tmp_path / "left.png")
    save_image(1 - left, tmp_path / "right.png")
    masks = f"{tmp_path / 'left.png'},{tmp_path / 'right.png'}"
    with monkeypatch.context() as patched:
        patched.setattr(explain, "of_transfer", interrupted)
        assert main(["transfer", "sample:chelsea", "sample:swirls", "sample:mosaic", "--style-blend", "0.7,0.3",
                     "--style-scale", "0.8", "--style-layers", "relu1_1,relu2_1", "--size", "64", "--min-size", "64",
                     "--iterations", "3", "--style-masks", masks, "-o", str(out), "--explain", str(page),
                     "--quiet"]) == 130
    said = capsys.readouterr().err
    assert out.exists() and not page.exists()
    later = re.search(r"the picture is written, and (stylegram explain .*) writes .*why.html from it", said)[1]
    words = shlex.split(later)
    assert words[words.index("--style-blend") + 1] == "0.7,0.3" and "--style-scale" in words and \
        words[words.index("--style-layers") + 1] == "relu1_1,relu2_1" and words[words.index("--style-masks") + 1] == masks
    assert main(words[1:]) == 0  # the command it gave measures it, each style in its mask
    assert "style 2 (30%)" in page.read_text() and "<td>mosaic's mask</td><td>relu2_1</td>" in page.read_text()
    assert "Percentages are the styles' weights, each one's strength in its part." in page.read_text()


def test_a_tileable_texture_is_measured_as_it_was_made_with_circular_padding(vgg):
    """Circular padding makes the network's maps move with the picture when it is shifted around the wrap-around
    border (by a multiple of the layers' stride), so a tileable texture shifted so measures the same; the backbone's
    own padding sees a seam where the shift put the border and does not."""
    import stylegram

    example = load_tensor(path("gravel"), size=64)
    grown = stylegram.texture(example, model=vgg, pooling="max", size=64, min_size=64, iterations="20",
                              layers="relu1_1,relu2_1", tileable=True).image
    shifted = grown.roll((16, 16), dims=(-2, -1))
    keywords = {"model": vgg, "layers": "relu1_1,relu2_1"}
    circular = [stylegram.explain_texture(example, image, tileable=True, **keywords) for image in (grown, shifted)]
    own = [stylegram.explain_texture(example, image, **keywords) for image in (grown, shifted)]
    assert [g.moved for g in circular[0].grams] == pytest.approx([g.moved for g in circular[1].grams], abs=1e-5)
    assert abs(own[0].grams[0].after - own[1].grams[0].after) > 10 * abs(circular[0].grams[0].after
                                                                         - circular[1].grams[0].after)
    assert vgg.padding != "circular"  # measured with a copy: the shared network keeps its padding


def test_the_explain_command_measures_as_the_result_was_made_padding_included(tmp_path, capsys, monkeypatch):
    """A transfer is measured with its default replicate padding, a --tileable texture with circular padding, and
    the command printed on Ctrl-C while measuring a texture's --explain carries --tileable."""
    import shlex

    from stylegram.analysis import explain

    content, out = tmp_path / "cat.png", tmp_path / "why.html"
    save_image(load_tensor(path("chelsea"), size=64), content)
    assert main(["explain", str(content), "sample:swirls", str(content), "-o", str(out), "--style-layers",
                 "relu1_1"]) == 0
    assert "(default, max pooling, replicate padding)" in out.read_text()
    texture, page = tmp_path / "gravel.png", tmp_path / "texture.html"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(explain, "of_texture", interrupted)
        assert main(["texture", "sample:gravel", "--size", "64", "--example-scale", "0.25", "--iterations", "5",
                     "--tileable", "-o", str(texture), "--explain", str(page), "--quiet"]) == 130
    later = re.search(r"the picture is written, and (stylegram explain .*) writes .*texture.html from it",
                      capsys.readouterr().err)[1]
    words = shlex.split(later)
    assert "--tileable" in words and "--padding" not in words and texture.exists() and not page.exists()
    capsys.readouterr()
    assert main(words[1:]) == 0 and "(default, avg pooling, circular padding)" in page.read_text()
    said = capsys.readouterr()  # a texture has no content maps to measure, and the numbers say so
    assert "measuring the Gram matrices and patches\n" in said.err
    assert re.fullmatch(rf"wrote {re.escape(str(page))} \((\d+% of the way to|further from) the example's Gram "
                        r"matrices.*\)\n", said.out)  # five iterations, stopped: it may not have got far
    assert main(["explain", str(content), "sample:swirls", str(content), "-o", str(out), "--tileable"]) == 2
    assert "--tileable is for a texture (--texture); a transfer does not tile" in capsys.readouterr().err
    assert main(["explain", "--texture", "sample:gravel", str(texture), "-o", str(out), "--tileable", "--padding",
                 "zeros"]) == 2
    assert "--tileable needs circular padding, as a texture that tiles is made and measured, but --padding is 'zeros'" in \
        capsys.readouterr().err


def test_a_result_further_from_the_target_than_its_start_is_said_in_words(tmp_path, capsys):
    """A texture stopped in a stall measured '-167% of the way to the example's Gram matrices', a riddle."""
    red = save_image(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 96, 96), tmp_path / "red.png")
    assert main(["explain", "--texture", "sample:swirls", str(red), "-o", str(tmp_path / "why.html")]) == 0
    said = re.search(r"\(further from the example's Gram matrices than the noise it started from \((-\d+)% of the way "
                     r"to the example's Gram matrices\): the run stopped before it settled, or went astray; more "
                     r"iterations may help \(unless it was not grown from this example\), patches' coherence [\d.]+ "
                     r"\(near 1 for a copy\)\)", capsys.readouterr().out)
    assert said and int(said[1]) < -100


def test_a_transfer_measured_against_another_style_is_asked_whether_it_was_made_with_it(tmp_path, capsys):
    """chelsea in mosaic measured against swirls read '-110% ... the run stopped before it settled, or went astray;
    more iterations may help': the advice sent the user the wrong way."""
    out = tmp_path / "mosaic.png"
    assert main(["transfer", "sample:chelsea", "sample:mosaic", "-o", str(out), "--size", "64", "--min-size", "64",
                 "--iterations", "30", "--quiet"]) == 0
    assert main(["explain", "sample:chelsea", "sample:swirls", str(out), "-o", str(tmp_path / "why.html")]) == 0
    said = capsys.readouterr().out
    assert re.search(r"further from the style's Gram matrices than the content \(-\d+% of the way to the style's Gram "
                     r"matrices\): was it made with this style\? A transfer moves towards", said)
    assert "more iterations" not in said


@pytest.mark.filterwarnings("ignore:the result's relu4_2 maps follow the content's no better")  # a flat picture
def test_a_transparent_result_is_measured_on_the_colours_the_run_painted_under_its_transparency(vgg, tmp_path):
    """A transfer from a transparent content paints under the transparent part too, and writes that part see-through:
    explain read it on white, 28 % of the way for a picture whose colours went 64 %, and said nothing."""
    from PIL import Image

    rgba = np.zeros((43, 64, 4), np.uint8)  # chelsea's aspect
    rgba[..., 0], rgba[..., 2], rgba[..., 3] = 200, 60, 255
    rgba[:, :20, 3] = 0  # the left third see-through, red-blue under it
    Image.fromarray(rgba).save(tmp_path / "result.png")
    with pytest.warns(StylegramWarning, match=r"result is 31% transparent: it is measured on the colours stored "
                                              r"under its transparent part, as the run made them"):
        why = stylegram.explain("sample:chelsea", "sample:swirls", tmp_path / "result.png", size=64, model=vgg)
    assert why.result[0, :, :, :20].mean(dim=(1, 2)).tolist() == pytest.approx([200 / 255, 0, 60 / 255], abs=1e-3)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    with warnings.catch_warnings(record=True) as heard:  # an opaque result says nothing of it
        warnings.simplefilter("always")
        stylegram.explain("sample:chelsea", "sample:swirls", tmp_path / "opaque.png", size=64, model=vgg)
    assert not [w for w in heard if "transparent" in str(w.message)]


def test_a_content_that_already_has_the_styles_statistics_is_refused(vgg):
    """explain(gravel, gravel, texture of it) read '100% of the way' at every layer, whatever the result."""
    with pytest.raises(OptionError, match=re.escape("the content already has the style's Gram matrices at every layer "
                                                    "(are the content and the style the same picture?)")):
        stylegram.explain("sample:gravel", "sample:gravel", "sample:swirls", size=64, model=vgg)


def test_a_negative_mean_from_layers_the_run_did_not_match_is_not_called_a_failed_run():
    """A texture made on conv1_1,pool1 and measured on the five default layers went 99, 97, 94, 69 % of the way on the
    first four and -1296 % on pool4: the mean, -187 %, was headlined as a run that 'went astray; more iterations may
    help'. The headline names the layer that drags it down, and the middle layer's share."""
    from stylegram.analysis.explain import Explanation, StyleLayer

    def layer(name: str, share: float) -> StyleLayer:  # moved = 1 - |result - target| / |start - target| = share
        start = torch.ones(2, 2)
        return StyleLayer(name, start, (1 - share) * start, torch.zeros(2, 2))

    image = torch.zeros(1, 3, 8, 8)
    shares = {"conv1_1": 0.99, "pool1": 0.97, "pool2": 0.94, "pool3": 0.69, "pool4": -12.96}
    why = Explanation(image, [image], [1.0], image, [layer(n, v) for n, v in shares.items()], [])
    assert why.moved == pytest.approx(sum(shares.values()) / 5) and [g.layer for g in why.astray()] == ["pool4"]
    assert why.headline() == ("-187% of the way to the example's Gram matrices on average, pulled down by pool4 "
                              "(-1296%), further from the example's than the noise it started from, while the middle "
                              "layer went 94%: a layer the run did not match (was it in --layers?) drifts so")
    maps = [torch.rand(4, 6, 6, generator=torch.Generator().manual_seed(n)) for n in range(3)]
    transfer = Explanation(image, [image], [1.0], image, [layer(n, v) for n, v in shares.items()], [], "relu4_2",
                           [maps[0], maps[0], maps[2]])  # a transfer: its option is --style-layers, its start content
    assert "further from the style's than the content, while the middle layer went 94%: a layer the run did not " \
           "match (was it in --style-layers?) drifts so" in transfer.headline()
    # A run whose layers mostly went backwards is still told it may need more iterations.
    stalled = Explanation(image, [image], [1.0], image, [layer(n, v - 1.5) for n, v in shares.items()], [])
    assert stalled.astray() == [] and "more iterations may help" in stalled.headline()


def test_a_placed_texture_is_measured_from_the_noise_it_grew_from_each_part_in_its_examples_colour():
    """Texture synthesis starts each mask's part around its example's mean colour; the measure's start noise does too
    (the same colours as synthesis.start_colour), not around the blend of both everywhere."""
    from stylegram import synthesis
    from stylegram.analysis.explain import start_noise
    from stylegram.analysis.placed import Part

    red, blue = torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16)
    red[:, 0], blue[:, 2] = 0.9, 0.8
    left = torch.zeros(1, 1, 32, 48)
    left[..., :24] = 1
    parts = [Part(0, left, None, "example 1's mask"), Part(1, 1 - left, None, "example 2's mask")]
    noise = start_noise([red, blue], [0.5, 0.5], (32, 48), parts=parts)
    assert noise[:, 0, :, :20].mean() > 0.75 and noise[:, 2, :, :20].mean() < 0.15  # red on the left
    assert noise[:, 2, :, 28:].mean() > 0.65 and noise[:, 0, :, 28:].mean() < 0.15  # blue on the right
    colour = synthesis.start_colour([red, blue], [0.5, 0.5], (32, 48), [left, 1 - left])
    assert torch.allclose(colour[..., 0, 0].flatten(), torch.tensor([0.9, 0, 0]))
    blended = start_noise([red, blue], [0.5, 0.5], (32, 48))
    assert abs(blended[:, 0, :, :20].mean() - 0.45) < 0.1 and abs(blended[:, 2, :, 28:].mean() - 0.4) < 0.1


def test_a_masked_gram_matrix_is_the_gram_matrix_of_the_positions_inside():
    from stylegram.analysis.placed import gram_over

    maps = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4) / 10
    left = torch.zeros(1, 1, 8, 8)
    left[..., :4] = 1  # at twice the maps' size: averaged down to their left half
    inside = maps[..., :2].reshape(2, -1)
    assert torch.allclose(gram_over(maps, left), inside @ inside.T / 8)
    everywhere = maps.reshape(2, -1)
    assert torch.allclose(gram_over(maps), everywhere @ everywhere.T / 16)


def test_placed_styles_are_measured_where_they_paint_and_label_maps_measure_as_their_masks(vgg, tmp_path):
    """Two styles, each in a half of the content: each half measured against its own style goes most of the way;
    the masks swapped, each half is measured against the other style and goes nowhere. Label maps that say the same
    (sky left from style 1, grass right from style 2) give the very numbers, and regions of the whole style images
    the numbers of the unplaced measure."""
    import stylegram

    content = load_tensor(path("chelsea"), size=64)
    h, w = content.shape[-2:]
    left = torch.zeros(1, 1, h, w)
    left[..., : w // 2] = 1
    masks = [left, 1 - left]
    styles = ["sample:swirls", "sample:mosaic"]
    made = stylegram.transfer(content, styles, model=vgg, size=64, min_size=64, iterations="30", style_masks=masks)
    keywords = {"model": vgg, "style_layers": "relu1_1,relu2_1,relu3_1"}
    placed = stylegram.explain(content, styles, made.image, style_masks=masks, **keywords)
    swapped = stylegram.explain(content, styles, made.image, style_masks=masks[::-1], **keywords)
    assert [g.part for g in placed.grams] == ["style 1's mask"] * 3 + ["style 2's mask"] * 3
    named = stylegram.explain(content, styles, made.image, style_masks=masks, style_names=["sky.png", "grass.png"],
                              **keywords)
    assert [g.part for g in named.grams] == ["sky.png's mask"] * 3 + ["grass.png's mask"] * 3
    assert placed.moved > 0.5 and swapped.moved < placed.moved - 0.5, (placed.moved, swapped.moved)
    sky, grass = torch.tensor([135, 206, 235]) / 255, torch.tensor([34, 139, 34]) / 255
    content_map = torch.where(left.bool(), sky.view(1, 3, 1, 1), grass.view(1, 3, 1, 1))
    maps = [content_map, sky.view(1, 3, 1, 1).expand(1, 3, 8, 8), grass.view(1, 3, 1, 1).expand(1, 3, 8, 8)]
    labelled = stylegram.explain(content, styles, made.image, labels=maps, **keywords)
    assert sorted({g.part for g in labelled.grams}) == ["label green (#228b22) from style 2",  # as --labels: names them
                                                        "label sky blue (#87ceeb) from style 1"]
    by_style = [{("style 1" in g.part, g.layer): g.moved for g in e.grams} for e in (labelled, placed)]
    assert by_style[0] == pytest.approx(by_style[1], abs=1e-4)
    whole = [torch.ones(1, 1, 8, 8)] * 2
    lent = stylegram.explain(content, styles, made.image, style_regions=whole, **keywords)
    plain = stylegram.explain(content, styles, made.image, **keywords)
    assert [g.part for g in lent.grams] == [None] * 3
    assert [g.moved for g in lent.grams] == pytest.approx([g.moved for g in plain.grams], abs=1e-5)
    page = placed.html()
    half = placed.matches[0].inside.shape[1] // 2  # each style paired where it paints: the left half, the right
    assert placed.matches[0].inside[:, :half - 1].all() and not placed.matches[0].inside[:, half + 1:].any()
    assert torch.equal(placed.matches[1].inside, ~placed.matches[0].inside) and plain.matches[0].inside is None
    assert placed.matches[0].used < plain.matches[0].used  # the patches of style 1's half only
    assert "A style placed by masks or label maps is paired only where it paints" in page
    assert labelled.matches[0].inside.tolist() == placed.matches[0].inside.tolist()
    assert "<th>part</th>" in page and "<td>style 2's mask</td><td>relu3_1</td>" in page
    assert page.count("<img") == 10  # the pictures, 2 parts x 3 layers, the content maps, each style's patches
    assert "Then the part of the result each style was placed in (its mask)" in page
    assert placed.names() == ["style 1", "style 2"] and "weights" not in page  # evenly placed: no blend to show
    assert plain.names() == ["style 1 (50%)", "style 2 (50%)"]
    from stylegram.analysis.placed import shown
    part = shown(made.image, left)  # the left half as it is, the right faded towards white
    assert torch.equal(part[..., : w // 2], made.image[..., : w // 2]) and part[..., w // 2:].min() >= 0.75
    with pytest.raises(OptionError, match="give labels, or style_masks and style_regions, not both"):
        stylegram.explain(content, styles, made.image, labels=maps, style_masks=masks, **keywords)


def test_the_explain_command_takes_the_masks_a_transfer_was_made_with(tmp_path, capsys):
    content, out = tmp_path / "cat.png", tmp_path / "why.html"
    save_image(load_tensor(path("chelsea"), size=64), content)
    left = torch.zeros(1, 3, 43, 64)
    left[..., :32] = 1
    save_image(left, tmp_path / "left.png")
    save_image(1 - left, tmp_path / "right.png")
    masks = f"{tmp_path / 'left.png'},{tmp_path / 'right.png'}"
    assert main(["explain", str(content), "sample:swirls", "sample:mosaic", str(content), "-o", str(out),
                 "--style-layers", "relu1_1", "--style-masks", masks]) == 0
    page = out.read_text()
    assert re.findall(r"<td>([\w.]+'s mask)</td><td>relu1_1</td>", page) == ["swirls's mask", "mosaic's mask"]  # by file
    assert f"<td>--style-masks</td><td>{masks}</td>" in page
    assert main(["explain", "--texture", "sample:gravel", str(content), "-o", str(out), "--masks", masks]) == 2
    assert "--masks names 2 masks for 1 example; give one per example image" in capsys.readouterr().err
    assert main(["explain", "--texture", "sample:gravel", str(content), "-o", str(out), "--style-regions", masks]) == 2
    assert "--style-regions measure a transfer; a texture has no content" in capsys.readouterr().err


def test_a_measurement_too_large_for_memory_is_refused_naming_the_enlarged_example(tmp_path, capsys, monkeypatch):
    """A 10 px texture measured at --size 64 enlarged its 512 px example with it to 3277 px: pairing its patches took
    23 GB before the kernel killed the process, with no message."""
    from stylegram import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 12 * 2**30)
    save_image(torch.rand(1, 3, 10, 10), tmp_path / "tiny.png")
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "tiny.png"), "--size", "64", "-o",
                 str(tmp_path / "z.html")]) == 2
    said = capsys.readouterr().err
    assert re.search(r"a 64x64 measurement \(its example measured at 3277x3277 px\) needs about \d+\.\d GiB but only "
                     r"12.0 GiB is available; measure at a --size of about 32 or less", said), said
    assert not (tmp_path / "z.html").exists()
    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 2**30)  # a plain one fits in 2 GiB (it peaks at 1.2)
    save_image(load_tensor(path("gravel"), size=96), tmp_path / "gravel.png")
    assert main(["explain", "--texture", "sample:gravel", str(tmp_path / "gravel.png"), "-o",
                 str(tmp_path / "fits.html")]) == 0
    need = memory.maps_bytes(default_backbone("avg"), ["relu3_1"], (64, 64))
    assert need == 4 * 256 * 16 * 16  # float32 maps at stride 4
    assert memory.patch_bytes(default_backbone("avg"), "relu3_1", (64, 64)) == memory.PATCH_COPIES * need * 9


def test_a_pairing_of_minutes_is_said_beforehand_and_a_quick_one_is_not():
    """explain --texture --size 1024 sat 307 s without a word: pairing the patches grows with the size's fourth power."""
    from stylegram.analysis.explain import check_measure_fits

    model = default_backbone("avg")

    def said(side: int) -> list[str]:
        images = {name: (torch.zeros(1, 3, side, side), ["relu3_1"]) for name in ("result", "example")}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_measure_fits(model, images, ["example"], "relu3_1")
        return [str(w.message) for w in caught]

    assert said(512) == []  # 16,384 x 16,384 patches: 0.6 trillion multiply-adds, seconds
    assert said(1024) == ["pairing the result's 65,536 patches at relu3_1 with 65,536 of the example is 10 trillion "
                          "multiply-adds, a minute or more on a CPU; size=512 pairs 16 times fewer"]
