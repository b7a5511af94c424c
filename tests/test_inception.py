"""InceptionV1 with the inception5h names: taps, early stopping, the port's weight layout, downloads."""

from __future__ import annotations

import urllib.error

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from stylegram import weights as W
from stylegram.backbones import BACKBONES, load_backbone, state_dict_for
from stylegram.backbones.inception import MIXED, PORT_URL
from stylegram.errors import BackboneError, LayerError, WeightsError

BLOCK_CHANNELS = {  # lucid's modelzoo InceptionV1 layer sizes
    "conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480, "mixed4a": 508,
    "mixed4b": 512, "mixed4c": 512, "mixed4d": 528, "mixed4e": 832, "mixed5a": 832, "mixed5b": 1024,
}  # fmt: skip
BRANCH_TAPS = (
    "1x1_pre_relu", "1x1", "3x3_bottleneck_pre_relu", "3x3_bottleneck", "3x3_pre_relu", "3x3",
    "5x5_bottleneck_pre_relu", "5x5_bottleneck", "5x5_pre_relu", "5x5", "pool", "pool_reduce_pre_relu", "pool_reduce",
)  # fmt: skip
MAIN_TAPS = (
    "conv2d0_pre_relu", "conv2d0", "maxpool0", "localresponsenorm0", "conv2d1_pre_relu", "conv2d1",
    "conv2d2_pre_relu", "conv2d2", "localresponsenorm1", "maxpool1", "mixed3a", "mixed3b", "maxpool4", "mixed4a",
    "mixed4b", "mixed4c", "mixed4d", "mixed4e", "maxpool10", "mixed5a", "mixed5b",
)  # fmt: skip


@pytest.fixture(scope="module")
def net():
    return load_backbone("inceptionv1", "random:7")


