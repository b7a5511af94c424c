import re
import warnings

import pytest
import torch

import stylegram

from stylegram import optimize, stats, winograd
from stylegram.backbones import load_backbone
from stylegram.cli import main
from stylegram.errors import LayerError, OptionError, StylegramWarning
from stylegram.images import load_tensor, save_image
from stylegram.losses import relative_mse
from stylegram.precision import native_bfloat16
from stylegram.samples import path
from stylegram.synthesis import (LAYERS, TextureOptions, checkerboard, is_grey, parse_size, prepare_texture, resume_texture,
                                 smooth_noise, texture)

ALL = LAYERS.split(",")


@pytest.fixture(scope="module")
def avg_vgg():
    """The paper's network: embedded VGG19 with average pooling (reflect padding)."""
    return load_backbone("vgg19", "default", pooling="avg")


@pytest.fixture(scope="module")
def brick() -> torch.Tensor:
    return load_tensor(path("brick"), size=128)


@pytest.fixture(scope="module")
def gravel() -> torch.Tensor:
    return load_tensor(path("gravel"), size=128)


def gram_distances(backbone, image: torch.Tensor, example: torch.Tensor) -> dict[str, float]:
    """Relative squared Frobenius distance of the Gram matrices, per layer."""
    with torch.no_grad():
        a, b = backbone.extract(image, ALL), backbone.extract(example, ALL)
    return {layer: float(relative_mse(stats.gram(a[layer]), stats.gram(b[layer]))) for layer in ALL}


def noise_start(job) -> torch.Tensor:
    return job.problem.initial_image(job.problem.sizes()[-1], torch.Generator().manual_seed(job.options.seed))


def seam_ratio(image: torch.Tensor) -> float:
    """Jump across the wrap-around border over the largest jump across any interior line (both axes)."""
    ratios = []
    for axis in (-1, -2):
        jumps = (image - image.roll(-1, axis)).abs().mean(dim=[d for d in (-3, -2, -1) if d != axis])
        jumps = jumps.flatten()  # jumps[i]: between line i and i + 1; the last one wraps around
        ratios.append(float(jumps[-1] / jumps[:-1].max()))
    return max(ratios)


EMULATED_BFLOAT16 = pytest.mark.skipif(
    not native_bfloat16(), reason="bfloat16 is emulated on this CPU (this run took 205 s there, 8 s in float32); "
    "auto never picks it here, and test_precision checks its numbers"
)


NO_NNPACK = pytest.mark.skipif(not winograd.available(), reason="this torch build has no NNPACK")


@pytest.mark.parametrize("precision", ["float32", pytest.param("bfloat16", marks=EMULATED_BFLOAT16),
                                       pytest.param("winograd", marks=NO_NNPACK)])
def test_gram_distance_falls_tenfold_and_below_another_texture(avg_vgg, brick, gravel, precision):
    job = prepare_texture(brick, model=avg_vgg, size=64, min_size=64, iterations=60, tolerance=0, precision=precision)
    records = list(job)
    result = job.result().image
    assert records[0].size == (64, 64) and set(records[0].losses) == {f"texture.{layer}" for layer in ALL}
    assert torch.equal(result[:, 0], result[:, 1]) and torch.equal(result[:, 1], result[:, 2])  # grey in, grey out
    ours = gram_distances(avg_vgg, result, brick)
    noise = gram_distances(avg_vgg, noise_start(job), brick)
    other = gram_distances(avg_vgg, gravel[..., :64, :64], brick)
    for layer in ALL:
        assert ours[layer] < noise[layer] / 10, (layer, ours[layer], noise[layer])
        assert ours[layer] < other[layer], (layer, ours[layer], other[layer])


def test_size_larger_than_the_example_and_any_aspect(avg_vgg, brick):
    small = brick[..., :64, :64]
    job = prepare_texture(small, model=avg_vgg, size="128x96", min_size=64, iterations="40,30", tolerance=0)
    assert job.problem.sizes() == [(48, 64), (96, 128)]
    assert job.problem.example_size(small, (48, 64)) == (32, 32)  # shrinks with the output: same feature scale
    list(job)
    result = job.result().image
    assert result.shape == (1, 3, 96, 128) and 0 <= result.min() and result.max() <= 1
    ours, noise = gram_distances(avg_vgg, result, small), gram_distances(avg_vgg, noise_start(job), small)
    assert all(ours[layer] < noise[layer] / 10 for layer in ALL), (ours, noise)


@pytest.fixture(scope="module")
def tiles(avg_vgg, brick):
    """The same two-scale synthesis with and without --tileable."""
    options = dict(model=avg_vgg, size=96, min_size=48, iterations="40,25", tolerance=0)
    return texture(brick, tileable=True, **options).image, texture(brick, **options).image


def test_tileable_output_has_no_seam(tiles):
    tileable, plain = tiles
    tiling = torch.cat([torch.cat([tileable, tileable], -1)] * 2, -2)
    assert seam_ratio(tileable) <= 1.0  # the wrap-around jump is no larger than any interior one
    inner = tiling[..., 96 - 1 : 96 + 1, :]  # the tiling's seam rows are its interior lines 95/96
    assert (inner[..., 0, :] - inner[..., 1, :]).abs().mean() == pytest.approx(
        (tileable[..., -1, :] - tileable[..., 0, :]).abs().mean()
    )
    # the measure can fail: without --tileable the edges do not match
    assert seam_ratio(plain) > 1.0


