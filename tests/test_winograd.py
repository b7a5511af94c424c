"""Winograd convolutions through NNPACK: same numbers as torch's, taken only where they pay."""

import contextlib

import pytest
import torch

from stylegram import precision, winograd
from stylegram.backbones.conv3x3 import Conv3x3

pytestmark = pytest.mark.skipif(not winograd.available(), reason="this torch build has no NNPACK")


@pytest.fixture
def calls(monkeypatch):
    """Counts the convolutions that went through NNPACK."""
    seen = []
    original = winograd._nnpack

    def spy(x, weight, bias, padding):
        seen.append(tuple(x.shape))
        return original(x, weight, bias, padding)

    monkeypatch.setattr(winograd, "_nnpack", spy)
    return seen


def frozen_conv(cin: int, cout: int, padding_mode: str) -> Conv3x3:
    torch.manual_seed(0)
    conv = Conv3x3(cin, cout, padding_mode=padding_mode)
    conv.requires_grad_(False)
    return conv


def output_and_input_gradient(conv: Conv3x3, x: torch.Tensor, fast: bool) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_(True)
    with winograd.enabled() if fast else contextlib.nullcontext():
        y = conv(x)
    upstream = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
    (y * upstream).sum().backward()
    return y.detach(), x.grad


@pytest.mark.parametrize("padding_mode", ["replicate", "zeros", "reflect"])
def test_output_and_input_gradient_match_torch(padding_mode, calls):
    conv = frozen_conv(64, 64, padding_mode)
    x = torch.rand(1, 64, 40, 48)
    y_ref, g_ref = output_and_input_gradient(conv, x, fast=False)
    assert calls == []
    y, g = output_and_input_gradient(conv, x, fast=True)
    assert len(calls) == 2  # forward and input gradient both went through NNPACK
    assert y.shape == y_ref.shape and g.shape == g_ref.shape
    assert (y - y_ref).norm() / y_ref.norm() < 1e-5
    assert (g - g_ref).norm() / g_ref.norm() < 1e-5


def test_small_maps_and_few_channels_keep_torch_convolution(calls):
    small = frozen_conv(64, 64, "replicate")
    output_and_input_gradient(small, torch.rand(1, 64, 24, 64), fast=True)
    assert calls == []  # 24 px on the short side: oneDNN is faster there
    first = frozen_conv(3, 64, "replicate")
    x = torch.rand(1, 3, 40, 40)
    y_ref, g_ref = output_and_input_gradient(first, x, fast=False)
    y, g = output_and_input_gradient(first, x, fast=True)
    assert len(calls) == 1  # the forward only: the input gradient has 3 channels
    assert (g - g_ref).norm() / g_ref.norm() < 1e-5


def test_trainable_weights_keep_torch_convolution(calls):
    conv = Conv3x3(64, 64)
    with winograd.enabled():
        conv(torch.rand(1, 64, 40, 40)).sum().backward()
    assert calls == [] and conv.weight.grad is not None


def test_flipped_weights_follow_a_weight_change():
    conv = frozen_conv(64, 64, "zeros")
    first = conv.flipped_weight()
    assert torch.equal(first[5, 7], conv.weight[7, 5].flip(-1, -2))
    conv.weight.mul_(2)
    assert torch.equal(conv.flipped_weight(), 2 * first)


def test_network_pass_is_deterministic_and_close_to_float32(vgg, calls):
    x = torch.rand(1, 3, 64, 80)
    layers = ["relu1_1", "relu2_1", "relu3_1"]
    with precision.network_pass("float32"):
        exact = vgg.extract(x, layers)
    runs = []
    for _ in range(2):
        with precision.network_pass("winograd"):
            runs.append(vgg.extract(x, layers))
    assert len(calls) >= 2
    for layer in layers:
        assert torch.equal(runs[0][layer], runs[1][layer])
        assert (runs[0][layer] - exact[layer]).norm() / exact[layer].norm() < 1e-5


def test_winograd_is_worthwhile_only_on_avx2():
    assert winograd.worthwhile() == (torch.backends.cpu.get_cpu_capability() == "AVX2")