def _port_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our keys renamed to the port's: 'stem.conv2d0.weight' -> 'conv2d0_pre_relu_conv.weight',
    'blocks.mixed4c.3x3.weight' -> 'mixed4c_3x3_pre_relu_conv.weight'; plus its classifier, which is dropped."""
    out = {}
    for key, value in state.items():
        if key.startswith("input_norm."):
            continue
        parts = key.split(".")
        module = parts[1] if parts[0] == "stem" else f"{parts[1]}_{parts[2]}"
        out[f"{module}_pre_relu_conv.{parts[-1]}"] = value
    out["softmax2_pre_activation_matmul.weight"] = torch.zeros(1008, 1024)
    out["softmax2_pre_activation_matmul.bias"] = torch.zeros(1008)
    return out


def test_tap_names_follow_the_inception5h_graph(net):
    names = net.layer_names()
    assert [n for n in names if not any(n.startswith(f"{b}_") for b, *_ in MIXED)] == list(MAIN_TAPS)
    for block, *_ in MIXED:
        inner = [n for n in names if n.startswith(f"{block}_")]
        assert inner == [f"{block}_{t}" for t in BRANCH_TAPS]
        assert names.index(inner[-1]) + 1 == names.index(block)
    for name, channels in BLOCK_CHANNELS.items():
        assert net.info(name).channels == channels
    assert net.info("mixed4c_3x3_pre_relu") == type(net.info("conv2d0"))("mixed4c_3x3_pre_relu", 256, 16)


def test_every_tap_has_its_declared_channels_and_stride(net):
    with torch.no_grad():
        taps = list(net.taps(net.normalize(torch.rand(1, 3, 224, 224))))
    assert [name for name, _ in taps] == net.layer_names()
    for (name, value), info in zip(taps, net.infos):
        assert value.shape == (1, info.channels, 224 // info.stride, 224 // info.stride), name


def test_input_is_rgb_times_255_minus_117(net):
    x = torch.rand(1, 3, 4, 4)
    assert torch.allclose(net.normalize(x), x * 255 - 117, atol=1e-4)


def _called_convs(net, layers: list[str]) -> set[str]:
    called: set[str] = set()
    hooks = [
        module.register_forward_hook(lambda *_, name=name: called.add(name))
        for name, module in net.named_modules()
        if isinstance(module, nn.Conv2d)
    ]
    try:
        with torch.no_grad():
            net.extract(torch.rand(1, 3, 64, 64), layers)
    finally:
        for hook in hooks:
            hook.remove()
    return called


def test_extraction_stops_at_the_deepest_layer(net):
    assert _called_convs(net, ["conv2d2"]) == {"stem.conv2d0", "stem.conv2d1", "stem.conv2d2"}
    called = _called_convs(net, ["conv2d0", "mixed4c_3x3_pre_relu"])
    assert {"blocks.mixed4c.1x1", "blocks.mixed4c.3x3_bottleneck", "blocks.mixed4c.3x3"} <= called
    assert not any(n.startswith(("blocks.mixed4c.5x5", "blocks.mixed4c.pool", "blocks.mixed4d")) for n in called)
    assert all(not h for h in (net._forward_hooks, *(m._forward_hooks for m in net.modules())))


def test_min_input_size_is_the_smallest_that_works():
    net = load_backbone("inceptionv1", "random")
    expected = {
        "zeros": {"conv2d0": 2, "mixed4c_3x3_pre_relu": 16, "mixed5b": 32},
        "reflect": {"conv2d0": 4, "mixed4c_3x3_pre_relu": 48, "mixed5b": 96},
    }
    for padding, sizes in expected.items():
        net.set_padding(padding)
        for layer, side in sizes.items():
            assert net.min_input_size([layer]) == side
            with torch.no_grad():
                assert layer in net.extract(torch.rand(1, 3, side, side), [layer])
                with pytest.raises(Exception):  # the network itself fails one pixel below
                    list(net.taps(net.normalize(torch.rand(1, 3, side - 1, side - 1))))
    with pytest.raises(BackboneError, match="needs at least 96 px"):
        net.extract(torch.rand(1, 3, 95, 95), ["mixed5b"])


def test_set_padding_reaches_the_asymmetric_stem_conv():
    net = load_backbone("inceptionv1", "random:1", padding="reflect")
    padded = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
    assert len(padded) == 2 + 2 * len(MIXED) and all(m.padding_mode == "reflect" for m in padded)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        reflect = net.extract(x, ["conv2d0_pre_relu"])["conv2d0_pre_relu"]
        net.set_padding("zeros")
        zeros = net.extract(x, ["conv2d0_pre_relu"])["conv2d0_pre_relu"]
    assert torch.allclose(reflect[..., 2:-2, 2:-2], zeros[..., 2:-2, 2:-2], atol=1e-4)
    assert not torch.allclose(reflect[..., 0, :], zeros[..., 0, :])


def _port_forward(state: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """mixed5b computed straight from the port's keys, with the port's fixed paddings and concat order."""

    def conv(name, y, pad=0):
        weight, bias = state[f"{name}_pre_relu_conv.weight"], state[f"{name}_pre_relu_conv.bias"]
        return F.relu(F.conv2d(y, weight, bias, padding=pad))

    def pool2(y):
        return F.max_pool2d(F.pad(y, (0, 1, 0, 1), value=float("-inf")), 3, 2)

    def lrn(y):
        return F.local_response_norm(y, 9, 1e-4, 0.5, 1.0)

    y = F.conv2d(F.pad(x * 255 - 117, (2, 3, 2, 3)), state["conv2d0_pre_relu_conv.weight"],
                 state["conv2d0_pre_relu_conv.bias"], stride=2).relu()  # fmt: skip
    y = conv("conv2d2", conv("conv2d1", lrn(pool2(y))), 1)
    y = pool2(lrn(y))
    for block, *_ in MIXED:
        y = pool2(y) if block in ("mixed4a", "mixed5a") else y
        parts = [
            conv(f"{block}_1x1", y),
            conv(f"{block}_3x3", conv(f"{block}_3x3_bottleneck", y), 1),
            conv(f"{block}_5x5", conv(f"{block}_5x5_bottleneck", y), 2),
            conv(f"{block}_pool_reduce", F.max_pool2d(y, 3, 1, 1)),
        ]
        y = torch.cat(parts, 1)
    return y


def test_port_layout_file_loads_and_computes_the_same(net, tmp_path):
    port = _port_state(net.state_dict())
    path = tmp_path / "inception5h.pth"
    torch.save(port, path)
    loaded = load_backbone("inceptionv1", str(path))
    x = torch.rand(2, 3, 40, 56)
    layers = ["conv2d0", "localresponsenorm1", "mixed4c_3x3_pre_relu", "mixed5b"]
    with torch.no_grad():
        ours, theirs = net.extract(x, layers), loaded.extract(x, layers)
        reference = _port_forward(port, x)
    assert all(torch.equal(ours[k], theirs[k]) for k in layers)
    assert torch.allclose(ours["mixed5b"], reference, rtol=1e-4, atol=1e-4 * reference.abs().max().item())


def test_weight_mismatches_are_clear_errors(net, tmp_path):
    port = _port_state(net.state_dict())
    del port["mixed4c_3x3_pre_relu_conv.bias"]
    torch.save(port, tmp_path / "missing.pth")
    with pytest.raises(WeightsError, match="mixed4c_3x3_pre_relu_conv.bias"):
        load_backbone("inceptionv1", str(tmp_path / "missing.pth"))
    ours = dict(net.state_dict(), **{"blocks.mixed4a.3x3.weight": torch.zeros(208, 96, 3, 3)})
    torch.save(ours, tmp_path / "shape.pth")
    with pytest.raises(WeightsError, match=r"blocks.mixed4a.3x3.weight .* shape \(208, 96, 3, 3\), expected \(204"):
        load_backbone("inceptionv1", str(tmp_path / "shape.pth"))
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "vgg.pth")
    with pytest.raises(WeightsError, match="neither stylegram's InceptionV1 layout"):
        load_backbone("inceptionv1", str(tmp_path / "vgg.pth"))


def test_default_weights_download_into_the_torch_hub_cache(net, monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    source = tmp_path / "served.pth"
    torch.save(_port_state(net.state_dict()), source)
    assert BACKBONES["inceptionv1"].sources["default"].url == PORT_URL
    monkeypatch.setattr(W, "_urlopen", lambda url: open(source, "rb"))
    state_dict_for.cache_clear()
    try:
        model = load_backbone("inceptionv1")
    finally:
        state_dict_for.cache_clear()
    assert (tmp_path / "home" / "hub" / "checkpoints" / "inception5h.pth").read_bytes() == source.read_bytes()
    assert torch.equal(model.state_dict()["blocks.mixed5b.5x5.weight"], net.state_dict()["blocks.mixed5b.5x5.weight"])


def test_failed_download_names_url_and_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def refuse(url):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(W, "_urlopen", refuse)
    state_dict_for.cache_clear()
    try:
        with pytest.raises(WeightsError) as info:
            load_backbone("inceptionv1")
    finally:
        state_dict_for.cache_clear()
    message = str(info.value)
    assert PORT_URL in message and str(tmp_path / "hub" / "checkpoints" / "inception5h.pth") in message


def test_unknown_layer_suggests_the_pre_relu_name(net):
    with pytest.raises(LayerError, match="did you mean mixed4c_3x3_pre_relu"):
        net.extract(torch.rand(1, 3, 32, 32), ["mixed4c_3x3_prerelu"])


def test_cli_lists_the_layers(capsys):
    from stylegram.cli import main

    assert main(["layers", "--backbone", "inceptionv1", "--weights", "random"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(BRANCH_TAPS) * len(MIXED) + len(MAIN_TAPS)
    assert lines[1].split() == ["conv2d0_pre_relu", "64", "2"]
    assert "mixed4c_3x3_pre_relu 256 16" in [" ".join(line.split()) for line in lines]


@pytest.mark.parametrize("padding", ["replicate", "reflect", "circular"])
def test_every_padding_mode_works_and_keeps_a_flat_image_flat(padding):
    net = load_backbone("inceptionv1", "random:1", padding=padding)  # replicate, transfer's default, was a KeyError
    with torch.no_grad():
        flat = net.extract(torch.full((1, 3, 32, 32), 0.5), ["conv2d0_pre_relu"])["conv2d0_pre_relu"]
    assert torch.allclose(flat, flat[..., 4:5, 4:5].expand_as(flat), atol=1e-4)  # no border where nothing changes


def test_layers_needs_no_weights_and_the_vgg_defaults_name_their_options(monkeypatch, capsys):
    from stylegram import weights
    from stylegram.cli import main

    monkeypatch.setattr(weights, "download", lambda *a, **k: pytest.fail("layers downloaded weights"))
    assert main(["layers", "--backbone", "inceptionv1"]) == 0 and "mixed5b" in capsys.readouterr().out
    network = ["--backbone", "inceptionv1", "--weights", "random"]
    for command, options in [(["transfer", "sample:chelsea", "sample:swirls"], "--content-layers and --style-layers"),
                             (["transfer", "sample:chelsea", "sample:swirls", "--content-layers", "mixed4b"],
                              "--style-layers"),
                             (["texture", "sample:brick"], "--layers"), (["dream"], "--layer"),
                             (["matches", "sample:chelsea", "sample:swirls"], "--layer"),  # these two were
                             (["explain", "sample:chelsea", "sample:swirls", "sample:chelsea"],  # "layer 'relu1_1' does
                              "--style-layers, --content-layer and --match-layer"),  # not exist in inceptionv1"
                             (["explain", "sample:chelsea", "sample:swirls", "sample:chelsea", "--layers", "mixed3a",
                               "--content-layer", "mixed4a"], "--match-layer"),
                             (["compare", "sample:chelsea", "sample:swirls", "--results", "sample:chelsea",
                               "sample:chelsea", "--match-layer", "mixed3a"], "--style-layers and --content-layer")]:
        output = "out.html" if command[0] in ("explain", "compare") else "out.png"
        assert main([*command, "-o", output, *network]) == 2
        err = capsys.readouterr().err
        assert f"{options} default" in err and f"name layers of inceptionv1 with {options}" in err