def test_tileable_loss_is_invariant_to_circular_shifts(avg_vgg, brick):
    job = prepare_texture(brick, model=avg_vgg, size=64, min_size=64, tileable=True, tv_weight=1.0)
    assert job.problem.backbone.padding == "circular" and avg_vgg.padding == "reflect"  # a copy, not changed
    assert job.problem.backbone.layers["conv1_1"].weight is avg_vgg.layers["conv1_1"].weight  # weights shared
    terms = job.problem.terms_at((64, 64))
    image = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        a, b = terms(image), terms(image.roll((16, 32), (-2, -1)))
    for name in a:
        assert float(b[name]) == pytest.approx(float(a[name]), rel=1e-4), name


def test_a_texture_made_in_one_scale_is_not_hatched(avg_vgg, gravel):
    job = prepare_texture(gravel, model=avg_vgg, size=64, min_size=64, iterations=30)
    for _ in job:
        pass
    assert len(job.problem.sizes()) == 1
    # from white noise the Gram loss sharpens the noise's checkerboard (0.70 at the start, 0.79 after); the example
    # measures 0.51, the texture from smooth noise 0.39
    assert checkerboard(job.result().image) < 0.6 and checkerboard(gravel) < 0.6
    assert checkerboard(torch.rand(1, 3, 64, 64)) > 0.6  # the measure can fail


def test_smooth_noise_wraps_around_when_the_texture_must_tile():
    generator = torch.Generator().manual_seed(0)
    tiling = smooth_noise(3, (30, 41), generator, wrap=True)
    assert tiling.shape == (1, 3, 30, 41) and seam_ratio(tiling) <= 1.0
    assert seam_ratio(smooth_noise(3, (30, 41), generator)) > 1.0
    assert checkerboard(tiling) < 0.4  # white noise: about 0.7


def test_wrapping_resize_commutes_with_tiling_and_shifts():
    torch.manual_seed(1)
    image = torch.rand(1, 3, 24, 32)
    up = optimize.resize(image, (48, 64), wrap=True)
    tiled = optimize.resize(image.repeat(1, 1, 2, 2), (96, 128), wrap=True)
    assert torch.allclose(tiled, up.repeat(1, 1, 2, 2), atol=1e-5)
    shifted = optimize.resize(image.roll(3, -1), (48, 64), wrap=True)
    assert torch.allclose(shifted, up.roll(6, -1), atol=1e-5)
    plain = optimize.resize(image.roll(3, -1), (48, 64))
    assert not torch.allclose(plain, optimize.resize(image, (48, 64)).roll(6, -1), atol=1e-3)


def test_blend_targets_are_weighted_gram_matrices(avg_vgg, brick, gravel):
    job = prepare_texture([brick, gravel], model=avg_vgg, size=64, min_size=64, blend="3,1")
    target = job.problem.targets((64, 64))["pool2"]
    with torch.no_grad():
        g1 = stats.gram(avg_vgg.extract(brick, ["pool2"])["pool2"])
        g2 = stats.gram(avg_vgg.extract(gravel, ["pool2"])["pool2"])
    assert torch.allclose(target, 0.75 * g1 + 0.25 * g2, rtol=1e-5, atol=1e-6)


def test_layer_groups_take_fine_layers_from_one_example_and_coarse_from_the_other(avg_vgg, brick, gravel):
    """--layers conv1_1,pool1/pool2: gravel's grain on brick's layout (control of scale, Gatys et al. 2017)."""
    job = prepare_texture([gravel, brick], model=avg_vgg, size=64, min_size=64, layers="conv1_1,pool1/pool2")
    targets = job.problem.targets((64, 64))
    with torch.no_grad():
        fine = avg_vgg.extract(gravel, ["pool1"])["pool1"]
        coarse = avg_vgg.extract(brick, ["pool2"])["pool2"]
    assert set(targets) == {"conv1_1", "pool1", "pool2"}
    assert torch.allclose(targets["pool1"], stats.gram(fine), rtol=1e-5, atol=1e-6)
    assert torch.allclose(targets["pool2"], stats.gram(coarse), rtol=1e-5, atol=1e-6)
    with pytest.raises(OptionError, match="layers gives 2 groups split by '/' for 3 examples; give one group per example"):
        prepare_texture([gravel, brick, brick], model=avg_vgg, size=64, layers="conv1_1/pool2")


def _striped(channel: int) -> torch.Tensor:
    """A 64 px example: one colour channel at half, full every 8th row."""
    image = torch.zeros(1, 3, 64, 64)
    image[:, channel] = 0.5
    image[:, channel, ::8] = 1.0
    return image


