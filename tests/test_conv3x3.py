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


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 4, 2, 2), (1, 2, 1, 6)])
def test_replicate_padding_folds_its_border_back_into_the_gradient_as_torchs_does(layout, shape):
    """replicate_pad is F.pad's "replicate" mode, its gradient torch's to float32 rounding (each border pixel gets
    the gradients of the copies made of it), in the input's layout; a map of one row takes torch's own."""
    import torch.nn.functional as F

    from stylegram.backbones.conv3x3 import replicate_pad

    x = torch.rand(shape).contiguous(memory_format=layout)
    upstream = torch.rand(shape[0], shape[1], shape[2] + 2, shape[3] + 2)
    grads = []
    for pad in (replicate_pad, lambda t: F.pad(t, (1, 1, 1, 1), mode="replicate")):
        leaf = x.clone().requires_grad_(True)
        out = pad(leaf)
        (out * upstream).sum().backward()
        grads.append((out, leaf.grad))
    (ours, our_grad), (torchs, torchs_grad) = grads
    assert torch.equal(ours, torchs) and torch.allclose(our_grad, torchs_grad, atol=1e-6)
    assert our_grad.is_contiguous(memory_format=layout)
    corner = upstream[0, 0, :2, :2].sum()  # the top-left pixel: itself, two edge copies and the corner copy
    assert float(our_grad[0, 0, 0, 0]) == pytest.approx(float(corner), abs=1e-6) or shape[2] < 2
