import base64
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylegram import deepdream as D
from stylegram import optimize, params
from stylegram.analysis import inputs
from stylegram.backbones import load_backbone
from stylegram.cli import main
from stylegram.errors import LayerError, OptionError, StylegramWarning
from stylegram.images import load_tensor
from stylegram.samples import path
from stylegram.synthesis import TextureOptions

FAST = dict(size=64, octaves=2, iterations="8")


def noise_start(job) -> torch.Tensor:
    return job.problem.initial_image(job.problem.sizes()[-1], torch.Generator().manual_seed(job.options.seed))


# ------------------------------------------------------------------------------------------- objectives


def test_objective_algebra_and_descriptions():
    a, b = D.channel("conv4_1", 3), D.channel("conv4_1", 7)
    assert a.description == "channel(conv4_1, 3)"
    assert (a - 0.5 * b).description == "channel(conv4_1, 3) - 0.5 * channel(conv4_1, 7)"
    assert (-a + b).description == "-channel(conv4_1, 3) + channel(conv4_1, 7)"
    assert sum([a, b, a]) == 2 * a + b
    assert a + a == a * 2 == 4 * a / 2
    assert (a - a).description == "0" and not (a - a).parts
    assert (a + b).layers == ["conv4_1"] and (a + D.layer("relu3_1")).layers == ["conv4_1", "relu3_1"]
    assert D.channels("relu4_1", [3, 7]).description == "channels(relu4_1, [3, 7])"
    one = D.channels("relu4_1", [3, 3], "cluster 0 of g.json")  # a one-channel cluster was 'channel(relu4_1, 3)'
    assert one.description == "channels(relu4_1, cluster 0 of g.json)"
    assert one.explain() == "+1 x mean activation of channel 3 (cluster 0 of g.json) of relu4_1"
    assert "correlation" in D.cluster_correlation("conv4_1", range(12)).explain()
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(OptionError, match="at least two"):
        D.cluster_correlation("conv4_1", [3])
    with pytest.raises(OptionError, match="no channels"):
        D.channels("conv4_1", [])


def test_an_array_of_channels_is_an_option_set():
    """channels=np.array([1, 2]) raised 'the truth value of an array is ambiguous' when the options were compared."""
    from stylegram.deepdream import DreamOptions

    assert "channels" in DreamOptions(layer="relu4_1", channels=np.array([1, 2])).changed()


def test_objective_values_add_and_scale():
    feats = {"l": torch.arange(2 * 4 * 3 * 3, dtype=torch.float32).reshape(2, 4, 3, 3)}
    mean = [float(feats["l"][:, c].mean()) for c in range(4)]
    objective = D.channel("l", 1) - 0.5 * D.channel("l", 2) + 2 * D.channels("l", [0, 3])
    terms = objective.terms(feats)
    assert terms["channel(l, 1)"].item() == pytest.approx(mean[1])
    assert terms["channel(l, 2)"].item() == pytest.approx(-0.5 * mean[2])
    assert objective(feats).item() == pytest.approx(mean[1] - 0.5 * mean[2] + (mean[0] + mean[3]))
    assert D.layer("l")(feats).item() == pytest.approx(float(feats["l"].pow(2).mean()))


def test_correlation_cannot_grow_by_brightness_or_contrast():
    f = torch.randn(1, 5, 16, 16)
    base = D.mean_correlation(f)
    gain = torch.tensor([3.0, 0.5, 10.0, 1.0, 2.0]).view(1, 5, 1, 1)
    assert torch.allclose(D.mean_correlation(gain * f + 7.0), base, atol=1e-5)
    same = torch.randn(1, 1, 16, 16).expand(1, 4, 16, 16) * torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 4, 1, 1)
    assert D.mean_correlation(same).item() == pytest.approx(1.0, abs=1e-5)


