"""AdaIN and WCT with the embedded encoder and decoder (loaded once per session)."""

import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F

from stylegram.color import match_colors, rgb_to_yiq
from stylegram.errors import BackboneError, OptionError, WeightsError
from stylegram.feedforward import FeedForward, adain, load_decoder, stylize, wct
from stylegram.losses import blend_weights


def photo(name: str, side: int) -> torch.Tensor:
    """A skimage sample photo as (1, 3, H, W) in [0, 1], long side ``side`` px."""
    x = torch.from_numpy(getattr(skimage.data, name)()).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    scale = side / max(h, w)
    return F.interpolate(x, size=(round(h * scale), round(w * scale)), mode="bilinear", antialias=True)


def crop8(x: torch.Tensor) -> torch.Tensor:
    return x[..., : x.shape[-2] // 8 * 8, : x.shape[-1] // 8 * 8]


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(np.corrcoef(a.flatten().numpy(), b.flatten().numpy())[0, 1])


@pytest.fixture(scope="session")
def ff() -> FeedForward:
    torch.manual_seed(0)
    return FeedForward()


@pytest.fixture(scope="session")
def content() -> torch.Tensor:
    return crop8(photo("chelsea", 128))


@pytest.fixture(scope="session")
def style() -> torch.Tensor:
    return photo("astronaut", 96)


def test_adain_moves_channel_statistics_to_the_style(ff, content, style):
    with torch.no_grad():
        fc, fs = ff.encode(content), ff.encode(style)
    out = adain(fc, fs)
    var_c, var_s = fc.var((2, 3), correction=0), fs.var((2, 3), correction=0)
    # eps = 1e-5 shifts the std by about eps / (2 var); compare where that is far below 1e-4.
    live = (var_c > 0.1) & (var_s > 0.1)
    assert live.sum() > 400
    mean_o, std_o = out.mean((2, 3)), out.var((2, 3), correction=0).sqrt()
    assert torch.allclose(mean_o[live], fs.mean((2, 3))[live], rtol=1e-4, atol=1e-6)
    assert torch.allclose(std_o[live], var_s.sqrt()[live], rtol=1e-4)


def test_wct_exact_on_well_conditioned_features():
    g = torch.Generator().manual_seed(0)
    content = torch.randn(1, 16, 20, 20, generator=g) @ torch.randn(20, 20, generator=g)
    style = (torch.randn(1, 16, 24, 24, generator=g).permute(0, 2, 3, 1) @ torch.randn(16, 16, generator=g)).permute(0, 3, 1, 2) + 3
    out = wct(content, style).reshape(16, -1).double()
    fs = style.reshape(16, -1).double()
    assert torch.allclose(out.mean(1), fs.mean(1), atol=1e-5)
    assert (torch.cov(out) - torch.cov(fs)).norm() / torch.cov(fs).norm() < 1e-5


def test_wct_moves_covariance_and_mean_to_the_style(ff):
    # relu4_1 has 512 channels: the content needs more than 512 positions (> 181 px) for a full-rank covariance.
    with torch.no_grad():
        fc, fs = ff.encode(photo("chelsea", 256)), ff.encode(photo("astronaut", 128))
    out = wct(fc, fs)
    assert out.shape == fc.shape and out.dtype == fc.dtype
    flat_o, flat_s = out[0].reshape(512, -1).double(), fs[0].reshape(512, -1).double()
    cov_s = torch.cov(flat_s)
    assert (torch.cov(flat_o) - cov_s).norm() / cov_s.norm() < 1e-3
    assert torch.allclose(flat_o.mean(1), flat_s.mean(1), atol=1e-4)


def _two_regions(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random features whose left half is quiet and shifted and right half loud; a soft left mask; a style."""
    content = torch.randn(1, 8, 24, 40, generator=g)
    content[..., :20] = 0.2 * content[..., :20] + 2.0
    region = torch.zeros(1, 1, 24, 40)
    region[..., :16], region[..., 16:24] = 1.0, 0.5  # a soft seam counts half
    style = torch.randn(1, 8, 30, 30, generator=g) * 3 - 1
    return content, region, style


def _weighted_moments(flat: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (C,) and covariance (C, C) of (C, P) features, each position counted by its weight (P,)."""
    mean = (flat * w).sum(1) / w.sum()
    centred = flat - mean[:, None]
    return mean, (centred * w) @ centred.T / (w.sum() - 1)


def test_adain_in_a_region_gives_the_region_the_styles_statistics():
    """Spatial control (Huang & Belongie 2017): the content's statistics of the region alone, so the region
    gets the style's; with the whole map's (as masks did) the quiet half stayed quieter than the style."""
    content, region, style = _two_regions(torch.Generator().manual_seed(1))
    w = region.reshape(-1)
    for out, exact in [(adain(content, style, region=region), True), (adain(content, style), False)]:
        flat = out[0].reshape(8, -1)
        mean = (flat * w).sum(1) / w.sum()
        std = (((flat - mean[:, None]) ** 2 * w).sum(1) / w.sum()).sqrt()
        matched = torch.allclose(mean, style.mean((2, 3))[0], atol=1e-3) and torch.allclose(
            std, style.std((2, 3), correction=0)[0], rtol=1e-3)
        assert matched is exact
    assert torch.allclose(adain(content, style, region=torch.ones(1, 1, 24, 40)), adain(content, style), atol=1e-5)


def test_wct_in_a_region_gives_the_region_the_styles_covariance():
    content, region, style = _two_regions(torch.Generator().manual_seed(2))
    w = region.reshape(-1).double()
    fs = style[0].reshape(8, -1).double()
    for out, exact in [(wct(content, style, region=region), True), (wct(content, style), False)]:
        mean, cov = _weighted_moments(out[0].reshape(8, -1).double(), w)
        error = float((cov - torch.cov(fs)).norm() / torch.cov(fs).norm())
        assert (error < 1e-4 and torch.allclose(mean, fs.mean(1), atol=1e-4)) is exact


def test_decoder_inverts_the_encoder(ff):
    x = crop8(photo("coffee", 128))
    with torch.no_grad():
        assert pearson(ff.decode(ff.encode(x)), x) > 0.8


def test_alpha_zero_decodes_the_content_features(ff, content, style):
    with torch.no_grad():
        direct = ff.decode(ff.encode(content))
    for method in ("adain", "wct"):
        assert torch.allclose(ff.stylize(content, [style], method=method, alpha=0.0, precision="float32"), direct,
                              atol=1e-6)


def test_output_is_an_image_of_the_content_size(ff, style):
    content = F.interpolate(photo("chelsea", 128), size=(70, 93), mode="bilinear", antialias=True)
    assert content.shape[-2:] == (70, 93)
    for method in ("adain", "wct"):
        out = ff.stylize(content, [style], method=method)
        assert out.shape == (1, 3, 70, 93)
        assert out.min() >= 0 and out.max() <= 1
        assert out.std() > 0.02  # not blank


def test_bfloat16_pass_is_close_to_float32_and_its_pixels_are_not_rounded_to_bfloat16(ff, content, style):
    exact = ff.stylize(content, [style], precision="float32")
    fast = ff.stylize(content, [style], precision="bfloat16")
    assert fast.dtype == torch.float32 and fast.shape == exact.shape
    error = (fast - exact).abs() * 255
    assert error.median() < 1.5 and torch.quantile(error.flatten(), 0.99) < 10  # measured 0.6 and 5.5 at 512 px
    steps = fast[(fast > 0.5) & (fast < 1)] * 256  # bfloat16 holds only multiples of 1/256 in [0.5, 1)
    assert (steps - steps.round()).abs().max() > 0.1  # the last convolution ran in float32
    with pytest.raises(OptionError, match="precision='float16'"):
        ff.stylize(content, [style], precision="float16")


def test_a_result_is_taken_as_content_or_style(content, style):
    """A Result as the content was a TypeError from a path check, and as a style 'not an image'; as init it worked."""
    import stylegram

    first = stylegram.transfer(content, style, method="adain", size=64)
    again = stylegram.transfer(first, style, method="adain", size=64)
    assert again.image.shape == first.image.shape and not torch.equal(again.image, first.image)
    lent = stylegram.transfer(content, first, method="adain", size=64)
    assert torch.equal(lent.image, stylegram.transfer(content, first.image, method="adain", size=64).image)


def test_blend_one_zero_equals_single_style(ff, content, style):
    other = photo("coffee", 96)
    single = ff.stylize(content, [style])
    assert torch.equal(ff.stylize(content, [style, other], blend=(1, 0)), single)
    assert torch.equal(ff.stylize(content, [style, other], blend=(3, 0)), single)
    mixed = ff.stylize(content, [style, other], blend=(1, 1))
    assert not torch.allclose(mixed, single, atol=1e-2)


def test_module_function_takes_encoder_and_decoder(ff, content, style):
    out = stylize(content, [style], method="wct", alpha=0.5, encoder=ff.encoder, decoder=ff.decoder)
    assert torch.equal(out, ff.stylize(content, [style], method="wct", alpha=0.5))


@pytest.mark.parametrize("colors", ["original", "luminance"])
def test_color_modes_keep_content_chroma(ff, content, style, colors):
    chroma_c = rgb_to_yiq(content)[:, 1:]
    kept = rgb_to_yiq(ff.stylize(content, [style], colors=colors))[:, 1:]
    styled = rgb_to_yiq(ff.stylize(content, [style], colors="style"))[:, 1:]
    assert (kept - chroma_c).abs().mean() < 0.01
    assert (styled - chroma_c).abs().mean() > 2 * (kept - chroma_c).abs().mean()


def test_match_mode_gives_the_style_the_contents_palette_first(ff, content, style):
    """--colors match is the plain transfer from the style moved to the content's palette (this decoder's weights are
    random, so the colours of its output say nothing; test_transfer checks them for Gatys)."""
    recoloured = match_colors(style, [content])
    assert (recoloured.mean((2, 3)) - content.mean((2, 3))).abs().max() < 0.02
    matched = ff.stylize(content, [style], colors="match")
    assert torch.equal(matched, ff.stylize(content, [recoloured], colors="style"))
    assert not torch.equal(matched, ff.stylize(content, [style], colors="style"))


@pytest.mark.parametrize(
    "blend, words",
    [((1.0,), "1 weight for 2 styles"), ((1.0, -1.0), "non-negative"), ((0, 0), "all zero"), ((1, float("nan")), "non-negative")],
)
def test_bad_blend_weights(blend, words):
    with pytest.raises(OptionError, match=words):
        blend_weights(blend, 2)


def test_blend_weights_normalized():
    assert blend_weights((3, 1), 2) == [0.75, 0.25]
    assert blend_weights(None, 4) == [0.25] * 4


def test_bad_options(ff, content, style):
    with pytest.raises(OptionError, match="method='adian'.*did you mean adain"):
        ff.stylize(content, [style], method="adian")
    with pytest.raises(OptionError, match="colors='orginal'"):
        ff.stylize(content, [style], colors="orginal")
    with pytest.raises(OptionError, match="blend has 3 weights for 1 style;"):
        ff.stylize(content, [style], blend=(1, 2, 3))
    with pytest.raises(BackboneError, match="at least"):
        ff.stylize(content[..., :10, :10], [style])


def test_decoder_key_mismatch_names_the_keys(tmp_path):
    state = load_decoder("random:0").state_dict()
    state["convs.extra.weight"] = state.pop("convs.dec3_3.weight")
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"missing \['convs.dec3_3.weight'\], unexpected \['convs.extra.weight'\]"):
        load_decoder(str(path))
    with pytest.raises(WeightsError, match="neither a file nor"):
        load_decoder("defualt")


def test_feed_forward_memory_estimate_follows_the_larger_of_content_and_style():
    from stylegram import memory

    small, big = memory.feed_forward_bytes((100, 100), [(50, 50)]), memory.feed_forward_bytes((200, 200), [(50, 50)])
    assert big - memory.OVERHEAD == 4 * (small - memory.OVERHEAD)  # the content's area decides
    wide_style = memory.feed_forward_bytes((100, 100), [(50, 50), (1000, 1000)])
    assert wide_style == memory.ENCODE_BYTES * 1000 * 1000 + memory.OVERHEAD  # now the largest style decides


@pytest.mark.filterwarnings("ignore:the content image is .* enlarged")  # a size past memory
def test_feed_forward_too_large_for_memory_is_refused_before_the_pass():
    from stylegram import gatys, memory

    opts = gatys.TransferOptions(method="adain", size=1000, upscale=True, max_memory=1.0)
    with pytest.raises(OptionError, match=r"a 1000x750 adain pass needs about 1.7 GiB but max_memory allows 1.0 GiB; "
                                          r"the largest size that fits is about size=(\d+)$") as err:
        gatys.prepare_feed_forward(np.zeros((60, 80, 3), np.uint8), np.zeros((40, 40, 3), np.uint8), opts)
    side = int(err.value.args[0].rsplit(" ", 1)[1])
    fits = memory.feed_forward_bytes((side * 3 // 4, side), [(side, side)])
    assert fits <= 2**30 < memory.feed_forward_bytes((side * 3 // 4 + 24, side + 32), [(side + 32, side + 32)])


def test_feed_forward_checks_run_when_prepared_not_when_run():
    from stylegram import gatys

    opts = gatys.TransferOptions(method="wct", size=60)
    with pytest.raises(OptionError, match=r"the content image would be 60x10 px, but the AdaIN/WCT encoder needs at "
                                          r"least 16 px per side: raise size \(with upscale"):
        gatys.prepare_feed_forward(np.zeros((10, 60, 3), np.uint8), np.zeros((40, 40, 3), np.uint8), opts)
    with pytest.raises(OptionError, match=r"the style 1 image would be 6x6 px.*raise style_scale to at least 0\.26, or size$"):
        gatys.prepare_feed_forward(np.zeros((45, 60, 3), np.uint8), np.zeros((40, 40, 3), np.uint8),
                                   opts.replace(style_scale=0.1))
    gatys.prepare_feed_forward(np.zeros((45, 60, 3), np.uint8), np.zeros((40, 40, 3), np.uint8),
                               opts.replace(style_scale=0.26))  # the scale named is enough
    with pytest.raises(OptionError, match="the style 1 image would be 15x15 px"):  # ... and the smallest that is
        gatys.prepare_feed_forward(np.zeros((45, 60, 3), np.uint8), np.zeros((40, 40, 3), np.uint8),
                                   opts.replace(style_scale=0.25))
    run = gatys.prepare_feed_forward(np.zeros((45, 60, 3), np.uint8), np.full((40, 40, 3), 200, np.uint8), opts)
    assert run().image.shape == (1, 3, 45, 60)


def test_optimization_options_given_to_a_one_pass_method_are_named():
    from stylegram import gatys

    content, style = np.zeros((45, 60, 3), np.uint8), np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(OptionError, match=r"^weights applies to method gatys only; method adain makes one pass "
                                          r"with its own VGG19 encoder and decoder: drop it$"):
        gatys.prepare_feed_forward(content, style, gatys.TransferOptions(method="adain", weights="torchvision"))
    with pytest.raises(OptionError, match=r"^style_layers, iterations apply to method gatys only"):
        gatys.transfer(content, style, method="wct", style_layers="relu1_1", iterations="5")
    shared = dict(size=60, alpha=0.5, colors="original", precision="float32", seed=3, style_scale=1.5, max_memory=8.0)
    assert gatys.transfer(content, style, method="wct", **shared).image.shape == (1, 3, 45, 60)  # these apply
