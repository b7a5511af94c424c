"""VGG's 3x3 convolution, with the fast path of each network precision (stylegram.precision).

- bfloat16 (inside autocast): the convolution, its padding and what follows run in bfloat16 on channels-last
  maps, with the weights converted once. Autocast alone would convert the weights at every call, pad in
  float32 (two extra copies of every map, forward and backward) and hand oneDNN maps in the channel-first
  layout it reorders before and after every bfloat16 convolution; those copies took more time than the
  convolutions on a CPU with AMX (BENCHMARKS.md). The forward gives autocast's numbers to the bit; the input
  gradient sums the padding's border in bfloat16, 0.2 % from autocast's.
- winograd: NNPACK's Winograd convolution where it pays (stylegram.winograd).
- otherwise torch's own.

The fast paths give no weight gradients, so they are taken only for frozen weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import winograd


def autocast_dtype() -> torch.dtype | None:
    """The dtype of CPU autocast where it is on, else None."""
    try:
        on = torch.is_autocast_enabled("cpu")
        return torch.get_autocast_dtype("cpu") if on else None
    except TypeError:  # torch < 2.4
        return torch.get_autocast_cpu_dtype() if torch.is_autocast_cpu_enabled() else None


class Conv3x3(nn.Conv2d):
    """A 3x3, stride-1 nn.Conv2d with fast paths for frozen weights in bfloat16 and Winograd passes."""

    def __init__(self, in_channels: int, out_channels: int, padding_mode: str = "zeros"):
        super().__init__(in_channels, out_channels, 3, padding=1, padding_mode=padding_mode)

    def _derived(self, key: str, make: Callable[[torch.Tensor], object]):
        """make(weight), cached while the weights stay.

        Kept on the weight tensor, so copies of a backbone that share its weights share this too.
        """
        version, value = getattr(self.weight, key, (None, None))
        if value is None or version != self.weight._version:
            value = make(self.weight.detach())
            setattr(self.weight, key, (self.weight._version, value))
        return value

    def flipped_weight(self) -> torch.Tensor:
        """The kernels flipped in space with in and out channels swapped (the input gradient's kernels)."""
        return self._derived("_stylegram_flipped", lambda w: w.flip(-1, -2).transpose(0, 1).contiguous())

    def bfloat16_weight(self) -> torch.Tensor:
        """The kernels in bfloat16, channels-last as oneDNN wants them."""
        return self._derived("_stylegram_bfloat16", lambda w: w.to(torch.bfloat16, memory_format=torch.channels_last))

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        dtype = autocast_dtype()
        if dtype == torch.bfloat16 and not weight.requires_grad and x.device.type == "cpu" and x.dim() == 4:
            return self._bfloat16(x)
        if dtype is None and winograd.applies(self, x):
            return winograd.convolve(self, x)
        return super()._conv_forward(x, weight, bias)

    def _bfloat16(self, x: torch.Tensor) -> torch.Tensor:
        bias = None if self.bias is None else self.bias.detach().to(torch.bfloat16)
        with torch.autocast("cpu", enabled=False):
            x = x.to(torch.bfloat16, memory_format=torch.channels_last)
            if self.padding_mode == "zeros":
                return F.conv2d(x, self.bfloat16_weight(), bias, padding=1)
            x = replicate_pad(x) if self.padding_mode == "replicate" else F.pad(
                x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(x, self.bfloat16_weight(), bias)


def replicate_pad(x: torch.Tensor) -> torch.Tensor:
    """``x`` (N, C, H, W) with its border pixels repeated once around it, as F.pad's "replicate" mode, with a backward
    2-3x faster on channels-last maps (_ReplicatePad)."""
    if min(x.shape[-2:]) < 2:  # a map of one row or column: its borders fold onto each other
        return F.pad(x, (1, 1, 1, 1), mode="replicate")
    return _ReplicatePad.apply(x)


class _ReplicatePad(torch.autograd.Function):
    """Replicate padding by one pixel whose backward is one copy of the gradient's interior plus its folded border.

    torch's replication_pad2d_backward took 18 ms of a 255 ms bfloat16 iteration at 512 px (the 13 padded
    convolutions up to relu5_1), 2.5x this (BENCHMARKS.md).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else \
            torch.contiguous_format
        return F.pad(x, (1, 1, 1, 1), mode="replicate")

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        inner = grad[..., 1:-1, 1:-1].clone(memory_format=ctx.layout)
        inner[..., 0, :] += grad[..., 0, 1:-1]  # the rows above and below
        inner[..., -1, :] += grad[..., -1, 1:-1]
        inner[..., :, 0] += grad[..., 1:-1, 0]  # the columns left and right
        inner[..., :, -1] += grad[..., 1:-1, -1]
        for row, col in ((0, 0), (0, -1), (-1, 0), (-1, -1)):  # the corners
            inner[..., row, col] += grad[..., row, col]
        return inner
