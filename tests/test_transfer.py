import re
import warnings
import typing

import numpy as np
import pytest
import torch
from PIL import Image

import stylegram
from stylegram import color, gatys, images, optimize, starts, stats
from stylegram.errors import ImageError, LayerError, OptionError, StylegramWarning
from stylegram.images import load_tensor, save_image
from stylegram.samples import path
from stylegram.gatys import TransferOptions, prepare, resume, scale_sizes, transfer
from stylegram.losses import KeptImage
from stylegram.synthesis import prepare_texture

# many tests look at a run's start by asking for no steps, which is warned of (test_output_has_the_asked_size_...)
pytestmark = pytest.mark.filterwarnings("ignore:iterations=0 takes no step:stylegram.errors.StylegramWarning")
FAST = dict(size=96, min_size=48, iterations="6,4", tolerance=0, style_weight=300, detail=0, content_boost=0, polish=0, init="content")


@pytest.fixture(scope="module")
def vgg(vgg):
    """The default backbone padded as a transfer pads it (replicate; a given model is so copied), so that what these
    tests compute by hand with it is what the transfers ran."""
    from stylegram.backbones import with_padding

    return with_padding(vgg, "replicate")


@pytest.fixture(scope="module")
def pair(chelsea):
    """A small content photo and a swirly style image."""
    content = torch.nn.functional.interpolate(chelsea, size=(64, 96), mode="area")
    style = load_tensor(path("swirls"), size=96)
    return content, style


def run(job):
    records = list(job)
    return records, job.result()


def test_total_loss_falls_and_terms_are_named(vgg, pair):
    content, style = pair
    records, result = run(prepare(content, style, model=vgg, **FAST))
    assert len(records) == 10 and len(result.history) == 10
    assert records[0].stage == "scale 1 of 2" and records[-1].stage == "scale 2 of 2"
    names = set(records[0].losses)
    assert names == {"content.relu4_2", "tv", *{f"style.relu{i}_1" for i in range(1, 6)}}
    first_scale = [r.loss for r in records if r.scale == 0]
    assert first_scale[-1] < 0.7 * first_scale[0]
    assert records[-1].loss < records[len(first_scale)].loss  # falls at the fine scale too
    assert [r.size for r in records][-1] == (64, 96) and records[0].size == (32, 48)


def test_output_size_keeps_the_content_aspect(vgg, pair):
    content, style = pair
    result = transfer(content, style, model=vgg, **{**FAST, "size": 72, "min_size": 72})
    assert result.image.shape == (1, 3, 48, 72)
    assert result.image.std() > 0.02  # not constant
    assert 0 <= result.image.min() and result.image.max() <= 1


@pytest.mark.parametrize("iterations", ["0", "3,0"])
def test_output_has_the_asked_size_when_the_last_scale_gets_no_iterations(vgg, pair, iterations):
    content, style = pair  # 64x96 content, scales 48 and 96 px: the image used to stay at the coarse size
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        result = transfer(content, style, model=vgg, **{**FAST, "iterations": iterations})
    assert result.image.shape == (1, 3, 64, 96)
    said = [str(w.message) for w in heard]
    if iterations == "0":  # nothing optimized: the start (the content) at the output size, said so (it was written
        # as if optimized, without a word)
        assert (result.image - content).abs().mean() < 0.03  # upsampled from the coarse scale, so a little blurred
        assert said == ["iterations=0 takes no step, so the output is the start (init content) unchanged; give a "
                        "positive count to optimize it"]
    else:
        assert not said  # the coarse scale's steps carry over


def test_a_texture_of_no_steps_is_said_to_be_its_start(vgg):
    with pytest.warns(StylegramWarning, match=r"iterations=0,0 takes no step, so the output is the start \(smooth noise"):
        result = stylegram.texture("sample:gravel", model=vgg, pooling="max", size=48, min_size=24, iterations="0,0")
    assert result.image.shape == (1, 3, 48, 48)


def test_size_larger_than_content_needs_upscale(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match="upscale"):
        prepare(content, style, model=vgg, **{**FAST, "size": 200})
    with warnings.catch_warnings():
        warnings.simplefilter("error", StylegramWarning)  # 1.5x: no word
        job = prepare(content, style, model=vgg, **{**FAST, "size": 150, "upscale": True})
    assert job.problem.sizes()[-1] == (100, 150)
    speck = torch.full((1, 3, 1, 1), 0.5)  # a 1x1 content came out one flat grey square without a word
    with pytest.warns(StylegramWarning, match=r"^the content image is 1x1 px and is enlarged 64x to 64 px on its long "
                                              r"side \(size with upscale=True\), so what is stylized is the blur"):
        prepare(speck, style, model=vgg, **{**FAST, "size": 64, "upscale": True})


def test_scale_sizes_are_coarse_to_fine():
    assert scale_sizes((300, 450), 512, 128, 2.0) == [(85, 128), (171, 256), (341, 512)]
    assert scale_sizes((100, 100), 100, 128, 2.0) == [(100, 100)]


def test_blend_of_two_styles_equals_weighted_gram_targets(vgg, pair):
    content, style = pair
    other = torch.rand(1, 3, 96, 96)
    job = prepare(content, [style, other], model=vgg, style_blend="0.7,0.3", **FAST)
    size = job.problem.sizes()[-1]
    objective = job.problem.terms_at(size)
    target = objective.terms["style.relu3_1"][0].target
    side = job.problem.style_size(style, size)
    with torch.no_grad():
        g1 = stats.gram(vgg.extract(optimize.resize(style, side), ["relu3_1"])["relu3_1"])
        g2 = stats.gram(vgg.extract(optimize.resize(other, job.problem.style_size(other, size)), ["relu3_1"])["relu3_1"])
    assert torch.allclose(target, 0.7 * g1 + 0.3 * g2, rtol=1e-5, atol=1e-6)


def _gram_at(vgg, problem, style: torch.Tensor, size, layer: str) -> torch.Tensor:
    with torch.no_grad():
        return stats.gram(vgg.extract(optimize.resize(style, problem.style_size(style, size)), [layer])[layer])


def test_style_layer_groups_take_each_layer_from_its_styles(vgg, pair):
    """Control of scale (Gatys et al. 2017): the first style's fine layers, the second's coarse ones."""
    content, style = pair
    other, third = torch.rand(1, 3, 96, 96), torch.rand(1, 3, 80, 80)
    job = prepare(content, [style, other, third], model=vgg, style_blend="0.5,0.2,0.3",
                  style_layers="relu1_1,relu2_1/relu3_1:2,relu4_1/relu4_1,relu3_1:2", **FAST)
    size = job.problem.sizes()[-1]
    terms = job.problem.terms_at(size).terms
    assert set(terms) == {"content.relu4_2", "style.relu1_1", "style.relu2_1", "style.relu3_1", "style.relu4_1"}
    assert terms["style.relu1_1"][1] == pytest.approx(FAST["style_weight"] * 1 / 5)  # weights over all the layers
    assert terms["style.relu3_1"][1] == pytest.approx(FAST["style_weight"] * 2 / 5)
    assert torch.allclose(terms["style.relu1_1"][0].target, _gram_at(vgg, job.problem, style, size, "relu1_1"))
    blended = 0.4 * _gram_at(vgg, job.problem, other, size, "relu4_1") + 0.6 * _gram_at(vgg, job.problem, third, size, "relu4_1")
    assert torch.allclose(terms["style.relu4_1"][0].target, blended, rtol=1e-5, atol=1e-6)  # 0.2 : 0.3 of the two
    records, result = run(prepare(content, [style, other], model=vgg, style_layers="relu1_1/relu3_1", **FAST))
    assert records[-1].loss < records[0].loss and result.image.shape == (1, 3, 64, 96)


@pytest.mark.parametrize("layers, words", [
    ("relu1_1/relu3_1/relu4_1", "gives 3 groups split by '/' for 2 styles; give one group per style image"),
    ("relu1_1,relu3_1:2/relu3_1", "style layer relu3_1 has weight 2 in one group of style_layers and 1 in another"),
    ("relu1_1/", "no style layers given"),
    ("relu3_1:0.5,relu3_1:3,relu4_1", "style layer relu3_1 is given twice, with weights 0.5 and 3; give it once"),
])
def test_style_layer_groups_that_do_not_fit_are_named(vgg, pair, layers, words):
    content, style = pair
    with pytest.raises(OptionError, match=re.escape(words)):
        prepare(content, [style, style], model=vgg, style_layers=layers, **FAST)


def test_style_layer_groups_with_masks_give_each_region_its_styles_layers(vgg, pair, tmp_path):
    content, _ = pair
    red, blue = _red_and_blue_styles()
    job = prepare(content, [red, blue], model=vgg, style_masks=_half_masks(tmp_path, (64, 96)),
                  style_layers="relu1_1,relu2_1/relu3_1", **FAST)
    terms = job.problem.terms_at(job.problem.sizes()[-1]).terms
    assert {n for n in terms if n.startswith("style.")} == {"style.relu1_1.1", "style.relu2_1.1", "style.relu3_1.2"}
    assert terms["style.relu3_1.2"][1] == pytest.approx(FAST["style_weight"] * 1.0)  # its region's only layer: in full


def test_luminance_mode_keeps_the_content_chroma(vgg, pair):
    content, style = pair
    result = transfer(content, style, model=vgg, colors="luminance", **FAST)
    out_iq = color.rgb_to_yiq(result.image)[:, 1:]
    content_iq = color.rgb_to_yiq(content)[:, 1:]
    style_run = transfer(content, style, model=vgg, **FAST)
    assert (out_iq - content_iq).abs().mean() < 0.01
    assert (color.rgb_to_yiq(style_run.image)[:, 1:] - content_iq).abs().mean() > 0.02
    # the luminance did change: it is a transfer, not a copy
    assert (color.luminance(result.image) - color.luminance(content)).abs().mean() > 0.02


def test_match_mode_paints_in_the_contents_palette(vgg, pair):
    """--colors match: the style is moved to the content's palette first, so the output's mean colour and chroma
    spread follow the content's, where the plain transfer takes the style's."""
    content, style = pair
    matched = transfer(content, style, model=vgg, colors="match", **FAST).image
    plain = transfer(content, style, model=vgg, **FAST).image

    def chroma(x):  # mean and spread of I and Q
        iq = color.rgb_to_yiq(x)[:, 1:].flatten(2)
        return torch.cat([iq.mean(-1), iq.std(-1)], -1)

    assert (chroma(matched) - chroma(content)).abs().sum() < 0.5 * (chroma(plain) - chroma(content)).abs().sum()
    assert (matched - content).abs().mean() > 0.02  # still a transfer


