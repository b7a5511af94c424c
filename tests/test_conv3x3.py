"""VGG's 3x3 convolution in bfloat16: autocast's numbers, without autocast's copies."""

import pytest
import torch
from torch import nn

from stylegram.backbones.conv3x3 import Conv3x3


def pair(padding_mode: str) -> tuple[Conv3x3, nn.Conv2d]:
    """A frozen Conv3x3 and a plain nn.Conv2d with the same weights."""
    torch.manual_seed(0)
    fast = Conv3x3(16, 32, padding_mode=padding_mode).requires_grad_(False)
    plain = nn.Conv2d(16, 32, 3, padding=1, padding_mode=padding_mode).requires_grad_(False)
    plain.load_state_dict(fast.state_dict())
    return fast, plain


def run(conv: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x)
    upstream = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
    (y.float() * upstream).sum().backward()
    return y, x.grad


@pytest.mark.parametrize("padding_mode", ["replicate", "zeros", "reflect"])
def test_bfloat16_path_gives_autocasts_output_and_a_close_gradient(padding_mode):
    fast, plain = pair(padding_mode)
    x = torch.rand(1, 16, 20, 24)
    y, g = run(fast, x)
    y_ref, g_ref = run(plain, x)
    assert y.dtype == torch.bfloat16 and y.shape == y_ref.shape == (1, 32, 20, 24)
    assert y.is_contiguous(memory_format=torch.channels_last) and not y.is_contiguous()
    assert torch.equal(y, y_ref)  # same products, same rounding
    assert g.dtype == torch.float32 and g.shape == x.shape
    assert (g - g_ref).norm() / g_ref.norm() < 1e-2  # the padding's border sums are rounded in bfloat16


def test_bfloat16_weights_are_converted_once_and_follow_a_change():
    fast, _ = pair("zeros")
    first = fast.bfloat16_weight()
    assert first.dtype == torch.bfloat16 and fast.bfloat16_weight() is first
    fast.weight.mul_(2)
    assert torch.equal(fast.bfloat16_weight(), 2 * first)


def test_trainable_weights_keep_autocast():
    fast = Conv3x3(4, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = fast(torch.rand(1, 4, 10, 10))
    y.float().sum().backward()
    assert fast.weight.grad is not None and y.is_contiguous()


def test_float32_outside_autocast_is_torchs_own():
    fast, plain = pair("replicate")
    x = torch.rand(1, 16, 12, 12)
    assert torch.equal(fast(x), plain(x))