def test_masks_grow_each_example_in_its_region(avg_vgg):
    """Texture by numbers: red stripes on the left of a 96x64 output, blue on the right."""
    left = torch.zeros(1, 3, 64, 96)
    left[..., :48] = 1.0
    opts = dict(model=avg_vgg, size="96x64", min_size=48, iterations="20,20", layers="conv1_1,pool1,pool2")
    job = prepare_texture([_striped(0), _striped(2)], masks=[left, 1 - left], **opts)
    evaluate = job.problem.terms_at((64, 96))
    assert {"texture.pool1.1", "texture.pool1.2"} <= set(evaluate(torch.rand(1, 3, 64, 96)))
    as_asked = torch.cat([_striped(0)[..., :48], _striped(2)[..., :48]], dim=-1)  # red left, blue right
    swapped = as_asked.flip(-1)
    with torch.no_grad():
        losses = [sum(float(v) for k, v in evaluate(x).items() if k.startswith("texture.")) for x in (as_asked, swapped)]
    assert losses[0] < 0.2 * losses[1]  # blended terms would score both alike
    image = texture([_striped(0), _striped(2)], masks=[left, 1 - left], **opts).image
    red, blue = image[..., :40], image[..., 56:]
    assert float((red[:, 0] - red[:, 2]).mean()) > 0.2 and float((blue[:, 2] - blue[:, 0]).mean()) > 0.2
    with pytest.raises(OptionError, match="masks names 1 mask for 2 examples; give one per example image"):
        prepare_texture([_striped(0), _striped(2)], masks=[left], **opts)
    with pytest.raises(OptionError, match="mask 1 is 96x64 px and the output 64x64: a mask needs the output's aspect"):
        prepare_texture([_striped(0), _striped(2)], masks=[left, 1 - left], **{**opts, "size": 64})
    with pytest.raises(OptionError, match="mask 2 is black everywhere, so example 2 would grow nowhere"):
        prepare_texture([_striped(0), _striped(2)], masks=[left, 0 * left], **opts)
    half = left.clone()
    half[..., :24] = 0  # a quarter of the output under no mask: it stayed the start's coloured noise, unsaid
    with pytest.warns(StylegramWarning, match=r"^the masks leave 25% of the texture where no example grows, which "
                                              r"stays the start's coloured noise; cover it with a mask"):
        prepare_texture([_striped(0), _striped(2)], masks=[half, 1 - left], **opts)


@pytest.mark.parametrize("statistic", ["histogram", "meanstd,mmd-poly"])
def test_masks_with_other_statistics_score_the_layout_asked_for(avg_vgg, statistic):
    left = torch.zeros(1, 3, 64, 96)
    left[..., :48] = 1.0
    job = prepare_texture([_striped(0), _striped(2)], masks=[left, 1 - left], model=avg_vgg, size="96x64", min_size=48,
                          layers="conv1_1,pool1,pool2", statistic=statistic)
    evaluate = job.problem.terms_at((64, 96))
    parts = statistic.split(",")
    as_asked = torch.cat([_striped(0)[..., :48], _striped(2)[..., :48]], dim=-1)
    with torch.no_grad():
        terms = [evaluate(x) for x in (as_asked, as_asked.flip(-1))]
    assert {f"texture.{part}.pool1.{n}" for part in parts for n in (1, 2)} <= set(terms[0])
    losses = [sum(float(v) for k, v in t.items() if k.startswith("texture.")) for t in terms]
    assert losses[0] < 0.2 * losses[1]


def test_labels_grow_each_part_of_the_output_from_the_part_of_an_example_with_its_colour(avg_vgg):
    """Neural doodle: one example, red stripes above and blue below, with a map saying so; the output's map asks
    for the top's texture on the left and the bottom's on the right."""
    example = torch.cat([_striped(0)[..., :32, :], _striped(2)[..., 32:, :]], dim=-2)
    (height, width), a, b = example.shape[-2:], torch.tensor([0.2, 0.4, 0.9]), torch.tensor([0.9, 0.5, 0.1])
    a, b = a.view(1, 3, 1, 1), b.view(1, 3, 1, 1)
    example_map = torch.cat([a.expand(1, 3, 32, width), b.expand(1, 3, height - 32, width)], dim=-2)
    output_map = torch.cat([a.expand(1, 3, 64, 48), b.expand(1, 3, 64, 48)], dim=-1)
    opts = dict(model=avg_vgg, size="96x64", min_size=48, iterations="20,20", layers="conv1_1,pool1,pool2")
    image = texture(example, labels=[output_map, example_map], **opts).image
    red, blue = image[..., :40], image[..., 56:]
    redder = float((red[:, 0] - red[:, 2]).mean())
    assert redder > 0.2 and float((blue[:, 2] - blue[:, 0]).mean()) > 0.2
    plain = texture(example, **opts).image  # the whole example everywhere: its left is not made red
    assert float((plain[..., :40][:, 0] - plain[..., :40][:, 2]).mean()) < redder / 2
    with pytest.raises(OptionError, match="labels makes the masks from the label maps; give labels or masks"):
        prepare_texture(example, labels=[output_map, example_map], masks=[torch.ones(1, 3, 64, 96)], **opts)
    with pytest.raises(OptionError, match="covers 50% of the output's map and no example's map has it, so nothing "
                                          "would paint it; give it a part of an example's map, or paint that part of "
                                          "the output's map in a colour an example has"):
        prepare_texture(example, labels=[output_map, a.expand(1, 3, height, width)], **opts)
    with pytest.raises(OptionError, match="label map 1 is 48x64 px and the output 96x64: a label map needs"):
        prepare_texture(example, labels=[output_map[..., :48], example_map], **opts)
    with pytest.raises(OptionError, match="labels gives 2 maps, and 3 are needed: the output's first, then one for "
                                          "each of the 2 examples, in their order"):
        prepare_texture([example, example], labels=[output_map, example_map], **opts)


