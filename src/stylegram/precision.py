"""Arithmetic precision of the network pass: float32, or bfloat16 where the CPU computes it natively.

On CPUs with AVX512-BF16 or AMX (AMD Zen 4 and later, Intel Cooper Lake / Sapphire Rapids and later) the
VGG19 forward and backward run in bfloat16: about 1.6x faster than float32 with AVX512-BF16 (measured before
the channels-last path below), 3.3x (256 px) to 4.7x (512 px) with AMX (BENCHMARKS.md). The backbone runs
under autocast, and VGG's convolutions take it as the sign to pad and convolve channels-last maps in bfloat16
without autocast's copies (stylegram.backbones.conv3x3), so its features come out in bfloat16; the Gram
statistic multiplies them as they are (the products accumulate in float32, only G is rounded), the content
term subtracts them from its float32 target, and every other statistic casts them to float32 first. Losses, the image and the optimizer's state stay float32. Elsewhere bfloat16 is
emulated and slower, so "auto" picks float32 there, computed with Winograd's convolution ("winograd",
stylegram.winograd) where NNPACK is present and the CPU's best instructions are AVX2.
"""

from __future__ import annotations

import contextlib

import torch

from . import runtime, winograd
from .errors import OptionError, check_choice

PRECISIONS = ("auto", "float32", "bfloat16", "winograd")


def native_bfloat16() -> bool:
    """True when this CPU has bfloat16 dot-product instructions (Linux: avx512_bf16 or amx_bf16 flags)."""
    flags = runtime.cpu_flags()
    return ("avx512_bf16" in flags or "amx_bf16" in flags) and torch.backends.mkldnn.is_available()


def amx() -> bool:
    """True when this CPU has AMX tile instructions for bfloat16 (Intel Sapphire Rapids and later; the amx_bf16 flag)."""
    return "amx_bf16" in runtime.cpu_flags() and torch.backends.mkldnn.is_available()


def resolve(name: str) -> str:
    """'auto' -> 'bfloat16', 'winograd' or 'float32' for this machine; other names are checked and returned."""
    check_choice("--precision", name, PRECISIONS)
    if name == "auto":
        return "bfloat16" if native_bfloat16() else "winograd" if winograd.worthwhile() else "float32"
    if name == "winograd" and not winograd.available():
        raise OptionError("precision 'winograd' needs NNPACK, which this build of torch lacks; use float32")
    return name


def network_pass(name: str) -> contextlib.AbstractContextManager:
    """A context in which the backbone runs at ``name`` precision ('float32', 'bfloat16' or 'winograd')."""
    resolved = resolve(name)
    if resolved == "bfloat16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    if resolved == "winograd":
        return winograd.enabled()
    return contextlib.nullcontext()