@pytest.fixture
def cut_out(pair, tmp_path):
    """The content as a PNG whose left third is transparent (a cut-out subject, a logo)."""
    pixels = (pair[0][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    alpha = np.full(pixels.shape[:2] + (1,), 255, np.uint8)
    alpha[:, : pixels.shape[1] // 3] = 0
    Image.fromarray(np.concatenate([pixels, alpha], -1)).save(tmp_path / "cut_out.png")
    return tmp_path / "cut_out.png"


@pytest.mark.parametrize("method", ["gatys", "adain"])
def test_a_transparent_content_gives_a_transparent_png_and_a_jpeg_on_white(vgg, pair, cut_out, tmp_path, method):
    options = FAST if method == "gatys" else {"size": 96}
    result = transfer(cut_out, pair[1], method=method, **({"model": vgg} if method == "gatys" else {}), **options)
    png = np.asarray(Image.open(result.save(tmp_path / "out.png")))
    assert png.shape == (64, 96, 4)
    assert (png[:, :30, 3] == 0).all() and (png[:, 34:, 3] == 255).all()  # the content's cut, scaled to the output
    with pytest.warns(StylegramWarning, match="out.jpg: the content is 33% transparent, which a JPEG cannot keep"):
        jpeg = Image.open(result.save(tmp_path / "out.jpg"))  # no alpha: on white by it, as the content was read; it
    assert jpeg.mode == "RGB" and (np.asarray(jpeg)[:, :28] >= 245).all()  # showed the styled ground (trial S)
    assert np.asarray(jpeg)[:, 36:].std() > 5  # the opaque part styled
    assert np.array_equal(np.asarray(result.to_pil()), png)  # what a notebook shows keeps the cut too
    smaller = transfer(cut_out, pair[1], method="adain", size=48)
    assert smaller.alpha.shape == (1, 1, 32, 48)  # at the picture's size, not the content's (r.image * r.alpha failed)


def test_a_partly_transparent_content_is_stylized_from_its_own_colours(vgg, pair, tmp_path):
    """Its alpha is put on the output, so its colours were composited on white once too many: a half-clear dark edge
    was stylized as light grey and came out a milky halo on a dark page. A clear pixel is still read as white."""
    pixels = (pair[0][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    alpha = np.full(pixels.shape[:2] + (1,), 128, np.uint8)
    alpha[:, :16] = 0
    Image.fromarray(np.concatenate([pixels, alpha], -1)).save(tmp_path / "veiled.png")
    job = prepare(tmp_path / "veiled.png", pair[1], model=vgg, **FAST)
    seen = job.problem.content
    assert torch.equal(seen[..., 16:], images.load_tensor(tmp_path / "veiled.png", background=images.UNDER)[..., 16:])
    assert (seen[..., :16] == 1).all()  # clear: white, as before
    assert float(seen[..., 16:].mean()) < float(images.load_tensor(tmp_path / "veiled.png")[..., 16:].mean()) - 0.1


def test_a_transparent_style_is_named_as_read_on_white_unless_regions_say_what_it_lends(vgg, pair, cut_out):
    """A style half cut out was put on white without a word: a washed-out picture whose white nobody asked for."""
    with pytest.warns(StylegramWarning, match=r"style image 1 is 33% transparent, and its transparent part is read "
                                              r"as white, which then counts as part of it: give an opaque style"):
        gatys.prepare(pair[0], cut_out, model=vgg, **FAST)
    with pytest.warns(StylegramWarning, match="style image 2 is 33% transparent"):
        transfer(pair[0], [pair[1], cut_out], method="adain", size=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gatys.prepare(pair[0], pair[1], model=vgg, **FAST)  # opaque: no word
        gatys.prepare(cut_out, pair[1], model=vgg, **FAST)  # a transparent content is kept as such (its own test)
        region = np.zeros((64, 96), np.uint8)
        region[:, 40:] = 255
        gatys.prepare(pair[0], cut_out, model=vgg, style_regions=[Image.fromarray(region)], **FAST)
    with pytest.warns(StylegramWarning, match=r"example 1 is 33% transparent, .* give an opaque example"):
        prepare_texture(cut_out, model=vgg, pooling="max", size=64, iterations="1")


def test_weights_on_the_classic_tools_scale_are_warned_of(vgg, pair):
    """The PyTorch tutorial's style weight 1e6 ran without a word, painting as if the content weighed nothing, and
    jcjohnson's tv weight 1e-3 did nothing; stylegram's terms are relative errors of about 1 each."""
    with pytest.warns(StylegramWarning, match=r"style_weight=1e\+06 is 1e\+06 times content_weight, .* the "
                                              r"content counts for next to nothing"):
        gatys.prepare(*pair, model=vgg, **{**FAST, "style_weight": 1e6})
    with pytest.warns(StylegramWarning, match=r"tv_weight=0.001 is too small to smooth anything"):  # Python's words
        gatys.prepare(*pair, model=vgg, tv_weight=1e-3, **FAST)
    with pytest.warns(StylegramWarning, match=r"content_weight=500 is 50 times style_weight, .* the style counts for "
                                              r"little and the result stays near the photo"):  # it ran without a word
        gatys.prepare(*pair, model=vgg, **{**FAST, "content_weight": 5e2, "style_weight": 10})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gatys.prepare(*pair, model=vgg, **{**FAST, "style_weight": 100, "tv_weight": 0})
        gatys.prepare(*pair, model=vgg, **{**FAST, "content_weight": 5, "style_weight": 10})  # a choice, not a slip
        gatys.prepare(*pair, model=vgg, **{**FAST, "style_weight": 0.01})  # a sweep's lowest: the content not raised
        gatys.prepare(*pair, model=vgg, content_weight=0, **FAST)  # the style alone, meant so


def test_an_animated_style_is_said_to_be_read_by_its_first_frame(vgg, pair, tmp_path):
    """An MP4 style is refused, but an animated GIF was taken without a word (its first frame)."""
    frames = [Image.fromarray(np.full((32, 32, 3), v, np.uint8)) for v in (40, 200)]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    with pytest.warns(StylegramWarning, match=r"^style image 1 \(moving\.gif\) is animated, and only its first frame "
                                              r"is read: give a still picture"):
        prepare(pair[0], [tmp_path / "moving.gif"], model=vgg, iterations="1", size=64)


def test_a_panorama_at_the_default_size_is_told_the_size_that_keeps_it_from_a_sliver(vgg, pair):
    """--size is the long side, 512 when not given: a 12000x800 panorama came out 512x34 without a word."""
    with pytest.warns(StylegramWarning, match=r"^the output is 512x34 px: size, its long side, is 512 px when not "
                      r"given, and the content is 15 times as wide as it is tall; give size=1913 for one 128 px tall$"):
        gatys.warn_thin_default((800, 12000), TransferOptions())
    with pytest.warns(StylegramWarning, match=r"^the output is 42x512 px: .* 12 times as tall as it is wide; give "
                      r"size=1570 for one 128 px wide$"):
        prepare(torch.rand(1, 3, 1600, 130), pair[1], model=vgg, iterations="1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gatys.warn_thin_default((2000, 6000), TransferOptions())  # 512x171: thick enough
        gatys.warn_thin_default((800, 12000), TransferOptions(size=512))  # asked for
        gatys.warn_thin_default((50, 600), TransferOptions())  # a content this thin itself: meant so


def test_a_large_content_and_style_are_read_at_the_scale_the_output_needs(vgg, tmp_path, monkeypatch):
    """A phone-size JPEG is decoded at the JPEG decoder's reduced scale that still covers --size (a style's: its
    --style-scale times that), by a pass and by the optimization; a resumed run reads the same pixels, so the digests
    its checkpoint recorded match (the optimization read its inputs in full for them: a 48 MP PNG content took
    1.0 GB of floats)."""
    from PIL import JpegImagePlugin

    rng = np.random.default_rng(0)
    photo, style = tmp_path / "photo.jpg", tmp_path / "style.jpg"
    Image.fromarray((rng.random((768, 1024, 3)) * 255).astype(np.uint8)).save(photo)
    Image.fromarray((rng.random((1024, 1024, 3)) * 255).astype(np.uint8)).save(style)
    drafted, real = [], JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft",
                        lambda self, mode, size: drafted.append(size) or real(self, mode, size))
    assert transfer(photo, "sample:swirls", method="adain", size=128).image.shape[-2:] == (96, 128)
    assert drafted == [(128, 96)]
    job = gatys.prepare(photo, style, model=vgg, size=128, style_scale=1.5, iterations="1", min_size=128)
    assert drafted[1:] == [(128, 96), (256, 256)]  # the style's 192 px need: 1/4 of it, as 1/8 is under
    assert [tuple(s.shape[-2:]) for s in job.problem.styles] == [(256, 256)]
    list(job)
    job.checkpoint(tmp_path / "run.ckpt")
    assert [r.iteration for r in resume(tmp_path / "run.ckpt", photo, style, model=vgg)] == []  # 1 of 1 done: no digest error


def test_progress_shows_the_command_lines_bar_and_is_off_by_default(vgg, pair, capsys):
    quiet = transfer(*pair, model=vgg, **FAST)
    assert capsys.readouterr().err == ""
    shown = transfer(*pair, model=vgg, **FAST, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()  # off a terminal: a line as each stage starts, and the last
    assert lines[0].startswith("scale 1 of 2: 0/10 it") and "scale 2 of 2" in lines[-1]
    assert lines[-1].split(": ", 1)[1].startswith("10/10 it (100%)") and "style " in lines[-1]
    assert torch.equal(quiet.image, shown.image)  # the bar only watches


def test_a_notebook_shows_a_result_as_its_picture_and_an_explanation_as_its_page(vgg, pair):
    """Jupyter's formatter gets the picture (not a dump of the tensor) and the explain page in a frame, each with a
    short text form that gives the numbers."""
    import html
    import io

    from IPython.core.formatters import DisplayFormatter

    result = transfer(*pair, model=vgg, **FAST)
    shown, _ = DisplayFormatter().format(result)
    png = Image.open(io.BytesIO(shown["image/png"]))
    assert png.size == (96, 64) and np.array_equal(np.asarray(png), np.asarray(result.to_pil()))
    assert np.array_equal(np.asarray(png), np.asarray(images.to_image(result.image)))
    iterations = result.history[-1]["iteration"]
    assert re.fullmatch(rf"Result\(transfer, 96x64 px, {iterations} iterations in \d+\.\d s, loss [\d.]+\)",
                        shown["text/plain"])
    assert re.fullmatch(r"Result\(transfer by adain, alpha 0.6, 96x64 px, \d+\.\d s\)",
                        repr(transfer(*pair, method="adain", size=96, alpha=0.6)))  # alpha was left out
    why = stylegram.explain(pair[0], pair[1], result.image, model=vgg, style_layers="relu1_1,relu2_1")
    shown, _ = DisplayFormatter().format(why)
    assert shown["text/plain"] == (f"Explanation(transfer: {100 * why.moved:.0f}% of the way from the content's Gram "
                                   f"matrices to the style's over relu1_1, relu2_1; relu4_2 maps r {why.kept:.2f} "
                                   f"with the content's, {why.chance:.2f} with the style's)")
    frame = re.fullmatch(r'<iframe srcdoc="([^"]*)" .*></iframe>', shown["text/html"], re.DOTALL)
    assert html.unescape(frame[1]) == why.html()
    several = stylegram.compare(pair[0], pair[1], [result.image, pair[0]], model=vgg, style_layers="relu1_1")
    assert repr(several) == (f"Comparison(2 transfers: result 1: style {100 * several.explained[0].moved:.0f}%, "
                             f"content r {several.explained[0].kept:.2f}; result 2: style "
                             f"{100 * several.explained[1].moved:.0f}%, content r 1.00)")


def test_same_seed_gives_identical_bytes(vgg, pair, tmp_path):
    content, style = pair
    opts = {**FAST, "init": "noise", "seed": 3}
    a = transfer(content, style, model=vgg, **opts).save(tmp_path / "a.png")
    b = transfer(content, style, model=vgg, **opts).save(tmp_path / "b.png")
    c = transfer(content, style, model=vgg, **{**opts, "seed": 4}).save(tmp_path / "c.png")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    # the same run from an options object, with a change on top (transfer() took only keywords)
    d = transfer(content, style, TransferOptions(**{**opts, "seed": 4}), model=vgg, seed=3).save(tmp_path / "d.png")
    assert d.read_bytes() == a.read_bytes()
    with pytest.raises(OptionError, match="give TransferOptions, not DreamOptions"):
        transfer(content, style, stylegram.DreamOptions())


def test_a_noise_start_ends_as_bright_as_a_grey_one(vgg):
    """With strong white noise (std 0.2) astronaut/swirls came out dark: mean 0.29 against 0.37, 7 % near black."""
    runs = {init: transfer("sample:astronaut", "sample:swirls", model=vgg, size=96, init=init, iterations="40", polish=10)
            for init in ("noise", "gray")}
    means = {init: float(r.image.mean()) for init, r in runs.items()}
    assert abs(means["noise"] - means["gray"]) < 0.03, means
    assert float((runs["noise"].image.max(1).values < 0.08).float().mean()) < 0.01


def test_resume_from_checkpoint_is_bit_identical(vgg, pair, tmp_path, checkpoint_at):
    content, style = pair
    full = transfer(content, style, model=vgg, **FAST)
    job = prepare(content, style, model=vgg, **FAST)
    checkpoint_at(job, 7)  # inside the second scale, with L-BFGS history built up
    resumed = stylegram.resume_transfer(tmp_path / "run.ckpt", content, style, model=vgg)  # README's front door
    records = list(resumed)
    assert [r.iteration for r in records] == [8, 9, 10]
    assert torch.equal(resumed.result().image, full.image)


def test_a_content_larger_than_the_output_is_worked_on_at_the_output_size(vgg, chelsea, tmp_path, checkpoint_at):
    """A 12-megapixel photo for 512 px was resized from its own pixels at every scale, start and colour match: 1.4 GB
    at --size 128. The working copy is no larger than the output; the checkpoint still knows the photo itself."""
    content, style = chelsea[..., :300, :400], load_tensor(path("swirls"), size=96)
    job = prepare(content, style, model=vgg, **{**FAST, "init": "auto", "colors": "match"})
    assert tuple(job.problem.work_content.shape[-2:]) == job.problem.sizes()[-1] == (72, 96)
    assert torch.equal(job.problem.inputs()["content"], content)
    assert gatys.no_larger(content, (400, 300)) is content  # taller than it: kept as it is, not stretched
    resumed = resume(checkpoint_at(job, 3), content, style, model=vgg)
    assert [r.iteration for r in resumed][0] == 4
    with pytest.raises(OptionError, match=r"inputs differ .*\(content"):  # a change the working copy would hide
        resume(tmp_path / "run.ckpt", content + 1e-3 * (torch.arange(400) == 7).float(), style, model=vgg)


def test_a_resumed_run_says_which_start_auto_chose(vgg, pair, checkpoint_at):
    """The resumed run's 'wrote' line left out what --init auto had chosen: the run that chose it had stopped."""
    content, style = pair
    job = prepare(content, style, model=vgg, **{**FAST, "init": "auto"})
    resumed = resume(checkpoint_at(job, 2), content, style, model=vgg)
    list(resumed)
    assert resumed.problem.chosen() == job.problem.chosen() and job.problem.chosen().startswith("--init auto chose")


def test_resume_with_other_images_is_refused(vgg, pair, tmp_path):
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    next(iter(job))
    job.checkpoint(tmp_path / "run.ckpt")
    with pytest.raises(OptionError, match=r"inputs differ from the run that wrote the checkpoint \(content\)"):
        resume(tmp_path / "run.ckpt", content.flip(-1), style, model=vgg)  # went on silently with the new photo
    with pytest.raises(OptionError, match=r"\(style 1\)"):
        resume(tmp_path / "run.ckpt", content, [style.flip(-1)], model=vgg)
    with pytest.raises(OptionError, match=r"made from 1 style image and 2 were given; give the same ones in the same "):
        resume(tmp_path / "run.ckpt", content, [style.flip(-1), style], model=vgg)
    assert [r.iteration for r in resume(tmp_path / "run.ckpt", content, style, model=vgg)][0] == 2
    # options at other values than the checkpoint's: size failed inside the optimizer, the rest went on unsaid
    with pytest.raises(OptionError, match=r"^size=200 \(checkpoint: \d+\), style_weight=100 \(checkpoint: 300\.0\): a "
                                          r"resumed run goes on with the options in its checkpoint .*run.ckpt; drop them, "
                                          r"or start a new run with stylegram.prepare_transfer$"):
        resume(tmp_path / "run.ckpt", content, style, model=vgg, size=200, style_weight=100)
    with pytest.raises(OptionError, match=r"checkpoint .*photo.png is named as a picture \(.png\), and a checkpoint "
                                          "is not one: give a name such as run.ckpt"):
        job.checkpoint(tmp_path / "photo.png")  # from Python it overwrote the run's own content
    with pytest.raises(ImageError, match="it is a folder; give a file name"):
        job.checkpoint(tmp_path)  # was a raw IsADirectoryError naming a temporary file
    same = resume(tmp_path / "run.ckpt", content, style, model=vgg, size=job.options.size, seed=job.options.seed)
    assert next(iter(same)).iteration == 2  # the checkpoint's own values may be given


def test_adam_also_lowers_the_loss(vgg, pair):
    content, style = pair
    records, _ = run(prepare(content, style, model=vgg, optimizer="adam", lr=0.03, **FAST))
    assert records[-1].loss < records[0].loss


def test_early_stop_when_converged(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, size=64, min_size=64, iterations=50, tolerance=0.5, patience=2)
    records = list(job)
    assert len(records) < 50
    # the total a bar shows drops the iterations a stopped stage leaves unrun (25 over the spectrum, 25 polish)
    assert records[0].total == 50 and records[-1].total == records[-1].iteration
    switch = next(i for i, r in enumerate(records) if r.scale == 1)
    assert records[switch - 1].total == records[switch - 1].iteration + 25 == records[switch].total
    assert all(a.total >= b.total for a, b in zip(records, records[1:]))


def test_pixels_stay_in_range_and_the_saved_image_is_scored(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    records = list(job)
    image = job.result().image
    assert image.min() >= 0 and image.max() <= 1
    assert torch.equal(records[-1].image(), image)


def test_a_job_shows_its_run_not_its_tensors(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    next(iter(job))
    assert repr(job) == "Job(transfer, 2 scales to 96x64 px, at iteration 1 of 10)"  # was the whole problem and state


def test_a_result_taken_part_way_keeps_its_history_as_it_was(vgg, pair):
    """A Result taken after 3 iterations showed 25 in its history once the run went on, beside its 3-iteration image."""
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    for record in job:
        if record.iteration == 3:
            break
    with pytest.warns(StylegramWarning, match=r"^this job is at iteration 3 of 10, so its result is the picture so "
                      r"far: call job.run\(\) \(or iterate the job\) to finish it, or job.result\(so_far=True\) to"):
        part = job.result()  # a prepared job's result was its start, without a word (trial AF)
    assert torch.equal(job.result(so_far=True).image, part.image)
    list(job)
    assert job.finished and len(part.history) == 3 and len(job.result().history) > 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        job.result()  # finished: no word


def test_a_job_runs_until_told_to_stop_handing_on_each_iteration(vgg, pair):
    """Job.until: the web page's jobs and a sweep's pictures run so (each had its own loop)."""
    content, style = pair
    job, seen = prepare(content, style, model=vgg, **FAST), []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the picture so far is what is wanted: no warning
        result, stopped = job.until(lambda: len(seen) == 4, lambda p: seen.append(p.iteration))
        assert stopped and seen == [1, 2, 3, 4] and len(result.history) == 4 and not job.finished
        result, stopped = job.until(lambda: False)
    assert not stopped and job.finished and len(result.history) == 10
    assert job.until(lambda: True)[1]  # asked before the first iteration too

def test_bad_options_are_named(vgg, pair):
    content, style = pair
    with pytest.raises(LayerError, match="did you mean relu4_1"):
        prepare(content, style, model=vgg, style_layers="relu4_1,relu4_11")
    with pytest.raises(OptionError, match="between 1 and"):
        prepare(content, style, model=vgg, size=0)
    with pytest.raises(OptionError, match="between 1 and"):
        prepare(content, style, model=vgg, size=100000, upscale=True)
    with pytest.raises(OptionError, match="2 weights for 1 style"):
        prepare(content, style, model=vgg, style_blend="0.5,0.5")
    with pytest.raises(OptionError, match="style blend '0.01' weighs several styles against each other, and there is "
                                          "one style: drop it .a style's strength is style_weight"):  # was ignored
        prepare(content, style, model=vgg, style_blend="0.01")
    with pytest.raises(OptionError, match="colors None is not one of style, match, original, luminance"):  # was quoted: 'None'
        prepare(content, style, model=vgg, colors=None)
    with pytest.raises(OptionError, match="all zero"):
        prepare(content, [style, style], model=vgg, style_blend="0,0")
    with pytest.raises(OptionError, match="non-negative"):
        prepare(content, [style, style], model=vgg, style_blend="1,-1")
    with pytest.raises(OptionError, match="unknown transfer option.s.: styel_weight; did you mean style_weight"):
        prepare(content, style, model=vgg, styel_weight=3)
    with pytest.raises(OptionError, match="unknown transfer option.s.: styel_weight; did you mean style_weight"):
        TransferOptions(styel_weight=3)  # was the dataclass's TypeError: unexpected keyword argument
    with pytest.raises(OptionError, match=r"unknown transfer option.s.: original_colors; colors original \(or "
                                          r"luminance, match\) keeps the content's colours"):  # it named it alone
        prepare(content, style, model=vgg, original_colors=True)
    for empty in (np.zeros((0, 0, 3), np.uint8), torch.zeros(1, 3, 0, 5)):  # was a ZeroDivisionError
        with pytest.raises(ImageError, match=r"content image: the (array|tensor) is empty \(\d+x0 px\)"):
            prepare(empty, style, model=vgg)
    with pytest.raises(OptionError, match=r"style_layers takes names or numbers, as text or a list of them; "
                                          r"got \['relu1_1', None\]"):
        prepare(content, style, model=vgg, style_layers=["relu1_1", None])
    listed = prepare(content, style, model=vgg, style_layers=["relu1_1", "relu2_1"], iterations=5)  # AttributeError
    assert listed.options.style_layers == "relu1_1,relu2_1" and sum(listed.schedule.iterations) == 5
    with pytest.raises(OptionError, match=r"^these are transfer options, so give TransferOptions, not dict; a dict of "
                                          r"options goes in as keywords: \*\*options$"):
        prepare(content, style, {"size": 64}, model=vgg)
    with pytest.raises(OptionError, match=r"give TransferOptions, not Tensor; several images go in one list"):
        prepare(content, style, style, model=vgg)
    weighted = prepare(content, style, model=vgg, style_layers={"relu3_1": 0.5, "relu4_1": np.float32(1)})
    assert weighted.options.style_layers == "relu3_1:0.5,relu4_1:1"  # was an AttributeError: 'dict' ... 'strip'
    assert weighted.problem.style_layers == {"relu3_1": 0.5, "relu4_1": 1.0}
    with pytest.raises(OptionError, match=r"style_layers takes a weight \(a number\) for each name; got \{'relu3_1': 'x'\}"):
        prepare(content, style, model=vgg, style_layers={"relu3_1": "x"})
    with pytest.raises(OptionError, match="whole numbers per scale like 20,90, got 'abc'"):
        prepare(content, style, model=vgg, iterations="abc")
    with pytest.raises(OptionError, match="iterations must not be negative, got '-3'"):  # was [-1, -2], the stages
        prepare(content, style, model=vgg, iterations="-3")
    with pytest.raises(OptionError, match="patience must be at least 1 iteration, got 0"):
        prepare(content, style, model=vgg, patience=0)
    for lr in (0, -1, float("nan"), float("inf"), 1e39):  # 0 once meant the default; 1e39 overflowed inside Adam
        with pytest.raises(OptionError, match=re.escape(f"lr must be a positive step size of at most 1e+06, got {lr}")):
            prepare(content, style, model=vgg, lr=lr, optimizer="adam")


@pytest.mark.parametrize("option, value, words", [
    ("tv_weight", -1.0, "tv_weight must be a number at least 0, got -1.0"),
    ("content_weight", float("nan"), "content_weight must be a number at least 0, got nan"),
    ("style_weight", float("inf"), "style_weight must be a number at least 0, got inf"),
    ("detail", -0.5, "detail must be a number at least 0"),
    ("content_boost", float("nan"), "content_boost must be a number at least 0"),
    ("tolerance", -1e-3, "tolerance must be a number at least 0"),
    ("style_scale", 0.0, "style_scale must be a number greater than 0, got 0.0"),
    ("scale_factor", float("nan"), "scale_factor must be a number greater than 1, got nan"),
    ("max_memory", 0.0, "max_memory must be a number greater than 0"),
    ("seed", 10**23, "seed must be a whole number from 0 to 9223372036854775807"),  # an OverflowError traceback
    ("seed", -2, "seed must be a whole number from 0"),  # -1 draws one, as --seed -1 does
    ("decay", 20.0, "decay must be at most 10"),  # the first step's loss was NaN: "lower the learning rate"
    ("statistic", 5, "statistic must be a name such as 'gram'"),  # an AttributeError
])
def test_numbers_out_of_range_are_named_before_any_work(option, value, words, pair, monkeypatch):
    """Once these ran: a negative tv weight rewarded noise, NaN weights ended in a NaN loss, NaN scales in a traceback."""
    monkeypatch.setattr(gatys, "load_backbone", lambda *a, **k: pytest.fail("loaded a backbone before the check"))
    content, style = pair
    with pytest.raises(OptionError, match=re.escape(words)):
        prepare(content, style, **{option: value})


@pytest.mark.parametrize("options, words", [
    ({"alpha": 0.5}, "alpha=0.5 is the style strength of method adain and wct (and of the AdaIN start, init adain), "
                     "and this run optimizes (method gatys) from another start, so it would be ignored: add "
                     "method adain (or wct) for a one-pass picture, or init adain, or drop it (a gatys run's strength "
                     "is style_weight)"),  # it named --init alone, where --method adain was the likelier fix (trial AA)
    ({"optimizer": "adam", "history": 5}, "history is L-BFGS's memory, and optimizer is adam"),
    ({"parameterization": "pixels", "decay": 1.5}, "decay shapes the spectrum search, and parameterization is pixels"),
    ({"parameterization": "pixels", "polish": 10}, "polish follows the spectrum search"),
    ({"upscale": True}, "upscale enlarges the content to size, and no size is given, so it would be ignored"),
])
def test_options_the_others_make_unread_are_refused(options, words, pair):
    with pytest.raises(OptionError, match=re.escape(words)):
        prepare(*pair, **options)


def test_a_scale_factor_that_makes_a_long_pyramid_is_refused(pair, vgg):
    """--scale-factor 1.01 once planned 97 scales between 200 and 512 px, each with its own iterations; from 96 px it is every side down to 50."""
    with pytest.raises(OptionError, match=r"scale_factor=1.01 makes 47 scales from 50 to 96 px, .* at most 12 .* "
                                          r"use scale_factor=1.07 or more, or a larger min_size"):
        prepare(*pair, model=vgg, scale_factor=1.01, min_size=48)
    assert len(prepare(*pair, model=vgg, scale_factor=1.07, min_size=48).problem.sizes()) <= 12


def test_styles_that_are_not_images_are_named(pair):
    with pytest.raises(OptionError, match="expected an image .* or a list of them, not None"):  # a TypeError
        prepare(pair[0], None)


def test_a_given_model_is_what_the_options_record(pair):
    """A vgg16 passed as model= ran while result.options (and a checkpoint) said vgg19 with the default weights."""
    model = stylegram.load_backbone("vgg16", "random:1", pooling="avg", padding="zeros")
    job = prepare(*pair, model=model, iterations="1", min_size=96, pooling="avg")
    options = job.options
    assert (options.backbone, options.weights, options.pooling, options.padding) == \
        ("vgg16", "random:1", "avg", "replicate")  # padded as the options say (a transfer's default)
    assert job.problem.backbone.padding == "replicate" and model.padding == "zeros"  # a copy, the given one unchanged
    with pytest.raises(OptionError, match="the given model is vgg16 with random:1 weights, but the options ask for "
                                          "backbone='inceptionv1'"):
        prepare(*pair, model=model, backbone="inceptionv1", pooling="avg")
    # its avg pooling ran while the options said max (the default, or given), without a word; as texture refuses it
    with pytest.raises(OptionError, match="the given model uses avg pooling but the options ask for max; load it "
                                          "with pooling='max' or pass pooling='avg'"):
        prepare(*pair, model=model)


def test_a_given_model_makes_the_picture_made_without_one(pair):
    """load_backbone('vgg19') pads with reflect; given as model=, the transfer took its padding, and its picture
    differed from the one made without a model (max 0.029 at 64 px) with no word said."""
    from stylegram.features import default_backbone

    options, vgg = {"size": 64, "iterations": "3"}, default_backbone()  # load_backbone('vgg19'), loaded once
    given, own = transfer(*pair, model=vgg, **options), transfer(*pair, **options)
    assert vgg.padding == "reflect" and given.options.padding == own.options.padding == "replicate"
    assert torch.equal(given.image, own.image)


def test_all_weights_zero_is_refused_but_one_term_alone_runs(vgg, pair, monkeypatch):
    """Once a TypeError traceback at the first iteration (the loss was the integer 0), in the CLI and the web page."""
    content, style = pair
    with monkeypatch.context() as m:
        m.setattr(gatys, "load_backbone", lambda *a, **k: pytest.fail("loaded a backbone before the check"))
        with pytest.raises(OptionError, match="are all 0, so there is nothing to optimize"):
            prepare(content, style, content_weight=0, style_weight=0, tv_weight=0)
    with pytest.raises(OptionError, match="^content_weight and style_weight are both 0, so only tv_weight's smoothing "
                                          "is left and it blurs the picture flat"):  # a brown rectangle, exit 0 (trial R)
        prepare(content, style, model=vgg, content_weight=0, style_weight=0, tv_weight=10)
    result = transfer(content, style, model=vgg, **{**FAST, "content_weight": 0, "tv_weight": 1.0})
    assert not [k for k in result.history[-1] if k.startswith("content")] and "tv" in result.history[-1]
    style = [k for k in result.history[-1] if k.startswith("style")]
    assert sum(result.history[-1][k] for k in style) < sum(result.history[0][k] for k in style)  # style alone runs


@pytest.mark.filterwarnings("ignore:style image 1 is .* enlarged")  # sizes past memory
def test_memory_check_covers_the_style_image_at_its_scale(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match=r"style image needs about .* the largest style_scale that fits is about \d"):
        prepare(content, style, model=vgg, size=64, style_scale=60, max_memory=1.0)
    prepare(content, style, model=vgg, size=64, style_scale=2, max_memory=1.0)  # the same limit fits a sane scale


@pytest.mark.filterwarnings("ignore:style image 1 is .* enlarged")  # sizes past memory
@pytest.mark.filterwarnings("ignore:the content image is .* enlarged")
def test_memory_check_names_the_largest_size(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match=r"max_memory allows 1.0 GiB; the largest size that fits is about size=\d+"):
        prepare(content, style, model=vgg, size=4000, upscale=True, max_memory=1.0)
    square = torch.rand(1, 3, 512, 512)  # a square style at a wide content's long side needs more than the content:
    with pytest.raises(OptionError) as refused:  # the size named was then refused for the style image
        prepare(content, square, model=vgg, size=4000, upscale=True, max_memory=1.0)
    named = int(re.search(r"size=(\d+)", str(refused.value))[1])
    prepare(content, square, model=vgg, size=named, upscale=True, max_memory=1.0)  # it fits, styles and all
    # a limit below what any run needs once said "the largest size that fits is about --size 0", and "0.0 GiB"
    with pytest.raises(OptionError, match=r"max_memory allows 0.001 GiB; no useful size fits in that; raise max_memory$"):
        prepare(content, style, model=vgg, size=64, max_memory=0.001)


@pytest.mark.filterwarnings("ignore:style image 1 is .* enlarged")
def test_a_styles_targets_are_estimated_as_a_pass_without_gradients(vgg, pair):
    """A 2048 px square style was estimated at 29 GiB, as a pass with gradients, and refused on a 24 GiB machine; its
    targets' pass peaked at 4.1 GiB (memory.TARGETS_MARGIN)."""
    from stylegram import memory

    content, style = pair
    need = memory.targets_bytes(vgg, ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], (2048, 2048))
    assert 4.4 * 2**30 < need < 6.5 * 2**30  # measured 4.07 GiB over the process's own 0.39 (histogram's: 1.2x)
    prepare(content, style, model=vgg, size=64, style_scale=32, max_memory=8.0)  # a 2048 px style: it fits
    with pytest.raises(OptionError, match=r"a 2048x2048 style image needs about 5\.\d GiB but max_memory allows 3\.0 "
                                          r"GiB; the largest style_scale that fits is about 2[0-9]\.\d\d"):
        prepare(content, style, model=vgg, size=64, style_scale=32, max_memory=3.0)


def test_too_small_style_image_is_named(vgg, pair):
    content, _ = pair
    with pytest.raises(OptionError, match="style 1 image would be 19x19 px .* need at least 32 px per side: raise "
                                          r"style_scale to at least 0\.50, or min_size or size$"):
        prepare(content, torch.rand(1, 3, 20, 20), model=vgg, size=64, min_size=64, style_scale=0.3)
    with pytest.raises(OptionError, match="style 1 image would be 31x31 px"):  # the scale named is the smallest
        prepare(content, torch.rand(1, 3, 20, 20), model=vgg, size=64, min_size=64, style_scale=0.49)
    assert prepare(content, torch.rand(1, 3, 20, 20), model=vgg, size=64, min_size=64, style_scale=0.5).problem.styles
    # for the content, --style-scale cannot help (it was offered), nor --min-size when the picture is this narrow
    with pytest.raises(OptionError, match=r"content image would be 96x12 px .* raise size to at least 252 with "
                                          r"upscale=True \(its short side is now 12 px\), or choose shallower "
                                          "layers$"):
        prepare(torch.rand(1, 3, 12, 96), content, model=vgg, size=96, min_size=96)
    wide = prepare(torch.rand(1, 3, 12, 96), content, model=vgg, size=252, min_size=96, upscale=True)
    assert wide.problem.sizes()[-1] == (32, 252)  # the size it named is enough


def test_unreadable_style_among_several_is_named(vgg, pair, tmp_path):
    content, style = pair
    good = save_image(style, tmp_path / "good.png")
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    with pytest.raises(ImageError, match=r"style image 2: .*bad\.jpg"):
        prepare(content, [good, bad], model=vgg, **FAST)


def test_options_replace_rejects_unknown_names():
    assert TransferOptions().replace(size=10).size == 10
    with pytest.raises(OptionError):
        TransferOptions().replace(colour="style")


@pytest.mark.parametrize("changes, words", [
    ({"size": "64"}, "size must be a whole number, got '64'"),  # each of these was a TypeError traceback
    ({"lr": "1"}, "lr must be a number, got '1'"),
    ({"seed": 1.5}, "seed must be a whole number, got 1.5"),
    ({"content_weight": "1"}, "content_weight must be a number, got '1'"),  # said "at least 0, got 1"
    ({"upscale": "yes"}, "upscale must be True or False"),
    ({"history": None}, "history must be a whole number, got None"),
])
def test_options_of_the_wrong_type_are_named(changes, words):
    with pytest.raises(OptionError, match=re.escape(words)):
        TransferOptions().replace(**changes)
    with pytest.raises(OptionError, match=re.escape(words)) as err:
        TransferOptions(**changes)
    name = next(iter(changes))
    assert err.value.flagged.startswith(f"--{name.replace('_', '-')} ")  # the command line's wording, as README says


def test_whole_floats_and_numpy_numbers_are_taken():
    opts = TransferOptions(size=64.0, content_weight=np.float32(2), seed=np.int64(3), lr=None)
    assert (opts.size, opts.content_weight, opts.seed, opts.lr) == (64, 2.0, 3, None)
    assert type(opts.size) is int and type(opts.content_weight) is float


def test_moving_up_a_scale_adds_the_content_detail(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **{**FAST, "detail": 1.0})
    coarse = torch.full((1, 3, 32, 48), 0.5)
    up = job.problem.rescale(coarse, (64, 96))
    band = content - optimize.resize(optimize.resize(content, (32, 48)), (64, 96))
    assert torch.allclose(up, (0.5 + band).clamp(0, 1), atol=1e-5)
    plain = prepare(content, style, model=vgg, **FAST).problem.rescale(coarse, (64, 96))
    assert torch.allclose(plain, torch.full_like(plain, 0.5))


def test_transfer_uses_replicate_padding_by_default():
    from torch import nn

    from stylegram.gatys import backbone_options

    opts = TransferOptions()
    assert opts.padding == "replicate"
    from stylegram.backbones import load_backbone

    model = load_backbone(opts.backbone, opts.weights, **backbone_options(opts))
    padded = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.padding != (0, 0)]
    assert padded and all(m.padding_mode == "replicate" for m in padded)


def test_content_boost_anneals_at_the_finest_scale_only(vgg, pair):
    from stylegram.losses import Annealed, ContentTerm

    content, style = pair
    job = prepare(content, style, model=vgg, **{**FAST, "content_boost": 2.0})  # iterations 6, 4
    coarse, fine = job.problem.sizes()
    assert type(job.problem.terms_at(coarse).terms["content.relu4_2"][0]) is ContentTerm
    term = job.problem.terms_at(fine).terms["content.relu4_2"][0]
    assert isinstance(term, Annealed)
    factors = []
    for step in range(4):
        job.state.step = step
        factors.append(term.factor())
    assert factors == pytest.approx([3.0, 2.5, 2.0, 1.5])
    off = prepare(content, style, model=vgg, **{**FAST, "content_boost": 0})
    assert type(off.problem.terms_at(fine).terms["content.relu4_2"][0]) is ContentTerm


def test_content_boost_keeps_the_result_closer_to_the_content(vgg, pair):
    content, style = pair
    opts = {**FAST, "size": 96, "min_size": 96, "iterations": 20, "style_weight": 10, "parameterization": "pixels"}
    distances = []
    for boost in (0, 3):
        image = transfer(content, style, model=vgg, **{**opts, "content_boost": boost}).image
        with torch.no_grad():
            a = vgg.extract(image, ["relu4_2"])["relu4_2"]
            b = vgg.extract(content, ["relu4_2"])["relu4_2"]
        distances.append(float((a - b).pow(2).mean() / b.pow(2).mean()))
    assert distances[1] < 0.9 * distances[0]


def test_fourier_search_starts_exactly_at_the_content(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    assert job.problem.opts.parameterization == "fourier"
    start = job.problem.parameterize(content, None)
    assert torch.allclose(start.image(), content, atol=1e-5)


def test_fourier_search_lowers_the_loss_faster_than_pixels(vgg, pair):
    content, style = pair
    opts = {**FAST, "size": 96, "min_size": 96, "iterations": 20, "style_weight": 10}
    losses = {}
    for kind in ("pixels", "fourier"):
        records, _ = run(prepare(content, style, model=vgg, parameterization=kind, **opts))
        losses[kind] = records[-1].loss
    assert losses["fourier"] < 0.8 * losses["pixels"]


def test_unknown_parameterization_is_named(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match="'fouriers' is not one of fourier, pixels"):
        prepare(content, style, model=vgg, parameterization="fouriers", **FAST)


def test_checkpoint_from_before_the_fourier_default_resumes_on_pixels(vgg, pair, tmp_path):
    content, style = pair
    job = prepare(content, style, model=vgg, parameterization="pixels", **FAST)
    next(iter(job))
    job.checkpoint(tmp_path / "old.ckpt")
    payload = torch.load(tmp_path / "old.ckpt", weights_only=False)
    del payload["options"]["parameterization"]
    torch.save(payload, tmp_path / "old.ckpt")
    del payload["options"]["polish"]
    torch.save(payload, tmp_path / "old.ckpt")
    resumed = resume(tmp_path / "old.ckpt", content, style, model=vgg)
    assert resumed.problem.opts.parameterization == "pixels"
    assert len(list(resumed)) == 9


def test_a_fourier_checkpoint_from_before_the_polish_resumes_without_one(vgg, pair, tmp_path):
    content, style = pair
    job = prepare(content, style, model=vgg, **FAST)
    next(iter(job))
    job.checkpoint(tmp_path / "old.ckpt")
    payload = torch.load(tmp_path / "old.ckpt", weights_only=False)
    del payload["options"]["polish"]
    torch.save(payload, tmp_path / "old.ckpt")
    resumed = resume(tmp_path / "old.ckpt", content, style, model=vgg)
    assert resumed.problem.opts.polish == 0
    assert resumed.problem.iterations() == [6, 4]


POLISHED = {**FAST, "min_size": 96, "iterations": "12", "polish": 5}


def test_the_finest_scale_ends_with_a_pixel_search(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **POLISHED)
    final = job.problem.sizes()[-1]
    assert job.problem.sizes() == [final, final] and job.problem.iterations() == [7, 5]
    kinds = []
    for progress in job:
        if progress.step == 1:  # the spectrum's raw parameters are saved with a checkpoint, pixels need none
            kinds.append("pixels" if job.state.saved is None else "fourier")
    assert kinds == ["fourier", "pixels"]
    assert [r["scale"] for r in job.state.history] == [0] * 7 + [1] * 5
    assert [job.problem.stage_name(i) for i in range(2)] == ["scale 1 of 1", "scale 1 of 1, pixel polish"]
    assert prepare(content, style, model=vgg, **{**POLISHED, "polish": 0}).problem.iterations() == [12]
    assert prepare(content, style, model=vgg, **{**POLISHED, "polish": 40}).problem.iterations() == [6, 6]  # half at most
    pixels = {**POLISHED, "parameterization": "pixels"}
    assert prepare(content, style, model=vgg, **{**pixels, "polish": 0}).problem.iterations() == [12]
    with pytest.raises(OptionError, match="polish follows the spectrum search"):  # was ignored
        prepare(content, style, model=vgg, **pixels)


def test_the_pixel_search_starts_where_the_spectrum_search_ended(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **POLISHED)
    records = list(job)
    end_of_spectrum = records[6].image()
    job.state.scale = 1
    start = job.problem.parameterize(job.problem.rescale(end_of_spectrum, job.problem.sizes()[1]), None)
    assert torch.equal(start.image(), end_of_spectrum)
    assert records[-1].loss < records[6].loss  # the polish lowers the loss further


def test_content_boost_falls_once_over_the_spectrum_and_the_polish(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **{**POLISHED, "iterations": "8", "polish": 4, "content_boost": 2.0})
    factors = []
    for stage, size in enumerate(job.problem.sizes()):
        job.state.scale = stage
        term = job.problem.terms_at(size).terms["content.relu4_2"][0]
        for step in range(4):
            job.state.step = step
            factors.append(term.factor())
    assert factors == pytest.approx([3.0, 2.75, 2.5, 2.25, 2.0, 1.75, 1.5, 1.25])


def test_resume_inside_the_polish_is_bit_identical(vgg, pair, tmp_path, checkpoint_at):
    content, style = pair
    full = transfer(content, style, model=vgg, **POLISHED)
    job = prepare(content, style, model=vgg, **POLISHED)
    checkpoint_at(job, 9)  # two iterations into the pixel search
    resumed = resume(tmp_path / "run.ckpt", content, style, model=vgg)
    assert [r.iteration for r in resumed] == [10, 11, 12]
    assert torch.equal(resumed.result().image, full.image)


def test_negative_polish_is_refused(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match="polish must be a whole number of iterations, 0 or more, got -1"):
        prepare(content, style, model=vgg, **{**FAST, "polish": -1})


def test_lbfgs_history_is_an_option(vgg, pair):
    content, style = pair
    assert prepare(content, style, model=vgg, **{**FAST, "history": 5}).schedule.history == 5
    with pytest.raises(OptionError, match="history must be at least 1"):
        prepare(content, style, model=vgg, **{**FAST, "history": 0})


def start_of(job) -> torch.Tensor:
    """The image a job's first scale starts from."""
    return job.problem.initial_image(job.problem.sizes()[0], torch.Generator())


def test_recolor_starts_from_the_content_in_the_style_palette(vgg, pair):
    content, style = pair
    job = prepare(content, style, model=vgg, **{**FAST, "init": "recolor"})
    start = start_of(job)
    style_mean = style.mean((0, 2, 3))
    content_mean = optimize.resize(content, start.shape[-2:]).mean((0, 2, 3))
    assert (start.mean((0, 2, 3)) - style_mean).abs().max() < 0.03 < (content_mean - style_mean).abs().max()
    # the layout is the content's: its luminance still correlates strongly with the content's
    lum = [color.luminance(x).flatten() for x in (start, optimize.resize(content, start.shape[-2:]))]
    assert torch.corrcoef(torch.stack(lum))[0, 1] > 0.8
    records, result = run(job)
    assert records[-1].loss < records[0].loss and result.image.shape == (1, 3, 64, 96)


def test_auto_start_recolors_only_where_the_palette_is_much_of_the_style_loss(vgg, chelsea):
    content = optimize.resize(chelsea, (170, 256))
    options = {**FAST, "size": 256, "min_size": 256, "style_weight": 10}
    del options["init"]
    # at 256 px recolouring removes about half of chelsea's style loss against the mosaic, a quarter against swirls
    for style_name, expected in [("mosaic", "recolor"), ("swirls", "content")]:
        style = load_tensor(path(style_name), size=256)
        problem = prepare(content, style, model=vgg, init="auto", **options).problem
        size = problem.sizes()[0]
        objective = problem.terms_at(size)
        photo, recolored = optimize.resize(content, size), start_of(prepare(content, style, model=vgg, init="recolor", **options))
        ratio = starts._style_loss(objective, recolored) / starts._style_loss(objective, photo)
        assert (0.4 < ratio < 0.6) if expected == "recolor" else (0.7 < ratio < 0.85), ratio
        assert problem.recolor_pays(photo, recolored) == (expected == "recolor")
        chosen = prepare(content, style, model=vgg, init=expected, **options)
        auto = prepare(content, style, model=vgg, init="auto", **options)
        assert auto.problem.chosen() == ""  # nothing chosen before the run starts
        assert torch.equal(start_of(auto), start_of(chosen))
        said = {"recolor": "the content in the style's palette", "content": "the content in its own colours"}[expected]
        assert auto.problem.chosen() == f"--init auto chose {said} as the start"  # the 'wrote' line and the page say so
        assert chosen.problem.chosen() == ""  # a start given is not a choice


def test_auto_is_the_default_start():
    assert TransferOptions().init == "auto"


def test_unknown_or_unreadable_init_is_named_before_any_work(pair, tmp_path, monkeypatch):
    content, style = pair
    monkeypatch.setattr(gatys, "load_backbone", lambda *a, **k: pytest.fail("the backbone was loaded before the check"))
    with pytest.raises(OptionError, match="init='recolour' is neither one of content, recolor.*did you mean recolor"):
        prepare(content, style, **{**FAST, "init": "recolour"})
    assert TransferOptions(init="grey").init == "gray"  # dream's grey=True spelling, refused here
    with pytest.raises(OptionError, match="init='.*nope.png': no such file; give an existing image, or one of content"):
        prepare(content, style, **{**FAST, "init": str(tmp_path / "nope.png")})  # was: neither a start nor an image
    corrupt = tmp_path / "start.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # was read only when the first scale began
    with pytest.raises(ImageError, match="init image: .*start.png"):
        prepare(content, style, **{**FAST, "init": str(corrupt)})
    with pytest.raises(OptionError, match=r"the init image is 32x32 px and the content \d+x\d+: a start image needs "
                                          "the content's aspect"):  # was stretched to it without a word
        prepare(content, style, **{**FAST, "init": torch.rand(1, 3, 32, 32)})


@pytest.mark.parametrize("parameterization", ["pixels", "fourier"])
def test_a_progress_image_stays_the_image_of_its_step(vgg, pair, parameterization):
    """The loop keeps each step's image as a tensor of its own, so the optimizer's later steps do not change it."""
    content, style = pair
    records, seen = [], []
    for record in prepare(content, style, model=vgg, **{**FAST, "parameterization": parameterization, "polish": 0}):
        records.append(record)
        seen.append(record.image())
    assert all(torch.equal(r.image(), s) for r, s in zip(records, seen))
    assert not torch.equal(seen[0], seen[-1])


@pytest.mark.parametrize("flags, precision, expected", [
    ({"avx2", "avx512f", "avx512_bf16", "amx_bf16"}, "auto", [20, 180]),  # bfloat16 with AMX: twice the iterations
    ({"avx2", "avx512f", "avx512_bf16", "amx_bf16"}, "float32", [20, 90]),  # the same CPU asked for float32
    ({"avx2", "avx512f", "avx512_bf16"}, "auto", [20, 90]),  # bfloat16 without AMX
    ({"avx2", "fma"}, "float32", [20, 90]),
])
def test_auto_iterations_follow_the_cost_of_the_pass(vgg, monkeypatch, flags, precision, expected):
    from stylegram import runtime

    monkeypatch.setattr(runtime, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    content = torch.rand(1, 3, 300, 450)  # two scales: 225 -> 450 px
    job = prepare(content, content, model=vgg, precision=precision)
    assert job.options.iterations == ",".join(map(str, expected))  # what ran is recorded, not "auto"
    assert job.problem.iterations() == [expected[0], expected[1] - 40, 40]  # the finest scale split for the polish
    assert prepare(content, content, model=vgg, precision=precision, iterations="30,60").problem.iterations() == [30, 30, 30]


class _Payload:
    """Stands for any pickled object: loading a checkpoint must not construct it (or run its code)."""


def test_a_checkpoint_holding_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"options": {}, "torch_rng": torch.get_rng_state(), "param": _Payload()}, path)
    with pytest.raises(OptionError, match=r"could not be read: it holds pickled Python objects, which stylegram never"
                                          r" loads \(checkpoints hold only numbers\); start a new run instead of resuming$"):
        optimize.State.load(path)


@pytest.mark.parametrize("content, words", [
    (b"", "it is empty or cut short"),
    (b"x", "it is not a checkpoint that stylegram wrote"),  # was torch's page of weights_only advice
    (None, "it is a folder"),
])
def test_an_unreadable_checkpoint_is_one_line(content, words, tmp_path):
    path = tmp_path / "run.ckpt"
    path.mkdir() if content is None else path.write_bytes(content)
    said = f"checkpoint {path} could not be read: {words}; start a new run instead of resuming"  # Python's words
    with pytest.raises(OptionError, match=re.escape(said)):
        optimize.State.load(path)


def test_a_checkpoint_cut_short_or_damaged_is_refused(vgg, pair, tmp_path, checkpoint_at):
    content, style = pair
    whole = checkpoint_at(prepare(content, style, model=vgg, **FAST), 7).read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(whole[: len(whole) // 2])  # was "not a checkpoint that stylegram wrote"
    with pytest.raises(OptionError, match=r"could not be read: its end is missing, so it was cut short or written "
                                          r"over there \(its beginning is there\)"):
        resume(tmp_path / "cut.ckpt", content, style, model=vgg)
    (tmp_path / "over.ckpt").write_bytes(whole + bytes(2_000_000) + b"junk")  # dd past its end: not 'cut short'
    with pytest.raises(OptionError, match="its end is missing, so it was cut short or written over there"):
        resume(tmp_path / "over.ckpt", content, style, model=vgg)
    middle = len(whole) // 2
    flipped = whole[:middle] + bytes(b ^ 0xFF for b in whole[middle: middle + 2]) + whole[middle + 2:]
    (tmp_path / "flipped.ckpt").write_bytes(flipped)  # went on from a damaged L-BFGS history, without a word
    with pytest.raises(OptionError, match=r"flipped.ckpt is damaged: its part .* fails its checksum"):
        resume(tmp_path / "flipped.ckpt", content, style, model=vgg)


def test_pil_images_and_arrays_are_inputs_like_files(vgg, pair):
    content, style = pair
    as_pil = images.to_image(content)
    as_array = np.asarray(images.to_image(style))
    from_tensors = transfer(images.to_tensor(as_pil), images.to_tensor(as_array), model=vgg, **FAST)
    from_objects = transfer(as_pil, as_array, model=vgg, **FAST)  # was a TypeError from pathlib
    assert torch.equal(from_objects.image, from_tensors.image)


@pytest.mark.parametrize("image, shape", [
    (np.zeros((20, 30), np.uint8), (1, 3, 20, 30)),  # grey
    (np.zeros((20, 30, 4), np.uint16), (1, 3, 20, 30)),  # with alpha
    (torch.zeros(3, 20, 30), (1, 3, 20, 30)),
    (torch.full((1, 1, 20, 30), 255, dtype=torch.uint8), (1, 3, 20, 30)),
    (torch.ones(20, 30), (1, 3, 20, 30)),  # grey, as an H x W array (a mask): was 'not an image'
])
def test_inputs_become_one_rgb_image_in_the_unit_range(image, shape):
    x = images.load_input(image, "content image")
    assert tuple(x.shape) == shape and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("image, words", [
    (np.full((20, 30, 3), 200.0), "values run from 200 to 200"),  # was clipped to a white image
    (np.full((20, 30, 3), np.nan), "NaN or infinite"),  # was made black
    (torch.rand(1, 3, 20, 30) * 255, "divide 0..255 values by 255"),  # was used as is
    (torch.full((1, 3, 20, 30), float("nan")), "NaN or infinite"),
    (torch.rand(2, 3, 20, 30), "shape (2, 3, 20, 30) is not an image"),
    (torch.rand(20, 30, 3), "give (1, 3, H, W), (3, H, W) or a grey (H, W)"),
    (torch.rand(1, 3, 20, 30) * 2 - 1, "rescale them to [0, 1] (values in -1..1, as a network's normalized input: "
                                       "(x + 1) / 2)"),  # was 'divide 0..255 values by 255'
    (torch.zeros(1, 3, 20, 30, dtype=torch.int64), "dtype torch.int64 is not an image"),
    (None, "a NoneType is not an image"),
    (np.full((20, 30, 3), 200, np.uint16), "the uint16 array's values run from 200 to 200, which as 16-bit pixels "
                                           "(0..65535) is a black picture; for 8-bit values give "
                                           "array.astype(np.uint8)"),  # was read as a mean of 0.003 (trial T)
    (torch.rand(1, 4, 20, 30), "a tensor has no alpha channel here: give an RGBA picture as an H x W x 4 array"),
])
def test_inputs_that_are_not_images_are_named(image, words):
    with pytest.raises(ImageError, match=re.escape("style image 2: ") + ".*" + re.escape(words)):
        images.load_input(image, "style image 2")


def _half_masks(tmp_path, shape: tuple[int, int]) -> str:
    """Two mask files of the content's shape: the left half white, and the right half."""
    left = np.zeros(shape, np.uint8)
    left[:, : shape[1] // 2] = 255
    names = []
    for name, values in [("left.png", left), ("right.png", 255 - left)]:
        save_image(torch.from_numpy(values).float().div(255).expand(1, 3, *shape), tmp_path / name)
        names.append(str(tmp_path / name))
    return ",".join(names)


def _red_and_blue_styles() -> tuple[torch.Tensor, torch.Tensor]:
    """Two 96 px styles told apart by colour: red stripes on dark red, blue bars on dark blue."""
    red, blue = torch.zeros(1, 3, 96, 96), torch.zeros(1, 3, 96, 96)
    red[:, 0], blue[:, 2] = 0.5, 0.5
    red[:, 0, :, ::8], blue[:, 2, ::6, :] = 1.0, 1.0
    return red, blue


def test_style_masks_paint_each_style_in_its_own_region(vgg, pair, tmp_path):
    content, _ = pair
    red, blue = _red_and_blue_styles()
    masks = _half_masks(tmp_path, (64, 96))
    job = prepare(content, [red, blue], model=vgg, style_masks=masks, **{**FAST, "iterations": "15,15"})
    names = set(job.problem.terms_at(job.problem.sizes()[-1]).terms)
    assert {"style.relu3_1.1", "style.relu3_1.2"} <= names and "style.relu3_1" not in names
    image = run(job)[1].image
    left, right = image[..., :40], image[..., 56:]
    redness = lambda x: float((x[:, 0] - x[:, 2]).mean())  # noqa: E731
    assert redness(left) > redness(right) + 0.15  # red style left, blue style right (0.27 here; 0.07 unmasked)
    assert set(job.problem.inputs()) == {"content", "style 1", "style 2", "style mask 1", "style mask 2"}


def test_a_grey_mask_paints_its_style_partly(vgg, pair):
    """A mask grey everywhere asked for the region's statistics as a white one did (a Gram matrix averages over its
    mask), so a 25 % grey mask painted its half in full: now its term weighs a quarter, as the help's 'grey: partly'."""
    content, _ = pair
    red, _ = _red_and_blue_styles()
    options = {**FAST, "iterations": "15,15", "style_weight": 10}  # FAST's 300 styles fully at a quarter too
    moved = {}
    for grey in (1.0, 0.25):
        left = torch.zeros(1, 1, 64, 96)
        left[..., :48] = grey
        job = prepare(content, red, model=vgg, style_masks=[left], **options)
        _, weight = job.problem.terms_at(job.problem.sizes()[-1]).terms["style.relu3_1.1"]
        assert weight == pytest.approx(grey * options["style_weight"] / 5)
        moved[grey] = float((run(job)[1].image - content)[..., :40].abs().mean())
    assert 0.02 < moved[0.25] < 0.6 * moved[1.0]  # away from the photo towards the red style, less far


def test_a_coloured_mask_is_said_to_be_read_as_grey(vgg, pair, tmp_path):
    content, style = pair
    red = np.zeros((64, 96, 3), np.uint8)
    red[:, :48] = (255, 0, 0)
    Image.fromarray(red).save(tmp_path / "red.png")
    with pytest.warns(StylegramWarning, match=r"style mask 1 \(.*red.png\) is in colour; it is read as grey, each "
                                              r"pixel the mean of its red, green and blue \(pure red reads as 33 % grey"):
        job = prepare(content, style, model=vgg, style_masks=str(tmp_path / "red.png"), **FAST)
    assert float(job.problem.masks[0].max()) == pytest.approx(1 / 3, abs=0.01)


def test_recolor_with_style_masks_gives_each_region_its_styles_palette(vgg, pair, tmp_path):
    content, _ = pair
    red, blue = torch.zeros(1, 3, 48, 48), torch.zeros(1, 3, 48, 48)
    red[:, 0], blue[:, 2] = torch.rand(48, 48), torch.rand(48, 48)
    start = transfer(content, [red, blue], model=vgg, style_masks=_half_masks(tmp_path, (64, 96)),
                     **{**FAST, "init": "recolor", "iterations": "0"}).image  # nothing optimized: the start itself
    left, right = start[..., :40], start[..., 56:]
    assert float(left[:, 0].mean()) > 0.3 > float(left[:, 2].mean()) + 0.2  # red where the red style goes
    assert float(right[:, 2].mean()) > 0.3 > float(right[:, 0].mean()) + 0.2


def test_auto_start_with_masks_recolours_each_region_its_style_pays_for(vgg, pair, tmp_path, monkeypatch):
    """Judged on all regions at once, the recoloured start's seam (deep features neither style has) outweighed
    what its palettes saved, so auto kept the photo's colours for red and blue styles."""
    def flat(rgb: tuple[float, float, float]) -> torch.Tensor:  # one colour, darker every 8th row
        image = torch.tensor(rgb).view(1, 3, 1, 1).expand(1, 3, 64, 96).clone()
        image[..., ::8, :] /= 2
        return image

    grey, red, blue = flat((0.47, 0.47, 0.47)), flat((0.9, 0.08, 0.08)), flat((0.08, 0.08, 0.9))
    masks = _half_masks(tmp_path, (64, 96))
    options = {**FAST, "init": "auto", "iterations": "0", "min_size": 96}  # one scale: the start as it is
    start = transfer(grey, [red, blue], model=vgg, style_masks=masks, **options).image
    left, right = start[..., :40], start[..., 56:]
    assert float((left[:, 0] - left[:, 2]).mean()) > 0.5 and float((right[:, 2] - right[:, 0]).mean()) > 0.5
    monkeypatch.setattr(gatys.TransferProblem, "recolor_pays_alone", lambda self, n, content: n == 0)
    job = prepare(grey, [red, blue], model=vgg, style_masks=masks, **options)
    start = job.run().image
    assert job.problem.chosen() == "--init auto chose the content with the region of style 1 recoloured as the start"
    halves = _label_map(64, 96, [(np.s_[:, :40], SKY), (np.s_[:, 40:], GRASS)])
    all_sky, all_grass = _label_map(64, 96, [(np.s_[:], SKY)]), _label_map(64, 96, [(np.s_[:], GRASS)])
    monkeypatch.setattr(gatys.TransferProblem, "recolor_pays_alone", lambda self, n, content: True)
    job = prepare(grey, [red, blue], model=vgg, labels=[halves, all_sky, all_grass], **options)
    job.run()  # two style images, each with one label: said by label, not as 'the regions of styles 1, 2'
    assert job.problem.chosen() == ("--init auto chose the content with its parts labelled green (#28a03c), sky blue "
                                    "(#87ceeb) recoloured as the start")
    assert torch.allclose(start[..., 56:], grey[..., 56:], atol=1e-6)  # a style whose palette does not pay leaves the photo's


def test_a_transparent_mask_pixel_means_no_style(vgg, pair, tmp_path):
    content, style = pair
    rgba = np.zeros((64, 96, 4), np.uint8)
    rgba[:, :48] = (255, 255, 255, 255)  # the left half painted white on a clear layer
    Image.fromarray(rgba).save(tmp_path / "painted.png")
    job = prepare(content, style, model=vgg, style_masks=str(tmp_path / "painted.png"), **FAST)
    mask = job.problem.masks[0][0, 0]
    assert float(mask[:, :48].min()) == 1.0 and float(mask[:, 48:].max()) == 0.0


@pytest.mark.parametrize("statistic", ["meanstd", "histogram", "mmd-gauss", "gram:1,w2:1"])
def test_style_masks_and_regions_work_with_every_statistic(vgg, pair, tmp_path, statistic):
    """Each style in its mask, and from its region, with statistics other than the Gram matrix (they weigh the
    positions: stylegram.statistics), as one term per style, layer and part."""
    content, _ = pair
    style, top, bottom = _two_part_style()
    options = {**FAST, "iterations": "15,15", "statistic": statistic,
               "style_layers": "relu1_1,relu2_1,relu3_1,relu4_1"}  # w2 at relu5_1 too took a minute
    job = prepare(content, [style, style], model=vgg, style_masks=_half_masks(tmp_path, (64, 96)),
                  style_regions=[top, bottom], **options)
    names = set(job.problem.terms_at(job.problem.sizes()[-1]).terms)
    parts = [p.split(":")[0] for p in statistic.split(",")]
    assert {f"style.{part}.relu3_1.{n}" for part in parts for n in (1, 2)} <= names
    image = run(job)[1].image
    left, right = image[..., :40], image[..., 56:]
    assert float((left[:, 0] - left[:, 2]).mean()) > 0.15 > float((right[:, 0] - right[:, 2]).mean()) + 0.15


def test_the_adain_start_with_style_masks_puts_each_style_in_its_region(vgg, pair, tmp_path):
    content, _ = pair
    red, blue = _red_and_blue_styles()
    start = transfer(content, [red, blue], model=vgg, style_masks=_half_masks(tmp_path, (64, 96)),
                     **{**FAST, "init": "adain", "iterations": "0"}).image
    left, right = start[..., :40], start[..., 56:]
    assert float((left[:, 0] - left[:, 2]).mean()) > 0.2 > float((right[:, 0] - right[:, 2]).mean()) + 0.2


def test_the_adain_start_takes_a_single_style_masked_or_not(vgg, pair, tmp_path):
    """--init adain with one style (README's own example) was refused: its blend [1.0] read as a --style-blend given
    to one style, 'drop it', which the user had not given."""
    content, style = pair
    start = transfer(content, style, model=vgg, **{**FAST, "init": "adain", "iterations": "0"}).image
    adain = transfer(content, style, method="adain", size=96).image
    photo = transfer(content, style, model=vgg, **{**FAST, "iterations": "0"}).image
    assert start.shape == adain.shape and float((start - adain).abs().mean()) < 0.06  # the AdaIN picture (as its own
    assert float((start - photo).abs().mean()) > 0.12  # size reads the style); not the photo
    left = _half_masks(tmp_path, (64, 96)).split(",")[0]
    masked = transfer(content, style, model=vgg, style_masks=left, **{**FAST, "init": "adain", "iterations": "0"}).image
    gap = lambda a, b: float((a - b).abs().mean())  # noqa: E731
    assert gap(masked[..., :40], start[..., :40]) < 0.06  # its mask stylized, the rest nearer the photo than the style
    assert gap(masked[..., 56:], photo[..., 56:]) < gap(masked[..., 56:], start[..., 56:]) - 0.03


def test_adams_larger_steps_leave_the_pixel_polish_at_its_default_step(vgg, pair):
    """--optimizer adam --lr 0.05 and up scattered the spectrum search's picture into noise in the polish (its loss 1.8
    rose to 9.8 and ended at 5.9, at 128 px), while the search took such steps well."""
    content, style = pair
    options = dict(size=96, min_size=96, iterations="40", polish=20, tolerance=0, optimizer="adam", model=vgg)
    job = prepare(content, style, lr=0.1, **options)
    assert job.schedule.stage_lr == {1: 0.02} and job.problem.stage_name(1).endswith("pixel polish")
    polish = [sum(v for k, v in r.items() if k not in ("iteration", "scale")) for r in run(job)[1].history
              if r["scale"] == 1]
    assert polish[-1] < 0.95 * polish[0]  # it improves on the search's picture
    assert prepare(content, style, lr=0.01, **options).schedule.stage_lr == {}  # a smaller step is kept
    assert prepare(content, style, lr=0.1, **{**options, "optimizer": "lbfgs"}).schedule.stage_lr == {}


def test_style_masks_errors_name_the_problem(vgg, pair, tmp_path):
    content, style = pair
    masks = _half_masks(tmp_path, (64, 96))
    with pytest.raises(OptionError, match="names 2 masks for 1 style; give one per style image"):
        prepare(content, style, model=vgg, style_masks=masks, **FAST)

    class Unweighted(stylegram.statistics.GramStatistic):  # a statistic from Python that takes no weights
        def target(self, feats):
            return super().target(feats)

        def __repr__(self):
            return "unweighted-gram"

    with pytest.raises(OptionError, match="style_masks weighs the positions of each region, and the statistic "
                                          "unweighted-gram takes no weights; give its target and distance a weights"):
        prepare(content, [style, style], model=vgg, style_masks=masks, statistic=Unweighted(), **FAST)
    save_image(torch.zeros(1, 3, 64, 96), tmp_path / "black.png")
    with pytest.raises(OptionError, match=r"style mask 2 \(.*black.png\) is black everywhere"):
        prepare(content, [style, style], model=vgg, style_masks=masks.split(",")[0] + f",{tmp_path / 'black.png'}", **FAST)
    save_image(torch.ones(1, 3, 64, 64), tmp_path / "square.png")
    with pytest.raises(OptionError, match="style mask 1 .* is 64x64 px and the content 96x64: a mask needs the content's aspect"):
        prepare(content, style, model=vgg, style_masks=str(tmp_path / "square.png"), **FAST)
    with pytest.raises(ImageError, match="style mask 1"):
        prepare(content, style, model=vgg, style_masks=str(tmp_path / "missing.png"), **FAST)
    with pytest.raises(OptionError, match="style_blend with style_masks applies to method gatys only; in one adain pass"):
        transfer(content, [style, style], style_masks=masks, style_blend="0.7,0.3", method="adain")


def test_masks_in_memory_give_the_same_picture_as_mask_files(vgg, pair, tmp_path):
    """The API took mask paths only: a list of arrays read as 'names 92 masks for 2 styles'."""
    content, _ = pair
    red, blue = _red_and_blue_styles()
    files = _half_masks(tmp_path, (64, 96))
    left = np.asarray(Image.open(files.split(",")[0]).convert("L"))
    from_files = transfer(content, [red, blue], model=vgg, style_masks=files, **FAST)
    in_memory = transfer(content, [red, blue], model=vgg, style_masks=[left, Image.fromarray(255 - left)], **FAST)
    assert torch.equal(in_memory.image, from_files.image)
    assert [tuple(m.shape) for m in in_memory.options.style_masks] == [(1, 3, 64, 96)] * 2  # kept, as tensors
    with pytest.raises(OptionError, match="names 3 masks for 2 styles"):
        prepare(content, [red, blue], model=vgg, style_masks=[left, left, left], **FAST)
    with pytest.raises(OptionError, match=r"style mask 2 is black everywhere"):
        prepare(content, [red, blue], model=vgg, style_masks=[left, np.zeros_like(left)], **FAST)


def test_a_transparent_pixel_of_a_mask_in_memory_means_no_style(vgg, pair):
    content, style = pair
    rgba = np.zeros((64, 96, 4), np.uint8)
    rgba[:, :48] = (255, 255, 255, 255)  # white on a clear layer; composited onto white it was all white
    mask = prepare(content, style, model=vgg, style_masks=[Image.fromarray(rgba)], **FAST).problem.masks[0][0, 0]
    assert float(mask[:, :48].min()) == 1.0 and float(mask[:, 48:].max()) == 0.0


@pytest.mark.parametrize("start", [np.full((64, 96, 3), 128, np.uint8), Image.new("RGB", (96, 64), (128, 0, 0))])
def test_a_start_image_in_memory_runs_and_resumes_bit_identically(vgg, pair, tmp_path, start, checkpoint_at):
    """An array as init was a ValueError (ambiguous truth value); a PIL image made a checkpoint that would not load."""
    content, style = pair
    options = {**FAST, "init": start}
    full = transfer(content, style, model=vgg, **options)
    job = prepare(content, style, model=vgg, **options)
    checkpoint_at(job, 7)
    resumed = resume(tmp_path / "run.ckpt", content, style, model=vgg)
    list(resumed)
    assert torch.equal(resumed.result().image, full.image)
    first = transfer(content, style, model=vgg, **{**options, "iterations": "0"}).image
    assert abs(float(first.mean()) - float(images.load_input(start, "start").mean())) < 0.02  # it started there


def _two_part_style() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One 96 px style image, red stripes above and blue bars below, and the masks of its two halves."""
    red, blue = _red_and_blue_styles()
    style = torch.cat([red[..., :48, :], blue[..., 48:, :]], dim=2)
    top = torch.zeros(1, 3, 96, 96)
    top[..., :48, :] = 1.0
    return style, top, 1 - top


def test_style_regions_lend_each_output_region_the_statistics_of_one_part_of_a_style(vgg, pair, tmp_path):
    """Semantic transfer (Gatys et al. 2017's guided Gram matrices): the top of the output takes the Gram matrices
    of the style's top only, the bottom those of its bottom; without regions both take the whole style's mix."""
    content, _ = pair
    style, top, bottom = _two_part_style()
    out_top = torch.zeros(1, 3, 64, 96)
    out_top[..., :32, :] = 1.0
    options = {**FAST, "iterations": "15,15", "style_masks": [out_top, 1 - out_top], "init": "recolor"}
    job = prepare(content, [style, style], model=vgg, style_regions=[top, bottom], **options)
    size = job.problem.sizes()[-1]
    target = job.problem.terms_at(size).terms["style.relu2_1.1"][0].target
    side = job.problem.style_size(style, size)
    with torch.no_grad():
        feats = vgg.extract(optimize.resize(style, side), ["relu2_1"])["relu2_1"]
        region = torch.nn.functional.interpolate(optimize.resize(top, side)[:, :1], size=feats.shape[-2:], mode="area")
    assert torch.allclose(target, stats.masked_gram(feats, region), rtol=1e-5, atol=1e-6)

    def redness(image: torch.Tensor) -> tuple[float, float]:  # red minus blue, above and below
        return float((image[:, 0, :28] - image[:, 2, :28]).mean()), float((image[:, 0, 36:] - image[:, 2, 36:]).mean())

    above, below = redness(run(job)[1].image)
    assert above > 0.2 and below < -0.2
    above, below = redness(transfer(content, [style, style], model=vgg, **options).image)
    assert abs(above) < 0.2 and abs(below) < 0.2  # the whole style: its red and its blue everywhere
    start = transfer(content, [style, style], model=vgg, style_regions=[top, bottom], **{**options, "iterations": "0"})
    above, below = redness(start.image)
    assert above > 0.2 and below < -0.2  # recoloured in each region's palette: its part of the style's pixels


def _lent_halves(vgg, content: torch.Tensor, colors: str):
    """A job whose style lends its top to the content's top half and its bottom to the bottom half, in --colors
    ``colors``; and per style entry, (its region of the style, its mask of the content)."""
    style, top, bottom = _two_part_style()
    out_top = torch.zeros(1, 3, 64, 96)
    out_top[..., :32, :] = 1.0
    job = prepare(content, [style, style], model=vgg, style_regions=[top, bottom], style_masks=[out_top, 1 - out_top],
                  colors=colors, **FAST)
    return job, [(top, out_top), (bottom, 1 - out_top)]


def test_luminance_mode_matches_each_region_of_a_style_to_the_part_of_the_content_it_paints(vgg, pair):
    """--colors luminance with regions and masks: the lent part of the style gets the mean and spread of the
    luminance of the part of the content it paints, not those of the whole images."""
    content, _ = pair
    job, parts = _lent_halves(vgg, content, "luminance")
    y_content = color.luminance(content)
    for grey, (region, mask) in zip(job.problem.styles, parts):
        lent = color.luminance(grey)[..., region[0, 0] > 0.5]
        painted = y_content[..., mask[0, 0] > 0.5]
        assert float(lent.mean()) == pytest.approx(float(painted.mean()), abs=0.01)
        assert float(lent.std(correction=0)) == pytest.approx(float(painted.std(correction=0)), rel=0.05)


def test_match_mode_moves_each_region_of_a_style_to_the_palette_of_the_part_it_paints(vgg, pair):
    """--colors match with regions and masks: the lent part of the style gets the mean colour of the part of the
    content it paints (a painting's sky to the photo's sky), not those of the whole images."""
    content, _ = pair
    job, parts = _lent_halves(vgg, content, "match")
    for matched, (region, mask) in zip(job.problem.styles, parts):
        lent = matched[0][:, region[0, 0] > 0.5]
        painted = content[0][:, mask[0, 0] > 0.5]
        assert torch.allclose(lent.mean(1), painted.mean(1), atol=0.02)  # (each part is nearly one colour: its
        # covariance has one direction, so only that of the painted part's can be matched)
    (top, out_top), _ = parts
    whole = color.match_colors(_two_part_style()[0], [content])[0][:, top[0, 0] > 0.5]  # not what matching whole
    assert (whole.mean(1) - content[0][:, out_top[0, 0] > 0.5].mean(1)).abs().max() > 0.05  # images gives


SKY, GRASS, ROCK = (135, 206, 235), (40, 160, 60), (120, 110, 100)


def _label_map(height: int, width: int, parts: list[tuple[tuple, tuple[int, int, int]]]) -> torch.Tensor:
    """A colour-coded map: each (slice, colour) painted in turn, with a grey anti-aliased line between (noise)."""
    image = np.zeros((height, width, 3), np.uint8)
    for where, colour in parts:
        image[where] = colour
    return torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255


def test_label_maps_paint_each_part_of_the_content_from_the_part_of_a_style_with_its_colour(vgg, pair, tmp_path,
                                                                                         checkpoint_at):
    """--labels: the content's left is sky, its right grass; the style's top (red) is sky, its bottom (blue) grass."""
    content, _ = pair
    style, _, _ = _two_part_style()
    content_map = _label_map(64, 96, [(np.s_[:, :48], SKY), (np.s_[:, 48:], GRASS)])
    content_map[..., :32, 47] = 0.5  # an anti-aliased bit of seam: it joins the nearest label, it is not one
    style_map = _label_map(96, 96, [(np.s_[:48], SKY), (np.s_[48:], GRASS)])
    split = stylegram.labels.split([content_map, style_map], (64, 96), [(96, 96)], [1.0])
    # one entry per colour, the content's largest part first: grass, with the seam's grey, nearer green than blue
    assert split.colours == ["#28a03c", "#87ceeb"] and split.styles == [0, 0] and split.blend == [0.5, 0.5]
    sky = torch.zeros(1, 1, 64, 96)
    sky[..., :48], sky[..., :32, 47] = 1.0, 0.0
    assert torch.equal(split.masks[1], sky) and torch.equal(split.masks[0], 1 - sky)
    assert float(split.regions[0][..., :48, :].max()) == 0 and float(split.regions[0][..., 48:, :].min()) == 1
    options = {**FAST, "iterations": "15,15", "init": "recolor", "labels": [content_map, style_map]}
    job = prepare(content, style, model=vgg, **options)
    assert {"style.relu3_1.1", "style.relu3_1.2"} <= set(job.problem.terms_at(job.problem.sizes()[-1]).terms)
    full = run(job)[1].image
    for image in (full, transfer(content, style, method="adain", labels=options["labels"]).image):
        left, right = image[..., :40], image[..., 56:]
        assert float((left[:, 0] - left[:, 2]).mean()) > 0.2 > float((right[:, 0] - right[:, 2]).mean()) + 0.2
    checkpoint_at(prepare(content, style, model=vgg, **options), 20)  # the maps, held in memory, go into it
    resumed = resume(tmp_path / "run.ckpt", content, style, model=vgg)
    list(resumed)
    assert torch.equal(resumed.result().image, full)


def test_a_style_image_with_several_labels_goes_through_the_network_once_per_scale(vgg, pair):
    """--labels repeats a style image once per colour it lends; its features are computed once and shared."""
    content, _ = pair
    style, _, _ = _two_part_style()
    content_map = _label_map(64, 96, [(np.s_[:, :32], SKY), (np.s_[:, 32:64], GRASS), (np.s_[:, 64:], ROCK)])
    style_map = _label_map(96, 96, [(np.s_[:32], SKY), (np.s_[32:64], GRASS), (np.s_[64:], ROCK)])
    problem = prepare(content, style, model=vgg, **{**FAST, "labels": [content_map, style_map]}).problem
    passes = []
    extract = vgg.extract
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vgg, "extract", lambda image, layers: passes.append(image.shape) or extract(image, layers))
        problem.terms_at(problem.sizes()[-1])
    assert len(problem.styles) == 3 and len(passes) == 2  # the content and the style image, not three style passes
    alone = prepare(content, style, model=vgg, **{**FAST, "style_masks": [problem.masks[2]],
                                                  "style_regions": [problem.regions[2]]}).problem
    shared = problem.terms_at(problem.sizes()[-1]).terms["style.relu3_1.3"][0].target
    assert torch.equal(shared, alone.terms_at(alone.sizes()[-1]).terms["style.relu3_1.1"][0].target)


def test_a_label_in_two_style_images_is_shared_by_their_blend_weights():
    rock_sky = _label_map(32, 32, [(np.s_[:16], SKY), (np.s_[16:], ROCK)])
    all_sky = _label_map(32, 32, [(np.s_[:], SKY)])
    content_map = _label_map(32, 48, [(np.s_[:, :24], SKY), (np.s_[:, 24:], ROCK)])
    split = stylegram.labels.split([content_map, rock_sky, all_sky], (32, 48), [(32, 32)] * 2, [0.75, 0.25])
    assert split.styles == [0, 1, 0] and split.colours == ["#87ceeb", "#87ceeb", "#786e64"]  # ties: the palette's order
    assert split.blend == pytest.approx([0.375, 0.125, 0.5])  # sky's half split 3:1, rock's half all style 1's


RED = (220, 30, 30)


def test_a_small_solid_label_is_painted_and_scattered_pixels_are_not_a_label():
    """A red disc on 0.24 % of the content's map, which the style's map has, was left to no style without a word
    (under the 0.5 % a label needed); red noise pixels elsewhere stay noise: they join no entry of their own."""
    content_map = _label_map(100, 150, [(np.s_[:50], SKY), (np.s_[50:], ROCK), (np.s_[40:46, 70:76], RED)])
    noisy = content_map.clone()
    noisy[..., 80, ::10] = torch.tensor(RED).view(3, 1) / 255  # 15 lone red pixels along a row, 0.1 %
    style_map = _label_map(32, 32, [(np.s_[:, :16], RED), (np.s_[:, 16:], ROCK)])
    sky_map = _label_map(32, 32, [(np.s_[:], SKY)])
    split = stylegram.labels.split([content_map, sky_map, style_map], (100, 150), [(32, 32)] * 2, [0.5, 0.5])
    assert split.colours == ["#786e64", "#87ceeb", "#dc1e1e"] and split.styles == [1, 0, 1]  # the largest part first
    assert float(split.masks[2].sum()) == 36 and float(split.masks[2][..., 40:46, 70:76].min()) == 1
    assert "red (#dc1e1e) 0.2% of the content from 50% of style image 2" in stylegram.labels.describe(split)
    no_disc = _label_map(100, 150, [(np.s_[:50], SKY), (np.s_[50:], ROCK)])
    no_disc[..., 80, ::10] = torch.tensor(RED).view(3, 1) / 255
    split = stylegram.labels.split([no_disc, sky_map, style_map], (100, 150), [(32, 32)] * 2, [0.5, 0.5])
    assert split.colours == ["#87ceeb", "#786e64"]  # rock less its 15 red pixels, which stay unpainted
    assert len(stylegram.labels.split([noisy, sky_map, style_map], (100, 150), [(32, 32)] * 2, [0.5, 0.5]).masks) == 3


def test_a_label_the_style_maps_have_only_in_scattered_pixels_is_said_so():
    """A style map with a few pixels of the content's label was said not to have it at all."""
    content_map = _label_map(64, 96, [(np.s_[:, :48], SKY), (np.s_[:, 48:], ROCK)])
    style_map = _label_map(40, 40, [(np.s_[:], ROCK)])
    style_map[..., 5, ::8] = torch.tensor(SKY).view(3, 1) / 255  # 5 pixels of sky: 0.3 %
    with pytest.raises(OptionError, match=r"label colour sky blue \(#87ceeb\) covers 50% of the content's map and no "
                                          r"style image's map has it \(style image 1's has it only in scattered pixels, "
                                          r"0.3%: paint a patch of at least 5x5 px\), so nothing would paint it"):
        stylegram.labels.split([content_map, style_map], (64, 96), [(40, 40)], [1.0])
    style_map[..., 10:15, 10:15] = torch.tensor(SKY).view(3, 1, 1) / 255  # a 5x5 patch: 1.9 % with the pixels, a label
    assert set(stylegram.labels.split([content_map, style_map], (64, 96), [(40, 40)], [1.0]).colours) == {
        "#87ceeb", "#786e64"}


def test_near_variants_of_a_label_colour_are_one_label():
    """JPEG shifts a flat colour by a few levels; two such variants, each a large part of a map, are one label."""
    content_map = _label_map(32, 48, [(np.s_[:, :12], SKY), (np.s_[:, 12:24], (133, 204, 238)), (np.s_[:, 24:], ROCK)])
    style_map = _label_map(32, 32, [(np.s_[:16], SKY), (np.s_[16:], ROCK)])
    split = stylegram.labels.split([content_map, style_map], (32, 48), [(32, 32)], [1.0])
    assert split.colours == ["#786e64", "#87ceeb"] and float(split.masks[1][..., :24].min()) == 1


def test_a_label_colour_is_named_in_words_with_its_code():
    """Messages call a label by the nearest named colour, its code after it: the painter's palette reads as words."""
    named = stylegram.labels.colour_name
    assert [named(c) for c in ("#87ceeb", "#228b22", "#8b4513", "#ffd700", "#dc143c", "#ffffff", "#000000")] == [
        "sky blue (#87ceeb)", "green (#228b22)", "brown (#8b4513)", "yellow (#ffd700)", "red (#dc143c)",
        "white (#ffffff)", "black (#000000)"]
    assert named("#3a64dc").startswith("blue") and named("#808080").startswith("grey")


def test_label_map_errors_name_the_problem(vgg, pair):
    content, style = pair
    content_map = _label_map(64, 96, [(np.s_[:, :48], SKY), (np.s_[:, 48:], GRASS)])
    style_map = _label_map(style.shape[-2], style.shape[-1], [(np.s_[:], SKY)])
    with pytest.raises(OptionError, match=r"label colour green \(#28a03c\) covers 50% of the content's map and no style image's "
                                          "map has it"):
        prepare(content, style, model=vgg, labels=[content_map, style_map], **FAST)
    with pytest.raises(OptionError, match="labels gives 1 map, and 2 are needed: the content's first, "
                                          "then one for the style image$"):
        prepare(content, style, model=vgg, labels=[content_map], **FAST)
    with pytest.raises(OptionError, match=r"label map 2 is 96x64 px and style image 1 \d+x\d+: a label map needs"):
        prepare(content, style, model=vgg, labels=[content_map, content_map], **FAST)
    with pytest.raises(OptionError, match="labels makes the masks and regions from the label maps; give labels, or"):
        prepare(content, style, model=vgg, labels=[content_map, style_map], style_regions=[style_map], **FAST)
    palette = [(r, g, b) for r in (0, 85, 170, 255) for g in (0, 85, 170, 255) for b in (0, 255)][:19]
    stripes = _label_map(64, 96, [(np.s_[:, 5 * i:5 * i + 5], c) for i, c in enumerate(palette)])  # and sky: 20
    with pytest.raises(OptionError, match="label maps have 20 colours that each cover 1 % or more of a map; paint"):
        prepare(content, style, model=vgg, labels=[stripes, style_map], **FAST)
    noise = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))  # hardly a colour twice: no labels
    with pytest.raises(OptionError, match="no colour covers 1 % or more of any label map, so the maps name no labels"):
        prepare(content, style, model=vgg, labels=[noise[..., :64, :], noise], **FAST)
    with pytest.raises(OptionError, match="label map 1 has only [0-9]% of its pixels near a label colour, so it looks "
                                          "like a picture rather than the content's label map"):
        prepare(content, style, model=vgg, labels=[noise[..., :64, :], style_map], **FAST)  # split at random before


def test_style_regions_errors_name_the_problem(vgg, pair):
    content, _ = pair
    style, top, bottom = _two_part_style()
    with pytest.raises(OptionError, match="style_regions names 1 region for 2 styles; give one per style image"):
        prepare(content, [style, style], model=vgg, style_regions=[top], **FAST)
    with pytest.raises(OptionError, match="style region 2 is black everywhere, so style 2 would lend nothing"):
        prepare(content, [style, style], model=vgg, style_regions=[top, torch.zeros(1, 3, 96, 96)], **FAST)
    with pytest.raises(OptionError, match="style region 1 is 96x48 px and style image 1 96x96: a region needs its "
                                          "style image's aspect"):
        prepare(content, [style, style], model=vgg, style_regions=[top[..., :48, :], bottom], **FAST)


@pytest.mark.parametrize("method", ["adain", "wct", "gatys-adain-start"])
def test_one_pass_methods_take_each_styles_statistics_from_its_region(pair, vgg, method):
    """One style image, red above and blue below: the top of the output from its top, the bottom from its bottom."""
    content, _ = pair
    style, top, bottom = _two_part_style()
    out_top = torch.zeros(1, 3, 64, 96)
    out_top[..., :32, :] = 1.0
    options = dict(style_masks=[out_top, 1 - out_top], style_regions=[top, bottom])
    if method == "gatys-adain-start":
        image = transfer(content, [style, style], model=vgg, **{**FAST, "init": "adain", "iterations": "0"}, **options).image
    else:
        image = transfer(content, [style, style], method=method, **options).image
    above, below = image[..., :28, :], image[..., 36:, :]
    assert float((above[:, 0] - above[:, 2]).mean()) > 0.2 > float((below[:, 0] - below[:, 2]).mean()) + 0.2


@pytest.mark.parametrize("method", ["adain", "wct"])
def test_one_pass_methods_paint_each_style_in_its_mask(pair, tmp_path, method):
    content, _ = pair
    red, blue = _red_and_blue_styles()
    image = transfer(content, [red, blue], method=method, style_masks=_half_masks(tmp_path, (64, 96))).image
    assert image.shape == (1, 3, 64, 96)
    left, right = image[..., :40], image[..., 56:]
    assert float((left[:, 0] - left[:, 2]).mean()) > 0.2 > float((right[:, 0] - right[:, 2]).mean()) + 0.2


# ------------------------------------------------------------------------------------ --init-weight


def test_kept_image_term_is_the_masked_squared_difference_over_the_targets_energy():
    target = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]).expand(1, 3, 2, 2)
    image = target + torch.tensor([[[[1.0, 0.0], [0.0, 2.0]]]])
    assert float(KeptImage(target)(image)) == pytest.approx((1 + 4) / 4 / (30 / 4))
    left = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])
    assert float(KeptImage(target, left)(image)) == pytest.approx(1 / 4 / (30 / 4))  # only the left column counts


def test_init_weight_keeps_the_output_near_the_start_image_where_the_mask_says(vgg, pair, tmp_path, checkpoint_at):
    """Restyling an earlier result: with --init-weight the output stays near it, inside --init-mask only."""
    content, style = pair
    earlier = run(prepare(content, style, model=vgg, **FAST))[1].image
    options = {**FAST, "init": earlier, "iterations": "12", "style_weight": 10, "parameterization": "pixels"}
    free = run(prepare(content, style, model=vgg, **options))[1].image  # a weaker style: it moves away from earlier
    kept = run(prepare(content, style, model=vgg, init_weight=300, **options))[1].image
    left = torch.zeros(1, 1, 64, 96)
    left[..., :48] = 1.0
    job = prepare(content, style, model=vgg, init_weight=300, init_mask=left, **options)
    halves = run(job)[1].image
    start = optimize.resize(earlier, tuple(free.shape[-2:]))

    def off(image, part=np.s_[...]):
        return float((image - start)[part].abs().mean())

    assert off(kept) < 0.5 * off(free)
    assert off(halves, np.s_[..., :40]) < 0.5 * off(free, np.s_[..., :40])  # the left is kept...
    assert off(halves, np.s_[..., 56:]) > 0.7 * off(free, np.s_[..., 56:])  # ...the right goes its own way
    assert "init" in job.result().history[-1]
    checkpoint_at(prepare(content, style, model=vgg, init_weight=300, init_mask=left, **options), 6)
    resumed = resume(tmp_path / "run.ckpt", content, style, model=vgg)
    list(resumed)
    assert torch.equal(resumed.result().image, halves)


def test_init_weight_errors_name_the_problem(vgg, pair):
    content, style = pair
    with pytest.raises(OptionError, match="init_weight keeps the output near an init image, and init is noise"):
        prepare(content, style, model=vgg, init_weight=1, **{**FAST, "init": "noise"})
    with pytest.raises(OptionError, match="init_mask says where the output keeps to the init image, and "
                                          "init_weight is 0"):
        prepare(content, style, model=vgg, init_mask=torch.ones(1, 1, 64, 96), **{**FAST, "init": content})
    with pytest.raises(OptionError, match=r"init_mask is 48x48 px and the content 96x64: a mask needs the content's"):
        prepare(content, style, model=vgg, init_weight=1, init_mask=torch.ones(1, 1, 48, 48), **{**FAST, "init": content})
    with pytest.raises(OptionError, match="init_weight must be a number at least 0, got nan"):
        prepare(content, style, model=vgg, init_weight=float("nan"), **{**FAST, "init": content})


def test_time_left_costs_a_coarse_scales_iterations_with_their_fixed_part():
    """Costed by pixels alone, 300 iterations at 64 px foretold a 256 px scale's 100 at 16x their pace, where they
    took 8.3x (0.039 against 0.328 s); the first scale of a texture said 1.6x the time left."""
    schedule = optimize.Schedule([300, 150, 100], "lbfgs", None, 20)
    state = optimize.State(scale=0, step=300, iteration=300, elapsed=300 * 0.0393)
    left = optimize._time_left(state, schedule, [(64, 64), (128, 128), (256, 256)])
    assert left == pytest.approx(150 * 0.0966 + 100 * 0.3277, rel=0.05)  # what they took (FIXED_PIXELS)


def test_time_left_takes_its_pace_from_the_iterations_after_a_scales_first():
    """The first iteration of a scale also sets it up; from the second on the estimate leaves it out."""
    schedule = optimize.Schedule([100], "lbfgs", None, 20)
    state = optimize.State(scale=0, step=3, iteration=3, elapsed=5.2)  # 5 s for the first, 0.1 s each since
    assert optimize._time_left(state, schedule, [(32, 32)]) == pytest.approx(5.2 / 3 * 97)  # the first's pace
    assert optimize._time_left(state, schedule, [(32, 32)], since=(5.0, 1)) == pytest.approx(0.1 * 97)
    state.step, state.elapsed = 1, 5.0
    assert optimize._time_left(state, schedule, [(32, 32)], since=(5.0, 1)) == pytest.approx(5.0 * 99)  # no more yet
    # the first step's own time: its scale's set-up (4.9 s of targets here) left out (trial AU: a 96 px texture's
    # first estimate was 129 s for 5, its 1.3 s of targets taken for an iteration)
    assert optimize._time_left(state, schedule, [(32, 32)], since=(5.0, 1), began=(4.9, 0)) == pytest.approx(0.1 * 99)


def test_an_adam_step_that_scatters_the_picture_is_warned_of(vgg, pair):
    """--optimizer adam --lr 1 (a classic tool's learning rate, for pixels in 0..255) gave black and white blobs, and
    its loss fell from its peak, so no divergence was said."""
    content, style = pair
    with pytest.warns(StylegramWarning, match=r"^lr=1 with optimizer adam moves every value of the picture by about 1 "
                                              r"a step, of its 0..1 range: above 0.1 it saturates into blobs"):
        prepare(content, style, model=vgg, **{**FAST, "optimizer": "adam", "lr": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error", StylegramWarning)
        prepare(content, style, model=vgg, **{**FAST, "optimizer": "adam", "lr": 0.1})


def test_a_later_scales_first_time_left_takes_the_pace_the_scale_before_ran_at():
    """At a scale's first iteration the whole run's pace was taken, every scale's set-up and targets in it."""
    sizes, schedule = [(32, 32), (64, 64)], optimize.Schedule([10, 10], "lbfgs", None, 20)
    state = optimize.State(scale=1, step=1, iteration=11, elapsed=20.0)  # the set-ups took most of it
    pace = 5e-6  # s per pixel of cost of scale 0 after its first iteration (4.7 us measured, FIXED_PIXELS)
    left = 9 * (64 * 64 + optimize.FIXED_PIXELS)
    assert optimize._time_left(state, schedule, sizes, since=(20.0, 1), pace=pace) == pytest.approx(pace * left)
    assert optimize._time_left(state, schedule, sizes, since=(20.0, 1)) > 3 * pace * left  # as it was
    # the pace handed on: scale 0's 2 iterations after its first took 2 s
    assert optimize._pace(optimize.State(scale=0, step=4, elapsed=3.0), sizes, (1.0, 2)) == \
        pytest.approx(2.0 / (2 * (32 * 32 + optimize.FIXED_PIXELS)))


def test_a_panoramas_style_is_sized_to_twice_its_height():
    """A 480x80 panorama's mosaic was 480 px: one cell as tall as the picture (trial R). Up to 2:1 the style keeps
    to the long side as before."""
    assert optimize.style_side((80, 480), 1.0) == 160 and optimize.style_side((80, 480), 0.5) == 80
    assert optimize.style_side((300, 451), 1.0) == 451 and optimize.style_side((256, 512), 1.0) == 512
    assert optimize.style_side((480, 80), 1.0) == 160  # tall as wide
    content, style = torch.rand(1, 3, 40, 240), torch.rand(1, 3, 300, 300)
    from stylegram.analysis.explain import prepared

    _, (measured,), _ = prepared(content, [style], content)
    assert tuple(measured.shape[-2:]) == (80, 80)  # explain measures it as the transfer made it
    assert gatys._style_scale_fix((300, 300), (80, 480), 64, "--size") == "--style-scale to at least 0.40, or --size"


def _fits(value, hint) -> bool:
    """Whether ``value`` is of a type that ``hint`` (a class or a union of them, generics by their origin) names."""
    return any(isinstance(value, typing.get_origin(kind) or kind) for kind in typing.get_args(hint) or (hint,))


def test_the_option_hints_name_the_lists_and_counts_they_take():
    """iterations: str took [20, 90] and 50, style_layers a list or a dict of weights, which a type checker flagged in
    code that runs: the hints name them, and the options still hold them as the command line writes them."""
    from stylegram import deepdream, synthesis

    given = [(TransferOptions, "content_layers", ["relu4_2"], "relu4_2"),
             (TransferOptions, "style_layers", {"relu3_1": 0.5}, "relu3_1:0.5"),
             (TransferOptions, "iterations", [20, 90], "20,90"),
             (TransferOptions, "style_blend", [0.7, 0.3], "0.7,0.3"),
             (synthesis.TextureOptions, "layers", ["pool1", "pool2"], "pool1,pool2"),
             (synthesis.TextureOptions, "blend", [1, 2], "1,2"),
             (synthesis.TextureOptions, "iterations", 50, 50),
             (deepdream.DreamOptions, "iterations", [3, 4], "3,4")]
    for cls, name, value, held in given:
        hint = typing.get_type_hints(cls)[name]
        assert _fits(value, hint), (cls.__name__, name, hint)
        assert getattr(cls(**{name: value}), name) == held


def test_a_content_of_several_frames_or_a_tiff_of_several_pages_is_warned_of(tmp_path):
    """Trial AV: an animated GIF as the content was stylized as its first frame without a word (batch makes each
    frame), and a TIFF of several pages was read as its first."""
    frames = [Image.fromarray(np.full((48, 64, 3), 60 * k, np.uint8)) for k in range(3)]
    frames[0].save(tmp_path / "clip.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    with pytest.warns(StylegramWarning, match=r"^the content \(clip\.gif\) is animated, and only its first frame is "
                                              r"read: stylegram batch stylizes every frame"):
        gatys._load_inputs(str(tmp_path / "clip.gif"), ["sample:swirls"])
    with pytest.warns(StylegramWarning, match=r"^style image 1 \(pages\.tif\) is a TIFF of 3 pages, and only its "
                                              r"first is read"):
        gatys._load_inputs("sample:chelsea", [str(tmp_path / "pages.tif")])
    frames[0].save(tmp_path / "one.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StylegramWarning)
        gatys._load_inputs(str(tmp_path / "one.tif"), ["sample:swirls"])  # one page: nothing to say