def test_a_doodle_gives_the_output_its_shape_and_size_its_long_side(avg_vgg, tmp_path, capsys):
    """--size 96 (or none) with a 96x64 doodle said "the output 96x96: a label map needs its image's aspect", where
    the web page made the doodle's shape."""
    from PIL import Image

    a, b = torch.tensor([0.2, 0.4, 0.9]).view(1, 3, 1, 1), torch.tensor([0.9, 0.5, 0.1]).view(1, 3, 1, 1)
    doodle = torch.cat([a.expand(1, 3, 64, 48), b.expand(1, 3, 64, 48)], dim=-1)  # 96x64
    example_map = torch.cat([a.expand(1, 3, 32, 64), b.expand(1, 3, 32, 64)], dim=-2)
    example = torch.rand(1, 3, 64, 64)
    shaped = {size: prepare_texture(example, model=avg_vgg, labels=[doodle, example_map], size=size,
                                    layers="conv1_1,pool1").problem.sizes()[-1] for size in (96, "48", "72x48")}
    assert shaped == {96: (64, 96), "48": (32, 48), "72x48": (48, 72)}  # (H, W)
    assert prepare_texture(example, model=avg_vgg, labels=[doodle, example_map],
                           layers="conv1_1,pool1").problem.sizes()[-1] == (171, 256)  # the default 256: long side
    assert prepare_texture(example, model=avg_vgg, size=96, layers="conv1_1,pool1").problem.sizes()[-1] == (96, 96)
    save_image(doodle, tmp_path / "doodle.png")
    save_image(example_map, tmp_path / "map.png")
    save_image(example, tmp_path / "example.png")
    run = ["texture", str(tmp_path / "example.png"), "--labels", f"{tmp_path / 'doodle.png'},{tmp_path / 'map.png'}",
           "--layers", "conv1_1,pool1", "--iterations", "2", "--min-size", "48", "-o", str(tmp_path / "out.png")]
    assert main([*run, "--size", "48", "--quiet"]) == 0 and Image.open(tmp_path / "out.png").size == (48, 32)
    assert main([*run, "--size", "48x48"]) == 2
    assert "and the output 48x48: a label map needs its image's aspect (it is scaled with it); give --size as one " \
           "number, its long side, and the output takes its shape" in capsys.readouterr().err


def test_same_seed_same_bytes_and_resume_is_identical(avg_vgg, brick, tmp_path, checkpoint_at):
    opts = dict(model=avg_vgg, size=48, min_size=24, iterations="5,4", tolerance=0, layers="conv1_1,pool1,pool2")
    full = texture(brick, seed=3, **opts)
    a = full.save(tmp_path / "a.png")
    b = texture(brick, seed=3, **opts).save(tmp_path / "b.png")
    c = texture(brick, seed=4, **opts).save(tmp_path / "c.png")
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    options = TextureOptions(**{k: v for k, v in opts.items() if k != "model"})  # an options object, then a change
    assert texture(brick, options, model=avg_vgg, seed=3).save(tmp_path / "d.png").read_bytes() == a.read_bytes()
    job = prepare_texture(brick, seed=3, **opts)
    checkpoint_at(job, 7)
    torch.manual_seed(123)
    callers = torch.get_rng_state()
    resumed = resume_texture(tmp_path / "run.ckpt", brick, model=avg_vgg)
    assert [r.iteration for r in resumed] == [8, 9]
    assert torch.equal(resumed.result().image, full.image)
    assert torch.equal(torch.get_rng_state(), callers)  # resuming set the caller's global generator to the checkpoint's


def test_parse_size():
    assert parse_size("320x200") == (200, 320)
    assert parse_size(" 64 X 48 ") == (48, 64)
    assert parse_size(256) == parse_size("256") == parse_size(256.0) == (256, 256)  # 256.0: as transfer's --size takes it
    assert parse_size((320, 200.0)) == (200, 320)
    for bad in ("0x10", "abc", "12x", "-5", "10x0", "99999", 64.5, float("nan"), (64, 48.5), ("a", 5), True):
        with pytest.raises(OptionError, match="size"):
            parse_size(bad)