def test_a_dream_of_clusters_found_on_grey_images_or_another_pooling_says_so(vgg, tmp_path):
    """A colour dream of clusters found on grey images came out as colourful noise, and one with max pooling of
    clusters found with avg went on, both without a word (features --clusters said it)."""
    record = {"layer": "relu3_1", "clusters": [{"id": 0, "channels": [5, 9]}],
              "settings": {"grey": True, "pooling": "avg"}}
    path = tmp_path / "grams.json"
    path.write_text(json.dumps(record))
    with pytest.warns(StylegramWarning) as said:
        D.prepare_dream(model=vgg, cluster=f"{path}:0", **FAST)
    assert [str(w.message) for w in said] == [
        f"{path}'s clusters were found on grey images and this dream is in colour; give grey=True to see them as the "
        "clusters were found",
        f"{path}'s clusters were found with pooling avg and this network has pooling max; give pooling='avg' to see "
        "them as the clusters were found"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D.prepare_dream(model=load_backbone("vgg19", "random", pooling="avg"), cluster=f"{path}:0", grey=True, **FAST)
    record["settings"].update(backbone="vgg19", weights="caffe")
    path.write_text(json.dumps(record))
    with pytest.raises(OptionError, match=r"and this run uses vgg19 with default; give backbone='vgg19', "
                                          r"weights='caffe'$"):  # was 'add backbone vgg19 weights caffe'
        D.prepare_dream(model=vgg, cluster=f"{path}:0", grey=True, pooling="avg", **FAST)


def test_cluster_files_and_pre_relu_taps(vgg, tmp_path):
    record = {"layer": "relu3_1", "clusters": [{"id": 0, "channels": [5, 9]}, {"id": 1, "channels": [1, 2, 3]}]}
    path = tmp_path / "grams.json"
    path.write_text(json.dumps(record))
    assert D.read_cluster(path, 1) == ("relu3_1", [1, 2, 3])
    assert D.cluster(path, 0).description == "channels(relu3_1, cluster 0 of grams.json)"
    assert D.cluster(path, 1, correlation=True).parts.popitem()[0].kind == "correlation"
    assert D.parse_cluster(f"{path}:1") == (str(path), 1)
    with pytest.raises(OptionError, match="has 2 clusters"):
        D.read_cluster(path, 2)
    with pytest.raises(OptionError, match="FILE:K"):
        D.parse_cluster("grams.json")
    with pytest.raises(OptionError, match=f"^cluster {re.escape(str(path))} names no cluster: give FILE:K, e.g. "
                                          f"{re.escape(str(path))}:0; it has 2 clusters of relu3_1: 0 \\(2 channels\\), "
                                          "1 \\(3 channels\\)$"):  # the file alone: which K there are
        D.parse_cluster(str(path))
    # these said "(TypeError('list indices must be integers or slices, not str'))" and the like
    for text, words in [("{bad", "not JSON (Expecting property name"), ("[1, 2]", 'it needs a "layer" and "clusters"'),
                        ('{"layer": "relu2_1", "clusters": [[1, 2]]}', 'it needs a "layer" and "clusters"')]:
        path.write_text(text)
        with pytest.raises(OptionError, match=re.escape(words)):
            D.read_cluster(path, 0)
    with pytest.raises(OptionError, match=r"cannot read cluster file .* \(Is a directory\)"):
        D.read_cluster(tmp_path, 0)
    with pytest.raises(OptionError, match=re.escape("a correlation needs at least two channels, got [3]; give more")):
        D.cluster_correlation("relu2_1", [3])
    assert [D.pre_relu_tap(vgg, n) for n in ("relu4_1", "conv4_1", "pool4")] == ["conv4_1", "conv4_1", "pool4"]
    moved = D.on_pre_relu_taps(D.channel("relu4_1", 3) + D.layer("relu4_1"), vgg)
    assert moved.description == "channel(conv4_1, 3) + layer(relu4_1)"  # a whole layer keeps its ReLU
    with pytest.raises(LayerError, match="did you mean"):
        D.pre_relu_tap(vgg, "relu4_9")


def test_inception_pre_relu_names():
    model = load_backbone("inceptionv1", "random")
    assert D.pre_relu_tap(model, "mixed4c_3x3") == "mixed4c_3x3_pre_relu"
    assert D.pre_relu_tap(model, "mixed4c") == "mixed4c"  # a concatenation has no single pre-ReLU tap


# ------------------------------------------------------------------------------------- parameterizations


def test_fourier_parameterization_round_trips_and_stays_in_range():
    image = torch.rand(1, 3, 20, 27) * 0.9 + 0.05
    for squash in params.SQUASHES:
        p = params.Fourier.from_image(image, squash=squash)
        assert torch.allclose(p.image(), image, atol=1e-4)
        assert p.params()[0].shape == (1, 3, 20, 14, 2) and p.params()[0].requires_grad
    wild = params.Fourier(torch.randn(1, 3, 20, 14, 2) * 50, (20, 27))
    assert 0 <= wild.image().min() and wild.image().max() <= 1
    # the 1/f scaling: a unit coefficient at low frequency moves the image more than one at high frequency
    scale = params.spectrum_scale((32, 32))
    assert scale[0, 1] > 5 * scale[16, 16] and scale.pow(2).mean().sqrt().item() == pytest.approx(1.0)


def test_pixels_are_put_back_into_range_before_each_evaluation():
    """Clamped only in the loss, a pixel pushed past 0 or 1 got no gradient back and stayed (grain in textures)."""
    raw = torch.tensor([[[[-0.5, 0.3], [1.2, 0.9]]]]).expand(1, 3, 2, 2)
    p = params.pixels(raw)
    assert torch.equal(p.carry(), raw) and p.saved() is None  # as given until evaluated
    image = p.image()
    assert torch.equal(image, raw.clamp(0, 1)) and torch.equal(p.carry(), raw.clamp(0, 1))  # projected in place
    image.sum().backward()
    assert torch.equal(p.params()[0].grad, torch.ones(1, 3, 2, 2))  # every pixel, those at 0 and 1 too, can move


def test_transforms_are_seeded_and_keep_a_usable_size():
    x = torch.rand(1, 3, 40, 56)
    steps = D.standard_transforms(jitter=8, scale=0.1, degrees=10)
    outs = []
    for seed in (1, 1, 2):
        g, y = torch.Generator().manual_seed(seed), x
        for t in steps:
            y = t(y, g)
        outs.append(y)
    assert outs[0].shape == (1, 3, 40 + 24 - 8 - 4, 56 + 24 - 8 - 4)
    assert torch.equal(outs[0], outs[1]) and not torch.equal(outs[0], outs[2])
    assert torch.allclose(D.ScaleRotate(0, 0)(x, torch.Generator()), x)


# ------------------------------------------------------------------------------------------------ dreams


def test_channel_dream_raises_the_channel_tenfold(vgg):
    job = D.prepare_dream(D.channel("relu4_1", 10), model=vgg, **FAST)
    records = list(job)
    assert records[0].size == (46, 46) and records[-1].size == (64, 64)
    assert set(records[0].losses) == {"dream.channel(conv4_1, 10)"}  # evaluated on the pre-ReLU tap
    image = job.result().image
    probe = D.channel("relu4_1", 10)
    before, after = D.measure(probe, noise_start(job), vgg), D.measure(probe, image, vgg)
    assert after["channel(relu4_1, 10)"] >= 10 * max(before["channel(relu4_1, 10)"], 1e-3)
    assert image.std() > 0.05  # not flat grey


def test_correlation_objective_rises(vgg):
    cluster = [3, 9, 17, 40, 41, 60, 77, 100]
    goal = D.cluster_correlation("conv3_1", cluster)
    job = D.prepare_dream(goal, model=vgg, **FAST)
    records = list(job)
    before = D.measure(goal, noise_start(job), vgg)[goal.description]
    after = D.measure(goal, job.result().image, vgg)[goal.description]
    assert after > before + 0.3 and after > 0.5
    assert -records[-1].loss > -records[0].loss


def test_the_command_ends_with_each_measure_on_the_start_and_on_the_dream(vgg, tmp_path, capsys):
    """The bar shows the loss, minus the objective: a correlation rising from 0.1 to 0.9 read as falling to -0.9."""
    out = tmp_path / "d.png"
    assert main(["dream", "--layer", "relu3_1", "--channels", "3,9,17,40", "--objective", "correlation", "--size", "48",
                 "--octaves", "1", "--iterations", "8", "--quiet", "-o", str(out)]) == 0
    said = re.search(r"mean pairwise Pearson correlation of the maps of 4 channels of conv3_1 \(relu3_1 before its "
                     r"ReLU\): (-?[0-9.e-]+) on the start, (-?[0-9.e-]+) on the dream \(on the picture as it is: the "
                     r"bar's objective was taken through random shifts and turns\)",
                     capsys.readouterr().err)  # why the two
    # differ; and the layer asked for named beside the one measured, which was not said where the numbers are
    assert said, "the measure is printed"
    goal = D.cluster_correlation("conv3_1", [3, 9, 17, 40])
    dreamt = D.measure(goal, load_tensor(out), vgg)[goal.description]
    assert float(said[2]) == pytest.approx(dreamt, abs=0.02)  # the written picture's, as 8-bit rounding leaves it
    assert float(said[2]) > float(said[1]) + 0.2


def test_a_python_dream_keeps_its_measures_and_warns_when_it_lowered_them(vgg, capsys):
    """From Python the start/dream numbers were not said at all, and a dream whose steps overshot (lr 1e6: a channel
    from 0.03 to -1.08, the picture saturated) was written without a word."""
    goal = D.channel("relu3_1", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = D.dream(goal, model=vgg, size=48, octaves=1, iterations="6", progress=True)
    [note] = result.notes
    start, dreamt = map(float, re.fullmatch(r"mean activation of channel 5 of conv3_1 \(relu3_1 before its ReLU\): "
                                            r"(-?[0-9.e-]+) on the start, (-?[0-9.e-]+) on the dream \(on the picture "
                                            r"as it is.*\)", note).groups())
    assert dreamt > start + 0.5 and note in capsys.readouterr().err  # progress=True says it, as the command does
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        D.dream(goal, model=vgg, size=48, octaves=1, iterations="6", lr=1e6)
    assert any(re.fullmatch(r"the dream did not raise what it was asked to \(mean activation of channel 5 .* on the "
                            r"dream\): its steps overshot, .*lower lr \(this run: 1e\+06\)", str(w.message)) for w in said)
    with pytest.warns(StylegramWarning, match=r"0 on the start, 0 on the dream\): it is 0 on the start, and a ReLU "
                      r"passes no gradient where it is 0; dream it before its ReLU \(leave out pre_relu=False\)"):
        D.dream(D.channel("relu5_4", 3), model=vgg, size=64, iterations="5", pre_relu=False)  # told to lower lr
    with pytest.warns(StylegramWarning, match=r"^\d+% of the dream's pixels have a colour at 0 or 255: its steps "
                      r"overshoot and saturate it into flat colours; lower lr \(this run: 5\)$"):
        D.dream(goal, model=vgg, size=48, octaves=1, iterations="6", lr=5)  # 99.7 %, unsaid: the objective rose


def test_every_way_to_run_a_dream_keeps_its_measures_or_says_why_not(vgg):
    """prepare_dream(...).run() left notes empty (dream() alone measured), and a dream larger than --tile dropped the
    line without a word."""
    goal = D.channel("relu3_1", 5)
    ran = D.prepare_dream(goal, model=vgg, size=48, octaves=1, iterations="3").run()
    assert len(ran.notes) == 1 and ran.notes[0].startswith("mean activation of channel 5 of conv3_1")
    job = D.prepare_dream(goal, model=vgg, size=48, octaves=1, iterations="3")
    watched = [p.iteration for p in job]  # iterated to watch it, then its result: the notes were empty
    assert watched == [1, 2, 3] and job.result().notes == ran.notes
    tiled = D.dream(goal, model=vgg, size=48, octaves=1, iterations="1", tile=32)
    assert tiled.notes == ["the objective is not measured on the dream: at 48x48 px it is larger than tile=32, and "
                           "measuring takes one pass over the whole picture, which tile is there to avoid"]


def test_a_transparent_photo_dreams_into_a_transparent_picture(vgg, tmp_path):
    """A red disc on a clear ground came out on white, dreamt into, as RGB (a transfer keeps the transparency)."""
    rgba = np.zeros((48, 48, 4), np.uint8)
    rgba[..., 0], rgba[12:36, 12:36, 3] = 220, 255
    Image.fromarray(rgba).save(tmp_path / "disc.png")
    result = D.dream(D.channel("relu2_1", 3), model=vgg, image=str(tmp_path / "disc.png"), octaves=1, iterations="2")
    assert result.alpha is not None and float(result.alpha.mean()) == pytest.approx(0.25)
    result.save(tmp_path / "dreamt.png")
    assert Image.open(tmp_path / "dreamt.png").mode == "RGBA"


def test_same_seed_same_bytes_and_resume_is_identical(vgg, tmp_path, checkpoint_at):
    goal = D.channel("relu3_1", 5)
    a = D.dream(goal, model=vgg, seed=3, **FAST).save(tmp_path / "a.png")
    b = D.dream(goal, model=vgg, seed=3, **FAST).save(tmp_path / "b.png")
    c = D.dream(goal, model=vgg, seed=4, **FAST).save(tmp_path / "c.png")
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()

    full = D.dream(goal, model=vgg, **FAST).image
    job = D.prepare_dream(goal, model=vgg, **FAST)
    checkpoint_at(job, 11)  # inside the second octave: Fourier spectrum, Adam moments, transform RNG
    resumed = D.resume_dream(tmp_path / "run.ckpt", goal, model=vgg)
    assert [r.iteration for r in resumed] == list(range(12, 17))
    assert torch.equal(resumed.result().image, full)


def test_a_dream_of_a_cluster_resumes_only_with_the_channels_it_began_with(vgg, tmp_path, checkpoint_at, monkeypatch):
    """A checkpoint keeps the cluster file's name; its channels, edited since (grams run again), went on unnoticed."""
    monkeypatch.chdir(tmp_path)
    record = {"layer": "relu3_1", "clusters": [{"id": 1, "channels": [5, 9]}]}
    Path("grams.json").write_text(json.dumps(record))
    checkpoint_at(D.prepare_dream(model=vgg, cluster="grams.json:1", **FAST), 3)
    assert [r.iteration for r in D.resume_dream(tmp_path / "run.ckpt", model=vgg)][0] == 4  # as it was: goes on
    record["clusters"][0]["channels"] = [5, 10]
    Path("grams.json").write_text(json.dumps(record))
    with pytest.raises(OptionError, match=r"the channels of cluster grams.json:1 are not those the checkpoint .*run.ckpt "
                                          r"was dreaming: grams.json has changed since"):  # 'the inputs differ (objective
        D.resume_dream(tmp_path / "run.ckpt", model=vgg)  # (its layers and channels))' named no file
    monkeypatch.chdir(tmp_path.parent)  # was: "cluster file grams.json does not exist; make one with ..."
    with pytest.raises(OptionError, match=re.escape(f"dreams a cluster of grams.json, which is not there in "
                                                    f"{tmp_path.parent} (the path is from the folder the run began in)")):
        D.resume_dream(tmp_path / "run.ckpt", model=vgg)


def test_a_start_image_in_memory_resumes_identically(vgg, chelsea, tmp_path, checkpoint_at):
    """A PIL or array start (image=) made a checkpoint that would not load: it held a pickled object."""
    goal = D.channel("relu3_1", 5)
    photo = (chelsea[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    for start in (photo, Image.fromarray(photo)):
        options = {**FAST, "image": start, "iterations": "4"}
        full = D.dream(goal, model=vgg, **options).image
        job = D.prepare_dream(goal, model=vgg, **options)
        checkpoint_at(job, 5)
        resumed = D.resume_dream(tmp_path / "run.ckpt", goal, model=vgg)
        list(resumed)
        assert torch.equal(resumed.result().image, full)


def test_an_image_given_as_the_goal_is_named(vgg, chelsea):
    with pytest.raises(OptionError, match=r"the goal \(the first argument\) is an Objective .* not a Tensor; give an image"):
        D.dream(chelsea, model=vgg, **FAST)  # was AttributeError: 'Tensor' object has no attribute 'parts'


def test_precision_float32_and_bfloat16_both_raise_the_channel_and_old_checkpoints_stay_float32(vgg, tmp_path, checkpoint_at):
    goal, probe = D.channel("relu4_1", 10), "channel(relu4_1, 10)"
    results = {p: D.dream(goal, model=vgg, precision=p, **FAST) for p in ("float32", "bfloat16")}
    start = noise_start(D.prepare_dream(goal, model=vgg, **FAST))
    before = D.measure(goal, start, vgg)[probe]
    for p, result in results.items():
        assert result.options.precision == p and result.image.dtype == torch.float32
        assert D.measure(goal, result.image, vgg)[probe] >= 10 * max(before, 1e-3), p
    assert not torch.equal(results["float32"].image, results["bfloat16"].image)  # the option reached the network
    with pytest.raises(OptionError, match="precision='half'"):
        D.prepare_dream(goal, model=vgg, precision="half", **FAST)

    job = D.prepare_dream(goal, model=vgg, precision="float32", **FAST)
    checkpoint_at(job, 3, "old.ckpt")
    payload = torch.load(tmp_path / "old.ckpt", weights_only=True)
    del payload["options"]["precision"]  # as written before the option existed
    torch.save(payload, tmp_path / "old.ckpt")
    resumed = D.resume_dream(tmp_path / "old.ckpt", goal, model=vgg)
    assert resumed.options.precision == "float32"
    for _ in resumed:
        pass
    assert torch.equal(resumed.result().image, results["float32"].image)


def test_no_hooks_are_left_behind(vgg):
    def hooks() -> int:
        return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in vgg.modules())

    before = hooks()
    D.dream(D.channels("relu3_1", [1, 2]), model=vgg, size=48, octaves=1, iterations="2")
    assert hooks() == before == 0
    assert not any(p.requires_grad for p in vgg.parameters())


def test_a_channel_dreamt_on_a_photo_at_the_defaults_leaves_the_photo_recognisable(vgg):
    """At Adam's step of 0.01 one relu4_1 channel's pattern covered chelsea (luminance r 0.77 with the photo at
    128 px; at 256 px no cat was left); 0.005 keeps its eyes and nose (r 0.89)."""
    photo = load_tensor(path("chelsea"), size=128)
    out = D.dream(D.channel("relu4_1", 176), model=vgg, start=photo).image
    a, b = (x.mean(1).flatten() - x.mean() for x in (out, photo))
    assert float(a @ b / (a.norm() * b.norm())) > 0.85
    assert (out - photo).abs().mean() > 0.03  # and dreamt on all the same


def test_photo_start_tiles_and_pixels(vgg, chelsea):
    photo = torch.nn.functional.interpolate(chelsea, size=(64, 96), mode="area")
    job = D.prepare_dream(None, model=vgg, start=photo, layer="relu3_1", octaves=2, iterations="3", tile=40)
    assert job.problem.kind == "pixels" and job.problem.sizes()[-1] == (64, 96)
    records = list(job)
    out = job.result().image
    assert out.shape == photo.shape and 0.01 < (out - photo).abs().mean() < 0.2  # dreamed on, still the photo
    assert set(records[0].losses) == {"dream.layer(relu3_1)"}
    assert [records[0].stage, records[-1].stage] == ["octave 1 of 2", "octave 2 of 2"]  # as --octaves names them

    # tiles: the gradient is gathered tile by tile, close to the untiled one
    image = photo.clone().requires_grad_(True)
    problem = D.prepare_dream(D.channel("relu3_1", 5), model=vgg, start=photo, transforms=False, tile=48).problem
    whole = D.prepare_dream(D.channel("relu3_1", 5), model=vgg, start=photo, transforms=False).problem
    grads, values = [], []
    for p in (problem, whole):
        terms = p.terms_at((64, 96))(image)
        (g,) = torch.autograd.grad(sum(terms.values()), image)
        grads.append(g.flatten())
        values.append(float(sum(terms.values()).detach()))
    assert torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0) > 0.8
    scale = float(vgg.extract(photo, ["conv3_1"])["conv3_1"][:, 5].abs().mean())
    assert abs(values[0] - values[1]) < 0.2 * scale  # tile borders change the mean activation a little


def test_bad_options_are_named(vgg):
    with pytest.raises(OptionError, match="not both"):
        D.prepare_dream(model=vgg, channels="3", cluster="x.json:1")
    with pytest.raises(OptionError, match="channel 600 does not exist"):
        D.prepare_dream(model=vgg, channels="600")
    with pytest.raises(OptionError, match="needs channels or cluster"):
        D.prepare_dream(model=vgg, objective="correlation")
    with pytest.raises(OptionError, match="size=20 is too small for conv5_1, which needs at least 32 px per side; "
                                          "use a larger size"):
        D.prepare_dream(D.channel("relu5_1", 1), model=vgg, size=20, octaves=1)
    with pytest.raises(OptionError, match=r"the image, 10x5 px, is too small for conv3_1, which needs at least 8 px "
                                          r"per side; use size=16 or more \(it enlarges the image\)"):  # was "size=10 is .."
        D.prepare_dream(D.channel("relu3_1", 1), model=vgg, image=torch.rand(1, 3, 5, 10), octaves=4)
    with pytest.raises(OptionError, match="unknown dream option"):
        D.prepare_dream(model=vgg, octave=2)
    with pytest.raises(OptionError, match="not one of"):
        D.prepare_dream(model=vgg, parameterization="wavelet")
    with pytest.raises(OptionError, match="not one of"):
        optimize.Schedule([1], "sgd")
    with pytest.raises(OptionError, match="max_memory must be a number greater than 0, got -1"):
        D.prepare_dream(model=vgg, max_memory=-1.0)
    with pytest.raises(OptionError, match="lr must be a positive step size"):
        D.prepare_dream(model=vgg, lr=0.0)  # 0 once meant the default step
    with pytest.raises(OptionError, match="give DreamOptions, not TextureOptions"):
        D.prepare_dream(D.channel("relu2_1", 3), TextureOptions(), model=vgg)
    with pytest.raises(OptionError, match=r"iterations=0,0 takes no step, so the dream would be its start; give at "
                                          r"least 1"):  # it wrote the start as the dream and exited 0
        D.prepare_dream(D.channel("relu2_1", 3), model=vgg, iterations="0,0", size=64)
    with pytest.raises(OptionError, match=r"iterations=0 takes no step"):  # the number 0 ran the default 24 (trial AC)
        D.prepare_dream(D.channel("relu2_1", 3), model=vgg, iterations=0, size=64)
    with pytest.raises(OptionError, match=r"decay shapes the spectrum search, and parameterization is pixels, so it "
                                          r"would be ignored"):  # the same bytes with it as without
        D.prepare_dream(D.channel("relu2_1", 3), model=vgg, parameterization="pixels", decay=2.0, size=64)
    with pytest.raises(OptionError, match=r"decay shapes the spectrum search, and a dream on an image searches the "
                                          r"pixels"):
        D.prepare_dream(D.channel("relu2_1", 3), model=vgg, image=torch.rand(1, 3, 64, 64), decay=2.0)
    with pytest.warns(StylegramWarning, match=r"octaves=10: only 4 fit, the smallest 9x9 px \(conv3_1 needs at least "
                                              r"8 px per side\)"):  # 10 asked, fewer run, said only by the sizes
        assert len(D.prepare_dream(D.channel("relu3_1", 3), model=vgg, size=24, octaves=10).problem.sizes()) == 4


def test_a_correlation_on_a_one_colour_start_is_refused_and_a_cluster_too_small_for_it_is_named(vgg, tmp_path):
    """A flat start has no correlation to raise: it became NaN at once, with advice to lower the learning rate."""
    goal = D.cluster_correlation("relu2_1", [3, 7, 9])
    with pytest.raises(OptionError, match=r"the start image is one colour \(within one level of 255 everywhere\): its "
                                          r"feature maps do not vary"):
        D.prepare_dream(goal, model=vgg, image=torch.full((3, 48, 48), 0.5), size=48)
    D.prepare_dream(D.channels("relu2_1", [3, 7]), model=vgg, image=torch.full((3, 48, 48), 0.5), size=48)  # activation: fine
    clusters = tmp_path / "grams.json"
    clusters.write_text(json.dumps({"layer": "relu2_1", "clusters": [{"id": 0, "channels": [4]}, {"id": 1, "channels": []}]}))
    with pytest.raises(OptionError, match=r"a correlation needs at least two channels, and cluster 0 of grams.json has "
                                          r"one \(4\); pick a larger cluster, or maximize its activation \(objective "
                                          r"activation\)"):  # was "give more, e.g. channels=3,7"
        D.prepare_dream(model=vgg, cluster=f"{clusters}:0", objective="correlation")
    with pytest.raises(OptionError, match="cluster 1 of grams.json has no channels; pick another cluster"):  # "no channels given"
        D.prepare_dream(model=vgg, cluster=f"{clusters}:1")


def test_channels_may_be_a_number_a_list_or_text(vgg):
    """A list was read as the text '[3, 7]' and refused."""
    goals = [D.prepare_dream(model=vgg, layer="relu2_1", channels=c, **FAST).problem.objective.description
             for c in ("3,7", [3, 7], (3, 7))]
    assert goals == [goals[0]] * 3 and "3, 7" in goals[0]
    assert D.prepare_dream(model=vgg, layer="relu2_1", channels=3, **FAST).problem.objective.description == \
        D.prepare_dream(model=vgg, layer="relu2_1", channels="3", **FAST).problem.objective.description


@pytest.mark.parametrize("option, value, words", [
    ("size", 0, "size must be between 1 and 16384 px, got 0"),  # 0 silently meant 224 px
    ("octave_scale", float("nan"), "octave_scale must be a number greater than 1"),  # was a traceback
    ("octave_scale", 1.0, "octave_scale must be a number greater than 1"),
    ("jitter", -5, "jitter must be a number at least 0"),
    ("scale", -1.0, "scale must be a number at least 0"),
    ("scale", 1.5, "scale is a zoom range below 1"),
    ("rotate", float("nan"), "rotate must be a number at least 0"),  # ended in a NaN image
    ("transforms", False, "jitter shapes the random transforms, and transforms=False turns them off"),  # with jitter=3
])
def test_numbers_out_of_range_are_named_before_any_work(option, value, words, monkeypatch):
    monkeypatch.setattr(D, "_backbone", lambda *a: pytest.fail("the backbone was loaded before the check"))
    with pytest.raises(OptionError, match=re.escape(words)):
        D.prepare_dream(**{option: value, **({"jitter": 3} if option == "transforms" else {})})


# --------------------------------------------------------------------------------------- CLI and report


def test_cli_dreams_a_cluster(tmp_path, capsys):
    clusters = tmp_path / "grams.json"
    clusters.write_text(json.dumps({"layer": "relu2_1", "clusters": [{"id": 0, "channels": [4, 8, 15]}]}))
    out = tmp_path / "dream.png"
    args = ["dream", "--cluster", f"{clusters}:0", "--objective", "correlation", "--size", "48", "--octaves", "1",
            "--iterations", "3", "--quiet", "-o", str(out)]
    assert main(args) == 0
    assert load_tensor(out).shape == (1, 3, 48, 48)
    err = capsys.readouterr().err
    assert "cluster_correlation(relu2_1, cluster 0 of grams.json)" in err and "relu2_1 -> conv2_1" in err
    assert main(["dream", "--cluster", f"{clusters}:3", "-o", str(out)]) == 2
    assert "has 1 cluster (0)" in capsys.readouterr().err
    before = clusters.read_bytes()
    for flag in ("--checkpoint", "--log"):  # the cluster file is an input too: it became a zip, then a CSV
        assert main(["dream", "--cluster", f"{clusters}:0", flag, str(clusters), "-o", str(out)]) == 2
        assert f"{flag} {clusters} is also an input" in capsys.readouterr().err
    assert clusters.read_bytes() == before
    # channel numbers are another network's: named with the fix (was "layer 'mixed3a' does not exist in vgg19")
    for made_on, words in [({"backbone": "inceptionv1", "weights": "default"}, "add --backbone inceptionv1 --weights default"),
                           ({"backbone": "vgg19", "weights": "random:3"}, "add --backbone vgg19 --weights random:3")]:
        other = tmp_path / "other.json"
        other.write_text(json.dumps({"layer": "mixed3a", "clusters": [{"id": 0, "channels": [1, 2]}], "settings": made_on}))
        assert main(["dream", "--cluster", f"{other}:0", "-o", str(out)]) == 2
        assert f"clusters the channels of {made_on['backbone']} with {made_on['weights']} weights" in (err := capsys.readouterr().err)
        assert words in err
    other.write_text(json.dumps({"layer": "mixed3a", "clusters": [{"id": 0, "channels": [1, 2]}],
                                 "settings": {"backbone": "inceptionv1"}}))  # no weights recorded: once "--weights ?"
    assert main(["dream", "--cluster", f"{other}:0", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "inceptionv1 (weights not recorded)" in err and "add --backbone inceptionv1 and the weights" in err and "?" not in err


def test_a_cluster_files_network_is_checked_before_weights_are_downloaded(tmp_path, capsys, monkeypatch):
    """With another --backbone than the file's, dream and features tried to download that network's weights first
    and failed offline with a network error."""
    from stylegram import weights

    monkeypatch.setattr(weights, "download", lambda *a, **k: pytest.fail("weights were downloaded"))
    clusters = tmp_path / "grams.json"
    clusters.write_text(json.dumps({"layer": "relu2_1", "clusters": [{"id": 0, "channels": [4, 8]}],
                                    "settings": {"backbone": "vgg19", "weights": "default"}}))
    for args in (["dream", "--cluster", f"{clusters}:0"], ["features", "sample:chelsea", "--clusters", str(clusters)]):
        assert main([*args, "--backbone", "vgg16", "-o", str(tmp_path / "out.png")]) == 2
        err = capsys.readouterr().err
        assert "clusters the channels of vgg19 with default weights, and this run uses vgg16" in err


def test_report_gains_cluster_dreams_and_a_dream_column(tmp_path):
    crops = inputs.texture_classes(("brick", "grass"), 3, 48, seed=0)
    folders = inputs.write_classes(crops, tmp_path / "classes")
    out = tmp_path / "report.html"
    args = ["report", *map(str, folders), "--layers", "relu2_1", "--clusters", "2", "--top", "2",
            "--dreams", "--dream-size", "40", "-o", str(out)]
    assert main(args) == 0
    page = out.read_text()
    assert "What each channel cluster of relu2_1 prefers" in page and "each channel's deep dream" in page
    pictures = re.findall(r'src="data:image/webp;base64,([^"]+)"', page)
    assert len(pictures) == 7 and all(base64.b64decode(p)[8:12] == b"WEBP" for p in pictures)
    assert "correlates on" not in page


def test_report_dreams_each_clusters_correlation_too(tmp_path, capsys):
    """--dream-objective both: a second section dreams what each cluster's Gram block records, its correlation."""
    crops = inputs.texture_classes(("brick", "grass"), 3, 48, seed=0)
    folders = inputs.write_classes(crops, tmp_path / "classes")
    out = tmp_path / "report.html"
    base = ["report", *map(str, folders), "--layers", "relu2_1", "--clusters", "2", "--top", "1", "-o", str(out)]
    assert main([*base, "--dream-objective", "both"]) == 2
    assert "--dreams is not given; add --dreams or drop --dream-objective" in capsys.readouterr().err
    assert main([*base, "--dreams", "--dream-size", "40", "--dream-objective", "both"]) == 0
    page = out.read_text()
    assert "What each channel cluster of relu2_1 prefers" in page
    assert "What each channel cluster of relu2_1 correlates on" in page and "patches on a plain ground" in page
    assert len(re.findall(r'src="data:image/webp;base64,', page)) == 8
    assert "<td>dreams</td><td>40 px, objective: both</td>" in page and "<td>clusters</td><td>2</td>" in page


def test_memory_refusal_names_the_tile_when_the_dream_is_tiled(vgg):
    """A tiled dream's pass is one tile's, so a smaller --size would not help: the refusal names --tile."""
    with pytest.raises(OptionError) as tiled:
        D.prepare_dream(D.channel("relu3_1", 1), model=vgg, size=1024, tile=512, octaves=1, max_memory=0.8)
    assert "tile needs about" in tiled.value.flagged and "the largest tile that fits is about --tile" in tiled.value.flagged
    assert "--size" not in tiled.value.flagged
    assert "tile=" in str(tiled.value)  # Python callers read the keyword
    with pytest.raises(OptionError) as whole:
        D.prepare_dream(D.channel("relu3_1", 1), model=vgg, size=400, tile=512, octaves=1, max_memory=0.5)
    assert "a 400x400 run needs about" in whole.value.flagged
    assert re.search(r"about --size (\d+), or keep the size with --tile \1$", whole.value.flagged)
    # a dream in tiles still holds its whole picture: at --size 16384 it was checked a tile at a time, and killed
    with pytest.raises(OptionError) as huge:
        D.prepare_dream(D.channel("relu3_1", 1), model=vgg, size=16384, tile=512, octaves=1, max_memory=20)
    said = re.fullmatch(r"a 16384x16384 dream needs about ([\d.]+) GiB but --max-memory allows 20.0 GiB; the largest "
                        r"size that fits is about --size (\d+) \(a dream in tiles still holds its whole picture\)",
                        huge.value.flagged)
    assert said and 30 < float(said[1]) < 45 and 11000 < int(said[2]) < 13000, huge.value.flagged  # 144 bytes a pixel


def test_a_grey_dream_is_grey_and_still_raises_its_channel(vgg):
    """report --grey --dreams drew colour dreams of clusters found on grey images: colours the analysis never saw."""
    goal = D.channel("relu2_1", 5)
    grey = D.dream(goal, model=vgg, grey=True, **FAST)
    image = grey.image
    assert torch.equal(image[:, 0], image[:, 1]) and torch.equal(image[:, 1], image[:, 2])  # R = G = B
    assert float(image.std()) > 0.02  # a pattern, not flat grey
    flat = torch.full_like(image, 0.5)
    name = next(iter(goal.parts)).name
    assert D.measure(goal, image, vgg)[name] > D.measure(goal, flat, vgg)[name] + 0.1
    colour = D.dream(goal, model=vgg, **FAST).image
    assert float((colour[:, 0] - colour[:, 2]).abs().mean()) > 0.01  # without --grey: colour, as before
