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
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(x, self.bfloat16_weight(), bias)