def test_a_one_colour_example_is_said_to_have_no_texture(avg_vgg, brick):
    """A flat (200,30,30) example came out mottled, 14 levels of noise about its colour, without a word."""
    flat = torch.tensor([200, 30, 30]).view(1, 3, 1, 1).expand(1, 3, 64, 64) / 255
    with pytest.warns(StylegramWarning, match=r"^example 2 is one colour \(200,30,30\): it has no texture to copy"):
        prepare_texture([brick, flat], model=avg_vgg, size=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_texture(brick, model=avg_vgg, size=64)


def test_bad_inputs_are_named(avg_vgg, brick):
    with pytest.raises(OptionError, match=r"example 1 is 12x12 px .* need at least 16 px"):
        prepare_texture(torch.rand(1, 3, 12, 12), model=avg_vgg, size=64)
    with pytest.raises(OptionError, match="need at least 2 px"):  # conv1_1 alone works on tiny images
        prepare_texture(brick, model=avg_vgg, size="1x8", layers="conv1_1")
    with pytest.raises(OptionError, match="size=0x10: width and height must be between 1"):
        prepare_texture(brick, model=avg_vgg, size="0x10")
    with pytest.raises(OptionError, match="^size=0: width and height must be between 1"):  # was 'size=0x0'
        prepare_texture(brick, model=avg_vgg, size=0)
    with pytest.raises(OptionError, match="^size=-5: width and height must be between 1"):  # was 'not WIDTHxHEIGHT'
        prepare_texture(brick, model=avg_vgg, size="-5")
    for low in (0, -5):  # ran, as small as the layers allowed
        with pytest.raises(OptionError, match=f"^min_size must be at least 1 px, got {low}$"):
            prepare_texture(brick, model=avg_vgg, size=64, min_size=low)
    with pytest.raises(OptionError, match="blend has 2 weights for 1 example; give one weight per example"):
        prepare_texture(brick, model=avg_vgg, blend="1,2")
    with pytest.raises(OptionError, match="blend='0.5' weighs several examples against each other, and there is one "
                                          "example: drop it$"):  # it was taken, and made the same texture
        prepare_texture(brick, model=avg_vgg, blend="0.5")
    with pytest.raises(OptionError, match="blend weight for 'example 2' must be a non-negative number"):  # 'style 2'
        prepare_texture([brick, brick], model=avg_vgg, blend="1,-1")
    with pytest.raises(OptionError, match="tileable needs circular padding"):
        prepare_texture(brick, model=avg_vgg, tileable=True, padding="reflect")
    with pytest.raises(OptionError, match="pooling"):
        prepare_texture(brick, model=load_backbone("vgg19", "default"), size=64)
    with pytest.raises(LayerError, match="did you mean pool4"):
        prepare_texture(brick, model=avg_vgg, layers="conv1_1,pool44")
    with pytest.raises(OptionError, match="unknown texture option"):
        prepare_texture(brick, model=avg_vgg, sise=64)
    with pytest.raises(OptionError, match="precision='half' is not one of"):
        prepare_texture(brick, model=avg_vgg, precision="half")
    with pytest.raises(OptionError, match="tv_weight must be a number at least 0, got nan"):
        prepare_texture(brick, model=avg_vgg, size=64, tv_weight=float("nan"))  # once a NaN loss, a run later
    with pytest.raises(OptionError, match="tolerance must be a number at least 0"):
        prepare_texture(brick, model=avg_vgg, size=64, tolerance=-1.0)
    with pytest.raises(OptionError, match=r"example needs about .* the largest example_scale that fits is about \d"):
        prepare_texture(brick, model=avg_vgg, size=64, example_scale=40, max_memory=1.0)  # once minutes of a pass
    with pytest.raises(OptionError, match=r"example needs about .* the largest example_scale that fits is about \d"):
        prepare_texture(brick, model=avg_vgg, size=2048, example_scale=40, max_memory=1.0)  # was 'size=256', refused next
    assert TextureOptions().replace(size="64x32").size == "64x32"


def test_an_example_scaled_too_small_names_the_smallest_scale_that_does(avg_vgg, brick):
    small = brick[..., :100, :100]  # pool4 needs 16 px: 0.16 makes 16 px, 0.15 makes 15
    with pytest.raises(OptionError, match=r"example 1 is 15x15 px \(after example_scale\), but the layers .* need at "
                                          r"least 16 px per side: use a larger example, example_scale=0\.16 or more"):
        prepare_texture(small, model=avg_vgg, size=48, example_scale=0.15)
    with pytest.warns(StylegramWarning, match=r"^the example is read at 16x16 px, so its pool4 maps are 1x1: too few "
                                              r"to tell the material's larger forms, .* give an example of at least "
                                              r"64 px on its short side, or example_scale=0.64"):  # 32 px: confetti
        assert prepare_texture(small, model=avg_vgg, size=48, example_scale=0.16).problem.examples
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pool4 maps of 4x4: said of no run
        prepare_texture(brick[..., :64, :64], model=avg_vgg, size=48)


def test_cli_writes_the_asked_size(brick, tmp_path, capsys):
    example = save_image(brick[..., :64, :64], tmp_path / "ex.png")
    out = tmp_path / "out.png"
    argv = ["texture", str(example), "-o", str(out), "--size", "48x32", "--min-size", "32", "--iterations", "3"]
    assert main([*argv, "--quiet", "--layers", "conv1_1,pool1:2,pool2"]) == 0
    assert load_tensor(out).shape == (1, 3, 32, 48)
    assert main([*argv[:4], "--size", "0x10"]) == 2
    assert "--size" in capsys.readouterr().err


def test_a_short_single_scale_run_does_not_stall(avg_vgg):
    """30 iterations at 96 px from one scale: an undone step is followed by a gradient step as long as the ones that
    worked. With the 1-norm rule's tiny step instead, each next quasi-Newton step overshot and was undone again,
    7 times in 30 iterations, and the loss stood at 41 % of its first value (a noise picture)."""
    job = prepare_texture(path("swirls"), model=avg_vgg, size=96, min_size=96, iterations=30, tolerance=0, seed=0)
    losses = [sum(record.losses.values()) for record in job]
    assert len(losses) == 30
    assert losses[-1] < 0.15 * losses[0], (losses[0], losses[-1])


def test_seed_minus_one_draws_a_seed_in_python_too_and_says_it():
    """The command line's --seed -1 drew a seed; texture(seed=-1) was refused ('seed must be a whole number from 0')."""
    with pytest.warns(StylegramWarning, match=r"seed -1 means a random seed: drew seed=(\d+) \(give it") as said:
        options = TextureOptions(seed=-1)
    drawn = int(re.search(r"seed=(\d+)", str(said[0].message))[1])
    assert options.seed == drawn and 0 <= drawn < 2**31
    assert TextureOptions(seed=drawn).seed == drawn  # given back, it is that seed


def test_images_given_one_after_another_are_told_to_go_in_one_list():
    """texture('a', 'b') took 'b' for the options: 'give TextureOptions, not str', and nothing about a list."""
    with pytest.raises(OptionError, match=r"give TextureOptions, not str; several images go in one list: "
                                          r"texture\(\['sample:gravel', 'sample:grass'\]\)"):
        stylegram.texture("sample:gravel", "sample:grass", size=32)
    with pytest.raises(OptionError, match=r"not Tensor; several images go in one list: transfer\(content, \["):
        stylegram.transfer("sample:chelsea", "sample:swirls", torch.zeros(1, 3, 8, 8), size=32)
    with pytest.raises(OptionError, match=r"give TextureOptions, not dict; a dict of options goes in as keywords: "
                                          r"\*\*options$"):  # not an image: no such hint
        stylegram.texture("sample:gravel", {"size": 32})


def test_deep_dreams_optimizer_is_refused_for_a_texture_and_a_transfer_as_on_the_command_line():
    """optimizer='sgd-normalized' ran in Python while --optimizer sgd-normalized was an invalid choice; 'sgd' was
    answered 'did you mean sgd-normalized?'."""
    for run in (stylegram.texture, lambda *a, **k: stylegram.transfer("sample:chelsea", *a, **k)):
        with pytest.raises(OptionError, match="optimizer='sgd-normalized' is not one of lbfgs, adam"):
            run("sample:gravel", size=32, optimizer="sgd-normalized")
        with pytest.raises(OptionError, match="optimizer='sgd' is not one of lbfgs, adam$"):
            run("sample:gravel", size=32, optimizer="sgd")


def test_resuming_with_another_number_of_examples_says_so(avg_vgg, brick, checkpoint_at):
    """A checkpoint of two examples resumed with one said 'blend has 2 weights for 1 example', of an option not given."""
    opts = dict(model=avg_vgg, size=32, min_size=32, iterations="4", layers="conv1_1,pool1", blend="0.7,0.3")
    saved = checkpoint_at(prepare_texture([brick, brick.flip(-1)], **opts), 2)
    for given in ([brick], [brick, brick, brick]):
        with pytest.raises(OptionError, match=rf"the checkpoint was made from 2 example images and {len(given)} "
                                              r"(was|were) given; give the same ones in the same order"):
            resume_texture(saved, given, model=avg_vgg)
    assert [p.iteration for p in resume_texture(saved, [brick, brick.flip(-1)], model=avg_vgg)] == [3, 4]


def test_an_example_grey_but_for_a_few_pixels_gives_a_grey_texture(avg_vgg, brick):
    """A grey palette PNG with 25 of its 16,384 pixels a shade off grey gave multicoloured confetti."""
    specked = brick.clone()
    specked[0, 0, :2, :24] = (specked[0, 0, :2, :24] + 0.2).clamp(max=1)  # 48 of 16,384 px (0.3 %) reddish
    tinted = (brick + 0.1 * torch.rand(1, 3, 1, 1) * (torch.rand_like(brick) > 0.9)).clamp(max=1)  # 10 % of pixels
    assert is_grey(specked) and not is_grey(tinted)
    result = texture(specked, model=avg_vgg, size=32, min_size=32, iterations="3", layers="conv1_1,pool1").image
    assert torch.equal(result[:, 0], result[:, 1]) and torch.equal(result[:, 1], result[:, 2])
    coloured = specked.clone()
    coloured[0, 0, :20] = (coloured[0, 0, :20] + 0.2).clamp(max=1)  # 20 of 128 rows: a coloured texture
    result = texture(coloured, model=avg_vgg, size=32, min_size=32, iterations="3", layers="conv1_1,pool1").image
    assert not torch.equal(result[:, 0], result[:, 1])


def test_an_example_enlarged_into_blur_is_warned_of_as_a_style_image_is(avg_vgg):
    """transfer warned of a 5x5 style enlarged 13x; texture --example-scale 6 enlarged a 16 px example without a word."""
    example = torch.rand(1, 3, 16, 16)
    with pytest.warns(StylegramWarning, match=r"^example 1 is 16x16 px and is enlarged 6x to 96x96 \(example_scale\), "
                                              r"so its strokes come out as blur: give a larger example, or a smaller "
                                              r"example_scale$"):
        prepare_texture(example, model=avg_vgg, size=32, example_scale=6.0, layers="conv1_1,pool1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_texture(example, model=avg_vgg, size=32, example_scale=4.0, layers="conv1_1,pool1")  # 4x: not yet


def test_ctrl_c_in_texture_keeps_the_work_in_the_exception(avg_vgg, monkeypatch):
    """texture() stopped by Ctrl-C raised a bare KeyboardInterrupt: the picture of the iterations before it was lost."""
    from stylegram.bars import Bar

    update = Bar.update

    def ctrl_c_at_third(self, progress):
        update(self, progress)
        if progress.iteration == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(Bar, "update", ctrl_c_at_third)
    with pytest.raises(stylegram.Interrupted, match=r"stopped after iteration 3, the work kept in this exception's "
                                                    r"job: in a notebook sys.last_value.job.result\(so_far=True\) is") as stopped:
        stylegram.texture("sample:gravel", model=avg_vgg, size=32, min_size=32, iterations="6", tolerance=0)
    assert isinstance(stopped.value, KeyboardInterrupt)  # what a caller catching Ctrl-C catches
    so_far = stopped.value.job.result(so_far=True)
    assert len(so_far.history) == 3 and so_far.image.shape == (1, 3, 32, 32) and so_far.image.std() > 0.01
    assert "importlib" not in dir(stylegram) and "Interrupted" in dir(stylegram)
    assert all(getattr(stylegram, name) is not None for name in stylegram.__all__)


def test_help_of_the_options_says_what_each_does_in_python_words():
    """help(TransferOptions) showed names, types and defaults alone: no list of --colors' values, nothing on --init."""
    import pydoc

    page = " ".join(pydoc.render_doc(stylegram.TransferOptions, renderer=pydoc.plaintext).split())
    assert "colors: style: the style's colours; match: " in page and "luminance: transfer on luminance only" in page
    assert "optimizer: lbfgs or adam (default: 'lbfgs')" in page and "pooling: " in page
    assert "init: starting image: auto" in page and "(default: 'auto')" in page
    options = stylegram.TransferOptions.__doc__.split("Options (as the command line's --help describes them):")[1]
    assert "--" not in options and "style_masks" in options  # keywords, not flags
    texture_page = " ".join(pydoc.render_doc(stylegram.TextureOptions, renderer=pydoc.plaintext).split())
    assert "tileable: " in texture_page and "example_scale: example size relative to its own pixels" in texture_page
    dream_page = " ".join(pydoc.render_doc(stylegram.DreamOptions, renderer=pydoc.plaintext).split())
    assert "transforms=False: no random pad, jitter" in dream_page  # 'transforms: no random pad' read backwards
    assert "pre_relu=False: evaluate reluX_Y itself" in dream_page and "grey: dream in grey" in dream_page
    for run, options in [(stylegram.transfer, "TransferOptions"), (stylegram.texture, "TextureOptions"),
                         (stylegram.dream, "DreamOptions")]:  # help(transfer) named no keyword, nor where they are
        assert f"help(stylegram.{options}) lists" in " ".join(pydoc.render_doc(run, renderer=pydoc.plaintext).split())


def test_the_margin_keeps_the_border_rows_as_the_inside(avg_vgg, tmp_path, capsys):
    """The outermost rows of a colour texture came out speckled with saturated pixels (a 1 px coloured rim); grown
    beyond the border and cropped off, they are as the inside."""
    example = load_tensor(path("mosaic"), size=128)

    def saturated(image: torch.Tensor) -> tuple[float, float]:
        stuck = ((image <= 0) | (image >= 1)).any(1)[0].float()
        ring = torch.cat([stuck[:2].flatten(), stuck[-2:].flatten(), stuck[:, :2].flatten(), stuck[:, -2:].flatten()])
        return float(ring.mean()), float(stuck[4:-4, 4:-4].mean())

    opts = dict(model=avg_vgg, size=64, min_size=64, iterations="80", tolerance=0, seed=2)
    job = prepare_texture(example, **opts)
    assert job.problem.canvas((64, 64)) == (72, 72) and job.options.margin == 4
    rim, inside = saturated(job.run().image)
    assert rim < 1.5 * inside + 0.01, (rim, inside)  # 0.047 against 0.035
    rim, inside = saturated(texture(example, margin=0, **opts).image)
    assert rim > 3 * inside, (rim, inside)  # 0.24 against 0.045 without it
    tiling = prepare_texture(example, tileable=True, **opts)
    assert tiling.problem.canvas((64, 64)) == (64, 64)  # a tiling texture has no border
    with pytest.raises(OptionError, match=r"margin must be a whole number of px from 0 to 64, got -1"):
        prepare_texture(example, margin=-1, **opts)
    with pytest.raises(OptionError, match=r"^margin=8 grows a texture beyond its borders, and a tileable one has none"):
        prepare_texture(example, margin=8, tileable=True, **opts)  # was taken and ignored
    assert main(["texture", "sample:brick", "--tileable", "--margin", "4", "--size", "32", "-o",
                 str(tmp_path / "t.png")]) == 2  # the default's value typed: taken and ignored, where 8 was refused
    assert "--margin 4 grows a texture beyond its borders, and a --tileable one has none" in capsys.readouterr().err
    with pytest.raises(OptionError) as refused:  # 'a 2008x2008 run ... --size N' for the canvas, not the picture
        prepare_texture(example, model=avg_vgg, size=2000, max_memory=1.0)
    said = re.search(r"^a 2008x2008 run \(the 2000x2000 texture and its 4 px margin\) needs about [\d.]+ GiB but "
                     r"max_memory allows 1.0 GiB; the largest size that fits is about size=(\d+)$", str(refused.value))
    assert said and (int(said.group(1)) + 8) % 16 == 0, str(refused.value)  # the canvas's side that fits, less 8
    with pytest.raises(OptionError) as refused:  # a bare number for a 4:3 texture made a square that did not fit
        prepare_texture(example, model=avg_vgg, size="2000x1500", max_memory=1.0)
    wide = re.search(r"the largest size that fits is about size=(\d+)x(\d+)$", str(refused.value))
    assert wide and abs(int(wide.group(1)) / int(wide.group(2)) - 4 / 3) < 0.01, str(refused.value)


def test_a_texture_is_estimated_with_the_curvature_pairs_it_can_hold(avg_vgg, brick):
    """L-BFGS holds no more curvature pairs than a scale has iterations: 1024x768 at --iterations 20,10,10 was put at
    7.7 GiB, as for 100 pairs."""
    assert optimize.Schedule([300, 150, 100]).most_pairs() == 100
    assert optimize.Schedule([20, 10], history=100).most_pairs() == 20
    assert optimize.Schedule([300], optimizer="adam").most_pairs() == 0
    with pytest.raises(OptionError, match=r"needs about 7\.7 GiB but max_memory allows 7\.6 GiB"):
        prepare_texture(brick, model=avg_vgg, size="1024x768", max_memory=7.6)
    with pytest.raises(OptionError, match=r"needs about 6\.2 GiB but max_memory allows 6\.1 GiB"):
        prepare_texture(brick, model=avg_vgg, size="1024x768", iterations="20,10,10", max_memory=6.1)


def test_the_next_scale_starts_from_the_picture_enlarged_not_the_canvas(avg_vgg, brick):
    """The margin is the same px at every scale: resized canvas to canvas (72 to 136 px), the picture shrank by 6 %
    and moved 3.5 px inwards, so its edge rows started from what had been margin."""
    problem = prepare_texture(brick, model=avg_vgg, size=128, min_size=64, iterations="1").problem
    assert problem.margin == 4 and problem.sizes() == [(64, 64), (128, 128)]
    canvas = torch.zeros(1, 3, 72, 72)
    canvas[..., 4:68, 4:68] = 1.0  # the picture white, the margin black
    canvas[..., 4:68, 36:68] = 0.5  # its right half grey
    finer = problem.rescale(canvas, (128, 128))
    assert finer.shape == (1, 3, 136, 136)
    picture = finer[0, 0, 4:132, 4:132]
    # by hand: the coarse picture's edge at 4 px of 72 lands at 4 px of 136 (the margin 8 px wide there, 4 cut off),
    # and its grey half from column 32 of 64 at column 64 of 128
    # (bicubic blurs a row on either side of an edge, and rings for two more)
    assert float(picture[1:-1, 1:62].min()) > 0.97 and float(picture[3:-3, 67:125].sub(0.5).abs().max()) < 0.03
    assert float(finer[0, 0, :, :2].max()) < 0.03  # the margin stays margin
    tiling = prepare_texture(brick, model=avg_vgg, size=128, min_size=64, iterations="1", tileable=True).problem
    assert tiling.rescale(torch.rand(1, 3, 64, 64), (128, 128)).shape == (1, 3, 128, 128)


def test_a_checkpoint_from_before_the_margin_resumes_without_one(avg_vgg, brick, checkpoint_at):
    """Its picture holds no margin: resumed with one, the crop would cut the picture itself."""
    opts = dict(model=avg_vgg, size=32, min_size=32, iterations="4", layers="conv1_1,pool1", margin=0)
    saved = checkpoint_at(prepare_texture(brick, **opts), 2)
    payload = optimize.read_checkpoint(saved)
    del payload["options"]["margin"]  # as written before the option was
    optimize.write_checkpoint(saved, payload)
    resumed = resume_texture(saved, brick, model=avg_vgg)
    assert resumed.options.margin == 0 and [p.iteration for p in resumed] == [3, 4]
    assert resumed.result().image.shape == (1, 3, 32, 32)


def test_an_example_measured_for_longer_than_the_synthesis_is_warned_of(avg_vgg):
    """A 4032x3024 photo as the example of a 128 px texture took 173 s (the synthesis 24) and 15.9 GB without a word:
    at its own pixel scale, its targets are a pass over 12 megapixels at the finest scale."""
    photo = torch.rand(1, 3, 1200, 1700)
    with pytest.warns(StylegramWarning) as said:
        prepare_texture(photo, size=32, model=avg_vgg)  # one scale of 40x40 (the margin) for 100 iterations
    # by hand: 1200 x 1700 = 2,040,000 pixels measured against 40 x 40 x 100 = 160,000 synthesized, 12.75x; a
    # quarter of the synthesis at sqrt(0.25 / 12.75) = 0.14 of the size
    assert [str(w.message) for w in said] == [
        "the example is read at 1700x1200 px (example_scale=1 of its own pixels), so measuring the examples takes "
        "about 13x as long as the synthesis itself; example_scale=0.14 reads it at 238x168 (its grain 7x smaller in "
        "the texture)"]  # it said '7x coarser', which is backwards (trial AA)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_texture(photo, size=32, model=avg_vgg, example_scale=0.14)
        prepare_texture(photo[..., :1000, :1000], size=32, model=avg_vgg)  # 6x as long, but 1 megapixel: seconds
    # a scale so small that pool4's maps are too few was offered, and then warned of as too small (trial AR)
    with pytest.warns(StylegramWarning) as said:
        prepare_texture(torch.rand(1, 3, 1500, 1500), size=32, iterations="2", model=avg_vgg)
    assert [str(w.message) for w in said] == [
        "the example is read at 1500x1500 px (example_scale=1 of its own pixels), so measuring the examples takes "
        "about 703x as long as the synthesis itself; example_scale=0.05 reads it at 75x75 (its grain 20x smaller in "
        "the texture)"]  # 0.01 by the quarter rule alone; 0.05 is pool4's floor of 4 positions (64 px)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_texture(torch.rand(1, 3, 1500, 1500), size=32, iterations="2", model=avg_vgg, example_scale=0.05)


def test_the_size_named_to_fit_the_free_memory_leaves_room_for_it_to_move(avg_vgg, monkeypatch):
    """'--size 1720' was named to fit 21.3 GiB free, and refused on the next run, when 20.0 GiB were free."""
    from stylegram import memory

    brick = load_tensor(path("brick"), size=64)
    monkeypatch.setattr(memory, "available_memory", lambda: 3 * 2**30)
    with pytest.raises(OptionError, match=r"the largest size that fits is about size=(\d+)") as refused:
        prepare_texture(brick, size=3000, model=avg_vgg, iterations="1")
    named = int(re.search(r"about size=(\d+)", str(refused.value))[1])
    monkeypatch.setattr(memory, "available_memory", lambda: int(0.93 * 3 * 2**30))  # a little less free now
    assert prepare_texture(brick, size=named, model=avg_vgg, iterations="1").problem.sizes()[-1] == (named, named)
