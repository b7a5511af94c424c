"""Winograd 3x3 convolutions in float32 through NNPACK, for CPUs whose fastest arithmetic is AVX2.

Without AVX512-BF16 the network pass runs in float32, where oneDNN's direct convolution is already close to the
CPU's peak (about 160 GFLOP/s on two Zen 3 cores). Winograd's algorithm computes a 3x3 convolution with several
times fewer multiplications; torch ships NNPACK's implementation for the forward pass. The input gradient of a
3x3 convolution is itself a 3x3 convolution (of the output gradient with the kernels flipped and transposed),
so the backward pass goes through NNPACK too. The weights stay frozen: this path gives no weight gradients.

NNPACK wins on feature maps of at least 32 px on their short side and loses below (its 8x8 tiles then waste
work), and it loses where the result has few channels (the input gradient of conv1_1 has 3); measured per VGG19
layer in BENCHMARKS.md. Those convolutions, and everything else, keep torch's own. The results differ from
torch's by a few parts per million and are deterministic.

NNPACK runs on threads of its own, so it needs torch's OpenMP threads to sleep rather than spin while they wait
(OMP_WAIT_POLICY=PASSIVE, which importing stylegram sets); with spinning threads it lost at 256 px.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

MIN_SIDE = 32  # px: below this on the output's short side NNPACK was slower than oneDNN
MIN_CHANNELS = 64  # channels of the result: below this NNPACK was slower than oneDNN

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("stylegram_winograd", default=False)


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when this torch build has NNPACK and it starts on this CPU (the call also initializes it)."""
    try:
        return bool(torch._nnpack_available())
    except (AttributeError, RuntimeError):
        return False


def worthwhile() -> bool:
    """True where Winograd is the fastest float32 pass measured: NNPACK present and the CPU's best is AVX2."""
    return available() and torch.backends.cpu.get_cpu_capability() == "AVX2"


@contextlib.contextmanager
def enabled() -> Iterator[None]:
    """A context in which Conv3x3 layers use NNPACK's Winograd convolution where it pays."""
    token = _enabled.set(True)
    try:
        yield
    finally:
        _enabled.reset(token)


def _nnpack(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, padding: int) -> torch.Tensor:
    return torch._nnpack_spatial_convolution(x.contiguous(), weight, bias, [padding, padding], [1, 1])


def _pays(height: int, width: int, channels: int) -> bool:
    return min(height, width) >= MIN_SIDE and channels >= MIN_CHANNELS


class _WinogradConv(torch.autograd.Function):
    """y = conv(x, w) + b with NNPACK; dx = conv(dy, flipped transposed w) with NNPACK where it pays."""

    @staticmethod
    def forward(ctx, x, conv, padding):  # type: ignore[override]
        ctx.conv, ctx.padding = conv, padding
        return _nnpack(x, conv.weight, conv.bias, padding)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        conv, back_padding = ctx.conv, 2 - ctx.padding  # 'full' where the forward was 'valid', and so on
        flipped = conv.flipped_weight()
        if _pays(grad.shape[-2], grad.shape[-1], flipped.shape[0]):
            zeros = torch.zeros(flipped.shape[0], dtype=grad.dtype)
            return _nnpack(grad, flipped, zeros, back_padding), None, None
        return F.conv2d(grad, flipped, padding=back_padding), None, None


def applies(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    """True inside ``enabled()`` where NNPACK pays for this frozen float32 3x3 convolution of x."""
    return (
        _enabled.get() and x.dtype == torch.float32 and x.device.type == "cpu" and x.dim() == 4
        and not conv.weight.requires_grad and conv.bias is not None
        and _pays(x.shape[-2], x.shape[-1], conv.out_channels) and available()
    )


def convolve(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """conv(x) through NNPACK, forward and input gradient; ``conv`` has a flipped_weight() method."""
    from .backbones import conv3x3  # (which imports this module)

    padding = 1
    if conv.padding_mode == "replicate":
        x, padding = conv3x3.replicate_pad(x), 0
    elif conv.padding_mode != "zeros":
        x, padding = F.pad(x, conv._reversed_padding_repeated_twice, mode=conv.padding_mode), 0
    return _WinogradConv.apply(x, conv, padding)
